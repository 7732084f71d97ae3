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

/*
 * A table SPC -> numbers behind struct ca_spc_map (ca/spcmap.c): filled
 * from the policy's spc-numbers or from --spc-map options, then built
 * once; read-only and thread-safe afterwards.
 */
struct ca_spc_table;
struct pol;

struct ca_spc_table *ca_spc_table_new(void);
void	ca_spc_table_free(struct ca_spc_table *);
/* Numbers (tn:, range: SPECs) for spc; a repeated SPC accumulates. */
int	ca_spc_table_add(struct ca_spc_table *, const char *spc,
    const char *const *specs, size_t n, struct st_err *e) ST_MUSTCHECK;
/* One --spc-map argument: "SPC=SPEC[,SPEC...]" (SPC may be "spc:X"). */
int	ca_spc_table_add_arg(struct ca_spc_table *, const char *arg,
    struct st_err *e) ST_MUSTCHECK;
/* Turn every SPC's numbers into a scope and sort; call once, at the end. */
int	ca_spc_table_build(struct ca_spc_table *, struct st_err *e)
    ST_MUSTCHECK;
size_t	ca_spc_table_count(const struct ca_spc_table *);
/* The hook over a built table; valid while the table lives. */
struct ca_spc_map ca_spc_table_map(const struct ca_spc_table *);
/* A built table from a policy's spc-numbers. */
int	ca_spc_table_from_policy(const struct pol *,
    struct ca_spc_table **out, struct st_err *e) ST_MUSTCHECK;
/*
 * A pol_within_fn (policy/policy.h) over a built table: is the scope of
 * SPECs req inside that of allowed, allowed's SPCs covering the numbers
 * the table gives them?  1 yes, 0 no (why says which entry escapes), <0
 * error.  table is a struct ca_spc_table *.
 */
int	ca_spc_table_within(void *table, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why);
/* The scope of a list of SPECs (each re-checked by the codec). */
int	ca_scope_from_specs(const char *const *specs, size_t n,
    struct ca_scope **out, struct st_err *e) ST_MUSTCHECK;

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
 * and a claim both in mustInclude and mustExclude (section 8).  *der is
 * allocated with OPENSSL_malloc; free with OPENSSL_free.
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
	/*
	 * The deployment's store, or NULL: each step is appended to its
	 * audit log ("ceremony-step") before it is taken, and the outcome
	 * after ("ceremony-end"); a line that cannot be written stops the
	 * ceremony (docs/ceremony.md, "Audit").
	 */
	struct store	*audit;
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

/* ------------------------------------------------------------------ */
/* Lint and verify (docs/lint.md)                                     */

/* Which profile rules apply on top of RFC 5280 / 8226 / 9118 / 9060. */
enum ca_lint_mode {
	CA_LINT_RFC9060 = 0,		/* RFC 9060 delegate profile */
	CA_LINT_ATIS1000080 = 1		/* ATIS-1000080 v005 SHAKEN profile */
};

/* What the TNAuthList may hold (docs/design.md "Certificates"). */
enum ca_cert_kind {
	CA_KIND_SPC = 0,		/* only SPCs */
	CA_KIND_TNBLOCK = 1,		/* ranges and numbers, no SPC */
	CA_KIND_PERTN = 2		/* only single numbers */
};

/* Subject key types for ca_lint_ctx.key_types (0 means all three). */
#define CA_KEY_EC_P256	0x01u
#define CA_KEY_EC_P384	0x02u
#define CA_KEY_RSA	0x04u		/* RSA of 2048 bits or more */
#define CA_KEY_ALL	(CA_KEY_EC_P256 | CA_KEY_EC_P384 | CA_KEY_RSA)

/*
 * What the linter needs besides the certificate.  Everything is borrowed
 * for the duration of the call.  issuer NULL means a self-issued root:
 * the certificate is its own issuer (signature algorithm from its own key,
 * judged from its bits when the certificate holds no decoded key; AKI
 * optional and then equal to its own SKI, no TNAuthList required).
 * ceremony marks a key ceremony's root or intermediate (docs/ceremony.md):
 * its TNAuthList, when it has one, may hold any entries (kind is not
 * consulted), and an intermediate without one is a plain CA rather than
 * a delegate CA that lacks its scope.
 */
struct ca_lint_ctx {
	enum ca_lint_mode	 mode;
	enum ca_cert_kind	 kind;		/* applies when a TNAuthList is
						   expected */
	bool			 ca;		/* delegate CA certificate */
	bool			 ceremony;	/* a key ceremony's CA */
	const X509		*issuer;	/* issuing CA certificate */
	const X509 *const	*above;		/* CAs above, issuer first; n_above
						   0 means just the issuer */
	size_t			 n_above;
	/*
	 * Optional, parallel to above: the scope of above[i]'s TNAuthList,
	 * built once by the caller (issue-batch) instead of being decoded on
	 * every call; a NULL entry (or a NULL array) means "decode above[i]".
	 */
	const struct ca_scope *const *above_scopes;
	const struct ca_spc_map	*map;		/* SPC -> numbers (may be NULL) */
	size_t			 max_entries;	/* 0 = unlimited */
	int64_t			 max_lifetime;	/* seconds, 0 = unlimited */
	unsigned		 key_types;	/* CA_KEY_* mask; 0 = CA_KEY_ALL */
};

/* One lint rule: its stable name and the text it enforces. */
struct ca_lint_rule {
	const char	*name;		/* "e_rfc5280_serial_positive" */
	const char	*ref;		/* "RFC 5280 section 4.1.2.2" */
	const char	*what;		/* one-line description */
};

/* The rule table, in evaluation order (static storage). */
const struct ca_lint_rule *ca_lint_rules(size_t *n);

/*
 * Check x (built, not yet signed; its TBS signature algorithm already
 * set) against every rule that applies for ctx.  Returns 0 when all pass;
 * ST_E_LINT with e = "lint <rule>: <reference>: <problem> (<value>)" for
 * the first failing rule in table order; ST_E_USAGE for a bad ctx; or
 * another negative code when OpenSSL fails.
 */
int	ca_lint_cert(const X509 *x, const struct ca_lint_ctx *ctx,
    struct st_err *e) ST_MUSTCHECK;

/*
 * As ca_lint_cert, but run every rule and call cb (if not NULL) with the
 * rule and the message of each failure; *nfail (if not NULL) receives the
 * number of failures.  Returns as ca_lint_cert (e names the first).
 */
int	ca_lint_cert_all(const X509 *x, const struct ca_lint_ctx *ctx,
    void (*cb)(void *arg, const struct ca_lint_rule *, const char *msg),
    void *arg, size_t *nfail, struct st_err *e) ST_MUSTCHECK;

/*
 * After signing (docs/lint.md, anchors.md section 1.3): der must be one
 * DER certificate with no trailing bytes (ST_E_ASN1 otherwise) whose TBS
 * bytes, as signed, equal the TBS of linted byte for byte and whose
 * signatureAlgorithm equals its TBS signature field (ST_E_LINT, rule
 * e_stica_signed_tbs_equal), and whose signature verifies with issuer_pub
 * (ST_E_VERIFY).  linted's TBS is re-encoded (i2d_re_X509_tbs), which
 * only refreshes its encoding cache.
 */
int	ca_lint_check_signed(X509 *linted, const uint8_t *der, size_t len,
    EVP_PKEY *issuer_pub, struct st_err *e) ST_MUSTCHECK;

/* Options of ca_chain_verify; a zeroed struct means "now, no --tn". */
struct ca_verify_opts {
	const char		*tn;	/* with it, the leaf must hold it */
	const struct ca_spc_map	*map;	/* SPC -> numbers (may be NULL) */
	time_t			 at;	/* validation time; 0 = now */
};

/* What ca_chain_verify found (all optional reading for callers). */
struct ca_verify_info {
	size_t	ncerts;		/* certificates in the list below the anchor */
	bool	anchor_listed;	/* the list ended with the anchor itself */
	bool	tn_via_map;	/* opts->tn was confirmed through opts->map */
};

/*
 * Validate an x5u certificate list (RFC 9060 section 7: leaf first,
 * ordered toward the trust anchor, which may be left out) against the
 * anchors in trust:
 *  - order and linkage: each certificate's issuer is the next one's
 *    subject and its AKI keyIdentifier is the next one's SKI, the last
 *    one's against the anchor's (RFC 9060 section 7);
 *  - OpenSSL path validation (X509_verify_cert, purpose any, X.509 strict
 *    mode, an intermediate may be an anchor), with OpenSSL's reason;
 *  - every TNAuthList decodes strictly, the leaf has one (RFC 8226), each
 *    certificate's is encompassed by that of every certificate above it
 *    that has one, the anchor included (RFC 9060 section 4; a CA without
 *    one adds no constraint of its own);
 *  - RFC 9118 section 6 in every certificate;
 *  - with opts->tn, the leaf's scope holds that number (through opts->map
 *    for an SPC-only leaf).
 * Returns 0 when valid; ST_E_VERIFY or ST_E_SCOPE with why naming the
 * certificate ("certificate N (subject)", 0 = leaf) and the rule; or
 * ST_E_USAGE / another negative code for bad input or internal failure.
 * info (may be NULL) is filled on success.
 */
int	ca_chain_verify(STACK_OF(X509) *chain, STACK_OF(X509) *trust,
    const struct ca_verify_opts *opts, struct ca_verify_info *info,
    struct st_err *why) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Issuance engine (docs/issuance.md)                                 */

#include "policy/policy.h"

struct st_config;
struct store;

/*
 * The engine of one deployment: its policy, one HSM login, each issuer's
 * key, certificate and chain (the issuer certificate's key must be the
 * HSM key's, or the engine refuses to start), the TNAuthList scopes of
 * each issuer and every CA above it, the policy's SPC-to-numbers map as
 * scopes, and a pool of store handles.  Immutable after ca_engine_open
 * but for internal, locked caches: any number of threads may issue at
 * once.
 */
struct ca_engine;

/*
 * Open the engine of cfg (st_config_apply_env first).  Errors: those of
 * pol_load, hsm_open, hsm_key_load and store_open; ST_E_USAGE when cfg
 * has no policy or the policy names an issuer cfg lacks; ST_E_VERIFY
 * when an issuer certificate is not the HSM key's, not a CA, or its
 * chain file does not chain.
 */
int	ca_engine_open(const struct st_config *cfg, struct ca_engine **out,
    struct st_err *e) ST_MUSTCHECK;
void	ca_engine_free(struct ca_engine *);
/* The loaded policy (borrowed; lives as long as the engine). */
const struct pol *ca_engine_policy(const struct ca_engine *);

/* One request for a certificate.  The caller owns every pointer. */
struct ca_issue_req {
	const uint8_t		*csr;		/* PKCS#10: PEM, base64 or DER */
	size_t			 csr_len;
	const uint8_t		*spki;		/* else SubjectPublicKeyInfo */
	size_t			 spki_len;
	const struct ca_tnauth	*tnauth;	/* requested TNAuthList */
	enum pol_requester	 requester;
	const char		*account;	/* POL_REQ_ACCOUNT: its ID */
	enum pol_proof		 proof;
	const char		*token_authority; /* tkauth-01: whose token */
	bool			 ca;		/* delegate CA (RFC 9060) */
	const char		*profile;	/* NULL: as the policy decides */
	const char		*issuer;	/* NULL: as the policy decides */
	int64_t			 not_after_cap;	/* > 0: notAfter <= this
						 * (RFC 9447 section 7) */
	const char		*request_key;	/* idempotency key, or NULL */
};

/* What was issued (or found under the request key). */
struct ca_issue_result {
	uint8_t		*der;		/* the certificate, malloc'd */
	size_t		 der_len;
	char		*pem;		/* the certificate in PEM, malloc'd */
	const char	*chain;		/* PEM of the issuer chain served after
					 * it (RFC 9060 section 7), borrowed
					 * from the engine; NULL if unknown */
	uint8_t		 serial[20];
	size_t		 serial_len;
	char		 serial_hex[41];
	char		*issuer;	/* malloc'd */
	char		*profile;	/* malloc'd */
	int64_t		 not_before;
	int64_t		 not_after;
	bool		 existing;	/* issued earlier under request_key */
};
/* Free what a result holds and zero it (NULL-safe). */
void	ca_issue_result_clear(struct ca_issue_result *);

/*
 * Issue one certificate: judge the request (CSR signature, key type,
 * policy, scope against the permitted scope and against the issuer and
 * every CA above it, RFC 9060 section 4), build it, lint it, record the
 * intent with its TBS, sign it in the HSM, check that the signed TBS is
 * the linted one and commit it with its audit line; only then is *out
 * filled.  With a request key the store already holds for the same
 * request (key, TNAuthList, issuer, profile, requester), the recorded
 * valid certificate is returned (out->existing); a different request, or
 * a revoked certificate, under that key is ST_E_EXISTS; a pending intent
 * of a dead run (an interrupted attempt) is aborted and the request
 * issued anew, one of a live run is ST_E_EXISTS (docs/store.md, "Runs").
 * Refusals are audited and returned as ST_E_REFUSED (policy), ST_E_SCOPE,
 * ST_E_BADCSR or ST_E_LINT, with e naming the rule or the escaping entry.
 */
int	ca_issue(struct ca_engine *, const struct ca_issue_req *,
    struct ca_issue_result *out, struct st_err *e) ST_MUSTCHECK;

/* One request of a batch and its outcome. */
struct ca_batch_item {
	struct ca_issue_req	 req;	/* request_key required */
	int			 rc;	/* 0, or why this one failed */
	struct st_err		 err;
	struct ca_issue_result	 res;	/* when rc is 0 */
};

/*
 * Issue n requests as ca_issue would, but with one reservation and one
 * commit transaction for all of them and the signatures made by up to
 * threads threads (0: 2).  Each item gets its own rc and err (res when rc
 * is 0); a bad request fails alone.  Returns 0, or the first failure of
 * the store or the HSM (e), after which every item still has an outcome:
 * items it kept from being issued carry that code.
 */
int	ca_issue_batch(struct ca_engine *, struct ca_batch_item *v, size_t n,
    unsigned threads, struct st_err *e) ST_MUSTCHECK;

/*
 * Revoke a valid certificate (RFC 5280 section 5.3.1 reason) through
 * store handle s, with an audit line naming requester.  issuer NULL: the
 * one issuer that used this serial.  Errors: those of store_cert_revoke
 * and store_cert_get_by_serial.
 */
int	ca_revoke(struct store *s, const char *issuer, const uint8_t *serial,
    size_t serial_len, int reason, const char *requester, struct st_err *e)
    ST_MUSTCHECK;

/* Default CRL validity (nextUpdate - thisUpdate) when nothing says. */
#define CA_CRL_NEXT_UPDATE_DEFAULT (7 * 86400)

/* A signed CRL. */
struct ca_crl_result {
	uint8_t		*der;		/* malloc'd */
	size_t		 der_len;
	char		*pem;		/* malloc'd */
	int64_t		 number;	/* cRLNumber */
	int64_t		 this_update;
	int64_t		 next_update;
	size_t		 nrevoked;
};
void	ca_crl_result_clear(struct ca_crl_result *);

/*
 * Sign a v2 CRL of issuer (RFC 5280 section 5): every revoked
 * certificate with its reasonCode, authorityKeyIdentifier, a cRLNumber
 * taken from the store (with its audit line) before signing, thisUpdate
 * now and nextUpdate now + next_update seconds (0: the default).  The
 * issuer certificate must allow cRLSign when it has a keyUsage.
 */
int	ca_crl_sign(struct ca_engine *, const char *issuer, int64_t next_update,
    struct ca_crl_result *out, struct st_err *e) ST_MUSTCHECK;

#endif /* STICA_CA_H */
