/* SPDX-License-Identifier: ISC */
/*
 * Benchmark of store/ on SQLite: certificates recorded per second through
 * the store calls of a batch issuance, as ca_issue_batch makes them: the
 * request keys looked up in one call (store_request_lookup_many), the
 * intents reserved (store_issue_reserve), then committed with their
 * audit lines (store_issue_commit) carrying the extra fields ca/issue.c
 * adds (requester, proof, rule, scope, key type).  Rows are realistic: a
 * 17-byte random serial, a 520-byte TBS, a 600-byte certificate, a short
 * TNAuthList and a request key "<32 hex digits>:<line>" as issue-batch
 * makes them.  Batches of 1 (stica issue, ACME), 128 (an issue-batch
 * chunk) and 512, each on a fresh database under $TMPDIR (default /tmp).
 * Then refusal lines, one transaction each and then in batches of 128
 * (store_audit_append_many), and the audit chain of the largest run is
 * verified (lines/s).
 *
 * Prints, per batch size, certificates/s (wall) and the CPU time per
 * certificate of each phase; the CPU figures are the steadier ones on a
 * shared machine.  The target (docs/store.md) is 20 000 certificates/s
 * batched.  Asserts nothing about time; exit status 1 only when a result
 * is wrong (a count, a look-up, the chain).
 *
 *   bench_store [N]     N certificates for batches of 128 and 512
 *                       (default 200000; 1 always gets N / 100)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/bench/bench.h"

#define TARGET		20000.0
#define SERIAL_LEN	17
#define TBS_LEN		520
#define DER_LEN		600
#define MAXBATCH	512
#define REFUSALS	2000

struct row {
	uint8_t	 serial[SERIAL_LEN];
	uint8_t	 tbs[TBS_LEN];
	uint8_t	 der[DER_LEN];
	char	 key[48];
	char	 tn[24];
	json_t	*extra;
};

static const uint8_t tnauth[] = { 0x30, 0x0f, 0xa2, 0x0d, 0x16, 0x0b, '1',
	'2', '0', '2', '5', '5', '5', '0', '1', '0', '0' };
static const char batch_id[] = "5f0c6a0e4c1d2b3a99887766554433ee";

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*, fixed seed: every run records the same rows. */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* User + system CPU seconds of this process so far. */
static double
cpu_seconds(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long
peak_rss_kb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * The extra fields of an issue line as ca/issue.c's issue_fields makes
 * them for an issue-batch line.
 */
static json_t *
issue_extra(const char *tn)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:[s],s:s}", "requester",
	    "operator", "proof", "none", "ca", 0, "rule", "operator-per-tn",
	    "scope", tn, "key", "ec-p256");
}

/* Row i: random serial, TBS embedding it, certificate wrapping the TBS. */
static int
make_row(struct row *r, uint64_t i)
{
	uint64_t	a = rnd(), b = rnd(), c = rnd();
	size_t		k;

	memcpy(r->serial, &a, 8);
	memcpy(r->serial + 8, &b, 8);
	r->serial[16] = (uint8_t)c;
	r->serial[0] = (uint8_t)((r->serial[0] & 0x7f) | 0x01);
	r->tbs[0] = 0x30;
	r->tbs[1] = 0x82;
	r->tbs[2] = (TBS_LEN - 4) >> 8;
	r->tbs[3] = (TBS_LEN - 4) & 0xff;
	for (k = 4; k < TBS_LEN; k++)
		r->tbs[k] = (uint8_t)(k * 31 + i);
	memcpy(r->tbs + 8, r->serial, SERIAL_LEN);
	r->der[0] = 0x30;
	r->der[1] = 0x82;
	r->der[2] = (DER_LEN - 4) >> 8;
	r->der[3] = (DER_LEN - 4) & 0xff;
	memcpy(r->der + 4, r->tbs, TBS_LEN);
	for (k = 4 + TBS_LEN; k < DER_LEN; k++)
		r->der[k] = (uint8_t)(rnd() >> 56);
	snprintf(r->key, sizeof(r->key), "%s:%" PRIu64, batch_id, i + 1);
	snprintf(r->tn, sizeof(r->tn), "tn:1202%07" PRIu64, i % 10000000);
	json_decref(r->extra);
	return (r->extra = issue_extra(r->tn)) != NULL ? 0 : -1;
}

static int
count_cb(void *arg, const struct store_cert *c)
{
	(void)c;
	(*(uint64_t *)arg)++;
	return 0;
}

/* CPU and wall time of one phase, summed over the batches. */
struct phase {
	double	cpu;
	double	wall;
};

static void
phase_add(struct phase *p, double c0, double t0)
{
	p->cpu += cpu_seconds() - c0;
	p->wall += now() - t0;
}

/* Record n certificates in batches of batch; 0 on success. */
static int
run(const char *dir, size_t batch, uint64_t n, bool verify)
{
	struct store		 *s = NULL;
	struct store_intent	 *in = NULL;
	struct store_signed	 *sg = NULL;
	struct store_cert	**found = NULL;
	const char		**keys = NULL;
	struct store_audit_report rep;
	struct row		 *rows = NULL;
	struct phase		  lk = { 0, 0 }, rs = { 0, 0 }, cm = { 0, 0 };
	struct st_err		  e;
	char			  path[512], uri[520], cmd[1100];
	double			  t0, c0, t;
	uint64_t		  done = 0, cnt = 0;
	size_t			  i, m;
	FILE			 *f;
	long			  dbkb = 0;
	int			  rc = 1;

	snprintf(path, sizeof(path), "%s/bench-%zu.db", dir, batch);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	st_err_clear(&e);
	in = calloc(batch, sizeof(*in));
	sg = calloc(batch, sizeof(*sg));
	rows = calloc(batch, sizeof(*rows));
	found = calloc(batch, sizeof(*found));
	keys = calloc(batch, sizeof(*keys));
	if (in == NULL || sg == NULL || rows == NULL || found == NULL ||
	    keys == NULL || store_open(uri, &s, &e) != 0) {
		fprintf(stderr, "bench_store: %s\n", st_err_str(&e, ST_E_NOMEM));
		goto out;
	}
	while (done < n) {
		m = n - done < batch ? (size_t)(n - done) : batch;
		for (i = 0; i < m; i++) {
			if (make_row(&rows[i], done + i) != 0) {
				fprintf(stderr, "bench_store: out of memory\n");
				goto out;
			}
			keys[i] = rows[i].key;
			in[i] = (struct store_intent){
				.issuer = "bench-ca",
				.serial = rows[i].serial,
				.serial_len = SERIAL_LEN,
				.profile = "per-tn",
				.subject = "C=US, CN=TN 12025550100",
				.tnauth = tnauth,
				.tnauth_len = sizeof(tnauth),
				.not_before = 1767225600,
				.not_after = 1767225600 + 86400 * 90,
				.tbs = rows[i].tbs,
				.tbs_len = TBS_LEN,
				.request_key = rows[i].key,
			};
			sg[i] = (struct store_signed){
				.issuer = "bench-ca",
				.serial = rows[i].serial,
				.serial_len = SERIAL_LEN,
				.der = rows[i].der,
				.der_len = DER_LEN,
				.audit = rows[i].extra,
			};
		}
		c0 = cpu_seconds();
		t0 = now();
		if (store_request_lookup_many(s, keys, m, found, &e) != 0) {
			fprintf(stderr, "bench_store: lookup: %s\n", e.msg);
			goto out;
		}
		phase_add(&lk, c0, t0);
		for (i = 0; i < m; i++)
			if (found[i] != NULL) {
				fprintf(stderr, "bench_store: key %s found "
				    "before it was reserved\n", keys[i]);
				goto out;
			}
		c0 = cpu_seconds();
		t0 = now();
		if (store_issue_reserve(s, in, m, NULL, &e) != 0) {
			fprintf(stderr, "bench_store: reserve: %s\n", e.msg);
			goto out;
		}
		phase_add(&rs, c0, t0);
		c0 = cpu_seconds();
		t0 = now();
		if (store_issue_commit(s, sg, m, &e) != 0) {
			fprintf(stderr, "bench_store: commit: %s\n", e.msg);
			goto out;
		}
		phase_add(&cm, c0, t0);
		done += m;
	}
	t = lk.wall + rs.wall + cm.wall;
	printf("batch %4zu: %8" PRIu64 " certificates in %6.2f s: %8.0f/s; "
	    "%.2fx the %.0f/s target; peak RSS %ld KiB\n", batch, n, t,
	    (double)n / t, (double)n / t / TARGET, TARGET, peak_rss_kb());
	printf("batch %4zu: CPU per certificate %.1f us (look-up %.1f, "
	    "reserve %.1f, commit+audit %.1f): %.0f/s if the disk were "
	    "free\n", batch, (lk.cpu + rs.cpu + cm.cpu) * 1e6 / (double)n,
	    lk.cpu * 1e6 / (double)n, rs.cpu * 1e6 / (double)n,
	    cm.cpu * 1e6 / (double)n, (double)n / (lk.cpu + rs.cpu + cm.cpu));
	if (store_cert_iter(s, "bench-ca", STORE_VALID, count_cb, &cnt, &e) !=
	    0 || cnt != n) {
		fprintf(stderr, "bench_store: %" PRIu64 " valid rows, wanted %"
		    PRIu64 "\n", cnt, n);
		goto out;
	}
	/* The last batch's keys are found now. */
	if (store_request_lookup_many(s, keys, m, found, &e) != 0) {
		fprintf(stderr, "bench_store: lookup: %s\n", e.msg);
		goto out;
	}
	for (i = 0; i < m; i++) {
		if (found[i] == NULL || found[i]->status != STORE_VALID ||
		    found[i]->der_len != DER_LEN ||
		    memcmp(found[i]->der, rows[i].der, DER_LEN) != 0) {
			fprintf(stderr, "bench_store: key %s: not found as "
			    "recorded\n", keys[i]);
			goto out;
		}
		store_cert_free(found[i]);
		found[i] = NULL;
	}
	if (verify) {
		t0 = now();
		if (store_audit_verify(s, NULL, &rep, &e) != 0 ||
		    (uint64_t)rep.lines != n) {
			fprintf(stderr, "bench_store: audit: %s\n", e.msg);
			goto out;
		}
		t = now() - t0;
		printf("audit verify: %" PRId64 " lines in %.2f s: %.0f "
		    "lines/s; peak RSS %ld KiB\n", rep.lines, t,
		    (double)rep.lines / t, peak_rss_kb());
	}
	store_close(s);
	s = NULL;
	snprintf(cmd, sizeof(cmd), "du -k '%s' 2>/dev/null", path);
	if ((f = popen(cmd, "r")) != NULL) {
		if (fscanf(f, "%ld", &dbkb) != 1)
			dbkb = 0;
		pclose(f);
	}
	if (dbkb > 0)
		printf("batch %4zu: database %ld KiB, %.0f bytes per "
		    "certificate\n", batch, dbkb, (double)dbkb * 1024 /
		    (double)n);
	rc = 0;
out:
	store_close(s);
	for (i = 0; rows != NULL && i < batch; i++)
		json_decref(rows[i].extra);
	for (i = 0; found != NULL && i < batch; i++)
		store_cert_free(found[i]);
	free(in);
	free(sg);
	free(rows);
	free(found);
	free(keys);
	return rc;
}

/* The fields of a refuse line as ca/issue.c's refusal_fields makes them. */
static json_t *
refuse_extra(const char *key)
{
	return json_pack("{s:s,s:s,s:b,s:s,s:[s],s:s,s:s,s:s}", "requester",
	    "operator", "proof", "none", "ca", 0, "rule", "operator-per-tn",
	    "scope", "tn:12025550100", "request", key, "code", "ST_E_SCOPE",
	    "reason", "scope: not encompassed by issuer 'ca' (CN=SHAKEN CA): "
	    "tn:12025550100 is outside range:12025550100+100");
}

/*
 * REFUSALS refuse lines as ca/issue.c writes them, one transaction each
 * and then in batches of 128.
 */
static int
refusals(const char *dir)
{
	struct store		*s = NULL;
	struct store_audit_rec	 r[128];
	struct store_audit_report rep;
	struct st_err		 e;
	char			 path[512], uri[520], key[64];
	double			 t0, c0, t[2], c[2];
	size_t			 i, k, m;
	int			 pass, rc = 1;

	memset(r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/refuse.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	st_err_clear(&e);
	if (store_open(uri, &s, &e) != 0) {
		fprintf(stderr, "bench_store: %s\n", e.msg);
		goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		c[pass] = t[pass] = 0;
		for (i = 0; i < REFUSALS; i += m) {
			m = pass == 0 ? 1 : REFUSALS - i < 128 ? REFUSALS - i :
			    128;
			for (k = 0; k < m; k++) {
				snprintf(key, sizeof(key), "%s:%zu", batch_id,
				    i + k + 1);
				json_decref(r[k].fields);
				r[k].event = "refuse";
				if ((r[k].fields = refuse_extra(key)) == NULL) {
					fprintf(stderr, "bench_store: out of "
					    "memory\n");
					goto out;
				}
			}
			c0 = cpu_seconds();
			t0 = now();
			if (store_audit_append_many(s, r, m, &e) != 0) {
				fprintf(stderr, "bench_store: refusals: %s\n",
				    e.msg);
				goto out;
			}
			c[pass] += cpu_seconds() - c0;
			t[pass] += now() - t0;
		}
	}
	printf("refusals: %d lines one transaction each: %.0f/s, %.1f us CPU "
	    "each; in batches of 128: %.0f/s, %.1f us CPU each\n", REFUSALS,
	    REFUSALS / t[0], c[0] * 1e6 / REFUSALS, REFUSALS / t[1],
	    c[1] * 1e6 / REFUSALS);
	if (store_audit_verify(s, NULL, &rep, &e) != 0 ||
	    rep.lines != 2 * REFUSALS) {
		fprintf(stderr, "bench_store: refusals: %s\n", e.msg);
		goto out;
	}
	rc = 0;
out:
	for (k = 0; k < 128; k++)
		json_decref(r[k].fields);
	store_close(s);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*tmp = getenv("TMPDIR");
	char		 dir[300], cmd[400];
	uint64_t	 n = 200000;
	int		 rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && (n = strtoull(argv[1], NULL, 10)) < 100) {
		fprintf(stderr, "usage: bench_store [N >= 100]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	printf("bench_store: SQLite (WAL, synchronous=FULL) in %s; rows: "
	    "%d-byte serial, %d-byte TBS, %d-byte certificate, issue-batch's "
	    "request keys and audit fields; target %.0f certificates/s "
	    "batched\n", dir, SERIAL_LEN, TBS_LEN, DER_LEN, TARGET);
	if (run(dir, 1, n / 100, false) != 0 || run(dir, 128, n, false) != 0 ||
	    run(dir, MAXBATCH, n, true) != 0 || refusals(dir) != 0)
		rc = 1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	return rc;
}
