/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the pre-issuance linter (ca/lint.c).
 *
 * A valid RFC 9060 delegation chain (root -> TN-block CA with ranges ->
 * narrower CA -> per-TN end entity) and a valid ATIS-1000080 chain (root
 * -> intermediate -> SPC end entity) are built with software keys and must
 * pass at every level.  Then a table breaks one field at a time: each row
 * must fail with exactly the rule it names (ca_lint_cert reports it first
 * and ca_lint_cert_all reports nothing else), every rule of the table in
 * ca/lint.c must have a row, and docs/lint.md must list every rule.  The
 * post-signing check is exercised with OpenSSL's own signature (X509_sign)
 * and X509_verify as the judges.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"
#include "common/common.h"
#include "tests/unit/harness.h"
#include "tests/unit/certkit.h"

#define DAY	86400L
#define LR_MAXFAIL	16
#define SHAKEN_CP	"2.16.840.1.114569.1.1.4"
#define STIPA_CRL	"https://sti-pa.example.org/download/v1/crl"

/* Fixture keys and issuing certificates, built once in main. */
static EVP_PKEY	*k_root, *k_ca1, *k_ca2, *k_ee;
static EVP_PKEY	*k_aroot, *k_aint, *k_aee;
static EVP_PKEY	*k_p384, *k_rsa, *k_rsa1024, *k_ed25519, *k_p521;
static X509	*c_root, *c_ca1, *c_ca2, *c_aroot, *c_aint;
static int	 nid_tnl;

static const struct ck_spec sp_root = { "US", "Example STIR", "STIR Root",
	true, -1, "critical,keyCertSign,cRLSign", { NULL }, NULL, NULL, false,
	-DAY, 3650 * DAY, false };
static const struct ck_spec sp_ca1 = { "US", "Carrier A",
	"Carrier A TN-block CA", true, 1, "critical,keyCertSign,cRLSign",
	{ "range:12025550000+1000", "range:13035550000+100", NULL }, NULL,
	NULL, false, -DAY, 1825 * DAY, false };
static const struct ck_spec sp_ca2 = { "US", "Reseller B", "Reseller B CA",
	true, 0, "critical,keyCertSign,cRLSign",
	{ "range:12025550100+100", NULL }, NULL, NULL, false, -DAY, 730 * DAY,
	false };
static const struct ck_spec sp_ee = { "US", "Enterprise C",
	"Enterprise C 12025550105", false, -1, "critical,digitalSignature",
	{ "tn:12025550105", NULL }, NULL, NULL, false, -DAY, 90 * DAY, false };
static const struct ck_spec sp_aroot = { "US", "Example STI-CA",
	"Example SHAKEN Root CA", true, -1, "critical,keyCertSign", { NULL },
	NULL, NULL, false, -DAY, 3650 * DAY, false };
static const struct ck_spec sp_aint = { "US", "Example STI-CA",
	"Example SHAKEN Intermediate", true, 0, "critical,keyCertSign",
	{ NULL }, SHAKEN_CP, STIPA_CRL, true, -DAY, 1825 * DAY, false };
static const struct ck_spec sp_aee = { "US", "Example Carrier",
	"SHAKEN 1234", false, -1, "critical,digitalSignature",
	{ "spc:1234", NULL }, SHAKEN_CP, STIPA_CRL, true, -DAY, 365 * DAY,
	false };

enum fx {
	F_ROOT, F_CA1, F_CA2, F_EE, F_AROOT, F_AINT, F_AEE
};

/* Everything one lint case needs; pre() may change any of it. */
struct env {
	struct ck_spec		 spec;
	EVP_PKEY		*key;
	X509			*issuer;
	EVP_PKEY		*ikey;
	const X509		*above[4];
	size_t			 n_above;
	struct ca_lint_ctx	 ctx;
	X509			*owned[3];	/* made by pre(), freed */
};

static void
fx_env(enum fx f, struct env *v)
{
	memset(v, 0, sizeof(*v));
	v->ctx.mode = CA_LINT_RFC9060;
	v->ctx.kind = CA_KIND_TNBLOCK;
	v->ctx.ca = true;
	switch (f) {
	case F_ROOT:
		v->spec = sp_root;
		v->key = k_root;
		break;
	case F_CA1:
		v->spec = sp_ca1;
		v->key = k_ca1;
		v->issuer = c_root;
		v->ikey = k_root;
		v->above[0] = c_root;
		v->n_above = 1;
		break;
	case F_CA2:
		v->spec = sp_ca2;
		v->key = k_ca2;
		v->issuer = c_ca1;
		v->ikey = k_ca1;
		v->above[0] = c_ca1;
		v->above[1] = c_root;
		v->n_above = 2;
		break;
	case F_EE:
		v->spec = sp_ee;
		v->key = k_ee;
		v->issuer = c_ca2;
		v->ikey = k_ca2;
		v->above[0] = c_ca2;
		v->above[1] = c_ca1;
		v->above[2] = c_root;
		v->n_above = 3;
		v->ctx.kind = CA_KIND_PERTN;
		v->ctx.ca = false;
		break;
	case F_AROOT:
		v->spec = sp_aroot;
		v->key = k_aroot;
		v->ctx.mode = CA_LINT_ATIS1000080;
		v->ctx.kind = CA_KIND_SPC;
		break;
	case F_AINT:
		v->spec = sp_aint;
		v->key = k_aint;
		v->issuer = c_aroot;
		v->ikey = k_aroot;
		v->above[0] = c_aroot;
		v->n_above = 1;
		v->ctx.mode = CA_LINT_ATIS1000080;
		v->ctx.kind = CA_KIND_SPC;
		break;
	case F_AEE:
		v->spec = sp_aee;
		v->key = k_aee;
		v->issuer = c_aint;
		v->ikey = k_aint;
		v->above[0] = c_aint;
		v->above[1] = c_aroot;
		v->n_above = 2;
		v->ctx.mode = CA_LINT_ATIS1000080;
		v->ctx.kind = CA_KIND_SPC;
		v->ctx.ca = false;
		break;
	}
}

/* Point ctx at the env's issuer and above list. */
static void
env_ctx(struct env *v)
{
	v->ctx.issuer = v->issuer;
	v->ctx.above = v->n_above > 0 ? v->above : NULL;
	v->ctx.n_above = v->n_above;
}

/* ------------------------------------------------------------------ */
/* DER surgery for fields OpenSSL has no setter for                   */

/* Parse a DER header at p (avail bytes): header and content lengths. */
static int
tlv(const uint8_t *p, size_t avail, size_t *hl, size_t *cl)
{
	size_t	i, n;

	if (avail < 2)
		return -1;
	if (!(p[1] & 0x80)) {
		*hl = 2;
		*cl = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 3 || avail < 2 + n)
			return -1;
		*cl = 0;
		for (i = 0; i < n; i++)
			*cl = (*cl << 8) | p[2 + i];
		*hl = 2 + n;
	}
	return *hl + *cl <= avail ? 0 : -1;
}

/* Write tag and a DER length for cl; returns the header size. */
static size_t
hdr(uint8_t *out, uint8_t tag, size_t cl)
{
	out[0] = tag;
	if (cl < 0x80) {
		out[1] = (uint8_t)cl;
		return 2;
	}
	if (cl < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)cl;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(cl >> 8);
	out[3] = (uint8_t)cl;
	return 4;
}

/*
 * Sign x, insert ins (a whole TLV) into its TBS just before the element
 * with tag before_tag, and replace *xp with the re-parsed result.
 */
static int
der_insert_tbs(X509 **xp, EVP_PKEY *ikey, const uint8_t *ins, size_t inslen,
    uint8_t before_tag)
{
	unsigned char		*der = NULL;
	const unsigned char	*cp;
	uint8_t			*tbs = NULL, *out = NULL;
	size_t			 hl, cl, thl, tcl, off, eh, ec;
	size_t			 tn, on, rest;
	int			 len, rc = -1;
	X509			*nx;

	if (ck_sign(*xp, ikey) != 0 || (len = i2d_X509(*xp, &der)) <= 0)
		goto out;
	if (tlv(der, (size_t)len, &hl, &cl) != 0 ||
	    tlv(der + hl, cl, &thl, &tcl) != 0)
		goto out;
	for (off = 0; off < tcl; off += eh + ec) {
		if (tlv(der + hl + thl + off, tcl - off, &eh, &ec) != 0)
			goto out;
		if (der[hl + thl + off] == before_tag)
			break;
	}
	if ((tbs = malloc(tcl + inslen + 8)) == NULL ||
	    (out = malloc((size_t)len + inslen + 16)) == NULL)
		goto out;
	tn = hdr(tbs, 0x30, tcl + inslen);
	memcpy(tbs + tn, der + hl + thl, off);
	memcpy(tbs + tn + off, ins, inslen);
	memcpy(tbs + tn + off + inslen, der + hl + thl + off, tcl - off);
	tn += tcl + inslen;
	rest = cl - thl - tcl;
	on = hdr(out, 0x30, tn + rest);
	memcpy(out + on, tbs, tn);
	memcpy(out + on + tn, der + hl + thl + tcl, rest);
	on += tn + rest;
	cp = out;
	if ((nx = d2i_X509(NULL, &cp, (long)on)) == NULL)
		goto out;
	X509_free(*xp);
	*xp = nx;
	rc = 0;
out:
	OPENSSL_free(der);
	free(tbs);
	free(out);
	return rc;
}

/* Sign x, flip a bit of its public key point, replace *xp. */
static int
der_break_point(X509 **xp, EVP_PKEY *ikey)
{
	const ASN1_BIT_STRING	*bs;
	unsigned char		*der = NULL, *hit = NULL;
	const unsigned char	*cp;
	size_t			 i, bl;
	int			 len, rc = -1;
	X509			*nx;

	if (ck_sign(*xp, ikey) != 0 || (len = i2d_X509(*xp, &der)) <= 0)
		goto out;
	bs = X509_get0_pubkey_bitstr(*xp);
	bl = (size_t)ASN1_STRING_length(bs);
	for (i = 0; i + bl <= (size_t)len; i++)
		if (memcmp(der + i, ASN1_STRING_get0_data(bs), bl) == 0)
			hit = der + i;
	if (hit == NULL)
		goto out;
	hit[bl - 1] ^= 0x01;
	cp = der;
	if ((nx = d2i_X509(NULL, &cp, len)) == NULL)
		goto out;
	X509_free(*xp);
	*xp = nx;
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Mutations, one per row                                             */

static EVP_PKEY *
key_explicit_p256(void)
{
	EVP_PKEY_CTX	*pc;
	EVP_PKEY	*k = NULL;
	OSSL_PARAM	 p[3];

	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)
		return NULL;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)(uintptr_t)"P-256", 0);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING,
	    (char *)(uintptr_t)OSSL_PKEY_EC_ENCODING_EXPLICIT, 0);
	p[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_keygen_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_params(pc, p) != 1 ||
	    EVP_PKEY_generate(pc, &k) != 1)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

static void
set_bc(X509 *x, bool ca, long pathlen)
{
	BASIC_CONSTRAINTS	*bc = BASIC_CONSTRAINTS_new();

	ck_del_ext(x, NID_basic_constraints);
	bc->ca = ca ? 0xff : 0;
	if (pathlen != -100) {
		bc->pathlen = ASN1_INTEGER_new();
		(void)ASN1_INTEGER_set(bc->pathlen, pathlen);
	}
	(void)X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_DEFAULT);
	BASIC_CONSTRAINTS_free(bc);
}

static void
set_ku(X509 *x, const char *v)
{
	ck_del_ext(x, NID_key_usage);
	(void)ck_add_ext_conf(x, NID_key_usage, v);
}

static void
set_tnl_hex(X509 *x, const char *h)
{
	uint8_t	*p;
	size_t	 n;

	ck_del_ext(x, nid_tnl);
	if (st_hex_decode(h, strlen(h), &p, &n, NULL) == 0) {
		(void)ck_add_ext_der(x, CA_OID_TNAUTHLIST, 0, p, n);
		free(p);
	}
}

static void
set_serial_bn(X509 *x, const char *dec)
{
	BIGNUM	*bn = NULL;

	(void)BN_dec2bn(&bn, dec);
	(void)BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
}

/*
 * Set t to now + off as GeneralizedTime, or as UTCTime with or without
 * seconds.
 */
static void
set_time_str(ASN1_TIME *t, long off, bool generalized, bool no_seconds)
{
	char		buf[32];
	time_t		now = time(NULL) + off;
	struct tm	tm;

	(void)gmtime_r(&now, &tm);
	if (generalized)
		(void)strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
	else if (no_seconds)
		(void)strftime(buf, sizeof(buf), "%Y%m%d%H%MZ", &tm);
	else
		(void)strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
	if (generalized)
		(void)ASN1_GENERALIZEDTIME_set_string(t, buf);
	else
		(void)ASN1_UTCTIME_set_string(t, buf + 2);	/* YY... */
}

static void
m_version(X509 **x, struct env *v)
{
	(void)v;
	(void)X509_set_version(*x, X509_VERSION_1);
}

static void
m_uid(X509 **x, struct env *v)
{
	static const uint8_t uid[] = { 0x82, 0x02, 0x00, 0xaa };

	(void)der_insert_tbs(x, v->ikey, uid, sizeof(uid), 0xa3);
}
static void
m_serial_neg(X509 **x, struct env *v)
{
	(void)v;
	set_serial_bn(*x, "-1234567890123456789012");
}

static void
m_serial_zero(X509 **x, struct env *v)
{
	(void)v;
	set_serial_bn(*x, "0");
}

static void
m_serial_21(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_set_serial(*x, 21);
}

static void
m_serial_8(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_set_serial(*x, 8);
}

static void
m_alg_384(X509 **x, struct env *v)
{
	(void)v;
	ck_set_tbs_alg(*x, NID_ecdsa_with_SHA384, V_ASN1_UNDEF);
}

static void
m_alg_null(X509 **x, struct env *v)
{
	(void)v;
	ck_set_tbs_alg(*x, NID_ecdsa_with_SHA256, V_ASN1_NULL);
}

static void
m_alg_rsa_noparam(X509 **x, struct env *v)
{
	(void)v;
	ck_set_tbs_alg(*x, NID_sha256WithRSAEncryption, V_ASN1_UNDEF);
}

static void
m_alg_ecdsa(X509 **x, struct env *v)
{
	(void)v;
	ck_set_tbs_alg(*x, NID_ecdsa_with_SHA256, V_ASN1_UNDEF);
}

static void
m_issuer_other(X509 **x, struct env *v)
{
	(void)v;
	(void)X509_set_issuer_name(*x, X509_get_subject_name(c_ca1));
}

/* Same attribute values as the issuer's subject, but PrintableString. */
static void
m_issuer_printable(X509 **x, struct env *v)
{
	X509_NAME	*n = X509_NAME_new();

	(void)v;
	(void)X509_NAME_add_entry_by_txt(n, "C", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"US", -1, -1, 0);
	(void)X509_NAME_add_entry_by_txt(n, "O", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"Reseller B", -1, -1, 0);
	(void)X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"Reseller B CA", -1, -1, 0);
	(void)X509_set_issuer_name(*x, n);
	X509_NAME_free(n);
}

static void
m_root_issuer(X509 **x, struct env *v)
{
	(void)v;
	(void)X509_set_issuer_name(*x, X509_get_subject_name(c_ca1));
}

/* Issue under an end-entity certificate. */
static void
p_under_ee(struct env *v)
{
	struct env	e;

	fx_env(F_EE, &e);
	v->owned[0] = ck_make(&e.spec, e.key, e.issuer, e.ikey);
	v->issuer = v->owned[0];
	v->ikey = k_ee;
	v->above[0] = v->owned[0];
	v->n_above = 1;
	v->key = k_ca2;
	v->spec.tn[0] = "tn:12025550105";
	v->spec.tn[1] = NULL;
	v->spec.na = 30 * DAY;
}

static void
m_nb_generalized(X509 **x, struct env *v)
{
	(void)v;
	set_time_str(X509_getm_notBefore(*x), -DAY / 2, true, false);
}

static void
m_nb_noseconds(X509 **x, struct env *v)
{
	(void)v;
	set_time_str(X509_getm_notBefore(*x), -DAY / 2, false, true);
}

static void
m_nb_eq_na(X509 **x, struct env *v)
{
	(void)v;
	(void)X509_set1_notBefore(*x, X509_get0_notAfter(*x));
}

static void
p_na_long(struct env *v)
{
	v->spec.na = 1000 * DAY;
}

static void
p_nb_early(struct env *v)
{
	v->spec.nb = -2 * DAY;
}

static void
p_lifetime(struct env *v)
{
	v->ctx.max_lifetime = 30 * DAY;
}

static void
m_subject_empty(X509 **x, struct env *v)
{
	X509_NAME	*n = X509_NAME_new();

	(void)v;
	(void)X509_set_subject_name(*x, n);
	X509_NAME_free(n);
}

static void
m_bad_point(X509 **x, struct env *v)
{
	(void)der_break_point(x, v->ikey);
}

static void
p_key_explicit(struct env *v)
{
	v->key = key_explicit_p256();
}

static void
p_key_ed25519(struct env *v)
{
	v->key = k_ed25519;
}

static void
p_key_p521(struct env *v)
{
	v->key = k_p521;
}

static void
p_key_not_allowed(struct env *v)
{
	v->ctx.key_types = CA_KEY_EC_P384 | CA_KEY_RSA;
}

static void
p_key_rsa1024(struct env *v)
{
	v->key = k_rsa1024;
}

static void
m_dup_ku(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_ext_conf(*x, NID_key_usage, "critical,digitalSignature");
}

static void
m_san_bad(X509 **x, struct env *v)
{
	static const uint8_t bad[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	(void)v;
	(void)ck_add_ext_der(*x, "2.5.29.17", 0, bad, sizeof(bad));
}

static void
m_eku_ber(X509 **x, struct env *v)
{
	static const uint8_t ber[] = { 0x30, 0x81, 0x0a, 0x06, 0x08, 0x2b,
		0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };

	(void)v;
	(void)ck_add_ext_der(*x, "2.5.29.37", 0, ber, sizeof(ber));
}

static void
m_crit_unknown(X509 **x, struct env *v)
{
	static const uint8_t null[] = { 0x05, 0x00 };

	(void)v;
	(void)ck_add_ext_der(*x, "1.3.6.1.4.1.55555.1", 1, null, sizeof(null));
}

static void
m_no_ski(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, NID_subject_key_identifier);
}

static void
m_ski_crit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, NID_subject_key_identifier, 1);
}

static void
m_no_aki(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, NID_authority_key_identifier);
}

static void
m_aki_serial_only(X509 **x, struct env *v)
{
	AUTHORITY_KEYID	*a = AUTHORITY_KEYID_new();
	GENERAL_NAME	*gn = GENERAL_NAME_new();

	(void)v;
	ck_del_ext(*x, NID_authority_key_identifier);
	a->serial = ASN1_INTEGER_new();
	(void)ASN1_INTEGER_set(a->serial, 7);
	a->issuer = GENERAL_NAMES_new();
	gn->type = GEN_DIRNAME;
	gn->d.dirn = X509_NAME_dup(X509_get_subject_name(c_ca1));
	(void)sk_GENERAL_NAME_push(a->issuer, gn);
	(void)X509_add1_ext_i2d(*x, NID_authority_key_identifier, a, 0,
	    X509V3_ADD_DEFAULT);
	AUTHORITY_KEYID_free(a);
}

static void
m_aki_crit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, NID_authority_key_identifier, 1);
}

static void
m_aki_wrong(X509 **x, struct env *v)
{
	unsigned char	id[20];

	(void)v;
	memset(id, 0xab, sizeof(id));
	ck_del_ext(*x, NID_authority_key_identifier);
	(void)ck_add_aki(*x, id, sizeof(id));
}

static void
p_root_aki(struct env *v)
{
	v->spec.aki_on_root = true;
}

static void
m_no_bc(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, NID_basic_constraints);
}

static void
m_bc_noncrit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, NID_basic_constraints, 0);
}

static void
m_bc_ca_true(X509 **x, struct env *v)
{
	(void)v;
	set_bc(*x, true, -100);
}

static void
m_bc_ee_pathlen(X509 **x, struct env *v)
{
	(void)v;
	set_bc(*x, false, 0);
}

static void
m_bc_pathlen1(X509 **x, struct env *v)
{
	(void)v;
	set_bc(*x, true, 1);
}

static void
m_bc_pathlen_neg(X509 **x, struct env *v)
{
	(void)v;
	set_bc(*x, true, -1);
}

/* A CA below ca2, whose pathLen 0 leaves no room. */
static void
p_under_ca2(struct env *v)
{
	v->issuer = c_ca2;
	v->ikey = k_ca2;
	v->above[0] = c_ca2;
	v->above[1] = c_ca1;
	v->above[2] = c_root;
	v->n_above = 3;
	v->spec.tn[0] = "range:12025550100+10";
	v->spec.pathlen = -1;
	v->spec.na = 365 * DAY;
}

/* A CA below ca2' (no pathLen) below ca1 (pathLen 1): ca1 runs out. */
static void
p_under_ca2_nopathlen(struct env *v)
{
	struct ck_spec	s = sp_ca2;

	s.pathlen = -1;
	v->owned[0] = ck_make(&s, k_ca2, c_ca1, k_ca1);
	v->issuer = v->owned[0];
	v->ikey = k_ca2;
	v->above[0] = v->owned[0];
	v->above[1] = c_ca1;
	v->above[2] = c_root;
	v->n_above = 3;
	v->key = k_ee;
	v->spec.tn[0] = "range:12025550100+10";
	v->spec.pathlen = -1;
	v->spec.na = 365 * DAY;
}

static void
m_no_ku(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, NID_key_usage);
}

static void
m_ku_noncrit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, NID_key_usage, 0);
}

static void
m_ku_ds(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,digitalSignature");
}

static void
m_ku_ca_extra(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,keyCertSign,digitalSignature");
}

static void
m_ku_ka(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,keyAgreement");
}

static void
m_ku_ee_kcs(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,digitalSignature,keyCertSign");
}

static void
m_ku_ca_crl(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,keyCertSign,cRLSign");
}

static void
m_ku_ee_nr(X509 **x, struct env *v)
{
	(void)v;
	set_ku(*x, "critical,digitalSignature,nonRepudiation");
}

static void
m_no_tnl(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, nid_tnl);
}

static void
m_tnl_crit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, nid_tnl, 1);
}

static void
m_tnl_implicit(X509 **x, struct env *v)
{
	(void)v;
	set_tnl_hex(*x, "30058203313233");
}

static void
m_tnl_truncated(X509 **x, struct env *v)
{
	(void)v;
	set_tnl_hex(*x, "3008A006163535384A");
}

static void
m_jwt(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_claims(*x, false, 0);
}

static void
m_jwt_crit(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_claims(*x, false, 1);
}

static void
m_ejwt(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_claims(*x, true, 0);
}

static void
m_ejwt_crit(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_claims(*x, true, 1);
}

static void
m_both(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_claims(*x, false, 0);
	(void)ck_add_claims(*x, true, 0);
}

static void
m_jwt_bad(X509 **x, struct env *v)
{
	static const uint8_t empty[] = { 0x30, 0x00 };

	(void)v;
	(void)ck_add_ext_der(*x, CA_OID_JWTCLAIMS, 0, empty, sizeof(empty));
}

static void
m_ejwt_bad(X509 **x, struct env *v)
{
	/* mustExclude ["iat"]: a baseline claim (RFC 9118 section 3) */
	static const uint8_t bad[] = { 0x30, 0x09, 0xa2, 0x07, 0x30, 0x05,
		0x16, 0x03, 'i', 'a', 't' };

	(void)v;
	(void)ck_add_ext_der(*x, CA_OID_EJWTCLAIMS, 0, bad, sizeof(bad));
}

static void
p_tn_range(struct env *v)
{
	v->spec.tn[0] = "range:12025550100+5";
}

static void
p_kind_spc(struct env *v)
{
	v->ctx.kind = CA_KIND_SPC;
}

static void
p_tnblock_spc(struct env *v)
{
	v->spec.tn[1] = "spc:1001";
	v->spec.tn[2] = NULL;
}

/* Entries of every kind: a key ceremony's CA names what its file says. */
static void
p_mixed(struct env *v)
{
	v->spec.tn[0] = "spc:1234";
	v->spec.tn[1] = "range:12025550000+1000";
	v->spec.tn[2] = "tn:12025551234";
	v->spec.tn[3] = NULL;
}

static void
p_ceremony_mixed(struct env *v)
{
	p_mixed(v);
	v->ctx.ceremony = true;
}

/* A key ceremony's intermediate without a TNAuthList: a plain CA. */
static void
p_ceremony_plain(struct env *v)
{
	v->spec.tn[0] = NULL;
	v->ctx.ceremony = true;
}

/* An SPC under a CA of numbers: not encompassed, ceremony or not. */
static void
p_ceremony_spc(struct env *v)
{
	v->spec.tn[0] = "spc:1234";
	v->spec.tn[1] = NULL;
	v->ctx.ceremony = true;
}

static void
p_max1(struct env *v)
{
	v->ctx.max_entries = 1;
}

static void
p_tn_outside(struct env *v)
{
	v->spec.tn[0] = "tn:12025550300";
}

static void
p_tn_grandparent(struct env *v)
{
	v->spec.tn[0] = "tn:13035550050";
}

static void
p_tn_width(struct env *v)
{
	v->spec.tn[0] = "tn:2025550105";
}

/* EE below an unconstrained CA below ca1: ca1's scope still applies. */
static void
p_unconstrained_middle(struct env *v)
{
	struct ck_spec	s = sp_ca2;

	s.tn[0] = NULL;
	s.cn = "Unconstrained CA";
	v->owned[0] = ck_make(&s, k_ca2, c_ca1, k_ca1);
	v->issuer = v->owned[0];
	v->ikey = k_ca2;
	v->above[0] = v->owned[0];
	v->above[1] = c_ca1;
	v->above[2] = c_root;
	v->n_above = 3;
	v->spec.tn[0] = "tn:14045550100";
}

/* ATIS end entity under a P-384 intermediate signing with SHA-384. */
static void
p_atis_p384_issuer(struct env *v)
{
	v->owned[0] = ck_make(&sp_aint, k_p384, c_aroot, k_aroot);
	v->issuer = v->owned[0];
	v->ikey = k_p384;
	v->above[0] = v->owned[0];
	v->above[1] = c_aroot;
	v->n_above = 2;
}

static void
p_key_p384(struct env *v)
{
	v->key = k_p384;
}

static void
p_no_o(struct env *v)
{
	v->spec.o = NULL;
}

/* C=USA: three letters; OpenSSL's size check is bypassed on purpose. */
static void
m_c_usa(X509 **x, struct env *v)
{
	X509_NAME	*n = X509_get_subject_name(*x);
	int		 i;

	(void)v;
	if ((i = X509_NAME_get_index_by_NID(n, NID_countryName, -1)) >= 0)
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	(void)X509_NAME_add_entry_by_txt(n, "C", V_ASN1_PRINTABLESTRING,
	    (const unsigned char *)"USA", -1, 0, 0);
}
static void
p_c_lower(struct env *v)
{
	v->spec.c = "us";
}

static void
p_atis_ca_tn(struct env *v)
{
	v->spec.tn[0] = "spc:1234";
	v->spec.tn[1] = NULL;
}

static void
p_two_spc(struct env *v)
{
	v->spec.tn[0] = "spc:1234";
	v->spec.tn[1] = "spc:5678";
	v->spec.tn[2] = NULL;
}

static void
p_spc_lower(struct env *v)
{
	v->spec.tn[0] = "spc:12ab";
	v->spec.cn = "SHAKEN 12ab";
}

static void
p_atis_tn(struct env *v)
{
	v->spec.tn[0] = "tn:12025550105";
	v->ctx.kind = CA_KIND_PERTN;
}

static void
p_cn_int(struct env *v)
{
	v->spec.cn = "Example Intermediate";
}

static void
p_cn_root(struct env *v)
{
	v->spec.cn = "Example SHAKEN CA";
}

static void
p_cn_ee(struct env *v)
{
	v->spec.cn = "SHAKEN  1234";
}

static void
p_cn_ee2(struct env *v)
{
	v->spec.cn = "Example Carrier 1234";
}

static void
p_no_cp(struct env *v)
{
	v->spec.policy = NULL;
}

static void
p_no_crl(struct env *v)
{
	v->spec.crl_uri = NULL;
}

static void
p_no_crl_issuer(struct env *v)
{
	v->spec.crl_issuer = false;
}

static void
p_crl_ldap(struct env *v)
{
	v->spec.crl_uri = "ldap://ldap.example.org/cn=crl";
}

static void
p_root_cp(struct env *v)
{
	v->spec.policy = SHAKEN_CP;
}

static void
p_root_crl(struct env *v)
{
	v->spec.crl_uri = STIPA_CRL;
}

static void
m_two_policies(X509 **x, struct env *v)
{
	static const char *const oids[] = { SHAKEN_CP,
		"2.16.840.1.114569.1.1.3" };

	(void)v;
	ck_del_ext(*x, NID_certificate_policies);
	(void)ck_add_policies(*x, oids, 2, 0);
}

static void
m_any_policy(X509 **x, struct env *v)
{
	static const char *const oids[] = { "2.5.29.32.0" };

	(void)v;
	ck_del_ext(*x, NID_certificate_policies);
	(void)ck_add_policies(*x, oids, 1, 0);
}

static void
m_two_dps(X509 **x, struct env *v)
{
	(void)v;
	ck_del_ext(*x, NID_crl_distribution_points);
	(void)ck_add_crldp(*x, STIPA_CRL, true, 2);
}

static void
m_eku(X509 **x, struct env *v)
{
	(void)v;
	(void)ck_add_ext_conf(*x, NID_ext_key_usage, "serverAuth");
}

static void
m_cp_crit(X509 **x, struct env *v)
{
	(void)v;
	ck_set_crit(*x, NID_certificate_policies, 1);
}

static void
m_ski_other(X509 **x, struct env *v)
{
	ASN1_OCTET_STRING	*os = ASN1_OCTET_STRING_new();
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;

	(void)v;
	/* RFC 5280 section 4.2.1.2 method (2): 0100 + low 60 bits */
	(void)X509_pubkey_digest(*x, EVP_sha1(), md, &mdlen);
	md[12] = (unsigned char)(0x40 | (md[12] & 0x0f));
	(void)ASN1_OCTET_STRING_set(os, md + 12, 8);
	ck_del_ext(*x, NID_subject_key_identifier);
	(void)X509_add1_ext_i2d(*x, NID_subject_key_identifier, os, 0,
	    X509V3_ADD_DEFAULT);
	ASN1_OCTET_STRING_free(os);
}

/* The children of the SKI-mutated CA: the AKI must follow. */

/* RSA issuer (sha256WithRSAEncryption) for an EE. */
static void
p_rsa_issuer(struct env *v)
{
	struct ck_spec	s = sp_ca2;

	v->owned[0] = ck_make(&s, k_rsa, c_ca1, k_ca1);
	v->issuer = v->owned[0];
	v->ikey = k_rsa;
	v->above[0] = v->owned[0];
	v->above[1] = c_ca1;
	v->above[2] = c_root;
	v->n_above = 3;
}

/* ------------------------------------------------------------------ */
/* The table                                                          */

struct lcase {
	const char	*rule;		/* the rule; NULL: must pass */
	enum fx		 fx;
	const char	*what;
	void		(*pre)(struct env *);
	void		(*post)(X509 **, struct env *);
	const char	*also;		/* a rule that may fail too */
};

static const struct lcase cases[] = {
	/* positive rows: variants that must pass */
	{ NULL, F_ROOT, "root", NULL, NULL, NULL },
	{ NULL, F_ROOT, "root with AKI = own SKI", p_root_aki, NULL, NULL },
	{ NULL, F_CA1, "TN-block CA", NULL, NULL, NULL },
	{ NULL, F_CA2, "narrower CA", NULL, NULL, NULL },
	{ NULL, F_EE, "per-TN end entity", NULL, NULL, NULL },
	{ NULL, F_EE, "end entity with JWTClaimConstraints",
	    NULL, m_jwt, NULL },
	{ NULL, F_EE, "end entity with eJWTClaimConstraints",
	    NULL, m_ejwt, NULL },
	{ NULL, F_EE, "end entity under an RSA CA", p_rsa_issuer, NULL, NULL },
	{ NULL, F_EE, "P-384 end entity", p_key_p384, NULL, NULL },
	{ NULL, F_AROOT, "ATIS root", NULL, NULL, NULL },
	{ NULL, F_AINT, "ATIS intermediate", NULL, NULL, NULL },
	{ NULL, F_AINT, "ATIS intermediate with anyPolicy",
	    NULL, m_any_policy, NULL },
	{ NULL, F_AEE, "ATIS end entity", NULL, NULL, NULL },
	{ NULL, F_CA1, "ceremony CA with entries of every kind",
	    p_ceremony_mixed, NULL, NULL },
	{ NULL, F_CA1, "ceremony CA without TNAuthList",
	    p_ceremony_plain, NULL, NULL },
	/* one rule broken per row */
	{ "e_rfc5280_version_v3", F_EE, "v1", NULL, m_version, NULL },
	{ "e_rfc5280_unique_ids", F_EE, "subjectUniqueID", NULL, m_uid, NULL },
	{ "e_rfc5280_serial_positive", F_EE, "negative",
	    NULL, m_serial_neg, NULL },
	{ "e_rfc5280_serial_positive", F_EE, "zero",
	    NULL, m_serial_zero, NULL },
	{ "e_rfc5280_serial_length", F_EE, "21 octets",
	    NULL, m_serial_21, NULL },
	{ "e_stica_serial_entropy", F_EE, "8 octets", NULL, m_serial_8, NULL },
	{ "e_rfc5280_sig_alg_issuer_key", F_EE, "SHA-384 with a P-256 issuer",
	    NULL, m_alg_384, NULL },
	{ "e_rfc5280_sig_alg_issuer_key", F_EE, "ECDSA with an RSA issuer",
	    p_rsa_issuer, m_alg_ecdsa, NULL },
	{ "e_rfc5758_sig_alg_params", F_EE, "ECDSA with NULL parameters",
	    NULL, m_alg_null, NULL },
	{ "e_rfc5758_sig_alg_params", F_EE, "RSA without NULL",
	    p_rsa_issuer, m_alg_rsa_noparam, NULL },
	{ "e_rfc5280_issuer_name", F_EE, "another CA's name",
	    NULL, m_issuer_other, NULL },
	{ "e_rfc5280_issuer_name", F_EE,
	    "PrintableString instead of UTF8String",
	    NULL, m_issuer_printable, NULL },
	{ "e_rfc5280_issuer_name", F_ROOT, "root naming another issuer",
	    NULL, m_root_issuer, NULL },
	{ "e_rfc5280_issuer_is_ca", F_CA2, "issued by an end entity",
	    p_under_ee, NULL, NULL },
	{ "e_rfc5280_validity_encoding", F_EE, "GeneralizedTime before 2050",
	    NULL, m_nb_generalized, NULL },
	{ "e_rfc5280_validity_encoding", F_EE, "UTCTime without seconds",
	    NULL, m_nb_noseconds, NULL },
	{ "e_rfc5280_validity_order", F_EE, "notBefore = notAfter",
	    NULL, m_nb_eq_na, NULL },
	{ "e_stica_validity_within_issuer", F_EE, "outlives the issuer",
	    p_na_long, NULL, NULL },
	{ "e_stica_validity_within_issuer", F_EE, "starts before the issuer",
	    p_nb_early, NULL, NULL },
	{ "e_stica_validity_max_lifetime", F_EE, "91 days > 30",
	    p_lifetime, NULL, NULL },
	{ "e_rfc5280_subject_empty", F_EE, "empty subject",
	    NULL, m_subject_empty, NULL },
	{ "e_rfc5280_spki_decode", F_EE, "point not on the curve",
	    NULL, m_bad_point, NULL },
	{ "e_rfc5480_ec_named_curve", F_EE, "explicit parameters",
	    p_key_explicit, NULL, "e_stica_spki_key_type" },
	{ "e_stica_spki_key_type", F_EE, "Ed25519", p_key_ed25519, NULL, NULL },
	{ "e_stica_spki_key_type", F_EE, "P-521", p_key_p521, NULL, NULL },
	{ "e_stica_spki_key_type", F_EE, "P-256 not allowed",
	    p_key_not_allowed, NULL, NULL },
	{ "e_stica_rsa_key_size", F_EE, "RSA 1024", p_key_rsa1024, NULL, NULL },
	{ "e_rfc5280_ext_duplicate", F_EE, "two keyUsage",
	    NULL, m_dup_ku, NULL },
	{ "e_rfc5280_ext_decode", F_EE, "subjectAltName garbage",
	    NULL, m_san_bad, NULL },
	{ "e_rfc5280_ext_decode", F_EE, "extKeyUsage in BER",
	    NULL, m_eku_ber, NULL },
	{ "e_rfc5280_ext_critical_unknown", F_EE, "critical private OID",
	    NULL, m_crit_unknown, NULL },
	{ "e_rfc5280_ski_missing", F_EE, "no SKI", NULL, m_no_ski, NULL },
	{ "e_rfc5280_ski_critical", F_EE, "critical SKI",
	    NULL, m_ski_crit, NULL },
	{ "e_rfc5280_aki_missing", F_EE, "no AKI", NULL, m_no_aki, NULL },
	{ "e_rfc5280_aki_missing", F_EE, "AKI without keyIdentifier",
	    NULL, m_aki_serial_only, NULL },
	{ "e_rfc5280_aki_critical", F_EE, "critical AKI",
	    NULL, m_aki_crit, NULL },
	{ "e_rfc5280_aki_ski_match", F_EE, "AKI not the issuer's SKI",
	    NULL, m_aki_wrong, NULL },
	{ "e_rfc5280_aki_ski_match", F_ROOT, "root AKI not its own SKI",
	    NULL, m_aki_wrong, NULL },
	{ "e_rfc5280_bc_missing", F_EE, "no basicConstraints",
	    NULL, m_no_bc, NULL },
	{ "e_rfc5280_bc_critical", F_EE, "non-critical basicConstraints",
	    NULL, m_bc_noncrit, NULL },
	{ "e_rfc5280_bc_ca", F_EE, "cA TRUE in an end entity",
	    NULL, m_bc_ca_true, NULL },
	{ "e_rfc5280_bc_pathlen_ee", F_EE, "pathLen with cA FALSE",
	    NULL, m_bc_ee_pathlen, NULL },
	{ "e_rfc5280_bc_pathlen_issuer", F_CA2, "pathLen 1 under pathLen 1",
	    NULL, m_bc_pathlen1, NULL },
	{ "e_rfc5280_bc_pathlen_issuer", F_CA2, "negative pathLen",
	    NULL, m_bc_pathlen_neg, NULL },
	{ "e_rfc5280_bc_pathlen_issuer", F_CA2, "CA under pathLen 0",
	    p_under_ca2, NULL, NULL },
	{ "e_rfc5280_bc_pathlen_issuer", F_CA2, "grandparent pathLen used up",
	    p_under_ca2_nopathlen, NULL, NULL },
	{ "e_rfc5280_ku_missing", F_EE, "no keyUsage", NULL, m_no_ku, NULL },
	{ "e_rfc5280_ku_critical", F_EE, "non-critical keyUsage",
	    NULL, m_ku_noncrit, NULL },
	{ "e_rfc5280_ku_ca", F_CA2, "CA without keyCertSign",
	    NULL, m_ku_ds, NULL },
	{ "e_rfc5280_ku_ca", F_CA2, "CA with digitalSignature",
	    NULL, m_ku_ca_extra, NULL },
	{ "e_rfc5280_ku_ee", F_EE, "end entity without digitalSignature",
	    NULL, m_ku_ka, NULL },
	{ "e_rfc5280_ku_ee", F_EE, "end entity with keyCertSign",
	    NULL, m_ku_ee_kcs, NULL },
	{ "e_rfc8226_tnauthlist_missing", F_EE, "end entity without TNAuthList",
	    NULL, m_no_tnl, NULL },
	{ "e_rfc8226_tnauthlist_missing", F_CA1,
	    "delegate CA without TNAuthList",
	    NULL, m_no_tnl, NULL },
	{ "e_rfc8226_tnauthlist_missing", F_AEE,
	    "ATIS end entity without TNAuthList",
	    NULL, m_no_tnl, NULL },
	{ "e_rfc8226_tnauthlist_critical", F_EE, "critical TNAuthList",
	    NULL, m_tnl_crit, NULL },
	{ "e_rfc8226_tnauthlist_decode", F_EE, "IMPLICIT tag",
	    NULL, m_tnl_implicit, NULL },
	{ "e_rfc8226_tnauthlist_decode", F_EE, "truncated IA5String",
	    NULL, m_tnl_truncated, NULL },
	{ "e_rfc8226_jwtclaims_ca", F_CA2, "JWTClaimConstraints in a CA",
	    NULL, m_jwt, NULL },
	{ "e_rfc8226_jwtclaims_critical", F_EE, "critical JWTClaimConstraints",
	    NULL, m_jwt_crit, NULL },
	{ "e_rfc8226_jwtclaims_decode", F_EE, "no component",
	    NULL, m_jwt_bad, NULL },
	{ "e_rfc9118_ejwtclaims_ca", F_CA2, "eJWTClaimConstraints in a CA",
	    NULL, m_ejwt, NULL },
	{ "e_rfc9118_ejwtclaims_critical", F_EE,
	    "critical eJWTClaimConstraints",
	    NULL, m_ejwt_crit, NULL },
	{ "e_rfc9118_ejwtclaims_decode", F_EE, "iat in mustExclude",
	    NULL, m_ejwt_bad, NULL },
	{ "e_rfc9118_claims_both", F_EE, "both claim extensions",
	    NULL, m_both, NULL },
	{ "e_rfc9060_kind_entries", F_EE, "range in a per-TN certificate",
	    p_tn_range, NULL, NULL },
	{ "e_rfc9060_kind_entries", F_CA1, "ranges in an SPC certificate",
	    p_kind_spc, NULL, NULL },
	{ "e_rfc9060_kind_entries", F_CA1, "SPC in a TN-block certificate",
	    p_tnblock_spc, NULL, NULL },
	{ "e_rfc9060_kind_entries", F_CA1, "every kind, not a ceremony",
	    p_mixed, NULL, NULL },
	{ "e_stica_max_entries", F_CA1, "2 entries > 1", p_max1, NULL, NULL },
	{ "e_rfc9060_encompassed", F_EE, "number outside the issuer",
	    p_tn_outside, NULL, NULL },
	{ "e_rfc9060_encompassed", F_EE, "in the grandparent only",
	    p_tn_grandparent, NULL, NULL },
	{ "e_rfc9060_encompassed", F_EE, "wrong width",
	    p_tn_width, NULL, NULL },
	{ "e_rfc9060_encompassed", F_EE, "unconstrained middle CA",
	    p_unconstrained_middle, NULL, NULL },
	{ "e_rfc9060_encompassed", F_CA2, "ceremony CA: SPC under numbers",
	    p_ceremony_spc, NULL, NULL },
	{ "e_atis_sig_alg", F_AEE, "ecdsa-with-SHA384",
	    p_atis_p384_issuer, NULL, NULL },
	{ "e_atis_spki_p256", F_AEE, "P-384 subject key",
	    p_key_p384, NULL, NULL },
	{ "e_atis_subject_dn", F_AEE, "no O", p_no_o, NULL, NULL },
	{ "e_atis_subject_dn", F_AEE, "C=USA", NULL, m_c_usa, NULL },
	{ "e_atis_subject_dn", F_AINT, "C=us", p_c_lower, NULL, NULL },
	{ "e_atis_tnauthlist_ca", F_AINT, "TNAuthList in an intermediate",
	    p_atis_ca_tn, NULL, NULL },
	{ "e_atis_tnauthlist_ee", F_AEE, "two SPCs", p_two_spc, NULL, NULL },
	{ "e_atis_tnauthlist_ee", F_AEE, "lower-case SPC",
	    p_spc_lower, NULL, NULL },
	{ "e_atis_tnauthlist_ee", F_AEE, "a TN", p_atis_tn, NULL, NULL },
	{ "e_atis_ca_cn", F_AINT, "no SHAKEN", p_cn_int, NULL, NULL },
	{ "e_atis_ca_cn", F_AROOT, "root without ROOT", p_cn_root, NULL, NULL },
	{ "e_atis_ee_cn", F_AEE, "two spaces", p_cn_ee, NULL, NULL },
	{ "e_atis_ee_cn", F_AEE, "no SHAKEN", p_cn_ee2, NULL, NULL },
	{ "e_atis_ku_ca", F_AINT, "keyCertSign and cRLSign",
	    NULL, m_ku_ca_crl, NULL },
	{ "e_atis_ku_ee", F_AEE, "digitalSignature and nonRepudiation",
	    NULL, m_ku_ee_nr, NULL },
	{ "e_atis_cp", F_AEE, "no certificatePolicies", p_no_cp, NULL, NULL },
	{ "e_atis_cp", F_AEE, "two policies", NULL, m_two_policies, NULL },
	{ "e_atis_cp", F_AEE, "anyPolicy in an end entity",
	    NULL, m_any_policy, NULL },
	{ "e_atis_cp_root", F_AROOT, "root with a policy",
	    p_root_cp, NULL, NULL },
	{ "e_atis_crldp", F_AEE, "no CRLDP", p_no_crl, NULL, NULL },
	{ "e_atis_crldp", F_AINT, "no cRLIssuer", p_no_crl_issuer, NULL, NULL },
	{ "e_atis_crldp", F_AEE, "LDAP URI", p_crl_ldap, NULL, NULL },
	{ "e_atis_crldp", F_AEE, "two DistributionPoints",
	    NULL, m_two_dps, NULL },
	{ "e_atis_crldp_root", F_AROOT, "root with CRLDP",
	    p_root_crl, NULL, NULL },
	{ "e_atis_ext_allowed", F_AEE, "extKeyUsage", NULL, m_eku, NULL },
	{ "e_atis_ext_critical", F_AEE, "critical certificatePolicies",
	    NULL, m_cp_crit, NULL },
	{ "e_atis_ski_method1", F_AEE, "SKI by method 2",
	    NULL, m_ski_other, NULL },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Failures reported by ca_lint_cert_all. */
struct fails {
	const char	*names[LR_MAXFAIL];
	size_t		 n;
};

static void
collect(void *arg, const struct ca_lint_rule *r, const char *msg)
{
	struct fails	*f = arg;

	if (getenv("TH_VERBOSE") != NULL)
		fprintf(stderr, "    %s\n", msg);
	if (f->n < LR_MAXFAIL)
		f->names[f->n++] = r->name;
}

/*
 * Build, mutate and lint one case; returns 0 when it behaves as the row
 * says, else prints why and returns 1.
 */
static int
check_case(size_t i)
{
	const struct lcase	*c = &cases[i];
	struct env		 v;
	struct fails		 f = { { NULL }, 0 };
	struct st_err		 e = { 0 }, ea = { 0 };
	char			 want[128];
	X509			*x = NULL;
	EVP_PKEY		*own_key = NULL;
	size_t			 nf = 0, k;
	int			 rc, rca, bad = 0;

	fx_env(c->fx, &v);
	if (c->pre != NULL)
		c->pre(&v);
	if (c->pre == p_key_explicit)
		own_key = v.key;
	env_ctx(&v);
	if (v.key == NULL || (x = ck_build(&v.spec, v.key, v.issuer,
	    v.ikey)) == NULL) {
		fprintf(stderr, "  case %zu (%s): cannot build\n", i, c->what);
		bad = 1;
		goto out;
	}
	if (c->post != NULL)
		c->post(&x, &v);
	rc = ca_lint_cert(x, &v.ctx, &e);
	rca = ca_lint_cert_all(x, &v.ctx, collect, &f, &nf, &ea);
	if (c->rule == NULL) {
		if (rc != 0 || rca != 0 || nf != 0) {
			fprintf(stderr, "  case %zu (%s): expected a pass, got "
			    "%d: %s\n", i, c->what, rc, st_err_str(&e, rc));
			bad = 1;
		}
		goto out;
	}
	(void)snprintf(want, sizeof(want), "lint %s: ", c->rule);
	if (rc != ST_E_LINT || strncmp(e.msg, want, strlen(want)) != 0 ||
	    e.code != ST_E_LINT) {
		fprintf(stderr, "  case %zu (%s): expected %s, got %d: %s\n", i,
		    c->what, c->rule, rc, st_err_str(&e, rc));
		bad = 1;
		goto out;
	}
	if (rca != ST_E_LINT || nf != f.n || nf == 0 ||
	    strcmp(ea.msg, e.msg) != 0) {
		fprintf(stderr, "  case %zu (%s): lint_all disagrees (%d, %zu "
		    "failures)\n", i, c->what, rca, nf);
		bad = 1;
		goto out;
	}
	for (k = 0; k < f.n; k++) {
		if (strcmp(f.names[k], c->rule) == 0 ||
		    (c->also != NULL && strcmp(f.names[k], c->also) == 0))
			continue;
		fprintf(stderr, "  case %zu (%s): also broke %s\n", i, c->what,
		    f.names[k]);
		bad = 1;
	}
	if (getenv("TH_VERBOSE") != NULL)
		fprintf(stderr, "  ok %s (%s): %s\n", c->rule, c->what, e.msg);
out:
	X509_free(x);
	for (k = 0; k < sizeof(v.owned) / sizeof(v.owned[0]); k++)
		X509_free(v.owned[k]);
	EVP_PKEY_free(own_key);
	return bad;
}

static void
test_table(void)
{
	size_t	i, bad = 0;

	for (i = 0; i < NCASES; i++)
		bad += (size_t)check_case(i);
	ASSERT_INT_EQ(bad, 0);
}

/* Every rule of ca/lint.c has at least one failing row. */
static void
test_every_rule_has_a_row(void)
{
	const struct ca_lint_rule	*r;
	size_t				 n, i, k, missing = 0;

	r = ca_lint_rules(&n);
	ASSERT_TRUE(n >= 60);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(strncmp(r[i].name, "e_", 2) == 0);
		ASSERT_TRUE(strlen(r[i].ref) > 0 && strlen(r[i].what) > 0);
		for (k = 0; k < NCASES; k++)
			if (cases[k].rule != NULL &&
			    strcmp(cases[k].rule, r[i].name) == 0)
				break;
		if (k == NCASES) {
			fprintf(stderr, "  rule %s has no failing row\n",
			    r[i].name);
			missing++;
		}
	}
	ASSERT_INT_EQ(missing, 0);
}

/* docs/lint.md lists every rule (and the post-signing one). */
static void
test_docs_list_every_rule(void)
{
	const struct ca_lint_rule	*r;
	const char			*top = getenv("STICA_TOP");
	char				 path[4096], pat[128];
	uint8_t				*doc = NULL;
	size_t				 n, i, len, missing = 0;

	(void)snprintf(path, sizeof(path), "%s/docs/lint.md",
	    top != NULL ? top : ".");
	ASSERT_INT_EQ(st_file_read(path, 1 << 20, &doc, &len, NULL), 0);
	r = ca_lint_rules(&n);
	for (i = 0; i < n; i++) {
		(void)snprintf(pat, sizeof(pat), "`%s`", r[i].name);
		if (strstr((char *)doc, pat) == NULL) {
			fprintf(stderr, "  docs/lint.md lacks %s\n", pat);
			missing++;
		}
	}
	if (strstr((char *)doc, "`e_stica_signed_tbs_equal`") == NULL)
		missing++;
	free(doc);
	ASSERT_INT_EQ(missing, 0);
}

/* The whole valid chains pass, and OpenSSL verifies them once signed. */
static void
test_valid_chains_verify(void)
{
	X509_STORE	*st = X509_STORE_new();
	X509_STORE_CTX	*sc = X509_STORE_CTX_new();
	STACK_OF(X509)	*un = sk_X509_new_null();
	struct env	 v;
	X509		*ee = NULL;
	struct st_err	 e = { 0 };
	int		 ok;

	ASSERT_NONNULL(st);
	ASSERT_NONNULL(sc);
	ASSERT_NONNULL(un);
	fx_env(F_EE, &v);
	env_ctx(&v);
	ee = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(ee);
	ASSERT_INT_EQ(ca_lint_cert(ee, &v.ctx, &e), 0);
	ASSERT_INT_EQ(ck_sign(ee, v.ikey), 0);
	(void)X509_STORE_add_cert(st, c_root);
	(void)sk_X509_push(un, c_ca1);
	(void)sk_X509_push(un, c_ca2);
	ASSERT_INT_EQ(X509_STORE_CTX_init(sc, st, ee, un), 1);
	X509_STORE_CTX_set_flags(sc, X509_V_FLAG_X509_STRICT);
	ok = X509_verify_cert(sc);
	if (ok != 1)
		fprintf(stderr, "  %s\n", X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(sc)));
	ASSERT_INT_EQ(ok, 1);
	ASSERT_INT_EQ(sk_X509_num(X509_STORE_CTX_get0_chain(sc)), 4);
	X509_STORE_CTX_free(sc);
	sk_X509_free(un);
	X509_STORE_free(st);
	X509_free(ee);
}

/* ca_lint_check_signed: pass, changed TBS, wrong key, trailing bytes. */
static void
test_check_signed(void)
{
	struct env	 v;
	struct st_err	 e = { 0 };
	unsigned char	*der = NULL, *big = NULL;
	X509		*x;
	int		 len;

	fx_env(F_EE, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), 0);
	ASSERT_INT_EQ(ck_sign(x, v.ikey), 0);
	len = i2d_X509(x, &der);
	ASSERT_TRUE(len > 0);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der, (size_t)len,
	    X509_get0_pubkey(c_ca2), &e), 0);
	/* the wrong issuer key */
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der, (size_t)len,
	    X509_get0_pubkey(c_ca1), &e), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(e.msg, "does not verify");
	/* trailing bytes, truncation */
	big = malloc((size_t)len + 1);
	ASSERT_NONNULL(big);
	memcpy(big, der, (size_t)len);
	big[len] = 0;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, big, (size_t)len + 1,
	    X509_get0_pubkey(c_ca2), &e), ST_E_ASN1);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der, (size_t)len - 1,
	    X509_get0_pubkey(c_ca2), &e), ST_E_ASN1);
	/* a signature bit flipped */
	big[len - 1] ^= 0x01;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, big, (size_t)len,
	    X509_get0_pubkey(c_ca2), &e), ST_E_VERIFY);
	/* the linted certificate changes after signing: TBS differs */
	(void)ck_set_serial(x, 16);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der, (size_t)len,
	    X509_get0_pubkey(c_ca2), &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "lint e_stica_signed_tbs_equal:");
	ASSERT_STR_CONTAINS(e.msg, "first difference at offset");
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, NULL, 0, NULL, &e), ST_E_USAGE);
	free(big);
	OPENSSL_free(der);
	X509_free(x);
}

/*
 * The unsigned flow: the TBS algorithm is set before linting, signing
 * afterwards does not change the TBS (the property the builder relies
 * on), and a certificate signed with a different algorithm than linted is
 * caught.
 */
static void
test_sign_after_lint(void)
{
	struct env		 v;
	struct st_err		 e = { 0 };
	unsigned char		*der = NULL, *der2 = NULL;
	const unsigned char	*cp;
	X509			*x, *y = NULL;
	int			 len, len2;

	fx_env(F_CA2, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), 0);
	/* signing the linted certificate itself keeps the TBS */
	ASSERT_INT_EQ(ck_sign(x, v.ikey), 0);
	len = i2d_X509(x, &der);
	ASSERT_TRUE(len > 0);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der, (size_t)len,
	    X509_get0_pubkey(c_ca1), &e), 0);
	/* a copy signed with SHA-512: another TBS algorithm, caught */
	cp = der;
	y = d2i_X509(NULL, &cp, len);
	ASSERT_NONNULL(y);
	ASSERT_TRUE(X509_sign(y, v.ikey, EVP_sha512()) > 0);
	len2 = i2d_X509(y, &der2);
	ASSERT_TRUE(len2 > 0);
	ASSERT_INT_EQ(X509_verify(y, X509_get0_pubkey(c_ca1)), 1);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_check_signed(x, der2, (size_t)len2,
	    X509_get0_pubkey(c_ca1), &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "the signed TBS differs");
	OPENSSL_free(der);
	OPENSSL_free(der2);
	X509_free(y);
	X509_free(x);
}

/* Bad contexts are usage errors, not lint failures. */
static void
test_ctx_usage(void)
{
	struct env	 v;
	struct st_err	 e = { 0 };
	X509		*x;

	fx_env(F_EE, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, NULL, &e), ST_E_USAGE);
	ASSERT_INT_EQ(ca_lint_cert(NULL, &v.ctx, &e), ST_E_USAGE);
	v.above[0] = c_ca1;	/* not the issuer */
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "above[0] must be the issuer");
	v.above[0] = c_ca2;
	v.ctx.issuer = NULL;
	v.ctx.n_above = 0;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_USAGE);
	v.ctx.issuer = c_ca2;
	v.ctx.n_above = 3;
	v.ctx.kind = (enum ca_cert_kind)7;
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_USAGE);
	v.ctx.kind = CA_KIND_PERTN;
	v.ctx.key_types = 0x80;
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_USAGE);
	v.ctx.key_types = 0;
	/* a key ceremony makes CAs only */
	v.ctx.ceremony = true;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "must be a CA");
	v.ctx.ceremony = false;
	/* n_above 0: only the issuer is consulted, and it suffices here */
	v.ctx.n_above = 0;
	v.ctx.above = NULL;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), 0);
	X509_free(x);
}

/* SPC lookup for the map tests: SPC 1001 owns 12025550000+1000. */
static struct ca_scope *map_scope;

static int
map_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	(void)arg;
	*numbers = strcmp(spc, "1001") == 0 ? map_scope : NULL;
	return 0;
}

/*
 * RFC 9060 section 4.1: numbers under an SPC-holding CA pass only with a
 * map that gives the SPC those numbers; an SPC certificate needs the SPC
 * verbatim.
 */
static void
test_spc_parent_map(void)
{
	static const struct ck_spec sp_spcca = { "US", "Carrier S",
		"Carrier S SPC CA", true, 0, "critical,keyCertSign",
		{ "spc:1001", NULL }, NULL, NULL, false, -DAY, 365 * DAY,
		false };
	struct ca_spc_map	 map = { map_lookup, NULL };
	struct ca_tnauth	*ml = ca_tnauth_new();
	struct ca_lint_ctx	 ctx;
	struct st_err		 e = { 0 };
	struct ck_spec		 s = sp_ee;
	const X509		*above[2];
	X509			*spcca, *x;

	ASSERT_NONNULL(ml);
	ASSERT_INT_EQ(ca_tnauth_add_spec(ml, "range:12025550000+1000", NULL),
	    0);
	ASSERT_INT_EQ(ca_scope_from_tnauth(ml, &map_scope, NULL), 0);
	ca_tnauth_free(ml);
	spcca = ck_make(&sp_spcca, k_ca2, c_root, k_root);
	ASSERT_NONNULL(spcca);
	memset(&ctx, 0, sizeof(ctx));
	ctx.mode = CA_LINT_RFC9060;
	ctx.kind = CA_KIND_PERTN;
	ctx.issuer = spcca;
	above[0] = spcca;
	above[1] = c_root;
	ctx.above = above;
	ctx.n_above = 2;
	s.na = 30 * DAY;
	x = ck_build(&s, k_ee, spcca, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &ctx, &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "lint e_rfc9060_encompassed:");
	ASSERT_STR_CONTAINS(e.msg, "no policy mapping");
	ctx.map = &map;
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &ctx, &e), 0);
	X509_free(x);
	/* an SPC end entity: the same SPC passes, another does not */
	s.tn[0] = "spc:1001";
	ctx.kind = CA_KIND_SPC;
	x = ck_build(&s, k_ee, spcca, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &ctx, &e), 0);
	X509_free(x);
	s.tn[0] = "spc:2002";
	x = ck_build(&s, k_ee, spcca, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &ctx, &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "spc:2002 is not encompassed");
	X509_free(x);
	X509_free(spcca);
	ca_scope_free(map_scope);
	map_scope = NULL;
}

/* Pre-built scopes of the CAs above are used instead of decoding. */
static void
test_above_scopes(void)
{
	const struct ca_scope	*scopes[3] = { NULL, NULL, NULL };
	struct ca_tnauth	*l = ca_tnauth_new();
	struct ca_scope		*narrow = NULL;
	struct env		 v;
	struct st_err		 e = { 0 };
	X509			*x;

	ASSERT_NONNULL(l);
	ASSERT_INT_EQ(ca_tnauth_add_spec(l, "range:12025550100+5", NULL), 0);
	ASSERT_INT_EQ(ca_scope_from_tnauth(l, &narrow, NULL), 0);
	ca_tnauth_free(l);
	fx_env(F_EE, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	v.ctx.above_scopes = scopes;
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), 0);
	scopes[1] = narrow;	/* pretend ca1 holds only 100..104 */
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_LINT);
	ASSERT_STR_CONTAINS(e.msg, "a CA above (CN=Carrier A TN-block CA");
	ca_scope_free(narrow);
	X509_free(x);
}

/*
 * x rebuilt as a key ceremony builds a certificate: the same fields and
 * extensions, the subject key copied from its bits (ca_spki_copy), so
 * that the certificate holds no decoded key.  NULL on failure.
 */
static X509 *
from_bits(X509 *x)
{
	X509		*y = NULL;
	X509_PUBKEY	*xpk = NULL;
	unsigned char	*der = NULL;
	int		 len, i, ok = 0;

	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0 ||
	    ca_spki_decode(der, (size_t)len, &xpk, NULL) != 0 ||
	    (y = X509_new()) == NULL || ca_spki_copy(y, xpk, NULL) != 0 ||
	    !X509_set_version(y, X509_get_version(x)) ||
	    !X509_set_serialNumber(y, X509_get_serialNumber(x)) ||
	    !X509_set_subject_name(y, X509_get_subject_name(x)) ||
	    !X509_set_issuer_name(y, X509_get_issuer_name(x)) ||
	    !X509_set1_notBefore(y, X509_get0_notBefore(x)) ||
	    !X509_set1_notAfter(y, X509_get0_notAfter(x)) ||
	    !X509_ALGOR_copy((X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(y),
	    X509_get0_tbs_sigalg(x)))
		goto out;
	for (i = 0; i < X509_get_ext_count(x); i++)
		if (!X509_add_ext(y, X509_get_ext(x, i), -1))
			goto out;
	ok = 1;
out:
	if (!ok) {
		X509_free(y);
		y = NULL;
	}
	X509_PUBKEY_free(xpk);
	OPENSSL_free(der);
	return y;
}

/*
 * A self-issued root built from its key's bits, as a key ceremony builds
 * it: no decoded key, so its signature algorithm is judged against its
 * own key's bits.  It passes, as a ceremony certificate too, and a wrong
 * algorithm still fails.
 */
static void
test_root_from_bits(void)
{
	struct env	 v;
	struct st_err	 e = { 0 };
	X509		*x, *y;

	fx_env(F_ROOT, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	y = from_bits(x);
	ASSERT_NONNULL(y);
	ASSERT_TRUE(X509_get0_pubkey(y) == NULL);
	ASSERT_INT_EQ(ca_lint_cert(y, &v.ctx, &e), 0);
	v.ctx.ceremony = true;
	ASSERT_INT_EQ(ca_lint_cert(y, &v.ctx, &e), 0);
	ck_set_tbs_alg(y, NID_ecdsa_with_SHA384, V_ASN1_UNDEF);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(y, &v.ctx, &e), ST_E_LINT);
	ASSERT_STR_EQ(e.msg, "lint e_rfc5280_sig_alg_issuer_key: RFC 5280 "
	    "section 4.1.2.3, RFC 5758 section 3.2: the signature algorithm "
	    "ecdsa-with-SHA384 does not fit the issuer's EC prime256v1 key "
	    "(expected ecdsa-with-SHA256)");
	X509_free(y);
	X509_free(x);
}

/* Messages carry the reference and the value. */
static void
test_messages(void)
{
	struct env	 v;
	struct st_err	 e = { 0 };
	X509		*x;

	fx_env(F_EE, &v);
	p_tn_outside(&v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_LINT);
	ASSERT_STR_EQ(e.msg, "lint e_rfc9060_encompassed: RFC 9060 section 4, "
	    "RFC 8226 section 9: not encompassed by the issuer (CN=Reseller B "
	    "CA,O=Reseller B,C=US): tn:12025550300 is not encompassed by the "
	    "parent: 12025550300 is outside it");
	X509_free(x);
	fx_env(F_EE, &v);
	env_ctx(&v);
	x = ck_build(&v.spec, v.key, v.issuer, v.ikey);
	ASSERT_NONNULL(x);
	set_serial_bn(x, "-5");
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_lint_cert(x, &v.ctx, &e), ST_E_LINT);
	ASSERT_STR_EQ(e.msg, "lint e_rfc5280_serial_positive: RFC 5280 "
	    "section 4.1.2.2: the serial number must be positive (-05)");
	X509_free(x);
}

static EVP_PKEY *
must_key(EVP_PKEY *k, const char *what)
{
	if (k == NULL) {
		fprintf(stderr, "cannot make key %s\n", what);
		exit(2);
	}
	return k;
}

static X509 *
must_cert(X509 *x, const char *what)
{
	if (x == NULL) {
		fprintf(stderr, "cannot make certificate %s\n", what);
		exit(2);
	}
	return x;
}

int
main(void)
{
	ca_oids_register();
	nid_tnl = OBJ_txt2nid(CA_OID_TNAUTHLIST);
	k_root = must_key(ck_key_ec("P-256"), "root");
	k_ca1 = must_key(ck_key_ec("P-256"), "ca1");
	k_ca2 = must_key(ck_key_ec("P-256"), "ca2");
	k_ee = must_key(ck_key_ec("P-256"), "ee");
	k_aroot = must_key(ck_key_ec("P-256"), "aroot");
	k_aint = must_key(ck_key_ec("P-256"), "aint");
	k_aee = must_key(ck_key_ec("P-256"), "aee");
	k_p384 = must_key(ck_key_ec("P-384"), "p384");
	k_p521 = must_key(ck_key_ec("P-521"), "p521");
	k_rsa = must_key(EVP_RSA_gen(2048), "rsa");
	k_rsa1024 = must_key(EVP_RSA_gen(1024), "rsa1024");
	k_ed25519 = must_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
	    "ed25519");
	c_root = must_cert(ck_make(&sp_root, k_root, NULL, NULL), "root");
	c_ca1 = must_cert(ck_make(&sp_ca1, k_ca1, c_root, k_root), "ca1");
	c_ca2 = must_cert(ck_make(&sp_ca2, k_ca2, c_ca1, k_ca1), "ca2");
	c_aroot = must_cert(ck_make(&sp_aroot, k_aroot, NULL, NULL), "aroot");
	c_aint = must_cert(ck_make(&sp_aint, k_aint, c_aroot, k_aroot),
	    "aint");

	RUN(test_table);
	RUN(test_every_rule_has_a_row);
	RUN(test_docs_list_every_rule);
	RUN(test_valid_chains_verify);
	RUN(test_check_signed);
	RUN(test_sign_after_lint);
	RUN(test_ctx_usage);
	RUN(test_spc_parent_map);
	RUN(test_above_scopes);
	RUN(test_root_from_bits);
	RUN(test_messages);

	X509_free(c_root);
	X509_free(c_ca1);
	X509_free(c_ca2);
	X509_free(c_aroot);
	X509_free(c_aint);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_ca1);
	EVP_PKEY_free(k_ca2);
	EVP_PKEY_free(k_ee);
	EVP_PKEY_free(k_aroot);
	EVP_PKEY_free(k_aint);
	EVP_PKEY_free(k_aee);
	EVP_PKEY_free(k_p384);
	EVP_PKEY_free(k_p521);
	EVP_PKEY_free(k_rsa);
	EVP_PKEY_free(k_rsa1024);
	EVP_PKEY_free(k_ed25519);
	return th_done("lint");
}
