/* SPDX-License-Identifier: ISC */
/*
 * Test helper for the store scripts (not a test itself): plays the part
 * of "stica issue-batch" against a store, without an HSM.
 *
 *   store_worker run DB LINES BATCH PREFIX [collide]
 *	Issue request keys PREFIX-1 .. PREFIX-LINES in batches: first
 *	finish the pending rows a crash left (sign the recorded TBS again,
 *	commit), then look up BATCH keys at a time (one call), skip the
 *	lines already issued and reserve, "sign" and commit the rest.  A
 *	fake signature stands in for the HSM's.  With "collide", serials
 *	come from a counter shared by every process
 *	(0x01, counter), so concurrent workers collide on purpose and must
 *	draw again.  STORE_WORKER_DIE=K kills the process with SIGKILL right
 *	after the K-th reservation (a crash between reserve and commit).
 *	The profile of each row is "b<first line of its batch>".
 *   store_worker fill DB N
 *	N certificates, then revocations, CRL numbers, and a refusal and a
 *	ceremony step appended in one call: a log with every kind of event,
 *	for the audit scripts.
 *
 * Prints one summary line; exits 0, or 2 on any error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "store/store.h"

#define ISSUER	"ca-test"
#define MAXB	1024

struct line {
	uint8_t	serial[17];
	size_t	slen;
	uint8_t	tbs[560];
	size_t	tbslen;
	uint8_t	der[700];
	size_t	derlen;
	char	key[64];
	char	profile[32];
	long	n;
};

static bool collide;
static uint64_t counter;
static long collisions, recovered, issued;
static int die_after = -1, reserves;

/* A fresh serial: 16 random bytes, or the shared counter sequence. */
static int
draw_serial(struct line *l)
{
	int	i;

	if (collide) {
		counter++;
		l->serial[0] = 0x01;
		for (i = 0; i < 8; i++)
			l->serial[1 + i] = (uint8_t)(counter >> (56 - 8 * i));
		l->slen = 9;
		return 0;
	}
	if (RAND_bytes(l->serial, 16) != 1)
		return -1;
	l->serial[0] = (uint8_t)((l->serial[0] & 0x7f) | 0x01);
	l->slen = 16;
	return 0;
}

/* A TBS-shaped SEQUENCE of 520 bytes naming the serial and the line. */
static void
make_tbs(struct line *l)
{
	size_t	body = 516, i;

	l->tbs[0] = 0x30;
	l->tbs[1] = 0x82;
	l->tbs[2] = (uint8_t)(body >> 8);
	l->tbs[3] = (uint8_t)body;
	for (i = 0; i < body; i++)
		l->tbs[4 + i] = (uint8_t)(i ^ (size_t)l->n);
	l->tbs[4] = 0x02;
	l->tbs[5] = (uint8_t)l->slen;
	memcpy(l->tbs + 6, l->serial, l->slen);
	memcpy(l->tbs + 30, l->key, strnlen(l->key, 40));
	l->tbslen = body + 4;
}

/* Certificate ::= SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING }. */
static size_t
make_der(uint8_t *out, const uint8_t *tbs, size_t tbslen)
{
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	size_t	body = tbslen + sizeof(alg) + 2 + 65, off;

	out[0] = 0x30;
	out[1] = 0x82;
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	memcpy(out + 4, tbs, tbslen);
	off = 4 + tbslen;
	memcpy(out + off, alg, sizeof(alg));
	off += sizeof(alg);
	out[off++] = 0x03;
	out[off++] = 65;
	out[off++] = 0;
	SHA256(tbs, tbslen, out + off);
	SHA256(out + off, 32, out + off + 32);
	return off + 64;
}

/* Commit each row alone, skipping those another process finished. */
static int
commit_one_by_one(struct store *s, struct store_signed *sg, size_t n)
{
	struct st_err	e;
	size_t		i;
	int		rc;

	for (i = 0; i < n; i++) {
		st_err_clear(&e);
		rc = store_issue_commit(s, &sg[i], 1, &e);
		if (rc == ST_E_EXISTS)
			continue;
		if (rc != 0) {
			fprintf(stderr, "store_worker: commit: %s\n", e.msg);
			return rc;
		}
		issued++;
	}
	return 0;
}

/* Recovery: re-sign and commit this prefix's pending rows. */
static int
recover_cb(void *arg, const struct store_cert *c)
{
	struct store		*s = ((void **)arg)[0];
	const char		*prefix = ((void **)arg)[1];
	struct store_signed	 sg;
	struct st_err		 e;
	uint8_t			 der[700];
	int			 rc;

	if (c->request_key == NULL ||
	    strncmp(c->request_key, prefix, strlen(prefix)) != 0 ||
	    c->request_key[strlen(prefix)] != '-' || c->tbs_len > 560)
		return 0;
	sg.issuer = c->issuer;
	sg.serial = c->serial;
	sg.serial_len = c->serial_len;
	sg.der = der;
	sg.der_len = make_der(der, c->tbs, c->tbs_len);
	sg.audit = NULL;
	st_err_clear(&e);
	if ((rc = store_issue_commit(s, &sg, 1, &e)) == 0)
		recovered++;
	else if (rc == ST_E_EXISTS)
		rc = 0;
	else
		fprintf(stderr, "store_worker: recovery: %s\n", e.msg);
	return rc;
}

/*
 * Reserve the batch, drawing new serials on serial collisions and
 * dropping lines whose key another process took.  *n may shrink.
 */
static int
reserve(struct store *s, struct line *v, size_t *n)
{
	struct store_intent	 in[MAXB];
	struct store_cert	*c = NULL;
	struct st_err		 e;
	size_t			 i, conflict;
	int			 rc;

	for (;;) {
		for (i = 0; i < *n; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			in[i].issuer = ISSUER;
			in[i].serial = v[i].serial;
			in[i].serial_len = v[i].slen;
			in[i].profile = v[i].profile;
			in[i].subject = "CN=store worker";
			in[i].not_before = 1767225600;
			in[i].not_after = 1767225600 + 86400 * 90;
			in[i].tbs = v[i].tbs;
			in[i].tbs_len = v[i].tbslen;
			in[i].request_key = v[i].key;
		}
		st_err_clear(&e);
		if ((rc = store_issue_reserve(s, in, *n, &conflict, &e)) == 0)
			return 0;
		if (rc != ST_E_EXISTS) {
			fprintf(stderr, "store_worker: reserve: %s\n", e.msg);
			return rc;
		}
		if (store_request_lookup(s, v[conflict].key, &c, NULL) == 0) {
			store_cert_free(c);
			c = NULL;
			memmove(&v[conflict], &v[conflict + 1],
			    (*n - conflict - 1) * sizeof(*v));
			if (--*n == 0)
				return 0;
			continue;
		}
		collisions++;
		if (draw_serial(&v[conflict]) != 0)
			return ST_E_CRYPTO;
		make_tbs(&v[conflict]);
	}
}

static int
run(struct store *s, long lines, size_t batch, const char *prefix)
{
	struct line		*v = NULL;
	struct store_signed	 sg[MAXB];
	struct store_cert	*found[MAXB];
	const char		*keys[MAXB];
	struct st_err		 e;
	void			*arg[2] = { s, (void *)(uintptr_t)prefix };
	long			 next = 1, first;
	size_t			 n, m, i;
	int			 rc = ST_E_INTERNAL;

	if ((v = calloc(batch, sizeof(*v))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	st_err_clear(&e);
	if ((rc = store_pending_list(s, ISSUER, recover_cb, arg, &e)) != 0) {
		fprintf(stderr, "store_worker: recovery: %s\n", e.msg);
		goto out;
	}
	while (next <= lines) {
		/*
		 * The next BATCH lines, looked up in one call as issue-batch
		 * does; those already issued are skipped.
		 */
		for (m = 0; m < batch && next <= lines; m++, next++) {
			snprintf(v[m].key, sizeof(v[m].key), "%s-%ld", prefix,
			    next);
			v[m].n = next;
			keys[m] = v[m].key;
		}
		st_err_clear(&e);
		if ((rc = store_request_lookup_many(s, keys, m, found,
		    &e)) != 0) {
			fprintf(stderr, "store_worker: lookup: %s\n", e.msg);
			goto out;
		}
		for (i = n = 0; i < m; i++) {
			if (found[i] != NULL) {
				store_cert_free(found[i]);
				found[i] = NULL;
				continue;
			}
			v[n++] = v[i];
		}
		if (n == 0)
			continue;
		first = v[0].n;
		for (i = 0; i < n; i++) {
			struct line *l = &v[i];

			snprintf(l->profile, sizeof(l->profile), "b%ld", first);
			if (draw_serial(l) != 0) {
				rc = ST_E_CRYPTO;
				goto out;
			}
			make_tbs(l);
		}
		if ((rc = reserve(s, v, &n)) != 0)
			goto out;
		if (n == 0)
			continue;
		if (++reserves == die_after)
			raise(SIGKILL);
		for (i = 0; i < n; i++) {
			v[i].derlen = make_der(v[i].der, v[i].tbs,
			    v[i].tbslen);
			sg[i].issuer = ISSUER;
			sg[i].serial = v[i].serial;
			sg[i].serial_len = v[i].slen;
			sg[i].der = v[i].der;
			sg[i].der_len = v[i].derlen;
			sg[i].audit = NULL;
		}
		st_err_clear(&e);
		rc = store_issue_commit(s, sg, n, &e);
		if (rc == ST_E_EXISTS)
			rc = commit_one_by_one(s, sg, n);
		else if (rc == 0)
			issued += (long)n;
		else
			fprintf(stderr, "store_worker: commit: %s\n", e.msg);
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	free(v);
	return rc;
}

/* Every kind of event: issue, revoke, crl, refuse, abort. */
static int
fill(struct store *s, long n)
{
	struct store_cert	*c = NULL;
	struct store_audit_rec	 r[2];
	struct st_err		 e;
	json_t			*f = NULL;
	int64_t			 crl;
	char			 key[32];
	long			 i;
	int			 rc = ST_E_INTERNAL;

	if ((rc = run(s, n, 7, "fill")) != 0)
		goto out;
	st_err_clear(&e);
	for (i = 1; i <= n; i += 5) {
		snprintf(key, sizeof(key), "fill-%ld", i);
		if ((rc = store_request_lookup(s, key, &c, &e)) != 0 ||
		    (rc = store_cert_revoke(s, c->issuer, c->serial,
		    c->serial_len, (int)(i % 6), 1767300000 + i, NULL,
		    &e)) != 0)
			goto out;
		store_cert_free(c);
		c = NULL;
	}
	for (i = 0; i < 3; i++)
		if ((rc = store_crl_next_number(s, ISSUER, NULL, &crl, &e)) !=
		    0)
			goto out;
	f = json_pack("{s:s,s:s}", "reason", "TNAuthList not encompassed",
	    "request", "order-17");
	r[0] = (struct store_audit_rec){ "refuse", f };
	r[1] = (struct store_audit_rec){ "ceremony-step", NULL };
	if ((rc = store_audit_append_many(s, r, 2, &e)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "store_worker: fill: %s\n", st_err_str(&e, rc));
	store_cert_free(c);
	json_decref(f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store	*s = NULL;
	struct st_err	 e;
	char		 uri[4200];
	const char	*d;
	long		 lines, batch;
	int		 rc;

	if (argc < 3 || strlen(argv[2]) > 4096 ||
	    !((strcmp(argv[1], "run") == 0 && (argc == 6 || argc == 7)) ||
	    (strcmp(argv[1], "fill") == 0 && argc == 4))) {
		fprintf(stderr, "usage: store_worker run DB LINES BATCH PREFIX "
		    "[collide]\n       store_worker fill DB N\n");
		return 2;
	}
	if ((d = getenv("STORE_WORKER_DIE")) != NULL)
		die_after = atoi(d);
	snprintf(uri, sizeof(uri), "sqlite:%s", argv[2]);
	st_err_clear(&e);
	if ((rc = store_open(uri, &s, &e)) != 0) {
		fprintf(stderr, "store_worker: %s\n", e.msg);
		return 2;
	}
	lines = strtol(argv[3], NULL, 10);
	if (strcmp(argv[1], "fill") == 0)
		rc = fill(s, lines);
	else {
		batch = strtol(argv[4], NULL, 10);
		collide = argc == 7 && strcmp(argv[6], "collide") == 0;
		if (batch < 1 || batch > MAXB || lines < 1)
			rc = ST_E_USAGE;
		else
			rc = run(s, lines, (size_t)batch, argv[5]);
	}
	store_close(s);
	printf("store_worker: pid %ld issued %ld recovered %ld collisions %ld "
	    "rc %d\n", (long)getpid(), issued, recovered, collisions, rc);
	return rc == 0 ? 0 : 2;
}
