/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the issuance engine's builder (ca/build.c), run by
 * tests/integ/test_issue.sh: request decoding (PEM, base64, DER; CSR
 * signatures and basicConstraints), the key types stica certifies and the
 * ones it refuses (RFC 5480 named curves, RSA sizes, Ed25519, explicit
 * curve parameters, broken encodings), an accepted key copied into a
 * certificate field by field as issuance does (ca_spki_copy), serials
 * (RFC 5280 4.1.2.2, at least 128 random bits), and
 * the after-signing check that the signed TBS is the linted one and the
 * outer signatureAlgorithm the TBS's (anchors.md section 1.3), against
 * certificates signed with software keys and then tampered with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ca/issue_int.h"
#include "tests/unit/harness.h"

static EVP_PKEY *
keygen(const char *alg, const char *param)
{
	if (strcmp(alg, "EC") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	if (strcmp(alg, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)atoi(param));
	return EVP_PKEY_Q_keygen(NULL, NULL, alg);
}

/* The SubjectPublicKeyInfo DER of k (OPENSSL_malloc'd). */
static int
spki_der(EVP_PKEY *k, unsigned char **der)
{
	*der = NULL;
	return i2d_PUBKEY(k, der);
}

static void
test_input_forms(void)
{
	EVP_PKEY	*k = keygen("EC", "P-256");
	unsigned char	*der = NULL;
	char		*pem = NULL, *b64 = NULL;
	uint8_t		*out = NULL;
	size_t		 olen;
	struct st_err	 e;
	int		 len;

	ASSERT_NONNULL(k);
	ASSERT_TRUE((len = spki_der(k, &der)) > 0);
	ASSERT_INT_EQ(ca_input_der(der, (size_t)len, "k", "PUBLIC KEY", NULL,
	    &out, &olen, NULL), 0);
	ASSERT_MEM_EQ(out, olen, der, (size_t)len);
	free(out);
	ASSERT_INT_EQ(ca_pem_encode("PUBLIC KEY", der, (size_t)len, &pem), 0);
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)pem, strlen(pem), "k",
	    "PUBLIC KEY", NULL, &out, &olen, NULL), 0);
	ASSERT_MEM_EQ(out, olen, der, (size_t)len);
	free(out);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)pem, strlen(pem), "k",
	    "CERTIFICATE REQUEST", NULL, &out, &olen, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "PEM label 'PUBLIC KEY'");
	ASSERT_INT_EQ(st_b64_encode(der, (size_t)len, &b64), 0);
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)b64, strlen(b64), "k",
	    "PUBLIC KEY", NULL, &out, &olen, NULL), 0);
	ASSERT_MEM_EQ(out, olen, der, (size_t)len);
	free(out);
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)"#not a key", 10, "k",
	    "PUBLIC KEY", NULL, &out, &olen, NULL), ST_E_BADCSR);
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)"", 0, "k", "PUBLIC KEY",
	    NULL, &out, &olen, NULL), ST_E_BADCSR);
	ASSERT_TRUE(out == NULL && olen == 0);
	/* base64 of something that is not DER */
	ASSERT_INT_EQ(ca_input_der((const uint8_t *)"aGVsbG8=", 8, "k",
	    "PUBLIC KEY", NULL, &out, &olen, NULL), ST_E_BADCSR);
	free(b64);
	free(pem);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/*
 * Judge k's SPKI as issuance does (ca_spki_load), and copy an accepted
 * key into a certificate (ca_spki_copy): the certificate must carry the
 * same SubjectPublicKeyInfo, byte for byte.
 */
static int
judge(EVP_PKEY *k, const uint8_t *raw, size_t rawlen, enum pol_key_type *t,
    struct st_err *e)
{
	struct ca_subject_key	 a;
	unsigned char		*der = NULL, *out = NULL;
	X509			*x = NULL;
	int			 len = 0, olen, rc;

	if (k != NULL) {
		if ((len = spki_der(k, &der)) <= 0)
			return -100;
		raw = der;
		rawlen = (size_t)len;
	}
	if ((rc = ca_spki_load(raw, rawlen, &a, e)) == 0) {
		if ((x = X509_new()) == NULL)
			rc = -100;
		else if (ca_spki_copy(x, a.xpk, NULL) != 0 ||
		    (olen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &out)) <=
		    0 || (size_t)olen != rawlen ||
		    memcmp(out, raw, rawlen) != 0)
			rc = -101;
		else
			*t = a.type;
	}
	ca_subject_key_clear(&a);
	X509_free(x);
	OPENSSL_free(out);
	OPENSSL_free(der);
	return rc;
}

static void
test_key_types(void)
{
	static const uint8_t	 trunc[] = { 0x30, 0x59, 0x30, 0x13, 0x06,
		0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	static const uint8_t	 notseq[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
		0x02, 0x01, 0x01 };
	EVP_PKEY		*k;
	enum pol_key_type	 t = POL_KEY_NONE;
	struct st_err		 e;

	k = keygen("EC", "P-256");
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, NULL), 0);
	ASSERT_INT_EQ(t, POL_KEY_EC_P256);
	EVP_PKEY_free(k);
	k = keygen("EC", "P-384");
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, NULL), 0);
	ASSERT_INT_EQ(t, POL_KEY_EC_P384);
	EVP_PKEY_free(k);
	k = keygen("EC", "P-521");
	st_err_clear(&e);
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "curve secp521r1 is not accepted");
	/* The same curve with explicit parameters (RFC 5480 2.1.1). */
	ASSERT_TRUE(EVP_PKEY_set_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_EXPLICIT));
	st_err_clear(&e);
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "namedCurve");
	EVP_PKEY_free(k);
	k = keygen("ED25519", NULL);
	st_err_clear(&e);
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "key algorithm ED25519 is not accepted");
	EVP_PKEY_free(k);
	k = keygen("RSA", "1024");
	st_err_clear(&e);
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "1024 bits is too short");
	EVP_PKEY_free(k);
	k = keygen("RSA", "2048");
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, NULL), 0);
	ASSERT_INT_EQ(t, POL_KEY_RSA_2048);
	EVP_PKEY_free(k);
	k = keygen("RSA", "3072");
	ASSERT_INT_EQ(judge(k, NULL, 0, &t, NULL), 0);
	ASSERT_INT_EQ(t, POL_KEY_RSA_3072);
	EVP_PKEY_free(k);
	/* Broken encodings fail cleanly on both paths. */
	ASSERT_INT_EQ(judge(NULL, trunc, sizeof(trunc), &t, NULL),
	    ST_E_BADCSR);
	ASSERT_INT_EQ(judge(NULL, notseq, sizeof(notseq), &t, NULL),
	    ST_E_BADCSR);
}

/* A CSR for k, with basicConstraints cA set as asked (-1: none). */
static X509_REQ *
csr(EVP_PKEY *k, int ca)
{
	X509_REQ			*q = X509_REQ_new();
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	X509_EXTENSION			*ext;

	if (q == NULL || !X509_REQ_set_pubkey(q, k))
		goto bad;
	if (ca >= 0) {
		if ((ext = X509V3_EXT_conf_nid(NULL, NULL,
		    NID_basic_constraints, ca ? "critical,CA:TRUE" :
		    "critical,CA:FALSE")) == NULL ||
		    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    !sk_X509_EXTENSION_push(exts, ext) ||
		    !X509_REQ_add_extensions(q, exts))
			goto bad;
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	}
	if (X509_REQ_sign(q, k, EVP_sha256()) <= 0)
		goto bad;
	return q;
bad:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(q);
	return NULL;
}

static void
test_csr(void)
{
	EVP_PKEY		*k = keygen("EC", "P-256");
	X509_REQ		*q;
	struct ca_subject_key	 sk;
	unsigned char		*der = NULL;
	struct st_err		 e;
	int			 len, ca;

	ASSERT_NONNULL(k);
	for (ca = -1; ca <= 1; ca++) {
		ASSERT_NONNULL(q = csr(k, ca));
		der = NULL;
		ASSERT_TRUE((len = i2d_X509_REQ(q, &der)) > 0);
		X509_REQ_free(q);
		ASSERT_INT_EQ(ca_csr_load(der, (size_t)len, &sk, NULL), 0);
		ASSERT_TRUE(sk.from_csr);
		ASSERT_INT_EQ(sk.type, POL_KEY_EC_P256);
		ASSERT_INT_EQ(sk.csr_bc, ca >= 0);
		ASSERT_INT_EQ(sk.csr_ca, ca == 1);
		ca_subject_key_clear(&sk);
		/* The last byte is part of the signature's s value. */
		der[len - 1] ^= 0x01;
		st_err_clear(&e);
		ASSERT_INT_EQ(ca_csr_load(der, (size_t)len, &sk, &e),
		    ST_E_BADCSR);
		ASSERT_STR_CONTAINS(e.msg, "signature does not verify");
		st_err_clear(&e);
		ASSERT_INT_EQ(ca_csr_load(der, (size_t)len - 3, &sk, &e),
		    ST_E_BADCSR);
		OPENSSL_free(der);
	}
	EVP_PKEY_free(k);
}

static void
test_serials(void)
{
	uint8_t	s[CA_SERIAL_LEN], prev[CA_SERIAL_LEN];
	char	hex[2 * CA_SERIAL_LEN + 1];
	int	i, high = 0;

	memset(prev, 0, sizeof(prev));
	for (i = 0; i < 20000; i++) {
		ASSERT_INT_EQ(ca_serial_draw(s, NULL), 0);
		/* Positive, no leading zero octet (RFC 5280 4.1.2.2). */
		ASSERT_TRUE(s[0] >= 0x01 && s[0] <= 0x7f);
		ASSERT_TRUE(memcmp(s, prev, sizeof(s)) != 0);
		memcpy(prev, s, sizeof(s));
		high |= s[0];
	}
	/* Every bit of the first octet but the sign bit is random. */
	ASSERT_INT_EQ(high, 0x7f);
	st_hex_write(s, sizeof(s), hex);
	ASSERT_INT_EQ(strlen(hex), 2 * CA_SERIAL_LEN);
}

/* A certificate signed with a software key; its DER and TBS. */
static int
signed_cert(EVP_PKEY *k, unsigned char **der, int *dlen, unsigned char **tbs,
    int *tlen)
{
	X509		*x = X509_new();
	X509_NAME	*n = NULL;
	int		 ok = 0;

	if (x == NULL || (n = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"t", -1, -1, 0) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 12345) ||
	    !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) ||
	    !X509_set_pubkey(x, k) || X509_sign(x, k, EVP_sha256()) <= 0)
		goto out;
	*der = NULL;
	*tbs = NULL;
	if ((*dlen = i2d_X509(x, der)) <= 0 ||
	    (*tlen = i2d_re_X509_tbs(x, tbs)) <= 0)
		goto out;
	ok = 1;
out:
	X509_NAME_free(n);
	X509_free(x);
	return ok;
}

static void
test_signed_tbs(void)
{
	EVP_PKEY	*k = keygen("EC", "P-256");
	unsigned char	*der = NULL, *tbs = NULL, *m = NULL, *p;
	struct st_err	 e;
	int		 dlen, tlen;
	size_t		 i;

	ASSERT_NONNULL(k);
	ASSERT_TRUE(signed_cert(k, &der, &dlen, &tbs, &tlen));
	ASSERT_INT_EQ(ca_signed_tbs_check(der, (size_t)dlen, tbs,
	    (size_t)tlen, NULL), 0);
	/* One changed TBS byte. */
	ASSERT_NONNULL(m = OPENSSL_memdup(der, (size_t)dlen));
	m[4 + tlen / 2] ^= 0x01;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_signed_tbs_check(m, (size_t)dlen, tbs, (size_t)tlen,
	    &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "lint e_stica_signed_tbs_equal");
	ASSERT_STR_CONTAINS(e.msg, "differs from the linted");
	/* The outer signatureAlgorithm: ecdsa-with-SHA256 -> SHA384. */
	memcpy(m, der, (size_t)dlen);
	p = m + 4 + tlen;
	for (i = 0; i + 10 < (size_t)(dlen - 4 - tlen); i++)
		if (p[i] == 0x06 && p[i + 1] == 0x08 && p[i + 9] == 0x02) {
			p[i + 9] = 0x03;
			break;
		}
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_signed_tbs_check(m, (size_t)dlen, tbs, (size_t)tlen,
	    &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "section 4.1.1.2");
	/* Truncated, and with a trailing byte. */
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_signed_tbs_check(der, (size_t)dlen - 1, tbs,
	    (size_t)tlen, &e), ST_E_LINT);
	OPENSSL_free(m);
	ASSERT_NONNULL(m = OPENSSL_malloc((size_t)dlen + 1));
	memcpy(m, der, (size_t)dlen);
	m[dlen] = 0;
	ASSERT_INT_EQ(ca_signed_tbs_check(m, (size_t)dlen + 1, tbs,
	    (size_t)tlen, NULL), ST_E_LINT);
	/* A TBS of another certificate. */
	ASSERT_INT_EQ(ca_signed_tbs_check(der, (size_t)dlen, tbs,
	    (size_t)tlen - 1, NULL), ST_E_LINT);
	OPENSSL_free(m);
	OPENSSL_free(der);
	OPENSSL_free(tbs);
	EVP_PKEY_free(k);
}

/*
 * The subject key copied into a certificate as issuance copies it
 * (ca_spki_copy): the same SPKI, byte for byte, the same key, and no
 * decoded key in the certificate; its key identifier is method (1)'s.
 */
static void
test_spki_copy(void)
{
	EVP_PKEY		*k = keygen("EC", "P-256"), *ck = NULL;
	struct ca_subject_key	 sk;
	X509			*x = X509_new();
	unsigned char		*a = NULL, *b = NULL, md[20];
	uint8_t			 id[20];
	unsigned int		 mdlen = sizeof(md);
	int			 al, bl;

	ASSERT_NONNULL(k);
	ASSERT_NONNULL(x);
	ASSERT_TRUE((al = spki_der(k, &a)) > 0);
	ASSERT_INT_EQ(ca_spki_load(a, (size_t)al, &sk, NULL), 0);
	ASSERT_INT_EQ(ca_spki_copy(x, sk.xpk, NULL), 0);
	ASSERT_TRUE(X509_get0_pubkey(x) == NULL);
	ERR_clear_error();
	ASSERT_TRUE((bl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &b)) > 0);
	ASSERT_MEM_EQ(a, (size_t)al, b, (size_t)bl);
	ASSERT_INT_EQ(ca_spki_pkey(X509_get_X509_PUBKEY(x), &ck, NULL), 0);
	ASSERT_INT_EQ(EVP_PKEY_eq(ck, k), 1);
	ASSERT_INT_EQ(ca_key_id(sk.xpk, id, NULL), 0);
	ASSERT_INT_EQ(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
	ASSERT_MEM_EQ(id, sizeof(id), md, (size_t)mdlen);
	ca_subject_key_clear(&sk);
	EVP_PKEY_free(ck);
	X509_free(x);
	OPENSSL_free(a);
	OPENSSL_free(b);
	EVP_PKEY_free(k);
}

int
main(void)
{
	RUN(test_input_forms);
	RUN(test_key_types);
	RUN(test_csr);
	RUN(test_serials);
	RUN(test_signed_tbs);
	RUN(test_spki_copy);
	return th_done("issue_unit");
}
