/* SPDX-License-Identifier: ISC */
/*
 * TNAuthList codec tests (RFC 8226 section 9, Appendix A).
 *
 * The vectors live in tests/data/tnauth/: good/NAME.der with NAME.txt
 * (the expected entries in SPEC form, one per line) and bad/NAME.der with
 * NAME.err (the expected ST_E_* code and a fragment of the message naming
 * the rule).  Their sources are given on the first line of each sidecar
 * (stir-facts.md section 7).  Further cases below are built in code: the
 * encoder's refusals, SPEC parsing, a seeded random round trip, a mutation
 * loop over every good vector, and certificates carrying the extension.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "tests/unit/harness.h"

static char datadir[512];

static int
slurp(const char *path, uint8_t **p, size_t *len)
{
	return st_file_read(path, 1 << 20, p, len, NULL);
}

/* Format every entry of l, one per line, into a malloc'd string. */
static char *
format_list(const struct ca_tnauth *l)
{
	char	*s;
	size_t	 i, off = 0, cap = 64 + l->n * 48;

	if ((s = malloc(cap)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < l->n; i++) {
		off += (size_t)ca_tn_entry_format(&l->v[i], s + off, cap - off);
		off += (size_t)snprintf(s + off, cap - off, "\n");
	}
	return s;
}

/* Expected SPEC lines of a .txt sidecar, without comment lines. */
static char *
expected_specs(const char *path)
{
	uint8_t	*p;
	size_t	 len;
	char	*out, *line, *save = NULL;
	size_t	 off = 0;

	if (slurp(path, &p, &len) != 0)
		return NULL;
	if ((out = calloc(1, len + 1)) == NULL) {
		free(p);
		return NULL;
	}
	for (line = strtok_r((char *)p, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		off += (size_t)snprintf(out + off, len + 1 - off, "%s\n", line);
	}
	free(p);
	return out;
}

static int ngood, nbad;

static void
test_good_vectors(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 dir[600], path[900];

	snprintf(dir, sizeof(dir), "%s/good", datadir);
	ASSERT_NONNULL(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		struct ca_tnauth	*l = NULL;
		struct st_err		 e = { 0 };
		uint8_t			*der = NULL;
		size_t			 len, n = strlen(de->d_name);
		char			*got = NULL, *want = NULL;
		int			 rc;

		if (n < 5 || strcmp(de->d_name + n - 4, ".der") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (slurp(path, &der, &len) != 0) {
			closedir(d);
			ASSERT_TRUE(!"cannot read vector");
		}
		rc = ca_tnauth_decode(der, len, &l, &e);
		if (rc != 0)
			fprintf(stderr, "  %s: %s\n", de->d_name, e.msg);
		snprintf(path + strlen(path) - 4, 5, ".txt");
		want = expected_specs(path);
		got = rc == 0 ? format_list(l) : NULL;
		free(der);
		ca_tnauth_free(l);
		if (rc != 0 || want == NULL || got == NULL ||
		    strcmp(got, want) != 0) {
			fprintf(stderr, "  %s: got\n%s  wanted\n%s", de->d_name,
			    got ? got : "(error)\n", want ? want : "(none)\n");
			free(got);
			free(want);
			closedir(d);
			ASSERT_TRUE(!"good vector mismatch");
		}
		free(got);
		free(want);
		ngood++;
	}
	closedir(d);
	ASSERT_TRUE(ngood >= 20);
}

static void
test_bad_vectors(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 dir[600], path[900];

	snprintf(dir, sizeof(dir), "%s/bad", datadir);
	ASSERT_NONNULL(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		struct ca_tnauth	*l = NULL;
		struct st_err		 e = { 0 };
		uint8_t			*der = NULL, *errf = NULL;
		size_t			 len, elen, n = strlen(de->d_name);
		char			*code, *frag, *save = NULL;
		int			 rc, ok;

		if (n < 5 || strcmp(de->d_name + n - 4, ".der") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (slurp(path, &der, &len) != 0) {
			closedir(d);
			ASSERT_TRUE(!"cannot read vector");
		}
		rc = ca_tnauth_decode(der, len, &l, &e);
		free(der);
		ca_tnauth_free(l);
		snprintf(path + strlen(path) - 4, 5, ".err");
		if (slurp(path, &errf, &elen) != 0) {
			closedir(d);
			ASSERT_TRUE(!"missing .err sidecar");
		}
		/* line 1: source comment, line 2: code, line 3: fragment */
		(void)strtok_r((char *)errf, "\n", &save);
		code = strtok_r(NULL, "\n", &save);
		frag = strtok_r(NULL, "\n", &save);
		ok = rc != 0 && code != NULL &&
		    strcmp(st_err_name(rc), code) == 0 && e.code == rc &&
		    (frag == NULL || strstr(e.msg, frag) != NULL);
		if (!ok)
			fprintf(stderr, "  %s: rc %s msg \"%s\"; wanted %s "
			    "containing \"%s\"\n", de->d_name,
			    rc == 0 ? "0" : st_err_name(rc), e.msg,
			    code ? code : "?", frag ? frag : "");
		free(errf);
		if (!ok) {
			closedir(d);
			ASSERT_TRUE(!"bad vector not refused as expected");
		}
		nbad++;
	}
	closedir(d);
	ASSERT_TRUE(nbad >= 25);
}

/* Encode a SPEC list and compare with expected DER given in hex. */
static int
encode_specs(const char **specs, size_t n, uint8_t **der, size_t *len,
    struct st_err *e)
{
	struct ca_tnauth	*l;
	size_t			 i;
	int			 rc = 0;

	if ((l = ca_tnauth_new()) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n && rc == 0; i++)
		rc = ca_tnauth_add_spec(l, specs[i], e);
	if (rc == 0)
		rc = ca_tnauth_encode(l, der, len, e);
	ca_tnauth_free(l);
	return rc;
}

static void
check_encode(const char **specs, size_t n, const char *hex)
{
	struct st_err	 e = { 0 };
	uint8_t		*der = NULL, *want = NULL;
	size_t		 len, wlen;

	ASSERT_INT_EQ(st_hex_decode(hex, strlen(hex), &want, &wlen, NULL), 0);
	if (encode_specs(specs, n, &der, &len, &e) != 0) {
		fprintf(stderr, "  encode: %s\n", e.msg);
		free(want);
		ASSERT_TRUE(!"encode failed");
	}
	if (len != wlen || memcmp(der, want, len) != 0) {
		th_hexdump("got ", der, len);
		th_hexdump("want", want, wlen);
		OPENSSL_free(der);
		free(want);
		ASSERT_TRUE(!"encoding differs");
	}
	OPENSSL_free(der);
	free(want);
}

/* The encoder reproduces published encodings byte for byte. */
static void
test_encode_vectors(void)
{
	/* pyasn1-modules tests/test_rfc8226.py, decoded from base64 */
	const char *mixed[] = { "spc:bogus", "range:5715551212+788",
		"tn:7035551212" };
	/* hsm-notes.md section 6, produced by openssl req ASN1:SEQUENCE */
	const char *recipe[] = { "spc:1234", "range:12025550000+100",
		"tn:12025551234" };
	/* Botan ca_ranges.pem */
	const char *botan[] = { "range:12025550100+10", "range:5550100+10",
		"tn:12025559999", "tn:*67#" };
	const char *spc[] = { "spc:6628" };

	check_encode(mixed, 3,
	    "302ba0071605626f677573a1123010160a353731353535313231320202"
	    "0314a20c160a37303335353531323132");
	if (th_cur_failed)
		return;
	check_encode(recipe, 3,
	    "302BA006160431323334A1123010160B3132303235353530303030020164"
	    "A20D160B3132303235353531323334");
	if (th_cur_failed)
		return;
	check_encode(botan, 4,
	    "303BA1123010160B313230323535353031303002010AA10E300C1607353535"
	    "3031303002010AA20D160B3132303235353539393939A20616042A363723");
	if (th_cur_failed)
		return;
	check_encode(spc, 1, "3008A006160436363238");
}

/* The encoder refuses what RFC 8226 forbids, naming the rule. */
static void
test_encode_refusals(void)
{
	static const struct {
		const char	*spec;
		int		 rc;
		const char	*frag;
	} cases[] = {
		{ "range:10+90", ST_E_TNAUTH, "10 + 90 = 100" },
		{ "range:10+91", ST_E_TNAUTH, "10 + 91 > 100" },
		{ "range:9990000+10000", ST_E_TNAUTH, "less than 10^7" },
		{ "range:5550100+1", ST_E_TNAUTH, "(2..MAX)" },
		{ "range:5550100+0", ST_E_TNAUTH, "(2..MAX)" },
		{ "range:*5+2", ST_E_TNAUTH, "'*' or '#'" },
		{ "range:+5", ST_E_TNAUTH, "empty" },
		{ "range:12", ST_E_SYNTAX, "START+COUNT" },
		{ "range:12+", ST_E_SYNTAX, "START+COUNT" },
		{ "range:12+x", ST_E_SYNTAX, "START+COUNT" },
		{ "range:12+-3", ST_E_SYNTAX, "START+COUNT" },
		{ "range:12+99999999999999999999999", ST_E_SYNTAX,
		    "START+COUNT" },
		{ "tn:", ST_E_TNAUTH, "empty" },
		{ "tn:1234567890123456", ST_E_TNAUTH, "SIZE (1..15)" },
		{ "tn:+12025550100", ST_E_TNAUTH, "0x2b" },
		{ "tn:1202a", ST_E_TNAUTH, "0x61" },
		{ "spc:", ST_E_TNAUTH, "empty ServiceProviderCode" },
		{ "spc:12 4", ST_E_TNAUTH, "visible ASCII" },
		{ "spc:12\x7f", ST_E_TNAUTH, "visible ASCII" },
		{ "foo:1", ST_E_SYNTAX, "expected spc:CODE" },
		{ "12025550100", ST_E_SYNTAX, "expected spc:CODE" },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ca_tnauth	*l = ca_tnauth_new();
		struct st_err		 e = { 0 };
		int			 rc;

		ASSERT_NONNULL(l);
		rc = ca_tnauth_add_spec(l, cases[i].spec, &e);
		ca_tnauth_free(l);
		if (rc != cases[i].rc || strstr(e.msg, cases[i].frag) == NULL)
			fprintf(stderr, "  '%s': rc %d \"%s\"\n", cases[i].spec,
			    rc, e.msg);
		ASSERT_INT_EQ(rc, cases[i].rc);
		ASSERT_STR_CONTAINS(e.msg, cases[i].frag);
	}
}

static void
test_encode_empty(void)
{
	struct ca_tnauth	*l = ca_tnauth_new();
	struct st_err		 e = { 0 };
	uint8_t			*der = NULL;
	size_t			 len = 99;

	ASSERT_NONNULL(l);
	ASSERT_INT_EQ(ca_tnauth_encode(l, &der, &len, &e), ST_E_TNAUTH);
	ca_tnauth_free(l);
	ASSERT_TRUE(der == NULL);
	ASSERT_INT_EQ(len, 0);
	ASSERT_STR_CONTAINS(e.msg, "SIZE (1..MAX)");
}

/* Boundary values accepted by the encoder. */
static void
test_encode_bounds(void)
{
	const char *ok[] = { "range:10+89", "range:0+9", "range:00+99",
		"range:999999999999998+1", "tn:0", "tn:*", "tn:#",
		"tn:123456789012345", "range:100000000000000+899999999999999",
		"spc:A", "spc:~!" };
	const char *bad[] = { "range:999999999999998+2", "range:00+100",
		"range:0+10" };
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ca_tnauth	*l = ca_tnauth_new();
		struct st_err		 e = { 0 };
		int			 rc;

		ASSERT_NONNULL(l);
		rc = ca_tnauth_add_spec(l, ok[i], &e);
		ca_tnauth_free(l);
		/* range:999999999999998+1 is count 1: refused */
		if (strcmp(ok[i], "range:999999999999998+1") == 0)
			ASSERT_INT_EQ(rc, ST_E_TNAUTH);
		else
			ASSERT_INT_EQ(rc, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ca_tnauth	*l = ca_tnauth_new();
		int			 rc;

		ASSERT_NONNULL(l);
		rc = ca_tnauth_add_spec(l, bad[i], NULL);
		ca_tnauth_free(l);
		ASSERT_INT_EQ(rc, ST_E_TNAUTH);
	}
}

/* The text forms decode to the same list. */
static void
test_decode_any(void)
{
	static const char *forms[] = {
		"MAigBhYEODE4SA==",		/* peeringhub, padded base64 */
		"MAigBhYEODE4SA",		/* base64url, no padding */
		"  MAigBhYE\nODE4SA==\n",	/* whitespace */
		"3008A006160438313848",		/* hex */
		"30:08:a0:06:16:04:38:31:38:48\n",
	};
	size_t	i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct ca_tnauth	*l = NULL;
		struct st_err		 e = { 0 };
		int			 rc;

		rc = ca_tnauth_decode_any((const uint8_t *)forms[i],
		    strlen(forms[i]), &l, &e);
		if (rc != 0)
			fprintf(stderr, "  '%s': %s\n", forms[i], e.msg);
		ASSERT_INT_EQ(rc, 0);
		ASSERT_INT_EQ(l->n, 1);
		ASSERT_INT_EQ(l->v[0].kind, CA_TN_SPC);
		ASSERT_STR_EQ(l->v[0].value, "818H");
		ca_tnauth_free(l);
	}
	{
		static const char *badforms[] = { "", "   ", "MAig!!",
			"MAig-BhY+", "30zz", "M" };

		for (i = 0; i < sizeof(badforms) / sizeof(badforms[0]); i++) {
			struct ca_tnauth	*l = NULL;
			int			 rc;

			rc = ca_tnauth_decode_any(
			    (const uint8_t *)badforms[i], strlen(badforms[i]),
			    &l, NULL);
			ASSERT_TRUE(rc != 0);
			ASSERT_TRUE(l == NULL);
		}
	}
}

static uint64_t rnd_state = 0x5EEDF00DULL;

/* A fixed-seed LCG: the same lists on every run. */
static unsigned
rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ULL +
	    1442695040888963407ULL;
	return (unsigned)(rnd_state >> 33);
}
#define RND() rnd()

/* Seeded random lists: encode, decode, compare entries. */
static void
test_random_roundtrip(void)
{
	int		iter;

	for (iter = 0; iter < 2000; iter++) {
		struct ca_tnauth	*l = ca_tnauth_new(), *back = NULL;
		struct st_err		 e = { 0 };
		uint8_t			*der = NULL;
		size_t			 len, i, n;
		char			 buf[64];

		ASSERT_NONNULL(l);
		n = 1 + RND() % 12;
		for (i = 0; i < n; i++) {
			unsigned	 D = 1 + RND() % 15, k;
			uint64_t	 lim = 1, v = 0;
			char		 num[16];

			for (k = 0; k < D; k++) {
				num[k] = (char)('0' + RND() % 10);
				v = v * 10 + (uint64_t)(num[k] - '0');
				lim *= 10;
			}
			num[D] = '\0';
			switch (RND() % 4) {
			case 0:
				snprintf(buf, sizeof(buf), "spc:S%u", RND());
				break;
			case 1:
				if (lim - v < 3) {
					snprintf(buf, sizeof(buf), "tn:%s", num);
					break;
				}
				snprintf(buf, sizeof(buf), "range:%s+%llu", num,
				    (unsigned long long)(2 +
				    (uint64_t)RND() % (lim - v - 2)));
				break;
			case 2:
				num[RND() % D] = RND() % 2 ? '*' : '#';
				snprintf(buf, sizeof(buf), "tn:%s", num);
				break;
			default:
				snprintf(buf, sizeof(buf), "tn:%s", num);
			}
			if (ca_tnauth_add_spec(l, buf, &e) != 0) {
				fprintf(stderr, "  %s: %s\n", buf, e.msg);
				ca_tnauth_free(l);
				ASSERT_TRUE(!"random spec refused");
			}
		}
		if (ca_tnauth_encode(l, &der, &len, &e) != 0 ||
		    ca_tnauth_decode(der, len, &back, &e) != 0) {
			fprintf(stderr, "  %s\n", e.msg);
			OPENSSL_free(der);
			ca_tnauth_free(l);
			ASSERT_TRUE(!"round trip failed");
		}
		OPENSSL_free(der);
		ASSERT_INT_EQ(back->n, l->n);
		for (i = 0; i < l->n; i++) {
			ASSERT_INT_EQ(back->v[i].kind, l->v[i].kind);
			ASSERT_STR_EQ(back->v[i].value, l->v[i].value);
			ASSERT_U64_EQ(back->v[i].count, l->v[i].count);
		}
		ca_tnauth_free(back);
		ca_tnauth_free(l);
	}
}

/*
 * Mutation loop (docs/testing.md): flip every bit of and truncate every
 * good vector.  The decoder must refuse or return a list whose DER is
 * exactly the input (it only accepts canonical encodings); never crash.
 */
static void
test_mutations(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 dir[600], path[900];
	long		 accepted = 0, refused = 0;

	snprintf(dir, sizeof(dir), "%s/good", datadir);
	ASSERT_NONNULL(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		uint8_t	*der = NULL, *m;
		size_t	 len, n = strlen(de->d_name), bit, cut;

		if (n < 5 || strcmp(de->d_name + n - 4, ".der") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (slurp(path, &der, &len) != 0)
			continue;
		m = malloc(len);
		for (bit = 0; m != NULL && bit < len * 8; bit++) {
			struct ca_tnauth	*l = NULL;
			uint8_t			*re = NULL;
			size_t			 rlen;

			memcpy(m, der, len);
			m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (ca_tnauth_decode(m, len, &l, NULL) != 0) {
				refused++;
				continue;
			}
			accepted++;
			/* Accepted: it must be canonical and re-encode to
			 * itself, unless it holds an exact-fit range or an
			 * extension addition, which the encoder never
			 * writes. */
			if (ca_tnauth_encode(l, &re, &rlen, NULL) == 0 &&
			    strstr(de->d_name, "ext-addition") == NULL &&
			    (rlen != len || memcmp(re, m, len) != 0)) {
				OPENSSL_free(re);
				ca_tnauth_free(l);
				free(m);
				free(der);
				closedir(d);
				ASSERT_TRUE(!"accepted mutation not canonical");
			}
			OPENSSL_free(re);
			ca_tnauth_free(l);
		}
		for (cut = 0; cut < len; cut++) {
			struct ca_tnauth *l = NULL;

			if (ca_tnauth_decode(der, cut, &l, NULL) == 0) {
				ca_tnauth_free(l);
				free(m);
				free(der);
				closedir(d);
				ASSERT_TRUE(!"truncated input accepted");
			}
		}
		free(m);
		free(der);
	}
	closedir(d);
	ASSERT_TRUE(refused > 0);
	ASSERT_TRUE(accepted > 0); /* e.g. digit flips stay valid */
}

/* A certificate carrying the extension, built with the OpenSSL API. */
static X509 *
cert_with(const uint8_t *der, size_t len, int copies)
{
	X509			*x = NULL;
	EVP_PKEY		*k = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	ASN1_OBJECT		*obj = NULL;
	X509_EXTENSION		*ext = NULL;
	int			 i, ok = 0;

	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"SHAKEN 1234", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	if ((obj = OBJ_txt2obj(CA_OID_TNAUTHLIST, 1)) == NULL ||
	    (os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, der, (int)len) ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL)
		goto out;
	for (i = 0; i < copies; i++)
		if (!X509_add_ext(x, ext, -1))
			goto out;
	if (!X509_sign(x, k, EVP_sha256()))
		goto out;
	ok = 1;
out:
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	EVP_PKEY_free(k);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void
test_from_cert(void)
{
	const char	*specs[] = { "spc:1234", "range:12025550000+100",
		"tn:12025551234" };
	struct ca_tnauth *l = NULL;
	struct st_err	 e = { 0 };
	uint8_t		*der = NULL;
	size_t		 len;
	X509		*x;

	ca_oids_register();
	ASSERT_INT_EQ(encode_specs(specs, 3, &der, &len, NULL), 0);
	x = cert_with(der, len, 1);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_tnauth_from_cert(x, &l, &e), 0);
	X509_free(x);
	ASSERT_INT_EQ(l->n, 3);
	ASSERT_STR_EQ(l->v[1].value, "12025550000");
	ASSERT_U64_EQ(l->v[1].count, 100);
	ca_tnauth_free(l);
	l = NULL;

	x = cert_with(der, len, 2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_tnauth_from_cert(x, &l, &e), ST_E_TNAUTH);
	ASSERT_STR_CONTAINS(e.msg, "more than once");
	X509_free(x);

	x = cert_with(der, len, 0);
	ASSERT_NONNULL(x);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_tnauth_from_cert(x, &l, &e), ST_E_NOTFOUND);
	X509_free(x);
	OPENSSL_free(der);
	ASSERT_TRUE(l == NULL);
	ASSERT_TRUE(OBJ_txt2nid(CA_OID_TNAUTHLIST) != NID_undef);
}

int
main(void)
{
	const char *top = getenv("STICA_TOP");

	snprintf(datadir, sizeof(datadir), "%s/tests/data/tnauth",
	    top != NULL ? top : ".");
	RUN(test_good_vectors);
	RUN(test_bad_vectors);
	RUN(test_encode_vectors);
	RUN(test_encode_refusals);
	RUN(test_encode_empty);
	RUN(test_encode_bounds);
	RUN(test_decode_any);
	RUN(test_random_roundtrip);
	RUN(test_mutations);
	RUN(test_from_cert);
	fprintf(stderr, "vectors: %d good, %d bad\n", ngood, nbad);
	return th_done("test_tnauth");
}
