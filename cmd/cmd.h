/* SPDX-License-Identifier: ISC */
/*
 * cmd/: the stica program.  main.c dispatches to one function per
 * subcommand (cmd_<name>.c); those parse arguments, call the modules and
 * print.  Exit status: 0 success, 1 a negative answer (a "contains" or
 * "verify" that says no), 2 an error (usage or bad input), each with one
 * clear line on stderr.
 */
#ifndef STICA_CMD_H
#define STICA_CMD_H

#include <stdio.h>

#include "common/common.h"

#define EXIT_NO		1
#define EXIT_ERR	2

struct cmd {
	const char	*name;
	int		(*run)(int argc, char **argv);	/* argv[0] = name */
	void		(*help)(FILE *);
	const char	*summary;
};

/* Print "stica: <msg>" for a failed call and return EXIT_ERR. */
int	cmd_fail(const char *ctx, const struct st_err *e, int rc);

int	cmd_tnauthlist(int, char **);
void	help_tnauthlist(FILE *);

#endif /* STICA_CMD_H */
