/* SPDX-License-Identifier: ISC */
/*
 * TNAuthList codec: RFC 8226 section 9 and Appendix A.
 *
 * Decoding is strict: the template decode (ca/asn1.c) is followed by the
 * value rules of the module and of section 9 and by a DER round trip, so
 * that only canonical encodings of valid lists are accepted.  Every
 * refusal names the rule and the offending value.  See docs/tnauthlist.md
 * for the choices where the RFC leaves room (the exact-fit range, SPC
 * alphabet, extension additions).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/ca_int.h"

#define SPC_MAXLEN 255

static const uint64_t pow10tab[CA_TN_MAXDIGITS + 1] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL
};

static const char *const kindname[] = { "spc", "range", "one" };

struct ca_tnauth *
ca_tnauth_new(void)
{
	return calloc(1, sizeof(struct ca_tnauth));
}

void
ca_tnauth_free(struct ca_tnauth *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].value);
	free(l->v);
	free(l);
}

/*
 * Copy s[0..len) for error messages, replacing anything that is not
 * visible ASCII by '?', and cutting long values.
 */
static const char *
printable(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t	i, n = 0;

	for (i = 0; i < len && n + 4 < bufsz; i++)
		buf[n++] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len) {
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return buf;
}

/*
 * TelephoneNumber ::= IA5String (SIZE (1..15)) (FROM ("0123456789#*")).
 * what names the field for the message.
 */
static int
tn_check_number(const char *s, size_t len, const char *what, struct st_err *e)
{
	char	pb[40];
	size_t	i;

	if (len == 0)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: TelephoneNumber SIZE (1..15): "
		    "empty string", what);
	if (len > CA_TN_MAXDIGITS)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: TelephoneNumber SIZE (1..15): "
		    "%zu characters (%s)", what, len,
		    printable(s, len, pb, sizeof(pb)));
	for (i = 0; i < len; i++) {
		if ((s[i] < '0' || s[i] > '9') && s[i] != '#' && s[i] != '*')
			return st_err_set(e, ST_E_TNAUTH,
			    "%s: RFC 8226 Appendix A: TelephoneNumber FROM "
			    "(\"0123456789#*\"): character 0x%02x at position "
			    "%zu (%s)", what, (unsigned char)s[i], i + 1,
			    printable(s, len, pb, sizeof(pb)));
	}
	return 0;
}

/*
 * ServiceProviderCode ::= IA5String.  RFC 8226 sets no size; stica
 * requires 1..255 visible ASCII characters (docs/tnauthlist.md).
 */
static int
tn_check_spc(const char *s, size_t len, const char *what, struct st_err *e)
{
	char	pb[40];
	size_t	i;

	if (len == 0)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 section 9: empty ServiceProviderCode", what);
	if (len > SPC_MAXLEN)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: ServiceProviderCode longer than %d characters (%s)",
		    what, SPC_MAXLEN, printable(s, len, pb, sizeof(pb)));
	for (i = 0; i < len; i++) {
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return st_err_set(e, ST_E_TNAUTH,
			    "%s: ServiceProviderCode: character 0x%02x at "
			    "position %zu is not visible ASCII (%s)", what,
			    (unsigned char)s[i], i + 1,
			    printable(s, len, pb, sizeof(pb)));
	}
	return 0;
}

/*
 * RFC 8226 section 9 on ranges: count INTEGER (2..MAX); "The count field
 * is only applicable to start fields whose values do not include "*" or
 * "#""; "TelephoneNumber + count MUST be less than 10^D".  With
 * exact_fit, start + count == 10^D is accepted (the decoder's leniency,
 * docs/tnauthlist.md); the encoder never passes it.
 */
static int
tn_check_range(const char *start, size_t len, uint64_t count, bool exact_fit,
    const char *what, struct st_err *e)
{
	uint64_t	v = 0, lim;
	size_t		i;
	int		rc;

	if ((rc = tn_check_number(start, len, what, e)) != 0)
		return rc;
	for (i = 0; i < len; i++) {
		if (start[i] == '*' || start[i] == '#')
			return st_err_set(e, ST_E_TNAUTH,
			    "%s: RFC 8226 section 9: a range start must not "
			    "contain '*' or '#' (%.*s)", what, (int)len,
			    start);
		v = v * 10 + (uint64_t)(start[i] - '0');
	}
	if (count < 2)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: count INTEGER (2..MAX): count "
		    "is %llu (%.*s+%llu)", what, (unsigned long long)count,
		    (int)len, start, (unsigned long long)count);
	lim = pow10tab[len];
	if (count > lim - v || (!exact_fit && count == lim - v))
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 section 9: start + count must be less than "
		    "10^%zu%s; %.*s + %llu %s %llu", what, len, exact_fit ?
		    " (equal is tolerated when decoding)" : "", (int)len,
		    start, (unsigned long long)count,
		    count == lim - v ? "=" : ">", (unsigned long long)lim);
	return 0;
}

/* Append without checks; value is copied. */
static int
tn_append(struct ca_tnauth *l, enum ca_tn_kind kind, const char *value,
    size_t len, uint64_t count)
{
	struct ca_tn_entry	*nv;
	char			*s;
	size_t			 ncap;

	if (l->n == l->cap) {
		ncap = l->cap == 0 ? 4 : l->cap * 2;
		if (ncap > SIZE_MAX / sizeof(*nv))
			return ST_E_NOMEM;
		if ((nv = realloc(l->v, ncap * sizeof(*nv))) == NULL)
			return ST_E_NOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	if ((s = malloc(len + 1)) == NULL)
		return ST_E_NOMEM;
	memcpy(s, value, len);
	s[len] = '\0';
	l->v[l->n].kind = kind;
	l->v[l->n].value = s;
	l->v[l->n].count = kind == CA_TN_RANGE ? count : 0;
	l->n++;
	return 0;
}

/* The encoder's rules for one entry. */
static int
tn_check_entry(enum ca_tn_kind kind, const char *value, size_t len,
    uint64_t count, bool exact_fit, const char *what, struct st_err *e)
{
	switch (kind) {
	case CA_TN_SPC:
		return tn_check_spc(value, len, what, e);
	case CA_TN_RANGE:
		return tn_check_range(value, len, count, exact_fit, what, e);
	case CA_TN_ONE:
		return tn_check_number(value, len, what, e);
	}
	return st_err_set(e, ST_E_USAGE, "%s: unknown entry kind %d", what,
	    (int)kind);
}

int
ca_tnauth_add(struct ca_tnauth *l, enum ca_tn_kind kind, const char *value,
    uint64_t count, struct st_err *e)
{
	char	what[48];
	int	rc;

	if (value == NULL)
		return st_err_set(e, ST_E_USAGE, "TNAuthList: no value");
	snprintf(what, sizeof(what), "TNAuthList entry %zu (%s)", l->n + 1,
	    (unsigned)kind <= CA_TN_ONE ? kindname[kind] : "?");
	if ((rc = tn_check_entry(kind, value, strlen(value), count, false,
	    what, e)) != 0)
		return rc;
	return tn_append(l, kind, value, strlen(value), count);
}

/* Parse a decimal count: digits only, no sign, no overflow. */
static int
parse_count(const char *s, uint64_t *out)
{
	uint64_t	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int
ca_tnauth_add_spec(struct ca_tnauth *l, const char *spec, struct st_err *e)
{
	char		*start = NULL, *plus;
	uint64_t	 count;
	int		 rc;

	if (strncmp(spec, "spc:", 4) == 0)
		return ca_tnauth_add(l, CA_TN_SPC, spec + 4, 0, e);
	if (strncmp(spec, "tn:", 3) == 0)
		return ca_tnauth_add(l, CA_TN_ONE, spec + 3, 0, e);
	if (strncmp(spec, "one:", 4) == 0)
		return ca_tnauth_add(l, CA_TN_ONE, spec + 4, 0, e);
	if (strncmp(spec, "range:", 6) != 0)
		return st_err_set(e, ST_E_SYNTAX,
		    "'%s': expected spc:CODE, tn:DIGITS or range:START+COUNT",
		    spec);
	if ((start = strdup(spec + 6)) == NULL)
		return ST_E_NOMEM;
	if ((plus = strchr(start, '+')) == NULL ||
	    parse_count(plus + 1, &count) != 0) {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "'%s': expected range:START+COUNT with a decimal COUNT",
		    spec);
		goto out;
	}
	*plus = '\0';
	rc = ca_tnauth_add(l, CA_TN_RANGE, start, count, e);
out:
	free(start);
	return rc;
}

int
ca_tn_entry_format(const struct ca_tn_entry *t, char *buf, size_t bufsz)
{
	switch (t->kind) {
	case CA_TN_SPC:
		return snprintf(buf, bufsz, "spc:%s", t->value);
	case CA_TN_RANGE:
		return snprintf(buf, bufsz, "range:%s+%llu", t->value,
		    (unsigned long long)t->count);
	case CA_TN_ONE:
		return snprintf(buf, bufsz, "tn:%s", t->value);
	}
	return snprintf(buf, bufsz, "?");
}

/* Build the template value for one entry. */
static TNEntry *
tn_entry_to_asn1(const struct ca_tn_entry *t)
{
	TNEntry			*te = NULL;
	ASN1_IA5STRING		*s = NULL;
	ASN1_INTEGER		*cnt = NULL;
	ASN1_TYPE		*ts = NULL, *tc = NULL;

	if ((te = TNEntry_new()) == NULL)
		goto fail;
	if ((s = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, t->value, (int)strlen(t->value)))
		goto fail;
	switch (t->kind) {
	case CA_TN_SPC:
		te->type = TNENTRY_SPC;
		te->u.spc = s;
		return te;
	case CA_TN_ONE:
		te->type = TNENTRY_ONE;
		te->u.one = s;
		return te;
	case CA_TN_RANGE:
		break;
	}
	if ((cnt = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(cnt, t->count))
		goto fail;
	if ((ts = ASN1_TYPE_new()) == NULL || (tc = ASN1_TYPE_new()) == NULL)
		goto fail;
	ASN1_TYPE_set(ts, V_ASN1_IA5STRING, s);
	s = NULL;
	ASN1_TYPE_set(tc, V_ASN1_INTEGER, cnt);
	cnt = NULL;
	te->type = TNENTRY_RANGE;
	if ((te->u.range = sk_ASN1_TYPE_new_null()) == NULL)
		goto fail;
	if (!sk_ASN1_TYPE_push(te->u.range, ts))
		goto fail;
	ts = NULL;
	if (!sk_ASN1_TYPE_push(te->u.range, tc))
		goto fail;
	return te;
fail:
	ASN1_TYPE_free(ts);
	ASN1_TYPE_free(tc);
	ASN1_IA5STRING_free(s);
	ASN1_INTEGER_free(cnt);
	TNEntry_free(te);
	return NULL;
}

int
ca_tnauth_encode(const struct ca_tnauth *l, uint8_t **der, size_t *len,
    struct st_err *e)
{
	TNAuthorizationList	*al = NULL;
	TNEntry			*te;
	unsigned char		*out = NULL;
	char			 what[48];
	size_t			 i;
	int			 rc = ST_E_INTERNAL, dl;

	*der = NULL;
	*len = 0;
	if (l == NULL || l->n == 0) {
		rc = st_err_set(e, ST_E_TNAUTH,
		    "TNAuthList: RFC 8226 Appendix A: SIZE (1..MAX): the list "
		    "is empty");
		goto out;
	}
	if ((al = sk_TNEntry_new_reserve(NULL, (int)l->n)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		const struct ca_tn_entry *t = &l->v[i];

		snprintf(what, sizeof(what), "TNAuthList entry %zu (%s)", i + 1,
		    (unsigned)t->kind <= CA_TN_ONE ? kindname[t->kind] : "?");
		if (t->value == NULL) {
			rc = st_err_set(e, ST_E_USAGE, "%s: no value", what);
			goto out;
		}
		if ((rc = tn_check_entry(t->kind, t->value, strlen(t->value),
		    t->count, false, what, e)) != 0)
			goto out;
		if ((te = tn_entry_to_asn1(t)) == NULL) {
			rc = st_err_ossl(e, ST_E_NOMEM, "%s: building", what);
			goto out;
		}
		(void)sk_TNEntry_push(al, te); /* reserved above */
	}
	if ((dl = i2d_TNAuthorizationList(al, &out)) <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "TNAuthList: DER encoding");
		goto out;
	}
	*der = out;
	*len = (size_t)dl;
	out = NULL;
	rc = 0;
out:
	OPENSSL_free(out);
	sk_TNEntry_pop_free(al, TNEntry_free);
	return rc;
}

/*
 * Check one decoded range and append it.  Elements 0 and 1 must be the
 * IA5String start and INTEGER count; further elements are extension
 * additions, accepted only with a non-universal tag, because a second
 * universal IA5String/INTEGER pair is the "flattened ranges" mistake,
 * not an extension (docs/tnauthlist.md).
 */
static int
tn_decode_range(struct ca_tnauth *l, const ASN1_SEQUENCE_ANY *r,
    const char *what, struct st_err *e)
{
	const ASN1_TYPE	*ts, *tc, *tx;
	const char	*start;
	uint64_t	 count;
	size_t		 slen;
	int		 i, n, rc;

	n = sk_ASN1_TYPE_num(r);
	if (n < 2)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: TelephoneNumberRange needs start "
		    "and count; it has %d element%s", what, n,
		    n == 1 ? "" : "s");
	ts = sk_ASN1_TYPE_value(r, 0);
	tc = sk_ASN1_TYPE_value(r, 1);
	if (ASN1_TYPE_get(ts) != V_ASN1_IA5STRING)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: range start must be an IA5String "
		    "(TelephoneNumber), got %s", what,
		    ASN1_tag2str(ASN1_TYPE_get(ts)));
	if (ASN1_TYPE_get(tc) != V_ASN1_INTEGER)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: range count must be an INTEGER, "
		    "got %s", what, ASN1_tag2str(ASN1_TYPE_get(tc)));
	if (ASN1_STRING_type(tc->value.integer) == V_ASN1_NEG_INTEGER)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: count INTEGER (2..MAX): count is "
		    "negative", what);
	for (i = 2; i < n; i++) {
		tx = sk_ASN1_TYPE_value(r, i);
		if (ASN1_TYPE_get(tx) != V_ASN1_OTHER)
			return st_err_set(e, ST_E_TNAUTH,
			    "%s: RFC 8226 Appendix A: TelephoneNumberRange "
			    "element %d is a universal %s after count: several "
			    "start/count pairs in one range (\"flattened "
			    "ranges\") are not allowed; use one range entry "
			    "each", what, i + 1,
			    ASN1_tag2str(ASN1_TYPE_get(tx)));
	}
	start = (const char *)ASN1_STRING_get0_data(ts->value.ia5string);
	slen = (size_t)ASN1_STRING_length(ts->value.ia5string);
	if (!ASN1_INTEGER_get_uint64(&count, tc->value.integer)) {
		ERR_clear_error();
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 section 9: count does not fit 64 bits, so "
		    "start + count exceeds 10^15", what);
	}
	if (memchr(start, '\0', slen) != NULL)
		return st_err_set(e, ST_E_TNAUTH,
		    "%s: RFC 8226 Appendix A: TelephoneNumber FROM "
		    "(\"0123456789#*\"): NUL character in range start", what);
	if ((rc = tn_check_range(start, slen, count, true, what, e)) != 0)
		return rc;
	return tn_append(l, CA_TN_RANGE, start, slen, count);
}

int
ca_tnauth_decode(const uint8_t *der, size_t len, struct ca_tnauth **out,
    struct st_err *e)
{
	TNAuthorizationList	*al = NULL;
	struct ca_tnauth	*l = NULL;
	const unsigned char	*p = der;
	unsigned char		*re = NULL;
	const ASN1_IA5STRING	*s;
	const TNEntry		*te;
	char			 what[48];
	int			 i, n, rc = ST_E_INTERNAL, rl;

	*out = NULL;
	/* Headers first: precise messages for truncation and BER. */
	if ((rc = ca_der_diagnose(der, len, "TNAuthList", e)) != 0)
		goto out;
	/* Context tags [0]..[2] must be constructed (EXPLICIT). */
	{
		const uint8_t	*q = der, *end;
		long		 clen, elen;
		int		 tag, cls;

		(void)ASN1_get_object(&q, &clen, &tag, &cls, (long)len);
		if (cls != V_ASN1_UNIVERSAL || tag != V_ASN1_SEQUENCE ||
		    !(der[0] & V_ASN1_CONSTRUCTED)) {
			rc = st_err_set(e, ST_E_ASN1,
			    "TNAuthList: RFC 8226 Appendix A: "
			    "TNAuthorizationList must be a SEQUENCE (got "
			    "0x%02x)", der[0]);
			goto out;
		}
		end = q + clen;
		for (i = 1; q < end; i++) {
			const uint8_t *h = q;
			int r;

			r = ASN1_get_object(&q, &elen, &tag, &cls,
			    (long)(end - q));
			if (cls != V_ASN1_CONTEXT_SPECIFIC || tag > 2) {
				rc = st_err_set(e, ST_E_ASN1,
				    "TNAuthList entry %d: RFC 8226 Appendix "
				    "A: TNEntry must be spc [0], range [1] or "
				    "one [2]; got identifier 0x%02x at offset "
				    "%td", i, h[0], h - der);
				goto out;
			}
			if (!(r & V_ASN1_CONSTRUCTED)) {
				rc = st_err_set(e, ST_E_ASN1,
				    "TNAuthList entry %d (%s): RFC 8226 "
				    "Appendix A: DEFINITIONS EXPLICIT TAGS: "
				    "[%d] is IMPLICIT (0x%02x at offset %td); "
				    "expected the constructed tag 0x%02x "
				    "wrapping the inner type", i,
				    kindname[tag], tag, h[0], h - der,
				    0xa0 | tag);
				goto out;
			}
			if (elen > 0 && q[0] != (tag == TNENTRY_RANGE ?
			    (V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED) :
			    V_ASN1_IA5STRING) && (q[0] & 0xc0) == 0) {
				rc = st_err_set(e, ST_E_ASN1,
				    "TNAuthList entry %d (%s): RFC 8226 "
				    "Appendix A: [%d] must hold %s, got %s%s "
				    "at offset %td", i, kindname[tag], tag,
				    tag == TNENTRY_RANGE ?
				    "a SEQUENCE (TelephoneNumberRange)" :
				    "an IA5String", (q[0] & 0x20) &&
				    (q[0] & 0x1f) != V_ASN1_SEQUENCE ?
				    "constructed " : "",
				    ASN1_tag2str(q[0] & 0x1f), q - der);
				goto out;
			}
			q += elen;
		}
		ERR_clear_error();
	}
	if ((al = d2i_TNAuthorizationList(NULL, &p, (long)len)) == NULL) {
		rc = st_err_ossl(e, ST_E_ASN1,
		    "TNAuthList: RFC 8226 Appendix A: does not match "
		    "TNAuthorizationList");
		goto out;
	}
	if ((size_t)(p - der) != len) {
		rc = st_err_set(e, ST_E_ASN1,
		    "TNAuthList: %zu trailing bytes", len - (size_t)(p - der));
		goto out;
	}
	if ((n = sk_TNEntry_num(al)) <= 0) {
		rc = st_err_set(e, ST_E_TNAUTH,
		    "TNAuthList: RFC 8226 Appendix A: SIZE (1..MAX): the list "
		    "is empty");
		goto out;
	}
	if ((l = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		te = sk_TNEntry_value(al, i);
		snprintf(what, sizeof(what), "TNAuthList entry %d (%s)", i + 1,
		    te->type >= 0 && te->type <= 2 ? kindname[te->type] : "?");
		if (te->type == TNENTRY_RANGE) {
			if ((rc = tn_decode_range(l, te->u.range, what, e)) !=
			    0)
				goto out;
			continue;
		}
		s = te->type == TNENTRY_SPC ? te->u.spc : te->u.one;
		if (memchr(ASN1_STRING_get0_data(s), '\0',
		    (size_t)ASN1_STRING_length(s)) != NULL) {
			rc = st_err_set(e, ST_E_TNAUTH,
			    "%s: NUL character inside the IA5String", what);
			goto out;
		}
		if ((rc = tn_check_entry(te->type == TNENTRY_SPC ? CA_TN_SPC :
		    CA_TN_ONE, (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), 0, true, what, e)) != 0)
			goto out;
		if ((rc = tn_append(l, te->type == TNENTRY_SPC ? CA_TN_SPC :
		    CA_TN_ONE, (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), 0)) != 0)
			goto out;
	}
	/* X.690 section 10: only the canonical encoding is DER. */
	if ((rl = i2d_TNAuthorizationList(al, &re)) <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "TNAuthList: re-encoding");
		goto out;
	}
	if ((rc = ca_der_same(der, len, re, (size_t)rl, "TNAuthList", e)) !=
	    0)
		goto out;
	*out = l;
	l = NULL;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	sk_TNEntry_pop_free(al, TNEntry_free);
	ca_tnauth_free(l);
	return rc;
}

int
ca_tnauth_decode_any(const uint8_t *p, size_t len, struct ca_tnauth **out,
    struct st_err *e)
{
	uint8_t		*bin = NULL;
	size_t		 i, blen, b = 0, t;
	bool		 text = true, hex = true;
	int		 rc;

	*out = NULL;
	for (i = 0; i < len; i++) {
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\n' &&
		    p[i] != '\r' && p[i] != '\t') {
			text = false;
			break;
		}
	}
	if (!text)
		return ca_tnauth_decode(p, len, out, e);
	/* Trim surrounding whitespace. */
	while (b < len && (p[b] == ' ' || p[b] == '\n' || p[b] == '\r' ||
	    p[b] == '\t'))
		b++;
	t = len;
	while (t > b && (p[t - 1] == ' ' || p[t - 1] == '\n' ||
	    p[t - 1] == '\r' || p[t - 1] == '\t'))
		t--;
	if (t == b)
		return st_err_set(e, ST_E_SYNTAX, "TNAuthList: empty input");
	/*
	 * Every TNAuthList starts with 0x30, whose base64 starts with 'M',
	 * which is no hex digit: text of hex digits and separators only can
	 * be the base64 of no TNAuthList, so it is read as hex (and a wrong
	 * first octet is then named as such); anything else is base64.
	 */
	for (i = b; hex && i < t; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f') ||
		    (p[i] >= 'A' && p[i] <= 'F') || p[i] == ':' ||
		    p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
		    p[i] == '\t'))
			hex = false;
	}
	if (hex)
		rc = st_hex_decode((const char *)p + b, t - b, &bin, &blen, e);
	else
		rc = st_b64_decode((const char *)p + b, t - b, &bin, &blen, e);
	if (rc != 0)
		return rc;
	rc = ca_tnauth_decode(bin, blen, out, e);
	free(bin);
	return rc;
}

int
ca_tnauth_from_cert(const X509 *x, struct ca_tnauth **out, struct st_err *e)
{
	X509_EXTENSION		*ext;
	const ASN1_OCTET_STRING	*os;
	ASN1_OBJECT		*obj;
	int			 idx, rc;

	*out = NULL;
	if ((obj = OBJ_txt2obj(CA_OID_TNAUTHLIST, 1)) == NULL)
		return st_err_ossl(e, ST_E_CRYPTO, "TNAuthList OID");
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	if (idx >= 0 && X509_get_ext_by_OBJ(x, obj, idx) >= 0) {
		ASN1_OBJECT_free(obj);
		return st_err_set(e, ST_E_TNAUTH,
		    "certificate: RFC 5280 section 4.2: the TNAuthList "
		    "extension appears more than once");
	}
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return st_err_set(e, ST_E_NOTFOUND,
		    "certificate has no TNAuthList extension (%s)",
		    CA_OID_TNAUTHLIST);
	ext = X509_get_ext(x, idx);
	os = X509_EXTENSION_get_data(ext);
	rc = ca_tnauth_decode(ASN1_STRING_get0_data(os),
	    (size_t)ASN1_STRING_length(os), out, e);
	return rc;
}

static void
oids_register_once(void)
{
	if (OBJ_txt2nid(CA_OID_TNAUTHLIST) == NID_undef)
		(void)OBJ_create(CA_OID_TNAUTHLIST, "TNAuthList",
		    "TN Authorization List");
	if (OBJ_txt2nid(CA_OID_JWTCLAIMS) == NID_undef)
		(void)OBJ_create(CA_OID_JWTCLAIMS, "JWTClaimConstraints",
		    "JWT Claim Constraints");
	if (OBJ_txt2nid(CA_OID_EJWTCLAIMS) == NID_undef)
		(void)OBJ_create(CA_OID_EJWTCLAIMS, "eJWTClaimConstraints",
		    "Enhanced JWT Claim Constraints");
	if (OBJ_txt2nid(CA_OID_STIRTNLIST) == NID_undef)
		(void)OBJ_create(CA_OID_STIRTNLIST, "stirTNList",
		    "STIR TN List");
	ERR_clear_error();
}

void
ca_oids_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, oids_register_once);
}
