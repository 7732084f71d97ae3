/* SPDX-License-Identifier: ISC */
/*
 * stica audit: export and verify the hash-chained audit log
 * (docs/store.md, "Audit log").
 *
 *   export (--db URI | --config FILE) [-o FILE]   the JSON lines
 *   verify (--db URI | --config FILE | --file FILE) [--expect-head SEQ:HASH]
 *   head   (--db URI | --config FILE)             the current SEQ:HASH
 *
 * verify exits 0 ("ok: ...") when the chain is intact, 1 ("no: ...") when
 * a line was edited, cut, reordered or is not an audit line, or when the
 * expected head is absent or different, and 2 on errors.  Against a store
 * it also cross-checks the tables with the log (a "no: audit: KIND: ..."
 * line per certificate or CRL number whose line is missing or differs,
 * then a summary; exit 1), which catches lines cut from the end; for an
 * exported file only --expect-head does.  The database is opened
 * read-only and never created.  The checks live in store/.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/config.h"
#include "store/store.h"

void
help_audit(FILE *f)
{
	fprintf(f,
	    "usage: stica audit export (--db URI | --config FILE) [-o FILE]\n"
	    "       stica audit verify (--db URI | --config FILE | --file "
	    "FILE)\n"
	    "                          [--expect-head SEQ:HASH]\n"
	    "       stica audit head (--db URI | --config FILE)\n"
	    "\n"
	    "The audit log holds one JSON object per line (issue, refuse, "
	    "abort,\n"
	    "revoke, crl, ceremony-step, ...), each with \"seq\" and \"prev\", "
	    "the\n"
	    "SHA-256 of the previous line, so that an edited, deleted or moved "
	    "line\n"
	    "is detected.  Nothing follows the last line, so the chain alone "
	    "cannot\n"
	    "show lines cut from the end, nor an edit of the last line.\n"
	    "\n"
	    "Against a store (--db, --config), verify also checks the log "
	    "against the\n"
	    "store's tables: every valid or revoked certificate has its issue "
	    "line,\n"
	    "every revoked one its revoke line, every aborted one its abort "
	    "line, each\n"
	    "with the row's fields, and every CRL number allocated its crl "
	    "line.  It\n"
	    "prints one \"no: audit: missing|differs|unexpected: ...\" line "
	    "per\n"
	    "inconsistency.  Lines that no table records (refusals, ceremony "
	    "steps)\n"
	    "and the extra fields of any line rest on the chain alone.\n"
	    "\n"
	    "An exported file (--file) has no tables: lines cut from its end "
	    "are\n"
	    "detected only by --expect-head.  Keep the SEQ:HASH that verify "
	    "and head\n"
	    "print somewhere else; it also catches a log re-chained after an "
	    "edit.\n"
	    "\n"
	    "  --db URI             the store, e.g. sqlite:/var/lib/stica/"
	    "stica.db\n"
	    "  --config FILE        take the store from stica.yaml\n"
	    "  --file FILE          an exported log (- for stdin)\n"
	    "  -o FILE              export to FILE (atomically) instead of "
	    "stdout\n"
	    "  --expect-head SEQ:HASH  line SEQ must exist and hash to HASH\n"
	    "\n"
	    "verify exits 0 when the chain is intact (and agrees with the "
	    "store),\n"
	    "1 when it is not (or does not), 2 on errors.\n");
}

/* audit_parse's answer when it printed the help: exit 0. */
#define AUDIT_HELPED (-1)

/* Print "stica: audit[ SUB]: MSG; see help" for a usage error. */
static int
audit_usage(const char *sub, const char *msg, const char *arg)
{
	fprintf(stderr, "stica: audit%s%s: %s", sub != NULL ? " " : "",
	    sub != NULL ? sub : "", msg);
	if (arg != NULL)
		fprintf(stderr, " '%s'", arg);
	fprintf(stderr, "; see 'stica help audit'\n");
	return EXIT_ERR;
}

/* Where the log comes from. */
struct audit_args {
	const char	*db;
	const char	*config;
	const char	*file;
	const char	*out;
	const char	*head;
};

/*
 * Parse the options of sub; returns 0, AUDIT_HELPED, or EXIT_ERR (already
 * printed).
 */
static int
audit_parse(const char *sub, int argc, char **argv, struct audit_args *a,
    bool file_ok, bool out_ok, bool head_ok)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "expect-head", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, nsrc;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			a->db = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'f':
			if (!file_ok)
				return audit_usage(sub, "unknown option",
				    "--file");
			a->file = optarg;
			break;
		case 'o':
			if (!out_ok)
				return audit_usage(sub, "unknown option", "-o");
			a->out = optarg;
			break;
		case 'x':
			if (!head_ok)
				return audit_usage(sub, "unknown option",
				    "--expect-head");
			a->head = optarg;
			break;
		case 'h':
			help_audit(stdout);
			return AUDIT_HELPED;
		case ':':
			return audit_usage(sub, "missing argument for",
			    argv[optind - 1]);
		default:
			return audit_usage(sub, "unknown option",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return audit_usage(sub, "unexpected argument", argv[optind]);
	nsrc = (a->db != NULL) + (a->config != NULL) + (a->file != NULL);
	if (nsrc != 1)
		return audit_usage(sub, file_ok ?
		    "give exactly one of --db, --config and --file" :
		    "give exactly one of --db and --config", NULL);
	return 0;
}

/* Open the store named by --db or by the config's "store:", read-only. */
static int
audit_open(const char *sub, const struct audit_args *a, struct store **s)
{
	struct st_config	*cfg = NULL;
	struct st_err		 e;
	char			 ctx[32];
	int			 rc;

	*s = NULL;
	st_err_clear(&e);
	snprintf(ctx, sizeof(ctx), "audit %s", sub);
	if (a->config != NULL &&
	    (rc = st_config_load(a->config, &cfg, &e)) != 0)
		return cmd_fail(ctx, &e, rc);
	rc = store_open_readonly(cfg != NULL ? cfg->store : a->db, s, &e);
	st_config_free(cfg);
	if (rc != 0)
		return cmd_fail(ctx, &e, rc);
	return 0;
}

/*
 * Export to path atomically: a temporary file beside it, fsync, rename.
 * Large logs are streamed, never held in memory.
 */
static int
export_to(struct store *s, const char *path, struct st_err *e)
{
	char	*tmp = NULL, *dcopy = NULL, *dir;
	size_t	 sz;
	FILE	*f = NULL;
	int	 fd = -1, rc = ST_E_INTERNAL;

	if ((dcopy = strdup(path)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	dir = dirname(dcopy);
	sz = strlen(dir) + sizeof("/.audit-export.XXXXXX");
	if ((tmp = malloc(sz)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	snprintf(tmp, sz, "%s/.audit-export.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if ((rc = store_audit_export(s, f, e)) != 0)
		goto out;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = fclose(f);
	f = NULL;
	if (rc != 0 || rename(tmp, path) != 0) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(dcopy);
	return rc;
}

static int
audit_export(int argc, char **argv)
{
	struct audit_args	 a;
	struct store		*s = NULL;
	struct st_err		 e;
	int			 rc;

	if ((rc = audit_parse("export", argc, argv, &a, false, true, false)) !=
	    0)
		return rc == AUDIT_HELPED ? 0 : rc;
	if ((rc = audit_open("export", &a, &s)) != 0)
		return rc;
	st_err_clear(&e);
	if (a.out != NULL)
		rc = export_to(s, a.out, &e);
	else if ((rc = store_audit_export(s, stdout, &e)) == 0 &&
	    fflush(stdout) != 0)
		rc = st_err_set(&e, ST_E_IO, "stdout: %s", strerror(errno));
	store_close(s);
	if (rc != 0)
		return cmd_fail("audit export", &e, rc);
	return 0;
}

/* One inconsistency between the tables and the log. */
static void
finding_print(void *arg, const char *msg)
{
	(void)arg;
	printf("no: audit: %s\n", msg);
}

/*
 * A store: the chain, then the tables against it; a file: the chain
 * alone.
 */
static int
audit_verify(int argc, char **argv)
{
	struct audit_args	 a;
	struct store_audit_head	 expect;
	struct store_audit_report rep;
	struct store_audit_xcheck sum;
	struct store		*s = NULL;
	struct st_err		 e;
	int			 rc;

	if ((rc = audit_parse("verify", argc, argv, &a, true, false, true)) !=
	    0)
		return rc == AUDIT_HELPED ? 0 : rc;
	st_err_clear(&e);
	if (a.head != NULL &&
	    (rc = store_audit_head_parse(a.head, &expect, &e)) != 0)
		return cmd_fail("audit verify", &e, rc);
	if (a.file != NULL)
		rc = store_audit_verify_file(a.file, a.head ? &expect : NULL,
		    &rep, &e);
	else {
		if ((rc = audit_open("verify", &a, &s)) != 0)
			return rc;
		rc = store_audit_verify_tables(s, a.head ? &expect : NULL,
		    &rep, &sum, finding_print, NULL, &e);
		store_close(s);
	}
	if (rc == ST_E_VERIFY) {
		printf("no: %s\n", e.msg);
		return EXIT_NO;
	}
	if (rc != 0)
		return cmd_fail("audit verify", &e, rc);
	printf("ok: %lld line%s, head %lld:%s\n", (long long)rep.lines,
	    rep.lines == 1 ? "" : "s", (long long)rep.head.seq, rep.head.hash);
	if (a.file == NULL)
		printf("ok: the store agrees: %lld certificate%s (%lld "
		    "revoked, %lld aborted) and %lld CRL number%s, each "
		    "with its lines\n", (long long)sum.certs,
		    sum.certs == 1 ? "" : "s", (long long)sum.revoked,
		    (long long)sum.aborted, (long long)sum.crls,
		    sum.crls == 1 ? "" : "s");
	return 0;
}

static int
audit_head(int argc, char **argv)
{
	struct audit_args	 a;
	struct store_audit_head	 h;
	struct store		*s = NULL;
	struct st_err		 e;
	int			 rc;

	if ((rc = audit_parse("head", argc, argv, &a, false, false, false)) !=
	    0)
		return rc == AUDIT_HELPED ? 0 : rc;
	if ((rc = audit_open("head", &a, &s)) != 0)
		return rc;
	st_err_clear(&e);
	rc = store_audit_head(s, &h, &e);
	store_close(s);
	if (rc != 0)
		return cmd_fail("audit head", &e, rc);
	printf("%lld:%s\n", (long long)h.seq, h.hash);
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	if (argc < 2)
		return audit_usage(NULL, "missing subcommand (export, verify, "
		    "head)", NULL);
	if (strcmp(argv[1], "export") == 0)
		return audit_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "head") == 0)
		return audit_head(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help_audit(stdout);
		return 0;
	}
	return audit_usage(NULL, "unknown subcommand", argv[1]);
}
