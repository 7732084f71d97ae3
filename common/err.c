/* SPDX-License-Identifier: ISC */
/*
 * The error table: one row per ST_E_* code with its name, the RFC 8555
 * section 6.7 problem type a server reports for it, and the HTTP status.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "common/common.h"

#define ACME_ERR "urn:ietf:params:acme:error:"

static const struct {
	int		 code;
	const char	*name;
	const char	*type;
	int		 status;
} errtab[] = {
	{ ST_OK, "ST_OK", NULL, 200 },
	{ ST_E_INTERNAL, "ST_E_INTERNAL", ACME_ERR "serverInternal", 500 },
	{ ST_E_NOMEM, "ST_E_NOMEM", ACME_ERR "serverInternal", 500 },
	{ ST_E_USAGE, "ST_E_USAGE", ACME_ERR "malformed", 400 },
	{ ST_E_IO, "ST_E_IO", ACME_ERR "serverInternal", 500 },
	{ ST_E_SYNTAX, "ST_E_SYNTAX", ACME_ERR "malformed", 400 },
	{ ST_E_ASN1, "ST_E_ASN1", ACME_ERR "malformed", 400 },
	{ ST_E_DER, "ST_E_DER", ACME_ERR "malformed", 400 },
	{ ST_E_TNAUTH, "ST_E_TNAUTH", ACME_ERR "malformed", 400 },
	{ ST_E_CLAIMS, "ST_E_CLAIMS", ACME_ERR "malformed", 400 },
	{ ST_E_SCOPE, "ST_E_SCOPE", ACME_ERR "rejectedIdentifier", 403 },
	{ ST_E_CRYPTO, "ST_E_CRYPTO", ACME_ERR "serverInternal", 500 },
	{ ST_E_HSM, "ST_E_HSM", ACME_ERR "serverInternal", 500 },
	{ ST_E_HSM_PIN, "ST_E_HSM_PIN", ACME_ERR "serverInternal", 500 },
	{ ST_E_HSM_NOTOKEN, "ST_E_HSM_NOTOKEN", ACME_ERR "serverInternal", 503 },
	{ ST_E_HSM_NOKEY, "ST_E_HSM_NOKEY", ACME_ERR "serverInternal", 500 },
	{ ST_E_HSM_MODULE, "ST_E_HSM_MODULE", ACME_ERR "serverInternal", 500 },
	{ ST_E_POLICY, "ST_E_POLICY", ACME_ERR "serverInternal", 500 },
	{ ST_E_REFUSED, "ST_E_REFUSED", ACME_ERR "rejectedIdentifier", 403 },
	{ ST_E_LINT, "ST_E_LINT", ACME_ERR "serverInternal", 500 },
	{ ST_E_STORE, "ST_E_STORE", ACME_ERR "serverInternal", 500 },
	{ ST_E_NOTFOUND, "ST_E_NOTFOUND", ACME_ERR "malformed", 404 },
	{ ST_E_EXISTS, "ST_E_EXISTS", ACME_ERR "malformed", 409 },
	{ ST_E_BADCSR, "ST_E_BADCSR", ACME_ERR "badCSR", 400 },
	{ ST_E_VERIFY, "ST_E_VERIFY", ACME_ERR "unauthorized", 403 },
	{ ST_E_MALFORMED, "ST_E_MALFORMED", ACME_ERR "malformed", 400 },
	{ ST_E_UNAUTHORIZED, "ST_E_UNAUTHORIZED", ACME_ERR "unauthorized", 403 },
	{ ST_E_BADNONCE, "ST_E_BADNONCE", ACME_ERR "badNonce", 400 },
	{ ST_E_RATELIMIT, "ST_E_RATELIMIT", ACME_ERR "rateLimited", 429 },
};

static size_t
errtab_index(int code)
{
	if (code > 0 || code <= ST_E_MAX)
		return 1; /* ST_E_INTERNAL */
	return (size_t)(-code);
}

const char *
st_err_name(int code)
{
	return errtab[errtab_index(code)].name;
}

const char *
st_err_problem_type(int code)
{
	return errtab[errtab_index(code)].type;
}

int
st_err_http_status(int code)
{
	return errtab[errtab_index(code)].status;
}

void
st_err_clear(struct st_err *e)
{
	if (e == NULL)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int
st_err_vset(struct st_err *e, int code, const char *fmt, va_list ap)
{
	if (e != NULL && e->code == 0) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return code;
}

int
st_err_set(struct st_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	st_err_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int
st_err_ossl(struct st_err *e, int code, const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 ossl;
	const char	*data = NULL;
	int		 flags = 0;
	size_t		 len, rl;
	char		 reason[384];

	/* The oldest error is the root cause; its data string (when the
	 * raiser attached one, as hsm/'s provider does) says which call,
	 * token and key. */
	ossl = ERR_peek_error_data(&data, &flags);
	if (ossl != 0) {
		ERR_error_string_n(ossl, reason, sizeof(reason));
		rl = strlen(reason);
		if ((flags & ERR_TXT_STRING) && data != NULL &&
		    data[0] != '\0' && rl < sizeof(reason))
			snprintf(reason + rl, sizeof(reason) - rl, " (%s)",
			    data);
	}
	ERR_clear_error();
	if (e == NULL || e->code != 0)
		return code;
	va_start(ap, fmt);
	st_err_vset(e, code, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	if (ossl != 0 && len < sizeof(e->msg))
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", reason);
	return code;
}

const char *
st_err_str(const struct st_err *e, int code)
{
	if (e != NULL && e->code != 0 && e->msg[0] != '\0')
		return e->msg;
	return st_err_name(code);
}
