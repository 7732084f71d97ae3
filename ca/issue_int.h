/* SPDX-License-Identifier: ISC */
/*
 * ca/ private declarations of the issuance engine (docs/issuance.md):
 * reading requests (ca/build.c) and the engine's state (ca/engine.c),
 * for issuance (ca/issue.c) and CRLs (ca/crl.c).  The certificate and
 * CRL builder they share with key ceremonies is ca/build_int.h.  Nothing
 * outside ca/ sees these.
 */
#ifndef STICA_CA_ISSUE_INT_H
#define STICA_CA_ISSUE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/build_int.h"
#include "ca/ca.h"
#include "hsm/hsm.h"
#include "policy/policy.h"
#include "store/store.h"

/* ------------------------------------------------------------------ */
/* Requests (ca/build.c)                                              */

/*
 * A subject public key accepted for issuance, and what the CSR said.
 * own holds the SubjectPublicKeyInfo's fields without a decoded key
 * (ca_spki_decode): the key is judged from its bits (ca_key_facts_get)
 * and copied into the certificate field by field (ca_spki_copy).
 */
struct ca_subject_key {
	X509_PUBKEY		*own;		/* owned, or NULL */
	const X509_PUBKEY	*xpk;		/* the key (own) */
	enum pol_key_type	 type;
	int			 bits;
	bool			 from_csr;
	bool			 csr_bc;	/* the CSR asks for basicConstraints */
	bool			 csr_ca;	/* ... with cA TRUE */
};

/*
 * The DER inside p: PEM with one of the labels (label2 may be NULL),
 * base64 of DER, or DER itself (first byte 0x30).  *der is malloc'd.
 */
int	ca_input_der(const uint8_t *p, size_t len, const char *what,
    const char *label, const char *label2, uint8_t **der, size_t *dlen,
    struct st_err *e);

/*
 * A PKCS#10 request (RFC 2986): parsed and its self-signature verified
 * without the OpenSSL key decoders (ca_csr_decode), its key judged, its
 * basicConstraints noted.  ST_E_BADCSR for anything wrong with it.
 */
int	ca_csr_load(const uint8_t *p, size_t len, struct ca_subject_key *out,
    struct st_err *e);
/*
 * A SubjectPublicKeyInfo (PEM "PUBLIC KEY", base64 or DER), read strictly
 * and judged without decoding the key (out->own), to be copied into the
 * certificate field by field (ca_spki_copy).
 */
int	ca_spki_load(const uint8_t *p, size_t len, struct ca_subject_key *out,
    struct st_err *e);
void	ca_subject_key_clear(struct ca_subject_key *);

/* JWTClaimConstraints or EnhancedJWTClaimConstraints from a profile. */
int	ca_ext_claims(X509 *x, const struct pol_claims *, struct st_err *e);

/* ------------------------------------------------------------------ */
/* Engine state (ca/engine.c)                                         */

struct ca_issuer {
	char			 *name;
	struct hsm_key		 *key;
	X509			 *cert;
	X509			**above;	/* the issuer, then the CAs above
						 * it from its chain file */
	size_t			  nabove;
	struct ca_scope		**above_scopes;	/* parallel; NULL: none */
	X509_ALGOR		 *sigalg;	/* of the key, from the provider */
	ASN1_OCTET_STRING	 *ski;		/* AKI keyid of what it issues */
	int64_t			  not_before;
	int64_t			  not_after;
	char			 *chain_pem;	/* served after a leaf */
	unsigned		  ku;		/* KU_* bits; 0 when no keyUsage */
};

struct ca_spc_ent {
	char		*spc;
	struct ca_scope	*scope;
};

struct ca_scope_cache_ent {
	const char *const	*key;
	size_t			 n;
	struct ca_scope		*scope;
};

struct ca_engine {
	struct pol			*pol;
	struct hsm			*hsm;
	struct ca_issuer		*iss;
	size_t				 niss;
	struct ca_spc_ent		*spc;	/* sorted by spc */
	size_t				 nspc;
	struct ca_spc_map		 map;
	char				*store_uri;
	/*
	 * Held around each write transaction, so that this process's
	 * batches take turns on it instead of meeting in SQLite's busy
	 * handler, which sleeps in steps of milliseconds; other processes
	 * still meet there.
	 */
	pthread_mutex_t			 store_mu;
	pthread_mutex_t			 mu;	/* guards what follows */
	struct ca_scope_cache_ent	*cache;
	size_t				 ncache;
	struct store			**pool;	/* idle store handles */
	size_t				 npool;
	size_t				 cappool;
};

/* The configured issuer called name, or NULL. */
struct ca_issuer *ca_engine_issuer(struct ca_engine *, const char *name);

/* Take a store handle (opening one if none is idle) and give it back. */
int	ca_engine_store_take(struct ca_engine *, struct store **out,
    struct st_err *e);
void	ca_engine_store_put(struct ca_engine *, struct store *);
/* Take and give back the turn to write to the store (store_mu). */
void	ca_engine_store_lock(struct ca_engine *);
void	ca_engine_store_unlock(struct ca_engine *);

/*
 * pol_within_fn: the requested SPECs against the allowed ones, through
 * the SPC map; allowed scopes are cached (they are the policy's arrays,
 * immutable until pol_free).
 */
int	ca_engine_within(void *arg, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why);

/* The scope of SPEC strings (uncached). */
int	ca_scope_from_specs(const char *const *v, size_t n,
    struct ca_scope **out, struct st_err *e);

#endif /* STICA_CA_ISSUE_INT_H */
