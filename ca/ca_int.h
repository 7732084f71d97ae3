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

#endif /* STICA_CA_INT_H */
