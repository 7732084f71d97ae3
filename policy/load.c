/* SPDX-License-Identifier: ISC */
/*
 * policy/: loading and validating a policy file (docs/policy.md).
 *
 * The file is read with common/yaml's strict loader and checked in one
 * pass, section by section (version, spc-numbers, profiles, issuers,
 * rules), so every error carries the position of the node at fault as
 * "file:line:col: ...".  Besides the schema, the loader enforces:
 *
 *  - RFC 8226 section 4: end-entity certificates carry P-256 keys (ES256
 *    PASSporTs); section 8: claim constraints are "applicable only to
 *    end-entity certificates";
 *  - RFC 9118 section 6: not both claim-constraint forms; section 3: no
 *    "iat", "orig" or "dest" in must-exclude; section 8: no claim both
 *    in must-include and must-exclude;
 *  - ATIS-1000080 section 6.4.1 (stir-facts.md section 5.1) for profiles
 *    in mode atis-1000080;
 *  - references: rules name existing profiles and issuers, the issuer
 *    serves the profile, lifetimes do not exceed the profile's;
 *  - rules that can never match or never issue, including a rule that an
 *    earlier rule shadows (an error, not a warning: docs/policy.md says
 *    why).
 *
 * The loading functions return as soon as something is wrong: whatever
 * they allocate belongs to the policy from the start (pol_calloc,
 * pol_keep), and pol_load_buf frees the whole policy on failure, so no
 * function here holds a local that an "out:" label would have to free.
 * The few that do (load_spc_numbers) use the usual shape.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bounds that catch typos rather than express policy. */
#define POL_LIFETIME_MIN	60
#define POL_LIFETIME_MAX	(20LL * 366 * 86400)
#define POL_BACKDATE_MAX	86400
/* issuers.NAME.crl-next-update: an hour to a year (RFC 5280 5.1.2.5). */
#define POL_CRL_NEXT_MIN	3600
#define POL_CRL_NEXT_MAX	(366LL * 86400)
#define POL_MAX_ENTRIES		1000000000
#define POL_PATHLEN_MAX		64
/* At most this many overlap warnings for spc-numbers, then a summary. */
#define POL_OVERLAP_WARN	10

/* Placeholders of subject and CRL distribution point templates. */
enum ph {
	PH_SPC = 0,
	PH_TN = 1,
	PH_FIRST_TN = 2,
	PH_ACCOUNT = 3,
	PH_SERIAL = 4,
	PH_ISSUER = 5
};
static const char *const ph_names[] = { "spc", "tn", "first-tn", "account",
	"serial", "issuer" };
#define PH_SUBJECT ((1u << PH_SPC) | (1u << PH_TN) | (1u << PH_FIRST_TN) | \
	(1u << PH_ACCOUNT) | (1u << PH_SERIAL))
#define PH_CRLDP (1u << PH_ISSUER)

static const char *const baseline_claims[] = { "iat", "orig", "dest" };

/*
 * Hand malloc'd memory m over to p, which frees it in pol_free.  On
 * failure m is freed here and ST_E_NOMEM returned, so callers never leak.
 */
static int
pol_keep(struct pol *p, void *m)
{
	void	**v;
	size_t	  nc;

	if (m == NULL)
		return ST_E_NOMEM;
	if (p->nallocs == p->capallocs) {
		nc = p->capallocs == 0 ? 32 : p->capallocs * 2;
		if ((v = reallocarray(p->allocs, nc, sizeof(*v))) == NULL) {
			free(m);
			return ST_E_NOMEM;
		}
		p->allocs = v;
		p->capallocs = nc;
	}
	p->allocs[p->nallocs++] = m;
	return 0;
}

void *
pol_calloc(struct pol *p, size_t n, size_t size)
{
	void	*m;

	m = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
	return pol_keep(p, m) == 0 ? m : NULL;
}

void
pol_free(struct pol *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nallocs; i++)
		free(p->allocs[i]);
	free(p->allocs);
	st_yaml_free(p->doc);
	free(p);
}

/*
 * Record a warning "file:line:col: warning: ..." about node n.  Only
 * running out of memory is an error.
 */
static int ST_PRINTF(3, 4)
pol_warn(struct pol *p, const struct st_yaml_node *n, const char *fmt, ...)
{
	const char	**v;
	char		  msg[ST_ERR_MSGSZ], *s;
	size_t		  nc, len;
	va_list		  ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = strlen(n->file) + strlen(msg) + 48;
	if ((s = pol_calloc(p, 1, len)) == NULL)
		return ST_E_NOMEM;
	snprintf(s, len, "%s:%u:%u: warning: %s", n->file, n->line, n->col,
	    msg);
	if (p->nwarnings == p->capwarnings) {
		nc = p->capwarnings == 0 ? 8 : p->capwarnings * 2;
		if ((v = pol_calloc(p, nc, sizeof(*v))) == NULL)
			return ST_E_NOMEM;
		if (p->nwarnings > 0)
			memcpy(v, p->warnings, p->nwarnings * sizeof(*v));
		p->warnings = v;
		p->capwarnings = nc;
	}
	p->warnings[p->nwarnings++] = s;
	return 0;
}

/* "'key': " prefix of a message about a node that has a key. */
static const char *
key_of(const struct st_yaml_node *n)
{
	return n->key != NULL ? n->key : "value";
}

/* The key node of item i of mapping m, for errors about a name. */
static const struct st_yaml_node *
key_node(const struct st_yaml_node *m, size_t i)
{
	return m->keys[i];
}

/*
 * The key node of key in mapping m, for errors about the key itself (its
 * presence), or m when there is no such key.
 */
static const struct st_yaml_node *
kpos(const struct st_yaml_node *m, const char *key)
{
	size_t	i;

	for (i = 0; m->kind == ST_YAML_MAPPING && i < m->n; i++)
		if (strcmp(m->keys[i]->str, key) == 0)
			return m->keys[i];
	return m;
}

/* m must be a mapping; "what" names it in the message. */
static int
want_map(const struct st_yaml_node *m, const char *what, struct st_err *e)
{
	static const char *const none[] = { NULL };

	if (m->kind == ST_YAML_MAPPING)
		return 0;
	return st_yaml_check_map(m, what, none, NULL, e);
}

/* Why an empty list is refused, by where it appears. */
#define EMPTY_MATCH	"the list is empty and would match nothing; leave " \
	"the key out to match anything"
#define EMPTY_LIST	"the list is empty"
#define EMPTY_ASN1	"RFC 8226 Appendix A: SIZE (1..MAX): the list is " \
	"empty"

/*
 * A list of strings written either as a sequence or, for one value, as a
 * scalar.  An empty list is refused with the reason "empty" (one of the
 * EMPTY_* texts): in a match it would match nothing, which is never what
 * a policy means; elsewhere it says nothing.
 */
static int
get_list(struct pol *p, const struct st_yaml_node *n, const char *empty,
    const char *const **out, size_t *nout, struct st_err *e)
{
	const char	**v = NULL, *s;
	size_t		  nv = 0;
	int		  rc;

	*out = NULL;
	*nout = 0;
	if (n->kind == ST_YAML_SCALAR) {
		if ((rc = st_yaml_str(n, &s, e)) != 0)
			return rc;
		if ((v = pol_calloc(p, 1, sizeof(*v))) == NULL)
			return ST_E_NOMEM;
		v[0] = s;
		*out = v;
		*nout = 1;
		return 0;
	}
	if ((rc = st_yaml_strlist(n, &v, &nv, e)) != 0)
		return rc;
	if (nv == 0)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': %s", key_of(n),
		    empty);
	if ((rc = pol_keep(p, v)) != 0)
		return rc;
	*out = v;
	*nout = nv;
	return 0;
}

/* A sequence (not a scalar) of at least one string, owned by p. */
static int
get_seq(struct pol *p, const struct st_yaml_node *n, const char *empty,
    const char *const **out, size_t *nout, struct st_err *e)
{
	*out = NULL;
	*nout = 0;
	if (n->kind != ST_YAML_SEQUENCE)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': expected a list, "
		    "found %s", key_of(n), n->kind == ST_YAML_MAPPING ?
		    "a mapping" : "a scalar");
	return get_list(p, n, empty, out, nout, e);
}

/* Item i of a sequence node n, for positions (n->items[i]). */
static const struct st_yaml_node *
item(const struct st_yaml_node *n, size_t i)
{
	return n->kind == ST_YAML_SEQUENCE ? n->items[i] : n;
}

/* The first duplicate in v[0..n), or -1. */
static long
find_dup(const char *const *v, size_t n)
{
	size_t	i, j;

	for (i = 1; i < n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0)
				return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* SPECs                                                              */

/*
 * A list of SPECs (scope, scope-within, spc-numbers), each checked with
 * pol_spec_parse; errors point at the offending item.  With one_ok (match
 * conditions), a single SPEC may stand for a list of one.
 */
static int
get_specs(struct pol *p, const struct st_yaml_node *n, bool one_ok,
    const char *empty, const char *const **out, size_t *nout,
    struct st_err *e)
{
	const char *const	*v;
	struct pol_spec		 sp;
	struct st_err		 se = { 0 };
	size_t			 i, nv;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if ((rc = (one_ok ? get_list : get_seq)(p, n, empty, &v, &nv, e)) != 0)
		return rc;
	for (i = 0; i < nv; i++) {
		st_err_clear(&se);
		if (pol_spec_parse(v[i], &sp, &se) != 0)
			return st_yaml_err(item(n, i), e, ST_E_SYNTAX,
			    "'%s': %s", key_of(n), se.msg);
	}
	*out = v;
	*nout = nv;
	return 0;
}

/* ------------------------------------------------------------------ */
/* spc-numbers                                                        */

struct ivl {
	unsigned			 digits;
	uint64_t			 lo, hi;
	size_t				 spc;	/* index into p->spcs */
	const struct st_yaml_node	*node;
};

/* qsort order of intervals: length, then start, then end. */
static int
ivl_cmp(const void *a, const void *b)
{
	const struct ivl	*x = a, *y = b;

	if (x->digits != y->digits)
		return x->digits < y->digits ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/* qsort order of SPC mappings: by SPC, for pol_spc_numbers' bsearch. */
static int
spc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pol_spc *)a)->spc,
	    ((const struct pol_spc *)b)->spc);
}

/*
 * A number listed under two SPCs lets both SPCs' CAs delegate it.  That
 * can be deliberate (a ported number, RFC 9060 section 12 leaves
 * encompassing policy to the CA), so it is a warning, not an error.
 * Sorting the intervals keeps this O(n log n) for large mappings.
 */
static int
spc_overlaps(struct pol *p, struct ivl *iv, size_t n)
{
	size_t	i, reach = 0, nwarn = 0;
	bool	have = false;
	int	rc;

	qsort(iv, n, sizeof(*iv), ivl_cmp);
	for (i = 0; i < n; i++) {
		if (have && iv[reach].digits == iv[i].digits &&
		    iv[i].lo <= iv[reach].hi && iv[reach].spc != iv[i].spc) {
			if (nwarn++ < POL_OVERLAP_WARN &&
			    (rc = pol_warn(p, iv[i].node, "numbers of SPC %s "
			    "overlap numbers of SPC %s (line %u): both SPCs' "
			    "CAs may delegate them", p->spcs[iv[i].spc].spc,
			    p->spcs[iv[reach].spc].spc,
			    iv[reach].node->line)) != 0)
				return rc;
		}
		if (!have || iv[i].digits != iv[reach].digits ||
		    iv[i].hi > iv[reach].hi) {
			reach = i;
			have = true;
		}
	}
	if (nwarn > POL_OVERLAP_WARN)
		return pol_warn(p, iv[0].node, "%zu more overlaps between "
		    "SPCs in spc-numbers", nwarn - POL_OVERLAP_WARN);
	return 0;
}

/*
 * spc-numbers: SPC -> [tn:..., range:...].  RFC 9060 sections 4.1 and 8
 * leave it to the CA to know which numbers an SPC holds; this mapping is
 * what lets an SPC-scoped CA delegate numbers.
 */
static int
load_spc_numbers(struct pol *p, const struct st_yaml_node *m,
    struct st_err *e)
{
	struct ivl	*iv = NULL;
	struct pol_spec	 sp;
	char		 spec[300];
	size_t		 i, j, niv = 0, total = 0;
	int		 rc = ST_E_INTERNAL;

	if ((rc = want_map(m, "spc-numbers", e)) != 0)
		goto out;
	if (m->n == 0) {
		rc = 0;
		goto out;
	}
	if ((p->spcs = pol_calloc(p, m->n, sizeof(*p->spcs))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < m->n; i++) {
		struct pol_spc	*s = &p->spcs[i];

		snprintf(spec, sizeof(spec), "spc:%s", m->keys[i]->str);
		if (m->keys[i]->len > 255 ||
		    pol_spec_parse(spec, &sp, NULL) != 0) {
			rc = st_yaml_err(key_node(m, i), e, ST_E_SYNTAX,
			    "spc-numbers: SPC '%.64s': RFC 8226 section 9: a "
			    "ServiceProviderCode is an IA5String; stica wants "
			    "1 to 255 visible ASCII characters",
			    m->keys[i]->str);
			goto out;
		}
		s->spc = m->keys[i]->str;
		s->line = m->keys[i]->line;
		if ((rc = get_specs(p, m->items[i], false, "the list is empty; "
		    "list the SPC's numbers or leave the SPC out", &s->specs,
		    &s->nspecs, e)) != 0)
			goto out;
		for (j = 0; j < s->nspecs; j++) {
			(void)pol_spec_parse(s->specs[j], &sp, NULL);
			if (sp.kind == POL_ENTRY_SPC) {
				rc = st_yaml_err(m->items[i]->items[j], e,
				    ST_E_SYNTAX, "'%s': %s cannot be a number "
				    "of an SPC; list tn: and range: entries",
				    s->spc, s->specs[j]);
				goto out;
			}
		}
		total += s->nspecs;
	}
	p->nspcs = m->n;
	if ((iv = calloc(total, sizeof(*iv))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < p->nspcs; i++)
		for (j = 0; j < p->spcs[i].nspecs; j++) {
			(void)pol_spec_parse(p->spcs[i].specs[j], &sp, NULL);
			if (sp.wild)
				continue;
			iv[niv].digits = sp.digits;
			iv[niv].lo = sp.lo;
			iv[niv].hi = sp.hi;
			iv[niv].spc = i;
			iv[niv].node = m->items[i]->items[j];
			niv++;
		}
	if ((rc = spc_overlaps(p, iv, niv)) != 0)
		goto out;
	qsort(p->spcs, p->nspcs, sizeof(*p->spcs), spc_cmp);
	rc = 0;
out:
	free(iv);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Profiles                                                           */

/* Does node a come before node b in the file? */
static bool
node_before(const struct st_yaml_node *a, const struct st_yaml_node *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/*
 * A template: literal text with {placeholder}s from the set allowed
 * (a bit mask of enum ph).  No escaping: a '{' always opens a
 * placeholder, a '}' always closes one.
 */
static int
check_template(const struct st_yaml_node *n, unsigned allowed,
    unsigned *used, struct st_err *e)
{
	const char	*s, *end;
	char		 names[128];
	size_t		 i, len, off = 0;
	bool		 found;

	*used = 0;
	names[0] = '\0';
	for (i = 0; i < NELEM(ph_names); i++)
		if (allowed & (1u << i))
			off += (size_t)snprintf(names + off,
			    sizeof(names) - off, "%s{%s}", off ? ", " : "",
			    ph_names[i]);
	for (s = n->str; *s != '\0'; s++) {
		if (*s == '}')
			return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': '}' "
			    "without an opening '{' in \"%s\"", key_of(n),
			    n->str);
		if (*s != '{')
			continue;
		if ((end = strchr(s + 1, '}')) == NULL)
			return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': '{' "
			    "without a closing '}' in \"%s\"", key_of(n),
			    n->str);
		len = (size_t)(end - s - 1);
		found = false;
		for (i = 0; i < NELEM(ph_names); i++) {
			if (strlen(ph_names[i]) != len ||
			    strncmp(s + 1, ph_names[i], len) != 0)
				continue;
			found = true;
			if (!(allowed & (1u << i)))
				return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': "
				    "placeholder {%s} cannot be used here "
				    "(allowed: %s)", key_of(n), ph_names[i],
				    names[0] ? names : "none");
			*used |= 1u << i;
		}
		if (!found)
			return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': unknown "
			    "placeholder {%.*s} (allowed: %s)", key_of(n),
			    (int)(len > 40 ? 40 : len), s + 1,
			    names[0] ? names : "none");
		s = end;
	}
	return 0;
}

/*
 * subject: attribute -> template, kept in file order (the DN order).
 * {spc} needs an SPC profile, {tn} a per-tn profile holding one number,
 * {first-tn} a number profile; C is an ISO 3166-1 alpha-2 code (RFC 5280
 * Appendix A, PrintableString SIZE (2)).
 */
static int
load_subject(struct pol *p, struct pol_profile *pr,
    const struct st_yaml_node *n, struct st_err *e)
{
	static const char *const attrs[] = { "C", "ST", "L", "O", "OU", "CN",
		"serialNumber", NULL };
	static const char *const req[] = { "CN", NULL };
	struct pol_attr	*v;
	unsigned	 allowed = PH_SUBJECT, used;
	size_t		 i;
	int		 rc;

	if ((rc = st_yaml_check_map(n, "subject", attrs, req, e)) != 0)
		return rc;
	if (pr->kind != POL_KIND_SPC)
		allowed &= ~(1u << PH_SPC);
	if (pr->kind != POL_KIND_PER_TN)
		allowed &= ~(1u << PH_TN);
	if (pr->kind == POL_KIND_SPC)
		allowed &= ~(1u << PH_FIRST_TN);
	if ((v = pol_calloc(p, n->n, sizeof(*v))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n->n; i++) {
		const struct st_yaml_node *a = n->items[i];

		v[i].name = n->keys[i]->str;
		if ((rc = st_yaml_str(a, &v[i].value, e)) != 0)
			return rc;
		if (a->len == 0)
			return st_yaml_err(a, e, ST_E_SYNTAX, "'%s': empty "
			    "attribute value", v[i].name);
		if (strcmp(v[i].name, "C") == 0) {
			if (a->len != 2 || v[i].value[0] < 'A' ||
			    v[i].value[0] > 'Z' || v[i].value[1] < 'A' ||
			    v[i].value[1] > 'Z')
				return st_yaml_err(a, e, ST_E_SYNTAX, "'C': "
				    "expected an ISO 3166-1 alpha-2 country "
				    "code such as US (RFC 5280 Appendix A), "
				    "found \"%s\"", v[i].value);
			continue;
		}
		if ((rc = check_template(a, allowed, &used, e)) != 0)
			return rc;
		if ((used & (1u << PH_TN)) && pr->max_entries != 1)
			return st_yaml_err(a, e, ST_E_SYNTAX, "'%s': {tn} "
			    "names the one number of a per-tn certificate; set "
			    "'max-entries: 1' or use {first-tn}", v[i].name);
	}
	pr->subject = v;
	pr->nsubject = n->n;
	return 0;
}

/*
 * A dotted OID (X.660): at least two arcs, the first 0, 1 or 2, the
 * second below 40 under 0 and 1, decimal arcs without leading zeros.
 */
static bool
oid_ok(const char *s)
{
	const char	*a = s;
	unsigned long	 first = 0, v;
	size_t		 arcs = 0, len;

	for (;;) {
		len = strspn(a, "0123456789");
		if (len == 0 || len > 20 || (len > 1 && a[0] == '0'))
			return false;
		v = len > 9 ? 1000000000UL : strtoul(a, NULL, 10);
		if (arcs == 0) {
			if (v > 2)
				return false;
			first = v;
		} else if (arcs == 1 && first < 2 && v >= 40)
			return false;
		arcs++;
		a += len;
		if (*a == '\0')
			break;
		if (*a != '.')
			return false;
		a++;
	}
	return arcs >= 2;
}

/*
 * One claim name at node n (RFC 9118 section 3: "JWT Claim Names MUST be
 * ASCII strings"; stica, like ca/, also wants them printable and
 * non-empty).  what names the list in the message.
 */
static int
check_claim_name(const struct st_yaml_node *n, const char *what,
    const char *name, struct st_err *e)
{
	size_t	j;

	if (name[0] == '\0')
		return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': empty claim name",
		    what);
	for (j = 0; name[j] != '\0'; j++)
		if (name[j] < 0x20 || name[j] > 0x7e)
			return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': RFC 9118 "
			    "section 3: a claim name must be printable ASCII",
			    what);
	return 0;
}

/* A list of claim names: each valid, none twice. */
static int
check_claim_names(const struct st_yaml_node *n, const char *const *v,
    size_t nv, struct st_err *e)
{
	size_t	i;
	long	d;
	int	rc;

	for (i = 0; i < nv; i++)
		if ((rc = check_claim_name(item(n, i), key_of(n), v[i],
		    e)) != 0)
			return rc;
	if ((d = find_dup(v, nv)) >= 0)
		return st_yaml_err(item(n, (size_t)d), e, ST_E_SYNTAX, "'%s': "
		    "claim \"%s\" is listed twice", key_of(n), v[d]);
	return 0;
}

static bool
is_baseline(const char *claim)
{
	size_t	i;

	for (i = 0; i < NELEM(baseline_claims); i++)
		if (strcmp(claim, baseline_claims[i]) == 0)
			return true;
	return false;
}

/*
 * jwt-claim-constraints (RFC 8226 section 8) or
 * enhanced-jwt-claim-constraints (RFC 9118): the WITH COMPONENTS rule,
 * SIZE (1..MAX) lists, and RFC 9118 sections 3 and 8 on must-exclude.
 */
static int
load_claims(struct pol *p, struct pol_profile *pr, const char *key,
    const struct st_yaml_node *n, bool enhanced, struct st_err *e)
{
	static const char *const k8226[] = { "must-include",
		"permitted-values", NULL };
	static const char *const k9118[] = { "must-include",
		"permitted-values", "must-exclude", NULL };
	const struct st_yaml_node	*inc, *pv, *exc;
	struct pol_claims		*c;
	struct pol_claim_values		*vals;
	size_t				 i, j;
	int				 rc;

	if ((rc = st_yaml_check_map(n, key, enhanced ? k9118 : k8226, NULL,
	    e)) != 0)
		return rc;
	if (n->n == 0)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': %s: WITH "
		    "COMPONENTS: give at least one of %s", key, enhanced ?
		    "RFC 9118 section 3" : "RFC 8226 section 8", enhanced ?
		    "must-include, permitted-values, must-exclude" :
		    "must-include, permitted-values");
	if ((c = pol_calloc(p, 1, sizeof(*c))) == NULL)
		return ST_E_NOMEM;
	c->enhanced = enhanced;
	if ((inc = st_yaml_get(n, "must-include")) != NULL) {
		if ((rc = get_seq(p, inc, EMPTY_ASN1, &c->must_include,
		    &c->n_must_include, e)) != 0 ||
		    (rc = check_claim_names(inc, c->must_include,
		    c->n_must_include, e)) != 0)
			return rc;
		for (i = 0; i < c->n_must_include; i++)
			if (is_baseline(c->must_include[i]) &&
			    (rc = pol_warn(p, item(inc, i), "'must-include': "
			    "\"%s\" is always required (RFC 8226 section 8); "
			    "listing it changes nothing", c->must_include[i]))
			    != 0)
				return rc;
	}
	if ((pv = st_yaml_get(n, "permitted-values")) != NULL) {
		if ((rc = want_map(pv, "permitted-values", e)) != 0)
			return rc;
		if (pv->n == 0)
			return st_yaml_err(pv, e, ST_E_SYNTAX, "'permitted-"
			    "values': RFC 8226 Appendix A: SIZE (1..MAX): "
			    "name at least one claim");
		if ((vals = pol_calloc(p, pv->n, sizeof(*vals))) == NULL)
			return ST_E_NOMEM;
		for (i = 0; i < pv->n; i++) {
			if ((rc = check_claim_name(pv->keys[i],
			    "permitted-values", pv->keys[i]->str, e)) != 0)
				return rc;
			vals[i].claim = pv->keys[i]->str;
			if ((rc = get_seq(p, pv->items[i], EMPTY_ASN1,
			    &vals[i].values,
			    &vals[i].nvalues, e)) != 0)
				return rc;
		}
		c->permitted = vals;
		c->n_permitted = pv->n;
	}
	if ((exc = st_yaml_get(n, "must-exclude")) != NULL) {
		if ((rc = get_seq(p, exc, EMPTY_ASN1, &c->must_exclude,
		    &c->n_must_exclude, e)) != 0 ||
		    (rc = check_claim_names(exc, c->must_exclude,
		    c->n_must_exclude, e)) != 0)
			return rc;
		for (i = 0; i < c->n_must_exclude; i++) {
			const char *cl = c->must_exclude[i];

			if (is_baseline(cl))
				return st_yaml_err(item(exc, i), e,
				    ST_E_SYNTAX, "'must-exclude': RFC 9118 "
				    "section 3: the baseline claim \"%s\" MUST "
				    "NOT be excluded", cl);
			for (j = 0; j < c->n_must_include; j++)
				if (strcmp(cl, c->must_include[j]) == 0)
					return st_yaml_err(item(exc, i), e,
					    ST_E_SYNTAX, "'must-exclude': RFC "
					    "9118 section 8: claim \"%s\" is "
					    "also in must-include, so no "
					    "PASSporT could validate", cl);
			if (strcmp(cl, "rcdi") == 0 &&
			    (rc = pol_warn(p, item(exc, i), "'must-exclude': "
			    "RFC 9118 section 8: issuers SHOULD NOT exclude "
			    "\"rcdi\" from certificates used with Rich Call "
			    "Data")) != 0)
				return rc;
		}
	}
	pr->claims = c;
	return 0;
}

/* Is t the only key type in pr->key_types? */
static bool
only_key(const struct pol_profile *pr, enum pol_key_type t)
{
	return pr->nkey_types == 1 && pr->key_types[0] == t;
}

/*
 * ATIS-1000080 v005 section 6.4.1 (quoted in stir-facts.md section 5.1):
 * an end-entity certificate whose TNAuthList holds a single SPC, P-256
 * key, subject C, O and CN "SHAKEN <SPC>", one certificate policy OID, a
 * CRL distribution point, and no extension the profile does not specify
 * (so no claim constraints).  Root and intermediate certificates carry
 * no TNAuthList, so stica issues none under this mode.
 */
static int
check_atis(struct pol_profile *pr, const struct st_yaml_node *n,
    struct st_err *e)
{
	static const char	atis[] = "ATIS-1000080 section 6.4.1";
	const struct st_yaml_node *x;
	const char		*cn = NULL, *c = NULL, *o = NULL;
	size_t			 i;

	if (pr->kind != POL_KIND_SPC)
		return st_yaml_err(st_yaml_get(n, "kind"), e, ST_E_SYNTAX,
		    "'kind': %s: a SHAKEN end-entity certificate's TNAuthList "
		    "holds a single SPC and no numbers; use kind spc or mode "
		    "rfc9060", atis);
	if (pr->ca)
		return st_yaml_err(st_yaml_get(n, "ca"), e, ST_E_SYNTAX,
		    "'ca': %s: root and intermediate certificates carry no "
		    "TNAuthList; an atis-1000080 profile issues end-entity "
		    "certificates (use mode rfc9060 for a delegate CA)", atis);
	if (!only_key(pr, POL_KEY_EC_P256))
		return st_yaml_err(st_yaml_get(n, "key-types"), e, ST_E_SYNTAX,
		    "'key-types': %s: the subject key is id-ecPublicKey on "
		    "P-256; list only ec-p256", atis);
	if ((x = st_yaml_get(n, "max-entries")) != NULL && pr->max_entries != 1)
		return st_yaml_err(x, e, ST_E_SYNTAX, "'max-entries': %s: the "
		    "TNAuthList holds a single SPC; max-entries must be 1",
		    atis);
	pr->max_entries = 1;
	if (pr->npolicies != 1)
		return st_yaml_err(pr->npolicies == 0 ? n :
		    st_yaml_get(n, "certificate-policies"), e, ST_E_SYNTAX,
		    "profile '%s': %s: a certificate policies extension with "
		    "a single OID (the SHAKEN certificate policy) is "
		    "required", pr->name, atis);
	if (pr->crl_dp == NULL)
		return st_yaml_err(n, e, ST_E_SYNTAX, "profile '%s': %s: a CRL "
		    "distribution point is required ('crl-distribution-"
		    "point')", pr->name, atis);
	if (pr->claims != NULL)
		return st_yaml_err(kpos(n, pr->claims->enhanced ?
		    "enhanced-jwt-claim-constraints" :
		    "jwt-claim-constraints"), e, ST_E_SYNTAX, "'%s': %s: "
		    "\"STI certificates shall not include extensions that are "
		    "not specified\"; claim constraints are not among them",
		    pr->claims->enhanced ? "enhanced-jwt-claim-constraints" :
		    "jwt-claim-constraints", atis);
	for (i = 0; i < pr->nsubject; i++) {
		if (strcmp(pr->subject[i].name, "CN") == 0)
			cn = pr->subject[i].value;
		else if (strcmp(pr->subject[i].name, "C") == 0)
			c = pr->subject[i].value;
		else if (strcmp(pr->subject[i].name, "O") == 0)
			o = pr->subject[i].value;
	}
	x = st_yaml_get(n, "subject");
	if (c == NULL || o == NULL)
		return st_yaml_err(kpos(n, "subject"), e, ST_E_SYNTAX,
		    "'subject': %s: the "
		    "subject must contain C, O and CN attributes", atis);
	if (strstr(cn, "SHAKEN {spc}") == NULL)
		return st_yaml_err(st_yaml_get(x, "CN"), e, ST_E_SYNTAX,
		    "'CN': %s: the CN contains \"SHAKEN\", a single space "
		    "and the SPC; write \"SHAKEN {spc}\"", atis);
	return 0;
}

/*
 * One profile: schema, values, templates, extensions, then the rules that
 * tie them together (ATIS mode, RFC 8226 sections 4 and 8).  Keys are
 * read in a fixed order, so the first error reported is the same however
 * the file orders them.
 */
static int
load_profile(struct pol *p, struct pol_profile *pr, const char *name,
    const struct st_yaml_node *n, struct st_err *e)
{
	static const char *const keys[] = { "kind", "ca", "mode", "lifetime",
		"backdate", "key-types", "max-entries", "path-len", "subject",
		"certificate-policies", "crl-distribution-point",
		"jwt-claim-constraints", "enhanced-jwt-claim-constraints",
		NULL };
	static const char *const req[] = { "kind", "ca", "mode", "lifetime",
		"key-types", "subject", NULL };
	static const char *const kinds[] = { "spc", "tn-block", "per-tn",
		NULL };
	static const char *const modes[] = { "rfc9060", "atis-1000080",
		NULL };
	static const char *const ktypes[] = { "ec-p256", "ec-p384",
		"rsa-2048", "rsa-3072", NULL };
	const struct st_yaml_node *x, *j1, *j2;
	enum pol_key_type	*kt;
	const char *const	*v;
	unsigned		 used;
	char			 what[96], b1[32], b2[32];
	size_t			 i, nv;
	int64_t			 iv;
	long			 d;
	int			 idx, rc;

	snprintf(what, sizeof(what), "profiles.%s", name);
	if ((rc = st_yaml_check_map(n, what, keys, req, e)) != 0)
		return rc;
	pr->name = name;
	pr->line = n->line;
	pr->path_len = -1;
	if ((rc = st_yaml_enum(st_yaml_get(n, "kind"), kinds, &idx, e)) != 0)
		return rc;
	pr->kind = (enum pol_kind)idx;
	if ((rc = st_yaml_bool(st_yaml_get(n, "ca"), &pr->ca, e)) != 0)
		return rc;
	if ((rc = st_yaml_enum(st_yaml_get(n, "mode"), modes, &idx, e)) != 0)
		return rc;
	pr->mode = (enum pol_mode)idx;
	if ((rc = st_yaml_duration(st_yaml_get(n, "lifetime"),
	    POL_LIFETIME_MIN, POL_LIFETIME_MAX, &pr->lifetime, e)) != 0)
		return rc;
	if ((x = st_yaml_get(n, "backdate")) != NULL) {
		if ((rc = st_yaml_duration(x, 0, POL_BACKDATE_MAX,
		    &pr->backdate, e)) != 0)
			return rc;
		if (pr->backdate >= pr->lifetime) {
			pol_duration_format(pr->backdate, b1, sizeof(b1));
			pol_duration_format(pr->lifetime, b2, sizeof(b2));
			return st_yaml_err(x, e, ST_E_SYNTAX, "'backdate': %s "
			    "is not shorter than the lifetime %s, which "
			    "includes it", b1, b2);
		}
	}
	x = st_yaml_get(n, "key-types");
	if ((rc = get_seq(p, x, EMPTY_LIST, &v, &nv, e)) != 0)
		return rc;
	if ((kt = pol_calloc(p, nv, sizeof(*kt))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < nv; i++) {
		if ((rc = st_yaml_enum(x->items[i], ktypes, &idx, e)) != 0)
			return rc;
		kt[i] = (enum pol_key_type)(idx + 1);
	}
	if ((d = find_dup(v, nv)) >= 0)
		return st_yaml_err(x->items[d], e, ST_E_SYNTAX, "'key-types': "
		    "%s is listed twice", v[d]);
	pr->key_types = kt;
	pr->nkey_types = nv;
	if ((x = st_yaml_get(n, "max-entries")) != NULL) {
		if ((rc = st_yaml_int(x, 1, POL_MAX_ENTRIES, &iv, e)) != 0)
			return rc;
		pr->max_entries = (size_t)iv;
	}
	if ((x = st_yaml_get(n, "path-len")) != NULL) {
		if (!pr->ca)
			return st_yaml_err(x, e, ST_E_SYNTAX, "'path-len': "
			    "only a CA profile (ca: true) has a path length "
			    "constraint (RFC 5280 section 4.2.1.9)");
		if ((rc = st_yaml_int(x, 0, POL_PATHLEN_MAX, &iv, e)) != 0)
			return rc;
		pr->path_len = (int)iv;
	}
	if ((rc = load_subject(p, pr, st_yaml_get(n, "subject"), e)) != 0)
		return rc;
	if ((x = st_yaml_get(n, "certificate-policies")) != NULL) {
		if ((rc = get_seq(p, x, EMPTY_LIST, &pr->policies,
		    &pr->npolicies, e)) != 0)
			return rc;
		for (i = 0; i < pr->npolicies; i++)
			if (!oid_ok(pr->policies[i]))
				return st_yaml_err(x->items[i], e, ST_E_SYNTAX,
				    "'certificate-policies': \"%s\" is not a "
				    "dotted OID such as "
				    "2.16.840.1.114569.1.1.4",
				    pr->policies[i]);
		if ((d = find_dup(pr->policies, pr->npolicies)) >= 0)
			return st_yaml_err(x->items[d], e, ST_E_SYNTAX,
			    "'certificate-policies': %s is listed twice (RFC "
			    "5280 section 4.2.1.4)", pr->policies[d]);
	}
	if ((x = st_yaml_get(n, "crl-distribution-point")) != NULL) {
		if ((rc = st_yaml_str(x, &pr->crl_dp, e)) != 0)
			return rc;
		if (strncmp(pr->crl_dp, "http://", 7) != 0 &&
		    strncmp(pr->crl_dp, "https://", 8) != 0)
			return st_yaml_err(x, e, ST_E_SYNTAX,
			    "'crl-distribution-point': expected an http:// or "
			    "https:// URL (RFC 5280 section 4.2.1.13), found "
			    "\"%s\"", pr->crl_dp);
		if ((rc = check_template(x, PH_CRLDP, &used, e)) != 0)
			return rc;
	}
	j1 = st_yaml_get(n, "jwt-claim-constraints");
	j2 = st_yaml_get(n, "enhanced-jwt-claim-constraints");
	if (j1 != NULL && j2 != NULL)
		return st_yaml_err(node_before(j1, j2) ?
		    kpos(n, "enhanced-jwt-claim-constraints") :
		    kpos(n, "jwt-claim-constraints"), e,
		    ST_E_SYNTAX, "profile '%s': RFC 9118 section 6: "
		    "JWTClaimConstraints and EnhancedJWTClaimConstraints MUST "
		    "NOT both appear in a certificate; keep one", name);
	if (j1 != NULL && (rc = load_claims(p, pr, "jwt-claim-constraints",
	    j1, false, e)) != 0)
		return rc;
	if (j2 != NULL && (rc = load_claims(p, pr,
	    "enhanced-jwt-claim-constraints", j2, true, e)) != 0)
		return rc;
	if (pr->mode == POL_MODE_ATIS && (rc = check_atis(pr, n, e)) != 0)
		return rc;
	if (pr->ca && pr->claims != NULL)
		return st_yaml_err(kpos(n, j1 != NULL ?
		    "jwt-claim-constraints" :
		    "enhanced-jwt-claim-constraints"), e, ST_E_SYNTAX,
		    "'%s': RFC 8226 section 8 and RFC 9118 section 3: claim "
		    "constraints are \"applicable only to end-entity "
		    "certificates\"; profile '%s' is a CA profile",
		    j1 != NULL ? "jwt-claim-constraints" :
		    "enhanced-jwt-claim-constraints", name);
	if (!pr->ca && !only_key(pr, POL_KEY_EC_P256))
		return st_yaml_err(st_yaml_get(n, "key-types"), e, ST_E_SYNTAX,
		    "'key-types': RFC 8226 section 4: an end-entity "
		    "certificate must carry a P-256 key for ES256 PASSporTs; "
		    "list only ec-p256");
	return 0;
}

/* profiles: name -> profile, kept in file order. */
static int
load_profiles(struct pol *p, const struct st_yaml_node *m, struct st_err *e)
{
	size_t	i;
	int	rc;

	if ((rc = want_map(m, "profiles", e)) != 0)
		return rc;
	if (m->n == 0)
		return 0;
	if ((p->profiles = pol_calloc(p, m->n, sizeof(*p->profiles))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < m->n; i++) {
		if (!pol_name_ok(m->keys[i]->str))
			return st_yaml_err(key_node(m, i), e, ST_E_SYNTAX,
			    "profile name '%.64s': use letters, digits, '.', "
			    "'_' and '-' (at most 64, starting with a letter "
			    "or digit)", m->keys[i]->str);
		if ((rc = load_profile(p, &p->profiles[i], m->keys[i]->str,
		    m->items[i], e)) != 0)
			return rc;
		p->profiles[i].line = m->keys[i]->line;
		p->nprofiles++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Issuers                                                            */

/*
 * issuers: name (as in stica.yaml) -> {profiles: [...]}, each profile
 * defined above and listed once.
 */
static int
load_issuers(struct pol *p, const struct st_yaml_node *m, struct st_err *e)
{
	static const char *const keys[] = { "profiles", "crl-next-update",
		NULL };
	static const char *const required[] = { "profiles", NULL };
	const struct st_yaml_node	*x;
	const struct pol_profile	*pr;
	const char *const		*v;
	struct pol_issuer		*is;
	char				 what[96];
	size_t				 i, j, nv;
	long				 d;
	int				 rc;

	if ((rc = want_map(m, "issuers", e)) != 0)
		return rc;
	if (m->n == 0)
		return 0;
	if ((p->issuers = pol_calloc(p, m->n, sizeof(*p->issuers))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < m->n; i++) {
		is = &p->issuers[i];
		is->name = m->keys[i]->str;
		is->line = m->keys[i]->line;
		if (!pol_name_ok(is->name))
			return st_yaml_err(key_node(m, i), e, ST_E_SYNTAX,
			    "issuer name '%.64s': use the name given in "
			    "stica.yaml's issuers (letters, digits, '.', '_', "
			    "'-')", is->name);
		snprintf(what, sizeof(what), "issuers.%s", is->name);
		if ((rc = st_yaml_check_map(m->items[i], what, keys, required,
		    e)) != 0)
			return rc;
		/*
		 * How far ahead this issuer's CRLs look (RFC 5280 section
		 * 5.1.2.5): at least an hour, at most the year Boulder's
		 * ceremony tool also allows.
		 */
		if ((x = st_yaml_get(m->items[i], "crl-next-update")) != NULL &&
		    (rc = st_yaml_duration(x, POL_CRL_NEXT_MIN,
		    POL_CRL_NEXT_MAX, &is->crl_next_update, e)) != 0)
			return rc;
		x = st_yaml_get(m->items[i], "profiles");
		if ((rc = get_seq(p, x, EMPTY_LIST, &v, &nv, e)) != 0)
			return rc;
		if ((d = find_dup(v, nv)) >= 0)
			return st_yaml_err(x->items[d], e, ST_E_SYNTAX,
			    "'profiles': '%s' is listed twice", v[d]);
		if ((is->profiles = pol_calloc(p, nv,
		    sizeof(*is->profiles))) == NULL)
			return ST_E_NOMEM;
		for (j = 0; j < nv; j++) {
			if ((pr = pol_profile_find(p, v[j])) == NULL)
				return st_yaml_err(x->items[j], e, ST_E_SYNTAX,
				    "'profiles': unknown profile '%s'", v[j]);
			is->profiles[j] = pr;
		}
		is->nprofiles = nv;
		p->nissuers++;
	}
	return 0;
}

/* The issuer called name, or NULL. */
static const struct pol_issuer *
issuer_find(const struct pol *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->nissuers; i++)
		if (strcmp(p->issuers[i].name, name) == 0)
			return &p->issuers[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Rules                                                              */

/* match.requester: account, operator, any, or account:ID; or a list. */
static int
load_requester(struct pol *p, struct pol_rule *r,
    const struct st_yaml_node *n, struct st_err *e)
{
	const char *const	*v;
	struct pol_who		*w;
	size_t			 i, j, nv;
	int			 rc;

	if ((rc = get_list(p, n, EMPTY_MATCH, &v, &nv, e)) != 0)
		return rc;
	if ((w = pol_calloc(p, nv, sizeof(*w))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < nv; i++) {
		w[i].text = v[i];
		if (strcmp(v[i], "any") == 0) {
			if (nv > 1)
				return st_yaml_err(item(n, i), e, ST_E_SYNTAX,
				    "'requester': 'any' stands alone; it "
				    "already includes every requester");
			return 0;	/* r->who stays NULL: any */
		}
		if (strcmp(v[i], "account") == 0)
			w[i].kind = POL_WHO_ACCOUNT;
		else if (strcmp(v[i], "operator") == 0)
			w[i].kind = POL_WHO_OPERATOR;
		else if (strncmp(v[i], "account:", 8) == 0) {
			w[i].kind = POL_WHO_ACCOUNT_ID;
			w[i].id = v[i] + 8;
			for (j = 0; w[i].id[j] != '\0'; j++)
				if (w[i].id[j] < 0x21 || w[i].id[j] > 0x7e)
					break;
			if (j == 0 || w[i].id[j] != '\0' || j > 128)
				return st_yaml_err(item(n, i), e, ST_E_SYNTAX,
				    "'requester': account:ID needs an ID of "
				    "1 to 128 visible ASCII characters");
		} else
			return st_yaml_err(item(n, i), e, ST_E_SYNTAX,
			    "'requester': unknown value '%.64s' (expected "
			    "account, account:ID, operator or any)", v[i]);
		for (j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0)
				return st_yaml_err(item(n, i), e, ST_E_SYNTAX,
				    "'requester': '%s' is listed twice", v[i]);
	}
	r->who = w;
	r->nwho = nv;
	return 0;
}

/* A list of enum names into a bit mask (proof, kind). */
static int
load_mask(struct pol *p, const struct st_yaml_node *n,
    const char *const *names, unsigned *mask, struct st_err *e)
{
	const char *const	*v;
	size_t			 i, j, nv;
	int			 idx, rc;

	*mask = 0;
	if ((rc = get_list(p, n, EMPTY_MATCH, &v, &nv, e)) != 0)
		return rc;
	for (i = 0; i < nv; i++) {
		for (j = 0; names[j] != NULL; j++)
			if (strcmp(v[i], names[j]) == 0)
				break;
		if (names[j] == NULL)
			return st_yaml_enum(item(n, i), names, &idx, e);
		if (*mask & (1u << j))
			return st_yaml_err(item(n, i), e, ST_E_SYNTAX, "'%s': "
			    "'%s' is listed twice", key_of(n), v[i]);
		*mask |= 1u << j;
	}
	return 0;
}

/* Do kinds a and b admit a common request? */
static bool
kinds_overlap(enum pol_kind a, enum pol_kind b)
{
	if (a == POL_KIND_SPC || b == POL_KIND_SPC)
		return a == b;
	return true;
}

/*
 * match: the conditions that select a request, each optional.  A rule
 * whose requester and proof can never meet is refused here.
 */
static int
load_match(struct pol *p, struct pol_rule *r, const struct st_yaml_node *m,
    struct st_err *e)
{
	static const char *const keys[] = { "requester", "proof",
		"token-authority", "ca", "kind", "scope-within", NULL };
	static const char *const proofs[] = { "tkauth-01", "sms-link-00",
		"operator", NULL };
	static const char *const kinds[] = { "spc", "tn-block", "per-tn",
		NULL };
	const struct st_yaml_node *x;
	bool			 b, acct = false, oper = false;
	size_t			 i;
	long			 d;
	int			 rc;

	r->ca = -1;
	if ((rc = st_yaml_check_map(m, "match", keys, NULL, e)) != 0)
		return rc;
	if ((x = st_yaml_get(m, "requester")) != NULL &&
	    (rc = load_requester(p, r, x, e)) != 0)
		return rc;
	if ((x = st_yaml_get(m, "proof")) != NULL &&
	    (rc = load_mask(p, x, proofs, &r->proofs, e)) != 0)
		return rc;
	if ((x = st_yaml_get(m, "token-authority")) != NULL) {
		if (r->proofs != 1u << POL_PROOF_TKAUTH)
			return st_yaml_err(x, e, ST_E_SYNTAX,
			    "'token-authority': only tkauth-01 requests carry "
			    "a token authority (RFC 9447 section 3); add "
			    "'proof: [tkauth-01]' to this match");
		if ((rc = get_list(p, x, EMPTY_MATCH, &r->tas, &r->ntas,
		    e)) != 0)
			return rc;
		for (i = 0; i < r->ntas; i++)
			if (!pol_name_ok(r->tas[i]))
				return st_yaml_err(item(x, i), e, ST_E_SYNTAX,
				    "'token-authority': '%.64s' is not a "
				    "name (letters, digits, '.', '_', '-')",
				    r->tas[i]);
		if ((d = find_dup(r->tas, r->ntas)) >= 0)
			return st_yaml_err(item(x, (size_t)d), e, ST_E_SYNTAX,
			    "'token-authority': '%s' is listed twice",
			    r->tas[d]);
	}
	if ((x = st_yaml_get(m, "ca")) != NULL) {
		if ((rc = st_yaml_bool(x, &b, e)) != 0)
			return rc;
		r->ca = b;
	}
	if ((x = st_yaml_get(m, "kind")) != NULL &&
	    (rc = load_mask(p, x, kinds, &r->kinds, e)) != 0)
		return rc;
	if ((x = st_yaml_get(m, "scope-within")) != NULL &&
	    (rc = get_specs(p, x, true, EMPTY_MATCH, &r->within, &r->nwithin,
	    e)) != 0)
		return rc;
	/* Requester and proof must be able to meet. */
	if (r->who == NULL)
		acct = oper = true;
	for (i = 0; i < r->nwho; i++) {
		if (r->who[i].kind == POL_WHO_OPERATOR)
			oper = true;
		else
			acct = true;
	}
	if (r->proofs != 0) {
		if (oper && !(r->proofs & (1u << POL_PROOF_OPERATOR)))
			oper = false;
		if (acct && !(r->proofs & ~(1u << POL_PROOF_OPERATOR)))
			acct = false;
		if (!acct && !oper)
			return st_yaml_err(m, e, ST_E_SYNTAX, "rule '%s' can "
			    "never match: an operator request has proof "
			    "operator and an account request has proof "
			    "tkauth-01 or sms-link-00", r->name);
	}
	return 0;
}

/*
 * Does rule a match every request that rule b matches, so that b can
 * never decide?  Conservative: true only when each of a's conditions is
 * absent or at least as wide as b's, scope-within compared as SPEC
 * strings.  An issue rule is skipped by a request that pins another
 * profile or issuer (pol_request.profile, .issuer), so it shadows only
 * issue rules with its own profile and issuer.
 */
static bool
rule_covers(const struct pol_rule *a, const struct pol_rule *b)
{
	size_t	i, j;
	bool	ok;

	if (!a->refuse && (b->refuse || a->profile != b->profile ||
	    strcmp(a->issuer, b->issuer) != 0))
		return false;
	if (a->who != NULL) {
		if (b->who == NULL)
			return false;
		for (i = 0; i < b->nwho; i++) {
			for (ok = false, j = 0; j < a->nwho && !ok; j++) {
				const struct pol_who *x = &a->who[j],
				    *y = &b->who[i];

				ok = x->kind == y->kind ?
				    (x->kind != POL_WHO_ACCOUNT_ID ||
				    strcmp(x->id, y->id) == 0) :
				    (x->kind == POL_WHO_ACCOUNT &&
				    y->kind == POL_WHO_ACCOUNT_ID);
			}
			if (!ok)
				return false;
		}
	}
	if (a->proofs != 0 && (b->proofs == 0 || (b->proofs & ~a->proofs)))
		return false;
	if (a->tas != NULL) {
		if (b->tas == NULL)
			return false;
		for (i = 0; i < b->ntas; i++) {
			for (ok = false, j = 0; j < a->ntas && !ok; j++)
				ok = strcmp(a->tas[j], b->tas[i]) == 0;
			if (!ok)
				return false;
		}
	}
	if (a->ca >= 0 && a->ca != b->ca)
		return false;
	if (a->kinds != 0) {
		unsigned bk = b->kinds, ak = a->kinds;

		if (ak & (1u << POL_KIND_TN_BLOCK))
			ak |= 1u << POL_KIND_PER_TN;
		if (bk == 0 || (bk & ~ak))
			return false;
	}
	if (a->within != NULL) {
		if (b->within == NULL)
			return false;
		for (i = 0; i < b->nwithin; i++) {
			for (ok = false, j = 0; j < a->nwithin && !ok; j++)
				ok = strcmp(a->within[j], b->within[i]) == 0;
			if (!ok)
				return false;
		}
	}
	return true;
}

/* Does spc-numbers give spc any numbers? */
static bool
spc_mapped(const struct pol *p, const char *spc)
{
	const char *const	*specs;
	size_t			 n;

	return pol_spc_numbers(p, spc, &specs, &n) == 0 && n > 0;
}

/*
 * issue: profile, issuer, scope ("requested" or SPECs), lifetime.  The
 * checks here are the ones that would otherwise make the rule refuse
 * every request it matches, which is never what a policy means.
 */
static int
load_issue(struct pol *p, struct pol_rule *r, const struct st_yaml_node *n,
    const struct st_yaml_node *match, struct st_err *e)
{
	static const char *const keys[] = { "profile", "issuer", "scope",
		"lifetime", NULL };
	static const char *const req[] = { "profile", "issuer", "scope",
		NULL };
	const struct st_yaml_node	*x;
	const struct pol_profile	*pr;
	const struct pol_issuer		*is;
	const char			*s, *pname;
	struct pol_spec			 sp;
	char				 b1[32], b2[32];
	size_t				 i, nspc = 0;
	unsigned			 k;
	int				 rc;

	if ((rc = st_yaml_check_map(n, "issue", keys, req, e)) != 0)
		return rc;
	x = st_yaml_get(n, "profile");
	if ((rc = st_yaml_str(x, &pname, e)) != 0)
		return rc;
	if ((pr = pol_profile_find(p, pname)) == NULL)
		return st_yaml_err(x, e, ST_E_SYNTAX, "'profile': unknown "
		    "profile '%.64s'", pname);
	r->profile = pr;
	x = st_yaml_get(n, "issuer");
	if ((rc = st_yaml_str(x, &r->issuer, e)) != 0)
		return rc;
	if ((is = issuer_find(p, r->issuer)) == NULL)
		return st_yaml_err(x, e, ST_E_SYNTAX, "'issuer': unknown "
		    "issuer '%.64s' (not in 'issuers')", r->issuer);
	if (!pol_issuer_serves(p, r->issuer, pr->name))
		return st_yaml_err(x, e, ST_E_SYNTAX, "'issuer': issuer '%s' "
		    "does not serve profile '%s' (issuers.%s.profiles, line "
		    "%u)", is->name, pr->name, is->name, is->line);
	x = st_yaml_get(n, "scope");
	if (x->kind == ST_YAML_SCALAR) {
		if ((rc = st_yaml_str(x, &s, e)) != 0)
			return rc;
		if (strcmp(s, "requested") != 0)
			return st_yaml_err(x, e, ST_E_SYNTAX, "'scope': "
			    "expected 'requested' or a list of SPECs, found "
			    "'%.64s'", s);
		r->scope_requested = true;
	} else {
		if ((rc = get_specs(p, x, false, "the list is empty and would "
		    "permit nothing; write a refuse rule instead", &r->scope,
		    &r->nscope, e)) != 0)
			return rc;
		for (i = 0; i < r->nscope; i++) {
			(void)pol_spec_parse(r->scope[i], &sp, NULL);
			if (sp.kind != POL_ENTRY_SPC)
				continue;
			nspc++;
			if (pr->kind == POL_KIND_SPC)
				continue;
			if (!spc_mapped(p, r->scope[i] + 4))
				return st_yaml_err(x->items[i], e, ST_E_SYNTAX,
				    "'scope': profile '%s' issues numbers, and "
				    "spc-numbers says none belong to %s, so no "
				    "request could lie within it (RFC 9060 "
				    "section 4)", pr->name, r->scope[i]);
		}
		if (pr->kind == POL_KIND_SPC && nspc == 0)
			return st_yaml_err(x, e, ST_E_SYNTAX, "'scope': "
			    "profile '%s' is of kind spc, and an SPC request "
			    "lies within a scope only if the scope lists that "
			    "SPC (RFC 9060 section 4); list spc: entries",
			    pr->name);
	}
	if ((x = st_yaml_get(n, "lifetime")) != NULL) {
		if ((rc = st_yaml_duration(x, POL_LIFETIME_MIN,
		    POL_LIFETIME_MAX, &r->lifetime, e)) != 0)
			return rc;
		pol_duration_format(r->lifetime, b1, sizeof(b1));
		pol_duration_format(pr->lifetime, b2, sizeof(b2));
		if (r->lifetime > pr->lifetime)
			return st_yaml_err(x, e, ST_E_SYNTAX, "'lifetime': %s "
			    "is longer than the lifetime of profile '%s' (%s)",
			    b1, pr->name, b2);
		if (r->lifetime <= pr->backdate) {
			pol_duration_format(pr->backdate, b2, sizeof(b2));
			return st_yaml_err(x, e, ST_E_SYNTAX, "'lifetime': %s "
			    "is not longer than the backdate of profile '%s' "
			    "(%s)", b1, pr->name, b2);
		}
	}
	/* Match conditions that this profile can never satisfy. */
	if (r->ca >= 0 && r->ca != pr->ca)
		return st_yaml_err(st_yaml_get(match, "ca"), e, ST_E_SYNTAX,
		    "'ca': rule '%s' matches only %s requests, but profile "
		    "'%s' issues %s certificates; the rule could never issue",
		    r->name, r->ca ? "CA" : "end-entity", pr->name,
		    pr->ca ? "CA" : "end-entity");
	if (r->kinds != 0) {
		for (k = 0; k <= POL_KIND_PER_TN; k++)
			if ((r->kinds & (1u << k)) &&
			    kinds_overlap((enum pol_kind)k, pr->kind))
				break;
		if (k > POL_KIND_PER_TN)
			return st_yaml_err(st_yaml_get(match, "kind"), e,
			    ST_E_SYNTAX, "'kind': rule '%s' matches only "
			    "requests that profile '%s' (kind %s) cannot "
			    "take; the rule could never issue", r->name,
			    pr->name, pol_kind_name(pr->kind));
	}
	return 0;
}

/*
 * One rule: a unique name, a match, exactly one of issue and refuse, and
 * no earlier rule that shadows it.
 */
static int
load_rule(struct pol *p, struct pol_rule *r, const struct st_yaml_node *n,
    struct st_err *e)
{
	static const char *const keys[] = { "name", "match", "issue",
		"refuse", NULL };
	static const char *const req[] = { "name", "match", NULL };
	const struct st_yaml_node	*x, *is, *rf;
	size_t				 i;
	int				 rc;

	if ((rc = st_yaml_check_map(n, "rule", keys, req, e)) != 0)
		return rc;
	x = st_yaml_get(n, "name");
	if ((rc = st_yaml_str(x, &r->name, e)) != 0)
		return rc;
	if (!pol_name_ok(r->name))
		return st_yaml_err(x, e, ST_E_SYNTAX, "'name': '%.64s': use "
		    "letters, digits, '.', '_' and '-' (at most 64, starting "
		    "with a letter or digit)", r->name);
	for (i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, r->name) == 0)
			return st_yaml_err(x, e, ST_E_SYNTAX, "'name': rule "
			    "'%s' is already defined at line %u", r->name,
			    p->rules[i].line);
	r->line = n->line;
	r->col = n->col;
	is = st_yaml_get(n, "issue");
	rf = st_yaml_get(n, "refuse");
	if ((is == NULL) == (rf == NULL))
		return st_yaml_err(n, e, ST_E_SYNTAX, "rule '%s': give either "
		    "'issue' or 'refuse'%s", r->name, is != NULL ?
		    ", not both" : "");
	x = st_yaml_get(n, "match");
	if ((rc = load_match(p, r, x, e)) != 0)
		return rc;
	if (rf != NULL) {
		r->refuse = true;
		if ((rc = st_yaml_str(rf, &r->reason, e)) != 0)
			return rc;
		if (rf->len == 0)
			return st_yaml_err(rf, e, ST_E_SYNTAX, "'refuse': give "
			    "the reason the requester will read");
	} else if ((rc = load_issue(p, r, is, x, e)) != 0)
		return rc;
	for (i = 0; i < p->nrules; i++)
		if (rule_covers(&p->rules[i], r))
			return st_yaml_err(n, e, ST_E_SYNTAX, "rule '%s' is "
			    "unreachable: rule '%s' (line %u) comes first and "
			    "matches every request it matches", r->name,
			    p->rules[i].name, p->rules[i].line);
	return 0;
}

/* rules: a non-empty list, in the order they will be tried. */
static int
load_rules(struct pol *p, const struct st_yaml_node *s, struct st_err *e)
{
	size_t	i;
	int	rc;

	if (s->kind != ST_YAML_SEQUENCE)
		return st_yaml_err(s, e, ST_E_SYNTAX, "'rules' must be a list "
		    "of rules (found %s)", s->kind == ST_YAML_MAPPING ?
		    "a mapping" : "a scalar");
	if (s->n == 0)
		return st_yaml_err(s, e, ST_E_SYNTAX, "'rules' is empty; every "
		    "request would be refused (write a refuse rule to say "
		    "so)");
	if ((p->rules = pol_calloc(p, s->n, sizeof(*p->rules))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < s->n; i++) {
		if ((rc = load_rule(p, &p->rules[i], s->items[i], e)) != 0)
			return rc;
		p->nrules++;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The file                                                           */

/* version: POL_VERSION, so that a later format is never half-read. */
static int
load_version(const struct st_yaml_node *n, struct st_err *e)
{
	int64_t	v;
	int	rc;

	if ((rc = st_yaml_int(n, 0, 1000000, &v, e)) != 0)
		return rc;
	if (v != POL_VERSION)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'version': unsupported "
		    "policy version %lld (this stica reads version %d)",
		    (long long)v, POL_VERSION);
	return 0;
}

/* Profiles that no rule issues: harmless, but usually an oversight. */
static int
warn_unused(struct pol *p, const struct st_yaml_node *profiles)
{
	size_t	i, j;
	int	rc;

	for (i = 0; i < p->nprofiles; i++) {
		for (j = 0; j < p->nrules; j++)
			if (p->rules[j].profile == &p->profiles[i])
				break;
		if (j == p->nrules && (rc = pol_warn(p,
		    key_node(profiles, i), "profile '%s' is used by no rule",
		    p->profiles[i].name)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The whole document, section by section: a rule refers to profiles and
 * issuers, an issuer to profiles, and scopes to spc-numbers, so they are
 * read in that dependency order whatever the file's order.
 */
static int
pol_build(struct pol *p, struct st_err *e)
{
	static const char *const keys[] = { "version", "spc-numbers",
		"profiles", "issuers", "rules", NULL };
	static const char *const req[] = { "version", "profiles", "issuers",
		"rules", NULL };
	const struct st_yaml_node	*root = st_yaml_root(p->doc), *x;
	int				 rc;

	if ((rc = st_yaml_check_map(root, "policy", keys, req, e)) != 0)
		return rc;
	if ((rc = load_version(st_yaml_get(root, "version"), e)) != 0)
		return rc;
	if ((x = st_yaml_get(root, "spc-numbers")) != NULL &&
	    (rc = load_spc_numbers(p, x, e)) != 0)
		return rc;
	if ((rc = load_profiles(p, st_yaml_get(root, "profiles"), e)) != 0)
		return rc;
	if ((rc = load_issuers(p, st_yaml_get(root, "issuers"), e)) != 0)
		return rc;
	if ((rc = load_rules(p, st_yaml_get(root, "rules"), e)) != 0)
		return rc;
	return warn_unused(p, st_yaml_get(root, "profiles"));
}

/*
 * Every failure to understand the file is ST_E_POLICY, whatever the
 * YAML layer called it; running out of memory and I/O stay themselves.
 */
static int
as_policy_err(int rc, struct st_err *e)
{
	if (rc == ST_E_NOMEM || rc == ST_E_IO || rc == 0)
		return rc;
	if (e != NULL)
		e->code = ST_E_POLICY;
	return ST_E_POLICY;
}

/* Parse with common/yaml, keep the document, build the policy over it. */
int
pol_load_buf(const char *name, const void *buf, size_t len, struct pol **out,
    struct st_err *e)
{
	struct pol	*p = NULL;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = st_yaml_load_buf(name, buf, len, &p->doc, e)) != 0)
		goto out;
	p->name = st_yaml_name(p->doc);
	if ((rc = pol_build(p, e)) != 0)
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	if (rc == ST_E_NOMEM)
		st_err_set(e, rc, "%s: out of memory", name);
	pol_free(p);
	return as_policy_err(rc, e);
}

int
pol_load(const char *path, struct pol **out, struct st_err *e)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if ((rc = st_file_read(path, ST_YAML_MAXFILE, &buf, &len, e)) != 0)
		return rc;
	rc = pol_load_buf(path, buf, len, out, e);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */

const char *
pol_name(const struct pol *p)
{
	return p->name;
}

size_t
pol_warning_count(const struct pol *p)
{
	return p->nwarnings;
}

const char *
pol_warning(const struct pol *p, size_t i)
{
	return i < p->nwarnings ? p->warnings[i] : NULL;
}

const struct pol_profile *
pol_profile_find(const struct pol *p, const char *name)
{
	size_t	i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->nprofiles; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

size_t
pol_profile_count(const struct pol *p)
{
	return p->nprofiles;
}

const struct pol_profile *
pol_profile_get(const struct pol *p, size_t i)
{
	return i < p->nprofiles ? &p->profiles[i] : NULL;
}

size_t
pol_issuer_count(const struct pol *p)
{
	return p->nissuers;
}

const char *
pol_issuer_name(const struct pol *p, size_t i)
{
	return i < p->nissuers ? p->issuers[i].name : NULL;
}

bool
pol_issuer_serves(const struct pol *p, const char *issuer,
    const char *profile)
{
	const struct pol_issuer	*is;
	size_t			 i;

	if (p == NULL || issuer == NULL || profile == NULL ||
	    (is = issuer_find(p, issuer)) == NULL)
		return false;
	for (i = 0; i < is->nprofiles; i++)
		if (strcmp(is->profiles[i]->name, profile) == 0)
			return true;
	return false;
}

int64_t
pol_issuer_crl_next_update(const struct pol *p, const char *issuer)
{
	const struct pol_issuer	*is;

	if (p == NULL || issuer == NULL || (is = issuer_find(p, issuer)) ==
	    NULL)
		return 0;
	return is->crl_next_update;
}

size_t
pol_rule_count(const struct pol *p)
{
	return p->nrules;
}

/* bsearch comparison of an SPC string against a mapping. */
static int
spc_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pol_spc *)elem)->spc);
}

int
pol_spc_numbers(const struct pol *p, const char *spc,
    const char *const **specs, size_t *n)
{
	const struct pol_spc	*s;

	if (specs != NULL)
		*specs = NULL;
	if (n != NULL)
		*n = 0;
	if (p == NULL || spc == NULL || specs == NULL || n == NULL)
		return ST_E_USAGE;
	if (p->nspcs == 0 || (s = bsearch(spc, p->spcs, p->nspcs,
	    sizeof(*p->spcs), spc_key_cmp)) == NULL)
		return 0;
	*specs = s->specs;
	*n = s->nspecs;
	return 0;
}

size_t
pol_spc_count(const struct pol *p)
{
	return p->nspcs;
}

int
pol_spc_get(const struct pol *p, size_t i, const char **spc,
    const char *const **specs, size_t *n)
{
	*spc = NULL;
	*specs = NULL;
	*n = 0;
	if (p == NULL || i >= p->nspcs)
		return ST_E_USAGE;
	*spc = p->spcs[i].spc;
	*specs = p->spcs[i].specs;
	*n = p->spcs[i].nspecs;
	return 0;
}
