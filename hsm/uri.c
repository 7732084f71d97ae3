/* SPDX-License-Identifier: ISC */
/*
 * RFC 7512 PKCS#11 URIs and PINs.  Parsing is p11-kit's
 * (p11_kit_uri_parse); this file adds the rules of RFC 7512 that p11-kit
 * leaves to the consumer (no duplicate path attributes, section 2.3; an
 * unrecognised path attribute matches nothing, section 2.5; pin-source
 * and pin-value, sections 2.4 and 6; module-path and module-name, section
 * 2.4) and reads PINs from a pin-source=file: or from an environment
 * variable.  PINs are never taken from the URI itself (pin-value), never
 * logged, and wiped by the caller after C_Login.  Also the checks of the
 * token URI and the pin-source file a dry run makes without loading a
 * module.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hsm/hsm_int.h"

/*
 * Copy uri into buf for messages, with the value of any pin-value
 * attribute replaced by "***" and long URIs cut.
 */
void
hsm_uri_redact(const char *uri, char *buf, size_t bufsz)
{
	const char	*p = uri, *v;
	size_t		 n = 0, k;

	if (bufsz == 0)
		return;
	while (*p != '\0' && n + 1 < bufsz) {
		if (strncmp(p, "pin-value=", 10) == 0 &&
		    (p == uri || p[-1] == ';' || p[-1] == '?' || p[-1] == '&')) {
			v = "pin-value=***";
			for (k = 0; v[k] != '\0' && n + 1 < bufsz; k++)
				buf[n++] = v[k];
			p += 10;
			while (*p != '\0' && *p != ';' && *p != '&')
				p++;
			continue;
		}
		buf[n++] = isprint((unsigned char)*p) ? *p : '?';
		p++;
	}
	buf[n] = '\0';
	if (*p != '\0' && bufsz > 4)
		memcpy(buf + bufsz - 4, "...", 4);
}

/*
 * RFC 7512 section 2.3: "each attribute may be present at most once in
 * the PKCS #11 URI path component".  p11-kit keeps the last one silently,
 * so look at the attribute names of the path ourselves.
 */
static int
check_duplicates(const char *uri, char *dup, size_t dupsz)
{
	const char	*path, *end, *a, *b, *eq;
	size_t		 alen;

	path = uri + strlen(P11_KIT_URI_SCHEME ":");
	end = strchr(path, '?');
	if (end == NULL)
		end = path + strlen(path);
	for (a = path; a < end; a = b + 1) {
		b = memchr(a, ';', (size_t)(end - a));
		if (b == NULL)
			b = end;
		eq = memchr(a, '=', (size_t)(b - a));
		alen = (size_t)((eq != NULL ? eq : b) - a);
		if (alen > 0) {
			const char *c, *d, *eq2;

			for (c = b + 1; c < end; c = d + 1) {
				d = memchr(c, ';', (size_t)(end - c));
				if (d == NULL)
					d = end;
				eq2 = memchr(c, '=', (size_t)(d - c));
				if ((size_t)((eq2 != NULL ? eq2 : d) - c) ==
				    alen && memcmp(a, c, alen) == 0) {
					snprintf(dup, dupsz, "%.*s", (int)alen,
					    a);
					return -1;
				}
				if (d == end)
					break;
			}
		}
		if (b == end)
			break;
	}
	return 0;
}

/*
 * Parse a pkcs11: URI (RFC 7512 section 2.3) and apply the consumer rules
 * above.  pin-value is refused outright (RFC 7512 section 6: the URI
 * travels in argv and configuration files); pin-source must be a file:
 * URI.
 */
int
hsm_uri_parse(const char *uri, P11KitUri **out, struct st_err *e)
{
	P11KitUri	*u = NULL;
	const char	*src;
	char		 red[160], dup[64];
	int		 r, rc = ST_E_INTERNAL;

	*out = NULL;
	if (uri == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "no PKCS#11 URI given");
		goto out;
	}
	hsm_uri_redact(uri, red, sizeof(red));
	if ((u = p11_kit_uri_new()) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u)) !=
	    P11_KIT_URI_OK) {
		rc = st_err_set(e, ST_E_SYNTAX, "PKCS#11 URI: RFC 7512 section "
		    "2.3: %s (%s)", p11_kit_uri_message(r), red);
		goto out;
	}
	if (check_duplicates(uri, dup, sizeof(dup)) != 0) {
		rc = st_err_set(e, ST_E_SYNTAX, "PKCS#11 URI: RFC 7512 section "
		    "2.3: attribute '%s' given twice in the path (%s)", dup,
		    red);
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u)) {
		rc = st_err_set(e, ST_E_SYNTAX, "PKCS#11 URI: RFC 7512 section "
		    "2.5: unrecognised path attribute, which would match "
		    "nothing (%s)", red);
		goto out;
	}
	if (p11_kit_uri_get_pin_value(u) != NULL) {
		rc = st_err_set(e, ST_E_USAGE, "PKCS#11 URI: pin-value "
		    "refused (RFC 7512 section 6: the URI is not protected "
		    "like a PIN); use pin-source=file:PATH or an environment "
		    "variable (%s)", red);
		goto out;
	}
	src = p11_kit_uri_get_pin_source(u);
	if (src != NULL && strncmp(src, "file:", 5) != 0) {
		rc = st_err_set(e, ST_E_USAGE, "PKCS#11 URI: RFC 7512 section "
		    "2.4: pin-source must be a file: URI here (%s)", red);
		goto out;
	}
	*out = u;
	u = NULL;
	rc = 0;
out:
	p11_kit_uri_free(u);
	return rc;
}

/* "libsofthsm2.so" -> "softhsm2", the RFC 7512 section 2.4 module-name. */
static void
module_name(const char *path, char *buf, size_t bufsz)
{
	const char	*b, *dot;
	size_t		 n, i;

	b = strrchr(path, '/');
	b = b != NULL ? b + 1 : path;
	if (strncmp(b, "lib", 3) == 0)
		b += 3;
	dot = strstr(b, ".so");
	if (dot == NULL)
		dot = strchr(b, '.');
	n = dot != NULL ? (size_t)(dot - b) : strlen(b);
	if (n >= bufsz)
		n = bufsz - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)b[i]);
	buf[n] = '\0';
}

/*
 * Checks for a URI naming the token to open: module-path must name the
 * configured module and module-name must be its name (RFC 7512 section
 * 2.4 lets a consumer refuse both; loading the code a URI names would
 * open section 7.2 of RFC 3986).  Returns the pin-source file in
 * *pin_file (NULL when absent).
 */
int
hsm_uri_check_token(P11KitUri *u, const char *uri, const char *module,
    char **pin_file, struct st_err *e)
{
	const char	*mp, *mn, *src, *path;
	char		 red[160], r1[PATH_MAX], r2[PATH_MAX], name[64];
	int		 rc = ST_E_INTERNAL;

	*pin_file = NULL;
	hsm_uri_redact(uri, red, sizeof(red));
	if ((mp = p11_kit_uri_get_module_path(u)) != NULL &&
	    (realpath(mp, r1) == NULL || realpath(module, r2) == NULL ||
	    strcmp(r1, r2) != 0)) {
		rc = st_err_set(e, ST_E_USAGE, "PKCS#11 URI: RFC 7512 section "
		    "2.4: module-path %s is not the configured module %s (%s)",
		    mp, module, red);
		goto out;
	}
	if ((mn = p11_kit_uri_get_module_name(u)) != NULL) {
		module_name(module, name, sizeof(name));
		if (strcasecmp(mn, name) != 0) {
			rc = st_err_set(e, ST_E_USAGE, "PKCS#11 URI: RFC 7512 "
			    "section 2.4: module-name %s is not the configured "
			    "module %s (%s)", mn, module, red);
			goto out;
		}
	}
	if ((src = p11_kit_uri_get_pin_source(u)) != NULL) {
		path = src + 5;
		/* file:///p and file://localhost/p (RFC 8089) */
		if (strncmp(path, "//localhost/", 12) == 0)
			path += 11;
		else if (strncmp(path, "//", 2) == 0)
			path += 2;
		if (*path == '\0') {
			rc = st_err_set(e, ST_E_USAGE, "PKCS#11 URI: pin-source "
			    "file: names no file (%s)", red);
			goto out;
		}
		if ((*pin_file = strdup(path)) == NULL) {
			rc = st_err_set(e, ST_E_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	return rc;
}

/*
 * Open the pin-source file path (O_NOFOLLOW) and check that it is a
 * regular file; non-blocking with nonblock, so that a FIFO is refused,
 * not waited on.  *fdp is the descriptor, or -1 on failure.
 */
static int
pin_file_open(const char *path, bool nonblock, int *fdp, struct stat *st,
    struct st_err *e)
{
	int	fd;

	*fdp = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    (nonblock ? O_NONBLOCK : 0))) == -1)
		return st_err_set(e, ST_E_HSM_PIN, "PIN: pin-source file %s: "
		    "%s", path, strerror(errno));
	if (fstat(fd, st) == -1) {
		close(fd);
		return st_err_set(e, ST_E_HSM_PIN, "PIN: pin-source file %s: "
		    "%s", path, strerror(errno));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return st_err_set(e, ST_E_HSM_PIN, "PIN: pin-source file %s: "
		    "not a regular file", path);
	}
	*fdp = fd;
	return 0;
}

/*
 * What hsm_open checks in the token URI before it loads the module
 * (hsm_uri_parse, hsm_uri_check_token), for dry runs.
 */
int
hsm_token_uri_check(const char *module, const char *token_uri,
    char **pin_file, struct st_err *e)
{
	P11KitUri	*u = NULL;
	int		 rc;

	*pin_file = NULL;
	if ((rc = hsm_uri_parse(token_uri, &u, e)) == 0)
		rc = hsm_uri_check_token(u, token_uri,
		    hsm_module_path(module), pin_file, e);
	p11_kit_uri_free(u);
	return rc;
}

int
hsm_pin_sources_check(const char *pin_file, const char *pin_env,
    struct st_err *e)
{
	if (pin_file != NULL && pin_env != NULL)
		return st_err_set(e, ST_E_USAGE, "PIN given twice: both "
		    "pin-source in the token URI and environment variable %s",
		    pin_env);
	return 0;
}

/*
 * Open the pin-source file as hsm_pin_read does (O_NOFOLLOW, a regular
 * file), but non-blocking (a FIFO is refused, not waited on), and close
 * it unread.
 */
int
hsm_pin_file_check(const char *path, struct st_err *e)
{
	struct stat	st;
	int		fd, rc;

	if ((rc = pin_file_open(path, true, &fd, &st, e)) != 0)
		return rc;
	close(fd);
	return 0;
}

/*
 * Read the PIN from the environment variable pin_env, or else from the
 * file pin_file (one line; a trailing newline is not part of the PIN).
 * The result is NUL-terminated, in a buffer of HSM_PIN_MAX + 2 bytes;
 * free it with OPENSSL_clear_free(pin, HSM_PIN_MAX + 2).
 */
int
hsm_pin_read(const char *pin_file, const char *pin_env, char **pin,
    size_t *len, struct st_err *e)
{
	struct stat	 st;
	const char	*v;
	char		*buf = NULL;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd = -1, rc = ST_E_INTERNAL;

	*pin = NULL;
	*len = 0;
	if ((buf = OPENSSL_zalloc(HSM_PIN_MAX + 2)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if (pin_env != NULL) {
		if ((v = getenv(pin_env)) == NULL || v[0] == '\0') {
			rc = st_err_set(e, ST_E_HSM_PIN, "PIN: environment "
			    "variable %s is not set or empty", pin_env);
			goto out;
		}
		if ((n = strlen(v)) > HSM_PIN_MAX) {
			rc = st_err_set(e, ST_E_HSM_PIN, "PIN: environment "
			    "variable %s: longer than %d bytes", pin_env,
			    HSM_PIN_MAX);
			goto out;
		}
		memcpy(buf, v, n);
	} else {
		if ((rc = pin_file_open(pin_file, false, &fd, &st, e)) != 0)
			goto out;
		if ((st.st_mode & S_IROTH) != 0)
			st_log(ST_LOG_WARN, "PIN file %s is world-readable",
			    pin_file);
		while (n < HSM_PIN_MAX + 2) {
			r = read(fd, buf + n, HSM_PIN_MAX + 2 - n);
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1) {
				rc = st_err_set(e, ST_E_HSM_PIN, "PIN: "
				    "pin-source file %s: %s", pin_file,
				    strerror(errno));
				goto out;
			}
			if (r == 0)
				break;
			n += (size_t)r;
		}
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		if (n > HSM_PIN_MAX || memchr(buf, '\n', n) != NULL) {
			rc = st_err_set(e, ST_E_HSM_PIN, "PIN: pin-source file "
			    "%s: not one line of at most %d bytes", pin_file,
			    HSM_PIN_MAX);
			goto out;
		}
		if (n == 0) {
			rc = st_err_set(e, ST_E_HSM_PIN, "PIN: pin-source file "
			    "%s is empty", pin_file);
			goto out;
		}
	}
	buf[n] = '\0';
	*pin = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (buf != NULL)
		OPENSSL_clear_free(buf, HSM_PIN_MAX + 2);
	return rc;
}

/*
 * Percent-encode p for a URI path value (RFC 7512 section 2.3): every
 * byte when all is set (the "id" attribute SHOULD be fully encoded),
 * otherwise all but RFC 3986 unreserved characters.  Caller frees.
 */
char *
hsm_uri_pct(const uint8_t *p, size_t len, bool all)
{
	static const char hex[] = "0123456789abcdef";
	char	*s, *q;
	size_t	 i;

	if ((s = malloc(len * 3 + 1)) == NULL)
		return NULL;
	for (q = s, i = 0; i < len; i++) {
		if (!all && (isalnum(p[i]) || p[i] == '-' || p[i] == '.' ||
		    p[i] == '_' || p[i] == '~'))
			*q++ = (char)p[i];
		else {
			*q++ = '%';
			*q++ = hex[p[i] >> 4];
			*q++ = hex[p[i] & 0xf];
		}
	}
	*q = '\0';
	return s;
}
