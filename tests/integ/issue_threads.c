/* SPDX-License-Identifier: ISC */
/*
 * ca_issue from several threads on one engine (docs/issuance.md: the
 * engine is shared, store handles are pooled, the policy's scopes are
 * cached under a lock), run by tests/integ/test_issue.sh under ASan:
 *
 *   issue_threads CONFIG PUBKEY.pem FIRST-TN THREADS PER-THREAD
 *
 * Each thread issues PER-THREAD per-TN certificates for its own numbers
 * from FIRST-TN on, every other one with a request key that it then asks
 * for again (it must get the same serial back).  Prints one line per
 * certificate, "SERIAL TN", and exits 0 only if every call succeeded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "common/config.h"

struct worker {
	struct ca_engine	*g;
	const uint8_t		*key;
	size_t			 keylen;
	unsigned long long	 first;
	int			 n;
	int			 failed;
	char			(*lines)[80];
};

static void *
work(void *arg)
{
	struct worker		*w = arg;
	struct ca_issue_req	 req;
	struct ca_issue_result	 res, again;
	struct ca_tnauth	*l;
	struct st_err		 e;
	char			 spec[40], rk[64];
	int			 i, rc;

	for (i = 0; i < w->n; i++) {
		memset(&req, 0, sizeof(req));
		snprintf(spec, sizeof(spec), "tn:%llu", w->first +
		    (unsigned long long)i);
		snprintf(rk, sizeof(rk), "threads:%llu", w->first +
		    (unsigned long long)i);
		st_err_clear(&e);
		if ((l = ca_tnauth_new()) == NULL ||
		    ca_tnauth_add_spec(l, spec, &e) != 0) {
			ca_tnauth_free(l);
			w->failed++;
			continue;
		}
		req.spki = w->key;
		req.spki_len = w->keylen;
		req.tnauth = l;
		req.requester = POL_REQ_OPERATOR;
		req.proof = POL_PROOF_OPERATOR;
		req.request_key = i % 2 == 0 ? rk : NULL;
		if ((rc = ca_issue(w->g, &req, &res, &e)) != 0) {
			fprintf(stderr, "%s: %s\n", spec, st_err_str(&e, rc));
			w->failed++;
			ca_tnauth_free(l);
			continue;
		}
		snprintf(w->lines[i], sizeof(w->lines[i]), "%s %s",
		    res.serial_hex, spec + 3);
		if (req.request_key != NULL) {
			if (ca_issue(w->g, &req, &again, &e) != 0 ||
			    !again.existing ||
			    strcmp(again.serial_hex, res.serial_hex) != 0) {
				fprintf(stderr, "%s: the request key did not "
				    "return the same certificate\n", spec);
				w->failed++;
			}
			ca_issue_result_clear(&again);
		}
		ca_issue_result_clear(&res);
		ca_tnauth_free(l);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct st_config	*cfg = NULL;
	struct ca_engine	*g = NULL;
	struct worker		*w = NULL;
	pthread_t		*t = NULL;
	struct st_err		 e;
	uint8_t			*key = NULL;
	size_t			 keylen;
	int			 nt, per, i, j, rc, failed = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: issue_threads CONFIG PUBKEY FIRST-TN "
		    "THREADS PER-THREAD\n");
		return 2;
	}
	nt = atoi(argv[4]);
	per = atoi(argv[5]);
	st_err_clear(&e);
	rc = ST_E_USAGE;
	if (nt < 1 || nt > 64 || per < 1 ||
	    (rc = st_file_read(argv[2], 65536, &key, &keylen, &e)) != 0 ||
	    (rc = st_config_load(argv[1], &cfg, &e)) != 0 ||
	    (rc = ca_engine_open(cfg, &g, &e)) != 0) {
		fprintf(stderr, "issue_threads: %s\n", st_err_str(&e, rc));
		free(key);
		st_config_free(cfg);
		return 2;
	}
	if ((w = calloc((size_t)nt, sizeof(*w))) == NULL ||
	    (t = calloc((size_t)nt, sizeof(*t))) == NULL)
		return 2;
	for (i = 0; i < nt; i++) {
		w[i].g = g;
		w[i].key = key;
		w[i].keylen = keylen;
		w[i].first = strtoull(argv[3], NULL, 10) +
		    (unsigned long long)i * (unsigned long long)per;
		w[i].n = per;
		if ((w[i].lines = calloc((size_t)per, sizeof(*w[i].lines))) ==
		    NULL || pthread_create(&t[i], NULL, work, &w[i]) != 0)
			return 2;
	}
	for (i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		failed += w[i].failed;
		for (j = 0; j < per; j++)
			if (w[i].lines[j][0] != '\0')
				printf("%s\n", w[i].lines[j]);
		free(w[i].lines);
	}
	ca_engine_free(g);
	st_config_free(cfg);
	free(key);
	free(w);
	free(t);
	return failed == 0 ? 0 : 1;
}
