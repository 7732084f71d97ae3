/* SPDX-License-Identifier: ISC */
/*
 * JWT claim-constraint codecs: JWTClaimConstraints (RFC 8226 section 8 and
 * Appendix A, id-pe 27) and EnhancedJWTClaimConstraints (RFC 9118 sections
 * 3, 6, 8 and Appendix A, id-pe 33).
 *
 * Decoding is strict in the same way as the TNAuthList codec (ca/tnauth.c):
 * a structural walk of the TLV headers, a check that every context tag is
 * EXPLICIT (both modules are "DEFINITIONS EXPLICIT TAGS"), the template
 * decode (ca/asn1.c), no trailing bytes, the value rules of the modules
 * (WITH COMPONENTS, SIZE (1..MAX), ASCII claim names, UTF-8 values) and of
 * RFC 9118 (no baseline claim in mustExclude, no claim both included and
 * excluded), and a DER round trip.  The encoder applies the same rules to
 * the plain C struct before it builds anything.  Every refusal names the
 * rule and the offending value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"

#define CLAIMS_RFC8226	"RFC 8226 section 8"
#define CLAIMS_RFC9118	"RFC 9118 section 3"

/* The PASSporT baseline claims (RFC 8225 section 5, RFC 9118 section 3). */
static const char *const baseline[] = { "iat", "orig", "dest" };

/* The three components, in tag order, for messages. */
static const char *const compname[] = { "mustInclude", "permittedValues",
	"mustExclude" };

/*
 * The type name and the governing RFC section of a form, for messages.
 */
static const char *
claims_type(bool enhanced)
{
	return enhanced ? "EnhancedJWTClaimConstraints" : "JWTClaimConstraints";
}

static const char *
claims_rfc(bool enhanced)
{
	return enhanced ? CLAIMS_RFC9118 : CLAIMS_RFC8226;
}

/*
 * Copy s[0..len) for an error message: visible ASCII as is, anything
 * else as '?', long values cut with "...".
 */
static const char *
printable(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t	i, n = 0;

	for (i = 0; i < len && n + 4 < bufsz; i++)
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len) {
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return buf;
}

struct ca_claims *
ca_claims_new(bool enhanced)
{
	struct ca_claims	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->enhanced = enhanced;
	return c;
}

/* Free an array of n strings (NULL-safe). */
static void
strv_free(char **v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
ca_claims_free(struct ca_claims *c)
{
	size_t	i;

	if (c == NULL)
		return;
	strv_free(c->must_include, c->n_must_include);
	if (c->permitted != NULL) {
		for (i = 0; i < c->n_permitted; i++) {
			free(c->permitted[i].claim);
			strv_free(c->permitted[i].values,
			    c->permitted[i].nvalues);
		}
		free(c->permitted);
	}
	strv_free(c->must_exclude, c->n_must_exclude);
	free(c);
}

/*
 * JWTClaimName ::= IA5String, and RFC 9118 section 3: "JWT Claim Names
 * MUST be ASCII strings".  stica also requires a non-empty name of
 * printable characters (0x20..0x7e): a control character or NUL cannot
 * name a JSON member of a PASSporT usefully.
 */
static int
claims_check_name(const char *s, size_t len, bool enhanced, const char *what,
    struct st_err *e)
{
	char	pb[48];
	size_t	i;

	if (len == 0)
		return st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: JWTClaimName is empty", what,
		    claims_rfc(enhanced));
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return st_err_set(e, ST_E_CLAIMS,
			    "%s: %s: JWTClaimName must be printable ASCII; "
			    "byte 0x%02x at position %zu (%s)", what,
			    claims_rfc(enhanced), (unsigned char)s[i], i + 1,
			    printable(s, len, pb, sizeof(pb)));
	}
	return 0;
}

/*
 * A permitted value: UTF8String, so it must be valid UTF-8 (X.680
 * section 41, RFC 3629).  A NUL character is refused as well, because the
 * value could not be compared with a PASSporT's JSON string faithfully.
 */
static int
claims_check_value(const char *s, size_t len, bool enhanced, const char *what,
    struct st_err *e)
{
	char	pb[48];
	size_t	bad;

	if (!st_utf8_valid((const uint8_t *)s, len, &bad))
		return st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: UTF8String value is not valid UTF-8 (RFC 3629): "
		    "byte 0x%02x at offset %zu (%s)", what,
		    claims_rfc(enhanced), (unsigned char)s[bad], bad,
		    printable(s, len, pb, sizeof(pb)));
	if (memchr(s, '\0', len) != NULL)
		return st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: NUL character inside the UTF8String value (%s)",
		    what, claims_rfc(enhanced),
		    printable(s, len, pb, sizeof(pb)));
	return 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The rules on a whole value that do not depend on its encoding:
 *
 *  - WITH COMPONENTS (RFC 8226 section 8, RFC 9118 section 3): at least
 *    one component present;
 *  - mustExclude exists only in the enhanced form;
 *  - RFC 9118 section 3: "iat", "orig" and "dest" MUST NOT be part of
 *    mustExclude;
 *  - RFC 9118 section 8: a claim in both mustInclude and mustExclude
 *    "will prevent successful validation on any PASSporT".
 *
 * Names and values themselves are checked by the callers.  The overlap is
 * found by sorting copies of both lists, so it stays O(n log n).
 */
static int
claims_check_rules(const struct ca_claims *c, struct st_err *e)
{
	const char	*type = claims_type(c->enhanced);
	const char	**inc = NULL, **exc = NULL;
	size_t		 i, j, k;
	int		 rc = ST_E_INTERNAL, cmp;

	if (c->n_must_include == 0 && c->n_permitted == 0 &&
	    c->n_must_exclude == 0) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: WITH COMPONENTS: none of %s is present", type,
		    claims_rfc(c->enhanced), c->enhanced ?
		    "mustInclude, permittedValues, mustExclude" :
		    "mustInclude, permittedValues");
		goto out;
	}
	if (c->n_must_exclude == 0) {
		rc = 0;
		goto out;
	}
	if (!c->enhanced) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "%s: RFC 9118 section 6: mustExclude (\"%s\", ...) can "
		    "only be expressed by EnhancedJWTClaimConstraints (id-pe "
		    "33), not by the RFC 8226 form", type, c->must_exclude[0]);
		goto out;
	}
	for (i = 0; i < c->n_must_exclude; i++) {
		for (k = 0; k < sizeof(baseline) / sizeof(baseline[0]); k++) {
			if (strcmp(c->must_exclude[i], baseline[k]) != 0)
				continue;
			rc = st_err_set(e, ST_E_CLAIMS,
			    "%s mustExclude entry %zu: RFC 9118 section 3: "
			    "the baseline claim \"%s\" MUST NOT be in "
			    "mustExclude (a certificate that has it is treated "
			    "as if the extension were absent)", type, i + 1,
			    baseline[k]);
			goto out;
		}
	}
	if (c->n_must_include == 0) {
		rc = 0;
		goto out;
	}
	inc = malloc(c->n_must_include * sizeof(*inc));
	exc = malloc(c->n_must_exclude * sizeof(*exc));
	if (inc == NULL || exc == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < c->n_must_include; i++)
		inc[i] = c->must_include[i];
	for (i = 0; i < c->n_must_exclude; i++)
		exc[i] = c->must_exclude[i];
	qsort(inc, c->n_must_include, sizeof(*inc), strp_cmp);
	qsort(exc, c->n_must_exclude, sizeof(*exc), strp_cmp);
	for (i = 0, j = 0; i < c->n_must_include && j < c->n_must_exclude;) {
		if ((cmp = strcmp(inc[i], exc[j])) == 0) {
			rc = st_err_set(e, ST_E_CLAIMS,
			    "%s: RFC 9118 section 8: claim \"%s\" is both in "
			    "mustInclude and in mustExclude, so no PASSporT "
			    "could validate", type, inc[i]);
			goto out;
		}
		if (cmp < 0)
			i++;
		else
			j++;
	}
	rc = 0;
out:
	free(inc);
	free(exc);
	return rc;
}

/*
 * The encoder's checks on the struct: names, values, non-empty value
 * lists (SIZE (1..MAX)), then claims_check_rules.
 */
static int
claims_check_struct(const struct ca_claims *c, struct st_err *e)
{
	const char	*type = claims_type(c->enhanced);
	const struct ca_claim_values *pv;
	char		 what[192];
	size_t		 i, j;
	int		 rc;

	if ((c->n_must_include > 0 && c->must_include == NULL) ||
	    (c->n_permitted > 0 && c->permitted == NULL) ||
	    (c->n_must_exclude > 0 && c->must_exclude == NULL))
		return st_err_set(e, ST_E_USAGE, "%s: a count is set but its "
		    "array is NULL", type);
	for (i = 0; i < c->n_must_include; i++) {
		snprintf(what, sizeof(what), "%s mustInclude entry %zu", type,
		    i + 1);
		if (c->must_include[i] == NULL)
			return st_err_set(e, ST_E_USAGE, "%s: NULL", what);
		if ((rc = claims_check_name(c->must_include[i],
		    strlen(c->must_include[i]), c->enhanced, what, e)) != 0)
			return rc;
	}
	for (i = 0; i < c->n_permitted; i++) {
		pv = &c->permitted[i];
		snprintf(what, sizeof(what), "%s permittedValues entry %zu",
		    type, i + 1);
		if (pv->claim == NULL)
			return st_err_set(e, ST_E_USAGE, "%s: NULL claim",
			    what);
		if ((rc = claims_check_name(pv->claim, strlen(pv->claim),
		    c->enhanced, what, e)) != 0)
			return rc;
		if (pv->nvalues == 0 || pv->values == NULL)
			return st_err_set(e, ST_E_CLAIMS,
			    "%s (\"%s\"): %s: SEQUENCE SIZE (1..MAX) OF "
			    "UTF8String: no permitted value", what, pv->claim,
			    claims_rfc(c->enhanced));
		for (j = 0; j < pv->nvalues; j++) {
			snprintf(what, sizeof(what), "%s permittedValues entry "
			    "%zu value %zu", type, i + 1, j + 1);
			if (pv->values[j] == NULL)
				return st_err_set(e, ST_E_USAGE, "%s: NULL",
				    what);
			if ((rc = claims_check_value(pv->values[j],
			    strlen(pv->values[j]), c->enhanced, what, e)) != 0)
				return rc;
		}
	}
	for (i = 0; i < c->n_must_exclude; i++) {
		snprintf(what, sizeof(what), "%s mustExclude entry %zu", type,
		    i + 1);
		if (c->must_exclude[i] == NULL)
			return st_err_set(e, ST_E_USAGE, "%s: NULL", what);
		if ((rc = claims_check_name(c->must_exclude[i],
		    strlen(c->must_exclude[i]), c->enhanced, what, e)) != 0)
			return rc;
	}
	return claims_check_rules(c, e);
}

/* A new ASN1_STRING of the given type holding s. */
static ASN1_STRING *
asn1_str(int type, const char *s)
{
	ASN1_STRING	*a;

	if ((a = ASN1_STRING_type_new(type)) == NULL)
		return NULL;
	if (!ASN1_STRING_set(a, s, (int)strlen(s))) {
		ASN1_STRING_free(a);
		return NULL;
	}
	return a;
}

/* JWTClaimNames from an array of n names; NULL on allocation failure. */
static STACK_OF(ASN1_IA5STRING) *
names_to_asn1(char *const *v, size_t n)
{
	STACK_OF(ASN1_IA5STRING)	*sk;
	ASN1_IA5STRING			*s;
	size_t				 i;

	if ((sk = sk_ASN1_IA5STRING_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((s = asn1_str(V_ASN1_IA5STRING, v[i])) == NULL)
			goto fail;
		if (!sk_ASN1_IA5STRING_push(sk, s)) {
			ASN1_IA5STRING_free(s);
			goto fail;
		}
	}
	return sk;
fail:
	sk_ASN1_IA5STRING_pop_free(sk, ASN1_IA5STRING_free);
	return NULL;
}

/* JWTClaimPermittedValuesList (or JWTClaimValuesList) from the struct. */
static STACK_OF(JWTClaimPermittedValues) *
values_to_asn1(const struct ca_claim_values *v, size_t n)
{
	STACK_OF(JWTClaimPermittedValues)	*sk;
	JWTClaimPermittedValues			*pv = NULL;
	ASN1_UTF8STRING				*u;
	size_t					 i, j;

	if ((sk = sk_JWTClaimPermittedValues_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((pv = JWTClaimPermittedValues_new()) == NULL)
			goto fail;
		ASN1_IA5STRING_free(pv->claim);
		if ((pv->claim = asn1_str(V_ASN1_IA5STRING, v[i].claim)) ==
		    NULL)
			goto fail;
		if (pv->permitted == NULL &&
		    (pv->permitted = sk_ASN1_UTF8STRING_new_null()) == NULL)
			goto fail;
		for (j = 0; j < v[i].nvalues; j++) {
			if ((u = asn1_str(V_ASN1_UTF8STRING, v[i].values[j])) ==
			    NULL)
				goto fail;
			if (!sk_ASN1_UTF8STRING_push(pv->permitted, u)) {
				ASN1_UTF8STRING_free(u);
				goto fail;
			}
		}
		if (!sk_JWTClaimPermittedValues_push(sk, pv))
			goto fail;
		pv = NULL;
	}
	return sk;
fail:
	JWTClaimPermittedValues_free(pv);
	sk_JWTClaimPermittedValues_pop_free(sk, JWTClaimPermittedValues_free);
	return NULL;
}

/*
 * Encode as JWTClaimConstraints (RFC 8226 Appendix A) or
 * EnhancedJWTClaimConstraints (RFC 9118 Appendix A), after the checks of
 * claims_check_struct.  *der is allocated with OPENSSL_malloc (free with
 * OPENSSL_free), as for ca_tnauth_encode.
 */
int
ca_claims_encode(const struct ca_claims *c, uint8_t **der, size_t *len,
    struct st_err *e)
{
	JWTClaimConstraints		*jc = NULL;
	EnhancedJWTClaimConstraints	*ec = NULL;
	STACK_OF(ASN1_IA5STRING)	*mi = NULL, *me = NULL;
	STACK_OF(JWTClaimPermittedValues) *pv = NULL;
	unsigned char			*out = NULL;
	int				 rc = ST_E_INTERNAL, dl;

	*der = NULL;
	*len = 0;
	if (c == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "claim constraints: no value");
		goto out;
	}
	if ((rc = claims_check_struct(c, e)) != 0)
		goto out;
	if ((c->n_must_include > 0 && (mi = names_to_asn1(c->must_include,
	    c->n_must_include)) == NULL) ||
	    (c->n_permitted > 0 && (pv = values_to_asn1(c->permitted,
	    c->n_permitted)) == NULL) ||
	    (c->n_must_exclude > 0 && (me = names_to_asn1(c->must_exclude,
	    c->n_must_exclude)) == NULL)) {
		rc = st_err_ossl(e, ST_E_NOMEM, "%s: building",
		    claims_type(c->enhanced));
		goto out;
	}
	if (c->enhanced) {
		if ((ec = EnhancedJWTClaimConstraints_new()) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		ec->mustInclude = mi;
		ec->permittedValues = pv;
		ec->mustExclude = me;
		mi = me = NULL;
		pv = NULL;
		dl = i2d_EnhancedJWTClaimConstraints(ec, &out);
	} else {
		if ((jc = JWTClaimConstraints_new()) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		jc->mustInclude = mi;
		jc->permittedValues = pv;
		mi = NULL;
		pv = NULL;
		dl = i2d_JWTClaimConstraints(jc, &out);
	}
	if (dl <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "%s: DER encoding",
		    claims_type(c->enhanced));
		goto out;
	}
	*der = out;
	*len = (size_t)dl;
	out = NULL;
	rc = 0;
out:
	OPENSSL_free(out);
	sk_ASN1_IA5STRING_pop_free(mi, ASN1_IA5STRING_free);
	sk_ASN1_IA5STRING_pop_free(me, ASN1_IA5STRING_free);
	sk_JWTClaimPermittedValues_pop_free(pv, JWTClaimPermittedValues_free);
	JWTClaimConstraints_free(jc);
	EnhancedJWTClaimConstraints_free(ec);
	return rc;
}

/*
 * Both modules are "DEFINITIONS EXPLICIT TAGS" (RFC 8226 Appendix A,
 * RFC 9118 Appendix A), so every component is a constructed context tag
 * wrapping exactly one universal SEQUENCE.  Check that, the tag order
 * (X.680: [0] [1] [2], each at most once) and the tags the form knows,
 * before the template decode, so that the usual mistakes (IMPLICIT tags,
 * mustExclude in the RFC 8226 form) get a precise message.  The headers
 * were validated by ca_der_diagnose.
 */
static int
claims_check_tags(const uint8_t *der, size_t len, bool enhanced,
    struct st_err *e)
{
	const char	*type = claims_type(enhanced);
	const uint8_t	*q = der, *end, *h, *c, *cend, *s;
	long		 clen, elen, slen, tlen;
	int		 tag, cls, r, itag, icls, ir, last = -1;
	int		 maxtag = enhanced ? 2 : 1;

	(void)ASN1_get_object(&q, &clen, &tag, &cls, (long)len);
	if (cls != V_ASN1_UNIVERSAL || tag != V_ASN1_SEQUENCE ||
	    !(der[0] & V_ASN1_CONSTRUCTED))
		return st_err_set(e, ST_E_ASN1,
		    "%s: %s: the value must be a SEQUENCE (got identifier "
		    "0x%02x)", type, claims_rfc(enhanced), der[0]);
	end = q + clen;
	while (q < end) {
		h = q;
		r = ASN1_get_object(&q, &elen, &tag, &cls, (long)(end - q));
		if (cls != V_ASN1_CONTEXT_SPECIFIC || tag > 2)
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: expected mustInclude [0], permittedValues "
			    "[1]%s; got identifier 0x%02x at offset %td", type,
			    claims_rfc(enhanced), enhanced ?
			    " or mustExclude [2]" : "", h[0], h - der);
		if (tag > maxtag)
			return st_err_set(e, ST_E_ASN1,
			    "%s: RFC 8226 section 8: JWTClaimConstraints has "
			    "no [2] (at offset %td); mustExclude exists only "
			    "in RFC 9118 EnhancedJWTClaimConstraints (id-pe "
			    "33)",
			    type, h - der);
		if (tag <= last)
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: %s [%d] at offset %td %s; components "
			    "appear once each, in the order [0] [1] [2]", type,
			    claims_rfc(enhanced), compname[tag], tag, h - der,
			    tag == last ? "appears twice" : "is out of order");
		last = tag;
		if (!(r & V_ASN1_CONSTRUCTED))
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: DEFINITIONS EXPLICIT TAGS: %s [%d] is "
			    "IMPLICIT (primitive 0x%02x at offset %td); "
			    "expected 0x%02x wrapping a SEQUENCE", type,
			    claims_rfc(enhanced), compname[tag], tag, h[0],
			    h - der, 0xa0 | tag);
		/* The content: exactly one constructed universal SEQUENCE. */
		c = q;
		cend = q + elen;
		q = cend;
		s = c;
		if (c == cend)
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: %s [%d] at offset %td is empty; expected "
			    "[%d] wrapping a SEQUENCE", type,
			    claims_rfc(enhanced), compname[tag], tag, h - der,
			    tag);
		ir = ASN1_get_object(&s, &slen, &itag, &icls, (long)(cend - c));
		tlen = (long)(s - c) + slen;
		if (icls == V_ASN1_UNIVERSAL && (ir & V_ASN1_CONSTRUCTED) &&
		    itag != V_ASN1_SEQUENCE)
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: %s [%d] at offset %td holds a %s; "
			    "expected a SEQUENCE OF", type,
			    claims_rfc(enhanced), compname[tag], tag, h - der,
			    ASN1_tag2str(itag));
		if (icls != V_ASN1_UNIVERSAL || itag != V_ASN1_SEQUENCE)
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: DEFINITIONS EXPLICIT TAGS: %s [%d] at "
			    "offset %td holds %s directly (IMPLICIT tagging); "
			    "expected [%d] wrapping a SEQUENCE", type,
			    claims_rfc(enhanced), compname[tag], tag, h - der,
			    icls == V_ASN1_UNIVERSAL ? ASN1_tag2str(itag) :
			    "a tagged element", tag);
		/* With IMPLICIT [1] the SEQUENCEs start with an IA5String. */
		if (cend - c != tlen || (tag == 1 && slen > 0 &&
		    s[0] == V_ASN1_IA5STRING))
			return st_err_set(e, ST_E_ASN1,
			    "%s: %s: DEFINITIONS EXPLICIT TAGS: %s [%d] at "
			    "offset %td holds the list elements directly "
			    "(IMPLICIT tagging); expected [%d] wrapping one "
			    "SEQUENCE OF", type, claims_rfc(enhanced),
			    compname[tag], tag, h - der, tag);
	}
	ERR_clear_error();
	return 0;
}

/*
 * Copy JWTClaimNames into a string array after checking SIZE (1..MAX)
 * and every name.  comp is the component's index for messages.
 */
static int
names_from_asn1(const STACK_OF(ASN1_IA5STRING) *sk, bool enhanced, int comp,
    char ***outv, size_t *outn, struct st_err *e)
{
	const ASN1_IA5STRING	*s;
	char			**v = NULL, what[192];
	size_t			 i, n = 0, len;
	int			 rc = ST_E_INTERNAL, num;

	*outv = NULL;
	*outn = 0;
	if ((num = sk_ASN1_IA5STRING_num(sk)) <= 0) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: JWTClaimNames SEQUENCE SIZE (1..MAX): %s is "
		    "present but empty", claims_type(enhanced),
		    claims_rfc(enhanced), compname[comp]);
		goto out;
	}
	n = (size_t)num;
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		s = sk_ASN1_IA5STRING_value(sk, (int)i);
		len = (size_t)ASN1_STRING_length(s);
		snprintf(what, sizeof(what), "%s %s entry %zu",
		    claims_type(enhanced), compname[comp], i + 1);
		if ((rc = claims_check_name((const char *)
		    ASN1_STRING_get0_data(s), len, enhanced, what, e)) != 0)
			goto out;
		if ((v[i] = strndup((const char *)ASN1_STRING_get0_data(s),
		    len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
	}
	*outv = v;
	*outn = n;
	v = NULL;
	rc = 0;
out:
	strv_free(v, n);
	return rc;
}

/*
 * Copy JWTClaimPermittedValuesList (RFC 8226) or JWTClaimValuesList
 * (RFC 9118) after checking SIZE (1..MAX) at both levels, the claim names
 * and the UTF-8 of every value.
 */
static int
values_from_asn1(const STACK_OF(JWTClaimPermittedValues) *sk, bool enhanced,
    struct ca_claims *c, struct st_err *e)
{
	const JWTClaimPermittedValues	*pv;
	const ASN1_UTF8STRING		*u;
	struct ca_claim_values		*cv;
	char				 what[192];
	size_t				 i, j, n, nv, len;
	int				 rc = ST_E_INTERNAL, num;

	if ((num = sk_JWTClaimPermittedValues_num(sk)) <= 0) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "%s: %s: %s SEQUENCE SIZE (1..MAX): permittedValues is "
		    "present but empty", claims_type(enhanced),
		    claims_rfc(enhanced), enhanced ? "JWTClaimValuesList" :
		    "JWTClaimPermittedValuesList");
		goto out;
	}
	n = (size_t)num;
	if ((c->permitted = calloc(n, sizeof(*c->permitted))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		pv = sk_JWTClaimPermittedValues_value(sk, (int)i);
		cv = &c->permitted[i];
		c->n_permitted = i + 1;
		snprintf(what, sizeof(what), "%s permittedValues entry %zu",
		    claims_type(enhanced), i + 1);
		len = (size_t)ASN1_STRING_length(pv->claim);
		if ((rc = claims_check_name((const char *)
		    ASN1_STRING_get0_data(pv->claim), len, enhanced, what,
		    e)) != 0)
			goto out;
		if ((cv->claim = strndup((const char *)
		    ASN1_STRING_get0_data(pv->claim), len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		if ((num = sk_ASN1_UTF8STRING_num(pv->permitted)) <= 0) {
			rc = st_err_set(e, ST_E_CLAIMS,
			    "%s (\"%s\"): %s: SEQUENCE SIZE (1..MAX) OF "
			    "UTF8String: no permitted value", what, cv->claim,
			    claims_rfc(enhanced));
			goto out;
		}
		nv = (size_t)num;
		if ((cv->values = calloc(nv, sizeof(*cv->values))) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		for (j = 0; j < nv; j++) {
			u = sk_ASN1_UTF8STRING_value(pv->permitted, (int)j);
			len = (size_t)ASN1_STRING_length(u);
			cv->nvalues = j + 1;
			snprintf(what, sizeof(what), "%s permittedValues entry "
			    "%zu (\"%s\") value %zu", claims_type(enhanced),
			    i + 1, cv->claim, j + 1);
			if ((rc = claims_check_value((const char *)
			    ASN1_STRING_get0_data(u), len, enhanced, what,
			    e)) != 0)
				goto out;
			if ((cv->values[j] = strndup((const char *)
			    ASN1_STRING_get0_data(u), len)) == NULL) {
				rc = ST_E_NOMEM;
				goto out;
			}
		}
	}
	rc = 0;
out:
	return rc;
}

/*
 * Decode JWTClaimConstraints (enhanced false) or
 * EnhancedJWTClaimConstraints (enhanced true) strictly.  Errors:
 * ST_E_ASN1 (structure, tags), ST_E_DER (not DER), ST_E_CLAIMS (a value
 * breaks an RFC 8226 or RFC 9118 rule); e names the rule and the value.
 * A baseline claim in mustExclude is reported as ST_E_CLAIMS: RFC 9118
 * section 3 tells a relying party to ignore such an extension, which a
 * codec can only express by refusing it.
 */
int
ca_claims_decode(const uint8_t *der, size_t len, bool enhanced,
    struct ca_claims **out, struct st_err *e)
{
	const char			*type = claims_type(enhanced);
	JWTClaimConstraints		*jc = NULL;
	EnhancedJWTClaimConstraints	*ec = NULL;
	const STACK_OF(ASN1_IA5STRING)	*mi, *me = NULL;
	const STACK_OF(JWTClaimPermittedValues) *pv;
	struct ca_claims		*c = NULL;
	const unsigned char		*p = der;
	unsigned char			*re = NULL;
	int				 rc = ST_E_INTERNAL, rl;

	*out = NULL;
	if ((rc = ca_der_diagnose(der, len, type, e)) != 0)
		goto out;
	if ((rc = claims_check_tags(der, len, enhanced, e)) != 0)
		goto out;
	if (enhanced) {
		if ((ec = d2i_EnhancedJWTClaimConstraints(NULL, &p,
		    (long)len)) == NULL) {
			rc = st_err_ossl(e, ST_E_ASN1, "%s: RFC 9118 Appendix "
			    "A: does not match EnhancedJWTClaimConstraints",
			    type);
			goto out;
		}
		mi = ec->mustInclude;
		pv = ec->permittedValues;
		me = ec->mustExclude;
	} else {
		if ((jc = d2i_JWTClaimConstraints(NULL, &p, (long)len)) ==
		    NULL) {
			rc = st_err_ossl(e, ST_E_ASN1, "%s: RFC 8226 Appendix "
			    "A: does not match JWTClaimConstraints", type);
			goto out;
		}
		mi = jc->mustInclude;
		pv = jc->permittedValues;
	}
	if ((size_t)(p - der) != len) {
		rc = st_err_set(e, ST_E_ASN1, "%s: %zu trailing bytes", type,
		    len - (size_t)(p - der));
		goto out;
	}
	if ((c = ca_claims_new(enhanced)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (mi != NULL && (rc = names_from_asn1(mi, enhanced, 0,
	    &c->must_include, &c->n_must_include, e)) != 0)
		goto out;
	if (pv != NULL && (rc = values_from_asn1(pv, enhanced, c, e)) != 0)
		goto out;
	if (me != NULL && (rc = names_from_asn1(me, enhanced, 2,
	    &c->must_exclude, &c->n_must_exclude, e)) != 0)
		goto out;
	if ((rc = claims_check_rules(c, e)) != 0)
		goto out;
	/* X.690 section 10: only the canonical encoding is DER. */
	rl = enhanced ? i2d_EnhancedJWTClaimConstraints(ec, &re) :
	    i2d_JWTClaimConstraints(jc, &re);
	if (rl <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "%s: re-encoding", type);
		goto out;
	}
	if ((rc = ca_der_same(der, len, re, (size_t)rl, type, e)) != 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	JWTClaimConstraints_free(jc);
	EnhancedJWTClaimConstraints_free(ec);
	ca_claims_free(c);
	return rc;
}

/* How many times the extension oid appears in x; -1 on error. */
static int
ext_count(const X509 *x, const char *oid)
{
	ASN1_OBJECT	*obj;
	int		 idx = -1, n = 0;

	if ((obj = OBJ_txt2obj(oid, 1)) == NULL)
		return -1;
	while ((idx = X509_get_ext_by_OBJ(x, obj, idx)) >= 0)
		n++;
	ASN1_OBJECT_free(obj);
	return n;
}

/*
 * RFC 9118 section 6: JWTClaimConstraints and EnhancedJWTClaimConstraints
 * "MUST NOT both appear in the same certificate"; and RFC 5280 section 4.2:
 * neither may appear twice.
 */
int
ca_claims_check_cert(const X509 *x, struct st_err *e)
{
	int	nj, ne, rc = ST_E_INTERNAL;

	if (x == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "certificate: no value");
		goto out;
	}
	nj = ext_count(x, CA_OID_JWTCLAIMS);
	ne = ext_count(x, CA_OID_EJWTCLAIMS);
	if (nj < 0 || ne < 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "claim constraints OIDs");
		goto out;
	}
	if (nj > 0 && ne > 0) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "certificate: RFC 9118 section 6: JWTClaimConstraints (%s) "
		    "and EnhancedJWTClaimConstraints (%s) MUST NOT both appear",
		    CA_OID_JWTCLAIMS, CA_OID_EJWTCLAIMS);
		goto out;
	}
	if (nj > 1 || ne > 1) {
		rc = st_err_set(e, ST_E_CLAIMS,
		    "certificate: RFC 5280 section 4.2: the %s extension (%s) "
		    "appears %d times", nj > 1 ? "JWTClaimConstraints" :
		    "EnhancedJWTClaimConstraints", nj > 1 ? CA_OID_JWTCLAIMS :
		    CA_OID_EJWTCLAIMS, nj > 1 ? nj : ne);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	return rc;
}
