/* SPDX-License-Identifier: ISC */
/*
 * Throwaway SoftHSM2 tokens for the C integration tests and the HSM
 * benchmark, made by tests/softhsm.sh (one implementation for shell and
 * C), plus small helpers to run judges (openssl, pkcs11-tool, p11tool,
 * python3) and read their output.
 *
 *   ht_setup(&t, "label")   token in a fresh temporary directory; sets
 *                           SOFTHSM2_CONF for this process (before any
 *                           C_Initialize); t.uri is "pkcs11:token=label;
 *                           pin-source=file:..."
 *   ht_add_token(&t, "l2")  one more token in the same directory
 *   ht_cleanup(&t)          remove the directory
 *   ht_sh(out, fmt, ...)    run a shell command (with the token's
 *                           variables exported), stdout+stderr into the
 *                           malloc'd *out (may be NULL); returns the exit
 *                           status, or -1
 */
#ifndef STICA_TESTS_HSM_TOK_H
#define STICA_TESTS_HSM_TOK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct ht_token {
	char	dir[512];	/* SOFTHSM_DIR */
	char	tokendir[600];	/* SOFTHSM_TOKENDIR */
	char	conf[600];	/* SOFTHSM2_CONF */
	char	pin_file[600];	/* user PIN, 0600 */
	char	so_pin_file[600];
	char	module[512];
	char	label[64];
	char	uri[1400];
};

static struct ht_token *ht_cur;

__attribute__((unused)) static const char *
ht_top(void)
{
	const char	*t = getenv("STICA_TOP");

	return t != NULL ? t : ".";
}

/* Read a whole stream into a malloc'd NUL-terminated string. */
__attribute__((unused)) static char *
ht_slurp(FILE *f)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 8192);

			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap += 8192;
		}
		if ((n = fread(buf + len, 1, cap - len - 1, f)) == 0)
			break;
		len += n;
	}
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

__attribute__((unused, format(printf, 2, 3))) static int
ht_sh(char **out, const char *fmt, ...)
{
	char	 cmd[8192], full[16384];
	FILE	*p;
	char	*o;
	va_list	 ap;
	int	 st, n;

	if (out != NULL)
		*out = NULL;
	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	if (ht_cur != NULL)
		n = snprintf(full, sizeof(full), "SOFTHSM_DIR='%s' "
		    "SOFTHSM_TOKENDIR='%s' SOFTHSM_MODULE='%s' "
		    "SOFTHSM_LABEL='%s' SOFTHSM_PIN_FILE='%s' "
		    "SOFTHSM_SO_PIN_FILE='%s'; export SOFTHSM_DIR "
		    "SOFTHSM_TOKENDIR SOFTHSM_MODULE SOFTHSM_LABEL "
		    "SOFTHSM_PIN_FILE SOFTHSM_SO_PIN_FILE; . '%s/tests/softhsm.sh'; "
		    "( %s ) 2>&1", ht_cur->dir, ht_cur->tokendir,
		    ht_cur->module, ht_cur->label, ht_cur->pin_file,
		    ht_cur->so_pin_file, ht_top(), cmd);
	else
		n = snprintf(full, sizeof(full), "( %s ) 2>&1", cmd);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((p = popen(full, "r")) == NULL)
		return -1;
	o = ht_slurp(p);
	st = pclose(p);
	if (out != NULL)
		*out = o;
	else
		free(o);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
ht_line(char **p, char *dst, size_t dstsz)
{
	char	*nl;
	size_t	 n;

	if ((nl = strchr(*p, '\n')) == NULL)
		return -1;
	n = (size_t)(nl - *p);
	if (n >= dstsz)
		return -1;
	memcpy(dst, *p, n);
	dst[n] = '\0';
	*p = nl + 1;
	return 0;
}

__attribute__((unused)) static int
ht_setup(struct ht_token *t, const char *label)
{
	char	*out = NULL, *p;
	int	 st, rc = -1;

	memset(t, 0, sizeof(*t));
	ht_cur = NULL;
	st = ht_sh(&out, ". '%s/tests/softhsm.sh' && softhsm_setup '%s' >&2 "
	    "&& printf '@@\\n%%s\\n%%s\\n%%s\\n%%s\\n%%s\\n%%s\\n%%s\\n' "
	    "\"$SOFTHSM_DIR\" \"$SOFTHSM_TOKENDIR\" \"$SOFTHSM2_CONF\" "
	    "\"$SOFTHSM_PIN_FILE\" \"$SOFTHSM_SO_PIN_FILE\" "
	    "\"$SOFTHSM_MODULE\" \"$SOFTHSM_URI\"", ht_top(), label);
	if (st != 0 || out == NULL || (p = strstr(out, "@@\n")) == NULL) {
		fprintf(stderr, "ht_setup: softhsm_setup failed (%d): %s\n",
		    st, out != NULL ? out : "");
		goto out;
	}
	p += 3;
	if (ht_line(&p, t->dir, sizeof(t->dir)) != 0 ||
	    ht_line(&p, t->tokendir, sizeof(t->tokendir)) != 0 ||
	    ht_line(&p, t->conf, sizeof(t->conf)) != 0 ||
	    ht_line(&p, t->pin_file, sizeof(t->pin_file)) != 0 ||
	    ht_line(&p, t->so_pin_file, sizeof(t->so_pin_file)) != 0 ||
	    ht_line(&p, t->module, sizeof(t->module)) != 0 ||
	    ht_line(&p, t->uri, sizeof(t->uri)) != 0)
		goto out;
	snprintf(t->label, sizeof(t->label), "%s", label);
	setenv("SOFTHSM2_CONF", t->conf, 1);
	setenv("STICA_PKCS11_MODULE", t->module, 1);
	ht_cur = t;
	rc = 0;
out:
	free(out);
	return rc;
}

__attribute__((unused)) static int
ht_add_token(struct ht_token *t, const char *label)
{
	(void)t;
	return ht_sh(NULL, "softhsm_add_token '%s'", label);
}

__attribute__((unused)) static void
ht_cleanup(struct ht_token *t)
{
	if (t->dir[0] != '\0' && strncmp(t->dir, "/", 1) == 0 &&
	    strstr(t->dir, "stica-softhsm.") != NULL)
		ht_sh(NULL, "rm -rf '%s'", t->dir);
	t->dir[0] = '\0';
	ht_cur = NULL;
}

#endif /* STICA_TESTS_HSM_TOK_H */
