/* SPDX-License-Identifier: ISC */
/*
 * policy/ private types: the loaded policy (struct pol), rules, issuers
 * and SPC mappings, and the helpers shared by load.c, decide.c and
 * spec.c.  Nothing outside policy/ includes this header.
 *
 * Strings are borrowed from the YAML document, which the policy keeps
 * until pol_free; every array is allocated with pol_calloc, which records
 * it so that pol_free releases everything at once.
 */
#ifndef STICA_POLICY_INT_H
#define STICA_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/yaml.h"
#include "policy/policy.h"

/* Kinds of TNAuthList entry a SPEC names. */
enum pol_entry {
	POL_ENTRY_SPC = 0,
	POL_ENTRY_TN = 1,
	POL_ENTRY_RANGE = 2
};

/* A parsed SPEC; value points into the SPEC string. */
struct pol_spec {
	enum pol_entry	 kind;
	const char	*value;		/* after "spc:", "tn:", "range:" */
	size_t		 vlen;		/* of the SPC, number or start */
	unsigned	 digits;	/* numbers: length D */
	bool		 wild;		/* a number with '*' or '#' */
	uint64_t	 lo, hi;	/* numbers without wildcards */
};

/* One entry of match.requester. */
enum pol_who_kind {
	POL_WHO_ACCOUNT = 0,	/* any account */
	POL_WHO_ACCOUNT_ID = 1,	/* account:ID */
	POL_WHO_OPERATOR = 2
};

struct pol_who {
	enum pol_who_kind	 kind;
	const char		*id;	/* POL_WHO_ACCOUNT_ID */
	const char		*text;	/* as written */
};

struct pol_rule {
	const char		 *name;
	unsigned		  line;
	unsigned		  col;
	/* match; an absent condition matches everything */
	const struct pol_who	 *who;		/* NULL: any requester */
	size_t			  nwho;
	unsigned		  proofs;	/* 1 << pol_proof; 0: any */
	const char *const	 *tas;		/* NULL: any token authority */
	size_t			  ntas;
	int			  ca;		/* -1 any, 0, 1 */
	unsigned		  kinds;	/* 1 << pol_kind; 0: any */
	const char *const	 *within;	/* NULL: no scope condition */
	size_t			  nwithin;
	/* outcome */
	bool			  refuse;
	const char		 *reason;	/* refuse */
	const struct pol_profile *profile;	/* issue */
	const char		 *issuer;
	bool			  scope_requested;
	const char *const	 *scope;
	size_t			  nscope;
	int64_t			  lifetime;	/* 0: the profile's */
};

struct pol_issuer {
	const char			 *name;
	unsigned			  line;
	const struct pol_profile	**profiles;
	size_t				  nprofiles;
	int64_t				  crl_next_update;	/* 0: default */
};

struct pol_spc {
	const char		*spc;
	const char *const	*specs;
	size_t			 nspecs;
	unsigned		 line;
};

struct pol {
	struct st_yaml_doc	 *doc;
	const char		 *name;
	void			**allocs;	/* everything pol_calloc gave */
	size_t			  nallocs;
	size_t			  capallocs;
	struct pol_profile	 *profiles;
	size_t			  nprofiles;
	struct pol_issuer	 *issuers;
	size_t			  nissuers;
	struct pol_rule		 *rules;
	size_t			  nrules;
	struct pol_spc		 *spcs;		/* sorted by spc */
	size_t			  nspcs;
	const char		**warnings;
	size_t			  nwarnings;
	size_t			  capwarnings;
};

/* Zeroed memory owned by p (freed by pol_free); NULL when out of memory. */
void	*pol_calloc(struct pol *p, size_t n, size_t size);

/*
 * Parse a SPEC (syntax of policy.h's pol_spec_check).  e gets
 * "'SPEC': <rule>" on failure; the return is 0 or ST_E_SYNTAX.
 */
int	pol_spec_parse(const char *spec, struct pol_spec *out,
    struct st_err *e);

/* Is s a usable name for a profile, issuer, rule or token authority? */
bool	pol_name_ok(const char *s);

/* Does kind k admit TNAuthList entries of kind ent? */
bool	pol_kind_admits(enum pol_kind k, enum pol_entry ent);

/* Name of a pol_entry for messages ("spc", "tn", "range"). */
const char *pol_entry_name(enum pol_entry);

#endif /* STICA_POLICY_INT_H */
