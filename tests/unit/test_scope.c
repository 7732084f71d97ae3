/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the scope algebra (ca/scope.c): the canonical form of a
 * TNAuthList (RFC 8226 section 9), conversion back to an encodable list
 * (the start + count < 10^D rule), set operations, membership and the
 * RFC 9060 section 4 "encompassing" test with and without an SPC map.
 *
 * Scopes are built from TNAuthLists through ca_tnauth_add and
 * ca_tnauth_decode.  Expectations come from the RFCs and from Botan's
 * delegation vectors (docs stir-facts.md sections 7.1 and 7.2); the
 * randomised test compares every operation with a brute-force oracle that
 * enumerates the covered numbers of 1..3 digits explicitly.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/ca.h"
#include "tests/unit/harness.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

/* Build a scope from SPEC strings (NULL-terminated) via ca_tnauth_add. */
static struct ca_scope *
scope_specs(const char *const *specs)
{
	struct ca_tnauth	*l;
	struct ca_scope		*s = NULL;
	struct st_err		 e = { 0 };
	size_t			 i;

	if ((l = ca_tnauth_new()) == NULL)
		return NULL;
	for (i = 0; specs[i] != NULL; i++) {
		if (ca_tnauth_add_spec(l, specs[i], &e) != 0) {
			fprintf(stderr, "  spec %s: %s\n", specs[i], e.msg);
			goto out;
		}
	}
	if (ca_scope_from_tnauth(l, &s, &e) != 0)
		fprintf(stderr, "  scope: %s\n", e.msg);
out:
	ca_tnauth_free(l);
	return s;
}

#define SC(...) scope_specs((const char *const[]){ __VA_ARGS__, NULL })

/* Build a scope from the hex of a DER TNAuthList via ca_tnauth_decode. */
static struct ca_scope *
scope_hex(const char *hex)
{
	struct ca_tnauth	*l = NULL;
	struct ca_scope		*s = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der = NULL;
	size_t			 len;

	if (st_hex_decode(hex, strlen(hex), &der, &len, &e) != 0 ||
	    ca_tnauth_decode(der, len, &l, &e) != 0 ||
	    ca_scope_from_tnauth(l, &s, &e) != 0)
		fprintf(stderr, "  hex %s: %s\n", hex, e.msg);
	free(der);
	ca_tnauth_free(l);
	return s;
}

/*
 * The scope as SPEC entries joined by ',' (from ca_scope_to_tnauth), or
 * "(empty)".  Returns a static buffer.
 */
static const char *
scope_str(const struct ca_scope *s)
{
	static char		 buf[4096];
	struct ca_tnauth	*l = NULL;
	struct st_err		 e = { 0 };
	size_t			 i, n = 0;

	buf[0] = '\0';
	if (ca_scope_is_empty(s))
		return "(empty)";
	if (ca_scope_to_tnauth(s, &l, &e) != 0) {
		snprintf(buf, sizeof(buf), "(to_tnauth failed: %s)", e.msg);
		return buf;
	}
	for (i = 0; i < l->n && n + 64 < sizeof(buf); i++) {
		if (i > 0)
			buf[n++] = ',';
		n += (size_t)ca_tn_entry_format(&l->v[i], buf + n,
		    sizeof(buf) - n);
	}
	ca_tnauth_free(l);
	return buf;
}

/*
 * to_tnauth, encode, decode, from_tnauth: the result must be accepted by
 * the strict encoder and decoder and name exactly the same set.  Returns
 * the re-read scope or NULL.
 */
static struct ca_scope *
scope_reread(const struct ca_scope *s)
{
	struct ca_tnauth	*l = NULL, *l2 = NULL;
	struct ca_scope		*r = NULL;
	struct st_err		 e = { 0 };
	uint8_t			*der = NULL;
	size_t			 len;

	if (ca_scope_to_tnauth(s, &l, &e) != 0 ||
	    ca_tnauth_encode(l, &der, &len, &e) != 0 ||
	    ca_tnauth_decode(der, len, &l2, &e) != 0 ||
	    ca_scope_from_tnauth(l2, &r, &e) != 0)
		fprintf(stderr, "  re-read: %s\n", e.msg);
	OPENSSL_free(der);
	ca_tnauth_free(l);
	ca_tnauth_free(l2);
	return r;
}

/*
 * Equal scopes have equal canonical forms, hence equal TNAuthList DER
 * from to_tnauth + encode; compare those bytes.
 */
static bool
scope_same(const struct ca_scope *a, const struct ca_scope *b)
{
	struct ca_tnauth	*la = NULL, *lb = NULL;
	uint8_t			*da = NULL, *db = NULL;
	size_t			 na = 0, nb = 0;
	bool			 same = false;

	if (ca_scope_is_empty(a) || ca_scope_is_empty(b))
		return ca_scope_is_empty(a) && ca_scope_is_empty(b);
	if (ca_scope_to_tnauth(a, &la, NULL) == 0 &&
	    ca_scope_to_tnauth(b, &lb, NULL) == 0 &&
	    ca_tnauth_encode(la, &da, &na, NULL) == 0 &&
	    ca_tnauth_encode(lb, &db, &nb, NULL) == 0)
		same = na == nb && memcmp(da, db, na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	ca_tnauth_free(la);
	ca_tnauth_free(lb);
	return same;
}

/* Append an entry without the encoder's checks (fields are public). */
static int
raw_push(struct ca_tnauth *l, enum ca_tn_kind kind, const char *value,
    uint64_t count)
{
	struct ca_tn_entry	*nv;

	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return -1;
	l->v = nv;
	l->cap = l->n + 1;
	l->v[l->n].kind = kind;
	l->v[l->n].value = value != NULL ? strdup(value) : NULL;
	l->v[l->n].count = count;
	l->n++;
	return 0;
}

/* A scope of everything kept for freeing at the end of a test. */
#define KEEP_MAX 64
static struct ca_scope *keep_v[KEEP_MAX];
static size_t keep_n;

static struct ca_scope *
keep(struct ca_scope *s)
{
	if (keep_n < KEEP_MAX)
		keep_v[keep_n++] = s;
	return s;
}

static void
keep_free(void)
{
	while (keep_n > 0)
		ca_scope_free(keep_v[--keep_n]);
}

static struct ca_scope *
op_union(const struct ca_scope *a, const struct ca_scope *b)
{
	struct ca_scope *r = NULL;

	if (ca_scope_union(a, b, &r) != 0)
		return NULL;
	return keep(r);
}

static struct ca_scope *
op_inter(const struct ca_scope *a, const struct ca_scope *b)
{
	struct ca_scope *r = NULL;

	if (ca_scope_intersect(a, b, &r) != 0)
		return NULL;
	return keep(r);
}

static struct ca_scope *
op_sub(const struct ca_scope *a, const struct ca_scope *b)
{
	struct ca_scope *r = NULL;

	if (ca_scope_subtract(a, b, &r) != 0)
		return NULL;
	return keep(r);
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                     */

/* Overlapping and adjacent entries of one length merge into intervals. */
static void
test_canonical_merge(void)
{
	struct ca_scope *s = keep(SC("range:105+5", "tn:110", "range:100+5",
	    "tn:200", "range:150+10", "range:152+3", "tn:112"));

	ASSERT_NONNULL(s);
	ASSERT_STR_EQ(scope_str(s),
	    "range:100+11,tn:112,range:150+10,tn:200");
	ASSERT_INT_EQ(ca_scope_nintervals(s), 4);
	ASSERT_U64_EQ(ca_scope_nnumbers(s), 11 + 1 + 10 + 1);
	ASSERT_INT_EQ(ca_scope_nspc(s), 0);
	ASSERT_INT_EQ(ca_scope_nwild(s), 0);
	ASSERT_TRUE(ca_scope_contains_tn(s, "110"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "111"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "112"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "149"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "159"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "160"));
	keep_free();
}

/* "05550105" is not in a 7-digit range: lengths never mix. */
static void
test_lengths_never_mix(void)
{
	struct ca_scope *s = keep(SC("tn:5", "tn:005", "tn:05",
	    "range:0500+10"));

	ASSERT_NONNULL(s);
	ASSERT_STR_EQ(scope_str(s), "tn:5,tn:05,tn:005,range:0500+10");
	ASSERT_INT_EQ(ca_scope_nintervals(s), 4);
	ASSERT_TRUE(ca_scope_contains_tn(s, "5"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "05"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "005"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "0005"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "0505"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "505"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "00505"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "0510"));
	keep_free();
}

/* SPCs and wildcard numbers are sorted sets compared verbatim. */
static void
test_sets_verbatim(void)
{
	struct ca_scope *s = keep(SC("spc:B", "spc:A", "spc:B", "tn:*67#",
	    "tn:#1", "tn:*67#"));

	ASSERT_NONNULL(s);
	ASSERT_STR_EQ(scope_str(s), "spc:A,spc:B,tn:#1,tn:*67#");
	ASSERT_INT_EQ(ca_scope_nspc(s), 2);
	ASSERT_INT_EQ(ca_scope_nwild(s), 2);
	ASSERT_INT_EQ(ca_scope_nintervals(s), 0);
	ASSERT_U64_EQ(ca_scope_nnumbers(s), 2);
	ASSERT_TRUE(ca_scope_has_spc(s, "A"));
	ASSERT_TRUE(ca_scope_has_spc(s, "B"));
	ASSERT_FALSE(ca_scope_has_spc(s, "a"));
	ASSERT_FALSE(ca_scope_has_spc(s, "C"));
	ASSERT_FALSE(ca_scope_has_spc(s, NULL));
	ASSERT_TRUE(ca_scope_contains_tn(s, "*67#"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "#1"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "*67"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "*671"));
	/* An SPC is not a number, even when it looks like one. */
	ASSERT_FALSE(ca_scope_contains_tn(s, "A"));
	keep_free();
}

/* Only TelephoneNumbers are ever members (RFC 8226 Appendix A). */
static void
test_contains_invalid(void)
{
	struct ca_scope *s = keep(SC("range:1000+100",
	    "range:100000000000000+10"));

	ASSERT_NONNULL(s);
	ASSERT_TRUE(ca_scope_contains_tn(s, "1000"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "1099"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "1100"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "999"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "0999"));
	ASSERT_FALSE(ca_scope_contains_tn(s, ""));
	ASSERT_FALSE(ca_scope_contains_tn(s, NULL));
	ASSERT_FALSE(ca_scope_contains_tn(s, "10a0"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "+1050"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "1050 "));
	ASSERT_TRUE(ca_scope_contains_tn(s, "100000000000009"));
	/* 16 characters: not a TelephoneNumber, even with a matching head */
	ASSERT_FALSE(ca_scope_contains_tn(s, "1000000000000000"));
	ASSERT_FALSE(ca_scope_contains_tn(NULL, "1000"));
	keep_free();
}

/* A list built by hand is held to the decoder's rules. */
static void
test_from_tnauth_rejects(void)
{
	static const struct {
		enum ca_tn_kind	 kind;
		const char	*value;
		uint64_t	 count;
		int		 code;
		const char	*msg;
	} bad[] = {
		{ CA_TN_RANGE, "10", 91, ST_E_TNAUTH, "10^2 (10+91)" },
		{ CA_TN_RANGE, "1*", 2, ST_E_TNAUTH, "'*' or '#'" },
		{ CA_TN_RANGE, "100", 1, ST_E_TNAUTH, "count is 1" },
		{ CA_TN_RANGE, "", 2, ST_E_TNAUTH, "1..15 characters" },
		{ CA_TN_ONE, "12a", 0, ST_E_TNAUTH, "(12a)" },
		{ CA_TN_ONE, "1234567890123456", 0, ST_E_TNAUTH,
		    "1..15 characters" },
		{ CA_TN_SPC, "", 0, ST_E_TNAUTH, "empty ServiceProviderCode" },
		{ CA_TN_SPC, "a b", 0, ST_E_TNAUTH, "0x20 at position 2" },
		{ CA_TN_ONE, NULL, 0, ST_E_USAGE, "entry 2: no value" },
	};
	struct ca_tnauth	*l = NULL;
	struct ca_scope		*s = NULL;
	struct st_err		 e;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		ASSERT_NONNULL(l = ca_tnauth_new());
		ASSERT_INT_EQ(raw_push(l, CA_TN_ONE, "123", 0), 0);
		ASSERT_INT_EQ(raw_push(l, bad[i].kind, bad[i].value,
		    bad[i].count), 0);
		rc = ca_scope_from_tnauth(l, &s, &e);
		ca_tnauth_free(l);
		l = NULL;
		ASSERT_INT_EQ(rc, bad[i].code);
		ASSERT_TRUE(s == NULL);
		ASSERT_INT_EQ(e.code, bad[i].code);
		ASSERT_STR_CONTAINS(e.msg, bad[i].msg);
		ASSERT_STR_CONTAINS(e.msg, "TNAuthList entry 2");
	}
	/* The exact fit is a decoder's value and is accepted. */
	ASSERT_NONNULL(l = ca_tnauth_new());
	ASSERT_INT_EQ(raw_push(l, CA_TN_RANGE, "10", 90), 0);
	rc = ca_scope_from_tnauth(l, &s, NULL);
	ca_tnauth_free(l);
	ASSERT_INT_EQ(rc, 0);
	keep(s);
	ASSERT_U64_EQ(ca_scope_nnumbers(s), 90);
	ASSERT_INT_EQ(ca_scope_from_tnauth(NULL, &s, NULL), ST_E_USAGE);
	keep_free();
}

/* An empty list and an empty scope. */
static void
test_empty(void)
{
	struct ca_tnauth	*l = NULL;
	struct ca_scope		*s = NULL, *z, *a;
	struct st_err		 e = { 0 };

	ASSERT_NONNULL(z = keep(ca_scope_new_empty()));
	ASSERT_NONNULL(a = keep(SC("spc:1", "tn:1", "tn:#")));
	ASSERT_TRUE(ca_scope_is_empty(z));
	ASSERT_FALSE(ca_scope_is_empty(a));
	ASSERT_U64_EQ(ca_scope_nnumbers(z), 0);
	ASSERT_FALSE(ca_scope_contains_tn(z, "1"));
	ASSERT_INT_EQ(ca_scope_to_tnauth(z, &l, &e), ST_E_TNAUTH);
	ASSERT_TRUE(l == NULL);
	ASSERT_STR_CONTAINS(e.msg, "SIZE (1..MAX)");
	ASSERT_INT_EQ(ca_scope_encompasses(z, z, NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(a, z, NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(z, a, NULL, NULL), 0);
	ASSERT_INT_EQ(ca_scope_encompasses(NULL, a, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(ca_scope_union(a, NULL, &s), ST_E_USAGE);
	ASSERT_TRUE(s == NULL);
	ASSERT_NONNULL(l = ca_tnauth_new());
	ASSERT_INT_EQ(ca_scope_from_tnauth(l, &s, NULL), 0);
	ca_tnauth_free(l);
	keep(s);
	ASSERT_TRUE(ca_scope_is_empty(s));
	ca_scope_free(NULL);
	keep_free();
}

/* ------------------------------------------------------------------ */
/* Exact fit and conversion back to a TNAuthList                      */

/*
 * RFC 8226 section 9: start + count must be less than 10^D.  A decoded
 * exact fit (start + count == 10^D) covers up to 10^D - 1; writing it
 * back splits the last number off.  The result must re-encode and name
 * the same numbers.
 */
static void
test_exact_fit(void)
{
	static const struct {
		const char	*hex;
		const char	*canon;
		uint64_t	 nnum;
	} v[] = {
		/* Botan range_exact_fit: "10" + 90 */
		{ "300BA10930071602313002015A", "range:10+89,tn:99", 90 },
		/* Botan range_to_all_nines: 9990000 + 10000 */
		{ "3011A10F300D16073939393030303002022710",
		    "range:9990000+9999,tn:9999999", 10000 },
		/* "98" + 2: two numbers, so two "one" entries */
		{ "300BA109300716023938020102", "tn:98,tn:99", 2 },
		/* "0" + 10: every 1-digit number */
		{ "300AA108300616013002010A", "range:0+9,tn:9", 10 },
		/* 15 zeros + 10^15: every 15-digit number */
		{ "301EA11C301A160F303030303030303030303030303030"
		  "0207038D7EA4C68000",
		    "range:000000000000000+999999999999999,"
		    "tn:999999999999999", 1000000000000000ULL },
	};
	struct ca_scope	*s, *r;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ASSERT_NONNULL(s = keep(scope_hex(v[i].hex)));
		ASSERT_STR_EQ(scope_str(s), v[i].canon);
		ASSERT_U64_EQ(ca_scope_nnumbers(s), v[i].nnum);
		ASSERT_NONNULL(r = keep(scope_reread(s)));
		ASSERT_TRUE(scope_same(s, r));
		ASSERT_U64_EQ(ca_scope_nnumbers(r), v[i].nnum);
		ASSERT_INT_EQ(ca_scope_encompasses(s, r, NULL, NULL), 1);
		ASSERT_INT_EQ(ca_scope_encompasses(r, s, NULL, NULL), 1);
	}
	s = keep(scope_hex("300BA10930071602313002015A"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "10"));
	ASSERT_TRUE(ca_scope_contains_tn(s, "99"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "09"));
	ASSERT_FALSE(ca_scope_contains_tn(s, "100"));
	keep_free();
}

/* Intervals built by merging must also split at 10^D - 1. */
static void
test_to_tnauth_split(void)
{
	static const struct {
		const char	*a, *b;
		const char	*canon;
	} v[] = {
		{ "tn:98", "tn:99", "tn:98,tn:99" },
		{ "range:97+2", "tn:99", "range:97+2,tn:99" },
		{ "range:90+9", "tn:99", "range:90+9,tn:99" },
		{ "tn:8", "tn:9", "tn:8,tn:9" },
		{ "tn:9", "tn:9", "tn:9" },
		{ "range:0000+9999", "tn:9999", "range:0000+9999,tn:9999" },
		{ "range:0000+5000", "range:5000+4999", "range:0000+9999" },
		{ "tn:0000007", "tn:0000008", "range:0000007+2" },
	};
	struct ca_scope	*s, *r;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ASSERT_NONNULL(s = keep(SC(v[i].a, v[i].b)));
		ASSERT_STR_EQ(scope_str(s), v[i].canon);
		ASSERT_NONNULL(r = keep(scope_reread(s)));
		ASSERT_TRUE(scope_same(s, r));
	}
	keep_free();
}

/* ------------------------------------------------------------------ */
/* RFC 9060 section 4 with Botan's delegation vectors                 */

#define HEX_CA_RANGES \
	"303BA1123010160B313230323535353031303002010AA10E300C160735353530" \
	"31303002010AA20D160B3132303235353539393939A20616042A363723"
#define HEX_CA_SPC "3008A006160431303031"

static void
test_botan_ca_ranges(void)
{
	static const struct {
		const char	*name, *hex;
		int		 want;
		const char	*msg;
	} v[] = {
		{ "in_range", "300FA20D160B3132303235353530313035", 1, NULL },
		{ "sub_range", "3014A1123010160B3132303235353530313032020103",
		    1, NULL },
		{ "wildcard_match", "3008A20616042A363723", 1, NULL },
		{ "range_spills",
		    "3014A1123010160B313230323535353031303502010A", 0,
		    "RFC 9060 section 4: range:12025550105+10 is not "
		    "encompassed by the parent: 12025550110 is outside it" },
		{ "out_of_range", "3010A20E160C343432303739343630303030", 0,
		    "RFC 9060 section 4: tn:442079460000 is not encompassed "
		    "by the parent: 442079460000 is outside it (the parent "
		    "has no 12-digit numbers)" },
		{ "wrong_width", "300CA20A16083035353530313035", 0,
		    "RFC 9060 section 4: tn:05550105 is not encompassed by "
		    "the parent: 05550105 is outside it (the parent has no "
		    "8-digit numbers)" },
		{ "spc_under_ranges", HEX_CA_SPC, 0,
		    "RFC 9060 section 4: spc:1001 is not encompassed by the "
		    "parent: an SPC must appear verbatim in the parent, which "
		    "does not list 1001" },
	};
	struct ca_scope	*p, *c;
	struct st_err	 why;
	size_t		 i;
	int		 got;

	ASSERT_NONNULL(p = keep(scope_hex(HEX_CA_RANGES)));
	ASSERT_STR_EQ(scope_str(p), "tn:*67#,range:5550100+10,"
	    "range:12025550100+10,tn:12025559999");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&why, 0, sizeof(why));
		ASSERT_NONNULL(c = keep(scope_hex(v[i].hex)));
		got = ca_scope_encompasses(p, c, NULL, &why);
		if (got != v[i].want || (v[i].msg != NULL &&
		    strcmp(why.msg, v[i].msg) != 0))
			fprintf(stderr, "  vector %s\n", v[i].name);
		ASSERT_INT_EQ(got, v[i].want);
		if (v[i].want == 1) {
			ASSERT_INT_EQ(why.code, 0);
			continue;
		}
		ASSERT_INT_EQ(why.code, ST_E_SCOPE);
		ASSERT_STR_EQ(why.msg, v[i].msg);
	}
	keep_free();
}

/* A policy map: SPC code -> scope, counting lookups. */
struct test_map {
	const char		*spc[4];
	const struct ca_scope	*num[4];
	size_t			 n;
	int			 fail;
	int			 calls;
};

static int
test_map_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	struct test_map	*m = arg;
	size_t		 i;

	m->calls++;
	*numbers = NULL;
	if (m->fail != 0)
		return m->fail;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->spc[i], spc) == 0)
			*numbers = m->num[i];
	return 0;
}

/*
 * RFC 9060 section 4.1 lets an SPC-only parent delegate numbers; section
 * 8 leaves to the CA's policy which numbers belong to an SPC.
 */
static void
test_botan_ca_spc(void)
{
	struct test_map		 tm = { { "1001" }, { NULL }, 1, 0, 0 };
	struct ca_spc_map	 map = { test_map_lookup, &tm };
	struct ca_scope		*p, *c, *owned, *part, *other, *same;
	struct st_err		 why = { 0 };

	ASSERT_NONNULL(p = keep(scope_hex(HEX_CA_SPC)));
	/* numbers_under_spc: one 442079460000, range 2125551000+1000 */
	ASSERT_NONNULL(c = keep(scope_hex("3024A20E160C343432303739343630"
	    "303030A1123010160A32313235353531303030020203E8")));
	ASSERT_NONNULL(owned = keep(SC("range:2125550000+10000",
	    "tn:442079460000", "tn:0")));
	ASSERT_NONNULL(part = keep(SC("range:2125551000+500",
	    "tn:442079460000")));
	ASSERT_NONNULL(other = keep(scope_hex("3008A006160432303032")));
	ASSERT_NONNULL(same = keep(scope_hex(HEX_CA_SPC)));

	/* Without a map an SPC parent encompasses no numbers. */
	ASSERT_INT_EQ(ca_scope_encompasses(p, c, NULL, &why), 0);
	ASSERT_INT_EQ(why.code, ST_E_SCOPE);
	ASSERT_STR_EQ(why.msg, "RFC 9060 section 4: range:2125551000+1000 "
	    "is not encompassed by the parent: 2125551000 is outside it (the "
	    "parent has no 10-digit numbers); the parent holds SPC 1001 "
	    "only; no policy mapping says which numbers belong to it");

	/* The policy says SPC 1001 owns them. */
	tm.num[0] = owned;
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, c, &map, &why), 1);
	ASSERT_INT_EQ(why.code, 0);
	ASSERT_INT_EQ(tm.calls, 1);

	/* The policy gives SPC 1001 only half of the range. */
	tm.num[0] = part;
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, c, &map, &why), 0);
	ASSERT_STR_EQ(why.msg, "RFC 9060 section 4: range:2125551000+1000 "
	    "is not encompassed by the parent: 2125551500 is outside it, nor "
	    "among the numbers the policy assigns to the parent's SPC 1001");

	/* The policy knows no numbers of SPC 1001 (NULL). */
	tm.spc[0] = "2002";
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, c, &map, &why), 0);
	ASSERT_STR_CONTAINS(why.msg, "2125551000 is outside it, nor among");
	tm.spc[0] = "1001";

	/* A failing lookup is an error, not a "no". */
	tm.fail = ST_E_STORE;
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, c, &map, &why), ST_E_STORE);
	ASSERT_INT_EQ(why.code, ST_E_STORE);
	ASSERT_STR_CONTAINS(why.msg, "SPC 1001");
	tm.fail = 0;

	/* spc_other: SPCs compare verbatim, map or not. */
	tm.num[0] = owned;
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, other, &map, &why), 0);
	ASSERT_STR_CONTAINS(why.msg, "spc:2002 is not encompassed");
	ASSERT_INT_EQ(ca_scope_encompasses(p, other, NULL, NULL), 0);
	/* spc_same */
	ASSERT_INT_EQ(ca_scope_encompasses(p, same, NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(p, same, &map, NULL), 1);
	keep_free();
}

/* The map is consulted only when the parent's own numbers fall short. */
static void
test_map_only_when_needed(void)
{
	struct test_map		 tm = { { "X" }, { NULL }, 1, 0, 0 };
	struct ca_spc_map	 map = { test_map_lookup, &tm };
	struct ca_scope		*p, *in, *out, *mine, *w;
	struct st_err		 why = { 0 };

	ASSERT_NONNULL(p = keep(SC("spc:X", "range:5550000+100")));
	ASSERT_NONNULL(in = keep(SC("range:5550010+10")));
	ASSERT_NONNULL(out = keep(SC("range:5550090+20")));
	ASSERT_NONNULL(mine = keep(SC("range:5550100+5", "tn:*1")));
	ASSERT_NONNULL(w = keep(SC("tn:*1")));
	ASSERT_INT_EQ(ca_scope_encompasses(p, in, &map, NULL), 1);
	ASSERT_INT_EQ(tm.calls, 0);
	/* Parent with SPC and numbers, no map: the note says so. */
	ASSERT_INT_EQ(ca_scope_encompasses(p, out, NULL, &why), 0);
	ASSERT_STR_EQ(why.msg, "RFC 9060 section 4: range:5550090+20 is not "
	    "encompassed by the parent: 5550100 is outside it; the parent's "
	    "SPC X might own it, but no policy mapping says which numbers "
	    "belong to it");
	/* The mapped numbers join the parent's own (merged across). */
	tm.num[0] = mine;
	ASSERT_INT_EQ(ca_scope_encompasses(p, out, &map, NULL), 0);
	ASSERT_INT_EQ(tm.calls, 1);
	ASSERT_NONNULL(out = keep(SC("range:5550090+15")));
	ASSERT_INT_EQ(ca_scope_encompasses(p, out, &map, NULL), 1);
	/* A parent without SPCs never consults the map. */
	ASSERT_NONNULL(p = keep(SC("range:5550000+100")));
	memset(&why, 0, sizeof(why));
	ASSERT_INT_EQ(ca_scope_encompasses(p, out, &map, &why), 0);
	ASSERT_INT_EQ(tm.calls, 2);
	ASSERT_STR_EQ(why.msg, "RFC 9060 section 4: range:5550090+15 is not "
	    "encompassed by the parent: 5550100 is outside it");
	ASSERT_NONNULL(p = keep(SC("spc:X", "range:5550000+100")));
	/* Wildcard numbers may come from the map too, verbatim. */
	ASSERT_INT_EQ(ca_scope_encompasses(p, w, NULL, NULL), 0);
	ASSERT_INT_EQ(ca_scope_encompasses(p, w, &map, NULL), 1);
	keep_free();
}

/* ------------------------------------------------------------------ */
/* Set-operation identities                                           */

static void
test_identities(void)
{
	struct ca_scope	*a, *b, *c, *z, *ab, *ba;

	ASSERT_NONNULL(a = keep(SC("spc:A", "spc:B", "tn:*1", "tn:#",
	    "range:100+50", "range:300+10", "tn:5", "range:5550000+1000",
	    "range:90+9")));
	ASSERT_NONNULL(b = keep(SC("spc:B", "spc:C", "tn:*1", "tn:*2",
	    "range:120+200", "tn:6", "range:5550500+1000", "tn:99")));
	ASSERT_NONNULL(c = keep(SC("spc:A", "spc:D", "tn:#", "tn:*2",
	    "range:140+30", "range:0+9", "tn:9", "range:5549990+20")));
	ASSERT_NONNULL(z = keep(ca_scope_new_empty()));

	/* idempotence and the empty scope */
	ASSERT_TRUE(scope_same(op_union(a, a), a));
	ASSERT_TRUE(scope_same(op_inter(a, a), a));
	ASSERT_TRUE(ca_scope_is_empty(op_sub(a, a)));
	ASSERT_TRUE(scope_same(op_union(a, z), a));
	ASSERT_TRUE(ca_scope_is_empty(op_inter(a, z)));
	ASSERT_TRUE(scope_same(op_sub(a, z), a));
	ASSERT_TRUE(ca_scope_is_empty(op_sub(z, a)));
	/* commutativity, associativity, distributivity */
	ASSERT_TRUE(scope_same(op_union(a, b), op_union(b, a)));
	ASSERT_TRUE(scope_same(op_inter(a, b), op_inter(b, a)));
	ASSERT_TRUE(scope_same(op_union(a, op_union(b, c)),
	    op_union(op_union(a, b), c)));
	ASSERT_TRUE(scope_same(op_inter(a, op_inter(b, c)),
	    op_inter(op_inter(a, b), c)));
	ASSERT_TRUE(scope_same(op_inter(a, op_union(b, c)),
	    op_union(op_inter(a, b), op_inter(a, c))));
	ASSERT_TRUE(scope_same(op_union(a, op_inter(b, c)),
	    op_inter(op_union(a, b), op_union(a, c))));
	/* difference */
	ASSERT_TRUE(scope_same(op_union(op_sub(a, b), op_inter(a, b)), a));
	ASSERT_TRUE(ca_scope_is_empty(op_inter(op_sub(a, b), b)));
	ASSERT_TRUE(scope_same(op_sub(a, op_union(b, c)),
	    op_inter(op_sub(a, b), op_sub(a, c))));
	ASSERT_TRUE(scope_same(op_sub(a, op_inter(b, c)),
	    op_union(op_sub(a, b), op_sub(a, c))));
	/* sizes: |A u B| + |A n B| = |A| + |B| */
	ASSERT_U64_EQ(ca_scope_nnumbers(op_union(a, b)) +
	    ca_scope_nnumbers(op_inter(a, b)),
	    ca_scope_nnumbers(a) + ca_scope_nnumbers(b));
	/* encompassing agrees with the operations */
	ASSERT_INT_EQ(ca_scope_encompasses(op_union(a, b), a, NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(a, op_inter(a, b), NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(a, op_sub(a, b), NULL, NULL), 1);
	ASSERT_INT_EQ(ca_scope_encompasses(a, b, NULL, NULL), 0);
	/* known values, computed by hand */
	ASSERT_NONNULL(ab = op_inter(a, b));
	ASSERT_STR_EQ(scope_str(ab),
	    "spc:B,tn:*1,range:120+30,range:300+10,range:5550500+500");
	ASSERT_NONNULL(ba = op_sub(a, b));
	ASSERT_STR_EQ(scope_str(ba), "spc:A,tn:#,tn:5,range:90+9,"
	    "range:100+20,range:5550000+500");
	ASSERT_STR_EQ(scope_str(op_union(a, c)), "spc:A,spc:B,spc:D,tn:#,"
	    "tn:*1,tn:*2,range:0+9,tn:9,range:90+9,range:100+70,"
	    "range:300+10,range:5549990+1010");
	keep_free();
}

/* ------------------------------------------------------------------ */
/* Randomised cross-check against a brute-force oracle                */

#define NSPC_POOL	4
#define NWILD_POOL	5
#define ORACLE_D	3	/* numbers of 1..3 digits */
#define ORACLE_ROUNDS	5000

/* strcmp order, as the scope sorts them */
static const char *const spc_pool[NSPC_POOL] = { "A", "B", "C", "D" };
static const char *const wild_pool[NWILD_POOL] = { "#", "#2", "*1", "*67#",
	"1*" };
static const unsigned pow10u[ORACLE_D + 2] = { 1, 10, 100, 1000, 10000 };
static char num_str[ORACLE_D + 1][1000][ORACLE_D + 1];

struct model {
	bool	spc[NSPC_POOL];
	bool	wild[NWILD_POOL];
	bool	num[ORACLE_D + 1][1000];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*, fixed seed: the run is reproducible. */
static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/*
 * A random TNAuthList of 0..7 entries and the model of what it names.
 * numbers_only leaves out SPCs (for the map's scopes).
 */
static struct ca_tnauth *
gen_list(struct model *m, bool numbers_only)
{
	struct ca_tnauth	*l;
	unsigned		 i, n, r, d, v, cnt, cmax, k;
	char			 buf[32];

	memset(m, 0, sizeof(*m));
	if ((l = ca_tnauth_new()) == NULL)
		return NULL;
	n = rnd(8);
	for (i = 0; i < n; i++) {
		r = rnd(100);
		d = 1 + rnd(ORACLE_D);
		if (r < 12 && !numbers_only) {
			k = rnd(NSPC_POOL);
			m->spc[k] = true;
			if (ca_tnauth_add(l, CA_TN_SPC, spc_pool[k], 0,
			    NULL) != 0)
				goto fail;
		} else if (r < 24) {
			k = rnd(NWILD_POOL);
			m->wild[k] = true;
			if (ca_tnauth_add(l, CA_TN_ONE, wild_pool[k], 0,
			    NULL) != 0)
				goto fail;
		} else if (r < 50) {
			v = rnd(pow10u[d]);
			m->num[d][v] = true;
			if (ca_tnauth_add(l, CA_TN_ONE, num_str[d][v], 0,
			    NULL) != 0)
				goto fail;
		} else if (r < 90) {
			/* encoder range: start + count < 10^D */
			v = rnd(pow10u[d] - 2);
			cmax = pow10u[d] - 1 - v;
			if (cmax > 60)
				cmax = 60;
			cnt = 2 + rnd(cmax - 1);
			for (k = v; k < v + cnt; k++)
				m->num[d][k] = true;
			snprintf(buf, sizeof(buf), "range:%s+%u",
			    num_str[d][v], cnt);
			if (ca_tnauth_add_spec(l, buf, NULL) != 0)
				goto fail;
		} else {
			/* decoder's exact fit: start + count == 10^D */
			v = pow10u[d] - 2 - rnd(d == 1 ? 8 : 40);
			cnt = pow10u[d] - v;
			for (k = v; k < v + cnt; k++)
				m->num[d][k] = true;
			if (raw_push(l, CA_TN_RANGE, num_str[d][v], cnt) != 0)
				goto fail;
		}
	}
	return l;
fail:
	ca_tnauth_free(l);
	return NULL;
}

static void
model_op(const struct model *a, const struct model *b, int op,
    struct model *r)
{
	const bool	*x, *y;
	bool		*z;
	size_t		 i, n = sizeof(*r) / sizeof(bool);

	x = (const bool *)a;
	y = (const bool *)b;
	z = (bool *)r;
	for (i = 0; i < n; i++)
		z[i] = op == 0 ? (x[i] || y[i]) :
		    op == 1 ? (x[i] && y[i]) : (x[i] && !y[i]);
}

/* Compare a scope with its model: every member, every count. */
static bool
model_check(const struct ca_scope *s, const struct model *m, const char *what)
{
	uint64_t	nn = 0;
	size_t		nspc = 0, nwild = 0, nint = 0;
	unsigned	d, v, k;

	for (k = 0; k < NSPC_POOL; k++) {
		nspc += m->spc[k];
		if (ca_scope_has_spc(s, spc_pool[k]) != m->spc[k]) {
			fprintf(stderr, "  %s: spc %s\n", what, spc_pool[k]);
			return false;
		}
	}
	for (k = 0; k < NWILD_POOL; k++) {
		nwild += m->wild[k];
		if (ca_scope_contains_tn(s, wild_pool[k]) != m->wild[k]) {
			fprintf(stderr, "  %s: tn %s\n", what, wild_pool[k]);
			return false;
		}
	}
	for (d = 1; d <= ORACLE_D; d++) {
		for (v = 0; v < pow10u[d]; v++) {
			if (m->num[d][v]) {
				nn++;
				if (v == 0 || !m->num[d][v - 1])
					nint++;
			}
			if (ca_scope_contains_tn(s, num_str[d][v]) !=
			    m->num[d][v]) {
				fprintf(stderr, "  %s: tn %s: scope %d, "
				    "oracle %d\n", what, num_str[d][v],
				    ca_scope_contains_tn(s, num_str[d][v]),
				    m->num[d][v]);
				return false;
			}
		}
	}
	if (ca_scope_contains_tn(s, "0000") || ca_scope_contains_tn(s, "1000")) {
		fprintf(stderr, "  %s: 4-digit probe\n", what);
		return false;
	}
	if (ca_scope_nspc(s) != nspc || ca_scope_nwild(s) != nwild ||
	    ca_scope_nintervals(s) != nint ||
	    ca_scope_nnumbers(s) != nn + nwild ||
	    ca_scope_is_empty(s) != (nspc + nwild + nn == 0)) {
		fprintf(stderr, "  %s: counts: spc %zu/%zu wild %zu/%zu "
		    "intervals %zu/%zu numbers %" PRIu64 "/%" PRIu64 "\n", what,
		    ca_scope_nspc(s), nspc, ca_scope_nwild(s), nwild,
		    ca_scope_nintervals(s), nint, ca_scope_nnumbers(s),
		    nn + nwild);
		return false;
	}
	return true;
}

/*
 * The oracle's answer to "does p (with the map's numbers for its SPCs, if
 * maps is not NULL) encompass c?", and the expected start of why.msg: the
 * first escaping entry in the scope's order (SPCs, wildcard numbers, then
 * numbers by length and value) and the first number outside.
 */
static int
model_encompasses(const struct model *p, const struct model *c,
    const struct model *maps, const bool *mapped, char *msg, size_t msgsz)
{
	struct model	eff = *p;
	unsigned	d, v, lo, hi, k, j;
	bool		has_spc = false;

	msg[0] = '\0';
	for (k = 0; k < NSPC_POOL; k++) {
		if (c->spc[k] && !p->spc[k]) {
			snprintf(msg, msgsz, "RFC 9060 section 4: spc:%s is "
			    "not encompassed", spc_pool[k]);
			return 0;
		}
		has_spc |= p->spc[k];
	}
	if (maps != NULL && has_spc) {
		for (k = 0; k < NSPC_POOL; k++) {
			if (!p->spc[k] || !mapped[k])
				continue;
			for (j = 0; j < NWILD_POOL; j++)
				eff.wild[j] |= maps[k].wild[j];
			for (d = 1; d <= ORACLE_D; d++)
				for (v = 0; v < pow10u[d]; v++)
					eff.num[d][v] |= maps[k].num[d][v];
		}
	}
	for (k = 0; k < NWILD_POOL; k++) {
		if (c->wild[k] && !eff.wild[k]) {
			snprintf(msg, msgsz, "RFC 9060 section 4: tn:%s is not "
			    "encompassed", wild_pool[k]);
			return 0;
		}
	}
	for (d = 1; d <= ORACLE_D; d++) {
		for (v = 0; v < pow10u[d]; v++) {
			if (!c->num[d][v] || eff.num[d][v])
				continue;
			for (lo = v; lo > 0 && c->num[d][lo - 1]; lo--)
				;
			for (hi = v; hi + 1 < pow10u[d] && c->num[d][hi + 1];
			    hi++)
				;
			if (lo == hi)
				snprintf(msg, msgsz, "RFC 9060 section 4: tn:%s "
				    "is not encompassed by the parent: %s is "
				    "outside it", num_str[d][lo], num_str[d][v]);
			else
				snprintf(msg, msgsz, "RFC 9060 section 4: "
				    "range:%s+%u is not encompassed by the "
				    "parent: %s is outside it", num_str[d][lo],
				    hi - lo + 1, num_str[d][v]);
			return 0;
		}
	}
	return 1;
}

static void
test_oracle_random(void)
{
	static struct model	 ma, mb, mr, maps[NSPC_POOL];
	struct test_map		 tm;
	struct ca_spc_map	 map = { test_map_lookup, &tm };
	struct ca_tnauth	*la = NULL, *lb = NULL, *lm;
	struct ca_scope		*a = NULL, *b = NULL, *r = NULL;
	struct ca_scope		*ms[NSPC_POOL] = { NULL };
	struct st_err		 why;
	bool			 mapped[NSPC_POOL];
	char			 want[256];
	unsigned		 round, d, v, k;
	int			 op, got, exp;

	for (d = 1; d <= ORACLE_D; d++) {
		for (v = 0; v < pow10u[d]; v++) {
			for (k = 0; k < d; k++)
				num_str[d][v][k] =
				    (char)('0' + v / pow10u[d - 1 - k] % 10);
			num_str[d][v][d] = '\0';
		}
	}
	for (round = 0; round < ORACLE_ROUNDS; round++) {
		/* the policy map: each SPC owns some numbers, or none */
		memset(&tm, 0, sizeof(tm));
		for (k = 0; k < NSPC_POOL; k++) {
			mapped[k] = rnd(3) != 0;
			ASSERT_NONNULL(lm = gen_list(&maps[k], true));
			if (!mapped[k])
				memset(&maps[k], 0, sizeof(maps[k]));
			ASSERT_INT_EQ(ca_scope_from_tnauth(lm, &ms[k], NULL),
			    0);
			ca_tnauth_free(lm);
			tm.spc[k] = spc_pool[k];
			tm.num[k] = mapped[k] ? ms[k] : NULL;
		}
		tm.n = NSPC_POOL;

		ASSERT_NONNULL(la = gen_list(&ma, false));
		ASSERT_NONNULL(lb = gen_list(&mb, false));
		ASSERT_INT_EQ(ca_scope_from_tnauth(la, &a, NULL), 0);
		ASSERT_INT_EQ(ca_scope_from_tnauth(lb, &b, NULL), 0);
		ca_tnauth_free(la);
		ca_tnauth_free(lb);
		la = lb = NULL;
		ASSERT_TRUE(model_check(a, &ma, "from_tnauth a"));
		ASSERT_TRUE(model_check(b, &mb, "from_tnauth b"));

		for (op = 0; op < 3; op++) {
			got = op == 0 ? ca_scope_union(a, b, &r) :
			    op == 1 ? ca_scope_intersect(a, b, &r) :
			    ca_scope_subtract(a, b, &r);
			ASSERT_INT_EQ(got, 0);
			model_op(&ma, &mb, op, &mr);
			ASSERT_TRUE(model_check(r, &mr, op == 0 ? "union" :
			    op == 1 ? "intersect" : "subtract"));
			ca_scope_free(r);
			r = NULL;
		}

		/* to_tnauth -> encode -> decode names the same set */
		if (!ca_scope_is_empty(a)) {
			ASSERT_NONNULL(r = scope_reread(a));
			ASSERT_TRUE(model_check(r, &ma, "re-read"));
			ca_scope_free(r);
			r = NULL;
		}

		/* encompassing, without and with the map, both ways */
		for (k = 0; k < 4; k++) {
			const struct ca_scope *p = k & 1 ? b : a;
			const struct ca_scope *c = k & 1 ? a : b;
			bool with_map = k >= 2;

			memset(&why, 0, sizeof(why));
			exp = model_encompasses(k & 1 ? &mb : &ma,
			    k & 1 ? &ma : &mb, with_map ? maps : NULL, mapped,
			    want, sizeof(want));
			got = ca_scope_encompasses(p, c, with_map ? &map :
			    NULL, &why);
			if (got != exp)
				fprintf(stderr, "  round %u case %u: %s\n",
				    round, k, scope_str(c));
			ASSERT_INT_EQ(got, exp);
			if (exp == 1) {
				ASSERT_INT_EQ(why.code, 0);
				continue;
			}
			ASSERT_INT_EQ(why.code, ST_E_SCOPE);
			if (strncmp(why.msg, want, strlen(want)) != 0)
				fprintf(stderr, "  round %u case %u:\n    "
				    "got  %s\n    want %s...\n", round, k,
				    why.msg, want);
			ASSERT_INT_EQ(strncmp(why.msg, want, strlen(want)), 0);
		}
		/* a parent always encompasses its intersections */
		ASSERT_INT_EQ(ca_scope_intersect(a, b, &r), 0);
		ASSERT_INT_EQ(ca_scope_encompasses(a, r, NULL, NULL), 1);
		ASSERT_INT_EQ(ca_scope_encompasses(b, r, NULL, NULL), 1);
		ca_scope_free(r);
		r = NULL;

		ca_scope_free(a);
		ca_scope_free(b);
		a = b = NULL;
		for (k = 0; k < NSPC_POOL; k++) {
			ca_scope_free(ms[k]);
			ms[k] = NULL;
		}
	}
}

int
main(void)
{
	RUN(test_canonical_merge);
	RUN(test_lengths_never_mix);
	RUN(test_sets_verbatim);
	RUN(test_contains_invalid);
	RUN(test_from_tnauth_rejects);
	RUN(test_empty);
	RUN(test_exact_fit);
	RUN(test_to_tnauth_split);
	RUN(test_botan_ca_ranges);
	RUN(test_botan_ca_spc);
	RUN(test_map_only_when_needed);
	RUN(test_identities);
	RUN(test_oracle_random);
	return th_done("scope");
}
