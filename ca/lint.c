/* SPDX-License-Identifier: ISC */
/*
 * The pre-issuance linter: every certificate stica signs is first checked,
 * as an unsigned X509 whose TBS is complete, against RFC 5280 (sections
 * 4.1 and 4.2), RFC 5480/5758 (keys and algorithms), RFC 8226 (sections 8
 * and 9), RFC 9118 (sections 3 and 6), RFC 9060 (section 4, against every
 * CA above) and, in the atis-1000080 mode, the ATIS-1000080 v005 section
 * 6.4.1 profile.  A failing rule refuses issuance with its stable name
 * (zlint style); docs/lint.md lists every rule and its source.  After the
 * HSM has signed, ca_lint_check_signed verifies the signature and that
 * the signed TBS is byte for byte the one that was linted (anchors.md
 * section 1.3, Boulder's tbsCertIsDeterministic).
 *
 * The rules read the certificate through const accessors only and decode
 * each extension themselves: OpenSSL's cached extension flags belong to a
 * certificate that is still being built.  The issuer is a finished
 * certificate, so its cached flags and SKI serve.  The subject key is
 * judged from its bits (ca_key_facts_get, ca/spki.c), without an
 * EVP_PKEY for the EC keys STIR uses.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "ca/ca_int.h"

/* Modes a rule applies in. */
#define LM_ALL	0x3u
#define LM_ATIS	0x2u

#define REF_5280(s)	"RFC 5280 section " s
#define REF_ATIS	"ATIS-1000080 v005 section 6.4.1"

/*
 * The rule table, in evaluation order: X(id, modes, reference, what).
 * The rule's name is "e_" #id and its check is r_<id>().
 */
#define LINT_RULES(X)							\
	X(rfc5280_version_v3, LM_ALL, REF_5280("4.1.2.1"),		\
	    "the version is v3 (extensions are present)")		\
	X(rfc5280_unique_ids, LM_ALL, REF_5280("4.1.2.8"),		\
	    "no issuerUniqueID or subjectUniqueID")			\
	X(rfc5280_serial_positive, LM_ALL, REF_5280("4.1.2.2"),	\
	    "the serial number is a positive integer")			\
	X(rfc5280_serial_length, LM_ALL, REF_5280("4.1.2.2"),		\
	    "the serial number is at most 20 octets")			\
	X(stica_serial_entropy, LM_ALL,					\
	    "ATIS-1000080 v005 section 6.4.1, docs/design.md",		\
	    "the serial has room for 64 random bits (at least 9 octets)") \
	X(rfc5280_sig_alg_issuer_key, LM_ALL,				\
	    "RFC 5280 section 4.1.2.3, RFC 5758 section 3.2",		\
	    "the TBS signature algorithm fits the issuer's key")	\
	X(rfc5758_sig_alg_params, LM_ALL,				\
	    "RFC 5758 section 3.2, RFC 4055 section 5",			\
	    "ECDSA parameters absent, RSA parameters NULL")		\
	X(rfc5280_issuer_name, LM_ALL, REF_5280("4.1.2.4"),		\
	    "the issuer name is the issuer's subject, DER for DER")	\
	X(rfc5280_issuer_is_ca, LM_ALL,					\
	    "RFC 5280 sections 4.2.1.3 and 4.2.1.9",			\
	    "the issuer is a CA (cA TRUE, keyCertSign)")		\
	X(rfc5280_validity_encoding, LM_ALL, REF_5280("4.1.2.5"),	\
	    "UTCTime through 2049, GeneralizedTime from 2050, Zulu, "	\
	    "seconds")							\
	X(rfc5280_validity_order, LM_ALL, REF_5280("4.1.2.5"),		\
	    "notBefore is before notAfter")				\
	X(stica_validity_within_issuer, LM_ALL,				\
	    "RFC 5280 section 6.1.3 (a)(2), docs/lint.md",		\
	    "the validity lies within the issuer's")			\
	X(stica_validity_max_lifetime, LM_ALL, "issuance policy",	\
	    "notAfter - notBefore is at most the policy's lifetime")	\
	X(rfc5280_subject_empty, LM_ALL, REF_5280("4.1.2.6"),		\
	    "the subject is not empty")					\
	X(rfc5280_spki_decode, LM_ALL,					\
	    "RFC 5280 section 4.1.2.7, RFC 5480 section 2.2",		\
	    "the subject public key decodes and passes the key check")	\
	X(rfc5480_ec_named_curve, LM_ALL, "RFC 5480 section 2.1.1",	\
	    "an EC key names its curve (namedCurve)")			\
	X(stica_spki_key_type, LM_ALL,					\
	    "RFC 8226 section 4, issuance policy",			\
	    "the key is EC P-256, EC P-384 or RSA, and allowed")	\
	X(stica_rsa_key_size, LM_ALL, "NIST SP 800-57 part 1",		\
	    "an RSA modulus has at least 2048 bits")			\
	X(rfc5280_ext_duplicate, LM_ALL, REF_5280("4.2"),		\
	    "no extension appears twice")				\
	X(rfc5280_ext_decode, LM_ALL, REF_5280("4.2"),			\
	    "every standard extension decodes and is DER")		\
	X(rfc5280_ext_critical_unknown, LM_ALL, REF_5280("4.2"),	\
	    "no critical extension that relying parties cannot process") \
	X(rfc5280_ski_missing, LM_ALL, REF_5280("4.2.1.2"),		\
	    "a subjectKeyIdentifier is present")			\
	X(rfc5280_ski_critical, LM_ALL, REF_5280("4.2.1.2"),		\
	    "the subjectKeyIdentifier is non-critical")			\
	X(rfc5280_aki_missing, LM_ALL, REF_5280("4.2.1.1"),		\
	    "an authorityKeyIdentifier with a keyIdentifier is present") \
	X(rfc5280_aki_critical, LM_ALL, REF_5280("4.2.1.1"),		\
	    "the authorityKeyIdentifier is non-critical")		\
	X(rfc5280_aki_ski_match, LM_ALL,				\
	    "RFC 5280 section 4.2.1.1, RFC 9060 section 7",		\
	    "the AKI keyIdentifier is the issuer's SKI")		\
	X(rfc5280_bc_missing, LM_ALL,					\
	    "RFC 5280 section 4.2.1.9, ATIS-1000080 v005",		\
	    "basicConstraints is present")				\
	X(rfc5280_bc_critical, LM_ALL,					\
	    "RFC 5280 section 4.2.1.9, ATIS-1000080 v005",		\
	    "basicConstraints is critical")				\
	X(rfc5280_bc_ca, LM_ALL, REF_5280("4.2.1.9"),			\
	    "cA is TRUE exactly for a CA certificate")			\
	X(rfc5280_bc_pathlen_ee, LM_ALL, REF_5280("4.2.1.9"),		\
	    "pathLenConstraint only when cA is TRUE")			\
	X(rfc5280_bc_pathlen_issuer, LM_ALL,				\
	    "RFC 5280 sections 4.2.1.9 and 6.1.4 (l), (m)",		\
	    "the CAs above leave room for this CA and its pathLen")	\
	X(rfc5280_ku_missing, LM_ALL,					\
	    "RFC 5280 section 4.2.1.3, ATIS-1000080 v005",		\
	    "keyUsage is present")					\
	X(rfc5280_ku_critical, LM_ALL,					\
	    "RFC 5280 section 4.2.1.3, ATIS-1000080 v005",		\
	    "keyUsage is critical")					\
	X(rfc5280_ku_ca, LM_ALL, REF_5280("4.2.1.3"),			\
	    "a CA has keyCertSign and nothing but keyCertSign, cRLSign") \
	X(rfc5280_ku_ee, LM_ALL, REF_5280("4.2.1.3"),			\
	    "an end entity has digitalSignature, no keyCertSign/cRLSign") \
	X(rfc8226_tnauthlist_missing, LM_ALL,				\
	    "RFC 8226 section 9, RFC 9060 section 4",			\
	    "a TNAuthList is present where the profile needs one")	\
	X(rfc8226_tnauthlist_critical, LM_ALL, "RFC 8226 section 9",	\
	    "the TNAuthList is non-critical")				\
	X(rfc8226_tnauthlist_decode, LM_ALL,				\
	    "RFC 8226 section 9 and Appendix A",			\
	    "the TNAuthList decodes strictly")				\
	X(rfc8226_jwtclaims_ca, LM_ALL, "RFC 8226 section 8",		\
	    "JWTClaimConstraints only in end-entity certificates")	\
	X(rfc8226_jwtclaims_critical, LM_ALL, "RFC 8226 section 8",	\
	    "JWTClaimConstraints is non-critical")			\
	X(rfc8226_jwtclaims_decode, LM_ALL,				\
	    "RFC 8226 section 8 and Appendix A",			\
	    "JWTClaimConstraints decodes strictly")			\
	X(rfc9118_ejwtclaims_ca, LM_ALL, "RFC 9118 section 3",		\
	    "EnhancedJWTClaimConstraints only in end-entity "		\
	    "certificates")						\
	X(rfc9118_ejwtclaims_critical, LM_ALL, "RFC 9118 section 3",	\
	    "EnhancedJWTClaimConstraints is non-critical")		\
	X(rfc9118_ejwtclaims_decode, LM_ALL,				\
	    "RFC 9118 section 3 and Appendix A",			\
	    "EnhancedJWTClaimConstraints decodes strictly")		\
	X(rfc9118_claims_both, LM_ALL, "RFC 9118 section 6",		\
	    "not both claim-constraint extensions")			\
	X(rfc9060_kind_entries, LM_ALL,					\
	    "RFC 9060 section 4, docs/design.md",			\
	    "the TNAuthList holds only what the kind allows")		\
	X(stica_max_entries, LM_ALL, "issuance policy",		\
	    "the TNAuthList has at most the policy's number of entries") \
	X(rfc9060_encompassed, LM_ALL,					\
	    "RFC 9060 section 4, RFC 8226 section 9",			\
	    "every CA above with a TNAuthList encompasses this one")	\
	X(atis_sig_alg, LM_ATIS, REF_ATIS,				\
	    "the signature algorithm is ecdsa-with-SHA256")		\
	X(atis_spki_p256, LM_ATIS, REF_ATIS,				\
	    "the key is id-ecPublicKey on P-256")			\
	X(atis_subject_dn, LM_ATIS, REF_ATIS,				\
	    "the subject has one C (two letters), one O and one CN")	\
	X(atis_tnauthlist_ca, LM_ATIS, REF_ATIS,			\
	    "root and intermediate certificates have no TNAuthList")	\
	X(atis_tnauthlist_ee, LM_ATIS, REF_ATIS,			\
	    "an end entity's TNAuthList is one SPC of digits and "	\
	    "upper-case letters")					\
	X(atis_ca_cn, LM_ATIS, REF_ATIS,				\
	    "a CA's CN includes SHAKEN, a root's also ROOT")		\
	X(atis_ee_cn, LM_ATIS, REF_ATIS,				\
	    "an end entity's CN is \"SHAKEN \" and the SPC")		\
	X(atis_ku_ca, LM_ATIS, REF_ATIS,				\
	    "a CA's keyUsage is keyCertSign alone")			\
	X(atis_ku_ee, LM_ATIS, REF_ATIS,				\
	    "an end entity's keyUsage is digitalSignature alone")	\
	X(atis_cp, LM_ATIS, REF_ATIS,					\
	    "intermediate and end entity: one certificate policy OID")	\
	X(atis_cp_root, LM_ATIS, REF_ATIS,				\
	    "a root has no certificatePolicies")			\
	X(atis_crldp, LM_ATIS, REF_ATIS,				\
	    "intermediate and end entity: one DistributionPoint, an "	\
	    "HTTP URI and a cRLIssuer")					\
	X(atis_crldp_root, LM_ATIS, REF_ATIS,				\
	    "a root has no cRLDistributionPoints")			\
	X(atis_ext_allowed, LM_ATIS, "ATIS-1000080 v005 section 6.4.1.1", \
	    "only KU, BC, CP, SKI, AKI, CRLDP and TNAuthList")		\
	X(atis_ext_critical, LM_ATIS, REF_ATIS,				\
	    "only basicConstraints and keyUsage are critical")		\
	X(atis_ski_method1, LM_ATIS,					\
	    "ATIS-1000080 v005 section 6.4.1, RFC 5280 section 4.2.1.2", \
	    "the SKI is the SHA-1 of the subjectPublicKey bits")

enum lint_id {
#define X(id, m, ref, what) LR_##id,
	LINT_RULES(X)
#undef X
	LR__MAX
};

static const struct ca_lint_rule lint_rules[LR__MAX] = {
#define X(id, m, ref, what) { "e_" #id, ref, what },
	LINT_RULES(X)
#undef X
};

static const unsigned lint_modes[LR__MAX] = {
#define X(id, m, ref, what) m,
	LINT_RULES(X)
#undef X
};

/* An extension of the certificate, found and (when standard) decoded. */
struct lint_ext {
	int	 idx;	/* index in the certificate, -1 when absent */
	int	 crit;	/* criticality when present */
	void	*val;	/* decoded value; NULL: absent or undecodable */
};

struct lint_state {
	const X509			*x;
	const struct ca_lint_ctx	*ctx;
	const X509			*iss;	/* the issuer (x for a root) */
	bool				 root;
	bool				 atis;
	struct ca_key_facts		 kf;	/* the subject key */
	struct lint_ext			 bc, ku, ski, aki, cp, crldp;
	struct lint_ext			 tnl, jwt, ejwt;
	const ASN1_OCTET_STRING		*iss_ski;	/* the issuer's SKI */
	ASN1_OCTET_STRING		*own_ski;	/* a root's, owned */
	struct ca_tnauth		*tn;	/* NULL: absent or bad */
	struct ca_scope			*scope;
	struct st_err			 tn_err;
	int				 nid_tnl, nid_jwt, nid_ejwt;
	/* reporting */
	bool				 all;
	void				(*cb)(void *,
					    const struct ca_lint_rule *,
					    const char *);
	void				*cb_arg;
	size_t				 nfail;
	struct st_err			*e;
};

const struct ca_lint_rule *
ca_lint_rules(size_t *n)
{
	if (n != NULL)
		*n = LR__MAX;
	return lint_rules;
}

/*
 * Record a failure of rule id: "lint <name>: <ref>: <problem>".  The
 * first failure goes to e; every one goes to the callback.  Returns 1
 * (failed) so that rules can "return lint_fail(...)".
 */
static int
lint_fail(struct lint_state *s, enum lint_id id, const char *fmt, ...)
    ST_PRINTF(3, 4);

static int
lint_fail(struct lint_state *s, enum lint_id id, const char *fmt, ...)
{
	const struct ca_lint_rule	*r = &lint_rules[id];
	char				 problem[ST_ERR_MSGSZ];
	char				 msg[2 * ST_ERR_MSGSZ];
	va_list				 ap;

	va_start(ap, fmt);
	(void)vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	(void)snprintf(msg, sizeof(msg), "lint %s: %s: %s", r->name, r->ref,
	    problem);
	if (s->nfail == 0)
		(void)st_err_set(s->e, ST_E_LINT, "%s", msg);
	s->nfail++;
	if (s->cb != NULL)
		s->cb(s->cb_arg, r, msg);
	return 1;
}

/* A name in RFC 2253 form for messages, cut to fit buf. */
static const char *
name_str(const X509_NAME *n, char *buf, size_t bufsz)
{
	BIO	*b;
	int	 len;

	buf[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return buf;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_read(b, buf, (int)bufsz - 1)) > 0)
		buf[len] = '\0';
	BIO_free(b);
	if (buf[0] == '\0')
		(void)snprintf(buf, bufsz, "empty name");
	return buf;
}

/* Bytes as colon-separated hex for messages, cut to 32 bytes. */
static const char *
hex_str(const unsigned char *p, size_t len, char *buf, size_t bufsz)
{
	size_t	i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < len && i < 32 && n + 4 < bufsz; i++)
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%02x",
		    i > 0 ? ":" : "", p[i]);
	if (i < len && n + 4 < bufsz)
		(void)snprintf(buf + n, bufsz - n, "...");
	return buf;
}

/* An object as its short name or dotted form. */
static const char *
obj_str(const ASN1_OBJECT *o, char *buf, size_t bufsz)
{
	if (o == NULL || OBJ_obj2txt(buf, (int)bufsz, o, 0) <= 0)
		(void)snprintf(buf, bufsz, "(none)");
	return buf;
}

/*
 * Find extension nid in x and decode it when OpenSSL knows its syntax.
 * A duplicate leaves val NULL (e_rfc5280_ext_duplicate reports it).
 * The caller clears OpenSSL's error queue afterwards.
 */
static void
ext_find(const X509 *x, int nid, bool decode, struct lint_ext *le)
{
	X509_EXTENSION	*ext;
	int		 crit = -1;

	le->idx = X509_get_ext_by_NID(x, nid, -1);
	le->crit = 0;
	le->val = NULL;
	if (le->idx < 0)
		return;
	ext = X509_get_ext(x, le->idx);
	le->crit = X509_EXTENSION_get_critical(ext);
	if (decode)
		le->val = X509_get_ext_d2i(x, nid, &crit, NULL);
}

/* The data of present extension le of x. */
static const ASN1_OCTET_STRING *
ext_data(const X509 *x, const struct lint_ext *le)
{
	return X509_EXTENSION_get_data(X509_get_ext(x, le->idx));
}

/*
 * The issuer's key type as CA_KEY_* bits (0 for anything else), from the
 * EVP_PKEY OpenSSL decoded when it parsed the issuer certificate.
 */
static unsigned
key_type(const EVP_PKEY *pk, char *desc, size_t descsz)
{
	char	group[64];

	(void)snprintf(desc, descsz, "unknown key type");
	if (pk == NULL)
		return 0;
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group),
		    NULL) != 1)
			(void)snprintf(group, sizeof(group), "unnamed curve");
		(void)snprintf(desc, descsz, "EC %.48s", group);
		if (strcmp(group, SN_X9_62_prime256v1) == 0)
			return CA_KEY_EC_P256;
		if (strcmp(group, SN_secp384r1) == 0)
			return CA_KEY_EC_P384;
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "RSA")) {
		(void)snprintf(desc, descsz, "RSA %d bits",
		    EVP_PKEY_get_bits(pk));
		return CA_KEY_RSA;
	}
	(void)snprintf(desc, descsz, "%s", EVP_PKEY_get0_type_name(pk) !=
	    NULL ? EVP_PKEY_get0_type_name(pk) : "unknown key type");
	return 0;
}

/*
 * key_type of a decoded issuer key, read from its AlgorithmIdentifier
 * when that settles it (id-ecPublicKey with a namedCurve, rsaEncryption:
 * what the decoder made of them), which spares the provider queries.
 */
static unsigned
issuer_key_type(const X509 *iss, const EVP_PKEY *ik, char *desc,
    size_t descsz)
{
	ASN1_OBJECT	*aobj = NULL;
	X509_ALGOR	*palg = NULL;
	const void	*pval = NULL;
	int		 ptype = V_ASN1_UNDEF, nid, cnid;

	if (X509_PUBKEY_get0_param(&aobj, NULL, NULL, &palg,
	    X509_get_X509_PUBKEY(iss)) != 1)
		return key_type(ik, desc, descsz);
	nid = OBJ_obj2nid(aobj);
	if (nid == NID_X9_62_id_ecPublicKey && palg != NULL) {
		X509_ALGOR_get0(NULL, &ptype, &pval, palg);
		cnid = ptype == V_ASN1_OBJECT ? OBJ_obj2nid(pval) : NID_undef;
		if (cnid == NID_X9_62_prime256v1 || cnid == NID_secp384r1) {
			(void)snprintf(desc, descsz, "EC %s", OBJ_nid2sn(cnid));
			return cnid == NID_X9_62_prime256v1 ? CA_KEY_EC_P256 :
			    CA_KEY_EC_P384;
		}
	}
	return key_type(ik, desc, descsz);
}

/* Content octets of the DER encoding of an INTEGER; 0 on error. */
static size_t
integer_octets(const ASN1_INTEGER *a)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	long			 clen;
	int			 len, tag, cls;
	size_t			 n = 0;

	if ((len = i2d_ASN1_INTEGER(a, &der)) <= 0)
		return 0;
	p = der;
	if (!(ASN1_get_object(&p, &clen, &tag, &cls, len) & 0x80))
		n = (size_t)clen;
	OPENSSL_free(der);
	return n;
}

/* The serial as hex for messages (at most 48 digits). */
static const char *
serial_str(const ASN1_INTEGER *sn, char *buf, size_t bufsz)
{
	BIGNUM	*bn;
	char	*h;

	(void)snprintf(buf, bufsz, "?");
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		return buf;
	if ((h = BN_bn2hex(bn)) != NULL) {
		(void)snprintf(buf, bufsz, "%.48s%s", h,
		    strlen(h) > 48 ? "..." : "");
		OPENSSL_free(h);
	}
	BN_free(bn);
	return buf;
}

/* Case-insensitive substring search (strcasestr is a GNU extension). */
static bool
has_ci(const char *s, const char *sub)
{
	size_t	i, j, n = strlen(sub);

	for (i = 0; s[i] != '\0'; i++) {
		for (j = 0; j < n && s[i + j] != '\0'; j++)
			if (tolower((unsigned char)s[i + j]) !=
			    tolower((unsigned char)sub[j]))
				break;
		if (j == n)
			return true;
	}
	return n == 0;
}

/*
 * The single value of attribute nid in name, copied into buf as UTF-8;
 * returns how many times the attribute occurs.
 */
static int
name_attr(const X509_NAME *n, int nid, char *buf, size_t bufsz)
{
	const ASN1_STRING	*v;
	unsigned char		*u = NULL;
	int			 i = -1, count = 0, len;

	buf[0] = '\0';
	while ((i = X509_NAME_get_index_by_NID(n, nid, i)) >= 0) {
		if (count++ > 0)
			continue;
		v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
		if ((len = ASN1_STRING_to_UTF8(&u, v)) >= 0) {
			(void)snprintf(buf, bufsz, "%.*s", len, (char *)u);
			if (memchr(u, '\0', (size_t)len) != NULL)
				buf[0] = '\0';
			OPENSSL_free(u);
			u = NULL;
		}
	}
	return count;
}

/* keyUsage bits 0..8 as a mask. */
static unsigned
ku_mask(const ASN1_BIT_STRING *ku)
{
	unsigned	m = 0;
	int		i;

	for (i = 0; i < 9; i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			m |= 1u << i;
	/* Bits beyond decipherOnly have no meaning; keep them visible. */
	for (i = 9; i < ASN1_STRING_length(ku) * 8; i++)
		if (ASN1_BIT_STRING_get_bit(ku, i))
			m |= 1u << 9;
	return m;
}

#define KU_DS	(1u << 0)
#define KU_KCS	(1u << 5)
#define KU_CRL	(1u << 6)

/* keyUsage bits by name for messages. */
static const char *
ku_str(unsigned m, char *buf, size_t bufsz)
{
	static const char *const names[] = { "digitalSignature",
		"nonRepudiation", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly",
		"decipherOnly", "unnamed bits" };
	size_t	n = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < 10; i++) {
		if (!(m & (1u << i)) || n + 2 >= bufsz)
			continue;
		n += (size_t)snprintf(buf + n, bufsz - n, "%s%s",
		    n > 0 ? ", " : "", names[i]);
	}
	if (n == 0)
		(void)snprintf(buf, bufsz, "no bits");
	return buf;
}

/* ------------------------------------------------------------------ */
/* RFC 5280 section 4.1: the TBS fields                               */

/* Section 4.1.2.1: "When extensions are used ... version MUST be 3". */
static int
r_rfc5280_version_v3(struct lint_state *s)
{
	long	v = X509_get_version(s->x);

	if (v != X509_VERSION_3)
		return lint_fail(s, LR_rfc5280_version_v3, "the version "
		    "must be v3 (v%ld)", v + 1);
	return 0;
}

/* Section 4.1.2.8: conforming CAs "MUST NOT generate" unique IDs. */
static int
r_rfc5280_unique_ids(struct lint_state *s)
{
	const ASN1_BIT_STRING	*iu = NULL, *su = NULL;

	X509_get0_uids(s->x, &iu, &su);
	if (iu != NULL || su != NULL)
		return lint_fail(s, LR_rfc5280_unique_ids, "the certificate "
		    "carries %s", iu != NULL ? "an issuerUniqueID" :
		    "a subjectUniqueID");
	return 0;
}

/* Section 4.1.2.2: "The serial number MUST be a positive integer". */
static int
r_rfc5280_serial_positive(struct lint_state *s)
{
	const ASN1_INTEGER	*sn = X509_get0_serialNumber(s->x);
	BIGNUM			*bn;
	char			 buf[64];
	int			 bad;

	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		return lint_fail(s, LR_rfc5280_serial_positive, "the serial "
		    "number does not decode");
	bad = BN_is_zero(bn) || BN_is_negative(bn);
	BN_free(bn);
	if (bad)
		return lint_fail(s, LR_rfc5280_serial_positive, "the serial "
		    "number must be positive (%s)", serial_str(sn, buf,
		    sizeof(buf)));
	return 0;
}

/* Section 4.1.2.2: "no longer than 20 octets". */
static int
r_rfc5280_serial_length(struct lint_state *s)
{
	const ASN1_INTEGER	*sn = X509_get0_serialNumber(s->x);
	size_t			 n = integer_octets(sn);
	char			 buf[64];

	if (n == 0 || n > 20)
		return lint_fail(s, LR_rfc5280_serial_length, "the serial "
		    "number must be at most 20 octets (%zu octets, %s)", n,
		    serial_str(sn, buf, sizeof(buf)));
	return 0;
}

/*
 * ATIS-1000080 v005: "at least 64 bits of output from a CSPRNG"; the
 * design asks the same.  A positive DER INTEGER of 8 content octets holds
 * at most 63 bits, so at least 9 octets are required (docs/lint.md).
 */
static int
r_stica_serial_entropy(struct lint_state *s)
{
	const ASN1_INTEGER	*sn = X509_get0_serialNumber(s->x);
	size_t			 n = integer_octets(sn);
	BIGNUM			*bn;
	char			 buf[64];
	bool			 positive;

	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		return 0;	/* e_rfc5280_serial_positive */
	positive = !BN_is_zero(bn) && !BN_is_negative(bn);
	BN_free(bn);
	if (!positive || n == 0)
		return 0;
	if (n < 9)
		return lint_fail(s, LR_stica_serial_entropy, "the serial "
		    "number must have at least 9 octets to carry 64 random "
		    "bits (%zu octets, %s)", n, serial_str(sn, buf,
		    sizeof(buf)));
	return 0;
}

/*
 * Section 4.1.2.3 and RFC 5758 section 3.2: the algorithm the issuer's
 * key produces: ecdsa-with-SHA256 for P-256, ecdsa-with-SHA384 for P-384,
 * sha256/384/512WithRSAEncryption for RSA.  A root built from its key's
 * bits (ca_spki_copy, as a key ceremony builds it) holds no decoded key:
 * its own key is then the subject key, judged from its bits.
 */
static int
r_rfc5280_sig_alg_issuer_key(struct lint_state *s)
{
	const ASN1_OBJECT	*obj;
	const X509_ALGOR	*alg = X509_get0_tbs_sigalg(s->x);
	EVP_PKEY		*ik = X509_get0_pubkey(s->iss);
	char			 kd[64], ob[80];
	unsigned		 kt;
	int			 nid;

	ERR_clear_error();
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	nid = OBJ_obj2nid(obj);
	(void)obj_str(obj, ob, sizeof(ob));
	if (ik == NULL && !(s->root && s->kf.decodes))
		return lint_fail(s, LR_rfc5280_sig_alg_issuer_key, "the "
		    "issuer's public key does not decode (%s)", ob);
	if (ik == NULL) {
		kt = s->kf.type;
		(void)snprintf(kd, sizeof(kd), "%s", s->kf.desc);
	} else
		kt = issuer_key_type(s->iss, ik, kd, sizeof(kd));
	if (kt == CA_KEY_EC_P256 && nid == NID_ecdsa_with_SHA256)
		return 0;
	if (kt == CA_KEY_EC_P384 && nid == NID_ecdsa_with_SHA384)
		return 0;
	if (kt == CA_KEY_RSA && (nid == NID_sha256WithRSAEncryption ||
	    nid == NID_sha384WithRSAEncryption ||
	    nid == NID_sha512WithRSAEncryption))
		return 0;
	if (kt == 0)
		return lint_fail(s, LR_rfc5280_sig_alg_issuer_key, "the "
		    "issuer's key type is not supported (%s)", kd);
	return lint_fail(s, LR_rfc5280_sig_alg_issuer_key, "the signature "
	    "algorithm %s does not fit the issuer's %s key (expected %s)", ob,
	    kd, kt == CA_KEY_EC_P256 ? "ecdsa-with-SHA256" :
	    kt == CA_KEY_EC_P384 ? "ecdsa-with-SHA384" :
	    "sha256/384/512WithRSAEncryption");
}

/*
 * RFC 5758 section 3.2: ecdsa-with-SHA* "MUST omit the parameters field";
 * RFC 4055 section 5 / RFC 3279: sha*WithRSAEncryption carries NULL.
 */
static int
r_rfc5758_sig_alg_params(struct lint_state *s)
{
	const ASN1_OBJECT	*obj;
	const X509_ALGOR	*alg = X509_get0_tbs_sigalg(s->x);
	const void		*pval;
	int			 ptype, nid;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if ((nid == NID_ecdsa_with_SHA256 || nid == NID_ecdsa_with_SHA384 ||
	    nid == NID_ecdsa_with_SHA512) && ptype != V_ASN1_UNDEF)
		return lint_fail(s, LR_rfc5758_sig_alg_params, "ECDSA "
		    "signature algorithm identifiers must omit the parameters "
		    "(parameters of ASN.1 type %d)", ptype);
	if ((nid == NID_sha256WithRSAEncryption ||
	    nid == NID_sha384WithRSAEncryption ||
	    nid == NID_sha512WithRSAEncryption) && ptype != V_ASN1_NULL)
		return lint_fail(s, LR_rfc5758_sig_alg_params, "RSA PKCS#1 "
		    "v1.5 signature algorithm identifiers carry NULL "
		    "parameters (%s)", ptype == V_ASN1_UNDEF ? "absent" :
		    "not NULL");
	return 0;
}

/*
 * Section 4.1.2.4 and section 6.1.3 (a)(4): the issuer field is the
 * issuing certificate's subject; compared as DER, since verifiers that
 * compare bytes are common.  A root names itself.
 */
static int
r_rfc5280_issuer_name(struct lint_state *s)
{
	const X509_NAME		*in = X509_get_issuer_name(s->x);
	const X509_NAME		*want = X509_get_subject_name(s->iss);
	const unsigned char	*a, *b;
	size_t			 al, bl;
	char			 n1[160], n2[160];

	if (X509_NAME_get0_der(in, &a, &al) != 1 ||
	    X509_NAME_get0_der(want, &b, &bl) != 1) {
		ERR_clear_error();
		return lint_fail(s, LR_rfc5280_issuer_name, "a name does not "
		    "encode");
	}
	if (al != bl || memcmp(a, b, al) != 0)
		return lint_fail(s, LR_rfc5280_issuer_name, "the issuer name "
		    "must equal the %s subject, DER for DER (issuer %s, "
		    "expected %s)", s->root ? "certificate's own" :
		    "issuing certificate's", name_str(in, n1, sizeof(n1)),
		    name_str(want, n2, sizeof(n2)));
	return 0;
}

/*
 * Sections 4.2.1.9 and 4.2.1.3: only a certificate with cA TRUE and, when
 * keyUsage is present, keyCertSign may issue certificates.
 */
static int
r_rfc5280_issuer_is_ca(struct lint_state *s)
{
	X509		*iss = (X509 *)(uintptr_t)s->iss;
	uint32_t	 fl;
	int		 bad = 0;

	if (s->root)
		return 0;
	/*
	 * The issuer is a finished certificate, so OpenSSL's cached reading
	 * of its extensions serves (X509_get_ext_d2i's rules: a duplicate
	 * or a bad encoding counts as absent and as invalid).
	 */
	fl = X509_get_extension_flags(iss);
	if ((fl & EXFLAG_BCONS) == 0 || (fl & EXFLAG_CA) == 0)
		bad = 1;
	else if ((fl & EXFLAG_KUSAGE) != 0 ?
	    (X509_get_key_usage(iss) & KU_KEY_CERT_SIGN) == 0 :
	    X509_get_ext_by_NID(iss, NID_key_usage, -1) >= 0)
		bad = 2;
	ERR_clear_error();
	if (bad == 1)
		return lint_fail(s, LR_rfc5280_issuer_is_ca, "the issuer is "
		    "not a CA certificate (no basicConstraints cA TRUE)");
	if (bad == 2)
		return lint_fail(s, LR_rfc5280_issuer_is_ca, "the issuer's "
		    "keyUsage does not allow keyCertSign");
	return 0;
}

/*
 * One validity date: UTCTime YYMMDDHHMMSSZ for years through 2049,
 * GeneralizedTime YYYYMMDDHHMMSSZ from 2050 (section 4.1.2.5).  Fills
 * what with the problem and returns false.
 */
static bool
time_ok(const ASN1_TIME *t, char *what, size_t whatsz)
{
	const unsigned char	*p = ASN1_STRING_get0_data(t);
	struct tm		 tm;
	int			 len = ASN1_STRING_length(t), type, i, want;

	type = ASN1_STRING_type(t);
	want = type == V_ASN1_UTCTIME ? 13 : 15;
	if (type != V_ASN1_UTCTIME && type != V_ASN1_GENERALIZEDTIME) {
		(void)snprintf(what, whatsz, "neither UTCTime nor "
		    "GeneralizedTime");
		return false;
	}
	for (i = 0; i < len && i < want - 1; i++)
		if (!isdigit(p[i]))
			break;
	if (len != want || i != want - 1 || p[want - 1] != 'Z' ||
	    ASN1_TIME_to_tm(t, &tm) != 1) {
		(void)snprintf(what, whatsz, "%s \"%.*s\" is not of the form "
		    "%sZ", type == V_ASN1_UTCTIME ? "UTCTime" :
		    "GeneralizedTime", len > 24 ? 24 : len, (const char *)p,
		    type == V_ASN1_UTCTIME ? "YYMMDDHHMMSS" : "YYYYMMDDHHMMSS");
		ERR_clear_error();
		return false;
	}
	if (type == V_ASN1_GENERALIZEDTIME && tm.tm_year + 1900 < 2050) {
		(void)snprintf(what, whatsz, "GeneralizedTime %.15s is before "
		    "2050, where UTCTime is required", (const char *)p);
		return false;
	}
	return true;
}

/* Section 4.1.2.5 (and 4.1.2.5.1, 4.1.2.5.2): the two time encodings. */
static int
r_rfc5280_validity_encoding(struct lint_state *s)
{
	char	what[128];

	if (!time_ok(X509_get0_notBefore(s->x), what, sizeof(what)))
		return lint_fail(s, LR_rfc5280_validity_encoding,
		    "notBefore: %s", what);
	if (!time_ok(X509_get0_notAfter(s->x), what, sizeof(what)))
		return lint_fail(s, LR_rfc5280_validity_encoding,
		    "notAfter: %s", what);
	return 0;
}

/* A time as "YYYY-MM-DD HH:MM:SSZ" for messages. */
static const char *
time_str(const ASN1_TIME *t, char *buf, size_t bufsz)
{
	struct tm	tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		(void)snprintf(buf, bufsz, "invalid time");
	} else
		(void)snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	return buf;
}

/* Section 4.1.2.5: the period runs from notBefore to notAfter. */
static int
r_rfc5280_validity_order(struct lint_state *s)
{
	const ASN1_TIME	*nb = X509_get0_notBefore(s->x);
	const ASN1_TIME	*na = X509_get0_notAfter(s->x);
	char		 b1[80], b2[80];
	int		 c;

	c = ASN1_TIME_compare(nb, na);
	ERR_clear_error();
	if (c != -1)
		return lint_fail(s, LR_rfc5280_validity_order, "notBefore "
		    "must be before notAfter (%s, %s)", time_str(nb, b1,
		    sizeof(b1)), time_str(na, b2, sizeof(b2)));
	return 0;
}

/*
 * A certificate that outlives its issuer stops validating with it (RFC
 * 5280 section 6.1.3 (a)(2) checks every certificate of the path at one
 * time), and one that starts earlier claims authority the issuer did not
 * have yet.
 */
static int
r_stica_validity_within_issuer(struct lint_state *s)
{
	char	b1[80], b2[80];

	if (s->root)
		return 0;
	if (ASN1_TIME_compare(X509_get0_notBefore(s->x),
	    X509_get0_notBefore(s->iss)) < 0)
		return lint_fail(s, LR_stica_validity_within_issuer,
		    "notBefore %s is before the issuer's notBefore %s",
		    time_str(X509_get0_notBefore(s->x), b1, sizeof(b1)),
		    time_str(X509_get0_notBefore(s->iss), b2, sizeof(b2)));
	if (ASN1_TIME_compare(X509_get0_notAfter(s->x),
	    X509_get0_notAfter(s->iss)) > 0)
		return lint_fail(s, LR_stica_validity_within_issuer,
		    "notAfter %s is after the issuer's notAfter %s",
		    time_str(X509_get0_notAfter(s->x), b1, sizeof(b1)),
		    time_str(X509_get0_notAfter(s->iss), b2, sizeof(b2)));
	ERR_clear_error();
	return 0;
}

/* The policy's maximum lifetime: notAfter - notBefore, in seconds. */
static int
r_stica_validity_max_lifetime(struct lint_state *s)
{
	int	days = 0, secs = 0;
	int64_t	life;

	if (s->ctx->max_lifetime <= 0)
		return 0;
	if (ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(s->x),
	    X509_get0_notAfter(s->x)) != 1) {
		ERR_clear_error();
		return 0;	/* e_rfc5280_validity_encoding reports it */
	}
	life = (int64_t)days * 86400 + secs;
	if (life > s->ctx->max_lifetime)
		return lint_fail(s, LR_stica_validity_max_lifetime, "the "
		    "lifetime must be at most %" PRId64 " seconds (%" PRId64
		    " seconds)", s->ctx->max_lifetime, life);
	return 0;
}

/*
 * Section 4.1.2.6: a CA's subject "MUST" be non-empty; STIR end-entity
 * certificates carry no subjectAltName, so theirs must be too.
 */
static int
r_rfc5280_subject_empty(struct lint_state *s)
{
	if (X509_NAME_entry_count(X509_get_subject_name(s->x)) <= 0)
		return lint_fail(s, LR_rfc5280_subject_empty, "the subject "
		    "name is empty");
	return 0;
}

/*
 * Section 4.1.2.7: the subject public key decodes and is a valid key.
 * EC keys on P-256 and P-384 are judged from their bits: an uncompressed
 * point (RFC 5480 section 2.2) on the curve, which for these prime-order
 * curves is the whole public-key check; other keys go through OpenSSL's
 * decoder and EVP_PKEY_public_check (ca_key_facts_get).
 */
static int
r_rfc5280_spki_decode(struct lint_state *s)
{
	if (!s->kf.decodes)
		return lint_fail(s, LR_rfc5280_spki_decode, "the subject "
		    "public key does not decode (%s)", s->kf.why);
	if (!s->kf.valid)
		return lint_fail(s, LR_rfc5280_spki_decode, "the subject "
		    "public key fails the public-key check (%s)", s->kf.why);
	return 0;
}

/*
 * RFC 5480 section 2.1.1: "specifiedCurve ... MUST NOT be used" and
 * implicitCurve neither; the parameters are a namedCurve OID.
 */
static int
r_rfc5480_ec_named_curve(struct lint_state *s)
{
	ASN1_OBJECT		*aobj = NULL;
	X509_ALGOR		*palg = NULL;
	const void		*pval;
	int			 ptype = V_ASN1_UNDEF;

	if (X509_PUBKEY_get0_param(&aobj, NULL, NULL, &palg,
	    X509_get_X509_PUBKEY(s->x)) != 1)
		return 0;
	if (OBJ_obj2nid(aobj) != NID_X9_62_id_ecPublicKey)
		return 0;
	if (palg != NULL)
		X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype != V_ASN1_OBJECT)
		return lint_fail(s, LR_rfc5480_ec_named_curve, "the EC key "
		    "must name its curve (%s parameters)", ptype ==
		    V_ASN1_SEQUENCE ? "explicit" : ptype == V_ASN1_NULL ?
		    "implicit" : "missing");
	return 0;
}

/* RFC 8226 section 4 and the policy's key_types. */
static int
r_stica_spki_key_type(struct lint_state *s)
{
	unsigned	kt, allowed;

	if (!s->kf.decodes)
		return 0;
	allowed = s->ctx->key_types != 0 ? s->ctx->key_types : CA_KEY_ALL;
	kt = s->kf.type;
	if (kt == 0)
		return lint_fail(s, LR_stica_spki_key_type, "the subject key "
		    "must be EC P-256, EC P-384 or RSA (%s)", s->kf.desc);
	if ((kt & allowed) == 0)
		return lint_fail(s, LR_stica_spki_key_type, "the profile does "
		    "not allow this subject key type (%s; allowed:%s%s%s)",
		    s->kf.desc, allowed & CA_KEY_EC_P256 ? " EC P-256" : "",
		    allowed & CA_KEY_EC_P384 ? " EC P-384" : "",
		    allowed & CA_KEY_RSA ? " RSA" : "");
	return 0;
}

/* RSA keys of fewer than 2048 bits are too weak (NIST SP 800-57). */
static int
r_stica_rsa_key_size(struct lint_state *s)
{
	if (!s->kf.decodes || s->kf.type != CA_KEY_RSA)
		return 0;
	if (s->kf.bits < 2048)
		return lint_fail(s, LR_stica_rsa_key_size, "an RSA subject key "
		    "must have at least 2048 bits (%d bits)", s->kf.bits);
	return 0;
}

/* ------------------------------------------------------------------ */
/* RFC 5280 section 4.2: extensions                                   */

/* Section 4.2: "MUST NOT include more than one instance". */
static int
r_rfc5280_ext_duplicate(struct lint_state *s)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	const ASN1_OBJECT		*a;
	char				 ob[80];
	int				 i, j, n;

	exts = X509_get0_extensions(s->x);
	n = sk_X509_EXTENSION_num(exts);
	for (i = 0; i < n; i++) {
		a = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i));
		for (j = i + 1; j < n; j++) {
			if (OBJ_cmp(a, X509_EXTENSION_get_object(
			    sk_X509_EXTENSION_value(exts, j))) == 0)
				return lint_fail(s, LR_rfc5280_ext_duplicate,
				    "the extension %s appears more than once",
				    obj_str(a, ob, sizeof(ob)));
		}
	}
	return 0;
}

/*
 * Section 4.2: every extension whose syntax OpenSSL knows decodes, and
 * re-encodes to the same bytes (DER, X.690 section 10).  The STIR
 * extensions have their own rules below.
 */
static int
r_rfc5280_ext_decode(struct lint_state *s)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	const X509V3_EXT_METHOD		*m;
	const ASN1_OCTET_STRING		*os;
	X509_EXTENSION			*ext;
	unsigned char			*re = NULL;
	void				*v;
	char				 ob[80];
	int				 i, rl, same;

	exts = X509_get0_extensions(s->x);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		if ((m = X509V3_EXT_get(ext)) == NULL || m->it == NULL)
			continue;
		(void)obj_str(X509_EXTENSION_get_object(ext), ob, sizeof(ob));
		if ((v = X509V3_EXT_d2i(ext)) == NULL) {
			ERR_clear_error();
			return lint_fail(s, LR_rfc5280_ext_decode, "the "
			    "extension %s does not decode", ob);
		}
		rl = ASN1_item_i2d(v, &re, ASN1_ITEM_ptr(m->it));
		ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
		os = X509_EXTENSION_get_data(ext);
		same = rl > 0 && rl == ASN1_STRING_length(os) &&
		    memcmp(re, ASN1_STRING_get0_data(os), (size_t)rl) == 0;
		OPENSSL_free(re);
		re = NULL;
		ERR_clear_error();
		if (!same)
			return lint_fail(s, LR_rfc5280_ext_decode, "the "
			    "extension %s is not DER (X.690 section 10)", ob);
	}
	return 0;
}

/*
 * Section 4.2: a relying party "MUST reject the certificate if it
 * encounters a critical extension it does not recognize".  Known: what
 * OpenSSL processes, plus the extensions with their own criticality rule.
 */
static int
r_rfc5280_ext_critical_unknown(struct lint_state *s)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;
	char				 ob[80];
	int				 i, nid;

	exts = X509_get0_extensions(s->x);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_subject_key_identifier ||
		    nid == NID_authority_key_identifier ||
		    (nid != NID_undef && (nid == s->nid_tnl ||
		    nid == s->nid_jwt || nid == s->nid_ejwt)))
			continue;
		if (X509_supported_extension(ext))
			continue;
		return lint_fail(s, LR_rfc5280_ext_critical_unknown, "the "
		    "extension %s is critical, and relying parties do not "
		    "process it", obj_str(X509_EXTENSION_get_object(ext), ob,
		    sizeof(ob)));
	}
	return 0;
}

/*
 * Section 4.2.1.2: the SKI "MUST appear in all conforming CA
 * certificates" and "SHOULD be included in all end entity certificates";
 * stica requires it everywhere (ATIS-1000080 v005 does too).
 */
static int
r_rfc5280_ski_missing(struct lint_state *s)
{
	if (s->ski.idx < 0)
		return lint_fail(s, LR_rfc5280_ski_missing, "the "
		    "subjectKeyIdentifier extension is missing");
	return 0;
}

/* Section 4.2.1.2: "Conforming CAs MUST mark this extension as
 * non-critical". */
static int
r_rfc5280_ski_critical(struct lint_state *s)
{
	if (s->ski.idx >= 0 && s->ski.crit)
		return lint_fail(s, LR_rfc5280_ski_critical, "the "
		    "subjectKeyIdentifier extension must be non-critical");
	return 0;
}

/*
 * Section 4.2.1.1: "The keyIdentifier field of the authorityKeyIdentifier
 * extension MUST be included in all certificates generated by conforming
 * CAs", except self-signed ones.
 */
static int
r_rfc5280_aki_missing(struct lint_state *s)
{
	const AUTHORITY_KEYID	*aki = s->aki.val;

	if (s->root)
		return 0;
	if (s->aki.idx < 0)
		return lint_fail(s, LR_rfc5280_aki_missing, "the "
		    "authorityKeyIdentifier extension is missing");
	if (aki != NULL && aki->keyid == NULL)
		return lint_fail(s, LR_rfc5280_aki_missing, "the "
		    "authorityKeyIdentifier has no keyIdentifier");
	return 0;
}

/* Section 4.2.1.1: "Conforming CAs MUST mark this extension as
 * non-critical". */
static int
r_rfc5280_aki_critical(struct lint_state *s)
{
	if (s->aki.idx >= 0 && s->aki.crit)
		return lint_fail(s, LR_rfc5280_aki_critical, "the "
		    "authorityKeyIdentifier extension must be non-critical");
	return 0;
}

/*
 * Section 4.2.1.1 and RFC 9060 section 7: verifiers find the parent by
 * "the key identifier in the Authority Key Identifier"; it must be the
 * issuer's SKI (a root's own, when it has an AKI at all).
 */
static int
r_rfc5280_aki_ski_match(struct lint_state *s)
{
	const AUTHORITY_KEYID	*aki = s->aki.val;
	char			 h1[100], h2[100];

	if (aki == NULL || aki->keyid == NULL)
		return 0;
	if (s->iss_ski == NULL)
		return lint_fail(s, LR_rfc5280_aki_ski_match, "the %s has no "
		    "subjectKeyIdentifier to match the AKI keyIdentifier %s",
		    s->root ? "certificate" : "issuer",
		    hex_str(ASN1_STRING_get0_data(aki->keyid),
		    (size_t)ASN1_STRING_length(aki->keyid), h1, sizeof(h1)));
	if (ASN1_OCTET_STRING_cmp(aki->keyid, s->iss_ski) != 0)
		return lint_fail(s, LR_rfc5280_aki_ski_match, "the AKI "
		    "keyIdentifier %s is not the %s SKI %s",
		    hex_str(ASN1_STRING_get0_data(aki->keyid),
		    (size_t)ASN1_STRING_length(aki->keyid), h1, sizeof(h1)),
		    s->root ? "certificate's own" : "issuer's",
		    hex_str(ASN1_STRING_get0_data(s->iss_ski),
		    (size_t)ASN1_STRING_length(s->iss_ski), h2, sizeof(h2)));
	return 0;
}

/*
 * Section 4.2.1.9: CA certificates "MUST include this extension"; ATIS
 * requires it in end-entity certificates too, and stica always writes it.
 */
static int
r_rfc5280_bc_missing(struct lint_state *s)
{
	if (s->bc.idx < 0)
		return lint_fail(s, LR_rfc5280_bc_missing, "the "
		    "basicConstraints extension is missing");
	return 0;
}

/* Section 4.2.1.9: "MUST mark the extension as critical" in CAs; ATIS: all. */
static int
r_rfc5280_bc_critical(struct lint_state *s)
{
	if (s->bc.idx >= 0 && !s->bc.crit)
		return lint_fail(s, LR_rfc5280_bc_critical, "the "
		    "basicConstraints extension must be critical");
	return 0;
}

/* Section 4.2.1.9: cA TRUE exactly when the profile issues a CA. */
static int
r_rfc5280_bc_ca(struct lint_state *s)
{
	const BASIC_CONSTRAINTS	*bc = s->bc.val;

	if (bc == NULL)
		return 0;
	if ((bc->ca != 0) != s->ctx->ca)
		return lint_fail(s, LR_rfc5280_bc_ca, "cA must be %s for %s "
		    "certificate (cA %s)", s->ctx->ca ? "TRUE" : "FALSE",
		    s->ctx->ca ? "a CA" : "an end-entity", bc->ca ? "TRUE" :
		    "FALSE");
	return 0;
}

/*
 * Section 4.2.1.9: "CAs MUST NOT include the pathLenConstraint field
 * unless the cA boolean is asserted".
 */
static int
r_rfc5280_bc_pathlen_ee(struct lint_state *s)
{
	const BASIC_CONSTRAINTS	*bc = s->bc.val;

	if (bc != NULL && !bc->ca && bc->pathlen != NULL)
		return lint_fail(s, LR_rfc5280_bc_pathlen_ee, "pathLen"
		    "Constraint must be absent when cA is FALSE (%ld)",
		    ASN1_INTEGER_get(bc->pathlen));
	return 0;
}

/*
 * Sections 4.2.1.9 and 6.1.4 (l), (m): a CA certificate with pathLen P
 * allows at most P further non-self-issued intermediates below it.  For a
 * new CA, every constrained CA above must have room for it, and its own
 * pathLen must not exceed what is left.
 */
static int
r_rfc5280_bc_pathlen_issuer(struct lint_state *s)
{
	const BASIC_CONSTRAINTS	*bc = s->bc.val;
	const X509		*a;
	BASIC_CONSTRAINTS	*abc;
	char			 nb[160];
	size_t			 k, n, between = 0;
	long			 own = -1, pl, room;
	int			 crit;

	if (bc != NULL && bc->pathlen != NULL) {
		own = ASN1_INTEGER_get(bc->pathlen);
		if (own < 0 || ASN1_STRING_type(bc->pathlen) ==
		    V_ASN1_NEG_INTEGER)
			return lint_fail(s, LR_rfc5280_bc_pathlen_issuer,
			    "pathLenConstraint must not be negative");
	}
	if (s->root || !s->ctx->ca)
		return 0;
	n = s->ctx->n_above > 0 ? s->ctx->n_above : 1;
	for (k = 0; k < n; k++) {
		a = s->ctx->n_above > 0 ? s->ctx->above[k] : s->ctx->issuer;
		crit = -1;
		abc = X509_get_ext_d2i(a, NID_basic_constraints, &crit, NULL);
		pl = abc != NULL && abc->pathlen != NULL ?
		    ASN1_INTEGER_get(abc->pathlen) : -1;
		BASIC_CONSTRAINTS_free(abc);
		ERR_clear_error();
		if (pl >= 0) {
			room = pl - (long)between;
			if (room < 1)
				return lint_fail(s,
				    LR_rfc5280_bc_pathlen_issuer, "%s (%s) "
				    "has pathLenConstraint %ld, which leaves "
				    "no room for another CA below it%s",
				    k == 0 ? "the issuer" : "a CA above",
				    name_str(X509_get_subject_name(a), nb,
				    sizeof(nb)), pl, k == 0 ? "" :
				    " on this path");
			if (own > room - 1)
				return lint_fail(s,
				    LR_rfc5280_bc_pathlen_issuer,
				    "pathLenConstraint %ld exceeds the %ld "
				    "that %s (%s) leaves", own, room - 1,
				    k == 0 ? "the issuer" : "a CA above",
				    name_str(X509_get_subject_name(a), nb,
				    sizeof(nb)));
		}
		/* a counts toward the CAs above it unless self-issued */
		if (X509_NAME_cmp(X509_get_subject_name(a),
		    X509_get_issuer_name(a)) != 0)
			between++;
	}
	return 0;
}

/*
 * Section 4.2.1.3: conforming CAs "MUST include this extension in
 * certificates that contain public keys that are used to validate digital
 * signatures on other public key certificates or CRLs"; stica (and ATIS)
 * require it everywhere.
 */
static int
r_rfc5280_ku_missing(struct lint_state *s)
{
	if (s->ku.idx < 0)
		return lint_fail(s, LR_rfc5280_ku_missing, "the keyUsage "
		    "extension is missing");
	return 0;
}

/* Section 4.2.1.3: "SHOULD mark this extension as critical"; stica: MUST. */
static int
r_rfc5280_ku_critical(struct lint_state *s)
{
	if (s->ku.idx >= 0 && !s->ku.crit)
		return lint_fail(s, LR_rfc5280_ku_critical, "the keyUsage "
		    "extension must be critical");
	return 0;
}

/* Section 4.2.1.3: a CA signs certificates (and CRLs), nothing else. */
static int
r_rfc5280_ku_ca(struct lint_state *s)
{
	char		buf[160];
	unsigned	m;

	if (!s->ctx->ca || s->ku.val == NULL)
		return 0;
	m = ku_mask(s->ku.val);
	if (!(m & KU_KCS))
		return lint_fail(s, LR_rfc5280_ku_ca, "a CA's keyUsage must "
		    "assert keyCertSign (%s)", ku_str(m, buf, sizeof(buf)));
	if (m & ~(KU_KCS | KU_CRL))
		return lint_fail(s, LR_rfc5280_ku_ca, "a CA's keyUsage may "
		    "assert only keyCertSign and cRLSign (%s)", ku_str(m, buf,
		    sizeof(buf)));
	return 0;
}

/*
 * Section 4.2.1.3: an end entity signs PASSporTs (digitalSignature);
 * "If the keyCertSign bit is asserted, then the cA bit ... MUST also be
 * asserted", and cRLSign belongs to CRL issuers.
 */
static int
r_rfc5280_ku_ee(struct lint_state *s)
{
	char		buf[160];
	unsigned	m;

	if (s->ctx->ca || s->ku.val == NULL)
		return 0;
	m = ku_mask(s->ku.val);
	if (!(m & KU_DS))
		return lint_fail(s, LR_rfc5280_ku_ee, "an end entity's "
		    "keyUsage must assert digitalSignature (%s)", ku_str(m,
		    buf, sizeof(buf)));
	if (m & (KU_KCS | KU_CRL))
		return lint_fail(s, LR_rfc5280_ku_ee, "an end entity's "
		    "keyUsage must not assert keyCertSign or cRLSign (%s)",
		    ku_str(m, buf, sizeof(buf)));
	return 0;
}

/* ------------------------------------------------------------------ */
/* RFC 8226, RFC 9118                                                 */

/*
 * RFC 8226 section 9 and RFC 9060 section 4: an end-entity STIR
 * certificate names its numbers in a TNAuthList; in the rfc9060 mode so
 * does every delegate CA below the root, but a key ceremony's
 * intermediate without one is a plain CA.  ATIS-1000080 forbids it in
 * CAs (e_atis_tnauthlist_ca).
 */
static int
r_rfc8226_tnauthlist_missing(struct lint_state *s)
{
	bool	need = !s->ctx->ca || (!s->atis && !s->root &&
	    !s->ctx->ceremony);

	if (need && s->tnl.idx < 0)
		return lint_fail(s, LR_rfc8226_tnauthlist_missing, "the "
		    "TNAuthList extension (%s) is missing from %s",
		    CA_OID_TNAUTHLIST, s->ctx->ca ? "a delegate CA "
		    "certificate" : "an end-entity certificate");
	return 0;
}

/* RFC 8226 section 9: "The non-critical TN Authorization List ...". */
static int
r_rfc8226_tnauthlist_critical(struct lint_state *s)
{
	if (s->tnl.idx >= 0 && s->tnl.crit)
		return lint_fail(s, LR_rfc8226_tnauthlist_critical, "the "
		    "TNAuthList extension must be non-critical");
	return 0;
}

/* RFC 8226 Appendix A and section 9, decoded by ca_tnauth_decode. */
static int
r_rfc8226_tnauthlist_decode(struct lint_state *s)
{
	if (s->tnl.idx >= 0 && s->scope == NULL)
		return lint_fail(s, LR_rfc8226_tnauthlist_decode, "%s",
		    st_err_str(&s->tn_err, ST_E_TNAUTH));
	return 0;
}

/*
 * RFC 8226 section 8, RFC 9118 section 3: "applicable only to end-entity
 * certificates".
 */
static int
claims_ca(struct lint_state *s, const struct lint_ext *le, enum lint_id id,
    const char *name)
{
	if (le->idx >= 0 && s->ctx->ca)
		return lint_fail(s, id, "%s is applicable only to end-entity "
		    "certificates", name);
	return 0;
}

/* RFC 8226 section 8 / RFC 9118 section 3: "The extension is non-critical". */
static int
claims_critical(struct lint_state *s, const struct lint_ext *le,
    enum lint_id id, const char *name)
{
	if (le->idx >= 0 && le->crit)
		return lint_fail(s, id, "%s must be non-critical", name);
	return 0;
}

/* The claim-constraint codecs' strict decoding (ca/claims.c). */
static int
claims_decode(struct lint_state *s, const struct lint_ext *le,
    enum lint_id id, bool enhanced)
{
	const ASN1_OCTET_STRING	*os;
	struct ca_claims	*c = NULL;
	struct st_err		 err = { 0 };
	int			 rc;

	if (le->idx < 0)
		return 0;
	os = ext_data(s->x, le);
	rc = ca_claims_decode(ASN1_STRING_get0_data(os),
	    (size_t)ASN1_STRING_length(os), enhanced, &c, &err);
	ca_claims_free(c);
	if (rc == ST_E_NOMEM || rc == ST_E_INTERNAL)
		return rc;
	if (rc != 0)
		return lint_fail(s, id, "%s", st_err_str(&err, rc));
	return 0;
}

static int
r_rfc8226_jwtclaims_ca(struct lint_state *s)
{
	return claims_ca(s, &s->jwt, LR_rfc8226_jwtclaims_ca,
	    "JWTClaimConstraints");
}

static int
r_rfc8226_jwtclaims_critical(struct lint_state *s)
{
	return claims_critical(s, &s->jwt, LR_rfc8226_jwtclaims_critical,
	    "JWTClaimConstraints");
}

static int
r_rfc8226_jwtclaims_decode(struct lint_state *s)
{
	return claims_decode(s, &s->jwt, LR_rfc8226_jwtclaims_decode, false);
}

static int
r_rfc9118_ejwtclaims_ca(struct lint_state *s)
{
	return claims_ca(s, &s->ejwt, LR_rfc9118_ejwtclaims_ca,
	    "EnhancedJWTClaimConstraints");
}

static int
r_rfc9118_ejwtclaims_critical(struct lint_state *s)
{
	return claims_critical(s, &s->ejwt, LR_rfc9118_ejwtclaims_critical,
	    "EnhancedJWTClaimConstraints");
}

static int
r_rfc9118_ejwtclaims_decode(struct lint_state *s)
{
	return claims_decode(s, &s->ejwt, LR_rfc9118_ejwtclaims_decode, true);
}

/* RFC 9118 section 6: the two forms "MUST NOT both appear". */
static int
r_rfc9118_claims_both(struct lint_state *s)
{
	if (s->jwt.idx >= 0 && s->ejwt.idx >= 0)
		return lint_fail(s, LR_rfc9118_claims_both, "JWTClaim"
		    "Constraints (%s) and EnhancedJWTClaimConstraints (%s) "
		    "must not both appear", CA_OID_JWTCLAIMS,
		    CA_OID_EJWTCLAIMS);
	return 0;
}

/* ------------------------------------------------------------------ */
/* RFC 9060 and the profile's kind                                    */

/*
 * The kinds of docs/design.md: an SPC certificate names SPCs only, a
 * TN-block certificate ranges and numbers, a per-TN certificate single
 * numbers.  A key ceremony's CA has no kind: its file names its entries.
 */
static int
r_rfc9060_kind_entries(struct lint_state *s)
{
	static const char *const kn[] = { "an SPC", "a TN-block",
		"a per-TN" };
	static const char *const allowed[] = { "spc: entries",
		"range: and tn: entries", "tn: entries" };
	const struct ca_tn_entry	*t;
	char				 buf[CA_TN_BUFSZ + 300];
	size_t				 i;
	bool				 ok;

	if (s->tn == NULL || s->ctx->ceremony)
		return 0;
	for (i = 0; i < s->tn->n; i++) {
		t = &s->tn->v[i];
		switch (s->ctx->kind) {
		case CA_KIND_SPC:
			ok = t->kind == CA_TN_SPC;
			break;
		case CA_KIND_TNBLOCK:
			ok = t->kind == CA_TN_RANGE || t->kind == CA_TN_ONE;
			break;
		default:
			ok = t->kind == CA_TN_ONE;
			break;
		}
		if (ok)
			continue;
		(void)ca_tn_entry_format(t, buf, sizeof(buf));
		return lint_fail(s, LR_rfc9060_kind_entries, "%s "
		    "certificate holds only %s (entry %zu is %s)",
		    kn[s->ctx->kind], allowed[s->ctx->kind], i + 1, buf);
	}
	return 0;
}

/* The policy's bound on the number of TNAuthList entries. */
static int
r_stica_max_entries(struct lint_state *s)
{
	if (s->tn == NULL || s->ctx->max_entries == 0)
		return 0;
	if (s->tn->n > s->ctx->max_entries)
		return lint_fail(s, LR_stica_max_entries, "the TNAuthList may "
		    "hold at most %zu entries (%zu entries)",
		    s->ctx->max_entries, s->tn->n);
	return 0;
}

/*
 * RFC 9060 section 4: the scope must be "equal to or a subset of" the
 * parent's; RFC 8226 section 9: a CA's TNAuthList "limits the set of TNs
 * for certification paths that include this certificate", so every CA
 * above that has one is checked, not just the issuer (a CA without one
 * adds no constraint).
 */
static int
r_rfc9060_encompassed(struct lint_state *s)
{
	const struct ca_scope	*ps;
	const X509		*a;
	struct ca_tnauth	*pl = NULL;
	struct ca_scope		*own = NULL;
	struct st_err		 err = { 0 }, why = { 0 };
	const char		*msg;
	char			 nb[160];
	size_t			 k, n;
	int			 r, rc = 0;

	if (s->scope == NULL || s->root)
		return 0;
	n = s->ctx->n_above > 0 ? s->ctx->n_above : 1;
	for (k = 0; k < n && rc == 0; k++) {
		a = s->ctx->n_above > 0 ? s->ctx->above[k] : s->ctx->issuer;
		ps = s->ctx->above_scopes != NULL && s->ctx->n_above > 0 ?
		    s->ctx->above_scopes[k] : NULL;
		if (ps == NULL) {
			st_err_clear(&err);
			r = ca_tnauth_from_cert(a, &pl, &err);
			if (r == ST_E_NOTFOUND)
				continue;
			if (r == 0)
				r = ca_scope_from_tnauth(pl, &own, &err);
			ca_tnauth_free(pl);
			pl = NULL;
			if (r == ST_E_NOMEM || r == ST_E_INTERNAL) {
				rc = r;
				break;
			}
			if (r != 0) {
				rc = lint_fail(s, LR_rfc9060_encompassed,
				    "the TNAuthList of %s (%s) does not "
				    "decode: %s", k == 0 ? "the issuer" :
				    "a CA above", name_str(
				    X509_get_subject_name(a), nb, sizeof(nb)),
				    st_err_str(&err, r));
				break;
			}
			ps = own;
		}
		st_err_clear(&why);
		r = ca_scope_encompasses(ps, s->scope, s->ctx->map, &why);
		ca_scope_free(own);
		own = NULL;
		if (r < 0) {
			rc = r;
			break;
		}
		if (r == 0) {
			msg = st_err_str(&why, ST_E_SCOPE);
			if (strncmp(msg, "RFC 9060 section 4: ", 20) == 0)
				msg += 20;
			rc = lint_fail(s, LR_rfc9060_encompassed, "not "
			    "encompassed by %s (%s): %s", k == 0 ?
			    "the issuer" : "a CA above", name_str(
			    X509_get_subject_name(a), nb, sizeof(nb)), msg);
		}
	}
	ca_scope_free(own);
	return rc;
}

/* ------------------------------------------------------------------ */
/* ATIS-1000080 v005 section 6.4.1                                    */

/* "Signature Algorithm field with the value "ecdsa-with-SHA256"". */
static int
r_atis_sig_alg(struct lint_state *s)
{
	const ASN1_OBJECT	*obj;
	char			 ob[80];

	X509_ALGOR_get0(&obj, NULL, NULL, X509_get0_tbs_sigalg(s->x));
	if (OBJ_obj2nid(obj) != NID_ecdsa_with_SHA256)
		return lint_fail(s, LR_atis_sig_alg, "the signature algorithm "
		    "must be ecdsa-with-SHA256 (%s)", obj_str(obj, ob,
		    sizeof(ob)));
	return 0;
}

/* ""id-ecPublicKey" and a namedCurve field containing ... P-256". */
static int
r_atis_spki_p256(struct lint_state *s)
{
	if (!s->kf.decodes)
		return 0;
	if (s->kf.type != CA_KEY_EC_P256)
		return lint_fail(s, LR_atis_spki_p256, "the subject key must "
		    "be EC P-256 (%s)", s->kf.desc);
	return 0;
}

/*
 * "shall contain a Common Name (CN=) attribute, an Organization (O=)
 * attribute, and a Country (C=) attribute"; C is ISO 3166-1 alpha-2.
 */
static int
r_atis_subject_dn(struct lint_state *s)
{
	static const struct {
		int		 nid;
		const char	*name;
	} need[] = { { NID_countryName, "C" }, { NID_organizationName, "O" },
		{ NID_commonName, "CN" } };
	const X509_NAME	*n = X509_get_subject_name(s->x);
	char		 v[128];
	size_t		 i;
	int		 c;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		c = name_attr(n, need[i].nid, v, sizeof(v));
		if (c != 1)
			return lint_fail(s, LR_atis_subject_dn, "the subject "
			    "must have exactly one %s attribute (%d)",
			    need[i].name, c);
		if (need[i].nid == NID_countryName && (strlen(v) != 2 ||
		    !isupper((unsigned char)v[0]) ||
		    !isupper((unsigned char)v[1])))
			return lint_fail(s, LR_atis_subject_dn, "C must be an "
			    "ISO 3166-1 alpha-2 code (\"%s\")", v);
	}
	return 0;
}

/* "STI root and intermediate certificates shall not contain a TNAuthList". */
static int
r_atis_tnauthlist_ca(struct lint_state *s)
{
	if (s->ctx->ca && s->tnl.idx >= 0)
		return lint_fail(s, LR_atis_tnauthlist_ca, "%s certificates "
		    "must not contain a TNAuthList", s->root ? "root" :
		    "intermediate");
	return 0;
}

/*
 * "shall contain a single SPC value. The SPC value shall contain only
 * numbers and uppercase letters. The TNAuthList shall not contain any TNs
 * or TN ranges."
 */
static int
r_atis_tnauthlist_ee(struct lint_state *s)
{
	char		buf[CA_TN_BUFSZ + 300];
	const char	*p;

	if (s->ctx->ca || s->tn == NULL)
		return 0;
	if (s->tn->n != 1 || s->tn->v[0].kind != CA_TN_SPC) {
		(void)ca_tn_entry_format(&s->tn->v[s->tn->n > 1 &&
		    s->tn->v[0].kind == CA_TN_SPC ? 1 : 0], buf, sizeof(buf));
		return lint_fail(s, LR_atis_tnauthlist_ee, "the TNAuthList "
		    "must hold exactly one SPC and no TNs or ranges (%zu "
		    "entr%s; %s)", s->tn->n, s->tn->n == 1 ? "y" : "ies", buf);
	}
	for (p = s->tn->v[0].value; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && !isupper((unsigned char)*p))
			return lint_fail(s, LR_atis_tnauthlist_ee, "the SPC "
			    "must contain only digits and upper-case letters "
			    "(\"%.64s\")", s->tn->v[0].value);
	return 0;
}

/*
 * Root and intermediate CNs "shall include the text string "SHAKEN"";
 * a root's CN includes "ROOT" (stir-facts.md section 5.1).
 */
static int
r_atis_ca_cn(struct lint_state *s)
{
	char	cn[128];

	if (!s->ctx->ca ||
	    name_attr(X509_get_subject_name(s->x), NID_commonName, cn,
	    sizeof(cn)) != 1)
		return 0;
	if (strstr(cn, "SHAKEN") == NULL)
		return lint_fail(s, LR_atis_ca_cn, "a CA's CN must include "
		    "\"SHAKEN\" (\"%s\")", cn);
	if (s->root && !has_ci(cn, "ROOT"))
		return lint_fail(s, LR_atis_ca_cn, "a root's CN must include "
		    "\"ROOT\" (\"%s\")", cn);
	return 0;
}

/*
 * "the text string `SHAKEN`, followed by a single space, followed by the
 * SPC value identified in the TNAuthList" (v005; e.g. "CN=SHAKEN 1234").
 */
static int
r_atis_ee_cn(struct lint_state *s)
{
	char	cn[128], want[300];

	if (s->ctx->ca || s->tn == NULL || s->tn->n < 1 ||
	    s->tn->v[0].kind != CA_TN_SPC ||
	    name_attr(X509_get_subject_name(s->x), NID_commonName, cn,
	    sizeof(cn)) != 1)
		return 0;
	(void)snprintf(want, sizeof(want), "SHAKEN %s", s->tn->v[0].value);
	if (strcmp(cn, want) != 0)
		return lint_fail(s, LR_atis_ee_cn, "the CN must be \"%.80s\" "
		    "(\"%s\")", want, cn);
	return 0;
}

/* Root and intermediate: "a single key usage value of keyCertSign (5)". */
static int
r_atis_ku_ca(struct lint_state *s)
{
	char		buf[160];
	unsigned	m;

	if (!s->ctx->ca || s->ku.val == NULL)
		return 0;
	m = ku_mask(s->ku.val);
	if (m != KU_KCS)
		return lint_fail(s, LR_atis_ku_ca, "a CA's keyUsage must be "
		    "keyCertSign alone (%s)", ku_str(m, buf, sizeof(buf)));
	return 0;
}

/* End entity: "a single key usage value of digitalSignature (0)". */
static int
r_atis_ku_ee(struct lint_state *s)
{
	char		buf[160];
	unsigned	m;

	if (s->ctx->ca || s->ku.val == NULL)
		return 0;
	m = ku_mask(s->ku.val);
	if (m != KU_DS)
		return lint_fail(s, LR_atis_ku_ee, "an end entity's keyUsage "
		    "must be digitalSignature alone (%s)", ku_str(m, buf,
		    sizeof(buf)));
	return 0;
}

/*
 * Intermediate and end entity: "a Certificate Policies extension
 * containing a single OID value"; v005 lets intermediates use anyPolicy,
 * an end entity names the SHAKEN policy.
 */
static int
r_atis_cp(struct lint_state *s)
{
	const CERTIFICATEPOLICIES	*cp = s->cp.val;
	const POLICYINFO		*pi;

	if (s->root)
		return 0;
	if (s->cp.idx < 0)
		return lint_fail(s, LR_atis_cp, "the certificatePolicies "
		    "extension is missing");
	if (cp == NULL)
		return 0;	/* e_rfc5280_ext_decode */
	if (sk_POLICYINFO_num(cp) != 1)
		return lint_fail(s, LR_atis_cp, "certificatePolicies must hold "
		    "a single policy OID (%d)", sk_POLICYINFO_num(cp));
	pi = sk_POLICYINFO_value(cp, 0);
	if (!s->ctx->ca && OBJ_obj2nid(pi->policyid) == NID_any_policy)
		return lint_fail(s, LR_atis_cp, "an end entity must name the "
		    "SHAKEN certificate policy, not anyPolicy");
	return 0;
}

/* "STI root certificates shall not contain a Certificate Policies
 * extension". */
static int
r_atis_cp_root(struct lint_state *s)
{
	if (s->root && s->cp.idx >= 0)
		return lint_fail(s, LR_atis_cp_root, "a root must not contain "
		    "certificatePolicies");
	return 0;
}

/* Does the GENERAL_NAME hold an http:// or https:// URI? */
static bool
gn_http_uri(const GENERAL_NAME *gn)
{
	const unsigned char	*p;
	int			 len;

	if (gn->type != GEN_URI)
		return false;
	p = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
	len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
	return (len > 7 && strncasecmp((const char *)p, "http://", 7) == 0) ||
	    (len > 8 && strncasecmp((const char *)p, "https://", 8) == 0);
}

/*
 * "a CRL Distribution Points extension containing a single
 * DistributionPoint entry ... a distributionPoint field identifying the
 * HTTP URL ... and a CRLIssuer field that matches the DN of the issuer of
 * the CRL" (v005).  The CRL issuer is the STI-PA's, which the linter
 * cannot know; it must be one non-empty directoryName (docs/lint.md).
 */
static int
r_atis_crldp(struct lint_state *s)
{
	const CRL_DIST_POINTS	*dps = s->crldp.val;
	const DIST_POINT	*dp;
	const GENERAL_NAME	*gn;

	if (s->root)
		return 0;
	if (s->crldp.idx < 0)
		return lint_fail(s, LR_atis_crldp, "the cRLDistributionPoints "
		    "extension is missing");
	if (dps == NULL)
		return 0;	/* e_rfc5280_ext_decode */
	if (sk_DIST_POINT_num(dps) != 1)
		return lint_fail(s, LR_atis_crldp, "cRLDistributionPoints must "
		    "hold a single DistributionPoint (%d)",
		    sk_DIST_POINT_num(dps));
	dp = sk_DIST_POINT_value(dps, 0);
	if (dp->distpoint == NULL || dp->distpoint->type != 0 ||
	    sk_GENERAL_NAME_num(dp->distpoint->name.fullname) != 1 ||
	    !gn_http_uri(sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
	    0)))
		return lint_fail(s, LR_atis_crldp, "the distributionPoint must "
		    "be a fullName holding one HTTP URL");
	if (dp->reasons != NULL)
		return lint_fail(s, LR_atis_crldp, "the DistributionPoint must "
		    "not limit the reasons");
	if (dp->CRLissuer == NULL || sk_GENERAL_NAME_num(dp->CRLissuer) != 1)
		return lint_fail(s, LR_atis_crldp, "the DistributionPoint must "
		    "carry a cRLIssuer with one name (%d)", dp->CRLissuer ==
		    NULL ? 0 : sk_GENERAL_NAME_num(dp->CRLissuer));
	gn = sk_GENERAL_NAME_value(dp->CRLissuer, 0);
	if (gn->type != GEN_DIRNAME || X509_NAME_entry_count(gn->d.dirn) <= 0)
		return lint_fail(s, LR_atis_crldp, "the cRLIssuer must be a "
		    "non-empty directoryName (the DN of the CRL issuer)");
	return 0;
}

/* "STI root certificates shall not contain a CRL Distribution Points
 * extension". */
static int
r_atis_crldp_root(struct lint_state *s)
{
	if (s->root && s->crldp.idx >= 0)
		return lint_fail(s, LR_atis_crldp_root, "a root must not "
		    "contain cRLDistributionPoints");
	return 0;
}

/* v005 section 6.4.1.1: "shall not include extensions that are not
 * specified". */
static int
r_atis_ext_allowed(struct lint_state *s)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	const ASN1_OBJECT		*o;
	char				 ob[80];
	int				 i, nid;

	exts = X509_get0_extensions(s->x);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		o = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i));
		nid = OBJ_obj2nid(o);
		if (nid == NID_key_usage || nid == NID_basic_constraints ||
		    nid == NID_certificate_policies ||
		    nid == NID_subject_key_identifier ||
		    nid == NID_authority_key_identifier ||
		    nid == NID_crl_distribution_points ||
		    (nid != NID_undef && nid == s->nid_tnl))
			continue;
		return lint_fail(s, LR_atis_ext_allowed, "the extension %s is "
		    "not one the profile specifies", obj_str(o, ob,
		    sizeof(ob)));
	}
	return 0;
}

/* v005 change summary: "only the BasicConstraints and Key Usage
 * extensions be marked as critical". */
static int
r_atis_ext_critical(struct lint_state *s)
{
	const STACK_OF(X509_EXTENSION)	*exts;
	X509_EXTENSION			*ext;
	char				 ob[80];
	int				 i, nid;

	exts = X509_get0_extensions(s->x);
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		ext = sk_X509_EXTENSION_value(exts, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (!X509_EXTENSION_get_critical(ext) ||
		    nid == NID_basic_constraints || nid == NID_key_usage)
			continue;
		return lint_fail(s, LR_atis_ext_critical, "only "
		    "basicConstraints and keyUsage may be critical (%s)",
		    obj_str(X509_EXTENSION_get_object(ext), ob, sizeof(ob)));
	}
	return 0;
}

/*
 * v005: the SKI "shall contain the 160-bit SHA-1 hash of the public key,
 * as described in RFC 5280" (section 4.2.1.2, method (1): the hash of the
 * subjectPublicKey BIT STRING, without tag, length and unused bits).
 */
static int
r_atis_ski_method1(struct lint_state *s)
{
	const ASN1_OCTET_STRING	*ski = s->ski.val;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 h1[100], h2[100];

	if (ski == NULL)
		return 0;
	if (X509_pubkey_digest(s->x, EVP_sha1(), md, &mdlen) != 1) {
		ERR_clear_error();
		return 0;	/* e_rfc5280_spki_decode */
	}
	if ((size_t)ASN1_STRING_length(ski) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(ski), md, mdlen) != 0)
		return lint_fail(s, LR_atis_ski_method1, "the SKI must be the "
		    "SHA-1 of the subjectPublicKey (%s, expected %s)",
		    hex_str(ASN1_STRING_get0_data(ski),
		    (size_t)ASN1_STRING_length(ski), h1, sizeof(h1)),
		    hex_str(md, mdlen, h2, sizeof(h2)));
	return 0;
}

static int (*const lint_fns[LR__MAX])(struct lint_state *) = {
#define X(id, m, ref, what) r_##id,
	LINT_RULES(X)
#undef X
};

/* ------------------------------------------------------------------ */
/* Driver                                                             */

/* Is the caller's context usable?  ST_E_USAGE with e naming the field. */
static int
lint_ctx_check(const X509 *x, const struct ca_lint_ctx *ctx,
    struct st_err *e)
{
	if (x == NULL || ctx == NULL)
		return st_err_set(e, ST_E_USAGE, "lint: no certificate or "
		    "context");
	if (ctx->mode != CA_LINT_RFC9060 && ctx->mode != CA_LINT_ATIS1000080)
		return st_err_set(e, ST_E_USAGE, "lint: unknown mode %d",
		    (int)ctx->mode);
	if (ctx->kind != CA_KIND_SPC && ctx->kind != CA_KIND_TNBLOCK &&
	    ctx->kind != CA_KIND_PERTN)
		return st_err_set(e, ST_E_USAGE, "lint: unknown kind %d",
		    (int)ctx->kind);
	if (ctx->issuer == NULL && !ctx->ca)
		return st_err_set(e, ST_E_USAGE, "lint: a self-issued "
		    "certificate (no issuer) must be a CA");
	if (ctx->ceremony && !ctx->ca)
		return st_err_set(e, ST_E_USAGE, "lint: a key ceremony's "
		    "certificate must be a CA");
	if (ctx->issuer == NULL && ctx->n_above > 0)
		return st_err_set(e, ST_E_USAGE, "lint: CAs above but no "
		    "issuer");
	if (ctx->n_above > 0 && (ctx->above == NULL ||
	    ctx->above[0] == NULL || X509_cmp(ctx->above[0], ctx->issuer) != 0))
		return st_err_set(e, ST_E_USAGE, "lint: above[0] must be the "
		    "issuer");
	if ((ctx->key_types & ~CA_KEY_ALL) != 0)
		return st_err_set(e, ST_E_USAGE, "lint: unknown key type bits "
		    "0x%x", ctx->key_types);
	return 0;
}

/* The NIDs of the STIR extensions, looked up once (OBJ_txt2nid parses). */
static int		nid_tnl = NID_undef, nid_jwt = NID_undef;
static int		nid_ejwt = NID_undef;
static pthread_once_t	nids_once = PTHREAD_ONCE_INIT;

static void
nids_init(void)
{
	ca_oids_register();
	nid_tnl = OBJ_txt2nid(CA_OID_TNAUTHLIST);
	nid_jwt = OBJ_txt2nid(CA_OID_JWTCLAIMS);
	nid_ejwt = OBJ_txt2nid(CA_OID_EJWTCLAIMS);
	ERR_clear_error();
}

/* Find and decode what several rules share. */
static int
lint_prepare(struct lint_state *s)
{
	const ASN1_OCTET_STRING	*os;
	int			 r;

	pthread_once(&nids_once, nids_init);
	s->nid_tnl = nid_tnl;
	s->nid_jwt = nid_jwt;
	s->nid_ejwt = nid_ejwt;
	if ((r = ca_key_facts_get(X509_get_X509_PUBKEY(s->x), true,
	    &s->kf)) != 0)
		return r;
	ext_find(s->x, NID_basic_constraints, true, &s->bc);
	ext_find(s->x, NID_key_usage, true, &s->ku);
	ext_find(s->x, NID_subject_key_identifier, true, &s->ski);
	ext_find(s->x, NID_authority_key_identifier, true, &s->aki);
	ext_find(s->x, NID_certificate_policies, true, &s->cp);
	ext_find(s->x, NID_crl_distribution_points, true, &s->crldp);
	ext_find(s->x, s->nid_tnl, false, &s->tnl);
	ext_find(s->x, s->nid_jwt, false, &s->jwt);
	ext_find(s->x, s->nid_ejwt, false, &s->ejwt);
	/*
	 * A root is its own issuer and still being built: its SKI is the one
	 * just decoded.  An issuer is a finished certificate: its SKI as
	 * OpenSSL decoded it once (X509_get_ext_d2i's rules, a duplicate or
	 * a bad encoding give none).
	 */
	if (s->root) {
		s->own_ski = s->ski.val != NULL ?
		    ASN1_OCTET_STRING_dup(s->ski.val) : NULL;
		s->iss_ski = s->own_ski;
	} else
		s->iss_ski = X509_get0_subject_key_id(
		    (X509 *)(uintptr_t)s->iss);
	if (s->tnl.idx >= 0) {
		os = ext_data(s->x, &s->tnl);
		r = ca_tnauth_decode(ASN1_STRING_get0_data(os),
		    (size_t)ASN1_STRING_length(os), &s->tn, &s->tn_err);
		if (r == 0 && (r = ca_scope_from_tnauth(s->tn, &s->scope,
		    &s->tn_err)) != 0) {
			ca_tnauth_free(s->tn);
			s->tn = NULL;
		}
		if (r == ST_E_NOMEM || r == ST_E_INTERNAL)
			return r;
	}
	ERR_clear_error();
	return 0;
}

static void
lint_release(struct lint_state *s)
{
	BASIC_CONSTRAINTS_free(s->bc.val);
	ASN1_BIT_STRING_free(s->ku.val);
	ASN1_OCTET_STRING_free(s->ski.val);
	AUTHORITY_KEYID_free(s->aki.val);
	CERTIFICATEPOLICIES_free(s->cp.val);
	CRL_DIST_POINTS_free(s->crldp.val);
	ASN1_OCTET_STRING_free(s->own_ski);
	ca_tnauth_free(s->tn);
	ca_scope_free(s->scope);
}

/*
 * Run the rules of ctx->mode in table order; stop at the first failure
 * unless all is set.
 */
static int
lint_run(const X509 *x, const struct ca_lint_ctx *ctx, bool all,
    void (*cb)(void *, const struct ca_lint_rule *, const char *), void *arg,
    size_t *nfail, struct st_err *e)
{
	struct lint_state	s;
	unsigned		mode;
	size_t			i;
	int			rc = ST_E_INTERNAL, r;

	if (nfail != NULL)
		*nfail = 0;
	memset(&s, 0, sizeof(s));
	if ((rc = lint_ctx_check(x, ctx, e)) != 0)
		return rc;
	s.x = x;
	s.ctx = ctx;
	s.root = ctx->issuer == NULL;
	s.iss = s.root ? x : ctx->issuer;
	s.atis = ctx->mode == CA_LINT_ATIS1000080;
	s.all = all;
	s.cb = cb;
	s.cb_arg = arg;
	s.e = e;
	if ((rc = lint_prepare(&s)) != 0)
		goto out;
	mode = s.atis ? LM_ATIS : 0x1u;
	for (i = 0; i < LR__MAX; i++) {
		if ((lint_modes[i] & mode) == 0)
			continue;
		if ((r = lint_fns[i](&s)) < 0) {
			rc = st_err_set(e, r, "lint %s: %s", lint_rules[i].name,
			    st_err_name(r));
			goto out;
		}
		if (s.nfail > 0 && !all)
			break;
	}
	rc = s.nfail > 0 ? ST_E_LINT : 0;
out:
	if (nfail != NULL)
		*nfail = s.nfail;
	ERR_clear_error();
	lint_release(&s);
	return rc;
}

int
ca_lint_cert(const X509 *x, const struct ca_lint_ctx *ctx, struct st_err *e)
{
	return lint_run(x, ctx, false, NULL, NULL, NULL, e);
}

int
ca_lint_cert_all(const X509 *x, const struct ca_lint_ctx *ctx,
    void (*cb)(void *, const struct ca_lint_rule *, const char *), void *arg,
    size_t *nfail, struct st_err *e)
{
	return lint_run(x, ctx, true, cb, arg, nfail, e);
}

/* ------------------------------------------------------------------ */
/* After signing                                                      */

/*
 * Locate the tbsCertificate TLV inside one DER Certificate that has no
 * trailing bytes.  Returns 0 with *tbs, *tbslen set, or ST_E_ASN1.
 */
static int
der_tbs(const uint8_t *der, size_t len, const uint8_t **tbs, size_t *tbslen,
    struct st_err *e)
{
	const unsigned char	*p = der, *q;
	long			 olen, tlen;
	int			 tag, cls, r;

	*tbs = NULL;
	*tbslen = 0;
	if (len > LONG_MAX)
		return st_err_set(e, ST_E_ASN1, "signed certificate: too long");
	r = ASN1_get_object(&p, &olen, &tag, &cls, (long)len);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || (size_t)(p - der) + (size_t)olen != len)
		return st_err_set(e, ST_E_ASN1, "signed certificate: RFC 5280 "
		    "section 4.1: not one DER Certificate SEQUENCE without "
		    "trailing bytes");
	q = p;
	r = ASN1_get_object(&q, &tlen, &tag, &cls, olen);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL)
		return st_err_set(e, ST_E_ASN1, "signed certificate: RFC 5280 "
		    "section 4.1: the tbsCertificate is not a SEQUENCE");
	*tbs = p;
	*tbslen = (size_t)(q - p) + (size_t)tlen;
	return 0;
}

/*
 * The post-signing checks (anchors.md section 1.3): parse, compare the
 * signed TBS bytes with the linted TBS, compare the two algorithm fields
 * (RFC 5280 section 4.1.1.2), verify the signature.
 */
int
ca_lint_check_signed(X509 *linted, const uint8_t *der, size_t len,
    EVP_PKEY *issuer_pub, struct st_err *e)
{
	const unsigned char	*p = der;
	const uint8_t		*tbs;
	const X509_ALGOR	*outer = NULL;
	const ASN1_BIT_STRING	*sig = NULL;
	unsigned char		*lt = NULL;
	X509			*sx = NULL;
	size_t			 tbslen, i;
	int			 rc = ST_E_INTERNAL, ltlen;

	if (linted == NULL || der == NULL || len == 0 || issuer_pub == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "lint: check_signed needs the "
		    "linted certificate, the DER and the issuer key");
		goto out;
	}
	if ((rc = der_tbs(der, len, &tbs, &tbslen, e)) != 0)
		goto out;
	if ((sx = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		rc = st_err_ossl(e, ST_E_ASN1, "signed certificate: RFC 5280 "
		    "section 4.1: does not decode");
		goto out;
	}
	if ((ltlen = i2d_re_X509_tbs(linted, &lt)) <= 0) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "lint: encoding the linted "
		    "TBS");
		goto out;
	}
	if ((size_t)ltlen != tbslen || memcmp(lt, tbs, tbslen) != 0) {
		for (i = 0; i < tbslen && i < (size_t)ltlen; i++)
			if (lt[i] != tbs[i])
				break;
		rc = st_err_set(e, ST_E_LINT, "lint e_stica_signed_tbs_equal: "
		    "docs/lint.md: the signed TBS differs from the linted TBS "
		    "(%zu and %d octets, first difference at offset %zu)",
		    tbslen, ltlen, i);
		goto out;
	}
	X509_get0_signature(&sig, &outer, sx);
	if (X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(sx)) != 0) {
		rc = st_err_set(e, ST_E_LINT, "lint e_stica_signed_tbs_equal: "
		    "RFC 5280 section 4.1.1.2: signatureAlgorithm differs from "
		    "the TBS signature field");
		goto out;
	}
	if (X509_verify(sx, issuer_pub) != 1) {
		rc = st_err_ossl(e, ST_E_VERIFY, "signed certificate: the "
		    "signature does not verify with the issuer's public key");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(lt);
	X509_free(sx);
	return rc;
}
