/* SPDX-License-Identifier: ISC */
/*
 * The ASN.1 templates of RFC 8226 Appendix A (TN-Module-2016) and RFC 9118
 * Appendix A (EnhancedJWTClaimConstraints-2021).  Both modules are
 * "DEFINITIONS EXPLICIT TAGS", so every context tag here is EXPLICIT.
 */
#include "ca/ca_int.h"

ASN1_CHOICE(TNEntry) = {
	ASN1_EXP(TNEntry, u.spc, ASN1_IA5STRING, 0),
	ASN1_EXP_SEQUENCE_OF(TNEntry, u.range, ASN1_ANY, 1),
	ASN1_EXP(TNEntry, u.one, ASN1_IA5STRING, 2),
} ASN1_CHOICE_END(TNEntry)

IMPLEMENT_ASN1_FUNCTIONS(TNEntry)

ASN1_ITEM_TEMPLATE(TNAuthorizationList) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, TNAuthorizationList,
	    TNEntry)
ASN1_ITEM_TEMPLATE_END(TNAuthorizationList)

IMPLEMENT_ASN1_FUNCTIONS(TNAuthorizationList)

ASN1_SEQUENCE(JWTClaimPermittedValues) = {
	ASN1_SIMPLE(JWTClaimPermittedValues, claim, ASN1_IA5STRING),
	ASN1_SEQUENCE_OF(JWTClaimPermittedValues, permitted, ASN1_UTF8STRING),
} ASN1_SEQUENCE_END(JWTClaimPermittedValues)

IMPLEMENT_ASN1_FUNCTIONS(JWTClaimPermittedValues)

ASN1_SEQUENCE(JWTClaimConstraints) = {
	ASN1_EXP_SEQUENCE_OF_OPT(JWTClaimConstraints, mustInclude,
	    ASN1_IA5STRING, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(JWTClaimConstraints, permittedValues,
	    JWTClaimPermittedValues, 1),
} ASN1_SEQUENCE_END(JWTClaimConstraints)

IMPLEMENT_ASN1_FUNCTIONS(JWTClaimConstraints)

ASN1_SEQUENCE(EnhancedJWTClaimConstraints) = {
	ASN1_EXP_SEQUENCE_OF_OPT(EnhancedJWTClaimConstraints, mustInclude,
	    ASN1_IA5STRING, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(EnhancedJWTClaimConstraints, permittedValues,
	    JWTClaimPermittedValues, 1),
	ASN1_EXP_SEQUENCE_OF_OPT(EnhancedJWTClaimConstraints, mustExclude,
	    ASN1_IA5STRING, 2),
} ASN1_SEQUENCE_END(EnhancedJWTClaimConstraints)

IMPLEMENT_ASN1_FUNCTIONS(EnhancedJWTClaimConstraints)
