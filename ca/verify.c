/* SPDX-License-Identifier: ISC */
/*
 * Chain verification for relying parties (stica verify): an x5u
 * certificate list (RFC 9060 section 7, "application/pem-certificate-
 * chain", leaf first, ordered toward the trust anchor) is checked for
 *
 *  - order and AKI/SKI linkage, "throughout the entire chain" including
 *    the last certificate against the anchor (RFC 9060 section 7);
 *  - RFC 5280 section 6 path validation by OpenSSL (X509_verify_cert,
 *    purpose any, X.509 strict mode, partial chains allowed so that an
 *    intermediate may be the anchor);
 *  - strict TNAuthList decoding (RFC 8226 section 9) and the RFC 9060
 *    section 4 encompassing rule against every certificate above that has
 *    a TNAuthList, the anchor included: a CA without one adds no
 *    constraint of its own, but its ancestors' still apply (RFC 8226
 *    section 9: a CA's list "limits the set of TNs for certification
 *    paths that include this certificate");
 *  - RFC 9118 section 6 and strict claim-constraint decoding;
 *  - optionally, that the leaf's scope holds a given number.
 *
 * Every failure names the certificate ("certificate N (subject)", N = 0
 * for the leaf, or "the trust anchor (subject)") and the rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

#define VFY_NAMESZ	200

/* One certificate of the path: the list's, then the anchor. */
struct vfy_cert {
	X509			*x;		/* borrowed */
	struct ca_tnauth	*tn;		/* NULL: no TNAuthList */
	struct ca_scope		*scope;
};

/* A name in RFC 2253 form for messages, cut to fit buf. */
static const char *
vfy_name(const X509_NAME *n, char *buf, size_t bufsz)
{
	BIO	*b;
	int	 len;

	buf[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
		    (len = BIO_read(b, buf, (int)bufsz - 1)) > 0)
			buf[len] = '\0';
		BIO_free(b);
	}
	if (buf[0] == '\0')
		(void)snprintf(buf, bufsz, "empty name");
	return buf;
}

/* "certificate N (subject)" or "the trust anchor (subject)". */
static const char *
vfy_label(X509 *x, size_t idx, bool anchor, char *buf, size_t bufsz)
{
	char	nm[VFY_NAMESZ];

	(void)vfy_name(X509_get_subject_name(x), nm, sizeof(nm));
	if (anchor)
		(void)snprintf(buf, bufsz, "the trust anchor (%s)", nm);
	else
		(void)snprintf(buf, bufsz, "certificate %zu (%s)", idx, nm);
	return buf;
}

/* Colon-separated hex of a key identifier, cut to 32 bytes. */
static const char *
vfy_hex(const ASN1_OCTET_STRING *os, char *buf, size_t bufsz)
{
	const unsigned char	*p = ASN1_STRING_get0_data(os);
	size_t			 i, n = 0, len;

	len = (size_t)ASN1_STRING_length(os);
	buf[0] = '\0';
	for (i = 0; i < len && i < 32 && n + 4 < bufsz; i++)
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%02x",
		    i > 0 ? ":" : "", p[i]);
	return buf;
}

/* The SKI of x (new object), or NULL when absent or undecodable. */
static ASN1_OCTET_STRING *
vfy_ski(const X509 *x)
{
	ASN1_OCTET_STRING	*s;
	int			 crit = -1;

	s = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
	ERR_clear_error();
	return s;
}

/* The AKI keyIdentifier of x (new object), or NULL. */
static ASN1_OCTET_STRING *
vfy_aki(const X509 *x)
{
	AUTHORITY_KEYID		*a;
	ASN1_OCTET_STRING	*k = NULL;
	int			 crit = -1;

	a = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	if (a != NULL && a->keyid != NULL) {
		k = a->keyid;
		a->keyid = NULL;
	}
	AUTHORITY_KEYID_free(a);
	ERR_clear_error();
	return k;
}

/* Is x (by content) one of the anchors? */
static bool
vfy_trusted(const X509 *x, STACK_OF(X509) *trust)
{
	int	i;

	for (i = 0; i < sk_X509_num(trust); i++)
		if (X509_cmp(x, sk_X509_value(trust, i)) == 0)
			return true;
	return false;
}

/*
 * RFC 9060 section 7: certificate a (index ai) is followed by b, its
 * issuer: b's subject is a's issuer, and "The key identifier in the
 * Authority Key Identifier extension in the first certificate MUST appear
 * in the Subject Key Identifier extension in the second certificate".
 * chain (may be NULL) lets an out-of-order list say where the issuer is.
 */
static int
vfy_link(X509 *a, size_t ai, X509 *b, size_t bi, bool b_anchor,
    STACK_OF(X509) *chain, struct st_err *why)
{
	ASN1_OCTET_STRING	*aki = NULL, *ski = NULL;
	char			 la[VFY_NAMESZ + 40], lb[VFY_NAMESZ + 40];
	char			 lc[VFY_NAMESZ + 40], h1[100], h2[100];
	int			 i, rc = ST_E_INTERNAL;

	(void)vfy_label(a, ai, false, la, sizeof(la));
	(void)vfy_label(b, bi, b_anchor, lb, sizeof(lb));
	if (X509_NAME_cmp(X509_get_issuer_name(a),
	    X509_get_subject_name(b)) != 0) {
		for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
			if ((size_t)i == ai || X509_NAME_cmp(
			    X509_get_issuer_name(a), X509_get_subject_name(
			    sk_X509_value(chain, i))) != 0)
				continue;
			rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 9060 "
			    "section 7: the list must be ordered from the "
			    "signer to the trust anchor, but its issuer is "
			    "%s, not %s", la, vfy_label(sk_X509_value(chain,
			    i), (size_t)i, false, lc, sizeof(lc)), lb);
			goto out;
		}
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 9060 section 7: "
		    "the next certificate in the list, %s, is not its issuer "
		    "(issuer and subject names differ)", la, lb);
		goto out;
	}
	if ((aki = vfy_aki(a)) == NULL) {
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 9060 section 7: no "
		    "Authority Key Identifier keyIdentifier to find its parent "
		    "by", la);
		goto out;
	}
	if ((ski = vfy_ski(b)) == NULL) {
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 9060 section 7: no "
		    "Subject Key Identifier for the AKI keyIdentifier %s of "
		    "%s to appear in", lb, vfy_hex(aki, h1, sizeof(h1)), la);
		goto out;
	}
	if (ASN1_OCTET_STRING_cmp(aki, ski) != 0) {
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 9060 section 7: its "
		    "AKI keyIdentifier %s does not appear as the SKI of %s "
		    "(%s)", la, vfy_hex(aki, h1, sizeof(h1)), lb,
		    vfy_hex(ski, h2, sizeof(h2)));
		goto out;
	}
	rc = 0;
out:
	ASN1_OCTET_STRING_free(aki);
	ASN1_OCTET_STRING_free(ski);
	return rc;
}

/*
 * The anchor above the last listed certificate x: an anchor whose
 * subject is x's issuer and whose SKI is x's AKI keyIdentifier.
 */
static int
vfy_find_anchor(X509 *x, size_t xi, STACK_OF(X509) *trust, X509 **out,
    struct st_err *why)
{
	ASN1_OCTET_STRING	*aki = NULL, *ski;
	X509			*t, *named = NULL;
	char			 la[VFY_NAMESZ + 40], lb[VFY_NAMESZ + 40];
	char			 nm[VFY_NAMESZ];
	int			 i, rc = ST_E_INTERNAL;

	*out = NULL;
	aki = vfy_aki(x);
	for (i = 0; i < sk_X509_num(trust); i++) {
		t = sk_X509_value(trust, i);
		if (X509_NAME_cmp(X509_get_issuer_name(x),
		    X509_get_subject_name(t)) != 0)
			continue;
		if (named == NULL)
			named = t;
		ski = vfy_ski(t);
		if (aki != NULL && ski != NULL &&
		    ASN1_OCTET_STRING_cmp(aki, ski) == 0) {
			ASN1_OCTET_STRING_free(ski);
			*out = t;
			rc = 0;
			goto out;
		}
		ASN1_OCTET_STRING_free(ski);
	}
	if (named == NULL) {
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 5280 section 6.1: "
		    "its issuer (%s) is not among the trust anchors",
		    vfy_label(x, xi, false, la, sizeof(la)),
		    vfy_name(X509_get_issuer_name(x), nm, sizeof(nm)));
		goto out;
	}
	/* Named like the anchor but not linked to it: say why. */
	if ((rc = vfy_link(x, xi, named, 0, true, NULL, why)) == 0)
		rc = st_err_set(why, ST_E_VERIFY, "%s: no trust anchor "
		    "matches %s", vfy_label(x, xi, false, la, sizeof(la)),
		    vfy_label(named, 0, true, lb, sizeof(lb)));
out:
	ASN1_OCTET_STRING_free(aki);
	return rc;
}

/*
 * RFC 5280 section 6 by OpenSSL: the path must be exactly the list's
 * certificates v[0..m-1] followed by the anchor v[m].
 */
static int
vfy_openssl(struct vfy_cert *v, size_t m, STACK_OF(X509) *trust, time_t at,
    struct st_err *why)
{
	X509_STORE		*store = NULL;
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	STACK_OF(X509)		*untrusted = NULL, *built;
	X509			*cur;
	char			 lb[VFY_NAMESZ + 40];
	size_t			 i;
	int			 err, depth, rc = ST_E_INTERNAL;

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < (size_t)sk_X509_num(trust); i++)
		(void)X509_STORE_add_cert(store, sk_X509_value(trust, (int)i));
	ERR_clear_error();
	for (i = 1; i < m; i++) {
		if (!sk_X509_push(untrusted, v[i].x)) {
			rc = ST_E_NOMEM;
			goto out;
		}
	}
	if (!X509_STORE_CTX_init(ctx, store, v[0].x, untrusted) ||
	    !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY)) {
		rc = st_err_ossl(why, ST_E_CRYPTO, "verify: X509_STORE_CTX");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	(void)X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT |
	    X509_V_FLAG_PARTIAL_CHAIN);
	if (at != 0)
		X509_VERIFY_PARAM_set_time(param, at);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		cur = X509_STORE_CTX_get_current_cert(ctx);
		if (cur == NULL && depth >= 0 && (size_t)depth <= m)
			cur = v[depth].x;
		if (cur != NULL)
			(void)vfy_label(cur, (size_t)depth, depth >= 0 &&
			    (size_t)depth == m && X509_cmp(cur, v[m].x) == 0,
			    lb, sizeof(lb));
		else
			(void)snprintf(lb, sizeof(lb), "certificate %d",
			    depth);
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 5280 section 6 "
		    "path validation: %s (OpenSSL error %d at depth %d)", lb,
		    X509_verify_cert_error_string(err), err, depth);
		goto out;
	}
	built = X509_STORE_CTX_get0_chain(ctx);
	if ((size_t)sk_X509_num(built) != m + 1) {
		rc = st_err_set(why, ST_E_VERIFY, "verify: OpenSSL built a "
		    "path of %d certificates, not the %zu of the list and its "
		    "anchor", sk_X509_num(built), m + 1);
		goto out;
	}
	for (i = 0; i <= m; i++) {
		if (X509_cmp(sk_X509_value(built, (int)i), v[i].x) == 0)
			continue;
		rc = st_err_set(why, ST_E_VERIFY, "%s: OpenSSL's path differs "
		    "from the list here", vfy_label(v[i].x, i, i == m, lb,
		    sizeof(lb)));
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/*
 * RFC 8226 section 9 (TNAuthList) and RFC 8226 section 8 / RFC 9118
 * (claim constraints) for one certificate: strict decoding, RFC 9118
 * section 6.  Fills c->tn and c->scope when a TNAuthList is present.
 */
static int
vfy_extensions(struct vfy_cert *c, size_t idx, bool anchor,
    struct st_err *why)
{
	static const struct {
		const char	*oid;
		bool		 enhanced;
	} cl[] = { { CA_OID_JWTCLAIMS, false }, { CA_OID_EJWTCLAIMS, true } };
	const ASN1_OCTET_STRING	*os;
	struct ca_claims	*claims = NULL;
	struct st_err		 err = { 0 };
	const char		*msg;
	char			 lb[VFY_NAMESZ + 40];
	size_t			 k;
	int			 r, i, rc = ST_E_INTERNAL;

	(void)vfy_label(c->x, idx, anchor, lb, sizeof(lb));
	r = ca_tnauth_from_cert(c->x, &c->tn, &err);
	if (r == 0)
		r = ca_scope_from_tnauth(c->tn, &c->scope, &err);
	if (r != 0 && r != ST_E_NOTFOUND) {
		if (r == ST_E_NOMEM || r == ST_E_INTERNAL)
			rc = r;
		else
			rc = st_err_set(why, ST_E_VERIFY, "%s: %s", lb,
			    st_err_str(&err, r));
		goto out;
	}
	st_err_clear(&err);
	if ((r = ca_claims_check_cert(c->x, &err)) != 0) {
		msg = st_err_str(&err, r);
		if (strncmp(msg, "certificate: ", 13) == 0)
			msg += 13;
		rc = st_err_set(why, r == ST_E_CLAIMS ? ST_E_VERIFY : r,
		    "%s: %s", lb, msg);
		goto out;
	}
	for (k = 0; k < sizeof(cl) / sizeof(cl[0]); k++) {
		i = X509_get_ext_by_NID(c->x, OBJ_txt2nid(cl[k].oid), -1);
		if (i < 0)
			continue;
		os = X509_EXTENSION_get_data(X509_get_ext(c->x, i));
		st_err_clear(&err);
		r = ca_claims_decode(ASN1_STRING_get0_data(os),
		    (size_t)ASN1_STRING_length(os), cl[k].enhanced, &claims,
		    &err);
		ca_claims_free(claims);
		claims = NULL;
		if (r != 0) {
			rc = st_err_set(why, r == ST_E_NOMEM ? r :
			    ST_E_VERIFY, "%s: %s", lb, st_err_str(&err, r));
			goto out;
		}
	}
	rc = 0;
out:
	ERR_clear_error();
	return rc;
}

/*
 * RFC 9060 section 4 along the path: each certificate with a TNAuthList
 * must be encompassed by every certificate above it that has one, the
 * nearest first (so the report names the nearest ancestor that objects).
 */
static int
vfy_scopes(struct vfy_cert *v, size_t m, const struct ca_spc_map *map,
    struct st_err *why)
{
	struct st_err	 w = { 0 };
	const char	*msg;
	char		 la[VFY_NAMESZ + 40], lb[VFY_NAMESZ + 40];
	size_t		 i, j;
	int		 r;

	for (i = 0; i < m; i++) {
		if (v[i].scope == NULL)
			continue;
		for (j = i + 1; j <= m; j++) {
			if (v[j].scope == NULL)
				continue;
			st_err_clear(&w);
			r = ca_scope_encompasses(v[j].scope, v[i].scope, map,
			    &w);
			if (r == 1)
				continue;
			if (r < 0)
				return st_err_set(why, r, "%s", st_err_str(&w,
				    r));
			msg = st_err_str(&w, ST_E_SCOPE);
			if (strncmp(msg, "RFC 9060 section 4: ", 20) == 0)
				msg += 20;
			return st_err_set(why, ST_E_SCOPE, "%s: RFC 9060 "
			    "section 4: not encompassed by %s: %s",
			    vfy_label(v[i].x, i, false, la, sizeof(la)),
			    vfy_label(v[j].x, j, j == m, lb, sizeof(lb)), msg);
		}
	}
	return 0;
}

/*
 * With --tn: is the number in the leaf's scope?  Directly, or through the
 * SPC map for an SPC in the leaf (RFC 9060 section 4.1: how numbers map
 * to an SPC is the CA's or the relying party's knowledge).
 */
static int
vfy_tn(struct vfy_cert *leaf, const struct ca_verify_opts *opts,
    bool *via_map, struct st_err *why)
{
	struct ca_tnauth	*tl = NULL;
	struct ca_scope		*ts = NULL;
	struct st_err		 err = { 0 }, w = { 0 };
	char			 lb[VFY_NAMESZ + 40];
	int			 r, rc = ST_E_INTERNAL;

	*via_map = false;
	if ((tl = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((r = ca_tnauth_add(tl, CA_TN_ONE, opts->tn, 0, &err)) != 0) {
		rc = st_err_set(why, r == ST_E_NOMEM ? r : ST_E_USAGE,
		    "--tn %.40s: %s", opts->tn, st_err_str(&err, r));
		goto out;
	}
	if ((r = ca_scope_from_tnauth(tl, &ts, &err)) != 0) {
		rc = st_err_set(why, r, "--tn: %s", st_err_str(&err, r));
		goto out;
	}
	(void)vfy_label(leaf->x, 0, false, lb, sizeof(lb));
	if (leaf->scope == NULL) {
		rc = st_err_set(why, ST_E_SCOPE, "%s: tn:%s cannot be "
		    "confirmed: the certificate has no TNAuthList", lb,
		    opts->tn);
		goto out;
	}
	if ((r = ca_scope_encompasses(leaf->scope, ts, NULL, &w)) < 0) {
		rc = st_err_set(why, r, "%s", st_err_str(&w, r));
		goto out;
	}
	if (r == 1) {
		rc = 0;
		goto out;
	}
	if (ca_scope_nspc(leaf->scope) == 0) {
		rc = st_err_set(why, ST_E_SCOPE, "%s: RFC 8226 section 9: "
		    "tn:%s is not in the certificate's TNAuthList", lb,
		    opts->tn);
		goto out;
	}
	if (opts->map == NULL || opts->map->lookup == NULL) {
		rc = st_err_set(why, ST_E_SCOPE, "%s: tn:%s cannot be "
		    "confirmed: the certificate names it only through %zu "
		    "SPC%s, and no SPC map says which numbers belong to %s "
		    "(RFC 9060 section 4.1)", lb, opts->tn,
		    ca_scope_nspc(leaf->scope), ca_scope_nspc(leaf->scope) ==
		    1 ? "" : "s", ca_scope_nspc(leaf->scope) == 1 ? "it" :
		    "them");
		goto out;
	}
	st_err_clear(&w);
	if ((r = ca_scope_encompasses(leaf->scope, ts, opts->map, &w)) < 0) {
		rc = st_err_set(why, r, "%s", st_err_str(&w, r));
		goto out;
	}
	if (r == 0) {
		rc = st_err_set(why, ST_E_SCOPE, "%s: tn:%s is neither in the "
		    "certificate's TNAuthList nor among the numbers the SPC "
		    "map gives its SPCs", lb, opts->tn);
		goto out;
	}
	*via_map = true;
	rc = 0;
out:
	ca_scope_free(ts);
	ca_tnauth_free(tl);
	return rc;
}

int
ca_chain_verify(STACK_OF(X509) *chain, STACK_OF(X509) *trust,
    const struct ca_verify_opts *opts, struct ca_verify_info *info,
    struct st_err *why)
{
	static const struct ca_verify_opts none;
	struct vfy_cert		*v = NULL;
	X509			*anchor = NULL, *x;
	char			 lb[VFY_NAMESZ + 40];
	size_t			 n, m, i, last;
	bool			 listed = false, via_map = false;
	int			 rc = ST_E_INTERNAL;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (opts == NULL)
		opts = &none;
	if (chain == NULL || sk_X509_num(chain) <= 0) {
		rc = st_err_set(why, ST_E_USAGE, "verify: the certificate "
		    "list is empty");
		goto out;
	}
	if (trust == NULL || sk_X509_num(trust) <= 0) {
		rc = st_err_set(why, ST_E_USAGE, "verify: no trust anchor");
		goto out;
	}
	ca_oids_register();
	n = (size_t)sk_X509_num(chain);

	/* The path ends at the first listed certificate that is trusted. */
	m = n;
	for (i = 0; i < n; i++) {
		if (vfy_trusted(sk_X509_value(chain, (int)i), trust)) {
			m = i;
			anchor = sk_X509_value(chain, (int)i);
			listed = true;
			break;
		}
	}

	/* RFC 9060 section 7: order and linkage, then the anchor. */
	last = listed ? m : n - 1;
	for (i = 0; i < last; i++)
		if ((rc = vfy_link(sk_X509_value(chain, (int)i), i,
		    sk_X509_value(chain, (int)i + 1), i + 1, listed &&
		    i + 1 == m, chain, why)) != 0)
			goto out;
	if (!listed) {
		x = sk_X509_value(chain, (int)(n - 1));
		if ((rc = vfy_find_anchor(x, n - 1, trust, &anchor, why)) != 0)
			goto out;
		if ((rc = vfy_link(x, n - 1, anchor, n, true, NULL, why)) != 0)
			goto out;
	}
	if ((v = calloc(m + 1, sizeof(*v))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < m; i++)
		v[i].x = sk_X509_value(chain, (int)i);
	v[m].x = anchor;

	/* RFC 5280 section 6. */
	if ((rc = vfy_openssl(v, m, trust, opts->at, why)) != 0)
		goto out;

	/* RFC 8226, RFC 9118: every certificate, the anchor included. */
	for (i = 0; i <= m; i++)
		if ((rc = vfy_extensions(&v[i], i, i == m, why)) != 0)
			goto out;
	if (v[0].tn == NULL && X509_check_ca(v[0].x) == 0) {
		rc = st_err_set(why, ST_E_VERIFY, "%s: RFC 8226 section 9: the "
		    "end-entity certificate has no TNAuthList, so it is "
		    "authorized for no telephone numbers", vfy_label(v[0].x, 0,
		    m == 0, lb, sizeof(lb)));
		goto out;
	}

	/* RFC 9060 section 4. */
	if ((rc = vfy_scopes(v, m, opts->map, why)) != 0)
		goto out;
	if (opts->tn != NULL && (rc = vfy_tn(&v[0], opts, &via_map, why)) != 0)
		goto out;
	if (info != NULL) {
		info->ncerts = m;
		info->anchor_listed = listed;
		info->tn_via_map = via_map;
	}
	rc = 0;
out:
	if (v != NULL) {
		for (i = 0; i <= m; i++) {
			ca_tnauth_free(v[i].tn);
			ca_scope_free(v[i].scope);
		}
		free(v);
	}
	ERR_clear_error();
	return rc;
}
