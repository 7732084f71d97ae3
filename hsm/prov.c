/* SPDX-License-Identifier: ISC */
/*
 * The in-process OpenSSL 3 provider "stica-hsm" (provider(7),
 * provider-keymgmt(7), provider-signature(7)), registered with
 * OSSL_PROVIDER_add_builtin into the private OSSL_LIB_CTX of each struct
 * hsm, next to the "default" provider.  No shared object, no openssl.cnf,
 * no ENGINE.
 *
 * Key management "EC" and "RSA" (so that EVP_PKEY_eq and
 * X509_check_private_key match the default provider's keys), importing
 * only a struct hsm_key and exporting only public parts.  Signatures
 * "ECDSA" (SHA-256/384/512; DER ECDSA-Sig-Value, RFC 3279 section 2.2.3)
 * and "RSA" (RSASSA-PKCS1-v1_5 and RSASSA-PSS, RFC 8017 section 8): the
 * digest is computed by the default provider and only the private-key
 * operation goes to the token (hsm_sign, which verifies the token's
 * answer).  The AlgorithmIdentifier (RFC 5758 section 3.2, RFC 4055
 * section 3) comes from OSSL_SIGNATURE_PARAM_ALGORITHM_ID, as
 * X509_sign_ctx needs.  Failures go onto OpenSSL's error queue through
 * the core's error functions, with the CKR name as the reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "hsm/hsm_int.h"

#define PROPDEF "provider=" HSM_PROV_NAME

/* Error reasons: categories, then CKR_* names at R_CKR + rv. */
enum {
	R_HSM = 1,
	R_NOTOKEN,
	R_NOKEY,
	R_PIN,
	R_MODULE,
	R_VERIFY,
	R_ARGS,
	R_DIGEST,
	R_NOMEM,
	R_CKR = 0x1000
};

struct provctx {
	const OSSL_CORE_HANDLE		*handle;
	struct hsm			*h;
	OSSL_FUNC_core_new_error_fn	*new_error;
	OSSL_FUNC_core_set_error_debug_fn *set_error_debug;
	OSSL_FUNC_core_vset_error_fn	*vset_error;
};

struct kdata {
	struct provctx	*pc;
	struct hsm_key	*k;
	bool		 rsa;
};

struct sctx {
	struct provctx		*pc;
	struct hsm_key		*k;
	bool			 rsa;
	struct hsm_sigalg	 alg;
	int			 salt_req;	/* RSA_PSS_SALTLEN_* or bytes */
	bool			 md_set;
	EVP_MD_CTX		*mdctx;
};

static OSSL_ITEM	reasons[160];
static pthread_once_t	reasons_once = PTHREAD_ONCE_INIT;
static char r_hsm[] = "PKCS#11 token failure";
static char r_notoken[] = "token not present";
static char r_nokey[] = "key not found in the token";
static char r_pin[] = "PIN refused or missing";
static char r_module[] = "PKCS#11 module failure";
static char r_verify[] = "signature from the token does not verify";
static char r_args[] = "bad argument";
static char r_digest[] = "digest not supported (SHA-256, -384, -512 are)";
static char r_nomem[] = "out of memory";

/* The reason table: categories plus every named CKR_* value. */
static void
reasons_build(void)
{
	static char	*cat[] = { r_hsm, r_notoken, r_nokey, r_pin, r_module,
		r_verify, r_args, r_digest, r_nomem };
	const char	*name;
	size_t		 n = 0, i;
	CK_RV		 rv;

	for (i = 0; i < sizeof(cat) / sizeof(cat[0]); i++) {
		reasons[n].id = (unsigned)(R_HSM + i);
		reasons[n++].ptr = cat[i];
	}
	for (rv = 0; rv < 0x1000 && n + 1 < sizeof(reasons) / sizeof(reasons[0]);
	    rv++)
		if ((name = hsm_ckr_name(rv)) != NULL) {
			reasons[n].id = (unsigned)(R_CKR + rv);
			reasons[n++].ptr = (void *)(uintptr_t)name;
		}
	reasons[n].id = 0;
	reasons[n].ptr = NULL;
}

/* The error reason: the CKR_ name when there is one, else the category. */
static int
reason_for(int code, CK_RV rv)
{
	if (rv != CKR_OK && rv < 0x1000 && hsm_ckr_name(rv) != NULL)
		return R_CKR + (int)rv;
	switch (code) {
	case ST_E_HSM_NOTOKEN:
		return R_NOTOKEN;
	case ST_E_HSM_NOKEY:
		return R_NOKEY;
	case ST_E_HSM_PIN:
		return R_PIN;
	case ST_E_HSM_MODULE:
		return R_MODULE;
	case ST_E_VERIFY:
		return R_VERIFY;
	case ST_E_USAGE:
		return R_ARGS;
	case ST_E_NOMEM:
		return R_NOMEM;
	default:
		return R_HSM;
	}
}

/* Raise an error on OpenSSL's queue through the core (provider-base(7)). */
static void
praise(struct provctx *pc, const char *func, int reason, const char *fmt,
    ...)
{
	va_list	ap;

	if (pc == NULL || pc->new_error == NULL || pc->vset_error == NULL)
		return;
	pc->new_error(pc->handle);
	if (pc->set_error_debug != NULL)
		pc->set_error_debug(pc->handle, "hsm/prov.c", 0, func);
	va_start(ap, fmt);
	pc->vset_error(pc->handle, (uint32_t)reason, fmt, ap);
	va_end(ap);
}

/* ---- key management ---------------------------------------------- */

/* provider-keymgmt(7) new: an empty keydata, filled by km_import. */
static void *
km_new(struct provctx *pc, bool rsa)
{
	struct kdata	*kd;

	if ((kd = calloc(1, sizeof(*kd))) == NULL) {
		praise(pc, "km_new", R_NOMEM, "out of memory");
		return NULL;
	}
	kd->pc = pc;
	kd->rsa = rsa;
	return kd;
}

static void *
km_ec_new(void *provctx)
{
	return km_new(provctx, false);
}

static void *
km_rsa_new(void *provctx)
{
	return km_new(provctx, true);
}

static void
km_free(void *vkd)
{
	struct kdata	*kd = vkd;

	if (kd == NULL)
		return;
	hsm_key_unref(kd->k);
	free(kd);
}

/* Any selection: the token has the private half, we have the rest. */
static int
km_has(const void *vkd, int selection)
{
	const struct kdata	*kd = vkd;

	(void)selection;
	return kd != NULL && kd->k != NULL;
}

/* Two keydata of this provider: the same SubjectPublicKeyInfo. */
static int
km_match(const void *a, const void *b, int selection)
{
	const struct kdata	*x = a, *y = b;

	(void)selection;
	if (x->k == NULL || y->k == NULL)
		return 0;
	return x->k->spkilen == y->k->spkilen &&
	    memcmp(x->k->spki, y->k->spki, x->k->spkilen) == 0;
}

/*
 * Import: only the HSM_KEY_PARAM parameter, which carries a struct
 * hsm_key of this provider's token.  Key material is never imported.
 */
static int
km_import(void *vkd, int selection, const OSSL_PARAM params[])
{
	struct kdata		*kd = vkd;
	const OSSL_PARAM	*p;
	struct hsm_key		*k = NULL;

	(void)selection;
	if ((p = OSSL_PARAM_locate_const(params, HSM_KEY_PARAM)) == NULL ||
	    p->data_type != OSSL_PARAM_OCTET_STRING ||
	    p->data_size != sizeof(k)) {
		praise(kd->pc, "km_import", R_ARGS, "only HSM keys can be "
		    "imported into " HSM_PROV_NAME);
		return 0;
	}
	memcpy(&k, p->data, sizeof(k));
	if (k == NULL || k->magic != HSM_KEY_MAGIC || k->h != kd->pc->h ||
	    (k->type == HSM_KEY_RSA_2048 || k->type == HSM_KEY_RSA_3072) !=
	    kd->rsa || kd->k != NULL) {
		praise(kd->pc, "km_import", R_ARGS, "not a key of this token");
		return 0;
	}
	hsm_key_ref(k);
	kd->k = k;
	return 1;
}

static const OSSL_PARAM km_import_tbl[] = {
	OSSL_PARAM_octet_string(HSM_KEY_PARAM, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
km_import_types(int selection)
{
	(void)selection;
	return km_import_tbl;
}

/*
 * Export the public key and domain parameters only, whatever is asked
 * (hsm-notes.md 4.5: needed for X509_check_private_key and OCSP; never
 * private material).
 */
static int
km_export(void *vkd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	struct kdata	*kd = vkd;
	struct hsm_key	*k = kd->k;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	int		 ok = 0;

	if (k == NULL || (selection & (OSSL_KEYMGMT_SELECT_PUBLIC_KEY |
	    OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS)) == 0)
		return 0;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	if (!kd->rsa) {
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, k->type == HSM_KEY_EC_P256 ?
		    "prime256v1" : "secp384r1", 0))
			goto out;
		if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 &&
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, k->point, k->pointlen))
			goto out;
	} else if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, k->n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, k->e))
		goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ok = cb(params, cbarg);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return ok;
}

static const OSSL_PARAM km_ec_export_tbl[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM km_rsa_export_tbl[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
km_ec_export_types(int selection)
{
	(void)selection;
	return km_ec_export_tbl;
}

static const OSSL_PARAM *
km_rsa_export_types(int selection)
{
	(void)selection;
	return km_rsa_export_tbl;
}

/* DER ECDSA-Sig-Value bound: SEQUENCE of two INTEGERs of flen + 1. */
static int
max_sig_size(const struct hsm_key *k)
{
	if (k->type == HSM_KEY_EC_P256)
		return 72;
	if (k->type == HSM_KEY_EC_P384)
		return 104;
	return (int)k->siglen;
}

static int
security_bits(const struct hsm_key *k)
{
	switch (k->type) {
	case HSM_KEY_EC_P256:
		return 128;
	case HSM_KEY_EC_P384:
		return 192;
	case HSM_KEY_RSA_2048:
		return 112;
	default:
		return 128;
	}
}

/*
 * What EVP_PKEY_get_bits/_security_bits/_size and the X.509 code ask for;
 * OpenSSL caches bits, security bits and max size when the key is made.
 */
static int
km_get_params(void *vkd, OSSL_PARAM params[])
{
	struct kdata	*kd = vkd;
	struct hsm_key	*k = kd->k;
	OSSL_PARAM	*p;

	if (k == NULL)
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, k->bits))
		return 0;
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
	    !OSSL_PARAM_set_int(p, security_bits(k)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
	    !OSSL_PARAM_set_int(p, max_sig_size(k)))
		return 0;
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_PKEY_PARAM_DEFAULT_DIGEST)) != NULL &&
	    !OSSL_PARAM_set_utf8_string(p, k->type == HSM_KEY_EC_P384 ?
	    "SHA384" : "SHA256"))
		return 0;
	if (!kd->rsa) {
		if ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_GROUP_NAME)) != NULL &&
		    !OSSL_PARAM_set_utf8_string(p, k->type == HSM_KEY_EC_P256 ?
		    "prime256v1" : "secp384r1"))
			return 0;
		if ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_PUB_KEY)) != NULL &&
		    !OSSL_PARAM_set_octet_string(p, k->point, k->pointlen))
			return 0;
		if ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY)) != NULL &&
		    !OSSL_PARAM_set_octet_string(p, k->point, k->pointlen))
			return 0;
	} else {
		if ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_RSA_N)) != NULL &&
		    !OSSL_PARAM_set_BN(p, k->n))
			return 0;
		if ((p = OSSL_PARAM_locate(params,
		    OSSL_PKEY_PARAM_RSA_E)) != NULL &&
		    !OSSL_PARAM_set_BN(p, k->e))
			return 0;
	}
	return 1;
}

static const OSSL_PARAM km_ec_gettable_tbl[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM km_rsa_gettable_tbl[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
km_ec_gettable(void *provctx)
{
	(void)provctx;
	return km_ec_gettable_tbl;
}

static const OSSL_PARAM *
km_rsa_gettable(void *provctx)
{
	(void)provctx;
	return km_rsa_gettable_tbl;
}

static const char *
km_ec_opname(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

static const char *
km_rsa_opname(int op)
{
	return op == OSSL_OP_SIGNATURE ? "RSA" : NULL;
}

/* EVP_PKEY_dup: another keydata on the same key. */
static void *
km_dup(const void *vkd, int selection)
{
	const struct kdata	*kd = vkd;
	struct kdata		*d;

	(void)selection;
	if ((d = km_new(kd->pc, kd->rsa)) == NULL)
		return NULL;
	if ((d->k = kd->k) != NULL)
		hsm_key_ref(d->k);
	return d;
}

#define FN(f) ((void (*)(void))(f))

static const OSSL_DISPATCH km_ec_fns[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, FN(km_ec_new) },
	{ OSSL_FUNC_KEYMGMT_FREE, FN(km_free) },
	{ OSSL_FUNC_KEYMGMT_HAS, FN(km_has) },
	{ OSSL_FUNC_KEYMGMT_MATCH, FN(km_match) },
	{ OSSL_FUNC_KEYMGMT_IMPORT, FN(km_import) },
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, FN(km_import_types) },
	{ OSSL_FUNC_KEYMGMT_EXPORT, FN(km_export) },
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, FN(km_ec_export_types) },
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, FN(km_get_params) },
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, FN(km_ec_gettable) },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, FN(km_ec_opname) },
	{ OSSL_FUNC_KEYMGMT_DUP, FN(km_dup) },
	{ 0, NULL }
};

static const OSSL_DISPATCH km_rsa_fns[] = {
	{ OSSL_FUNC_KEYMGMT_NEW, FN(km_rsa_new) },
	{ OSSL_FUNC_KEYMGMT_FREE, FN(km_free) },
	{ OSSL_FUNC_KEYMGMT_HAS, FN(km_has) },
	{ OSSL_FUNC_KEYMGMT_MATCH, FN(km_match) },
	{ OSSL_FUNC_KEYMGMT_IMPORT, FN(km_import) },
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, FN(km_import_types) },
	{ OSSL_FUNC_KEYMGMT_EXPORT, FN(km_export) },
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, FN(km_rsa_export_types) },
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, FN(km_get_params) },
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, FN(km_rsa_gettable) },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, FN(km_rsa_opname) },
	{ OSSL_FUNC_KEYMGMT_DUP, FN(km_dup) },
	{ 0, NULL }
};

/* ---- signatures ---------------------------------------------------- */

/* provider-signature(7) newctx; PSS salt defaults to the digest length. */
static void *
sig_newctx(void *provctx, const char *propq, bool rsa)
{
	struct sctx	*c;

	(void)propq;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		praise(provctx, "sig_newctx", R_NOMEM, "out of memory");
		return NULL;
	}
	c->pc = provctx;
	c->rsa = rsa;
	c->salt_req = RSA_PSS_SALTLEN_DIGEST;
	return c;
}

static void *
sig_ec_newctx(void *provctx, const char *propq)
{
	return sig_newctx(provctx, propq, false);
}

static void *
sig_rsa_newctx(void *provctx, const char *propq)
{
	return sig_newctx(provctx, propq, true);
}

static void
sig_freectx(void *vc)
{
	struct sctx	*c = vc;

	if (c == NULL)
		return;
	hsm_key_unref(c->k);
	EVP_MD_CTX_free(c->mdctx);
	free(c);
}

/* EVP_DigestSignFinal duplicates the context: copy the digest state. */
static void *
sig_dupctx(void *vc)
{
	struct sctx	*c = vc, *d;

	if ((d = malloc(sizeof(*d))) == NULL) {
		praise(c->pc, "sig_dupctx", R_NOMEM, "out of memory");
		return NULL;
	}
	*d = *c;
	d->mdctx = NULL;
	if (c->mdctx != NULL && ((d->mdctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_MD_CTX_copy_ex(d->mdctx, c->mdctx))) {
		EVP_MD_CTX_free(d->mdctx);
		free(d);
		praise(c->pc, "sig_dupctx", R_NOMEM, "copying digest state");
		return NULL;
	}
	if (d->k != NULL)
		hsm_key_ref(d->k);
	return d;
}

/* A digest name (any alias) -> NID among SHA-256/384/512. */
static int
md_resolve(struct sctx *c, const char *name)
{
	static const int nids[] = { NID_sha256, NID_sha384, NID_sha512 };
	size_t		 i;
	const EVP_MD	*md;

	for (i = 0; i < 3; i++)
		if ((md = hsm_md(c->pc->h, nids[i])) != NULL &&
		    EVP_MD_is_a(md, name))
			return nids[i];
	praise(c->pc, "md_resolve", R_DIGEST, "digest %s", name);
	return NID_undef;
}

/* PSS salt length in bytes from the requested value (RSA_PSS_SALTLEN_*). */
static int
pss_salt(const struct sctx *c)
{
	int	mdlen, max;

	mdlen = EVP_MD_get_size(EVP_get_digestbynid(c->alg.md_nid));
	max = (int)c->k->siglen - mdlen - 2;
	if ((c->k->bits - 1) % 8 == 0)
		max--;
	switch (c->salt_req) {
	case RSA_PSS_SALTLEN_DIGEST:
		return mdlen;
	case RSA_PSS_SALTLEN_MAX:
	case RSA_PSS_SALTLEN_AUTO:
		return max;
	default:
		return c->salt_req > max ? -1 : c->salt_req;
	}
}

static int sig_set_ctx_params(void *vc, const OSSL_PARAM params[]);

/* Common to sign_init and digest_sign_init: key, digest, parameters. */
static int
sig_init(struct sctx *c, void *vkd, const char *mdname,
    const OSSL_PARAM params[])
{
	struct kdata	*kd = vkd;
	int		 nid;

	if (kd == NULL || kd->k == NULL || kd->rsa != c->rsa) {
		praise(c->pc, "sig_init", R_ARGS, "no HSM key of this type");
		return 0;
	}
	hsm_key_unref(c->k);
	c->k = kd->k;
	hsm_key_ref(c->k);
	hsm_key_default_alg(c->k, &c->alg);
	c->md_set = false;
	if (mdname != NULL && mdname[0] != '\0') {
		if ((nid = md_resolve(c, mdname)) == NID_undef)
			return 0;
		c->alg.md_nid = c->alg.mgf1_nid = nid;
		c->md_set = true;
	}
	return sig_set_ctx_params(c, params);
}

static int
sig_sign_init(void *vc, void *vkd, const OSSL_PARAM params[])
{
	return sig_init(vc, vkd, NULL, params);
}

/* The private-key operation: hsm_sign, with its error raised here. */
static int
sig_do(struct sctx *c, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *dgst, size_t dlen)
{
	struct st_err	e;
	CK_RV		rv = CKR_OK;
	size_t		len = sigsize;
	int		rc;

	st_err_clear(&e);
	if (c->alg.kind == HSM_SIG_RSA_PSS &&
	    (c->alg.saltlen = pss_salt(c)) < 0) {
		praise(c->pc, "sig_do", R_ARGS, "PSS salt length too long");
		return 0;
	}
	if ((rc = hsm_sign(c->k, &c->alg, dgst, dlen, sig, &len, !c->rsa, &rv,
	    &e)) != 0) {
		praise(c->pc, "hsm_sign", reason_for(rc, rv), "%s",
		    st_err_str(&e, rc));
		return 0;
	}
	*siglen = len;
	return 1;
}

/*
 * EVP_PKEY_sign over a digest; without a digest set, its length tells
 * SHA-256/384/512 apart.  sig NULL asks for the maximum size.
 */
static int
sig_sign(void *vc, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *tbs, size_t tbslen)
{
	struct sctx	*c = vc;
	int		 nid;

	if (c->k == NULL)
		return 0;
	if (sig == NULL) {
		*siglen = (size_t)max_sig_size(c->k);
		return 1;
	}
	if (!c->md_set) {
		nid = tbslen == 32 ? NID_sha256 : tbslen == 48 ? NID_sha384 :
		    tbslen == 64 ? NID_sha512 : NID_undef;
		if (nid == NID_undef) {
			praise(c->pc, "sig_sign", R_ARGS, "a digest of %zu "
			    "bytes", tbslen);
			return 0;
		}
		c->alg.md_nid = nid;
		if (c->alg.kind != HSM_SIG_RSA_PSS)
			c->alg.mgf1_nid = nid;
	}
	return sig_do(c, sig, siglen, sigsize, tbs, tbslen);
}

/* EVP_DigestSignInit: the digest runs in the default provider. */
static int
sig_digest_sign_init(void *vc, const char *mdname, void *vkd,
    const OSSL_PARAM params[])
{
	struct sctx	*c = vc;

	if (!sig_init(c, vkd, mdname, params))
		return 0;
	if (c->mdctx == NULL && (c->mdctx = EVP_MD_CTX_new()) == NULL) {
		praise(c->pc, "sig_digest_sign_init", R_NOMEM, "out of memory");
		return 0;
	}
	if (!EVP_DigestInit_ex2(c->mdctx, hsm_md(c->pc->h, c->alg.md_nid),
	    NULL)) {
		praise(c->pc, "sig_digest_sign_init", R_DIGEST, "%s",
		    OBJ_nid2sn(c->alg.md_nid));
		return 0;
	}
	c->md_set = true;
	return 1;
}

static int
sig_digest_sign_update(void *vc, const unsigned char *data, size_t len)
{
	struct sctx	*c = vc;

	return c->mdctx != NULL && EVP_DigestUpdate(c->mdctx, data, len);
}

/* Finish the digest and sign it in the token; sig NULL: maximum size. */
static int
sig_digest_sign_final(void *vc, unsigned char *sig, size_t *siglen,
    size_t sigsize)
{
	struct sctx	*c = vc;
	unsigned char	 dgst[EVP_MAX_MD_SIZE];
	unsigned int	 dlen = 0;

	if (c->k == NULL || c->mdctx == NULL)
		return 0;
	if (sig == NULL) {
		*siglen = (size_t)max_sig_size(c->k);
		return 1;
	}
	if (!EVP_DigestFinal_ex(c->mdctx, dgst, &dlen))
		return 0;
	return sig_do(c, sig, siglen, sigsize, dgst, dlen);
}

/* RFC 5758 section 3.2 and RFC 4055 section 5 AlgorithmIdentifiers. */
static const uint8_t aid_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t aid_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t aid_ecdsa_sha512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t aid_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
	0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t aid_rsa_sha384[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
	0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 };
static const uint8_t aid_rsa_sha512[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
	0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 };

/*
 * RSASSA-PSS-params (RFC 4055 section 3.1): hash, MGF1 with its hash,
 * salt length; trailer field default.  DER into *der (caller frees).
 */
static int
aid_pss(const struct sctx *c, unsigned char **der)
{
	X509_ALGOR	*alg = NULL, *mgfhash = NULL;
	RSA_PSS_PARAMS	*pp = NULL;
	ASN1_STRING	*mgfparam = NULL, *ppder = NULL;
	int		 salt, len = -1;

	*der = NULL;
	if ((salt = pss_salt(c)) < 0 || (pp = RSA_PSS_PARAMS_new()) == NULL ||
	    (pp->hashAlgorithm = X509_ALGOR_new()) == NULL ||
	    (mgfhash = X509_ALGOR_new()) == NULL ||
	    (pp->maskGenAlgorithm = X509_ALGOR_new()) == NULL ||
	    (pp->saltLength = ASN1_INTEGER_new()) == NULL ||
	    (alg = X509_ALGOR_new()) == NULL)
		goto out;
	X509_ALGOR_set_md(pp->hashAlgorithm,
	    EVP_get_digestbynid(c->alg.md_nid));
	X509_ALGOR_set_md(mgfhash, EVP_get_digestbynid(c->alg.mgf1_nid));
	if ((mgfparam = ASN1_item_pack(mgfhash, ASN1_ITEM_rptr(X509_ALGOR),
	    NULL)) == NULL ||
	    !X509_ALGOR_set0(pp->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1),
	    V_ASN1_SEQUENCE, mgfparam))
		goto out;
	mgfparam = NULL;
	if (!ASN1_INTEGER_set(pp->saltLength, salt) ||
	    (ppder = ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_PSS_PARAMS),
	    NULL)) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE,
	    ppder))
		goto out;
	ppder = NULL;
	len = i2d_X509_ALGOR(alg, der);
out:
	ASN1_STRING_free(mgfparam);
	ASN1_STRING_free(ppder);
	X509_ALGOR_free(mgfhash);
	RSA_PSS_PARAMS_free(pp);
	X509_ALGOR_free(alg);
	return len;
}

/*
 * The AlgorithmIdentifier X509_sign_ctx and friends put into the
 * structure (hsm-notes.md 4.5 item 2), the digest and, for RSA, the
 * padding, salt length and MGF1 digest.
 */
static int
sig_get_ctx_params(void *vc, OSSL_PARAM params[])
{
	struct sctx		*c = vc;
	OSSL_PARAM		*p;
	const uint8_t		*aid = NULL;
	unsigned char		*der = NULL;
	size_t			 aidlen = 0;
	int			 len, ok;

	if (c->k == NULL)
		return 0;
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_ALGORITHM_ID)) != NULL) {
		switch (c->alg.md_nid * 4 + (int)c->alg.kind) {
#define AID(nid, kind, t) \
	case (nid) * 4 + (kind): \
		aid = t; \
		aidlen = sizeof(t); \
		break
		AID(NID_sha256, HSM_SIG_ECDSA, aid_ecdsa_sha256);
		AID(NID_sha384, HSM_SIG_ECDSA, aid_ecdsa_sha384);
		AID(NID_sha512, HSM_SIG_ECDSA, aid_ecdsa_sha512);
		AID(NID_sha256, HSM_SIG_RSA_PKCS1, aid_rsa_sha256);
		AID(NID_sha384, HSM_SIG_RSA_PKCS1, aid_rsa_sha384);
		AID(NID_sha512, HSM_SIG_RSA_PKCS1, aid_rsa_sha512);
#undef AID
		default:
			break;
		}
		if (c->alg.kind == HSM_SIG_RSA_PSS) {
			if ((len = aid_pss(c, &der)) <= 0)
				return 0;
			ok = OSSL_PARAM_set_octet_string(p, der, (size_t)len);
			OPENSSL_free(der);
			if (!ok)
				return 0;
		} else if (aid == NULL ||
		    !OSSL_PARAM_set_octet_string(p, aid, aidlen))
			return 0;
	}
	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) !=
	    NULL && !OSSL_PARAM_set_utf8_string(p, OBJ_nid2sn(c->alg.md_nid)))
		return 0;
	if (!c->rsa)
		return 1;
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL) {
		int pad = c->alg.kind == HSM_SIG_RSA_PSS ?
		    RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;

		if (p->data_type == OSSL_PARAM_INTEGER) {
			if (!OSSL_PARAM_set_int(p, pad))
				return 0;
		} else if (!OSSL_PARAM_set_utf8_string(p,
		    pad == RSA_PKCS1_PSS_PADDING ? OSSL_PKEY_RSA_PAD_MODE_PSS :
		    OSSL_PKEY_RSA_PAD_MODE_PKCSV15))
			return 0;
	}
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL) {
		if (p->data_type == OSSL_PARAM_INTEGER) {
			if (!OSSL_PARAM_set_int(p, pss_salt(c)))
				return 0;
		} else {
			char buf[16];

			snprintf(buf, sizeof(buf), "%d", pss_salt(c));
			if (!OSSL_PARAM_set_utf8_string(p, buf))
				return 0;
		}
	}
	if ((p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL &&
	    !OSSL_PARAM_set_utf8_string(p, OBJ_nid2sn(c->alg.mgf1_nid)))
		return 0;
	return 1;
}

static const OSSL_PARAM sig_gettable_tbl[] = {
	OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
sig_gettable(void *vc, void *provctx)
{
	(void)vc;
	(void)provctx;
	return sig_gettable_tbl;
}

/*
 * Settable: the digest (before any data), and for RSA the padding (PKCS#1
 * v1.5 or PSS), the PSS salt length and the MGF1 digest.
 */
static int
sig_set_ctx_params(void *vc, const OSSL_PARAM params[])
{
	struct sctx		*c = vc;
	const OSSL_PARAM	*p;
	const char		*s = NULL;
	int			 nid, pad = 0, salt;

	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_DIGEST)) != NULL) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) ||
		    (nid = md_resolve(c, s)) == NID_undef)
			return 0;
		c->alg.md_nid = nid;
		if (c->alg.kind != HSM_SIG_RSA_PSS)
			c->alg.mgf1_nid = nid;
		c->md_set = true;
	}
	if (!c->rsa)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL) {
		if (p->data_type == OSSL_PARAM_INTEGER) {
			if (!OSSL_PARAM_get_int(p, &pad))
				return 0;
		} else if (OSSL_PARAM_get_utf8_string_ptr(p, &s)) {
			pad = strcmp(s, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0 ?
			    RSA_PKCS1_PSS_PADDING :
			    strcmp(s, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0 ?
			    RSA_PKCS1_PADDING : 0;
		}
		if (pad == RSA_PKCS1_PSS_PADDING)
			c->alg.kind = HSM_SIG_RSA_PSS;
		else if (pad == RSA_PKCS1_PADDING)
			c->alg.kind = HSM_SIG_RSA_PKCS1;
		else {
			praise(c->pc, "sig_set_ctx_params", R_ARGS, "RSA "
			    "padding %d (PKCS#1 v1.5 and PSS are supported)",
			    pad);
			return 0;
		}
	}
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL) {
		if (p->data_type == OSSL_PARAM_INTEGER) {
			if (!OSSL_PARAM_get_int(p, &salt))
				return 0;
		} else if (OSSL_PARAM_get_utf8_string_ptr(p, &s)) {
			if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0)
				salt = RSA_PSS_SALTLEN_DIGEST;
			else if (strcmp(s, OSSL_PKEY_RSA_PSS_SALT_LEN_MAX) == 0)
				salt = RSA_PSS_SALTLEN_MAX;
			else if (strcmp(s,
			    OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO) == 0)
				salt = RSA_PSS_SALTLEN_AUTO;
			else
				salt = atoi(s);
		} else
			return 0;
		c->salt_req = salt;
	}
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL) {
		if (!OSSL_PARAM_get_utf8_string_ptr(p, &s) ||
		    (nid = md_resolve(c, s)) == NID_undef)
			return 0;
		c->alg.mgf1_nid = nid;
	}
	return 1;
}

static const OSSL_PARAM sig_ec_settable_tbl[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM sig_rsa_settable_tbl[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
sig_settable(void *vc, void *provctx)
{
	struct sctx	*c = vc;

	(void)provctx;
	return c != NULL && c->rsa ? sig_rsa_settable_tbl :
	    sig_ec_settable_tbl;
}

#define SIG_FNS(newctx) \
	{ OSSL_FUNC_SIGNATURE_NEWCTX, FN(newctx) }, \
	{ OSSL_FUNC_SIGNATURE_FREECTX, FN(sig_freectx) }, \
	{ OSSL_FUNC_SIGNATURE_DUPCTX, FN(sig_dupctx) }, \
	{ OSSL_FUNC_SIGNATURE_SIGN_INIT, FN(sig_sign_init) }, \
	{ OSSL_FUNC_SIGNATURE_SIGN, FN(sig_sign) }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, FN(sig_digest_sign_init) }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, \
	    FN(sig_digest_sign_update) }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, FN(sig_digest_sign_final) }, \
	{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, FN(sig_get_ctx_params) }, \
	{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, FN(sig_gettable) }, \
	{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, FN(sig_set_ctx_params) }, \
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS, FN(sig_settable) }, \
	{ 0, NULL }

static const OSSL_DISPATCH sig_ec_fns[] = { SIG_FNS(sig_ec_newctx) };
static const OSSL_DISPATCH sig_rsa_fns[] = { SIG_FNS(sig_rsa_newctx) };

/* ---- the provider ---------------------------------------------------- */

static const OSSL_ALGORITHM keymgmt_algs[] = {
	{ "EC:id-ecPublicKey:1.2.840.10045.2.1", PROPDEF, km_ec_fns,
	    "EC keys in a PKCS#11 token" },
	{ "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPDEF, km_rsa_fns,
	    "RSA keys in a PKCS#11 token" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM signature_algs[] = {
	{ "ECDSA", PROPDEF, sig_ec_fns, "ECDSA in a PKCS#11 token" },
	{ "RSA:rsaEncryption:1.2.840.113549.1.1.1", PROPDEF, sig_rsa_fns,
	    "RSA signatures in a PKCS#11 token" },
	{ NULL, NULL, NULL, NULL }
};

/* Key management and signatures only. */
static const OSSL_ALGORITHM *
prov_query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	switch (op) {
	case OSSL_OP_KEYMGMT:
		return keymgmt_algs;
	case OSSL_OP_SIGNATURE:
		return signature_algs;
	default:
		return NULL;
	}
}

static const OSSL_ITEM *
prov_reasons(void *provctx)
{
	(void)provctx;
	pthread_once(&reasons_once, reasons_build);
	return reasons;
}

static void
prov_teardown(void *provctx)
{
	free(provctx);
}

static const OSSL_PARAM prov_gettable_tbl[] = {
	OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, NULL, 0),
	OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, NULL),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
prov_gettable(void *provctx)
{
	(void)provctx;
	return prov_gettable_tbl;
}

static int
prov_get_params(void *provctx, OSSL_PARAM params[])
{
	OSSL_PARAM	*p;

	(void)provctx;
	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME)) != NULL &&
	    !OSSL_PARAM_set_utf8_ptr(p, "stica PKCS#11 provider"))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS)) != NULL &&
	    !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

static const OSSL_DISPATCH prov_fns[] = {
	{ OSSL_FUNC_PROVIDER_TEARDOWN, FN(prov_teardown) },
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, FN(prov_query) },
	{ OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, FN(prov_reasons) },
	{ OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, FN(prov_gettable) },
	{ OSSL_FUNC_PROVIDER_GET_PARAMS, FN(prov_get_params) },
	{ 0, NULL }
};

/* OSSL_provider_init_fn for the built-in provider (provider-base(7)). */
static int
prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	struct provctx	*pc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return 0;
	pc->handle = handle;
	for (; in != NULL && in->function_id != 0; in++) {
		switch (in->function_id) {
		case OSSL_FUNC_CORE_NEW_ERROR:
			pc->new_error = OSSL_FUNC_core_new_error(in);
			break;
		case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
			pc->set_error_debug =
			    OSSL_FUNC_core_set_error_debug(in);
			break;
		case OSSL_FUNC_CORE_VSET_ERROR:
			pc->vset_error = OSSL_FUNC_core_vset_error(in);
			break;
		default:
			break;
		}
	}
	pthread_once(&reasons_once, reasons_build);
	*out = prov_fns;
	*provctx = pc;
	return 1;
}

/*
 * The private library context of h: the "default" provider (loaded
 * explicitly: loading any provider turns the implicit default off) and
 * ours, bound to h, plus the digests the provider computes with.
 */
int
hsm_prov_open(struct hsm *h, struct st_err *e)
{
	static const char *const mds[] = { "SHA2-256", "SHA2-384",
		"SHA2-512" };
	struct provctx	*pc;
	size_t		 i;
	int		 rc = ST_E_INTERNAL;

	if ((h->libctx = OSSL_LIB_CTX_new()) == NULL ||
	    !OSSL_PROVIDER_add_builtin(h->libctx, HSM_PROV_NAME, prov_init) ||
	    (h->prov_default = OSSL_PROVIDER_load(h->libctx, "default")) ==
	    NULL ||
	    (h->prov_hsm = OSSL_PROVIDER_load(h->libctx, HSM_PROV_NAME)) ==
	    NULL ||
	    (pc = OSSL_PROVIDER_get0_provider_ctx(h->prov_hsm)) == NULL) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "loading the OpenSSL provider "
		    "%s", HSM_PROV_NAME);
		goto out;
	}
	pc->h = h;
	for (i = 0; i < 3; i++)
		if ((h->md[i] = EVP_MD_fetch(h->libctx, mds[i],
		    "provider=default")) == NULL) {
			rc = st_err_ossl(e, ST_E_CRYPTO, "fetching %s", mds[i]);
			goto out;
		}
	rc = 0;
out:
	return rc;
}

/* Unload both providers and free the context.  NULL-safe parts. */
void
hsm_prov_close(struct hsm *h)
{
	size_t	i;

	for (i = 0; i < 3; i++) {
		EVP_MD_free(h->md[i]);
		h->md[i] = NULL;
	}
	if (h->prov_hsm != NULL)
		OSSL_PROVIDER_unload(h->prov_hsm);
	if (h->prov_default != NULL)
		OSSL_PROVIDER_unload(h->prov_default);
	OSSL_LIB_CTX_free(h->libctx);
	h->prov_hsm = h->prov_default = NULL;
	h->libctx = NULL;
}

/*
 * The provider-side EVP_PKEY of k: EVP_PKEY_fromdata in h's library
 * context with the key itself as the only parameter (km_import).
 */
int
hsm_prov_pkey(struct hsm_key *k, EVP_PKEY **out, struct st_err *e)
{
	EVP_PKEY_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	struct hsm_key	*kp = k;
	bool		 rsa;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	rsa = k->type == HSM_KEY_RSA_2048 || k->type == HSM_KEY_RSA_3072;
	params[0] = OSSL_PARAM_construct_octet_string(HSM_KEY_PARAM, &kp,
	    sizeof(kp));
	params[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(k->h->libctx, rsa ? "RSA" : "EC",
	    HSM_PROPQ)) == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "key '%s': provider key",
		    k->label);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}
