/* SPDX-License-Identifier: ISC */
/*
 * Revocation and CRLs (docs/issuance.md): revoking a certificate with an
 * RFC 5280 section 5.3.1 reason and an audit line, and signing v2 CRLs
 * (RFC 5280 section 5) in the HSM with the issuer's key: every revoked
 * certificate of the issuer with its revocation date and reasonCode,
 * authorityKeyIdentifier (section 5.2.1) and a cRLNumber (section 5.2.3)
 * that the store allocates, with its audit line, before the HSM signs,
 * so that a number is never used twice even across a crash.  The crl key
 * ceremony (ca/ceremony.c) builds its CRLs with the same functions.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/issue_int.h"
#include "common/yaml.h"

/*
 * Revoke (issuer, serial) through s.  Without an issuer the serial must
 * name one certificate (store_cert_get_by_serial), which gives it.
 */
int
ca_revoke(struct store *s, const char *issuer, const uint8_t *serial,
    size_t serial_len, int reason, const char *requester, struct st_err *e)
{
	struct store_cert	*c = NULL;
	json_t			*f = NULL;
	int			 rc = ST_E_INTERNAL;

	if (store_reason_name(reason) == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "revoke: RFC 5280 section "
		    "5.3.1: reason code %d is not accepted", reason);
		goto out;
	}
	if (issuer == NULL) {
		if ((rc = store_cert_get_by_serial(s, serial, serial_len, &c,
		    e)) != 0)
			goto out;
		issuer = c->issuer;
	}
	if ((f = json_object()) == NULL || json_object_set_new(f, "requester",
	    json_string(requester != NULL ? requester : "operator")) != 0) {
		rc = ST_E_NOMEM;
		goto out;
	}
	rc = store_cert_revoke(s, issuer, serial, serial_len, reason,
	    (int64_t)time(NULL), f, e);
out:
	json_decref(f);
	store_cert_free(c);
	return rc;
}

void
ca_crl_result_clear(struct ca_crl_result *r)
{
	if (r == NULL)
		return;
	OPENSSL_free(r->der);
	free(r->pem);
	memset(r, 0, sizeof(*r));
}

int
ca_crl_new(const X509 *issuer, int64_t this_update, int64_t next_update,
    X509_CRL **out)
{
	X509_CRL	*crl = NULL;
	ASN1_TIME	*tu = NULL, *nu = NULL;
	int		 rc = ST_E_NOMEM;

	*out = NULL;
	if ((crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) ||
	    (tu = ASN1_TIME_set(NULL, (time_t)this_update)) == NULL ||
	    (nu = ASN1_TIME_set(NULL, (time_t)next_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, tu) ||
	    !X509_CRL_set1_nextUpdate(crl, nu))
		goto out;
	*out = crl;
	crl = NULL;
	rc = 0;
out:
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	X509_CRL_free(crl);
	return rc;
}

/*
 * One revokedCertificates entry (RFC 5280 section 5.1.2.6): serial,
 * revocationDate and, unless the reason is unspecified, a reasonCode
 * (section 5.3.1: "the reason code CRL entry extension SHOULD be absent
 * instead of using the unspecified (0) reasonCode value").
 */
int
ca_crl_revoked_add(X509_CRL *crl, ASN1_INTEGER *serial, int64_t date,
    int reason)
{
	X509_REVOKED	*x = NULL;
	ASN1_TIME	*t = NULL;
	ASN1_ENUMERATED	*en = NULL;
	int		 rc = ST_E_NOMEM;

	if ((x = X509_REVOKED_new()) == NULL ||
	    !X509_REVOKED_set_serialNumber(x, serial) ||
	    (t = ASN1_TIME_set(NULL, (time_t)date)) == NULL ||
	    !X509_REVOKED_set_revocationDate(x, t))
		goto out;
	if (reason > 0 && ((en = ASN1_ENUMERATED_new()) == NULL ||
	    !ASN1_ENUMERATED_set(en, reason) ||
	    !X509_REVOKED_add1_ext_i2d(x, NID_crl_reason, en, 0, 0)))
		goto out;
	if (!X509_CRL_add0_revoked(crl, x))
		goto out;
	x = NULL;
	rc = 0;
out:
	X509_REVOKED_free(x);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(en);
	return rc;
}

int
ca_crl_finish(X509_CRL *crl, const ASN1_OCTET_STRING *aki, int64_t number)
{
	AUTHORITY_KEYID	*akid = NULL;
	ASN1_INTEGER	*num = NULL;
	int		 rc = ST_E_NOMEM;

	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(aki)) == NULL ||
	    (num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_int64(num, number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
	    0) || !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) ||
	    !X509_CRL_sort(crl))
		goto out;
	rc = 0;
out:
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

struct crl_fill {
	X509_CRL	*crl;
	size_t		 n;
	int		 rc;
};

/* One revoked certificate of the store; entries stay after expiry. */
static int
crl_add(void *arg, const struct store_revoked *rv)
{
	struct crl_fill	*f = arg;
	ASN1_INTEGER	*sn = NULL;
	int		 rc = ST_E_NOMEM;

	if ((sn = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_STRING_set(sn, rv->serial, (int)rv->serial_len) ||
	    (rc = ca_crl_revoked_add(f->crl, sn, rv->revoked_at,
	    rv->reason)) != 0)
		goto out;
	f->n++;
	rc = 0;
out:
	ASN1_INTEGER_free(sn);
	f->rc = rc;
	return rc;
}

int
ca_crl_sign(struct ca_engine *g, const char *issuer, int64_t next_update,
    struct ca_crl_result *out, struct st_err *e)
{
	struct ca_issuer	*is;
	struct store		*s = NULL;
	struct crl_fill		 f;
	X509_CRL		*crl = NULL;
	EVP_MD_CTX		*mctx = NULL;
	json_t			*audit = NULL;
	unsigned char		*der = NULL;
	char			 t1[32], t2[32];
	int64_t			 now = (int64_t)time(NULL);
	int			 len, rc = ST_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if ((is = ca_engine_issuer(g, issuer)) == NULL) {
		rc = st_err_set(e, ST_E_NOTFOUND, "crl: no issuer '%s' in the "
		    "configuration", issuer != NULL ? issuer : "(null)");
		goto out;
	}
	if (is->ku != 0 && (is->ku & KU_CRL_SIGN) == 0) {
		rc = st_err_set(e, ST_E_REFUSED, "crl: RFC 5280 section "
		    "4.2.1.3: the certificate of issuer '%s' does not allow "
		    "cRLSign", is->name);
		goto out;
	}
	/* The caller's interval, else the policy's for this issuer
	 * (issuers.NAME.crl-next-update), else the default. */
	if (next_update <= 0)
		next_update = pol_issuer_crl_next_update(ca_engine_policy(g),
		    is->name);
	if (next_update <= 0)
		next_update = CA_CRL_NEXT_UPDATE_DEFAULT;
	if ((rc = ca_crl_new(is->cert, now, now + next_update, &crl)) != 0)
		goto out;
	if ((rc = ca_engine_store_take(g, &s, e)) != 0)
		goto out;
	f.crl = crl;
	if ((rc = store_revoked_iter(s, is->name, crl_add, &f, e)) != 0) {
		if (f.rc != 0)
			rc = f.rc;
		goto out;
	}
	st_time_format(now, t1, sizeof(t1));
	st_time_format(now + next_update, t2, sizeof(t2));
	if ((audit = json_object()) == NULL ||
	    json_object_set_new(audit, "this_update", json_string(t1)) != 0 ||
	    json_object_set_new(audit, "next_update", json_string(t2)) != 0 ||
	    json_object_set_new(audit, "entries", json_integer((json_int_t)
	    f.n)) != 0) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = store_crl_next_number(s, is->name, audit, &out->number,
	    e)) != 0)
		goto out;
	if ((rc = ca_crl_finish(crl, is->ski, out->number)) != 0)
		goto out;
	rc = ST_E_NOMEM;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if ((rc = hsm_key_sign_init(is->key, mctx, e)) != 0)
		goto out;
	/* The token's signature is verified inside hsm/ (docs/hsm.md). */
	if (X509_CRL_sign_ctx(crl, mctx) <= 0) {
		rc = st_err_ossl(e, ST_E_HSM, "crl: issuer '%s': signing in the "
		    "HSM", is->name);
		goto out;
	}
	if ((len = i2d_X509_CRL(crl, &der)) <= 0) {
		der = NULL;
		rc = st_err_ossl(e, ST_E_CRYPTO, "crl: encoding");
		goto out;
	}
	if ((rc = ca_pem_encode("X509 CRL", der, (size_t)len,
	    &out->pem)) != 0)
		goto out;
	out->der = der;
	out->der_len = (size_t)len;
	der = NULL;
	out->this_update = now;
	out->next_update = now + next_update;
	out->nrevoked = f.n;
	rc = 0;
out:
	if (rc != 0)
		ca_crl_result_clear(out);
	ERR_clear_error();
	ca_engine_store_put(g, s);
	json_decref(audit);
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return rc;
}
