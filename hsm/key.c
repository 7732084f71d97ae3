/* SPDX-License-Identifier: ISC */
/*
 * Key pairs in the token: lookup by RFC 7512 URI, generation with an
 * explicit template (sensitive, never extractable, sign-only; random
 * CKA_ID from the token), the public half as an ordinary OpenSSL key and
 * DER SubjectPublicKeyInfo, and the signing core every signature of stica
 * goes through: CKM_ECDSA over a digest (raw r||s, which is JWS ES256's
 * format, RFC 7518 section 3.4), CKM_RSA_PKCS over a DigestInfo (RFC 8017
 * section 9.2), CKM_RSA_PKCS_PSS (RFC 8017 section 8.1).  Every signature
 * the token returns is verified with the public key before it is used
 * (SoftHSMv2#901: intermittently invalid ECDSA signatures).
 *
 * PKCS#11 has no atomic "create unless the label exists", so a new key's
 * label is looked up again after C_GenerateKeyPair: a pair that is not
 * alone with its label is destroyed again (at most one survives).  Also
 * the key-label check a dry run makes without loading a module (the token
 * URI and pin-source file checks are in uri.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "hsm/hsm_int.h"

/* RFC 5480 section 2.1.1.1 namedCurve OIDs, DER. */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00,
	0x22 };

/* RFC 8017 section 9.2 note 1: DigestInfo prefixes. */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
	0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
	0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09,
	0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
	0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09,
	0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
	0x40 };

static const struct {
	enum hsm_keytype	 type;
	const char		*name;
	const char		*jws;
} keytypes[] = {
	{ HSM_KEY_EC_P256, "ec-p256", "ES256" },
	{ HSM_KEY_EC_P384, "ec-p384", "ES384" },
	{ HSM_KEY_RSA_2048, "rsa-2048", "RS256" },
	{ HSM_KEY_RSA_3072, "rsa-3072", "RS256" },
};

#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

const char *
hsm_keytype_name(enum hsm_keytype t)
{
	size_t	i;

	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].type == t)
			return keytypes[i].name;
	return "unknown";
}

int
hsm_keytype_parse(const char *name, enum hsm_keytype *out, struct st_err *e)
{
	size_t	i;

	for (i = 0; name != NULL && i < NKEYTYPES; i++)
		if (strcmp(keytypes[i].name, name) == 0) {
			*out = keytypes[i].type;
			return 0;
		}
	return st_err_set(e, ST_E_USAGE, "key type '%s' unknown: use ec-p256, "
	    "ec-p384, rsa-2048 or rsa-3072", name != NULL ? name : "");
}

static bool
is_ec(enum hsm_keytype t)
{
	return t == HSM_KEY_EC_P256 || t == HSM_KEY_EC_P384;
}

/* The namedCurve parameters of an EC key type, DER. */
int
hsm_ec_params(enum hsm_keytype t, const uint8_t **der, size_t *len)
{
	switch (t) {
	case HSM_KEY_EC_P256:
		*der = oid_p256;
		*len = sizeof(oid_p256);
		return 0;
	case HSM_KEY_EC_P384:
		*der = oid_p384;
		*len = sizeof(oid_p384);
		return 0;
	default:
		return ST_E_INTERNAL;
	}
}

/* SHA-256/384/512 from the default provider in the private context. */
const EVP_MD *
hsm_md(struct hsm *h, int nid)
{
	switch (nid) {
	case NID_sha256:
		return h->md[0];
	case NID_sha384:
		return h->md[1];
	case NID_sha512:
		return h->md[2];
	default:
		return NULL;
	}
}

static CK_MECHANISM_TYPE
ck_hash(int nid)
{
	return nid == NID_sha384 ? CKM_SHA384 :
	    nid == NID_sha512 ? CKM_SHA512 : CKM_SHA256;
}

static CK_RSA_PKCS_MGF_TYPE
ck_mgf(int nid)
{
	return nid == NID_sha384 ? CKG_MGF1_SHA384 :
	    nid == NID_sha512 ? CKG_MGF1_SHA512 : CKG_MGF1_SHA256;
}

static int
md_nid_for_len(size_t len)
{
	return len == 32 ? NID_sha256 : len == 48 ? NID_sha384 :
	    len == 64 ? NID_sha512 : NID_undef;
}

/* ECDSA with the curve's hash (RFC 5758 section 3.2); RSA: PKCS#1 v1.5
 * with SHA-256. */
int
hsm_key_default_alg(const struct hsm_key *k, struct hsm_sigalg *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = is_ec(k->type) ? HSM_SIG_ECDSA : HSM_SIG_RSA_PKCS1;
	a->md_nid = k->type == HSM_KEY_EC_P384 ? NID_sha384 : NID_sha256;
	a->mgf1_nid = a->md_nid;
	a->saltlen = -1;
	return 0;
}

void
hsm_key_ref(struct hsm_key *k)
{
	atomic_fetch_add(&k->refs, 1);
}

/* Drop a reference; the last one frees the key.  NULL-safe. */
void
hsm_key_unref(struct hsm_key *k)
{
	if (k == NULL || atomic_fetch_sub(&k->refs, 1) != 1)
		return;
	EVP_PKEY_free(k->pub);
	BN_free(k->n);
	BN_free(k->e);
	free(k->point);
	free(k->spki);
	free(k->label);
	free(k->id);
	free(k->uri);
	k->magic = 0;
	free(k);
}

/*
 * The caller's release: the provider EVP_PKEY goes first (it holds a
 * reference of its own through its keydata), then the caller's reference.
 */
void
hsm_key_free(struct hsm_key *k)
{
	EVP_PKEY	*pkey;

	if (k == NULL)
		return;
	pkey = k->pkey;
	k->pkey = NULL;
	EVP_PKEY_free(pkey);	/* drops the provider's reference */
	hsm_key_unref(k);
}

/*
 * Read one attribute (two-call convention, PKCS#11 v2.40 section 5.2)
 * into a fresh buffer.  Inside hsm_mod_enter.  *rvp gets the CK_RV.
 */
int
hsm_attr_get(struct hsm_mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE t, uint8_t **val, size_t *len, CK_RV *rvp,
    struct st_err *e)
{
	CK_ATTRIBUTE	 a = { t, NULL, 0 };
	CK_RV		 rv;
	int		 rc = ST_E_INTERNAL;

	*val = NULL;
	*len = 0;
	if ((rv = m->f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		*rvp = rv != CKR_OK ? rv : CKR_ATTRIBUTE_TYPE_INVALID;
		rc = hsm_ckr_err(e, *rvp, "C_GetAttributeValue",
		    "attribute 0x%lx", (unsigned long)t);
		goto out;
	}
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rv = m->f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
		*rvp = rv;
		rc = hsm_ckr_err(e, rv, "C_GetAttributeValue",
		    "attribute 0x%lx", (unsigned long)t);
		goto out;
	}
	((uint8_t *)a.pValue)[a.ulValueLen] = 0;
	*val = a.pValue;
	*len = a.ulValueLen;
	a.pValue = NULL;
	rc = 0;
out:
	free(a.pValue);
	return rc;
}

/* Up to max objects matching tpl, inside hsm_mod_enter. */
int
hsm_find(struct hsm_mod *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tpl,
    CK_ULONG n, CK_OBJECT_HANDLE *objs, CK_ULONG max, CK_ULONG *found,
    CK_RV *rvp, struct st_err *e)
{
	CK_FUNCTION_LIST	*f = m->f;
	CK_RV			 rv;

	*found = 0;
	if ((rv = f->C_FindObjectsInit(s, tpl, n)) != CKR_OK) {
		*rvp = rv;
		return hsm_ckr_err(e, rv, "C_FindObjectsInit", NULL);
	}
	rv = f->C_FindObjects(s, objs, max, found);
	f->C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		*rvp = rv;
		return hsm_ckr_err(e, rv, "C_FindObjects", NULL);
	}
	return 0;
}

/*
 * The EC point from CKA_EC_POINT: a DER OCTET STRING holding the
 * uncompressed point (PKCS#11 v2.40 section 2.3.3; SoftHSM), or the bare
 * point (some modules).
 */
static int
ec_point(const uint8_t *v, size_t len, size_t flen, uint8_t **pt,
    size_t *ptlen)
{
	ASN1_OCTET_STRING	*os = NULL;
	const uint8_t		*p = v;
	int			 rc = ST_E_INTERNAL;

	*pt = NULL;
	if (len == 1 + 2 * flen && v[0] == 0x04) {
		if ((*pt = malloc(len)) == NULL)
			return ST_E_NOMEM;
		memcpy(*pt, v, len);
		*ptlen = len;
		return 0;
	}
	if ((os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)len)) == NULL ||
	    p != v + len || (size_t)os->length != 1 + 2 * flen ||
	    os->data[0] != 0x04)
		goto out;
	if ((*pt = malloc((size_t)os->length)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memcpy(*pt, os->data, (size_t)os->length);
	*ptlen = (size_t)os->length;
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	ERR_clear_error();
	return rc;
}

/* Build p->pub (default library context) and p->spki from the parts. */
static int
pub_build(struct hsm_pub *p, struct st_err *e)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	unsigned char	*der = NULL;
	int		 len, rc = ST_E_INTERNAL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto ossl;
	if (is_ec(p->type)) {
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, p->type == HSM_KEY_EC_P256 ?
		    "prime256v1" : "secp384r1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, p->point, p->pointlen))
			goto ossl;
	} else if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, p->n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, p->e))
		goto ossl;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, is_ec(p->type) ? "EC" :
	    "RSA", NULL)) == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &p->pub, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto ossl;
	if ((len = i2d_PUBKEY(p->pub, &der)) <= 0)
		goto ossl;
	if ((p->spki = malloc((size_t)len)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(p->spki, der, (size_t)len);
	p->spkilen = (size_t)len;
	rc = 0;
	goto out;
ossl:
	rc = st_err_ossl(e, ST_E_CRYPTO, "public key from the token unusable");
out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return rc;
}

/* Free the parts of p and zero it. */
void
hsm_pub_clear(struct hsm_pub *p)
{
	EVP_PKEY_free(p->pub);
	BN_free(p->n);
	BN_free(p->e);
	free(p->point);
	free(p->spki);
	memset(p, 0, sizeof(*p));
}

/*
 * The public half of a key pair from object o of key type kt: for EC the
 * public-key object (CKA_EC_PARAMS: P-256 or P-384 by OID, RFC 5480
 * section 2.1.1.1; CKA_EC_POINT), for RSA either object (CKA_MODULUS,
 * CKA_PUBLIC_EXPONENT).  Inside hsm_mod_enter.
 */
int
hsm_pub_read(struct hsm_mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_KEY_TYPE kt, struct hsm_pub *p, CK_RV *rvp, struct st_err *e)
{
	uint8_t	*v = NULL;
	size_t	 vlen, flen;
	int	 rc = ST_E_INTERNAL;

	memset(p, 0, sizeof(*p));
	if (kt == CKK_EC) {
		if ((rc = hsm_attr_get(m, s, o, CKA_EC_PARAMS, &v, &vlen, rvp,
		    e)) != 0)
			goto out;
		if (vlen == sizeof(oid_p256) && memcmp(v, oid_p256, vlen) == 0)
			p->type = HSM_KEY_EC_P256;
		else if (vlen == sizeof(oid_p384) &&
		    memcmp(v, oid_p384, vlen) == 0)
			p->type = HSM_KEY_EC_P384;
		else {
			rc = st_err_set(e, ST_E_HSM, "curve not supported "
			    "(P-256 and P-384 are)");
			goto out;
		}
		free(v);
		v = NULL;
		p->bits = p->type == HSM_KEY_EC_P256 ? 256 : 384;
		flen = (size_t)p->bits / 8;
		p->siglen = 2 * flen;
		if ((rc = hsm_attr_get(m, s, o, CKA_EC_POINT, &v, &vlen, rvp,
		    e)) != 0)
			goto out;
		if ((rc = ec_point(v, vlen, flen, &p->point,
		    &p->pointlen)) != 0) {
			rc = st_err_set(e, ST_E_HSM, "CKA_EC_POINT is not an "
			    "uncompressed point on the curve");
			goto out;
		}
	} else if (kt == CKK_RSA) {
		if ((rc = hsm_attr_get(m, s, o, CKA_MODULUS, &v, &vlen, rvp,
		    e)) != 0)
			goto out;
		p->n = BN_bin2bn(v, (int)vlen, NULL);
		free(v);
		v = NULL;
		if ((rc = hsm_attr_get(m, s, o, CKA_PUBLIC_EXPONENT, &v, &vlen,
		    rvp, e)) != 0)
			goto out;
		if ((p->e = BN_bin2bn(v, (int)vlen, NULL)) == NULL ||
		    p->n == NULL) {
			rc = st_err_set(e, ST_E_NOMEM, "out of memory");
			goto out;
		}
		p->bits = BN_num_bits(p->n);
		p->siglen = (size_t)BN_num_bytes(p->n);
		if (p->bits == 2048)
			p->type = HSM_KEY_RSA_2048;
		else if (p->bits == 3072)
			p->type = HSM_KEY_RSA_3072;
		else {
			rc = st_err_set(e, ST_E_HSM, "RSA modulus of %d bits "
			    "(2048 and 3072 are supported)", p->bits);
			goto out;
		}
	} else {
		rc = st_err_set(e, ST_E_HSM, "key type 0x%lx not supported (EC "
		    "and RSA are)", (unsigned long)kt);
		goto out;
	}
	rc = pub_build(p, e);
out:
	free(v);
	if (rc != 0)
		hsm_pub_clear(p);
	return rc;
}

/* The key's RFC 7512 URI: token, id, object, type (section 2.3). */
static int
key_uri(struct hsm_key *k, struct st_err *e)
{
	char	*tok = NULL, *id = NULL, *obj = NULL;
	size_t	 n;
	int	 rc = ST_E_NOMEM;

	if ((tok = hsm_uri_pct((const uint8_t *)k->h->label,
	    strlen(k->h->label), false)) == NULL ||
	    (id = hsm_uri_pct(k->id, k->idlen, true)) == NULL ||
	    (obj = hsm_uri_pct((const uint8_t *)k->label, strlen(k->label),
	    false)) == NULL)
		goto out;
	n = strlen(tok) + strlen(id) + strlen(obj) + 64;
	if ((k->uri = malloc(n)) == NULL)
		goto out;
	snprintf(k->uri, n, "pkcs11:token=%s;id=%s;object=%s;type=private",
	    tok, id, obj);
	rc = 0;
out:
	if (rc != 0)
		st_err_set(e, rc, "out of memory");
	free(tok);
	free(id);
	free(obj);
	return rc;
}

static void key_obj_set(struct hsm_key *, CK_OBJECT_HANDLE, unsigned);

/*
 * Build a struct hsm_key for the private key object priv, found on
 * session s: its type, CKA_ID, label and public half (from the public-key
 * object with the same CKA_ID and key type, or, for RSA, from the private
 * key itself), then the provider key.  Inside hsm_mod_enter.
 */
static int
key_build(struct hsm *h, const struct hsm_sess *s, CK_OBJECT_HANDLE priv,
    struct hsm_key **out, CK_RV *rvp, struct st_err *e)
{
	struct hsm_key		*k = NULL;
	struct hsm_pub		 pub;
	struct st_err		 e1;
	CK_OBJECT_CLASS		 pubclass = CKO_PUBLIC_KEY;
	CK_KEY_TYPE		 kt;
	CK_OBJECT_HANDLE	 pubs[2], src = priv;
	CK_ULONG		 npub = 0;
	CK_ATTRIBUTE		 tpl[3];
	uint8_t			*v = NULL;
	size_t			 vlen;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	memset(&pub, 0, sizeof(pub));
	st_err_clear(&e1);
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	k->magic = HSM_KEY_MAGIC;
	atomic_store(&k->refs, 1);
	k->h = h;
	if ((rc = hsm_attr_get(h->mod, s->h, priv, CKA_LABEL, &v, &vlen, rvp,
	    e)) != 0)
		goto out;
	k->label = (char *)v;
	v = NULL;
	if ((rc = hsm_attr_get(h->mod, s->h, priv, CKA_ID, &k->id, &k->idlen,
	    rvp, e)) != 0 ||
	    (rc = hsm_attr_get(h->mod, s->h, priv, CKA_KEY_TYPE, &v, &vlen,
	    rvp, e)) != 0)
		goto out;
	if (vlen != sizeof(kt)) {
		rc = st_err_set(e, ST_E_HSM, "key '%s': bad CKA_KEY_TYPE",
		    k->label);
		goto out;
	}
	memcpy(&kt, v, sizeof(kt));
	if (kt == CKK_EC) {
		tpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &pubclass,
			sizeof(pubclass) };
		tpl[1] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
		tpl[2] = (CK_ATTRIBUTE){ CKA_ID, k->id, k->idlen };
		if ((rc = hsm_find(h->mod, s->h, tpl, 3, pubs, 2, &npub, rvp,
		    e)) != 0)
			goto out;
		if (npub != 1) {
			rc = st_err_set(e, ST_E_HSM_NOKEY, "key '%s': %s public "
			    "key object with its CKA_ID in token '%s'",
			    k->label, npub == 0 ? "no" : "more than one",
			    h->label);
			goto out;
		}
		src = pubs[0];
	}
	if ((rc = hsm_pub_read(h->mod, s->h, src, kt, &pub, rvp, &e1)) != 0) {
		rc = st_err_set(e, rc, "key '%s': %s", k->label, e1.msg);
		goto out;
	}
	k->type = pub.type;
	k->bits = pub.bits;
	k->siglen = pub.siglen;
	k->point = pub.point;
	k->pointlen = pub.pointlen;
	k->n = pub.n;
	k->e = pub.e;
	k->pub = pub.pub;
	k->spki = pub.spki;
	k->spkilen = pub.spkilen;
	memset(&pub, 0, sizeof(pub));
	if ((rc = key_uri(k, e)) != 0 ||
	    (rc = hsm_prov_pkey(k, &k->pkey, e)) != 0)
		goto out;
	key_obj_set(k, priv, s->sgen);
	*out = k;
	k = NULL;
	rc = 0;
out:
	free(v);
	hsm_pub_clear(&pub);
	hsm_key_free(k);
	return rc;
}

/* Publish a handle for state generation sgen (see struct hsm_key). */
static void
key_obj_set(struct hsm_key *k, CK_OBJECT_HANDLE obj, unsigned sgen)
{
	atomic_store_explicit(&k->obj_sgen, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&k->obj, obj, memory_order_relaxed);
	atomic_store_explicit(&k->obj_sgen, sgen, memory_order_release);
}

/* The cached handle if it belongs to state generation sgen. */
static bool
key_obj_get(struct hsm_key *k, unsigned sgen, CK_OBJECT_HANDLE *obj)
{
	unsigned	s1, s2;
	CK_ULONG	o;

	s1 = atomic_load_explicit(&k->obj_sgen, memory_order_acquire);
	o = atomic_load_explicit(&k->obj, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&k->obj_sgen, memory_order_relaxed);
	if (s1 != sgen || s2 != sgen || sgen == 0)
		return false;
	*obj = o;
	return true;
}

/*
 * The private key's handle for session s: cached, or looked up again by
 * CKA_ID and label after a new login (object handles do not survive it,
 * pkcs11-provider#494).
 */
static int
key_handle(struct hsm_key *k, const struct hsm_sess *s,
    CK_OBJECT_HANDLE *obj, CK_RV *rvp, struct st_err *e)
{
	struct hsm		*h = k->h;
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		 tpl[3];
	CK_OBJECT_HANDLE	 objs[2];
	CK_ULONG		 n = 0;
	int			 rc;

	*rvp = CKR_OK;
	if (key_obj_get(k, s->sgen, obj))
		return 0;
	tpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tpl[1] = (CK_ATTRIBUTE){ CKA_ID, k->id, k->idlen };
	tpl[2] = (CK_ATTRIBUTE){ CKA_LABEL, k->label, strlen(k->label) };
	hsm_mod_enter(h->mod);
	rc = hsm_find(h->mod, s->h, tpl, 3, objs, 2, &n, rvp, e);
	hsm_mod_leave(h->mod);
	if (rc != 0)
		return rc;
	if (n != 1)
		return st_err_set(e, ST_E_HSM_NOKEY, "key '%s': %s in token "
		    "'%s' any more", k->label, n == 0 ? "not found" :
		    "ambiguous", h->label);
	key_obj_set(k, objs[0], s->sgen);
	*obj = objs[0];
	return 0;
}

/* Verify sig over dgst with the public key in the default provider. */
static int
sig_verify(struct hsm_key *k, const struct hsm_sigalg *a,
    const uint8_t *dgst, size_t dlen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX	*c = NULL;
	int		 ok = 0;

	/*
	 * ECDSA verifies the digest as given (its length was checked);
	 * RSA needs the digest for the DigestInfo and for PSS.  Setting it
	 * costs a digest fetch, so only where it matters.
	 */
	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pub, NULL)) == NULL ||
	    EVP_PKEY_verify_init(c) <= 0 || (a->kind != HSM_SIG_ECDSA &&
	    EVP_PKEY_CTX_set_signature_md(c,
	    EVP_get_digestbynid(a->md_nid)) <= 0))
		goto out;
	if (a->kind == HSM_SIG_RSA_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (a->kind == HSM_SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, a->saltlen) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c,
	    EVP_get_digestbynid(a->mgf1_nid)) <= 0))
		goto out;
	ok = EVP_PKEY_verify(c, sig, siglen, dgst, dlen) == 1;
out:
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

/* r||s -> DER ECDSA-Sig-Value (RFC 3279 section 2.2.3). */
static int
ecdsa_der(const uint8_t *raw, size_t rawlen, uint8_t *out, size_t *outlen)
{
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r = NULL, *s = NULL;
	unsigned char	*p = NULL;
	int		 len, rc = ST_E_CRYPTO;

	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(raw, (int)(rawlen / 2), NULL)) == NULL ||
	    (s = BN_bin2bn(raw + rawlen / 2, (int)(rawlen / 2), NULL)) == NULL ||
	    !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;
	if ((len = i2d_ECDSA_SIG(es, &p)) <= 0 || (size_t)len > *outlen)
		goto out;
	memcpy(out, p, (size_t)len);
	*outlen = (size_t)len;
	rc = 0;
out:
	OPENSSL_free(p);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/*
 * The signing core.  Signs the digest dgst with k under alg, in a pooled
 * session; a "lost" CK_RV leads to recovery (hsm_recover) and one retry.
 * The token's answer is verified with the public key; only then is it
 * returned, raw (r||s, RSA) or, with der, as a DER ECDSA-Sig-Value.
 * *siglen in: size of sig; out: bytes written.  *rvp (may be NULL) gets
 * the failing CK_RV for the provider's error reason.
 */
int
hsm_sign(struct hsm_key *k, const struct hsm_sigalg *alg,
    const uint8_t *dgst, size_t dlen, uint8_t *sig, size_t *siglen,
    bool der, CK_RV *rvp, struct st_err *e)
{
	struct hsm		*h = k->h;
	struct hsm_sess		 s, failed;
	CK_RSA_PKCS_PSS_PARAMS	 pss;
	CK_MECHANISM		 mech = { CKM_ECDSA, NULL, 0 };
	CK_OBJECT_HANDLE	 obj = CK_INVALID_HANDLE;
	CK_ULONG		 rawlen = 0;
	CK_RV			 rv = CKR_OK, dummy;
	const uint8_t		*di = NULL;
	uint8_t			 in[64 + sizeof(di_sha512)], raw[512];
	const char		*call;
	size_t			 inlen, dilen = 0;
	int			 attempt, rc = ST_E_INTERNAL;
	bool			 lost;

	if (rvp == NULL)
		rvp = &dummy;
	*rvp = CKR_OK;
	if (dlen != (size_t)EVP_MD_get_size(EVP_get_digestbynid(alg->md_nid))) {
		rc = st_err_set(e, ST_E_USAGE, "key '%s': digest of %zu bytes "
		    "for %s", k->label, dlen, OBJ_nid2sn(alg->md_nid));
		goto out;
	}
	if ((alg->kind == HSM_SIG_ECDSA) != is_ec(k->type)) {
		rc = st_err_set(e, ST_E_USAGE, "key '%s': %s key cannot make "
		    "this signature", k->label, hsm_keytype_name(k->type));
		goto out;
	}
	switch (alg->kind) {
	case HSM_SIG_ECDSA:
		memcpy(in, dgst, dlen);
		inlen = dlen;
		break;
	case HSM_SIG_RSA_PKCS1:
		mech.mechanism = CKM_RSA_PKCS;
		di = alg->md_nid == NID_sha256 ? di_sha256 :
		    alg->md_nid == NID_sha384 ? di_sha384 : di_sha512;
		dilen = sizeof(di_sha256);
		memcpy(in, di, dilen);
		memcpy(in + dilen, dgst, dlen);
		inlen = dilen + dlen;
		break;
	case HSM_SIG_RSA_PSS:
		if (alg->saltlen < 0) {
			rc = st_err_set(e, ST_E_USAGE, "key '%s': PSS salt "
			    "length %d", k->label, alg->saltlen);
			goto out;
		}
		mech.mechanism = CKM_RSA_PKCS_PSS;
		pss.hashAlg = ck_hash(alg->md_nid);
		pss.mgf = ck_mgf(alg->mgf1_nid);
		pss.sLen = (CK_ULONG)alg->saltlen;
		mech.pParameter = &pss;
		mech.ulParameterLen = sizeof(pss);
		memcpy(in, dgst, dlen);
		inlen = dlen;
		break;
	default:
		goto out;
	}
	for (attempt = 0;; attempt++) {
		struct st_err	e1;

		if ((rc = hsm_sess_take(h, &s, e)) != 0)
			goto out;
		call = "C_FindObjects";
		rv = CKR_OK;
		st_err_clear(&e1);
		if ((rc = key_handle(k, &s, &obj, &rv, &e1)) == 0) {
			hsm_mod_enter(h->mod);
			call = "C_SignInit";
			if ((rv = h->mod->f->C_SignInit(s.h, &mech, obj)) ==
			    CKR_OK) {
				call = "C_Sign";
				rawlen = sizeof(raw);
				rv = h->mod->f->C_Sign(s.h, in, inlen, raw,
				    &rawlen);
			}
			hsm_mod_leave(h->mod);
		} else if (rv == CKR_OK) {
			hsm_sess_put(h, &s, false);
			rc = st_err_set(e, rc, "%s", e1.msg);
			goto out;
		}
		if (rv == CKR_OK) {
			hsm_sess_put(h, &s, false);
			break;
		}
		lost = hsm_ckr_lost(rv);
		failed = s;
		/* never reuse a session whose operation failed */
		hsm_sess_put(h, &s, true);
		if (!lost || attempt > 0) {
			*rvp = rv;
			rc = hsm_ckr_err(e, rv, call, "token '%s', key '%s'%s",
			    h->label, k->label, attempt > 0 ? ", again after "
			    "re-opening the token" : "");
			goto out;
		}
		st_log(ST_LOG_DEBUG, "hsm: key '%s': %s failed (%s), "
		    "recovering", k->label, call, hsm_ckr_name(rv));
		if ((rc = hsm_recover(h, &failed, e)) != 0) {
			*rvp = rv;
			goto out;
		}
	}
	if (rawlen != k->siglen) {
		rc = st_err_set(e, ST_E_HSM, "key '%s': %s returned %lu bytes, "
		    "expected %zu", k->label, "C_Sign", (unsigned long)rawlen,
		    k->siglen);
		goto out;
	}
	if (alg->kind == HSM_SIG_ECDSA) {
		uint8_t	dsig[160];
		size_t	dsiglen = sizeof(dsig);

		if (ecdsa_der(raw, rawlen, dsig, &dsiglen) != 0 ||
		    !sig_verify(k, alg, dgst, dlen, dsig, dsiglen)) {
			rc = st_err_set(e, ST_E_VERIFY, "key '%s': the "
			    "signature from token '%s' does not verify with "
			    "the public key; refused", k->label, h->label);
			goto out;
		}
		if (der) {
			if (dsiglen > *siglen) {
				rc = st_err_set(e, ST_E_USAGE, "signature "
				    "buffer too small");
				goto out;
			}
			memcpy(sig, dsig, dsiglen);
			*siglen = dsiglen;
			rc = 0;
			goto out;
		}
	} else if (!sig_verify(k, alg, dgst, dlen, raw, rawlen)) {
		rc = st_err_set(e, ST_E_VERIFY, "key '%s': the signature from "
		    "token '%s' does not verify with the public key; refused",
		    k->label, h->label);
		goto out;
	}
	if (rawlen > *siglen) {
		rc = st_err_set(e, ST_E_USAGE, "signature buffer too small");
		goto out;
	}
	memcpy(sig, raw, rawlen);
	*siglen = rawlen;
	rc = 0;
out:
	OPENSSL_cleanse(in, sizeof(in));
	return rc;
}

/*
 * Raw signature over a SHA-256/384/512 digest, told apart by its length:
 * r||s for ECDSA, RSASSA-PKCS1-v1_5 (RFC 8017 section 8.2) for RSA.
 */
int
hsm_key_sign_digest(struct hsm_key *k, const uint8_t *dgst, size_t dlen,
    uint8_t *sig, size_t *siglen, struct st_err *e)
{
	struct hsm_sigalg	a;

	hsm_key_default_alg(k, &a);
	if ((a.md_nid = md_nid_for_len(dlen)) == NID_undef)
		return st_err_set(e, ST_E_USAGE, "key '%s': a digest of %zu "
		    "bytes is not SHA-256, -384 or -512", k->label, dlen);
	a.mgf1_nid = a.md_nid;
	return hsm_sign(k, &a, dgst, dlen, sig, siglen, false, NULL, e);
}

/*
 * JWS (RFC 7515 section 5.1, RFC 7518 section 3): hash the signing input
 * with the algorithm's hash and sign; ES256/ES384 want r||s (section 3.4),
 * RS256 the PKCS#1 v1.5 signature (section 3.3).
 */
int
hsm_key_sign_jws(struct hsm_key *k, const uint8_t *msg, size_t len,
    uint8_t *sig, size_t *siglen, struct st_err *e)
{
	struct hsm_sigalg	 a;
	const EVP_MD		*md;
	uint8_t			 dgst[EVP_MAX_MD_SIZE];
	unsigned int		 dlen = 0;

	hsm_key_default_alg(k, &a);
	if ((md = hsm_md(k->h, a.md_nid)) == NULL ||
	    !EVP_Digest(msg, len, dgst, &dlen, md, NULL))
		return st_err_ossl(e, ST_E_CRYPTO, "key '%s': JWS digest",
		    k->label);
	return hsm_sign(k, &a, dgst, dlen, sig, siglen, false, NULL, e);
}

/*
 * Prepare mctx for X509_sign_ctx and friends: the key's digest, the
 * private library context and the provider's property query, so the
 * private-key operation cannot fall through to the default provider
 * (hsm-notes.md 4.5).
 */
int
hsm_key_sign_init(struct hsm_key *k, EVP_MD_CTX *mctx, struct st_err *e)
{
	const char	*md;

	md = k->type == HSM_KEY_EC_P384 ? "SHA384" : "SHA256";
	if (EVP_DigestSignInit_ex(mctx, NULL, md, k->h->libctx, HSM_PROPQ,
	    k->pkey, NULL) != 1)
		return st_err_ossl(e, ST_E_CRYPTO, "key '%s': "
		    "EVP_DigestSignInit_ex", k->label);
	return 0;
}

/*
 * Find the unique private key the URI names (object= and/or id=) in the
 * open token and build it.
 */
int
hsm_key_load(struct hsm *h, const char *uri, struct hsm_key **out,
    struct st_err *e)
{
	P11KitUri		*u = NULL;
	CK_ATTRIBUTE		*a, tpl[3];
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE	 objs[2];
	CK_ULONG		 n = 0, nt = 0;
	CK_TOKEN_INFO		 ti;
	struct hsm_sess		 s;
	CK_RV			 rv = CKR_OK;
	char			 red[160];
	int			 rc = ST_E_INTERNAL, attempt;
	bool			 named = false;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((rc = hsm_uri_parse(uri, &u, e)) != 0)
		goto out;
	hsm_uri_redact(uri, red, sizeof(red));
	pthread_mutex_lock(&h->mu);
	ti = h->ti;
	pthread_mutex_unlock(&h->mu);
	if (!p11_kit_uri_match_token_info(u, &ti)) {
		rc = st_err_set(e, ST_E_HSM_NOKEY, "key URI %s names another "
		    "token than the open token '%s'", red, h->label);
		goto out;
	}
	tpl[nt++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	if ((a = p11_kit_uri_get_attribute(u, CKA_CLASS)) != NULL &&
	    (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	    *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)) {
		rc = st_err_set(e, ST_E_USAGE, "key URI %s: RFC 7512 section "
		    "2.3: a signing key is type=private", red);
		goto out;
	}
	if ((a = p11_kit_uri_get_attribute(u, CKA_LABEL)) != NULL) {
		tpl[nt++] = *a;
		named = true;
	}
	if ((a = p11_kit_uri_get_attribute(u, CKA_ID)) != NULL) {
		tpl[nt++] = *a;
		named = true;
	}
	if (!named) {
		rc = st_err_set(e, ST_E_USAGE, "key URI %s names no key: add "
		    "object=LABEL or id=%%XX...", red);
		goto out;
	}
	for (attempt = 0;; attempt++) {
		if ((rc = hsm_sess_take(h, &s, e)) != 0)
			goto out;
		hsm_mod_enter(h->mod);
		rc = hsm_find(h->mod, s.h, tpl, nt, objs, 2, &n, &rv, NULL);
		if (rc == 0 && n == 1)
			rc = key_build(h, &s, objs[0], out, &rv, e);
		hsm_mod_leave(h->mod);
		if (rc == 0 || rv == CKR_OK || !hsm_ckr_lost(rv) ||
		    attempt > 0)
			break;
		{
			struct hsm_sess failed = s;

			hsm_sess_put(h, &s, true);
			if ((rc = hsm_recover(h, &failed, e)) != 0)
				goto out;
		}
	}
	if (rc != 0 && rv != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_FindObjects", "key %s", red);
		goto out;
	}
	if (rc != 0)
		goto out;
	if (n == 0) {
		rc = st_err_set(e, ST_E_HSM_NOKEY, "no private key %s in token "
		    "'%s'", red, h->label);
		goto out;
	}
	if (n > 1) {
		rc = st_err_set(e, ST_E_HSM, "key URI %s matches more than one "
		    "private key in token '%s'; add id=", red, h->label);
		goto out;
	}
	rc = 0;
out:
	hsm_sess_put(h, &s, rv != CKR_OK && hsm_ckr_lost(rv));
	p11_kit_uri_free(u);
	return rc;
}

/*
 * CKA_LABEL is RFC 2279 UTF-8 (PKCS#11 v2.40 section 4.4); stica takes
 * RFC 3629 UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF) without control characters (C0, DEL, C1), 1 to HSM_LABEL_MAX
 * bytes.  The messages name the byte, never echo the label.
 */
int
hsm_label_check(const char *label, struct st_err *e)
{
	const uint8_t	*p = (const uint8_t *)label;
	size_t		 len, i, end, bad;
	unsigned	 cp;
	bool		 ok;

	if (label == NULL || (len = strlen(label)) == 0 || len > HSM_LABEL_MAX)
		return st_err_set(e, ST_E_USAGE, "key label must have 1 to %d "
		    "bytes, not %zu", HSM_LABEL_MAX,
		    label == NULL ? 0 : strlen(label));
	ok = st_utf8_valid(p, len, &bad);
	end = ok ? len : bad;
	/*
	 * In the valid prefix a byte below 0x80 is a character of its own,
	 * and C1 (U+0080..U+009F) is 0xc2 followed by 0x80..0x9f.
	 */
	for (i = 0; i < end; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			cp = p[i];
		else if (p[i] == 0xc2 && i + 1 < end && p[i + 1] <= 0x9f)
			cp = p[i + 1];
		else
			continue;
		return st_err_set(e, ST_E_USAGE, "key label: byte %zu is a "
		    "control character (U+%04X); a label is printable UTF-8",
		    i + 1, cp);
	}
	if (ok)
		return 0;
	return st_err_set(e, ST_E_USAGE, "key label: byte %zu (0x%02x) is not "
	    "valid UTF-8 (PKCS#11 v2.40 section 4.4: CKA_LABEL is UTF-8)",
	    bad + 1, p[bad]);
}

/* Boolean attributes of a generated key that must read back as set. */
struct want {
	CK_ATTRIBUTE_TYPE	 t;
	const char		*name;
	CK_BBOOL		 v;
};

static const struct want want_priv[] = {
	{ CKA_TOKEN, "CKA_TOKEN", CK_TRUE },
	{ CKA_PRIVATE, "CKA_PRIVATE", CK_TRUE },
	{ CKA_SENSITIVE, "CKA_SENSITIVE", CK_TRUE },
	{ CKA_SIGN, "CKA_SIGN", CK_TRUE },
	{ CKA_EXTRACTABLE, "CKA_EXTRACTABLE", CK_FALSE },
	{ CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", CK_TRUE },
	{ CKA_DECRYPT, "CKA_DECRYPT", CK_FALSE },
	{ CKA_DERIVE, "CKA_DERIVE", CK_FALSE },
	{ CKA_UNWRAP, "CKA_UNWRAP", CK_FALSE },
};

static const struct want want_pub[] = {
	{ CKA_TOKEN, "CKA_TOKEN", CK_TRUE },
	{ CKA_VERIFY, "CKA_VERIFY", CK_TRUE },
	{ CKA_ENCRYPT, "CKA_ENCRYPT", CK_FALSE },
	{ CKA_WRAP, "CKA_WRAP", CK_FALSE },
	{ CKA_DERIVE, "CKA_DERIVE", CK_FALSE },
};

/* Read back the flags: a token that ignored the template is refused. */
static int
check_flags(struct hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    const struct want *w, size_t nw, const char *what, struct st_err *e)
{
	CK_ATTRIBUTE	a;
	CK_BBOOL	b;
	CK_RV		rv;
	size_t		i;

	for (i = 0; i < nw; i++) {
		b = 2;
		a = (CK_ATTRIBUTE){ w[i].t, &b, sizeof(b) };
		rv = h->mod->f->C_GetAttributeValue(s, o, &a, 1);
		if (rv != CKR_OK)
			return hsm_ckr_err(e, rv, "C_GetAttributeValue",
			    "%s key %s", what, w[i].name);
		if ((b != CK_FALSE) != (w[i].v != CK_FALSE))
			return st_err_set(e, ST_E_HSM, "token '%s' ignored the "
			    "key template: %s key has %s=%s", h->label, what,
			    w[i].name, b != CK_FALSE ? "true" : "false");
	}
	return 0;
}

#define GEN_TRIES	6	/* generations, when every racer gave up */
#define GEN_HOLD_MS	1000	/* a label taken this long was kept */
#define LABEL_SCAN	16	/* objects counted per label look-up */

/*
 * The objects labelled label in the token, of any class, or, with id, the
 * ones that also have that CKA_ID; at most LABEL_SCAN are counted.
 */
static int
label_count(struct hsm *h, CK_SESSION_HANDLE s, const char *label,
    const uint8_t *id, CK_ULONG *n, CK_RV *rvp, struct st_err *e)
{
	CK_ATTRIBUTE		q[2];
	CK_OBJECT_HANDLE	objs[LABEL_SCAN];
	CK_ULONG		nq = 0;
	int			rc;

	q[nq++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)label,
		strlen(label) };
	if (id != NULL)
		q[nq++] = (CK_ATTRIBUTE){ CKA_ID, (void *)(uintptr_t)id,
			HSM_ID_LEN };
	hsm_mod_enter(h->mod);
	rc = hsm_find(h->mod, s, q, nq, objs, LABEL_SCAN, n, rvp, e);
	hsm_mod_leave(h->mod);
	return rc;
}

/*
 * Sleep 10 ms plus a random share of 40 ms per attempt made, so that the
 * racers that gave up look at the label at different times, and the
 * first to find it free has generated before the others look again.
 */
static void
gen_backoff(int attempt)
{
	struct timespec	ts;
	uint16_t	r = 0;

	(void)RAND_bytes((unsigned char *)&r, sizeof(r));
	ts.tv_sec = 0;
	ts.tv_nsec = (10 + (long)(r % (40 * attempt + 1))) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Destroy the pair this generation made (the halves still valid), because
 * another object carries its label or the key was refused.  If the token
 * refuses, the error says which pair is left.
 */
static int
pair_destroy(struct hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *hpub,
    CK_OBJECT_HANDLE *hpriv, const char *label, const uint8_t *id,
    struct st_err *e)
{
	CK_RV	rv1, rv2;
	char	hex[2 * HSM_ID_LEN + 1];

	hsm_mod_enter(h->mod);
	rv1 = *hpriv != CK_INVALID_HANDLE ?
	    h->mod->f->C_DestroyObject(s, *hpriv) : CKR_OK;
	rv2 = *hpub != CK_INVALID_HANDLE ?
	    h->mod->f->C_DestroyObject(s, *hpub) : CKR_OK;
	hsm_mod_leave(h->mod);
	if (rv1 == CKR_OK)
		*hpriv = CK_INVALID_HANDLE;
	if (rv2 == CKR_OK)
		*hpub = CK_INVALID_HANDLE;
	if (rv1 == CKR_OK && rv2 == CKR_OK)
		return 0;
	st_hex_write(id, HSM_ID_LEN, hex);
	return hsm_ckr_err(e, rv1 != CKR_OK ? rv1 : rv2, "C_DestroyObject",
	    "key label '%s' was taken by a concurrent key generation; this "
	    "run's key pair with CKA_ID %s is still in token '%s': remove it",
	    label, hex, h->label);
}

/*
 * After this generation gave its pair up: look at the label until it is
 * free or GEN_HOLD_MS have passed.  A label still in use then was kept by
 * another generation (*freed false): a racer's pair lives only from its
 * generation to its second look.  One that came free was given up by
 * every racer, and the caller may try again.
 */
static int
label_wait(struct hsm *h, CK_SESSION_HANDLE s, const char *label,
    int attempt, bool *freed, CK_RV *rvp, struct st_err *e)
{
	struct timespec	t0;
	CK_ULONG	n;
	int		rc;

	*freed = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		gen_backoff(attempt);
		if ((rc = label_count(h, s, label, NULL, &n, rvp, e)) != 0)
			return rc;
		if (n == 0) {
			*freed = true;
			return 0;
		}
	} while (ms_since(&t0) < GEN_HOLD_MS);
	return 0;
}

/*
 * Generate a key pair in the token (PKCS#11 v2.40 section 5.13,
 * C_GenerateKeyPair) with the explicit template of hsm-notes.md section
 * 2, read the flags back, and test-sign once (verified) before handing it
 * out.  A refused or failed key is destroyed again.
 *
 * The label is checked before (a fast refusal) and looked up again after
 * the generation, because the two are not atomic: another thread or
 * process may have generated under the same label in between.  A pair
 * that is not alone with its label (told apart by its random CKA_ID) is
 * destroyed, so at most one racer keeps the label: a survivor saw no
 * other object at its second look, and any later racer sees the
 * survivor's.  When every racer gave up (the label comes free again),
 * this one tries again, up to GEN_TRIES times.
 */
int
hsm_key_generate(struct hsm *h, const char *label, enum hsm_keytype type,
    struct hsm_key **out, struct st_err *e)
{
	static const CK_BYTE	 f4[] = { 0x01, 0x00, 0x01 };
	CK_BBOOL		 yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM		 mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG		 modbits = 0, npub = 0, npriv = 0, total, mine;
	CK_ATTRIBUTE		 pub[12], priv[14];
	CK_OBJECT_HANDLE	 hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	struct hsm_key		*k = NULL;
	struct hsm_sess		 s;
	const uint8_t		*ecp = NULL;
	size_t			 ecplen = 0, llen, siglen;
	uint8_t			 id[HSM_ID_LEN], dgst[48], sig[512];
	CK_RV			 rv = CKR_OK;
	int			 rc = ST_E_INTERNAL, attempt;
	bool			 freed;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((rc = hsm_label_check(label, e)) != 0)
		goto out;
	llen = strlen(label);
	pub[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY_RECOVER, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_WRAP, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_DERIVE, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)label,
		llen };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ID, id, sizeof(id) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_SIGN_RECOVER, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_DERIVE, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_UNWRAP, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)label,
		llen };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_ID, id, sizeof(id) };
	if (is_ec(type)) {
		if (hsm_ec_params(type, &ecp, &ecplen) != 0)
			goto out;
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS,
			(void *)(uintptr_t)ecp, ecplen };
	} else if (type == HSM_KEY_RSA_2048 || type == HSM_KEY_RSA_3072) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		modbits = type == HSM_KEY_RSA_2048 ? 2048 : 3072;
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &modbits,
			sizeof(modbits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT,
			(void *)(uintptr_t)f4, sizeof(f4) };
	} else {
		rc = st_err_set(e, ST_E_USAGE, "key type %d unknown",
		    (int)type);
		goto out;
	}

	if ((rc = hsm_sess_take_rw(h, &s, e)) != 0 ||
	    (rc = label_count(h, s.h, label, NULL, &total, &rv, e)) != 0)
		goto out;
	if (total > 0) {
		rc = st_err_set(e, ST_E_EXISTS, "key label '%s' already used "
		    "in token '%s'", label, h->label);
		goto out;
	}
	for (attempt = 1;; attempt++) {
		hsm_mod_enter(h->mod);
		if ((rv = h->mod->f->C_GenerateRandom(s.h, id, sizeof(id))) !=
		    CKR_OK)
			rc = hsm_ckr_err(e, rv, "C_GenerateRandom", "token "
			    "'%s'", h->label);
		else if ((rv = h->mod->f->C_GenerateKeyPair(s.h, &mech, pub,
		    npub, priv, npriv, &hpub, &hpriv)) != CKR_OK)
			rc = hsm_ckr_err(e, rv, "C_GenerateKeyPair", "%s key "
			    "'%s' in token '%s'", hsm_keytype_name(type), label,
			    h->label);
		hsm_mod_leave(h->mod);
		if (rc != 0)
			goto out;
		rv = CKR_OK;
		if ((rc = label_count(h, s.h, label, NULL, &total, &rv,
		    e)) != 0 ||
		    (rc = label_count(h, s.h, label, id, &mine, &rv, e)) != 0)
			goto out;
		if (mine != 2) {
			rc = st_err_set(e, ST_E_HSM, "token '%s' finds %lu "
			    "objects, not 2, with the new key pair's label "
			    "'%s' and CKA_ID", h->label, (unsigned long)mine,
			    label);
			goto out;
		}
		if (total == mine)
			break;
		st_log(ST_LOG_DEBUG, "hsm: key label '%s': %lu other objects "
		    "after generation %d; giving this pair up", label,
		    (unsigned long)(total - mine), attempt);
		if ((rc = pair_destroy(h, s.h, &hpub, &hpriv, label, id,
		    e)) != 0 ||
		    (rc = label_wait(h, s.h, label, attempt, &freed, &rv,
		    e)) != 0)
			goto out;
		st_log(ST_LOG_DEBUG, "hsm: key label '%s': %s", label,
		    freed ? "came free" : "still taken");
		if (!freed || attempt == GEN_TRIES) {
			rc = st_err_set(e, ST_E_EXISTS, "key label '%s' was "
			    "taken by a concurrent key generation; nothing was "
			    "kept (token '%s')", label, h->label);
			goto out;
		}
	}

	hsm_mod_enter(h->mod);
	if ((rc = check_flags(h, s.h, hpriv, want_priv,
	    sizeof(want_priv) / sizeof(want_priv[0]), "private", e)) == 0 &&
	    (rc = check_flags(h, s.h, hpub, want_pub,
	    sizeof(want_pub) / sizeof(want_pub[0]), "public", e)) == 0)
		rc = key_build(h, &s, hpriv, &k, &rv, e);
	hsm_mod_leave(h->mod);
	if (rc != 0)
		goto out;
	if (RAND_bytes(dgst, sizeof(dgst)) != 1) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "RAND_bytes");
		goto out;
	}
	siglen = sizeof(sig);
	if ((rc = hsm_key_sign_digest(k, dgst, k->type == HSM_KEY_EC_P384 ?
	    48 : 32, sig, &siglen, e)) != 0)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
out:
	hsm_key_free(k);
	if (rc != 0 && s.rw && (hpriv != CK_INVALID_HANDLE ||
	    hpub != CK_INVALID_HANDLE))
		(void)pair_destroy(h, s.h, &hpub, &hpriv, label, id, NULL);
	hsm_sess_put(h, &s, false);
	return rc;
}

EVP_PKEY *
hsm_key_pkey(struct hsm_key *k)
{
	return k->pkey;
}

EVP_PKEY *
hsm_key_pubkey(struct hsm_key *k)
{
	return k->pub;
}

const uint8_t *
hsm_key_spki(struct hsm_key *k, size_t *len)
{
	*len = k->spkilen;
	return k->spki;
}

const char *
hsm_key_label(const struct hsm_key *k)
{
	return k->label;
}

enum hsm_keytype
hsm_key_type(const struct hsm_key *k)
{
	return k->type;
}

const uint8_t *
hsm_key_id(const struct hsm_key *k, size_t *len)
{
	*len = k->idlen;
	return k->id;
}

const char *
hsm_key_uri(const struct hsm_key *k)
{
	return k->uri;
}

const char *
hsm_key_jws_alg(const struct hsm_key *k)
{
	size_t	i;

	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].type == k->type)
			return keytypes[i].jws;
	return "none";
}
