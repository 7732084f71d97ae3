/* SPDX-License-Identifier: ISC */
/*
 * Policy engine tests (policy/policy.h, docs/policy.md).
 *
 *  - the files in tests/data/policy/good/ load; their profiles, issuers and SPC
 *    mappings read back as written; warnings.yaml gives exactly its
 *    warnings;
 *  - every tests/data/policy/bad/NAME.yaml is refused with ST_E_POLICY and
 *    the exact "NAME.yaml:line:col: message" of NAME.err (lines starting
 *    with '#' there name the rule being tested);
 *  - a decision table over good/decide.yaml and good/example.yaml: first
 *    match wins, each match condition, each grant, pins, lifetime
 *    capping, refusal reasons, exact traces;
 *  - malformed requests, a failing scope judge, SPEC syntax at its
 *    RFC 8226 boundaries, durations, and a truncation loop over the good
 *    files (no crash, every error positioned).
 *
 * The scope judge handed to pol_decide is built on ca/'s scope algebra,
 * as the real callers' is (RFC 9060 section 4 with the SPC mapping).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "policy/policy.h"
#include "tests/unit/harness.h"

static char datadir[512];
static int nbad;

/* ------------------------------------------------------------------ */
/* A scope judge over ca/ (what cmd/ and ca/ give pol_decide)         */

struct judge {
	const struct pol	*pol;
	struct ca_scope		*maps[16];	/* built by lookups */
	size_t			 nmaps;
	int			 calls;
	int			 fail;		/* if != 0, return this */
};

static int
specs_scope(const char *const *v, size_t n, struct ca_scope **out,
    struct st_err *e)
{
	struct ca_tnauth	*l;
	size_t			 i;
	int			 rc = 0;

	*out = NULL;
	if ((l = ca_tnauth_new()) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n && rc == 0; i++)
		rc = ca_tnauth_add_spec(l, v[i], e);
	if (rc == 0)
		rc = ca_scope_from_tnauth(l, out, e);
	ca_tnauth_free(l);
	return rc;
}

static int
judge_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	struct judge		*j = arg;
	const char *const	*specs;
	size_t			 n;
	int			 rc;

	*numbers = NULL;
	if ((rc = pol_spc_numbers(j->pol, spc, &specs, &n)) != 0)
		return rc;
	if (n == 0)
		return 0;
	if (j->nmaps == sizeof(j->maps) / sizeof(j->maps[0]))
		return ST_E_INTERNAL;
	if ((rc = specs_scope(specs, n, &j->maps[j->nmaps], NULL)) != 0)
		return rc;
	*numbers = j->maps[j->nmaps++];
	return 0;
}

static int
judge_within(void *arg, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why)
{
	struct judge		*j = arg;
	struct ca_spc_map	 map = { judge_lookup, arg };
	struct ca_scope		*c = NULL, *p = NULL;
	int			 rc;

	j->calls++;
	if (j->fail != 0)
		return st_err_set(why, j->fail, "judge: told to fail");
	if ((rc = specs_scope(req, nreq, &c, why)) == 0 &&
	    (rc = specs_scope(allowed, nallowed, &p, why)) == 0)
		rc = ca_scope_encompasses(p, c, &map, why);
	ca_scope_free(c);
	ca_scope_free(p);
	return rc;
}

static void
judge_reset(struct judge *j, const struct pol *p)
{
	size_t	i;

	for (i = 0; i < j->nmaps; i++)
		ca_scope_free(j->maps[i]);
	memset(j, 0, sizeof(*j));
	j->pol = p;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

static struct pol *
load_good(const char *name)
{
	struct st_err	 e = { 0 };
	struct pol	*p = NULL;
	char		 path[700];

	snprintf(path, sizeof(path), "%s/good/%s", datadir, name);
	if (pol_load(path, &p, &e) != 0)
		fprintf(stderr, "  %s: %s\n", name, e.msg);
	return p;
}

/* A request, built in a few words. */
struct req {
	const char	*who;		/* "operator" or an account ID */
	enum pol_proof	 proof;
	const char	*ta;
	bool		 ca;
	const char	*specs[8];	/* NULL-terminated */
};

static void
req_to_pol(const struct req *r, struct pol_request *rq)
{
	size_t	n = 0;

	memset(rq, 0, sizeof(*rq));
	if (strcmp(r->who, "operator") == 0) {
		rq->requester = POL_REQ_OPERATOR;
	} else {
		rq->requester = POL_REQ_ACCOUNT;
		rq->account = r->who;
	}
	rq->proof = r->proof;
	rq->token_authority = r->ta;
	rq->ca = r->ca;
	while (n < 8 && r->specs[n] != NULL)
		n++;
	rq->scope = r->specs;
	rq->nscope = n;
}

/* Decide with the ca/ judge; trace into *trace (malloc'd) if given. */
static int
decide(const struct pol *p, const struct pol_request *rq,
    struct pol_decision *d, char **trace, struct judge *j, struct st_err *e)
{
	FILE	*t = NULL;
	size_t	 tlen;
	int	 rc;

	if (trace != NULL) {
		*trace = NULL;
		if ((t = open_memstream(trace, &tlen)) == NULL)
			return ST_E_NOMEM;
	}
	rc = pol_decide(p, rq, judge_within, j, d, t, e);
	if (t != NULL)
		fclose(t);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Loading                                                            */

static void
test_good_files(void)
{
	const char *const names[] = { "example.yaml", "decide.yaml",
		"minimal.yaml", "warnings.yaml" };
	struct pol	*p;
	size_t		 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = load_good(names[i]);
		ASSERT_NONNULL(p);
		ASSERT_TRUE(pol_rule_count(p) >= 1);
		ASSERT_INT_EQ(pol_warning_count(p),
		    strcmp(names[i], "warnings.yaml") == 0 ? 4 : 0);
		pol_free(p);
	}
	pol_free(NULL);
}

static void
test_example_profiles(void)
{
	struct pol			*p = load_good("example.yaml");
	const struct pol_profile	*pr;

	ASSERT_NONNULL(p);
	ASSERT_INT_EQ(pol_profile_count(p), 4);
	ASSERT_INT_EQ(pol_issuer_count(p), 1);
	ASSERT_INT_EQ(pol_rule_count(p), 9);
	ASSERT_INT_EQ(pol_spc_count(p), 1);
	ASSERT_STR_EQ(pol_issuer_name(p, 0), "ca");
	ASSERT_TRUE(pol_issuer_name(p, 1) == NULL);
	ASSERT_TRUE(pol_profile_find(p, "nope") == NULL);
	ASSERT_TRUE(pol_profile_get(p, 4) == NULL);
	ASSERT_STR_EQ(pol_profile_get(p, 0)->name, "shaken");

	ASSERT_NONNULL(pr = pol_profile_find(p, "shaken"));
	ASSERT_INT_EQ(pr->kind, POL_KIND_SPC);
	ASSERT_FALSE(pr->ca);
	ASSERT_INT_EQ(pr->mode, POL_MODE_ATIS);
	ASSERT_INT_EQ(pr->lifetime, 90 * 86400);
	ASSERT_INT_EQ(pr->backdate, 3600);
	ASSERT_INT_EQ(pr->nkey_types, 1);
	ASSERT_INT_EQ(pr->key_types[0], POL_KEY_EC_P256);
	ASSERT_INT_EQ(pr->max_entries, 1);
	ASSERT_INT_EQ(pr->path_len, -1);
	ASSERT_INT_EQ(pr->nsubject, 3);
	ASSERT_STR_EQ(pr->subject[0].name, "C");
	ASSERT_STR_EQ(pr->subject[0].value, "US");
	ASSERT_STR_EQ(pr->subject[1].name, "O");
	ASSERT_STR_EQ(pr->subject[1].value, "{account}");
	ASSERT_STR_EQ(pr->subject[2].name, "CN");
	ASSERT_STR_EQ(pr->subject[2].value, "SHAKEN {spc}");
	ASSERT_INT_EQ(pr->npolicies, 1);
	ASSERT_STR_EQ(pr->policies[0], "2.16.840.1.114569.1.1.4");
	ASSERT_STR_EQ(pr->crl_dp, "http://127.0.0.1:8555/crl/{issuer}.crl");
	ASSERT_TRUE(pr->claims == NULL);

	ASSERT_NONNULL(pr = pol_profile_find(p, "delegate-ca"));
	ASSERT_INT_EQ(pr->kind, POL_KIND_TN_BLOCK);
	ASSERT_TRUE(pr->ca);
	ASSERT_INT_EQ(pr->mode, POL_MODE_RFC9060);
	ASSERT_INT_EQ(pr->path_len, 0);
	ASSERT_INT_EQ(pr->max_entries, 0);
	ASSERT_INT_EQ(pr->nkey_types, 2);
	ASSERT_INT_EQ(pr->key_types[1], POL_KEY_EC_P384);
	ASSERT_INT_EQ(pr->npolicies, 0);

	ASSERT_NONNULL(pr = pol_profile_find(p, "tn-block"));
	ASSERT_NONNULL(pr->claims);
	ASSERT_FALSE(pr->claims->enhanced);
	ASSERT_INT_EQ(pr->claims->n_must_include, 0);
	ASSERT_INT_EQ(pr->claims->n_permitted, 1);
	ASSERT_STR_EQ(pr->claims->permitted[0].claim, "attest");
	ASSERT_INT_EQ(pr->claims->permitted[0].nvalues, 2);
	ASSERT_STR_EQ(pr->claims->permitted[0].values[0], "A");
	ASSERT_STR_EQ(pr->claims->permitted[0].values[1], "B");
	ASSERT_INT_EQ(pr->max_entries, 100);

	ASSERT_NONNULL(pr = pol_profile_find(p, "per-tn"));
	ASSERT_INT_EQ(pr->kind, POL_KIND_PER_TN);
	ASSERT_NONNULL(pr->claims);
	ASSERT_TRUE(pr->claims->enhanced);
	ASSERT_INT_EQ(pr->claims->n_must_exclude, 1);
	ASSERT_STR_EQ(pr->claims->must_exclude[0], "rph");
	ASSERT_INT_EQ(pr->lifetime, 30 * 86400);

	ASSERT_TRUE(pol_issuer_serves(p, "ca", "per-tn"));
	ASSERT_FALSE(pol_issuer_serves(p, "ca", "nope"));
	ASSERT_FALSE(pol_issuer_serves(p, "ca2", "per-tn"));
	ASSERT_FALSE(pol_issuer_serves(p, NULL, "per-tn"));
	pol_free(p);
}

static void
test_spc_numbers(void)
{
	struct pol		*p = load_good("decide.yaml");
	const char *const	*specs;
	const char		*spc;
	size_t			 n;

	ASSERT_NONNULL(p);
	ASSERT_INT_EQ(pol_spc_numbers(p, "5678", &specs, &n), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_STR_EQ(specs[0], "range:13035550000+100");
	ASSERT_STR_EQ(specs[1], "tn:13035559999");
	ASSERT_INT_EQ(pol_spc_numbers(p, "1234", &specs, &n), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_STR_EQ(specs[0], "range:12025550000+10000");
	ASSERT_INT_EQ(pol_spc_numbers(p, "9999", &specs, &n), 0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_TRUE(specs == NULL);
	ASSERT_INT_EQ(pol_spc_numbers(p, "123", &specs, &n), 0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_INT_EQ(pol_spc_numbers(p, NULL, &specs, &n), ST_E_USAGE);
	ASSERT_INT_EQ(pol_spc_numbers(NULL, "1234", &specs, &n), ST_E_USAGE);
	/* Iteration is sorted by SPC. */
	ASSERT_INT_EQ(pol_spc_count(p), 2);
	ASSERT_INT_EQ(pol_spc_get(p, 0, &spc, &specs, &n), 0);
	ASSERT_STR_EQ(spc, "1234");
	ASSERT_INT_EQ(pol_spc_get(p, 1, &spc, &specs, &n), 0);
	ASSERT_STR_EQ(spc, "5678");
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(pol_spc_get(p, 2, &spc, &specs, &n), ST_E_USAGE);
	ASSERT_TRUE(spc == NULL);
	pol_free(p);

	/* A policy without spc-numbers maps nothing. */
	ASSERT_NONNULL(p = load_good("minimal.yaml"));
	ASSERT_INT_EQ(pol_spc_numbers(p, "1234", &specs, &n), 0);
	ASSERT_INT_EQ(n, 0);
	pol_free(p);
}

static void
test_warnings(void)
{
	struct pol	*p = load_good("warnings.yaml");
	char		 want[1024];
	const char	*w[] = {
		"5:12: warning: numbers of SPC 5678 overlap numbers of SPC "
		    "1234 (line 4): both SPCs' CAs may delegate them",
		"16:22: warning: 'must-include': \"iat\" is always required "
		    "(RFC 8226 section 8); listing it changes nothing",
		"17:22: warning: 'must-exclude': RFC 9118 section 8: issuers "
		    "SHOULD NOT exclude \"rcdi\" from certificates used with "
		    "Rich Call Data",
		"18:3: warning: profile 'spare' is used by no rule",
	};
	size_t		 i;

	ASSERT_NONNULL(p);
	ASSERT_INT_EQ(pol_warning_count(p), 4);
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "%s/good/warnings.yaml:%s",
		    datadir, w[i]);
		ASSERT_STR_EQ(pol_warning(p, i), want);
	}
	ASSERT_TRUE(pol_warning(p, 4) == NULL);
	pol_free(p);
}

/* The first line of f that does not start with '#', without newline. */
static char *
first_line(const char *path)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	char	*s, *line = NULL, *save = NULL;

	if (st_file_read(path, 1 << 16, &buf, &len, NULL) != 0)
		return NULL;
	for (s = strtok_r((char *)buf, "\n", &save); s != NULL;
	    s = strtok_r(NULL, "\n", &save))
		if (s[0] != '#') {
			line = strdup(s);
			break;
		}
	free(buf);
	return line;
}

static void
test_bad_files(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 dir[600], path[900], want[1200];

	snprintf(dir, sizeof(dir), "%s/bad", datadir);
	ASSERT_NONNULL(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		struct pol	*p = NULL;
		struct st_err	 e = { 0 };
		size_t		 n = strlen(de->d_name);
		char		*exp;
		int		 rc, ok;

		if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rc = pol_load(path, &p, &e);
		pol_free(p);
		snprintf(path + strlen(path) - 5, 6, ".err");
		if ((exp = first_line(path)) == NULL) {
			closedir(d);
			ASSERT_TRUE(!"missing .err sidecar");
		}
		snprintf(want, sizeof(want), "%s/%s", dir, exp);
		ok = rc == ST_E_POLICY && e.code == ST_E_POLICY && p == NULL &&
		    strcmp(e.msg, want) == 0;
		if (!ok)
			fprintf(stderr, "  %s: rc %s\n    got  \"%s\"\n    "
			    "want \"%s\"\n", de->d_name, st_err_name(rc), e.msg,
			    want);
		free(exp);
		if (!ok) {
			closedir(d);
			ASSERT_TRUE(!"bad policy not refused as expected");
		}
		nbad++;
	}
	closedir(d);
	ASSERT_TRUE(nbad >= 100);
}

static void
test_load_errors(void)
{
	struct pol	*p = (struct pol *)&p;
	struct st_err	 e = { 0 };
	const char	 text[] = "version: 1\nprofiles: {}\nissuers: {}\n"
	    "rules:\n  - name: x\n    match: {}\n    refuse: no\n";

	ASSERT_INT_EQ(pol_load("/nonexistent/policy.yaml", &p, &e), ST_E_IO);
	ASSERT_TRUE(p == NULL);
	ASSERT_INT_EQ(e.code, ST_E_IO);
	/* pol_load_buf names the buffer in messages. */
	st_err_clear(&e);
	ASSERT_INT_EQ(pol_load_buf("inline", text, sizeof(text) - 1, &p, &e),
	    0);
	ASSERT_STR_EQ(pol_name(p), "inline");
	pol_free(p);
	ASSERT_INT_EQ(pol_load_buf("inline", text, 20, &p, &e), ST_E_POLICY);
	ASSERT_STR_EQ(e.msg, "inline:1:1: missing required key 'issuers' in "
	    "'policy'");
	ASSERT_TRUE(p == NULL);
}

/*
 * Rules that look alike but are reachable: an issue rule does not shadow
 * a later refuse rule, nor an issue rule for another profile or issuer
 * (a request may pin those), nor a rule with a condition it lacks.
 */
static void
test_reachability(void)
{
	static const char head[] =
	    "version: 1\n"
	    "profiles:\n"
	    "  a: {kind: per-tn, ca: false, mode: rfc9060, lifetime: 1d,\n"
	    "      key-types: [ec-p256], subject: {CN: x}}\n"
	    "  b: {kind: tn-block, ca: false, mode: rfc9060, lifetime: 1d,\n"
	    "      key-types: [ec-p256], subject: {CN: x}}\n"
	    "issuers:\n"
	    "  i: {profiles: [a, b]}\n"
	    "  j: {profiles: [a]}\n"
	    "rules:\n";
	static const struct {
		const char	*rules;
		const char	*err;	/* NULL: loads */
	} t[] = {
		{ "  - {name: r1, match: {}, issue: {profile: a, issuer: i, "
		    "scope: requested}}\n"
		  "  - {name: r2, match: {}, refuse: no}\n", NULL },
		{ "  - {name: r1, match: {}, issue: {profile: a, issuer: i, "
		    "scope: requested}}\n"
		  "  - {name: r2, match: {}, issue: {profile: b, issuer: i, "
		    "scope: requested}}\n"
		  "  - {name: r3, match: {}, issue: {profile: a, issuer: j, "
		    "scope: requested}}\n", NULL },
		{ "  - {name: r1, match: {}, issue: {profile: a, issuer: i, "
		    "scope: requested}}\n"
		  "  - {name: r2, match: {proof: operator}, issue: {profile: "
		    "a, issuer: i, scope: [tn:1]}}\n",
		  "12:5: rule 'r2' is unreachable: rule 'r1' (line 11) comes "
		    "first and matches every request it matches" },
		/* narrower first, wider second: fine */
		{ "  - {name: r1, match: {requester: account:7}, refuse: no}\n"
		  "  - {name: r2, match: {requester: account}, refuse: no}\n"
		  "  - {name: r3, match: {kind: per-tn}, refuse: no}\n"
		  "  - {name: r4, match: {kind: tn-block}, refuse: no}\n",
		  NULL },
		/* tn-block covers per-tn requests */
		{ "  - {name: r1, match: {kind: tn-block}, refuse: no}\n"
		  "  - {name: r2, match: {kind: per-tn}, refuse: no}\n",
		  "12:5: rule 'r2' is unreachable: rule 'r1' (line 11) comes "
		    "first and matches every request it matches" },
		{ "  - {name: r1, match: {requester: account}, refuse: no}\n"
		  "  - {name: r2, match: {requester: [account:7, account:8]}, "
		    "refuse: no}\n",
		  "12:5: rule 'r2' is unreachable: rule 'r1' (line 11) comes "
		    "first and matches every request it matches" },
		{ "  - {name: r1, match: {proof: [tkauth-01], token-authority: "
		    "[x, y]}, refuse: no}\n"
		  "  - {name: r2, match: {proof: tkauth-01, token-authority: "
		    "y, ca: true}, refuse: no}\n",
		  "12:5: rule 'r2' is unreachable: rule 'r1' (line 11) comes "
		    "first and matches every request it matches" },
		{ "  - {name: r1, match: {scope-within: [tn:1, tn:2]}, refuse: "
		    "no}\n"
		  "  - {name: r2, match: {scope-within: [tn:2]}, refuse: no}\n",
		  "12:5: rule 'r2' is unreachable: rule 'r1' (line 11) comes "
		    "first and matches every request it matches" },
		/* scope-within compared as text only: not flagged */
		{ "  - {name: r1, match: {scope-within: [range:10+5]}, refuse: "
		    "no}\n"
		  "  - {name: r2, match: {scope-within: [tn:11]}, refuse: "
		    "no}\n",
		  NULL },
	};
	char		 buf[2048], want[512];
	struct pol	*p;
	struct st_err	 e;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", head, t[i].rules);
		st_err_clear(&e);
		p = NULL;
		rc = pol_load_buf("r.yaml", buf, strlen(buf), &p, &e);
		pol_free(p);
		if (t[i].err == NULL) {
			if (rc != 0)
				fprintf(stderr, "  case %zu: %s\n", i, e.msg);
			ASSERT_INT_EQ(rc, 0);
			continue;
		}
		snprintf(want, sizeof(want), "r.yaml:%s", t[i].err);
		ASSERT_INT_EQ(rc, ST_E_POLICY);
		ASSERT_STR_EQ(e.msg, want);
	}
}

/*
 * Truncate every good file at each line end and flip one byte per line:
 * the loader must either accept the text or refuse it with a positioned
 * message, and never crash or leak (ASan watches).
 */
static void
test_mutations(void)
{
	const char *const names[] = { "example.yaml", "decide.yaml",
		"warnings.yaml" };
	char		 path[700], *copy;
	uint8_t		*buf;
	size_t		 len, i, k, runs = 0;
	struct pol	*p;
	struct st_err	 e;
	int		 rc;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		snprintf(path, sizeof(path), "%s/good/%s", datadir, names[k]);
		ASSERT_INT_EQ(st_file_read(path, 1 << 20, &buf, &len, NULL), 0);
		ASSERT_NONNULL(copy = malloc(len + 1));
		for (i = 0; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			/* truncated after this line */
			st_err_clear(&e);
			p = NULL;
			rc = pol_load_buf("m.yaml", buf, i + 1, &p, &e);
			pol_free(p);
			if (rc != 0 && (rc != ST_E_POLICY ||
			    strncmp(e.msg, "m.yaml:", 7) != 0)) {
				fprintf(stderr, "  %s cut at %zu: %s\n",
				    names[k], i, e.msg);
				free(copy);
				free(buf);
				ASSERT_TRUE(!"unpositioned error");
			}
			/* one byte of the next line changed */
			memcpy(copy, buf, len);
			if (i + 3 < len)
				copy[i + 3] ^= 0x21;
			st_err_clear(&e);
			p = NULL;
			rc = pol_load_buf("m.yaml", copy, len, &p, &e);
			pol_free(p);
			if (rc != 0 && rc != ST_E_POLICY) {
				free(copy);
				free(buf);
				ASSERT_INT_EQ(rc, ST_E_POLICY);
			}
			runs += 2;
		}
		free(copy);
		free(buf);
	}
	ASSERT_TRUE(runs > 300);
}

/* ------------------------------------------------------------------ */
/* Decisions                                                          */

struct dcase {
	struct req	 r;
	const char	*rule;		/* NULL: no rule matched */
	bool		 refused;
	const char	*reason;	/* refused: substring of the reason */
	const char	*profile;	/* issued */
	const char	*issuer;
	int64_t		 lifetime;
};

/*
 * The decision table over decide.yaml: each row names the rule that must
 * decide and what it decides.
 */
static void
test_decide_table(void)
{
#define TK POL_PROOF_TKAUTH
#define SMS POL_PROOF_SMS
#define OP POL_PROOF_OPERATOR
	static const struct dcase t[] = {
		/* account:ID pin, scope requested, the rule's lifetime */
		{ { "vip", TK, NULL, false, { "range:12025550000+3" } },
		    "vip", false, NULL, "block", "ca-a", 2 * 86400 },
		/* the pin does not cover another proof */
		{ { "vip", SMS, NULL, false, { "tn:12025550001" } },
		    "sms-a", false, NULL, "one", "ca-a", 5 * 86400 },
		/* a list of accounts, refused with the rule's reason */
		{ { "eve", SMS, NULL, false, { "tn:12025550001" } },
		    "banned", true, "account suspended", NULL, NULL, 0 },
		/* token authority and ca: true; scope through spc-numbers */
		{ { "a1", TK, "ta-1", true, { "range:12025550000+100" } },
		    "ta-ca", false, NULL, "block-ca", "ca-a", 365 * 86400 },
		/* matched, outside the permitted scope: refused, no fall
		 * through to later rules */
		{ { "a1", TK, "ta-1", true, { "range:13035550000+10" } },
		    "ta-ca", true, "the requested scope is not within the "
		    "permitted scope [spc:1234]: RFC 9060 section 4: "
		    "range:13035550000+10 is not encompassed", NULL, NULL, 0 },
		/* ta-2 skips ta-ca; ta-block selects it, and its profile
		 * is end-entity */
		{ { "a1", TK, "ta-2", true, { "range:13035550000+10" } },
		    "ta-block", true, "profile 'block' issues end-entity "
		    "certificates; the request asks for a CA certificate",
		    NULL, NULL, 0 },
		/* kind spc selects ta-spc */
		{ { "a1", TK, "ta-2", false, { "spc:5678" } },
		    "ta-spc", false, NULL, "spc-ee", "ca-a", 30 * 86400 },
		{ { "a1", TK, "ta-1", false, { "spc:1234", "spc:5678" } },
		    "ta-spc", false, NULL, "spc-ee", "ca-a", 30 * 86400 },
		{ { "a1", TK, "ta-2", false, { "spc:9999" } },
		    "ta-spc", true, "spc:9999 is not encompassed", NULL, NULL,
		    0 },
		/* no token authority: every rule needing one is skipped */
		{ { "a1", TK, NULL, false, { "spc:1234" } },
		    "deny", true, "not allowed", NULL, NULL, 0 },
		/* ta-1 is not among ta-block's authorities */
		{ { "a1", TK, "ta-1", false, { "range:13035550000+4" } },
		    "deny", true, "not allowed", NULL, NULL, 0 },
		{ { "a1", TK, "ta-2", false, { "range:13035550000+4" } },
		    "ta-block", false, NULL, "block", "ca-a", 10 * 86400 },
		{ { "a1", TK, "ta-2", false, { "tn:13035559999",
		    "tn:13035550001" } },
		    "ta-block", false, NULL, "block", "ca-a", 10 * 86400 },
		/* max-entries */
		{ { "a1", TK, "ta-2", false, { "tn:13035550001",
		    "tn:13035550002", "tn:13035550003", "tn:13035550004" } },
		    "ta-block", true, "the request has 4 TNAuthList entries; "
		    "profile 'block' allows at most 3", NULL, NULL, 0 },
		/* mixed SPC and numbers fit no kind */
		{ { "a1", TK, "ta-2", false, { "spc:5678", "tn:13035550001" } },
		    "deny", true, "not allowed", NULL, NULL, 0 },
		/* scope-within selects sms-a or sms-b */
		{ { "a2", SMS, NULL, false, { "tn:13035550050" } },
		    "sms-b", false, NULL, "one", "ca-b", 5 * 86400 },
		{ { "a2", SMS, NULL, false, { "tn:14045550000" } },
		    "sms-b", true, "the requested scope is not within the "
		    "permitted scope [spc:5678]", NULL, NULL, 0 },
		/* kind grant: per-tn takes single numbers only */
		{ { "a2", SMS, NULL, false, { "range:12025550000+2" } },
		    "sms-a", true, "profile 'one' is of kind per-tn, which "
		    "takes single numbers only; the request has "
		    "range:12025550000+2", NULL, NULL, 0 },
		/* a number with '*' is compared verbatim: outside both */
		{ { "a2", SMS, NULL, false, { "tn:*67#" } },
		    "sms-b", true, "tn:*67# is not encompassed", NULL, NULL,
		    0 },
		{ { "operator", OP, NULL, false, { "tn:13035559999" } },
		    "op-one", false, NULL, "one", "ca-b", 5 * 86400 },
		{ { "operator", OP, NULL, true, { "tn:13035559999" } },
		    "op-one", true, "profile 'one' issues end-entity "
		    "certificates", NULL, NULL, 0 },
	};
#undef TK
#undef SMS
#undef OP
	struct pol		*p = load_good("decide.yaml");
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	struct st_err		 e;
	size_t			 i;
	int			 rc;

	ASSERT_NONNULL(p);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		req_to_pol(&t[i].r, &rq);
		judge_reset(&j, p);
		st_err_clear(&e);
		rc = decide(p, &rq, &d, NULL, &j, &e);
		if (rc != 0 || d.refused != t[i].refused ||
		    (t[i].rule == NULL) != (d.rule == NULL) ||
		    (d.rule != NULL && strcmp(d.rule, t[i].rule) != 0) ||
		    (t[i].reason != NULL &&
		    strstr(d.reason, t[i].reason) == NULL))
			fprintf(stderr, "  case %zu: rc %d rule %s refused %d "
			    "reason \"%s\" (%s)\n", i, rc,
			    d.rule ? d.rule : "-", d.refused, d.reason, e.msg);
		ASSERT_INT_EQ(rc, 0);
		ASSERT_INT_EQ(d.refused, t[i].refused);
		ASSERT_STR_EQ(d.rule, t[i].rule);
		if (t[i].refused) {
			ASSERT_STR_CONTAINS(d.reason, t[i].reason);
			ASSERT_TRUE(d.profile == NULL && d.issuer == NULL);
			continue;
		}
		ASSERT_STR_EQ(d.reason, "");
		ASSERT_STR_EQ(d.profile->name, t[i].profile);
		ASSERT_STR_EQ(d.issuer, t[i].issuer);
		ASSERT_INT_EQ(d.lifetime, t[i].lifetime);
		ASSERT_INT_EQ(d.backdate, d.profile->backdate);
	}
	judge_reset(&j, NULL);
	pol_free(p);
}

/* The permitted scope and the rule's line come back as written. */
static void
test_decide_fields(void)
{
	struct pol		*p = load_good("decide.yaml");
	struct req		 r = { "a1", POL_PROOF_TKAUTH, "ta-2", false,
		{ "spc:5678" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	char			 line[600];

	ASSERT_NONNULL(p);
	req_to_pol(&r, &rq);
	judge_reset(&j, p);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "ta-spc");
	ASSERT_INT_EQ(d.rule_line, 64);
	ASSERT_FALSE(d.scope_requested);
	ASSERT_INT_EQ(d.nscope, 2);
	ASSERT_STR_EQ(d.scope[0], "spc:1234");
	ASSERT_STR_EQ(d.scope[1], "spc:5678");
	pol_decision_format(&d, line, sizeof(line));
	ASSERT_STR_EQ(line, "issue: rule 'ta-spc', profile 'spc-ee', issuer "
	    "'ca-a', scope [spc:1234, spc:5678], lifetime 30d, backdate 0s");

	/* scope: requested */
	r.who = "vip";
	r.ta = NULL;
	r.specs[0] = "tn:12025550001";
	req_to_pol(&r, &rq);
	judge_reset(&j, p);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "vip");
	ASSERT_TRUE(d.scope_requested);
	ASSERT_TRUE(d.scope == NULL);
	/* no scope question was asked: vip has no scope-within */
	ASSERT_INT_EQ(j.calls, 0);
	pol_decision_format(&d, line, sizeof(line));
	ASSERT_STR_EQ(line, "issue: rule 'vip', profile 'block', issuer "
	    "'ca-a', scope requested, lifetime 2d, backdate 1h");

	/* a refusal */
	r.who = "mallory";
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	pol_decision_format(&d, line, sizeof(line));
	ASSERT_STR_EQ(line, "refused: rule 'banned': account suspended");
	judge_reset(&j, NULL);
	pol_free(p);
}

/* A request may pin a profile or an issuer; refuse rules ignore pins. */
static void
test_decide_pins(void)
{
	struct pol		*p = load_good("decide.yaml");
	struct req		 r = { "operator", POL_PROOF_OPERATOR, NULL,
		false, { "range:12025550000+2" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };

	ASSERT_NONNULL(p);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	/* unpinned: op-one selects it and refuses a range */
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "op-one");
	ASSERT_TRUE(d.refused);
	rq.profile = "block";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "op-block");
	ASSERT_FALSE(d.refused);
	ASSERT_STR_EQ(d.profile->name, "block");
	rq.profile = NULL;
	rq.issuer = "ca-a";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "op-block");
	ASSERT_STR_EQ(d.issuer, "ca-a");
	/* an issuer no operator rule uses: the refuse rule decides */
	rq.issuer = "ca-z";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "deny");
	ASSERT_TRUE(d.refused);
	/* nothing issues spc-ee to the operator: the refuse rule decides */
	rq.issuer = NULL;
	rq.profile = "spc-ee";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "deny");
	ASSERT_TRUE(d.refused);
	ASSERT_STR_EQ(d.reason, "not allowed");
	judge_reset(&j, NULL);
	pol_free(p);
}

/*
 * max_lifetime (e.g. a token's exp - now) caps notAfter; the backdate
 * stays inside the lifetime, so the cap is max_lifetime + backdate.
 */
static void
test_decide_lifetime(void)
{
	struct pol		*p = load_good("decide.yaml");
	struct req		 r = { "vip", POL_PROOF_TKAUTH, NULL, false,
		{ "tn:12025550001" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	char			*trace = NULL;

	ASSERT_NONNULL(p);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	rq.max_lifetime = 3600;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_INT_EQ(d.lifetime, 2 * 3600);
	ASSERT_INT_EQ(d.backdate, 3600);
	ASSERT_STR_CONTAINS(trace, "lifetime 2h (capped by the request), "
	    "backdate 1h");
	free(trace);
	/*
	 * Just under the rule's 2d, but with the backdate the certificate
	 * would end after now + 2d - 1h anyway: no cap, and never longer
	 * than the rule's lifetime.
	 */
	rq.max_lifetime = 2 * 86400 - 1800;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_INT_EQ(d.lifetime, 2 * 86400);
	ASSERT_TRUE(strstr(trace, "capped") == NULL);
	free(trace);
	rq.max_lifetime = 2 * 86400 - 3601;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_INT_EQ(d.lifetime, 2 * 86400 - 1);
	free(trace);
	/* a longer limit than the rule's changes nothing */
	rq.max_lifetime = 30 * 86400;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_INT_EQ(d.lifetime, 2 * 86400);
	ASSERT_TRUE(strstr(trace, "capped") == NULL);
	free(trace);
	/* the rule's lifetime cap (2d) below the profile's (10d) */
	ASSERT_INT_EQ(pol_profile_find(p, "block")->lifetime, 10 * 86400);
	judge_reset(&j, NULL);
	pol_free(p);
}

static void
test_decide_key_types(void)
{
	struct pol		*p = load_good("decide.yaml");
	struct req		 r = { "a1", POL_PROOF_TKAUTH, "ta-1", true,
		{ "range:12025550000+100" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };

	ASSERT_NONNULL(p);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	rq.key_type = POL_KEY_EC_P384;
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_FALSE(d.refused);
	rq.key_type = POL_KEY_RSA_3072;
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_TRUE(d.refused);
	ASSERT_STR_EQ(d.reason, "key type rsa-3072 is not among the "
	    "key-types of profile 'block-ca' [ec-p256, ec-p384]");
	judge_reset(&j, NULL);
	pol_free(p);
}

/* ATIS mode: the SPC alphabet is digits and upper-case letters. */
static void
test_decide_atis(void)
{
	struct pol		*p = load_good("example.yaml");
	struct req		 r = { "operator", POL_PROOF_OPERATOR, NULL,
		false, { "spc:1234" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };

	ASSERT_NONNULL(p);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_STR_EQ(d.rule, "operator-shaken");
	ASSERT_FALSE(d.refused);
	ASSERT_STR_EQ(d.profile->name, "shaken");
	r.specs[0] = "spc:12a4";
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_TRUE(d.refused);
	ASSERT_STR_EQ(d.reason, "ATIS-1000080 section 6.4.1: \"The SPC value "
	    "shall contain only numbers and uppercase letters\" (spc:12a4)");
	/* two SPCs: the ATIS profile holds one (max-entries 1) */
	r.specs[0] = "spc:1234";
	r.specs[1] = "spc:1234";
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), 0);
	ASSERT_TRUE(d.refused);
	ASSERT_STR_EQ(d.reason, "the request has 2 TNAuthList entries; "
	    "profile 'shaken' allows at most 1");
	judge_reset(&j, NULL);
	pol_free(p);
}

/* The whole trace of two requests, line by line. */
static void
test_trace(void)
{
	struct pol		*p = load_good("example.yaml");
	struct req		 r = { "17", POL_PROOF_SMS, NULL, false,
		{ "tn:13035550123" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	char			*trace = NULL, want[8192], f[600];

	ASSERT_NONNULL(p);
	snprintf(f, sizeof(f), "%s/good/example.yaml", datadir);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	snprintf(want, sizeof(want),
	    "rule 'operator-shaken' (%s:98): skipped: requester account:17 "
	    "not in [operator]\n"
	    "rule 'operator-numbers' (%s:107): skipped: requester account:17 "
	    "not in [operator]\n"
	    "rule 'operator-delegate-ca' (%s:116): skipped: requester "
	    "account:17 not in [operator]\n"
	    "rule 'token-shaken' (%s:128): skipped: proof sms-link-00 not in "
	    "[tkauth-01]\n"
	    "rule 'token-delegate-ca' (%s:142): skipped: proof sms-link-00 "
	    "not in [tkauth-01]\n"
	    "rule 'token-numbers' (%s:152): skipped: proof sms-link-00 not in "
	    "[tkauth-01]\n"
	    "rule 'sms-number' (%s:167): skipped: the requested scope is not "
	    "within [spc:1234]: RFC 9060 section 4: tn:13035550123 is not "
	    "encompassed by the parent: 13035550123 is outside it, nor among "
	    "the numbers the policy assigns to the parent's SPC 1234\n"
	    "rule 'sms-other' (%s:179): matched: refuse: sms-link-00 proves "
	    "one number of SPC 1234 for an end-entity certificate, nothing "
	    "else\n", f, f, f, f, f, f, f, f);
	ASSERT_STR_EQ(trace, want);
	ASSERT_TRUE(d.refused);
	ASSERT_STR_EQ(d.rule, "sms-other");
	ASSERT_INT_EQ(d.rule_line, 179);
	free(trace);

	/* a token without an authority the policy knows, for a CA */
	r.who = "17";
	r.proof = POL_PROOF_TKAUTH;
	r.ta = "someone";
	r.ca = true;
	r.specs[0] = "range:12025550000+100";
	req_to_pol(&r, &rq);
	rq.key_type = POL_KEY_EC_P256;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_STR_CONTAINS(trace, "rule 'token-shaken' (");
	ASSERT_STR_CONTAINS(trace, ":128): skipped: token authority someone "
	    "not in [sti-pa]\n");
	ASSERT_STR_CONTAINS(trace, ":142): skipped: token authority someone "
	    "not in [sti-pa, stica-ta]\n");
	ASSERT_STR_CONTAINS(trace, ":179): skipped: proof tkauth-01 not in "
	    "[sms-link-00]\n");
	ASSERT_STR_CONTAINS(trace, ":184): matched: refuse: no rule allows "
	    "this request\n");
	free(trace);

	/* first match wins: nothing after the deciding rule is traced */
	r.ta = "stica-ta";
	req_to_pol(&r, &rq);
	rq.key_type = POL_KEY_EC_P256;
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_FALSE(d.refused);
	ASSERT_STR_CONTAINS(trace, ":142): matched: issue: profile "
	    "'delegate-ca', issuer 'ca', scope [spc:1234], lifetime 365d, "
	    "backdate 1h\n");
	ASSERT_TRUE(strstr(trace, "token-numbers") == NULL);
	ASSERT_TRUE(strstr(trace, "everything-else") == NULL);
	free(trace);
	judge_reset(&j, NULL);
	pol_free(p);
}

/* No rule matches at all (a policy without a catch-all). */
static void
test_no_rule_matched(void)
{
	static const char text[] =
	    "version: 1\nprofiles: {}\nissuers: {}\nrules:\n"
	    "  - {name: ops-only, match: {requester: operator}, refuse: "
	    "maintenance}\n";
	struct pol		*p = NULL;
	struct req		 r = { "9", POL_PROOF_SMS, NULL, false,
		{ "tn:1" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	char			*trace = NULL, line[256];

	ASSERT_INT_EQ(pol_load_buf("n.yaml", text, sizeof(text) - 1, &p,
	    NULL), 0);
	judge_reset(&j, p);
	req_to_pol(&r, &rq);
	ASSERT_INT_EQ(decide(p, &rq, &d, &trace, &j, NULL), 0);
	ASSERT_TRUE(d.refused);
	ASSERT_TRUE(d.rule == NULL);
	ASSERT_STR_EQ(d.reason, "no rule matched");
	ASSERT_STR_EQ(trace, "rule 'ops-only' (n.yaml:5): skipped: requester "
	    "account:9 not in [operator]\nno rule matched\n");
	pol_decision_format(&d, line, sizeof(line));
	ASSERT_STR_EQ(line, "refused: no rule matched");
	free(trace);
	pol_free(p);
}

/* Broken requests are errors, not refusals; so is a failing judge. */
static void
test_decide_errors(void)
{
	struct pol		*p = load_good("decide.yaml");
	struct req		 r = { "a1", POL_PROOF_SMS, NULL, false,
		{ "tn:12025550001" } };
	struct pol_request	 rq;
	struct pol_decision	 d;
	struct judge		 j = { 0 };
	struct st_err		 e;

	ASSERT_NONNULL(p);
	judge_reset(&j, p);

	req_to_pol(&r, &rq);
	rq.scope = (const char *const[]){ "tn:12a" };
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_SYNTAX);
	ASSERT_STR_EQ(e.msg, "request: 'tn:12a': RFC 8226 Appendix A: a "
	    "TelephoneNumber is 1 to 15 of 0123456789#*");
	ASSERT_FALSE(d.refused);
	ASSERT_TRUE(d.rule == NULL);

	req_to_pol(&r, &rq);
	rq.nscope = 0;
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_USAGE);
	ASSERT_STR_EQ(e.msg, "request: no TNAuthList entries");

	req_to_pol(&r, &rq);
	rq.proof = POL_PROOF_OPERATOR;
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "(got account with proof operator)");

	req_to_pol(&r, &rq);
	rq.requester = POL_REQ_OPERATOR;
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "(got operator with proof sms-link-00)");

	req_to_pol(&r, &rq);
	rq.account = "";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), ST_E_USAGE);
	/* names that would break the one-line trace */
	req_to_pol(&r, &rq);
	rq.account = "a\nrule 'x': matched";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), ST_E_USAGE);
	req_to_pol(&r, &rq);
	rq.profile = "one two";
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), ST_E_USAGE);

	req_to_pol(&r, &rq);
	rq.token_authority = "ta-1";
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_USAGE);
	ASSERT_STR_EQ(e.msg, "request: only a tkauth-01 request has a token "
	    "authority");

	req_to_pol(&r, &rq);
	rq.max_lifetime = -1;
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), ST_E_USAGE);
	req_to_pol(&r, &rq);
	rq.key_type = (enum pol_key_type)99;
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, NULL), ST_E_USAGE);

	ASSERT_INT_EQ(pol_decide(p, &rq, NULL, NULL, &d, NULL, NULL),
	    ST_E_USAGE);
	ASSERT_INT_EQ(pol_decide(NULL, &rq, judge_within, &j, &d, NULL,
	    NULL), ST_E_USAGE);

	/* the judge fails: the error comes back, naming the rule */
	req_to_pol(&r, &rq);
	j.fail = ST_E_NOMEM;
	st_err_clear(&e);
	ASSERT_INT_EQ(decide(p, &rq, &d, NULL, &j, &e), ST_E_NOMEM);
	ASSERT_STR_EQ(e.msg, "rule 'sms-a': judging the scope failed: judge: "
	    "told to fail");
	ASSERT_INT_EQ(j.calls, 1);
	ASSERT_FALSE(d.refused);
	judge_reset(&j, NULL);
	pol_free(p);
}

/* ------------------------------------------------------------------ */
/* Small syntaxes                                                     */

static void
test_spec_syntax(void)
{
	static const struct {
		const char	*spec;
		int		 rc;
		const char	*frag;
	} t[] = {
		{ "spc:1234", 0, NULL },
		{ "spc:A-1_b.", 0, NULL },
		{ "spc:", ST_E_SYNTAX, "1 to 255 characters" },
		{ "spc:12 34", ST_E_SYNTAX, "visible ASCII" },
		{ "tn:1", 0, NULL },
		{ "tn:123456789012345", 0, NULL },
		{ "one:*67#", 0, NULL },
		{ "tn:", ST_E_SYNTAX, "1 to 15 of 0123456789#*" },
		{ "tn:1234567890123456", ST_E_SYNTAX, "1 to 15" },
		{ "tn:+12025550100", ST_E_SYNTAX, "1 to 15 of" },
		{ "range:10+2", 0, NULL },
		{ "range:10+89", 0, NULL },
		/* RFC 8226 section 9, literally: 10 + 90 = 10^2 */
		{ "range:10+90", ST_E_SYNTAX, "less than 10^2" },
		{ "range:98+2", ST_E_SYNTAX, "less than 10^2" },
		{ "range:0+9", 0, NULL },
		{ "range:0+10", ST_E_SYNTAX, "less than 10^1" },
		{ "range:999999999999990+9", 0, NULL },
		{ "range:12025550000+1", ST_E_SYNTAX, "(2..MAX)" },
		{ "range:12025550000+0", ST_E_SYNTAX, "(2..MAX)" },
		{ "range:12025550000+02", ST_E_SYNTAX, "decimal COUNT" },
		{ "range:12025550000+", ST_E_SYNTAX, "decimal COUNT" },
		{ "range:12025550000", ST_E_SYNTAX, "decimal COUNT" },
		{ "range:+5", ST_E_SYNTAX, "1 to 15 digits" },
		{ "range:*67+2", ST_E_SYNTAX, "without '*' or '#'" },
		{ "range:1x+2", ST_E_SYNTAX, "1 to 15 digits" },
		{ "range:1+99999999999999999999", ST_E_SYNTAX,
		    "decimal COUNT" },
		{ "1234", ST_E_SYNTAX, "expected spc:CODE" },
		{ "SPC:1234", ST_E_SYNTAX, "expected spc:CODE" },
	};
	struct st_err	e;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		st_err_clear(&e);
		if (pol_spec_check(t[i].spec, &e) != t[i].rc)
			fprintf(stderr, "  %s: %s\n", t[i].spec, e.msg);
		ASSERT_INT_EQ(pol_spec_check(t[i].spec, NULL), t[i].rc);
		if (t[i].frag != NULL)
			ASSERT_STR_CONTAINS(e.msg, t[i].frag);
	}
	ASSERT_INT_EQ(pol_spec_check(NULL, NULL), ST_E_USAGE);
}

static void
test_names_durations(void)
{
	enum pol_key_type	kt;
	enum pol_proof		pf;
	struct st_err		e = { 0 };
	char			buf[32];
	int64_t			s;

	ASSERT_STR_EQ(pol_kind_name(POL_KIND_TN_BLOCK), "tn-block");
	ASSERT_STR_EQ(pol_kind_name((enum pol_kind)7), "?");
	ASSERT_STR_EQ(pol_mode_name(POL_MODE_ATIS), "atis-1000080");
	ASSERT_STR_EQ(pol_key_type_name(POL_KEY_RSA_2048), "rsa-2048");
	ASSERT_STR_EQ(pol_proof_name(POL_PROOF_SMS), "sms-link-00");
	ASSERT_INT_EQ(pol_key_type_parse("ec-p384", &kt, NULL), 0);
	ASSERT_INT_EQ(kt, POL_KEY_EC_P384);
	ASSERT_INT_EQ(pol_key_type_parse("none", &kt, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "unknown key type 'none'");
	ASSERT_INT_EQ(pol_proof_parse("operator", &pf, NULL), 0);
	ASSERT_INT_EQ(pf, POL_PROOF_OPERATOR);
	ASSERT_INT_EQ(pol_proof_parse("dns-01", &pf, NULL), ST_E_USAGE);

	ASSERT_INT_EQ(pol_duration_parse("1w2d3h4m5s", &s, NULL), 0);
	ASSERT_INT_EQ(s, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	ASSERT_INT_EQ(pol_duration_parse("90s", &s, NULL), 0);
	ASSERT_INT_EQ(s, 90);
	ASSERT_INT_EQ(pol_duration_parse("0s", &s, NULL), 0);
	ASSERT_INT_EQ(s, 0);
	ASSERT_INT_EQ(pol_duration_parse("1h1d", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("1d1d", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("01d", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("30", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("d", &s, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(pol_duration_parse("99999999999999w", &s, NULL),
	    ST_E_USAGE);

	pol_duration_format(7 * 86400, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "7d");
	pol_duration_format(86400 + 12 * 3600, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "1d12h");
	pol_duration_format(90061, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "1d1h1m1s");
	pol_duration_format(0, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "0s");
	pol_duration_format(59, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "59s");
}

int
main(void)
{
	const char *top = getenv("STICA_TOP");

	snprintf(datadir, sizeof(datadir), "%s/tests/data/policy",
	    top != NULL ? top : ".");
	RUN(test_good_files);
	RUN(test_example_profiles);
	RUN(test_spc_numbers);
	RUN(test_warnings);
	RUN(test_bad_files);
	RUN(test_load_errors);
	RUN(test_reachability);
	RUN(test_mutations);
	RUN(test_decide_table);
	RUN(test_decide_fields);
	RUN(test_decide_pins);
	RUN(test_decide_lifetime);
	RUN(test_decide_key_types);
	RUN(test_decide_atis);
	RUN(test_trace);
	RUN(test_no_rule_matched);
	RUN(test_decide_errors);
	RUN(test_spec_syntax);
	RUN(test_names_durations);
	fprintf(stderr, "bad policy files: %d\n", nbad);
	return th_done("test_policy");
}
