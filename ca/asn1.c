/* SPDX-License-Identifier: ISC */
/*
 * The ASN.1 templates of RFC 8226 Appendix A (TN-Module-2016) and RFC 9118
 * Appendix A (EnhancedJWTClaimConstraints-2021).  Both modules are
 * "DEFINITIONS EXPLICIT TAGS", so every context tag here is EXPLICIT.
 * Also SubjectPublicKeyInfo and a Certificate around a TBS kept as DER
 * (RFC 5280 section 4.1), and the PKCS#10 request (RFC 2986 section 4,
 * whose module is IMPLICIT TAGS), shaped so that no public key goes
 * through the OpenSSL 3.0 decoders (ca/spki.c, ca/csr.c).
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

ASN1_SEQUENCE(SubjectPublicKeyInfo) = {
	ASN1_SIMPLE(SubjectPublicKeyInfo, algorithm, X509_ALGOR),
	ASN1_SIMPLE(SubjectPublicKeyInfo, subjectPublicKey, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SubjectPublicKeyInfo)

IMPLEMENT_ASN1_FUNCTIONS(SubjectPublicKeyInfo)

ASN1_SEQUENCE(CertificationRequestInfo) = {
	ASN1_SIMPLE(CertificationRequestInfo, version, ASN1_INTEGER),
	ASN1_SIMPLE(CertificationRequestInfo, subject, X509_NAME),
	ASN1_SIMPLE(CertificationRequestInfo, subjectPKInfo, ASN1_ANY),
	ASN1_IMP_SET_OF(CertificationRequestInfo, attributes, X509_ATTRIBUTE,
	    0),
} ASN1_SEQUENCE_END(CertificationRequestInfo)

IMPLEMENT_ASN1_FUNCTIONS(CertificationRequestInfo)

ASN1_SEQUENCE(CertificationRequest) = {
	ASN1_SIMPLE(CertificationRequest, certificationRequestInfo, ASN1_ANY),
	ASN1_SIMPLE(CertificationRequest, signatureAlgorithm, X509_ALGOR),
	ASN1_SIMPLE(CertificationRequest, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(CertificationRequest)

IMPLEMENT_ASN1_FUNCTIONS(CertificationRequest)

ASN1_SEQUENCE(Certificate) = {
	ASN1_SIMPLE(Certificate, tbsCertificate, ASN1_ANY),
	ASN1_SIMPLE(Certificate, signatureAlgorithm, X509_ALGOR),
	ASN1_SIMPLE(Certificate, signatureValue, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(Certificate)

IMPLEMENT_ASN1_FUNCTIONS(Certificate)
