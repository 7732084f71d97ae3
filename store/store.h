/* SPDX-License-Identifier: ISC */
/*
 * store/: stica's database.  Certificates (two-phase issuance: an intent
 * with its serial and TBS is recorded before the HSM signs, the signed
 * DER after), revocations, CRL numbers and the hash-chained audit log.
 * docs/store.md describes the schema, the crash-safety argument and the
 * audit format.
 *
 * A store is opened from a URI naming its backend: "sqlite:PATH" (the
 * embedded default).  The interface is small so that a PostgreSQL backend
 * can be added behind it without touching ca/.
 *
 * Threads: one struct store per thread (a handle is not thread-safe);
 * several handles, threads and processes may share one database.
 *
 * Serials are the positive INTEGER's magnitude, big-endian, without
 * leading zero bytes, 1..20 bytes (RFC 5280 section 4.1.2.2).  Times are
 * seconds since the epoch, UTC.
 *
 * Every write function is one transaction: it either happens entirely,
 * audit lines included, or leaves the database as it was.
 */
#ifndef STICA_STORE_H
#define STICA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/common.h"

struct store;

/* The schema version this code writes (docs/store.md, "Migrations"). */
#define STORE_SCHEMA_VERSION 3
/* Longest serial, in bytes (RFC 5280 section 4.1.2.2). */
#define STORE_SERIAL_MAX     20
/* SHA-256 in lowercase hex plus NUL. */
#define STORE_HASH_HEXSZ     65
/* A request fingerprint (ca/'s SHA-256 of what was asked), in bytes. */
#define STORE_REQUEST_FP_LEN 32
/* A run id: this many lowercase hex digits. */
#define STORE_RUN_ID_LEN     32

/*
 * Open (creating it if needed) the store named by uri and bring its schema
 * up to date.  Errors: ST_E_USAGE (unknown scheme), ST_E_STORE (cannot
 * open, schema newer than this code, not a stica database).
 */
int	store_open(const char *uri, struct store **out, struct st_err *e)
    ST_MUSTCHECK;
/*
 * Open an existing store for reading only (audit export and verify): it
 * is never created nor migrated (an older schema is read as it is).
 * ST_E_NOTFOUND when it does not exist, ST_E_STORE when it has no schema
 * or one newer than STORE_SCHEMA_VERSION.
 */
int	store_open_readonly(const char *uri, struct store **out,
    struct st_err *e) ST_MUSTCHECK;
/* Close the handle; NULL-safe. */
void	store_close(struct store *);
/* The schema version found in the database (for tests and "stica info"). */
int	store_schema_version(struct store *, int *version, struct st_err *e)
    ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Certificates                                                       */

enum store_status {
	STORE_ANY = 0,		/* a filter, never a row's status */
	STORE_PENDING = 1,	/* reserved, not (yet) signed */
	STORE_VALID = 2,	/* signed and recorded */
	STORE_REVOKED = 3,	/* signed, then revoked */
	STORE_ABORTED = 4	/* reserved, never signed; serial retired */
};

/* What ca/ means to sign: one row of store_issue_reserve. */
struct store_intent {
	const char	*issuer;	/* issuer name (config "issuers") */
	const uint8_t	*serial;
	size_t		 serial_len;
	const char	*profile;	/* policy profile name */
	const char	*subject;	/* subject DN, text (for people) */
	const uint8_t	*tnauth;	/* TNAuthList DER, or NULL */
	size_t		 tnauth_len;
	int64_t		 not_before;
	int64_t		 not_after;
	const uint8_t	*tbs;		/* the TBSCertificate DER to sign */
	size_t		 tbs_len;
	const char	*request_key;	/* idempotency key, or NULL */
	const uint8_t	*request_fp;	/* STORE_REQUEST_FP_LEN bytes naming
					 * the request under request_key, or
					 * NULL; never changes once recorded */
};

/* A certificate as recorded.  Pointers are const; see each function. */
struct store_cert {
	const char		*issuer;
	const uint8_t		*serial;
	size_t			 serial_len;
	const char		*profile;
	const char		*subject;
	const uint8_t		*tnauth;	/* NULL when none */
	size_t			 tnauth_len;
	int64_t			 not_before;
	int64_t			 not_after;
	const uint8_t		*tbs;		/* once signed: the TBS inside
						 * der (stored only there) */
	size_t			 tbs_len;
	const uint8_t		*der;		/* NULL unless valid/revoked */
	size_t			 der_len;
	enum store_status	 status;
	const char		*request_key;	/* NULL when none, or aborted */
	int64_t			 created_at;
	int64_t			 issued_at;	/* 0 unless valid/revoked */
	int64_t			 revoked_at;	/* 0 unless revoked */
	int			 reason;	/* RFC 5280 5.3.1; -1 if none */
	const char		*abort_reason;	/* NULL unless aborted */
	const uint8_t		*request_fp;	/* STORE_REQUEST_FP_LEN bytes,
						 * or NULL (none given, or
						 * recorded before schema
						 * version 3) */
	const char		*run;		/* the run that reserved it
						 * (store_run_alive), or NULL
						 * (before schema version 3) */
};

/* (issuer, serial): names one certificate. */
struct store_ref {
	const char	*issuer;
	const uint8_t	*serial;
	size_t		 serial_len;
};

/* The signed result of one intent, for store_issue_commit. */
struct store_signed {
	const char	*issuer;
	const uint8_t	*serial;
	size_t		 serial_len;
	const uint8_t	*der;		/* Certificate DER; its TBS must be
					 * the reserved one, byte for byte */
	size_t		 der_len;
	json_t		*audit;		/* extra fields for the "issue" line,
					 * or NULL; borrowed */
};

/*
 * Phase 1: record n intents with status pending, in one transaction,
 * before anything is signed, each with this handle's run id (taken with
 * its lock on the first reservation: store_run_id).  A serial already
 * used by the issuer (in any status) or a request key held by a pending,
 * valid or revoked row is ST_E_EXISTS, nothing is recorded, and
 * *conflict (may be NULL) is the index of the offending intent: the
 * caller draws a new serial, or looks the key up with
 * store_request_lookup.  Bad fields are ST_E_USAGE; a run lock that
 * cannot be taken is ST_E_IO.
 */
int	store_issue_reserve(struct store *, const struct store_intent *v,
    size_t n, size_t *conflict, struct st_err *e) ST_MUSTCHECK;

/*
 * Phase 2: in one transaction, set each named pending row to valid with
 * its DER, and append one "issue" audit line per certificate (issuer,
 * serial, profile, subject, tnauthlist, validity, request key, SHA-256 of
 * the DER, plus the caller's extra fields).  All or nothing:
 * ST_E_NOTFOUND (no such row, or aborted), ST_E_EXISTS (already valid or
 * revoked: another process finished it; discard this signature),
 * ST_E_VERIFY (the DER does not carry the reserved TBS), ST_E_USAGE.
 */
int	store_issue_commit(struct store *, const struct store_signed *v,
    size_t n, struct st_err *e) ST_MUSTCHECK;

/*
 * Mark n pending rows aborted (never signed; the serial is retired and
 * the request key freed for a retry), with one "abort" audit line each
 * carrying reason.  All or nothing: ST_E_NOTFOUND for an unknown serial,
 * ST_E_EXISTS for one that is not pending.
 */
int	store_issue_abort(struct store *, const struct store_ref *v, size_t n,
    const char *reason, struct st_err *e) ST_MUSTCHECK;

/*
 * Callback for the iterators: return 0 to go on, anything else to stop
 * (the iterator then returns that value).  The struct and its pointers
 * live until the callback returns.
 */
typedef int (*store_cert_cb)(void *arg, const struct store_cert *);

/*
 * Call cb for every pending row (of issuer, or of all issuers when issuer
 * is NULL), oldest first: the intents a crash left unsigned, which
 * recovery signs (the very same TBS) and commits, or aborts.  The rows are
 * read before the first call, so cb may write through the same handle.
 */
int	store_pending_list(struct store *, const char *issuer, store_cert_cb cb,
    void *arg, struct st_err *e) ST_MUSTCHECK;

/*
 * The row holding request key: pending, valid or revoked (an aborted row
 * gives its key up).  ST_E_NOTFOUND when none.  *out is freed with
 * store_cert_free.
 */
int	store_request_lookup(struct store *, const char *key,
    struct store_cert **out, struct st_err *e) ST_MUSTCHECK;
/*
 * store_request_lookup for n keys at once, in one read transaction (one
 * snapshot of the database): out[i] is the row holding keys[i], or NULL
 * when no row holds it or keys[i] is NULL.  Returns 0 (whatever was
 * found), ST_E_USAGE for a malformed key, or a store failure; on failure
 * every out[i] is NULL.  Each out[i] is freed with store_cert_free.
 */
int	store_request_lookup_many(struct store *, const char *const *keys,
    size_t n, struct store_cert **out, struct st_err *e) ST_MUSTCHECK;

/*
 * Runs.  A handle that reserves intents is a run: on its first
 * reservation it takes a run id and an exclusive lock (flock) on a file
 * named after it beside the database, which it holds until
 * store_close, and every intent it reserves records that id.  The
 * kernel releases the lock when the process dies however it dies
 * (kill -9 included), so a pending intent whose run's lock can be taken
 * was left by a dead process and will never be committed by it, while
 * one whose lock is held belongs to a live run that may be signing it
 * now (docs/store.md, "Runs").
 */

/*
 * This handle's run id (STORE_RUN_ID_LEN hex digits), taking the run and
 * its lock if the handle has none yet.  *id lives as long as the handle.
 * ST_E_IO when the lock cannot be taken; ST_E_USAGE for a store that has
 * no file (an in-memory database: no other process can see its rows).
 */
int	store_run_id(struct store *, const char **id, struct st_err *e)
    ST_MUSTCHECK;
/*
 * Is run (a row's run id) alive?  1 when its lock is held (by another
 * process, another handle, or this one), 0 when it is not (the run ended
 * or its process died), or a negative error (ST_E_USAGE for a malformed
 * id, ST_E_IO).  *pid (may be NULL) is the process that took the run, or
 * 0 when unknown.  Once 0, always 0: a run id is never taken twice.
 */
int	store_run_alive(struct store *, const char *run, long *pid,
    struct st_err *e) ST_MUSTCHECK;

/* One certificate by (issuer, serial).  ST_E_NOTFOUND when absent. */
int	store_cert_get(struct store *, const char *issuer, const uint8_t *serial,
    size_t serial_len, struct store_cert **out, struct st_err *e)
    ST_MUSTCHECK;
/*
 * One certificate by serial alone.  ST_E_NOTFOUND when absent,
 * ST_E_EXISTS when several issuers use that serial (name the issuer).
 */
int	store_cert_get_by_serial(struct store *, const uint8_t *serial,
    size_t serial_len, struct store_cert **out, struct st_err *e)
    ST_MUSTCHECK;
/* Free a certificate returned by the functions above; NULL-safe. */
void	store_cert_free(struct store_cert *);

/*
 * Call cb for each certificate of issuer (NULL: all) whose status is
 * status (STORE_ANY: all), in the order recorded.  cb must not use the
 * same handle (open a second one).
 */
int	store_cert_iter(struct store *, const char *issuer,
    enum store_status status, store_cert_cb cb, void *arg, struct st_err *e)
    ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Revocation and CRLs                                                */

/* RFC 5280 section 5.3.1 CRLReason values stica accepts. */
enum store_reason {
	STORE_REASON_UNSPECIFIED = 0,
	STORE_REASON_KEY_COMPROMISE = 1,
	STORE_REASON_CA_COMPROMISE = 2,
	STORE_REASON_AFFILIATION_CHANGED = 3,
	STORE_REASON_SUPERSEDED = 4,
	STORE_REASON_CESSATION_OF_OPERATION = 5,
	STORE_REASON_PRIVILEGE_WITHDRAWN = 9,
	STORE_REASON_AA_COMPROMISE = 10
};

/*
 * The RFC 5280 name of a reason code ("keyCompromise"), or NULL for a
 * code stica does not accept (6 certificateHold: revocation here is
 * final; 7 is unassigned; 8 removeFromCRL is for delta CRLs only).
 */
const char *store_reason_name(int reason);
/* Parse a reason name or decimal code; ST_E_USAGE when not accepted. */
int	store_reason_parse(const char *s, int *reason, struct st_err *e)
    ST_MUSTCHECK;

/*
 * Revoke a valid certificate at time when with reason, appending a
 * "revoke" audit line (plus the caller's extra fields, may be NULL) in
 * the same transaction.  ST_E_EXISTS when already revoked (nothing
 * changes), ST_E_NOTFOUND when unknown, pending or aborted (never
 * issued), ST_E_USAGE for a reason store_reason_name does not know.
 */
int	store_cert_revoke(struct store *, const char *issuer,
    const uint8_t *serial, size_t serial_len, int reason, int64_t when,
    json_t *audit, struct st_err *e) ST_MUSTCHECK;

/* One revoked certificate, for a CRL entry (RFC 5280 section 5.1.2.6). */
struct store_revoked {
	const uint8_t	*serial;
	size_t		 serial_len;
	int64_t		 revoked_at;
	int		 reason;
	int64_t		 not_after;	/* lets the caller drop expired ones */
};
typedef int (*store_revoked_cb)(void *arg, const struct store_revoked *);

/*
 * Call cb for every revoked certificate of issuer, ordered by serial.  cb
 * must not use the same handle.
 */
int	store_revoked_iter(struct store *, const char *issuer,
    store_revoked_cb cb, void *arg, struct st_err *e) ST_MUSTCHECK;

/*
 * Allocate the next CRL number of issuer (1, 2, 3, ...; RFC 5280 section
 * 5.2.3 requires it to increase) and append a "crl" audit line with
 * number and the caller's extra fields (may be NULL), in one transaction,
 * before the CRL is signed.  A crash after this leaves a gap, never a
 * reused number.
 */
int	store_crl_next_number(struct store *, const char *issuer, json_t *audit,
    int64_t *number, struct st_err *e) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Audit log                                                          */

/* A position in the chain: the last line's seq and SHA-256 (hex). */
struct store_audit_head {
	int64_t	seq;			/* 0: empty log */
	char	hash[STORE_HASH_HEXSZ];	/* 64 zeros for an empty log */
};

/*
 * Append one line: event (lowercase letters, digits and '-') plus fields
 * (an object or NULL; borrowed), to which the store adds "seq", "time"
 * and "prev".  Fields may not use those names nor "event" (ST_E_USAGE).
 * For events outside issuance: refusals, ceremony steps.
 */
int	store_audit_append(struct store *, const char *event, json_t *fields,
    struct st_err *e) ST_MUSTCHECK;

/* One line for store_audit_append_many. */
struct store_audit_rec {
	const char	*event;		/* as for store_audit_append */
	json_t		*fields;	/* an object or NULL; borrowed */
};

/*
 * Append v[0..n) in that order, in one transaction: all of them or, on
 * any error, none.  Each line follows the rules of store_audit_append;
 * a malformed one is ST_E_USAGE naming its index.  For a batch's
 * refusals.
 */
int	store_audit_append_many(struct store *,
    const struct store_audit_rec *v, size_t n, struct st_err *e)
    ST_MUSTCHECK;

/* The current head. */
int	store_audit_head(struct store *, struct store_audit_head *out,
    struct st_err *e) ST_MUSTCHECK;

/* Why a chain does not verify. */
enum store_audit_fault {
	STORE_AUDIT_OK = 0,
	STORE_AUDIT_JSON,	/* a line is not a well-formed audit object */
	STORE_AUDIT_EDIT,	/* a line's bytes differ from what was chained */
	STORE_AUDIT_CUT,	/* lines are missing */
	STORE_AUDIT_REORDER,	/* lines are out of order */
	STORE_AUDIT_HEAD	/* expected head absent or different */
};

/* Result of a verification. */
struct store_audit_report {
	enum store_audit_fault	 fault;
	int64_t			 line;	/* 1-based line of the fault, or 0 */
	int64_t			 lines;	/* lines read */
	struct store_audit_head	 head;	/* of the lines read */
};

/* "edit", "cut", ... for a fault. */
const char *store_audit_fault_name(enum store_audit_fault);

/*
 * Verify the chain: every line is a JSON object with the audit fields,
 * seq starts at 1 and increases by exactly 1, and prev is the SHA-256 of
 * the previous line's bytes (64 zeros for the first).  With expect (may
 * be NULL), the line with seq expect->seq must exist and hash to
 * expect->hash: the only way to detect lines cut from the tail.
 * Returns 0 when intact, ST_E_VERIFY with *rep and e describing the first
 * fault, or another error when the log cannot be read.
 */
int	store_audit_verify(struct store *, const struct store_audit_head *expect,
    struct store_audit_report *rep, struct st_err *e) ST_MUSTCHECK;
/* The same for an exported file of JSON lines ("-" is stdin). */
int	store_audit_verify_file(const char *path,
    const struct store_audit_head *expect, struct store_audit_report *rep,
    struct st_err *e) ST_MUSTCHECK;

/* Write every line, in order, each followed by "\n", to f. */
int	store_audit_export(struct store *, FILE *f, struct st_err *e)
    ST_MUSTCHECK;

/* Parse "SEQ:HASH" (as printed by stica audit verify). */
int	store_audit_head_parse(const char *s, struct store_audit_head *out,
    struct st_err *e) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* The audit log cross-checked against the tables (store/audit.c)     */
/*                                                                    */
/* Appended for "stica audit verify" against a store: the chain alone  */
/* cannot show lines cut from its end or an edit of its last line.     */

/* What a cross-check covered. */
struct store_audit_xcheck {
	int64_t	certs;		/* valid, revoked, aborted rows */
	int64_t	revoked;	/* of which revoked */
	int64_t	aborted;	/* of which aborted */
	int64_t	crls;		/* CRL numbers allocated */
	int64_t	found;		/* inconsistencies reported */
};

/* One inconsistency: one line of text, without a newline; borrowed. */
typedef void (*store_audit_finding_cb)(void *arg, const char *msg);

/*
 * Verify the log of s (opened read-only, say) as store_audit_verify
 * does; when the chain is intact, check that the log
 * holds what the tables record: an "issue" line for every valid or
 * revoked certificate and a "revoke" line for every revoked one, an
 * "abort" line for every aborted one, each with the row's fields, and a
 * "crl" line for every CRL number allocated.  The tables are read before
 * the log, so a writer working meanwhile causes no false report.  Each
 * inconsistency goes to cb (may be NULL) and is counted in sum (may be
 * NULL).  Returns 0 when all holds; ST_E_VERIFY when the chain is broken
 * (rep and e as for store_audit_verify, nothing sent to cb) or when an
 * inconsistency was reported (rep->fault STORE_AUDIT_OK, sum->found > 0,
 * e a summary); or another store error.
 */
int	store_audit_verify_tables(struct store *s,
    const struct store_audit_head *expect, struct store_audit_report *rep,
    struct store_audit_xcheck *sum, store_audit_finding_cb cb, void *arg,
    struct st_err *e) ST_MUSTCHECK;

#endif /* STICA_STORE_H */
