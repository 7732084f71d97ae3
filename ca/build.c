/* SPDX-License-Identifier: ISC */
/*
 * The certificate builder of the issuance engine (docs/issuance.md) and
 * the key ceremonies (docs/ceremony.md): reading requests (PKCS#10, RFC
 * 2986, or a bare SubjectPublicKeyInfo, RFC 5280 section 4.1.2.7) and
 * judging their keys (RFC 5480 named curves P-256 and P-384, RSA of 2048
 * bits or more), CSPRNG serials (RFC 5280 section 4.1.2.2), key
 * identifiers and the signature algorithm of an HSM key, the extensions
 * stica writes (RFC 5280 sections 4.2.1.1-4.2.1.13, RFC 8226 sections
 * 8-9, RFC 9118), the after-signing check that the signed tbsCertificate
 * is the one that was linted and recorded (anchors.md section 1.3), and
 * PEM text.  The subject key is copied into a certificate without an
 * EVP_PKEY round trip by ca_spki_copy (ca/spki.c, hsm-notes.md 4.1).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ca/issue_int.h"

#define MAX_REQUEST	(64 * 1024)

/*
 * The DER inside a request as clients send it: PEM under the expected
 * label, base64 (JSON lines carry keys that way), or raw DER.
 */
int
ca_input_der(const uint8_t *p, size_t len, const char *what,
    const char *label, const char *label2, uint8_t **der, size_t *dlen,
    struct st_err *e)
{
	BIO		*b = NULL;
	char		*name = NULL, *hdr = NULL;
	unsigned char	*data = NULL;
	long		 n = 0;
	int		 rc = ST_E_INTERNAL;

	*der = NULL;
	*dlen = 0;
	while (len > 0 && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n')) {
		p++;
		len--;
	}
	if (len == 0 || len > MAX_REQUEST) {
		rc = st_err_set(e, ST_E_BADCSR, "%s: empty or larger than %d "
		    "bytes", what, MAX_REQUEST);
		goto out;
	}
	if (p[0] == 0x30) {
		if ((*der = malloc(len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		memcpy(*der, p, len);
		*dlen = len;
		rc = 0;
		goto out;
	}
	if (len > 11 && memcmp(p, "-----BEGIN ", 11) == 0) {
		if ((b = BIO_new_mem_buf(p, (int)len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		if (!PEM_read_bio(b, &name, &hdr, &data, &n)) {
			rc = st_err_ossl(e, ST_E_BADCSR, "%s: bad PEM", what);
			goto out;
		}
		if (strcmp(name, label) != 0 &&
		    (label2 == NULL || strcmp(name, label2) != 0)) {
			rc = st_err_set(e, ST_E_BADCSR, "%s: PEM label '%s', "
			    "expected '%s'", what, name, label);
			goto out;
		}
		if (n <= 0 || (*der = malloc((size_t)n)) == NULL) {
			rc = n <= 0 ? st_err_set(e, ST_E_BADCSR, "%s: empty "
			    "PEM", what) : ST_E_NOMEM;
			goto out;
		}
		memcpy(*der, data, (size_t)n);
		*dlen = (size_t)n;
		rc = 0;
		goto out;
	}
	if ((rc = st_b64_decode((const char *)p, len, der, dlen, e)) != 0) {
		rc = st_err_set(e, ST_E_BADCSR, "%s: neither PEM, base64 nor "
		    "DER", what);
		goto out;
	}
	if (*dlen == 0 || (*der)[0] != 0x30) {
		free(*der);
		*der = NULL;
		*dlen = 0;
		rc = st_err_set(e, ST_E_BADCSR, "%s: the base64 text is not "
		    "DER", what);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	BIO_free(b);
	return rc;
}

/*
 * The key types stica certifies: id-ecPublicKey with a namedCurve of
 * P-256 or P-384 (RFC 5480 section 2.1.1; implicit and explicit curves
 * are refused) whose point is uncompressed and on the curve (RFC 5480
 * section 2.2), or rsaEncryption of at least 2048 bits (RFC 8226
 * section 4 names ECDSA P-256 and RSA PKCS #1 v1.5).  EC keys are judged
 * from their bits (ca_key_facts_get), without an EVP_PKEY.
 */
static int
key_judge(struct ca_subject_key *k, const char *what, struct st_err *e)
{
	struct ca_key_facts	 f;
	const ASN1_OBJECT	*obj;
	const void		*pval;
	X509_ALGOR		*alg;
	char			 name[80];
	int			 ptype, nid, rc;

	if (!X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg, k->xpk))
		return st_err_ossl(e, ST_E_BADCSR, "%s: subject public key",
		    what);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_X9_62_id_ecPublicKey) {
		if (ptype != V_ASN1_OBJECT)
			return st_err_set(e, ST_E_BADCSR, "%s: RFC 5480 "
			    "section 2.1.1: the EC parameters must be a "
			    "namedCurve", what);
		switch (OBJ_obj2nid(pval)) {
		case NID_X9_62_prime256v1:
		case NID_secp384r1:
			break;
		default:
			OBJ_obj2txt(name, sizeof(name), pval, 0);
			return st_err_set(e, ST_E_BADCSR, "%s: curve %s is not "
			    "accepted (P-256 or P-384)", what, name);
		}
	} else if (nid != NID_rsaEncryption) {
		OBJ_obj2txt(name, sizeof(name), obj, 0);
		return st_err_set(e, ST_E_BADCSR, "%s: key algorithm %s is not "
		    "accepted (EC P-256, EC P-384 or RSA of 2048 bits or more)",
		    what, name);
	}
	if ((rc = ca_key_facts_get(k->xpk, false, &f)) != 0)
		return rc;
	k->bits = f.bits;
	if (nid == NID_rsaEncryption) {
		if (!f.decodes)
			return st_err_set(e, ST_E_BADCSR, "%s: RSA key does "
			    "not decode", what);
		if (k->bits < 2048)
			return st_err_set(e, ST_E_BADCSR, "%s: an RSA key of "
			    "%d bits is too short (at least 2048)", what,
			    k->bits);
		k->type = k->bits >= 3072 ? POL_KEY_RSA_3072 :
		    POL_KEY_RSA_2048;
		return 0;
	}
	if (!f.decodes || !f.valid)
		return st_err_set(e, ST_E_BADCSR, "%s: the EC public key does "
		    "not decode (%s)", what, f.why);
	k->type = f.type == CA_KEY_EC_P256 ? POL_KEY_EC_P256 :
	    POL_KEY_EC_P384;
	return 0;
}

void
ca_subject_key_clear(struct ca_subject_key *k)
{
	if (k == NULL)
		return;
	X509_PUBKEY_free(k->own);
	memset(k, 0, sizeof(*k));
}

/*
 * RFC 2986 section 3: the request is signed with its own key; RFC 9448
 * section 6 step 9 compares its basicConstraints cA with the token's, so
 * it is recorded here.  The key is kept as read (not decoded), to be
 * judged and copied.
 */
int
ca_csr_load(const uint8_t *p, size_t len, struct ca_subject_key *out,
    struct st_err *e)
{
	struct ca_csr	 c;
	uint8_t		*der = NULL;
	size_t		 dlen;
	int		 rc = ST_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((rc = ca_input_der(p, len, "CSR", "CERTIFICATE REQUEST",
	    "NEW CERTIFICATE REQUEST", &der, &dlen, e)) != 0 ||
	    (rc = ca_csr_decode(der, dlen, &c, e)) != 0)
		goto out;
	out->own = c.xpk;
	c.xpk = NULL;
	out->xpk = out->own;
	out->from_csr = true;
	out->csr_bc = c.bc;
	out->csr_ca = c.bc_ca;
	rc = key_judge(out, "CSR", e);
out:
	if (rc != 0)
		ca_subject_key_clear(out);
	ERR_clear_error();
	ca_csr_clear(&c);
	free(der);
	return rc;
}

int
ca_spki_load(const uint8_t *p, size_t len, struct ca_subject_key *out,
    struct st_err *e)
{
	struct st_err	 se;
	uint8_t		*der = NULL;
	size_t		 dlen;
	int		 rc = ST_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((rc = ca_input_der(p, len, "public key", "PUBLIC KEY", NULL, &der,
	    &dlen, e)) != 0)
		goto out;
	st_err_clear(&se);
	if ((rc = ca_spki_decode(der, dlen, &out->own, &se)) != 0) {
		rc = st_err_set(e, rc == ST_E_NOMEM ? rc : ST_E_BADCSR,
		    "public key: RFC 5280 section 4.1.2.7: not one "
		    "SubjectPublicKeyInfo: %s", st_err_str(&se, rc));
		goto out;
	}
	out->xpk = out->own;
	rc = key_judge(out, "public key", e);
out:
	if (rc != 0)
		ca_subject_key_clear(out);
	ERR_clear_error();
	free(der);
	return rc;
}

/*
 * CSPRNG output for serials, drawn SERIAL_BATCH serials at a time: a
 * RAND_bytes call costs about as much for 17 bytes as for 500 (the DRBG
 * updates its state around every request).  Per thread, so no lock; tied
 * to the process, so that a child after fork() never hands out the
 * serials its parent will (OpenSSL reseeds its own DRBGs after fork).
 */
#define SERIAL_BATCH	32

static _Thread_local struct {
	uint8_t	buf[CA_SERIAL_LEN * SERIAL_BATCH];
	size_t	off;
	pid_t	pid;
} serial_rand;

int
ca_serial_draw(uint8_t serial[CA_SERIAL_LEN], struct st_err *e)
{
	do {
		if (serial_rand.pid != getpid() ||
		    serial_rand.off + CA_SERIAL_LEN > sizeof(serial_rand.buf)) {
			serial_rand.pid = 0;
			if (RAND_bytes(serial_rand.buf,
			    sizeof(serial_rand.buf)) != 1)
				return st_err_ossl(e, ST_E_CRYPTO,
				    "RAND_bytes");
			serial_rand.pid = getpid();
			serial_rand.off = 0;
		}
		memcpy(serial, serial_rand.buf + serial_rand.off,
		    CA_SERIAL_LEN);
		OPENSSL_cleanse(serial_rand.buf + serial_rand.off,
		    CA_SERIAL_LEN);
		serial_rand.off += CA_SERIAL_LEN;
		serial[0] &= 0x7f;
	} while (serial[0] == 0);
	return 0;
}

/* SHA-1, fetched once: EVP_sha1() makes EVP_Digest fetch it per call. */
static EVP_MD		*sha1_md;
static pthread_once_t	 sha1_once = PTHREAD_ONCE_INIT;

static void
sha1_fetch(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

int
ca_key_id(const X509_PUBKEY *xpk, uint8_t md[20], struct st_err *e)
{
	const unsigned char	*bits;
	unsigned int		 mdlen = 20;
	int			 blen;

	pthread_once(&sha1_once, sha1_fetch);
	if (!X509_PUBKEY_get0_param(NULL, &bits, &blen, NULL, xpk) ||
	    !EVP_Digest(bits, (size_t)blen, md, &mdlen, sha1_md != NULL ?
	    sha1_md : EVP_sha1(), NULL))
		return st_err_ossl(e, ST_E_CRYPTO, "key identifier");
	return 0;
}

int
ca_issuer_ski(X509 *issuer, ASN1_OCTET_STRING **out, struct st_err *e)
{
	const ASN1_OCTET_STRING	*ski;
	uint8_t			 md[20];
	int			 rc;

	*out = NULL;
	if ((ski = X509_get0_subject_key_id(issuer)) != NULL) {
		if ((*out = ASN1_OCTET_STRING_dup(ski)) == NULL)
			return ST_E_NOMEM;
		return 0;
	}
	ERR_clear_error();
	if ((rc = ca_key_id(X509_get_X509_PUBKEY(issuer), md, e)) != 0)
		return rc;
	if ((*out = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(*out, md, sizeof(md))) {
		ASN1_OCTET_STRING_free(*out);
		*out = NULL;
		return ST_E_NOMEM;
	}
	return 0;
}

/*
 * Asked once per key: the TBS carries the algorithm before it is linted
 * (and, in issuance, recorded), so it must be what X509_sign_ctx will set.
 */
int
ca_key_sigalg(struct hsm_key *k, X509_ALGOR **out, struct st_err *e)
{
	EVP_MD_CTX		*mctx = NULL;
	EVP_PKEY_CTX		*pctx;
	OSSL_PARAM		 params[2];
	unsigned char		 buf[128];
	const unsigned char	*p = buf;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = hsm_key_sign_init(k, mctx, e)) != 0)
		goto out;
	params[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, sizeof(buf));
	params[1] = OSSL_PARAM_construct_end();
	if ((pctx = EVP_MD_CTX_get_pkey_ctx(mctx)) == NULL ||
	    !EVP_PKEY_CTX_get_params(pctx, params) ||
	    !OSSL_PARAM_modified(&params[0]) ||
	    (*out = d2i_X509_ALGOR(NULL, &p, (long)params[0].return_size)) ==
	    NULL) {
		rc = st_err_ossl(e, ST_E_HSM, "key '%s': the signature "
		    "algorithm identifier", hsm_key_label(k));
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

static int
ext_add(X509 *x, int nid, void *value, int crit, struct st_err *e)
{
	if (X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_APPEND) != 1)
		return st_err_ossl(e, ST_E_CRYPTO, "extension %s",
		    OBJ_nid2sn(nid));
	return 0;
}

/*
 * RFC 5280 section 4.2.1.9, critical (ATIS-1000080 section 6.4.1): cA
 * TRUE with an optional pathLenConstraint for a delegate CA; for an end
 * entity the SEQUENCE is empty (cA FALSE is the DEFAULT).
 */
int
ca_ext_basic_constraints(X509 *x, bool ca, int path_len, struct st_err *e)
{
	BASIC_CONSTRAINTS	*bc;
	int			 rc = ST_E_NOMEM;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		return ST_E_NOMEM;
	bc->ca = ca ? 0xff : 0;
	if (ca && path_len >= 0 && ((bc->pathlen = ASN1_INTEGER_new()) ==
	    NULL || !ASN1_INTEGER_set_int64(bc->pathlen, path_len)))
		goto out;
	rc = ext_add(x, NID_basic_constraints, bc, 1, e);
out:
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

/* RFC 5280 section 4.2.1.3, critical; bit n of bits is KeyUsage bit n. */
int
ca_ext_key_usage(X509 *x, unsigned bits, struct st_err *e)
{
	ASN1_BIT_STRING	*ku;
	int		 i, rc = ST_E_NOMEM;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < 9; i++)
		if ((bits & (1u << i)) != 0 &&
		    !ASN1_BIT_STRING_set_bit(ku, i, 1))
			goto out;
	rc = ext_add(x, NID_key_usage, ku, 1, e);
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

/*
 * RFC 5280 sections 4.2.1.2 and 4.2.1.1: SKI = SHA-1 of the subject key
 * (method 1), AKI keyIdentifier = the issuer's SKI, which RFC 9060
 * section 7 uses to pair each certificate of an x5u chain with the next;
 * a self-signed root's AKI is its own SKI.
 */
int
ca_ext_key_ids(X509 *x, const uint8_t ski[20], const ASN1_OCTET_STRING *aki,
    struct st_err *e)
{
	ASN1_OCTET_STRING	*os = NULL;
	AUTHORITY_KEYID		*akid = NULL;
	int			 rc = ST_E_NOMEM;

	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, ski, 20))
		goto out;
	if ((rc = ext_add(x, NID_subject_key_identifier, os, 0, e)) != 0)
		goto out;
	rc = ST_E_NOMEM;
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(aki != NULL ? aki : os)) ==
	    NULL)
		goto out;
	rc = ext_add(x, NID_authority_key_identifier, akid, 0, e);
out:
	ASN1_OCTET_STRING_free(os);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

/* RFC 5280 section 4.2.1.4: policy OIDs, no qualifiers. */
int
ca_ext_policies(X509 *x, const char *const *oids, size_t n, struct st_err *e)
{
	CERTIFICATEPOLICIES	*cp = NULL;
	POLICYINFO		*pi = NULL;
	size_t			 i;
	int			 rc = ST_E_NOMEM;

	if ((cp = sk_POLICYINFO_new_null()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((pi = POLICYINFO_new()) == NULL)
			goto out;
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_txt2obj(oids[i], 1)) == NULL) {
			rc = st_err_set(e, ST_E_POLICY, "certificate policy "
			    "'%s' is not a dotted OID", oids[i]);
			goto out;
		}
		if (!sk_POLICYINFO_push(cp, pi))
			goto out;
		pi = NULL;
	}
	rc = ext_add(x, NID_certificate_policies, cp, 0, e);
out:
	POLICYINFO_free(pi);
	sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
	return rc;
}

/*
 * RFC 5280 section 4.2.1.13: one DistributionPoint with one URI.  RFC
 * 5280 says to omit cRLIssuer when the issuer signs its own CRLs;
 * ATIS-1000080 v005 section 6.4.1 requires one "that matches the DN of
 * the issuer of the CRL", which the caller then gives.
 */
int
ca_ext_crldp(X509 *x, const char *url, const X509_NAME *crl_issuer,
    struct st_err *e)
{
	CRL_DIST_POINTS	*dps = NULL;
	DIST_POINT	*dp = NULL;
	GENERAL_NAME	*gn = NULL;
	ASN1_IA5STRING	*uri = NULL;
	int		 rc = ST_E_NOMEM;

	if ((dps = sk_DIST_POINT_new_null()) == NULL ||
	    (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL ||
	    (uri = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(uri, url, -1))
		goto out;
	dp->distpoint->type = 0;
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	if (crl_issuer != NULL) {
		if ((dp->CRLissuer = GENERAL_NAMES_new()) == NULL ||
		    (gn = GENERAL_NAME_new()) == NULL ||
		    (gn->d.dirn = X509_NAME_dup(crl_issuer)) == NULL)
			goto out;
		gn->type = GEN_DIRNAME;
		if (!sk_GENERAL_NAME_push(dp->CRLissuer, gn))
			goto out;
		gn = NULL;
	}
	if (!sk_DIST_POINT_push(dps, dp))
		goto out;
	dp = NULL;
	rc = ext_add(x, NID_crl_distribution_points, dps, 0, e);
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return rc;
}

/*
 * A non-critical extension whose value is already DER: TNAuthList (RFC
 * 8226 section 9: "non-critical") and the claim constraints (section 8:
 * "non-critical").
 */
/* The NIDs of the STIR extensions stica writes, looked up once. */
static const char *const stir_oids[] = { CA_OID_TNAUTHLIST, CA_OID_JWTCLAIMS,
	CA_OID_EJWTCLAIMS };
static int		 stir_nids[3];
static pthread_once_t	 stir_once = PTHREAD_ONCE_INIT;

static void
stir_nids_init(void)
{
	size_t	i;

	ca_oids_register();
	for (i = 0; i < 3; i++)
		stir_nids[i] = OBJ_txt2nid(stir_oids[i]);
	ERR_clear_error();
}

/*
 * The object of oid: for the STIR extensions OpenSSL's registered one
 * (static, never freed; ASN1_OBJECT_free ignores it), else a new one
 * parsed from the dotted text.
 */
static ASN1_OBJECT *
ext_obj(const char *oid)
{
	size_t	i;

	pthread_once(&stir_once, stir_nids_init);
	for (i = 0; i < 3; i++)
		if (stir_nids[i] != NID_undef && strcmp(oid, stir_oids[i]) == 0)
			return OBJ_nid2obj(stir_nids[i]);
	return OBJ_txt2obj(oid, 1);
}

int
ca_ext_der(X509 *x, const char *oid, const uint8_t *der, size_t len,
    struct st_err *e)
{
	ASN1_OBJECT		*obj = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	X509_EXTENSION		*ext = NULL;
	int			 rc = ST_E_INTERNAL;

	if ((obj = ext_obj(oid)) == NULL ||
	    (os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, der, (int)len) ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL ||
	    !X509_add_ext(x, ext, -1)) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "extension %s", oid);
		goto out;
	}
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static int
strv_copy(const char *const *v, size_t n, char ***out)
{
	size_t	i;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n; i++)
		if (((*out)[i] = strdup(v[i])) == NULL)
			return ST_E_NOMEM;
	return 0;
}

/*
 * JWTClaimConstraints (RFC 8226 section 8, id-pe 27) or
 * EnhancedJWTClaimConstraints (RFC 9118, id-pe 33) from a profile, for
 * end-entity certificates only (RFC 8226 section 8: "applicable only to
 * end-entity certificates").
 */
int
ca_ext_claims(X509 *x, const struct pol_claims *pc, struct st_err *e)
{
	struct ca_claims	*c = NULL;
	uint8_t			*der = NULL;
	size_t			 len, i;
	int			 rc = ST_E_NOMEM;

	if ((c = ca_claims_new(pc->enhanced)) == NULL)
		goto out;
	c->n_must_include = pc->n_must_include;
	c->n_must_exclude = pc->n_must_exclude;
	if (strv_copy(pc->must_include, pc->n_must_include,
	    &c->must_include) != 0 ||
	    strv_copy(pc->must_exclude, pc->n_must_exclude,
	    &c->must_exclude) != 0)
		goto out;
	if (pc->n_permitted > 0) {
		if ((c->permitted = calloc(pc->n_permitted,
		    sizeof(*c->permitted))) == NULL)
			goto out;
		c->n_permitted = pc->n_permitted;
		for (i = 0; i < pc->n_permitted; i++) {
			c->permitted[i].nvalues = pc->permitted[i].nvalues;
			if ((c->permitted[i].claim =
			    strdup(pc->permitted[i].claim)) == NULL ||
			    strv_copy(pc->permitted[i].values,
			    pc->permitted[i].nvalues,
			    &c->permitted[i].values) != 0)
				goto out;
		}
	}
	if ((rc = ca_claims_encode(c, &der, &len, e)) != 0)
		goto out;
	rc = ca_ext_der(x, pc->enhanced ? CA_OID_EJWTCLAIMS : CA_OID_JWTCLAIMS,
	    der, len, e);
out:
	OPENSSL_free(der);
	ca_claims_free(c);
	return rc;
}

/*
 * One TLV at *p, ending at or before end, with tag want (universal, or
 * context-specific when ctx is set).  With enter, *p moves past its
 * header (into its contents); otherwise past the whole TLV.  *tlen is
 * the length of the whole TLV.
 */
static bool
tlv(const unsigned char **p, const unsigned char *end, int want, bool ctx,
    bool enter, size_t *tlen)
{
	const unsigned char	*q = *p;
	long			 clen;
	int			 tag, cls, r;

	if (q >= end)
		return false;
	r = ASN1_get_object(&q, &clen, &tag, &cls, end - q);
	if ((r & 0x80) != 0 || r == 0x21 || tag != want ||
	    cls != (ctx ? V_ASN1_CONTEXT_SPECIFIC : V_ASN1_UNIVERSAL) ||
	    clen > end - q)
		return false;
	*tlen = (size_t)(q + clen - *p);
	*p = enter ? q : q + clen;
	return true;
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue } (RFC 5280 section 4.1), walked with ASN1_get_object:
 * the signed TBS must be the linted, recorded one, and the outer
 * signatureAlgorithm the TBS's signature field (section 4.1.1.2).  The
 * token's signature itself was verified by hsm/ before X509_sign_ctx
 * returned, so it is not verified a second time.
 */
int
ca_signed_tbs_check(const uint8_t *der, size_t len, const uint8_t *tbs,
    size_t tbs_len, struct st_err *e)
{
	const unsigned char	*p = der, *end = der + len, *t, *tend, *sa;
	const unsigned char	*tsa;
	size_t			 n, tl, sal, tsal;

	if (!tlv(&p, end, V_ASN1_SEQUENCE, false, true, &n) || n != len)
		goto bad;
	t = p;
	if (!tlv(&p, end, V_ASN1_SEQUENCE, false, false, &tl))
		goto bad;
	sa = p;
	if (!tlv(&p, end, V_ASN1_SEQUENCE, false, false, &sal) ||
	    !tlv(&p, end, V_ASN1_BIT_STRING, false, false, &n) || p != end)
		goto bad;
	if (tl != tbs_len || memcmp(t, tbs, tl) != 0)
		return st_err_set(e, ST_E_LINT, "lint e_stica_signed_tbs_equal: "
		    "anchors.md section 1.3: the signed tbsCertificate differs "
		    "from the linted and recorded one; the certificate is "
		    "discarded");
	/* Inside the TBS: [0] version, serialNumber, signature. */
	tend = t + tl;
	if (!tlv(&t, tend, V_ASN1_SEQUENCE, false, true, &n) ||
	    !tlv(&t, tend, 0, true, false, &n) ||
	    !tlv(&t, tend, V_ASN1_INTEGER, false, false, &n))
		goto bad;
	tsa = t;
	if (!tlv(&t, tend, V_ASN1_SEQUENCE, false, false, &tsal))
		goto bad;
	if (tsal != sal || memcmp(tsa, sa, sal) != 0)
		return st_err_set(e, ST_E_LINT, "lint e_stica_signed_tbs_equal: "
		    "RFC 5280 section 4.1.1.2: signatureAlgorithm differs from "
		    "the TBS signature field; the certificate is discarded");
	return 0;
bad:
	return st_err_set(e, ST_E_LINT, "lint e_stica_signed_tbs_equal: RFC "
	    "5280 section 4.1: the signed certificate is not SEQUENCE "
	    "{ tbsCertificate, signatureAlgorithm, signatureValue }");
}

/*
 * RFC 7468 text: what PEM_write_bio writes (64-character base64 lines),
 * made with EVP_EncodeBlock on 48-byte groups, without a BIO.
 */
int
ca_pem_encode(const char *label, const uint8_t *der, size_t len, char **out)
{
	size_t	lines = (len + 47) / 48, cap, off, n;
	char	*p;
	int	 w;

	*out = NULL;
	cap = 2 * (strlen(label) + 17) + lines * 65 + 1;
	if (len > INT_MAX || (p = malloc(cap)) == NULL)
		return ST_E_NOMEM;
	w = snprintf(p, cap, "-----BEGIN %s-----\n", label);
	off = (size_t)w;
	for (; len > 0; der += n, len -= n) {
		n = len > 48 ? 48 : len;
		off += (size_t)EVP_EncodeBlock((unsigned char *)p + off, der,
		    (int)n);
		p[off++] = '\n';
	}
	(void)snprintf(p + off, cap - off, "-----END %s-----\n", label);
	*out = p;
	return 0;
}
