/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of chain verification (ca/verify.c, ca_chain_verify).
 *
 * Chains are built in C with software keys (tests/unit/certkit.h): a
 * valid delegation chain root -> TN-block CA (ranges) -> narrower CA ->
 * per-TN end entity, and one chain for every way of escaping the RFC 9060
 * section 4 scope (a range spilling past its parent, a number outside, a
 * number of the wrong length, an SPC not in the parent, numbers under an
 * SPC parent with and without a map, a grandparent constraint across an
 * unconstrained middle CA, a constraining anchor, wildcards), broken
 * AKI/SKI linkage, wrong order, expiry, wrong anchors, a forged
 * signature, both claim extensions, a malformed TNAuthList.  Each must be
 * refused with the right code and a message naming the certificate and
 * the rule.  With "--write DIR" the program writes these chains as PEM
 * files for tests/cli/test_verify.sh and exits.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "common/common.h"
#include "tests/unit/harness.h"
#include "tests/unit/certkit.h"

#define DAY		86400L
#define SHAKEN_CP	"2.16.840.1.114569.1.1.4"
#define STIPA_CRL	"https://sti-pa.example.org/download/v1/crl"

static EVP_PKEY	*k_root, *k_ca1, *k_ca2, *k_ee, *k_other, *k_x;
static X509	*root, *ca1, *ca2, *ee, *other_root, *other_name_root;

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

/* An end entity with the TNAuthList specs given, under issuer. */
static X509 *
mk_ee(X509 *issuer, EVP_PKEY *ikey, const char *tn0, const char *tn1)
{
	struct ck_spec	s = sp_ee;

	s.tn[0] = tn0;
	s.tn[1] = tn1;
	s.tn[2] = NULL;
	return ck_make(&s, k_ee, issuer, ikey);
}

/* A CA with one TNAuthList spec (NULL: none) under issuer. */
static X509 *
mk_ca(const char *cn, X509 *issuer, EVP_PKEY *ikey, EVP_PKEY *key,
    const char *tn0, long pathlen)
{
	struct ck_spec	s = sp_ca2;

	s.cn = cn;
	s.tn[0] = tn0;
	s.tn[1] = NULL;
	s.pathlen = pathlen;
	return ck_make(&s, key, issuer, ikey);
}

static STACK_OF(X509) *
stack(X509 *a, X509 *b, X509 *c, X509 *d)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();
	X509		*v[4] = { a, b, c, d };
	size_t		 i;

	for (i = 0; sk != NULL && i < 4 && v[i] != NULL; i++)
		(void)sk_X509_push(sk, v[i]);
	return sk;
}

/* Verify [a, b, c] against trust t with opts; returns the code. */
static int
vfy(X509 *a, X509 *b, X509 *c, X509 *t, const struct ca_verify_opts *o,
    struct ca_verify_info *info, struct st_err *why)
{
	STACK_OF(X509)	*ch = stack(a, b, c, NULL);
	STACK_OF(X509)	*tr = stack(t, NULL, NULL, NULL);
	int		 rc;

	st_err_clear(why);
	rc = ca_chain_verify(ch, tr, o, info, why);
	sk_X509_free(ch);
	sk_X509_free(tr);
	return rc;
}

/* SPC 1001 owns 12025550000+1000 for the map tests. */
static struct ca_scope *map_1001;

static int
map_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	(void)arg;
	*numbers = strcmp(spc, "1001") == 0 ? map_1001 : NULL;
	return 0;
}

static const struct ca_spc_map the_map = { map_lookup, NULL };

/* ------------------------------------------------------------------ */

static void
test_valid(void)
{
	struct ca_verify_info	info;
	struct ca_verify_opts	o = { "12025550105", NULL, 0 };
	struct st_err		why = { 0 };

	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, NULL, &info, &why), 0);
	ASSERT_INT_EQ(info.ncerts, 3);
	ASSERT_FALSE(info.anchor_listed);
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, &o, &info, &why), 0);
	ASSERT_FALSE(info.tn_via_map);
	/* NULL info and NULL opts are fine */
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, NULL, NULL, &why), 0);
}

/* The anchor may be listed last; an intermediate may be the anchor. */
static void
test_anchor_forms(void)
{
	STACK_OF(X509)		*ch = stack(ee, ca2, ca1, root);
	STACK_OF(X509)		*tr = stack(root, NULL, NULL, NULL);
	struct ca_verify_info	 info;
	struct st_err		 why = { 0 };

	ASSERT_NONNULL(ch);
	ASSERT_INT_EQ(ca_chain_verify(ch, tr, NULL, &info, &why), 0);
	ASSERT_INT_EQ(info.ncerts, 3);
	ASSERT_TRUE(info.anchor_listed);
	sk_X509_free(ch);
	sk_X509_free(tr);
	/* ca1 trusted: [ee, ca2] is the whole path */
	ASSERT_INT_EQ(vfy(ee, ca2, NULL, ca1, NULL, &info, &why), 0);
	ASSERT_INT_EQ(info.ncerts, 2);
	/* ca2 trusted and listed: the path ends there */
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, ca2, NULL, &info, &why), 0);
	ASSERT_INT_EQ(info.ncerts, 1);
	ASSERT_TRUE(info.anchor_listed);
}

static void
test_tn_option(void)
{
	struct ca_verify_opts	o = { "12025550106", NULL, 0 };
	struct st_err		why = { 0 };

	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, &o, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C "
	    "12025550105");
	ASSERT_STR_CONTAINS(why.msg, "tn:12025550106 is not in the "
	    "certificate's TNAuthList");
	o.tn = "12a";
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, &o, NULL, &why), ST_E_USAGE);
	ASSERT_STR_CONTAINS(why.msg, "--tn 12a");
}

/* Each scope escape: the code, the certificate, the ancestor, the entry. */
static void
test_range_spills(void)
{
	struct st_err	 why = { 0 };
	X509		*x;

	x = mk_ee(ca2, k_ca2, "range:12025550195+10", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "RFC 9060 section 4: not encompassed by "
	    "certificate 1 (CN=Reseller B CA");
	ASSERT_STR_CONTAINS(why.msg, "range:12025550195+10");
	ASSERT_STR_CONTAINS(why.msg, "12025550200 is outside it");
	X509_free(x);
}

static void
test_number_outside(void)
{
	struct st_err	 why = { 0 };
	X509		*x = mk_ee(ca2, k_ca2, "tn:12025550300", NULL);

	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "not encompassed by certificate 1");
	ASSERT_STR_CONTAINS(why.msg, "tn:12025550300");
	X509_free(x);
	/* inside ca1's second range, outside ca2: still the issuer */
	x = mk_ee(ca2, k_ca2, "tn:13035550050", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "not encompassed by certificate 1");
	X509_free(x);
}

static void
test_wrong_length(void)
{
	struct st_err	 why = { 0 };
	X509		*x = mk_ee(ca2, k_ca2, "tn:2025550105", NULL);

	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "the parent has no 10-digit numbers");
	X509_free(x);
}

/* A CA that spills past its own parent is caught at its own level. */
static void
test_ca_spills(void)
{
	struct st_err	 why = { 0 };
	X509		*c, *x;

	c = mk_ca("Wide CA", ca1, k_ca1, k_x, "range:12025550900+200", 0);
	ASSERT_NONNULL(c);
	x = mk_ee(c, k_x, "tn:12025551050", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	/* leaves are checked before their issuers: this one escapes ca1 */
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "not encompassed by certificate 2 "
	    "(CN=Carrier A TN-block CA");
	X509_free(x);
	/* a leaf inside both c and ca1 shows c's own escape */
	x = mk_ee(c, k_x, "tn:12025550950", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "certificate 1 (CN=Wide CA");
	ASSERT_STR_CONTAINS(why.msg, "range:12025550900+200");
	X509_free(x);
	X509_free(c);
}

static void
test_spc_not_in_parent(void)
{
	struct st_err	 why = { 0 };
	X509		*c, *x;

	c = mk_ca("SPC CA", root, k_root, k_x, "spc:1001", 0);
	ASSERT_NONNULL(c);
	x = mk_ee(c, k_x, "spc:2002", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "spc:2002 is not encompassed");
	X509_free(x);
	/* the same SPC passes */
	x = mk_ee(c, k_x, "spc:1001", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, NULL, NULL, &why), 0);
	X509_free(x);
	/* an SPC under a TN-block CA */
	x = mk_ee(ca2, k_ca2, "spc:1001", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "spc:1001 is not encompassed");
	X509_free(x);
	X509_free(c);
}

/* Numbers under an SPC parent need a map (RFC 9060 sections 4.1, 8). */
static void
test_spc_parent_map(void)
{
	struct ca_verify_opts	 o = { NULL, &the_map, 0 };
	struct ca_verify_info	 info;
	struct st_err		 why = { 0 };
	X509			*c, *x;

	c = mk_ca("SPC CA", root, k_root, k_x, "spc:1001", 0);
	ASSERT_NONNULL(c);
	x = mk_ee(c, k_x, "tn:12025550105", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "no policy mapping says which numbers "
	    "belong to it");
	ASSERT_INT_EQ(vfy(x, c, NULL, root, &o, NULL, &why), 0);
	X509_free(x);
	x = mk_ee(c, k_x, "tn:12025551105", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, &o, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "nor among the numbers the policy "
	    "assigns to the parent's SPC 1001");
	X509_free(x);
	/* --tn against an SPC-only leaf: cannot be confirmed without a map */
	x = mk_ee(c, k_x, "spc:1001", NULL);
	ASSERT_NONNULL(x);
	o.tn = "12025550105";
	o.map = NULL;
	ASSERT_INT_EQ(vfy(x, c, NULL, root, &o, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "cannot be confirmed");
	o.map = &the_map;
	ASSERT_INT_EQ(vfy(x, c, NULL, root, &o, &info, &why), 0);
	ASSERT_TRUE(info.tn_via_map);
	o.tn = "12025551105";
	ASSERT_INT_EQ(vfy(x, c, NULL, root, &o, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "nor among the numbers the SPC map");
	X509_free(x);
	X509_free(c);
}

/* A CA without TNAuthList adds no constraint; its ancestors' still apply. */
static void
test_grandparent_constraint(void)
{
	struct st_err	 why = { 0 };
	X509		*mid, *x;

	mid = mk_ca("Unconstrained CA", ca1, k_ca1, k_x, NULL, 0);
	ASSERT_NONNULL(mid);
	x = mk_ee(mid, k_x, "tn:14045550100", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, mid, ca1, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "not encompassed by certificate 2 "
	    "(CN=Carrier A TN-block CA");
	X509_free(x);
	x = mk_ee(mid, k_x, "tn:12025550777", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, mid, ca1, root, NULL, NULL, &why), 0);
	X509_free(x);
	X509_free(mid);
}

/* A trust anchor's TNAuthList constrains the path too. */
static void
test_anchor_constrains(void)
{
	struct st_err	 why = { 0 };
	X509		*c, *x;

	c = mk_ca("Outside CA", ca1, k_ca1, k_x, "range:12025551000+100", 0);
	ASSERT_NONNULL(c);
	x = mk_ee(c, k_x, "tn:12025551005", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, ca1, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "not encompassed by the trust anchor "
	    "(CN=Carrier A TN-block CA");
	X509_free(x);
	X509_free(c);
}

static void
test_wildcards(void)
{
	struct st_err	 why = { 0 };
	X509		*c, *x;

	c = mk_ca("Wildcard CA", root, k_root, k_x, "tn:*67#", 0);
	ASSERT_NONNULL(c);
	x = mk_ee(c, k_x, "tn:*68#", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, NULL, NULL, &why), ST_E_SCOPE);
	ASSERT_STR_CONTAINS(why.msg, "tn:*68# is not encompassed");
	ASSERT_STR_CONTAINS(why.msg, "must appear verbatim");
	X509_free(x);
	x = mk_ee(c, k_x, "tn:*67#", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, NULL, root, NULL, NULL, &why), 0);
	X509_free(x);
	X509_free(c);
}

/* RFC 9060 section 7: AKI/SKI linkage, inside the list and to the anchor. */
static void
test_linkage(void)
{
	struct st_err	 why = { 0 };
	unsigned char	 id[20];
	struct ck_spec	 s = sp_ca1;
	X509		*x, *c;

	memset(id, 0x5a, sizeof(id));
	/* the leaf's AKI is not ca2's SKI (still signed by ca2) */
	x = ck_build(&sp_ee, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ck_del_ext(x, NID_authority_key_identifier);
	ASSERT_INT_EQ(ck_add_aki(x, id, sizeof(id)), 0);
	ASSERT_INT_EQ(ck_sign(x, k_ca2), 0);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C "
	    "12025550105,O=Enterprise C,C=US): RFC 9060 section 7: its AKI "
	    "keyIdentifier 5a:5a");
	ASSERT_STR_CONTAINS(why.msg, "does not appear as the SKI of "
	    "certificate 1 (CN=Reseller B CA");
	X509_free(x);
	/* the leaf has no AKI at all */
	x = ck_build(&sp_ee, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ck_del_ext(x, NID_authority_key_identifier);
	ASSERT_INT_EQ(ck_sign(x, k_ca2), 0);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "no Authority Key Identifier");
	X509_free(x);
	/* the middle CA has no SKI */
	c = ck_build(&sp_ca2, k_ca2, ca1, k_ca1);
	ASSERT_NONNULL(c);
	ck_del_ext(c, NID_subject_key_identifier);
	ASSERT_INT_EQ(ck_sign(c, k_ca1), 0);
	ASSERT_INT_EQ(vfy(ee, c, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 1 (CN=Reseller B CA");
	ASSERT_STR_CONTAINS(why.msg, "no Subject Key Identifier");
	X509_free(c);
	/* the last certificate's AKI is not the anchor's SKI */
	c = ck_build(&s, k_ca1, root, k_root);
	ASSERT_NONNULL(c);
	ck_del_ext(c, NID_authority_key_identifier);
	ASSERT_INT_EQ(ck_add_aki(c, id, sizeof(id)), 0);
	ASSERT_INT_EQ(ck_sign(c, k_root), 0);
	ASSERT_INT_EQ(vfy(ee, ca2, c, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 2 (CN=Carrier A TN-block CA");
	ASSERT_STR_CONTAINS(why.msg, "does not appear as the SKI of the trust "
	    "anchor (CN=STIR Root");
	X509_free(c);
}

static void
test_wrong_order(void)
{
	struct st_err	why = { 0 };

	ASSERT_INT_EQ(vfy(ee, ca1, ca2, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "RFC 9060 section 7: the list must be "
	    "ordered from the signer to the trust anchor, but its issuer is "
	    "certificate 2 (CN=Reseller B CA");
	/* an unrelated certificate in the middle */
	ASSERT_INT_EQ(vfy(ee, other_root, ca1, root, NULL, NULL, &why),
	    ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "is not its issuer");
}

static void
test_expired(void)
{
	struct ck_spec		 s = sp_ee;
	struct ca_verify_opts	 o = { NULL, NULL, 0 };
	struct st_err		 why = { 0 };
	X509			*x;

	s.nb = -10 * DAY;
	s.na = -DAY;
	x = ck_make(&s, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "RFC 5280 section 6 path validation: "
	    "certificate has expired (OpenSSL error 10 at depth 0)");
	X509_free(x);
	/* the valid chain 100 days from now: the leaf has expired */
	o.at = time(NULL) + 100 * DAY;
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, &o, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate has expired");
	/* 30 days ago: nothing in the path is valid yet */
	o.at = time(NULL) - 30 * DAY;
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, root, &o, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate is not yet valid");
}

static void
test_wrong_anchor(void)
{
	struct st_err	why = { 0 };

	/* same name as the root, another key */
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, other_root, NULL, NULL, &why),
	    ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 2 (CN=Carrier A TN-block CA");
	ASSERT_STR_CONTAINS(why.msg, "SKI of the trust anchor (CN=STIR Root");
	/* another name altogether */
	ASSERT_INT_EQ(vfy(ee, ca2, ca1, other_name_root, NULL, NULL, &why),
	    ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "its issuer (CN=STIR Root,O=Example "
	    "STIR,C=US) is not among the trust anchors");
}

/* Names and key identifiers right, signature wrong: OpenSSL says so. */
static void
test_forged_signature(void)
{
	struct st_err	 why = { 0 };
	X509		*x;

	x = ck_build(&sp_ee, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ck_sign(x, k_x), 0);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "certificate signature failure");
	X509_free(x);
}

/* OpenSSL's strict mode: a CA whose basicConstraints is not critical. */
static void
test_strict(void)
{
	struct st_err	 why = { 0 };
	X509		*c, *x;

	c = ck_build(&sp_ca2, k_ca2, ca1, k_ca1);
	ASSERT_NONNULL(c);
	ck_set_crit(c, NID_basic_constraints, 0);
	ASSERT_INT_EQ(ck_sign(c, k_ca1), 0);
	x = mk_ee(c, k_ca2, "tn:12025550105", NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, c, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 1 (CN=Reseller B CA");
	ASSERT_STR_CONTAINS(why.msg, "not marked critical");
	X509_free(x);
	X509_free(c);
}

/* RFC 9118 section 6 and strict decoding of the STIR extensions. */
static void
test_extensions(void)
{
	static const uint8_t implicit[] = { 0x30, 0x05, 0x82, 0x03, '1', '2',
		'3' };
	struct st_err	 why = { 0 };
	struct ck_spec	 s = sp_ca2;
	X509		*x, *c;

	x = ck_build(&sp_ee, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ck_add_claims(x, false, 0), 0);
	ASSERT_INT_EQ(ck_add_claims(x, true, 0), 0);
	ASSERT_INT_EQ(ck_sign(x, k_ca2), 0);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 0 (CN=Enterprise C");
	ASSERT_STR_CONTAINS(why.msg, "RFC 9118 section 6");
	X509_free(x);
	/* one claim extension is fine */
	x = ck_build(&sp_ee, k_ee, ca2, k_ca2);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(ck_add_claims(x, true, 0), 0);
	ASSERT_INT_EQ(ck_sign(x, k_ca2), 0);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), 0);
	X509_free(x);
	/* a CA whose TNAuthList uses an IMPLICIT tag */
	s.tn[0] = NULL;
	c = ck_build(&s, k_ca2, ca1, k_ca1);
	ASSERT_NONNULL(c);
	ASSERT_INT_EQ(ck_add_ext_der(c, CA_OID_TNAUTHLIST, 0, implicit,
	    sizeof(implicit)), 0);
	ASSERT_INT_EQ(ck_sign(c, k_ca1), 0);
	ASSERT_INT_EQ(vfy(ee, c, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "certificate 1 (CN=Reseller B CA");
	ASSERT_STR_CONTAINS(why.msg, "IMPLICIT");
	X509_free(c);
	/* a leaf without TNAuthList */
	x = mk_ee(ca2, k_ca2, NULL, NULL);
	ASSERT_NONNULL(x);
	ASSERT_INT_EQ(vfy(x, ca2, ca1, root, NULL, NULL, &why), ST_E_VERIFY);
	ASSERT_STR_CONTAINS(why.msg, "has no TNAuthList");
	X509_free(x);
}

static void
test_usage(void)
{
	STACK_OF(X509)	*empty = sk_X509_new_null();
	STACK_OF(X509)	*one = stack(ee, NULL, NULL, NULL);
	struct st_err	 why = { 0 };

	ASSERT_INT_EQ(ca_chain_verify(empty, one, NULL, NULL, &why),
	    ST_E_USAGE);
	ASSERT_INT_EQ(ca_chain_verify(one, empty, NULL, NULL, &why),
	    ST_E_USAGE);
	ASSERT_INT_EQ(ca_chain_verify(NULL, NULL, NULL, NULL, NULL),
	    ST_E_USAGE);
	sk_X509_free(empty);
	sk_X509_free(one);
}

/* ------------------------------------------------------------------ */
/* Fixtures for tests/cli/test_verify.sh                              */

/* Write n certificates to DIR/name; 0 or -1. */
static int
put(const char *dir, const char *name, X509 *a, X509 *b, X509 *c, X509 *d)
{
	X509	*v[4] = { a, b, c, d };
	char	 path[4096];
	size_t	 n = 0;

	while (n < 4 && v[n] != NULL)
		n++;
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ck_write_pem(path, v, n) != 0) {
		fprintf(stderr, "test_verify: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/*
 * The chains of the CLI test: the valid one in pieces and whole, every
 * scope escape, the broken ones, and an ATIS-1000080 chain.
 */
static int
write_fixtures(const char *dir)
{
	static const struct ck_spec sp_aroot = { "US", "Example STI-CA",
		"Example SHAKEN Root CA", true, -1, "critical,keyCertSign",
		{ NULL }, NULL, NULL, false, -DAY, 3650 * DAY, false };
	static const struct ck_spec sp_aint = { "US", "Example STI-CA",
		"Example SHAKEN Intermediate", true, 0, "critical,keyCertSign",
		{ NULL }, SHAKEN_CP, STIPA_CRL, true, -DAY, 1825 * DAY,
		false };
	static const struct ck_spec sp_aee = { "US", "Example Carrier",
		"SHAKEN 1234", false, -1, "critical,digitalSignature",
		{ "spc:1234", NULL }, SHAKEN_CP, STIPA_CRL, true, -DAY,
		365 * DAY, false };
	struct ck_spec	 s = sp_ee;
	X509		*v[16] = { NULL };
	unsigned char	 id[20];
	size_t		 i;
	int		 rc = -1;

	if (put(dir, "root.pem", root, NULL, NULL, NULL) ||
	    put(dir, "other-root.pem", other_root, NULL, NULL, NULL) ||
	    put(dir, "ca1.pem", ca1, NULL, NULL, NULL) ||
	    put(dir, "ca2.pem", ca2, NULL, NULL, NULL) ||
	    put(dir, "leaf.pem", ee, NULL, NULL, NULL) ||
	    put(dir, "chain.pem", ee, ca2, ca1, NULL) ||
	    put(dir, "chain-with-root.pem", ee, ca2, ca1, root) ||
	    put(dir, "chain-order.pem", ee, ca1, ca2, NULL))
		goto out;
	if ((v[0] = mk_ee(ca2, k_ca2, "range:12025550195+10", NULL)) == NULL ||
	    put(dir, "chain-spill.pem", v[0], ca2, ca1, NULL) ||
	    put(dir, "leaf-spill.pem", v[0], NULL, NULL, NULL))
		goto out;
	if ((v[1] = mk_ee(ca2, k_ca2, "tn:12025550300", NULL)) == NULL ||
	    put(dir, "chain-outside.pem", v[1], ca2, ca1, NULL))
		goto out;
	if ((v[2] = mk_ee(ca2, k_ca2, "tn:2025550105", NULL)) == NULL ||
	    put(dir, "chain-width.pem", v[2], ca2, ca1, NULL))
		goto out;
	s.nb = -10 * DAY;
	s.na = -DAY;
	if ((v[3] = ck_make(&s, k_ee, ca2, k_ca2)) == NULL ||
	    put(dir, "chain-expired.pem", v[3], ca2, ca1, NULL) ||
	    put(dir, "leaf-expired.pem", v[3], NULL, NULL, NULL))
		goto out;
	if ((v[4] = ck_build(&sp_ee, k_ee, ca2, k_ca2)) == NULL ||
	    ck_add_claims(v[4], false, 0) || ck_add_claims(v[4], true, 0) ||
	    ck_sign(v[4], k_ca2) ||
	    put(dir, "chain-both.pem", v[4], ca2, ca1, NULL))
		goto out;
	memset(id, 0x5a, sizeof(id));
	if ((v[5] = ck_build(&sp_ee, k_ee, ca2, k_ca2)) == NULL)
		goto out;
	ck_del_ext(v[5], NID_authority_key_identifier);
	if (ck_add_aki(v[5], id, sizeof(id)) || ck_sign(v[5], k_ca2) ||
	    put(dir, "chain-badaki.pem", v[5], ca2, ca1, NULL))
		goto out;
	if ((v[6] = mk_ca("Unconstrained CA", ca1, k_ca1, k_x, NULL, 0)) ==
	    NULL ||
	    (v[7] = mk_ee(v[6], k_x, "tn:14045550100", NULL)) == NULL ||
	    put(dir, "chain-grandparent.pem", v[7], v[6], ca1, NULL))
		goto out;
	if ((v[8] = mk_ca("SPC CA", root, k_root, k_x, "spc:1001", 0)) ==
	    NULL ||
	    (v[9] = mk_ee(v[8], k_x, "tn:12025550105", NULL)) == NULL ||
	    put(dir, "chain-spcnum.pem", v[9], v[8], NULL, NULL) ||
	    (v[10] = mk_ee(v[8], k_x, "spc:1001", NULL)) == NULL ||
	    put(dir, "chain-spc.pem", v[10], v[8], NULL, NULL))
		goto out;
	if ((v[11] = ck_make(&sp_aroot, k_other, NULL, NULL)) == NULL ||
	    (v[12] = ck_make(&sp_aint, k_ca1, v[11], k_other)) == NULL ||
	    (v[13] = ck_make(&sp_aee, k_ee, v[12], k_ca1)) == NULL ||
	    put(dir, "atis-root.pem", v[11], NULL, NULL, NULL) ||
	    put(dir, "atis-chain.pem", v[13], v[12], NULL, NULL))
		goto out;
	printf("test_verify: fixtures written to %s\n", dir);
	rc = 0;
out:
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		X509_free(v[i]);
	return rc;
}

static void
setup(void)
{
	struct ck_spec	s = sp_root;
	struct ca_tnauth *l = ca_tnauth_new();

	ca_oids_register();
	k_root = ck_key_ec("P-256");
	k_ca1 = ck_key_ec("P-256");
	k_ca2 = ck_key_ec("P-256");
	k_ee = ck_key_ec("P-256");
	k_other = ck_key_ec("P-256");
	k_x = ck_key_ec("P-256");
	root = ck_make(&sp_root, k_root, NULL, NULL);
	ca1 = ck_make(&sp_ca1, k_ca1, root, k_root);
	ca2 = ck_make(&sp_ca2, k_ca2, ca1, k_ca1);
	ee = ck_make(&sp_ee, k_ee, ca2, k_ca2);
	other_root = ck_make(&sp_root, k_other, NULL, NULL);
	s.cn = "Another Root";
	other_name_root = ck_make(&s, k_other, NULL, NULL);
	if (l == NULL || ca_tnauth_add_spec(l, "range:12025550000+1000",
	    NULL) != 0 || ca_scope_from_tnauth(l, &map_1001, NULL) != 0 ||
	    root == NULL || ca1 == NULL || ca2 == NULL || ee == NULL ||
	    other_root == NULL || other_name_root == NULL) {
		fprintf(stderr, "test_verify: cannot build the fixtures\n");
		exit(2);
	}
	ca_tnauth_free(l);
}

static void
teardown(void)
{
	X509_free(root);
	X509_free(ca1);
	X509_free(ca2);
	X509_free(ee);
	X509_free(other_root);
	X509_free(other_name_root);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_ca1);
	EVP_PKEY_free(k_ca2);
	EVP_PKEY_free(k_ee);
	EVP_PKEY_free(k_other);
	EVP_PKEY_free(k_x);
	ca_scope_free(map_1001);
}

int
main(int argc, char **argv)
{
	int	rc;

	setup();
	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		rc = write_fixtures(argv[2]) == 0 ? 0 : 2;
		teardown();
		return rc;
	}
	RUN(test_valid);
	RUN(test_anchor_forms);
	RUN(test_tn_option);
	RUN(test_range_spills);
	RUN(test_number_outside);
	RUN(test_wrong_length);
	RUN(test_ca_spills);
	RUN(test_spc_not_in_parent);
	RUN(test_spc_parent_map);
	RUN(test_grandparent_constraint);
	RUN(test_anchor_constrains);
	RUN(test_wildcards);
	RUN(test_linkage);
	RUN(test_wrong_order);
	RUN(test_expired);
	RUN(test_wrong_anchor);
	RUN(test_forged_signature);
	RUN(test_strict);
	RUN(test_extensions);
	RUN(test_usage);
	teardown();
	return th_done("verify");
}
