/* SPDX-License-Identifier: ISC */
/*
 * Strict DER helpers for ca/'s codecs: a structural walk over the TLV
 * headers (with OpenSSL's ASN1_get_object) that turns "the template did
 * not match" into "the element at offset N is truncated", and the
 * canonical-encoding check (X.690 section 10) done by re-encoding.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "ca/ca_int.h"

#define DER_MAXDEPTH 32

static const char *
der_tagname(int cls, int tag, char *buf, size_t bufsz)
{
	if (cls == V_ASN1_UNIVERSAL)
		return ASN1_tag2str(tag);
	snprintf(buf, bufsz, "%s [%d]",
	    cls == V_ASN1_CONTEXT_SPECIFIC ? "context" :
	    cls == V_ASN1_APPLICATION ? "application" : "private", tag);
	return buf;
}

/*
 * Bytes of the shortest identifier and length octets for tag and clen
 * (OpenSSL's own DER size; -1 past what it sizes).
 */
static long
der_header_len(int tag, long clen)
{
	int	n;

	if (clen > INT_MAX || (n = ASN1_object_size(0, (int)clen, tag)) < 0)
		return -1;
	return (long)n - clen;
}

/*
 * The DER rules that hold whatever the element means, for the parts of
 * an input no template reads (extension additions, kept as ANY): the
 * shortest identifier and length octets (X.690 section 10.1), primitive
 * form for every universal type but the structured ones (section 10.2),
 * BOOLEAN TRUE as 0xff (section 11.1), INTEGER in its fewest octets
 * (section 8.3.2).
 */
static int
der_element(const uint8_t *base, const uint8_t *p, const uint8_t *q,
    long clen, int r, int tag, int cls, const char *what, struct st_err *e)
{
	const uint8_t	*c = q;
	char		 tb[32];

	if (q - p != der_header_len(tag, clen))
		return st_err_set(e, ST_E_DER,
		    "%s: X.690 section 10.1: %s at offset %td has %td header "
		    "octets where DER uses %ld (non-minimal tag or length)",
		    what, der_tagname(cls, tag, tb, sizeof(tb)), p - base,
		    q - p, der_header_len(tag, clen));
	if (cls != V_ASN1_UNIVERSAL)
		return 0;
	if (r & V_ASN1_CONSTRUCTED) {
		if (tag != V_ASN1_SEQUENCE && tag != V_ASN1_SET &&
		    tag != V_ASN1_EXTERNAL && tag != 11 && tag != 29)
			return st_err_set(e, ST_E_ASN1,
			    "%s: X.690 section 10.2: constructed %s at offset "
			    "%td is not DER (primitive form only)", what,
			    ASN1_tag2str(tag), p - base);
		return 0;
	}
	if (tag == V_ASN1_BOOLEAN && (clen != 1 || (c[0] != 0 && c[0] != 0xff)))
		return st_err_set(e, ST_E_ASN1,
		    "%s: X.690 section 11.1: BOOLEAN at offset %td is not "
		    "one octet 0x00 or 0xff", what, p - base);
	if (tag == V_ASN1_INTEGER && (clen == 0 || (clen > 1 &&
	    ((c[0] == 0x00 && c[1] < 0x80) || (c[0] == 0xff && c[1] >= 0x80)))))
		return st_err_set(e, ST_E_ASN1,
		    "%s: X.690 section 8.3.2: INTEGER at offset %td is %s", what,
		    p - base, clen == 0 ? "empty" : "padded (illegal padding)");
	return 0;
}

/*
 * Walk the headers in [p, p + len); base locates offsets.  Returns 0 or
 * an error code with e filled.
 */
static int
der_walk(const uint8_t *base, const uint8_t *p, long len, int depth,
    const char *what, struct st_err *e)
{
	const uint8_t	*q;
	long		 clen;
	int		 tag, cls, r, rc;
	char		 tb[32];

	if (depth > DER_MAXDEPTH)
		return st_err_set(e, ST_E_ASN1,
		    "%s: nesting deeper than %d at offset %td", what,
		    DER_MAXDEPTH, p - base);
	while (len > 0) {
		q = p;
		r = ASN1_get_object(&q, &clen, &tag, &cls, len);
		ERR_clear_error();
		if (r == 0x80 && q == p)
			return st_err_set(e, ST_E_ASN1,
			    "%s: X.690 section 8.1: malformed tag or length "
			    "at offset %td (truncated DER)", what, p - base);
		if (r & 0x80)
			return st_err_set(e, ST_E_ASN1,
			    "%s: truncated DER: %s at offset %td declares %ld "
			    "content bytes but only %ld follow", what,
			    der_tagname(cls, tag, tb, sizeof(tb)), p - base, clen,
			    len - (long)(q - p));
		if (r & 1)
			return st_err_set(e, ST_E_DER,
			    "%s: X.690 section 10.1: indefinite length at "
			    "offset %td is not DER", what, p - base);
		if ((rc = der_element(base, p, q, clen, r, tag, cls, what,
		    e)) != 0)
			return rc;
		if ((r & V_ASN1_CONSTRUCTED) &&
		    (r = der_walk(base, q, clen, depth + 1, what, e)) != 0)
			return r;
		len -= (long)(q - p) + clen;
		p = q + clen;
	}
	return 0;
}

int
ca_der_diagnose(const uint8_t *der, size_t len, const char *what,
    struct st_err *e)
{
	const uint8_t	*q = der;
	long		 clen;
	int		 tag, cls, r, rc;
	char		 tb[32];
	size_t		 outer;

	if (len == 0)
		return st_err_set(e, ST_E_ASN1, "%s: empty input", what);
	if (len > LONG_MAX / 2)
		return st_err_set(e, ST_E_ASN1, "%s: input too large", what);
	/* The outer element alone first, so trailing bytes are named. */
	r = ASN1_get_object(&q, &clen, &tag, &cls, (long)len);
	ERR_clear_error();
	if (r == 0x80 && q == der)
		return st_err_set(e, ST_E_ASN1,
		    "%s: X.690 section 8.1: malformed tag or length at offset "
		    "0 (truncated DER)", what);
	if (r & 0x80)
		return st_err_set(e, ST_E_ASN1,
		    "%s: truncated DER: %s at offset 0 declares %ld content "
		    "bytes but only %ld follow", what,
		    der_tagname(cls, tag, tb, sizeof(tb)), clen,
		    (long)len - (long)(q - der));
	if (r & 1)
		return st_err_set(e, ST_E_DER,
		    "%s: X.690 section 10.1: indefinite length at offset 0 is "
		    "not DER", what);
	if ((rc = der_element(der, der, q, clen, r, tag, cls, what, e)) != 0)
		return rc;
	if ((r & V_ASN1_CONSTRUCTED) &&
	    (r = der_walk(der, q, clen, 1, what, e)) != 0)
		return r;
	outer = (size_t)(q - der) + (size_t)clen;
	if (outer < len)
		return st_err_set(e, ST_E_ASN1,
		    "%s: %zu trailing byte%s after the outer %s", what,
		    len - outer, len - outer == 1 ? "" : "s",
		    der_tagname(cls, tag, tb, sizeof(tb)));
	return 0;
}

int
ca_der_same(const uint8_t *in, size_t inlen, const uint8_t *re, size_t relen,
    const char *what, struct st_err *e)
{
	size_t	i;

	if (inlen == relen && memcmp(in, re, inlen) == 0)
		return 0;
	for (i = 0; i < inlen && i < relen && in[i] == re[i]; i++)
		continue;
	return st_err_set(e, ST_E_DER,
	    "%s: X.690 section 10 (DER): not the canonical encoding; first "
	    "difference at offset %zu (input 0x%02x, DER 0x%02x)", what, i,
	    i < inlen ? in[i] : 0, i < relen ? re[i] : 0);
}
