/* SPDX-License-Identifier: ISC */
/*
 * store/ tests against temporary SQLite files: migrations, two-phase
 * issuance (reserve, commit, abort), serial and request-key uniqueness,
 * recovery of pending rows after a crash, revocation rules, CRL numbers,
 * the audit chain and its verifier, and bad input that must change
 * nothing.  The sqlite3 command-line tool is the independent judge of what
 * is in the file (and the agent that tampers with it); the audit chain is
 * recomputed here with OpenSSL's SHA-256 and jansson.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "store/store.h"
#include "store/store_int.h"
#include "tests/unit/harness.h"

static char tmpdir[256];
static char dbpath[300];
static char uri[320];
static int dbn;

/* A fresh database path for each test. */
static void
newdb(void)
{
	snprintf(dbpath, sizeof(dbpath), "%s/t%d.db", tmpdir, ++dbn);
	snprintf(uri, sizeof(uri), "sqlite:%s", dbpath);
}

/*
 * Run one SQL text through the sqlite3 CLI; its output (trimmed) into out.
 * Returns the CLI's exit status.
 */
static int
cli(const char *query, char *out, size_t outsz)
{
	char	qf[320], of[320], cmd[1200];
	FILE	*f;
	size_t	 n = 0;
	int	 st;

	snprintf(qf, sizeof(qf), "%s/q.sql", tmpdir);
	snprintf(of, sizeof(of), "%s/q.out", tmpdir);
	if ((f = fopen(qf, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", query);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sqlite3 -batch '%s' < '%s' > '%s' 2>&1",
	    dbpath, qf, of);
	st = system(cmd);
	if (out != NULL && (f = fopen(of, "r")) != NULL) {
		n = fread(out, 1, outsz - 1, f);
		fclose(f);
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
			n--;
		out[n] = '\0';
	}
	return st;
}

/* The CLI's answer to a query returning one integer. */
static long long
cli_int(const char *query)
{
	char	buf[256];

	if (cli(query, buf, sizeof(buf)) != 0)
		return -999;
	return strtoll(buf, NULL, 10);
}

/* A TBS-like DER SEQUENCE of about 480 bytes that embeds the serial. */
static size_t
make_tbs(uint8_t *buf, const uint8_t *serial, size_t slen, int salt)
{
	size_t	body = 480, i;

	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	for (i = 0; i < body; i++)
		buf[4 + i] = (uint8_t)(i * 7 + (size_t)salt);
	buf[4] = 0x02;
	buf[5] = (uint8_t)slen;
	memcpy(buf + 6, serial, slen);
	return body + 4;
}

/* Certificate ::= SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }. */
static size_t
make_der(uint8_t *buf, const uint8_t *tbs, size_t tbslen)
{
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	size_t	body = tbslen + sizeof(alg) + 2 + 72, off;

	buf[0] = 0x30;
	buf[1] = 0x82;
	buf[2] = (uint8_t)(body >> 8);
	buf[3] = (uint8_t)body;
	memcpy(buf + 4, tbs, tbslen);
	off = 4 + tbslen;
	memcpy(buf + off, alg, sizeof(alg));
	off += sizeof(alg);
	buf[off++] = 0x03;
	buf[off++] = 72;
	memset(buf + off, 0xab, 72);
	buf[off] = 0;
	return off + 72;
}

/* One test certificate: serial, TBS and DER buffers. */
struct tc {
	uint8_t	serial[20];
	size_t	slen;
	uint8_t	tbs[600];
	size_t	tbslen;
	uint8_t	der[800];
	size_t	derlen;
	char	key[32];
};

static const uint8_t tnauth_der[] = { 0x30, 0x08, 0xa0, 0x06, 0x16, 0x04,
	'7', '0', '9', 'J' };

static void
tc_init(struct tc *t, unsigned id)
{
	memset(t, 0, sizeof(*t));
	t->slen = 9;
	t->serial[0] = 0x51;
	t->serial[5] = (uint8_t)(id >> 16);
	t->serial[6] = (uint8_t)(id >> 8);
	t->serial[7] = (uint8_t)id;
	t->serial[8] = 0x77;
	t->tbslen = make_tbs(t->tbs, t->serial, t->slen, (int)id);
	t->derlen = make_der(t->der, t->tbs, t->tbslen);
	snprintf(t->key, sizeof(t->key), "line-%u", id);
}

static struct store_intent
intent(const struct tc *t, const char *issuer, bool with_key)
{
	struct store_intent it = {
		.issuer = issuer,
		.serial = t->serial,
		.serial_len = t->slen,
		.profile = "per-tn",
		.subject = "CN=SHAKEN 709J",
		.tnauth = tnauth_der,
		.tnauth_len = sizeof(tnauth_der),
		.not_before = 1767225600,	/* 2026-01-01T00:00:00Z */
		.not_after = 1798761600,	/* 2027-01-01T00:00:00Z */
		.tbs = t->tbs,
		.tbs_len = t->tbslen,
		.request_key = with_key ? t->key : NULL,
	};
	return it;
}

static struct store_signed
signed_of(const struct tc *t, const char *issuer)
{
	struct store_signed sg = {
		.issuer = issuer,
		.serial = t->serial,
		.serial_len = t->slen,
		.der = t->der,
		.der_len = t->derlen,
		.audit = NULL,
	};
	return sg;
}

static struct store_ref
ref_of(const struct tc *t, const char *issuer)
{
	struct store_ref r = { issuer, t->serial, t->slen };
	return r;
}

/* Reserve and commit n certificates ids first..first+n-1 of issuer. */
static int
issue_n(struct store *s, const char *issuer, unsigned first, size_t n)
{
	struct tc		*t;
	struct store_intent	*in;
	struct store_signed	*sg;
	size_t			 i;
	int			 rc = ST_E_NOMEM;

	t = calloc(n, sizeof(*t));
	in = calloc(n, sizeof(*in));
	sg = calloc(n, sizeof(*sg));
	if (t == NULL || in == NULL || sg == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		tc_init(&t[i], first + (unsigned)i);
		in[i] = intent(&t[i], issuer, true);
		sg[i] = signed_of(&t[i], issuer);
	}
	if ((rc = store_issue_reserve(s, in, n, NULL, NULL)) == 0)
		rc = store_issue_commit(s, sg, n, NULL);
out:
	free(t);
	free(in);
	free(sg);
	return rc;
}

/* ------------------------------------------------------------------ */

static void
t_open_migrate(void)
{
	struct store	*s = NULL;
	struct st_err	 e;
	char		 buf[64];
	int		 v;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_schema_version(s, &v, &e), 0);
	ASSERT_INT_EQ(v, STORE_SCHEMA_VERSION);
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM schema_migrations"),
	    STORE_SCHEMA_VERSION);
	ASSERT_INT_EQ(cli_int("SELECT max(version) FROM schema_migrations"),
	    STORE_SCHEMA_VERSION);
	ASSERT_INT_EQ(cli("PRAGMA journal_mode", buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, "wal");
	ASSERT_INT_EQ(cli_int("PRAGMA application_id"), 1398031169);
	/* Re-open: nothing re-applied. */
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	store_close(s);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM schema_migrations"),
	    STORE_SCHEMA_VERSION);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('certs', 'audit', 'crl_numbers')"), 3);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name LIKE 'certs_v%'"), 0);
}

/*
 * SQLite's own plan for a statement (EXPLAIN, through the CLI) has no
 * OpenEphemeral: no temporary b-tree is built on every execution.
 */
static int
no_ephemeral(const char *sql)
{
	char	q[1200], out[16384];

	snprintf(q, sizeof(q), "EXPLAIN %s;", sql);
	if (cli(q, out, sizeof(out)) != 0 || strstr(out, "Insert") == NULL)
		return 0;
	return strstr(out, "OpenEphemeral") == NULL;
}

/*
 * The CHECK constraints of certs cost no ephemeral table on the
 * statements issuance runs (schema version 2), and still refuse what
 * they refused.
 */
static void
t_checks_cheap(void)
{
	struct store	*s = NULL;
	struct st_err	 e;
	char		 out[512];

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(issue_n(s, "ca-1", 1, 2), 0);
	store_close(s);
	ASSERT_TRUE(no_ephemeral("INSERT INTO certs (issuer, serial, profile, "
	    "subject, tnauth, not_before, not_after, tbs, status, "
	    "request_key, created_at) VALUES ('c', x'01', 'p', 's', NULL, 1, "
	    "2, x'3000', 'pending', NULL, 3)"));
	ASSERT_TRUE(no_ephemeral("UPDATE certs SET status = 'valid', der = "
	    "x'30023000', tbs = NULL, issued_at = 4 WHERE id = 1 AND status = "
	    "'pending'"));
	ASSERT_INT_NE(cli("UPDATE certs SET status = 'bogus' WHERE id = 1",
	    out, sizeof(out)), 0);
	ASSERT_STR_CONTAINS(out, "CHECK constraint failed");
	ASSERT_INT_NE(cli("UPDATE certs SET der = NULL WHERE id = 1", out,
	    sizeof(out)), 0);
	ASSERT_STR_CONTAINS(out, "CHECK constraint failed");
	ASSERT_INT_NE(cli("UPDATE certs SET revoked_at = 5 WHERE id = 1", out,
	    sizeof(out)), 0);
	ASSERT_INT_NE(cli("INSERT INTO certs (issuer, serial, profile, "
	    "subject, not_before, not_after, tbs, status, created_at) VALUES "
	    "('c', 'text', 'p', 's', 1, 2, x'3000', 'pending', 3)", out,
	    sizeof(out)), 0);
	ASSERT_STR_CONTAINS(out, "CHECK constraint failed");
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 2);
}

static void
t_newer_refused(void)
{
	struct store	*s = NULL;
	struct st_err	 e;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(cli("INSERT INTO schema_migrations VALUES (99, 'x')",
	    NULL, 0), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_open(uri, &s, &e), ST_E_STORE);
	ASSERT_TRUE(s == NULL);
	ASSERT_STR_CONTAINS(e.msg, "schema version 99 is newer");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_open_readonly(uri, &s, &e), ST_E_STORE);
	ASSERT_STR_CONTAINS(e.msg, "newer");
	/* Refusing changed nothing. */
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM schema_migrations"),
	    STORE_SCHEMA_VERSION + 1);
}

static void
t_not_stica(void)
{
	struct store	*s = NULL;
	struct st_err	 e;

	newdb();
	ASSERT_INT_EQ(cli("PRAGMA application_id = 42; CREATE TABLE x (y);",
	    NULL, 0), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_open(uri, &s, &e), ST_E_STORE);
	ASSERT_STR_CONTAINS(e.msg, "not a stica database");
}

static void
t_uri(void)
{
	struct store	*s = NULL;
	struct st_err	 e;
	struct stat	 sb;

	st_err_clear(&e);
	ASSERT_INT_EQ(store_open("mysql:x", &s, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "sqlite:PATH");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_open("postgresql://db/stica", &s, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "PostgreSQL");
	ASSERT_INT_EQ(store_open("sqlite:", &s, NULL), ST_E_USAGE);
	newdb();
	st_err_clear(&e);
	ASSERT_INT_EQ(store_open_readonly(uri, &s, &e), ST_E_NOTFOUND);
	ASSERT_TRUE(s == NULL);
	ASSERT_INT_EQ(stat(dbpath, &sb), -1);
}

static void
t_reserve_commit(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in[3];
	struct store_signed	 sg[3];
	struct store_audit_report rep;
	struct tc		 t[3];
	struct st_err		 e;
	int			 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	for (i = 0; i < 3; i++) {
		tc_init(&t[i], (unsigned)i + 1);
		in[i] = intent(&t[i], "ca-1", true);
		sg[i] = signed_of(&t[i], "ca-1");
	}
	in[2].tnauth = NULL;
	in[2].tnauth_len = 0;
	ASSERT_INT_EQ(store_issue_reserve(s, in, 3, NULL, &e), 0);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", t[0].serial, t[0].slen, &c,
	    &e), 0);
	ASSERT_INT_EQ(c->status, STORE_PENDING);
	ASSERT_MEM_EQ(c->tbs, c->tbs_len, t[0].tbs, t[0].tbslen);
	ASSERT_TRUE(c->der == NULL);
	ASSERT_STR_EQ(c->request_key, "line-1");
	ASSERT_STR_EQ(c->profile, "per-tn");
	ASSERT_MEM_EQ(c->tnauth, c->tnauth_len, tnauth_der, sizeof(tnauth_der));
	ASSERT_INT_EQ(c->not_after, 1798761600);
	store_cert_free(c);
	c = NULL;
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'pending' AND der IS NULL"), 3);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 0);

	ASSERT_INT_EQ(store_issue_commit(s, sg, 3, &e), 0);
	ASSERT_INT_EQ(store_cert_get_by_serial(s, t[1].serial, t[1].slen, &c,
	    &e), 0);
	ASSERT_INT_EQ(c->status, STORE_VALID);
	ASSERT_MEM_EQ(c->der, c->der_len, t[1].der, t[1].derlen);
	/* The TBS now lives only inside the certificate. */
	ASSERT_MEM_EQ(c->tbs, c->tbs_len, t[1].tbs, t[1].tbslen);
	ASSERT_TRUE(c->issued_at > 0);
	ASSERT_INT_EQ(c->reason, -1);
	store_cert_free(c);
	c = NULL;
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", t[2].serial, t[2].slen, &c,
	    &e), 0);
	ASSERT_TRUE(c->tnauth == NULL);
	store_cert_free(c);
	c = NULL;
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'valid' AND length(der) > 500 AND tbs IS NULL"), 3);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.event') = 'issue'"), 3);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE seq = 1 AND "
	    "json_extract(line, '$.serial') = '51000000000000017" "7' AND "
	    "json_extract(line, '$.issuer') = 'ca-1' AND "
	    "json_extract(line, '$.request') = 'line-1' AND "
	    "json_extract(line, '$.not_before') = '2026-01-01T00:00:00Z' AND "
	    "json_extract(line, '$.tnauthlist') = 'MAigBhYENzA5Sg'"), 1);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.head.seq, 3);
	ASSERT_INT_EQ(rep.lines, 3);
	store_close(s);
}

/* The "sha256" of an issue line is the certificate's SHA-256. */
static void
t_issue_line_hash(void)
{
	struct store	*s = NULL;
	struct tc	 t;
	struct st_err	 e;
	unsigned char	 md[32];
	char		 want[65], q[200];
	int		 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(issue_n(s, "ca-1", 7, 1), 0);
	store_close(s);
	tc_init(&t, 7);
	SHA256(t.der, t.derlen, md);
	for (i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.sha256') = '%s'", want);
	ASSERT_INT_EQ(cli_int(q), 1);
}

static void
t_serial_collision(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in[2];
	struct tc		 a, b;
	struct st_err		 e;
	size_t			 conflict = 99;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	tc_init(&a, 1);
	tc_init(&b, 2);
	in[0] = intent(&a, "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, in, 1, NULL, &e), 0);
	in[0] = intent(&b, "ca-1", false);
	in[1] = intent(&a, "ca-1", false);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, in, 2, &conflict, &e),
	    ST_E_EXISTS);
	ASSERT_INT_EQ(conflict, 1);
	ASSERT_STR_CONTAINS(e.msg, "has used serial 510000000000000177");
	ASSERT_STR_CONTAINS(e.msg, "draw another");
	/* All or nothing: b was not recorded. */
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", b.serial, b.slen, &c, NULL),
	    ST_E_NOTFOUND);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 1);
	/* Another issuer may use the same serial. */
	in[0] = intent(&a, "ca-2", false);
	ASSERT_INT_EQ(store_issue_reserve(s, in, 1, NULL, &e), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_cert_get_by_serial(s, a.serial, a.slen, &c, &e),
	    ST_E_EXISTS);
	ASSERT_STR_CONTAINS(e.msg, "name the issuer");
	ASSERT_TRUE(c == NULL);
	/* A duplicate inside one batch is caught too. */
	in[0] = intent(&b, "ca-1", false);
	in[1] = intent(&b, "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, in, 2, &conflict, NULL),
	    ST_E_EXISTS);
	ASSERT_INT_EQ(conflict, 1);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 2);
	store_close(s);
}

static void
t_request_key(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in;
	struct store_ref	 r;
	struct tc		 a, b, d;
	struct st_err		 e;
	size_t			 conflict = 99;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	tc_init(&a, 1);
	tc_init(&b, 2);
	tc_init(&d, 3);
	snprintf(b.key, sizeof(b.key), "%s", a.key);
	snprintf(d.key, sizeof(d.key), "%s", a.key);
	in = intent(&a, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	in = intent(&b, "ca-1", true);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, &conflict, &e),
	    ST_E_EXISTS);
	ASSERT_INT_EQ(conflict, 0);
	ASSERT_STR_CONTAINS(e.msg, "request key 'line-1' is already taken");
	ASSERT_INT_EQ(store_request_lookup(s, "line-1", &c, &e), 0);
	ASSERT_MEM_EQ(c->serial, c->serial_len, a.serial, a.slen);
	ASSERT_INT_EQ(c->status, STORE_PENDING);
	store_cert_free(c);
	c = NULL;
	ASSERT_INT_EQ(store_request_lookup(s, "line-2", &c, NULL),
	    ST_E_NOTFOUND);
	/* Aborting frees the key (not the serial). */
	r = ref_of(&a, "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "HSM unavailable", &e), 0);
	ASSERT_INT_EQ(store_request_lookup(s, "line-1", &c, NULL),
	    ST_E_NOTFOUND);
	in = intent(&b, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	ASSERT_INT_EQ(store_request_lookup(s, "line-1", &c, &e), 0);
	ASSERT_MEM_EQ(c->serial, c->serial_len, b.serial, b.slen);
	store_cert_free(c);
	c = NULL;
	in = intent(&a, "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_EXISTS);
	/* Once issued the key stays taken. */
	{
		struct store_signed sg = signed_of(&b, "ca-1");

		ASSERT_INT_EQ(store_issue_commit(s, &sg, 1, &e), 0);
	}
	in = intent(&d, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_EXISTS);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", a.serial, a.slen, &c, &e), 0);
	ASSERT_INT_EQ(c->status, STORE_ABORTED);
	ASSERT_STR_EQ(c->abort_reason, "HSM unavailable");
	ASSERT_TRUE(c->request_key == NULL);
	ASSERT_MEM_EQ(c->tbs, c->tbs_len, a.tbs, a.tbslen);
	store_cert_free(c);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.event') = 'abort' AND "
	    "json_extract(line, '$.reason') = 'HSM unavailable' AND "
	    "json_extract(line, '$.request') = 'line-1'"), 1);
	store_close(s);
}

static void
t_commit_rules(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in[2];
	struct store_signed	 sg[2];
	struct store_ref	 r;
	struct tc		 a, b, x;
	struct st_err		 e;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	tc_init(&a, 1);
	tc_init(&b, 2);
	in[0] = intent(&a, "ca-1", true);
	in[1] = intent(&b, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(s, in, 2, NULL, &e), 0);
	/* Unknown serial. */
	tc_init(&x, 9);
	sg[0] = signed_of(&x, "ca-1");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), ST_E_NOTFOUND);
	ASSERT_STR_CONTAINS(e.msg, "has no serial");
	/* A certificate whose TBS is not the reserved one. */
	sg[0] = signed_of(&a, "ca-1");
	sg[0].der = x.der;
	sg[0].der_len = x.derlen;
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(e.msg, "reserved TBS");
	/* Not DER at all. */
	sg[0].der = a.tbs + 4;
	sg[0].der_len = 100;
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, NULL), ST_E_USAGE);
	/* All or nothing: a good first row and a bad second one. */
	sg[0] = signed_of(&a, "ca-1");
	sg[1] = signed_of(&x, "ca-1");
	ASSERT_INT_EQ(store_issue_commit(s, sg, 2, NULL), ST_E_NOTFOUND);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'pending'"), 2);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 0);
	/* Extra audit fields may not clash. */
	sg[0].audit = json_pack("{s:s}", "serial", "forged");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "clashes");
	json_decref(sg[0].audit);
	sg[0].audit = json_pack("{s:s}", "seq", "1");
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, NULL), ST_E_USAGE);
	json_decref(sg[0].audit);
	sg[0].audit = json_pack("{s:s}", "batch", "input.jsonl");
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), 0);
	json_decref(sg[0].audit);
	sg[0].audit = NULL;
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.batch') = 'input.jsonl'"), 1);
	/* Twice. */
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), ST_E_EXISTS);
	ASSERT_STR_CONTAINS(e.msg, "already valid");
	/* Abort of a valid row, then commit of an aborted one. */
	r = ref_of(&a, "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "late", NULL), ST_E_EXISTS);
	r = ref_of(&b, "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "lint failed", &e), 0);
	sg[0] = signed_of(&b, "ca-1");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(s, sg, 1, &e), ST_E_NOTFOUND);
	ASSERT_STR_CONTAINS(e.msg, "aborted");
	r = ref_of(&x, "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "x", NULL), ST_E_NOTFOUND);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", b.serial, b.slen, &c, &e), 0);
	ASSERT_INT_EQ(c->status, STORE_ABORTED);
	ASSERT_TRUE(c->der == NULL);
	store_cert_free(c);
	store_close(s);
}

/* Recovery: sign each pending TBS again and commit from the callback. */
static int
recover_cb(void *arg, const struct store_cert *c)
{
	struct store		*s = arg;
	struct store_signed	 sg;
	uint8_t			 der[800];
	size_t			 len;

	len = make_der(der, c->tbs, c->tbs_len);
	sg.issuer = c->issuer;
	sg.serial = c->serial;
	sg.serial_len = c->serial_len;
	sg.der = der;
	sg.der_len = len;
	sg.audit = json_pack("{s:b}", "recovered", 1);
	len = (size_t)store_issue_commit(s, &sg, 1, NULL);
	json_decref(sg.audit);
	return (int)len;
}

static int
count_cb(void *arg, const struct store_cert *c)
{
	int	*n = arg;

	(void)c;
	(*n)++;
	return 0;
}

static void
t_pending_after_crash(void)
{
	struct store		*s = NULL;
	struct store_intent	 in[5];
	struct store_signed	 sg;
	struct tc		 t[5];
	struct st_err		 e;
	int			 i, n;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	for (i = 0; i < 5; i++) {
		tc_init(&t[i], 100 + (unsigned)i);
		in[i] = intent(&t[i], i < 4 ? "ca-1" : "ca-2", true);
	}
	ASSERT_INT_EQ(store_issue_reserve(s, in, 5, NULL, &e), 0);
	sg = signed_of(&t[0], "ca-1");
	ASSERT_INT_EQ(store_issue_commit(s, &sg, 1, &e), 0);
	/* "Crash": close without committing the other four. */
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	n = 0;
	ASSERT_INT_EQ(store_pending_list(s, NULL, count_cb, &n, &e), 0);
	ASSERT_INT_EQ(n, 4);
	n = 0;
	ASSERT_INT_EQ(store_pending_list(s, "ca-2", count_cb, &n, &e), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(store_pending_list(s, "ca-1", recover_cb, s, &e), 0);
	n = 0;
	ASSERT_INT_EQ(store_pending_list(s, NULL, count_cb, &n, &e), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'valid' AND tbs IS NULL AND der IS NOT NULL"), 4);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.recovered') = 1"), 3);
	n = 0;
	ASSERT_INT_EQ(store_cert_iter(s, "ca-1", STORE_VALID, count_cb, &n,
	    &e), 0);
	ASSERT_INT_EQ(n, 4);
	n = 0;
	ASSERT_INT_EQ(store_cert_iter(s, NULL, STORE_ANY, count_cb, &n, &e),
	    0);
	ASSERT_INT_EQ(n, 5);
	store_close(s);
}

/*
 * The text of tests/data/store/schema-v1.sql (the schema of a database
 * stica wrote at version 1) into buf; 0 on success.
 */
static int
read_v1_schema(char *buf, size_t bufsz)
{
	const char	*top = getenv("STICA_TOP");
	char		 path[512];
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/tests/data/store/schema-v1.sql",
	    top != NULL ? top : ".");
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, bufsz - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0 && n < bufsz - 1 ? 0 : -1;
}

/* Lower-case hex of p[0..n) appended to dst (of size dstsz). */
static void
hexcat(char *dst, size_t dstsz, const uint8_t *p, size_t n)
{
	size_t	off = strlen(dst), i;

	for (i = 0; i < n && off + 3 <= dstsz; i++, off += 2)
		snprintf(dst + off, 3, "%02x", p[i]);
}

/* The SHA3 of every row of certs, by the CLI (the rows' identity). */
#define CERTS_DIGEST "SELECT hex(sha3_query('SELECT id, issuer, serial, " \
	"profile, subject, tnauth, not_before, not_after, tbs, der, status, " \
	"request_key, created_at, issued_at, revoked_at, reason, " \
	"abort_reason FROM certs ORDER BY id')) || hex(sha3_query('SELECT * " \
	"FROM audit ORDER BY seq')) || hex(sha3_query('SELECT * FROM " \
	"crl_numbers'))"

/*
 * A database written by schema version 1 (built here with the CLI: every
 * status, a TNAuthList or none, an audit chain, a CRL number) is read as
 * it is by a read-only handle (the columns of version 3 read as none),
 * and migrated by a read-write one to the current version with every
 * row, line and number unchanged, the same indexes and triggers, the old
 * constraints still in force, and the columns of version 3 empty;
 * issuance then goes on where it stopped.
 */
static void
t_migrate_v1(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_audit_head	 h;
	struct store_audit_report rep;
	struct store_intent	 in;
	struct audit_field	 f[2];
	struct tc		 t[6], n;
	struct st_err		 e;
	static char		 sql[65536];
	char			 before[512], after[512], *line = NULL;
	size_t			 len;
	int			 i, v, cnt;
	static const char *const status[] = { "valid", "valid", "revoked",
		"pending", "aborted", "valid" };

	newdb();
	memset(h.hash, '0', 64);
	h.hash[64] = '\0';
	h.seq = 0;
	ASSERT_INT_EQ(read_v1_schema(sql, sizeof(sql)), 0);
	for (i = 0; i < 6; i++) {
		bool	sg = strcmp(status[i], "valid") == 0 ||
			    strcmp(status[i], "revoked") == 0;
		bool	rev = strcmp(status[i], "revoked") == 0;
		bool	ab = strcmp(status[i], "aborted") == 0;
		char	ser[64] = "", tn[64] = "", blob[2048] = "", key[32];

		tc_init(&t[i], 40 + (unsigned)i);
		hexcat(ser, sizeof(ser), t[i].serial, t[i].slen);
		hexcat(tn, sizeof(tn), tnauth_der, sizeof(tnauth_der));
		hexcat(blob, sizeof(blob), sg ? t[i].der : t[i].tbs,
		    sg ? t[i].derlen : t[i].tbslen);
		snprintf(key, sizeof(key), ab ? "NULL" : "'line-%d'", 40 + i);
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "INSERT INTO certs VALUES (%d, 'ca-1', x'%s', 'per-tn', "
		    "'CN=SHAKEN %d', %s%s%s, 1767225600, 1798761600, "
		    "%s%s%s, %s%s%s, '%s', %s, 1767225600, %s, %s, %s, %s);",
		    i + 1, ser, i, i == 1 ? "NULL" : "x'", i == 1 ? "" : tn,
		    i == 1 ? "" : "'", sg ? "NULL" : "x'", sg ? "" : blob,
		    sg ? "" : "'", sg ? "x'" : "NULL", sg ? blob : "",
		    sg ? "'" : "", status[i], key, sg ? "1767225700" : "NULL",
		    rev ? "1767300000" : "NULL", rev ? "1" : "NULL",
		    ab ? "'HSM unavailable'" : "NULL");
	}
	for (i = 0; i < 2; i++) {
		f[0] = (struct audit_field){ "issuer", AUDIT_STR, "ca-1", 0,
		    NULL };
		f[1] = (struct audit_field){ "number", AUDIT_INT, NULL, i + 1,
		    NULL };
		ASSERT_INT_EQ(audit_line_build(&h, 1767225600 + i, "crl", f, 2,
		    NULL, &line, &len, NULL), 0);
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "INSERT INTO audit VALUES (%d, '%s');", i + 1, line);
		free(line);
		line = NULL;
	}
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    "INSERT INTO crl_numbers VALUES ('ca-1', 2);");
	ASSERT_INT_EQ(cli(sql, before, sizeof(before)), 0);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 6);
	ASSERT_INT_EQ(cli(CERTS_DIGEST, before, sizeof(before)), 0);
	ASSERT_TRUE(strlen(before) == 192);
	/* Version 1's CHECK built an ephemeral table per row. */
	ASSERT_FALSE(no_ephemeral("INSERT INTO certs (issuer, serial, "
	    "profile, subject, tnauth, not_before, not_after, tbs, status, "
	    "request_key, created_at) VALUES ('c', x'01', 'p', 's', NULL, 1, "
	    "2, x'3000', 'pending', NULL, 3)"));

	/* Read-only: read as it is, not migrated. */
	ASSERT_INT_EQ(store_open_readonly(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_schema_version(s, &v, &e), 0);
	ASSERT_INT_EQ(v, 1);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 2);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", t[0].serial, t[0].slen, &c,
	    &e), 0);
	ASSERT_MEM_EQ(c->der, c->der_len, t[0].der, t[0].derlen);
	ASSERT_MEM_EQ(c->tbs, c->tbs_len, t[0].tbs, t[0].tbslen);
	ASSERT_TRUE(c->request_fp == NULL);
	ASSERT_TRUE(c->run == NULL);
	store_cert_free(c);
	c = NULL;
	ASSERT_INT_EQ(store_request_lookup(s, "line-43", &c, &e), 0);
	ASSERT_INT_EQ(c->status, STORE_PENDING);
	ASSERT_TRUE(c->run == NULL);
	store_cert_free(c);
	c = NULL;
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(cli_int("SELECT max(version) FROM schema_migrations"), 1);

	/* Read-write: migrated, and nothing else changed. */
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_schema_version(s, &v, &e), 0);
	ASSERT_INT_EQ(v, STORE_SCHEMA_VERSION);
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(cli(CERTS_DIGEST, after, sizeof(after)), 0);
	ASSERT_STR_EQ(after, before);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM pragma_table_info('certs') "
	    "WHERE name = 'request_fp' OR name = 'run'"), 2);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE request_fp IS "
	    "NOT NULL OR run IS NOT NULL"), 0);
	ASSERT_INT_EQ(cli("SELECT group_concat(type || ':' || name, ' ') FROM "
	    "(SELECT type, name FROM sqlite_master WHERE tbl_name = 'certs' "
	    "ORDER BY name)", after, sizeof(after)), 0);
	ASSERT_STR_EQ(after, "table:certs trigger:certs_fixed "
	    "trigger:certs_no_delete index:certs_pending index:certs_request "
	    "index:certs_revoked index:sqlite_autoindex_certs_1");
	ASSERT_INT_EQ(cli("PRAGMA integrity_check", after, sizeof(after)), 0);
	ASSERT_STR_EQ(after, "ok");
	ASSERT_TRUE(no_ephemeral("INSERT INTO certs (issuer, serial, profile, "
	    "subject, tnauth, not_before, not_after, tbs, status, request_key, "
	    "created_at) VALUES ('c', x'01', 'p', 's', NULL, 1, 2, x'3000', "
	    "'pending', NULL, 3)"));
	ASSERT_INT_NE(cli("DELETE FROM certs WHERE id = 1", after,
	    sizeof(after)), 0);
	ASSERT_STR_CONTAINS(after, "never deleted");
	ASSERT_INT_NE(cli("UPDATE certs SET subject = 'x' WHERE id = 1", after,
	    sizeof(after)), 0);
	ASSERT_STR_CONTAINS(after, "never change");
	ASSERT_INT_NE(cli("UPDATE certs SET request_fp = zeroblob(32) WHERE "
	    "id = 1", after, sizeof(after)), 0);
	ASSERT_STR_CONTAINS(after, "never change");

	/* Issuance goes on: the pending row is recovered, old keys and
	 * serials stay taken, the chain continues. */
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	cnt = 0;
	ASSERT_INT_EQ(store_pending_list(s, "ca-1", recover_cb, s, &e), 0);
	ASSERT_INT_EQ(store_pending_list(s, NULL, count_cb, &cnt, &e), 0);
	ASSERT_INT_EQ(cnt, 0);
	ASSERT_INT_EQ(store_request_lookup(s, "line-45", &c, &e), 0);
	ASSERT_INT_EQ(c->status, STORE_VALID);
	store_cert_free(c);
	c = NULL;
	in = intent(&t[0], "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_EXISTS);
	tc_init(&n, 45);	/* a new serial, line-45's key */
	n.serial[1] = 0x99;
	n.tbslen = make_tbs(n.tbs, n.serial, n.slen, 45);
	in = intent(&n, "ca-1", true);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), ST_E_EXISTS);
	ASSERT_STR_CONTAINS(e.msg, "request key 'line-45' is already taken");
	ASSERT_INT_EQ(issue_n(s, "ca-1", 100, 3), 0);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t[0].serial, t[0].slen, 4,
	    1767400000, NULL, &e), 0);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 2 + 1 + 3 + 1);
	store_close(s);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'valid' AND tbs IS NULL AND der IS NOT NULL"), 2 + 1 + 3);
}

/*
 * store_request_lookup_many: each key's row as store_request_lookup
 * gives it, NULL for unknown, aborted and NULL keys, in one call; a
 * malformed key fails the call and leaves every result NULL.
 */
static void
t_lookup_many(void)
{
	struct store		*s = NULL, *ro = NULL;
	struct store_cert	*out[7], *one = NULL;
	struct store_intent	 in[3];
	struct store_signed	 sg;
	struct store_ref	 r;
	struct tc		 t[3];
	struct st_err		 e;
	const char		*keys[7] = { "line-1", "line-2", "line-3",
		"line-9", NULL, "line-1", "line-2" };
	int			 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	for (i = 0; i < 3; i++) {
		tc_init(&t[i], (unsigned)i + 1);
		in[i] = intent(&t[i], "ca-1", true);
	}
	ASSERT_INT_EQ(store_issue_reserve(s, in, 3, NULL, &e), 0);
	sg = signed_of(&t[0], "ca-1");
	ASSERT_INT_EQ(store_issue_commit(s, &sg, 1, &e), 0);
	r = ref_of(&t[2], "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "lint failed", &e), 0);
	for (i = 0; i < 7; i++)
		out[i] = (struct store_cert *)&e;	/* cleared on entry */
	ASSERT_INT_EQ(store_request_lookup_many(s, keys, 7, out, &e), 0);
	ASSERT_NONNULL(out[0]);
	ASSERT_INT_EQ(out[0]->status, STORE_VALID);
	ASSERT_MEM_EQ(out[0]->der, out[0]->der_len, t[0].der, t[0].derlen);
	ASSERT_MEM_EQ(out[0]->tbs, out[0]->tbs_len, t[0].tbs, t[0].tbslen);
	ASSERT_NONNULL(out[1]);
	ASSERT_INT_EQ(out[1]->status, STORE_PENDING);
	ASSERT_MEM_EQ(out[1]->tbs, out[1]->tbs_len, t[1].tbs, t[1].tbslen);
	ASSERT_MEM_EQ(out[1]->serial, out[1]->serial_len, t[1].serial,
	    t[1].slen);
	ASSERT_TRUE(out[2] == NULL);		/* aborted: key given up */
	ASSERT_TRUE(out[3] == NULL);		/* unknown */
	ASSERT_TRUE(out[4] == NULL);		/* no key */
	ASSERT_NONNULL(out[5]);
	ASSERT_PTR_NE(out[5], out[0]);
	ASSERT_INT_EQ(out[5]->status, STORE_VALID);
	ASSERT_NONNULL(out[6]);
	/* The same rows as one look-up each. */
	for (i = 0; i < 7; i++) {
		if (keys[i] == NULL)
			continue;
		if (out[i] == NULL) {
			ASSERT_INT_EQ(store_request_lookup(s, keys[i], &one,
			    NULL), ST_E_NOTFOUND);
			continue;
		}
		ASSERT_INT_EQ(store_request_lookup(s, keys[i], &one, &e), 0);
		ASSERT_MEM_EQ(one->serial, one->serial_len, out[i]->serial,
		    out[i]->serial_len);
		ASSERT_INT_EQ(one->status, out[i]->status);
		ASSERT_STR_EQ(one->request_key, keys[i]);
		store_cert_free(one);
		one = NULL;
	}
	for (i = 0; i < 7; i++) {
		store_cert_free(out[i]);
		out[i] = (struct store_cert *)&e;
	}
	/* A malformed key: nothing is returned. */
	keys[3] = "line\n9";
	st_err_clear(&e);
	ASSERT_INT_EQ(store_request_lookup_many(s, keys, 7, out, &e),
	    ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "request key");
	for (i = 0; i < 7; i++)
		ASSERT_TRUE(out[i] == NULL);
	ASSERT_INT_EQ(store_request_lookup_many(s, keys, 0, out, &e), 0);
	/* The read transaction is over: the handle writes again. */
	ASSERT_INT_EQ(issue_n(s, "ca-1", 10, 2), 0);
	/* A read-only handle looks up too. */
	keys[3] = "line-10";
	ASSERT_INT_EQ(store_open_readonly(uri, &ro, &e), 0);
	ASSERT_INT_EQ(store_request_lookup_many(ro, keys, 7, out, &e), 0);
	ASSERT_NONNULL(out[3]);
	ASSERT_INT_EQ(out[3]->status, STORE_VALID);
	for (i = 0; i < 7; i++)
		store_cert_free(out[i]);
	store_close(ro);
	store_close(s);
}

/*
 * store_audit_append_many: the lines in order, chained, in one
 * transaction; one bad line, found before or while writing, leaves the
 * log as it was.
 */
static void
t_append_many(void)
{
	struct store		*s = NULL;
	struct store_audit_rec	 r[4];
	struct store_audit_report rep;
	struct st_err		 e;
	char			 out[512];
	int			 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	r[0] = (struct store_audit_rec){ "refuse", json_pack("{s:s,s:s}",
	    "request", "b:1", "reason", "scope") };
	r[1] = (struct store_audit_rec){ "refuse", json_pack("{s:s,s:[s,s]}",
	    "request", "b:2", "scope", "tn:1", "tn:2") };
	r[2] = (struct store_audit_rec){ "ceremony-step", NULL };
	r[3] = (struct store_audit_rec){ "refuse", json_pack("{s:s,s:i}",
	    "request", "b:4", "code", -7) };
	ASSERT_INT_EQ(store_audit_append_many(s, r, 4, &e), 0);
	ASSERT_INT_EQ(cli("SELECT group_concat(seq || ':' || "
	    "json_extract(line, '$.event') || ':' || coalesce(json_extract("
	    "line, '$.request'), '-'), ' ') FROM (SELECT * FROM audit ORDER "
	    "BY seq)", out, sizeof(out)), 0);
	ASSERT_STR_EQ(out, "1:refuse:b:1 2:refuse:b:2 3:ceremony-step:- "
	    "4:refuse:b:4");
	ASSERT_INT_EQ(cli_int("SELECT json_extract(line, '$.code') FROM audit "
	    "WHERE seq = 4"), -7);
	ASSERT_INT_EQ(cli_int("SELECT count(DISTINCT json_extract(line, "
	    "'$.time')) FROM audit"), 1);
	ASSERT_INT_EQ(store_audit_append_many(s, r, 0, &e), 0);
	ASSERT_INT_EQ(store_audit_append_many(s, NULL, 1, NULL), ST_E_USAGE);

	/* Refused before writing: a bad event name, a reserved key. */
	r[2].event = "Bad Event";
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_append_many(s, r, 4, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "line 2 of 4");
	r[2].event = "ceremony-step";
	r[2].fields = json_pack("{s:i}", "seq", 9);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_append_many(s, r, 4, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "'seq' is reserved");
	json_decref(r[2].fields);
	/* Refused while writing (lines 0 and 1 were): rolled back. */
	r[2].fields = json_pack("{s:o}", "name", json_stringn_nocheck("\xc3(",
	    2));
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_append_many(s, r, 4, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "cannot be serialised");
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 4);
	json_decref(r[2].fields);
	r[2].fields = NULL;
	ASSERT_INT_EQ(store_audit_append_many(s, r, 4, &e), 0);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 8);
	store_close(s);
	for (i = 0; i < 4; i++)
		json_decref(r[i].fields);
}

/* A line's fields other than those of its position and certificate. */
static char *
line_rest(long long seq)
{
	char	 q[128], line[4096], *out;
	json_t	*o;

	snprintf(q, sizeof(q), "SELECT line FROM audit WHERE seq = %lld", seq);
	if (cli(q, line, sizeof(line)) != 0 ||
	    (o = json_loads(line, 0, NULL)) == NULL)
		return NULL;
	json_object_del(o, "seq");
	json_object_del(o, "prev");
	json_object_del(o, "time");
	json_object_del(o, "serial");
	json_object_del(o, "sha256");
	json_object_del(o, "request");
	out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return out;
}

/*
 * A handle commits what it reserved itself by the row's id, with the
 * fields it reserved (the fast path), anything else after reading the
 * row: both write the same issue line, and both refuse what another
 * handle aborted or finished meanwhile, and a certificate that does not
 * carry the reserved TBS.
 */
static void
t_commit_paths(void)
{
	struct store		*a = NULL, *b = NULL;
	struct store_intent	 in[8];
	struct store_signed	 sg[2];
	struct store_ref	 r;
	struct tc		 t[8], x;
	struct st_err		 e;
	json_t			*extra;
	char			*l1 = NULL, *l2 = NULL, q[256];
	unsigned char		 md[32];
	char			 want[65];
	uint8_t			 notseq[5] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	int			 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &a, &e), 0);
	ASSERT_INT_EQ(store_open(uri, &b, &e), 0);
	for (i = 0; i < 8; i++) {
		tc_init(&t[i], 60 + (unsigned)i);
		in[i] = intent(&t[i], "ca-1", true);
	}
	in[1].tnauth = NULL;	/* optional fields left out, both paths */
	in[1].tnauth_len = 0;
	in[0].tnauth = NULL;
	in[0].tnauth_len = 0;
	ASSERT_INT_EQ(store_issue_reserve(a, in, 2, NULL, &e), 0);
	extra = json_pack("{s:s,s:[s]}", "rule", "r1", "scope", "tn:1");
	sg[0] = signed_of(&t[0], "ca-1");
	sg[0].audit = extra;
	sg[1] = signed_of(&t[1], "ca-1");
	sg[1].audit = extra;
	ASSERT_INT_EQ(store_issue_commit(a, &sg[0], 1, &e), 0);	/* fast */
	ASSERT_INT_EQ(store_issue_commit(b, &sg[1], 1, &e), 0);	/* reads */
	json_decref(extra);
	ASSERT_NONNULL(l1 = line_rest(1));
	ASSERT_NONNULL(l2 = line_rest(2));
	ASSERT_STR_EQ(l1, l2);
	ASSERT_STR_CONTAINS(l1, "\"rule\":\"r1\"");
	ASSERT_STR_CONTAINS(l1, "\"not_after\":\"2027-01-01T00:00:00Z\"");
	free(l1);
	free(l2);
	for (i = 0; i < 2; i++) {
		int k;

		SHA256(t[i].der, t[i].derlen, md);
		for (k = 0; k < 32; k++)
			snprintf(want + 2 * k, 3, "%02x", md[k]);
		snprintf(q, sizeof(q), "SELECT count(*) FROM audit WHERE seq = "
		    "%d AND json_extract(line, '$.sha256') = '%s' AND "
		    "json_extract(line, '$.request') = 'line-%d'", i + 1, want,
		    60 + i);
		ASSERT_INT_EQ(cli_int(q), 1);
	}

	ASSERT_INT_EQ(store_issue_reserve(a, &in[2], 4, NULL, &e), 0);
	/* Aborted by another handle meanwhile. */
	r = ref_of(&t[2], "ca-1");
	ASSERT_INT_EQ(store_issue_abort(b, &r, 1, "operator", &e), 0);
	sg[0] = signed_of(&t[2], "ca-1");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, &e), ST_E_NOTFOUND);
	ASSERT_STR_CONTAINS(e.msg, "was aborted");
	/* Finished by another handle meanwhile. */
	sg[0] = signed_of(&t[3], "ca-1");
	ASSERT_INT_EQ(store_issue_commit(b, sg, 1, &e), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, &e), ST_E_EXISTS);
	ASSERT_STR_CONTAINS(e.msg, "already valid");
	/* Another TBS; a first element that is no TBS at all. */
	tc_init(&x, 99);
	sg[0] = signed_of(&t[4], "ca-1");
	sg[0].der = x.der;
	sg[0].der_len = x.derlen;
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, &e), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(e.msg, "reserved TBS");
	sg[0].der = notseq;
	sg[0].der_len = sizeof(notseq);
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, NULL), ST_E_VERIFY);
	/* A good one after a bad one in the same call: neither. */
	sg[0] = signed_of(&t[4], "ca-1");
	sg[1] = signed_of(&t[5], "ca-1");
	sg[1].der = x.der;
	sg[1].der_len = x.derlen;
	ASSERT_INT_EQ(store_issue_commit(a, sg, 2, NULL), ST_E_VERIFY);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'pending'"), 2);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 4);
	/* In the reserved order or not. */
	sg[0] = signed_of(&t[5], "ca-1");
	sg[1] = signed_of(&t[4], "ca-1");
	ASSERT_INT_EQ(store_issue_commit(a, sg, 2, &e), 0);
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, NULL), ST_E_EXISTS);
	/* A reservation that fails leaves nothing to commit. */
	in[7] = intent(&t[7], "ca-1", true);
	in[6] = intent(&t[0], "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(a, &in[6], 2, NULL, NULL),
	    ST_E_EXISTS);
	sg[0] = signed_of(&t[7], "ca-1");
	ASSERT_INT_EQ(store_issue_commit(a, sg, 1, NULL), ST_E_NOTFOUND);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs WHERE status = "
	    "'valid' AND tbs IS NULL"), 5);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.event') = 'issue'"), 5);
	store_close(a);
	store_close(b);
}

/* Collects revoked entries as "serialhex/reason;" into a string. */
static int
revoked_cb(void *arg, const struct store_revoked *r)
{
	char	*buf = arg;
	size_t	 i, off = strlen(buf);

	for (i = 0; i < r->serial_len; i++)
		off += (size_t)snprintf(buf + off, 512 - off, "%02x",
		    r->serial[i]);
	snprintf(buf + off, 512 - off, "/%d@%lld;", r->reason,
	    (long long)r->revoked_at);
	return 0;
}

static void
t_revoke(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in;
	struct store_ref	 r;
	struct tc		 t1, t2, p, ab;
	struct st_err		 e;
	json_t			*who;
	char			 list[512] = "";
	int			 reason;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(issue_n(s, "ca-1", 1, 2), 0);
	tc_init(&t1, 1);
	tc_init(&t2, 2);
	tc_init(&p, 3);
	tc_init(&ab, 4);
	in = intent(&p, "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	in = intent(&ab, "ca-1", false);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	r = ref_of(&ab, "ca-1");
	ASSERT_INT_EQ(store_issue_abort(s, &r, 1, "refused", &e), 0);

	st_err_clear(&e);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", p.serial, p.slen, 1,
	    1767300000, NULL, &e), ST_E_NOTFOUND);
	ASSERT_STR_CONTAINS(e.msg, "never issued (pending)");
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", ab.serial, ab.slen, 1,
	    1767300000, NULL, NULL), ST_E_NOTFOUND);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-9", t1.serial, t1.slen, 1,
	    1767300000, NULL, NULL), ST_E_NOTFOUND);
	/* Reasons RFC 5280 section 5.3.1 has but stica does not accept. */
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen, 6,
	    1767300000, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen, 7,
	    1767300000, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen, 8,
	    1767300000, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen, 11,
	    1767300000, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.event') = 'revoke'"), 0);

	who = json_pack("{s:s}", "operator", "alice");
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen,
	    STORE_REASON_KEY_COMPROMISE, 1767300000, who, &e), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", t1.serial, t1.slen,
	    STORE_REASON_SUPERSEDED, 1767400000, who, &e), ST_E_EXISTS);
	ASSERT_STR_CONTAINS(e.msg, "already revoked");
	json_decref(who);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", t1.serial, t1.slen, &c, &e),
	    0);
	ASSERT_INT_EQ(c->status, STORE_REVOKED);
	ASSERT_INT_EQ(c->reason, 1);
	ASSERT_INT_EQ(c->revoked_at, 1767300000);
	ASSERT_TRUE(c->der != NULL);
	store_cert_free(c);
	ASSERT_INT_EQ(store_revoked_iter(s, "ca-1", revoked_cb, list, &e), 0);
	ASSERT_STR_EQ(list, "510000000000000177/1@1767300000;");
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.event') = 'revoke' AND "
	    "json_extract(line, '$.reason') = 1 AND "
	    "json_extract(line, '$.reason_name') = 'keyCompromise' AND "
	    "json_extract(line, '$.revoked_at') = '2026-01-01T20:40:00Z' AND "
	    "json_extract(line, '$.operator') = 'alice'"), 1);
	/* Reason names, RFC 5280 spelling. */
	ASSERT_INT_EQ(store_reason_parse("aACompromise", &reason, &e), 0);
	ASSERT_INT_EQ(reason, 10);
	ASSERT_INT_EQ(store_reason_parse("4", &reason, &e), 0);
	ASSERT_INT_EQ(reason, 4);
	ASSERT_INT_EQ(store_reason_parse("certificateHold", &reason, NULL),
	    ST_E_USAGE);
	ASSERT_INT_EQ(store_reason_parse("8", &reason, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_reason_parse("4x", &reason, NULL), ST_E_USAGE);
	ASSERT_STR_EQ(store_reason_name(5), "cessationOfOperation");
	ASSERT_TRUE(store_reason_name(7) == NULL);
	store_close(s);
}

static void
t_crl_numbers(void)
{
	struct store	*s = NULL;
	struct st_err	 e;
	json_t		*f;
	int64_t		 n;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-1", NULL, &n, &e), 0);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-1", NULL, &n, &e), 0);
	ASSERT_INT_EQ(n, 2);
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-2", NULL, &n, &e), 0);
	ASSERT_INT_EQ(n, 1);
	f = json_pack("{s:s}", "next_update", "2026-01-08T00:00:00Z");
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-1", f, &n, &e), 0);
	ASSERT_INT_EQ(n, 3);
	json_decref(f);
	f = json_pack("{s:i}", "number", 1);
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-1", f, &n, NULL),
	    ST_E_USAGE);
	json_decref(f);
	store_close(s);
	s = NULL;
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_crl_next_number(s, "ca-1", NULL, &n, &e), 0);
	ASSERT_INT_EQ(n, 4);
	store_close(s);
	ASSERT_INT_EQ(cli_int("SELECT group_concat(json_extract(line, "
	    "'$.number'), '') FROM audit WHERE json_extract(line, '$.event') "
	    "= 'crl' AND json_extract(line, '$.issuer') = 'ca-1'"), 1234);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit WHERE "
	    "json_extract(line, '$.next_update') IS NOT NULL"), 1);
}

/* Recompute the chain of the database with the CLI's output. */
static void
t_audit_append_verify(void)
{
	struct store		*s = NULL;
	struct store_audit_head	 h, h2;
	struct store_audit_report rep;
	struct st_err		 e;
	json_t			*f, *o;
	char			 prev[65], path[320], *line = NULL, *re;
	unsigned char		 md[32];
	size_t			 cap = 0;
	ssize_t			 len;
	FILE			*fp;
	int			 i, n = 0;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_audit_head(s, &h, &e), 0);
	ASSERT_INT_EQ(h.seq, 0);
	ASSERT_STR_EQ(h.hash, "0000000000000000000000000000000000000000000000"
	    "000000000000000000");
	f = json_pack("{s:s,s:s}", "reason", "scope not encompassed",
	    "subject", "CN=\xc3\xa9\n\"x\"");
	ASSERT_INT_EQ(store_audit_append(s, "refuse", f, &e), 0);
	ASSERT_INT_EQ(store_audit_append(s, "ceremony-step", NULL, &e), 0);
	ASSERT_INT_EQ(store_audit_append(s, "Bad Event", f, NULL), ST_E_USAGE);
	json_decref(f);
	f = json_pack("{s:s}", "prev", "x");
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_append(s, "refuse", f, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "'prev' is reserved");
	json_decref(f);
	f = json_pack("[i]", 1);
	ASSERT_INT_EQ(store_audit_append(s, "refuse", f, NULL), ST_E_USAGE);
	json_decref(f);
	ASSERT_INT_EQ(issue_n(s, "ca-1", 1, 3), 0);
	ASSERT_INT_EQ(store_audit_head(s, &h, &e), 0);
	ASSERT_INT_EQ(h.seq, 5);
	ASSERT_INT_EQ(store_audit_verify(s, &h, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 5);
	ASSERT_STR_EQ(rep.head.hash, h.hash);
	snprintf(path, sizeof(path), "%s/export.jsonl", tmpdir);
	ASSERT_NONNULL(fp = fopen(path, "w"));
	ASSERT_INT_EQ(store_audit_export(s, fp, &e), 0);
	fclose(fp);
	store_close(s);

	/* Independently: every line canonical, prev = SHA-256(previous). */
	memset(prev, '0', 64);
	prev[64] = '\0';
	ASSERT_NONNULL(fp = fopen(path, "r"));
	while ((len = getline(&line, &cap, fp)) > 0) {
		ASSERT_TRUE(line[len - 1] == '\n');
		line[--len] = '\0';
		n++;
		o = json_loads(line, 0, NULL);
		ASSERT_NONNULL(o);
		ASSERT_INT_EQ(json_integer_value(json_object_get(o, "seq")), n);
		ASSERT_STR_EQ(json_string_value(json_object_get(o, "prev")),
		    prev);
		ASSERT_TRUE(strlen(json_string_value(json_object_get(o,
		    "time"))) == 20);
		re = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		ASSERT_STR_EQ(re, line);
		if (n == 1)
			ASSERT_STR_EQ(json_string_value(json_object_get(o,
			    "subject")), "CN=\xc3\xa9\n\"x\"");
		free(re);
		json_decref(o);
		SHA256((unsigned char *)line, (size_t)len, md);
		for (i = 0; i < 32; i++)
			snprintf(prev + 2 * i, 3, "%02x", md[i]);
	}
	fclose(fp);
	free(line);
	ASSERT_INT_EQ(n, 5);
	ASSERT_STR_EQ(prev, h.hash);
	ASSERT_INT_EQ(store_audit_verify_file(path, &h, &rep, &e), 0);
	ASSERT_INT_EQ(rep.head.seq, 5);
	/* An older recorded head is a prefix: still fine. */
	ASSERT_INT_EQ(store_audit_head_parse("0:0000000000000000000000000000"
	    "000000000000000000000000000000000000", &h2, &e), 0);
	ASSERT_INT_EQ(store_audit_verify_file(path, &h2, &rep, &e), 0);
	h2 = h;
	h2.seq = 6;
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_verify_file(path, &h2, &rep, &e),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_HEAD);
	ASSERT_STR_CONTAINS(e.msg, "cut from the tail");
	ASSERT_INT_EQ(store_audit_head_parse("5:abc", &h2, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_audit_head_parse("x:" "00000000000000000000000000"
	    "00000000000000000000000000000000000000", &h2, NULL), ST_E_USAGE);
}

/* Write lines[0..n-1] (each without newline) to path. */
static void
write_lines(const char *path, char **lines, const int *order, int n)
{
	FILE	*f = fopen(path, "w");
	int	 i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[order[i]]);
	fclose(f);
}

static void
t_verify_file_faults(void)
{
	struct store		*s = NULL;
	struct store_audit_report rep;
	struct st_err		 e;
	char			 path[320], bad[320], *lines[10], *p;
	int			 order[10], i;
	size_t			 cap;
	FILE			*fp;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	for (i = 0; i < 10; i++)
		ASSERT_INT_EQ(store_audit_append(s, "ceremony-step", NULL, &e),
		    0);
	snprintf(path, sizeof(path), "%s/all.jsonl", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad.jsonl", tmpdir);
	ASSERT_NONNULL(fp = fopen(path, "w"));
	ASSERT_INT_EQ(store_audit_export(s, fp, &e), 0);
	fclose(fp);
	store_close(s);
	ASSERT_NONNULL(fp = fopen(path, "r"));
	for (i = 0; i < 10; i++) {
		lines[i] = NULL;
		cap = 0;
		ASSERT_TRUE(getline(&lines[i], &cap, fp) > 0);
		lines[i][strlen(lines[i]) - 1] = '\0';
		order[i] = i;
	}
	fclose(fp);

	/* Intact. */
	write_lines(bad, lines, order, 10);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, &e), 0);
	/* A middle line cut. */
	order[4] = 5, order[5] = 6, order[6] = 7, order[7] = 8, order[8] = 9;
	write_lines(bad, lines, order, 9);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, &e),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_CUT);
	ASSERT_INT_EQ(rep.line, 5);
	ASSERT_STR_CONTAINS(e.msg, "line 5: cut");
	/* The last line cut: invisible without an expected head. */
	for (i = 0; i < 10; i++)
		order[i] = i;
	write_lines(bad, lines, order, 9);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.head.seq, 9);
	/* A pair swapped. */
	order[6] = 7;
	order[7] = 6;
	write_lines(bad, lines, order, 10);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, &e),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_REORDER);
	ASSERT_INT_EQ(rep.line, 7);
	/* The cut line put at the end. */
	for (i = 0; i < 10; i++)
		order[i] = i < 3 ? i : i < 9 ? i + 1 : 3;
	write_lines(bad, lines, order, 10);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, NULL),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_CUT);
	ASSERT_INT_EQ(rep.line, 4);
	/* An edited line: the event renamed. */
	for (i = 0; i < 10; i++)
		order[i] = i;
	p = strstr(lines[2], "ceremony-step");
	ASSERT_NONNULL(p);
	p[0] = 'k';
	write_lines(bad, lines, order, 10);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, &e),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_EDIT);
	ASSERT_INT_EQ(rep.line, 3);
	ASSERT_STR_CONTAINS(e.msg, "line 3: edit");
	p[0] = 'c';
	/* Not JSON. */
	lines[8][0] = '[';
	write_lines(bad, lines, order, 10);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, NULL),
	    ST_E_VERIFY);
	ASSERT_INT_EQ(rep.fault, STORE_AUDIT_JSON);
	ASSERT_INT_EQ(rep.line, 9);
	lines[8][0] = '{';
	write_lines(bad, lines, order, 10);
	ASSERT_INT_EQ(store_audit_verify_file(bad, NULL, &rep, NULL), 0);
	ASSERT_INT_EQ(store_audit_verify_file("/nonexistent/x", NULL, &rep,
	    NULL), ST_E_NOTFOUND);
	for (i = 0; i < 10; i++)
		free(lines[i]);
}

static void
t_bad_input(void)
{
	struct store		*s = NULL;
	struct store_intent	 in, good;
	struct tc		 t;
	struct st_err		 e;
	uint8_t			 z[3] = { 0, 1, 2 };

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	tc_init(&t, 1);
	good = intent(&t, "ca-1", true);
	in = good;
	in.serial = z;
	in.serial_len = 3;
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "leading zero");
	in = good;
	in.serial_len = 21;
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.issuer = "";
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.issuer = "ca\n1";
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.subject = "CN=\xc3\x28";
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.request_key = "key\xed\xa0\x80";	/* a UTF-16 surrogate */
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.not_after = in.not_before - 1;
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	in = good;
	in.tbs_len--;
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "TBS is not one DER SEQUENCE");
	in = good;
	in.tnauth_len = 0;
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_cert_revoke(s, "ca-1", z, 3, 1, 0, NULL, NULL),
	    ST_E_USAGE);
	ASSERT_INT_EQ(store_issue_abort(s, NULL, 1, "x", NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_issue_reserve(s, NULL, 0, NULL, NULL), 0);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 0);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 0);
	/* Good after all that. */
	ASSERT_INT_EQ(store_issue_reserve(s, &good, 1, NULL, &e), 0);
	store_close(s);
}

/* The triggers refuse accidental edits through SQL. */
static void
t_triggers(void)
{
	struct store	*s = NULL;
	struct st_err	 e;
	char		 out[512];

	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	ASSERT_INT_EQ(issue_n(s, "ca-1", 1, 2), 0);
	store_close(s);
	ASSERT_INT_NE(cli("DELETE FROM certs", out, sizeof(out)), 0);
	ASSERT_STR_CONTAINS(out, "never deleted");
	ASSERT_INT_NE(cli("UPDATE certs SET serial = x'01'", out, sizeof(out)),
	    0);
	ASSERT_INT_NE(cli("UPDATE certs SET status = 'pending'", out,
	    sizeof(out)), 0);
	ASSERT_STR_CONTAINS(out, "CHECK constraint failed");
	ASSERT_INT_NE(cli("DELETE FROM audit WHERE seq = 1", out, sizeof(out)),
	    0);
	ASSERT_STR_CONTAINS(out, "append-only");
	ASSERT_INT_NE(cli("UPDATE audit SET line = 'x'", out, sizeof(out)), 0);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM certs"), 2);
	ASSERT_INT_EQ(cli_int("SELECT count(*) FROM audit"), 2);
}

static void
t_readonly(void)
{
	struct store		*s = NULL, *w = NULL;
	struct store_intent	 in;
	struct store_audit_report rep;
	struct tc		 t;
	struct st_err		 e;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &w, &e), 0);
	ASSERT_INT_EQ(issue_n(w, "ca-1", 1, 2), 0);
	ASSERT_INT_EQ(store_open_readonly(uri, &s, &e), 0);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 2);
	tc_init(&t, 5);
	in = intent(&t, "ca-1", false);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), ST_E_STORE);
	ASSERT_STR_CONTAINS(e.msg, "read-only");
	/* The writer goes on; the reader sees it. */
	ASSERT_INT_EQ(issue_n(w, "ca-1", 3, 1), 0);
	ASSERT_INT_EQ(store_audit_verify(s, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 3);
	store_close(s);
	store_close(w);
}

/*
 * A request fingerprint given with an intent is recorded, returned by
 * every look-up, kept through the commit, and can never change; an
 * intent without one has none.  The column takes 32 bytes or nothing.
 */
static void
t_request_fp(void)
{
	struct store		*s = NULL;
	struct store_cert	*c = NULL, *out[2];
	struct store_intent	 in;
	struct store_signed	 sg;
	struct tc		 a, b;
	struct st_err		 e;
	const char		*keys[2] = { "line-1", "line-2" };
	uint8_t			 fp[STORE_REQUEST_FP_LEN];
	char			 buf[512];
	size_t			 i;

	for (i = 0; i < sizeof(fp); i++)
		fp[i] = (uint8_t)(0xa5 ^ i);
	newdb();
	ASSERT_INT_EQ(store_open(uri, &s, &e), 0);
	tc_init(&a, 1);
	tc_init(&b, 2);
	in = intent(&a, "ca-1", true);
	in.request_fp = fp;
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	in = intent(&b, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(s, &in, 1, NULL, &e), 0);
	ASSERT_INT_EQ(store_request_lookup(s, "line-1", &c, &e), 0);
	ASSERT_NONNULL(c->request_fp);
	ASSERT_MEM_EQ(c->request_fp, STORE_REQUEST_FP_LEN, fp, sizeof(fp));
	store_cert_free(c);
	c = NULL;
	sg = signed_of(&a, "ca-1");
	ASSERT_INT_EQ(store_issue_commit(s, &sg, 1, &e), 0);
	ASSERT_INT_EQ(store_request_lookup_many(s, keys, 2, out, &e), 0);
	ASSERT_NONNULL(out[0]);
	ASSERT_INT_EQ(out[0]->status, STORE_VALID);
	ASSERT_MEM_EQ(out[0]->request_fp, STORE_REQUEST_FP_LEN, fp,
	    sizeof(fp));
	ASSERT_NONNULL(out[1]);
	ASSERT_TRUE(out[1]->request_fp == NULL);
	store_cert_free(out[0]);
	store_cert_free(out[1]);
	ASSERT_INT_EQ(store_cert_get(s, "ca-1", a.serial, a.slen, &c, &e), 0);
	ASSERT_MEM_EQ(c->request_fp, STORE_REQUEST_FP_LEN, fp, sizeof(fp));
	store_cert_free(c);
	store_close(s);
	ASSERT_INT_EQ(cli_int("SELECT length(request_fp) FROM certs WHERE "
	    "request_key = 'line-1'"), 32);
	ASSERT_INT_NE(cli("UPDATE certs SET request_fp = zeroblob(32) WHERE "
	    "request_key = 'line-2'", buf, sizeof(buf)), 0);
	ASSERT_STR_CONTAINS(buf, "never change");
	ASSERT_INT_NE(cli("INSERT INTO certs (issuer, serial, profile, "
	    "subject, not_before, not_after, tbs, status, created_at, "
	    "request_fp) VALUES ('c', x'01', 'p', 's', 1, 2, x'3000', "
	    "'pending', 3, x'0102')", buf, sizeof(buf)), 0);
	ASSERT_STR_CONTAINS(buf, "CHECK constraint failed");
}

/*
 * Runs: a handle's first reservation takes a run (an id, and an flock on
 * a file beside the database) that every intent it reserves records.
 * The run is alive for every handle, its own included, while the handle
 * is open; it is over once the handle is closed (its file removed) or
 * its process is killed with SIGKILL (the kernel drops the lock; the
 * file stays until a later run sweeps it away).  A read-only handle has
 * no run.
 */
static void
t_runs(void)
{
	struct store		*a = NULL, *b = NULL, *ro = NULL;
	struct store_cert	*c = NULL;
	struct store_intent	 in;
	struct tc		 t;
	struct st_err		 e;
	struct stat		 sb;
	char			 path[400], run_a[STORE_RUN_ID_LEN + 1];
	char			 run_k[STORE_RUN_ID_LEN + 1];
	const char		*id;
	long			 pid;
	pid_t			 ch;
	int			 fds[2], st;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &a, &e), 0);
	ASSERT_INT_EQ(store_open(uri, &b, &e), 0);
	tc_init(&t, 1);
	in = intent(&t, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(a, &in, 1, NULL, &e), 0);
	ASSERT_INT_EQ(store_run_id(a, &id, &e), 0);
	ASSERT_INT_EQ(strlen(id), STORE_RUN_ID_LEN);
	snprintf(run_a, sizeof(run_a), "%s", id);
	ASSERT_INT_EQ(store_request_lookup(b, "line-1", &c, &e), 0);
	ASSERT_NONNULL(c->run);
	ASSERT_STR_EQ(c->run, run_a);
	store_cert_free(c);
	c = NULL;
	snprintf(path, sizeof(path), "%s-runs/%s.lock", dbpath, run_a);
	ASSERT_INT_EQ(stat(path, &sb), 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
	/* Alive for another handle, and for its own. */
	ASSERT_INT_EQ(store_run_alive(b, run_a, &pid, &e), 1);
	ASSERT_INT_EQ(pid, (long)getpid());
	ASSERT_INT_EQ(store_run_alive(a, run_a, NULL, &e), 1);
	/* Still one run per handle. */
	tc_init(&t, 4);
	in = intent(&t, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(a, &in, 1, NULL, &e), 0);
	ASSERT_INT_EQ(store_run_id(a, &id, &e), 0);
	ASSERT_STR_EQ(id, run_a);
	/* An unknown run is over; a malformed id is refused. */
	ASSERT_INT_EQ(store_run_alive(b, "0123456789abcdef0123456789abcdef",
	    &pid, &e), 0);
	ASSERT_INT_EQ(pid, 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(store_run_alive(b, "../../etc/passwd", NULL, &e),
	    ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "hex digits");
	ASSERT_INT_EQ(store_run_alive(b, "0123456789ABCDEF0123456789ABCDEF",
	    NULL, NULL), ST_E_USAGE);
	/* Closed: over, its file gone. */
	store_close(a);
	a = NULL;
	ASSERT_INT_EQ(store_run_alive(b, run_a, NULL, &e), 0);
	ASSERT_INT_EQ(stat(path, &sb), -1);

	/*
	 * Killed: a child reserves one intent and dies by SIGKILL.  (b has
	 * no run yet, so the child inherits no lock of ours.)
	 */
	ASSERT_INT_EQ(pipe(fds), 0);
	fflush(NULL);
	if ((ch = fork()) == 0) {
		struct store		*k = NULL;
		struct store_intent	 ki;
		struct tc		 u;
		const char		*kid;

		close(fds[0]);
		tc_init(&u, 2);
		ki = intent(&u, "ca-1", true);
		if (store_open(uri, &k, NULL) != 0 ||
		    store_issue_reserve(k, &ki, 1, NULL, NULL) != 0 ||
		    store_run_id(k, &kid, NULL) != 0 ||
		    write(fds[1], kid, STORE_RUN_ID_LEN) != STORE_RUN_ID_LEN)
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	ASSERT_TRUE(ch > 0);
	close(fds[1]);
	ASSERT_INT_EQ(read(fds[0], run_k, STORE_RUN_ID_LEN), STORE_RUN_ID_LEN);
	run_k[STORE_RUN_ID_LEN] = '\0';
	close(fds[0]);
	ASSERT_INT_EQ(waitpid(ch, &st, 0), ch);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	snprintf(path, sizeof(path), "%s-runs/%s.lock", dbpath, run_k);
	ASSERT_INT_EQ(stat(path, &sb), 0);
	ASSERT_INT_EQ(store_run_alive(b, run_k, &pid, &e), 0);
	ASSERT_INT_EQ(pid, (long)ch);
	ASSERT_INT_EQ(store_request_lookup(b, "line-2", &c, &e), 0);
	ASSERT_INT_EQ(c->status, STORE_PENDING);
	ASSERT_STR_EQ(c->run, run_k);
	store_cert_free(c);
	c = NULL;
	/* b's first reservation takes its run and sweeps the dead one's. */
	tc_init(&t, 3);
	in = intent(&t, "ca-1", true);
	ASSERT_INT_EQ(store_issue_reserve(b, &in, 1, NULL, &e), 0);
	ASSERT_INT_EQ(stat(path, &sb), -1);
	ASSERT_INT_EQ(store_run_alive(b, run_k, NULL, &e), 0);
	ASSERT_INT_EQ(store_run_id(b, &id, &e), 0);
	ASSERT_TRUE(strcmp(id, run_k) != 0 && strcmp(id, run_a) != 0);
	/* A read-only handle takes none, but can tell. */
	ASSERT_INT_EQ(store_open_readonly(uri, &ro, &e), 0);
	ASSERT_INT_EQ(store_run_id(ro, &id, NULL), ST_E_USAGE);
	ASSERT_INT_EQ(store_run_id(b, &id, &e), 0);
	ASSERT_INT_EQ(store_run_alive(ro, id, NULL, &e), 1);
	store_close(ro);
	store_close(b);
}

/* Two handles on one file interleave; the chain stays whole. */
static void
t_two_handles(void)
{
	struct store		*a = NULL, *b = NULL;
	struct store_audit_report rep;
	struct st_err		 e;
	int64_t			 n;
	int			 i;

	newdb();
	ASSERT_INT_EQ(store_open(uri, &a, &e), 0);
	ASSERT_INT_EQ(store_open(uri, &b, &e), 0);
	for (i = 0; i < 10; i++) {
		ASSERT_INT_EQ(issue_n(i % 2 ? a : b, "ca-1",
		    (unsigned)(i * 10), 3), 0);
		ASSERT_INT_EQ(store_crl_next_number(i % 3 ? a : b, "ca-1", NULL,
		    &n, &e), 0);
		ASSERT_INT_EQ(n, i + 1);
	}
	ASSERT_INT_EQ(store_audit_verify(a, NULL, &rep, &e), 0);
	ASSERT_INT_EQ(rep.lines, 40);
	store_close(a);
	store_close(b);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

/* xorshift64, fixed seed. */
static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random UTF-8 string: ASCII, controls, quotes, 2-, 3- and 4-byte. */
static void
rnd_str(char *buf, size_t max)
{
	static const char *const atoms[] = { "a", "Z", "0", " ", "\"", "\\",
		"/", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f", "\x7f",
		"\xc3\xa9", "\xe2\x80\xa8", "\xef\xbf\xbd",
		"\xf0\x9f\x93\x9e", "{", "}", ":", "," };
	size_t	 n = rnd(12), i, off = 0, l;

	for (i = 0; i < n; i++) {
		const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];

		l = strlen(a);
		if (off + l + 1 > max)
			break;
		memcpy(buf + off, a, l);
		off += l;
	}
	buf[off] = '\0';
}

/* A random key: plain, or with quotes, controls, UTF-8 or a NUL. */
static size_t
rnd_key(char *buf, size_t max)
{
	static const char *const atoms[] = { "k", "a", "Z", "_", "-", "0",
		"\"", "\\", "\n", "\x01", "\xc3\xa9", "\xf0\x9f\x93\x9e", "/",
		" " };
	size_t	n = 1 + rnd(6), i, off = 0, l;

	for (i = 0; i < n; i++) {
		const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];

		l = strlen(a);
		if (off + l + 2 > max)
			break;
		memcpy(buf + off, a, l);
		off += l;
	}
	if (rnd(8) == 0 && off + 2 < max)
		buf[off++] = '\0';	/* jansson keys may hold NULs */
	buf[off] = '\0';
	return off;
}

/*
 * A random JSON value: every type, integers at their limits, reals,
 * strings with NULs and 4-byte UTF-8, arrays and objects down to depth
 * 20 (deeper than audit.c writes itself, JSON_DIRECT_DEPTH).
 */
static json_t *
rnd_value(int depth)
{
	char	 buf[64];
	json_t	*v;
	size_t	 i, n, kl;
	int	 k = rnd(depth >= 20 ? 7 : 10);

	switch (k) {
	case 0:
		return json_null();
	case 1:
		return rnd(2) ? json_true() : json_false();
	case 2:
		switch (rnd(4)) {
		case 0:
			return json_integer(INT64_MIN);
		case 1:
			return json_integer(INT64_MAX);
		default:
			return json_integer((json_int_t)rnd(1u << 31) -
			    (1 << 30));
		}
	case 3:
		return json_real(rnd(2) ? 0.1 * rnd(1000) :
		    1e300 / (1 + rnd(9)));
	case 4:
	case 5:
		rnd_str(buf, sizeof(buf));
		n = strlen(buf);
		if (rnd(4) == 0 && n + 2 < sizeof(buf)) {
			buf[n] = '\0';
			buf[n + 1] = 'z';
			n += 2;		/* an embedded NUL */
		}
		return json_stringn(buf, n);
	case 6:
		return json_string("");
	case 7:
	case 8:
		v = json_array();
		n = rnd(4);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd(4);
		for (i = 0; i < n; i++) {
			kl = rnd_key(buf, sizeof(buf));
			json_object_setn_new(v, buf, kl, rnd_value(depth + 1));
		}
		return v;
	}
}

/*
 * audit_line_build writes its lines directly; jansson is the judge: the
 * same fields put into a json_t by jansson and dumped with JSON_COMPACT
 * | JSON_SORT_KEYS give the same bytes, for random own fields and random
 * extra values of every type and depth.  The time is judged by gmtime_r
 * and strftime.
 */
static void
t_line_matches_jansson(void)
{
	struct store_audit_head	 h = { 0, "" };
	struct audit_field	 f[6];
	struct tm		 tm;
	time_t			 tt;
	char			 sv[6][64], keys[6][16], ek[64], tbuf[32];
	char			 prev[STORE_HASH_HEXSZ];
	char			*line = NULL, *want = NULL;
	json_t			*extra, *o, *a, *b;
	void			*it;
	size_t			 len, i, nf, kl;
	int			 round, nx, j;

	memset(h.hash, '0', 64);
	for (round = 0; round < 3000; round++) {
		nf = rnd(6);
		for (i = 0; i < nf; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%c%u",
			    "abcXYZ_-"[rnd(8)], (unsigned)i);
			rnd_str(sv[i], sizeof(sv[i]));
			if (rnd(3) == 0)
				f[i] = (struct audit_field){ keys[i],
				    AUDIT_INT, NULL,
				    (int64_t)rnd(1u << 31) - (1 << 30), NULL };
			else
				f[i] = (struct audit_field){ keys[i],
				    AUDIT_STR, rnd(8) ? sv[i] : NULL, 0,
				    NULL };
		}
		extra = NULL;
		if (rnd(4) != 0) {
			extra = json_object();
			nx = (int)rnd(8);
			for (j = 0; j < nx; j++) {
				kl = rnd_key(ek, sizeof(ek));
				/* Never an own or a reserved key. */
				ek[0] = 'x';
				json_object_setn_new(extra, ek, kl,
				    rnd_value(0));
			}
			if (round % 50 == 0) {
				/* Deeper than audit.c writes itself. */
				a = json_pack("{s:[f,s]}", "z", 0.5, "deep");
				for (j = 0; j < 25; j++)
					a = json_pack("[o,i]", a, j);
				json_object_set_new(extra, "xdeep", a);
			}
		}
		/*
		 * What jansson makes of the same fields (not json_deep_copy,
		 * which cuts keys at a NUL).
		 */
		ASSERT_NONNULL(o = json_object());
		for (it = extra != NULL ? json_object_iter(extra) : NULL;
		    it != NULL; it = json_object_iter_next(extra, it))
			json_object_setn(o, json_object_iter_key(it),
			    json_object_iter_key_len(it),
			    json_object_iter_value(it));
		for (i = 0; i < nf; i++)
			if (f[i].kind == AUDIT_INT)
				json_object_set_new(o, f[i].key,
				    json_integer(f[i].num));
			else if (f[i].str != NULL)
				json_object_set_new(o, f[i].key,
				    json_string(f[i].str));
		tt = 1767225600 + round * 86399;
		gmtime_r(&tt, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
		memcpy(prev, h.hash, sizeof(prev));
		json_object_set_new(o, "seq", json_integer(h.seq + 1));
		json_object_set_new(o, "time", json_string(tbuf));
		json_object_set_new(o, "event", json_string(round % 2 ?
		    "issue" : "ceremony-step"));
		json_object_set_new(o, "prev", json_string(prev));
		want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
		ASSERT_NONNULL(want);

		ASSERT_INT_EQ(audit_line_build(&h, (int64_t)tt, round % 2 ?
		    "issue" : "ceremony-step", f, nf, extra, &line, &len,
		    NULL), 0);
		json_decref(extra);
		ASSERT_INT_EQ(strlen(line), len);
		ASSERT_STR_EQ(line, want);
		free(line);
		free(want);
		line = want = NULL;
	}
	ASSERT_INT_EQ(h.seq, 3000);
	/* Own strings must be UTF-8; extras may not clash. */
	f[0] = (struct audit_field){ "subject", AUDIT_STR, "\xc3(", 0, NULL };
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, NULL, &line, &len,
	    NULL), ST_E_USAGE);
	f[0] = (struct audit_field){ "subject", AUDIT_STR, "ok", 0, NULL };
	extra = json_pack("{s:s}", "subject", "again");
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_decref(extra);
	extra = json_pack("{s:s}", "time", "again");
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_decref(extra);
	/* Where json_dumps fails, the line is refused. */
	extra = json_pack("{s:o}", "x", json_stringn_nocheck("a\xed\xa0\x80",
	    4));
	ASSERT_TRUE(json_dumps(extra, JSON_COMPACT) == NULL);
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_decref(extra);
	extra = json_object();
	json_object_setn_new_nocheck(extra, "x\xff", 2, json_true());
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_decref(extra);
	a = json_array();
	b = json_array();
	json_array_append(a, b);
	json_array_append(b, a);	/* a loop */
	extra = json_pack("{s:O}", "x", a);
	ASSERT_TRUE(json_dumps(extra, JSON_COMPACT) == NULL);
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_array_clear(b);
	json_decref(a);
	json_decref(b);
	json_decref(extra);
	extra = json_pack("[s]", "not an object");
	ASSERT_INT_EQ(audit_line_build(&h, 0, "x", f, 1, extra, &line, &len,
	    NULL), ST_E_USAGE);
	json_decref(extra);
	ASSERT_INT_EQ(h.seq, 3000);
}

/* audit_time against gmtime_r and strftime, 1970 to 9999 and beyond. */
static void
t_time_format(void)
{
	static const int64_t edges[] = { 0, 1, 59, 86399, 86400, 68169600,
		951782399, 951782400, 951868800, 978307199, 4107542399,
		4107542400, INT64_C(253402300799), INT64_C(253402300800),
		INT64_C(253402300801), -1, -86400, INT64_C(-62135596800) };
	struct tm	tm;
	time_t		tt;
	char		got[64], want[64];
	size_t		i;
	int64_t		t;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 200000; i++) {
		if (i < sizeof(edges) / sizeof(edges[0]))
			t = edges[i];
		else
			t = (int64_t)(((uint64_t)rnd(1u << 31) << 7 ^
			    rnd(1u << 20)) % INT64_C(253402300800));
		tt = (time_t)t;
		ASSERT_NONNULL(gmtime_r(&tt, &tm));
		ASSERT_TRUE(strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) > 0);
		audit_time(t, got, sizeof(got));
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "  time %lld\n", (long long)t);
			ASSERT_STR_EQ(got, want);
		}
	}
}

/* Remove the temporary directory and what the tests left in it. */
static void
cleanup(void)
{
	char	cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
main(void)
{
	const char	*t = getenv("TMPDIR");
	int		 rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX",
	    t != NULL ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	if (system("sqlite3 -version > /dev/null 2>&1") != 0) {
		fprintf(stderr, "the sqlite3 command-line tool is missing\n");
		return 2;
	}
	RUN(t_open_migrate);
	RUN(t_checks_cheap);
	RUN(t_migrate_v1);
	RUN(t_newer_refused);
	RUN(t_not_stica);
	RUN(t_uri);
	RUN(t_reserve_commit);
	RUN(t_issue_line_hash);
	RUN(t_serial_collision);
	RUN(t_request_key);
	RUN(t_commit_rules);
	RUN(t_pending_after_crash);
	RUN(t_lookup_many);
	RUN(t_append_many);
	RUN(t_commit_paths);
	RUN(t_revoke);
	RUN(t_crl_numbers);
	RUN(t_audit_append_verify);
	RUN(t_line_matches_jansson);
	RUN(t_time_format);
	RUN(t_verify_file_faults);
	RUN(t_bad_input);
	RUN(t_triggers);
	RUN(t_readonly);
	RUN(t_two_handles);
	RUN(t_request_fp);
	RUN(t_runs);
	rc = th_done("test_store");
	cleanup();
	return rc;
}
