/* SPDX-License-Identifier: ISC */
/*
 * Test certificates built in C with software keys (EVP_EC_gen, X509_sign),
 * for the linter and chain-verification tests (tests/unit/test_lint.c,
 * tests/unit/test_verify.c).  Independent of the HSM module on purpose:
 * the linter must not depend on it.
 *
 * ck_build makes a certificate from a ck_spec with the extensions stica's
 * profiles write (BC, KU, SKI by RFC 5280 section 4.2.1.2 method 1, AKI =
 * the issuer's SKI, optional CP, CRLDP and TNAuthList) and leaves it
 * unsigned with its TBS signature algorithm already set, as the
 * certificate builder does before linting; ck_sign signs it.  The other
 * helpers break one field at a time.
 */
#ifndef STICA_TEST_CERTKIT_H
#define STICA_TEST_CERTKIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

#define CK_UNUSED __attribute__((unused))

struct ck_spec {
	const char	*c, *o, *cn;	/* subject (NULL: omitted) */
	bool		 ca;
	long		 pathlen;	/* -1: none */
	const char	*ku;		/* X509V3 conf value; NULL: none */
	const char	*tn[6];		/* TNAuthList SPECs; NULL: none */
	const char	*policy;	/* certificatePolicies OID */
	const char	*crl_uri;	/* CRLDP fullName URI */
	bool		 crl_issuer;	/* CRLDP cRLIssuer dirName */
	long		 nb, na;	/* validity, seconds from now */
	bool		 aki_on_root;	/* self-signed: AKI = own SKI */
};

/* A fresh EC key on the named curve ("P-256", "P-384"). */
CK_UNUSED static EVP_PKEY *
ck_key_ec(const char *curve)
{
	return EVP_EC_gen(curve);
}

/* The digest stica signs with for the key: SHA-384 for P-384, else SHA-256. */
CK_UNUSED static const EVP_MD *
ck_md_for(EVP_PKEY *k)
{
	char	g[64];

	if (EVP_PKEY_is_a(k, "EC") &&
	    EVP_PKEY_get_group_name(k, g, sizeof(g), NULL) == 1 &&
	    strcmp(g, "secp384r1") == 0)
		return EVP_sha384();
	return EVP_sha256();
}

/*
 * Set the TBS signature AlgorithmIdentifier without signing.  OpenSSL
 * has no setter for it, so the field is reached through its const getter
 * (it lives inside x; this is what a builder that lints before signing
 * does).
 */
CK_UNUSED static void
ck_set_tbs_alg(X509 *x, int nid, int ptype)
{
	X509_ALGOR	*alg;

	alg = (X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(x);
	(void)X509_ALGOR_set0(alg, OBJ_nid2obj(nid), ptype, NULL);
}

/* The TBS algorithm the key k signs with. */
CK_UNUSED static void
ck_set_tbs_alg_for(X509 *x, EVP_PKEY *k)
{
	const EVP_MD	*md = ck_md_for(k);

	if (EVP_PKEY_is_a(k, "RSA"))
		ck_set_tbs_alg(x, NID_sha256WithRSAEncryption, V_ASN1_NULL);
	else
		ck_set_tbs_alg(x, md == EVP_sha384() ? NID_ecdsa_with_SHA384 :
		    NID_ecdsa_with_SHA256, V_ASN1_UNDEF);
}

CK_UNUSED static int
ck_sign(X509 *x, EVP_PKEY *ikey)
{
	return X509_sign(x, ikey, ck_md_for(ikey)) > 0 ? 0 : -1;
}

/* Add an extension from its DER value. */
CK_UNUSED static int
ck_add_ext_der(X509 *x, const char *oid, int crit, const uint8_t *der,
    size_t len)
{
	ASN1_OBJECT		*o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*ext = NULL;
	int			 rc = -1;

	if (o != NULL && os != NULL &&
	    ASN1_OCTET_STRING_set(os, der, (int)len) &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, o, crit, os)) != NULL &&
	    X509_add_ext(x, ext, -1))
		rc = 0;
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
	return rc;
}

/* Add an extension from an X509V3 configuration value (KU, EKU, ...). */
CK_UNUSED static int
ck_add_ext_conf(X509 *x, int nid, const char *value)
{
	X509_EXTENSION	*ext;
	int		 rc = -1;

	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value)) != NULL &&
	    X509_add_ext(x, ext, -1))
		rc = 0;
	X509_EXTENSION_free(ext);
	return rc;
}

/* Delete every instance of extension nid. */
CK_UNUSED static void
ck_del_ext(X509 *x, int nid)
{
	int	i;

	while ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
}

/* Set the criticality of extension nid. */
CK_UNUSED static void
ck_set_crit(X509 *x, int nid, int crit)
{
	int	i;

	if ((i = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		(void)X509_EXTENSION_set_critical(X509_get_ext(x, i), crit);
}

/* Add a TNAuthList of SPECs (v NULL-terminated or n entries). */
CK_UNUSED static int
ck_add_tnauth(X509 *x, const char *const *v, size_t n, int crit)
{
	struct ca_tnauth	*l = ca_tnauth_new();
	uint8_t			*der = NULL;
	size_t			 len, i;
	int			 rc = -1;

	if (l == NULL)
		return -1;
	for (i = 0; i < n && v[i] != NULL; i++)
		if (ca_tnauth_add_spec(l, v[i], NULL) != 0)
			goto out;
	if (ca_tnauth_encode(l, &der, &len, NULL) != 0)
		goto out;
	rc = ck_add_ext_der(x, CA_OID_TNAUTHLIST, crit, der, len);
out:
	OPENSSL_free(der);
	ca_tnauth_free(l);
	return rc;
}

/* Add JWTClaimConstraints or EnhancedJWTClaimConstraints (mustInclude foo). */
CK_UNUSED static int
ck_add_claims(X509 *x, bool enhanced, int crit)
{
	struct ca_claims	*c = ca_claims_new(enhanced);
	uint8_t			*der = NULL;
	size_t			 len;
	int			 rc = -1;

	if (c == NULL)
		return -1;
	if ((c->must_include = calloc(1, sizeof(char *))) == NULL ||
	    (c->must_include[0] = strdup("foo")) == NULL)
		goto out;
	c->n_must_include = 1;
	if (ca_claims_encode(c, &der, &len, NULL) != 0)
		goto out;
	rc = ck_add_ext_der(x, enhanced ? CA_OID_EJWTCLAIMS : CA_OID_JWTCLAIMS,
	    crit, der, len);
out:
	OPENSSL_free(der);
	ca_claims_free(c);
	return rc;
}

/* SKI by RFC 5280 section 4.2.1.2 method (1). */
CK_UNUSED static int
ck_add_ski(X509 *x)
{
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	int			 rc = -1;

	if (os != NULL && X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) &&
	    ASN1_OCTET_STRING_set(os, md, (int)mdlen) &&
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rc = 0;
	ASN1_OCTET_STRING_free(os);
	return rc;
}

/* AKI with keyIdentifier = id. */
CK_UNUSED static int
ck_add_aki(X509 *x, const unsigned char *id, size_t len)
{
	AUTHORITY_KEYID	*a = AUTHORITY_KEYID_new();
	int		 rc = -1;

	if (a != NULL && (a->keyid = ASN1_OCTET_STRING_new()) != NULL &&
	    ASN1_OCTET_STRING_set(a->keyid, id, (int)len) &&
	    X509_add1_ext_i2d(x, NID_authority_key_identifier, a, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rc = 0;
	AUTHORITY_KEYID_free(a);
	return rc;
}

/* certificatePolicies with the given OIDs. */
CK_UNUSED static int
ck_add_policies(X509 *x, const char *const *oids, size_t n, int crit)
{
	CERTIFICATEPOLICIES	*cp = CERTIFICATEPOLICIES_new();
	POLICYINFO		*pi;
	size_t			 i;
	int			 rc = -1;

	if (cp == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((pi = POLICYINFO_new()) == NULL)
			goto out;
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_txt2obj(oids[i], 1)) == NULL ||
		    !sk_POLICYINFO_push(cp, pi)) {
			POLICYINFO_free(pi);
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_certificate_policies, cp, crit,
	    X509V3_ADD_DEFAULT) == 1)
		rc = 0;
out:
	CERTIFICATEPOLICIES_free(cp);
	return rc;
}

/*
 * cRLDistributionPoints: ndp DistributionPoints, each a fullName URI and
 * (with issuer) a cRLIssuer directoryName "CN=STI-PA CRL,O=STI-PA,C=US".
 */
CK_UNUSED static int
ck_add_crldp(X509 *x, const char *uri, bool issuer, int ndp)
{
	CRL_DIST_POINTS	*dps = sk_DIST_POINT_new_null();
	DIST_POINT	*dp;
	GENERAL_NAME	*gn;
	X509_NAME	*nm;
	int		 i, rc = -1;

	if (dps == NULL)
		return -1;
	for (i = 0; i < ndp; i++) {
		if ((dp = DIST_POINT_new()) == NULL)
			goto out;
		if (!sk_DIST_POINT_push(dps, dp)) {
			DIST_POINT_free(dp);
			goto out;
		}
		if ((dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
		    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) ==
		    NULL || (gn = GENERAL_NAME_new()) == NULL)
			goto out;
		dp->distpoint->type = 0;
		gn->type = GEN_URI;
		if ((gn->d.uniformResourceIdentifier = ASN1_IA5STRING_new()) ==
		    NULL || !ASN1_STRING_set(gn->d.uniformResourceIdentifier,
		    uri, -1) || !sk_GENERAL_NAME_push(
		    dp->distpoint->name.fullname, gn)) {
			GENERAL_NAME_free(gn);
			goto out;
		}
		if (!issuer)
			continue;
		if ((dp->CRLissuer = GENERAL_NAMES_new()) == NULL ||
		    (gn = GENERAL_NAME_new()) == NULL)
			goto out;
		if ((nm = X509_NAME_new()) == NULL) {
			GENERAL_NAME_free(gn);
			goto out;
		}
		gn->type = GEN_DIRNAME;
		gn->d.dirn = nm;
		if (!X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC,
		    (const unsigned char *)"US", -1, -1, 0) ||
		    !X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
		    (const unsigned char *)"STI-PA", -1, -1, 0) ||
		    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
		    (const unsigned char *)"STI-PA CRL", -1, -1, 0) ||
		    !sk_GENERAL_NAME_push(dp->CRLissuer, gn)) {
			GENERAL_NAME_free(gn);
			goto out;
		}
	}
	if (X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rc = 0;
out:
	CRL_DIST_POINTS_free(dps);
	return rc;
}

/* A positive serial of n random octets (the top one 0x01..0x7f). */
CK_UNUSED static int
ck_set_serial(X509 *x, size_t n)
{
	unsigned char	b[32];
	BIGNUM		*bn;
	int		 rc = -1;

	if (n == 0 || n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return -1;
	b[0] = (unsigned char)(0x01 + b[0] % 0x7f);
	if ((bn = BN_bin2bn(b, (int)n, NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

/* Set a subject attribute (txt "C", "O", "CN"). */
CK_UNUSED static int
ck_name_add(X509_NAME *n, const char *txt, const char *v)
{
	return X509_NAME_add_entry_by_txt(n, txt, MBSTRING_UTF8,
	    (const unsigned char *)v, -1, -1, 0) ? 0 : -1;
}

/*
 * Build a certificate for key under issuer (NULL: self-signed) with the
 * issuer key ikey (for the TBS algorithm only): unsigned, TBS algorithm
 * set.  NULL on failure.
 */
CK_UNUSED static X509 *
ck_build(const struct ck_spec *sp, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey)
{
	const ASN1_OCTET_STRING	*iski;
	BASIC_CONSTRAINTS	*bc = NULL;
	X509_NAME		*sn;
	X509			*x;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	size_t			 ntn = 0;

	if ((x = X509_new()) == NULL)
		return NULL;
	sn = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) || ck_set_serial(x, 16) ||
	    (sp->c != NULL && ck_name_add(sn, "C", sp->c)) ||
	    (sp->o != NULL && ck_name_add(sn, "O", sp->o)) ||
	    (sp->cn != NULL && ck_name_add(sn, "CN", sp->cn)) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : sn) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), sp->nb) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), sp->na) == NULL ||
	    !X509_set_pubkey(x, key))
		goto fail;
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		goto fail;
	bc->ca = sp->ca ? 0xff : 0;
	if (sp->pathlen >= 0 && ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set(bc->pathlen, sp->pathlen)))
		goto fail;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT) != 1)
		goto fail;
	if (sp->ku != NULL && ck_add_ext_conf(x, NID_key_usage, sp->ku))
		goto fail;
	if (ck_add_ski(x))
		goto fail;
	if (issuer != NULL) {
		if ((iski = X509_get0_subject_key_id(issuer)) == NULL ||
		    ck_add_aki(x, ASN1_STRING_get0_data(iski),
		    (size_t)ASN1_STRING_length(iski)))
			goto fail;
	} else if (sp->aki_on_root) {
		if (!X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) ||
		    ck_add_aki(x, md, mdlen))
			goto fail;
	}
	if (sp->policy != NULL && ck_add_policies(x, &sp->policy, 1, 0))
		goto fail;
	if (sp->crl_uri != NULL && ck_add_crldp(x, sp->crl_uri, sp->crl_issuer,
	    1))
		goto fail;
	while (ntn < sizeof(sp->tn) / sizeof(sp->tn[0]) && sp->tn[ntn] != NULL)
		ntn++;
	if (ntn > 0 && ck_add_tnauth(x, sp->tn, ntn, 0))
		goto fail;
	ck_set_tbs_alg_for(x, ikey != NULL ? ikey : key);
	BASIC_CONSTRAINTS_free(bc);
	return x;
fail:
	ERR_print_errors_fp(stderr);
	BASIC_CONSTRAINTS_free(bc);
	X509_free(x);
	return NULL;
}

/* ck_build + ck_sign; NULL on failure. */
CK_UNUSED static X509 *
ck_make(const struct ck_spec *sp, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
	X509	*x;

	if ((x = ck_build(sp, key, issuer, ikey)) == NULL)
		return NULL;
	if (ck_sign(x, ikey != NULL ? ikey : key) != 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Write certificates as one PEM file; 0 or -1. */
CK_UNUSED static int
ck_write_pem(const char *path, X509 *const *v, size_t n)
{
	FILE	*f;
	size_t	 i;
	int	 rc = 0;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (!PEM_write_X509(f, v[i]))
			rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

#endif /* STICA_TEST_CERTKIT_H */
