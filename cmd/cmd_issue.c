/* SPDX-License-Identifier: ISC */
/*
 * stica issue, issue-batch and show (docs/issuance.md): the operator's
 * front end to the issuance engine in ca/.
 *
 *   issue        one certificate from a CSR or a public key; prints the
 *                PEM chain (leaf, then the issuer chain up to, not
 *                including, the trust anchor: RFC 9060 section 7)
 *   issue-batch  JSON lines in, JSON lines out, in chunks through
 *                ca_issue_batch; each line's request key is
 *                <batch-id>:<line>, so a rerun after a crash skips what
 *                was issued and issues the rest, once
 *   show         one certificate as the store records it
 *
 * Exit status: 0 success, 1 a refusal (issue), failed lines (issue-batch)
 * or an unknown serial (show), 2 an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/config.h"
#include "common/yaml.h"
#include "store/store.h"

#define ISSUE_MAX_INPUT	(1024 * 1024)
#define BATCH_CHUNK	256	/* lines per chunk, one chunk in flight */
#define PIPE_CHUNK	128	/* lines per chunk, PIPE_DEPTH in flight */
#define PIPE_DEPTH	2
#define MAX_LINE	(1024 * 1024)
#define MAX_THREADS	16

/* ------------------------------------------------------------------ */
/* Shared                                                             */

/*
 * "stica: CMD: refused (ST_E_X): msg" (exit 1) for a refusal, else
 * "stica: CMD: msg" (exit 2).
 */
static int
report_as(const char *cmd, const struct st_err *e, int rc, bool refused)
{
	if (refused) {
		fprintf(stderr, "stica: %s: refused (%s): %s\n", cmd,
		    st_err_name(rc), st_err_str(e, rc));
		return EXIT_NO;
	}
	fprintf(stderr, "stica: %s: %s\n", cmd, st_err_str(e, rc));
	return EXIT_ERR;
}

/* report_as, with the codes of a judged and refused request. */
static int
report(const char *cmd, const struct st_err *e, int rc)
{
	return report_as(cmd, e, rc, rc == ST_E_REFUSED || rc == ST_E_SCOPE ||
	    rc == ST_E_BADCSR || rc == ST_E_LINT);
}

/*
 * "2026-01-01T00:00:00Z" (RFC 3339 in UTC, whole seconds) as seconds
 * since the epoch.
 */
static int
parse_time(const char *s, int64_t *out)
{
	struct tm	tm, chk;
	time_t		t;
	int		n = -1;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n < 0 || s[n] != '\0' || strlen(s) != 20)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	chk = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != chk.tm_mday ||
	    tm.tm_mon != chk.tm_mon || tm.tm_hour != chk.tm_hour ||
	    tm.tm_min != chk.tm_min || tm.tm_sec != chk.tm_sec)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* Write text to path atomically, or to stdout when path is NULL. */
static int
emit(const char *path, const char *text, struct st_err *e)
{
	if (path == NULL) {
		if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
			return st_err_set(e, ST_E_IO, "stdout: %s",
			    strerror(errno));
		return 0;
	}
	return st_file_write(path, text, strlen(text), 0644, false, e);
}

/*
 * What issue and issue-batch take from the command line for every
 * request they make.
 */
struct req_opts {
	const char	*profile;
	const char	*issuer;
	const char	*account;
};

/*
 * An operator's request for the key text key (a CSR, or else a
 * SubjectPublicKeyInfo), with o's profile, issuer and account.
 * Everything is borrowed.
 */
static void
req_init(struct ca_issue_req *req, const struct req_opts *o,
    const uint8_t *key, size_t len, bool csr)
{
	memset(req, 0, sizeof(*req));
	if (csr) {
		req->csr = key;
		req->csr_len = len;
	} else {
		req->spki = key;
		req->spki_len = len;
	}
	req->requester = POL_REQ_OPERATOR;
	req->account = o->account;
	req->proof = POL_PROOF_OPERATOR;
	req->profile = o->profile;
	req->issuer = o->issuer;
}

/* ------------------------------------------------------------------ */
/* stica issue                                                        */

void
help_issue(FILE *f)
{
	fprintf(f,
	    "usage: stica issue --config FILE (--csr FILE | --pubkey FILE)\n"
	    "                   --tnauthlist SPEC [SPEC...] [--ca] "
	    "[--profile NAME]\n"
	    "                   [--issuer NAME] [--not-after TIME] "
	    "[--account NAME]\n"
	    "                   [--request-key KEY] [-o FILE]\n"
	    "\n"
	    "Issue one certificate as the operator: the policy picks the rule, "
	    "profile,\n"
	    "issuer, scope and lifetime; the TNAuthList must lie within the "
	    "issuer's and\n"
	    "that of every CA above it (RFC 9060 section 4); the certificate "
	    "is linted,\n"
	    "recorded, signed in the HSM and committed with an audit line.  "
	    "Prints the\n"
	    "PEM chain: the new certificate, then the issuer's chain up to "
	    "(not\n"
	    "including) the trust anchor (RFC 9060 section 7).\n"
	    "\n"
	    "  --csr FILE          PKCS#10 request (PEM or DER); its "
	    "signature is checked\n"
	    "  --pubkey FILE       SubjectPublicKeyInfo (PEM \"PUBLIC KEY\" "
	    "or DER)\n"
	    "  --tnauthlist SPEC   spc:CODE, tn:DIGITS or range:START+COUNT; "
	    "repeat it or\n"
	    "                      list more SPECs after it\n"
	    "  --ca                an RFC 9060 delegate CA certificate\n"
	    "  --profile NAME      only a rule issuing this profile may "
	    "decide\n"
	    "  --issuer NAME       only a rule issuing from this issuer may "
	    "decide\n"
	    "  --not-after TIME    cap notAfter (RFC 3339, e.g. "
	    "2026-01-01T00:00:00Z),\n"
	    "                      as an authority token's exp does (RFC "
	    "9447 section 7)\n"
	    "  --account NAME      the value of {account} in subject "
	    "templates\n"
	    "                      (default: operator)\n"
	    "  --request-key KEY   idempotency key: the same request again "
	    "returns the\n"
	    "                      same certificate; another request under "
	    "it, or any\n"
	    "                      once that certificate is revoked, is "
	    "refused\n"
	    "                      (ST_E_EXISTS)\n"
	    "  -o FILE             write the chain to FILE (atomically) "
	    "instead of stdout\n"
	    "\n"
	    "Exit status: 0 issued, 1 refused (policy, scope, CSR, lint or "
	    "request key;\n"
	    "the reason names the rule, the entry that escapes or what "
	    "differs), 2 error.\n");
}

struct issue_opts {
	const char	*config;
	const char	*csr;
	const char	*pubkey;
	struct req_opts	 r;
	const char	*request_key;
	const char	*out;
	bool		 ca;
	int64_t		 not_after;
	const char	**specs;
	size_t		  nspecs;
};

static int
issue_parse(int argc, char **argv, struct issue_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "csr", required_argument, NULL, 'r' },
		{ "pubkey", required_argument, NULL, 'k' },
		{ "tnauthlist", required_argument, NULL, 't' },
		{ "ca", no_argument, NULL, 'C' },
		{ "profile", required_argument, NULL, 'p' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "not-after", required_argument, NULL, 'n' },
		{ "account", required_argument, NULL, 'a' },
		{ "request-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, i;

	if ((o->specs = calloc((size_t)argc + 1, sizeof(*o->specs))) == NULL)
		return EXIT_ERR;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->csr = optarg;
			break;
		case 'k':
			o->pubkey = optarg;
			break;
		case 't':
			o->specs[o->nspecs++] = optarg;
			break;
		case 'C':
			o->ca = true;
			break;
		case 'p':
			o->r.profile = optarg;
			break;
		case 'i':
			o->r.issuer = optarg;
			break;
		case 'n':
			if (parse_time(optarg, &o->not_after) != 0)
				return cmd_usage("issue", "--not-after: "
				    "expected an RFC 3339 time such as "
				    "2026-01-01T00:00:00Z, got", optarg);
			break;
		case 'a':
			o->r.account = optarg;
			break;
		case 'K':
			o->request_key = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			help_issue(stdout);
			return -1;
		default:
			return cmd_opt_err("issue", ch, argv);
		}
	}
	/* SPECs listed after --tnauthlist come out as operands. */
	for (i = optind; i < argc; i++) {
		if (o->nspecs == 0)
			return cmd_usage("issue", "unexpected argument",
			    argv[i]);
		o->specs[o->nspecs++] = argv[i];
	}
	if (o->config == NULL)
		return cmd_usage("issue", "--config is required", NULL);
	if ((o->csr == NULL) == (o->pubkey == NULL))
		return cmd_usage("issue", "give exactly one of --csr and "
		    "--pubkey", NULL);
	if (o->nspecs == 0)
		return cmd_usage("issue", "--tnauthlist is required", NULL);
	return 0;
}

int
cmd_issue(int argc, char **argv)
{
	struct issue_opts	 o;
	struct st_config	*cfg = NULL;
	struct ca_engine	*g = NULL;
	struct ca_tnauth	*l = NULL;
	struct ca_issue_req	 req;
	struct ca_issue_result	 res;
	struct st_err		 e;
	uint8_t			*in = NULL;
	char			*chain = NULL, na[32];
	size_t			 inlen, i, clen;
	int			 rc, ex = EXIT_ERR;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	st_err_clear(&e);
	if ((rc = issue_parse(argc, argv, &o)) != 0) {
		ex = rc < 0 ? 0 : rc;
		goto out;
	}
	if ((l = ca_tnauth_new()) == NULL) {
		ex = report("issue", &e, ST_E_NOMEM);
		goto out;
	}
	for (i = 0; i < o.nspecs; i++)
		if ((rc = ca_tnauth_add_spec(l, o.specs[i], &e)) != 0) {
			ex = report("issue", &e, rc);
			goto out;
		}
	if ((rc = st_file_read(o.csr != NULL ? o.csr : o.pubkey, ISSUE_MAX_INPUT,
	    &in, &inlen, &e)) != 0 ||
	    (rc = st_config_load(o.config, &cfg, &e)) != 0 ||
	    (rc = ca_engine_open(cfg, &g, &e)) != 0) {
		ex = report("issue", &e, rc);
		goto out;
	}
	req_init(&req, &o.r, in, inlen, o.csr != NULL);
	req.tnauth = l;
	req.ca = o.ca;
	req.not_after_cap = o.not_after;
	req.request_key = o.request_key;
	/*
	 * ST_E_EXISTS from the engine is its answer about the request key
	 * (another request under it, its certificate revoked, in progress
	 * in another run): a refusal too.
	 */
	if ((rc = ca_issue(g, &req, &res, &e)) != 0) {
		ex = report_as("issue", &e, rc, rc == ST_E_REFUSED ||
		    rc == ST_E_SCOPE || rc == ST_E_BADCSR || rc == ST_E_LINT ||
		    rc == ST_E_EXISTS);
		goto out;
	}
	clen = strlen(res.pem) + (res.chain != NULL ? strlen(res.chain) : 0);
	if ((chain = malloc(clen + 1)) == NULL) {
		ex = report("issue", &e, ST_E_NOMEM);
		goto out;
	}
	snprintf(chain, clen + 1, "%s%s", res.pem, res.chain != NULL ?
	    res.chain : "");
	if ((rc = emit(o.out, chain, &e)) != 0) {
		ex = report("issue", &e, rc);
		goto out;
	}
	st_time_format(res.not_after, na, sizeof(na));
	fprintf(stderr, "stica: issue: %s serial %s by issuer '%s' (profile "
	    "'%s'), valid until %s\n", res.existing ? "already issued:" :
	    "issued", res.serial_hex, res.issuer, res.profile, na);
	ex = 0;
out:
	ca_issue_result_clear(&res);
	ca_engine_free(g);
	st_config_free(cfg);
	ca_tnauth_free(l);
	free(in);
	free(chain);
	free(o.specs);
	return ex;
}

/* ------------------------------------------------------------------ */
/* stica issue-batch                                                  */

void
help_issue_batch(FILE *f)
{
	fprintf(f,
	    "usage: stica issue-batch --config FILE --input FILE.jsonl "
	    "[--output FILE.jsonl]\n"
	    "                         [--profile NAME] [--issuer NAME] "
	    "[--account NAME]\n"
	    "                         [--batch-id ID] [--strict] "
	    "[--threads N]\n"
	    "\n"
	    "Issue one certificate per input line, as 'stica issue' would, in "
	    "chunks:\n"
	    "one transaction records a chunk's intents, the HSM signs them, "
	    "one\n"
	    "transaction commits them.  With --threads N (default: the online "
	    "CPUs)\n"
	    "above 1, two chunks of %d lines are in flight, one judged, built "
	    "and\n"
	    "signed while the other is recorded; with --threads 1 or --strict, "
	    "one\n"
	    "chunk of %d lines at a time.  Each input line is a JSON object:\n"
	    "  {\"tnauthlist\": [\"tn:12025550100\"], \"pubkey\": \"<PEM or "
	    "base64 SPKI>\"}\n"
	    "  {\"tnauthlist\": [...], \"csr\": \"<PEM or base64 DER>\", "
	    "\"ca\": true}\n"
	    "Blank lines are skipped.  Each output line is\n"
	    "  {\"line\": N, \"serial\": \"hex\", \"issuer\": \"NAME\", "
	    "\"certificate\": \"PEM\"}\n"
	    "(with \"already_issued\": true when an earlier run issued it) or\n"
	    "  {\"line\": N, \"code\": \"ST_E_...\", \"error\": \"...\"}\n"
	    "in input order, to --output (written atomically at the end) or "
	    "stdout; the\n"
	    "issuer chain to serve after each certificate is the issuer's "
	    "chain file.\n"
	    "A JSON summary ends stdout: {\"issued\", \"already_issued\", "
	    "\"failed\",\n"
	    "\"lines\", \"seconds\", \"batch_id\"}.  A progress bar goes to "
	    "stderr when it\n"
	    "is a terminal.\n"
	    "\n"
	    "Restarts: line N's request key is <batch-id>:N; the batch id "
	    "defaults to\n"
	    "the first 32 hex digits of the input's SHA-256 (--batch-id is "
	    "required for\n"
	    "stdin).  Rerun the same input after a crash or a kill: lines "
	    "already issued\n"
	    "are reported from the store, intents left pending by a run that "
	    "died are\n"
	    "aborted (audited) and issued anew, so every line ends with "
	    "exactly one\n"
	    "certificate.  A line changed since (another key or TNAuthList) "
	    "is refused\n"
	    "(ST_E_EXISTS), as is one whose certificate was revoked; a line "
	    "another\n"
	    "run is issuing right now fails as \"in progress in another "
	    "run\".\n"
	    "\n"
	    "  --strict   stop at the first failed line: a line that does not "
	    "parse\n"
	    "             is the last one read; a line the CA refuses ends the "
	    "run\n"
	    "             after its chunk; every line read is reported; exit 2\n"
	    "\n"
	    "Exit status: 0 every line issued, 1 some lines failed, 2 an "
	    "error or a\n"
	    "--strict stop.\n", PIPE_CHUNK, BATCH_CHUNK);
}

/* One input line of a chunk. */
struct bline {
	size_t			 lineno;
	int			 rc;	/* a bad line: why */
	struct st_err		 err;
	struct ca_batch_item	*item;	/* NULL for a bad line */
	struct ca_tnauth	*l;
	char			*key;	/* pubkey or csr text */
	char			*reqkey;
};

/*
 * A chunk of lines on its way through the engine: filled by the reading
 * thread, issued by ca_issue_batch (on a worker thread when two chunks
 * are in flight), then written out, in input order, by the reading
 * thread.
 */
struct chunk {
	struct bline		 lines[BATCH_CHUNK];
	struct ca_batch_item	 items[BATCH_CHUNK];
	size_t			 nlines;
	size_t			 nitems;
	unsigned		 threads;	/* for ca_issue_batch */
	int			 rc;		/* the engine's error */
	struct st_err		 err;
	bool			 done;		/* issued; guarded by mu */
};

struct batch {
	struct ca_engine	*g;
	struct req_opts		 r;
	const char		*id;
	unsigned		 threads;
	bool			 strict;
	FILE			*out;
	/*
	 * Chunks in a ring, in input order: chunk number k lives in
	 * slots[k % nslots].  [emitted, taken) are being issued,
	 * [taken, submitted) wait for a worker, slot submitted is being
	 * filled.  depth chunks are in flight at most.
	 */
	struct chunk		*slots;
	size_t			 nslots;
	size_t			 depth;
	size_t			 chunk_lines;
	size_t			 submitted;
	size_t			 taken;
	size_t			 emitted;
	bool			 quit;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;	/* a chunk was submitted, or quit */
	pthread_cond_t		 idle;	/* a chunk was issued */
	pthread_t		 workers[PIPE_DEPTH];
	size_t			 nworkers;
	int			 rc;	/* the first engine error, in order */
	struct st_err		 err;
	bool			 stop;	/* --strict: a line failed */
	size_t			 issued;
	size_t			 already;
	size_t			 failed;
	size_t			 done;
	size_t			 total;	/* lines expected, 0: unknown */
	bool			 tty;
	struct timespec		 start;
};

static double
elapsed(const struct batch *b)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - b->start.tv_sec) +
	    (double)(now.tv_nsec - b->start.tv_nsec) / 1e9;
}

static void
progress(const struct batch *b, bool last)
{
	char	bar[41];
	double	secs = elapsed(b);
	size_t	i, fill;

	if (!b->tty)
		return;
	if (b->total > 0) {
		fill = b->done * 40 / b->total;
		for (i = 0; i < 40; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[40] = '\0';
		fprintf(stderr, "\r[%s] %zu/%zu (%3zu%%) %.0f/s, %zu failed ",
		    bar, b->done, b->total, b->done * 100 / b->total,
		    secs > 0 ? (double)b->done / secs : 0.0, b->failed);
	} else
		fprintf(stderr, "\r%zu lines, %.0f/s, %zu failed ", b->done,
		    secs > 0 ? (double)b->done / secs : 0.0, b->failed);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
bline_clear(struct bline *bl)
{
	ca_tnauth_free(bl->l);
	free(bl->key);
	free(bl->reqkey);
	memset(bl, 0, sizeof(*bl));
}

/*
 * One JSON line: {"tnauthlist": [SPEC...], "pubkey" | "csr": text,
 * "ca": bool}; unknown keys are errors, so a typo never issues something
 * else than was meant.  The request also gets r's profile, issuer and
 * account.
 */
static int
line_parse(struct bline *bl, const struct req_opts *r, const char *text,
    size_t len)
{
	json_t		*o = NULL, *v;
	json_error_t	 je;
	const char	*k, *keytext = NULL;
	bool		 csr = false, ca = false;
	size_t		 i;
	int		 rc = ST_E_SYNTAX;

	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(o)) {
		rc = st_err_set(&bl->err, ST_E_SYNTAX, "not a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? je.text : "");
		goto out;
	}
	json_object_foreach(o, k, v) {
		if (strcmp(k, "tnauthlist") != 0 && strcmp(k, "pubkey") != 0 &&
		    strcmp(k, "csr") != 0 && strcmp(k, "ca") != 0) {
			rc = st_err_set(&bl->err, ST_E_SYNTAX, "unknown key "
			    "\"%s\" (expected tnauthlist, pubkey or csr, ca)",
			    k);
			goto out;
		}
	}
	v = json_object_get(o, "tnauthlist");
	if (!json_is_array(v) || json_array_size(v) == 0) {
		rc = st_err_set(&bl->err, ST_E_SYNTAX, "\"tnauthlist\" must be "
		    "a non-empty array of SPECs (RFC 8226 section 9: SIZE "
		    "(1..MAX))");
		goto out;
	}
	if ((bl->l = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++) {
		if (!json_is_string(json_array_get(v, i))) {
			rc = st_err_set(&bl->err, ST_E_SYNTAX, "\"tnauthlist\" "
			    "entry %zu is not a string", i);
			goto out;
		}
		if ((rc = ca_tnauth_add_spec(bl->l, json_string_value(
		    json_array_get(v, i)), &bl->err)) != 0)
			goto out;
	}
	if (json_object_get(o, "pubkey") != NULL &&
	    json_object_get(o, "csr") != NULL) {
		rc = st_err_set(&bl->err, ST_E_SYNTAX, "give \"pubkey\" or "
		    "\"csr\", not both");
		goto out;
	}
	if ((v = json_object_get(o, "csr")) != NULL)
		csr = true;
	else
		v = json_object_get(o, "pubkey");
	if (v == NULL || (keytext = json_string_value(v)) == NULL) {
		rc = st_err_set(&bl->err, ST_E_SYNTAX, "\"pubkey\" or \"csr\" "
		    "must be a string");
		goto out;
	}
	if ((v = json_object_get(o, "ca")) != NULL) {
		if (!json_is_boolean(v)) {
			rc = st_err_set(&bl->err, ST_E_SYNTAX, "\"ca\" must be "
			    "true or false");
			goto out;
		}
		ca = json_is_true(v);
	}
	if ((bl->key = strdup(keytext)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	req_init(&bl->item->req, r, (const uint8_t *)bl->key, strlen(bl->key),
	    csr);
	bl->item->req.tnauth = bl->l;
	bl->item->req.ca = ca;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/*
 * Is s written the same with and without JSON escaping, but for '\n'?
 * (What jansson would escape: '"', '\\' and control characters.)
 */
static bool
json_plain(const char *s, bool newlines)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\' || ((unsigned char)*s < 0x20 &&
		    !(newlines && *s == '\n')))
			return false;
	return true;
}

/* s as the inside of a JSON string, where only '\n' needs escaping. */
static int
put_plain(FILE *f, const char *s)
{
	const char	*nl;

	while ((nl = strchr(s, '\n')) != NULL) {
		if (fwrite(s, 1, (size_t)(nl - s), f) != (size_t)(nl - s) ||
		    fputs("\\n", f) == EOF)
			return -1;
		s = nl + 1;
	}
	return fputs(s, f) == EOF ? -1 : 0;
}

/*
 * Write one output line; 0 or ST_E_IO.  A certificate line is written
 * directly, byte for byte what jansson's json_dumps(JSON_COMPACT) gives
 * for the same object (its PEM needs only its newlines escaped), which
 * costs a tenth; other lines go through jansson.
 */
static int
line_emit(struct batch *b, const struct bline *bl)
{
	const struct ca_issue_result	*r;
	json_t				*o;
	char				*s = NULL;
	int				 rc = ST_E_NOMEM;

	if (bl->rc == 0 && json_plain((r = &bl->item->res)->issuer, false) &&
	    json_plain(r->pem, true)) {
		if (fprintf(b->out, "{\"line\":%zu,\"serial\":\"%s\","
		    "\"issuer\":\"%s\",%s\"certificate\":\"", bl->lineno,
		    r->serial_hex, r->issuer, r->existing ?
		    "\"already_issued\":true," : "") < 0 ||
		    put_plain(b->out, r->pem) != 0 ||
		    fputs("\"}\n", b->out) == EOF)
			return ST_E_IO;
		return 0;
	}
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "line", json_integer((json_int_t)
	    bl->lineno)) != 0)
		goto out;
	if (bl->rc != 0) {
		if (json_object_set_new(o, "code", json_string(st_err_name(
		    bl->rc))) != 0 || json_object_set_new(o, "error",
		    json_string(st_err_str(&bl->err, bl->rc))) != 0)
			goto out;
	} else if (json_object_set_new(o, "serial", json_string(
	    bl->item->res.serial_hex)) != 0 || json_object_set_new(o, "issuer",
	    json_string(bl->item->res.issuer)) != 0 ||
	    (bl->item->res.existing && json_object_set_new(o,
	    "already_issued", json_true()) != 0) || json_object_set_new(o,
	    "certificate", json_string(bl->item->res.pem)) != 0)
		goto out;
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	rc = fprintf(b->out, "%s\n", s) < 0 ? ST_E_IO : 0;
out:
	free(s);
	json_decref(o);
	return rc;
}

/* Issue the good lines of c: ca_issue_batch, its outcome kept in c. */
static void
chunk_issue(struct batch *b, struct chunk *c)
{
	st_err_clear(&c->err);
	c->rc = c->nitems > 0 ? ca_issue_batch(b->g, c->items, c->nitems,
	    c->threads, &c->err) : 0;
}

/*
 * Report every line of an issued chunk in input order and empty it.
 * Returns 0 or ST_E_IO (e).
 */
static int
chunk_emit(struct batch *b, struct chunk *c, struct st_err *e)
{
	size_t	i;
	int	rc = 0, wrc;

	for (i = 0; i < c->nlines; i++) {
		struct bline *bl = &c->lines[i];

		if (bl->rc == 0 && bl->item->rc != 0) {
			bl->rc = bl->item->rc;
			bl->err = bl->item->err;
		}
		if (bl->rc != 0)
			b->failed++;
		else if (bl->item->res.existing)
			b->already++;
		else
			b->issued++;
		b->done++;
		if ((wrc = line_emit(b, bl)) != 0 && rc == 0)
			rc = st_err_set(e, wrc, "output: %s", strerror(errno));
		if (bl->item != NULL)
			ca_issue_result_clear(&bl->item->res);
		bline_clear(bl);
	}
	c->nlines = 0;
	c->nitems = 0;
	c->done = false;
	progress(b, false);
	return rc;
}

/*
 * A pipeline worker: issue submitted chunks, oldest first, until told
 * to quit.  The engine is thread-safe; each chunk has its own store
 * handle from the engine's pool, so two chunks' transactions simply
 * take turns.
 */
static void *
worker(void *arg)
{
	struct batch	*b = arg;
	struct chunk	*c;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->taken == b->submitted && !b->quit)
			pthread_cond_wait(&b->work, &b->mu);
		if (b->taken == b->submitted)
			break;
		c = &b->slots[b->taken++ % b->nslots];
		pthread_mutex_unlock(&b->mu);
		chunk_issue(b, c);
		pthread_mutex_lock(&b->mu);
		c->done = true;
		pthread_cond_broadcast(&b->idle);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/*
 * Write out the oldest chunks that are issued; with wait, block until
 * at most upto chunks are still outstanding.  The first engine error
 * (in input order) is kept in b->rc/err; in --strict mode a failed line
 * sets b->stop.  Returns 0 or ST_E_IO (e).
 */
static int
drain(struct batch *b, size_t upto, struct st_err *e)
{
	struct chunk	*c;
	size_t		 i;
	int		 rc = 0, wrc;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->submitted - b->emitted > upto &&
		    !b->slots[b->emitted % b->nslots].done)
			pthread_cond_wait(&b->idle, &b->mu);
		if (b->emitted == b->submitted ||
		    !b->slots[b->emitted % b->nslots].done) {
			pthread_mutex_unlock(&b->mu);
			return rc;
		}
		c = &b->slots[b->emitted % b->nslots];
		pthread_mutex_unlock(&b->mu);
		if (c->rc != 0 && b->rc == 0) {
			b->rc = c->rc;
			b->err = c->err;
		}
		for (i = 0; b->strict && i < c->nlines; i++)
			if (c->lines[i].rc != 0 || (c->lines[i].item != NULL &&
			    c->lines[i].item->rc != 0))
				b->stop = true;
		if ((wrc = chunk_emit(b, c, e)) != 0 && rc == 0)
			rc = wrc;
		pthread_mutex_lock(&b->mu);
		b->emitted++;
		pthread_mutex_unlock(&b->mu);
	}
}

/*
 * Hand the chunk being filled to the engine: on this thread when one
 * chunk is in flight at a time, else to a worker.  A chunk issued on its
 * own (the last, with nothing else outstanding) gets every thread.
 */
static void
chunk_submit(struct batch *b, bool last)
{
	struct chunk	*c = &b->slots[b->submitted % b->nslots];

	if (b->depth == 1) {
		c->threads = b->threads;
		chunk_issue(b, c);
		pthread_mutex_lock(&b->mu);
		c->done = true;
		b->submitted++;
		b->taken++;
		pthread_mutex_unlock(&b->mu);
		return;
	}
	pthread_mutex_lock(&b->mu);
	c->threads = last && b->submitted == b->emitted ? b->threads :
	    b->threads / (unsigned)b->depth > 0 ?
	    b->threads / (unsigned)b->depth : 1;
	b->submitted++;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->mu);
}

/* Take one input line into the chunk being filled (parsing it). */
static int
chunk_add(struct batch *b, size_t lineno, const char *text, size_t len)
{
	struct chunk	*c = &b->slots[b->submitted % b->nslots];
	struct bline	*bl = &c->lines[c->nlines++];
	char		 key[300];
	int		 rc;

	memset(bl, 0, sizeof(*bl));
	bl->lineno = lineno;
	bl->item = &c->items[c->nitems];
	if (len > MAX_LINE)
		rc = st_err_set(&bl->err, ST_E_SYNTAX, "longer than %d bytes",
		    MAX_LINE);
	else
		rc = line_parse(bl, &b->r, text, len);
	if (rc != 0) {
		bl->rc = rc;
		ca_tnauth_free(bl->l);
		bl->l = NULL;
		bl->item = NULL;
		if (b->strict)
			b->stop = true;
		return 0;
	}
	snprintf(key, sizeof(key), "%s:%zu", b->id, lineno);
	if ((bl->reqkey = strdup(key)) == NULL)
		return ST_E_NOMEM;
	bl->item->req.request_key = bl->reqkey;
	c->nitems++;
	return 0;
}

/*
 * Set up the chunks and, for two chunks in flight, the workers: with
 * --threads 1 or --strict one chunk of BATCH_CHUNK lines at a time (its
 * signatures on --threads threads); otherwise PIPE_DEPTH chunks of
 * PIPE_CHUNK lines, so that one chunk's judging, building and signing
 * run while another one's store transactions and fsyncs do.  Either way
 * at most BATCH_CHUNK intents are pending at once.
 */
static int
pipeline_start(struct batch *b)
{
	size_t	i;

	b->depth = b->strict || b->threads < 2 ? 1 : PIPE_DEPTH;
	b->chunk_lines = b->depth == 1 ? BATCH_CHUNK : PIPE_CHUNK;
	b->nslots = b->depth + 1;
	if ((b->slots = calloc(b->nslots, sizeof(*b->slots))) == NULL)
		return ST_E_NOMEM;
	if (b->depth == 1)
		return 0;
	for (i = 0; i < b->depth; i++) {
		if (pthread_create(&b->workers[i], NULL, worker, b) != 0)
			break;
		b->nworkers++;
	}
	if (b->nworkers == 0) {
		b->depth = 1;
		b->chunk_lines = BATCH_CHUNK;
	}
	return 0;
}

/* Stop the workers (after the last chunk was drained) and free chunks. */
static void
pipeline_stop(struct batch *b)
{
	size_t	i, k;

	pthread_mutex_lock(&b->mu);
	b->quit = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
	for (i = 0; i < b->nworkers; i++)
		pthread_join(b->workers[i], NULL);
	b->nworkers = 0;
	for (i = 0; b->slots != NULL && i < b->nslots; i++) {
		for (k = 0; k < b->slots[i].nlines; k++) {
			if (b->slots[i].lines[k].item != NULL)
				ca_issue_result_clear(
				    &b->slots[i].lines[k].item->res);
			bline_clear(&b->slots[i].lines[k]);
		}
	}
	free(b->slots);
	b->slots = NULL;
}

/*
 * The default batch id: SHA-256 of the input (first 32 hex digits), and
 * the number of lines for the progress bar, in one streaming pass.
 */
static int
input_digest(const char *path, char *id, size_t idsz, size_t *lines,
    struct st_err *e)
{
	EVP_MD_CTX	*m = NULL;
	FILE		*f = NULL;
	unsigned char	 buf[65536], md[32];
	unsigned int	 mdlen = sizeof(md);
	size_t		 n, i;
	int		 rc = ST_E_INTERNAL, last = '\n';

	*lines = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(m, EVP_sha256(), NULL)) {
		rc = ST_E_CRYPTO;
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (!EVP_DigestUpdate(m, buf, n)) {
			rc = ST_E_CRYPTO;
			goto out;
		}
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				(*lines)++;
		last = buf[n - 1];
	}
	if (ferror(f)) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (last != '\n')
		(*lines)++;
	if (!EVP_DigestFinal_ex(m, md, &mdlen)) {
		rc = ST_E_CRYPTO;
		goto out;
	}
	for (i = 0; i < 16 && 2 * i + 2 < idsz; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	if (f != NULL)
		fclose(f);
	return rc;
}

static bool
batch_id_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 128 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return i > 0;
}

/* The summary, the last line of stdout. */
static void
summary(const struct batch *b)
{
	printf("{\"issued\":%zu,\"already_issued\":%zu,\"failed\":%zu,"
	    "\"lines\":%zu,\"seconds\":%.3f,\"batch_id\":\"%s\"}\n", b->issued,
	    b->already, b->failed, b->done, elapsed(b), b->id);
	fflush(stdout);
}

int
cmd_issue_batch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' },
		{ "issuer", required_argument, NULL, 'I' },
		{ "account", required_argument, NULL, 'a' },
		{ "batch-id", required_argument, NULL, 'b' },
		{ "strict", no_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct batch		*b = NULL;
	struct st_config	*cfg = NULL;
	struct st_err		 e;
	const char		*config = NULL, *input = NULL, *output = NULL;
	char			 id[65], *part = NULL, *line = NULL, *end;
	FILE			*in = NULL;
	size_t			 cap = 0, lineno = 0, plen;
	ssize_t			 len;
	long			 th;
	int			 ch, rc = 0, wrc, ex = EXIT_ERR, fd;

	st_err_clear(&e);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return report("issue-batch", &e, ST_E_NOMEM);
	if (pthread_mutex_init(&b->mu, NULL) != 0 ||
	    pthread_cond_init(&b->work, NULL) != 0 ||
	    pthread_cond_init(&b->idle, NULL) != 0) {
		free(b);
		return report("issue-batch", &e, ST_E_INTERNAL);
	}
	/* One signing thread per online CPU: hsm/ is thread-safe. */
	th = sysconf(_SC_NPROCESSORS_ONLN);
	b->threads = th < 1 ? 1 : th > MAX_THREADS ? MAX_THREADS :
	    (unsigned)th;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			b->r.profile = optarg;
			break;
		case 'I':
			b->r.issuer = optarg;
			break;
		case 'a':
			b->r.account = optarg;
			break;
		case 'b':
			b->id = optarg;
			break;
		case 's':
			b->strict = true;
			break;
		case 't':
			th = strtol(optarg, &end, 10);
			if (*end != '\0' || th < 1 || th > MAX_THREADS) {
				ex = cmd_usage("issue-batch", "--threads: "
				    "expected 1..16, got", optarg);
				goto out;
			}
			b->threads = (unsigned)th;
			break;
		case 'h':
			help_issue_batch(stdout);
			ex = 0;
			goto out;
		default:
			ex = cmd_opt_err("issue-batch", ch, argv);
			goto out;
		}
	}
	if (optind < argc) {
		ex = cmd_usage("issue-batch", "unexpected argument",
		    argv[optind]);
		goto out;
	}
	if (config == NULL || input == NULL) {
		ex = cmd_usage("issue-batch", "--config and --input are "
		    "required", NULL);
		goto out;
	}
	if (b->id != NULL && !batch_id_ok(b->id)) {
		ex = cmd_usage("issue-batch", "--batch-id: 1..128 of A-Z a-z "
		    "0-9 . _ -, got", b->id);
		goto out;
	}
	if (strcmp(input, "-") == 0) {
		if (b->id == NULL) {
			ex = cmd_usage("issue-batch", "reading stdin needs "
			    "--batch-id (restarts find their lines by it)",
			    NULL);
			goto out;
		}
		in = stdin;
	} else {
		if ((rc = input_digest(input, id, sizeof(id), &b->total,
		    &e)) != 0) {
			ex = report("issue-batch", &e, rc);
			goto out;
		}
		if (b->id == NULL)
			b->id = id;
		if ((in = fopen(input, "r")) == NULL) {
			st_err_set(&e, ST_E_IO, "%s: %s", input,
			    strerror(errno));
			ex = report("issue-batch", &e, ST_E_IO);
			goto out;
		}
	}
	if ((rc = st_config_load(config, &cfg, &e)) != 0 ||
	    (rc = ca_engine_open(cfg, &b->g, &e)) != 0) {
		ex = report("issue-batch", &e, rc);
		goto out;
	}
	if (output != NULL) {
		plen = strlen(output) + 6;
		if ((part = malloc(plen)) == NULL) {
			ex = report("issue-batch", &e, ST_E_NOMEM);
			goto out;
		}
		snprintf(part, plen, "%s.part", output);
		if ((b->out = fopen(part, "w")) == NULL) {
			st_err_set(&e, ST_E_IO, "%s: %s", part, strerror(errno));
			ex = report("issue-batch", &e, ST_E_IO);
			goto out;
		}
	} else
		b->out = stdout;
	if ((rc = pipeline_start(b)) != 0) {
		ex = report("issue-batch", &e, rc);
		goto out;
	}
	b->tty = isatty(STDERR_FILENO) == 1;
	clock_gettime(CLOCK_MONOTONIC, &b->start);
	while (!b->stop && b->rc == 0 &&
	    (len = getline(&line, &cap, in)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		if ((rc = chunk_add(b, lineno, line, (size_t)len)) != 0)
			break;
		if (b->slots[b->submitted % b->nslots].nlines ==
		    b->chunk_lines || b->stop) {
			chunk_submit(b, false);
			/* A slot to fill next; --strict: this chunk's end. */
			if ((rc = drain(b, b->depth == 1 ? 0 : b->depth,
			    &e)) != 0)
				break;
		}
	}
	if (rc == 0 && ferror(in))
		rc = st_err_set(&e, ST_E_IO, "%s: %s", input, strerror(errno));
	if (rc == 0 && b->rc == 0 &&
	    b->slots[b->submitted % b->nslots].nlines > 0)
		chunk_submit(b, true);
	if ((wrc = drain(b, 0, &e)) != 0 && rc == 0)
		rc = wrc;
	if (b->rc != 0) {
		rc = b->rc;
		e = b->err;
	}
	pipeline_stop(b);
	progress(b, true);
	if (b->out != stdout && b->out != NULL) {
		fd = fileno(b->out);
		if (fflush(b->out) == EOF || fsync(fd) == -1) {
			if (rc == 0)
				rc = st_err_set(&e, ST_E_IO, "%s: %s", part,
				    strerror(errno));
		}
		fclose(b->out);
		b->out = NULL;
		if (rename(part, output) == -1 && rc == 0)
			rc = st_err_set(&e, ST_E_IO, "%s: %s", output,
			    strerror(errno));
	}
	summary(b);
	if (rc != 0)
		ex = report("issue-batch", &e, rc);
	else if (b->stop) {
		fprintf(stderr, "stica: issue-batch: --strict: stopped after "
		    "line %zu, the chunk holding the first failed line\n",
		    lineno);
		ex = EXIT_ERR;
	} else
		ex = b->failed > 0 ? EXIT_NO : 0;
out:
	if (b != NULL) {
		pipeline_stop(b);
		if (b->out != NULL && b->out != stdout)
			fclose(b->out);
		ca_engine_free(b->g);
		pthread_cond_destroy(&b->work);
		pthread_cond_destroy(&b->idle);
		pthread_mutex_destroy(&b->mu);
	}
	if (in != NULL && in != stdin)
		fclose(in);
	st_config_free(cfg);
	free(line);
	free(part);
	free(b);
	return ex;
}

/* ------------------------------------------------------------------ */
/* stica show                                                         */

void
help_show(FILE *f)
{
	fprintf(f,
	    "usage: stica show --config FILE [--issuer NAME] SERIAL\n"
	    "\n"
	    "Print one certificate as the store records it: status (pending, "
	    "valid,\n"
	    "revoked, aborted), issuer, profile, subject, validity, "
	    "TNAuthList, request\n"
	    "key, revocation or abort reason, and the certificate in PEM.  "
	    "SERIAL is\n"
	    "hex (colons allowed).  --issuer is needed only when two issuers "
	    "used the\n"
	    "same serial.  The store is opened read-only; the HSM is not "
	    "used.\n"
	    "\n"
	    "Exit status: 0 found, 1 no such certificate, 2 error.\n");
}

static void
show_time(const char *what, int64_t t)
{
	char	buf[32];

	if (t == 0)
		return;
	st_time_format(t, buf, sizeof(buf));
	printf("%-13s %s\n", what, buf);
}

static int
show_print(struct store *s, const struct store_cert *c, struct st_err *e)
{
	static const char *const status[] = { "?", "pending", "valid",
		"revoked", "aborted" };
	struct ca_tnauth	*l = NULL;
	char			 hex[41], spec[300];
	size_t			 i, sl = c->serial_len > 20 ? 20 : c->serial_len;
	int			 rc;

	for (i = 0; i < sl; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->serial[i]);
	hex[2 * sl] = '\0';
	printf("%-13s %s\n", "serial:", hex);
	printf("%-13s %s\n", "status:", (unsigned)c->status < 5 ?
	    status[c->status] : "?");
	printf("%-13s %s\n", "issuer:", c->issuer);
	printf("%-13s %s\n", "profile:", c->profile);
	printf("%-13s %s\n", "subject:", c->subject);
	show_time("not before:", c->not_before);
	show_time("not after:", c->not_after);
	if (c->tnauth != NULL) {
		if ((rc = ca_tnauth_decode(c->tnauth, c->tnauth_len, &l,
		    e)) != 0)
			goto out;
		printf("%-13s", "tnauthlist:");
		for (i = 0; i < l->n; i++) {
			ca_tn_entry_format(&l->v[i], spec, sizeof(spec));
			printf(" %s", spec);
		}
		printf("\n");
	}
	if (c->request_key != NULL)
		printf("%-13s %s\n", "request key:", c->request_key);
	/* A pending row: is its run signing it now, or did it die? */
	if (c->run != NULL && c->status == STORE_PENDING) {
		long	pid = 0;
		int	alive = store_run_alive(s, c->run, &pid, NULL);

		printf("%-13s %s (%s", "run:", c->run, alive > 0 ?
		    "in progress" : alive == 0 ? "over" : "unknown");
		if (pid > 0)
			printf(", pid %ld", pid);
		printf(")\n");
	}
	show_time("recorded:", c->created_at);
	show_time("issued:", c->issued_at);
	show_time("revoked:", c->revoked_at);
	if (c->status == STORE_REVOKED)
		printf("%-13s %s\n", "reason:", store_reason_name(c->reason) !=
		    NULL ? store_reason_name(c->reason) : "?");
	if (c->abort_reason != NULL)
		printf("%-13s %s\n", "aborted:", c->abort_reason);
	if (c->der != NULL && !PEM_write(stdout, "CERTIFICATE", "", c->der,
	    (long)c->der_len)) {
		rc = st_err_set(e, ST_E_IO, "stdout: writing the PEM");
		goto out;
	}
	rc = 0;
out:
	ca_tnauth_free(l);
	return rc;
}

int
cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct st_config	*cfg = NULL;
	struct store		*s = NULL;
	struct store_cert	*c = NULL;
	struct st_err		 e;
	const char		*config = NULL, *issuer = NULL;
	uint8_t			*serial = NULL;
	size_t			 slen;
	int			 ch, rc, ex = EXIT_ERR;

	st_err_clear(&e);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'h':
			help_show(stdout);
			return 0;
		default:
			return cmd_opt_err("show", ch, argv);
		}
	}
	if (config == NULL || optind != argc - 1)
		return cmd_usage("show", "--config and one SERIAL are required",
		    NULL);
	if ((rc = cmd_serial_parse(argv[optind], &serial, &slen, &e)) != 0 ||
	    (rc = st_config_load(config, &cfg, &e)) != 0 ||
	    (rc = store_open_readonly(cfg->store, &s, &e)) != 0)
		goto fail;
	if (issuer != NULL)
		rc = store_cert_get(s, issuer, serial, slen, &c, &e);
	else
		rc = store_cert_get_by_serial(s, serial, slen, &c, &e);
	if (rc == ST_E_NOTFOUND) {
		fprintf(stderr, "stica: show: %s\n", st_err_str(&e, rc));
		ex = EXIT_NO;
		goto out;
	}
	if (rc != 0 || (rc = show_print(s, c, &e)) != 0)
		goto fail;
	ex = 0;
	goto out;
fail:
	ex = report("show", &e, rc);
out:
	store_cert_free(c);
	store_close(s);
	st_config_free(cfg);
	free(serial);
	return ex;
}
