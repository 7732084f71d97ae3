/* SPDX-License-Identifier: ISC */
/*
 * PKCS#10 certification requests (RFC 2986) read without the OpenSSL 3.0
 * key decoders: d2i_X509_REQ decodes the subject key into an EVP_PKEY as
 * it parses (about 110 us, hsm-notes.md section 4.1), which is more than
 * the rest of an issuance but for the signatures.  Here the request is
 * read with templates that keep the CertificationRequestInfo as its DER
 * and the SubjectPublicKeyInfo as bits (ca/asn1.c); the key is judged
 * strictly by ca_spki_decode; the verification key is built from the
 * curve's domain parameters and the point (ca_spki_pkey); the signature
 * (RFC 2986 section 3) is checked with EVP_DigestVerify over the exact
 * CertificationRequestInfo bytes, as ASN1_item_verify does: the
 * signature algorithm names a digest and a key type, and the key type
 * must be the key's.  Algorithms without a separate digest (RSASSA-PSS,
 * EdDSA) are left to OpenSSL's X509_REQ_verify, as before.
 *
 * The extensionRequest is read as X509_REQ_get_extensions reads it
 * (PKCS#9 extensionRequest, then Microsoft's), so that basicConstraints
 * means what it meant before (RFC 9448 section 6 step 9).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"

#define CSR_NOT_ONE	"CSR: RFC 2986: not one CertificationRequest"
#define CSR_NO_VERIFY	"CSR: RFC 2986 section 3: the signature does not " \
			"verify with the request's own key"

void
ca_csr_clear(struct ca_csr *c)
{
	if (c == NULL)
		return;
	X509_PUBKEY_free(c->xpk);
	memset(c, 0, sizeof(*c));
}

/*
 * Off the fast path (no digest named by the signature algorithm):
 * OpenSSL reads the whole request and verifies it, as stica did before.
 */
static int
verify_openssl(const uint8_t *der, size_t len, struct st_err *e)
{
	const unsigned char	*p = der;
	X509_REQ		*q = NULL;
	EVP_PKEY		*pk;
	int			 rc = ST_E_INTERNAL;

	if ((q = d2i_X509_REQ(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		rc = st_err_ossl(e, ST_E_BADCSR, CSR_NOT_ONE);
		goto out;
	}
	if ((pk = X509_REQ_get0_pubkey(q)) == NULL) {
		rc = st_err_ossl(e, ST_E_BADCSR, "CSR: the subject public key "
		    "does not decode");
		goto out;
	}
	if (X509_REQ_verify(q, pk) != 1) {
		rc = st_err_ossl(e, ST_E_BADCSR, CSR_NO_VERIFY);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_REQ_free(q);
	return rc;
}

/*
 * RFC 2986 section 3: the signature over the CertificationRequestInfo
 * DER verifies with the request's key, under an algorithm whose key type
 * is the key's (ASN1_item_verify's rules: no unused bits in the
 * signature, a known algorithm, a matching key type).
 */
static int
verify_sig(const CertificationRequest *cr, const ASN1_STRING *cri,
    const X509_PUBKEY *xpk, const uint8_t *der, size_t len,
    struct st_err *e)
{
	const ASN1_BIT_STRING	*sig = cr->signature;
	const ASN1_OBJECT	*sobj = NULL;
	EVP_MD_CTX		*m = NULL;
	EVP_PKEY		*pk = NULL;
	struct st_err		 se;
	int			 mdnid = NID_undef, pknid = NID_undef, rc;

	X509_ALGOR_get0(&sobj, NULL, NULL, cr->signatureAlgorithm);
	if ((sig->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 &&
	    (sig->flags & 0x07) != 0) {
		rc = st_err_set(e, ST_E_BADCSR, CSR_NO_VERIFY);
		goto out;
	}
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(sobj), &mdnid, &pknid)) {
		rc = st_err_set(e, ST_E_BADCSR, CSR_NO_VERIFY);
		goto out;
	}
	/*
	 * A CSR signature is the proof of possession the certificate rests
	 * on: SHA-1 and MD5 collisions are practical, so they prove nothing
	 * (Boulder and the CA/B Forum refuse them too).
	 */
	if (mdnid == NID_sha1 || mdnid == NID_md5 || mdnid == NID_md4 ||
	    mdnid == NID_md2 || mdnid == NID_mdc2 || mdnid == NID_ripemd160) {
		rc = st_err_set(e, ST_E_BADCSR, "CSR: signed with %s, whose "
		    "collisions are practical; sign the request with SHA-256 "
		    "or stronger", OBJ_nid2sn(mdnid));
		goto out;
	}
	if (mdnid == NID_undef || pknid == NID_undef) {
		rc = verify_openssl(der, len, e);
		goto out;
	}
	st_err_clear(&se);
	if ((rc = ca_spki_pkey(xpk, &pk, &se)) != 0) {
		rc = st_err_set(e, rc, "CSR: %s", st_err_str(&se, rc));
		goto out;
	}
	if (!EVP_PKEY_is_a(pk, OBJ_nid2sn(pknid))) {
		rc = st_err_set(e, ST_E_BADCSR, CSR_NO_VERIFY);
		goto out;
	}
	if ((m = EVP_MD_CTX_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit_ex(m, NULL, OBJ_nid2sn(mdnid), NULL, NULL, pk,
	    NULL) != 1 || EVP_DigestVerify(m, sig->data, (size_t)sig->length,
	    cri->data, (size_t)cri->length) != 1) {
		rc = st_err_set(e, ST_E_BADCSR, CSR_NO_VERIFY);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(pk);
	return rc;
}

/*
 * basicConstraints from the extensionRequest, read as
 * X509_REQ_get_extensions does: the first attribute of the PKCS#9 or the
 * Microsoft type, its first value a SEQUENCE of Extensions; anything
 * else there counts as no extensions, as it always has.  A
 * basicConstraints that is malformed or repeated is ST_E_BADCSR.
 */
static int
csr_bc(const STACK_OF(X509_ATTRIBUTE) *attrs, struct ca_csr *out,
    struct st_err *e)
{
	static const int		 nids[] = { NID_ext_req,
		NID_ms_ext_req };
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	BASIC_CONSTRAINTS		*bc = NULL;
	ASN1_TYPE			*t = NULL;
	const unsigned char		*p;
	size_t				 i;
	int				 idx, crit = -1, rc = ST_E_INTERNAL;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
		if ((idx = X509at_get_attr_by_NID(attrs, nids[i], -1)) < 0)
			continue;
		t = X509_ATTRIBUTE_get0_type(X509at_get_attr(attrs, idx), 0);
		break;
	}
	if (t == NULL || t->type != V_ASN1_SEQUENCE) {
		rc = 0;
		goto out;
	}
	p = t->value.sequence->data;
	if ((exts = d2i_X509_EXTENSIONS(NULL, &p,
	    t->value.sequence->length)) == NULL) {
		rc = 0;
		goto out;
	}
	if ((bc = X509V3_get_d2i(exts, NID_basic_constraints, &crit,
	    NULL)) == NULL && crit != -1) {
		rc = st_err_set(e, ST_E_BADCSR, "CSR: basicConstraints in the "
		    "extensionRequest is malformed or repeated");
		goto out;
	}
	if (bc != NULL) {
		out->bc = true;
		out->bc_ca = bc->ca != 0;
	}
	rc = 0;
out:
	ERR_clear_error();
	BASIC_CONSTRAINTS_free(bc);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int
ca_csr_decode(const uint8_t *der, size_t len, struct ca_csr *out,
    struct st_err *e)
{
	CertificationRequest		*cr = NULL;
	CertificationRequestInfo	*ri = NULL;
	const ASN1_STRING		*cri, *ks;
	const unsigned char		*p = der;
	struct st_err			 se;
	int				 rc = ST_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if ((cr = d2i_CertificationRequest(NULL, &p, (long)len)) == NULL ||
	    p != der + len ||
	    cr->certificationRequestInfo->type != V_ASN1_SEQUENCE) {
		rc = st_err_ossl(e, ST_E_BADCSR, CSR_NOT_ONE);
		goto out;
	}
	cri = cr->certificationRequestInfo->value.sequence;
	p = cri->data;
	if ((ri = d2i_CertificationRequestInfo(NULL, &p, cri->length)) ==
	    NULL || p != cri->data + cri->length ||
	    ri->subjectPKInfo->type != V_ASN1_SEQUENCE) {
		rc = st_err_ossl(e, ST_E_BADCSR, CSR_NOT_ONE);
		goto out;
	}
	if (ASN1_INTEGER_get(ri->version) != 0) {
		rc = st_err_set(e, ST_E_BADCSR, "CSR: RFC 2986 section 4.1: "
		    "version must be 0 (v1), not %ld",
		    ASN1_INTEGER_get(ri->version));
		goto out;
	}
	ks = ri->subjectPKInfo->value.sequence;
	st_err_clear(&se);
	if ((rc = ca_spki_decode(ks->data, (size_t)ks->length, &out->xpk,
	    &se)) != 0) {
		rc = st_err_set(e, rc == ST_E_NOMEM ? rc : ST_E_BADCSR, "CSR: "
		    "the subject public key: %s", st_err_str(&se, rc));
		goto out;
	}
	if ((rc = verify_sig(cr, cri, out->xpk, der, len, e)) != 0 ||
	    (rc = csr_bc(ri->attributes, out, e)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ca_csr_clear(out);
	ERR_clear_error();
	CertificationRequestInfo_free(ri);
	CertificationRequest_free(cr);
	return rc;
}
