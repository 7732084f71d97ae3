/* SPDX-License-Identifier: ISC */
/*
 * ca/ private declarations of the certificate and CRL builder that
 * issuance (ca/issue.c, ca/engine.c, ca/crl.c) and key ceremonies
 * (ca/ceremony.c) share: serials, key identifiers, the extensions stica
 * writes, the signature algorithm of an HSM key, CRLs and PEM text.
 * Defined in ca/build.c, the CRL parts in ca/crl.c.  Nothing outside ca/
 * sees these.
 */
#ifndef STICA_CA_BUILD_INT_H
#define STICA_CA_BUILD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

struct hsm_key;

/*
 * Serial numbers: 17 bytes from the CSPRNG with the first byte in
 * 0x01..0x7f, so the INTEGER is positive, needs no leading zero and has
 * at least 128 random bits (RFC 5280 section 4.1.2.2, ATIS-1000080
 * "at least 64 bits of output from a CSPRNG", Boulder's 136 bits).
 */
#define CA_SERIAL_LEN	17

/*
 * Draw a serial (CA_SERIAL_LEN bytes, first byte 0x01..0x7f).
 * ST_E_CRYPTO when the CSPRNG fails.
 */
int	ca_serial_draw(uint8_t serial[CA_SERIAL_LEN], struct st_err *e);


/* RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey. */
int	ca_key_id(const X509_PUBKEY *, uint8_t md[20], struct st_err *e);

/*
 * The SKI of an issuer certificate, for the AKI of what it signs: its
 * subjectKeyIdentifier, else computed by method (1).  *out is new.
 */
int	ca_issuer_ski(X509 *issuer, ASN1_OCTET_STRING **out, struct st_err *e);

/*
 * The AlgorithmIdentifier the hsm provider writes for signatures of k
 * (OSSL_SIGNATURE_PARAM_ALGORITHM_ID), so that a TBS can carry it before
 * it is linted: X509_sign_ctx later writes the same bytes.  *out is new.
 */
int	ca_key_sigalg(struct hsm_key *k, X509_ALGOR **out, struct st_err *e);

/* Extension builders; each appends one extension to x. */
int	ca_ext_basic_constraints(X509 *x, bool ca, int path_len,
    struct st_err *e);
/* Bit n of bits is KeyUsage bit n (keyCertSign is 5, cRLSign 6). */
int	ca_ext_key_usage(X509 *x, unsigned bits, struct st_err *e);
/* SKI, then AKI = the issuer's SKI aki, or for aki NULL (a root) ski. */
int	ca_ext_key_ids(X509 *x, const uint8_t ski[20],
    const ASN1_OCTET_STRING *aki, struct st_err *e);
int	ca_ext_policies(X509 *x, const char *const *oids, size_t n,
    struct st_err *e);
/* One DistributionPoint: url, and a cRLIssuer when crl_issuer is set. */
int	ca_ext_crldp(X509 *x, const char *url, const X509_NAME *crl_issuer,
    struct st_err *e);
int	ca_ext_der(X509 *x, const char *oid, const uint8_t *der, size_t len,
    struct st_err *e);

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

/*
 * CRLs (ca/crl.c).  A v2 CRL of issuer (RFC 5280 section 5.1) with
 * thisUpdate and nextUpdate, no entries or extensions yet.
 */
int	ca_crl_new(const X509 *issuer, int64_t this_update, int64_t next_update,
    X509_CRL **out);
/*
 * One revokedCertificates entry (RFC 5280 section 5.1.2.6): serial,
 * revocation date and, for a reason above 0, a reasonCode (section
 * 5.3.1: absent rather than unspecified).
 */
int	ca_crl_revoked_add(X509_CRL *crl, ASN1_INTEGER *serial,
    int64_t date, int reason);
/*
 * The CRL extensions, authorityKeyIdentifier aki (section 5.2.1) and
 * cRLNumber number (section 5.2.3), and the entries sorted.
 */
int	ca_crl_finish(X509_CRL *crl, const ASN1_OCTET_STRING *aki,
    int64_t number);

#endif /* STICA_CA_BUILD_INT_H */
