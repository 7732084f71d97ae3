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

/* RFC 3339 UTC with whole seconds. */
void
audit_time(int64_t t, char *buf, size_t bufsz)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

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

/* A growing output buffer; on allocation failure it stays failed. */
struct abuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	bool	 nomem;
};

static void
abuf_put(struct abuf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 cap;

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->nomem = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * A JSON string exactly as jansson writes it without JSON_ENSURE_ASCII
 * or JSON_ESCAPE_SLASH: '"' and '\\' escaped, control characters as \b
 * \f \n \r \t or \u00XX (upper-case hex), everything else verbatim.
 */
static void
abuf_string(struct abuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char	 *run = s;
	char		  esc[7];

	abuf_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		abuf_put(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		esc[2] = '\0';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
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
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc[6] = '\0';
			break;
		}
		abuf_put(b, esc, strlen(esc));
	}
	abuf_put(b, run, (size_t)(s - run));
	abuf_put(b, "\"", 1);
}

/* Sort fields by key as jansson's JSON_SORT_KEYS does (byte order). */
static int
field_cmp(const void *a, const void *b)
{
	const struct audit_field *const *fa = a, *const *fb = b;

	return strcmp((*fa)->key, (*fb)->key);
}

/*
 * Build the next line.  The output is what json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) would give for the same object (tests/unit/test_store.c
 * checks it against jansson), written directly: building a json_t per
 * line and dumping it was a sixth of the cost of recording a certificate.
 */
int
audit_line_build(struct store_audit_head *head, int64_t now,
    const char *event, const struct audit_field *own, size_t nown,
    json_t *extra, char **line, size_t *len, struct st_err *e)
{
	struct audit_field	  res[4], *ext = NULL;
	const struct audit_field *stackv[48], **v = stackv;
	struct abuf		  b = { NULL, 0, 0, false };
	const char		 *k;
	json_t			 *val;
	char			  tbuf[32], num[32], *js = NULL;
	size_t			  n = 0, nextra, i;
	int			  rc = ST_E_INTERNAL;

	*line = NULL;
	*len = 0;
	if ((rc = audit_extra_check(extra, e)) != 0)
		goto out;
	nextra = extra != NULL ? json_object_size(extra) : 0;
	if (nown + 4 + nextra > sizeof(stackv) / sizeof(stackv[0]) &&
	    (v = calloc(nown + 4 + nextra, sizeof(*v))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (nextra > 0 && (ext = calloc(nextra, sizeof(*ext))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	audit_time(now, tbuf, sizeof(tbuf));
	res[0] = (struct audit_field){ "seq", AUDIT_INT, NULL, head->seq + 1,
	    NULL };
	res[1] = (struct audit_field){ "time", AUDIT_STR, tbuf, 0, NULL };
	res[2] = (struct audit_field){ "event", AUDIT_STR, event, 0, NULL };
	res[3] = (struct audit_field){ "prev", AUDIT_STR, head->hash, 0,
	    NULL };
	for (i = 0; i < 4; i++)
		v[n++] = &res[i];
	for (i = 0; i < nown; i++) {
		if (own[i].kind == AUDIT_STR && own[i].str == NULL)
			continue;	/* an optional field left out */
		if (own[i].kind == AUDIT_STR && !store_utf8_ok(own[i].str)) {
			rc = st_err_set(e, ST_E_USAGE,
			    "audit: field '%s' is not UTF-8", own[i].key);
			goto out;
		}
		v[n++] = &own[i];
	}
	i = 0;
	if (extra != NULL) {
		json_object_foreach(extra, k, val) {
			size_t j;

			for (j = 0; j < n; j++)
				if (strcmp(v[j]->key, k) == 0) {
					rc = st_err_set(e, ST_E_USAGE,
					    "audit: extra field '%s' clashes "
					    "with the '%s' event's own", k,
					    event);
					goto out;
				}
			ext[i] = (struct audit_field){ k, AUDIT_JSON, NULL, 0,
			    val };
			v[n++] = &ext[i++];
		}
	}
	qsort(v, n, sizeof(*v), field_cmp);
	abuf_put(&b, "{", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			abuf_put(&b, ",", 1);
		abuf_string(&b, v[i]->key);
		abuf_put(&b, ":", 1);
		switch (v[i]->kind) {
		case AUDIT_STR:
			abuf_string(&b, v[i]->str);
			break;
		case AUDIT_INT:
			snprintf(num, sizeof(num), "%lld",
			    (long long)v[i]->num);
			abuf_put(&b, num, strlen(num));
			break;
		case AUDIT_JSON:
			if ((js = json_dumps(v[i]->json, JSON_COMPACT |
			    JSON_SORT_KEYS | JSON_ENCODE_ANY)) == NULL) {
				rc = st_err_set(e, ST_E_USAGE,
				    "audit: field '%s' cannot be serialised",
				    v[i]->key);
				goto out;
			}
			abuf_put(&b, js, strlen(js));
			free(js);
			js = NULL;
			break;
		}
	}
	abuf_put(&b, "}", 1);
	if (b.nomem) {
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
	free(js);
	free(ext);
	if (v != stackv)
		free(v);
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
