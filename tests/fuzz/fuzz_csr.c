/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the request decoders of ca/ (ca/csr.c, ca/spki.c):
 * every input is tried as a PKCS#10 request (RFC 2986) and as a
 * SubjectPublicKeyInfo.  Properties:
 *  - no crash, no leak; a refusal always carries a message;
 *  - a request stica accepts is one OpenSSL's own parser accepts and
 *    whose self-signature X509_REQ_verify confirms (a differential check:
 *    the fast path must never accept what the reference refuses);
 *  - an SPKI stica accepts re-encodes to exactly the input (strict DER).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "ca/ca_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_csr		 csr;
	struct st_err		 e = { 0 };
	X509_PUBKEY		*xpk = NULL;
	X509_REQ		*req;
	const unsigned char	*p;
	unsigned char		*re = NULL;
	int			 rl;

	memset(&csr, 0, sizeof(csr));
	if (ca_csr_decode(data, size, &csr, &e) == 0) {
		p = data;
		if ((req = d2i_X509_REQ(NULL, &p, (long)size)) == NULL ||
		    X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1)
			abort();
		X509_REQ_free(req);
		ca_csr_clear(&csr);
	} else if (e.msg[0] == '\0')
		abort();
	st_err_clear(&e);
	if (ca_spki_decode(data, size, &xpk, &e) == 0) {
		if ((rl = i2d_X509_PUBKEY(xpk, &re)) <= 0 ||
		    (size_t)rl != size || memcmp(re, data, size) != 0)
			abort();
		OPENSSL_free(re);
		X509_PUBKEY_free(xpk);
	} else if (e.msg[0] == '\0')
		abort();
	ERR_clear_error();
	return 0;
}
