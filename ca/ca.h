/* SPDX-License-Identifier: ISC */
/*
 * ca/: the certification authority's STIR logic.
 *
 *  - TNAuthList codec (RFC 8226 section 9, Appendix A), strict DER;
 *  - JWTClaimConstraints (RFC 8226 section 8) and EnhancedJWTClaimConstraints
 *    (RFC 9118) codecs;
 *  - scope algebra: canonical interval form of a TNAuthList, union,
 *    intersection, difference, membership and the RFC 9060 section 4
 *    "encompassing" test.
 *
 * Decoded values are plain C structs; OpenSSL ASN.1 types stay inside ca/.
 */
#ifndef STICA_CA_H
#define STICA_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "common/common.h"

/* OIDs (RFC 8226 section 11.1, RFC 9118 section 7). */
#define CA_OID_TNAUTHLIST	"1.3.6.1.5.5.7.1.26"
#define CA_OID_JWTCLAIMS	"1.3.6.1.5.5.7.1.27"
#define CA_OID_EJWTCLAIMS	"1.3.6.1.5.5.7.1.33"
#define CA_OID_STIRTNLIST	"1.3.6.1.5.5.7.48.14"

/* TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*")) */
#define CA_TN_MAXDIGITS 15
/* Room for any TelephoneNumber plus NUL. */
#define CA_TN_BUFSZ	(CA_TN_MAXDIGITS + 1)

/*
 * Register the STIR OIDs with OpenSSL's object table so that tools print
 * names ("TNAuthList") rather than dotted numbers.  Idempotent, thread-safe.
 */
void	ca_oids_register(void);

/* ------------------------------------------------------------------ */
/* TNAuthList                                                         */

enum ca_tn_kind {
	CA_TN_SPC = 0,		/* spc   [0] ServiceProviderCode */
	CA_TN_RANGE = 1,	/* range [1] TelephoneNumberRange */
	CA_TN_ONE = 2		/* one   [2] TelephoneNumber */
};

struct ca_tn_entry {
	enum ca_tn_kind	 kind;
	char		*value;	/* SPC, range start or number; NUL-terminated */
	uint64_t	 count;	/* CA_TN_RANGE only: >= 2 */
};

/* A TNAuthorizationList, entries in their encoded order. */
struct ca_tnauth {
	struct ca_tn_entry	*v;
	size_t			 n;
	size_t			 cap;
};

struct ca_tnauth *ca_tnauth_new(void);
void	ca_tnauth_free(struct ca_tnauth *);

/*
 * Append an entry after checking it against RFC 8226 as an encoder must:
 * TelephoneNumber alphabet and length, count >= 2, no '*'/'#' in a range
 * start, start + count < 10^D (section 9).  SPCs must be 1..255 visible
 * ASCII characters.  Returns 0 or ST_E_TNAUTH with e naming the rule.
 */
int	ca_tnauth_add(struct ca_tnauth *, enum ca_tn_kind, const char *value,
    uint64_t count, struct st_err *e) ST_MUSTCHECK;

/*
 * Parse one SPEC ("spc:CODE", "tn:DIGITS", "range:START+COUNT") and
 * append it with ca_tnauth_add.  ST_E_SYNTAX for an unknown form.
 */
int	ca_tnauth_add_spec(struct ca_tnauth *, const char *spec,
    struct st_err *e) ST_MUSTCHECK;

/* Write entry i in SPEC form into buf; returns snprintf's result. */
int	ca_tn_entry_format(const struct ca_tn_entry *, char *buf, size_t bufsz);

/*
 * DER-encode (RFC 8226 Appendix A, EXPLICIT tags).  *der is allocated with
 * OPENSSL_malloc; free with OPENSSL_free.  Every entry is re-checked with
 * the encoder rules, and an empty list is refused (SIZE (1..MAX)).
 */
int	ca_tnauth_encode(const struct ca_tnauth *, uint8_t **der, size_t *len,
    struct st_err *e) ST_MUSTCHECK;

/*
 * Decode DER strictly: EXPLICIT tags only, SIZE (1..MAX), alphabet and
 * length of every TelephoneNumber, count >= 2, start + count <= 10^D
 * (the exact fit is accepted, see docs/tnauthlist.md), canonical DER
 * (re-encoding must give the same bytes), no trailing bytes.  Extension
 * additions in a TelephoneNumberRange (the "..." in the module) are
 * tolerated when they carry a non-universal tag.
 *
 * Errors: ST_E_ASN1 (structure), ST_E_DER (not DER), ST_E_TNAUTH (a value
 * breaks an RFC 8226 rule); e names the rule and the offending value.
 */
int	ca_tnauth_decode(const uint8_t *der, size_t len, struct ca_tnauth **out,
    struct st_err *e) ST_MUSTCHECK;

/*
 * Decode TNAuthList text: DER, hex (optionally with ':'), base64url or
 * padded standard base64; the form is detected from the bytes.
 */
int	ca_tnauth_decode_any(const uint8_t *p, size_t len,
    struct ca_tnauth **out, struct st_err *e) ST_MUSTCHECK;

/*
 * Find the TNAuthList extension of a certificate and decode it.  Returns
 * ST_E_NOTFOUND when absent, ST_E_TNAUTH when it appears twice.
 */
int	ca_tnauth_from_cert(const X509 *, struct ca_tnauth **out,
    struct st_err *e) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Scope algebra (RFC 9060 section 4)                                 */

/*
 * The canonical form of a TNAuthList: a sorted set of SPCs, a sorted set
 * of numbers that contain '*' or '#' (compared verbatim), and, for each
 * number length D in 1..15, a sorted list of disjoint, non-adjacent
 * intervals [lo, hi] of D-digit numbers.  Immutable once built; safe to
 * share between threads for reading.
 */
struct ca_scope;

int	ca_scope_from_tnauth(const struct ca_tnauth *, struct ca_scope **out,
    struct st_err *e) ST_MUSTCHECK;
struct ca_scope *ca_scope_new_empty(void);
void	ca_scope_free(struct ca_scope *);

/*
 * Convert back to a TNAuthList that encodes: intervals become "one" or
 * "range" entries; an interval ending at 10^D - 1 is split so that no
 * range reaches 10^D (RFC 8226 section 9).
 */
int	ca_scope_to_tnauth(const struct ca_scope *, struct ca_tnauth **out,
    struct st_err *e) ST_MUSTCHECK;

bool	ca_scope_is_empty(const struct ca_scope *);
/* Number of SPCs, of wildcard numbers, of intervals, of numbers covered. */
size_t	ca_scope_nspc(const struct ca_scope *);
size_t	ca_scope_nwild(const struct ca_scope *);
size_t	ca_scope_nintervals(const struct ca_scope *);
uint64_t ca_scope_nnumbers(const struct ca_scope *);

/* Does the scope name this exact SPC? */
bool	ca_scope_has_spc(const struct ca_scope *, const char *spc);

/*
 * Does the scope contain telephone number tn (digits, '*', '#')?  SPC
 * entries are not consulted; use ca_scope_encompasses with a map for that.
 */
bool	ca_scope_contains_tn(const struct ca_scope *, const char *tn);

/* Set operations; *out is a new scope. */
int	ca_scope_union(const struct ca_scope *, const struct ca_scope *,
    struct ca_scope **out) ST_MUSTCHECK;
int	ca_scope_intersect(const struct ca_scope *, const struct ca_scope *,
    struct ca_scope **out) ST_MUSTCHECK;
int	ca_scope_subtract(const struct ca_scope *a, const struct ca_scope *b,
    struct ca_scope **out) ST_MUSTCHECK;

/*
 * The SPC-to-numbers hook (RFC 9060 section 4, section 8: whether a
 * number belongs to an SPC is for the CA's policy to say).  lookup sets
 * *numbers to a borrowed scope valid for the duration of the call to
 * ca_scope_encompasses, or NULL when the SPC owns no known numbers.
 */
struct ca_spc_map {
	int	(*lookup)(void *arg, const char *spc,
		    const struct ca_scope **numbers);
	void	*arg;
};

/*
 * RFC 9060 section 4: is child "equal to or a subset of" parent?  SPCs
 * in the child must appear in the parent verbatim; wildcard numbers must
 * appear verbatim; numeric entries must lie inside the parent's intervals
 * of the same length, or inside the numbers that map (which may be NULL)
 * assigns to one of the parent's SPCs.
 *
 * Returns 1 when encompassed, 0 when not (why, if not NULL, names the
 * first child entry that escapes, code ST_E_SCOPE), or a negative code.
 */
int	ca_scope_encompasses(const struct ca_scope *parent,
    const struct ca_scope *child, const struct ca_spc_map *map,
    struct st_err *why);

/* ------------------------------------------------------------------ */
/* JWT claim constraints (RFC 8226 section 8, RFC 9118)               */

struct ca_claim_values {
	char	 *claim;		/* JWTClaimName, ASCII */
	char	**values;		/* UTF8String values */
	size_t	  nvalues;
};

struct ca_claims {
	bool			 enhanced;	/* RFC 9118 form (id-pe 33) */
	char			**must_include;
	size_t			  n_must_include;
	struct ca_claim_values	 *permitted;
	size_t			  n_permitted;
	char			**must_exclude;	/* enhanced only */
	size_t			  n_must_exclude;
};

struct ca_claims *ca_claims_new(bool enhanced);
void	ca_claims_free(struct ca_claims *);

/*
 * Encode as JWTClaimConstraints or EnhancedJWTClaimConstraints.  Refuses
 * a value with no component (the WITH COMPONENTS constraint), empty
 * lists, non-ASCII claim names, invalid UTF-8 values, mustExclude in the
 * RFC 8226 form, "iat"/"orig"/"dest" in mustExclude (RFC 9118 section 3)
 * and a claim both in mustInclude and mustExclude (section 8).
 */
int	ca_claims_encode(const struct ca_claims *, uint8_t **der, size_t *len,
    struct st_err *e) ST_MUSTCHECK;
int	ca_claims_decode(const uint8_t *der, size_t len, bool enhanced,
    struct ca_claims **out, struct st_err *e) ST_MUSTCHECK;

/*
 * RFC 9118 section 6: a certificate must not carry both claim-constraint
 * extensions.  Returns 0 or ST_E_CLAIMS.
 */
int	ca_claims_check_cert(const X509 *, struct st_err *e) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Key ceremonies (docs/ceremony.md)                                  */

enum ca_ceremony_type {
	CA_CEREMONY_ROOT = 0,		/* key + self-signed root */
	CA_CEREMONY_INTERMEDIATE = 1,	/* (key +) certificate from a CA key */
	CA_CEREMONY_CSR = 2,		/* key + PKCS#10 request */
	CA_CEREMONY_KEY = 3,		/* key only */
	CA_CEREMONY_CRL = 4		/* CRL signed by a CA key */
};

struct ca_ceremony;

struct ca_ceremony_opts {
	bool		 dry_run;	/* validate and plan; no token access */
	const char	*softhsm2_conf;	/* overrides the file's, or NULL */
};

/*
 * Parse and check a ceremony file completely without touching any token:
 * strict schema (file:line:col errors), values, inputs that must exist
 * (issuer certificate, public key, module) and outputs that must not.
 * Errors: ST_E_IO, ST_E_SYNTAX, ST_E_EXISTS, ST_E_VERIFY, ST_E_SCOPE...
 */
int	ca_ceremony_load(const char *path, struct ca_ceremony **out,
    struct st_err *e) ST_MUSTCHECK;
void	ca_ceremony_free(struct ca_ceremony *);
enum ca_ceremony_type ca_ceremony_type(const struct ca_ceremony *);
const char *ca_ceremony_type_name(enum ca_ceremony_type);

/*
 * Run it: print the transcript to t (steps, keys, public keys,
 * certificates, CRLs, fingerprints), generate and sign in the HSM, verify
 * every signature and chain, and write the outputs only when all is
 * verified (never overwriting).  With opts->dry_run, stop after the
 * checks, before the PKCS#11 module is loaded.
 */
int	ca_ceremony_run(struct ca_ceremony *, const struct ca_ceremony_opts *,
    FILE *t, struct st_err *e) ST_MUSTCHECK;

#endif /* STICA_CA_H */
