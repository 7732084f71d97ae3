/* SPDX-License-Identifier: ISC */
/*
 * stica revoke and crl (docs/issuance.md): revoke a certificate with an
 * RFC 5280 section 5.3.1 reason, and sign a v2 CRL of an issuer in the
 * HSM (RFC 5280 section 5).  The work is done by ca_revoke and
 * ca_crl_sign.
 *
 * Exit status: 0 done, 1 already revoked (revoke), 2 an error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/config.h"
#include "common/yaml.h"
#include "store/store.h"

void
help_revoke(FILE *f)
{
	fprintf(f,
	    "usage: stica revoke --config FILE --serial HEX [--issuer NAME] "
	    "[--reason REASON]\n"
	    "\n"
	    "Revoke a valid certificate.  The revocation, with its date and "
	    "reason, goes\n"
	    "into the store and the audit log in one transaction; the next "
	    "'stica crl'\n"
	    "lists it.  Revocation is final (no certificateHold).\n"
	    "\n"
	    "  --serial HEX     the certificate's serial (colons allowed)\n"
	    "  --issuer NAME    needed only when two issuers used the serial\n"
	    "  --reason REASON  RFC 5280 section 5.3.1 name or code: "
	    "unspecified (0,\n"
	    "                   default), keyCompromise (1), cACompromise "
	    "(2),\n"
	    "                   affiliationChanged (3), superseded (4),\n"
	    "                   cessationOfOperation (5), privilegeWithdrawn "
	    "(9),\n"
	    "                   aACompromise (10)\n"
	    "\n"
	    "Exit status: 0 revoked, 1 already revoked, 2 error (unknown, "
	    "pending or\n"
	    "aborted serial included).\n");
}

int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct st_config	*cfg = NULL;
	struct store		*s = NULL;
	struct st_err		 e;
	const char		*config = NULL, *hex = NULL, *issuer = NULL;
	const char		*reason_s = "unspecified";
	uint8_t			*serial = NULL;
	size_t			 slen;
	int			 ch, rc, reason, ex = EXIT_ERR;

	st_err_clear(&e);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 's':
			hex = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'r':
			reason_s = optarg;
			break;
		case 'h':
			help_revoke(stdout);
			return 0;
		default:
			return cmd_opt_err("revoke", ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage("revoke", "unexpected argument", argv[optind]);
	if (config == NULL || hex == NULL)
		return cmd_usage("revoke", "--config and --serial are required",
		    NULL);
	if ((rc = store_reason_parse(reason_s, &reason, &e)) != 0 ||
	    (rc = cmd_serial_parse(hex, &serial, &slen, &e)) != 0 ||
	    (rc = st_config_load(config, &cfg, &e)) != 0 ||
	    (rc = store_open(cfg->store, &s, &e)) != 0)
		goto fail;
	rc = ca_revoke(s, issuer, serial, slen, reason, "operator", &e);
	if (rc == ST_E_EXISTS) {
		fprintf(stderr, "stica: revoke: %s\n", st_err_str(&e, rc));
		ex = EXIT_NO;
		goto out;
	}
	if (rc != 0)
		goto fail;
	printf("revoked serial %s (%s)\n", hex, store_reason_name(reason));
	ex = 0;
	goto out;
fail:
	ex = cmd_fail("revoke", &e, rc);
out:
	store_close(s);
	st_config_free(cfg);
	free(serial);
	return ex;
}

void
help_crl(FILE *f)
{
	fprintf(f,
	    "usage: stica crl --config FILE --issuer NAME [--next-update "
	    "DURATION]\n"
	    "                 [--der] [-o FILE]\n"
	    "\n"
	    "Sign a v2 CRL (RFC 5280 section 5) of the issuer with its key in "
	    "the HSM:\n"
	    "every certificate it revoked, with revocation date and "
	    "reasonCode,\n"
	    "authorityKeyIdentifier, and a cRLNumber that increases with "
	    "every CRL\n"
	    "(allocated in the store, with an audit line, before the HSM "
	    "signs).\n"
	    "thisUpdate is now; nextUpdate is now + DURATION (e.g. 7d, "
	    "12h; default\n"
	    "7d).  Prints the CRL in PEM (DER with --der) to stdout or FILE "
	    "(written\n"
	    "atomically), and one line about it on stderr.\n"
	    "\n"
	    "Exit status: 0 signed, 2 error.\n");
}

int
cmd_crl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "next-update", required_argument, NULL, 'n' },
		{ "der", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct st_config	*cfg = NULL;
	struct ca_engine	*g = NULL;
	struct ca_crl_result	 crl;
	struct st_err		 e;
	const char		*config = NULL, *issuer = NULL, *out = NULL;
	char			 t1[32], t2[32];
	int64_t			 next = 0;
	bool			 der = false;
	int			 ch, rc, ex = EXIT_ERR;

	st_err_clear(&e);
	memset(&crl, 0, sizeof(crl));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'n':
			if (pol_duration_parse(optarg, &next, &e) != 0 ||
			    next <= 0)
				return cmd_usage("crl", "--next-update: "
				    "expected a duration such as 7d or 12h, "
				    "got", optarg);
			break;
		case 'd':
			der = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			help_crl(stdout);
			return 0;
		default:
			return cmd_opt_err("crl", ch, argv);
		}
	}
	if (optind < argc)
		return cmd_usage("crl", "unexpected argument", argv[optind]);
	if (config == NULL || issuer == NULL)
		return cmd_usage("crl", "--config and --issuer are required",
		    NULL);
	if ((rc = st_config_load(config, &cfg, &e)) != 0 ||
	    (rc = ca_engine_open(cfg, &g, &e)) != 0 ||
	    (rc = ca_crl_sign(g, issuer, next, &crl, &e)) != 0)
		goto fail;
	if (out != NULL) {
		if ((rc = st_file_write(out, der ? (const void *)crl.der :
		    (const void *)crl.pem, der ? crl.der_len : strlen(crl.pem),
		    0644, false, &e)) != 0)
			goto fail;
	} else if (der ? fwrite(crl.der, 1, crl.der_len, stdout) !=
	    crl.der_len : fputs(crl.pem, stdout) == EOF) {
		rc = st_err_set(&e, ST_E_IO, "stdout: write failed");
		goto fail;
	}
	st_time_format(crl.this_update, t1, sizeof(t1));
	st_time_format(crl.next_update, t2, sizeof(t2));
	fprintf(stderr, "stica: crl: issuer '%s', CRL number %lld, %zu "
	    "revoked, thisUpdate %s, nextUpdate %s\n", issuer,
	    (long long)crl.number, crl.nrevoked, t1, t2);
	ex = 0;
	goto out;
fail:
	ex = cmd_fail("crl", &e, rc);
out:
	ca_crl_result_clear(&crl);
	ca_engine_free(g);
	st_config_free(cfg);
	return ex;
}
