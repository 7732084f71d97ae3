/* SPDX-License-Identifier: ISC */
/*
 * stica: subcommand dispatch and top-level help.  No logic lives here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct cmd cmds[] = {
	{ "tnauthlist", cmd_tnauthlist, help_tnauthlist,
	    "encode, decode and compare TNAuthLists (RFC 8226, RFC 9060)" },
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
