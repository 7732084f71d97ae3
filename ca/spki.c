/* SPDX-License-Identifier: ISC */
/*
 * Subject public keys without the OpenSSL 3.0 key decoders.  Decoding a
 * SubjectPublicKeyInfo with d2i_X509_PUBKEY costs about 110 us (and
 * X509_set_pubkey 170 us, hsm-notes.md section 4.1), most of it looking
 * up and running the OSSL_DECODER chain; for the keys STIR uses, EC on
 * the named curves P-256 and P-384, the decision needs none of it:
 *
 *  - the SubjectPublicKeyInfo is read with a template of its own (RFC
 *    5280 section 4.1: SEQUENCE { AlgorithmIdentifier, BIT STRING }),
 *    strictly: canonical DER (X.690 section 10), no trailing bytes, no
 *    unused bits;
 *  - id-ecPublicKey must carry a namedCurve (RFC 5480 section 2.1.1) and
 *    the point must be uncompressed (RFC 5480 section 2.2: the one form
 *    every implementation supports; the hybrid form MUST NOT be used) and
 *    on the curve (EC_POINT_oct2point, EC_POINT_is_on_curve on a group
 *    built once).  P-256 and P-384 have cofactor 1, so a point on the
 *    curve is in the prime-order group and this is the whole of
 *    EVP_PKEY_public_check (SP 800-56A section 5.6.2.3.3), which would
 *    add a scalar multiplication;
 *  - the key is copied into a certificate field by field with
 *    X509_PUBKEY_set0_param;
 *  - a key to verify with (a CSR's self-signature) is made from domain
 *    parameters built once plus the point.
 *
 * Every other key (RSA, EdDSA, other curves, explicit parameters) goes
 * through OpenSSL's decoder and EVP_PKEY_public_check as before.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "ca/ca_int.h"

/* The curves judged from their bits: named, prime order. */
struct curve {
	int		 nid;
	unsigned	 type;		/* CA_KEY_* */
	int		 bits;
	size_t		 flen;		/* field element length */
	const char	*name;
};

static const struct curve curves[] = {
	{ NID_X9_62_prime256v1, CA_KEY_EC_P256, 256, 32, "P-256" },
	{ NID_secp384r1, CA_KEY_EC_P384, 384, 48, "P-384" },
};
#define NCURVES (sizeof(curves) / sizeof(curves[0]))

/*
 * Built once per process and only read afterwards (EC_POINT_oct2point
 * and EC_POINT_is_on_curve take a const group; EVP_PKEY_copy_parameters
 * a const source), so every thread shares them.  They live until exit.
 */
static EC_GROUP		*groups[NCURVES];
static EVP_PKEY		*domains[NCURVES];
static pthread_once_t	 curves_once = PTHREAD_ONCE_INIT;

static void
curves_init(void)
{
	EVP_PKEY_CTX	*pc;
	OSSL_PARAM	 p[2];
	size_t		 i;

	for (i = 0; i < NCURVES; i++) {
		groups[i] = EC_GROUP_new_by_curve_name(curves[i].nid);
		if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ==
		    NULL)
			continue;
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)(uintptr_t)OBJ_nid2sn(curves[i].nid), 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_fromdata_init(pc) != 1 ||
		    EVP_PKEY_fromdata(pc, &domains[i],
		    EVP_PKEY_KEY_PARAMETERS, p) != 1)
			domains[i] = NULL;
		EVP_PKEY_CTX_free(pc);
	}
	ERR_clear_error();
}

/*
 * The fast-path curve of xpk (id-ecPublicKey with a namedCurve P-256 or
 * P-384) and its index, or NULL; *pk and *pklen are the key bits.
 */
static const struct curve *
fast_curve(const X509_PUBKEY *xpk, const unsigned char **pk, int *pklen,
    size_t *idx)
{
	ASN1_OBJECT		*aobj = NULL;
	X509_ALGOR		*palg = NULL;
	const void		*pval = NULL;
	size_t			 i;
	int			 ptype = V_ASN1_UNDEF, nid;

	if (X509_PUBKEY_get0_param(&aobj, pk, pklen, &palg, xpk) != 1 ||
	    OBJ_obj2nid(aobj) != NID_X9_62_id_ecPublicKey || palg == NULL)
		return NULL;
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype != V_ASN1_OBJECT)
		return NULL;
	nid = OBJ_obj2nid(pval);
	for (i = 0; i < NCURVES; i++)
		if (curves[i].nid == nid) {
			*idx = i;
			return &curves[i];
		}
	return NULL;
}

/*
 * RFC 5480 section 2.2: an uncompressed point (0x04 || X || Y) of the
 * curve's size.  Fills why and returns false otherwise.
 */
static bool
point_form_ok(const struct curve *c, const unsigned char *pk, int pklen,
    char *why, size_t whysz)
{
	if (pklen == (int)(1 + 2 * c->flen) && pk[0] == 0x04)
		return true;
	if (pklen > 0 && (pk[0] == 0x02 || pk[0] == 0x03))
		(void)snprintf(why, whysz, "RFC 5480 section 2.2: a compressed "
		    "point; stica certifies the uncompressed form, the one "
		    "every relying party supports");
	else if (pklen > 0 && (pk[0] == 0x06 || pk[0] == 0x07))
		(void)snprintf(why, whysz, "RFC 5480 section 2.2: the hybrid "
		    "form MUST NOT be used");
	else
		(void)snprintf(why, whysz, "not an uncompressed point of %s "
		    "(%d bytes)", c->name, pklen);
	return false;
}

/* The facts of a fast-path EC key: its form, then the curve equation. */
static int
ec_facts(const struct curve *c, size_t idx, const unsigned char *pk,
    int pklen, struct ca_key_facts *f)
{
	EC_POINT	*pt = NULL;
	int		 rc = ST_E_INTERNAL;

	f->type = c->type;
	f->bits = c->bits;
	(void)snprintf(f->desc, sizeof(f->desc), "EC %s", OBJ_nid2sn(c->nid));
	if (!point_form_ok(c, pk, pklen, f->why, sizeof(f->why))) {
		rc = 0;
		goto out;
	}
	pthread_once(&curves_once, curves_init);
	if (groups[idx] == NULL || (pt = EC_POINT_new(groups[idx])) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (EC_POINT_oct2point(groups[idx], pt, pk, (size_t)pklen, NULL) !=
	    1 || EC_POINT_is_on_curve(groups[idx], pt, NULL) != 1) {
		(void)snprintf(f->why, sizeof(f->why), "not a point on %s",
		    c->name);
		rc = 0;
		goto out;
	}
	f->decodes = true;
	f->valid = true;
	rc = 0;
out:
	ERR_clear_error();
	EC_POINT_free(pt);
	return rc;
}

/* xpk's key through OpenSSL's decoder (a new reference), or NULL. */
static EVP_PKEY *
slow_decode(const X509_PUBKEY *xpk)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	EVP_PKEY		*pk = NULL;
	int			 len;

	if ((len = i2d_X509_PUBKEY(xpk, &der)) > 0) {
		p = der;
		pk = d2i_PUBKEY(NULL, &p, len);
	}
	OPENSSL_free(der);
	ERR_clear_error();
	return pk;
}

/* Keys off the fast path: OpenSSL's decoder and key check, as before. */
static int
slow_facts(const X509_PUBKEY *xpk, bool check, struct ca_key_facts *f)
{
	EVP_PKEY	*pk;
	EVP_PKEY_CTX	*pc = NULL;
	char		 group[64];
	int		 rc = ST_E_INTERNAL;

	if ((pk = slow_decode(xpk)) == NULL) {
		(void)snprintf(f->why, sizeof(f->why), "OpenSSL cannot decode "
		    "it");
		rc = 0;
		goto out;
	}
	f->decodes = true;
	f->bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) !=
		    1)
			(void)snprintf(group, sizeof(group), "unnamed curve");
		(void)snprintf(f->desc, sizeof(f->desc), "EC %.48s", group);
		if (strcmp(group, SN_X9_62_prime256v1) == 0)
			f->type = CA_KEY_EC_P256;
		else if (strcmp(group, SN_secp384r1) == 0)
			f->type = CA_KEY_EC_P384;
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		(void)snprintf(f->desc, sizeof(f->desc), "RSA %d bits",
		    f->bits);
		f->type = CA_KEY_RSA;
	} else
		(void)snprintf(f->desc, sizeof(f->desc), "%s",
		    EVP_PKEY_get0_type_name(pk) != NULL ?
		    EVP_PKEY_get0_type_name(pk) : "unknown key type");
	if (check) {
		if ((pc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		f->valid = EVP_PKEY_public_check(pc) == 1;
		if (!f->valid)
			(void)snprintf(f->why, sizeof(f->why), "it fails "
			    "OpenSSL's public-key check");
	} else
		f->valid = true;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(pk);
	return rc;
}

int
ca_key_facts_get(const X509_PUBKEY *xpk, bool check, struct ca_key_facts *f)
{
	const struct curve	*c;
	ASN1_OBJECT		*aobj = NULL;
	X509_ALGOR		*palg = NULL;
	const unsigned char	*pk = NULL;
	const void		*pval = NULL;
	size_t			 idx = 0;
	int			 pklen = 0, ptype = V_ASN1_UNDEF;

	memset(f, 0, sizeof(*f));
	f->ec_params = V_ASN1_UNDEF;
	f->curve_nid = NID_undef;
	(void)snprintf(f->desc, sizeof(f->desc), "unknown key type");
	if (xpk == NULL ||
	    X509_PUBKEY_get0_param(&aobj, &pk, &pklen, &palg, xpk) != 1) {
		(void)snprintf(f->why, sizeof(f->why), "no subject public key");
		return 0;
	}
	if (OBJ_obj2nid(aobj) == NID_X9_62_id_ecPublicKey) {
		if (palg != NULL)
			X509_ALGOR_get0(NULL, &ptype, &pval, palg);
		f->ec_params = ptype;
		if (ptype == V_ASN1_OBJECT)
			f->curve_nid = OBJ_obj2nid(pval);
	}
	if ((c = fast_curve(xpk, &pk, &pklen, &idx)) != NULL)
		return ec_facts(c, idx, pk, pklen, f);
	return slow_facts(xpk, check, f);
}

/*
 * Set xpk to algorithm a and key bits k: set0_param installs a copy of
 * the bits (and marks the BIT STRING as having no unused bits), then the
 * AlgorithmIdentifier is copied whole, parameters as they are.
 */
static int
pubkey_set(X509_PUBKEY *xpk, const X509_ALGOR *a, const unsigned char *k,
    int klen)
{
	const ASN1_OBJECT	*aobj = NULL;
	X509_ALGOR		*dst = NULL;
	ASN1_OBJECT		*obj;
	unsigned char		*bits;

	X509_ALGOR_get0(&aobj, NULL, NULL, a);
	if (aobj == NULL || klen < 0)
		return ST_E_INTERNAL;
	if ((bits = OPENSSL_memdup(k, klen > 0 ? (size_t)klen : 1)) == NULL)
		return ST_E_NOMEM;
	if ((obj = OBJ_dup(aobj)) == NULL) {
		OPENSSL_free(bits);
		return ST_E_NOMEM;
	}
	if (!X509_PUBKEY_set0_param(xpk, obj, V_ASN1_UNDEF, NULL, bits,
	    klen)) {
		ASN1_OBJECT_free(obj);
		OPENSSL_free(bits);
		return ST_E_NOMEM;
	}
	if (X509_PUBKEY_get0_param(NULL, NULL, NULL, &dst, xpk) != 1 ||
	    dst == NULL || !X509_ALGOR_copy(dst, a))
		return ST_E_NOMEM;
	return 0;
}

int
ca_spki_decode(const uint8_t *der, size_t len, X509_PUBKEY **out,
    struct st_err *e)
{
	SubjectPublicKeyInfo	*s = NULL;
	X509_PUBKEY		*x = NULL;
	const unsigned char	*p = der;
	unsigned char		*re = NULL;
	const ASN1_BIT_STRING	*bs;
	int			 rl, rc = ST_E_INTERNAL;

	*out = NULL;
	/*
	 * The template first; the header walk only to name what is wrong
	 * (whatever it refuses, the template or the DER comparison below
	 * refuses too: truncation, indefinite lengths, trailing bytes).
	 */
	if (len == 0 || len > LONG_MAX ||
	    (s = d2i_SubjectPublicKeyInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		ERR_clear_error();
		if ((rc = ca_der_diagnose(der, len, "SubjectPublicKeyInfo",
		    e)) != 0)
			goto out;
		rc = st_err_set(e, ST_E_ASN1, "SubjectPublicKeyInfo: RFC 5280 "
		    "section 4.1: not SEQUENCE { algorithm "
		    "AlgorithmIdentifier, subjectPublicKey BIT STRING }");
		goto out;
	}
	if ((rl = i2d_SubjectPublicKeyInfo(s, &re)) <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "SubjectPublicKeyInfo: "
		    "re-encoding");
		goto out;
	}
	if ((rc = ca_der_same(der, len, re, (size_t)rl,
	    "SubjectPublicKeyInfo", e)) != 0)
		goto out;
	bs = s->subjectPublicKey;
	if ((bs->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 &&
	    (bs->flags & 0x07) != 0) {
		rc = st_err_set(e, ST_E_ASN1, "SubjectPublicKeyInfo: the "
		    "subjectPublicKey BIT STRING has %ld unused bits; a key is "
		    "a whole number of octets", bs->flags & 0x07);
		goto out;
	}
	if ((x = X509_PUBKEY_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = pubkey_set(x, s->algorithm, bs->data, bs->length)) != 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	ERR_clear_error();
	X509_PUBKEY_free(x);
	OPENSSL_free(re);
	SubjectPublicKeyInfo_free(s);
	return rc;
}

int
ca_pubkey_copy(X509_PUBKEY *dst, const X509_PUBKEY *src, struct st_err *e)
{
	X509_ALGOR		*a = NULL;
	const unsigned char	*k = NULL;
	int			 klen = 0, rc;

	if (dst == NULL ||
	    X509_PUBKEY_get0_param(NULL, &k, &klen, &a, src) != 1 ||
	    a == NULL || k == NULL)
		return st_err_set(e, ST_E_INTERNAL, "subject key: nothing to "
		    "copy");
	if ((rc = pubkey_set(dst, a, k, klen)) != 0)
		return st_err_set(e, rc, "subject key: copying the "
		    "SubjectPublicKeyInfo");
	return 0;
}

int
ca_spki_copy(X509 *x, const X509_PUBKEY *src, struct st_err *e)
{
	return ca_pubkey_copy(X509_get_X509_PUBKEY(x), src, e);
}

int
ca_spki_pkey(const X509_PUBKEY *xpk, EVP_PKEY **out, struct st_err *e)
{
	const struct curve	*c;
	const unsigned char	*pk = NULL;
	EVP_PKEY		*k = NULL;
	char			 why[128];
	size_t			 idx = 0;
	int			 pklen = 0, rc = ST_E_INTERNAL;

	*out = NULL;
	if ((c = fast_curve(xpk, &pk, &pklen, &idx)) == NULL) {
		if ((k = slow_decode(xpk)) == NULL) {
			rc = st_err_set(e, ST_E_BADCSR, "the subject public "
			    "key does not decode");
			goto out;
		}
		*out = k;
		k = NULL;
		rc = 0;
		goto out;
	}
	if (!point_form_ok(c, pk, pklen, why, sizeof(why))) {
		rc = st_err_set(e, ST_E_BADCSR, "the subject public key does "
		    "not decode (%s)", why);
		goto out;
	}
	pthread_once(&curves_once, curves_init);
	if (domains[idx] == NULL || (k = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(k, domains[idx]) != 1) {
		rc = ST_E_NOMEM;
		goto out;
	}
	/* EC_POINT_oct2point underneath refuses a point off the curve. */
	if (EVP_PKEY_set1_encoded_public_key(k, pk, (size_t)pklen) != 1) {
		rc = st_err_set(e, ST_E_BADCSR, "the subject public key does "
		    "not decode (not a point on %s)", c->name);
		goto out;
	}
	*out = k;
	k = NULL;
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	return rc;
}
