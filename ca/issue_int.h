/* SPDX-License-Identifier: ISC */
/*
 * ca/ private declarations of the issuance engine (docs/issuance.md):
 * the certificate builder (ca/build.c), the engine's state
 * (ca/engine.c), issuance (ca/issue.c) and CRLs (ca/crl.c).  Nothing
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

#include "ca/ca.h"
#include "hsm/hsm.h"
#include "policy/policy.h"
#include "store/store.h"

/*
 * Serial numbers: 17 bytes from the CSPRNG with the first byte in
 * 0x01..0x7f, so the INTEGER is positive, needs no leading zero and has
 * at least 128 random bits (RFC 5280 section 4.1.2.2, ATIS-1000080
 * "at least 64 bits of output from a CSPRNG", Boulder's 136 bits).
 */
#define CA_SERIAL_LEN	17

/* ------------------------------------------------------------------ */
/* Builder (ca/build.c)                                               */

/*
 * A subject public key accepted for issuance, and what the CSR said.
 * own holds the SubjectPublicKeyInfo's fields without a decoded key
 * (ca_spki_decode): the key is judged from its bits (ca_key_facts_get)
 * and copied into the certificate field by field (ca_spki_copy).
 */
struct ca_subject_key {
	X509_PUBKEY		*own;		/* owned, or NULL */
	const X509_PUBKEY	*xpk;		/* the key: own, or in a
						 * certificate (ca_spki_load) */
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
 * and judged without decoding the key (out->own).  With into, the key is
 * also decoded straight into that certificate's SubjectPublicKeyInfo, for
 * callers that want a certificate holding a decoded key, and out->xpk
 * borrows it from there; if that fails for want of memory, *into is set
 * to NULL (see ca_spki_install).  Issuance uses neither: it copies
 * out->own with ca_spki_copy.
 */
int	ca_spki_load(const uint8_t *p, size_t len, X509 **into,
    struct ca_subject_key *out, struct st_err *e);
void	ca_subject_key_clear(struct ca_subject_key *);

/*
 * Draw a serial (CA_SERIAL_LEN bytes, first byte 0x01..0x7f).
 * ST_E_CRYPTO when the CSPRNG fails.
 */
int	ca_serial_draw(uint8_t serial[CA_SERIAL_LEN], struct st_err *e);

/*
 * Install a copy of src as (*x)'s subject public key, encoded and
 * decoded (d2i into the certificate), without an EVP_PKEY round trip.
 * ST_E_NOMEM with *x set to NULL (and leaked) when OpenSSL freed the
 * certificate's key on an allocation failure: never free it then.
 * Issuance copies the fields instead (ca_spki_copy, ca/ca_int.h), which
 * decodes nothing.
 */
int	ca_spki_install(X509 **x, const X509_PUBKEY *src, struct st_err *e);

/* RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey. */
int	ca_key_id(const X509_PUBKEY *, uint8_t md[20], struct st_err *e);

/* Extension builders; each appends one extension to x. */
int	ca_ext_basic_constraints(X509 *x, bool ca, int path_len,
    struct st_err *e);
int	ca_ext_key_usage(X509 *x, unsigned bits, struct st_err *e);
int	ca_ext_key_ids(X509 *x, const uint8_t ski[20],
    const ASN1_OCTET_STRING *aki, struct st_err *e);
int	ca_ext_policies(X509 *x, const char *const *oids, size_t n,
    struct st_err *e);
int	ca_ext_crldp(X509 *x, const char *url, struct st_err *e);
int	ca_ext_der(X509 *x, const char *oid, const uint8_t *der, size_t len,
    struct st_err *e);
int	ca_ext_claims(X509 *x, const struct pol_claims *, struct st_err *e);

/*
 * After signing: der must be one Certificate whose tbsCertificate is tbs
 * byte for byte and whose signatureAlgorithm equals the TBS's signature
 * field (RFC 5280 section 4.1.1.2), found with ASN1_get_object.
 * ST_E_LINT (rule e_stica_signed_tbs_equal) when not.
 */
int	ca_signed_tbs_check(const uint8_t *der, size_t len, const uint8_t *tbs,
    size_t tbs_len, struct st_err *e);

/* PEM text of DER under label, malloc'd. */
int	ca_pem_encode(const char *label, const uint8_t *der, size_t len,
    char **out);

/* Lower-case hex of a serial into buf (2 * len + 1 bytes). */
void	ca_serial_hex(const uint8_t *serial, size_t len, char *buf);

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
