/* SPDX-License-Identifier: ISC */
/*
 * Issuance (docs/issuance.md), in Boulder's order (anchors.md section
 * 1.3): judge the request (its key and CSR, the policy, RFC 9060 section
 * 4 encompassing by the issuer and every CA above it), build the
 * certificate, lint it, record the intent with its serial and TBS,
 * sign it in the HSM, check that the signed TBS is the linted one, and
 * commit it with its audit line.  A crash or a failure at any point
 * leaves no signed certificate that is not recorded, and never reuses a
 * serial: the serial and the TBS are in the store before the HSM is
 * asked, a failure after that aborts the intent (retiring its serial),
 * and an intent a crash left pending is aborted when its request key
 * comes back, once its run's lock shows that the process that reserved
 * it is dead (a live run's intent is left alone).
 *
 * A request key names one request (RFC 8555 section 7.4's finalize
 * retried, a batch rerun): the same request again gets the certificate
 * issued for it; another request under the key, or any request once
 * that certificate is revoked, is refused with ST_E_EXISTS and audited.
 *
 * ca_issue is a batch of one; ca_issue_batch does each phase for many
 * requests at once: one transaction to reserve them all, signatures on
 * several threads, one transaction to commit them all.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"
#include "ca/issue_int.h"
#include "common/yaml.h"

#define SPEC_MAX	300	/* "spc:" + 255 characters + NUL, rounded */
#define MAX_THREADS	16
/* Below this many signatures a second thread costs more than it saves. */
#define THREAD_MIN	16

/* KeyUsage bits (RFC 5280 section 4.2.1.3). */
#define KU_BIT_DIGITAL_SIGNATURE	(1u << 0)
#define KU_BIT_KEY_CERT_SIGN		(1u << 5)
#define KU_BIT_CRL_SIGN			(1u << 6)

/* One request on its way from judgement to commit. */
struct job {
	const struct ca_issue_req	*req;
	struct st_err			*e;
	int				 rc;
	struct ca_issue_result		*res;
	bool				 done;		/* res is filled */
	bool				 reserved;
	struct ca_subject_key		 key;
	struct pol_decision		 dec;
	struct ca_issuer		*is;
	char				**specs;
	size_t				  nspecs;
	uint8_t				*tnauth;	/* DER, OPENSSL_malloc */
	size_t				 tnauth_len;
	int64_t				 nb;
	int64_t				 na;
	uint8_t				 serial[CA_SERIAL_LEN];
	X509				*x;	/* while it is built */
	char				*subject;	/* text, for the store */
	unsigned char			*tbs;
	int				 tbs_len;
	unsigned char			*der;	/* OPENSSL_malloc */
	int				 der_len;
	char				*pem;	/* of der, malloc'd */
	unsigned char			*spki;	/* the key's SPKI DER */
	int				 spki_len;
	uint8_t				 fp[STORE_REQUEST_FP_LEN];
	bool				 has_fp;	/* fp is filled */
	bool				 conflict;	/* refused under its
							 * request key: audit */
	bool				 audited;	/* its refuse line is
							 * written */
};

static void
job_clear(struct job *j)
{
	size_t	i;

	ca_subject_key_clear(&j->key);
	for (i = 0; i < j->nspecs; i++)
		free(j->specs[i]);
	free(j->specs);
	OPENSSL_free(j->tnauth);
	X509_free(j->x);
	free(j->subject);
	OPENSSL_free(j->tbs);
	OPENSSL_free(j->der);
	free(j->pem);
	OPENSSL_free(j->spki);
}

/* Record a failure of j (its first one wins). */
static int
job_fail(struct job *j, int rc)
{
	if (j->rc == 0)
		j->rc = rc;
	return rc;
}

/* Codes that say something about the infrastructure, not the request. */
static bool
infra_error(int rc)
{
	return rc == ST_E_INTERNAL || rc == ST_E_NOMEM || rc == ST_E_STORE ||
	    rc == ST_E_CRYPTO || rc == ST_E_HSM || rc == ST_E_HSM_PIN ||
	    rc == ST_E_HSM_NOTOKEN || rc == ST_E_HSM_NOKEY ||
	    rc == ST_E_HSM_MODULE || rc == ST_E_IO;
}

/* Codes of a judged and refused request: each leaves an audit line. */
static bool
refusal(int rc)
{
	return rc == ST_E_REFUSED || rc == ST_E_SCOPE || rc == ST_E_BADCSR ||
	    rc == ST_E_LINT;
}

void
ca_issue_result_clear(struct ca_issue_result *r)
{
	if (r == NULL)
		return;
	OPENSSL_free(r->der);
	free(r->pem);
	free(r->issuer);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Audit                                                              */

static const char *
requester_str(const struct ca_issue_req *r, char *buf, size_t bufsz)
{
	if (r->requester == POL_REQ_ACCOUNT)
		snprintf(buf, bufsz, "account:%.200s", r->account != NULL ?
		    r->account : "");
	else
		snprintf(buf, bufsz, "operator");
	return buf;
}

static json_t *
specs_json(char *const *v, size_t n)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* Fields shared by the issue and refuse lines: who asked, how, for what. */
static json_t *
request_fields(const struct job *j)
{
	const struct ca_issue_req	*r = j->req;
	json_t				*o, *a = NULL;
	char				 who[256];

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "requester", json_string(requester_str(r,
	    who, sizeof(who)))) != 0 ||
	    json_object_set_new(o, "proof", json_string(pol_proof_name(
	    r->proof))) != 0 ||
	    json_object_set_new(o, "ca", json_boolean(r->ca)) != 0 ||
	    (r->token_authority != NULL && json_object_set_new(o,
	    "token_authority", json_string(r->token_authority)) != 0) ||
	    (j->dec.rule != NULL && json_object_set_new(o, "rule",
	    json_string(j->dec.rule)) != 0) ||
	    (a = specs_json(j->specs, j->nspecs)) == NULL ||
	    json_object_set_new(o, "scope", a) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The fields of the refuse line of a judged request: the rule and the
 * reason, so that the log shows every "no" as well as every "yes"
 * (docs/design.md, Audit).  NULL when out of memory.
 */
static json_t *
refusal_fields(const struct job *j)
{
	json_t	*o;

	if ((o = request_fields(j)) == NULL)
		return NULL;
	if ((j->req->profile != NULL && json_object_set_new(o, "profile",
	    json_string(j->req->profile)) != 0) ||
	    (j->req->request_key != NULL && json_object_set_new(o, "request",
	    json_string(j->req->request_key)) != 0) ||
	    json_object_set_new(o, "code", json_string(st_err_name(j->rc))) !=
	    0 || json_object_set_new(o, "reason", json_string(st_err_str(j->e,
	    j->rc))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Is j refused for what it asked, and its refuse line not yet written? */
static bool
to_audit(const struct job *j)
{
	return !j->audited && (refusal(j->rc) || (j->conflict && j->rc != 0));
}

/*
 * One refuse line per refused job of v[0..n) not yet audited, in their
 * order, all in one transaction (store_audit_append_many): a batch of
 * refusals costs one commit, not one each.
 */
static int
audit_refusals(struct store *s, struct job **v, size_t n, struct st_err *e)
{
	struct store_audit_rec	*r = NULL;
	struct st_err		 ae;
	size_t			 i, m = 0;
	int			 rc = ST_E_INTERNAL;

	for (i = 0; i < n; i++)
		if (to_audit(v[i]))
			m++;
	if (m == 0)
		return 0;
	if ((r = calloc(m, sizeof(*r))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0, m = 0; i < n; i++) {
		if (!to_audit(v[i]))
			continue;
		r[m].event = "refuse";
		if ((r[m++].fields = refusal_fields(v[i])) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
	}
	st_err_clear(&ae);
	if ((rc = store_audit_append_many(s, r, m, &ae)) != 0)
		st_err_set(e, rc, "%s", st_err_str(&ae, rc));
	else
		for (i = 0; i < n; i++)
			if (to_audit(v[i]))
				v[i]->audited = true;
out:
	for (i = 0; r != NULL && i < m; i++)
		json_decref(r[i].fields);
	free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Judging                                                            */

static int
job_specs(struct job *j)
{
	const struct ca_tnauth	*l = j->req->tnauth;
	char			 buf[SPEC_MAX];
	size_t			 i;

	if (j->specs != NULL)
		return 0;
	if ((j->specs = calloc(l->n, sizeof(*j->specs))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < l->n; i++) {
		ca_tn_entry_format(&l->v[i], buf, sizeof(buf));
		if ((j->specs[i] = strdup(buf)) == NULL)
			return ST_E_NOMEM;
		j->nspecs = i + 1;
	}
	return 0;
}

/* The request's subject key, judged (ca_csr_load, ca_spki_load), once. */
static int
job_key(struct job *j)
{
	const struct ca_issue_req	*r = j->req;

	if (j->key.xpk != NULL)
		return 0;
	if (r->csr != NULL)
		return ca_csr_load(r->csr, r->csr_len, &j->key, j->e);
	if (r->spki != NULL)
		return ca_spki_load(r->spki, r->spki_len, &j->key, j->e);
	return st_err_set(j->e, ST_E_USAGE, "request: a CSR or a public key is "
	    "required");
}

/* The requested TNAuthList's DER (RFC 8226 section 9), once. */
static int
job_tnauth(struct job *j)
{
	if (j->tnauth != NULL)
		return 0;
	return ca_tnauth_encode(j->req->tnauth, &j->tnauth, &j->tnauth_len,
	    j->e);
}

/*
 * The subject key's SubjectPublicKeyInfo DER, once: the bytes the
 * certificate carries (ca_spki_copy copies the fields, i2d encodes them
 * the same way in both).
 */
static int
job_spki(struct job *j)
{
	if (j->spki != NULL)
		return 0;
	if ((j->spki_len = i2d_X509_PUBKEY(j->key.xpk, &j->spki)) <= 0) {
		j->spki = NULL;
		return st_err_ossl(j->e, ST_E_CRYPTO, "request: encoding the "
		    "subject public key");
	}
	return 0;
}

/* Append a length-prefixed field to a fingerprint's input. */
static void
fp_field(EVP_MD_CTX *m, const void *p, size_t len, int *ok)
{
	unsigned char	l[4];

	l[0] = (unsigned char)(len >> 24);
	l[1] = (unsigned char)(len >> 16);
	l[2] = (unsigned char)(len >> 8);
	l[3] = (unsigned char)len;
	if (*ok && (EVP_DigestUpdate(m, l, sizeof(l)) != 1 ||
	    (len > 0 && EVP_DigestUpdate(m, p, len) != 1)))
		*ok = 0;
}

/*
 * The request's fingerprint, recorded with the intent under its request
 * key (store_intent.request_fp): SHA-256 over a version label and, each
 * with its length, the subject key's SPKI DER, the requested TNAuthList's
 * DER, the CA flag, the requester's kind and the account ({account}, as
 * the subject templates see it).  The issuer and profile are not in it:
 * the row records them, and a request that does not pin them leaves them
 * to the policy, which chose them for this very request.  Nor is how the
 * key came (a CSR or a bare key), the proof, or a notAfter cap: the same
 * key for the same numbers is the same request.
 */
static int
job_fp(struct job *j)
{
	const struct ca_issue_req	*r = j->req;
	static const char		 label[] = "stica request fp 1";
	EVP_MD_CTX			*m = NULL;
	const char			*acct, *who;
	unsigned char			 ca = r->ca ? 1 : 0;
	unsigned int			 len = 0;
	int				 ok = 1, rc = ST_E_INTERNAL;

	if (j->has_fp)
		return 0;
	if ((rc = job_key(j)) != 0 || (rc = job_tnauth(j)) != 0 ||
	    (rc = job_spki(j)) != 0)
		goto out;
	acct = r->account != NULL ? r->account :
	    r->requester == POL_REQ_OPERATOR ? "operator" : "";
	who = r->requester == POL_REQ_OPERATOR ? "operator" : "account";
	if ((m = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1) {
		rc = st_err_ossl(j->e, ST_E_CRYPTO, "request fingerprint");
		goto out;
	}
	fp_field(m, label, sizeof(label) - 1, &ok);
	fp_field(m, j->spki, (size_t)j->spki_len, &ok);
	fp_field(m, j->tnauth, j->tnauth_len, &ok);
	fp_field(m, &ca, 1, &ok);
	fp_field(m, who, strlen(who), &ok);
	fp_field(m, acct, strlen(acct), &ok);
	if (!ok || EVP_DigestFinal_ex(m, j->fp, &len) != 1 ||
	    len != sizeof(j->fp)) {
		rc = st_err_ossl(j->e, ST_E_CRYPTO, "request fingerprint");
		goto out;
	}
	j->has_fp = true;
	rc = 0;
out:
	EVP_MD_CTX_free(m);
	return rc;
}

/*
 * RFC 9060 section 4: "equal to or a subset of" the TNAuthList of the
 * issuer and of every CA above it that has one (RFC 8226 section 9: a
 * CA's list "limits the set of TNs for certification paths that include
 * this certificate"), with the policy's SPC map for SPC-only parents.
 */
static int
check_encompassed(struct ca_engine *g, struct job *j, struct st_err *e)
{
	struct ca_issuer	*is = j->is;
	struct ca_scope		*rs = NULL;
	struct st_err		 why;
	char			 cn[128];
	size_t			 i;
	int			 r, rc = ST_E_INTERNAL;

	if ((rc = ca_scope_from_tnauth(j->req->tnauth, &rs, e)) != 0)
		goto out;
	for (i = 0; i < is->nabove; i++) {
		if (is->above_scopes[i] == NULL)
			continue;
		st_err_clear(&why);
		if ((r = ca_scope_encompasses(is->above_scopes[i], rs, &g->map,
		    &why)) == 1)
			continue;
		if (r < 0) {
			rc = st_err_set(e, r, "scope: %s", st_err_str(&why, r));
			goto out;
		}
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(
		    is->above[i]), NID_commonName, cn, sizeof(cn)) < 0)
			snprintf(cn, sizeof(cn), "?");
		if (i == 0)
			rc = st_err_set(e, ST_E_SCOPE, "scope: not encompassed "
			    "by issuer '%s' (CN=%s): %s", is->name, cn,
			    st_err_str(&why, ST_E_SCOPE));
		else
			rc = st_err_set(e, ST_E_SCOPE, "scope: not encompassed "
			    "by CA %zu above issuer '%s' (CN=%s): %s", i,
			    is->name, cn, st_err_str(&why, ST_E_SCOPE));
		goto out;
	}
	rc = 0;
out:
	ca_scope_free(rs);
	return rc;
}

/*
 * Validity (RFC 5280 section 4.1.2.5): notBefore = now - backdate, but
 * not before the issuer's notBefore; notAfter = notBefore + lifetime as
 * the policy decided it (already capped by the token's exp), but never
 * past the issuer's notAfter nor past the token's exp (RFC 9447 section
 * 7).  A certificate that would be expired when issued is refused.
 */
static int
job_validity(struct job *j, int64_t now, struct st_err *e)
{
	int64_t	nb = now - j->dec.backdate, na;
	char	t1[32], t2[32];

	na = nb + j->dec.lifetime;
	if (nb < j->is->not_before)
		nb = j->is->not_before;
	if (na > j->is->not_after)
		na = j->is->not_after;
	if (j->req->not_after_cap > 0 && na > j->req->not_after_cap)
		na = j->req->not_after_cap;
	if (na <= now || na <= nb) {
		st_time_format(nb, t1, sizeof(t1));
		st_time_format(na, t2, sizeof(t2));
		if (j->is->not_after <= now) {
			st_time_format(j->is->not_after, t2, sizeof(t2));
			return st_err_set(e, ST_E_REFUSED, "validity: issuer "
			    "'%s' expired at %s: its certificate must be "
			    "renewed before it can issue", j->is->name, t2);
		}
		return st_err_set(e, ST_E_REFUSED, "validity: nothing is left "
		    "(notBefore %s, notAfter %s after the issuer's and the "
		    "token's limits)", t1, t2);
	}
	j->nb = nb;
	j->na = na;
	return 0;
}

/*
 * Everything about a request that does not depend on the serial: its
 * key, the policy's decision and the issuer's scope.
 */
static int
job_judge(struct ca_engine *g, struct job *j, int64_t now)
{
	const struct ca_issue_req	*r = j->req;
	struct pol_request		 pr;
	struct st_err			*e = j->e;
	int				 rc;

	if (r->tnauth == NULL || r->tnauth->n == 0)
		return job_fail(j, st_err_set(e, ST_E_USAGE, "request: no "
		    "TNAuthList (RFC 8226 section 9: SIZE (1..MAX))"));
	if ((rc = job_specs(j)) != 0)
		return job_fail(j, rc);
	if ((rc = job_key(j)) != 0)
		return job_fail(j, rc);
	if (j->key.csr_bc && j->key.csr_ca != r->ca)
		return job_fail(j, st_err_set(e, ST_E_BADCSR, "CSR: "
		    "basicConstraints cA is %s but %s certificate was asked "
		    "for (RFC 9448 section 6 step 9)", j->key.csr_ca ? "TRUE" :
		    "FALSE", r->ca ? "a CA" : "an end-entity"));
	if ((rc = job_tnauth(j)) != 0)
		return job_fail(j, rc);
	if (r->request_key != NULL && (rc = job_fp(j)) != 0)
		return job_fail(j, rc);
	if (r->not_after_cap > 0 && r->not_after_cap <= now)
		return job_fail(j, st_err_set(e, ST_E_REFUSED, "request: the "
		    "authority token has expired (RFC 9447 section 7)"));

	memset(&pr, 0, sizeof(pr));
	pr.requester = r->requester;
	pr.account = r->account;
	pr.proof = r->proof;
	pr.token_authority = r->token_authority;
	pr.scope = (const char *const *)j->specs;
	pr.nscope = j->nspecs;
	pr.ca = r->ca;
	pr.key_type = j->key.type;
	pr.max_lifetime = r->not_after_cap > 0 ? r->not_after_cap - now : 0;
	pr.profile = r->profile;
	pr.issuer = r->issuer;
	if ((rc = pol_decide(g->pol, &pr, ca_engine_within, g, &j->dec, NULL,
	    e)) != 0)
		return job_fail(j, rc);
	if (j->dec.refused)
		return job_fail(j, st_err_set(e, ST_E_REFUSED, "policy: %s",
		    j->dec.reason));
	if ((r->profile != NULL && strcmp(r->profile, j->dec.profile->name) !=
	    0) || (r->issuer != NULL && strcmp(r->issuer, j->dec.issuer) != 0))
		return job_fail(j, st_err_set(e, ST_E_REFUSED, "policy: rule "
		    "'%s' issues profile '%s' from issuer '%s', not what was "
		    "asked for", j->dec.rule, j->dec.profile->name,
		    j->dec.issuer));
	if (j->dec.profile->ca != r->ca)
		return job_fail(j, st_err_set(e, ST_E_REFUSED, "policy: "
		    "profile '%s' does not issue %s certificates",
		    j->dec.profile->name, r->ca ? "CA" : "end-entity"));
	if ((j->is = ca_engine_issuer(g, j->dec.issuer)) == NULL)
		return job_fail(j, st_err_set(e, ST_E_POLICY, "policy: rule "
		    "'%s' names issuer '%s', which is not configured",
		    j->dec.rule, j->dec.issuer));
	if ((rc = check_encompassed(g, j, e)) != 0 ||
	    (rc = job_validity(j, now, e)) != 0)
		return job_fail(j, rc);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Building                                                           */

/* The value of one template placeholder (docs/policy.md). */
static const char *
placeholder(const struct job *j, const char *name, size_t len,
    const char *serial_hex)
{
	const struct ca_tnauth	*l = j->req->tnauth;
	size_t			 i;

#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	if (IS("spc") || IS("tn") || IS("first-tn")) {
		for (i = 0; i < l->n; i++) {
			if (IS("spc") && l->v[i].kind == CA_TN_SPC)
				return l->v[i].value;
			if (IS("tn") && l->v[i].kind == CA_TN_ONE)
				return l->v[i].value;
			if (IS("first-tn") && l->v[i].kind != CA_TN_SPC)
				return l->v[i].value;
		}
		return NULL;
	}
	if (IS("account"))
		return j->req->account != NULL ? j->req->account : "operator";
	if (IS("serial"))
		return serial_hex;
	if (IS("issuer"))
		return j->is->name;
#undef IS
	return NULL;
}

/*
 * Expand {spc}, {tn}, {first-tn}, {account}, {serial} and {issuer} in a
 * template the policy loader has checked; a placeholder with no value
 * for this request is ST_E_POLICY.
 */
static int
render(const struct job *j, const char *what, const char *tmpl,
    const char *serial_hex, char *buf, size_t bufsz, struct st_err *e)
{
	const char	*s, *end, *v;
	size_t		 off = 0, vl, i;

	for (s = tmpl; *s != '\0'; s++) {
		if (*s == '{' && (end = strchr(s + 1, '}')) != NULL) {
			if ((v = placeholder(j, s + 1, (size_t)(end - s - 1),
			    serial_hex)) == NULL)
				return st_err_set(e, ST_E_POLICY, "profile '%s': "
				    "%s: placeholder %.*s has no value for "
				    "this request", j->dec.profile->name, what,
				    (int)(end - s + 1), s);
			vl = strlen(v);
			for (i = 0; i < vl; i++)
				if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
					return st_err_set(e, ST_E_REFUSED,
					    "profile '%s': %s: the value of "
					    "%.*s has control character 0x%02x "
					    "(RFC 5280 section 4.1.2.6: names "
					    "are for people to read)",
					    j->dec.profile->name, what,
					    (int)(end - s + 1), s,
					    (unsigned char)v[i]);
			s = end;
		} else {
			v = s;
			vl = 1;
		}
		if (off + vl >= bufsz)
			return st_err_set(e, ST_E_POLICY, "profile '%s': %s: "
			    "longer than %zu bytes", j->dec.profile->name, what,
			    bufsz - 1);
		memcpy(buf + off, v, vl);
		off += vl;
	}
	buf[off] = '\0';
	return 0;
}

/* Subject DN from the profile's template, in its order (RFC 5280 4.1.2.6). */
static int
build_subject(struct job *j, const char *serial_hex, struct st_err *e)
{
	const struct pol_profile	*pr = j->dec.profile;
	X509_NAME			*n;
	char				 val[256], *txt = NULL, *nt;
	size_t				 i, tl = 0, add;
	int				 rc;

	if ((n = X509_get_subject_name(j->x)) == NULL)
		return ST_E_INTERNAL;
	for (i = 0; i < pr->nsubject; i++) {
		if ((rc = render(j, pr->subject[i].name, pr->subject[i].value,
		    serial_hex, val, sizeof(val), e)) != 0) {
			free(txt);
			return rc;
		}
		if (!X509_NAME_add_entry_by_txt(n, pr->subject[i].name,
		    MBSTRING_UTF8, (const unsigned char *)val, -1, -1, 0)) {
			free(txt);
			return st_err_ossl(e, ST_E_POLICY, "profile '%s': "
			    "subject %s=\"%s\"", pr->name, pr->subject[i].name,
			    val);
		}
		add = strlen(pr->subject[i].name) + strlen(val) + 3;
		if ((nt = realloc(txt, tl + add + 1)) == NULL) {
			free(txt);
			return ST_E_NOMEM;
		}
		txt = nt;
		tl += (size_t)snprintf(txt + tl, add + 1, "%s%s=%s",
		    i > 0 ? ", " : "", pr->subject[i].name, val);
	}
	j->subject = txt;
	return 0;
}

/*
 * RFC 5280 section 4.2.1.13.  RFC 5280 says to omit cRLIssuer when the
 * issuer signs its own CRLs; ATIS-1000080 v005 section 6.4.1 requires
 * one "that matches the DN of the issuer of the CRL", which here is the
 * issuer.
 */
static int
build_crldp(struct job *j, const char *serial_hex, struct st_err *e)
{
	char	url[1024];
	int	rc;

	if ((rc = render(j, "crl-distribution-point", j->dec.profile->crl_dp,
	    serial_hex, url, sizeof(url), e)) != 0)
		return rc;
	return ca_ext_crldp(j->x, url, j->dec.profile->mode == POL_MODE_ATIS ?
	    X509_get_subject_name(j->is->cert) : NULL, e);
}

/*
 * The extensions, always in this order: basicConstraints and keyUsage
 * (critical), SKI, AKI, certificatePolicies, cRLDistributionPoints,
 * TNAuthList (non-critical), and for end entities the claim
 * constraints.
 */
static int
build_exts(struct job *j, const char *serial_hex, struct st_err *e)
{
	const struct pol_profile	*pr = j->dec.profile;
	uint8_t				 ski[20];
	unsigned			 ku;
	int				 rc;

	if (pr->ca)
		ku = KU_BIT_KEY_CERT_SIGN | (pr->mode == POL_MODE_ATIS ? 0 :
		    KU_BIT_CRL_SIGN);
	else
		ku = KU_BIT_DIGITAL_SIGNATURE;
	if ((rc = ca_ext_basic_constraints(j->x, pr->ca, pr->path_len,
	    e)) != 0 || (rc = ca_ext_key_usage(j->x, ku, e)) != 0 ||
	    (rc = ca_key_id(j->key.xpk, ski, e)) != 0 ||
	    (rc = ca_ext_key_ids(j->x, ski, j->is->ski, e)) != 0)
		return rc;
	if (pr->npolicies > 0 && (rc = ca_ext_policies(j->x, pr->policies,
	    pr->npolicies, e)) != 0)
		return rc;
	if (pr->crl_dp != NULL && (rc = build_crldp(j, serial_hex, e)) != 0)
		return rc;
	if ((rc = ca_ext_der(j->x, CA_OID_TNAUTHLIST, j->tnauth,
	    j->tnauth_len, e)) != 0)
		return rc;
	if (!pr->ca && pr->claims != NULL &&
	    (rc = ca_ext_claims(j->x, pr->claims, e)) != 0)
		return rc;
	return 0;
}

static unsigned
lint_key_types(const struct pol_profile *pr)
{
	unsigned	m = 0;
	size_t		i;

	for (i = 0; i < pr->nkey_types; i++)
		switch (pr->key_types[i]) {
		case POL_KEY_EC_P256:
			m |= CA_KEY_EC_P256;
			break;
		case POL_KEY_EC_P384:
			m |= CA_KEY_EC_P384;
			break;
		case POL_KEY_RSA_2048:
		case POL_KEY_RSA_3072:
			m |= CA_KEY_RSA;
			break;
		case POL_KEY_NONE:
			break;
		}
	return m;
}

/*
 * Build the certificate with a fresh serial, lint it and encode its TBS.
 * Called again with a new serial if the store reports a collision.
 */
static int
job_build(struct ca_engine *g, struct job *j)
{
	const struct pol_profile	*pr = j->dec.profile;
	struct ca_lint_ctx		 lc;
	struct st_err			*e = j->e;
	X509_ALGOR			*tbs_alg;
	char				 hex[2 * CA_SERIAL_LEN + 1];
	int				 rc = ST_E_NOMEM;

	/*
	 * A fresh certificate with the request's key copied field by field:
	 * no EVP_PKEY, no OpenSSL decoder (hsm-notes.md section 4.1).
	 */
	free(j->subject);
	OPENSSL_free(j->tbs);
	j->subject = NULL;
	j->tbs = NULL;
	X509_free(j->x);
	if ((j->x = X509_new()) == NULL)
		goto out;
	if ((rc = ca_spki_copy(j->x, j->key.xpk, e)) != 0)
		goto out;
	if ((rc = ca_serial_draw(j->serial, e)) != 0)
		goto out;
	st_hex_write(j->serial, sizeof(j->serial), hex);
	rc = ST_E_NOMEM;
	if (!X509_set_version(j->x, X509_VERSION_3) ||
	    !ASN1_STRING_set(X509_get_serialNumber(j->x), j->serial,
	    sizeof(j->serial)) ||
	    !X509_set_issuer_name(j->x, X509_get_subject_name(j->is->cert)) ||
	    ASN1_TIME_set(X509_getm_notBefore(j->x), (time_t)j->nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(j->x), (time_t)j->na) == NULL)
		goto out;
	if ((rc = build_subject(j, hex, e)) != 0 ||
	    (rc = build_exts(j, hex, e)) != 0)
		goto out;
	/*
	 * The TBS must carry its signature algorithm before it is linted and
	 * recorded, and OpenSSL 3.0 has no setter for it (X509_sign_ctx sets
	 * it while signing).  X509_get0_tbs_sigalg returns a pointer into
	 * j->x, which is ours and not const, so writing through it is sound;
	 * the value is the provider's own AlgorithmIdentifier, so signing
	 * rewrites the same bytes, which ca_signed_tbs_check confirms.
	 */
	tbs_alg = (X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(j->x);
	if (!X509_ALGOR_copy(tbs_alg, j->is->sigalg)) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memset(&lc, 0, sizeof(lc));
	lc.mode = pr->mode == POL_MODE_ATIS ? CA_LINT_ATIS1000080 :
	    CA_LINT_RFC9060;
	lc.kind = pr->kind == POL_KIND_SPC ? CA_KIND_SPC :
	    pr->kind == POL_KIND_PER_TN ? CA_KIND_PERTN : CA_KIND_TNBLOCK;
	lc.ca = pr->ca;
	lc.issuer = j->is->cert;
	lc.above = (const X509 *const *)j->is->above;
	lc.n_above = j->is->nabove;
	lc.above_scopes = (const struct ca_scope *const *)j->is->above_scopes;
	lc.map = &g->map;
	lc.max_entries = pr->max_entries;
	lc.max_lifetime = j->dec.lifetime;
	lc.key_types = lint_key_types(pr);
	if ((rc = ca_lint_cert(j->x, &lc, e)) != 0)
		goto out;
	if ((j->tbs_len = i2d_re_X509_tbs(j->x, &j->tbs)) <= 0) {
		j->tbs = NULL;
		rc = st_err_ossl(e, ST_E_CRYPTO, "encoding the TBS");
		goto out;
	}
	rc = 0;
out:
	/* From here on the TBS DER is the certificate to be. */
	X509_free(j->x);
	j->x = NULL;
	ERR_clear_error();
	return rc != 0 ? job_fail(j, rc) : 0;
}

/* ------------------------------------------------------------------ */
/* Results                                                            */

static int
result_fill(struct ca_engine *g, struct ca_issue_result *r, const char *issuer,
    const char *profile, const uint8_t *serial, size_t serial_len,
    const uint8_t *der, size_t der_len, int64_t nb, int64_t na)
{
	struct ca_issuer	*is;

	memset(r, 0, sizeof(*r));
	if (serial_len > sizeof(r->serial))
		return ST_E_INTERNAL;
	if ((r->der = OPENSSL_memdup(der, der_len)) == NULL ||
	    ca_pem_encode("CERTIFICATE", der, der_len, &r->pem) != 0 ||
	    (r->issuer = strdup(issuer)) == NULL ||
	    (r->profile = strdup(profile)) == NULL) {
		ca_issue_result_clear(r);
		return ST_E_NOMEM;
	}
	r->der_len = der_len;
	memcpy(r->serial, serial, serial_len);
	r->serial_len = serial_len;
	st_hex_write(serial, serial_len, r->serial_hex);
	r->not_before = nb;
	r->not_after = na;
	if ((is = ca_engine_issuer(g, issuer)) != NULL)
		r->chain = is->chain_pem;
	return 0;
}

/*
 * The result of a job just committed: its DER and PEM move into it (the
 * PEM was made on a signing thread).
 */
static int
result_take(struct job *j)
{
	struct ca_issue_result	*r = j->res;

	memset(r, 0, sizeof(*r));
	if ((r->issuer = strdup(j->is->name)) == NULL ||
	    (r->profile = strdup(j->dec.profile->name)) == NULL) {
		ca_issue_result_clear(r);
		return ST_E_NOMEM;
	}
	r->der = j->der;
	r->der_len = (size_t)j->der_len;
	r->pem = j->pem;
	j->der = NULL;
	j->pem = NULL;
	memcpy(r->serial, j->serial, sizeof(j->serial));
	r->serial_len = sizeof(j->serial);
	st_hex_write(j->serial, sizeof(j->serial), r->serial_hex);
	r->not_before = j->nb;
	r->not_after = j->na;
	r->chain = j->is->chain_pem;
	return 0;
}

/* ------------------------------------------------------------------ */
/* What the store holds under a request key                           */

/* What a recorded certificate says, from its TBS. */
struct tbs_facts {
	const uint8_t	*spki;		/* the SubjectPublicKeyInfo TLV */
	size_t		 spki_len;
	const uint8_t	*tnauth;	/* the TNAuthList extension's value,
					 * or NULL */
	size_t		 tnauth_len;
	bool		 ca;		/* basicConstraints cA */
};

/* One TLV of [*p, end): tag, class and body; *p moves past it. */
static int
tlv_next(const unsigned char **p, const unsigned char *end, int *tag,
    int *cls, const unsigned char **body, long *len)
{
	const unsigned char	*q = *p;
	int			 r;

	if (q >= end)
		return -1;
	r = ASN1_get_object(&q, len, tag, cls, (long)(end - q));
	/* 0x80: an error; 0x21: constructed, indefinite length (BER). */
	if ((r & 0x80) != 0 || r == 0x21)
		return -1;
	*body = q;
	*p = q + *len;
	return 0;
}

/*
 * BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... } (RFC
 * 5280 section 4.2.1.9): is cA TRUE?
 */
static bool
bc_is_ca(const unsigned char *p, long len)
{
	const unsigned char	*end = p + len, *b, *v;
	long			 bl, vl;
	int			 tag, cls;

	if (tlv_next(&p, end, &tag, &cls, &b, &bl) != 0 ||
	    tag != V_ASN1_SEQUENCE || bl == 0)
		return false;
	return tlv_next(&b, b + bl, &tag, &cls, &v, &vl) == 0 &&
	    tag == V_ASN1_BOOLEAN && vl == 1 && v[0] != 0;
}

/*
 * The subject key, TNAuthList and cA of a recorded TBSCertificate (RFC
 * 5280 section 4.1), walked with ASN1_get_object as ca_signed_tbs_check
 * walks a certificate: the bytes are stica's own, linted before they
 * were recorded, and decoding them (d2i_X509 decodes the key too) would
 * cost more than the whole comparison.  -1 when they cannot be walked.
 */
static int
tbs_facts_get(const uint8_t *tbs, size_t len, struct tbs_facts *f)
{
	/* 1.3.6.1.5.5.7.1.26 (RFC 8226 section 9), 2.5.29.19 */
	static const unsigned char oid_tnauth[] = { 0x2b, 0x06, 0x01, 0x05,
		0x05, 0x07, 0x01, 0x1a };
	static const unsigned char oid_bc[] = { 0x55, 0x1d, 0x13 };
	const unsigned char	*p = tbs, *end, *b, *start, *xs, *xe, *x, *xend;
	const unsigned char	*oid, *val;
	long			 l, ol, vl;
	int			 tag, cls, i;

	memset(f, 0, sizeof(*f));
	if (tlv_next(&p, tbs + len, &tag, &cls, &b, &l) != 0 ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL)
		return -1;
	p = b;
	end = b + l;
	/* version [0] EXPLICIT, DEFAULT v1 */
	start = p;
	if (tlv_next(&p, end, &tag, &cls, &b, &l) != 0)
		return -1;
	if (cls != V_ASN1_CONTEXT_SPECIFIC || tag != 0)
		p = start;
	/* serialNumber, signature, issuer, validity, subject */
	for (i = 0; i < 5; i++)
		if (tlv_next(&p, end, &tag, &cls, &b, &l) != 0)
			return -1;
	start = p;
	if (tlv_next(&p, end, &tag, &cls, &b, &l) != 0 ||
	    tag != V_ASN1_SEQUENCE)
		return -1;
	f->spki = start;
	f->spki_len = (size_t)(p - start);
	while (p < end) {
		if (tlv_next(&p, end, &tag, &cls, &b, &l) != 0)
			return -1;
		if (cls != V_ASN1_CONTEXT_SPECIFIC || tag != 3)
			continue;
		/* extensions [3] EXPLICIT SEQUENCE OF Extension */
		if (tlv_next(&b, b + l, &tag, &cls, &xs, &l) != 0 ||
		    tag != V_ASN1_SEQUENCE)
			return -1;
		for (xe = xs + l; xs < xe;) {
			if (tlv_next(&xs, xe, &tag, &cls, &x, &l) != 0 ||
			    tag != V_ASN1_SEQUENCE)
				return -1;
			xend = x + l;
			/* extnID, critical DEFAULT FALSE, extnValue */
			if (tlv_next(&x, xend, &tag, &cls, &oid, &ol) != 0 ||
			    tag != V_ASN1_OBJECT ||
			    tlv_next(&x, xend, &tag, &cls, &val, &vl) != 0 ||
			    (tag == V_ASN1_BOOLEAN && tlv_next(&x, xend, &tag,
			    &cls, &val, &vl) != 0) ||
			    tag != V_ASN1_OCTET_STRING)
				return -1;
			if (ol == (long)sizeof(oid_tnauth) &&
			    memcmp(oid, oid_tnauth, sizeof(oid_tnauth)) == 0) {
				f->tnauth = val;
				f->tnauth_len = (size_t)vl;
			} else if (ol == (long)sizeof(oid_bc) &&
			    memcmp(oid, oid_bc, sizeof(oid_bc)) == 0)
				f->ca = bc_is_ca(val, vl);
		}
	}
	return 0;
}

/* The SPECs of l, space-separated, cut to fit buf. */
static void
specs_text(const struct ca_tnauth *l, char *buf, size_t bufsz)
{
	char	spec[SPEC_MAX];
	size_t	i, off = 0, sl;

	buf[0] = '\0';
	for (i = 0; l != NULL && i < l->n; i++) {
		ca_tn_entry_format(&l->v[i], spec, sizeof(spec));
		sl = strlen(spec);
		if (off + sl + 1 + 4 >= bufsz) {
			snprintf(buf + off, bufsz - off, "%s...", i > 0 ? " " :
			    "");
			return;
		}
		off += (size_t)snprintf(buf + off, bufsz - off, "%s%s",
		    i > 0 ? " " : "", spec);
	}
}

/*
 * Is j the request recorded in c, a valid or revoked row under j's
 * request key?  0 when it is; 1 with why saying what differs; or the
 * failure of reading j's key (which then fails j).  Compared with what
 * the row holds: the certificate's subject key (its SPKI, byte for
 * byte), its TNAuthList and its cA; the issuer and the profile when j
 * pins them; and, for rows since schema version 3, the request
 * fingerprint (job_fp), which adds the requester and the account.  A row
 * without one is judged on the rest: its account cannot be told.
 */
static int
same_request(struct job *j, const struct store_cert *c, char *why,
    size_t whysz)
{
	const struct ca_issue_req	*r = j->req;
	struct ca_tnauth		*l = NULL;
	struct tbs_facts		 f;
	char				 asked[100], had[100];
	int				 rc;

	if ((rc = job_key(j)) != 0 || (rc = job_tnauth(j)) != 0 ||
	    (rc = job_spki(j)) != 0)
		return rc;
	if (c->tbs == NULL || tbs_facts_get(c->tbs, c->tbs_len, &f) != 0) {
		snprintf(why, whysz, "its recorded certificate cannot be read");
		return 1;
	}
	if ((size_t)j->spki_len != f.spki_len ||
	    memcmp(j->spki, f.spki, f.spki_len) != 0) {
		snprintf(why, whysz, "its subject public key differs");
		return 1;
	}
	if (f.tnauth == NULL || f.tnauth_len != j->tnauth_len ||
	    memcmp(f.tnauth, j->tnauth, j->tnauth_len) != 0) {
		specs_text(r->tnauth, asked, sizeof(asked));
		if (f.tnauth == NULL || ca_tnauth_decode(f.tnauth,
		    f.tnauth_len, &l, NULL) != 0)
			snprintf(had, sizeof(had), "none");
		else
			specs_text(l, had, sizeof(had));
		ca_tnauth_free(l);
		snprintf(why, whysz, "TNAuthList %s asked for, %s recorded",
		    asked, had);
		return 1;
	}
	if (r->ca != f.ca) {
		snprintf(why, whysz, "%s certificate asked for, %s recorded",
		    r->ca ? "a CA" : "an end-entity", f.ca ? "a CA one" :
		    "an end-entity one");
		return 1;
	}
	if (r->issuer != NULL && strcmp(r->issuer, c->issuer) != 0) {
		snprintf(why, whysz, "issuer '%s' asked for, '%s' recorded",
		    r->issuer, c->issuer);
		return 1;
	}
	if (r->profile != NULL && strcmp(r->profile, c->profile) != 0) {
		snprintf(why, whysz, "profile '%s' asked for, '%s' recorded",
		    r->profile, c->profile);
		return 1;
	}
	if (c->request_fp != NULL) {
		if ((rc = job_fp(j)) != 0)
			return rc;
		if (memcmp(j->fp, c->request_fp, STORE_REQUEST_FP_LEN) != 0) {
			snprintf(why, whysz, "its requester or account "
			    "differs");
			return 1;
		}
	}
	return 0;
}

static void	conflict_fail(struct job *, const char *, ...) ST_PRINTF(2, 3);

/*
 * Refuse j for what its request key holds (ST_E_EXISTS: RFC 7807's 409
 * Conflict), with a refuse line as for the policy's refusals.
 */
static void
conflict_fail(struct job *j, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	st_err_vset(j->e, ST_E_EXISTS, fmt, ap);
	va_end(ap);
	j->conflict = true;
	job_fail(j, ST_E_EXISTS);
}

/* Why held_resolve aborts a pending row: its run is over. */
#define INTERRUPTED \
	"an interrupted attempt under the same request key; issued anew"

static void
interrupted(const char *run, long pid, char *buf, size_t bufsz)
{
	if (run == NULL)
		snprintf(buf, bufsz, "%s", INTERRUPTED);
	else if (pid > 0)
		snprintf(buf, bufsz, "an interrupted attempt under the same "
		    "request key (run %.32s of pid %ld is no longer running); "
		    "issued anew", run, pid);
	else
		snprintf(buf, bufsz, "an interrupted attempt under the same "
		    "request key (run %.32s is no longer running); issued "
		    "anew", run);
}

/*
 * Decide the open jobs of v[0..n) whose request key the store holds,
 * looked up in one read transaction:
 *  - a valid row: the same request (same_request) gets its certificate
 *    (res->existing); another request is refused (ST_E_EXISTS, audited);
 *  - a revoked row: refused, whatever the request (the key is spent);
 *  - a pending row of a run that is alive (store_run_alive: its lock is
 *    held): that job fails with ST_E_EXISTS, "in progress in another
 *    run", and the intent is left alone, for its run to commit;
 *  - a pending row of a run that is over, or of none (recorded before
 *    schema version 3): an attempt its process left when it died.  It is
 *    aborted (audited) and the job goes on, to be issued anew.
 * The aborts are one write transaction per run (one by one if another
 * process changed one of the rows meanwhile; a row no longer pending is
 * then left to the reservation, which finds what holds the key).  locked:
 * the caller holds the engine's store lock.  *changed counts the jobs
 * decided and the rows aborted.  Returns 0 or a store failure.
 */
static int
held_resolve(struct ca_engine *g, struct store *s, struct job **v, size_t n,
    bool locked, size_t *changed, struct st_err *e)
{
	struct store_cert	**c = NULL;
	const char		**keys = NULL, **runs = NULL, *last = NULL;
	struct store_ref	 *refs = NULL;
	struct job		**w = NULL;
	struct st_err		  se;
	char			  why[300], hex[2 * STORE_SERIAL_MAX + 1];
	char			  reason[200], t[32];
	const char		 *rn;
	long			 *pids = NULL, pid = 0;
	size_t			  i, k, x, m = 0, sz = n > 0 ? n : 1;
	int			  rc = ST_E_INTERNAL, alive = 0, y;

	*changed = 0;
	if ((c = calloc(sz, sizeof(*c))) == NULL ||
	    (keys = calloc(sz, sizeof(*keys))) == NULL ||
	    (runs = calloc(sz, sizeof(*runs))) == NULL ||
	    (pids = calloc(sz, sizeof(*pids))) == NULL ||
	    (refs = calloc(sz, sizeof(*refs))) == NULL ||
	    (w = calloc(sz, sizeof(*w))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		keys[i] = v[i]->rc == 0 && !v[i]->done &&
		    v[i]->req->tnauth != NULL && v[i]->req->tnauth->n > 0 ?
		    v[i]->req->request_key : NULL;
	st_err_clear(&se);
	if ((rc = store_request_lookup_many(s, keys, n, c, &se)) != 0) {
		st_err_set(e, rc, "%s", st_err_str(&se, rc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct job	*j = v[i];
		const char	*key = j->req->request_key;

		if (c[i] == NULL)
			continue;
		st_hex_write(c[i]->serial, c[i]->serial_len, hex);
		if (c[i]->status == STORE_VALID ||
		    c[i]->status == STORE_REVOKED) {
			(*changed)++;
			if ((y = job_specs(j)) != 0) {
				job_fail(j, y);
				continue;
			}
			if (c[i]->status == STORE_REVOKED) {
				st_time_format(c[i]->revoked_at, t, sizeof(t));
				rn = store_reason_name(c[i]->reason);
				conflict_fail(j, "request key '%s': its "
				    "certificate, serial %s of issuer '%s', "
				    "was revoked (%s) on %s; a new request "
				    "needs a new request key", key, hex,
				    c[i]->issuer, rn != NULL ? rn : "?", t);
				continue;
			}
			if ((y = same_request(j, c[i], why, sizeof(why))) < 0)
				job_fail(j, y);
			else if (y == 1)
				conflict_fail(j, "request key '%s' was used "
				    "for another request (serial %s of issuer "
				    "'%s'): %s; a different request needs a "
				    "new request key", key, hex, c[i]->issuer,
				    why);
			else if ((rc = result_fill(g, j->res, c[i]->issuer,
			    c[i]->profile, c[i]->serial, c[i]->serial_len,
			    c[i]->der, c[i]->der_len, c[i]->not_before,
			    c[i]->not_after)) != 0)
				goto out;
			else {
				j->res->existing = true;
				j->done = true;
			}
			continue;
		}
		if (c[i]->status != STORE_PENDING)
			continue;
		if (c[i]->run != NULL) {
			if (last == NULL || strcmp(last, c[i]->run) != 0) {
				st_err_clear(&se);
				pid = 0;
				if ((alive = store_run_alive(s, c[i]->run, &pid,
				    &se)) < 0) {
					rc = st_err_set(e, alive, "%s",
					    st_err_str(&se, alive));
					goto out;
				}
				last = c[i]->run;
			}
			if (alive) {
				(*changed)++;
				job_fail(j, st_err_set(j->e, ST_E_EXISTS,
				    "request key '%s' is in progress in "
				    "another run (pid %ld, run %s): serial %s "
				    "of issuer '%s' is reserved and not yet "
				    "committed; retry once that run has "
				    "finished", key, pid, c[i]->run, hex,
				    c[i]->issuer));
				continue;
			}
		}
		refs[m].issuer = c[i]->issuer;
		refs[m].serial = c[i]->serial;
		refs[m].serial_len = c[i]->serial_len;
		runs[m] = c[i]->run;
		pids[m] = c[i]->run != NULL ? pid : 0;
		w[m++] = j;
	}
	if (m > 0 && !locked)
		ca_engine_store_lock(g);
	for (i = 0; i < m; i = k) {
		for (k = i + 1; k < m && (runs[k] == NULL) == (runs[i] ==
		    NULL) && (runs[k] == NULL || strcmp(runs[k], runs[i]) ==
		    0); k++)
			continue;
		interrupted(runs[i], pids[i], reason, sizeof(reason));
		st_err_clear(&se);
		if (store_issue_abort(s, &refs[i], k - i, reason, &se) != 0)
			for (x = i; x < k; x++) {
				st_err_clear(&se);
				if ((y = store_issue_abort(s, &refs[x], 1,
				    reason, &se)) != 0 && infra_error(y))
					job_fail(w[x], st_err_set(w[x]->e, y,
					    "%s", st_err_str(&se, y)));
			}
		*changed += k - i;
	}
	if (m > 0 && !locked)
		ca_engine_store_unlock(g);
	rc = 0;
out:
	for (i = 0; c != NULL && i < n; i++)
		store_cert_free(c[i]);
	free(c);
	free(keys);
	free(runs);
	free(pids);
	free(refs);
	free(w);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reserve, sign, commit                                              */

static void
intent_of(const struct job *j, struct store_intent *it)
{
	memset(it, 0, sizeof(*it));
	it->issuer = j->is->name;
	it->serial = j->serial;
	it->serial_len = sizeof(j->serial);
	it->profile = j->dec.profile->name;
	it->subject = j->subject;
	it->tnauth = j->tnauth;
	it->tnauth_len = j->tnauth_len;
	it->not_before = j->nb;
	it->not_after = j->na;
	it->tbs = j->tbs;
	it->tbs_len = (size_t)j->tbs_len;
	it->request_key = j->req->request_key;
	it->request_fp = j->req->request_key != NULL && j->has_fp ? j->fp :
	    NULL;
}

/*
 * Record the intents of the built jobs in one transaction, before any
 * signature (anchors.md section 1.3).  A serial collision (one in 2^135)
 * rebuilds that job with a new serial.  A request key that another
 * process took since the look-up is decided as the look-up decides
 * (held_resolve), for every job of the reservation at once: the same
 * request gets the certificate that process issued, another is refused,
 * a live run's intent fails that job alone.  The caller holds the
 * engine's store lock.
 */
static int
reserve(struct ca_engine *g, struct store *s, struct job **v, size_t n,
    struct st_err *e)
{
	struct store_intent	*it = NULL;
	struct job		**w = NULL;
	struct st_err		 se;
	size_t			 i, m, conflict, tries, changed;
	int			 rc = ST_E_INTERNAL;

	if ((it = calloc(n > 0 ? n : 1, sizeof(*it))) == NULL ||
	    (w = calloc(n > 0 ? n : 1, sizeof(*w))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (tries = 0; tries <= n + 4; tries++) {
		for (i = m = 0; i < n; i++)
			if (v[i]->rc == 0 && !v[i]->done) {
				w[m] = v[i];
				intent_of(v[i], &it[m++]);
			}
		if (m == 0) {
			rc = 0;
			goto out;
		}
		st_err_clear(&se);
		conflict = m;
		rc = store_issue_reserve(s, it, m, &conflict, &se);
		if (rc == 0) {
			for (i = 0; i < m; i++)
				w[i]->reserved = true;
			goto out;
		}
		if (rc != ST_E_EXISTS || conflict >= m) {
			st_err_set(e, rc, "%s", st_err_str(&se, rc));
			goto out;
		}
		changed = 0;
		if (w[conflict]->req->request_key != NULL &&
		    (rc = held_resolve(g, s, w, m, true, &changed, e)) != 0)
			goto out;
		/* Nothing holds a key: a serial collision. */
		if (changed == 0)
			(void)job_build(g, w[conflict]);
	}
	rc = st_err_set(e, ST_E_STORE, "reserve: the store keeps refusing the "
	    "intents");
out:
	free(it);
	free(w);
	return rc;
}

/*
 * Sign the recorded TBS of j and assemble its certificate.  The TBS DER
 * that was linted and recorded is what EVP_DigestSign hashes and what the
 * certificate carries (Certificate with the TBS as ANY, ca/asn1.c), so it
 * is not encoded twice more as X509_sign_ctx and i2d_X509 would; its
 * signature field already holds the key's AlgorithmIdentifier (from the
 * provider, job_build), which becomes signatureAlgorithm too.  hsm/
 * verified the token's signature before returning it (docs/hsm.md), so
 * it is not verified again here; ca_signed_tbs_check still walks the
 * result (RFC 5280 section 4.1.1.2).  The PEM is made here too, on the
 * signing threads.
 */
static int
job_sign(struct job *j, EVP_MD_CTX *m, EVP_MD_CTX *tmpl)
{
	Certificate	 c;
	ASN1_TYPE	 tbs;
	ASN1_STRING	 tbs_der;
	ASN1_BIT_STRING	 sigv;
	unsigned char	 sig[1024];
	size_t		 siglen = sizeof(sig);
	int		 rc = ST_E_INTERNAL;

	if (tmpl == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (!EVP_MD_CTX_copy_ex(m, tmpl)) {
		rc = st_err_ossl(j->e, ST_E_CRYPTO, "issuer '%s': copying the "
		    "signing context", j->is->name);
		goto out;
	}
	if (EVP_DigestSign(m, sig, &siglen, j->tbs, (size_t)j->tbs_len) !=
	    1 || siglen == 0 || siglen > sizeof(sig)) {
		rc = st_err_ossl(j->e, ST_E_HSM, "issuer '%s': signing in the "
		    "HSM", j->is->name);
		goto out;
	}
	memset(&tbs_der, 0, sizeof(tbs_der));
	tbs_der.type = V_ASN1_SEQUENCE;
	tbs_der.data = j->tbs;
	tbs_der.length = j->tbs_len;
	memset(&tbs, 0, sizeof(tbs));
	tbs.type = V_ASN1_SEQUENCE;
	tbs.value.sequence = &tbs_der;
	memset(&sigv, 0, sizeof(sigv));
	sigv.type = V_ASN1_BIT_STRING;
	sigv.data = sig;
	sigv.length = (int)siglen;
	/* No unused bits; without the flag i2d would drop trailing zeros. */
	sigv.flags = ASN1_STRING_FLAG_BITS_LEFT;
	c.tbsCertificate = &tbs;
	c.signatureAlgorithm = j->is->sigalg;
	c.signatureValue = &sigv;
	if ((j->der_len = i2d_Certificate(&c, &j->der)) <= 0) {
		j->der = NULL;
		rc = st_err_ossl(j->e, ST_E_CRYPTO, "encoding the "
		    "certificate");
		goto out;
	}
	if ((rc = ca_signed_tbs_check(j->der, (size_t)j->der_len, j->tbs,
	    (size_t)j->tbs_len, j->e)) != 0)
		goto out;
	if ((rc = ca_pem_encode("CERTIFICATE", j->der, (size_t)j->der_len,
	    &j->pem)) != 0)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	return rc != 0 ? job_fail(j, rc) : 0;
}

/* The two phases that run on several threads. */
enum phase {
	PH_BUILD,	/* judge, build, lint: everything before the store */
	PH_SIGN		/* sign, assemble, PEM: between reserve and commit */
};

/*
 * Work shared by the threads of one phase: each takes the next job by
 * an atomic counter, so a slow job or a thread that failed to start
 * leaves no gap.
 */
struct par {
	struct ca_engine	*g;
	struct job		**v;
	size_t			  n;
	atomic_size_t		  next;
	int64_t			  now;
	enum phase		  phase;
};

/*
 * A signing context prepared by hsm_key_sign_init for the issuer of j,
 * made once per thread and issuer: each signature starts from a copy
 * (EVP_MD_CTX_copy_ex, the provider's dupctx), which costs a tenth of
 * EVP_DigestSignInit_ex and its fetches.  NULL when it cannot be made
 * (j then carries why).
 */
static EVP_MD_CTX *
sign_template(struct ca_engine *g, EVP_MD_CTX **tmpl, struct job *j)
{
	EVP_MD_CTX	**t = &tmpl[j->is - g->iss];
	int		  rc;

	if (*t != NULL)
		return *t;
	if ((*t = EVP_MD_CTX_new()) == NULL) {
		job_fail(j, ST_E_NOMEM);
		return NULL;
	}
	if ((rc = hsm_key_sign_init(j->is->key, *t, j->e)) != 0) {
		job_fail(j, rc);
		EVP_MD_CTX_free(*t);
		*t = NULL;
	}
	return *t;
}

static void *
par_worker(void *arg)
{
	struct par	 *p = arg;
	EVP_MD_CTX	 *m = NULL, **tmpl = NULL, *t;
	size_t		  i;

	if (p->phase == PH_SIGN) {
		m = EVP_MD_CTX_new();
		tmpl = calloc(p->g->niss > 0 ? p->g->niss : 1, sizeof(*tmpl));
	}
	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct job *j = p->v[i];

		if (p->phase == PH_BUILD) {
			if (job_judge(p->g, j, p->now) == 0)
				(void)job_build(p->g, j);
		} else if (m == NULL || tmpl == NULL)
			job_fail(j, ST_E_NOMEM);
		else if ((t = sign_template(p->g, tmpl, j)) != NULL)
			(void)job_sign(j, m, t);
	}
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	for (i = 0; tmpl != NULL && i < p->g->niss; i++)
		EVP_MD_CTX_free(tmpl[i]);
	free(tmpl);
	return NULL;
}

/*
 * Run phase over v[0..n) on up to threads threads (0: 2), the calling
 * thread being one of them.  hsm/ is thread-safe and so is the engine
 * (docs/issuance.md); each job is touched by one thread only.
 */
static void
par_run(struct ca_engine *g, struct job **v, size_t n, unsigned threads,
    enum phase phase, int64_t now)
{
	struct par	p;
	pthread_t	t[MAX_THREADS];
	bool		started[MAX_THREADS];
	size_t		i, nt;

	if (n == 0)
		return;
	if (threads == 0)
		threads = 2;
	nt = threads > MAX_THREADS ? MAX_THREADS : threads;
	if (n < THREAD_MIN * nt)
		nt = n / THREAD_MIN > 0 ? n / THREAD_MIN : 1;
	p.g = g;
	p.v = v;
	p.n = n;
	atomic_init(&p.next, 0);
	p.now = now;
	p.phase = phase;
	for (i = 1; i < nt; i++)
		started[i] = pthread_create(&t[i], NULL, par_worker, &p) == 0;
	par_worker(&p);
	for (i = 1; i < nt; i++)
		if (started[i])
			pthread_join(t[i], NULL);
}

/* The extra fields of the "issue" audit line (the store adds the rest). */
static json_t *
issue_fields(const struct job *j)
{
	json_t	*o;

	if ((o = request_fields(j)) == NULL)
		return NULL;
	if (json_object_set_new(o, "key", json_string(pol_key_type_name(
	    j->key.type))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Commit the signed jobs in one transaction; if another process changed
 * one of the rows meanwhile, commit them one by one to find it.  Returns
 * 0 or a store failure.
 */
static int
commit(struct store *s, struct job **v, size_t n, struct st_err *e)
{
	struct store_signed	*sg = NULL;
	struct job		**w = NULL;
	struct st_err		 se;
	size_t			 i, m = 0;
	int			 rc = ST_E_INTERNAL;

	if ((sg = calloc(n > 0 ? n : 1, sizeof(*sg))) == NULL ||
	    (w = calloc(n > 0 ? n : 1, sizeof(*w))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct job *j = v[i];

		if (j->rc != 0 || !j->reserved || j->der == NULL)
			continue;
		sg[m].issuer = j->is->name;
		sg[m].serial = j->serial;
		sg[m].serial_len = sizeof(j->serial);
		sg[m].der = j->der;
		sg[m].der_len = (size_t)j->der_len;
		if ((sg[m].audit = issue_fields(j)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		w[m++] = j;
	}
	if (m == 0) {
		rc = 0;
		goto out;
	}
	st_err_clear(&se);
	rc = store_issue_commit(s, sg, m, &se);
	if (rc == ST_E_EXISTS || rc == ST_E_NOTFOUND || rc == ST_E_VERIFY) {
		for (i = 0; i < m; i++)
			if ((rc = store_issue_commit(s, &sg[i], 1, w[i]->e)) !=
			    0) {
				if (infra_error(rc))
					goto out;
				job_fail(w[i], rc);
			}
		rc = 0;
	} else if (rc != 0) {
		st_err_set(e, rc, "%s", st_err_str(&se, rc));
		goto out;
	}
	for (i = 0; i < m; i++) {
		struct job *j = w[i];

		if (j->rc != 0)
			continue;
		j->reserved = false;
		if ((rc = result_take(j)) != 0)
			goto out;
		j->done = true;
	}
	rc = 0;
out:
	for (i = 0; sg != NULL && i < m; i++)
		json_decref(sg[i].audit);
	free(sg);
	free(w);
	return rc;
}

/*
 * The store takes an abort reason of at most 256 bytes of UTF-8: cut a
 * longer message before a character that would not fit.
 */
static const char *
abort_reason(const struct job *j, char *buf, size_t bufsz)
{
	unsigned char	lead;
	size_t		len, p, need;

	snprintf(buf, bufsz, "%s", j->rc != 0 ? st_err_str(j->e, j->rc) :
	    "not committed");
	len = p = strlen(buf);
	while (p > 0 && ((unsigned char)buf[p - 1] & 0xc0) == 0x80)
		p--;
	if (p > 0 && ((lead = (unsigned char)buf[p - 1]) & 0x80) != 0) {
		need = (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 :
		    4;
		if (len - (p - 1) < need)
			buf[p - 1] = '\0';
	}
	return buf;
}

/*
 * Abort what was reserved and will not be committed (serial retired).
 * Consecutive jobs that fail for the same reason (a chunk whose
 * signatures the HSM refused) are aborted in one transaction; if that
 * fails (another process finished one of them), one by one.
 */
static int
abort_failed(struct store *s, struct job **v, size_t n, struct st_err *e)
{
	struct store_ref	 one, *refs;
	struct st_err		 se;
	char			 why[200], next[200];
	size_t			 i, k, x, m, cap;
	int			 rc, first = 0;

	if ((refs = calloc(n > 0 ? n : 1, sizeof(*refs))) != NULL)
		cap = n;
	else {
		refs = &one;
		cap = 1;
	}
	for (i = 0; i < n; i = k) {
		if (!v[i]->reserved || v[i]->done) {
			k = i + 1;
			continue;
		}
		abort_reason(v[i], why, sizeof(why));
		for (m = 0, k = i; k < n && m < cap; k++) {
			struct job *j = v[k];

			if (!j->reserved || j->done)
				continue;
			if (k > i && strcmp(abort_reason(j, next,
			    sizeof(next)), why) != 0)
				break;
			refs[m].issuer = j->is->name;
			refs[m].serial = j->serial;
			refs[m++].serial_len = sizeof(j->serial);
		}
		st_err_clear(&se);
		if ((rc = store_issue_abort(s, refs, m, why, &se)) != 0 &&
		    m > 1) {
			/* One of them changed meanwhile: each alone. */
			for (x = 0; x < m; x++) {
				st_err_clear(&se);
				if ((rc = store_issue_abort(s, &refs[x], 1,
				    why, &se)) != 0 && rc != ST_E_EXISTS &&
				    first == 0)
					first = st_err_set(e, rc, "%s",
					    st_err_str(&se, rc));
			}
		} else if (rc != 0 && rc != ST_E_EXISTS && first == 0)
			first = st_err_set(e, rc, "%s", st_err_str(&se, rc));
		for (x = i; x < k; x++)
			if (!v[x]->done)
				v[x]->reserved = false;
	}
	if (refs != &one)
		free(refs);
	return first;
}

/* ------------------------------------------------------------------ */
/* The pipeline                                                       */

/*
 * Run jobs v[0..n) through every phase: the store work (look-up,
 * refusals' audit lines, reservation, commit) on the calling thread, the
 * rest (judging, building, linting; signing, assembling) on up to
 * threads threads.  Returns 0 when each job has its outcome in its rc/e
 * (and res when rc is 0), or the first failure of the store or the HSM.
 */
static int
run(struct ca_engine *g, struct job **v, size_t n, unsigned threads,
    struct st_err *e)
{
	struct store	*s = NULL;
	struct job	**sv = NULL;
	int64_t		 now = (int64_t)time(NULL);
	size_t		 i, ns, changed;
	int		 rc = ST_E_INTERNAL, arc;

	if ((rc = ca_engine_store_take(g, &s, e)) != 0)
		goto out;
	if ((rc = held_resolve(g, s, v, n, false, &changed, e)) != 0)
		goto out;
	if ((sv = calloc(n > 0 ? n : 1, sizeof(*sv))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = ns = 0; i < n; i++)
		if (v[i]->rc == 0 && !v[i]->done)
			sv[ns++] = v[i];
	par_run(g, sv, ns, threads, PH_BUILD, now);
	ca_engine_store_lock(g);
	if ((rc = audit_refusals(s, v, n, e)) == 0 &&
	    (rc = reserve(g, s, v, n, e)) == 0)
		/* The requests the reservation found refused. */
		rc = audit_refusals(s, v, n, e);
	ca_engine_store_unlock(g);
	if (rc != 0)
		goto out;
	for (i = ns = 0; i < n; i++)
		if (v[i]->reserved && v[i]->rc == 0)
			sv[ns++] = v[i];
	par_run(g, sv, ns, threads, PH_SIGN, now);
	ca_engine_store_lock(g);
	rc = commit(s, v, n, e);
	ca_engine_store_unlock(g);
	if (rc != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i]->rc != 0 && infra_error(v[i]->rc)) {
			rc = st_err_set(e, v[i]->rc, "%s", st_err_str(v[i]->e,
			    v[i]->rc));
			break;
		}
out:
	/* Whatever was reserved and not committed is retired. */
	if (s != NULL) {
		ca_engine_store_lock(g);
		arc = abort_failed(s, v, n, e);
		ca_engine_store_unlock(g);
		if (rc == 0)
			rc = arc;
	}
	free(sv);
	ca_engine_store_put(g, s);
	return rc;
}

int
ca_issue(struct ca_engine *g, const struct ca_issue_req *req,
    struct ca_issue_result *out, struct st_err *e)
{
	struct job	 j, *jp = &j;
	int		 rc;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	j.req = req;
	j.e = e;
	j.res = out;
	rc = run(g, &jp, 1, 1, e);
	if (rc == 0 && j.rc != 0)
		rc = j.rc;
	if (rc != 0)
		ca_issue_result_clear(out);
	job_clear(&j);
	return rc;
}

int
ca_issue_batch(struct ca_engine *g, struct ca_batch_item *v, size_t n,
    unsigned threads, struct st_err *e)
{
	struct job	*jobs = NULL, **jp = NULL;
	size_t		 i;
	int		 rc = ST_E_INTERNAL;

	for (i = 0; i < n; i++) {
		v[i].rc = 0;
		st_err_clear(&v[i].err);
		memset(&v[i].res, 0, sizeof(v[i].res));
	}
	if ((jobs = calloc(n > 0 ? n : 1, sizeof(*jobs))) == NULL ||
	    (jp = calloc(n > 0 ? n : 1, sizeof(*jp))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		jobs[i].req = &v[i].req;
		jobs[i].e = &v[i].err;
		jobs[i].res = &v[i].res;
		jp[i] = &jobs[i];
	}
	rc = run(g, jp, n, threads, e);
out:
	for (i = 0; i < n; i++) {
		if (jobs != NULL) {
			v[i].rc = jobs[i].rc;
			if (v[i].rc == 0 && !jobs[i].done)
				v[i].rc = rc != 0 ? rc : ST_E_INTERNAL;
			job_clear(&jobs[i]);
		} else
			v[i].rc = rc;
		if (v[i].rc != 0)
			ca_issue_result_clear(&v[i].res);
	}
	free(jobs);
	free(jp);
	return rc;
}
