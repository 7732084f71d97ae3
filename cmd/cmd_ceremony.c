/* SPDX-License-Identifier: ISC */
/*
 * stica ceremony [--dry-run] [--config stica.yaml] FILE.yaml: run a key
 * ceremony described by a
 * reviewed YAML file (docs/ceremony.md; the work is ca/ceremony.c).  The
 * transcript goes to stdout for the ceremony record; a failure is one
 * line "stica: ceremony: file:line:col: ..." on stderr and exit status 2.
 * --dry-run checks the file completely (inputs exist, outputs do not)
 * without loading the PKCS#11 module.  With --config, every step goes
 * to the deployment's audit log too.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/config.h"
#include "store/store.h"

void
help_ceremony(FILE *f)
{
	fprintf(f,
	    "usage: stica ceremony [--dry-run] [--config stica.yaml] FILE.yaml\n"
	    "\n"
	    "Run the key ceremony described by FILE.yaml: ceremony-type root,\n"
	    "intermediate, csr, key-only or crl (docs/ceremony.md).  Keys are\n"
	    "generated inside the HSM; every certificate is linted before it is\n"
	    "signed (docs/lint.md); every signature and chain is verified\n"
	    "before any output is written, and existing outputs are never\n"
	    "overwritten.  The transcript (steps, keys, certificates, CRLs,\n"
	    "SHA-256 fingerprints) goes to stdout.\n"
	    "\n"
	    "  -n, --dry-run   check the file, its inputs and outputs, and print\n"
	    "                  the plan; the PKCS#11 module is not loaded\n"
	    "  -c, --config F  record the ceremony in the audit log of the store\n"
	    "                  F names: a \"ceremony-step\" line before each step,\n"
	    "                  a \"ceremony-end\" line with the outputs' SHA-256\n"
	    "                  after; if a line cannot be written, the ceremony\n"
	    "                  stops before its next action\n");
}

int
cmd_ceremony(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_ceremony	*c = NULL;
	struct ca_ceremony_opts	 o;
	struct st_config	*cfg = NULL;
	struct store		*s = NULL;
	struct st_err		 e;
	const char		*config = NULL;
	int			 ch, rc;

	memset(&o, 0, sizeof(o));
	st_err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":nc:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.dry_run = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			help_ceremony(stdout);
			return 0;
		default:
			return cmd_opt_err("ceremony", ch, argv);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "stica: ceremony: expected one FILE.yaml; see "
		    "'stica help ceremony'\n");
		return EXIT_ERR;
	}
	if ((rc = ca_ceremony_load(argv[optind], &c, &e)) != 0)
		return cmd_fail("ceremony", &e, rc);
	if (config != NULL && (rc = st_config_load(config, &cfg, &e)) == 0 &&
	    !o.dry_run && (rc = store_open(cfg->store, &s, &e)) == 0)
		o.audit = s;
	if (rc == 0)
		rc = ca_ceremony_run(c, &o, stdout, &e);
	ca_ceremony_free(c);
	store_close(s);
	st_config_free(cfg);
	if (rc != 0)
		return cmd_fail("ceremony", &e, rc);
	return 0;
}
