/* SPDX-License-Identifier: ISC */
/*
 * ca/ private declarations: the OpenSSL ASN.1 template types of the
 * RFC 8226 and RFC 9118 modules (named as in the modules), defined in
 * ca/asn1.c.  Nothing outside ca/ sees these.
 */
#ifndef STICA_CA_INT_H
#define STICA_CA_INT_H

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>

#include "ca/ca.h"

DEFINE_STACK_OF(ASN1_IA5STRING)

/*
 * TNEntry ::= CHOICE {
 *   spc    [0] ServiceProviderCode,
 *   range  [1] TelephoneNumberRange,
 *   one    [2] TelephoneNumber }
 *
 * TelephoneNumberRange ::= SEQUENCE { start TelephoneNumber,
 *   count INTEGER (2..MAX), ... }
 *
 * The range is held as a SEQUENCE OF ANY so that the decoder can see
 * extension additions after "count" (the "..." in the module) and tell
 * them from "flattened" start/count pairs; ca/tnauth.c checks the first
 * two elements' types.  The encoder writes exactly {start, count}.
 */
typedef struct TNEntry_st {
	int type;
	union {
		ASN1_IA5STRING		*spc;
		ASN1_SEQUENCE_ANY	*range;
		ASN1_IA5STRING		*one;
	} u;
} TNEntry;

#define TNENTRY_SPC	0
#define TNENTRY_RANGE	1
#define TNENTRY_ONE	2

DECLARE_ASN1_ITEM(TNEntry)
DECLARE_ASN1_FUNCTIONS(TNEntry)
DEFINE_STACK_OF(TNEntry)

/* TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry */
typedef STACK_OF(TNEntry) TNAuthorizationList;
DECLARE_ASN1_ITEM(TNAuthorizationList)
DECLARE_ASN1_FUNCTIONS(TNAuthorizationList)

/*
 * JWTClaimPermittedValues ::= SEQUENCE {
 *   claim JWTClaimName, permitted SEQUENCE SIZE (1..MAX) OF UTF8String }
 * RFC 9118's JWTClaimValues { claim, values } has the same shape and
 * uses this type too.
 */
typedef struct JWTClaimPermittedValues_st {
	ASN1_IA5STRING			*claim;
	STACK_OF(ASN1_UTF8STRING)	*permitted;
} JWTClaimPermittedValues;
DECLARE_ASN1_ITEM(JWTClaimPermittedValues)
DECLARE_ASN1_FUNCTIONS(JWTClaimPermittedValues)
DEFINE_STACK_OF(JWTClaimPermittedValues)

/*
 * JWTClaimConstraints ::= SEQUENCE {
 *   mustInclude [0] JWTClaimNames OPTIONAL,
 *   permittedValues [1] JWTClaimPermittedValuesList OPTIONAL }
 */
typedef struct JWTClaimConstraints_st {
	STACK_OF(ASN1_IA5STRING)		*mustInclude;
	STACK_OF(JWTClaimPermittedValues)	*permittedValues;
} JWTClaimConstraints;
DECLARE_ASN1_ITEM(JWTClaimConstraints)
DECLARE_ASN1_FUNCTIONS(JWTClaimConstraints)

/*
 * EnhancedJWTClaimConstraints ::= SEQUENCE {
 *   mustInclude [0] JWTClaimNames OPTIONAL,
 *   permittedValues [1] JWTClaimValuesList OPTIONAL,
 *   mustExclude [2] JWTClaimNames OPTIONAL }
 */
typedef struct EnhancedJWTClaimConstraints_st {
	STACK_OF(ASN1_IA5STRING)		*mustInclude;
	STACK_OF(JWTClaimPermittedValues)	*permittedValues;
	STACK_OF(ASN1_IA5STRING)		*mustExclude;
} EnhancedJWTClaimConstraints;
DECLARE_ASN1_ITEM(EnhancedJWTClaimConstraints)
DECLARE_ASN1_FUNCTIONS(EnhancedJWTClaimConstraints)

/*
 * SubjectPublicKeyInfo ::= SEQUENCE {
 *   algorithm         AlgorithmIdentifier,
 *   subjectPublicKey  BIT STRING }
 * (RFC 5280 section 4.1).  OpenSSL's X509_PUBKEY has the same shape but
 * decodes the key through the OpenSSL 3.0 decoders while parsing (about
 * 110 us, hsm-notes.md section 4.1); this type leaves the key as bits,
 * and ca/spki.c judges it.
 */
typedef struct SubjectPublicKeyInfo_st {
	X509_ALGOR	*algorithm;
	ASN1_BIT_STRING	*subjectPublicKey;
} SubjectPublicKeyInfo;
DECLARE_ASN1_ITEM(SubjectPublicKeyInfo)
DECLARE_ASN1_FUNCTIONS(SubjectPublicKeyInfo)

/*
 * CertificationRequestInfo ::= SEQUENCE {
 *   version       INTEGER { v1(0) },
 *   subject       Name,
 *   subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *   attributes    [0] Attributes{{ CRIAttributes }} }
 * (RFC 2986 section 4.1; attributes is IMPLICIT).  The key is kept as its
 * DER (ANY) so that ca_spki_decode judges it, strictly and without the
 * OpenSSL key decoders.
 */
typedef struct CertificationRequestInfo_st {
	ASN1_INTEGER			*version;
	X509_NAME			*subject;
	ASN1_TYPE			*subjectPKInfo;
	STACK_OF(X509_ATTRIBUTE)	*attributes;
} CertificationRequestInfo;
DECLARE_ASN1_ITEM(CertificationRequestInfo)
DECLARE_ASN1_FUNCTIONS(CertificationRequestInfo)

/*
 * CertificationRequest ::= SEQUENCE {
 *   certificationRequestInfo CertificationRequestInfo,
 *   signatureAlgorithm       AlgorithmIdentifier,
 *   signature                BIT STRING }
 * (RFC 2986 section 4.2).  The info is kept as its DER (ANY): the
 * signature covers exactly those bytes.
 */
typedef struct CertificationRequest_st {
	ASN1_TYPE	*certificationRequestInfo;
	X509_ALGOR	*signatureAlgorithm;
	ASN1_BIT_STRING	*signature;
} CertificationRequest;
DECLARE_ASN1_ITEM(CertificationRequest)
DECLARE_ASN1_FUNCTIONS(CertificationRequest)

/*
 * Certificate ::= SEQUENCE {
 *   tbsCertificate      TBSCertificate,
 *   signatureAlgorithm  AlgorithmIdentifier,
 *   signatureValue      BIT STRING }
 * (RFC 5280 section 4.1), with the TBS as its DER (ANY): issuance
 * assembles the certificate from the very TBS bytes that were linted,
 * recorded and signed, instead of encoding the TBS again.
 */
typedef struct Certificate_st {
	ASN1_TYPE	*tbsCertificate;
	X509_ALGOR	*signatureAlgorithm;
	ASN1_BIT_STRING	*signatureValue;
} Certificate;
DECLARE_ASN1_ITEM(Certificate)
DECLARE_ASN1_FUNCTIONS(Certificate)

/*
 * Strict-DER helpers shared by the codecs (ca/der.c).
 *
 * ca_der_diagnose walks the TLV structure with OpenSSL's ASN1_get_object
 * and reports the first header that is malformed or runs past its
 * parent, as "<what>: truncated ... at offset N".  Returns an ST_E_ASN1
 * code with e filled, or 0 when every header is sound.
 */
int	ca_der_diagnose(const uint8_t *der, size_t len, const char *what,
    struct st_err *e);
/*
 * Compare a re-encoding with the input; on mismatch report the first
 * differing offset as an X.690 DER violation (ST_E_DER).
 */
int	ca_der_same(const uint8_t *in, size_t inlen, const uint8_t *re,
    size_t relen, const char *what, struct st_err *e);

/*
 * Subject public keys without the OpenSSL 3.0 key decoders (ca/spki.c).
 *
 * What a key is, from its SubjectPublicKeyInfo: EC keys on a named P-256
 * or P-384 curve are judged from the bits (uncompressed point, on the
 * curve: EC_POINT_oct2point and EC_POINT_is_on_curve on a group built
 * once); every other key goes through OpenSSL's decoder and, when asked,
 * EVP_PKEY_public_check, as before.
 */
struct ca_key_facts {
	unsigned	type;		/* CA_KEY_EC_P256, CA_KEY_EC_P384,
					 * CA_KEY_RSA (any size); 0: other */
	int		bits;		/* curve or modulus size; 0: unknown */
	int		ec_params;	/* id-ecPublicKey: the parameters'
					 * V_ASN1_* type (OBJECT: namedCurve);
					 * V_ASN1_UNDEF for other keys */
	int		curve_nid;	/* a named curve, or NID_undef */
	bool		decodes;	/* the key decodes */
	bool		valid;		/* ... and passes the key check */
	char		desc[64];	/* "EC prime256v1", "RSA 2048 bits" */
	char		why[128];	/* when !decodes or !valid */
};

/*
 * Judge the key of xpk.  check: also run EVP_PKEY_public_check on keys
 * that take OpenSSL's decoder (the fast EC path always checks that the
 * point is on the curve, which for these prime-order curves is the whole
 * public-key check).  Returns 0 with f filled, or ST_E_NOMEM.
 */
int	ca_key_facts_get(const X509_PUBKEY *xpk, bool check,
    struct ca_key_facts *f);
/*
 * A SubjectPublicKeyInfo in DER, strictly (one element, no trailing
 * bytes, canonical DER, a BIT STRING without unused bits), as an
 * X509_PUBKEY holding the fields but no decoded key.  ST_E_ASN1 or
 * ST_E_DER with e naming the fault.
 */
int	ca_spki_decode(const uint8_t *der, size_t len, X509_PUBKEY **out,
    struct st_err *e);
/*
 * Copy src's fields into x's SubjectPublicKeyInfo with
 * X509_PUBKEY_set0_param: no EVP_PKEY, no encoder (hsm-notes.md section
 * 4.1).  The certificate then holds no decoded key (X509_get0_pubkey is
 * NULL); ca_key_facts_get judges it.
 */
int	ca_spki_copy(X509 *x, const X509_PUBKEY *src, struct st_err *e);
/*
 * The same into any SubjectPublicKeyInfo, such as a request's
 * (X509_REQ_get_X509_PUBKEY) or a fresh X509_PUBKEY's.
 */
int	ca_pubkey_copy(X509_PUBKEY *dst, const X509_PUBKEY *src,
    struct st_err *e);
/*
 * An EVP_PKEY of xpk's key for verifying, the fast way for EC P-256 and
 * P-384 (the domain parameters copied from a key made once, then the
 * point), else through OpenSSL's decoder.  ST_E_BADCSR when it does not
 * decode.
 */
int	ca_spki_pkey(const X509_PUBKEY *xpk, EVP_PKEY **out, struct st_err *e);

/*
 * A PKCS#10 request (RFC 2986), read with the templates above: its
 * self-signature verified with EVP_DigestVerify over the exact
 * CertificationRequestInfo bytes (RFC 2986 section 3), its key decoded
 * strictly (ca_spki_decode), its extensionRequest's basicConstraints
 * read (RFC 9448 section 6 step 9).  Keys and algorithms off the fast
 * path (RSA, RSASSA-PSS, EdDSA) are verified by OpenSSL's own
 * X509_REQ_verify, as before.  ST_E_BADCSR for anything wrong.
 */
struct ca_csr {
	X509_PUBKEY	*xpk;		/* the subject key, not decoded */
	bool		 bc;		/* basicConstraints was requested */
	bool		 bc_ca;		/* ... with cA TRUE */
};
int	ca_csr_decode(const uint8_t *der, size_t len, struct ca_csr *out,
    struct st_err *e);
void	ca_csr_clear(struct ca_csr *);

#endif /* STICA_CA_INT_H */
