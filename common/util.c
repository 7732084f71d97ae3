/* SPDX-License-Identifier: ISC */
/*
 * Small shared helpers: base64 and hex on top of OpenSSL's codecs, whole
 * file reads, atomic file writes, and stderr logging.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/common.h"

char *
st_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Standard base64 with padding via EVP_EncodeBlock. */
int
st_b64_encode(const uint8_t *p, size_t len, char **out)
{
	char	*s;

	*out = NULL;
	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return ST_E_USAGE;
	if ((s = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return ST_E_NOMEM;
	EVP_EncodeBlock((unsigned char *)s, p, (int)len);
	*out = s;
	return 0;
}

/* RFC 4648 section 5 alphabet, no padding (RFC 7515 section 2). */
int
st_b64url_encode(const uint8_t *p, size_t len, char **out)
{
	char	*s, *c;
	int	 rc;

	if ((rc = st_b64_encode(p, len, &s)) != 0)
		return rc;
	for (c = s; *c != '\0'; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
		else if (*c == '=') {
			*c = '\0';
			break;
		}
	}
	*out = s;
	return 0;
}

int
st_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
    struct st_err *e)
{
	char		*t = NULL;
	uint8_t		*d = NULL;
	size_t		 i, n = 0, pad = 0;
	bool		 url = false, std = false;
	int		 rc = ST_E_INTERNAL, dl;

	*out = NULL;
	*outlen = 0;
	if (slen > (size_t)INT_MAX / 2) {
		rc = st_err_set(e, ST_E_SYNTAX, "base64: input too long");
		goto out;
	}
	if ((t = malloc(slen + 4)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < slen; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (pad > 0 && c != '=') {
			rc = st_err_set(e, ST_E_SYNTAX,
			    "base64: data after padding at offset %zu", i);
			goto out;
		}
		if (c == '-' || c == '_') {
			url = true;
			c = c == '-' ? '+' : '/';
		} else if (c == '+' || c == '/')
			std = true;
		else if (c == '=') {
			pad++;
			continue;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))) {
			rc = st_err_set(e, ST_E_SYNTAX,
			    "base64: invalid character 0x%02x at offset %zu",
			    (unsigned char)s[i], i);
			goto out;
		}
		t[n++] = c;
	}
	if (url && std) {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "base64: mixes the base64url and standard alphabets");
		goto out;
	}
	if (n == 0 || n % 4 == 1 || pad > 2 ||
	    (pad > 0 && (n + pad) % 4 != 0)) {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "base64: invalid length (%zu characters, %zu padding)", n,
		    pad);
		goto out;
	}
	pad = (4 - n % 4) % 4;
	for (i = 0; i < pad; i++)
		t[n + i] = '=';
	t[n + pad] = '\0';
	if ((d = malloc((n + pad) / 4 * 3 + 1)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	dl = EVP_DecodeBlock(d, (unsigned char *)t, (int)(n + pad));
	if (dl < 0 || (size_t)dl < pad) {
		rc = st_err_set(e, ST_E_SYNTAX, "base64: cannot decode");
		goto out;
	}
	*out = d;
	*outlen = (size_t)dl - pad;
	d = NULL;
	rc = 0;
out:
	free(t);
	free(d);
	return rc;
}

void
st_hex_write(const uint8_t *p, size_t len, char *buf)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 0xf];
	}
	buf[2 * len] = '\0';
}

int
st_hex_encode(const uint8_t *p, size_t len, char **out)
{
	char	*s;

	*out = NULL;
	if (len > (SIZE_MAX - 1) / 2)
		return ST_E_USAGE;
	if ((s = malloc(len * 2 + 1)) == NULL)
		return ST_E_NOMEM;
	st_hex_write(p, len, s);
	*out = s;
	return 0;
}

int
st_hex_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
    struct st_err *e)
{
	char		*t = NULL;
	unsigned char	*d = NULL;
	size_t		 i, n = 0;
	long		 dl = 0;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((t = malloc(slen + 1)) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < slen; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':')
			continue;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F'))) {
			rc = st_err_set(e, ST_E_SYNTAX,
			    "hex: invalid character 0x%02x at offset %zu",
			    (unsigned char)c, i);
			goto out;
		}
		t[n++] = c;
	}
	t[n] = '\0';
	if (n == 0 || n % 2 != 0) {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "hex: odd or zero number of digits (%zu)", n);
		goto out;
	}
	if ((d = OPENSSL_hexstr2buf(t, &dl)) == NULL) {
		rc = st_err_ossl(e, ST_E_SYNTAX, "hex: cannot decode");
		goto out;
	}
	/* Move into malloc'd memory so callers free() uniformly. */
	if ((*out = malloc((size_t)dl + 1)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memcpy(*out, d, (size_t)dl);
	*outlen = (size_t)dl;
	rc = 0;
out:
	free(t);
	OPENSSL_free(d);
	return rc;
}

int
st_file_read(const char *path, size_t max, uint8_t **out, size_t *len,
    struct st_err *e)
{
	FILE	*f = NULL;
	uint8_t	*buf = NULL, *nb;
	size_t	 n = 0, cap = 0, r;
	int	 rc = ST_E_INTERNAL;
	bool	 is_stdin = strcmp(path, "-") == 0;

	*out = NULL;
	*len = 0;
	if (is_stdin)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!is_stdin) {
		struct stat	st;

		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = st_err_set(e, ST_E_IO, "%s: %s", path,
			    strerror(EISDIR));
			goto out;
		}
	}
	for (;;) {
		if (cap - n < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				rc = ST_E_NOMEM;
				goto out;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n > max) {
			rc = st_err_set(e, ST_E_IO,
			    "%s: larger than the limit of %zu bytes", path,
			    max);
			goto out;
		}
		if (r == 0) {
			if (ferror(f)) {
				rc = st_err_set(e, ST_E_IO, "%s: read error",
				    path);
				goto out;
			}
			break;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (f != NULL && !is_stdin)
		fclose(f);
	free(buf);
	return rc;
}

int
st_file_write(const char *path, const void *p, size_t len, int mode,
    bool excl, struct st_err *e)
{
	char		*tmp = NULL;
	const uint8_t	*b = p;
	size_t		 off = 0, plen = strlen(path);
	ssize_t		 w;
	int		 fd = -1, rc = ST_E_INTERNAL;
	struct stat	 st;

	if (excl && lstat(path, &st) == 0) {
		rc = st_err_set(e, ST_E_EXISTS,
		    "%s: already exists; refusing to overwrite", path);
		goto out;
	}
	if ((tmp = malloc(plen + 16)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		/* Name what the caller asked for, not the temporary file. */
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, (mode_t)mode) == -1) {
		rc = st_err_set(e, ST_E_IO, "%s: chmod: %s", tmp,
		    strerror(errno));
		goto out;
	}
	while (off < len) {
		if ((w = write(fd, b + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			rc = st_err_set(e, ST_E_IO, "%s: write: %s", tmp,
			    strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		rc = st_err_set(e, ST_E_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (excl) {
		/* link() fails if path appeared meanwhile: no overwrite race. */
		if (link(tmp, path) == -1) {
			rc = st_err_set(e, errno == EEXIST ? ST_E_EXISTS :
			    ST_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		unlink(tmp);
	} else if (rename(tmp, path) == -1) {
		rc = st_err_set(e, ST_E_IO, "%s: rename: %s", path,
		    strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

void
st_log(enum st_loglevel lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
		"debug" };
	va_list ap;

	if (lvl == ST_LOG_DEBUG && getenv("STICA_DEBUG") == NULL)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "stica: %s: ", names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * RFC 3629 section 4: well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF).  On failure *bad is the offset of the first
 * byte of the offending sequence.
 */
bool
st_utf8_valid(const uint8_t *p, size_t len, size_t *bad)
{
	uint32_t	cp, min;
	size_t		i = 0, k, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			goto bad;
		if (len - i - 1 < n)
			goto bad;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return true;
bad:
	*bad = i;
	return false;
}
