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
int	cmd_hsm(int, char **);
void	help_hsm(FILE *);
int	cmd_ceremony(int, char **);
void	help_ceremony(FILE *);
int	cmd_init(int, char **);
void	help_init(FILE *);
int	cmd_policy(int, char **);
void	help_policy(FILE *);

int	cmd_audit(int, char **);
void	help_audit(FILE *);

int	cmd_issue(int, char **);
void	help_issue(FILE *);
int	cmd_issue_batch(int, char **);
void	help_issue_batch(FILE *);
int	cmd_show(int, char **);
void	help_show(FILE *);
int	cmd_revoke(int, char **);
void	help_revoke(FILE *);
int	cmd_crl(int, char **);
void	help_crl(FILE *);
int	cmd_verify(int, char **);
void	help_verify(FILE *);

#endif /* STICA_CMD_H */
