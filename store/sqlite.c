/* SPDX-License-Identifier: ISC */
/*
 * The SQLite backend of store/ (docs/store.md).
 *
 *  - WAL journal, so that readers never block the writer;
 *  - synchronous=FULL: the WAL is fsync'd at every commit, so a reserved
 *    serial is on disk before the HSM signs it and a recorded certificate
 *    survives a power cut (NORMAL could lose the last transactions, and
 *    with them the record of certificates already signed and handed out);
 *  - BEGIN IMMEDIATE for every write transaction: the write lock is taken
 *    at the start, so the busy handler waits for it (a deferred
 *    transaction that upgrades fails with SQLITE_BUSY_SNAPSHOT, which
 *    bypasses the busy handler);
 *  - versioned migrations, each in its own transaction, applied at open;
 *  - prepared statements cached per handle; one handle per thread
 *    (SQLITE_OPEN_NOMUTEX), any number of processes per file;
 *  - runs: a handle that reserves holds an flock on a file beside the
 *    database, and every intent records the run's id, so that recovery
 *    can tell an intent a dead process left from one a live process is
 *    signing (docs/store.md, "Runs");
 *  - triggers that make the audit log append-only and certificates
 *    undeletable with fixed contents, against accidents (the hash chain,
 *    not the triggers, is what detects deliberate tampering); status
 *    changes are one-way through the WHERE clauses of the updates, and
 *    CHECK constraints keep each row consistent with its status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "store/store_int.h"

#define BUSY_MS		10000
/*
 * Checkpoint the WAL into the database every 8192 pages (32 MiB at the
 * default page size) rather than SQLite's 1000: an issued certificate
 * dirties three or four pages (its row, two random-keyed index leaves,
 * its audit line), so the default would checkpoint, with two fsyncs,
 * more often than a batch of 512 commits.  After a checkpoint the WAL
 * file is cut back to 64 MiB.
 */
#define WAL_CHECKPOINT_PAGES	"8192"
#define WAL_SIZE_LIMIT		"67108864"
#define APPLICATION_ID	1398031169	/* "STCA" */

/*
 * Schema steps; migrations[i] takes the schema from version i to i + 1.
 * An applied step is never edited: a change is a new step.
 */
static const char *const migrations[] = {
	/* 1: certificates, CRL numbers, audit log */
	"PRAGMA application_id = 1398031169;"
	"CREATE TABLE certs ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer TEXT NOT NULL,"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob' AND"
	"    length(serial) BETWEEN 1 AND 20),"
	"  profile TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  tnauth BLOB,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  tbs BLOB,"
	"  der BLOB,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('pending', 'valid', 'revoked', 'aborted')),"
	"  request_key TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  issued_at INTEGER,"
	"  revoked_at INTEGER,"
	"  reason INTEGER,"
	"  abort_reason TEXT,"
	"  UNIQUE (serial, issuer),"
	"  CHECK ((der IS NOT NULL) = (status IN ('valid', 'revoked'))),"
	"  CHECK ((tbs IS NULL) = (der IS NOT NULL)),"
	"  CHECK ((revoked_at IS NOT NULL) = (status = 'revoked'))"
	");"
	"CREATE UNIQUE INDEX certs_request ON certs (request_key)"
	"  WHERE request_key IS NOT NULL;"
	"CREATE INDEX certs_pending ON certs (issuer, id)"
	"  WHERE status = 'pending';"
	"CREATE INDEX certs_revoked ON certs (issuer, serial)"
	"  WHERE status = 'revoked';"
	"CREATE TRIGGER certs_no_delete BEFORE DELETE ON certs BEGIN"
	"  SELECT RAISE(ABORT, 'certs: rows are never deleted'); END;"
	"CREATE TRIGGER certs_fixed BEFORE UPDATE OF issuer, serial, profile,"
	"  subject, tnauth, not_before, not_after, created_at ON certs BEGIN"
	"  SELECT RAISE(ABORT, 'certs: recorded fields never change'); END;"
	"CREATE TABLE crl_numbers ("
	"  issuer TEXT PRIMARY KEY,"
	"  last INTEGER NOT NULL CHECK (last > 0)"
	") WITHOUT ROWID;"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"
	"  line TEXT NOT NULL"
	");"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'audit: the log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
	"  SELECT RAISE(ABORT, 'audit: the log is append-only'); END;",

	/*
	 * 2: certs rebuilt with the same columns, rows, indexes and
	 * triggers, but a status CHECK without IN: SQLite evaluates an IN
	 * list of more than two constants through an ephemeral table that
	 * it creates and frees on every INSERT and UPDATE, a fifth of the
	 * CPU time of recording a certificate.  SQLite's documented way to
	 * change a CHECK: a new table, the rows copied, the old one dropped
	 * and the new one renamed.
	 */
	"CREATE TABLE certs_v2 ("
	"  id INTEGER PRIMARY KEY,"
	"  issuer TEXT NOT NULL,"
	"  serial BLOB NOT NULL CHECK (typeof(serial) = 'blob' AND"
	"    length(serial) BETWEEN 1 AND 20),"
	"  profile TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  tnauth BLOB,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  tbs BLOB,"
	"  der BLOB,"
	"  status TEXT NOT NULL CHECK (status = 'pending' OR"
	"    status = 'valid' OR status = 'revoked' OR status = 'aborted'),"
	"  request_key TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  issued_at INTEGER,"
	"  revoked_at INTEGER,"
	"  reason INTEGER,"
	"  abort_reason TEXT,"
	"  UNIQUE (serial, issuer),"
	"  CHECK ((der IS NOT NULL) = (status = 'valid' OR"
	"    status = 'revoked')),"
	"  CHECK ((tbs IS NULL) = (der IS NOT NULL)),"
	"  CHECK ((revoked_at IS NOT NULL) = (status = 'revoked'))"
	");"
	"INSERT INTO certs_v2 SELECT id, issuer, serial, profile, subject,"
	"  tnauth, not_before, not_after, tbs, der, status, request_key,"
	"  created_at, issued_at, revoked_at, reason, abort_reason"
	"  FROM certs ORDER BY id;"
	"DROP TABLE certs;"
	"ALTER TABLE certs_v2 RENAME TO certs;"
	"CREATE UNIQUE INDEX certs_request ON certs (request_key)"
	"  WHERE request_key IS NOT NULL;"
	"CREATE INDEX certs_pending ON certs (issuer, id)"
	"  WHERE status = 'pending';"
	"CREATE INDEX certs_revoked ON certs (issuer, serial)"
	"  WHERE status = 'revoked';"
	"CREATE TRIGGER certs_no_delete BEFORE DELETE ON certs BEGIN"
	"  SELECT RAISE(ABORT, 'certs: rows are never deleted'); END;"
	"CREATE TRIGGER certs_fixed BEFORE UPDATE OF issuer, serial, profile,"
	"  subject, tnauth, not_before, not_after, created_at ON certs BEGIN"
	"  SELECT RAISE(ABORT, 'certs: recorded fields never change'); END;",

	/*
	 * 3: what a request key was used for, and who holds a pending
	 * intent.  request_fp is the SHA-256 ca/ makes of the request (its
	 * subject key, TNAuthList, CA flag, requester and account), fixed
	 * once recorded like the other recorded fields; run is the id of the
	 * run that reserved the row, whose lock says whether it is still
	 * alive (docs/store.md, "Runs").  ADD COLUMN changes the schema
	 * only: no row is rewritten, ids stay, older rows read NULL.
	 */
	"ALTER TABLE certs ADD COLUMN request_fp BLOB CHECK (request_fp IS"
	"  NULL OR (typeof(request_fp) = 'blob' AND length(request_fp) = 32));"
	"ALTER TABLE certs ADD COLUMN run TEXT;"
	"DROP TRIGGER certs_fixed;"
	"CREATE TRIGGER certs_fixed BEFORE UPDATE OF issuer, serial, profile,"
	"  subject, tnauth, not_before, not_after, created_at, request_fp ON"
	"  certs BEGIN"
	"  SELECT RAISE(ABORT, 'certs: recorded fields never change'); END;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
    "STORE_SCHEMA_VERSION must count the migrations");

#define CERT_COLS_V1 \
	"issuer, serial, profile, subject, tnauth, not_before, not_after, " \
	"tbs, der, status, request_key, created_at, issued_at, revoked_at, " \
	"reason, abort_reason"
#define CERT_COLS	CERT_COLS_V1 ", request_fp, run"
/* A read-only handle on a database older than version 3. */
#define CERT_COLS_OLD	CERT_COLS_V1 ", NULL, NULL"

/* The statements that read CERT_COLS, for either column list. */
#define SQL_PENDING_ALL(c) \
	"SELECT " c " FROM certs WHERE status = 'pending' ORDER BY id"
#define SQL_PENDING_ISSUER(c) \
	"SELECT " c " FROM certs WHERE issuer = ?1 AND status = 'pending' " \
	"ORDER BY id"
#define SQL_LOOKUP(c) \
	"SELECT " c " FROM certs WHERE request_key = ?1"
#define SQL_GET(c) \
	"SELECT " c " FROM certs WHERE serial = ?2 AND issuer = ?1"
#define SQL_GET_SERIAL(c) \
	"SELECT " c " FROM certs WHERE serial = ?1 LIMIT 2"
#define SQL_ITER(c) \
	"SELECT " c " FROM certs WHERE (?1 IS NULL OR issuer = ?1) AND " \
	"(?2 IS NULL OR status = ?2) ORDER BY id"

enum sq_stmt {
	S_BEGIN,
	S_BEGIN_READ,
	S_COMMIT,
	S_ROLLBACK,
	S_RESERVE,
	S_COMMIT_GET,
	S_COMMIT_CERT,
	S_COMMIT_KNOWN,
	S_STATUS,
	S_ABORT,
	S_PENDING_ALL,
	S_PENDING_ISSUER,
	S_LOOKUP,
	S_GET,
	S_GET_SERIAL,
	S_ITER,
	S_REVOKE,
	S_REVOKED,
	S_CRL,
	S_CRL_ALL,
	S_AUDIT_LAST,
	S_AUDIT_INSERT,
	S_AUDIT_ALL,
	S_NSTMT
};

static const char *const stmt_sql[S_NSTMT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_RESERVE] = "INSERT INTO certs (issuer, serial, profile, subject, "
	    "tnauth, not_before, not_after, tbs, status, request_key, "
	    "created_at, request_fp, run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, 'pending', ?9, ?10, ?11, ?12)",
	[S_COMMIT_GET] = "SELECT profile, subject, tnauth, not_before, "
	    "not_after, request_key, id, status, tbs FROM certs WHERE "
	    "serial = ?2 AND issuer = ?1",
	[S_COMMIT_CERT] = "UPDATE certs SET status = 'valid', der = ?2, "
	    "tbs = NULL, issued_at = ?3 WHERE id = ?1 AND status = 'pending'",
	[S_COMMIT_KNOWN] = "UPDATE certs SET status = 'valid', der = ?2, "
	    "tbs = NULL, issued_at = ?3 WHERE id = ?1 AND status = 'pending' "
	    "AND tbs = ?4",
	[S_STATUS] = "SELECT status, request_key FROM certs WHERE "
	    "serial = ?2 AND issuer = ?1",
	[S_ABORT] = "UPDATE certs SET status = 'aborted', abort_reason = ?3, "
	    "request_key = NULL WHERE serial = ?2 AND issuer = ?1 AND "
	    "status = 'pending'",
	[S_PENDING_ALL] = SQL_PENDING_ALL(CERT_COLS),
	[S_PENDING_ISSUER] = SQL_PENDING_ISSUER(CERT_COLS),
	[S_LOOKUP] = SQL_LOOKUP(CERT_COLS),
	[S_GET] = SQL_GET(CERT_COLS),
	[S_GET_SERIAL] = SQL_GET_SERIAL(CERT_COLS),
	[S_ITER] = SQL_ITER(CERT_COLS),
	[S_REVOKE] = "UPDATE certs SET status = 'revoked', revoked_at = ?3, "
	    "reason = ?4 WHERE serial = ?2 AND issuer = ?1 AND "
	    "status = 'valid'",
	[S_REVOKED] = "SELECT serial, revoked_at, reason, not_after FROM "
	    "certs WHERE issuer = ?1 AND status = 'revoked' ORDER BY serial",
	[S_CRL] = "INSERT INTO crl_numbers (issuer, last) VALUES (?1, 1) "
	    "ON CONFLICT (issuer) DO UPDATE SET last = last + 1 "
	    "RETURNING last",
	[S_CRL_ALL] = "SELECT issuer, last FROM crl_numbers ORDER BY issuer",
	[S_AUDIT_LAST] = "SELECT seq, line FROM audit ORDER BY seq DESC "
	    "LIMIT 1",
	[S_AUDIT_INSERT] = "INSERT INTO audit (seq, line) VALUES (?1, ?2)",
	[S_AUDIT_ALL] = "SELECT line FROM audit ORDER BY seq",
};

/*
 * The reading statements of a read-only handle on a database older than
 * version 3 (never migrated): the columns it lacks read as NULL.
 */
static const char *const stmt_sql_old[S_NSTMT] = {
	[S_PENDING_ALL] = SQL_PENDING_ALL(CERT_COLS_OLD),
	[S_PENDING_ISSUER] = SQL_PENDING_ISSUER(CERT_COLS_OLD),
	[S_LOOKUP] = SQL_LOOKUP(CERT_COLS_OLD),
	[S_GET] = SQL_GET(CERT_COLS_OLD),
	[S_GET_SERIAL] = SQL_GET_SERIAL(CERT_COLS_OLD),
	[S_ITER] = SQL_ITER(CERT_COLS_OLD),
};

/*
 * An intent this handle reserved: the row's id and the fields the issue
 * line repeats, kept for the commit (sq_issue_commit).  Borrowed
 * pointers into the block that holds the reservation.
 */
struct sq_intent {
	int64_t		 id;
	const char	*issuer;
	const uint8_t	*serial;
	size_t		 serial_len;
	const char	*profile;
	const char	*subject;
	const uint8_t	*tnauth;
	size_t		 tnauth_len;
	int64_t		 not_before;
	int64_t		 not_after;
	const char	*request_key;
};

/* The handle: struct store first, so the two convert. */
struct sq {
	struct store	 base;
	sqlite3		*db;
	bool		 readonly;
	int64_t		 schema;	/* the database's version */
	int		 runfd;		/* the run's lock, or -1 */
	char		 run[STORE_RUN_ID_LEN + 1];
	sqlite3_stmt	*st[S_NSTMT];
	struct sq_intent *rv;		/* the last reservation (one block) */
	size_t		  nrv;
	size_t		  rnext;	/* where the next look-up starts */
};

static struct sq *
sq_of(struct store *s)
{
	return (struct sq *)s;
}

/* Record SQLite's view of the last failure as ST_E_STORE. */
static int
sq_fail(struct sq *q, struct st_err *e, const char *what)
{
	int	x = sqlite3_extended_errcode(q->db);

	if ((x & 0xff) == SQLITE_BUSY || (x & 0xff) == SQLITE_LOCKED)
		return st_err_set(e, ST_E_STORE,
		    "store: %s: database is locked (waited %d s)", what,
		    BUSY_MS / 1000);
	if ((x & 0xff) == SQLITE_READONLY && q->readonly)
		return st_err_set(e, ST_E_STORE,
		    "store: %s: the database was opened read-only", what);
	return st_err_set(e, ST_E_STORE, "store: %s: %s", what,
	    sqlite3_errmsg(q->db));
}

/* The cached statement id, prepared on first use. */
static int
sq_stmt(struct sq *q, enum sq_stmt id, sqlite3_stmt **out, struct st_err *e)
{
	const char	*sql = stmt_sql[id];

	*out = NULL;
	if (q->schema < NMIGRATIONS && stmt_sql_old[id] != NULL)
		sql = stmt_sql_old[id];
	if (q->st[id] == NULL && sqlite3_prepare_v3(q->db, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &q->st[id], NULL) != SQLITE_OK)
		return sq_fail(q, e, "prepare");
	*out = q->st[id];
	return 0;
}

/* Make a statement ready for its next use. */
static void
sq_reset(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Run a statement that returns no rows. */
static int
sq_run(struct sq *q, enum sq_stmt id, const char *what, struct st_err *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sq_stmt(q, id, &st, e)) != 0)
		return rc;
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_fail(q, e, what);
	sq_reset(st);
	return rc;
}

static int
sq_begin(struct sq *q, struct st_err *e)
{
	return sq_run(q, S_BEGIN, "begin", e);
}

static int
sq_commit(struct sq *q, struct st_err *e)
{
	return sq_run(q, S_COMMIT, "commit", e);
}

/* Roll back if a transaction is open; errors are moot by then. */
static void
sq_rollback(struct sq *q)
{
	if (!sqlite3_get_autocommit(q->db))
		(void)sq_run(q, S_ROLLBACK, "rollback", NULL);
}

/* Run sql (one statement) returning one integer, NULL as 0. */
static int
sq_int(struct sq *q, const char *sql, int64_t *v, struct st_err *e)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = ST_E_INTERNAL, x;

	*v = 0;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = sq_fail(q, e, "open");
		goto out;
	}
	if ((x = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (x != SQLITE_DONE) {
		rc = sq_fail(q, e, "open");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
sq_exec(struct sq *q, const char *sql, const char *what, struct st_err *e)
{
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(q, e, what);
	return 0;
}

/* 0 when there is no schema_migrations table yet. */
static int
sq_version(struct sq *q, int64_t *v, struct st_err *e)
{
	int64_t	n;
	int	rc;

	*v = 0;
	if ((rc = sq_int(q, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'schema_migrations'", &n, e)) != 0 ||
	    n == 0)
		return rc;
	return sq_int(q, "SELECT max(version) FROM schema_migrations", v, e);
}

static int
sq_too_new(int64_t v, struct st_err *e)
{
	return st_err_set(e, ST_E_STORE,
	    "store: the database's schema version %lld is newer than this "
	    "stica knows (%d); use a newer stica", (long long)v,
	    NMIGRATIONS);
}

/*
 * Apply the missing migrations, each in its own BEGIN IMMEDIATE
 * transaction that re-reads the version (another process may be doing
 * the same).
 */
static int
sq_migrate(struct sq *q, struct st_err *e)
{
	int64_t	v;
	char	sql[160];
	int	rc = ST_E_INTERNAL;

	for (;;) {
		if ((rc = sq_version(q, &v, e)) != 0)
			goto out;
		if (v > NMIGRATIONS) {
			rc = sq_too_new(v, e);
			goto out;
		}
		if (v == NMIGRATIONS)
			break;
		if ((rc = sq_begin(q, e)) != 0 ||
		    (rc = sq_exec(q, "CREATE TABLE IF NOT EXISTS "
		    "schema_migrations (version INTEGER PRIMARY KEY, "
		    "applied_at TEXT NOT NULL)", "migrate", e)) != 0 ||
		    (rc = sq_version(q, &v, e)) != 0)
			goto out;
		if (v > NMIGRATIONS) {
			rc = sq_too_new(v, e);
			goto out;
		}
		if (v < NMIGRATIONS) {
			if ((rc = sq_exec(q, migrations[v], "migrate", e)) != 0)
				goto out;
			snprintf(sql, sizeof(sql), "INSERT INTO "
			    "schema_migrations (version, applied_at) VALUES "
			    "(%lld, strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', "
			    "'now'))", (long long)v + 1);
			if ((rc = sq_exec(q, sql, "migrate", e)) != 0)
				goto out;
		}
		if ((rc = sq_commit(q, e)) != 0)
			goto out;
	}
	rc = 0;
out:
	sq_rollback(q);
	return rc;
}

/* Fill c with borrowed pointers into the current row (CERT_COLS). */
static void
sq_row_cert(sqlite3_stmt *st, struct store_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->issuer = (const char *)sqlite3_column_text(st, 0);
	c->serial = sqlite3_column_blob(st, 1);
	c->serial_len = (size_t)sqlite3_column_bytes(st, 1);
	c->profile = (const char *)sqlite3_column_text(st, 2);
	c->subject = (const char *)sqlite3_column_text(st, 3);
	c->tnauth = sqlite3_column_blob(st, 4);
	c->tnauth_len = (size_t)sqlite3_column_bytes(st, 4);
	c->not_before = sqlite3_column_int64(st, 5);
	c->not_after = sqlite3_column_int64(st, 6);
	c->tbs = sqlite3_column_blob(st, 7);
	c->tbs_len = (size_t)sqlite3_column_bytes(st, 7);
	c->der = sqlite3_column_blob(st, 8);
	c->der_len = (size_t)sqlite3_column_bytes(st, 8);
	c->status = store_status_parse((const char *)sqlite3_column_text(st,
	    9));
	c->request_key = (const char *)sqlite3_column_text(st, 10);
	c->created_at = sqlite3_column_int64(st, 11);
	c->issued_at = sqlite3_column_int64(st, 12);
	c->revoked_at = sqlite3_column_int64(st, 13);
	c->reason = sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 14);
	c->abort_reason = (const char *)sqlite3_column_text(st, 15);
	if (sqlite3_column_bytes(st, 16) == STORE_REQUEST_FP_LEN)
		c->request_fp = sqlite3_column_blob(st, 16);
	c->run = (const char *)sqlite3_column_text(st, 17);
	if (c->tnauth == NULL)
		c->tnauth_len = 0;
	if (c->der == NULL)
		c->der_len = 0;
	/* Once signed, the TBS is kept only inside the certificate. */
	if (c->tbs == NULL && c->der != NULL &&
	    store_der_tbs(c->der, c->der_len, &c->tbs, &c->tbs_len) != 0) {
		c->tbs = NULL;
		c->tbs_len = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Audit lines inside a write transaction                             */

/* The chain's head as stored: the last row and the hash of its bytes. */
static int
sq_audit_load(struct sq *q, struct store_audit_head *h, struct st_err *e)
{
	sqlite3_stmt	*st;
	const char	*line;
	int		 rc, x;

	h->seq = 0;
	memset(h->hash, '0', 64);
	h->hash[64] = '\0';
	if ((rc = sq_stmt(q, S_AUDIT_LAST, &st, e)) != 0)
		return rc;
	if ((x = sqlite3_step(st)) == SQLITE_ROW) {
		h->seq = sqlite3_column_int64(st, 0);
		line = (const char *)sqlite3_column_text(st, 1);
		audit_hash(line, (size_t)sqlite3_column_bytes(st, 1), h->hash);
	} else if (x != SQLITE_DONE)
		rc = sq_fail(q, e, "audit head");
	sq_reset(st);
	return rc;
}

/* Insert one built line. */
static int
sq_audit_insert(struct sq *q, int64_t seq, const char *line, size_t len,
    struct st_err *e)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sq_stmt(q, S_AUDIT_INSERT, &st, e)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, line, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_fail(q, e, "audit");
	sq_reset(st);
	return rc;
}

/*
 * Append one line after h (advancing it): the event's own fields (all
 * borrowed) and the caller's extra ones.
 */
static int
sq_audit_put(struct sq *q, struct store_audit_head *h, int64_t now,
    const char *event, const struct audit_field *own, size_t nown,
    json_t *extra, struct st_err *e)
{
	char	*line = NULL;
	size_t	 len;
	int	 rc;

	if ((rc = audit_line_build(h, now, event, own, nown, extra, &line,
	    &len, e)) == 0)
		rc = sq_audit_insert(q, h->seq, line, len, e);
	free(line);
	return rc;
}

/* Shorthands for audit fields. */
#define AF_STR(k, v)	((struct audit_field){ (k), AUDIT_STR, (v), 0, NULL })
#define AF_INT(k, v)	((struct audit_field){ (k), AUDIT_INT, NULL, (v), NULL })

/* Why an UPDATE of (issuer, serial) touched nothing. */
static int
sq_why(struct sq *q, const char *issuer, const uint8_t *serial, size_t len,
    const char *op, struct st_err *e)
{
	sqlite3_stmt	*st;
	char		 hex[2 * STORE_SERIAL_MAX + 1];
	const char	*status;
	int		 rc, x;

	if ((rc = sq_stmt(q, S_STATUS, &st, e)) != 0)
		return rc;
	store_serial_hex(serial, len, hex);
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, serial, (int)len, SQLITE_STATIC);
	if ((x = sqlite3_step(st)) == SQLITE_DONE)
		rc = st_err_set(e, ST_E_NOTFOUND,
		    "store: %s: issuer '%s' has no serial %s", op, issuer, hex);
	else if (x != SQLITE_ROW)
		rc = sq_fail(q, e, op);
	else {
		status = (const char *)sqlite3_column_text(st, 0);
		if (strcmp(op, "revoke") == 0 && strcmp(status, "revoked") != 0)
			rc = st_err_set(e, ST_E_NOTFOUND,
			    "store: revoke: serial %s of issuer '%s' was never "
			    "issued (%s)", hex, issuer, status);
		else if (strcmp(op, "revoke") == 0)
			rc = st_err_set(e, ST_E_EXISTS,
			    "store: revoke: serial %s of issuer '%s' is "
			    "already revoked", hex, issuer);
		else if (strcmp(status, "aborted") == 0)
			rc = st_err_set(e, ST_E_NOTFOUND,
			    "store: %s: serial %s of issuer '%s' was aborted",
			    op, hex, issuer);
		else if (strcmp(status, "pending") == 0)
			rc = st_err_set(e, ST_E_VERIFY,
			    "store: %s: serial %s of issuer '%s': the "
			    "certificate does not carry the reserved TBS", op,
			    hex, issuer);
		else
			rc = st_err_set(e, ST_E_EXISTS,
			    "store: %s: serial %s of issuer '%s' is already "
			    "%s", op, hex, issuer, status);
	}
	sq_reset(st);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Runs (docs/store.md, "Runs")                                       */

/* Beside the database: "<database>-runs/<run id>.lock". */
#define RUNS_SUFFIX	"-runs"
/* A ".tmp" file younger than this may be a run being taken. */
#define RUN_TMP_AGE	600

/*
 * The directory of run locks into buf.  ST_E_USAGE for a database
 * without a file (in memory: no other process sees its rows).
 */
static int
sq_runs_dir(struct sq *q, char *buf, size_t bufsz, struct st_err *e)
{
	const char	*f = sqlite3_db_filename(q->db, "main");

	if (f == NULL || f[0] == '\0')
		return st_err_set(e, ST_E_USAGE,
		    "store: runs: a database without a file has no runs");
	if ((size_t)snprintf(buf, bufsz, "%s" RUNS_SUFFIX, f) >= bufsz)
		return st_err_set(e, ST_E_USAGE,
		    "store: runs: the database's path is too long");
	return 0;
}

/*
 * Remove the files of runs that are over: a process that was killed
 * leaves its run's file behind, unlocked.  Only shared locks are taken
 * here, as store_run_alive takes them, so a sweep never makes a dead run
 * look alive to a concurrent check, and never takes a live run's file:
 * a run locks its file before the file gets its name.  Removing a dead
 * run's file turns "unlocked" into "absent", which means the same.  A
 * ".tmp" file is a run being taken; only an old one is removed.
 */
static void
sq_runs_sweep(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		 path[PATH_MAX];
	size_t		 l;
	bool		 tmp;
	int		 fd;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		tmp = l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0;
		if ((!tmp && (l <= 5 || strcmp(de->d_name + l - 5, ".lock") !=
		    0)) || (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK)) == -1)
			continue;
		if ((!tmp || (fstat(fd, &sb) == 0 && sb.st_mtime <
		    time(NULL) - RUN_TMP_AGE)) &&
		    flock(fd, LOCK_SH | LOCK_NB) == 0)
			(void)unlink(path);
		close(fd);
	}
	closedir(d);
}

/*
 * Take this handle's run, once: a random id, and an exclusive flock on
 * "<id>.lock", held until sq_close (the kernel drops it when the process
 * dies, kill -9 included).  The file is locked under a temporary name
 * and then renamed, so a file with a run's name is locked for as long
 * as its run lives.  It holds the process id, for messages.  flock, not
 * fcntl: an fcntl lock belongs to the process, so another handle of the
 * same process would see its own runs as dead, and closing any
 * descriptor of the file would drop the lock.
 */
static int
sq_run_take(struct sq *q, struct st_err *e)
{
	unsigned char		 rnd[STORE_RUN_ID_LEN / 2];
	char			 dir[PATH_MAX], tmp[PATH_MAX], path[PATH_MAX];
	char			 id[STORE_RUN_ID_LEN + 1];
	int			 fd = -1, tries, err = 0, rc = ST_E_INTERNAL;

	if (q->runfd >= 0)
		return 0;
	if ((rc = sq_runs_dir(q, dir, sizeof(dir), e)) != 0)
		goto out;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = st_err_set(e, ST_E_IO, "store: runs: %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	sq_runs_sweep(dir);
	for (tries = 0; tries < 4 && fd < 0; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			rc = st_err_set(e, ST_E_CRYPTO,
			    "store: runs: no random bytes for a run id");
			goto out;
		}
		st_hex_write(rnd, sizeof(rnd), id);
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, id) >=
		    sizeof(tmp) || (size_t)snprintf(path, sizeof(path),
		    "%s/%s.lock", dir, id) >= sizeof(path)) {
			rc = st_err_set(e, ST_E_USAGE,
			    "store: runs: the database's path is too long");
			goto out;
		}
		if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600)) == -1) {
			err = errno;
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    dprintf(fd, "%ld\n", (long)getpid()) > 0 &&
		    rename(tmp, path) == 0)
			break;
		/* A sweep took it meanwhile (or worse): another id. */
		err = errno;
		(void)unlink(tmp);
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		rc = st_err_set(e, ST_E_IO, "store: runs: cannot take a run "
		    "lock in %s: %s", dir, strerror(err));
		goto out;
	}
	q->runfd = fd;
	memcpy(q->run, id, sizeof(q->run));
	rc = 0;
out:
	return rc;
}

/* End this handle's run: its file removed, its lock released. */
static void
sq_run_drop(struct sq *q)
{
	char	dir[PATH_MAX], path[PATH_MAX];

	if (q->runfd < 0)
		return;
	if (sq_runs_dir(q, dir, sizeof(dir), NULL) == 0 &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s.lock", dir, q->run) <
	    sizeof(path))
		(void)unlink(path);
	close(q->runfd);
	q->runfd = -1;
	q->run[0] = '\0';
}

static int
sq_run_id(struct store *s, const char **id, struct st_err *e)
{
	struct sq	*q = sq_of(s);
	int		 rc;

	if (q->readonly)
		return st_err_set(e, ST_E_USAGE,
		    "store: runs: the database was opened read-only");
	if ((rc = sq_run_take(q, e)) != 0)
		return rc;
	*id = q->run;
	return 0;
}

/*
 * Whether a run's lock is held: a shared, non-blocking flock on its file
 * fails only while the run's exclusive lock is held.  No file: the run
 * ended (or a sweep removed the file of a dead run).
 */
static int
sq_run_alive(struct store *s, const char *run, long *pid, struct st_err *e)
{
	struct sq	*q = sq_of(s);
	char		 dir[PATH_MAX], path[PATH_MAX], buf[32];
	ssize_t		 n;
	int		 fd, x, rc = ST_E_INTERNAL;

	if (sq_runs_dir(q, dir, sizeof(dir), NULL) != 0)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.lock", dir, run) >=
	    sizeof(path))
		return st_err_set(e, ST_E_USAGE,
		    "store: runs: the database's path is too long");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return 0;
		return st_err_set(e, ST_E_IO, "store: run %s: %s: %s", run,
		    path, strerror(errno));
	}
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		if (pid != NULL)
			*pid = strtol(buf, NULL, 10);
	}
	while ((x = flock(fd, LOCK_SH | LOCK_NB)) == -1 && errno == EINTR)
		continue;
	if (x == 0)
		rc = 0;
	else if (errno == EWOULDBLOCK)
		rc = 1;
	else
		rc = st_err_set(e, ST_E_IO, "store: run %s: %s: %s", run, path,
		    strerror(errno));
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Operations                                                         */

static void
sq_close(struct store *s)
{
	struct sq	*q = sq_of(s);
	int		 i;

	sq_run_drop(q);
	for (i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close_v2(q->db);
	free(q->rv);
	free(q);
}

static int
sq_schema_version(struct store *s, int *version, struct st_err *e)
{
	int64_t	v;
	int	rc;

	if ((rc = sq_version(sq_of(s), &v, e)) == 0)
		*version = (int)v;
	return rc;
}

/*
 * A copy of v[0..n) in one block, for the commit; NULL when out of memory
 * (the commit then reads the rows).  The ids are filled in as the rows
 * are inserted.
 */
static struct sq_intent *
intents_copy(const struct store_intent *v, size_t n)
{
	struct sq_intent	*r;
	char			*p;
	size_t			 i, sz = n * sizeof(*r), l;

	for (i = 0; i < n; i++)
		sz += strlen(v[i].issuer) + 1 + v[i].serial_len +
		    strlen(v[i].profile) + 1 + strlen(v[i].subject) + 1 +
		    v[i].tnauth_len + (v[i].request_key != NULL ?
		    strlen(v[i].request_key) + 1 : 0);
	if ((r = malloc(sz)) == NULL)
		return NULL;
	p = (char *)(r + n);
#define COPY(dst, src, len) do { \
	memcpy(p, (src), (len)); \
	(dst) = (void *)p; \
	p += (len); \
} while (0)
	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		COPY(r[i].issuer, v[i].issuer, strlen(v[i].issuer) + 1);
		COPY(r[i].serial, v[i].serial, v[i].serial_len);
		r[i].serial_len = v[i].serial_len;
		COPY(r[i].profile, v[i].profile, strlen(v[i].profile) + 1);
		COPY(r[i].subject, v[i].subject, strlen(v[i].subject) + 1);
		if (v[i].tnauth != NULL) {
			COPY(r[i].tnauth, v[i].tnauth, v[i].tnauth_len);
			r[i].tnauth_len = v[i].tnauth_len;
		}
		if (v[i].request_key != NULL) {
			l = strlen(v[i].request_key) + 1;
			COPY(r[i].request_key, v[i].request_key, l);
		}
		r[i].not_before = v[i].not_before;
		r[i].not_after = v[i].not_after;
	}
#undef COPY
	return r;
}

/*
 * One transaction inserting the n intents.  Once it has committed, the
 * handle keeps a copy of them with their row ids for the commit that
 * follows (the last reservation only: a handle serves one thread, and
 * issuance reserves and then commits through the same handle).
 */
static int
sq_issue_reserve(struct store *s, const struct store_intent *v, size_t n,
    size_t *conflict, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct sq_intent	*kept = NULL;
	sqlite3_stmt		*st;
	int64_t			 now = (int64_t)time(NULL);
	char			 hex[2 * STORE_SERIAL_MAX + 1];
	struct st_err		 re;
	size_t			 i;
	int			 rc = ST_E_INTERNAL, x;

	free(q->rv);
	q->rv = NULL;
	q->nrv = q->rnext = 0;
	/*
	 * Every intent names its run, so that recovery leaves it alone while
	 * this handle lives.  A database without a file has no other
	 * process to tell: its intents name none.
	 */
	st_err_clear(&re);
	if ((rc = sq_run_take(q, &re)) != 0 && rc != ST_E_USAGE) {
		st_err_set(e, rc, "%s", st_err_str(&re, rc));
		goto out;
	}
	kept = intents_copy(v, n);
	if ((rc = sq_stmt(q, S_RESERVE, &st, e)) != 0 ||
	    (rc = sq_begin(q, e)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct store_intent *it = &v[i];

		sqlite3_bind_text(st, 1, it->issuer, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, it->serial, (int)it->serial_len,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, it->profile, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, it->subject, -1, SQLITE_STATIC);
		if (it->tnauth != NULL)
			sqlite3_bind_blob(st, 5, it->tnauth,
			    (int)it->tnauth_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, it->not_before);
		sqlite3_bind_int64(st, 7, it->not_after);
		sqlite3_bind_blob(st, 8, it->tbs, (int)it->tbs_len,
		    SQLITE_STATIC);
		if (it->request_key != NULL)
			sqlite3_bind_text(st, 9, it->request_key, -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, now);
		if (it->request_fp != NULL)
			sqlite3_bind_blob(st, 11, it->request_fp,
			    STORE_REQUEST_FP_LEN, SQLITE_STATIC);
		if (q->runfd >= 0)
			sqlite3_bind_text(st, 12, q->run, -1, SQLITE_STATIC);
		x = sqlite3_step(st);
		if (x == SQLITE_CONSTRAINT_UNIQUE) {
			if (conflict != NULL)
				*conflict = i;
			store_serial_hex(it->serial, it->serial_len, hex);
			if (strstr(sqlite3_errmsg(q->db), "request_key") !=
			    NULL)
				rc = st_err_set(e, ST_E_EXISTS,
				    "store: reserve: intent %zu: request key "
				    "'%s' is already taken", i,
				    it->request_key);
			else
				rc = st_err_set(e, ST_E_EXISTS,
				    "store: reserve: intent %zu: issuer '%s' "
				    "has used serial %s already (draw another)",
				    i, it->issuer, hex);
			sq_reset(st);
			goto out;
		}
		if (x != SQLITE_DONE) {
			rc = sq_fail(q, e, "reserve");
			sq_reset(st);
			goto out;
		}
		sq_reset(st);
		if (kept != NULL)
			kept[i].id = sqlite3_last_insert_rowid(q->db);
	}
	if ((rc = sq_commit(q, e)) != 0)
		goto out;
	q->rv = kept;
	q->nrv = kept != NULL ? n : 0;
	kept = NULL;
out:
	sq_rollback(q);
	free(kept);
	return rc;
}

/*
 * The intent of (issuer, serial) if this handle reserved it last, else
 * NULL.  Commits usually come in the order of the reservation, so the
 * search starts after the last one found.
 */
static const struct sq_intent *
intent_find(struct sq *q, const struct store_signed *sg)
{
	const struct sq_intent	*r;
	size_t			 i, k;

	for (k = 0; k < q->nrv; k++) {
		i = (q->rnext + k) % q->nrv;
		r = &q->rv[i];
		if (r->serial_len == sg->serial_len &&
		    memcmp(r->serial, sg->serial, sg->serial_len) == 0 &&
		    strcmp(r->issuer, sg->issuer) == 0) {
			q->rnext = i + 1;
			return r;
		}
	}
	return NULL;
}

/* The "issue" line of sg, whose row r describes (the reserved fields). */
static int
issue_line(struct store_audit_head *h, int64_t now, const struct sq_intent *r,
    const struct store_signed *sg, char **line, size_t *len,
    struct st_err *e)
{
	struct audit_field	 f[9];
	char			 shex[2 * STORE_SERIAL_MAX + 1], nb[32], na[32];
	char			 hash[STORE_HASH_HEXSZ], *b64 = NULL;
	int			 rc = ST_E_INTERNAL;

	if (r->tnauth != NULL && r->tnauth_len > 0 &&
	    st_b64url_encode(r->tnauth, r->tnauth_len, &b64) != 0) {
		rc = ST_E_NOMEM;
		goto out;
	}
	store_serial_hex(sg->serial, sg->serial_len, shex);
	audit_hash(sg->der, sg->der_len, hash);
	audit_time(r->not_before, nb, sizeof(nb));
	audit_time(r->not_after, na, sizeof(na));
	/* In key order, which audit_line_build then need not sort. */
	f[0] = AF_STR("issuer", sg->issuer);
	f[1] = AF_STR("not_after", na);
	f[2] = AF_STR("not_before", nb);
	f[3] = AF_STR("profile", r->profile);
	f[4] = AF_STR("request", r->request_key);
	f[5] = AF_STR("serial", shex);
	f[6] = AF_STR("sha256", hash);
	f[7] = AF_STR("subject", r->subject);
	f[8] = AF_STR("tnauthlist", b64);
	rc = audit_line_build(h, now, "issue", f, 9, sg->audit, line, len, e);
out:
	free(b64);
	return rc;
}

/*
 * Step a statement that changes at most one row; 1 if it changed one, 0
 * if none, or a failure.
 */
static int
sq_change(struct sq *q, sqlite3_stmt *st, struct st_err *e)
{
	int	rc;

	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(q, e, "commit");
	else
		rc = sqlite3_changes(q->db) == 1;
	sq_reset(st);
	return rc;
}

/*
 * Set each row valid with its DER and append its issue line.  A row this
 * handle reserved last is updated by id on condition that it is still
 * pending with the very TBS the certificate carries (S_COMMIT_KNOWN), and
 * its line is made from the reserved fields, which cannot have changed
 * (no statement of stica changes them, the certs_fixed trigger refuses
 * it, and a row that is still pending was never aborted).  Any other row
 * is read first, its TBS compared in C, then updated by id.  (A single
 * UPDATE ... RETURNING would be shorter, but RETURNING, like a trigger,
 * makes SQLite keep a statement journal for every row: a third of the
 * commit's time.)
 */
static int
sq_issue_commit(struct store *s, const struct store_signed *v, size_t n,
    struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct store_audit_head	 h;
	struct sq_intent	 row;
	const struct sq_intent	*r;
	sqlite3_stmt		*get, *upd, *known;
	const uint8_t		*tbs;
	const char		*status;
	char			*line = NULL;
	int64_t			 now = (int64_t)time(NULL);
	size_t			 i, hl, tbslen, len;
	int			 rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, S_COMMIT_GET, &get, e)) != 0 ||
	    (rc = sq_stmt(q, S_COMMIT_CERT, &upd, e)) != 0 ||
	    (rc = sq_stmt(q, S_COMMIT_KNOWN, &known, e)) != 0 ||
	    (rc = sq_begin(q, e)) != 0 || (rc = sq_audit_load(q, &h, e)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct store_signed *sg = &v[i];

		if ((rc = store_der_hdrlen(sg->der, sg->der_len, &hl)) != 0)
			goto out;
		if ((r = intent_find(q, sg)) != NULL &&
		    store_der_tbs(sg->der, sg->der_len, &tbs, &tbslen) == 0) {
			sqlite3_bind_int64(known, 1, r->id);
			sqlite3_bind_blob(known, 2, sg->der, (int)sg->der_len,
			    SQLITE_STATIC);
			sqlite3_bind_int64(known, 3, now);
			sqlite3_bind_blob(known, 4, tbs, (int)tbslen,
			    SQLITE_STATIC);
			if ((x = sq_change(q, known, e)) < 0) {
				rc = x;
				goto out;
			}
			if (x == 0) {
				rc = sq_why(q, sg->issuer, sg->serial,
				    sg->serial_len, "commit", e);
				goto out;
			}
			if ((rc = issue_line(&h, now, r, sg, &line, &len,
			    e)) != 0)
				goto out;
		} else {
			sqlite3_bind_text(get, 1, sg->issuer, -1,
			    SQLITE_STATIC);
			sqlite3_bind_blob(get, 2, sg->serial,
			    (int)sg->serial_len, SQLITE_STATIC);
			if ((x = sqlite3_step(get)) != SQLITE_ROW) {
				rc = x == SQLITE_DONE ? sq_why(q, sg->issuer,
				    sg->serial, sg->serial_len, "commit", e) :
				    sq_fail(q, e, "commit");
				sq_reset(get);
				goto out;
			}
			status = (const char *)sqlite3_column_text(get, 7);
			tbs = sqlite3_column_blob(get, 8);
			tbslen = (size_t)sqlite3_column_bytes(get, 8);
			if (status == NULL || strcmp(status, "pending") != 0 ||
			    tbs == NULL || tbslen > sg->der_len - hl ||
			    memcmp(sg->der + hl, tbs, tbslen) != 0) {
				sq_reset(get);
				rc = sq_why(q, sg->issuer, sg->serial,
				    sg->serial_len, "commit", e);
				goto out;
			}
			memset(&row, 0, sizeof(row));
			row.id = sqlite3_column_int64(get, 6);
			row.profile = (const char *)sqlite3_column_text(get, 0);
			row.subject = (const char *)sqlite3_column_text(get, 1);
			row.tnauth = sqlite3_column_blob(get, 2);
			row.tnauth_len = (size_t)sqlite3_column_bytes(get, 2);
			row.not_before = sqlite3_column_int64(get, 3);
			row.not_after = sqlite3_column_int64(get, 4);
			row.request_key = (const char *)sqlite3_column_text(get,
			    5);
			rc = issue_line(&h, now, &row, sg, &line, &len, e);
			sq_reset(get);
			if (rc != 0)
				goto out;
			sqlite3_bind_int64(upd, 1, row.id);
			sqlite3_bind_blob(upd, 2, sg->der, (int)sg->der_len,
			    SQLITE_STATIC);
			sqlite3_bind_int64(upd, 3, now);
			if ((x = sq_change(q, upd, e)) != 1) {
				rc = x < 0 ? x : sq_fail(q, e, "commit");
				goto out;
			}
		}
		if ((rc = sq_audit_insert(q, h.seq, line, len, e)) != 0)
			goto out;
		free(line);
		line = NULL;
	}
	rc = sq_commit(q, e);
out:
	sq_rollback(q);
	free(line);
	return rc;
}

static int
sq_issue_abort(struct store *s, const struct store_ref *v, size_t n,
    const char *reason, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct store_audit_head	 h;
	sqlite3_stmt		*st;
	struct audit_field	 f[4];
	char			 shex[2 * STORE_SERIAL_MAX + 1];
	int64_t			 now = (int64_t)time(NULL);
	size_t			 i;
	char			*key = NULL;
	int			 rc = ST_E_INTERNAL, x;

	if ((rc = sq_begin(q, e)) != 0 || (rc = sq_audit_load(q, &h, e)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* The key, which the row gives up, goes into the audit line. */
		free(key);
		key = NULL;
		if ((rc = sq_stmt(q, S_STATUS, &st, e)) != 0)
			goto out;
		sqlite3_bind_text(st, 1, v[i].issuer, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, v[i].serial, (int)v[i].serial_len,
		    SQLITE_STATIC);
		if ((x = sqlite3_step(st)) == SQLITE_ROW &&
		    sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    (key = strdup((const char *)sqlite3_column_text(st, 1))) ==
		    NULL)
			x = SQLITE_NOMEM;
		if (x != SQLITE_ROW && x != SQLITE_DONE) {
			rc = x == SQLITE_NOMEM ? ST_E_NOMEM :
			    sq_fail(q, e, "abort");
			sq_reset(st);
			goto out;
		}
		sq_reset(st);
		if ((rc = sq_stmt(q, S_ABORT, &st, e)) != 0)
			goto out;
		sqlite3_bind_text(st, 1, v[i].issuer, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, v[i].serial, (int)v[i].serial_len,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = sq_fail(q, e, "abort");
			sq_reset(st);
			goto out;
		}
		sq_reset(st);
		if (sqlite3_changes(q->db) == 0) {
			rc = sq_why(q, v[i].issuer, v[i].serial,
			    v[i].serial_len, "abort", e);
			goto out;
		}
		store_serial_hex(v[i].serial, v[i].serial_len, shex);
		f[0] = AF_STR("issuer", v[i].issuer);
		f[1] = AF_STR("reason", reason);
		f[2] = AF_STR("request", key);
		f[3] = AF_STR("serial", shex);
		if ((rc = sq_audit_put(q, &h, now, "abort", f, 4, NULL,
		    e)) != 0)
			goto out;
	}
	rc = sq_commit(q, e);
out:
	sq_rollback(q);
	free(key);
	return rc;
}

/*
 * Read every pending row into owned copies first, then call back, so the
 * callback may use the handle (recovery commits from inside it).
 */
static int
sq_pending_list(struct store *s, const char *issuer, store_cert_cb cb,
    void *arg, struct st_err *e)
{
	struct sq		 *q = sq_of(s);
	sqlite3_stmt		 *st = NULL;
	struct store_cert	**v = NULL, **nv, c;
	size_t			  n = 0, cap = 0, i;
	int			  rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, issuer != NULL ? S_PENDING_ISSUER :
	    S_PENDING_ALL, &st, e)) != 0)
		goto out;
	if (issuer != NULL)
		sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				rc = ST_E_NOMEM;
				goto out;
			}
			v = nv;
		}
		sq_row_cert(st, &c);
		if ((rc = store_cert_dup(&c, &v[n])) != 0)
			goto out;
		n++;
	}
	if (x != SQLITE_DONE) {
		rc = sq_fail(q, e, "pending list");
		goto out;
	}
	sq_reset(st);
	st = NULL;
	for (i = 0; i < n; i++)
		if ((rc = cb(arg, v[i])) != 0)
			goto out;
	rc = 0;
out:
	sq_reset(st);
	for (i = 0; i < n; i++)
		store_cert_free(v[i]);
	free(v);
	return rc;
}

/* Run a cached one-row SELECT of CERT_COLS and copy the row. */
static int
sq_get_one(struct sq *q, sqlite3_stmt *st, const char *what,
    struct store_cert **out, struct st_err *e)
{
	struct store_cert	c;
	int			rc = ST_E_INTERNAL, x;

	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		rc = st_err_set(e, ST_E_NOTFOUND, "store: %s: not found",
		    what);
		goto out;
	}
	if (x != SQLITE_ROW) {
		rc = sq_fail(q, e, what);
		goto out;
	}
	sq_row_cert(st, &c);
	if ((rc = store_cert_dup(&c, out)) != 0)
		goto out;
	if ((x = sqlite3_step(st)) == SQLITE_ROW) {
		store_cert_free(*out);
		*out = NULL;
		rc = st_err_set(e, ST_E_EXISTS,
		    "store: %s: several issuers use this serial; name the "
		    "issuer", what);
		goto out;
	}
	rc = 0;
out:
	sq_reset(st);
	return rc;
}

static int
sq_request_lookup(struct store *s, const char *key, struct store_cert **out,
    struct st_err *e)
{
	struct sq	*q = sq_of(s);
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sq_stmt(q, S_LOOKUP, &st, e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return sq_get_one(q, st, "request lookup", out, e);
}

/*
 * Every key's row, read in one transaction: one snapshot, and one
 * acquisition of SQLite's read lock (eight fcntl calls in WAL mode)
 * instead of one per key.  A single key needs no explicit transaction.
 */
static int
sq_request_lookup_many(struct store *s, const char *const *keys, size_t n,
    struct store_cert **out, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	sqlite3_stmt		*st;
	struct store_cert	 c;
	size_t			 i, nkeys = 0;
	int			 rc = ST_E_INTERNAL, x;

	for (i = 0; i < n; i++)
		if (keys[i] != NULL)
			nkeys++;
	if ((rc = sq_stmt(q, S_LOOKUP, &st, e)) != 0 || (nkeys > 1 &&
	    (rc = sq_run(q, S_BEGIN_READ, "request lookup", e)) != 0))
		goto out;
	for (i = 0; i < n; i++) {
		if (keys[i] == NULL)
			continue;
		sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
		if ((x = sqlite3_step(st)) == SQLITE_ROW) {
			sq_row_cert(st, &c);
			if ((rc = store_cert_dup(&c, &out[i])) != 0) {
				sq_reset(st);
				goto out;
			}
			x = sqlite3_step(st);
		}
		if (x != SQLITE_DONE) {
			rc = sq_fail(q, e, "request lookup");
			sq_reset(st);
			goto out;
		}
		sq_reset(st);
	}
	rc = nkeys > 1 ? sq_commit(q, e) : 0;
out:
	sq_rollback(q);
	return rc;
}

static int
sq_cert_get(struct store *s, const char *issuer, const uint8_t *serial,
    size_t len, struct store_cert **out, struct st_err *e)
{
	struct sq	*q = sq_of(s);
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sq_stmt(q, issuer != NULL ? S_GET : S_GET_SERIAL, &st,
	    e)) != 0)
		return rc;
	if (issuer != NULL) {
		sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, serial, (int)len, SQLITE_STATIC);
	} else
		sqlite3_bind_blob(st, 1, serial, (int)len, SQLITE_STATIC);
	return sq_get_one(q, st, "certificate", out, e);
}

static int
sq_cert_iter(struct store *s, const char *issuer, enum store_status status,
    store_cert_cb cb, void *arg, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	sqlite3_stmt		*st;
	struct store_cert	 c;
	int			 rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, S_ITER, &st, e)) != 0)
		return rc;
	if (issuer != NULL)
		sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	if (status != STORE_ANY)
		sqlite3_bind_text(st, 2, store_status_name(status), -1,
		    SQLITE_STATIC);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		sq_row_cert(st, &c);
		if ((rc = cb(arg, &c)) != 0)
			goto out;
	}
	rc = x == SQLITE_DONE ? 0 : sq_fail(q, e, "list");
out:
	sq_reset(st);
	return rc;
}

static int
sq_cert_revoke(struct store *s, const char *issuer, const uint8_t *serial,
    size_t len, int reason, int64_t when, json_t *audit, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct store_audit_head	 h;
	sqlite3_stmt		*st;
	struct audit_field	 f[5];
	char			 shex[2 * STORE_SERIAL_MAX + 1], tbuf[32];
	int			 rc = ST_E_INTERNAL;

	if ((rc = sq_stmt(q, S_REVOKE, &st, e)) != 0 ||
	    (rc = sq_begin(q, e)) != 0 || (rc = sq_audit_load(q, &h, e)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, serial, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when);
	sqlite3_bind_int(st, 4, reason);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sq_fail(q, e, "revoke");
		sq_reset(st);
		goto out;
	}
	sq_reset(st);
	if (sqlite3_changes(q->db) == 0) {
		rc = sq_why(q, issuer, serial, len, "revoke", e);
		goto out;
	}
	store_serial_hex(serial, len, shex);
	audit_time(when, tbuf, sizeof(tbuf));
	f[0] = AF_STR("issuer", issuer);
	f[1] = AF_INT("reason", reason);
	f[2] = AF_STR("reason_name", store_reason_name(reason));
	f[3] = AF_STR("revoked_at", tbuf);
	f[4] = AF_STR("serial", shex);
	if ((rc = sq_audit_put(q, &h, (int64_t)time(NULL), "revoke", f, 5,
	    audit, e)) != 0)
		goto out;
	rc = sq_commit(q, e);
out:
	sq_rollback(q);
	return rc;
}

static int
sq_revoked_iter(struct store *s, const char *issuer, store_revoked_cb cb,
    void *arg, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	sqlite3_stmt		*st;
	struct store_revoked	 r;
	int			 rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, S_REVOKED, &st, e)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		r.serial = sqlite3_column_blob(st, 0);
		r.serial_len = (size_t)sqlite3_column_bytes(st, 0);
		r.revoked_at = sqlite3_column_int64(st, 1);
		r.reason = sqlite3_column_int(st, 2);
		r.not_after = sqlite3_column_int64(st, 3);
		if ((rc = cb(arg, &r)) != 0)
			goto out;
	}
	rc = x == SQLITE_DONE ? 0 : sq_fail(q, e, "revoked list");
out:
	sq_reset(st);
	return rc;
}

static int
sq_crl_numbers_iter(struct store *s, int (*cb)(void *, const char *, int64_t),
    void *arg, struct st_err *e)
{
	struct sq	*q = sq_of(s);
	sqlite3_stmt	*st;
	const char	*name;
	int		 rc, x;

	if ((rc = sq_stmt(q, S_CRL_ALL, &st, e)) != 0)
		return rc;
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name != NULL &&
		    (rc = cb(arg, name, sqlite3_column_int64(st, 1))) != 0)
			goto out;
	}
	rc = x == SQLITE_DONE ? 0 : sq_fail(q, e, "CRL numbers");
out:
	sq_reset(st);
	return rc;
}

static int
sq_crl_next_number(struct store *s, const char *issuer, json_t *audit,
    int64_t *number, struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct store_audit_head	 h;
	sqlite3_stmt		*st;
	struct audit_field	 f[2];
	int64_t			 n = 0;
	int			 rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, S_CRL, &st, e)) != 0 ||
	    (rc = sq_begin(q, e)) != 0 || (rc = sq_audit_load(q, &h, e)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	if ((x = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		x = sqlite3_step(st);
	}
	if (x != SQLITE_DONE || n <= 0) {
		rc = sq_fail(q, e, "CRL number");
		sq_reset(st);
		goto out;
	}
	sq_reset(st);
	f[0] = AF_STR("issuer", issuer);
	f[1] = AF_INT("number", n);
	if ((rc = sq_audit_put(q, &h, (int64_t)time(NULL), "crl", f, 2, audit,
	    e)) != 0 || (rc = sq_commit(q, e)) != 0)
		goto out;
	*number = n;
	rc = 0;
out:
	sq_rollback(q);
	return rc;
}

/* Every line after the head, in order, in one transaction. */
static int
sq_audit_append(struct store *s, const struct store_audit_rec *v, size_t n,
    struct st_err *e)
{
	struct sq		*q = sq_of(s);
	struct store_audit_head	 h;
	int64_t			 now = (int64_t)time(NULL);
	size_t			 i;
	int			 rc = ST_E_INTERNAL;

	if ((rc = sq_begin(q, e)) != 0 || (rc = sq_audit_load(q, &h, e)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = sq_audit_put(q, &h, now, v[i].event, NULL, 0,
		    v[i].fields, e)) != 0)
			goto out;
	rc = sq_commit(q, e);
out:
	sq_rollback(q);
	return rc;
}

static int
sq_audit_head(struct store *s, struct store_audit_head *out,
    struct st_err *e)
{
	return sq_audit_load(sq_of(s), out, e);
}

static int
sq_audit_iter(struct store *s, int (*cb)(void *, const char *, size_t),
    void *arg, struct st_err *e)
{
	struct sq	*q = sq_of(s);
	sqlite3_stmt	*st;
	int		 rc = ST_E_INTERNAL, x;

	if ((rc = sq_stmt(q, S_AUDIT_ALL, &st, e)) != 0)
		return rc;
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);

		if ((rc = cb(arg, line != NULL ? line : "",
		    (size_t)sqlite3_column_bytes(st, 0))) != 0)
			goto out;
	}
	rc = x == SQLITE_DONE ? 0 : sq_fail(q, e, "audit read");
out:
	sq_reset(st);
	return rc;
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.schema_version = sq_schema_version,
	.issue_reserve = sq_issue_reserve,
	.issue_commit = sq_issue_commit,
	.issue_abort = sq_issue_abort,
	.pending_list = sq_pending_list,
	.request_lookup = sq_request_lookup,
	.request_lookup_many = sq_request_lookup_many,
	.cert_get = sq_cert_get,
	.cert_iter = sq_cert_iter,
	.cert_revoke = sq_cert_revoke,
	.revoked_iter = sq_revoked_iter,
	.crl_next_number = sq_crl_next_number,
	.crl_numbers_iter = sq_crl_numbers_iter,
	.audit_append = sq_audit_append,
	.audit_head = sq_audit_head,
	.audit_iter = sq_audit_iter,
	.run_id = sq_run_id,
	.run_alive = sq_run_alive,
};

/* Set the journal mode to WAL; the pragma answers with the mode in force. */
static int
sq_wal(struct sq *q, struct st_err *e)
{
	sqlite3_stmt	*st = NULL;
	const char	*mode;
	int		 rc = ST_E_INTERNAL;

	if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		rc = sq_fail(q, e, "open");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		rc = st_err_set(e, ST_E_STORE,
		    "store: open: cannot switch to WAL (journal mode %s)",
		    mode ? mode : "unknown");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * Everything after opening the file: WAL, pragmas, the application id,
 * the schema version (and migrations unless read-only).
 */
static int
sq_setup(struct sq *q, const char *path, struct st_err *e)
{
	int64_t	appid, v;
	int	rc = ST_E_INTERNAL;

	if (!q->readonly && (rc = sq_wal(q, e)) != 0)
		goto out;
	if ((rc = sq_exec(q, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; "
	    "PRAGMA wal_autocheckpoint = " WAL_CHECKPOINT_PAGES "; "
	    "PRAGMA journal_size_limit = " WAL_SIZE_LIMIT, "open", e)) != 0 ||
	    (rc = sq_int(q, "PRAGMA application_id", &appid, e)) != 0)
		goto out;
	if (appid != 0 && appid != APPLICATION_ID) {
		rc = st_err_set(e, ST_E_STORE,
		    "store: %s: not a stica database (application_id %lld)",
		    path, (long long)appid);
		goto out;
	}
	if (q->readonly) {
		if ((rc = sq_version(q, &v, e)) != 0)
			goto out;
		if (v > NMIGRATIONS) {
			rc = sq_too_new(v, e);
			goto out;
		}
		/*
		 * Every version since 1 has the columns the reading
		 * statements use but those of version 3, which a handle on
		 * an older database reads as NULL (stmt_sql_old), so an
		 * older database is read as it is.
		 */
		if (v < 1) {
			rc = st_err_set(e, ST_E_STORE,
			    "store: %s: schema version %lld, expected 1 to %d "
			    "(open it once read-write to create it)", path,
			    (long long)v, NMIGRATIONS);
			goto out;
		}
		q->schema = v;
	} else if ((rc = sq_migrate(q, e)) != 0)
		goto out;
	else
		q->schema = NMIGRATIONS;
	rc = 0;
out:
	return rc;
}

/*
 * Open path.  While another process creates the same database or turns it
 * to WAL, SQLite may answer SQLITE_BUSY without calling the busy handler;
 * the setup is then retried for up to BUSY_MS.
 */
int
store_sqlite_open(const char *path, bool readonly, struct store **out,
    struct st_err *e)
{
	struct sq	*q = NULL;
	struct stat	 sb;
	struct st_err	 e1;
	int		 flags, waited, rc = ST_E_INTERNAL;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	q->base.ops = &sq_ops;
	q->readonly = readonly;
	q->runfd = -1;
	if (readonly && stat(path, &sb) != 0) {
		rc = st_err_set(e, errno == ENOENT ? ST_E_NOTFOUND : ST_E_IO,
		    "store: %s: %s", path, strerror(errno));
		goto out;
	}
	flags = SQLITE_OPEN_NOMUTEX | (readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
		rc = q->db == NULL ? ST_E_NOMEM : st_err_set(e, ST_E_STORE,
		    "store: %s: %s", path, sqlite3_errmsg(q->db));
		goto out;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_MS);
	for (waited = 0;; waited += 20) {
		st_err_clear(&e1);
		if ((rc = sq_setup(q, path, &e1)) == 0)
			break;
		if ((sqlite3_extended_errcode(q->db) & 0xff) != SQLITE_BUSY ||
		    waited >= BUSY_MS) {
			if (e1.msg[0] != '\0')
				st_err_set(e, rc, "%s", e1.msg);
			goto out;
		}
		sqlite3_sleep(20);
	}
	*out = &q->base;
	q = NULL;
	rc = 0;
out:
	if (q != NULL)
		sq_close(&q->base);
	return rc;
}
