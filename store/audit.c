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

#include <openssl/sha.h>

#include "store/store_int.h"

static const char *const reserved_keys[] = { "seq", "time", "event", "prev",
	NULL };

/* Hex digits of 32 bytes. */
void
audit_hash(const void *p, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char	  md[SHA256_DIGEST_LENGTH];
	size_t		  i;

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

/*
 * Build the next line.  The fields object is extended in place with the
 * reserved keys and the extras, serialised, and head advanced.
 */
int
audit_line_build(struct store_audit_head *head, int64_t now,
    const char *event, json_t *fields, json_t *extra, char **line,
    size_t *len, struct st_err *e)
{
	json_t		*o = NULL, *v;
	const char	*k;
	char		 tbuf[32], *s = NULL;
	int		 rc = ST_E_INTERNAL;

	*line = NULL;
	*len = 0;
	if (fields != NULL)
		o = json_incref(fields);
	else if ((o = json_object()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = audit_extra_check(extra, e)) != 0)
		goto out;
	if (extra != NULL) {
		json_object_foreach(extra, k, v) {
			if (json_object_get(o, k) != NULL) {
				rc = st_err_set(e, ST_E_USAGE,
				    "audit: extra field '%s' clashes with the "
				    "'%s' event's own", k, event);
				goto out;
			}
			if (json_object_set(o, k, v) != 0) {
				rc = ST_E_NOMEM;
				goto out;
			}
		}
	}
	audit_time(now, tbuf, sizeof(tbuf));
	if (json_object_set_new(o, "seq", json_integer(head->seq + 1)) != 0 ||
	    json_object_set_new(o, "time", json_string(tbuf)) != 0 ||
	    json_object_set_new(o, "event", json_string(event)) != 0 ||
	    json_object_set_new(o, "prev", json_string(head->hash)) != 0) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		rc = st_err_set(e, ST_E_USAGE,
		    "audit: the '%s' line cannot be serialised (bad UTF-8 in a "
		    "field?)", event);
		goto out;
	}
	*len = strlen(s);
	audit_hash(s, *len, head->hash);
	head->seq++;
	*line = s;
	s = NULL;
	rc = 0;
out:
	free(s);
	json_decref(o);
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
