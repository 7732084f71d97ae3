/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the TNAuthList decoder (RFC 8226).  Properties
 * checked on every input:
 *  - the binary and text decoders never crash or leak;
 *  - what decodes is canonical: the encoder writes the same bytes back,
 *    unless the list holds an exact-fit range or an extension addition,
 *    which the decoder accepts but the encoder never writes;
 *  - the canonical scope of a decoded list converts back to a list that
 *    encodes and covers the same scope.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_tnauth	*l = NULL, *l2 = NULL, *back = NULL;
	struct ca_scope		*s = NULL, *s2 = NULL;
	uint8_t			*re = NULL;
	size_t			 rlen;

	if (ca_tnauth_decode_any(data, size, &l2, NULL) == 0)
		ca_tnauth_free(l2);
	if (ca_tnauth_decode(data, size, &l, NULL) != 0)
		return 0;
	if (ca_tnauth_encode(l, &re, &rlen, NULL) == 0) {
		/* Re-encoding differs only when an extension addition was
		 * dropped, which makes the output shorter. */
		if (rlen > size || (rlen == size && memcmp(re, data, size)))
			abort();
	}
	if (ca_scope_from_tnauth(l, &s, NULL) != 0)
		abort();
	if (ca_scope_to_tnauth(s, &back, NULL) != 0)
		abort();
	OPENSSL_free(re);
	re = NULL;
	if (back->n > 0) {
		if (ca_tnauth_encode(back, &re, &rlen, NULL) != 0)
			abort();
		if (ca_scope_from_tnauth(back, &s2, NULL) != 0)
			abort();
		if (ca_scope_encompasses(s, s2, NULL, NULL) != 1 ||
		    ca_scope_encompasses(s2, s, NULL, NULL) != 1)
			abort();
	}
	OPENSSL_free(re);
	ca_scope_free(s);
	ca_scope_free(s2);
	ca_tnauth_free(back);
	ca_tnauth_free(l);
	return 0;
}
