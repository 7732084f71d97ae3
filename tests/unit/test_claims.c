/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the claim-constraint codecs (ca/claims.c): RFC 8226
 * section 8 JWTClaimConstraints and RFC 9118 EnhancedJWTClaimConstraints.
 *
 * Known answers come from outside stica: the pyasn1-modules RFC 8226 test
 * vector, the RFC 9118 Figure 2 extension value and the RFC 9118 Figure 1
 * certificate.  The negative vectors are hand-built DER, one rule each;
 * every one must be refused with the expected code and a message naming
 * the rule.  A mutation loop flips every bit of the good vectors.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "common/common.h"
#include "tests/unit/harness.h"

/* pyasn1-modules tests/test_rfc8226.py (stir-facts.md section 7.3). */
static const char v8226_b64[] =
    "MD2gBzAFFgNmb2+hMjAwMBkWA2ZvbzASDARmb28xDARmb28yDARmb28zMBMWA2JhcjAMDARi"
    "YXIxDARiYXIy";

/* RFC 9118 Figure 2 (section 5). */
static const char v9118_hex[] =
    "3040A00E300C160A636F6E666964656E6365A120301E301C160A636F6E666964656E63"
    "65300E0C04686967680C066D656469756DA20C300A16087072696F72697479";

/* RFC 9118 Figure 1: the example certificate carrying Figure 2. */
static const char rfc9118_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICpzCCAk2gAwIBAgIUH7Zd3rQ5AsvOlzLnzUHhrVhDSlswCgYIKoZIzj0EAwIw\n"
    "KTELMAkGA1UEBhMCVVMxGjAYBgNVBAMMEUJPR1VTIFNIQUtFTiBST09UMB4XDTIx\n"
    "MDcxNTIxNTIxNVoXDTIyMDcxNTIxNTIxNVowbDELMAkGA1UEBhMCVVMxCzAJBgNV\n"
    "BAgMAlZBMRAwDgYDVQQHDAdIZXJuZG9uMR4wHAYDVQQKDBVCb2d1cyBFeGFtcGxl\n"
    "IFRlbGVjb20xDTALBgNVBAsMBFZvSVAxDzANBgNVBAMMBlNIQUtFTjBZMBMGByqG\n"
    "SM49AgEGCCqGSM49AwEHA0IABNR6C6nBWRA/fXTglV03aXkXy8hx9oBttVLhsTZ1\n"
    "IYVRBao4OZhVf/Xv1a3xLsZ6KfdhuylSeAKuCoSbVGojYDGjggEOMIIBCjAMBgNV\n"
    "HRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDAdBgNVHQ4EFgQUDlG3dxHyzKL/FZfS\n"
    "PI7rpuueRbswHwYDVR0jBBgwFoAUlToKtrQeFrwwyXpMj1qu3TQEeoEwQgYJYIZI\n"
    "AYb4QgENBDUWM1RoaXMgY2VydGlmaWNhdGUgY2Fubm90IGJlIHRydXN0ZWQgZm9y\n"
    "IGFueSBwdXJwb3NlLjAWBggrBgEFBQcBGgQKMAigBhYEMTIzNDBOBggrBgEFBQcB\n"
    "IQRCMECgDjAMFgpjb25maWRlbmNloSAwHjAcFgpjb25maWRlbmNlMA4MBGhpZ2gM\n"
    "Bm1lZGl1baIMMAoWCHByaW9yaXR5MAoGCCqGSM49BAMCA0gAMEUCIQCbNR4QK1um\n"
    "+0vq2CE1B1/W3avYeREsPi/7RKHffL+5eQIgarHot+X9Rl7SOyNBq5X5JyEMx0SQ\n"
    "hRLkCY3Zoz2OCNQ=\n"
    "-----END CERTIFICATE-----\n";

/* Decode hex into a malloc'd buffer; aborts the program on bad input. */
static uint8_t *
hex(const char *s, size_t *len)
{
	uint8_t	*p;

	if (st_hex_decode(s, strlen(s), &p, len, NULL) != 0) {
		fprintf(stderr, "bad test vector %s\n", s);
		exit(2);
	}
	return p;
}

static uint8_t *
b64(const char *s, size_t *len)
{
	uint8_t	*p;

	if (st_b64_decode(s, strlen(s), &p, len, NULL) != 0) {
		fprintf(stderr, "bad test vector %s\n", s);
		exit(2);
	}
	return p;
}

/* A heap copy of an array of n string literals. */
static char **
strv(size_t n, const char *const *v)
{
	char	**r;
	size_t	  i;

	if ((r = calloc(n, sizeof(*r))) == NULL)
		exit(2);
	for (i = 0; i < n; i++)
		if ((r[i] = strdup(v[i])) == NULL)
			exit(2);
	return r;
}

static void
set_include(struct ca_claims *c, size_t n, const char *const *v)
{
	c->must_include = strv(n, v);
	c->n_must_include = n;
}

static void
set_exclude(struct ca_claims *c, size_t n, const char *const *v)
{
	c->must_exclude = strv(n, v);
	c->n_must_exclude = n;
}

/* Append a permittedValues entry. */
static void
add_permitted(struct ca_claims *c, const char *claim, size_t n,
    const char *const *v)
{
	struct ca_claim_values	*p;

	p = realloc(c->permitted, (c->n_permitted + 1) * sizeof(*p));
	if (p == NULL)
		exit(2);
	c->permitted = p;
	p = &c->permitted[c->n_permitted++];
	if ((p->claim = strdup(claim)) == NULL)
		exit(2);
	p->values = n == 0 ? NULL : strv(n, v);
	p->nvalues = n;
}

/* The value of the pyasn1 vector, built by hand. */
static struct ca_claims *
make_8226(bool enhanced)
{
	static const char *const inc[] = { "foo" };
	static const char *const foo[] = { "foo1", "foo2", "foo3" };
	static const char *const bar[] = { "bar1", "bar2" };
	struct ca_claims	*c;

	if ((c = ca_claims_new(enhanced)) == NULL)
		exit(2);
	set_include(c, 1, inc);
	add_permitted(c, "foo", 3, foo);
	add_permitted(c, "bar", 2, bar);
	return c;
}

/* The value of RFC 9118 Figure 2, built by hand. */
static struct ca_claims *
make_9118(void)
{
	static const char *const inc[] = { "confidence" };
	static const char *const val[] = { "high", "medium" };
	static const char *const exc[] = { "priority" };
	struct ca_claims	*c;

	if ((c = ca_claims_new(true)) == NULL)
		exit(2);
	set_include(c, 1, inc);
	add_permitted(c, "confidence", 2, val);
	set_exclude(c, 1, exc);
	return c;
}

static void
test_decode_pyasn1_vector(void)
{
	struct ca_claims	*c = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der, *re = NULL;
	size_t			 len, relen;
	int			 rc;

	der = b64(v8226_b64, &len);
	rc = ca_claims_decode(der, len, false, &c, &e);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_NONNULL(c);
	ASSERT_FALSE(c->enhanced);
	ASSERT_INT_EQ(c->n_must_include, 1);
	ASSERT_STR_EQ(c->must_include[0], "foo");
	ASSERT_INT_EQ(c->n_permitted, 2);
	ASSERT_STR_EQ(c->permitted[0].claim, "foo");
	ASSERT_INT_EQ(c->permitted[0].nvalues, 3);
	ASSERT_STR_EQ(c->permitted[0].values[0], "foo1");
	ASSERT_STR_EQ(c->permitted[0].values[1], "foo2");
	ASSERT_STR_EQ(c->permitted[0].values[2], "foo3");
	ASSERT_STR_EQ(c->permitted[1].claim, "bar");
	ASSERT_INT_EQ(c->permitted[1].nvalues, 2);
	ASSERT_STR_EQ(c->permitted[1].values[0], "bar1");
	ASSERT_STR_EQ(c->permitted[1].values[1], "bar2");
	ASSERT_INT_EQ(c->n_must_exclude, 0);
	rc = ca_claims_encode(c, &re, &relen, &e);
	ASSERT_INT_EQ(rc, 0);
	ASSERT_MEM_EQ(re, relen, der, len);
	OPENSSL_free(re);
	ca_claims_free(c);
	free(der);
}

/* The RFC 8226 value is also a valid EnhancedJWTClaimConstraints. */
static void
test_decode_pyasn1_vector_enhanced(void)
{
	struct ca_claims	*c = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der;
	size_t			 len;

	der = b64(v8226_b64, &len);
	ASSERT_INT_EQ(ca_claims_decode(der, len, true, &c, &e), 0);
	ASSERT_TRUE(c->enhanced);
	ASSERT_INT_EQ(c->n_permitted, 2);
	ASSERT_INT_EQ(c->n_must_exclude, 0);
	ca_claims_free(c);
	free(der);
}

static void
test_encode_pyasn1_vector(void)
{
	struct ca_claims	*c = make_8226(false);
	struct st_err		 e = { 0 };
	uint8_t			*der, *out = NULL;
	size_t			 len, olen;

	der = b64(v8226_b64, &len);
	ASSERT_INT_EQ(ca_claims_encode(c, &out, &olen, &e), 0);
	ASSERT_MEM_EQ(out, olen, der, len);
	OPENSSL_free(out);
	ca_claims_free(c);
	free(der);
}

static void
test_decode_rfc9118_figure2(void)
{
	struct ca_claims	*c = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der, *re = NULL;
	size_t			 len, relen;

	der = hex(v9118_hex, &len);
	ASSERT_INT_EQ(len, 66);
	ASSERT_INT_EQ(ca_claims_decode(der, len, true, &c, &e), 0);
	ASSERT_TRUE(c->enhanced);
	ASSERT_INT_EQ(c->n_must_include, 1);
	ASSERT_STR_EQ(c->must_include[0], "confidence");
	ASSERT_INT_EQ(c->n_permitted, 1);
	ASSERT_STR_EQ(c->permitted[0].claim, "confidence");
	ASSERT_INT_EQ(c->permitted[0].nvalues, 2);
	ASSERT_STR_EQ(c->permitted[0].values[0], "high");
	ASSERT_STR_EQ(c->permitted[0].values[1], "medium");
	ASSERT_INT_EQ(c->n_must_exclude, 1);
	ASSERT_STR_EQ(c->must_exclude[0], "priority");
	ASSERT_INT_EQ(ca_claims_encode(c, &re, &relen, &e), 0);
	ASSERT_MEM_EQ(re, relen, der, len);
	OPENSSL_free(re);
	ca_claims_free(c);
	free(der);
}

static void
test_encode_rfc9118_figure2(void)
{
	struct ca_claims	*c = make_9118();
	struct st_err		 e = { 0 };
	uint8_t			*der, *out = NULL;
	size_t			 len, olen;

	der = hex(v9118_hex, &len);
	ASSERT_INT_EQ(ca_claims_encode(c, &out, &olen, &e), 0);
	ASSERT_MEM_EQ(out, olen, der, len);
	OPENSSL_free(out);
	ca_claims_free(c);
	free(der);
}

/* Figure 2 has mustExclude [2]: not a JWTClaimConstraints (RFC 8226). */
static void
test_decode_rfc9118_as_8226(void)
{
	struct ca_claims	*c = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der;
	size_t			 len;

	der = hex(v9118_hex, &len);
	ASSERT_INT_EQ(ca_claims_decode(der, len, false, &c, &e), ST_E_ASN1);
	ASSERT_TRUE(c == NULL);
	ASSERT_STR_CONTAINS(e.msg, "RFC 8226 section 8");
	ASSERT_STR_CONTAINS(e.msg, "no [2]");
	free(der);
}

/* The RFC 9118 Figure 1 certificate carries exactly Figure 2. */
static void
test_rfc9118_certificate(void)
{
	BIO			*bio;
	X509			*x;
	ASN1_OBJECT		*obj;
	const ASN1_OCTET_STRING	*os;
	struct ca_claims	*c = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der;
	size_t			 len;
	int			 idx;

	bio = BIO_new_mem_buf(rfc9118_cert, -1);
	ASSERT_NONNULL(bio);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ASSERT_NONNULL(x);
	obj = OBJ_txt2obj(CA_OID_EJWTCLAIMS, 1);
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	ASSERT_TRUE(idx >= 0);
	os = X509_EXTENSION_get_data(X509_get_ext(x, idx));
	der = hex(v9118_hex, &len);
	ASSERT_MEM_EQ(ASN1_STRING_get0_data(os), ASN1_STRING_length(os), der,
	    len);
	ASSERT_INT_EQ(ca_claims_decode(ASN1_STRING_get0_data(os),
	    (size_t)ASN1_STRING_length(os), true, &c, &e), 0);
	ASSERT_STR_EQ(c->must_exclude[0], "priority");
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), 0);
	ca_claims_free(c);
	free(der);
	X509_free(x);
}

struct neg {
	const char	*name;
	const char	*hex;
	bool		 enhanced;
	int		 code;
	const char	*msg1;	/* substrings the message must contain */
	const char	*msg2;
};

static const struct neg negs[] = {
	{ "no component", "3000", true, ST_E_CLAIMS, "WITH COMPONENTS",
	    "RFC 9118 section 3" },
	{ "no component (8226)", "3000", false, ST_E_CLAIMS,
	    "WITH COMPONENTS", "RFC 8226 section 8" },
	{ "empty mustInclude", "3004A0023000", false, ST_E_CLAIMS,
	    "SIZE (1..MAX)", "mustInclude" },
	{ "empty permittedValues", "3004A1023000", false, ST_E_CLAIMS,
	    "SIZE (1..MAX)", "permittedValues" },
	{ "empty mustExclude", "3004A2023000", true, ST_E_CLAIMS,
	    "SIZE (1..MAX)", "mustExclude" },
	{ "claim without values", "300DA10B300930071603666F6F3000", false,
	    ST_E_CLAIMS, "SIZE (1..MAX) OF UTF8String", "\"foo\"" },
	{ "empty claim name", "3006A00430021600", false, ST_E_CLAIMS,
	    "JWTClaimName is empty", "mustInclude entry 1" },
	{ "IMPLICIT [0]", "3007A0051603666F6F", false, ST_E_ASN1,
	    "IMPLICIT", "mustInclude [0]" },
	{ "IMPLICIT primitive [0]", "30058003666F6F", false, ST_E_ASN1,
	    "IMPLICIT", "EXPLICIT TAGS" },
	{ "IMPLICIT [1]", "3010A10E300C1603666F6F30050C03626172", false,
	    ST_E_ASN1, "IMPLICIT", "permittedValues [1]" },
	{ "IMPLICIT [1], two entries",
	    "301EA11C300C1603666F6F30050C03626172300C1603626172"
	    "30050C03666F6F", false, ST_E_ASN1, "IMPLICIT",
	    "permittedValues [1]" },
	{ "IMPLICIT [2]", "3007A2051603666F6F", true, ST_E_ASN1, "IMPLICIT",
	    "mustExclude [2]" },
	{ "SET instead of SEQUENCE", "3009A00731051603666F6F", false,
	    ST_E_ASN1, "holds a SET", "expected a SEQUENCE OF" },
	{ "trailing byte", "3009A00730051603666F6F00", false, ST_E_ASN1,
	    "trailing", NULL },
	{ "trailing SEQUENCE", "3009A00730051603666F6F3000", false, ST_E_ASN1,
	    "trailing", NULL },
	{ "non-minimal length", "308109A00730051603666F6F", false, ST_E_DER,
	    "X.690", "offset 0 has 3 header octets" },
	{ "non-minimal inner length", "300AA0083081051603666F6F", false,
	    ST_E_DER, "X.690", NULL },
	{ "indefinite length", "3080A00730051603666F6F0000", false, ST_E_DER,
	    "indefinite", NULL },
	{ "truncated", "3009A00730051603666F", false, ST_E_ASN1, "truncated",
	    NULL },
	{ "outer SET", "3109A00730051603666F6F", false, ST_E_ASN1,
	    "must be a SEQUENCE", NULL },
	{ "baseline iat excluded", "3009A20730051603696174", true,
	    ST_E_CLAIMS, "RFC 9118 section 3", "\"iat\"" },
	{ "baseline orig excluded",
	    "300FA20D300B1603666F6F16046F726967", true, ST_E_CLAIMS,
	    "RFC 9118 section 3", "\"orig\"" },
	{ "baseline dest excluded", "300AA2083006160464657374", true,
	    ST_E_CLAIMS, "RFC 9118 section 3", "\"dest\"" },
	{ "include and exclude",
	    "3012A00730051603666F6FA20730051603666F6F", true, ST_E_CLAIMS,
	    "RFC 9118 section 8", "\"foo\"" },
	{ "include and exclude, second entries",
	    "301CA00C300A1603616161160362626AA20C300A1603636363"
	    "160362626A", true, ST_E_CLAIMS, "RFC 9118 section 8", "\"bbj\"" },
	{ "mustExclude in RFC 8226 form", "3009A20730051603626172", false,
	    ST_E_ASN1, "no [2]", "RFC 9118" },
	{ "out of order", "3012A20730051603626172A00730051603666F6F", true,
	    ST_E_ASN1, "out of order", NULL },
	{ "duplicate [0]", "3012A00730051603626172A00730051603666F6F", true,
	    ST_E_ASN1, "appears twice", NULL },
	{ "unknown tag [3]", "3009A30730051603626172", true, ST_E_ASN1,
	    "0xa3", NULL },
	{ "universal element", "30051603666F6F", true, ST_E_ASN1, "0x16",
	    NULL },
	{ "value not UTF-8 (0xff)",
	    "3012A110300E300C1603666F6F30050C0362FF72", false, ST_E_CLAIMS,
	    "UTF-8", "0xff" },
	{ "value overlong UTF-8", "3011A10F300D300B1603666F6F30040C02C0AF",
	    false, ST_E_CLAIMS, "UTF-8", "0xc0" },
	{ "value UTF-16 surrogate",
	    "3012A110300E300C1603666F6F30050C03EDA080", false, ST_E_CLAIMS,
	    "UTF-8", "0xed" },
	{ "value truncated UTF-8", "3011A10F300D300B1603666F6F30040C02E282",
	    false, ST_E_CLAIMS, "UTF-8", "offset 0" },
	{ "value above U+10FFFF",
	    "3013A111300F300D1603666F6F30060C04F4908080", false, ST_E_CLAIMS,
	    "UTF-8", "0xf4" },
	{ "value with NUL", "3012A110300E300C1603666F6F30050C03610062",
	    false, ST_E_CLAIMS, "NUL", NULL },
	{ "value as IA5String", "3012A110300E300C1603666F6F30051603626172",
	    false, ST_E_ASN1, NULL, NULL },
	{ "claim name not ASCII", "3009A00730051603668F6F", false,
	    ST_E_CLAIMS, "printable ASCII", "0x8f" },
	{ "claim name with NUL", "3009A00730051603660065", false, ST_E_CLAIMS,
	    "printable ASCII", "0x00" },
	{ "claim name with control", "3009A0073005160366096F", false,
	    ST_E_CLAIMS, "printable ASCII", "0x09" },
	{ "permitted claim not ASCII",
	    "3012A110300E300C1603666FFF30050C03626172", true, ST_E_CLAIMS,
	    "printable ASCII", "permittedValues entry 1" },
	{ "empty input", "", false, ST_E_ASN1, "empty", NULL },
};

static void
test_decode_negative(void)
{
	struct ca_claims	*c;
	struct st_err		 e;
	uint8_t			*der = NULL;
	size_t			 i, len = 0;
	int			 rc;

	for (i = 0; i < sizeof(negs) / sizeof(negs[0]); i++) {
		const struct neg *n = &negs[i];

		st_err_clear(&e);
		free(der);
		der = NULL;
		len = 0;
		if (n->hex[0] != '\0' && st_hex_decode(n->hex, strlen(n->hex),
		    &der, &len, NULL) != 0) {
			/* An odd-length vector is a typo in this file. */
			fprintf(stderr, "    vector \"%s\": bad hex\n",
			    n->name);
			ASSERT_TRUE(0);
		}
		c = (struct ca_claims *)&e; /* must be cleared */
		rc = ca_claims_decode(der != NULL ? der : (const uint8_t *)"",
		    len, n->enhanced, &c, &e);
		if (rc != n->code || c != NULL || (n->msg1 != NULL &&
		    strstr(e.msg, n->msg1) == NULL) || (n->msg2 != NULL &&
		    strstr(e.msg, n->msg2) == NULL) || e.code != rc) {
			fprintf(stderr, "    vector \"%s\": rc %d (%s), "
			    "wanted %d, message \"%s\"\n", n->name, rc,
			    st_err_name(rc), n->code, e.msg);
			free(der);
			ASSERT_TRUE(0);
		}
		if (getenv("TH_VERBOSE") != NULL)
			fprintf(stderr, "    %-36s %s\n", n->name, e.msg);
	}
	free(der);
}

/* Each refusal by the encoder: one rule per case. */
static void
test_encode_negative(void)
{
	static const char *const bad_utf8[] = { "ok", "b\xff" };
	static const char *const surrogate[] = { "\xed\xa0\x80" };
	static const char *const one[] = { "x" };
	static const char *const inc[] = { "a", "priority", "b" };
	static const char *const iat[] = { "iat" };
	static const char *const dest[] = { "x", "dest" };
	static const char *const nonascii[] = { "caf\xc3\xa9" };
	static const char *const empty[] = { "" };
	struct ca_claims	*c;
	struct st_err		 e = { 0 };
	uint8_t			*der = (uint8_t *)&e;
	size_t			 len = 9;

	/* No component at all. */
	c = ca_claims_new(false);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_TRUE(der == NULL);
	ASSERT_INT_EQ(len, 0);
	ASSERT_STR_CONTAINS(e.msg, "WITH COMPONENTS");
	ca_claims_free(c);

	/* A claim with no permitted value. */
	st_err_clear(&e);
	c = ca_claims_new(false);
	add_permitted(c, "foo", 0, NULL);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "SIZE (1..MAX) OF UTF8String");
	ca_claims_free(c);

	/* Invalid UTF-8 values. */
	st_err_clear(&e);
	c = ca_claims_new(true);
	add_permitted(c, "foo", 2, bad_utf8);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "value 2");
	ASSERT_STR_CONTAINS(e.msg, "UTF-8");
	ca_claims_free(c);
	st_err_clear(&e);
	c = ca_claims_new(true);
	add_permitted(c, "foo", 1, surrogate);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "UTF-8");
	ca_claims_free(c);

	/* Claim names: ASCII only, not empty. */
	st_err_clear(&e);
	c = ca_claims_new(true);
	set_include(c, 1, nonascii);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "printable ASCII");
	ASSERT_STR_CONTAINS(e.msg, "0xc3");
	ca_claims_free(c);
	st_err_clear(&e);
	c = ca_claims_new(true);
	add_permitted(c, "", 1, one);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "empty");
	ca_claims_free(c);
	st_err_clear(&e);
	c = ca_claims_new(true);
	set_exclude(c, 1, empty);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "mustExclude entry 1");
	ca_claims_free(c);

	/* mustExclude needs the RFC 9118 form. */
	st_err_clear(&e);
	c = ca_claims_new(false);
	set_exclude(c, 1, one);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "RFC 9118 section 6");
	ca_claims_free(c);

	/* Baseline claims in mustExclude. */
	st_err_clear(&e);
	c = ca_claims_new(true);
	set_exclude(c, 1, iat);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "baseline claim \"iat\"");
	ca_claims_free(c);
	st_err_clear(&e);
	c = ca_claims_new(true);
	set_exclude(c, 2, dest);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "mustExclude entry 2");
	ASSERT_STR_CONTAINS(e.msg, "\"dest\"");
	ca_claims_free(c);

	/* Included and excluded: RFC 9118 section 8. */
	st_err_clear(&e);
	c = ca_claims_new(true);
	set_include(c, 3, inc);
	set_exclude(c, 1, inc + 1);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "RFC 9118 section 8");
	ASSERT_STR_CONTAINS(e.msg, "\"priority\"");
	ASSERT_TRUE(der == NULL);
	ca_claims_free(c);
}

/*
 * Flip every bit of the good vectors, and truncate them at every length:
 * the decoder must refuse, or accept a value whose re-encoding is exactly
 * the mutated input (it never accepts non-DER), and never crash.
 */
static void
mutate_one(const uint8_t *der, size_t len, bool enhanced, size_t *accepted)
{
	struct ca_claims	*c;
	struct st_err		 e;
	uint8_t			*m, *re;
	size_t			 i, relen;
	int			 bit, rc;

	if ((m = malloc(len)) == NULL)
		exit(2);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(m, der, len);
			m[i] ^= (uint8_t)(1 << bit);
			st_err_clear(&e);
			rc = ca_claims_decode(m, len, enhanced, &c, &e);
			if (rc != 0) {
				if (c != NULL || e.code != rc ||
				    e.msg[0] == '\0')
					(*accepted) += 1000000;
				continue;
			}
			(*accepted)++;
			re = NULL;
			if (ca_claims_encode(c, &re, &relen, &e) != 0 ||
			    relen != len || memcmp(re, m, len) != 0)
				(*accepted) += 1000000;
			OPENSSL_free(re);
			ca_claims_free(c);
		}
	}
	for (i = 0; i < len; i++) {
		st_err_clear(&e);
		if (ca_claims_decode(der, i, enhanced, &c, &e) == 0) {
			(*accepted) += 1000000;
			ca_claims_free(c);
		}
	}
	free(m);
}

static void
test_mutations(void)
{
	uint8_t	*a, *b;
	size_t	 alen, blen, acc = 0;

	a = b64(v8226_b64, &alen);
	b = hex(v9118_hex, &blen);
	mutate_one(a, alen, false, &acc);
	mutate_one(a, alen, true, &acc);
	mutate_one(b, blen, true, &acc);
	free(a);
	free(b);
	/*
	 * Some flips give other valid values (a letter of a claim name that
	 * becomes another letter); none may break the round trip.
	 */
	ASSERT_TRUE(acc < 1000000);
	ASSERT_TRUE(acc > 0);
}

/* A self-signed P-256 certificate with the given extensions (DER). */
static X509 *
make_cert(const char *const *oids, const char *const *hexes, size_t n)
{
	EVP_PKEY		*k;
	X509			*x;
	X509_NAME		*nm;
	ASN1_OBJECT		*obj;
	ASN1_OCTET_STRING	*os;
	X509_EXTENSION		*ext;
	uint8_t			*der;
	size_t			 i, len;

	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		exit(2);
	nm = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)"claims test", -1, -1, 0) ||
	    !X509_set_issuer_name(x, nm) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    !X509_set_pubkey(x, k))
		exit(2);
	for (i = 0; i < n; i++) {
		der = hex(hexes[i], &len);
		obj = OBJ_txt2obj(oids[i], 1);
		os = ASN1_OCTET_STRING_new();
		if (obj == NULL || os == NULL ||
		    !ASN1_OCTET_STRING_set(os, der, (int)len) ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) ==
		    NULL || !X509_add_ext(x, ext, -1))
			exit(2);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(obj);
		free(der);
	}
	if (X509_sign(x, k, EVP_sha256()) <= 0)
		exit(2);
	EVP_PKEY_free(k);
	return x;
}

static void
test_check_cert(void)
{
	const char	*oids[2], *hexes[2];
	char		*h8226 = NULL;
	uint8_t		*d;
	size_t		 len;
	struct st_err	 e = { 0 };
	X509		*x;

	d = b64(v8226_b64, &len);
	ASSERT_INT_EQ(st_hex_encode(d, len, &h8226), 0);
	free(d);

	/* Neither, one, the other: fine. */
	x = make_cert(NULL, NULL, 0);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), 0);
	X509_free(x);
	oids[0] = CA_OID_JWTCLAIMS;
	hexes[0] = h8226;
	x = make_cert(oids, hexes, 1);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), 0);
	X509_free(x);
	oids[0] = CA_OID_EJWTCLAIMS;
	hexes[0] = v9118_hex;
	x = make_cert(oids, hexes, 1);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), 0);
	X509_free(x);

	/* Both: RFC 9118 section 6, in either order. */
	oids[0] = CA_OID_JWTCLAIMS;
	hexes[0] = h8226;
	oids[1] = CA_OID_EJWTCLAIMS;
	hexes[1] = v9118_hex;
	x = make_cert(oids, hexes, 2);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), ST_E_CLAIMS);
	ASSERT_INT_EQ(e.code, ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "RFC 9118 section 6");
	ASSERT_STR_CONTAINS(e.msg, "MUST NOT both appear");
	X509_free(x);
	st_err_clear(&e);
	oids[0] = CA_OID_EJWTCLAIMS;
	hexes[0] = v9118_hex;
	oids[1] = CA_OID_JWTCLAIMS;
	hexes[1] = h8226;
	x = make_cert(oids, hexes, 2);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "RFC 9118 section 6");
	X509_free(x);

	/* The same extension twice: RFC 5280 section 4.2. */
	st_err_clear(&e);
	oids[0] = oids[1] = CA_OID_JWTCLAIMS;
	hexes[0] = hexes[1] = h8226;
	x = make_cert(oids, hexes, 2);
	ASSERT_INT_EQ(ca_claims_check_cert(x, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "RFC 5280 section 4.2");
	ASSERT_STR_CONTAINS(e.msg, "2 times");
	X509_free(x);
	free(h8226);
}

/* Names with every printable character, values with multi-byte UTF-8. */
static void
test_round_trip_unicode(void)
{
	static const char *const vals[] = { "", "caf\xc3\xa9",
		"\xe2\x82\xac 5", "\xf0\x9f\x93\x9e", "\xf4\x8f\xbf\xbf" };
	static const char *const names[] = {
		" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~" };
	struct ca_claims	*c, *d = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der = NULL, *re = NULL;
	size_t			 len, relen, i;

	c = ca_claims_new(true);
	add_permitted(c, "rcd", 5, vals);
	set_exclude(c, 1, names);
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), 0);
	ASSERT_INT_EQ(ca_claims_decode(der, len, true, &d, &e), 0);
	ASSERT_INT_EQ(d->n_permitted, 1);
	ASSERT_INT_EQ(d->permitted[0].nvalues, 5);
	for (i = 0; i < 5; i++)
		ASSERT_STR_EQ(d->permitted[0].values[i], vals[i]);
	ASSERT_STR_EQ(d->must_exclude[0], names[0]);
	ASSERT_INT_EQ(ca_claims_encode(d, &re, &relen, &e), 0);
	ASSERT_MEM_EQ(re, relen, der, len);
	/* The RFC 8226 form refuses mustExclude but takes the rest. */
	d->enhanced = false;
	OPENSSL_free(re);
	re = NULL;
	ASSERT_INT_EQ(ca_claims_encode(d, &re, &relen, &e), ST_E_CLAIMS);
	OPENSSL_free(der);
	ca_claims_free(c);
	ca_claims_free(d);
}

/* Many claims: overlap is found wherever it is (sorted merge). */
static void
test_overlap_large(void)
{
	struct ca_claims	*c;
	struct st_err		 e = { 0 };
	uint8_t			*der = NULL;
	size_t			 len, i;
	char			 buf[16];

	c = ca_claims_new(true);
	c->must_include = calloc(500, sizeof(char *));
	c->must_exclude = calloc(500, sizeof(char *));
	ASSERT_NONNULL(c->must_include);
	ASSERT_NONNULL(c->must_exclude);
	for (i = 0; i < 500; i++) {
		snprintf(buf, sizeof(buf), "in%zu", 499 - i);
		c->must_include[i] = strdup(buf);
		snprintf(buf, sizeof(buf), "ex%zu", i);
		c->must_exclude[i] = strdup(buf);
	}
	c->n_must_include = c->n_must_exclude = 500;
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), 0);
	OPENSSL_free(der);
	der = NULL;
	free(c->must_exclude[250]);
	c->must_exclude[250] = strdup("in7");
	ASSERT_INT_EQ(ca_claims_encode(c, &der, &len, &e), ST_E_CLAIMS);
	ASSERT_STR_CONTAINS(e.msg, "\"in7\"");
	ca_claims_free(c);
}

static void
test_free_null(void)
{
	ca_claims_free(NULL);
	ASSERT_TRUE(1);
}

int
main(void)
{
	ca_oids_register();
	RUN(test_decode_pyasn1_vector);
	RUN(test_decode_pyasn1_vector_enhanced);
	RUN(test_encode_pyasn1_vector);
	RUN(test_decode_rfc9118_figure2);
	RUN(test_encode_rfc9118_figure2);
	RUN(test_decode_rfc9118_as_8226);
	RUN(test_rfc9118_certificate);
	RUN(test_decode_negative);
	RUN(test_encode_negative);
	RUN(test_mutations);
	RUN(test_check_cert);
	RUN(test_round_trip_unicode);
	RUN(test_overlap_large);
	RUN(test_free_null);
	return th_done("claims");
}
