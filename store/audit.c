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
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

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

/* Hex digits of 32 bytes. */
void
audit_hash(const void *p, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char	  md[SHA256_DIGEST_LENGTH];
	size_t		  i;

	pthread_once(&sha256_once, sha256_init);
	if (sha256_md == NULL ||
	    EVP_Digest(p, len, md, NULL, sha256_md, NULL) != 1)
		SHA256(p, len, md);
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * sizeof(md)] = '\0';
}

/* Two decimal digits of v (0..99) at p. */
static void
put2(char *p, int64_t v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * RFC 3339 UTC with whole seconds.  From 1970 to 9999 the date is
 * computed here (days to proleptic Gregorian date, H. Hinnant's
 * civil_from_days), a tenth of what gmtime_r and strftime cost;
 * tests/unit/test_store.c checks it against them.  Other times go
 * through gmtime_r and strftime.
 */
void
audit_time(int64_t t, char *buf, size_t bufsz)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	int64_t		z, era, doe, yoe, y, doy, mp, d, m, s;

	if (t >= 0 && t <= INT64_C(253402300799) && bufsz >= 21) {
		z = t / 86400 + 719468;
		s = t % 86400;
		era = z / 146097;
		doe = z - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		d = doy - (153 * mp + 2) / 5 + 1;
		m = mp < 10 ? mp + 3 : mp - 9;
		y = yoe + era * 400 + (m <= 2);
		put2(buf, y / 100);
		put2(buf + 2, y % 100);
		buf[4] = '-';
		put2(buf + 5, m);
		buf[7] = '-';
		put2(buf + 8, d);
		buf[10] = 'T';
		put2(buf + 11, s / 3600);
		buf[13] = ':';
		put2(buf + 14, s / 60 % 60);
		buf[16] = ':';
		put2(buf + 17, s % 60);
		buf[19] = 'Z';
		buf[20] = '\0';
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
 * cut); seq continuity; prev; the expected head.
 */
int
audit_verify_line(struct audit_verifier *v, const char *line, size_t len,
    struct st_err *e)
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
	rc = 0;
out:
	json_decref(o);
	return rc;
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
