/* SPDX-License-Identifier: ISC */
/*
 * bench_issue: issuance throughput against the raw SoftHSM2 signing rate
 * measured in the same run, on a throwaway deployment (stica init into a
 * temporary directory, the starter policy, profile per-tn, an ECDSA
 * P-256 issuing CA in the token):
 *
 *   raw      C_SignInit + C_Sign (CKM_ECDSA, 32-byte digest) straight on
 *            the module with the deployment's CA key, 1 thread and N
 *            threads (N = online CPUs), each thread with its own session;
 *            measured before and after the issuance runs, averaged
 *   core     hsm_key_sign_digest: the same through hsm/ with the
 *            verification stica makes of every signature, the floor of
 *            any issuance
 *   csr      stica issue-batch with CSR lines: the whole path (parse,
 *            self-signature, policy, build, lint, HSM signature, commit,
 *            audit), 1 and N threads
 *   bulk     stica issue-batch with public-key lines (per-TN), 1 and N
 *            threads
 *   1M       one batch of BENCH_CERTS (default 1 000 000) per-TN lines on
 *            N threads: its rate and its peak RSS (ru_maxrss of the
 *            issuing process)
 *
 * Each rate is printed with its ratio to raw C_Sign on 1 thread and, for
 * the N-thread runs, to raw C_Sign on N threads, beside the targets of
 * the issue (CSR >= 0.35x, bulk >= 0.6x).  Inputs come from a pool of
 * BENCH_KEYS (default 1000) keys reused across lines; every run starts
 * from an empty database.  BENCH_RUN_CERTS (default 20000) sets the
 * size of the 1- and N-thread runs (CSR runs use half), BENCH_SECONDS
 * (default 2) the length of each raw measurement.
 *
 * Figures, not verdicts: it exits 1 only when a result is wrong (a run
 * fails, the count of issued certificates is off, or a sampled
 * certificate does not verify with the CA's key).  The temporary
 * directory is removed at the end, also when the benchmark is
 * interrupted (SIGINT, SIGTERM: the running stica is stopped first).
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/common.h"
#include "common/config.h"
#include "hsm/hsm_int.h"
#include "tests/bench/bench.h"

#define MAXT		16
#define TN_BASE		12025500000ULL	/* stica init --range below */
#define TN_RANGE	"12025500000+1000000"

static const char	*stica;
static char		 dir[512];
static int		 wrong;
static volatile sig_atomic_t	 stopping;
static volatile pid_t	 child = -1;

/* SIGINT/SIGTERM: stop the running stica; main cleans up and exits. */
static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	if (child > 0)
		kill(child, SIGTERM);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
cleanup(void)
{
	if (dir[0] != '\0')
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

static long
env_long(const char *name, long def)
{
	const char	*s = getenv(name);
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 ? v : def;
}

/*
 * Run argv with stdout to out_fd (or a log file when -1), stderr to the
 * log; returns the exit status, or -1.  *ru (may be NULL) gets the
 * child's resource usage.
 */
static int
run(char *const argv[], int out_fd, struct rusage *ru, pid_t *pidp)
{
	char	log[600];
	pid_t	pid;
	int	st, fd;

	snprintf(log, sizeof(log), "%s/log", dir);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		dup2(out_fd >= 0 ? out_fd : fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	child = pid;
	if (pidp != NULL) {
		*pidp = pid;
		return 0;
	}
	while (wait4(pid, &st, 0, ru) == -1)
		if (errno != EINTR)
			return -1;
	child = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ------------------------------------------------------------------ */
/* Raw signing on the deployment's key                                */

struct rawarg {
	struct hsm	*h;
	const uint8_t	*id;
	size_t		 idlen;
	struct hsm_key	*k;
	bool		 core;		/* hsm_key_sign_digest instead */
	double		 secs;
	pthread_barrier_t *bar;
	long		 n;
	int		 bad;
};

static void *
raw_thread(void *varg)
{
	struct rawarg		*a = varg;
	CK_FUNCTION_LIST	*fl = a->h->mod->f;
	CK_SESSION_HANDLE	 s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE	 obj = CK_INVALID_HANDLE;
	CK_OBJECT_CLASS		 cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE		 tpl[2];
	CK_MECHANISM		 mech = { CKM_ECDSA, NULL, 0 };
	CK_ULONG		 cnt = 0, siglen;
	CK_BYTE			 dgst[32], sig[128];
	struct st_err		 e;
	size_t			 sl;
	double			 t0;

	if (!a->core) {
		if (fl->C_OpenSession(a->h->slot, CKF_SERIAL_SESSION, NULL,
		    NULL, &s) != CKR_OK)
			a->bad++;
		tpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
		tpl[1] = (CK_ATTRIBUTE){ CKA_ID, (void *)(uintptr_t)a->id,
		    a->idlen };
		if (a->bad == 0 && (fl->C_FindObjectsInit(s, tpl, 2) !=
		    CKR_OK || fl->C_FindObjects(s, &obj, 1, &cnt) != CKR_OK ||
		    fl->C_FindObjectsFinal(s) != CKR_OK || cnt != 1))
			a->bad++;
	}
	RAND_bytes(dgst, sizeof(dgst));
	pthread_barrier_wait(a->bar);
	t0 = now();
	while (a->bad == 0 && !stopping) {
		if (a->core) {
			sl = sizeof(sig);
			st_err_clear(&e);
			if (hsm_key_sign_digest(a->k, dgst, sizeof(dgst), sig,
			    &sl, &e) != 0)
				a->bad++;
		} else {
			siglen = sizeof(sig);
			if (fl->C_SignInit(s, &mech, obj) != CKR_OK ||
			    fl->C_Sign(s, dgst, sizeof(dgst), sig, &siglen) !=
			    CKR_OK)
				a->bad++;
		}
		dgst[0]++;
		if ((++a->n & 31) == 0 && now() - t0 >= a->secs)
			break;
	}
	if (s != CK_INVALID_HANDLE)
		fl->C_CloseSession(s);
	return NULL;
}

/* Signatures per second on nt threads, together. */
static double
raw_rate(struct hsm *h, struct hsm_key *k, unsigned nt, bool core,
    double secs)
{
	struct rawarg		a[MAXT];
	pthread_t		t[MAXT];
	pthread_barrier_t	bar;
	size_t			idlen;
	const uint8_t		*id = hsm_key_id(k, &idlen);
	double			t0, el;
	long			total = 0;
	unsigned		i;

	pthread_barrier_init(&bar, NULL, nt + 1);
	for (i = 0; i < nt; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].h = h;
		a[i].k = k;
		a[i].id = id;
		a[i].idlen = idlen;
		a[i].core = core;
		a[i].secs = secs;
		a[i].bar = &bar;
		if (pthread_create(&t[i], NULL, raw_thread, &a[i]) != 0) {
			fprintf(stderr, "bench_issue: pthread_create\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&bar);
	t0 = now();
	for (i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		total += a[i].n;
		if (a[i].bad != 0) {
			fprintf(stderr, "bench_issue: %s signing failed\n",
			    core ? "core" : "raw");
			wrong++;
		}
	}
	el = now() - t0;
	pthread_barrier_destroy(&bar);
	return el > 0 ? (double)total / el : 0;
}

struct raw {
	double	c1, cn;		/* raw C_Sign, 1 and N threads */
	double	k1, kn;		/* core (sign + verify) */
};

/* The raw and core rates with the deployment's CA key. */
static int
measure_raw(const char *conf, unsigned nt, double secs, struct raw *r)
{
	struct st_config	*cfg = NULL;
	struct hsm_params	 p;
	struct hsm		*h = NULL;
	struct hsm_key		*k = NULL;
	struct st_err		 e;
	int			 rc = -1;

	st_err_clear(&e);
	if (st_config_load(conf, &cfg, &e) != 0 ||
	    st_config_apply_env(cfg, &e) != 0 || cfg->nissuers == 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.module = cfg->hsm.module;
	p.token_uri = cfg->hsm.token;
	p.pin_env = cfg->hsm.pin_env;
	if (hsm_open(&p, &h, &e) != 0 ||
	    hsm_key_load(h, cfg->issuers[0].key, &k, &e) != 0)
		goto out;
	r->c1 = raw_rate(h, k, 1, false, secs);
	r->cn = raw_rate(h, k, nt, false, secs);
	r->k1 = raw_rate(h, k, 1, true, secs);
	r->kn = raw_rate(h, k, nt, true, secs);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_issue: raw: %s\n", e.msg);
	hsm_key_free(k);
	hsm_close(h);
	st_config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Inputs                                                             */

/*
 * Write n JSON lines for stica issue-batch, numbers from first on, keys
 * (base64 SPKIs, or base64 CSRs signed by them) taken in turn from a
 * pool of nkeys.
 */
static int
gen_input(const char *path, long n, unsigned long long first, bool csr,
    long nkeys)
{
	char		**pool = NULL;
	unsigned char	*der = NULL;
	EVP_PKEY	*k = NULL;
	X509_REQ	*q = NULL;
	X509_NAME	*nm;
	FILE		*f = NULL;
	long		 i;
	int		 len, rc = -1;
	char		 cn[32];

	if (nkeys > n)
		nkeys = n;
	if ((pool = calloc((size_t)nkeys, sizeof(*pool))) == NULL)
		goto out;
	for (i = 0; i < nkeys; i++) {
		if ((k = EVP_EC_gen("P-256")) == NULL)
			goto out;
		der = NULL;
		if (csr) {
			snprintf(cn, sizeof(cn), "TN pool %ld", i);
			if ((q = X509_REQ_new()) == NULL ||
			    (nm = X509_REQ_get_subject_name(q)) == NULL ||
			    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
			    (const unsigned char *)cn, -1, -1, 0) ||
			    !X509_REQ_set_pubkey(q, k) ||
			    X509_REQ_sign(q, k, EVP_sha256()) <= 0 ||
			    (len = i2d_X509_REQ(q, &der)) <= 0)
				goto out;
			X509_REQ_free(q);
			q = NULL;
		} else if ((len = i2d_PUBKEY(k, &der)) <= 0)
			goto out;
		if (st_b64_encode(der, (size_t)len, &pool[i]) != 0)
			goto out;
		OPENSSL_free(der);
		der = NULL;
		EVP_PKEY_free(k);
		k = NULL;
	}
	if ((f = fopen(path, "w")) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (fprintf(f, "{\"tnauthlist\": [\"tn:%llu\"], \"%s\": "
		    "\"%s\"}\n", first + (unsigned long long)i, csr ? "csr" :
		    "pubkey", pool[i % nkeys]) < 0)
			goto out;
	if (fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	for (i = 0; pool != NULL && i < nkeys; i++)
		free(pool[i]);
	free(pool);
	OPENSSL_free(der);
	X509_REQ_free(q);
	EVP_PKEY_free(k);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Issuance runs                                                      */

struct result {
	long	n;		/* lines asked for */
	long	issued;		/* from the output */
	double	secs;		/* the summary's (after the engine opened) */
	double	wall;		/* the process, start to exit */
	double	cpu;		/* its user + system time */
	long	maxrss_kb;
};

/* Does the PEM certificate of this output line verify with the CA? */
static int
check_line(const char *line, long want, EVP_PKEY *ca)
{
	json_error_t	 je;
	json_t		*o;
	const char	*pem;
	BIO		*b = NULL;
	X509		*x = NULL;
	int		 ok = 0;

	if ((o = json_loads(line, 0, &je)) == NULL)
		return 0;
	if (json_integer_value(json_object_get(o, "line")) == want &&
	    (pem = json_string_value(json_object_get(o, "certificate"))) !=
	    NULL && (b = BIO_new_mem_buf(pem, -1)) != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL &&
	    X509_verify(x, ca) == 1)
		ok = 1;
	X509_free(x);
	BIO_free(b);
	json_decref(o);
	ERR_clear_error();
	return ok;
}

/* Empty the deployment's database: every run starts from nothing. */
static void
db_reset(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char	p[600];
	size_t	i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/dep/stica.db%s", dir, sfx[i]);
		(void)unlink(p);
	}
}

/*
 * stica issue-batch on input (n lines), threads threads, output read
 * through a pipe: every line must carry a certificate, about 200 of them
 * are verified with the CA's key, and the summary must say n issued.
 */
static int
issue_run(const char *input, long n, unsigned threads, EVP_PKEY *ca,
    const char *id, struct result *r)
{
	char		 conf[600], th[16];
	char		*argv[16], *line = NULL, *last = NULL;
	struct rusage	 ru;
	FILE		*f = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	long		 lines = 0, every, issued = -1;
	double		 t0;
	pid_t		 pid = -1;
	int		 pfd[2], st = -1, rc = -1;
	const char	*p;

	memset(r, 0, sizeof(*r));
	r->n = n;
	db_reset();
	snprintf(conf, sizeof(conf), "%s/dep/stica.yaml", dir);
	snprintf(th, sizeof(th), "%u", threads);
	argv[0] = (char *)(uintptr_t)stica;
	argv[1] = (char *)(uintptr_t)"issue-batch";
	argv[2] = (char *)(uintptr_t)"--config";
	argv[3] = conf;
	argv[4] = (char *)(uintptr_t)"--input";
	argv[5] = (char *)(uintptr_t)input;
	argv[6] = (char *)(uintptr_t)"--profile";
	argv[7] = (char *)(uintptr_t)"per-tn";
	argv[8] = (char *)(uintptr_t)"--threads";
	argv[9] = th;
	argv[10] = (char *)(uintptr_t)"--batch-id";
	argv[11] = (char *)(uintptr_t)id;
	argv[12] = NULL;
	if (pipe(pfd) == -1)
		return -1;
	t0 = now();
	if (run(argv, pfd[1], NULL, &pid) != 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	if ((f = fdopen(pfd[0], "r")) == NULL) {
		close(pfd[0]);
		goto out;
	}
	every = n / 200 > 0 ? n / 200 : 1;
	while ((len = getline(&line, &cap, f)) != -1) {
		if (strncmp(line, "{\"line\":", 8) != 0) {
			free(last);
			last = strdup(line);	/* the summary */
			continue;
		}
		lines++;
		if (strstr(line, "\"certificate\":") == NULL) {
			if (wrong++ < 5)
				fprintf(stderr, "bench_issue: failed line: "
				    "%.300s", line);
			continue;
		}
		if ((lines % every == 0 || lines == 1 || lines == n) &&
		    !check_line(line, lines, ca)) {
			if (wrong++ < 5)
				fprintf(stderr, "bench_issue: line %ld: the "
				    "certificate does not verify\n", lines);
		}
	}
	while (wait4(pid, &st, 0, &ru) == -1 && errno == EINTR)
		continue;
	child = -1;
	r->wall = now() - t0;
	r->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	r->maxrss_kb = ru.ru_maxrss;
	if (last != NULL && (p = strstr(last, "\"issued\":")) != NULL)
		issued = strtol(p + 9, NULL, 10);
	if (last != NULL && (p = strstr(last, "\"seconds\":")) != NULL)
		r->secs = strtod(p + 10, NULL);
	r->issued = issued;
	if (stopping)
		goto out;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || lines != n ||
	    issued != n) {
		fprintf(stderr, "bench_issue: issue-batch of %ld lines on %u "
		    "threads: exit %d, %ld output lines, %ld issued (see "
		    "%s/log)\n", n, threads, WIFEXITED(st) ? WEXITSTATUS(st) :
		    -1, lines, issued, dir);
		wrong++;
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(line);
	free(last);
	return rc;
}

static double
rate_of(const struct result *r)
{
	return r->secs > 0 ? (double)r->issued / r->secs : 0;
}

static void
print_run(const char *what, const struct result *r, unsigned threads,
    const struct raw *raw, const char *target)
{
	double	rate = rate_of(r);
	char	xn[32];

	if (threads > 1)
		snprintf(xn, sizeof(xn), "%.2f", raw->cn > 0 ? rate / raw->cn :
		    0);
	else
		snprintf(xn, sizeof(xn), "-");
	printf("  %-30s %2u %8ld %8.2f %9.0f %8.1f %8.2f %8s   %s\n", what,
	    threads, r->issued, r->secs, rate, r->cpu > 0 && r->issued > 0 ?
	    r->cpu * 1e6 / (double)r->issued : 0, raw->c1 > 0 ? rate /
	    raw->c1 : 0, xn, target);
}

int
main(void)
{
	struct sigaction	 sa;
	struct raw		 rb, ra, raw;
	struct result		 csr1, csrn, pk1, pkn, big;
	const char		*tmp, *sb;
	char			 path[800], conf[800], dep[600];
	char			*argv[8];
	FILE			*f;
	X509			*cax = NULL;
	EVP_PKEY		*ca = NULL;
	long			 runs, bigc, nkeys;
	double			 secs;
	unsigned		 nt;
	int			 rc = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((stica = getenv("STICA")) == NULL) {
		if ((sb = getenv("STICA_BUILD")) == NULL) {
			fprintf(stderr, "bench_issue: set STICA or STICA_BUILD "
			    "(make bench does)\n");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/stica", sb);
		stica = strdup(path);
	}
	runs = env_long("BENCH_RUN_CERTS", 20000);
	bigc = env_long("BENCH_CERTS", 1000000);
	nkeys = env_long("BENCH_KEYS", 1000);
	secs = (double)env_long("BENCH_SECONDS", 2);
	if (bigc > 1000000)
		bigc = 1000000;	/* the CA's range */
	nt = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	nt = nt < 1 ? 1 : nt > MAXT ? MAXT : nt;
	tmp = getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ?
	    getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof(dir), "%s/bench_issue.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		perror("bench_issue: mkdtemp");
		return 1;
	}
	unsetenv("SOFTHSM2_CONF");
	snprintf(dep, sizeof(dep), "%s/dep", dir);
	snprintf(conf, sizeof(conf), "%s/stica.yaml", dep);
	argv[0] = (char *)(uintptr_t)stica;
	argv[1] = (char *)(uintptr_t)"init";
	argv[2] = dep;
	argv[3] = (char *)(uintptr_t)"--range";
	argv[4] = (char *)(uintptr_t)TN_RANGE;
	argv[5] = NULL;
	if (run(argv, -1, NULL, NULL) != 0) {
		fprintf(stderr, "bench_issue: stica init failed (see %s/log)\n",
		    dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/ca.pem", dep);
	if ((f = fopen(path, "r")) == NULL ||
	    (cax = PEM_read_X509(f, NULL, NULL, NULL)) == NULL ||
	    (ca = X509_get_pubkey(cax)) == NULL) {
		fprintf(stderr, "bench_issue: %s: no CA certificate\n", path);
		if (f != NULL)
			fclose(f);
		goto out;
	}
	fclose(f);
	printf("bench_issue: stica init deployment (SoftHSM2, ECDSA P-256 CA, "
	    "profile per-tn), %u online CPUs, N = %u, %s\n", nt, nt,
	    OpenSSL_version(OPENSSL_VERSION));
	fflush(stdout);

	if (measure_raw(conf, nt, secs, &rb) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/csr.jsonl", dir);
	if (gen_input(path, runs / 2, TN_BASE, true, nkeys) != 0)
		goto fail_gen;
	if (issue_run(path, runs / 2, 1, ca, "csr-1", &csr1) != 0 ||
	    stopping || issue_run(path, runs / 2, nt, ca, "csr-n", &csrn) !=
	    0 || stopping)
		goto out;
	snprintf(path, sizeof(path), "%s/pk.jsonl", dir);
	if (gen_input(path, runs, TN_BASE, false, nkeys) != 0)
		goto fail_gen;
	if (issue_run(path, runs, 1, ca, "pk-1", &pk1) != 0 || stopping ||
	    issue_run(path, runs, nt, ca, "pk-n", &pkn) != 0 || stopping)
		goto out;
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/big.jsonl", dir);
	if (gen_input(path, bigc, TN_BASE, false, nkeys) != 0)
		goto fail_gen;
	if (issue_run(path, bigc, nt, ca, "big", &big) != 0 || stopping)
		goto out;
	db_reset();
	if (measure_raw(conf, nt, secs, &ra) != 0)
		goto out;
	raw.c1 = (rb.c1 + ra.c1) / 2;
	raw.cn = (rb.cn + ra.cn) / 2;
	raw.k1 = (rb.k1 + ra.k1) / 2;
	raw.kn = (rb.kn + ra.kn) / 2;

	printf("  %-30s %8s %8s %8s %8s\n", "signatures per second",
	    "before", "after", "mean", "us each");
	printf("  %-30s %8.0f %8.0f %8.0f %8.1f\n", "raw C_Sign, 1 thread",
	    rb.c1, ra.c1, raw.c1, raw.c1 > 0 ? 1e6 / raw.c1 : 0);
	printf("  %-27s %2u %8.0f %8.0f %8.0f %8.1f  (%.2fx 1 thread)\n",
	    "raw C_Sign, threads:", nt, rb.cn, ra.cn, raw.cn, raw.cn > 0 ?
	    1e6 / raw.cn : 0, raw.c1 > 0 ? raw.cn / raw.c1 : 0);
	printf("  %-30s %8.0f %8.0f %8.0f %8.1f  (%.2fx raw)\n",
	    "core sign+verify, 1 thread", rb.k1, ra.k1, raw.k1, raw.k1 > 0 ?
	    1e6 / raw.k1 : 0, raw.c1 > 0 ? raw.k1 / raw.c1 : 0);
	printf("  %-27s %2u %8.0f %8.0f %8.0f %8.1f  (%.2fx raw 1 thread, "
	    "%.2fx raw %u threads)\n", "core sign+verify, threads:", nt,
	    rb.kn, ra.kn, raw.kn, raw.kn > 0 ? 1e6 / raw.kn : 0, raw.c1 > 0 ?
	    raw.kn / raw.c1 : 0, raw.cn > 0 ? raw.kn / raw.cn : 0, nt);
	printf("  %-30s %2s %8s %8s %9s %8s %8s %8s   %s\n", "issuance",
	    "th", "certs", "seconds", "certs/s", "CPU us", "x raw 1",
	    "x raw N", "target");
	print_run("CSR, whole path", &csr1, 1, &raw, ">= 0.35x raw");
	print_run("CSR, whole path", &csrn, nt, &raw, ">= 0.35x raw");
	print_run("per-TN from public keys", &pk1, 1, &raw, ">= 0.6x raw");
	print_run("per-TN from public keys", &pkn, nt, &raw, ">= 0.6x raw");
	print_run("per-TN batch (RSS run)", &big, nt, &raw, "");
	printf("  peak RSS of the %ld-certificate batch: %.1f MiB "
	    "(ru_maxrss of stica issue-batch; process wall time %.1f s)\n",
	    big.issued, (double)big.maxrss_kb / 1024, big.wall);
	printf("  (certs/s: the command's own count after its engine opened; "
	    "x raw 1 / x raw N: against raw C_Sign on 1 / %u threads; CPU "
	    "us: the issuing process's user + system time per certificate)\n",
	    nt);
	rc = wrong > 0 ? 1 : 0;
	goto out;
fail_gen:
	fprintf(stderr, "bench_issue: generating the input failed\n");
out:
	if (stopping)
		fprintf(stderr, "bench_issue: interrupted\n");
	if (wrong > 0)
		printf("bench_issue: %d wrong results\n", wrong);
	EVP_PKEY_free(ca);
	X509_free(cax);
	cleanup();
	return stopping || wrong > 0 ? 1 : rc;
}
