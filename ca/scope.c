/* SPDX-License-Identifier: ISC */
/*
 * Scope algebra over TNAuthLists: what a TNAuthList names (RFC 8226
 * section 9) and whether a delegate's TNAuthList is "equal to or a subset
 * of" its parent's, i.e. "encompassed" (RFC 9060 section 4).
 *
 * A scope is held in canonical form: a sorted set of SPCs, a sorted set
 * of numbers containing '*' or '#' (compared verbatim, never expanded),
 * and, for each number length D in 1..15, a sorted array of disjoint,
 * non-adjacent intervals [lo, hi] of D-digit numbers.  Numbers of
 * different lengths never mix: "05550105" is not a 7-digit number.
 * Building a scope sorts once and merges; set operations are linear
 * merges; membership and encompassing are binary searches.  See
 * docs/scope.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"

/* 10^D for D in 0..15. */
static const uint64_t scope_pow10[CA_TN_MAXDIGITS + 1] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL
};

struct scope_iv {
	uint64_t	lo;
	uint64_t	hi;	/* inclusive */
};

/* Intervals of one number length, sorted by lo, disjoint, non-adjacent. */
struct scope_ivs {
	struct scope_iv	*v;
	size_t		 n;
	size_t		 cap;
};

/* A sorted set of strings, each owned. */
struct scope_strs {
	char	**v;
	size_t	  n;
};

struct ca_scope {
	struct scope_strs	spc;	/* ServiceProviderCodes */
	struct scope_strs	wild;	/* numbers with '*' or '#' */
	struct scope_ivs	num[CA_TN_MAXDIGITS + 1]; /* by length; [0] unused */
};

enum scope_op {
	SCOPE_UNION,
	SCOPE_INTER,
	SCOPE_DIFF
};

/* ------------------------------------------------------------------ */
/* Sets of strings                                                    */

static void
strs_free(struct scope_strs *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* Binary search for key in the sorted set s. */
static bool
strs_has(const struct scope_strs *s, const char *key)
{
	size_t	lo = 0, hi = s->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, s->v[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/*
 * Sort the borrowed strings v[0..n), drop duplicates and copy them into
 * out, which must be empty.
 */
static int
strs_build(const char **v, size_t n, struct scope_strs *out)
{
	size_t	i, k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), strp_cmp);
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n; i++) {
		if (k > 0 && strcmp(out->v[k - 1], v[i]) == 0)
			continue;
		if ((out->v[k] = strdup(v[i])) == NULL) {
			out->n = k;
			strs_free(out);
			return ST_E_NOMEM;
		}
		k++;
	}
	out->n = k;
	return 0;
}

/*
 * One linear merge of two sorted sets: union, intersection or a minus b.
 * out must be empty; on failure it stays empty.
 */
static int
strs_op(const struct scope_strs *a, const struct scope_strs *b,
    enum scope_op op, struct scope_strs *out)
{
	const char	*take;
	size_t		 i = 0, j = 0;
	int		 c;

	if (a->n + b->n == 0)
		return 0;
	if ((out->v = calloc(a->n + b->n, sizeof(*out->v))) == NULL)
		return ST_E_NOMEM;
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n)
			c = strcmp(a->v[i], b->v[j]);
		else
			c = i < a->n ? -1 : 1;
		if (c < 0) {
			take = op != SCOPE_INTER ? a->v[i] : NULL;
			i++;
		} else if (c > 0) {
			take = op == SCOPE_UNION ? b->v[j] : NULL;
			j++;
		} else {
			take = op != SCOPE_DIFF ? a->v[i] : NULL;
			i++;
			j++;
		}
		if (take == NULL)
			continue;
		if ((out->v[out->n] = strdup(take)) == NULL) {
			strs_free(out);
			return ST_E_NOMEM;
		}
		out->n++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Intervals of one length                                            */

static void
ivs_free(struct scope_ivs *iv)
{
	free(iv->v);
	iv->v = NULL;
	iv->n = 0;
	iv->cap = 0;
}

static int
iv_cmp(const void *a, const void *b)
{
	const struct scope_iv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/*
 * Append [lo, hi], where lo is not below the last interval's lo, merging
 * it into the last interval when they overlap or touch.  Capacity must
 * have been reserved by the caller.
 */
static void
ivs_push(struct scope_ivs *iv, uint64_t lo, uint64_t hi)
{
	struct scope_iv	*last;

	if (iv->n > 0) {
		last = &iv->v[iv->n - 1];
		if (lo <= last->hi + 1) {
			if (hi > last->hi)
				last->hi = hi;
			return;
		}
	}
	iv->v[iv->n].lo = lo;
	iv->v[iv->n].hi = hi;
	iv->n++;
}

/* Sort once, then merge overlapping and adjacent intervals in place. */
static void
ivs_canon(struct scope_ivs *iv)
{
	size_t	i, n = iv->n;

	if (n < 2)
		return;
	qsort(iv->v, n, sizeof(*iv->v), iv_cmp);
	iv->n = 1;
	for (i = 1; i < n; i++)
		ivs_push(iv, iv->v[i].lo, iv->v[i].hi);
}

/*
 * Index of the last interval whose lo is <= v, or SIZE_MAX when there is
 * none.  Because the intervals are disjoint, v is covered exactly when
 * that interval's hi is >= v.
 */
static size_t
ivs_find(const struct scope_ivs *iv, uint64_t v)
{
	size_t	lo = 0, hi = iv->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (iv->v[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? SIZE_MAX : lo - 1;
}

/*
 * One linear merge of two canonical interval lists: union, intersection
 * or a minus b.  The result is canonical.  out must be empty.
 */
static int
ivs_op(const struct scope_ivs *a, const struct scope_ivs *b,
    enum scope_op op, struct scope_ivs *out)
{
	const struct scope_iv	*x, *y;
	uint64_t		 lo, hi, cur;
	size_t			 i = 0, j = 0;

	if (a->n + b->n == 0)
		return 0;
	if ((out->v = calloc(a->n + b->n, sizeof(*out->v))) == NULL)
		return ST_E_NOMEM;
	out->cap = a->n + b->n;
	switch (op) {
	case SCOPE_UNION:
		while (i < a->n || j < b->n) {
			if (j == b->n || (i < a->n && a->v[i].lo <= b->v[j].lo))
				x = &a->v[i++];
			else
				x = &b->v[j++];
			ivs_push(out, x->lo, x->hi);
		}
		break;
	case SCOPE_INTER:
		while (i < a->n && j < b->n) {
			x = &a->v[i];
			y = &b->v[j];
			lo = x->lo > y->lo ? x->lo : y->lo;
			hi = x->hi < y->hi ? x->hi : y->hi;
			if (lo <= hi)
				ivs_push(out, lo, hi);
			if (x->hi < y->hi)
				i++;
			else
				j++;
		}
		break;
	case SCOPE_DIFF:
		for (i = 0; i < a->n; i++) {
			x = &a->v[i];
			cur = x->lo;
			while (j < b->n && b->v[j].hi < cur)
				j++;
			while (cur <= x->hi && j < b->n && b->v[j].lo <= x->hi) {
				y = &b->v[j];
				if (y->lo > cur)
					ivs_push(out, cur, y->lo - 1);
				cur = y->hi + 1;
				if (y->hi > x->hi)
					break; /* y may cover the next a too */
				j++;
			}
			if (cur <= x->hi)
				ivs_push(out, cur, x->hi);
		}
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* TelephoneNumbers                                                   */

/*
 * TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*"))
 * (RFC 8226 Appendix A).  Sets *len and whether the number holds '*' or
 * '#'; returns false for anything else.
 */
static bool
tn_parse(const char *s, size_t *len, bool *wild, uint64_t *value)
{
	uint64_t	v = 0;
	size_t		i;
	bool		w = false;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == CA_TN_MAXDIGITS)
			return false;
		if (s[i] == '*' || s[i] == '#')
			w = true;
		else if (s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (uint64_t)(s[i] - '0');
		else
			return false;
	}
	if (i == 0)
		return false;
	*len = i;
	*wild = w;
	*value = w ? 0 : v;
	return true;
}

/*
 * Check one entry of a TNAuthList against the rules the decoder applies
 * (RFC 8226 section 9 and Appendix A), so that a list built by hand cannot
 * smuggle in a value the codec would refuse.  A range may end exactly at
 * 10^D - 1 (start + count == 10^D, the decoder's exact fit).  On success
 * *d is the number length (0 for an SPC) and *lo, *hi the interval.
 */
static int
scope_check_entry(const struct ca_tn_entry *t, size_t idx, size_t *d,
    bool *wild, uint64_t *lo, uint64_t *hi, struct st_err *e)
{
	size_t	i;

	*d = 0;
	*wild = false;
	*lo = *hi = 0;
	if (t->value == NULL)
		return st_err_set(e, ST_E_USAGE,
		    "TNAuthList entry %zu: no value", idx + 1);
	switch (t->kind) {
	case CA_TN_SPC:
		if (t->value[0] == '\0')
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (spc): RFC 8226 section 9: "
			    "empty ServiceProviderCode", idx + 1);
		for (i = 0; t->value[i] != '\0'; i++)
			if (t->value[i] <= 0x20 || t->value[i] >= 0x7f)
				return st_err_set(e, ST_E_TNAUTH,
				    "TNAuthList entry %zu (spc): "
				    "ServiceProviderCode: character 0x%02x at "
				    "position %zu is not visible ASCII",
				    idx + 1, (unsigned char)t->value[i], i + 1);
		return 0;
	case CA_TN_ONE:
		if (!tn_parse(t->value, d, wild, lo))
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (one): RFC 8226 Appendix A: "
			    "TelephoneNumber is 1..15 characters from "
			    "\"0123456789#*\" (%.32s)", idx + 1, t->value);
		*hi = *lo;
		return 0;
	case CA_TN_RANGE:
		if (!tn_parse(t->value, d, wild, lo))
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (range): RFC 8226 Appendix "
			    "A: TelephoneNumber is 1..15 characters from "
			    "\"0123456789#*\" (%.32s)", idx + 1, t->value);
		if (*wild)
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (range): RFC 8226 section 9: "
			    "a range start must not contain '*' or '#' (%s)",
			    idx + 1, t->value);
		if (t->count < 2)
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (range): RFC 8226 Appendix "
			    "A: count INTEGER (2..MAX): count is %" PRIu64
			    " (%s+%" PRIu64 ")", idx + 1, t->count, t->value,
			    t->count);
		if (t->count > scope_pow10[*d] - *lo)
			return st_err_set(e, ST_E_TNAUTH,
			    "TNAuthList entry %zu (range): RFC 8226 section 9: "
			    "start + count must not exceed 10^%zu (%s+%" PRIu64
			    ")", idx + 1, *d, t->value, t->count);
		*hi = *lo + t->count - 1;
		return 0;
	}
	return st_err_set(e, ST_E_USAGE, "TNAuthList entry %zu: unknown kind %d",
	    idx + 1, (int)t->kind);
}

/* ------------------------------------------------------------------ */
/* Construction                                                       */

/* The empty scope: no SPC, no number.  Free with ca_scope_free. */
struct ca_scope *
ca_scope_new_empty(void)
{
	return calloc(1, sizeof(struct ca_scope));
}

void
ca_scope_free(struct ca_scope *s)
{
	size_t	d;

	if (s == NULL)
		return;
	strs_free(&s->spc);
	strs_free(&s->wild);
	for (d = 0; d <= CA_TN_MAXDIGITS; d++)
		ivs_free(&s->num[d]);
	free(s);
}

/*
 * RFC 8226 section 9: a TNAuthList names the union of its entries (RFC
 * 9060 section 4.1: "the permission semantics ... are additive").  Two
 * passes: check and count, then fill; then one sort and merge per set.
 */
int
ca_scope_from_tnauth(const struct ca_tnauth *l, struct ca_scope **out,
    struct st_err *e)
{
	struct ca_scope	*s = NULL;
	const char	**spc = NULL, **wild = NULL;
	size_t		 cnt[CA_TN_MAXDIGITS + 1] = { 0 };
	size_t		 i, d, nspc = 0, nwild = 0;
	uint64_t	 lo, hi;
	bool		 w;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if (l == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "scope: no TNAuthList");
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		if ((rc = scope_check_entry(&l->v[i], i, &d, &w, &lo, &hi,
		    e)) != 0)
			goto out;
		if (l->v[i].kind == CA_TN_SPC)
			nspc++;
		else if (w)
			nwild++;
		else
			cnt[d]++;
	}
	if ((s = ca_scope_new_empty()) == NULL ||
	    (nspc > 0 && (spc = calloc(nspc, sizeof(*spc))) == NULL) ||
	    (nwild > 0 && (wild = calloc(nwild, sizeof(*wild))) == NULL)) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (d = 1; d <= CA_TN_MAXDIGITS; d++) {
		if (cnt[d] == 0)
			continue;
		if ((s->num[d].v = calloc(cnt[d], sizeof(struct scope_iv))) ==
		    NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		s->num[d].cap = cnt[d];
	}
	nspc = nwild = 0;
	for (i = 0; i < l->n; i++) {
		if ((rc = scope_check_entry(&l->v[i], i, &d, &w, &lo, &hi,
		    e)) != 0)
			goto out;
		if (l->v[i].kind == CA_TN_SPC)
			spc[nspc++] = l->v[i].value;
		else if (w)
			wild[nwild++] = l->v[i].value;
		else {
			s->num[d].v[s->num[d].n].lo = lo;
			s->num[d].v[s->num[d].n].hi = hi;
			s->num[d].n++;
		}
	}
	if ((rc = strs_build(spc, nspc, &s->spc)) != 0 ||
	    (rc = strs_build(wild, nwild, &s->wild)) != 0)
		goto out;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		ivs_canon(&s->num[d]);
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(spc);
	free(wild);
	ca_scope_free(s);
	return rc;
}

/* Append one number, zero-padded to d digits, as a "one" entry. */
static int
scope_emit_one(struct ca_tnauth *l, size_t d, uint64_t v, struct st_err *e)
{
	char	buf[CA_TN_BUFSZ];

	snprintf(buf, sizeof(buf), "%0*" PRIu64, (int)d, v);
	return ca_tnauth_add(l, CA_TN_ONE, buf, 0, e);
}

/*
 * RFC 8226 section 9: "TelephoneNumber + count MUST be less than 10^D".
 * An interval reaching 10^D - 1 therefore cannot be one range: it becomes
 * a range up to 10^D - 2 plus a "one" for 10^D - 1, or two "one"s when it
 * holds just two numbers.
 */
static int
scope_emit_iv(struct ca_tnauth *l, size_t d, const struct scope_iv *iv,
    struct st_err *e)
{
	char		buf[CA_TN_BUFSZ];
	uint64_t	hi = iv->hi;
	bool		split;
	int		rc;

	if (iv->lo == hi)
		return scope_emit_one(l, d, hi, e);
	split = hi == scope_pow10[d] - 1;
	if (split)
		hi--;
	if (iv->lo == hi)
		rc = scope_emit_one(l, d, hi, e);
	else {
		snprintf(buf, sizeof(buf), "%0*" PRIu64, (int)d, iv->lo);
		rc = ca_tnauth_add(l, CA_TN_RANGE, buf, hi - iv->lo + 1, e);
	}
	if (rc == 0 && split)
		rc = scope_emit_one(l, d, iv->hi, e);
	return rc;
}

/*
 * Write the scope back as a TNAuthList the encoder accepts: SPCs, then
 * numbers with '*' or '#', then intervals by length (RFC 8226 section 9).
 * An empty scope has no TNAuthList (SIZE (1..MAX)).
 */
int
ca_scope_to_tnauth(const struct ca_scope *s, struct ca_tnauth **out,
    struct st_err *e)
{
	struct ca_tnauth	*l = NULL;
	size_t			 i, d;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if (s == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "scope: no scope");
		goto out;
	}
	if (ca_scope_is_empty(s)) {
		rc = st_err_set(e, ST_E_TNAUTH,
		    "scope: RFC 8226 Appendix A: SIZE (1..MAX): the scope is "
		    "empty, so no TNAuthList can name it");
		goto out;
	}
	if ((l = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < s->spc.n; i++)
		if ((rc = ca_tnauth_add(l, CA_TN_SPC, s->spc.v[i], 0, e)) != 0)
			goto out;
	for (i = 0; i < s->wild.n; i++)
		if ((rc = ca_tnauth_add(l, CA_TN_ONE, s->wild.v[i], 0, e)) != 0)
			goto out;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		for (i = 0; i < s->num[d].n; i++)
			if ((rc = scope_emit_iv(l, d, &s->num[d].v[i], e)) != 0)
				goto out;
	*out = l;
	l = NULL;
	rc = 0;
out:
	ca_tnauth_free(l);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Queries                                                            */

/* Empty scopes (and NULL) name nothing; no TNAuthList can be empty. */
bool
ca_scope_is_empty(const struct ca_scope *s)
{
	size_t	d;

	if (s == NULL)
		return true;
	if (s->spc.n > 0 || s->wild.n > 0)
		return false;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		if (s->num[d].n > 0)
			return false;
	return true;
}

size_t
ca_scope_nspc(const struct ca_scope *s)
{
	return s == NULL ? 0 : s->spc.n;
}

size_t
ca_scope_nwild(const struct ca_scope *s)
{
	return s == NULL ? 0 : s->wild.n;
}

size_t
ca_scope_nintervals(const struct ca_scope *s)
{
	size_t	d, n = 0;

	if (s == NULL)
		return 0;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		n += s->num[d].n;
	return n;
}

/*
 * Every TelephoneNumber the scope names: the wildcard numbers plus the
 * size of every interval.  At most 1111111111111110 + the wildcards.
 */
uint64_t
ca_scope_nnumbers(const struct ca_scope *s)
{
	uint64_t	n;
	size_t		d, i;

	if (s == NULL)
		return 0;
	n = s->wild.n;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		for (i = 0; i < s->num[d].n; i++)
			n += s->num[d].v[i].hi - s->num[d].v[i].lo + 1;
	return n;
}

bool
ca_scope_has_spc(const struct ca_scope *s, const char *spc)
{
	if (s == NULL || spc == NULL)
		return false;
	return strs_has(&s->spc, spc);
}

/*
 * Membership of one TelephoneNumber (RFC 8226 section 9): a number with
 * '*' or '#' must be listed verbatim; any other number must lie in an
 * interval of its own length.  One binary search.
 */
bool
ca_scope_contains_tn(const struct ca_scope *s, const char *tn)
{
	const struct scope_ivs	*iv;
	uint64_t		 v;
	size_t			 len, k;
	bool			 wild;

	if (s == NULL || !tn_parse(tn, &len, &wild, &v))
		return false;
	if (wild)
		return strs_has(&s->wild, tn);
	iv = &s->num[len];
	k = ivs_find(iv, v);
	return k != SIZE_MAX && iv->v[k].hi >= v;
}

/* ------------------------------------------------------------------ */
/* Set operations                                                     */

/*
 * A set operation on two scopes, part by part: SPCs and wildcard numbers
 * as string sets, intervals length by length (numbers of different
 * lengths never meet).  Each part is one linear merge, O(n + m).
 */
static int
scope_op(const struct ca_scope *a, const struct ca_scope *b,
    enum scope_op op, struct ca_scope **out)
{
	struct ca_scope	*s = NULL;
	size_t		 d;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if (a == NULL || b == NULL) {
		rc = ST_E_USAGE;
		goto out;
	}
	if ((s = ca_scope_new_empty()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = strs_op(&a->spc, &b->spc, op, &s->spc)) != 0 ||
	    (rc = strs_op(&a->wild, &b->wild, op, &s->wild)) != 0)
		goto out;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++)
		if ((rc = ivs_op(&a->num[d], &b->num[d], op, &s->num[d])) != 0)
			goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	ca_scope_free(s);
	return rc;
}

/*
 * Union, intersection and difference.  The union is what a TNAuthList
 * holding both lists' entries would name (RFC 9060 section 4.1: the
 * semantics are additive).
 */
int
ca_scope_union(const struct ca_scope *a, const struct ca_scope *b,
    struct ca_scope **out)
{
	return scope_op(a, b, SCOPE_UNION, out);
}

int
ca_scope_intersect(const struct ca_scope *a, const struct ca_scope *b,
    struct ca_scope **out)
{
	return scope_op(a, b, SCOPE_INTER, out);
}

int
ca_scope_subtract(const struct ca_scope *a, const struct ca_scope *b,
    struct ca_scope **out)
{
	return scope_op(a, b, SCOPE_DIFF, out);
}

/* ------------------------------------------------------------------ */
/* Encompassing (RFC 9060 section 4)                                  */

/* The first child entry that escapes the parent. */
struct scope_escape {
	enum {
		ESC_NONE,
		ESC_WILD,
		ESC_NUM
	}		 kind;
	const char	*wild;		/* ESC_WILD */
	size_t		 d;		/* ESC_NUM: number length */
	struct scope_iv	 iv;		/* ESC_NUM: the child interval */
	uint64_t	 first;		/* ESC_NUM: first number outside */
	bool		 no_len;	/* ESC_NUM: parent has no d-digit ones */
};

/*
 * Do the child's numbers (wildcards verbatim, intervals per length) lie
 * inside parent's?  Fills esc with the first that does not.  Parent
 * intervals are merged, so a child interval is covered exactly when the
 * one parent interval starting at or below it reaches its end: one binary
 * search per child interval, O(m log n).
 */
static void
scope_numbers_escape(const struct ca_scope *p, const struct ca_scope *c,
    struct scope_escape *esc)
{
	const struct scope_ivs	*pv;
	const struct scope_iv	*ci;
	size_t			 d, i, k;

	memset(esc, 0, sizeof(*esc));
	esc->kind = ESC_NONE;
	for (i = 0; i < c->wild.n; i++) {
		if (!strs_has(&p->wild, c->wild.v[i])) {
			esc->kind = ESC_WILD;
			esc->wild = c->wild.v[i];
			return;
		}
	}
	for (d = 1; d <= CA_TN_MAXDIGITS; d++) {
		pv = &p->num[d];
		for (i = 0; i < c->num[d].n; i++) {
			ci = &c->num[d].v[i];
			k = ivs_find(pv, ci->lo);
			if (k != SIZE_MAX && pv->v[k].hi >= ci->hi)
				continue;
			esc->kind = ESC_NUM;
			esc->d = d;
			esc->iv = *ci;
			esc->no_len = pv->n == 0;
			if (k != SIZE_MAX && pv->v[k].hi >= ci->lo)
				esc->first = pv->v[k].hi + 1;
			else
				esc->first = ci->lo;
			return;
		}
	}
}

/* Replace dst's numbers by dst's numbers united with src's. */
static int
scope_add_numbers(struct ca_scope *dst, const struct ca_scope *src)
{
	struct scope_strs	ws = { NULL, 0 };
	struct scope_ivs	iv = { NULL, 0, 0 };
	size_t			d;
	int			rc;

	if ((rc = strs_op(&dst->wild, &src->wild, SCOPE_UNION, &ws)) != 0)
		return rc;
	strs_free(&dst->wild);
	dst->wild = ws;
	for (d = 1; d <= CA_TN_MAXDIGITS; d++) {
		if (src->num[d].n == 0)
			continue;
		if ((rc = ivs_op(&dst->num[d], &src->num[d], SCOPE_UNION,
		    &iv)) != 0)
			return rc;
		ivs_free(&dst->num[d]);
		dst->num[d] = iv;
		memset(&iv, 0, sizeof(iv));
	}
	return 0;
}

/*
 * RFC 9060 sections 4.1 and 8: an SPC-holding parent may delegate numbers
 * when the CA's policy says that those numbers belong to one of its SPCs.
 * The effective parent is the parent's numbers united with map(spc) for
 * every parent SPC; SPCs that the map returns are not consulted.
 */
static int
scope_effective_parent(const struct ca_scope *p, const struct ca_spc_map *map,
    struct ca_scope **out, struct st_err *why)
{
	const struct ca_scope	*m;
	struct ca_scope		*eff = NULL;
	size_t			 i;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((eff = ca_scope_new_empty()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = scope_add_numbers(eff, p)) != 0)
		goto out;
	for (i = 0; i < p->spc.n; i++) {
		m = NULL;
		if ((rc = map->lookup(map->arg, p->spc.v[i], &m)) != 0) {
			if (rc > 0)
				rc = ST_E_INTERNAL;
			rc = st_err_set(why, rc, "RFC 9060 section 8: looking "
			    "up the numbers of SPC %.64s failed (%s)",
			    p->spc.v[i], st_err_name(rc));
			goto out;
		}
		if (m != NULL && (rc = scope_add_numbers(eff, m)) != 0)
			goto out;
	}
	*out = eff;
	eff = NULL;
	rc = 0;
out:
	ca_scope_free(eff);
	return rc;
}

/* "SPC X" or "SPCs X, Y and N more" for messages. */
static void
scope_spc_list(const struct ca_scope *p, char *buf, size_t bufsz)
{
	if (p->spc.n == 1)
		snprintf(buf, bufsz, "SPC %.64s", p->spc.v[0]);
	else if (p->spc.n == 2)
		snprintf(buf, bufsz, "SPCs %.64s and %.64s", p->spc.v[0],
		    p->spc.v[1]);
	else
		snprintf(buf, bufsz, "SPCs %.64s, %.64s and %zu more",
		    p->spc.v[0], p->spc.v[1], p->spc.n - 2);
}

/*
 * Say why the child is not encompassed, naming the entry (in SPEC form)
 * and, for numbers, the first one outside the (effective) parent.
 */
static void
scope_report(const struct ca_scope *p, const struct scope_escape *esc,
    bool mapped, bool map_given, struct st_err *why)
{
	char		entry[48], outside[96], note[320];
	char		spcs[200];
	uint64_t	cnt;
	int		d;

	note[0] = spcs[0] = '\0';
	if (p->spc.n > 0)
		scope_spc_list(p, spcs, sizeof(spcs));
	if (mapped)
		snprintf(note, sizeof(note), ", nor among the numbers the "
		    "policy assigns to the parent's %s", spcs);
	else if (p->spc.n > 0 && !map_given && p->wild.n == 0 &&
	    ca_scope_nintervals(p) == 0)
		snprintf(note, sizeof(note), "; the parent holds %s only; no "
		    "policy mapping says which numbers belong to it", spcs);
	else if (p->spc.n > 0 && !map_given)
		snprintf(note, sizeof(note), "; the parent's %s might own it, "
		    "but no policy mapping says which numbers belong to it",
		    spcs);
	if (esc->kind == ESC_WILD) {
		if (mapped)
			snprintf(note, sizeof(note), " or among the numbers "
			    "the policy assigns to the parent's %s", spcs);
		st_err_set(why, ST_E_SCOPE, "RFC 9060 section 4: tn:%s is not "
		    "encompassed by the parent: a number with '*' or '#' must "
		    "appear verbatim in the parent%s", esc->wild, note);
		return;
	}
	d = (int)esc->d;
	cnt = esc->iv.hi - esc->iv.lo + 1;
	if (cnt == 1)
		snprintf(entry, sizeof(entry), "tn:%0*" PRIu64, d, esc->iv.lo);
	else
		snprintf(entry, sizeof(entry), "range:%0*" PRIu64 "+%" PRIu64,
		    d, esc->iv.lo, cnt);
	if (esc->no_len && !mapped)
		snprintf(outside, sizeof(outside), "%0*" PRIu64 " is outside "
		    "it (the parent has no %d-digit numbers)", d, esc->first,
		    d);
	else
		snprintf(outside, sizeof(outside), "%0*" PRIu64 " is outside "
		    "it", d, esc->first);
	st_err_set(why, ST_E_SCOPE, "RFC 9060 section 4: %s is not "
	    "encompassed by the parent: %s%s", entry, outside, note);
}

/*
 * RFC 9060 section 4: each delegate certificate "MUST have a TNAuthList
 * scope that is equal to or a subset of its parent certificate's scope".
 * SPCs and numbers with '*' or '#' compare verbatim; numbers must lie in
 * the parent's intervals of the same length or, when map is given, in the
 * numbers the CA's policy assigns to one of the parent's SPCs (sections
 * 4.1 and 8).  Returns 1, 0 (why says which entry escapes), or < 0.
 */
int
ca_scope_encompasses(const struct ca_scope *parent,
    const struct ca_scope *child, const struct ca_spc_map *map,
    struct st_err *why)
{
	struct ca_scope		*eff = NULL;
	struct scope_escape	 esc;
	size_t			 i;
	bool			 use_map;
	int			 rc = ST_E_INTERNAL;

	if (parent == NULL || child == NULL) {
		rc = st_err_set(why, ST_E_USAGE,
		    "scope: encompassing needs a parent and a child");
		goto out;
	}
	for (i = 0; i < child->spc.n; i++) {
		if (strs_has(&parent->spc, child->spc.v[i]))
			continue;
		st_err_set(why, ST_E_SCOPE, "RFC 9060 section 4: spc:%.64s is "
		    "not encompassed by the parent: an SPC must appear "
		    "verbatim in the parent, which does not list %.64s",
		    child->spc.v[i], child->spc.v[i]);
		rc = 0;
		goto out;
	}
	scope_numbers_escape(parent, child, &esc);
	if (esc.kind == ESC_NONE) {
		rc = 1;
		goto out;
	}
	use_map = map != NULL && map->lookup != NULL && parent->spc.n > 0;
	if (use_map) {
		if ((rc = scope_effective_parent(parent, map, &eff, why)) != 0)
			goto out;
		scope_numbers_escape(eff, child, &esc);
		if (esc.kind == ESC_NONE) {
			rc = 1;
			goto out;
		}
	}
	scope_report(parent, &esc, use_map, map != NULL && map->lookup != NULL,
	    why);
	rc = 0;
out:
	ca_scope_free(eff);
	return rc;
}
