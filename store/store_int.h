/* SPDX-License-Identifier: ISC */
/*
 * store/ internals: the backend vtable behind struct store, and the
 * backend-independent audit helpers (line building, hashing, the chain
 * verifier) that every backend shares.
 *
 * store.c checks every argument before it reaches a backend, so backends
 * may assume: non-NULL, non-empty names; serials of 1..STORE_SERIAL_MAX
 * bytes without a leading zero; not_after >= not_before; a TBS and a DER
 * that are each one DER SEQUENCE spanning their whole length; extra audit
 * fields that are objects without reserved keys; accepted reason codes.
 */
#ifndef STICA_STORE_INT_H
#define STICA_STORE_INT_H

#include "store/store.h"

/* A backend: one function per public operation, same contracts. */
struct store_ops {
	const char	*name;
	void		(*close)(struct store *);
	int		(*schema_version)(struct store *, int *, struct st_err *);
	int		(*issue_reserve)(struct store *,
			    const struct store_intent *, size_t, size_t *,
			    struct st_err *);
	int		(*issue_commit)(struct store *,
			    const struct store_signed *, size_t,
			    struct st_err *);
	int		(*issue_abort)(struct store *, const struct store_ref *,
			    size_t, const char *, struct st_err *);
	int		(*pending_list)(struct store *, const char *,
			    store_cert_cb, void *, struct st_err *);
	int		(*request_lookup)(struct store *, const char *,
			    struct store_cert **, struct st_err *);
	/* out[0..n) cleared by the caller; NULL keys are skipped */
	int		(*request_lookup_many)(struct store *,
			    const char *const *, size_t, struct store_cert **,
			    struct st_err *);
	/* issuer NULL: by serial alone */
	int		(*cert_get)(struct store *, const char *,
			    const uint8_t *, size_t, struct store_cert **,
			    struct st_err *);
	int		(*cert_iter)(struct store *, const char *,
			    enum store_status, store_cert_cb, void *,
			    struct st_err *);
	int		(*cert_revoke)(struct store *, const char *,
			    const uint8_t *, size_t, int, int64_t, json_t *,
			    struct st_err *);
	int		(*revoked_iter)(struct store *, const char *,
			    store_revoked_cb, void *, struct st_err *);
	int		(*crl_next_number)(struct store *, const char *,
			    json_t *, int64_t *, struct st_err *);
	int		(*audit_append)(struct store *,
			    const struct store_audit_rec *, size_t,
			    struct st_err *);
	int		(*audit_head)(struct store *, struct store_audit_head *,
			    struct st_err *);
	/* every issuer's last CRL number; cb returns non-zero to stop */
	int		(*crl_numbers_iter)(struct store *,
			    int (*cb)(void *, const char *, int64_t), void *,
			    struct st_err *);
	/* every line in seq order; cb returns non-zero to stop */
	int		(*audit_iter)(struct store *,
			    int (*cb)(void *, const char *, size_t), void *,
			    struct st_err *);
	int		(*run_id)(struct store *, const char **,
			    struct st_err *);
	/* run: STORE_RUN_ID_LEN lowercase hex digits */
	int		(*run_alive)(struct store *, const char *, long *,
			    struct st_err *);
};

/* Every backend's handle starts with this. */
struct store {
	const struct store_ops	*ops;
};

/* SQLite backend (store/sqlite.c). */
int	store_sqlite_open(const char *path, bool readonly, struct store **out,
    struct st_err *e) ST_MUSTCHECK;

/* ------------------------------------------------------------------ */
/* Shared helpers (store/store.c)                                     */

/*
 * Length of the identifier and length octets of the DER SEQUENCE at p,
 * which must span exactly len bytes.  ST_E_DER otherwise.
 */
int	store_der_hdrlen(const uint8_t *p, size_t len, size_t *hdrlen)
    ST_MUSTCHECK;
/*
 * The TBSCertificate inside a Certificate (the first element of its outer
 * SEQUENCE), as a pointer into der.  ST_E_DER when der is not framed so.
 */
int	store_der_tbs(const uint8_t *der, size_t len, const uint8_t **tbs,
    size_t *tbslen) ST_MUSTCHECK;
/*
 * Copy c (whose pointers may be borrowed) into one malloc'd block that
 * store_cert_free releases.
 */
int	store_cert_dup(const struct store_cert *c, struct store_cert **out)
    ST_MUSTCHECK;
/* Well-formed UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
bool	store_utf8_ok(const char *s);
/*
 * Lower-case hex of a serial into buf (2 * STORE_SERIAL_MAX + 1 bytes);
 * a longer one (only a database edited past its CHECKs holds one) is cut.
 */
static inline void
store_serial_hex(const uint8_t *p, size_t len, char *buf)
{
	st_hex_write(p, len < STORE_SERIAL_MAX ? len : STORE_SERIAL_MAX, buf);
}
/* "pending", "valid", "revoked", "aborted"; NULL for anything else. */
const char *store_status_name(enum store_status);
/* The inverse; STORE_ANY for an unknown name. */
enum store_status store_status_parse(const char *);

/* ------------------------------------------------------------------ */
/* Audit (store/audit.c)                                              */

/* Lower-case hex SHA-256 of p into hex (STORE_HASH_HEXSZ bytes). */
void	audit_hash(const void *p, size_t len, char *hex);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (buf of at least 21 bytes). */
void	audit_time(int64_t t, char *buf, size_t bufsz);
/* One field of an audit line, for audit_line_build. */
enum audit_kind {
	AUDIT_STR,	/* str; left out when NULL */
	AUDIT_INT,	/* num */
	AUDIT_JSON	/* json (borrowed) */
};
struct audit_field {
	const char	*key;
	enum audit_kind	 kind;
	const char	*str;
	int64_t		 num;
	json_t		*json;
};

/*
 * Build the line that follows head: the event's own fields (own[0..nown),
 * all borrowed, cheapest in key order; an AUDIT_STR field whose str is
 * NULL is left out) plus extra (borrowed, may be NULL; its keys must not
 * clash with own or the reserved keys, else ST_E_USAGE), with "seq" =
 * head->seq + 1, "time" = now, "event" and "prev" = head->hash, keys
 * sorted, compact: byte for byte what jansson's json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) gives.  A value json_dumps could not write (not UTF-8,
 * a loop) is ST_E_USAGE.  On success head moves to the new line; *line is
 * malloc'd, NUL-terminated.
 */
int	audit_line_build(struct store_audit_head *head, int64_t now,
    const char *event, const struct audit_field *own, size_t nown,
    json_t *extra, char **line, size_t *len, struct st_err *e)
    ST_MUSTCHECK;
/* Is event a valid event name ([a-z0-9-], 1..64)? */
bool	audit_event_ok(const char *event);
/* ST_E_USAGE unless extra is NULL or an object without reserved keys. */
int	audit_extra_check(json_t *extra, struct st_err *e) ST_MUSTCHECK;

/* A streaming chain verifier: feed lines in order, then finish. */
struct audit_verifier {
	const struct store_audit_head	*expect;
	struct store_audit_report	*rep;
	struct store_audit_head		 head;	/* last good line */
	int64_t				 jump_line;	/* undecided cut */
	int64_t				 jump_seq;
	bool				 expect_seen;
	bool				 done;		/* fault found */
};

void	audit_verify_init(struct audit_verifier *,
    const struct store_audit_head *expect, struct store_audit_report *rep);
/*
 * Check the next line (without its newline).  Returns 0 to go on,
 * ST_E_VERIFY at the first fault (with rep and e set), or ST_E_NOMEM.
 */
int	audit_verify_line(struct audit_verifier *, const char *line,
    size_t len, struct st_err *e) ST_MUSTCHECK;
/* End of input: the final checks (the tail, the expected head). */
int	audit_verify_finish(struct audit_verifier *, struct st_err *e)
    ST_MUSTCHECK;

#endif /* STICA_STORE_INT_H */
