/* SPDX-License-Identifier: ISC */
/*
 * policy/: the issuance policy (docs/policy.md).
 *
 * A policy file declares profiles (what a certificate looks like: kind,
 * end entity or RFC 9060 delegate CA, lifetime, key types, subject
 * template, certificate policies, CRL distribution point, RFC 8226 /
 * RFC 9118 claim constraints, and an ATIS-1000080 or RFC 9060 lint
 * mode), the issuers that serve each profile, the numbers that belong to
 * each SPC (RFC 9060 sections 4 and 8), and an ordered list of rules that
 * map a request to a profile, an issuer, a permitted scope and a lifetime,
 * or to a refusal.
 *
 * policy/ sits below ca/ and cannot use the scope algebra: scopes stay
 * SPEC strings ("spc:CODE", "tn:DIGITS", "range:START+COUNT"), whose
 * syntax is checked here, and every "is this scope inside that one"
 * question is put to a pol_within_fn supplied by the caller.
 *
 * A loaded policy is immutable: any number of threads may read it and
 * call pol_decide at once.  Every pointer it hands out (profiles, names,
 * SPEC arrays) is borrowed and lives until pol_free.
 */
#ifndef STICA_POLICY_H
#define STICA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"

/* The one policy file version this code reads. */
#define POL_VERSION 1

/* What a certificate's TNAuthList may hold. */
enum pol_kind {
	POL_KIND_SPC = 0,	/* SPC entries only */
	POL_KIND_TN_BLOCK = 1,	/* ranges and single numbers */
	POL_KIND_PER_TN = 2	/* single numbers only */
};

/* Lint strictness (stir-facts.md section 5.1). */
enum pol_mode {
	POL_MODE_RFC9060 = 0,	/* RFC 8226 + RFC 9060 */
	POL_MODE_ATIS = 1	/* ATIS-1000080 SHAKEN end entity */
};

/* Subject public key types; POL_KEY_NONE means "not given". */
enum pol_key_type {
	POL_KEY_NONE = 0,
	POL_KEY_EC_P256 = 1,
	POL_KEY_EC_P384 = 2,
	POL_KEY_RSA_2048 = 3,
	POL_KEY_RSA_3072 = 4
};
#define POL_KEY_MAX POL_KEY_RSA_3072

enum pol_requester {
	POL_REQ_ACCOUNT = 0,	/* an ACME account */
	POL_REQ_OPERATOR = 1	/* the CA's operator (stica issue) */
};

enum pol_proof {
	POL_PROOF_TKAUTH = 0,	/* tkauth-01, RFC 9447 / RFC 9448 */
	POL_PROOF_SMS = 1,	/* sms-link-00 */
	POL_PROOF_OPERATOR = 2	/* the operator vouches */
};

/* One subject attribute template, in DN order ("CN", "TN {tn}"). */
struct pol_attr {
	const char	*name;	/* C, ST, L, O, OU, CN or serialNumber */
	const char	*value;	/* template; see docs/policy.md */
};

struct pol_claim_values {
	const char		*claim;
	const char *const	*values;
	size_t			 nvalues;
};

/* JWTClaimConstraints (RFC 8226 section 8) or the RFC 9118 form. */
struct pol_claims {
	bool				 enhanced;	/* RFC 9118, id-pe 33 */
	const char *const		*must_include;
	size_t				 n_must_include;
	const struct pol_claim_values	*permitted;
	size_t				 n_permitted;
	const char *const		*must_exclude;	/* enhanced only */
	size_t				 n_must_exclude;
};

/* A profile, as validated by pol_load.  Read-only. */
struct pol_profile {
	const char		*name;
	unsigned		 line;		/* of its key in the file */
	enum pol_kind		 kind;
	bool			 ca;		/* RFC 9060 delegate CA */
	enum pol_mode		 mode;
	int64_t			 lifetime;	/* s, notAfter - notBefore */
	int64_t			 backdate;	/* seconds, within lifetime */
	const enum pol_key_type	*key_types;
	size_t			 nkey_types;
	size_t			 max_entries;	/* 0: no cap */
	int			 path_len;	/* -1: none */
	const struct pol_attr	*subject;
	size_t			 nsubject;
	const char *const	*policies;	/* certificate policy OIDs */
	size_t			 npolicies;
	const char		*crl_dp;	/* URL template or NULL */
	const struct pol_claims	*claims;	/* NULL: none */
};

struct pol;

/*
 * Load and validate a policy file: strict schema (unknown, missing and
 * mistyped keys), SPEC syntax, references between rules, issuers and
 * profiles, RFC 8226 / RFC 9118 / ATIS-1000080 rules on profiles, and
 * unreachable rules.  Errors: ST_E_IO (cannot read), ST_E_NOMEM, and
 * ST_E_POLICY with e->msg "file:line:col: what is wrong".
 */
int	pol_load(const char *path, struct pol **out, struct st_err *e)
    ST_MUSTCHECK;
/* The same from a buffer; name stands for the file in messages. */
int	pol_load_buf(const char *name, const void *p, size_t len,
    struct pol **out, struct st_err *e) ST_MUSTCHECK;
void	pol_free(struct pol *);

/* The file name given to pol_load. */
const char *pol_name(const struct pol *);

/*
 * Things pol_load accepted but that deserve a look, each as
 * "file:line:col: warning: ..." (stica policy check prints them).
 */
size_t	pol_warning_count(const struct pol *);
const char *pol_warning(const struct pol *, size_t i);

/* Profiles: by name (NULL when unknown) or by index in file order. */
const struct pol_profile *pol_profile_find(const struct pol *,
    const char *name);
size_t	pol_profile_count(const struct pol *);
const struct pol_profile *pol_profile_get(const struct pol *, size_t i);

/* Issuers named in the policy (names as in stica.yaml), file order. */
size_t	pol_issuer_count(const struct pol *);
const char *pol_issuer_name(const struct pol *, size_t i);
/* Does issuer serve profile?  False for unknown names. */
/*
 * issuers.NAME.crl-next-update in seconds: how far after thisUpdate the
 * issuer's CRLs set nextUpdate (RFC 5280 section 5.1.2.5); 0 when the
 * policy does not say (ca/ then uses its default).
 */
int64_t	pol_issuer_crl_next_update(const struct pol *, const char *issuer);
bool	pol_issuer_serves(const struct pol *, const char *issuer,
    const char *profile);

size_t	pol_rule_count(const struct pol *);

/*
 * The numbers that belong to an SPC (spc-numbers, RFC 9060 sections 4.1
 * and 8), as "tn:" and "range:" SPECs.  *n is 0 and *specs NULL when the
 * policy maps no numbers to spc.  Binary search; always returns 0 unless
 * an argument is NULL (ST_E_USAGE).
 */
int	pol_spc_numbers(const struct pol *, const char *spc,
    const char *const **specs, size_t *n) ST_MUSTCHECK;
/* Every mapping, sorted by SPC, for callers that prepare scopes once. */
size_t	pol_spc_count(const struct pol *);
int	pol_spc_get(const struct pol *, size_t i, const char **spc,
    const char *const **specs, size_t *n) ST_MUSTCHECK;

/* A request to judge.  The caller owns every pointer. */
struct pol_request {
	enum pol_requester	 requester;
	const char		*account;	/* POL_REQ_ACCOUNT: its ID */
	enum pol_proof		 proof;		/* operator iff requester is */
	const char		*token_authority; /* tkauth-01: name of the
						   * trusted token authority
						   * whose token was
						   * validated, or NULL */
	const char *const	*scope;		/* requested TNAuthList */
	size_t			 nscope;
	bool			 ca;		/* basicConstraints cA asked */
	enum pol_key_type	 key_type;	/* POL_KEY_NONE: not judged */
	int64_t			 max_lifetime;	/* > 0: the certificate may not
						 * outlive now + this (RFC
						 * 9447 section 7: token
						 * exp); 0: no limit */
	const char		*profile;	/* only rules issuing this
						 * profile; NULL: any */
	const char		*issuer;	/* likewise for the issuer */
};

/*
 * Scope judge supplied by the caller (policy/ cannot use ca/): is the
 * TNAuthList req[0..nreq) "equal to or a subset of" allowed[0..nallowed)
 * (RFC 9060 section 4), with the policy's SPC-to-numbers mapping applied
 * to allowed's SPCs?  Returns 1 yes, 0 no (why says which entry escapes),
 * or a negative ST_E_* code (why says what failed).
 */
typedef int (*pol_within_fn)(void *arg, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why);

/* The outcome of pol_decide.  Pointers are borrowed from the policy. */
struct pol_decision {
	bool			 refused;
	char			 reason[ST_ERR_MSGSZ];	/* when refused */
	const char		*rule;		/* deciding rule; NULL: none */
	unsigned		 rule_line;
	const struct pol_profile *profile;	/* issued: */
	const char		*issuer;
	bool			 scope_requested; /* permitted scope is the
						   * request's own */
	const char *const	*scope;		/* else: the permitted scope */
	size_t			 nscope;
	int64_t			 lifetime;	/* seconds, after capping */
	int64_t			 backdate;	/* seconds */
};

/*
 * Judge a request.  Rules are tried in file order; the first whose match
 * conditions all hold decides (docs/policy.md, "Decision procedure"):
 * a refuse rule refuses; an issue rule issues, unless the request breaks
 * one of the rule's grants (profile kind, entries, key type, CA flag,
 * permitted scope), in which case it refuses, naming the rule.  No
 * matching rule is a refusal too.  A refusal is a successful evaluation:
 * the return is 0 with out->refused set.
 *
 * trace (may be NULL) receives one line per rule considered, e.g.
 *   rule 'sms' (policy.yaml:61): skipped: proof tkauth-01 not in
 *   [sms-link-00]
 * within is called for match.scope-within and for a literal issue.scope.
 *
 * Errors: ST_E_USAGE or ST_E_SYNTAX for a malformed request (bad SPEC,
 * inconsistent requester and proof), or what within returned.
 */
int	pol_decide(const struct pol *, const struct pol_request *,
    pol_within_fn within, void *arg, struct pol_decision *out, FILE *trace,
    struct st_err *e) ST_MUSTCHECK;

/*
 * One line for logs and the audit record: "issue: rule 'x', profile 'p',
 * issuer 'i', scope requested, lifetime 7d, backdate 1h" or "refused:
 * <reason>".  Returns snprintf's result.
 */
int	pol_decision_format(const struct pol_decision *, char *buf,
    size_t bufsz);

/* Names as written in policy files; "?" for out-of-range values. */
const char *pol_kind_name(enum pol_kind);
const char *pol_mode_name(enum pol_mode);
const char *pol_key_type_name(enum pol_key_type);
const char *pol_proof_name(enum pol_proof);
/* Parse a name; ST_E_USAGE (e says which names exist) when unknown. */
int	pol_key_type_parse(const char *s, enum pol_key_type *out,
    struct st_err *e) ST_MUSTCHECK;
int	pol_proof_parse(const char *s, enum pol_proof *out, struct st_err *e)
    ST_MUSTCHECK;

/*
 * Durations as policy files write them: <digits><unit> groups, units
 * w d h m s in that order ("30d", "1d12h").  Parse into seconds (>= 0),
 * or format seconds with d, h, m and s ("7d", "1d12h", "0s").
 */
int	pol_duration_parse(const char *s, int64_t *secs, struct st_err *e)
    ST_MUSTCHECK;
int	pol_duration_format(int64_t secs, char *buf, size_t bufsz);

/*
 * Check the syntax of one SPEC as RFC 8226 constrains its parts:
 * "spc:" 1..255 visible ASCII characters; "tn:" (or "one:") 1..15 of
 * 0-9 * #; "range:START+COUNT" with START 1..15 digits, COUNT >= 2 and
 * START + COUNT < 10^len(START).  ca/ checks again when it encodes.
 * Returns 0 or ST_E_SYNTAX.
 */
int	pol_spec_check(const char *spec, struct st_err *e) ST_MUSTCHECK;

#endif /* STICA_POLICY_H */
