/* SPDX-License-Identifier: ISC */
/*
 * Benchmark of the scope algebra (ca/scope.c) on an issuer that holds
 * 100 000 random, non-overlapping ranges of 10-digit numbers (fixed seed):
 * building the canonical form from a TNAuthList, single-number membership
 * (RFC 8226 section 9), RFC 9060 section 4 encompassing for a one-number
 * child and for a child of 1000 ranges, and the union of two such scopes.
 *
 * Prints one figure per line with its unit and, where docs/scope.md sets a
 * target, the ratio to it.  Asserts nothing about time: the exit status is
 * 1 only when a result is wrong.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/ca.h"
#include "tests/bench/bench.h"

#define NRANGES		100000
#define BASE		1000000000ULL	/* smallest 10-digit number */
#define SLOT		90000ULL	/* 9e9 numbers / NRANGES */
#define NQUERIES	(1 << 20)
#define QUERY_PASSES	4
#define NCHILD1		1000
#define ENC1_ROUNDS	2000000
#define CHILD_RANGES	1000
#define ENC1000_ROUNDS	2000
#define REPEAT		5

#define TARGET_CANON_MS		1000.0
#define TARGET_CONTAINS		1000000.0

struct range {
	uint64_t	start;
	uint64_t	count;
};

static uint64_t rng_state;

/* xorshift64*, fixed seeds: every run measures the same work. */
static uint64_t
rnd(uint64_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return ((rng_state * 0x2545f4914f6cdd1dULL) >> 11) % n;
}

/* Write v as 10 digits (v < 10^10) into buf. */
static void
fmt10(char *buf, uint64_t v)
{
	int	i;

	for (i = 9; i >= 0; i--) {
		buf[i] = (char)('0' + v % 10);
		v /= 10;
	}
	buf[10] = '\0';
}

static int
fail(const char *what)
{
	fprintf(stderr, "bench_scope: wrong result: %s\n", what);
	return 1;
}

/*
 * One range per slot of SLOT numbers, starting in the slot's first half
 * and ending before its last number, so ranges never overlap or touch.
 */
static void
gen_ranges(struct range *r, uint64_t seed)
{
	uint64_t	i, base;

	rng_state = seed;
	for (i = 0; i < NRANGES; i++) {
		base = BASE + i * SLOT;
		r[i].start = base + rnd(SLOT / 2);
		r[i].count = 2 + rnd(SLOT / 2 - 2);
	}
}

/* The ranges as a TNAuthList, in shuffled order. */
static struct ca_tnauth *
to_list(const struct range *r)
{
	struct ca_tnauth	*l;
	struct st_err		 e = { 0 };
	size_t			*ord, i, j, t;
	char			 buf[16];

	if ((l = ca_tnauth_new()) == NULL ||
	    (ord = calloc(NRANGES, sizeof(*ord))) == NULL) {
		ca_tnauth_free(l);
		return NULL;
	}
	for (i = 0; i < NRANGES; i++)
		ord[i] = i;
	for (i = NRANGES - 1; i > 0; i--) {
		j = (size_t)rnd(i + 1);
		t = ord[i];
		ord[i] = ord[j];
		ord[j] = t;
	}
	for (i = 0; i < NRANGES; i++) {
		fmt10(buf, r[ord[i]].start);
		if (ca_tnauth_add(l, CA_TN_RANGE, buf, r[ord[i]].count,
		    &e) != 0) {
			fprintf(stderr, "bench_scope: %s\n", e.msg);
			ca_tnauth_free(l);
			l = NULL;
			break;
		}
	}
	free(ord);
	return l;
}

/* Build a scope from SPEC strings; NULL on error. */
static struct ca_scope *
scope_of(const char *spec)
{
	struct ca_tnauth	*l;
	struct ca_scope		*s = NULL;

	if ((l = ca_tnauth_new()) == NULL)
		return NULL;
	if (ca_tnauth_add_spec(l, spec, NULL) != 0 ||
	    ca_scope_from_tnauth(l, &s, NULL) != 0)
		s = NULL;
	ca_tnauth_free(l);
	return s;
}

/* Canonical form: best of REPEAT builds; *out keeps the last. */
static int
bench_canon(const struct ca_tnauth *l, struct ca_scope **out)
{
	struct ca_scope	*s = NULL;
	double		 t, best = 1e9;
	int		 i;

	*out = NULL;
	for (i = 0; i < REPEAT; i++) {
		ca_scope_free(s);
		s = NULL;
		t = now();
		if (ca_scope_from_tnauth(l, &s, NULL) != 0)
			return fail("ca_scope_from_tnauth");
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("canonical form: %d ranges in %.2f ms (target < %.0f ms: "
	    "%.1fx)\n", NRANGES, best * 1e3, TARGET_CANON_MS,
	    TARGET_CANON_MS / (best * 1e3));
	*out = s;
	return 0;
}

/* Single-number membership: half hits, half numbers in the gaps. */
static int
bench_contains(const struct ca_scope *s, const struct range *r)
{
	char		(*q)[CA_TN_BUFSZ];
	bool		*want;
	uint64_t	 v, k, bad = 0, hits = 0;
	size_t		 i, p;
	double		 t;
	int		 rc = 1;

	q = calloc(NQUERIES, sizeof(*q));
	want = calloc(NQUERIES, sizeof(*want));
	if (q == NULL || want == NULL)
		goto out;
	for (i = 0; i < NQUERIES; i++) {
		k = rnd(NRANGES);
		want[i] = i % 2 == 0;
		if (want[i])
			v = r[k].start + rnd(r[k].count);
		else if (rnd(2) == 0)
			v = BASE + k * SLOT + rnd(r[k].start - BASE - k * SLOT +
			    1) - 1;	/* before the range, or the slot's end */
		else
			v = r[k].start + r[k].count +
			    rnd(BASE + (k + 1) * SLOT - r[k].start - r[k].count);
		if (v < BASE)
			v = BASE + SLOT - 1;
		fmt10(q[i], v);
	}
	t = now();
	for (p = 0; p < QUERY_PASSES; p++) {
		for (i = 0; i < NQUERIES; i++) {
			bool got = ca_scope_contains_tn(s, q[i]);

			hits += got;
			bad += got != want[i];
		}
	}
	t = now() - t;
	if (bad != 0) {
		fprintf(stderr, "bench_scope: %" PRIu64 " wrong answers\n",
		    bad);
		rc = fail("ca_scope_contains_tn");
		goto out;
	}
	printf("contains: %.0f checks/s (target %.0f/s: %.1fx; %d checks, "
	    "%.0f%% hits)\n", (double)NQUERIES * QUERY_PASSES / t,
	    TARGET_CONTAINS, (double)NQUERIES * QUERY_PASSES / t /
	    TARGET_CONTAINS, NQUERIES * QUERY_PASSES,
	    100.0 * (double)hits / ((double)NQUERIES * QUERY_PASSES));
	rc = 0;
out:
	free(q);
	free(want);
	return rc;
}

/* Encompassing of one-number children (each inside one parent range). */
static int
bench_enc1(const struct ca_scope *s, const struct range *r)
{
	struct ca_scope	*c[NCHILD1] = { NULL }, *miss = NULL;
	char		 spec[32];
	uint64_t	 k, ok = 0;
	size_t		 i;
	double		 t;
	int		 rc = 1;

	for (i = 0; i < NCHILD1; i++) {
		k = rnd(NRANGES);
		memcpy(spec, "tn:", 3);
		fmt10(spec + 3, r[k].start + rnd(r[k].count));
		if ((c[i] = scope_of(spec)) == NULL)
			goto out;
	}
	memcpy(spec, "tn:", 3);
	fmt10(spec + 3, r[7].start - 1);
	if ((miss = scope_of(spec)) == NULL)
		goto out;
	if (ca_scope_encompasses(s, miss, NULL, NULL) != 0) {
		rc = fail("encompasses: a number outside the parent");
		goto out;
	}
	t = now();
	for (i = 0; i < ENC1_ROUNDS; i++)
		ok += ca_scope_encompasses(s, c[i % NCHILD1], NULL, NULL) == 1;
	t = now() - t;
	if (ok != ENC1_ROUNDS) {
		rc = fail("encompasses: one-number child");
		goto out;
	}
	printf("encompasses, 1-number child: %.0f checks/s (target %.0f/s: "
	    "%.1fx)\n", ENC1_ROUNDS / t, TARGET_CONTAINS,
	    ENC1_ROUNDS / t / TARGET_CONTAINS);
	rc = 0;
out:
	for (i = 0; i < NCHILD1; i++)
		ca_scope_free(c[i]);
	ca_scope_free(miss);
	return rc;
}

/* A child of CHILD_RANGES sub-ranges of distinct parent ranges. */
static struct ca_tnauth *
child_list(const struct range *r, bool spill)
{
	struct ca_tnauth	*l;
	uint64_t		 k, off, cnt;
	size_t			 i;
	char			 buf[16];

	if ((l = ca_tnauth_new()) == NULL)
		return NULL;
	for (i = 0; i < CHILD_RANGES; i++) {
		k = i * (NRANGES / CHILD_RANGES) + rnd(NRANGES / CHILD_RANGES);
		off = rnd(r[k].count - 1);
		cnt = 1 + rnd(r[k].count - off);
		if (spill && i == CHILD_RANGES / 2) {
			off = r[k].count - 1;
			cnt = 2;	/* one past the parent range's end */
		}
		fmt10(buf, r[k].start + off);
		if ((cnt == 1 ? ca_tnauth_add(l, CA_TN_ONE, buf, 0, NULL) :
		    ca_tnauth_add(l, CA_TN_RANGE, buf, cnt, NULL)) != 0) {
			ca_tnauth_free(l);
			return NULL;
		}
	}
	return l;
}

static int
bench_enc1000(const struct ca_scope *s, const struct range *r)
{
	struct ca_tnauth	*l = NULL, *ls = NULL;
	struct ca_scope		*c = NULL, *cs = NULL;
	struct st_err		 why = { 0 };
	uint64_t		 ok = 0;
	size_t			 i;
	double			 t;
	int			 rc = 1;

	if ((l = child_list(r, false)) == NULL ||
	    (ls = child_list(r, true)) == NULL ||
	    ca_scope_from_tnauth(l, &c, NULL) != 0 ||
	    ca_scope_from_tnauth(ls, &cs, NULL) != 0) {
		rc = fail("building the 1000-range children");
		goto out;
	}
	if (ca_scope_encompasses(s, cs, NULL, &why) != 0 ||
	    why.code != ST_E_SCOPE) {
		rc = fail("encompasses: a spilling 1000-range child");
		goto out;
	}
	t = now();
	for (i = 0; i < ENC1000_ROUNDS; i++)
		ok += ca_scope_encompasses(s, c, NULL, NULL) == 1;
	t = now() - t;
	if (ok != ENC1000_ROUNDS) {
		rc = fail("encompasses: 1000-range child");
		goto out;
	}
	printf("encompasses, %zu-interval child: %.0f checks/s (%.0f child "
	    "intervals/s)\n", ca_scope_nintervals(c), ENC1000_ROUNDS / t,
	    (double)ca_scope_nintervals(c) * ENC1000_ROUNDS / t);
	rc = 0;
out:
	ca_tnauth_free(l);
	ca_tnauth_free(ls);
	ca_scope_free(c);
	ca_scope_free(cs);
	return rc;
}

static bool
union_has(const struct ca_scope *u, uint64_t v)
{
	char	buf[CA_TN_BUFSZ];

	fmt10(buf, v);
	return ca_scope_contains_tn(u, buf);
}

/* Union of two 100k scopes; checked by encompassing, sizes, samples. */
static int
bench_union(const struct ca_scope *a, const struct range *ra)
{
	struct ca_tnauth	*l = NULL;
	struct ca_scope		*b = NULL, *u = NULL, *x = NULL;
	struct range		*rb = NULL;
	double			 t, best = 1e9;
	int			 i, rc = 1;

	if ((rb = calloc(NRANGES, sizeof(*rb))) == NULL)
		goto out;
	gen_ranges(rb, 2);
	if ((l = to_list(rb)) == NULL ||
	    ca_scope_from_tnauth(l, &b, NULL) != 0)
		goto out;
	for (i = 0; i < REPEAT; i++) {
		ca_scope_free(u);
		u = NULL;
		t = now();
		if (ca_scope_union(a, b, &u) != 0) {
			rc = fail("ca_scope_union");
			goto out;
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	if (ca_scope_intersect(a, b, &x) != 0 ||
	    ca_scope_encompasses(u, a, NULL, NULL) != 1 ||
	    ca_scope_encompasses(u, b, NULL, NULL) != 1 ||
	    ca_scope_nnumbers(u) + ca_scope_nnumbers(x) !=
	    ca_scope_nnumbers(a) + ca_scope_nnumbers(b) ||
	    !union_has(u, ra[NRANGES / 2].start) ||
	    !union_has(u, rb[NRANGES / 3].start + rb[NRANGES / 3].count - 1) ||
	    union_has(u, BASE + SLOT - 1)) {
		rc = fail("union of two 100k scopes");
		goto out;
	}
	printf("union: %zu + %zu intervals -> %zu in %.2f ms (%.0f "
	    "intervals/s)\n", ca_scope_nintervals(a), ca_scope_nintervals(b),
	    ca_scope_nintervals(u), best * 1e3,
	    (double)(ca_scope_nintervals(a) + ca_scope_nintervals(b)) / best);
	rc = 0;
out:
	ca_tnauth_free(l);
	ca_scope_free(b);
	ca_scope_free(u);
	ca_scope_free(x);
	free(rb);
	return rc;
}

int
main(void)
{
	struct ca_tnauth	*l = NULL;
	struct ca_scope		*s = NULL;
	struct range		*r;
	uint64_t		 total = 0;
	size_t			 i;
	int			 rc = 1;

	if ((r = calloc(NRANGES, sizeof(*r))) == NULL)
		return 1;
	gen_ranges(r, 1);
	for (i = 0; i < NRANGES; i++)
		total += r[i].count;
	if ((l = to_list(r)) == NULL)
		goto out;
	printf("bench_scope: issuer with %d random non-overlapping 10-digit "
	    "ranges (%" PRIu64 " numbers), seed 1\n", NRANGES, total);
	if (bench_canon(l, &s) != 0)
		goto out;
	if (ca_scope_nintervals(s) != NRANGES ||
	    ca_scope_nnumbers(s) != total) {
		rc = fail("canonical form: interval or number count");
		goto out;
	}
	if (bench_contains(s, r) != 0 || bench_enc1(s, r) != 0 ||
	    bench_enc1000(s, r) != 0 || bench_union(s, r) != 0)
		goto out;
	rc = 0;
out:
	ca_tnauth_free(l);
	ca_scope_free(s);
	free(r);
	return rc;
}
