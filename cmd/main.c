/* SPDX-License-Identifier: ISC */
/*
 * stica: subcommand dispatch, top-level help, and the few helpers the
 * subcommands share (error and usage lines, serial arguments).  No logic
 * lives here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct cmd cmds[] = {
	{ "audit", cmd_audit, help_audit,
	    "export and verify the hash-chained audit log" },
	{ "ceremony", cmd_ceremony, help_ceremony,
	    "run a key ceremony from a YAML file (root, CA, CSR, key, CRL)" },
	{ "init", cmd_init, help_init,
	    "development CA in DIR: SoftHSM token, root, CA, policy, config" },
	{ "hsm", cmd_hsm, help_hsm,
	    "list PKCS#11 slots, tokens and keys; generate a key in a token" },
	{ "issue", cmd_issue, help_issue,
	    "issue one certificate from a CSR or a public key (PEM chain)" },
	{ "issue-batch", cmd_issue_batch, help_issue_batch,
	    "issue one certificate per JSON line, resumable after a crash" },
	{ "show", cmd_show, help_show,
	    "show one certificate as the store records it" },
	{ "revoke", cmd_revoke, help_revoke,
	    "revoke a certificate (RFC 5280 reason)" },
	{ "crl", cmd_crl, help_crl,
	    "sign an issuer's CRL in the HSM (RFC 5280 section 5)" },
	{ "tnauthlist", cmd_tnauthlist, help_tnauthlist,
	    "encode, decode and compare TNAuthLists (RFC 8226, RFC 9060)" },
	{ "verify", cmd_verify, help_verify,
	    "verify an x5u chain: RFC 5280 path, AKI/SKI, RFC 9060 scope" },
	{ "policy", cmd_policy, help_policy,
	    "check an issuance policy and explain its decisions" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

int
cmd_fail(const char *ctx, const struct st_err *e, int rc)
{
	if (ctx != NULL)
		fprintf(stderr, "stica: %s: %s\n", ctx, st_err_str(e, rc));
	else
		fprintf(stderr, "stica: %s\n", st_err_str(e, rc));
	return EXIT_ERR;
}

int
cmd_usage(const char *cmd, const char *msg, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "stica: %s: %s '%s'; see 'stica help %s'\n",
		    cmd, msg, arg, cmd);
	else
		fprintf(stderr, "stica: %s: %s; see 'stica help %s'\n", cmd,
		    msg, cmd);
	return EXIT_ERR;
}

int
cmd_opt_err(const char *cmd, int ch, char **argv)
{
	return cmd_usage(cmd, ch == ':' ? "missing argument for" :
	    "unknown option", argv[optind - 1]);
}

int
cmd_serial_parse(const char *s, uint8_t **out, size_t *len, struct st_err *e)
{
	size_t	skip = 0;
	int	rc;

	if ((rc = st_hex_decode(s, strlen(s), out, len, e)) != 0)
		return rc;
	while (skip + 1 < *len && (*out)[skip] == 0)
		skip++;
	if (*len == 0 || (*out)[skip] == 0 || *len - skip > 20) {
		free(*out);
		*out = NULL;
		return st_err_set(e, ST_E_USAGE, "serial '%s': RFC 5280 "
		    "section 4.1.2.2: a positive integer of at most 20 octets",
		    s);
	}
	memmove(*out, *out + skip, *len - skip);
	*len -= skip;
	return 0;
}

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f,
	    "usage: stica COMMAND [ARGS...]\n"
	    "       stica help [COMMAND]\n"
	    "\n"
	    "stica is an HSM-backed certification authority for STIR\n"
	    "(RFC 8226 certificates, RFC 9060 delegation).\n"
	    "\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun 'stica help COMMAND' for a command's usage.\n");
}

static const struct cmd *
find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_ERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if ((c = find(argv[2])) == NULL) {
			fprintf(stderr, "stica: help: unknown command '%s'\n",
			    argv[2]);
			return EXIT_ERR;
		}
		c->help(stdout);
		return 0;
	}
	if ((c = find(argv[1])) == NULL) {
		fprintf(stderr, "stica: unknown command '%s'; try 'stica "
		    "--help'\n", argv[1]);
		return EXIT_ERR;
	}
	return c->run(argc - 1, argv + 1);
}
