/* SPDX-License-Identifier: ISC */
/*
 * The public face of store/: picks the backend from the URI scheme,
 * checks every argument once (so that backends see clean input and bad
 * input changes no state), and dispatches through the vtable.  Also the
 * backend-independent pieces: RFC 5280 reason codes, DER framing, copying
 * certificates.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define NAME_MAX_LEN 256	/* issuer, profile, request key, reason */

/* RFC 5280 section 5.3.1 names, indexed by code; NULL: not accepted. */
static const char *const reason_names[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", NULL, NULL, NULL,
	"privilegeWithdrawn", "aACompromise"
};
#define NREASONS (sizeof(reason_names) / sizeof(reason_names[0]))

static const char *const status_names[] = { NULL, "pending", "valid",
	"revoked", "aborted" };

const char *
store_status_name(enum store_status st)
{
	if (st <= STORE_ANY || st > STORE_ABORTED)
		return NULL;
	return status_names[st];
}

enum store_status
store_status_parse(const char *s)
{
	int	i;

	for (i = STORE_PENDING; s != NULL && i <= STORE_ABORTED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum store_status)i;
	return STORE_ANY;
}

const char *
store_reason_name(int reason)
{
	if (reason < 0 || (size_t)reason >= NREASONS)
		return NULL;
	return reason_names[reason];
}

/* A name from the table (case-sensitive, as RFC 5280 spells it) or 0..10. */
int
store_reason_parse(const char *s, int *reason, struct st_err *e)
{
	size_t	i;
	char	*end;
	long	 v;

	*reason = -1;
	for (i = 0; s != NULL && i < NREASONS; i++)
		if (reason_names[i] != NULL && strcmp(s, reason_names[i]) == 0) {
			*reason = (int)i;
			return 0;
		}
	if (s != NULL && s[0] >= '0' && s[0] <= '9') {
		v = strtol(s, &end, 10);
		if (*end == '\0' && store_reason_name((int)v) != NULL &&
		    v < (long)NREASONS) {
			*reason = (int)v;
			return 0;
		}
	}
	return st_err_set(e, ST_E_USAGE,
	    "revocation reason: RFC 5280 section 5.3.1: '%s' is not one of "
	    "unspecified(0), keyCompromise(1), cACompromise(2), "
	    "affiliationChanged(3), superseded(4), cessationOfOperation(5), "
	    "privilegeWithdrawn(9), aACompromise(10)", s ? s : "(null)");
}

/* The DER header of a SEQUENCE that spans exactly len bytes. */
int
store_der_hdrlen(const uint8_t *p, size_t len, size_t *hdrlen)
{
	size_t	n, i, body = 0;

	*hdrlen = 0;
	if (p == NULL || len < 2 || p[0] != 0x30)
		return ST_E_DER;
	if (p[1] < 0x80) {
		body = p[1];
		n = 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || len < 2 + n || p[2] == 0)
			return ST_E_DER;
		for (i = 0; i < n; i++)
			body = body << 8 | p[2 + i];
		if (body < 0x80)
			return ST_E_DER;
		n += 2;
	}
	if (body != len - n)
		return ST_E_DER;
	*hdrlen = n;
	return 0;
}

/*
 * Well-formed UTF-8 (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), so that every text field can go
 * into an audit line.
 */
bool
store_utf8_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 cp, n, i;

	while (*p != 0) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* The first element of the SEQUENCE der: a TBSCertificate's bytes. */
int
store_der_tbs(const uint8_t *der, size_t len, const uint8_t **tbs,
    size_t *tbslen)
{
	const uint8_t	*p;
	size_t		 hl, rest, n, i, body = 0;

	*tbs = NULL;
	*tbslen = 0;
	if (store_der_hdrlen(der, len, &hl) != 0)
		return ST_E_DER;
	p = der + hl;
	rest = len - hl;
	if (rest < 2 || p[0] != 0x30)
		return ST_E_DER;
	if (p[1] < 0x80) {
		body = p[1];
		n = 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || rest < 2 + n)
			return ST_E_DER;
		for (i = 0; i < n; i++)
			body = body << 8 | p[2 + i];
		n += 2;
	}
	if (body > rest - n)
		return ST_E_DER;
	*tbs = p;
	*tbslen = n + body;
	return 0;
}

/* Printable UTF-8 text without control characters, 1..max bytes. */
static bool
name_ok(const char *s, size_t max)
{
	size_t	i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return store_utf8_ok(s);
}

static int
check_name(const char *what, const char *s, struct st_err *e)
{
	if (!name_ok(s, NAME_MAX_LEN))
		return st_err_set(e, ST_E_USAGE,
		    "store: %s must be 1..%d printable UTF-8 bytes", what,
		    NAME_MAX_LEN);
	return 0;
}

/* RFC 5280 section 4.1.2.2: positive, at most 20 octets. */
static int
check_serial(const uint8_t *p, size_t len, struct st_err *e)
{
	if (p == NULL || len == 0 || len > STORE_SERIAL_MAX)
		return st_err_set(e, ST_E_USAGE,
		    "store: serial: RFC 5280 section 4.1.2.2: must be 1..%d "
		    "bytes (%zu)", STORE_SERIAL_MAX, len);
	if (p[0] == 0)
		return st_err_set(e, ST_E_USAGE,
		    "store: serial: leading zero byte (give the magnitude "
		    "without leading zeros)");
	return 0;
}

static int
check_ref(const char *issuer, const uint8_t *serial, size_t len,
    struct st_err *e)
{
	int	rc;

	if ((rc = check_name("issuer", issuer, e)) != 0)
		return rc;
	return check_serial(serial, len, e);
}

static int
check_intent(const struct store_intent *it, size_t i, struct st_err *e)
{
	size_t	hl;
	int	rc;

	if ((rc = check_ref(it->issuer, it->serial, it->serial_len, e)) != 0 ||
	    (rc = check_name("profile", it->profile, e)) != 0)
		goto out;
	if (it->subject == NULL || strlen(it->subject) > 4096 ||
	    !store_utf8_ok(it->subject)) {
		rc = st_err_set(e, ST_E_USAGE,
		    "store: intent %zu: subject missing, too long or not UTF-8",
		    i);
		goto out;
	}
	if (it->request_key != NULL &&
	    (rc = check_name("request key", it->request_key, e)) != 0)
		goto out;
	if ((it->tnauth == NULL) != (it->tnauth_len == 0)) {
		rc = st_err_set(e, ST_E_USAGE,
		    "store: intent %zu: TNAuthList pointer and length disagree",
		    i);
		goto out;
	}
	if (it->not_after < it->not_before) {
		rc = st_err_set(e, ST_E_USAGE,
		    "store: intent %zu: notAfter before notBefore", i);
		goto out;
	}
	if (store_der_hdrlen(it->tbs, it->tbs_len, &hl) != 0) {
		rc = st_err_set(e, ST_E_USAGE,
		    "store: intent %zu: the TBS is not one DER SEQUENCE", i);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

int
store_open(const char *uri, struct store **out, struct st_err *e)
{
	*out = NULL;
	if (uri == NULL)
		return st_err_set(e, ST_E_USAGE, "store: no URI");
	if (strncmp(uri, "sqlite:", 7) == 0 && uri[7] != '\0')
		return store_sqlite_open(uri + 7, false, out, e);
	if (strncmp(uri, "postgres", 8) == 0)
		return st_err_set(e, ST_E_USAGE,
		    "store: '%s': this build has no PostgreSQL backend", uri);
	return st_err_set(e, ST_E_USAGE,
	    "store: '%s': expected sqlite:PATH", uri);
}

int
store_open_readonly(const char *uri, struct store **out, struct st_err *e)
{
	*out = NULL;
	if (uri != NULL && strncmp(uri, "sqlite:", 7) == 0 && uri[7] != '\0')
		return store_sqlite_open(uri + 7, true, out, e);
	return store_open(uri, out, e);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int
store_schema_version(struct store *s, int *version, struct st_err *e)
{
	*version = 0;
	return s->ops->schema_version(s, version, e);
}

int
store_issue_reserve(struct store *s, const struct store_intent *v, size_t n,
    size_t *conflict, struct st_err *e)
{
	size_t	i;
	int	rc;

	if (conflict != NULL)
		*conflict = 0;
	if (n == 0)
		return 0;
	if (v == NULL)
		return st_err_set(e, ST_E_USAGE, "store: reserve: no intents");
	for (i = 0; i < n; i++)
		if ((rc = check_intent(&v[i], i, e)) != 0)
			return rc;
	return s->ops->issue_reserve(s, v, n, conflict, e);
}

int
store_issue_commit(struct store *s, const struct store_signed *v, size_t n,
    struct st_err *e)
{
	size_t	i, hl;
	int	rc;

	if (n == 0)
		return 0;
	if (v == NULL)
		return st_err_set(e, ST_E_USAGE, "store: commit: nothing given");
	for (i = 0; i < n; i++) {
		if ((rc = check_ref(v[i].issuer, v[i].serial, v[i].serial_len,
		    e)) != 0)
			return rc;
		if (store_der_hdrlen(v[i].der, v[i].der_len, &hl) != 0)
			return st_err_set(e, ST_E_USAGE,
			    "store: commit %zu: the certificate is not one DER "
			    "SEQUENCE", i);
		if ((rc = audit_extra_check(v[i].audit, e)) != 0)
			return rc;
	}
	return s->ops->issue_commit(s, v, n, e);
}

int
store_issue_abort(struct store *s, const struct store_ref *v, size_t n,
    const char *reason, struct st_err *e)
{
	size_t	i;
	int	rc;

	if (n == 0)
		return 0;
	if (v == NULL)
		return st_err_set(e, ST_E_USAGE, "store: abort: nothing given");
	if ((rc = check_name("abort reason", reason, e)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = check_ref(v[i].issuer, v[i].serial, v[i].serial_len,
		    e)) != 0)
			return rc;
	return s->ops->issue_abort(s, v, n, reason, e);
}

int
store_pending_list(struct store *s, const char *issuer, store_cert_cb cb,
    void *arg, struct st_err *e)
{
	int	rc;

	if (issuer != NULL && (rc = check_name("issuer", issuer, e)) != 0)
		return rc;
	return s->ops->pending_list(s, issuer, cb, arg, e);
}

int
store_request_lookup(struct store *s, const char *key,
    struct store_cert **out, struct st_err *e)
{
	int	rc;

	*out = NULL;
	if ((rc = check_name("request key", key, e)) != 0)
		return rc;
	return s->ops->request_lookup(s, key, out, e);
}

int
store_request_lookup_many(struct store *s, const char *const *keys, size_t n,
    struct store_cert **out, struct st_err *e)
{
	size_t	i;
	int	rc;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	if (n == 0)
		return 0;
	if (keys == NULL)
		return st_err_set(e, ST_E_USAGE, "store: lookup: no keys");
	for (i = 0; i < n; i++)
		if (keys[i] != NULL &&
		    (rc = check_name("request key", keys[i], e)) != 0)
			return rc;
	if ((rc = s->ops->request_lookup_many(s, keys, n, out, e)) != 0)
		for (i = 0; i < n; i++) {
			store_cert_free(out[i]);
			out[i] = NULL;
		}
	return rc;
}

int
store_run_id(struct store *s, const char **id, struct st_err *e)
{
	*id = NULL;
	return s->ops->run_id(s, id, e);
}

int
store_run_alive(struct store *s, const char *run, long *pid,
    struct st_err *e)
{
	size_t	i;

	if (pid != NULL)
		*pid = 0;
	/* The id names a file: nothing but what store_run_id makes. */
	for (i = 0; run != NULL && i < STORE_RUN_ID_LEN; i++)
		if (!((run[i] >= '0' && run[i] <= '9') ||
		    (run[i] >= 'a' && run[i] <= 'f')))
			break;
	if (run == NULL || i != STORE_RUN_ID_LEN || run[i] != '\0')
		return st_err_set(e, ST_E_USAGE,
		    "store: run id must be %d lowercase hex digits",
		    STORE_RUN_ID_LEN);
	return s->ops->run_alive(s, run, pid, e);
}

int
store_cert_get(struct store *s, const char *issuer, const uint8_t *serial,
    size_t serial_len, struct store_cert **out, struct st_err *e)
{
	int	rc;

	*out = NULL;
	if ((rc = check_ref(issuer, serial, serial_len, e)) != 0)
		return rc;
	return s->ops->cert_get(s, issuer, serial, serial_len, out, e);
}

int
store_cert_get_by_serial(struct store *s, const uint8_t *serial,
    size_t serial_len, struct store_cert **out, struct st_err *e)
{
	int	rc;

	*out = NULL;
	if ((rc = check_serial(serial, serial_len, e)) != 0)
		return rc;
	return s->ops->cert_get(s, NULL, serial, serial_len, out, e);
}

void
store_cert_free(struct store_cert *c)
{
	free(c);
}

int
store_cert_iter(struct store *s, const char *issuer, enum store_status status,
    store_cert_cb cb, void *arg, struct st_err *e)
{
	int	rc;

	if (issuer != NULL && (rc = check_name("issuer", issuer, e)) != 0)
		return rc;
	if (status != STORE_ANY && store_status_name(status) == NULL)
		return st_err_set(e, ST_E_USAGE, "store: unknown status %d",
		    (int)status);
	return s->ops->cert_iter(s, issuer, status, cb, arg, e);
}

int
store_cert_revoke(struct store *s, const char *issuer, const uint8_t *serial,
    size_t serial_len, int reason, int64_t when, json_t *audit,
    struct st_err *e)
{
	int	rc;

	if ((rc = check_ref(issuer, serial, serial_len, e)) != 0)
		return rc;
	if (store_reason_name(reason) == NULL)
		return st_err_set(e, ST_E_USAGE,
		    "revocation reason: RFC 5280 section 5.3.1: code %d is not "
		    "accepted (certificateHold, removeFromCRL and 7 are not)",
		    reason);
	if ((rc = audit_extra_check(audit, e)) != 0)
		return rc;
	return s->ops->cert_revoke(s, issuer, serial, serial_len, reason, when,
	    audit, e);
}

int
store_revoked_iter(struct store *s, const char *issuer, store_revoked_cb cb,
    void *arg, struct st_err *e)
{
	int	rc;

	if ((rc = check_name("issuer", issuer, e)) != 0)
		return rc;
	return s->ops->revoked_iter(s, issuer, cb, arg, e);
}

int
store_crl_next_number(struct store *s, const char *issuer, json_t *audit,
    int64_t *number, struct st_err *e)
{
	int	rc;

	*number = 0;
	if ((rc = check_name("issuer", issuer, e)) != 0 ||
	    (rc = audit_extra_check(audit, e)) != 0)
		return rc;
	return s->ops->crl_next_number(s, issuer, audit, number, e);
}

int
store_audit_append(struct store *s, const char *event, json_t *fields,
    struct st_err *e)
{
	struct store_audit_rec	r = { event, fields };

	return store_audit_append_many(s, &r, 1, e);
}

int
store_audit_append_many(struct store *s, const struct store_audit_rec *v,
    size_t n, struct st_err *e)
{
	struct st_err	e1;
	size_t		i;
	int		rc;

	if (n == 0)
		return 0;
	if (v == NULL)
		return st_err_set(e, ST_E_USAGE, "audit: no lines given");
	for (i = 0; i < n; i++) {
		st_err_clear(&e1);
		if (!audit_event_ok(v[i].event))
			rc = st_err_set(&e1, ST_E_USAGE, "audit: event name "
			    "'%s' must be 1..64 of [a-z0-9-]",
			    v[i].event ? v[i].event : "(null)");
		else
			rc = audit_extra_check(v[i].fields, &e1);
		if (rc != 0 && n == 1)
			return st_err_set(e, rc, "%s", e1.msg);
		if (rc != 0)
			return st_err_set(e, rc, "%s (line %zu of %zu)", e1.msg,
			    i, n);
	}
	return s->ops->audit_append(s, v, n, e);
}

int
store_audit_head(struct store *s, struct store_audit_head *out,
    struct st_err *e)
{
	memset(out, 0, sizeof(*out));
	return s->ops->audit_head(s, out, e);
}

/* The verifier and where its message goes. */
struct verify_ctx {
	struct audit_verifier	 v;
	struct st_err		*e;
};

/* Feeds each line of the database to the verifier. */
static int
verify_cb(void *arg, const char *line, size_t len)
{
	struct verify_ctx	*c = arg;

	return audit_verify_line(&c->v, line, len, c->e);
}

int
store_audit_verify(struct store *s, const struct store_audit_head *expect,
    struct store_audit_report *rep, struct st_err *e)
{
	struct verify_ctx	c;
	int			rc;

	audit_verify_init(&c.v, expect, rep);
	c.e = e;
	if ((rc = s->ops->audit_iter(s, verify_cb, &c, e)) != 0)
		return rc;
	return audit_verify_finish(&c.v, e);
}

/* Writes one line and its newline. */
static int
export_cb(void *arg, const char *line, size_t len)
{
	FILE	*f = arg;

	if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF)
		return ST_E_IO;
	return 0;
}

int
store_audit_export(struct store *s, FILE *f, struct st_err *e)
{
	int	rc;

	rc = s->ops->audit_iter(s, export_cb, f, e);
	if (rc == ST_E_IO)
		return st_err_set(e, ST_E_IO, "audit export: write failed");
	return rc;
}

/* One block: the struct, then every string and blob. */
int
store_cert_dup(const struct store_cert *c, struct store_cert **out)
{
	struct store_cert	*d;
	size_t			 sz;
	uint8_t			*p;

	*out = NULL;
#define SLEN(s) ((s) != NULL ? strlen(s) + 1 : 0)
	sz = sizeof(*d) + SLEN(c->issuer) + c->serial_len + SLEN(c->profile) +
	    SLEN(c->subject) + c->tnauth_len + c->tbs_len + c->der_len +
	    SLEN(c->request_key) + SLEN(c->abort_reason) +
	    (c->request_fp != NULL ? STORE_REQUEST_FP_LEN : 0) + SLEN(c->run);
	if ((d = calloc(1, sz)) == NULL)
		return ST_E_NOMEM;
	*d = *c;
	p = (uint8_t *)(d + 1);
#define COPYS(f) do { \
	if (c->f != NULL) { \
		size_t l_ = strlen(c->f) + 1; \
		memcpy(p, c->f, l_); \
		d->f = (const char *)p; \
		p += l_; \
	} \
} while (0)
#define COPYB(f, l) do { \
	if (c->f != NULL && c->l > 0) { \
		memcpy(p, c->f, c->l); \
		d->f = p; \
		p += c->l; \
	} else { \
		d->f = NULL; \
		d->l = 0; \
	} \
} while (0)
	COPYS(issuer);
	COPYB(serial, serial_len);
	COPYS(profile);
	COPYS(subject);
	COPYB(tnauth, tnauth_len);
	COPYB(tbs, tbs_len);
	COPYB(der, der_len);
	COPYS(request_key);
	COPYS(abort_reason);
	if (c->request_fp != NULL) {
		memcpy(p, c->request_fp, STORE_REQUEST_FP_LEN);
		d->request_fp = p;
		p += STORE_REQUEST_FP_LEN;
	}
	COPYS(run);
#undef SLEN
#undef COPYS
#undef COPYB
	*out = d;
	return 0;
}
