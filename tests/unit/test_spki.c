/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the key and request parsers that keep public keys away
 * from the OpenSSL 3.0 decoders (ca/spki.c, ca/csr.c): SubjectPublicKeyInfo
 * read strictly (RFC 5280 section 4.1, X.690 DER), EC keys judged from
 * their bits (RFC 5480 sections 2.1.1 and 2.2: named P-256/P-384,
 * uncompressed points on the curve), the field-by-field copy into a
 * certificate, and PKCS#10 requests (RFC 2986) verified over the exact
 * CertificationRequestInfo bytes.
 *
 * Keys and requests are made by the openssl command-line tool, which also
 * judges them independently (openssl pkey, openssl req -verify); OpenSSL's
 * own decoders (d2i_PUBKEY, EVP_PKEY_public_check, d2i_X509_REQ,
 * X509_REQ_verify) judge every mutation of a good key and request: when
 * the new parsers accept something, OpenSSL's must accept it too.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ca/ca_int.h"
#include "ca/issue_int.h"
#include "tests/unit/harness.h"

static char	dir[256];

/* Run a shell command in dir, quietly; its exit status. */
static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char	cmd[2048], full[2400];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && (%s) >/dev/null 2>&1", dir,
	    cmd);
	st = system(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A file of dir, malloc'd contents. */
static uint8_t *
slurp(const char *name, size_t *len)
{
	char	 path[512];
	uint8_t	*p = NULL;
	FILE	*f;
	long	 n;

	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n)) != NULL &&
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (p != NULL)
		*len = (size_t)n;
	fclose(f);
	return p;
}

static int
spit(const char *name, const uint8_t *p, size_t len)
{
	char	 path[512];
	FILE	*f;
	int	 ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	ok = fwrite(p, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

/* OpenSSL's own verdict on an SPKI: decodes and passes the key check. */
static int
openssl_key_ok(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	EVP_PKEY		*k;
	EVP_PKEY_CTX		*c = NULL;
	int			 ok = 0;

	if ((k = d2i_PUBKEY(NULL, &p, (long)len)) != NULL &&
	    p == der + len &&
	    (c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) != NULL)
		ok = EVP_PKEY_public_check(c) == 1;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

/* The facts of an SPKI in DER, or -1 when ca_spki_decode refuses it. */
static int
facts_of(const uint8_t *der, size_t len, struct ca_key_facts *f,
    struct st_err *e)
{
	X509_PUBKEY	*x = NULL;
	int		 rc;

	memset(f, 0, sizeof(*f));
	if ((rc = ca_spki_decode(der, len, &x, e)) != 0)
		return rc;
	rc = ca_key_facts_get(x, true, f);
	X509_PUBKEY_free(x);
	return rc;
}

/* ca_spki_load's verdict (the issuance judge) and its message. */
static int
judge(const uint8_t *der, size_t len, enum pol_key_type *t, struct st_err *e)
{
	struct ca_subject_key	k;
	int			rc;

	st_err_clear(e);
	rc = ca_spki_load(der, len, &k, e);
	if (rc == 0 && t != NULL)
		*t = k.type;
	ca_subject_key_clear(&k);
	return rc;
}

/*
 * openssl req -verify on a DER request: 1 "verify OK", 0 "verify
 * failure" (OpenSSL 3.0 exits 0 either way), -1 neither.
 */
static int
req_verify(const char *name)
{
	if (sh("openssl req -in %s -inform DER -verify -noout 2>&1 | grep -q "
	    "'self-signature verify OK'", name) == 0)
		return 1;
	if (sh("openssl req -in %s -inform DER -verify -noout 2>&1 | grep -q "
	    "'self-signature verify failure'", name) == 0)
		return 0;
	return -1;
}

/* EC key NAME.key and its SPKI NAME.der, made by openssl. */
static int
mk_ec(const char *name, const char *curve, const char *pubopts)
{
	return sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:%s "
	    "-out %s.key && openssl ec -in %s.key -pubout -outform DER %s "
	    "-out %s.der", curve, name, name, pubopts, name);
}

static void
test_spki_good(void)
{
	static const struct {
		const char	*curve;
		unsigned	 type;
		int		 bits;
		const char	*desc;
	} c[] = {
		{ "P-256", CA_KEY_EC_P256, 256, "EC prime256v1" },
		{ "P-384", CA_KEY_EC_P384, 384, "EC secp384r1" },
	};
	struct ca_key_facts	 f;
	struct st_err		 e;
	enum pol_key_type	 t;
	uint8_t			*der;
	size_t			 len, i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ASSERT_INT_EQ(mk_ec("good", c[i].curve, ""), 0);
		ASSERT_INT_EQ(sh("openssl pkey -pubin -inform DER -in good.der "
		    "-noout"), 0);
		ASSERT_NONNULL(der = slurp("good.der", &len));
		ASSERT_INT_EQ(facts_of(der, len, &f, NULL), 0);
		ASSERT_TRUE(f.decodes && f.valid);
		ASSERT_INT_EQ(f.type, c[i].type);
		ASSERT_INT_EQ(f.bits, c[i].bits);
		ASSERT_INT_EQ(f.ec_params, V_ASN1_OBJECT);
		ASSERT_STR_EQ(f.desc, c[i].desc);
		ASSERT_TRUE(openssl_key_ok(der, len));
		ASSERT_INT_EQ(judge(der, len, &t, &e), 0);
		ASSERT_INT_EQ(t, i == 0 ? POL_KEY_EC_P256 : POL_KEY_EC_P384);
		free(der);
	}
	ASSERT_INT_EQ(sh("openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out rsa.key && openssl pkey -in rsa.key "
	    "-pubout -outform DER -out rsa.der"), 0);
	ASSERT_NONNULL(der = slurp("rsa.der", &len));
	ASSERT_INT_EQ(facts_of(der, len, &f, NULL), 0);
	ASSERT_TRUE(f.decodes && f.valid);
	ASSERT_INT_EQ(f.type, CA_KEY_RSA);
	ASSERT_INT_EQ(f.bits, 2048);
	ASSERT_INT_EQ(judge(der, len, &t, &e), 0);
	ASSERT_INT_EQ(t, POL_KEY_RSA_2048);
	free(der);
}

/* What openssl makes but stica refuses, each with its reason. */
static void
test_spki_refused(void)
{
	struct ca_key_facts	 f;
	struct st_err		 e;
	uint8_t			*der;
	size_t			 len;

	/* RFC 5480 2.1.1: explicit parameters (openssl accepts them). */
	ASSERT_INT_EQ(sh("openssl ecparam -name prime256v1 -param_enc explicit "
	    "-genkey -noout -out expl.key && openssl ec -in expl.key -pubout "
	    "-param_enc explicit -outform DER -out expl.der && "
	    "openssl asn1parse -inform DER -in expl.der | grep -q "
	    "'prime-field'"), 0);
	ASSERT_NONNULL(der = slurp("expl.der", &len));
	ASSERT_TRUE(openssl_key_ok(der, len));
	ASSERT_INT_EQ(facts_of(der, len, &f, NULL), 0);
	ASSERT_INT_EQ(f.ec_params, V_ASN1_SEQUENCE);
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "RFC 5480 section 2.1.1");
	ASSERT_STR_CONTAINS(e.msg, "namedCurve");
	free(der);
	/* RFC 5480 2.2: compressed (openssl accepts it) and hybrid forms. */
	ASSERT_INT_EQ(mk_ec("comp", "P-256", "-conv_form compressed"), 0);
	ASSERT_NONNULL(der = slurp("comp.der", &len));
	ASSERT_INT_EQ(len, 59);
	ASSERT_TRUE(openssl_key_ok(der, len));
	ASSERT_INT_EQ(facts_of(der, len, &f, NULL), 0);
	ASSERT_FALSE(f.decodes);
	ASSERT_STR_CONTAINS(f.why, "compressed");
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "RFC 5480 section 2.2: a compressed point");
	free(der);
	ASSERT_INT_EQ(mk_ec("hyb", "P-256", "-conv_form hybrid"), 0);
	ASSERT_NONNULL(der = slurp("hyb.der", &len));
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "hybrid form MUST NOT be used");
	free(der);
	/* Other curves and algorithms are named. */
	ASSERT_INT_EQ(mk_ec("p521", "P-521", ""), 0);
	ASSERT_NONNULL(der = slurp("p521.der", &len));
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "curve secp521r1 is not accepted");
	free(der);
	ASSERT_INT_EQ(sh("openssl genpkey -algorithm ed25519 -out ed.key && "
	    "openssl pkey -in ed.key -pubout -outform DER -out ed.der"), 0);
	ASSERT_NONNULL(der = slurp("ed.der", &len));
	ASSERT_INT_EQ(facts_of(der, len, &f, NULL), 0);
	ASSERT_TRUE(f.decodes);
	ASSERT_INT_EQ(f.type, 0);
	ASSERT_STR_EQ(f.desc, "ED25519");
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "key algorithm ED25519 is not accepted");
	free(der);
	ASSERT_INT_EQ(sh("openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:1024 -out r1k.key && openssl pkey -in r1k.key "
	    "-pubout -outform DER -out r1k.der"), 0);
	ASSERT_NONNULL(der = slurp("r1k.der", &len));
	ASSERT_INT_EQ(judge(der, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "RSA key of 1024 bits is too short");
	free(der);
}

/* Broken encodings of a good P-256 key. */
static void
test_spki_bad_der(void)
{
	struct ca_key_facts	 f;
	struct st_err		 e;
	uint8_t			*der, *m;
	size_t			 len;

	ASSERT_INT_EQ(mk_ec("base", "P-256", ""), 0);
	ASSERT_NONNULL(der = slurp("base.der", &len));
	ASSERT_INT_EQ(len, 91);
	ASSERT_NONNULL(m = malloc(len + 2));
	/* A point off the curve: openssl refuses it too. */
	memcpy(m, der, len);
	m[len - 1] ^= 0x01;
	ASSERT_TRUE(spit("off.der", m, len));
	ASSERT_INT_NE(sh("openssl pkey -pubin -inform DER -in off.der -noout"),
	    0);
	ASSERT_FALSE(openssl_key_ok(m, len));
	ASSERT_INT_EQ(facts_of(m, len, &f, NULL), 0);
	ASSERT_FALSE(f.decodes);
	ASSERT_STR_EQ(f.why, "not a point on P-256");
	ASSERT_INT_EQ(judge(m, len, NULL, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "does not decode (not a point on P-256)");
	/* Trailing bytes. */
	memcpy(m, der, len);
	m[len] = 0x00;
	st_err_clear(&e);
	ASSERT_INT_EQ(facts_of(m, len + 1, &f, &e), ST_E_ASN1);
	ASSERT_STR_CONTAINS(e.msg, "trailing byte");
	ASSERT_INT_EQ(judge(m, len + 1, NULL, &e), ST_E_BADCSR);
	/* Truncated. */
	st_err_clear(&e);
	ASSERT_INT_EQ(facts_of(der, len - 1, &f, &e), ST_E_ASN1);
	ASSERT_STR_CONTAINS(e.msg, "truncated");
	/* BER: the outer length in long form (X.690 10.1). */
	m[0] = 0x30;
	m[1] = 0x81;
	memcpy(m + 2, der + 1, len - 1);
	st_err_clear(&e);
	ASSERT_INT_EQ(facts_of(m, len + 1, &f, &e), ST_E_DER);
	ASSERT_STR_CONTAINS(e.msg, "X.690 section 10");
	/* A BIT STRING with an unused bit (the key is whole octets). */
	memcpy(m, der, len);
	ASSERT_INT_EQ(m[23], 0x03);	/* 03 42 00 04 ... */
	ASSERT_INT_EQ(m[25], 0x00);
	m[25] = 0x01;
	m[len - 1] &= 0xfe;
	st_err_clear(&e);
	ASSERT_INT_EQ(facts_of(m, len, &f, &e), ST_E_ASN1);
	ASSERT_STR_CONTAINS(e.msg, "unused bits");
	/* Not an SPKI at all, and nothing. */
	ASSERT_INT_EQ(facts_of((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &f,
	    NULL), ST_E_ASN1);
	ASSERT_INT_EQ(facts_of(der, 0, &f, NULL), ST_E_ASN1);
	free(m);
	free(der);
}

/*
 * Every one-bit change and every truncation of good keys: whatever the
 * new path accepts as a valid key, OpenSSL's decoder and key check
 * accept too (the converse fails only for the forms stica refuses).
 */
static void
test_spki_mutations(void)
{
	static const char *const names[] = { "mp256", "mp384" };
	static const char *const curves[] = { "P-256", "P-384" };
	struct ca_key_facts	 f;
	uint8_t			*der, *m;
	size_t			 len, i, b, k, accepted = 0, agree = 0;

	for (k = 0; k < 2; k++) {
		ASSERT_INT_EQ(mk_ec(names[k], curves[k], ""), 0);
		{
			char n[32];

			snprintf(n, sizeof(n), "%s.der", names[k]);
			ASSERT_NONNULL(der = slurp(n, &len));
		}
		ASSERT_NONNULL(m = malloc(len));
		for (i = 0; i < len; i++)
			for (b = 0; b < 8; b++) {
				memcpy(m, der, len);
				m[i] ^= (uint8_t)(1u << b);
				if (facts_of(m, len, &f, NULL) != 0 ||
				    !f.decodes || !f.valid)
					continue;
				accepted++;
				/* only a change of the curve OID can pass */
				ASSERT_TRUE(openssl_key_ok(m, len));
				agree++;
			}
		for (i = 0; i < len; i++)
			ASSERT_INT_NE(facts_of(der, i, &f, NULL), 0);
		free(m);
		free(der);
	}
	ASSERT_INT_EQ(accepted, agree);
}

/* The copy into a certificate is the request's SPKI, byte for byte. */
static void
test_spki_copy(void)
{
	struct ca_key_facts	 a, b;
	X509_PUBKEY		*x = NULL;
	X509			*c;
	unsigned char		*out = NULL;
	uint8_t			*der;
	size_t			 len;
	int			 olen;

	ASSERT_INT_EQ(mk_ec("copy", "P-384", ""), 0);
	ASSERT_NONNULL(der = slurp("copy.der", &len));
	ASSERT_INT_EQ(ca_spki_decode(der, len, &x, NULL), 0);
	ASSERT_NONNULL(c = X509_new());
	ASSERT_INT_EQ(ca_spki_copy(c, x, NULL), 0);
	/* no decoded key in the certificate: nothing went through EVP_PKEY */
	ASSERT_TRUE(X509_get0_pubkey(c) == NULL);
	ERR_clear_error();
	ASSERT_TRUE((olen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c), &out)) >
	    0);
	ASSERT_MEM_EQ(out, (size_t)olen, der, len);
	ASSERT_INT_EQ(ca_key_facts_get(x, true, &a), 0);
	ASSERT_INT_EQ(ca_key_facts_get(X509_get_X509_PUBKEY(c), true, &b), 0);
	ASSERT_TRUE(a.decodes && b.decodes && a.type == b.type &&
	    a.type == CA_KEY_EC_P384);
	OPENSSL_free(out);
	X509_free(c);
	X509_PUBKEY_free(x);
	free(der);
}

/* ca_csr_load on a file of dir; its message in e. */
static int
csr_of(const char *name, struct ca_subject_key *k, struct st_err *e)
{
	uint8_t	*der;
	size_t	 len;
	int	 rc;

	st_err_clear(e);
	if ((der = slurp(name, &len)) == NULL)
		return -100;
	rc = ca_csr_load(der, len, k, e);
	free(der);
	return rc;
}

/* OpenSSL's verdict on a CSR in DER: one request whose signature holds. */
static int
openssl_csr_ok(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509_REQ		*q;
	EVP_PKEY		*k;
	int			 ok = 0;

	if ((q = d2i_X509_REQ(NULL, &p, (long)len)) != NULL &&
	    p == der + len && (k = X509_REQ_get0_pubkey(q)) != NULL)
		ok = X509_REQ_verify(q, k) == 1;
	X509_REQ_free(q);
	ERR_clear_error();
	return ok;
}

static void
test_csr_good(void)
{
	struct ca_subject_key	k;
	struct st_err		e;

	ASSERT_INT_EQ(mk_ec("ck", "P-256", ""), 0);
	ASSERT_INT_EQ(sh("openssl req -new -key ck.key -subj /CN=a -outform "
	    "DER -out c1.der && openssl req -new -key ck.key -subj /CN=b "
	    "-addext basicConstraints=critical,CA:TRUE -outform DER -out "
	    "c2.der && openssl req -new -key ck.key -subj /CN=c -addext "
	    "basicConstraints=critical,CA:FALSE -outform DER -out c3.der"), 0);
	ASSERT_INT_EQ(req_verify("c1.der"), 1);
	ASSERT_INT_EQ(csr_of("c1.der", &k, &e), 0);
	ASSERT_TRUE(k.from_csr && !k.csr_bc);
	ASSERT_INT_EQ(k.type, POL_KEY_EC_P256);
	ca_subject_key_clear(&k);
	ASSERT_INT_EQ(csr_of("c2.der", &k, &e), 0);
	ASSERT_TRUE(k.csr_bc && k.csr_ca);
	ca_subject_key_clear(&k);
	ASSERT_INT_EQ(csr_of("c3.der", &k, &e), 0);
	ASSERT_TRUE(k.csr_bc && !k.csr_ca);
	ca_subject_key_clear(&k);
	/* P-384 with SHA-384; RSA PKCS#1 v1.5 and RSASSA-PSS. */
	ASSERT_INT_EQ(mk_ec("ck384", "P-384", ""), 0);
	ASSERT_INT_EQ(sh("openssl req -new -key ck384.key -sha384 -subj /CN=d "
	    "-outform DER -out c4.der"), 0);
	ASSERT_INT_EQ(csr_of("c4.der", &k, &e), 0);
	ASSERT_INT_EQ(k.type, POL_KEY_EC_P384);
	ca_subject_key_clear(&k);
	ASSERT_INT_EQ(sh("openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out crsa.key && openssl req -new -key "
	    "crsa.key -subj /CN=e -outform DER -out c5.der && openssl req -new "
	    "-key crsa.key -subj /CN=f -sigopt rsa_padding_mode:pss -outform "
	    "DER -out c6.der"), 0);
	ASSERT_INT_EQ(req_verify("c6.der"), 1);
	ASSERT_INT_EQ(csr_of("c5.der", &k, &e), 0);
	ASSERT_INT_EQ(k.type, POL_KEY_RSA_2048);
	ca_subject_key_clear(&k);
	ASSERT_INT_EQ(csr_of("c6.der", &k, &e), 0);
	ASSERT_INT_EQ(k.type, POL_KEY_RSA_2048);
	ca_subject_key_clear(&k);
	/* PEM, as clients send it. */
	ASSERT_INT_EQ(sh("openssl req -in c2.der -inform DER -out c2.pem"), 0);
	ASSERT_INT_EQ(csr_of("c2.pem", &k, &e), 0);
	ASSERT_TRUE(k.csr_bc && k.csr_ca);
	ca_subject_key_clear(&k);
}

static void
test_csr_bad(void)
{
	CertificationRequest	*cr = NULL;
	struct ca_subject_key	 k;
	struct st_err		 e;
	const unsigned char	*p;
	unsigned char		*out = NULL;
	uint8_t			*der, *m;
	size_t			 len, i;
	int			 olen;

	ASSERT_INT_EQ(mk_ec("bk", "P-256", ""), 0);
	ASSERT_INT_EQ(sh("openssl req -new -key bk.key -subj /CN=bad -outform "
	    "DER -out b.der"), 0);
	ASSERT_NONNULL(der = slurp("b.der", &len));
	ASSERT_NONNULL(m = malloc(len + 1));
	/* A bad signature: the last byte belongs to s. */
	memcpy(m, der, len);
	m[len - 1] ^= 0x01;
	ASSERT_TRUE(spit("bsig.der", m, len));
	ASSERT_INT_EQ(req_verify("bsig.der"), 0);
	ASSERT_INT_EQ(csr_of("bsig.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "RFC 2986 section 3: the signature does "
	    "not verify");
	/* Trailing bytes. */
	memcpy(m, der, len);
	m[len] = 0;
	ASSERT_TRUE(spit("btrail.der", m, len + 1));
	ASSERT_INT_EQ(csr_of("btrail.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "not one CertificationRequest");
	/* A point off the curve (openssl refuses it too). */
	memcpy(m, der, len);
	for (i = 0; i + 3 < len; i++)
		if (m[i] == 0x03 && m[i + 1] == 0x42 && m[i + 2] == 0x00 &&
		    m[i + 3] == 0x04)
			break;
	ASSERT_TRUE(i + 3 < len);
	m[i + 3 + 64] ^= 0x01;
	ASSERT_TRUE(spit("boff.der", m, len));
	ASSERT_FALSE(openssl_csr_ok(m, len));
	ASSERT_INT_EQ(csr_of("boff.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "not a point on P-256");
	/* Version 1 (RFC 2986 4.1: 0) */
	memcpy(m, der, len);
	for (i = 0; i + 2 < len; i++)
		if (m[i] == 0x02 && m[i + 1] == 0x01 && m[i + 2] == 0x00)
			break;
	m[i + 2] = 0x01;
	ASSERT_TRUE(spit("bver.der", m, len));
	ASSERT_INT_EQ(csr_of("bver.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "version must be 0");
	/* A signature algorithm of another key type (openssl refuses too). */
	p = der;
	ASSERT_NONNULL(cr = d2i_CertificationRequest(NULL, &p, (long)len));
	ASSERT_TRUE(X509_ALGOR_set0(cr->signatureAlgorithm,
	    OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL, NULL));
	ASSERT_TRUE((olen = i2d_CertificationRequest(cr, &out)) > 0);
	ASSERT_TRUE(spit("balg.der", out, (size_t)olen));
	ASSERT_INT_NE(req_verify("balg.der"), 1);
	ASSERT_INT_EQ(csr_of("balg.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "does not verify");
	OPENSSL_free(out);
	CertificationRequest_free(cr);
	/* Explicit parameters, compressed points: signed, then refused. */
	ASSERT_INT_EQ(sh("openssl ecparam -name prime256v1 -param_enc explicit "
	    "-genkey -noout -out bexp.key && openssl req -new -key bexp.key "
	    "-subj /CN=x -outform DER -out bexp.der && openssl ec -in bk.key "
	    "-conv_form compressed -out bcmp.key && openssl req -new -key "
	    "bcmp.key -subj /CN=y -outform DER -out bcmp.der"), 0);
	ASSERT_INT_EQ(req_verify("bexp.der"), 1);
	ASSERT_INT_EQ(csr_of("bexp.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "namedCurve");
	ASSERT_INT_EQ(csr_of("bcmp.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "compressed");
	/* EdDSA: verified by OpenSSL's path, then the key type refused. */
	ASSERT_INT_EQ(sh("openssl genpkey -algorithm ed25519 -out bed.key && "
	    "openssl req -new -key bed.key -subj /CN=z -outform DER -out "
	    "bed.der"), 0);
	ASSERT_INT_EQ(csr_of("bed.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "key algorithm ED25519 is not accepted");
	/* Signed with SHA-1: a valid signature, but no proof (OpenSSL accepts). */
	ASSERT_INT_EQ(sh("openssl req -new -key bk.key -sha1 -subj /CN=s1 "
	    "-outform DER -out bsha1.der"), 0);
	ASSERT_INT_EQ(req_verify("bsha1.der"), 1);
	ASSERT_INT_EQ(csr_of("bsha1.der", &k, &e), ST_E_BADCSR);
	ASSERT_STR_CONTAINS(e.msg, "signed with SHA1");
	free(m);
	free(der);
}

/*
 * Every one-bit change and truncation of a good request: the new reader
 * never accepts what OpenSSL's d2i_X509_REQ + X509_REQ_verify refuse.
 */
static void
test_csr_mutations(void)
{
	struct ca_csr	 c;
	uint8_t		*der, *m;
	size_t		 len, i, b, accepted = 0;

	ASSERT_INT_EQ(mk_ec("mk", "P-256", ""), 0);
	ASSERT_INT_EQ(sh("openssl req -new -key mk.key -subj /CN=mut -addext "
	    "basicConstraints=critical,CA:FALSE -outform DER -out m.der"), 0);
	ASSERT_NONNULL(der = slurp("m.der", &len));
	ASSERT_NONNULL(m = malloc(len));
	ASSERT_INT_EQ(ca_csr_decode(der, len, &c, NULL), 0);
	ca_csr_clear(&c);
	for (i = 0; i < len; i++)
		for (b = 0; b < 8; b++) {
			memcpy(m, der, len);
			m[i] ^= (uint8_t)(1u << b);
			if (ca_csr_decode(m, len, &c, NULL) != 0)
				continue;
			ca_csr_clear(&c);
			accepted++;
			ASSERT_TRUE(openssl_csr_ok(m, len));
		}
	for (i = 0; i < len; i++)
		ASSERT_INT_NE(ca_csr_decode(der, i, &c, NULL), 0);
	/* every byte is either structure or signed: nothing passes */
	ASSERT_INT_EQ(accepted, 0);
	free(m);
	free(der);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 rc;

	snprintf(dir, sizeof(dir), "%s/test_spki.XXXXXX", tmp != NULL &&
	    *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_spki_good);
	RUN(test_spki_refused);
	RUN(test_spki_bad_der);
	RUN(test_spki_mutations);
	RUN(test_spki_copy);
	RUN(test_csr_good);
	RUN(test_csr_bad);
	RUN(test_csr_mutations);
	rc = th_done("spki");
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
