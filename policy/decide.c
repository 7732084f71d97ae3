/* SPDX-License-Identifier: ISC */
/*
 * policy/: judging a request (docs/policy.md, "Decision procedure").
 *
 * Rules are tried in file order.  A rule's match conditions (requester,
 * proof, token authority, CA flag, kind of request, scope-within, and the
 * profile or issuer a request may pin) select it; the first rule they all
 * select decides, and nothing after it is consulted:
 *
 *  - a refuse rule refuses with its reason;
 *  - an issue rule issues, unless the request breaks one of the rule's
 *    grants: the profile's CA flag, kind, entry count and key types, the
 *    ATIS SPC alphabet, and the permitted scope.  Then the rule refuses,
 *    and says which grant was broken.
 *
 * Refusing rather than falling through to the next rule is deliberate: a
 * rule that selects a request owns the answer, so a rule added further
 * down can never widen what an earlier rule granted, and the trace ends
 * at the rule responsible.  Selecting among rules by scope is what
 * match.scope-within is for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* Scratch for one request: its entries, parsed once. */
struct req_info {
	unsigned	entries;	/* 1 << pol_entry present */
	size_t		first[3];	/* index of the first entry per kind */
};

/* "[a, b, c]" into buf, cut with "..." when it does not fit. */
static const char *
fmt_list(const char *const *v, size_t n, char *buf, size_t bufsz)
{
	size_t	i, off = 1;
	int	w;

	snprintf(buf, bufsz, "[");
	for (i = 0; i < n; i++) {
		w = snprintf(buf + off, bufsz - off, "%s%s", i ? ", " : "",
		    v[i]);
		if (w < 0 || (size_t)w >= bufsz - off - 1) {
			snprintf(buf + (bufsz > 6 ? bufsz - 6 : 0),
			    bufsz > 6 ? 6 : bufsz, "...]");
			return buf;
		}
		off += (size_t)w;
	}
	snprintf(buf + off, bufsz - off, "]");
	return buf;
}

/* Names of the bits set in mask, as a list. */
static const char *
fmt_mask(unsigned mask, const char *(*name)(int), char *buf, size_t bufsz)
{
	const char	*v[8];
	size_t		 n = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		if (mask & (1u << i))
			v[n++] = name(i);
	return fmt_list(v, n, buf, bufsz);
}

static const char *
proof_name_i(int i)
{
	return pol_proof_name((enum pol_proof)i);
}

static const char *
kind_name_i(int i)
{
	return pol_kind_name((enum pol_kind)i);
}

/* Does the request's scope fit kind k (docs/policy.md, "kind")? */
static bool
fits(const struct req_info *ri, enum pol_kind k)
{
	unsigned	ent;

	for (ent = POL_ENTRY_SPC; ent <= POL_ENTRY_RANGE; ent++)
		if ((ri->entries & (1u << ent)) &&
		    !pol_kind_admits(k, (enum pol_entry)ent))
			return false;
	return true;
}

/* The requester as the trace shows it: "account:ID" or "operator". */
static void
fmt_requester(const struct pol_request *rq, char *buf, size_t bufsz)
{
	if (rq->requester == POL_REQ_OPERATOR)
		snprintf(buf, bufsz, "operator");
	else
		snprintf(buf, bufsz, "account:%.128s", rq->account);
}

/*
 * An account ID as a rule can name it (account:ID): 1 to 128 visible
 * ASCII characters.  Anything else could not match a rule, and would
 * break the one-line trace and audit record.
 */
static bool
id_ok(const char *s)
{
	size_t	i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || i >= 128)
			return false;
	return i > 0;
}

/*
 * Check a request before any rule sees it: every pointer a rule reads,
 * every SPEC's syntax, and the pairing of requester and proof.
 */
static int
check_request(const struct pol_request *rq, struct req_info *ri,
    struct st_err *e)
{
	struct pol_spec	sp;
	struct st_err	se = { 0 };
	size_t		i;

	memset(ri, 0, sizeof(*ri));
	if (rq->requester != POL_REQ_ACCOUNT &&
	    rq->requester != POL_REQ_OPERATOR)
		return st_err_set(e, ST_E_USAGE, "request: unknown requester");
	if (rq->requester == POL_REQ_ACCOUNT && !id_ok(rq->account))
		return st_err_set(e, ST_E_USAGE, "request: an account request "
		    "needs an account ID of 1 to 128 visible ASCII characters");
	if ((unsigned)rq->proof > POL_PROOF_OPERATOR)
		return st_err_set(e, ST_E_USAGE, "request: unknown proof");
	if ((rq->requester == POL_REQ_OPERATOR) !=
	    (rq->proof == POL_PROOF_OPERATOR))
		return st_err_set(e, ST_E_USAGE, "request: an operator request "
		    "has proof operator, and an account request has proof "
		    "tkauth-01 or sms-link-00 (got %s with proof %s)",
		    rq->requester == POL_REQ_OPERATOR ? "operator" : "account",
		    pol_proof_name(rq->proof));
	if (rq->token_authority != NULL && rq->proof != POL_PROOF_TKAUTH)
		return st_err_set(e, ST_E_USAGE, "request: only a tkauth-01 "
		    "request has a token authority");
	if ((rq->token_authority != NULL &&
	    !pol_name_ok(rq->token_authority)) ||
	    (rq->profile != NULL && !pol_name_ok(rq->profile)) ||
	    (rq->issuer != NULL && !pol_name_ok(rq->issuer)))
		return st_err_set(e, ST_E_USAGE, "request: token authority, "
		    "profile and issuer names are letters, digits, '.', '_' "
		    "and '-'");
	if ((unsigned)rq->key_type > POL_KEY_MAX)
		return st_err_set(e, ST_E_USAGE, "request: unknown key type");
	if (rq->max_lifetime < 0)
		return st_err_set(e, ST_E_USAGE, "request: negative maximum "
		    "lifetime");
	if (rq->nscope == 0 || rq->scope == NULL)
		return st_err_set(e, ST_E_USAGE, "request: no TNAuthList "
		    "entries");
	for (i = 0; i < rq->nscope; i++) {
		if (rq->scope[i] == NULL)
			return st_err_set(e, ST_E_USAGE, "request: NULL SPEC");
		if (pol_spec_parse(rq->scope[i], &sp, &se) != 0)
			return st_err_set(e, ST_E_SYNTAX, "request: %s",
			    se.msg);
		if (!(ri->entries & (1u << sp.kind)))
			ri->first[sp.kind] = i;
		ri->entries |= 1u << sp.kind;
	}
	return 0;
}

/* Is the request's requester among the rule's? */
static bool
who_matches(const struct pol_rule *r, const struct pol_request *rq)
{
	size_t	i;

	if (r->who == NULL)
		return true;
	for (i = 0; i < r->nwho; i++) {
		switch (r->who[i].kind) {
		case POL_WHO_OPERATOR:
			if (rq->requester == POL_REQ_OPERATOR)
				return true;
			break;
		case POL_WHO_ACCOUNT:
			if (rq->requester == POL_REQ_ACCOUNT)
				return true;
			break;
		case POL_WHO_ACCOUNT_ID:
			if (rq->requester == POL_REQ_ACCOUNT &&
			    strcmp(rq->account, r->who[i].id) == 0)
				return true;
			break;
		}
	}
	return false;
}

/*
 * Ask the caller's judge whether the request lies within specs.  Returns
 * 1 or 0 (why holds the judge's reason) or a negative code (e set).
 */
static int
judge(const struct pol_rule *r, const struct pol_request *rq,
    const char *const *specs, size_t n, pol_within_fn within, void *arg,
    struct st_err *why, struct st_err *e)
{
	int	rc;

	st_err_clear(why);
	rc = within(arg, rq->scope, rq->nscope, specs, n, why);
	if (rc < 0)
		return st_err_set(e, rc, "rule '%s': judging the scope failed: "
		    "%s", r->name, st_err_str(why, rc));
	if (rc == 0 && why->msg[0] == '\0')
		snprintf(why->msg, sizeof(why->msg), "not encompassed");
	return rc > 0 ? 1 : 0;
}

/*
 * The match conditions of rule r, cheapest first.  Returns 1 (selected),
 * 0 (skipped; buf says why) or a negative code.
 */
static int
match(const struct pol_rule *r, const struct pol_request *rq,
    const struct req_info *ri, pol_within_fn within, void *arg, char *buf,
    size_t bufsz, struct st_err *e)
{
	const char	*texts[16];
	struct st_err	 why = { 0 };
	char		 who[160], lb[160];
	size_t		 i, n;
	unsigned	 k;
	int		 rc;

	if (!who_matches(r, rq)) {
		fmt_requester(rq, who, sizeof(who));
		for (n = 0, i = 0; i < r->nwho && n < 16; i++)
			texts[n++] = r->who[i].text;
		snprintf(buf, bufsz, "requester %s not in %s", who,
		    fmt_list(texts, n, lb, sizeof(lb)));
		return 0;
	}
	if (r->proofs != 0 && !(r->proofs & (1u << rq->proof))) {
		snprintf(buf, bufsz, "proof %s not in %s",
		    pol_proof_name(rq->proof),
		    fmt_mask(r->proofs, proof_name_i, lb, sizeof(lb)));
		return 0;
	}
	if (r->tas != NULL) {
		if (rq->token_authority == NULL) {
			snprintf(buf, bufsz, "no token authority given; the "
			    "rule wants one of %s",
			    fmt_list(r->tas, r->ntas, lb, sizeof(lb)));
			return 0;
		}
		for (i = 0; i < r->ntas; i++)
			if (strcmp(r->tas[i], rq->token_authority) == 0)
				break;
		if (i == r->ntas) {
			snprintf(buf, bufsz, "token authority %.64s not in %s",
			    rq->token_authority,
			    fmt_list(r->tas, r->ntas, lb, sizeof(lb)));
			return 0;
		}
	}
	if (r->ca >= 0 && r->ca != (int)rq->ca) {
		snprintf(buf, bufsz, "the request is for %s certificate, the "
		    "rule matches ca: %s", rq->ca ? "a CA" : "an end-entity",
		    r->ca ? "true" : "false");
		return 0;
	}
	if (r->kinds != 0) {
		for (k = 0; k <= POL_KIND_PER_TN; k++)
			if ((r->kinds & (1u << k)) &&
			    fits(ri, (enum pol_kind)k))
				break;
		if (k > POL_KIND_PER_TN) {
			snprintf(buf, bufsz, "the requested entries do not fit "
			    "kind %s", fmt_mask(r->kinds, kind_name_i, lb,
			    sizeof(lb)));
			return 0;
		}
	}
	if (rq->profile != NULL && !r->refuse &&
	    strcmp(rq->profile, r->profile->name) != 0) {
		snprintf(buf, bufsz, "the request asks for profile '%.64s', "
		    "the rule issues '%s'", rq->profile, r->profile->name);
		return 0;
	}
	if (rq->issuer != NULL && !r->refuse &&
	    strcmp(rq->issuer, r->issuer) != 0) {
		snprintf(buf, bufsz, "the request asks for issuer '%.64s', "
		    "the rule issues from '%s'", rq->issuer, r->issuer);
		return 0;
	}
	if (r->within != NULL) {
		if ((rc = judge(r, rq, r->within, r->nwithin, within, arg,
		    &why, e)) != 1) {
			if (rc == 0)
				snprintf(buf, bufsz, "the requested scope is "
				    "not within %s: %.280s", fmt_list(r->within,
				    r->nwithin, lb, sizeof(lb)), why.msg);
			return rc;
		}
	}
	return 1;
}

/*
 * The grants of an issue rule that selected the request.  Returns 1
 * (issue), 0 (refuse; buf says why) or a negative code.
 */
static int
grants(const struct pol_rule *r, const struct pol_request *rq,
    const struct req_info *ri, pol_within_fn within, void *arg, char *buf,
    size_t bufsz, struct st_err *e)
{
	const struct pol_profile *pr = r->profile;
	const char		*kt[POL_KEY_MAX + 1];
	struct pol_spec		 sp;
	struct st_err		 why = { 0 };
	char			 lb[160];
	size_t			 i, j;
	unsigned		 ent;
	int			 rc;

	if (rq->ca != pr->ca) {
		snprintf(buf, bufsz, "profile '%s' issues %s certificates; the "
		    "request asks for %s certificate", pr->name,
		    pr->ca ? "CA" : "end-entity", rq->ca ? "a CA" :
		    "an end-entity");
		return 0;
	}
	for (ent = POL_ENTRY_SPC; ent <= POL_ENTRY_RANGE; ent++)
		if ((ri->entries & (1u << ent)) &&
		    !pol_kind_admits(pr->kind, (enum pol_entry)ent)) {
			snprintf(buf, bufsz, "profile '%s' is of kind %s, "
			    "which takes %s; the request has %s", pr->name,
			    pol_kind_name(pr->kind), pr->kind == POL_KIND_SPC ?
			    "SPC entries only" : pr->kind == POL_KIND_PER_TN ?
			    "single numbers only" : "numbers and ranges only",
			    rq->scope[ri->first[ent]]);
			return 0;
		}
	if (pr->max_entries > 0 && rq->nscope > pr->max_entries) {
		snprintf(buf, bufsz, "the request has %zu TNAuthList entries; "
		    "profile '%s' allows at most %zu", rq->nscope, pr->name,
		    pr->max_entries);
		return 0;
	}
	if (pr->mode == POL_MODE_ATIS) {
		for (i = 0; i < rq->nscope; i++) {
			(void)pol_spec_parse(rq->scope[i], &sp, NULL);
			for (j = 0; j < sp.vlen; j++) {
				char c = sp.value[j];

				if (!((c >= '0' && c <= '9') ||
				    (c >= 'A' && c <= 'Z')))
					break;
			}
			if (j < sp.vlen) {
				snprintf(buf, bufsz, "ATIS-1000080 section "
				    "6.4.1: \"The SPC value shall contain only "
				    "numbers and uppercase letters\" (%.80s)",
				    rq->scope[i]);
				return 0;
			}
		}
	}
	if (rq->key_type != POL_KEY_NONE) {
		for (i = 0; i < pr->nkey_types; i++)
			if (pr->key_types[i] == rq->key_type)
				break;
		if (i == pr->nkey_types) {
			for (j = 0; j < pr->nkey_types; j++)
				kt[j] = pol_key_type_name(pr->key_types[j]);
			snprintf(buf, bufsz, "key type %s is not among the "
			    "key-types of profile '%s' %s", pol_key_type_name(
			    rq->key_type), pr->name, fmt_list(kt,
			    pr->nkey_types, lb, sizeof(lb)));
			return 0;
		}
	}
	if (!r->scope_requested) {
		if ((rc = judge(r, rq, r->scope, r->nscope, within, arg, &why,
		    e)) != 1) {
			if (rc == 0)
				snprintf(buf, bufsz, "the requested scope is "
				    "not within the permitted scope %s: %.280s",
				    fmt_list(r->scope, r->nscope, lb,
				    sizeof(lb)), why.msg);
			return rc;
		}
	}
	return 1;
}

/* Lifetime after the rule's cap and the request's (docs/policy.md). */
static int64_t
lifetime_of(const struct pol_rule *r, const struct pol_request *rq,
    bool *capped)
{
	int64_t	lt = r->lifetime > 0 ? r->lifetime : r->profile->lifetime;
	int64_t	bd = r->profile->backdate;

	*capped = false;
	if (rq->max_lifetime > 0 && rq->max_lifetime <= INT64_MAX - bd &&
	    rq->max_lifetime + bd < lt) {
		lt = rq->max_lifetime + bd;
		*capped = true;
	}
	return lt;
}

/* Print one trace line "rule 'x' (file:line): ...". */
static void ST_PRINTF(4, 5)
trace_rule(FILE *t, const struct pol *p, const struct pol_rule *r,
    const char *fmt, ...)
{
	va_list	ap;

	if (t == NULL)
		return;
	fprintf(t, "rule '%s' (%s:%u): ", r->name, p->name, r->line);
	va_start(ap, fmt);
	vfprintf(t, fmt, ap);
	va_end(ap);
	fputc('\n', t);
}

int
pol_decide(const struct pol *p, const struct pol_request *rq,
    pol_within_fn within, void *arg, struct pol_decision *out, FILE *trace,
    struct st_err *e)
{
	const struct pol_rule	*r;
	struct req_info		 ri;
	char			 why[ST_ERR_MSGSZ], lt[32], bd[32], sc[256];
	size_t			 i;
	bool			 capped;
	int			 rc = ST_E_INTERNAL;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (p == NULL || rq == NULL || within == NULL || out == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "pol_decide: missing argument");
		goto out;
	}
	if ((rc = check_request(rq, &ri, e)) != 0)
		goto out;
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		why[0] = '\0';
		if ((rc = match(r, rq, &ri, within, arg, why, sizeof(why),
		    e)) < 0)
			goto out;
		if (rc == 0) {
			trace_rule(trace, p, r, "skipped: %s", why);
			continue;
		}
		out->rule = r->name;
		out->rule_line = r->line;
		if (r->refuse) {
			out->refused = true;
			snprintf(out->reason, sizeof(out->reason), "%s",
			    r->reason);
			trace_rule(trace, p, r, "matched: refuse: %s",
			    r->reason);
			rc = 0;
			goto out;
		}
		if ((rc = grants(r, rq, &ri, within, arg, why, sizeof(why),
		    e)) < 0)
			goto out;
		if (rc == 0) {
			out->refused = true;
			snprintf(out->reason, sizeof(out->reason), "%s", why);
			trace_rule(trace, p, r, "matched: refused: %s", why);
			rc = 0;
			goto out;
		}
		out->profile = r->profile;
		out->issuer = r->issuer;
		out->scope_requested = r->scope_requested;
		out->scope = r->scope;
		out->nscope = r->nscope;
		out->lifetime = lifetime_of(r, rq, &capped);
		out->backdate = r->profile->backdate;
		pol_duration_format(out->lifetime, lt, sizeof(lt));
		pol_duration_format(out->backdate, bd, sizeof(bd));
		trace_rule(trace, p, r, "matched: issue: profile '%s', issuer "
		    "'%s', scope %s, lifetime %s%s, backdate %s%s",
		    r->profile->name, r->issuer, r->scope_requested ?
		    "requested" : fmt_list(r->scope, r->nscope, sc,
		    sizeof(sc)), lt, capped ? " (capped by the request)" :
		    "", bd, rq->key_type == POL_KEY_NONE ?
		    "; key type not given, not judged" : "");
		rc = 0;
		goto out;
	}
	out->refused = true;
	snprintf(out->reason, sizeof(out->reason), "no rule matched");
	if (trace != NULL)
		fprintf(trace, "no rule matched\n");
	rc = 0;
out:
	if (rc != 0 && out != NULL)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
pol_decision_format(const struct pol_decision *d, char *buf, size_t bufsz)
{
	char	lt[32], bd[32], sc[256];

	if (d->refused && d->rule != NULL)
		return snprintf(buf, bufsz, "refused: rule '%s': %s", d->rule,
		    d->reason);
	if (d->refused)
		return snprintf(buf, bufsz, "refused: %s", d->reason);
	pol_duration_format(d->lifetime, lt, sizeof(lt));
	pol_duration_format(d->backdate, bd, sizeof(bd));
	return snprintf(buf, bufsz, "issue: rule '%s', profile '%s', issuer "
	    "'%s', scope %s, lifetime %s, backdate %s", d->rule,
	    d->profile != NULL ? d->profile->name : "?", d->issuer,
	    d->scope_requested ? "requested" : fmt_list(d->scope, d->nscope,
	    sc, sizeof(sc)), lt, bd);
}
