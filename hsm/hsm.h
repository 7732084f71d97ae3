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
 * Threads: one struct hsm per process, shared by all threads; every call
 * below is thread-safe.  fork(): the child re-initialises and logs in
 * again on first use.
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

/*
 * Load the module, initialise it (OS locking), find the token named by
 * token_uri and log in.  Errors: ST_E_HSM_MODULE, ST_E_HSM_NOTOKEN,
 * ST_E_HSM_PIN, ST_E_HSM (message names the C_ call and CKR_ code).
 */
int	hsm_open(const struct hsm_params *, struct hsm **out, struct st_err *e)
    ST_MUSTCHECK;
/* Log out, close sessions, C_Finalize, unload.  NULL-safe. */
void	hsm_close(struct hsm *);

/* The private library context the provider is loaded into (borrowed). */
OSSL_LIB_CTX *hsm_libctx(struct hsm *);

/*
 * Find a key pair by URI (object= and/or id=); the URI's token part, if
 * any, must match the open token.  ST_E_HSM_NOKEY when absent.
 */
int	hsm_key_load(struct hsm *, const char *uri, struct hsm_key **out,
    struct st_err *e) ST_MUSTCHECK;
void	hsm_key_free(struct hsm_key *);

/*
 * Generate a key pair inside the token: sensitive, never extractable,
 * sign-only (no decrypt/derive/unwrap), random CKA_ID, CKA_LABEL = label.
 * ST_E_EXISTS if an object with that label exists.
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

/*
 * Prepare mctx for X509_sign_ctx / X509_CRL_sign_ctx / X509_REQ_sign_ctx /
 * EVP_DigestSign with this key: the right digest (SHA-256 for P-256,
 * SHA-384 for P-384) and the provider property query.
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

/* Print slots, tokens and key objects (public parts only) to f. */
int	hsm_list(const struct hsm_params *, FILE *f, struct st_err *e)
    ST_MUSTCHECK;

#endif /* STICA_HSM_H */
