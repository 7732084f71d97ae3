/* SPDX-License-Identifier: ISC */
/*
 * The audit log's format and its verifier, shared by every backend.
 *
 * A line is one compact JSON object with sorted keys (jansson's
 * JSON_COMPACT | JSON_SORT_KEYS): "seq" (1, 2, 3, ...), "time" (RFC 3339
 * section 5.6, UTC), "event", the event's fields, and "prev", the
 * lower-case hex SHA-256 of the previous line's exact bytes (64 zeros for
 * the first line).  A line never contains a newline (JSON escapes it), so
 * an export is the lines joined by "\n".
 *
 * The verifier reads lines in order and reports the first fault: a line
 * that is not an audit object (json), a prev that does not match the
 * previous line (edit), a seq that skips ahead (cut) or goes back
 * (reorder), or an expected head that is absent or different (head).
 *
 * The chain cannot show lines cut from its end, nor an edit of its last
 * line.  store_audit_verify_tables (at the end of this file) checks the
 * store's tables against the log as well: every certificate and CRL
 * number they record must have its lines, with the row's fields.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/sha.h>


#include "common/yaml.h"
#include "store/store_int.h"

static const char *const reserved_keys[] = { "seq", "time", "event", "prev",
	NULL };

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* Fetch SHA-256 once: EVP_Q_digest (what SHA256() does) fetches per call. */
static void
sha256_init(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* SHA-256 of p into md (SHA256_DIGEST_LENGTH bytes). */
static void
sha256_raw(const void *p, size_t len, unsigned char *md)
{
	pthread_once(&sha256_once, sha256_init);
	if (sha256_md == NULL ||
	    EVP_Digest(p, len, md, NULL, sha256_md, NULL) != 1)
		SHA256(p, len, md);
}

/*
 * SHA-256 through ctx, which is kept from call to call (EVP_Digest makes
 * and frees one per call); as sha256_raw when ctx is NULL or fails.
 */
static void
sha256_ctx(EVP_MD_CTX *ctx, const void *p, size_t len, unsigned char *md)
{
	pthread_once(&sha256_once, sha256_init);
	if (ctx == NULL || sha256_md == NULL ||
	    EVP_DigestInit_ex(ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, p, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		sha256_raw(p, len, md);
}

/* Lower-case hex of a SHA-256 into hex (STORE_HASH_HEXSZ bytes). */
static void
sha256_hex(const unsigned char *md, char *hex)
{
	st_hex_write(md, SHA256_DIGEST_LENGTH, hex);
}

/* Hex digits of 32 bytes. */
void
audit_hash(const void *p, size_t len, char *hex)
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	sha256_raw(p, len, md);
	sha256_hex(md, hex);
}

/*
 * RFC 3339 UTC with whole seconds.  From 1970 to 9999 st_time_format
 * (days to proleptic Gregorian date, a tenth of what gmtime_r and
 * strftime cost); tests/unit/test_store.c checks it against them.  Other
 * times go through gmtime_r and strftime.
 */
void
audit_time(int64_t t, char *buf, size_t bufsz)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t >= 0 && t <= INT64_C(253402300799)) {
		st_time_format(t, buf, bufsz);
		return;
	}
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "invalid-time");
}

bool
audit_event_ok(const char *event)
{
	size_t	i;

	if (event == NULL || event[0] == '\0')
		return false;
	for (i = 0; event[i] != '\0'; i++) {
		char c = event[i];

		if (i >= 64 || !((c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

int
audit_extra_check(json_t *extra, struct st_err *e)
{
	size_t	i;

	if (extra == NULL)
		return 0;
	if (!json_is_object(extra))
		return st_err_set(e, ST_E_USAGE,
		    "audit: extra fields must be a JSON object");
	for (i = 0; reserved_keys[i] != NULL; i++)
		if (json_object_get(extra, reserved_keys[i]) != NULL)
			return st_err_set(e, ST_E_USAGE,
			    "audit: field '%s' is reserved", reserved_keys[i]);
	return 0;
}

/*
 * A growing output buffer; on allocation failure it stays failed.  It is
 * NUL-terminated only by abuf_finish.
 */
struct abuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	bool	 nomem;
};

/* Make room for n more bytes and a NUL; false when out of memory. */
static bool
abuf_grow(struct abuf *b, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->nomem)
		return false;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((np = realloc(b->p, cap)) == NULL) {
		b->nomem = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

static inline void
abuf_put(struct abuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap && !abuf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void
abuf_putc(struct abuf *b, char c)
{
	if (b->len + 2 > b->cap && !abuf_grow(b, 1))
		return;
	b->p[b->len++] = c;
}

/* NUL-terminate; false when out of memory at any point. */
static bool
abuf_finish(struct abuf *b)
{
	if (b->len + 1 > b->cap && !abuf_grow(b, 0))
		return false;
	if (b->nomem)
		return false;
	b->p[b->len] = '\0';
	return true;
}

static void
abuf_int(struct abuf *b, int64_t v)
{
	char		 buf[24], *p = buf + sizeof(buf);
	uint64_t	 u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	abuf_put(b, p, (size_t)(buf + sizeof(buf) - p));
}

/*
 * Length of the well-formed UTF-8 sequence of 2 to 4 bytes at p (before
 * end), or 0 (RFC 3629 section 4, as store_utf8_ok and jansson judge it:
 * no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned	cp;
	size_t		n, i;

	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Bytes that a JSON string cannot carry as they are: control characters,
 * '"' and '\\' (1), and the lead bytes of UTF-8 sequences, which are
 * checked (2).  Everything else is copied in runs.
 */
static const unsigned char str_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
};

/*
 * A JSON string exactly as jansson writes it without JSON_ENSURE_ASCII
 * or JSON_ESCAPE_SLASH: '"' and '\\' escaped, control characters as \b
 * \f \n \r \t or \u00XX (upper-case hex), everything else verbatim.  The
 * UTF-8 is checked on the way; false when it is not well formed (where
 * json_dumps fails too).
 */
static bool
abuf_str(struct abuf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	const unsigned char	*run;
	char			 esc[6];
	size_t			 n;

	abuf_putc(b, '"');
	for (;;) {
		for (run = p; p < end && str_class[*p] == 0; p++)
			continue;
		while (p < end && str_class[*p] == 2) {
			if ((n = utf8_seq(p, end)) == 0)
				return false;
			p += n;
			while (p < end && str_class[*p] == 0)
				p++;
		}
		abuf_put(b, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		esc[0] = '\\';
		n = 2;
		switch (*p) {
		case '"':
		case '\\':
			esc[1] = (char)*p;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			n = 6;
			break;
		}
		abuf_put(b, esc, n);
		p++;
	}
	abuf_putc(b, '"');
	return true;
}

/* An object member: its key (length given: jansson keys may hold NULs). */
struct member {
	const char	*key;
	size_t		 klen;
	json_t		*val;
};

/*
 * jansson's JSON_SORT_KEYS order: unsigned bytes, then the shorter key
 * first.  Keys are short, so a loop beats a call to memcmp.
 */
static inline int
key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t	i, n = al < bl ? al : bl;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 :
			    1;
	return al < bl ? -1 : al > bl;
}

static int
member_cmp(const struct member *a, const struct member *b)
{
	return key_cmp(a->key, a->klen, b->key, b->klen);
}

/*
 * A member's key and its colon.  Keys are nearly always plain ASCII,
 * written here in one go; anything else goes through abuf_str.
 */
static bool
abuf_key(struct abuf *b, const char *k, size_t klen)
{
	size_t	i;

	for (i = 0; i < klen; i++)
		if (str_class[(unsigned char)k[i]] != 0)
			break;
	if (i < klen) {
		if (!abuf_str(b, k, klen))
			return false;
		abuf_putc(b, ':');
		return true;
	}
	if (b->len + klen + 4 > b->cap && !abuf_grow(b, klen + 3))
		return true;
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, k, klen);
	b->p[b->len + 1 + klen] = '"';
	b->p[b->len + 2 + klen] = ':';
	b->len += klen + 3;
	return true;
}

/* Below this depth values are written here, deeper ones by jansson. */
#define JSON_DIRECT_DEPTH	16

/*
 * A json_t value exactly as json_dumps(JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENCODE_ANY) writes it, without jansson's string buffer and loop
 * table.  Reals, and whatever lies deeper than JSON_DIRECT_DEPTH (where
 * jansson's loop check matters), are left to json_dumps itself.  Returns
 * 0, or -1 where json_dumps would fail.
 */
static int
abuf_json(struct abuf *b, json_t *v, int depth)
{
	struct member	 stackm[16], *m = stackm, t;
	void		*it;
	char		*js;
	size_t		 n, i, j;
	int		 rc = -1;

	switch (json_typeof(v)) {
	case JSON_NULL:
		abuf_put(b, "null", 4);
		return 0;
	case JSON_TRUE:
		abuf_put(b, "true", 4);
		return 0;
	case JSON_FALSE:
		abuf_put(b, "false", 5);
		return 0;
	case JSON_INTEGER:
		abuf_int(b, (int64_t)json_integer_value(v));
		return 0;
	case JSON_STRING:
		if (depth < JSON_DIRECT_DEPTH)
			return abuf_str(b, json_string_value(v),
			    json_string_length(v)) ? 0 : -1;
		break;
	case JSON_ARRAY:
		if (depth >= JSON_DIRECT_DEPTH)
			break;
		abuf_putc(b, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				abuf_putc(b, ',');
			if (abuf_json(b, json_array_get(v, i), depth + 1) != 0)
				return -1;
		}
		abuf_putc(b, ']');
		return 0;
	case JSON_OBJECT:
		if (depth >= JSON_DIRECT_DEPTH)
			break;
		n = json_object_size(v);
		if (n > sizeof(stackm) / sizeof(stackm[0]) &&
		    (m = calloc(n, sizeof(*m))) == NULL) {
			b->nomem = true;
			return -1;
		}
		/* Insertion sort: objects here have a handful of keys. */
		for (i = 0, it = json_object_iter(v); it != NULL && i < n;
		    it = json_object_iter_next(v, it), i++) {
			t.key = json_object_iter_key(it);
			t.klen = json_object_iter_key_len(it);
			t.val = json_object_iter_value(it);
			for (j = i; j > 0 && member_cmp(&m[j - 1], &t) > 0; j--)
				m[j] = m[j - 1];
			m[j] = t;
		}
		abuf_putc(b, '{');
		for (j = 0; j < i; j++) {
			if (j > 0)
				abuf_putc(b, ',');
			if (!abuf_key(b, m[j].key, m[j].klen) ||
			    abuf_json(b, m[j].val, depth + 1) != 0)
				goto out;
		}
		abuf_putc(b, '}');
		rc = 0;
out:
		if (m != stackm)
			free(m);
		return rc;
	default:
		break;
	}
	if ((js = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY)) == NULL)
		return -1;
	abuf_put(b, js, strlen(js));
	free(js);
	return 0;
}

/* One field of a line being built, whatever its origin. */
struct lfield {
	const char		*key;
	size_t			 klen;
	const struct audit_field *f;	/* reserved and own fields */
	json_t			*json;	/* extra fields */
	int			 origin;	/* 0 reserved, 1 own, 2 extra */
};

static int
lfield_cmp(const struct lfield *a, const struct lfield *b)
{
	return key_cmp(a->key, a->klen, b->key, b->klen);
}

/* Sort v[0..n) in place; lists arrive sorted or nearly so. */
static void
lfield_sort(struct lfield *v, size_t n)
{
	struct lfield	t;
	size_t		i, j;

	for (i = 1; i < n; i++) {
		if (lfield_cmp(&v[i - 1], &v[i]) <= 0)
			continue;
		t = v[i];
		for (j = i; j > 0 && lfield_cmp(&v[j - 1], &t) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

/*
 * Build the next line.  The output is what json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) would give for the same object (tests/unit/test_store.c
 * checks it against jansson), written directly: the reserved, own and
 * extra fields are three short sorted lists, merged; the extra values are
 * written by abuf_json, not dumped by jansson one by one.  Building a
 * json_t per line and dumping it was a sixth of the cost of recording a
 * certificate, and dumping only the extra values still a quarter of the
 * line's.
 */
int
audit_line_build(struct store_audit_head *head, int64_t now,
    const char *event, const struct audit_field *own, size_t nown,
    json_t *extra, char **line, size_t *len, struct st_err *e)
{
	struct audit_field	 res[4];
	struct lfield		 stackf[48], *all = stackf, *lst[3], *out;
	struct abuf		 b = { NULL, 0, 0, false };
	const struct lfield	*f;
	char			 tbuf[32];
	void			*it;
	size_t			 nextra, cnt[3], pos[3], i, k, n;
	int			 rc = ST_E_INTERNAL, best, c;

	*line = NULL;
	*len = 0;
	if (extra != NULL && !json_is_object(extra)) {
		rc = st_err_set(e, ST_E_USAGE,
		    "audit: extra fields must be a JSON object");
		goto out;
	}
	nextra = extra != NULL ? json_object_size(extra) : 0;
	if (4 + 2 * (nown + nextra) > sizeof(stackf) / sizeof(stackf[0]) &&
	    (all = calloc(4 + 2 * (nown + nextra), sizeof(*all))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	/* The reserved fields, in key order. */
	audit_time(now, tbuf, sizeof(tbuf));
	res[0] = (struct audit_field){ "event", AUDIT_STR, event, 0, NULL };
	res[1] = (struct audit_field){ "prev", AUDIT_STR, head->hash, 0, NULL };
	res[2] = (struct audit_field){ "seq", AUDIT_INT, NULL, head->seq + 1,
	    NULL };
	res[3] = (struct audit_field){ "time", AUDIT_STR, tbuf, 0, NULL };
	lst[0] = all;
	for (i = 0; i < 4; i++)
		lst[0][i] = (struct lfield){ res[i].key, strlen(res[i].key),
		    &res[i], NULL, 0 };
	cnt[0] = 4;
	lst[1] = lst[0] + cnt[0];
	for (i = k = 0; i < nown; i++) {
		if (own[i].kind == AUDIT_STR && own[i].str == NULL)
			continue;	/* an optional field left out */
		lst[1][k++] = (struct lfield){ own[i].key,
		    strlen(own[i].key), &own[i], NULL, 1 };
	}
	cnt[1] = k;
	lfield_sort(lst[1], cnt[1]);
	lst[2] = lst[1] + cnt[1];
	for (k = 0, it = extra != NULL ? json_object_iter(extra) : NULL;
	    it != NULL && k < nextra; it = json_object_iter_next(extra, it))
		lst[2][k++] = (struct lfield){ json_object_iter_key(it),
		    json_object_iter_key_len(it), NULL,
		    json_object_iter_value(it), 2 };
	cnt[2] = k;
	lfield_sort(lst[2], cnt[2]);

	/* Merge the three lists; equal keys are a clash. */
	out = lst[2] + cnt[2];
	n = 0;
	pos[0] = pos[1] = pos[2] = 0;
	for (;;) {
		best = -1;
		for (i = 0; i < 3; i++) {
			if (pos[i] == cnt[i])
				continue;
			if (best < 0) {
				best = (int)i;
				continue;
			}
			f = &lst[i][pos[i]];
			if ((c = lfield_cmp(f, &lst[best][pos[best]])) < 0)
				best = (int)i;
			else if (c == 0) {
				rc = best == 0 ? st_err_set(e, ST_E_USAGE,
				    "audit: field '%.*s' is reserved",
				    (int)f->klen, f->key) : st_err_set(e,
				    ST_E_USAGE, "audit: extra field '%.*s' "
				    "clashes with the '%s' event's own",
				    (int)f->klen, f->key, event);
				goto out;
			}
		}
		if (best < 0)
			break;
		out[n++] = lst[best][pos[best]++];
	}

	abuf_putc(&b, '{');
	for (i = 0; i < n; i++) {
		f = &out[i];
		if (i > 0)
			abuf_putc(&b, ',');
		if (!abuf_key(&b, f->key, f->klen)) {
			rc = st_err_set(e, ST_E_USAGE,
			    "audit: a field name is not UTF-8");
			goto out;
		}
		if (f->json != NULL) {
			if (abuf_json(&b, f->json, 0) != 0 && !b.nomem) {
				rc = st_err_set(e, ST_E_USAGE, "audit: field "
				    "'%.*s' cannot be serialised",
				    (int)f->klen, f->key);
				goto out;
			}
		} else if (f->f->kind == AUDIT_INT)
			abuf_int(&b, f->f->num);
		else if (f->f->kind == AUDIT_STR) {
			if (!abuf_str(&b, f->f->str, strlen(f->f->str))) {
				rc = st_err_set(e, ST_E_USAGE, "audit: field "
				    "'%s' is not UTF-8", f->f->key);
				goto out;
			}
		} else if (abuf_json(&b, f->f->json, 0) != 0 && !b.nomem) {
			rc = st_err_set(e, ST_E_USAGE, "audit: field '%s' "
			    "cannot be serialised", f->f->key);
			goto out;
		}
	}
	abuf_putc(&b, '}');
	if (!abuf_finish(&b)) {
		rc = ST_E_NOMEM;
		goto out;
	}
	*len = b.len;
	audit_hash(b.p, b.len, head->hash);
	head->seq++;
	*line = b.p;
	b.p = NULL;
	rc = 0;
out:
	free(b.p);
	if (all != stackf)
		free(all);
	return rc;
}

const char *
store_audit_fault_name(enum store_audit_fault f)
{
	switch (f) {
	case STORE_AUDIT_OK:
		return "ok";
	case STORE_AUDIT_JSON:
		return "json";
	case STORE_AUDIT_EDIT:
		return "edit";
	case STORE_AUDIT_CUT:
		return "cut";
	case STORE_AUDIT_REORDER:
		return "reorder";
	case STORE_AUDIT_HEAD:
		return "head";
	}
	return "unknown";
}

void
audit_verify_init(struct audit_verifier *v,
    const struct store_audit_head *expect, struct store_audit_report *rep)
{
	memset(v, 0, sizeof(*v));
	memset(rep, 0, sizeof(*rep));
	v->expect = expect;
	v->rep = rep;
	memset(v->head.hash, '0', 64);
	v->head.hash[64] = '\0';
	rep->head = v->head;
}

/* Record the first fault at line and return ST_E_VERIFY. */
static int
fault(struct audit_verifier *v, enum store_audit_fault f, int64_t line,
    struct st_err *e, const char *fmt, ...) ST_PRINTF(5, 6);

static int
fault(struct audit_verifier *v, enum store_audit_fault f, int64_t line,
    struct st_err *e, const char *fmt, ...)
{
	char	msg[ST_ERR_MSGSZ];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->done = true;
	v->rep->fault = f;
	v->rep->line = line;
	v->rep->head = v->head;
	return st_err_set(e, ST_E_VERIFY, "audit: line %lld: %s: %s",
	    (long long)line, store_audit_fault_name(f), msg);
}

/* Is s 64 lower-case hex digits? */
static bool
is_hash(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/*
 * One line.  Order of checks: well-formed object; a pending forward jump
 * resolved (the next seq below the jumped one means a reorder, else a
 * cut); seq continuity; prev; the expected head.  With keep, a line taken
 * into the chain is handed over as *keep (the caller's to release); a
 * line held back (a forward jump, decided by the next one) is not.
 */
static int
verify_line(struct audit_verifier *v, const char *line, size_t len,
    json_t **keep, struct st_err *e)
{
	json_t		*o = NULL, *j;
	json_error_t	 jerr;
	const char	*prev;
	int64_t		 n, seq, want;
	char		 hash[STORE_HASH_HEXSZ];
	int		 rc = ST_E_INTERNAL;

	if (v->done) {
		rc = ST_E_VERIFY;
		goto out;
	}
	n = ++v->rep->lines;
	want = v->head.seq + 1;
	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		rc = fault(v, STORE_AUDIT_JSON, n, e, "not JSON (%s)",
		    jerr.text);
		goto out;
	}
	if (!json_is_object(o) ||
	    !json_is_integer(j = json_object_get(o, "seq")) ||
	    json_integer_value(j) < 1 ||
	    !json_is_string(json_object_get(o, "time")) ||
	    !json_is_string(json_object_get(o, "event")) ||
	    !json_is_string(j = json_object_get(o, "prev")) ||
	    !is_hash(json_string_value(j))) {
		rc = fault(v, STORE_AUDIT_JSON, n, e,
		    "not an audit object (needs integer seq, strings time, "
		    "event and a 64-hex-digit prev)");
		goto out;
	}
	seq = json_integer_value(json_object_get(o, "seq"));
	prev = json_string_value(json_object_get(o, "prev"));
	if (v->jump_line != 0) {
		if (seq < v->jump_seq)
			rc = fault(v, STORE_AUDIT_REORDER, v->jump_line, e,
			    "seq %lld comes before seq %lld",
			    (long long)v->jump_seq, (long long)seq);
		else
			rc = fault(v, STORE_AUDIT_CUT, v->jump_line, e,
			    "seq %lld follows seq %lld: %lld line(s) missing",
			    (long long)v->jump_seq, (long long)v->head.seq,
			    (long long)(v->jump_seq - want));
		goto out;
	}
	if (seq > want) {
		/* Decided by the next line, or by the end of input. */
		v->jump_line = n;
		v->jump_seq = seq;
		rc = 0;
		goto out;
	}
	if (seq < want) {
		rc = fault(v, STORE_AUDIT_REORDER, n, e,
		    "seq %lld after seq %lld", (long long)seq,
		    (long long)v->head.seq);
		goto out;
	}
	if (strcmp(prev, v->head.hash) != 0) {
		if (n == 1)
			rc = fault(v, STORE_AUDIT_EDIT, n, e,
			    "the first line's prev is not 64 zeros");
		else
			rc = fault(v, STORE_AUDIT_EDIT, n - 1, e,
			    "its SHA-256 %.16s... differs from the prev "
			    "%.16s... recorded by line %lld",
			    v->head.hash, prev, (long long)n);
		goto out;
	}
	audit_hash(line, len, hash);
	if (v->expect != NULL && seq == v->expect->seq) {
		v->expect_seen = true;
		if (strcmp(hash, v->expect->hash) != 0) {
			rc = fault(v, STORE_AUDIT_HEAD, n, e,
			    "SHA-256 %.16s... differs from the expected head "
			    "%lld:%.16s...", hash, (long long)v->expect->seq,
			    v->expect->hash);
			goto out;
		}
	}
	v->head.seq = seq;
	memcpy(v->head.hash, hash, sizeof(hash));
	v->rep->head = v->head;
	if (keep != NULL) {
		*keep = o;
		o = NULL;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int
audit_verify_line(struct audit_verifier *v, const char *line, size_t len,
    struct st_err *e)
{
	return verify_line(v, line, len, NULL, e);
}

int
audit_verify_finish(struct audit_verifier *v, struct st_err *e)
{
	if (v->done)
		return ST_E_VERIFY;
	if (v->jump_line != 0)
		return fault(v, STORE_AUDIT_CUT, v->jump_line, e,
		    "seq %lld follows seq %lld: %lld line(s) missing",
		    (long long)v->jump_seq, (long long)v->head.seq,
		    (long long)(v->jump_seq - v->head.seq - 1));
	if (v->expect != NULL && v->expect->seq > 0 && !v->expect_seen)
		return fault(v, STORE_AUDIT_HEAD, v->rep->lines, e,
		    "the log ends at seq %lld but the expected head is seq "
		    "%lld: lines were cut from the tail",
		    (long long)v->head.seq, (long long)v->expect->seq);
	v->rep->fault = STORE_AUDIT_OK;
	v->rep->head = v->head;
	return 0;
}

/*
 * Verify an exported file (or stdin): lines split at "\n"; a final line
 * without one is checked as it is.
 */
int
store_audit_verify_file(const char *path,
    const struct store_audit_head *expect, struct store_audit_report *rep,
    struct st_err *e)
{
	struct audit_verifier	 v;
	FILE			*f = NULL;
	char			*buf = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	int			 rc = ST_E_INTERNAL;

	audit_verify_init(&v, expect, rep);
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		rc = st_err_set(e, errno == ENOENT ? ST_E_NOTFOUND : ST_E_IO,
		    "%s: %s", path, strerror(errno));
		goto out;
	}
	errno = 0;
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] == '\n')
			n--;
		if ((rc = audit_verify_line(&v, buf, (size_t)n, e)) != 0)
			goto out;
	}
	if (ferror(f)) {
		rc = st_err_set(e, ST_E_IO, "%s: read: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = audit_verify_finish(&v, e);
out:
	if (f != NULL && f != stdin)
		fclose(f);
	free(buf);
	return rc;
}

/* "SEQ:HASH", the form stica audit verify prints. */
int
store_audit_head_parse(const char *s, struct store_audit_head *out,
    struct st_err *e)
{
	const char	*colon;
	char		*end;
	long long	 seq;

	memset(out, 0, sizeof(*out));
	if (s == NULL || (colon = strchr(s, ':')) == NULL || colon == s)
		return st_err_set(e, ST_E_USAGE,
		    "audit head: expected SEQ:HASH (%s)", s ? s : "(null)");
	errno = 0;
	seq = strtoll(s, &end, 10);
	if (errno != 0 || end != colon || seq < 0 || s[0] == '-' ||
	    s[0] == '+')
		return st_err_set(e, ST_E_USAGE,
		    "audit head: bad sequence number (%s)", s);
	if (strlen(colon + 1) != 64 || !is_hash(colon + 1))
		return st_err_set(e, ST_E_USAGE,
		    "audit head: the hash must be 64 lower-case hex digits "
		    "(%s)", colon + 1);
	out->seq = seq;
	memcpy(out->hash, colon + 1, 65);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The log against the tables                                         */

/*
 * A chain that verifies can still lack its last lines, or end in an
 * edited line: nothing after them records their hash.  The tables record
 * what the log must hold, written in the same transaction as the line:
 * an issue line per valid or revoked row, a revoke line per revoked one,
 * an abort line per aborted one, a crl line per CRL number.  The tables
 * are read first (certs in one pass by id, crl_numbers), then the log:
 * whatever a writer adds meanwhile lands after what was read, so only the
 * direction from the tables to the log is checked (a line whose row came
 * later is not judged).  Memory: per certificate, one struct xc_cert
 * (56 bytes) and two to four index slots (4 bytes each).
 */

#define XC_DIGSZ	16	/* bytes of a SHA-256 kept per row */

/* Lines found for a certificate. */
#define XC_ISSUE	0x01
#define XC_REVOKE	0x02
#define XC_ABORT	0x04

struct xc_cert {
	int64_t		 revoked_at;	/* revoked rows */
	uint32_t	 issuer;	/* index into xc.issuers */
	uint8_t		 serial[STORE_SERIAL_MAX];
	uint8_t		 slen;
	uint8_t		 status;	/* valid, revoked or aborted */
	uint8_t		 seen;		/* XC_* lines found */
	int8_t		 reason;	/* revoked rows: RFC 5280 code */
	/* xc_digest of what its issue or abort line repeats */
	unsigned char	 dig[XC_DIGSZ];
};

/* An issuer's CRL numbers: 1..last allocated; next expected in the log. */
struct xc_crl {
	uint32_t	 issuer;
	int64_t		 last;
	int64_t		 next;
};

/*
 * Something found while reading the log, reported once the chain is
 * known to be intact: a message, or (msg NULL) a line whose fields
 * differ from its row's, named at the end when the row is read again.
 */
struct xc_note {
	const char	*kind;		/* "missing", "differs", ... */
	int64_t		 seq;
	uint32_t	 cert;		/* or UINT32_MAX: none */
	char		*msg;
	char		*line;
};

struct xc {
	struct store		*s;
	char			**issuers;
	size_t			 nissuers;
	struct xc_cert		*certs;
	size_t			 ncerts;
	size_t			 capcerts;
	uint32_t		*slots;		/* UINT32_MAX: free */
	size_t			 mask;
	size_t			 next;		/* after the last one found */
	struct xc_crl		*crls;
	size_t			 ncrls;
	struct xc_note		*notes;
	size_t			 nnotes;
	size_t			 capnotes;
	struct abuf		 b;		/* scratch for digests */
	EVP_MD_CTX		*md;		/* SHA-256, reused; or NULL */
	store_audit_finding_cb	 cb;
	void			*arg;
	struct store_audit_xcheck *sum;
};

/* One field of a line, as the line holds it or as its row gives it. */
struct xc_field {
	const char	*s;
	size_t		 len;
	int		 kind;		/* 0 none, 1 string, 2 other */
};

/*
 * The fields of an issue line that its row determines (store/sqlite.c,
 * issue_line; "time" is the row's issued_at), besides issuer and serial.
 */
#define XC_NISSUE	8
static const char *const xc_issue_keys[XC_NISSUE] = { "time", "profile",
	"subject", "tnauthlist", "not_before", "not_after", "request",
	"sha256" };
/* Those of an abort line: the reason ("request" the row gives up). */
#define XC_NABORT	1
static const char *const xc_abort_keys[XC_NABORT] = { "reason" };

/* A row's view of its issue or abort line; b64 is malloc'd. */
struct xc_row {
	struct xc_field	 f[XC_NISSUE];
	size_t		 n;
	char		 time[32], nb[32], na[32];
	char		 sha[STORE_HASH_HEXSZ];
	char		*b64;
};

static void
xc_field_str(struct xc_field *f, const char *s)
{
	f->s = s;
	f->len = s != NULL ? strlen(s) : 0;
	f->kind = s != NULL;
}

/* The fields c's issue line (valid, revoked) or abort line must hold. */
static int
xc_row_view(const struct store_cert *c, EVP_MD_CTX *ctx, struct xc_row *r)
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	memset(r, 0, sizeof(*r));
	if (c->status == STORE_ABORTED) {
		xc_field_str(&r->f[0], c->abort_reason);
		r->n = XC_NABORT;
		return 0;
	}
	if (c->tnauth != NULL && c->tnauth_len > 0 &&
	    st_b64url_encode(c->tnauth, c->tnauth_len, &r->b64) != 0)
		return ST_E_NOMEM;
	audit_time(c->issued_at, r->time, sizeof(r->time));
	audit_time(c->not_before, r->nb, sizeof(r->nb));
	audit_time(c->not_after, r->na, sizeof(r->na));
	sha256_ctx(ctx, c->der != NULL ? (const void *)c->der : "",
	    c->der_len, md);
	sha256_hex(md, r->sha);
	xc_field_str(&r->f[0], r->time);
	xc_field_str(&r->f[1], c->profile);
	xc_field_str(&r->f[2], c->subject);
	xc_field_str(&r->f[3], r->b64);
	xc_field_str(&r->f[4], r->nb);
	xc_field_str(&r->f[5], r->na);
	xc_field_str(&r->f[6], c->request_key);
	xc_field_str(&r->f[7], r->sha);
	r->n = XC_NISSUE;
	return 0;
}

/* The same fields as line o holds them (borrowed from o). */
static void
xc_line_view(json_t *o, const char *const *keys, size_t n,
    struct xc_field *f)
{
	json_t	*j;
	size_t	 i;

	for (i = 0; i < n; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		if ((j = json_object_get(o, keys[i])) == NULL)
			continue;
		if (!json_is_string(j)) {
			f[i].kind = 2;
			continue;
		}
		f[i].s = json_string_value(j);
		f[i].len = json_string_length(j);
		f[i].kind = 1;
	}
}

/* A digest of f[0..n): each field's kind, length and bytes. */
static int
xc_digest(struct xc *x, const struct xc_field *f, size_t n,
    unsigned char *dig)
{
	struct abuf	*b = &x->b;
	unsigned char	 md[SHA256_DIGEST_LENGTH], hdr[9];
	size_t		 i, k;

	b->len = 0;
	for (i = 0; i < n; i++) {
		hdr[0] = (unsigned char)f[i].kind;
		for (k = 0; k < 8; k++)
			hdr[1 + k] = (unsigned char)((uint64_t)f[i].len >>
			    (8 * k));
		abuf_put(b, (const char *)hdr, sizeof(hdr));
		if (f[i].kind == 1)
			abuf_put(b, f[i].s, f[i].len);
	}
	if (b->nomem)
		return ST_E_NOMEM;
	sha256_ctx(x->md, b->p != NULL ? b->p : "", b->len, md);
	memcpy(dig, md, XC_DIGSZ);
	return 0;
}

/* Index of issuer name, added when add; -1 when absent or out of memory. */
static int64_t
xc_issuer(struct xc *x, const char *name, bool add)
{
	char	**np;
	size_t	  i;

	for (i = 0; i < x->nissuers; i++)
		if (strcmp(x->issuers[i], name) == 0)
			return (int64_t)i;
	if (!add || x->nissuers >= UINT32_MAX)
		return -1;
	if ((np = reallocarray(x->issuers, x->nissuers + 1,
	    sizeof(*np))) == NULL)
		return -1;
	x->issuers = np;
	if ((np[x->nissuers] = strdup(name)) == NULL)
		return -1;
	return (int64_t)x->nissuers++;
}

/* FNV-1a over the issuer's index and the serial. */
static uint64_t
xc_hash(uint32_t issuer, const uint8_t *p, size_t len)
{
	uint64_t	h = UINT64_C(14695981039346656037);
	size_t		i;

	for (i = 0; i < 4; i++)
		h = (h ^ ((issuer >> (8 * i)) & 0xff)) *
		    UINT64_C(1099511628211);
	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

/*
 * The certificate (issuer, serial), or NULL.  Issue lines mostly follow
 * the rows' order (a batch is reserved and committed in order), so the
 * row after the last one found is tried before the index.
 */
static struct xc_cert *
xc_find(struct xc *x, uint32_t issuer, const uint8_t *p, size_t len)
{
	struct xc_cert	*c;
	size_t		 i;

	if (x->slots == NULL)
		return NULL;
	c = &x->certs[x->next < x->ncerts ? x->next : 0];
	if (c->issuer == issuer && c->slen == len &&
	    memcmp(c->serial, p, len) == 0)
		goto found;
	for (i = xc_hash(issuer, p, len) & x->mask;
	    x->slots[i] != UINT32_MAX; i = (i + 1) & x->mask) {
		c = &x->certs[x->slots[i]];
		if (c->issuer == issuer && c->slen == len &&
		    memcmp(c->serial, p, len) == 0)
			goto found;
	}
	return NULL;
found:
	x->next = (size_t)(c - x->certs) + 1;
	return c;
}

/* Index every certificate read: open addressing, at most half full. */
static int
xc_index(struct xc *x)
{
	size_t		 cap = 16, i, k;
	struct xc_cert	*c;

	if (x->ncerts == 0)
		return 0;
	while (cap < 2 * x->ncerts)
		cap *= 2;
	if ((x->slots = malloc(cap * sizeof(*x->slots))) == NULL)
		return ST_E_NOMEM;
	memset(x->slots, 0xff, cap * sizeof(*x->slots));
	x->mask = cap - 1;
	for (i = 0; i < x->ncerts; i++) {
		c = &x->certs[i];
		for (k = xc_hash(c->issuer, c->serial, c->slen) & x->mask;
		    x->slots[k] != UINT32_MAX; k = (k + 1) & x->mask)
			continue;
		x->slots[k] = (uint32_t)i;
	}
	return 0;
}

/* The table pass: one struct xc_cert per valid, revoked or aborted row. */
static int
xc_cert_cb(void *arg, const struct store_cert *c)
{
	struct xc	*x = arg;
	struct xc_cert	*n;
	struct xc_row	 r;
	int64_t		 is;
	size_t		 cap;
	int		 rc;

	if (c->status != STORE_VALID && c->status != STORE_REVOKED &&
	    c->status != STORE_ABORTED)
		return 0;	/* pending: no line yet */
	if (c->issuer == NULL || c->serial == NULL || c->serial_len == 0 ||
	    c->serial_len > STORE_SERIAL_MAX)
		return 0;	/* no key to find its lines by */
	if (x->ncerts >= UINT32_MAX - 1)
		return ST_E_NOMEM;
	if (x->ncerts == x->capcerts) {
		cap = x->capcerts ? 2 * x->capcerts : 4096;
		if ((n = reallocarray(x->certs, cap, sizeof(*n))) == NULL)
			return ST_E_NOMEM;
		x->certs = n;
		x->capcerts = cap;
	}
	if ((is = xc_issuer(x, c->issuer, true)) < 0)
		return ST_E_NOMEM;
	n = &x->certs[x->ncerts];
	memset(n, 0, sizeof(*n));
	n->issuer = (uint32_t)is;
	memcpy(n->serial, c->serial, c->serial_len);
	n->slen = (uint8_t)c->serial_len;
	n->status = (uint8_t)c->status;
	n->reason = (int8_t)(c->reason >= -1 && c->reason <= 127 ?
	    c->reason : -1);
	n->revoked_at = c->revoked_at;
	if ((rc = xc_row_view(c, x->md, &r)) == 0)
		rc = xc_digest(x, r.f, r.n, n->dig);
	free(r.b64);
	if (rc != 0)
		return rc;
	x->ncerts++;
	x->sum->certs++;
	if (c->status == STORE_REVOKED)
		x->sum->revoked++;
	else if (c->status == STORE_ABORTED)
		x->sum->aborted++;
	return 0;
}

/* One issuer's last CRL number, as the store's tables hold it. */
static int
xc_crl_cb(void *arg, const char *name, int64_t last)
{
	struct xc	*x = arg;
	struct xc_crl	*n;
	int64_t		 is;

	if (last <= 0)
		return 0;
	if ((is = xc_issuer(x, name, true)) < 0 ||
	    (n = reallocarray(x->crls, x->ncrls + 1, sizeof(*n))) == NULL)
		return ST_E_NOMEM;
	x->crls = n;
	n[x->ncrls].issuer = (uint32_t)is;
	n[x->ncrls].last = last;
	n[x->ncrls].next = 1;
	x->ncrls++;
	x->sum->crls += last;
	return 0;
}

/*
 * Keep a note for the end: a message (fmt), or with line (len bytes,
 * copied) a line whose fields differ from its row's.
 */
static int
xc_note(struct xc *x, const char *kind, int64_t seq, const struct xc_cert *c,
    const char *line, size_t len, const char *fmt, ...) ST_PRINTF(7, 8);

static int
xc_note(struct xc *x, const char *kind, int64_t seq, const struct xc_cert *c,
    const char *line, size_t len, const char *fmt, ...)
{
	struct xc_note	*n;
	va_list		 ap;
	char		 buf[1024];
	size_t		 cap;

	if (x->nnotes == x->capnotes) {
		cap = x->capnotes ? 2 * x->capnotes : 16;
		if ((n = reallocarray(x->notes, cap, sizeof(*n))) == NULL)
			return ST_E_NOMEM;
		x->notes = n;
		x->capnotes = cap;
	}
	n = &x->notes[x->nnotes];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->seq = seq;
	n->cert = c != NULL ? (uint32_t)(c - x->certs) : UINT32_MAX;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		if ((n->msg = strdup(buf)) == NULL)
			return ST_E_NOMEM;
	}
	if (line != NULL) {
		if ((n->line = malloc(len + 1)) == NULL) {
			free(n->msg);
			return ST_E_NOMEM;
		}
		memcpy(n->line, line, len);
		n->line[len] = '\0';
	}
	x->nnotes++;
	return 0;
}

/* A line's serial: lower-case hex, as the store writes it; false if not. */
static bool
xc_serial_parse(json_t *j, uint8_t *out, size_t *len)
{
	const char	*s;
	size_t		 n, i;
	int		 hi, lo;

	if (!json_is_string(j))
		return false;
	s = json_string_value(j);
	n = json_string_length(j);
	if (n == 0 || n % 2 != 0 || n > 2 * STORE_SERIAL_MAX)
		return false;
	for (i = 0; i < n; i += 2) {
		hi = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
		lo = s[i + 1] >= '0' && s[i + 1] <= '9' ? s[i + 1] - '0' :
		    s[i + 1] >= 'a' && s[i + 1] <= 'f' ? s[i + 1] - 'a' + 10 :
		    -1;
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return true;
}

static const char *
xc_status_name(const struct xc_cert *c)
{
	return store_status_name((enum store_status)c->status);
}

/* Append ", what" (or "what") to the list in d, as far as it fits. */
static void
xc_list_add(char *d, size_t dsz, const char *fmt, ...) ST_PRINTF(3, 4);

static void
xc_list_add(char *d, size_t dsz, const char *fmt, ...)
{
	va_list	ap;
	size_t	l = strlen(d);

	if (l > 0 && l + 2 < dsz) {
		memcpy(d + l, ", ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(d + l, dsz - l, fmt, ap);
	va_end(ap);
}

/* A revoke line against its revoked row: reason and time. */
static int
xc_revoke_line(struct xc *x, json_t *o, int64_t seq, struct xc_cert *c)
{
	json_t		*j;
	const char	*name;
	char		 t[32], diff[256] = "";

	j = json_object_get(o, "reason");
	if (!json_is_integer(j) || json_integer_value(j) != c->reason)
		xc_list_add(diff, sizeof(diff), "reason (the store: %d)",
		    c->reason);
	name = store_reason_name(c->reason);
	j = json_object_get(o, "reason_name");
	if (name != NULL ? !json_is_string(j) ||
	    strcmp(json_string_value(j), name) != 0 : j != NULL)
		xc_list_add(diff, sizeof(diff), "reason_name (the store: %s)",
		    name != NULL ? name : "none");
	audit_time(c->revoked_at, t, sizeof(t));
	j = json_object_get(o, "revoked_at");
	if (!json_is_string(j) || strcmp(json_string_value(j), t) != 0)
		xc_list_add(diff, sizeof(diff), "revoked_at (the store: %s)",
		    t);
	if (diff[0] == '\0')
		return 0;
	return xc_note(x, "differs", seq, c, NULL, 0, "the revoke line (seq "
	    "%lld) differs from the store in %s", (long long)seq, diff);
}

/*
 * "CRL numbers lo to hi have no crl line" for k: skipped by the line at
 * seq (with number hi + 1), or, seq 0, allocated and never logged.
 */
static void
xc_crl_gap(const struct xc *x, const struct xc_crl *k, int64_t lo,
    int64_t hi, int64_t seq, char *buf, size_t bufsz)
{
	char	nums[64];

	if (lo == hi)
		snprintf(nums, sizeof(nums), "CRL number %lld", (long long)lo);
	else
		snprintf(nums, sizeof(nums), "CRL numbers %lld to %lld",
		    (long long)lo, (long long)hi);
	if (seq > 0)
		snprintf(buf, bufsz, "issuer %s: %s: no crl line, yet the crl "
		    "line at seq %lld has number %lld (the store has "
		    "allocated up to %lld)", x->issuers[k->issuer], nums,
		    (long long)seq, (long long)hi + 1, (long long)k->last);
	else
		snprintf(buf, bufsz, "issuer %s: %s allocated, but the log has "
		    "no crl line for %s", x->issuers[k->issuer], nums,
		    lo == hi ? "it" : "them");
}

/* A crl line: the issuer's numbers must come as 1, 2, 3, ... */
static int
xc_crl_line(struct xc *x, json_t *o, int64_t seq)
{
	struct xc_crl	*k = NULL;
	json_t		*j;
	char		 msg[512];
	int64_t		 is, num;
	size_t		 i;

	j = json_object_get(o, "issuer");
	if (!json_is_string(j) ||
	    (is = xc_issuer(x, json_string_value(j), false)) < 0)
		return 0;
	for (i = 0; i < x->ncrls && k == NULL; i++)
		if (x->crls[i].issuer == (uint32_t)is)
			k = &x->crls[i];
	if (k == NULL)
		return 0;	/* its first CRL came after the tables */
	j = json_object_get(o, "number");
	if (!json_is_integer(j))
		return xc_note(x, "differs", seq, NULL, NULL, 0, "issuer %s: "
		    "the crl line (seq %lld) has no integer number",
		    x->issuers[is], (long long)seq);
	num = (int64_t)json_integer_value(j);
	if (num == k->next) {
		k->next++;
		return 0;
	}
	if (num < k->next)
		return xc_note(x, "unexpected", seq, NULL, NULL, 0, "issuer "
		    "%s: the crl line (seq %lld) has CRL number %lld again, "
		    "or out of order", x->issuers[is], (long long)seq,
		    (long long)num);
	/* The numbers from next to num - 1 were allocated: no line. */
	xc_crl_gap(x, k, k->next, num - 1, seq, msg, sizeof(msg));
	k->next = num < INT64_MAX ? num + 1 : num;
	return xc_note(x, "missing", seq, NULL, NULL, 0, "%s", msg);
}

/* An issue or abort line against its row: the digest of its fields. */
static int
xc_fields_line(struct xc *x, json_t *o, int64_t seq, struct xc_cert *c,
    const char *line, size_t len)
{
	struct xc_field	 f[XC_NISSUE];
	unsigned char	 dig[XC_DIGSZ];
	int		 rc;

	if (c->status == STORE_ABORTED)
		xc_line_view(o, xc_abort_keys, XC_NABORT, f);
	else
		xc_line_view(o, xc_issue_keys, XC_NISSUE, f);
	if ((rc = xc_digest(x, f, c->status == STORE_ABORTED ?
	    XC_NABORT : XC_NISSUE, dig)) != 0)
		return rc;
	if (memcmp(dig, c->dig, XC_DIGSZ) == 0)
		return 0;
	return xc_note(x, "differs", seq, c, line, len, NULL);
}

/* One line taken into the chain: what it says about the tables' rows. */
static int
xc_line(struct xc *x, json_t *o, const char *line, size_t len)
{
	struct xc_cert	*c;
	const char	*ev;
	json_t		*j;
	uint8_t		 serial[STORE_SERIAL_MAX];
	size_t		 slen;
	int64_t		 seq, is;
	int		 kind;

	seq = (int64_t)json_integer_value(json_object_get(o, "seq"));
	ev = json_string_value(json_object_get(o, "event"));
	if (strcmp(ev, "issue") == 0)
		kind = XC_ISSUE;
	else if (strcmp(ev, "revoke") == 0)
		kind = XC_REVOKE;
	else if (strcmp(ev, "abort") == 0)
		kind = XC_ABORT;
	else if (strcmp(ev, "crl") == 0)
		return xc_crl_line(x, o, seq);
	else
		return 0;
	/* A line whose row the tables do not hold is not judged. */
	j = json_object_get(o, "issuer");
	if (!json_is_string(j) ||
	    (is = xc_issuer(x, json_string_value(j), false)) < 0 ||
	    !xc_serial_parse(json_object_get(o, "serial"), serial, &slen) ||
	    (c = xc_find(x, (uint32_t)is, serial, slen)) == NULL)
		return 0;
	if (c->seen & kind)
		return xc_note(x, "unexpected", seq, c, NULL, 0, "a second %s "
		    "line (seq %lld)", ev, (long long)seq);
	c->seen |= kind;
	switch (kind) {
	case XC_ISSUE:
		if (c->status == STORE_ABORTED)
			return xc_note(x, "unexpected", seq, c, NULL, 0, "an "
			    "issue line (seq %lld), but the store says it was "
			    "aborted, never signed", (long long)seq);
		return xc_fields_line(x, o, seq, c, line, len);
	case XC_ABORT:
		if (c->status != STORE_ABORTED)
			return xc_note(x, "unexpected", seq, c, NULL, 0, "an "
			    "abort line (seq %lld), but the store says it is "
			    "%s", (long long)seq, xc_status_name(c));
		return xc_fields_line(x, o, seq, c, line, len);
	default:
		if (c->status == STORE_ABORTED)
			return xc_note(x, "unexpected", seq, c, NULL, 0, "a "
			    "revoke line (seq %lld), but the store says it was "
			    "aborted, never signed", (long long)seq);
		/* A valid row may have been revoked since it was read. */
		if (c->status != STORE_REVOKED)
			return 0;
		return xc_revoke_line(x, o, seq, c);
	}
}

/* The chain verifier and the cross-check, fed each line of the log. */
struct xc_iter {
	struct audit_verifier	 v;
	struct xc		*x;
	struct st_err		*e;
};

static int
xc_iter_cb(void *arg, const char *line, size_t len)
{
	struct xc_iter	*it = arg;
	json_t		*o = NULL;
	int		 rc;

	if ((rc = verify_line(&it->v, line, len, &o, it->e)) == 0 &&
	    o != NULL)
		rc = xc_line(it->x, o, line, len);
	json_decref(o);
	return rc;
}

/* Report one inconsistency: "KIND: [issuer I, serial S: ]MSG". */
static void
xc_emit(struct xc *x, const char *kind, const struct xc_cert *c,
    const char *fmt, ...) ST_PRINTF(4, 5);

static void
xc_emit(struct xc *x, const char *kind, const struct xc_cert *c,
    const char *fmt, ...)
{
	char	body[1024], out[1536], hex[2 * STORE_SERIAL_MAX + 1];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (c != NULL) {
		store_serial_hex(c->serial, c->slen, hex);
		snprintf(out, sizeof(out), "%s: issuer %s, serial %s: %s", kind,
		    x->issuers[c->issuer], hex, body);
	} else
		snprintf(out, sizeof(out), "%s: %s", kind, body);
	x->sum->found++;
	if (x->cb != NULL)
		x->cb(x->arg, out);
}

/*
 * A line whose fields differ from its row's: read the row again (its
 * fields never change) and name them.
 */
static int
xc_diff(struct xc *x, const struct xc_note *n)
{
	const struct xc_cert	*c = &x->certs[n->cert];
	const char *const	*keys;
	struct store_cert	*sc = NULL;
	struct xc_field		 f[XC_NISSUE];
	struct xc_row		 r;
	struct st_err		 e1;
	json_t			*o = NULL;
	const char		*ev;
	char			 diff[256] = "";
	size_t			 i;
	int			 rc = ST_E_INTERNAL;

	memset(&r, 0, sizeof(r));
	ev = c->status == STORE_ABORTED ? "abort" : "issue";
	keys = c->status == STORE_ABORTED ? xc_abort_keys : xc_issue_keys;
	st_err_clear(&e1);
	if ((o = json_loads(n->line, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    store_cert_get(x->s, x->issuers[c->issuer], c->serial, c->slen,
	    &sc, &e1) != 0 || (c->status == STORE_ABORTED) !=
	    (sc->status == STORE_ABORTED)) {
		/* Cannot happen: say what is known. */
		xc_emit(x, n->kind, c, "the %s line (seq %lld) differs from "
		    "the store", ev, (long long)n->seq);
		rc = 0;
		goto out;
	}
	if ((rc = xc_row_view(sc, x->md, &r)) != 0)
		goto out;
	xc_line_view(o, keys, r.n, f);
	for (i = 0; i < r.n; i++)
		if (f[i].kind != r.f[i].kind || f[i].len != r.f[i].len ||
		    (f[i].kind == 1 && memcmp(f[i].s, r.f[i].s, f[i].len) !=
		    0))
			xc_list_add(diff, sizeof(diff), "%s", keys[i]);
	xc_emit(x, n->kind, c, "the %s line (seq %lld) differs from the "
	    "store in %s", ev, (long long)n->seq, diff[0] != '\0' ? diff :
	    "its fields");
	rc = 0;
out:
	free(r.b64);
	store_cert_free(sc);
	json_decref(o);
	return rc;
}

/* What the tables hold and the log does not. */
static void
xc_missing(struct xc *x)
{
	const struct xc_cert	*c;
	const char		*name;
	char			 t[32];
	size_t			 i;

	for (i = 0; i < x->ncerts; i++) {
		c = &x->certs[i];
		if (c->status != STORE_ABORTED && !(c->seen & XC_ISSUE))
			xc_emit(x, "missing", c, "%s, but the log has no issue "
			    "line", xc_status_name(c));
		if (c->status == STORE_REVOKED && !(c->seen & XC_REVOKE)) {
			name = store_reason_name(c->reason);
			audit_time(c->revoked_at, t, sizeof(t));
			xc_emit(x, "missing", c, "revoked (reason %d %s, at "
			    "%s), but the log has no revoke line", c->reason,
			    name != NULL ? name : "unknown", t);
		}
		if (c->status == STORE_ABORTED && !(c->seen & XC_ABORT))
			xc_emit(x, "missing", c, "aborted, but the log has no "
			    "abort line");
	}
}

int
store_audit_verify_tables(struct store *s,
    const struct store_audit_head *expect, struct store_audit_report *rep,
    struct store_audit_xcheck *sum, store_audit_finding_cb cb, void *arg,
    struct st_err *e)
{
	struct store_audit_xcheck	 sum0;
	struct xc			 x;
	struct xc_iter			 it;
	struct xc_note			*n;
	char				 msg[512];
	size_t				 i;
	int				 rc = ST_E_INTERNAL;

	if (sum == NULL)
		sum = &sum0;
	memset(sum, 0, sizeof(*sum));
	memset(&x, 0, sizeof(x));
	x.sum = sum;
	x.cb = cb;
	x.arg = arg;
	x.md = EVP_MD_CTX_new();	/* NULL: one context per digest */
	audit_verify_init(&it.v, expect, rep);
	it.x = &x;
	it.e = e;
	/* The tables first, then the log (see above). */
	x.s = s;
	if ((rc = store_cert_iter(x.s, NULL, STORE_ANY, xc_cert_cb, &x,
	    e)) != 0 || (rc = xc_index(&x)) != 0)
		goto out;
	if ((rc = x.s->ops->crl_numbers_iter(x.s, xc_crl_cb, &x, e)) != 0)
		goto out;
	if ((rc = x.s->ops->audit_iter(x.s, xc_iter_cb, &it, e)) != 0 ||
	    (rc = audit_verify_finish(&it.v, e)) != 0)
		goto out;

	for (i = 0; i < x.nnotes; i++) {
		n = &x.notes[i];
		if (n->msg == NULL) {
			if ((rc = xc_diff(&x, n)) != 0)
				goto out;
		} else
			xc_emit(&x, n->kind, n->cert != UINT32_MAX ?
			    &x.certs[n->cert] : NULL, "%s", n->msg);
	}
	xc_missing(&x);
	for (i = 0; i < x.ncrls; i++) {
		if (x.crls[i].next > x.crls[i].last)
			continue;
		xc_crl_gap(&x, &x.crls[i], x.crls[i].next, x.crls[i].last, 0,
		    msg, sizeof(msg));
		xc_emit(&x, "missing", NULL, "%s", msg);
	}
	if (sum->found > 0) {
		rc = st_err_set(e, ST_E_VERIFY, "audit: %lld inconsistenc%s "
		    "between the log and the store's tables; the chain itself "
		    "is intact (%lld line%s, head %lld:%s)",
		    (long long)sum->found, sum->found == 1 ? "y" : "ies",
		    (long long)rep->lines, rep->lines == 1 ? "" : "s",
		    (long long)rep->head.seq, rep->head.hash);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && sum->found == 0)
		memset(sum, 0, sizeof(*sum));
	for (i = 0; i < x.nissuers; i++)
		free(x.issuers[i]);
	free(x.issuers);
	free(x.certs);
	free(x.slots);
	free(x.crls);
	for (i = 0; i < x.nnotes; i++) {
		free(x.notes[i].msg);
		free(x.notes[i].line);
	}
	free(x.notes);
	free(x.b.p);
	EVP_MD_CTX_free(x.md);
	return rc;
}
