/* SPDX-License-Identifier: ISC */
/*
 * common/: the one error space of stica, base64/base64url and hex helpers
 * (on top of OpenSSL's codecs), file reading, and logging.  Every other
 * module includes only this header from common/.
 *
 * Error convention (docs/style.md section 4.4): functions return 0 on
 * success or a negative ST_E_* code; calls that judge input take a last
 * argument "struct st_err *e" (may be NULL) that receives a one-line
 * message of the form "<what>: RFC nnnn section x: <problem> (<value>)".
 */
#ifndef STICA_COMMON_H
#define STICA_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MUSTCHECK __attribute__((warn_unused_result))
#define ST_PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * The error space.  The table in common/err.c gives each code its short
 * name, its RFC 8555 / RFC 7807 problem type and its HTTP status; keep the
 * two in the same order.
 */
enum st_errcode {
	ST_OK = 0,
	ST_E_INTERNAL = -1,	 /* a bug or an impossible state */
	ST_E_NOMEM = -2,	 /* allocation failed */
	ST_E_USAGE = -3,	 /* bad command line or API argument */
	ST_E_IO = -4,		 /* reading or writing a file failed */
	ST_E_SYNTAX = -5,	 /* text input (SPEC, YAML, JSON) malformed */
	ST_E_ASN1 = -6,		 /* DER does not parse against the module */
	ST_E_DER = -7,		 /* BER where DER is required */
	ST_E_TNAUTH = -8,	 /* RFC 8226 TNAuthList rule violated */
	ST_E_CLAIMS = -9,	 /* RFC 8226 / RFC 9118 claim constraints */
	ST_E_SCOPE = -10,	 /* RFC 9060 encompassing violated */
	ST_E_CRYPTO = -11,	 /* libcrypto failed */
	ST_E_HSM = -12,		 /* PKCS#11 call failed */
	ST_E_HSM_PIN = -13,	 /* wrong, locked or missing PIN */
	ST_E_HSM_NOTOKEN = -14,	 /* token or slot not present */
	ST_E_HSM_NOKEY = -15,	 /* key object not found */
	ST_E_HSM_MODULE = -16,	 /* module cannot be loaded */
	ST_E_POLICY = -17,	 /* policy file invalid */
	ST_E_REFUSED = -18,	 /* policy refuses the request */
	ST_E_LINT = -19,	 /* lint before sign failed */
	ST_E_STORE = -20,	 /* database failure */
	ST_E_NOTFOUND = -21,	 /* no such object */
	ST_E_EXISTS = -22,	 /* object or file already exists */
	ST_E_BADCSR = -23,	 /* CSR unacceptable */
	ST_E_VERIFY = -24,	 /* chain or signature does not verify */
	ST_E_MALFORMED = -25,	 /* ACME request malformed */
	ST_E_UNAUTHORIZED = -26, /* ACME client not authorised */
	ST_E_BADNONCE = -27,	 /* ACME nonce unacceptable */
	ST_E_RATELIMIT = -28,	 /* rate limit reached */
	ST_E_MAX = -29		 /* sentinel, not an error */
};

#define ST_ERR_MSGSZ 512

/* Details of the first failure; code mirrors the function's return. */
struct st_err {
	int	code;
	char	msg[ST_ERR_MSGSZ];
};

/*
 * Record a failure in e (which may be NULL) unless e already holds one,
 * so the innermost, most precise message wins.  Returns code, so callers
 * can write "rc = st_err_set(e, ST_E_TNAUTH, ...)".
 */
int	st_err_set(struct st_err *e, int code, const char *fmt, ...)
    ST_PRINTF(3, 4);
int	st_err_vset(struct st_err *e, int code, const char *fmt, va_list ap)
    ST_PRINTF(3, 0);
/*
 * As st_err_set, and append ": " plus the reason of the oldest entry on
 * OpenSSL's error queue, which is then cleared.
 */
int	st_err_ossl(struct st_err *e, int code, const char *fmt, ...)
    ST_PRINTF(3, 4);
/* Clear e (NULL-safe). */
void	st_err_clear(struct st_err *e);
/* Short name ("ST_E_TNAUTH"), RFC 8555 problem type and HTTP status. */
const char *st_err_name(int code);
const char *st_err_problem_type(int code);
int	st_err_http_status(int code);
/* The message in e, or the code's name when e is empty or NULL. */
const char *st_err_str(const struct st_err *e, int code);

/*
 * Base64.  st_b64url_encode writes unpadded base64url (RFC 4648 section 5),
 * NUL-terminated, into *out (caller frees).  st_b64_decode accepts base64url
 * or standard base64, padded or not, ignoring ASCII whitespace; mixing the
 * two alphabets, bad characters or a bad length are errors.
 */
int	st_b64url_encode(const uint8_t *p, size_t len, char **out) ST_MUSTCHECK;
int	st_b64_encode(const uint8_t *p, size_t len, char **out) ST_MUSTCHECK;
int	st_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
    struct st_err *e) ST_MUSTCHECK;

/* Lower-case hex without separators, NUL-terminated, into *out. */
/* Lower-case hex of p into buf, which holds 2 * len + 1 bytes. */
void	st_hex_write(const uint8_t *p, size_t len, char *buf);
int	st_hex_encode(const uint8_t *p, size_t len, char **out) ST_MUSTCHECK;
/* Hex with optional ':' or whitespace between bytes. */
int	st_hex_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
    struct st_err *e) ST_MUSTCHECK;

/*
 * Read a whole file ("-" is stdin) of at most max bytes into *out, which
 * is NUL-terminated one byte past *len for the convenience of text
 * parsers.  Caller frees.
 */
int	st_file_read(const char *path, size_t max, uint8_t **out, size_t *len,
    struct st_err *e) ST_MUSTCHECK;
/*
 * Write len bytes to path atomically: a temporary file in the same
 * directory, fsync, rename.  With excl, an existing path is ST_E_EXISTS.
 */
int	st_file_write(const char *path, const void *p, size_t len, int mode,
    bool excl, struct st_err *e) ST_MUSTCHECK;

/* Logging to stderr; ST_LOG_DEBUG is shown only when STICA_DEBUG is set. */
enum st_loglevel {
	ST_LOG_ERROR,
	ST_LOG_WARN,
	ST_LOG_INFO,
	ST_LOG_DEBUG
};
void	st_log(enum st_loglevel lvl, const char *fmt, ...) ST_PRINTF(2, 3);

/* strdup that returns NULL on NULL input. */
char	*st_strdup(const char *s);

/*
 * RFC 3629 section 4: well-formed UTF-8.  On failure *bad is the offset
 * of the first byte of the offending sequence.
 */
bool	st_utf8_valid(const uint8_t *p, size_t len, size_t *bad);

#endif /* STICA_COMMON_H */
