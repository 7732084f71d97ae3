/* SPDX-License-Identifier: ISC */
/*
 * hsm/: the signing oracle.  Keys live in a PKCS#11 token; every
 * signature stica makes goes through here.  Callers see an ordinary
 * OpenSSL EVP_PKEY backed by an in-project OpenSSL 3 provider that lives
 * in a private OSSL_LIB_CTX, plus a raw digest-signing call for JWS.
 * Nothing outside hsm/ includes a PKCS#11 header.
 *
 * Keys and tokens are named by RFC 7512 PKCS#11 URIs
 * ("pkcs11:token=ca;object=root-2026;pin-source=file:/etc/stica/pin").
 * PINs come from pin-source=file:... or an environment variable, never
 * from argv, and are never logged.
 *
 * Threads: one struct hsm per token, shared by all threads; every call
 * below is thread-safe.  Several struct hsm (several tokens) may share one
 * module; it is loaded and C_Initialize'd once per process.  fork(): the
 * child re-initialises and logs in again on first use.  A lost session,
 * a token or daemon restart, or a removed and reinserted token is
 * recovered on the next call (re-open, re-login, re-find the keys, retry
 * once); while the token is gone, calls fail with ST_E_HSM_NOTOKEN.
 * Design, measured figures and the recovery rules: docs/hsm.md.
 */
#ifndef STICA_HSM_H
#define STICA_HSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "common/common.h"

struct hsm;
struct hsm_key;

/* Property query that selects the provider's algorithms. */
#define HSM_PROPQ "provider=stica-hsm"

enum hsm_keytype {
	HSM_KEY_EC_P256 = 0,	/* default: ES256 / ecdsa-with-SHA256 */
	HSM_KEY_EC_P384 = 1,
	HSM_KEY_RSA_2048 = 2,
	HSM_KEY_RSA_3072 = 3
};

struct hsm_params {
	const char	*module;	/* path of the PKCS#11 module */
	const char	*token_uri;	/* pkcs11: URI naming the token (+pin) */
	const char	*pin_env;	/* env var holding the PIN, or NULL */
	unsigned	 max_sessions;	/* session pool bound; 0 = default */
};

/* Default PKCS#11 module when hsm_params.module is NULL: $STICA_PKCS11_MODULE
 * or else this path. */
#define HSM_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define HSM_MODULE_ENV	   "STICA_PKCS11_MODULE"

/*
 * Load the module, initialise it (OS locking), find the token named by
 * token_uri and log in.  Errors: ST_E_HSM_MODULE, ST_E_HSM_NOTOKEN,
 * ST_E_HSM_PIN, ST_E_HSM (message names the C_ call and CKR_ code),
 * ST_E_USAGE / ST_E_SYNTAX for a bad URI.  The PIN comes from pin_env if
 * set, else from the URI's pin-source=file:PATH; a URI carrying pin-value
 * is refused.  The PIN is read again (and wiped again) whenever a login
 * is needed after fork or recovery, so the file or variable must stay;
 * a PIN the token refused is not tried again.  Login state belongs to
 * the process: a token this process is logged in to already is not
 * logged in again, so the PIN is not checked then.  module NULL means
 * HSM_MODULE_ENV or HSM_DEFAULT_MODULE.
 */
int	hsm_open(const struct hsm_params *, struct hsm **out, struct st_err *e)
    ST_MUSTCHECK;
/*
 * Close this token's sessions (its login ends with the last of them; no
 * C_Logout, which would log out other users of the token in this process),
 * then C_Finalize and unload the module if this was its last user.
 * Free every hsm_key (and every EVP_PKEY from hsm_key_pkey you took a
 * reference to) first.  NULL-safe.
 */
void	hsm_close(struct hsm *);

/* The token's label (borrowed, lives as long as the hsm). */
const char *hsm_token_label(const struct hsm *);

/*
 * Initialise a token through PKCS#11 (no softhsm2-util): load module
 * (NULL: as hsm_open), refuse with ST_E_EXISTS if a token labelled label
 * is already initialised, else take the first slot whose token is not
 * initialised (SoftHSM's free slot), C_InitToken it with so_pin and label,
 * log in as SO and C_InitPIN the user_pin.  ST_E_HSM_NOTOKEN when no free
 * slot exists; ST_E_HSM_PIN when a PIN's length is outside the token's
 * range; ST_E_USAGE for a label longer than 32 bytes.  The PINs are the
 * caller's (not copied, not wiped).  Afterwards open it with hsm_open and
 * "pkcs11:token=<label>".
 */
int	hsm_token_init(const char *module, const char *label, const char *so_pin,
    const char *user_pin, struct st_err *e) ST_MUSTCHECK;

/* The private library context the provider is loaded into (borrowed). */
OSSL_LIB_CTX *hsm_libctx(struct hsm *);

/*
 * Find a key pair by URI (object= and/or id=; type= if given must be
 * private); the URI's token part, if any, must match the open token.
 * The private key must be unique; its public half comes from the public
 * key object with the same CKA_ID (or, for RSA, from the private key).
 * ST_E_HSM_NOKEY when absent, ST_E_HSM when ambiguous or unsupported.
 */
int	hsm_key_load(struct hsm *, const char *uri, struct hsm_key **out,
    struct st_err *e) ST_MUSTCHECK;
void	hsm_key_free(struct hsm_key *);

/*
 * Check, without loading any module, what hsm_open would refuse in a
 * token URI: RFC 7512 syntax, pin-value, the pin-source form, and
 * module-path / module-name against module (NULL: as hsm_open).  Sets
 * *pin_file to the pin-source file (malloc'd) or NULL.  For dry runs.
 */
int	hsm_token_uri_check(const char *module, const char *token_uri,
    char **pin_file, struct st_err *e) ST_MUSTCHECK;
/*
 * One PIN source at most: ST_E_USAGE "PIN given twice: ..." when both a
 * pin-source file (from the token URI) and an environment variable name
 * are given.  What hsm_open and hsm_list refuse; for callers that check
 * early (ceremony files).
 */
int	hsm_pin_sources_check(const char *pin_file, const char *pin_env,
    struct st_err *e) ST_MUSTCHECK;
/*
 * Check that a pin-source file can be opened for reading as hsm_open
 * opens it (a regular file, not through a symbolic link), without
 * reading it.  ST_E_HSM_PIN with the reason otherwise.
 */
int	hsm_pin_file_check(const char *path, struct st_err *e) ST_MUSTCHECK;

/* Longest key label, in bytes. */
#define HSM_LABEL_MAX	64
/*
 * A key label stica accepts: 1 to HSM_LABEL_MAX bytes of UTF-8 (CKA_LABEL
 * is RFC 2279 UTF-8, PKCS#11 v2.40 section 4.4; checked as RFC 3629)
 * without control characters (C0, DEL, C1).  ST_E_USAGE naming the
 * offending byte otherwise; the label itself is not echoed.
 */
int	hsm_label_check(const char *label, struct st_err *e) ST_MUSTCHECK;

/*
 * Generate a key pair inside the token: sensitive, never extractable,
 * sign-only (no decrypt/derive/unwrap), random CKA_ID, CKA_LABEL = label
 * (hsm_label_check).  ST_E_EXISTS if an object with that label exists,
 * and also when another generation (another thread or process) made an
 * object with that label at the same time and kept it: the label is
 * looked up again after C_GenerateKeyPair, and a pair that is not alone
 * with its label is destroyed again, so at most one survives.
 */
int	hsm_key_generate(struct hsm *, const char *label, enum hsm_keytype,
    struct hsm_key **out, struct st_err *e) ST_MUSTCHECK;

/*
 * The key as an EVP_PKEY whose private operations run in the token
 * (borrowed; lives as long as the key).  Sign with hsm_key_sign_init.
 */
EVP_PKEY *hsm_key_pkey(struct hsm_key *);
/* The public key in the default library context (borrowed). */
EVP_PKEY *hsm_key_pubkey(struct hsm_key *);
/* DER SubjectPublicKeyInfo (borrowed). */
const uint8_t *hsm_key_spki(struct hsm_key *, size_t *len);
const char *hsm_key_label(const struct hsm_key *);
enum hsm_keytype hsm_key_type(const struct hsm_key *);
/* CKA_ID (borrowed). */
const uint8_t *hsm_key_id(const struct hsm_key *, size_t *len);
/*
 * RFC 7512 URI naming the private key: "pkcs11:token=...;id=...;
 * object=...;type=private" (borrowed; no PIN attribute).
 */
const char *hsm_key_uri(const struct hsm_key *);
/* JWS "alg" of hsm_key_sign_jws: "ES256", "ES384" or "RS256". */
const char *hsm_key_jws_alg(const struct hsm_key *);
/* Name of a key type ("ec-p256", ...); hsm_keytype_parse is its inverse
 * (ST_E_USAGE for an unknown name). */
const char *hsm_keytype_name(enum hsm_keytype);
int	hsm_keytype_parse(const char *name, enum hsm_keytype *out,
    struct st_err *e) ST_MUSTCHECK;

/*
 * Prepare mctx for X509_sign_ctx / X509_CRL_sign_ctx / X509_REQ_sign_ctx /
 * EVP_DigestSign with this key: the right digest (SHA-256 for P-256 and
 * RSA, SHA-384 for P-384), the private library context and the provider
 * property query.  Never sign with plain X509_sign: it would pick the
 * default provider and fail.  RSA signs PKCS#1 v1.5; for PSS, set
 * RSA_PKCS1_PSS_PADDING on EVP_MD_CTX_get_pkey_ctx(mctx) afterwards.
 */
int	hsm_key_sign_init(struct hsm_key *, EVP_MD_CTX *mctx, struct st_err *e)
    ST_MUSTCHECK;

/*
 * Sign a message for JWS: hash it and return the raw signature (r||s for
 * ECDSA, as JWS ES256/ES384 wants it).  *siglen in: buffer size; out:
 * bytes written.  The signature is verified before it is returned.
 */
int	hsm_key_sign_jws(struct hsm_key *, const uint8_t *msg, size_t len,
    uint8_t *sig, size_t *siglen, struct st_err *e) ST_MUSTCHECK;

/*
 * Sign a precomputed digest (32, 48 or 64 bytes: SHA-256/384/512) and
 * return the raw signature: r||s for ECDSA, RSASSA-PKCS1-v1_5 for RSA.
 * Verified with the public key before it is returned.  *siglen in: buffer
 * size; out: bytes written.
 */
int	hsm_key_sign_digest(struct hsm_key *, const uint8_t *dgst, size_t dlen,
    uint8_t *sig, size_t *siglen, struct st_err *e) ST_MUSTCHECK;

/*
 * Print slots, tokens and key objects (public parts only) to f.  All
 * params fields may be NULL: token_uri restricts the listing to matching
 * tokens; with a PIN (as for hsm_open) private key objects are listed too.
 */
int	hsm_list(const struct hsm_params *, FILE *f, struct st_err *e)
    ST_MUSTCHECK;

#endif /* STICA_HSM_H */
