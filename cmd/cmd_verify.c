/* SPDX-License-Identifier: ISC */
/*
 * stica verify --trust ROOT.pem [--tn DIGITS] [--spc-map SPC=SPEC,...]
 * [--at RFC3339] CHAIN.pem: check an x5u certificate list (RFC 9060
 * section 7) against trust anchors: RFC 5280 path validation, AKI/SKI
 * linkage, the RFC 9060 section 4 encompassing rule at every level, RFC
 * 9118 section 6; the work is ca_chain_verify (ca/verify.c).
 *
 * Exit status: 0 and "chain OK: ..." on stdout when valid; 1 and "chain
 * invalid: certificate N (subject): <rule>: <reason>" on stdout when not;
 * 2 and one line on stderr for usage and input errors.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "cmd/cmd.h"

/* Largest certificate file read: far more than any real chain. */
#define VFY_MAXFILE	(16u << 20)
/* Leaf entries printed in the summary line. */
#define VFY_SHOWN	3

void
help_verify(FILE *f)
{
	fprintf(f,
	    "usage: stica verify --trust FILE [--trust FILE]... [--tn DIGITS]\n"
	    "                    [--spc-map SPC=SPEC[,SPEC...]]... "
	    "[--at TIME] CHAIN.pem\n"
	    "\n"
	    "Check a STIR certificate list as served at an x5u URL (RFC 9060\n"
	    "section 7: PEM, the leaf first, each certificate followed by its\n"
	    "issuer, up to but not including the trust anchor; a trailing\n"
	    "anchor is accepted):\n"
	    "  - the order and the AKI/SKI linkage of every certificate, the "
	    "last\n"
	    "    one's against the anchor (RFC 9060 section 7);\n"
	    "  - RFC 5280 path validation by OpenSSL (signatures, validity,\n"
	    "    basicConstraints, keyUsage, X.509 strict mode);\n"
	    "  - every TNAuthList decodes strictly, the leaf has one, and "
	    "each is\n"
	    "    encompassed by every certificate above it that has one, the\n"
	    "    anchor included (RFC 8226 section 9, RFC 9060 section 4);\n"
	    "  - not both claim-constraint extensions (RFC 9118 section 6).\n"
	    "\n"
	    "  --trust FILE   trust anchors (PEM, one or more certificates; "
	    "repeatable).\n"
	    "                 An intermediate may be an anchor.\n"
	    "  --tn DIGITS    also require the leaf to hold this number\n"
	    "  --spc-map SPC=SPEC[,SPEC...]  (repeatable) the numbers (tn:, "
	    "range:)\n"
	    "                 that belong to an SPC, for numbers delegated "
	    "under an\n"
	    "                 SPC and for --tn against an SPC leaf (RFC 9060 "
	    "4.1)\n"
	    "  --at TIME      validate at TIME (RFC 3339, e.g. "
	    "2030-01-01T00:00:00Z)\n"
	    "                 instead of now\n"
	    "\n"
	    "Certificates are numbered from 0, the leaf.  Exit status:\n"
	    "  0  valid: \"chain OK: N certificates, leaf scope ...\"\n"
	    "  1  invalid: \"chain invalid: certificate N (subject): "
	    "<rule>: <reason>\"\n"
	    "  2  usage or input error (one line on standard error)\n"
	    "\n"
	    "Examples:\n"
	    "  stica verify --trust root.pem chain.pem\n"
	    "  stica verify --trust root.pem --tn 12025550105 chain.pem\n"
	    "  stica verify --trust root.pem --spc-map "
	    "1001=range:12025550000+1000 \\\n"
	    "      --tn 12025550105 chain.pem\n");
}

/*
 * "stica: verify: [PREFIX: ]MESSAGE" on stderr; EXIT_ERR.  The prefix (a
 * file name) is left out when the message already names it.
 */
static int
vfy_fail(const char *prefix, const struct st_err *e, int rc)
{
	if (prefix != NULL && strstr(st_err_str(e, rc), prefix) == NULL)
		fprintf(stderr, "stica: verify: %s: %s\n", prefix,
		    st_err_str(e, rc));
	else
		fprintf(stderr, "stica: verify: %s\n", st_err_str(e, rc));
	return EXIT_ERR;
}

/*
 * Read every certificate of a PEM file (or one DER certificate) into sk.
 * ST_E_IO for a missing file, ST_E_ASN1 when it holds no certificate.
 */
static int
vfy_load(const char *path, STACK_OF(X509) *sk, struct st_err *e)
{
	const unsigned char	*cp;
	uint8_t			*p = NULL;
	size_t			 len;
	BIO			*b = NULL;
	X509			*x;
	int			 n = 0, rc;

	if ((rc = st_file_read(path, VFY_MAXFILE, &p, &len, e)) != 0)
		goto out;
	if (len > 0 && p[0] == 0x30) {
		cp = p;
		if ((x = d2i_X509(NULL, &cp, (long)len)) == NULL ||
		    cp != p + len) {
			X509_free(x);
			rc = st_err_ossl(e, ST_E_ASN1, "not a DER certificate");
			goto out;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = ST_E_NOMEM;
			goto out;
		}
		rc = 0;
		goto out;
	}
	if ((b = BIO_new_mem_buf(p, (int)len)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = ST_E_NOMEM;
			goto out;
		}
		n++;
	}
	/* The end of the input is the expected way out of the loop. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0) {
		rc = st_err_ossl(e, ST_E_ASN1, n == 0 ? "no PEM certificate "
		    "found" : "PEM certificate %d does not decode", n + 1);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	free(p);
	return rc;
}

/* Two digits at s as a number, or -1. */
static int
two(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); 't',
 * 'z' and a space for 'T' are accepted (section 5.6 NOTE).
 */
static int
vfy_parse_time(const char *s, time_t *out)
{
	struct tm	tm;
	const char	*p;
	long		off = 0;
	int		y1, y2, oh, om;
	time_t		t;

	*out = 0;
	memset(&tm, 0, sizeof(tm));
	if (strlen(s) < 20 || (y1 = two(s)) < 0 || (y2 = two(s + 2)) < 0 ||
	    s[4] != '-' || (tm.tm_mon = two(s + 5)) < 1 || s[7] != '-' ||
	    (tm.tm_mday = two(s + 8)) < 1 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    (tm.tm_hour = two(s + 11)) < 0 || s[13] != ':' ||
	    (tm.tm_min = two(s + 14)) < 0 || s[16] != ':' ||
	    (tm.tm_sec = two(s + 17)) < 0)
		return -1;
	if (tm.tm_mon > 12 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon -= 1;
	p = s + 19;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			continue;
		if (!isdigit((unsigned char)p[-1]))
			return -1;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    (oh = two(p + 1)) >= 0 && oh <= 23 && p[3] == ':' &&
	    (om = two(p + 4)) >= 0 && om <= 59)
		off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
	else
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t - off;
	return *out > 0 ? 0 : -1;
}

/* The leaf's scope for the summary: its first entries in SPEC form. */
static void
vfy_leaf_scope(const X509 *leaf, char *buf, size_t bufsz)
{
	struct ca_tnauth	*l = NULL;
	char			 ent[CA_TN_BUFSZ + 300];
	size_t			 i, n = 0;

	buf[0] = '\0';
	if (ca_tnauth_from_cert(leaf, &l, NULL) != 0 || l == NULL) {
		(void)snprintf(buf, bufsz, "none (no TNAuthList)");
		ca_tnauth_free(l);
		return;
	}
	for (i = 0; i < l->n && i < VFY_SHOWN && n + 1 < bufsz; i++) {
		(void)ca_tn_entry_format(&l->v[i], ent, sizeof(ent));
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%s",
		    i > 0 ? ", " : "", ent);
	}
	if (l->n > VFY_SHOWN && n + 1 < bufsz)
		(void)snprintf(buf + n, bufsz - n, " and %zu more entries",
		    l->n - VFY_SHOWN);
	ca_tnauth_free(l);
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "trust", required_argument, NULL, 'T' },
		{ "tn", required_argument, NULL, 'n' },
		{ "spc-map", required_argument, NULL, 'm' },
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_spc_table	*maps = NULL;
	struct ca_spc_map	 map;
	struct ca_verify_opts	 vo;
	struct ca_verify_info	 info;
	struct st_err		 e = { 0 };
	STACK_OF(X509)		*trust = NULL, *chain = NULL;
	char			 scope[600];
	int			 ch, r, rc = EXIT_ERR, ntrust = 0;

	memset(&vo, 0, sizeof(vo));
	if ((trust = sk_X509_new_null()) == NULL ||
	    (chain = sk_X509_new_null()) == NULL ||
	    (maps = ca_spc_table_new()) == NULL) {
		rc = vfy_fail(NULL, NULL, ST_E_NOMEM);
		goto out;
	}
	ca_oids_register();
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":T:n:m:a:h", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'T':
			st_err_clear(&e);
			if ((r = vfy_load(optarg, trust, &e)) != 0) {
				rc = vfy_fail(optarg, &e, r);
				goto out;
			}
			ntrust++;
			break;
		case 'n':
			vo.tn = optarg;
			break;
		case 'm':
			if ((r = ca_spc_table_add_arg(maps, optarg, &e)) != 0) {
				rc = vfy_fail(NULL, &e, r);
				goto out;
			}
			break;
		case 'a':
			if (vfy_parse_time(optarg, &vo.at) != 0) {
				rc = cmd_usage("verify", "--at: expected an "
				    "RFC 3339 time such as "
				    "2030-01-01T00:00:00Z, not", optarg);
				goto out;
			}
			break;
		case 'h':
			help_verify(stdout);
			rc = 0;
			goto out;
		case ':':
			rc = cmd_usage("verify", "option needs a value:",
			    argv[optind - 1]);
			goto out;
		default:
			rc = cmd_usage("verify", "unknown option",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (ntrust == 0) {
		rc = cmd_usage("verify", "--trust FILE is required", NULL);
		goto out;
	}
	if (argc - optind != 1) {
		rc = cmd_usage("verify", "expected one CHAIN.pem", NULL);
		goto out;
	}
	if ((r = ca_spc_table_build(maps, &e)) != 0) {
		rc = vfy_fail("--spc-map", &e, r);
		goto out;
	}
	map = ca_spc_table_map(maps);
	if (ca_spc_table_count(maps) > 0)
		vo.map = &map;
	st_err_clear(&e);
	if ((r = vfy_load(argv[optind], chain, &e)) != 0) {
		rc = vfy_fail(argv[optind], &e, r);
		goto out;
	}
	st_err_clear(&e);
	r = ca_chain_verify(chain, trust, &vo, &info, &e);
	if (r == ST_E_VERIFY || r == ST_E_SCOPE) {
		printf("chain invalid: %s\n", st_err_str(&e, r));
		rc = EXIT_NO;
		goto out;
	}
	if (r != 0) {
		rc = vfy_fail(NULL, &e, r);
		goto out;
	}
	vfy_leaf_scope(sk_X509_value(chain, 0), scope, sizeof(scope));
	printf("chain OK: %zu certificate%s%s, leaf scope %s", info.ncerts,
	    info.ncerts == 1 ? "" : "s", info.anchor_listed ? " and the "
	    "listed anchor" : "", scope);
	if (vo.tn != NULL)
		printf("; tn:%s is in it%s", vo.tn, info.tn_via_map ?
		    " through --spc-map" : "");
	printf("\n");
	rc = 0;
out:
	if (fflush(stdout) != 0 && rc != EXIT_ERR)
		rc = vfy_fail("standard output", NULL, ST_E_IO);
	sk_X509_pop_free(trust, X509_free);
	sk_X509_pop_free(chain, X509_free);
	ca_spc_table_free(maps);
	return rc;
}
