/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the claim-constraint decoders: JWTClaimConstraints
 * (RFC 8226 section 8) and EnhancedJWTClaimConstraints (RFC 9118).
 * Properties checked on every input:
 *  - neither decoder crashes or leaks, and a refusal leaves *out NULL;
 *  - what decodes is canonical: the encoder writes the same bytes back;
 *  - the two forms agree: an RFC 8226 value is an RFC 9118 value, and an
 *    RFC 9118 value without mustExclude [2] is an RFC 8226 value, since
 *    the two modules share components [0] and [1].
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/ca.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode as one form; abort on a broken property; 1 if it decoded. */
static int
fuzz_form(const uint8_t *data, size_t size, bool enhanced, bool *has_exclude)
{
	struct ca_claims	*c = NULL;
	uint8_t			*re = NULL;
	size_t			 rlen;
	int			 rc;

	rc = ca_claims_decode(data, size, enhanced, &c, NULL);
	if (rc != 0) {
		if (c != NULL || rc > 0)
			abort();
		return 0;
	}
	if (c->enhanced != enhanced)
		abort();
	*has_exclude = c->n_must_exclude > 0;
	if (ca_claims_encode(c, &re, &rlen, NULL) != 0)
		abort();
	if (rlen != size || memcmp(re, data, size) != 0)
		abort();
	OPENSSL_free(re);
	ca_claims_free(c);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool	ex8226 = false, ex9118 = false;
	int	a, b;

	a = fuzz_form(data, size, false, &ex8226);
	b = fuzz_form(data, size, true, &ex9118);
	if (a && (!b || ex8226))
		abort();
	if (b && !ex9118 && !a)
		abort();
	return 0;
}
