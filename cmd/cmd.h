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

#include <stddef.h>
#include <stdint.h>
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
/*
 * Print "stica: CMD: MSG 'ARG'; see 'stica help CMD'" (without 'ARG' when
 * arg is NULL) for a usage error and return EXIT_ERR.
 */
int	cmd_usage(const char *cmd, const char *msg, const char *arg);
/*
 * The usage error for getopt_long's answer ch about argv[optind - 1]:
 * ':' a missing argument, anything else an unknown option.
 */
int	cmd_opt_err(const char *cmd, int ch, char **argv);
/*
 * A certificate serial argument in hex (colons allowed) as the INTEGER's
 * magnitude, leading zero octets dropped: positive and at most 20 octets
 * (RFC 5280 section 4.1.2.2), else ST_E_USAGE.  *out is malloc'd.
 */
int	cmd_serial_parse(const char *s, uint8_t **out, size_t *len,
    struct st_err *e);

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
