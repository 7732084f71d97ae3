/* SPDX-License-Identifier: ISC */
/*
 * stica ceremony [--dry-run] FILE.yaml: run a key ceremony described by a
 * reviewed YAML file (docs/ceremony.md; the work is ca/ceremony.c).  The
 * transcript goes to stdout for the ceremony record; a failure is one
 * line "stica: ceremony: file:line:col: ..." on stderr and exit status 2.
 * --dry-run checks the file completely (inputs exist, outputs do not)
 * without loading the PKCS#11 module.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"

void
help_ceremony(FILE *f)
{
	fprintf(f,
	    "usage: stica ceremony [--dry-run] FILE.yaml\n"
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
	    "                  the plan; the PKCS#11 module is not loaded\n");
}

int
cmd_ceremony(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_ceremony	*c = NULL;
	struct ca_ceremony_opts	 o;
	struct st_err		 e;
	int			 ch, rc;

	memset(&o, 0, sizeof(o));
	st_err_clear(&e);
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			o.dry_run = true;
			break;
		case 'h':
			help_ceremony(stdout);
			return 0;
		default:
			fprintf(stderr, "stica: ceremony: unknown option '%s'; "
			    "see 'stica help ceremony'\n", argv[optind - 1]);
			return EXIT_ERR;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "stica: ceremony: expected one FILE.yaml; see "
		    "'stica help ceremony'\n");
		return EXIT_ERR;
	}
	if ((rc = ca_ceremony_load(argv[optind], &c, &e)) != 0)
		return cmd_fail("ceremony", &e, rc);
	rc = ca_ceremony_run(c, &o, stdout, &e);
	ca_ceremony_free(c);
	if (rc != 0)
		return cmd_fail("ceremony", &e, rc);
	return 0;
}
