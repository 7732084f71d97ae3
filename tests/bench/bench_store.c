/* SPDX-License-Identifier: ISC */
/*
 * Benchmark of store/ on SQLite: certificates recorded per second through
 * the two-phase path (store_issue_reserve, then store_issue_commit with
 * its audit lines), in batches of 1, 64 and 512, with realistic rows: a
 * 16-byte random serial, a 520-byte TBS, a 600-byte certificate, a short
 * TNAuthList and a request key per row.  Each batch size gets a fresh
 * database under $TMPDIR (default /tmp).  Then the audit chain of the
 * largest run is verified (lines/s).
 *
 * The target (docs/store.md) is 20 000 certificates/s when batched, so
 * that the store is not the bottleneck of bulk issuance (>= 0.6x the
 * ~17 000/s raw SoftHSM C_Sign rate of one core).  Prints figures, the
 * ratio to the target and the peak RSS; asserts nothing about time.  Exit
 * status 1 only when a result is wrong (a count, the chain).
 *
 *   bench_store [N]     N certificates for batches of 64 and 512
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

#define TARGET		20000.0
#define TBS_LEN		520
#define DER_LEN		600
#define MAXBATCH	512

struct row {
	uint8_t	serial[16];
	uint8_t	tbs[TBS_LEN];
	uint8_t	der[DER_LEN];
	char	key[24];
};

static const uint8_t tnauth[] = { 0x30, 0x0f, 0xa2, 0x0d, 0x16, 0x0b, '1',
	'2', '0', '2', '5', '5', '5', '0', '1', '0', '0' };

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

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* Row i: random serial, TBS embedding it, certificate wrapping the TBS. */
static void
make_row(struct row *r, uint64_t i)
{
	uint64_t	a = rnd(), b = rnd();
	size_t		k;

	memcpy(r->serial, &a, 8);
	memcpy(r->serial + 8, &b, 8);
	r->serial[0] = (uint8_t)((r->serial[0] & 0x7f) | 0x01);
	r->tbs[0] = 0x30;
	r->tbs[1] = 0x82;
	r->tbs[2] = (TBS_LEN - 4) >> 8;
	r->tbs[3] = (TBS_LEN - 4) & 0xff;
	for (k = 4; k < TBS_LEN; k++)
		r->tbs[k] = (uint8_t)(k * 31 + i);
	memcpy(r->tbs + 8, r->serial, 16);
	r->der[0] = 0x30;
	r->der[1] = 0x82;
	r->der[2] = (DER_LEN - 4) >> 8;
	r->der[3] = (DER_LEN - 4) & 0xff;
	memcpy(r->der + 4, r->tbs, TBS_LEN);
	for (k = 4 + TBS_LEN; k < DER_LEN; k++)
		r->der[k] = (uint8_t)(rnd() >> 56);
	snprintf(r->key, sizeof(r->key), "k-%" PRIu64, i);
}

static int
count_cb(void *arg, const struct store_cert *c)
{
	(void)c;
	(*(uint64_t *)arg)++;
	return 0;
}

/* Record n certificates in batches of batch; 0 on success. */
static int
run(const char *dir, size_t batch, uint64_t n, bool verify)
{
	struct store		*s = NULL;
	struct store_intent	*in = NULL;
	struct store_signed	*sg = NULL;
	struct store_audit_report rep;
	struct row		*rows = NULL;
	struct st_err		 e;
	char			 path[512], uri[520], cmd[1100];
	double			 t0, tres = 0, tcom = 0, t, c0, cpu = 0;
	uint64_t		 done = 0, cnt = 0;
	size_t			 i, m;
	FILE			*f;
	long			 dbkb = 0;
	int			 rc = 1;

	snprintf(path, sizeof(path), "%s/bench-%zu.db", dir, batch);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	st_err_clear(&e);
	in = calloc(batch, sizeof(*in));
	sg = calloc(batch, sizeof(*sg));
	rows = calloc(batch, sizeof(*rows));
	if (in == NULL || sg == NULL || rows == NULL ||
	    store_open(uri, &s, &e) != 0) {
		fprintf(stderr, "bench_store: %s\n", st_err_str(&e, ST_E_NOMEM));
		goto out;
	}
	while (done < n) {
		m = n - done < batch ? (size_t)(n - done) : batch;
		for (i = 0; i < m; i++) {
			make_row(&rows[i], done + i);
			in[i] = (struct store_intent){
				.issuer = "bench-ca",
				.serial = rows[i].serial,
				.serial_len = 16,
				.profile = "per-tn",
				.subject = "CN=SHAKEN 12025550100",
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
				.serial_len = 16,
				.der = rows[i].der,
				.der_len = DER_LEN,
			};
		}
		c0 = cpu_seconds();
		t0 = now();
		if (store_issue_reserve(s, in, m, NULL, &e) != 0) {
			fprintf(stderr, "bench_store: reserve: %s\n", e.msg);
			goto out;
		}
		t = now();
		tres += t - t0;
		if (store_issue_commit(s, sg, m, &e) != 0) {
			fprintf(stderr, "bench_store: commit: %s\n", e.msg);
			goto out;
		}
		tcom += now() - t;
		cpu += cpu_seconds() - c0;
		done += m;
	}
	t = tres + tcom;
	printf("batch %4zu: %8" PRIu64 " certificates in %6.2f s: %8.0f/s "
	    "(reserve %.0f/s, commit+audit %.0f/s); %.2fx the %.0f/s target; "
	    "peak RSS %ld KiB\n", batch, n, t, (double)n / t,
	    (double)n / tres, (double)n / tcom, (double)n / t / TARGET,
	    TARGET, peak_rss_kb());
	printf("batch %4zu: %.1f us CPU per certificate (%.0f/s if the disk "
	    "were free)\n", batch, cpu * 1e6 / (double)n, (double)n / cpu);
	if (store_cert_iter(s, "bench-ca", STORE_VALID, count_cb, &cnt, &e) !=
	    0 || cnt != n) {
		fprintf(stderr, "bench_store: %" PRIu64 " valid rows, wanted %"
		    PRIu64 "\n", cnt, n);
		goto out;
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
	free(in);
	free(sg);
	free(rows);
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
	    "16-byte serial, %d-byte TBS, %d-byte certificate; target %.0f "
	    "certificates/s batched\n", dir, TBS_LEN, DER_LEN, TARGET);
	if (run(dir, 1, n / 100, false) != 0 || run(dir, 64, n, false) != 0 ||
	    run(dir, MAXBATCH, n, true) != 0)
		rc = 1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	return rc;
}
