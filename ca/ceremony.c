/* SPDX-License-Identifier: ISC */
/*
 * Key ceremonies (docs/ceremony.md), in the manner of Boulder's ceremony
 * tool: one reviewed YAML file per ceremony, parsed strictly, everything
 * checked before the token is touched, keys generated inside the HSM,
 * every signature verified and every chain built before an output is
 * written, and a transcript of each step, key, certificate and CRL on the
 * transcript stream.
 *
 * Modes: root (key + self-signed root), intermediate (key, or a given
 * public key, + certificate signed by a CA key in the token; optionally
 * an RFC 9060 delegate CA with a TNAuthList), csr (key + PKCS#10 request
 * for an upstream STI-CA), key-only, crl (RFC 5280 section 5 CRL signed
 * by a CA key).
 *
 * Certificates follow RFC 5280 section 4 and the ATIS-1000080 section
 * 6.4.1 CA profile (stir-facts.md section 5.1): v3, a positive random
 * serial of 17 octets, SKI by RFC 5280 section 4.2.1.2 method (1), AKI =
 * the issuer's SKI, critical basicConstraints cA=TRUE, critical keyUsage
 * keyCertSign (+ cRLSign unless crl-sign: false), ecdsa-with-SHA256 for
 * P-256 and ecdsa-with-SHA384 for P-384 keys.  The subject public key is
 * the HSM key's SubjectPublicKeyInfo copied as it is (hsm-notes.md 4.1).
 * They are built with the issuance engine's builder (ca/build.c) and
 * linted before they are signed (docs/lint.md); CRLs are built as
 * ca/crl.c builds them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/build_int.h"
#include "ca/ca.h"
#include "ca/ca_int.h"
#include "common/config.h"
#include "common/yaml.h"
#include "hsm/hsm.h"
#include "store/store.h"

#define CER_MAXFILE	(1024 * 1024)
#define LABEL_MAX	HSM_LABEL_MAX

static const char *const type_names[] = { "root", "intermediate", "csr",
	"key-only", "crl", NULL };

/* Subject attributes in the order they are encoded (RFC 4519 names). */
enum { SUBJ_C, SUBJ_ST, SUBJ_L, SUBJ_O, SUBJ_OU, SUBJ_CN, SUBJ_SN, NSUBJ };
static const struct {
	const char	*key;
	int		 nid;
	size_t		 max;	/* RFC 5280 Appendix A upper bound */
} subj_attrs[NSUBJ] = {
	{ "country", NID_countryName, 2 },
	{ "state", NID_stateOrProvinceName, 128 },
	{ "locality", NID_localityName, 128 },
	{ "organization", NID_organizationName, 64 },
	{ "organizational-unit", NID_organizationalUnitName, 64 },
	{ "common-name", NID_commonName, 64 },
	{ "serial-number", NID_serialNumber, 64 },
};

/* RFC 5280 section 5.3.1 CRLReason; certificateHold and removeFromCRL
 * are left out (no holds; removeFromCRL belongs to delta CRLs). */
static const char *const reason_names[] = { "unspecified", "key-compromise",
	"ca-compromise", "affiliation-changed", "superseded",
	"cessation-of-operation", "privilege-withdrawn", "aa-compromise",
	NULL };
static const int reason_codes[] = { 0, 1, 2, 3, 4, 5, 9, 10 };

static const char *const keytype_names[] = { "ec-p256", "ec-p384", NULL };
static const enum hsm_keytype keytypes[] = { HSM_KEY_EC_P256,
	HSM_KEY_EC_P384 };

struct revoked {
	ASN1_INTEGER	*serial;
	char		*serial_hex;
	int64_t		 date;
	int		 reason;	/* 0: no reasonCode extension */
};

struct ca_ceremony {
	enum ca_ceremony_type	 type;
	char			*path;
	char			*dir;
	char			 sha256_hex[2 * 32 + 1];
	/* pkcs11 */
	char			*module;
	char			*token;
	char			*pin_env;
	char			*pin_file;	/* the token URI's pin-source */
	char			*softhsm2_conf;
	/* key */
	char			*label;
	enum hsm_keytype	 ktype;
	/* signing-key */
	char			*sign_label;
	char			*issuer_path;
	X509			*issuer;
	/* inputs */
	char			*in_pubkey;
	uint8_t			*in_spki;
	size_t			 in_spki_len;
	int			 in_curve;	/* NID */
	/* certificate-profile */
	char			*subj[NSUBJ];
	int64_t			 not_before;
	int64_t			 not_after;
	int64_t			 pathlen;	/* -1: absent */
	bool			 crl_sign;
	struct ca_tnauth	*tnauth;
	uint8_t			*tnauth_der;	/* its DER (ca_tnauth_encode) */
	size_t			 tnauth_len;
	char			*crl_url;
	char			**policies;
	size_t			 npolicies;
	/* crl-profile */
	int64_t			 crl_number;
	int64_t			 this_update;
	int64_t			 next_update;
	struct revoked		*revoked;
	size_t			 nrevoked;
	/* outputs */
	char			*out_pubkey;
	char			*out_cert;
	char			*out_csr;
	char			*out_crl;
};

void
ca_ceremony_free(struct ca_ceremony *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free(c->module);
	free(c->token);
	free(c->pin_env);
	free(c->pin_file);
	free(c->softhsm2_conf);
	free(c->label);
	free(c->sign_label);
	free(c->issuer_path);
	X509_free(c->issuer);
	free(c->in_pubkey);
	free(c->in_spki);
	for (i = 0; i < NSUBJ; i++)
		free(c->subj[i]);
	ca_tnauth_free(c->tnauth);
	OPENSSL_free(c->tnauth_der);
	free(c->crl_url);
	for (i = 0; i < c->npolicies; i++)
		free(c->policies[i]);
	free(c->policies);
	for (i = 0; i < c->nrevoked; i++) {
		ASN1_INTEGER_free(c->revoked[i].serial);
		free(c->revoked[i].serial_hex);
	}
	free(c->revoked);
	free(c->out_pubkey);
	free(c->out_cert);
	free(c->out_csr);
	free(c->out_crl);
	free(c);
}

enum ca_ceremony_type
ca_ceremony_type(const struct ca_ceremony *c)
{
	return c->type;
}

const char *
ca_ceremony_type_name(enum ca_ceremony_type t)
{
	return type_names[t];
}

/* ------------------------------------------------------------------ */
/* Loading and validation                                             */

/*
 * Which keys of a mapping each mode requires ('R'), allows ('O') or
 * refuses ('-'); the columns follow enum ca_ceremony_type.  why, when
 * set, is appended to the refusal.
 */
struct rule {
	const char	*key;
	const char	*modes;
	const char	*why;
};

static const struct rule top_rules[] = {
	{ "ceremony-type", "RRRRR", NULL },
	{ "pkcs11", "RRRRR", NULL },
	{ "key", "RORR-", NULL },
	{ "signing-key", "-R--R", NULL },
	{ "inputs", "-O---", NULL },
	{ "certificate-profile", "RRR--", NULL },
	{ "crl-profile", "----R", NULL },
	{ "outputs", "RRRRR", NULL },
	{ NULL, NULL, NULL }
};

static const struct rule profile_rules[] = {
	{ "subject", "RRR--", NULL },
	{ "not-before", "RR---", " (the upstream CA sets the validity)" },
	{ "not-after", "RR---", " (the upstream CA sets the validity)" },
	{ "path-length", "OOO--", NULL },
	{ "crl-sign", "OOO--", NULL },
	{ "tnauthlist", "-OO--", " (ATIS-1000080 section 6.4.1: a root "
	    "certificate carries no TNAuthList)" },
	{ "crl-url", "-O---", " (ATIS-1000080 section 6.4.1: a root "
	    "certificate carries no CRL distribution point)" },
	{ "policies", "-O---", " (ATIS-1000080 section 6.4.1: a root "
	    "certificate carries no certificate policies)" },
	{ NULL, NULL, NULL }
};

static const struct rule output_rules[] = {
	{ "public-key", "OOORO", NULL },
	{ "certificate", "RR---", NULL },
	{ "csr", "--R--", NULL },
	{ "crl", "----R", NULL },
	{ NULL, NULL, NULL }
};

static const char *const pkcs11_keys[] = { "module", "token", "pin-env",
	"softhsm2-conf", NULL };
static const char *const pkcs11_req[] = { "token", NULL };
static const char *const key_keys[] = { "label", "type", NULL };
static const char *const key_req[] = { "label", NULL };
static const char *const sk_keys[] = { "label", "certificate", NULL };
static const char *const inputs_keys[] = { "public-key", NULL };
static const char *const subj_keys[] = { "country", "state", "locality",
	"organization", "organizational-unit", "common-name", "serial-number",
	NULL };
static const char *const subj_req[] = { "country", "organization",
	"common-name", NULL };
static const char *const crl_keys[] = { "number", "this-update",
	"next-update", "revoked", NULL };
static const char *const crl_req[] = { "number", "this-update",
	"next-update", NULL };
static const char *const rev_keys[] = { "serial", "revocation-date",
	"reason", NULL };
static const char *const rev_req[] = { "serial", "revocation-date", NULL };

/* The key node of key in map (for positions), or map itself. */
static const struct st_yaml_node *
key_node(const struct st_yaml_node *map, const char *key)
{
	size_t	i;

	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->keys[i];
	return map;
}

static int
check_rules(const struct st_yaml_node *m, const char *name,
    const struct rule *rules, enum ca_ceremony_type t, struct st_err *e)
{
	const char	*allowed[16];
	size_t		 i;
	int		 rc;

	for (i = 0; rules[i].key != NULL && i < 15; i++)
		allowed[i] = rules[i].key;
	allowed[i] = NULL;
	if ((rc = st_yaml_check_map(m, name, allowed, NULL, e)) != 0)
		return rc;
	for (i = 0; rules[i].key != NULL; i++) {
		if (rules[i].modes[t] == '-' &&
		    st_yaml_get(m, rules[i].key) != NULL)
			return st_yaml_err(key_node(m, rules[i].key), e,
			    ST_E_SYNTAX, "'%s' is not used in a %s ceremony%s",
			    rules[i].key, type_names[t],
			    rules[i].why != NULL ? rules[i].why : "");
		if (rules[i].modes[t] == 'R' &&
		    st_yaml_get(m, rules[i].key) == NULL)
			return st_yaml_err(m, e, ST_E_SYNTAX,
			    "missing required key '%s' in '%s'", rules[i].key,
			    name);
	}
	return 0;
}

static int
get_path(const struct ca_ceremony *c, const struct st_yaml_node *map,
    const char *key, char **out, struct st_err *e)
{
	const char	*s;
	int		 rc;

	*out = NULL;
	if ((rc = st_yaml_get0_str(map, key, &s, e)) != 0 || s == NULL)
		return rc;
	if (s[0] == '\0')
		return st_yaml_err(st_yaml_get(map, key), e, ST_E_SYNTAX,
		    "'%s': empty path", key);
	if ((*out = st_path_resolve(c->dir, s)) == NULL)
		return ST_E_NOMEM;
	return 0;
}

/*
 * s for a message: bytes outside printable ASCII as \xNN, at most about
 * bufsz - 8 bytes of it, then "...".
 */
static void
printable(const char *s, char *buf, size_t bufsz)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 o = 0;

	for (; *p != '\0' && o + 8 < bufsz; p++)
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x",
			    *p);
	if (*p != '\0')
		o += (size_t)snprintf(buf + o, bufsz - o, "...");
	buf[o] = '\0';
}

/*
 * A key label: 1..64 of A-Z a-z 0-9 . _ - (it becomes a URI's object=);
 * a subset of what hsm_label_check accepts, so it is printable UTF-8.
 * The message shows other bytes as \xNN.
 */
static int
check_label(const struct st_yaml_node *n, const char *s, struct st_err *e)
{
	size_t	i, len = strlen(s);
	char	buf[LABEL_MAX * 4 + 16];

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			break;
	if (len == 0 || len > LABEL_MAX || i < len) {
		printable(s, buf, sizeof(buf));
		return st_yaml_err(n, e, ST_E_SYNTAX,
		    "'label': '%s' is not a key label (1..%d of A-Z a-z 0-9 . "
		    "_ -)", buf, LABEL_MAX);
	}
	return 0;
}

static int
load_pkcs11(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	const char			*s;
	struct st_err			 ue;
	struct stat			 st;
	size_t				 i;
	int				 rc;

	if ((rc = st_yaml_check_map(m, "pkcs11", pkcs11_keys, pkcs11_req,
	    e)) != 0 ||
	    (rc = get_path(c, m, "module", &c->module, e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "pin-env", &c->pin_env, e)) != 0 ||
	    (rc = get_path(c, m, "softhsm2-conf", &c->softhsm2_conf, e)) != 0)
		return rc;
	n = st_yaml_get(m, "token");
	if ((rc = st_yaml_str(n, &s, e)) != 0)
		return rc;
	st_err_clear(&ue);
	if ((rc = st_pkcs11_uri_resolve(c->dir, s, &c->token, &ue)) != 0)
		return st_yaml_err(n, e, rc, "'token': %s",
		    st_err_str(&ue, rc));
	if (c->module != NULL && stat(c->module, &st) == -1)
		return st_yaml_err(st_yaml_get(m, "module"), e, ST_E_IO,
		    "'module': %s: %s", c->module, strerror(errno));
	if (c->module != NULL && !S_ISREG(st.st_mode))
		return st_yaml_err(st_yaml_get(m, "module"), e, ST_E_IO,
		    "'module': %s: not a regular file", c->module);
	if (c->softhsm2_conf != NULL && access(c->softhsm2_conf, R_OK) == -1)
		return st_yaml_err(st_yaml_get(m, "softhsm2-conf"), e, ST_E_IO,
		    "'softhsm2-conf': %s: %s", c->softhsm2_conf,
		    strerror(errno));
	if (c->pin_env != NULL) {
		for (i = 0; c->pin_env[i] != '\0'; i++)
			if (!(c->pin_env[i] == '_' ||
			    (c->pin_env[i] >= 'A' && c->pin_env[i] <= 'Z') ||
			    (c->pin_env[i] >= 'a' && c->pin_env[i] <= 'z') ||
			    (i > 0 && c->pin_env[i] >= '0' &&
			    c->pin_env[i] <= '9')))
				break;
		if (i == 0 || c->pin_env[i] != '\0')
			return st_yaml_err(st_yaml_get(m, "pin-env"), e,
			    ST_E_SYNTAX, "'pin-env': '%s' is not an "
			    "environment variable name", c->pin_env);
	}
	/* What hsm_open refuses before it touches the module. */
	st_err_clear(&ue);
	if ((rc = hsm_token_uri_check(c->module, c->token, &c->pin_file,
	    &ue)) != 0)
		return st_yaml_err(n, e, rc, "'token': %s",
		    st_err_str(&ue, rc));
	st_err_clear(&ue);
	if ((rc = hsm_pin_sources_check(c->pin_file, c->pin_env, &ue)) != 0)
		return st_yaml_err(st_yaml_get(m, "pin-env"), e, rc,
		    "'pin-env': %s; keep one", st_err_str(&ue, rc));
	st_err_clear(&ue);
	if (c->pin_file != NULL &&
	    (rc = hsm_pin_file_check(c->pin_file, &ue)) != 0)
		return st_yaml_err(n, e, rc, "'token': %s",
		    st_err_str(&ue, rc));
	return 0;
}

static int
load_key(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	int				 rc, idx = 0;

	if ((rc = st_yaml_check_map(m, "key", key_keys, key_req, e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "label", &c->label, e)) != 0 ||
	    (rc = check_label(st_yaml_get(m, "label"), c->label, e)) != 0)
		return rc;
	if ((n = st_yaml_get(m, "type")) != NULL &&
	    (rc = st_yaml_enum(n, keytype_names, &idx, e)) != 0)
		return rc;
	c->ktype = keytypes[idx];
	return 0;
}

static int
read_pem_cert(const char *path, X509 **out, struct st_err *e)
{
	BIO	*b = NULL;
	int	 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((b = BIO_new_file(path, "r")) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((*out = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		rc = st_err_set(e, ST_E_ASN1, "%s: not a PEM certificate",
		    path);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

/* The certificate's validity as seconds since the epoch. */
static int
cert_times(const X509 *x, int64_t *nb, int64_t *na)
{
	struct tm	tm;

	if (!ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		return ST_E_ASN1;
	*nb = (int64_t)timegm(&tm);
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return ST_E_ASN1;
	*na = (int64_t)timegm(&tm);
	return 0;
}

/*
 * The issuer certificate of an intermediate or CRL ceremony must be a CA
 * certificate (RFC 5280 section 4.2.1.9) whose keyUsage, if present,
 * allows what the ceremony signs (section 4.2.1.3: keyCertSign for
 * certificates, cRLSign for CRLs).
 */
static int
load_signing_key(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	struct st_err			 ce;
	uint32_t			 ku;
	int				 rc;

	if ((rc = st_yaml_check_map(m, "signing-key", sk_keys, sk_keys,
	    e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "label", &c->sign_label, e)) != 0 ||
	    (rc = check_label(st_yaml_get(m, "label"), c->sign_label, e)) !=
	    0 ||
	    (rc = get_path(c, m, "certificate", &c->issuer_path, e)) != 0)
		return rc;
	n = st_yaml_get(m, "certificate");
	st_err_clear(&ce);
	if ((rc = read_pem_cert(c->issuer_path, &c->issuer, &ce)) != 0)
		return st_yaml_err(n, e, rc, "'certificate': %s",
		    st_err_str(&ce, rc));
	if (X509_check_ca(c->issuer) != 1)
		return st_yaml_err(n, e, ST_E_VERIFY, "'certificate': %s is "
		    "not a CA certificate (RFC 5280 section 4.2.1.9: "
		    "basicConstraints cA must be TRUE)", c->issuer_path);
	ku = X509_get_key_usage(c->issuer);
	if (c->type == CA_CEREMONY_INTERMEDIATE && (ku & KU_KEY_CERT_SIGN) == 0)
		return st_yaml_err(n, e, ST_E_VERIFY, "'certificate': %s lacks "
		    "keyUsage keyCertSign (RFC 5280 section 4.2.1.3)",
		    c->issuer_path);
	if (c->type == CA_CEREMONY_CRL && (ku & KU_CRL_SIGN) == 0)
		return st_yaml_err(n, e, ST_E_VERIFY, "'certificate': %s lacks "
		    "keyUsage cRLSign (RFC 5280 section 4.2.1.3), so it cannot "
		    "sign CRLs", c->issuer_path);
	return 0;
}

/* Read a PEM "PUBLIC KEY" and keep its DER SubjectPublicKeyInfo. */
static int
read_pem_spki(const char *path, uint8_t **der, size_t *len, int *curve,
    struct st_err *e)
{
	BIO			*b = NULL;
	X509_PUBKEY		*xpk = NULL;
	char			*name = NULL, *hdr = NULL;
	unsigned char		*data = NULL;
	const unsigned char	*p;
	const ASN1_OBJECT	*alg;
	const void		*pval;
	long			 dlen = 0;
	int			 ptype, rc = ST_E_INTERNAL;
	X509_ALGOR		*a;

	*der = NULL;
	*len = 0;
	*curve = NID_undef;
	if ((b = BIO_new_file(path, "r")) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!PEM_read_bio(b, &name, &hdr, &data, &dlen) ||
	    strcmp(name, "PUBLIC KEY") != 0) {
		rc = st_err_set(e, ST_E_ASN1, "%s: not a PEM PUBLIC KEY", path);
		goto out;
	}
	p = data;
	if ((xpk = d2i_X509_PUBKEY(NULL, &p, dlen)) == NULL ||
	    p != data + dlen) {
		rc = st_err_ossl(e, ST_E_ASN1, "%s: bad SubjectPublicKeyInfo",
		    path);
		goto out;
	}
	X509_PUBKEY_get0_param(NULL, NULL, NULL, &a, xpk);
	X509_ALGOR_get0(&alg, &ptype, &pval, a);
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey ||
	    ptype != V_ASN1_OBJECT ||
	    ((*curve = OBJ_obj2nid(pval)) != NID_X9_62_prime256v1 &&
	    *curve != NID_secp384r1)) {
		rc = st_err_set(e, ST_E_CRYPTO, "%s: not an EC P-256 or P-384 "
		    "public key with a named curve", path);
		goto out;
	}
	if ((*der = malloc((size_t)dlen)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memcpy(*der, data, (size_t)dlen);
	*len = (size_t)dlen;
	rc = 0;
out:
	ERR_clear_error();
	X509_PUBKEY_free(xpk);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(data);
	BIO_free(b);
	return rc;
}

static int
load_inputs(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	struct st_err			 ie;
	int				 rc;

	if ((rc = st_yaml_check_map(m, "inputs", inputs_keys, inputs_keys,
	    e)) != 0 ||
	    (rc = get_path(c, m, "public-key", &c->in_pubkey, e)) != 0)
		return rc;
	n = st_yaml_get(m, "public-key");
	st_err_clear(&ie);
	if ((rc = read_pem_spki(c->in_pubkey, &c->in_spki, &c->in_spki_len,
	    &c->in_curve, &ie)) != 0)
		return st_yaml_err(n, e, rc, "'public-key': %s",
		    st_err_str(&ie, rc));
	return 0;
}

static int
load_subject(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	size_t				 i, len;
	int				 rc;

	if ((rc = st_yaml_check_map(m, "subject", subj_keys, subj_req,
	    e)) != 0)
		return rc;
	for (i = 0; i < NSUBJ; i++) {
		if ((n = st_yaml_get(m, subj_attrs[i].key)) == NULL)
			continue;
		if ((rc = st_yaml_get1_str(m, subj_attrs[i].key, &c->subj[i],
		    e)) != 0)
			return rc;
		len = strlen(c->subj[i]);
		if (i != SUBJ_C && (len == 0 || len > subj_attrs[i].max))
			return st_yaml_err(n, e, ST_E_SYNTAX, "'%s': length "
			    "%zu is outside 1..%zu (RFC 5280 Appendix A)",
			    subj_attrs[i].key, len, subj_attrs[i].max);
	}
	/* RFC 5280 Appendix A: countryName is a PrintableString (SIZE (2))
	 * holding an ISO 3166-1 alpha-2 code (ATIS-1000080 6.4.1). */
	if (strlen(c->subj[SUBJ_C]) != 2 || c->subj[SUBJ_C][0] < 'A' ||
	    c->subj[SUBJ_C][0] > 'Z' || c->subj[SUBJ_C][1] < 'A' ||
	    c->subj[SUBJ_C][1] > 'Z')
		return st_yaml_err(st_yaml_get(m, "country"), e, ST_E_SYNTAX,
		    "'country': '%s' is not an ISO 3166-1 alpha-2 code (two "
		    "upper-case letters)", c->subj[SUBJ_C]);
	return 0;
}

/*
 * RFC 9060 section 4: a delegate CA's TNAuthList must be encompassed by
 * its issuer's, when the issuer has one.
 */
static int
check_scope(struct ca_ceremony *c, const struct st_yaml_node *n,
    struct st_err *e)
{
	struct ca_tnauth	*pl = NULL;
	struct ca_scope		*ps = NULL, *cs = NULL;
	struct st_err		 se;
	int			 rc = ST_E_INTERNAL, r;

	st_err_clear(&se);
	if (c->issuer == NULL) {
		rc = 0;
		goto out;
	}
	if ((r = ca_tnauth_from_cert(c->issuer, &pl, &se)) == ST_E_NOTFOUND) {
		rc = 0;
		goto out;
	}
	if (r != 0 || (r = ca_scope_from_tnauth(pl, &ps, &se)) != 0 ||
	    (r = ca_scope_from_tnauth(c->tnauth, &cs, &se)) != 0) {
		rc = st_yaml_err(n, e, r, "'tnauthlist': %s",
		    st_err_str(&se, r));
		goto out;
	}
	if ((r = ca_scope_encompasses(ps, cs, NULL, &se)) != 1) {
		rc = st_yaml_err(n, e, r < 0 ? r : ST_E_SCOPE, "'tnauthlist': "
		    "not encompassed by the issuer's TNAuthList (RFC 9060 "
		    "section 4): %s", st_err_str(&se, ST_E_SCOPE));
		goto out;
	}
	rc = 0;
out:
	ca_tnauth_free(pl);
	ca_scope_free(ps);
	ca_scope_free(cs);
	return rc;
}

static int
load_tnauth(struct ca_ceremony *c, const struct st_yaml_node *n,
    struct st_err *e)
{
	struct st_err	 te;
	size_t		 i;
	const char	*s;
	int		 rc = ST_E_INTERNAL;

	if (n->kind != ST_YAML_SEQUENCE || n->n == 0) {
		rc = st_yaml_err(n, e, ST_E_SYNTAX, "'tnauthlist': expected a "
		    "non-empty list of spc:CODE, range:START+COUNT or "
		    "tn:DIGITS (RFC 8226 section 9: SIZE (1..MAX))");
		goto out;
	}
	if ((c->tnauth = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n->n; i++) {
		if ((rc = st_yaml_str(n->items[i], &s, e)) != 0)
			goto out;
		st_err_clear(&te);
		if ((rc = ca_tnauth_add_spec(c->tnauth, s, &te)) != 0) {
			rc = st_yaml_err(n->items[i], e, rc, "'tnauthlist': %s",
			    st_err_str(&te, rc));
			goto out;
		}
	}
	st_err_clear(&te);
	if ((rc = ca_tnauth_encode(c->tnauth, &c->tnauth_der, &c->tnauth_len,
	    &te)) != 0) {
		rc = st_yaml_err(n, e, rc, "'tnauthlist': %s",
		    st_err_str(&te, rc));
		goto out;
	}
	rc = check_scope(c, n, e);
out:
	return rc;
}

static int
load_policies(struct ca_ceremony *c, const struct st_yaml_node *n,
    struct st_err *e)
{
	ASN1_OBJECT	 *o;
	const char	**v = NULL;
	size_t		  nv, i;
	int		  rc = ST_E_INTERNAL;

	if ((rc = st_yaml_strlist(n, &v, &nv, e)) != 0)
		goto out;
	if (nv == 0) {
		rc = st_yaml_err(n, e, ST_E_SYNTAX, "'policies': empty list "
		    "(RFC 5280 section 4.2.1.4: SIZE (1..MAX))");
		goto out;
	}
	if ((c->policies = calloc(nv, sizeof(char *))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < nv; i++) {
		if ((o = OBJ_txt2obj(v[i], 1)) == NULL) {
			ERR_clear_error();
			rc = st_yaml_err(n->items[i], e, ST_E_SYNTAX,
			    "'policies': '%s' is not a dotted OID", v[i]);
			goto out;
		}
		ASN1_OBJECT_free(o);
		if ((c->policies[i] = strdup(v[i])) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		c->npolicies = i + 1;
	}
	rc = 0;
out:
	free(v);
	return rc;
}

/*
 * RFC 5280 section 4.2.1.9: an issuer with pathLenConstraint 0 may not
 * certify another CA, and one with k only CAs whose own constraint is
 * below k.  (OpenSSL's path validation treats the new certificate as the
 * leaf, so it would not notice.)
 */
static int
check_pathlen(const struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	long	ipl;

	if (c->issuer == NULL || (ipl = X509_get_pathlen(c->issuer)) < 0)
		return 0;
	if (ipl == 0)
		return st_yaml_err(m, e, ST_E_VERIFY, "the issuer %s has "
		    "pathLenConstraint 0, so it cannot certify a CA (RFC 5280 "
		    "section 4.2.1.9)", c->issuer_path);
	if (c->pathlen >= ipl)
		return st_yaml_err(st_yaml_get(m, "path-length"), e,
		    ST_E_SYNTAX, "'path-length': %lld must be below the "
		    "issuer's pathLenConstraint %ld (RFC 5280 section "
		    "4.2.1.9)", (long long)c->pathlen, ipl);
	return 0;
}

static int
load_profile(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*n;
	int64_t				 inb, ina;
	char				 t1[32], t2[32];
	int				 rc;

	if ((rc = check_rules(m, "certificate-profile", profile_rules,
	    c->type, e)) != 0 ||
	    (rc = load_subject(c, st_yaml_get(m, "subject"), e)) != 0)
		return rc;
	c->pathlen = -1;
	c->crl_sign = true;
	if ((n = st_yaml_get(m, "path-length")) != NULL &&
	    (rc = st_yaml_int(n, 0, 16, &c->pathlen, e)) != 0)
		return rc;
	if ((rc = check_pathlen(c, m, e)) != 0)
		return rc;
	if ((n = st_yaml_get(m, "crl-sign")) != NULL &&
	    (rc = st_yaml_bool(n, &c->crl_sign, e)) != 0)
		return rc;
	if ((n = st_yaml_get(m, "not-before")) != NULL &&
	    (rc = st_yaml_time(n, &c->not_before, e)) != 0)
		return rc;
	if ((n = st_yaml_get(m, "not-after")) != NULL &&
	    (rc = st_yaml_time(n, &c->not_after, e)) != 0)
		return rc;
	if (n != NULL && c->not_after <= c->not_before)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'not-after' must be "
		    "later than 'not-before' (RFC 5280 section 4.1.2.5)");
	if (n != NULL && c->issuer != NULL) {
		if ((rc = cert_times(c->issuer, &inb, &ina)) != 0)
			return st_err_set(e, rc, "%s: bad validity",
			    c->issuer_path);
		st_time_format(inb, t1, sizeof(t1));
		st_time_format(ina, t2, sizeof(t2));
		if (c->not_before < inb || c->not_after > ina)
			return st_yaml_err(n, e, ST_E_SYNTAX, "the validity "
			    "must lie within the issuer's (%s to %s)", t1, t2);
	}
	if ((n = st_yaml_get(m, "tnauthlist")) != NULL &&
	    (rc = load_tnauth(c, n, e)) != 0)
		return rc;
	if ((rc = st_yaml_get1_str(m, "crl-url", &c->crl_url, e)) != 0)
		return rc;
	if (c->crl_url != NULL && strncmp(c->crl_url, "http://", 7) != 0 &&
	    strncmp(c->crl_url, "https://", 8) != 0)
		return st_yaml_err(st_yaml_get(m, "crl-url"), e, ST_E_SYNTAX,
		    "'crl-url': expected an http:// or https:// URL "
		    "(ATIS-1000080 section 6.4.1), found '%s'", c->crl_url);
	if ((n = st_yaml_get(m, "policies")) != NULL &&
	    (rc = load_policies(c, n, e)) != 0)
		return rc;
	return 0;
}

/* A CRL entry serial: hex, positive, at most 20 octets (RFC 5280 4.1.2.2). */
static int
parse_serial(const struct st_yaml_node *n, struct revoked *r,
    struct st_err *e)
{
	BIGNUM		*bn = NULL;
	const char	*s;
	size_t		 i;
	int		 rc = ST_E_INTERNAL;

	if ((rc = st_yaml_str(n, &s, e)) != 0)
		goto out;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			break;
	if (i == 0 || s[i] != '\0' || i > 40 || BN_hex2bn(&bn, s) == 0 ||
	    BN_is_zero(bn) || BN_num_bytes(bn) > 20) {
		rc = st_yaml_err(n, e, ST_E_SYNTAX, "'serial': '%s' is not a "
		    "positive hexadecimal serial of at most 20 octets (RFC "
		    "5280 section 4.1.2.2)", s);
		goto out;
	}
	if ((r->serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (r->serial_hex = BN_bn2hex(bn)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BN_free(bn);
	return rc;
}

/*
 * RFC 5280 section 5: a v2 CRL with a CRL number (5.2.3), thisUpdate
 * before nextUpdate (5.1.2.4, 5.1.2.5), revoked entries with their
 * revocation date (5.1.2.6) and an optional reason code (5.3.1).
 */
static int
load_crl(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	const struct st_yaml_node	*rl, *it, *n;
	struct revoked			*r;
	int64_t				 inb, ina;
	size_t				 i, j;
	int				 rc, idx;

	if ((rc = st_yaml_check_map(m, "crl-profile", crl_keys, crl_req,
	    e)) != 0 ||
	    (rc = st_yaml_int(st_yaml_get(m, "number"), 0, INT64_MAX,
	    &c->crl_number, e)) != 0 ||
	    (rc = st_yaml_time(st_yaml_get(m, "this-update"), &c->this_update,
	    e)) != 0 ||
	    (rc = st_yaml_time(st_yaml_get(m, "next-update"), &c->next_update,
	    e)) != 0)
		return rc;
	n = st_yaml_get(m, "next-update");
	if (c->next_update <= c->this_update)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'next-update' must be "
		    "later than 'this-update' (RFC 5280 section 5.1.2.5)");
	if ((rc = cert_times(c->issuer, &inb, &ina)) != 0)
		return st_err_set(e, rc, "%s: bad validity", c->issuer_path);
	if (c->this_update < inb)
		return st_yaml_err(st_yaml_get(m, "this-update"), e,
		    ST_E_SYNTAX, "'this-update' is before the issuer's "
		    "notBefore");
	if (c->next_update > ina)
		return st_yaml_err(n, e, ST_E_SYNTAX, "'next-update' is after "
		    "the issuer's notAfter; the CRL would outlive its issuer");
	if ((rl = st_yaml_get(m, "revoked")) == NULL)
		return 0;
	if (rl->kind != ST_YAML_SEQUENCE)
		return st_yaml_err(rl, e, ST_E_SYNTAX, "'revoked': expected a "
		    "list of {serial, revocation-date, reason}");
	if (rl->n > 0 && (c->revoked = calloc(rl->n, sizeof(*r))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < rl->n; i++) {
		it = rl->items[i];
		r = &c->revoked[i];
		c->nrevoked = i + 1;
		if ((rc = st_yaml_check_map(it, "revoked", rev_keys, rev_req,
		    e)) != 0 ||
		    (rc = parse_serial(st_yaml_get(it, "serial"), r, e)) != 0 ||
		    (rc = st_yaml_time(st_yaml_get(it, "revocation-date"),
		    &r->date, e)) != 0)
			return rc;
		if (r->date > c->this_update)
			return st_yaml_err(st_yaml_get(it, "revocation-date"),
			    e, ST_E_SYNTAX, "'revocation-date' is after "
			    "'this-update'");
		if ((n = st_yaml_get(it, "reason")) != NULL) {
			if ((rc = st_yaml_enum(n, reason_names, &idx, e)) != 0)
				return rc;
			r->reason = reason_codes[idx];
		}
		for (j = 0; j < i; j++)
			if (ASN1_INTEGER_cmp(c->revoked[j].serial, r->serial) ==
			    0)
				return st_yaml_err(st_yaml_get(it, "serial"), e,
				    ST_E_SYNTAX, "'serial': %s is listed "
				    "twice", r->serial_hex);
	}
	return 0;
}

/* An output must not exist, and its directory must. */
static int
check_output(const struct st_yaml_node *n, const char *path, struct st_err *e)
{
	struct stat	 st;
	char		*d = NULL;
	int		 rc;

	if (lstat(path, &st) == 0)
		return st_yaml_err(n, e, ST_E_EXISTS, "'%s': %s already "
		    "exists; refusing to overwrite", n->key, path);
	if ((rc = st_path_dir(path, &d, NULL)) != 0)
		return st_yaml_err(n, e, ST_E_IO, "'%s': the directory of %s "
		    "does not exist", n->key, path);
	free(d);
	return 0;
}

/*
 * The file path names: the real path of its directory, which must exist,
 * and its last component, so that "n.pem", "./n.pem" and "d/../n.pem"
 * compare equal (malloc'd; NULL when the directory does not resolve).
 */
static char *
norm_path(const char *path)
{
	const char	*b;
	char		*d = NULL, *r = NULL;
	size_t		 n;

	if (st_path_dir(path, &d, NULL) != 0)
		return NULL;
	b = strrchr(path, '/');
	b = b != NULL ? b + 1 : path;
	n = strlen(d) + strlen(b) + 2;
	if ((r = malloc(n)) != NULL)
		snprintf(r, n, "%s/%s", strcmp(d, "/") == 0 ? "" : d, b);
	free(d);
	return r;
}

/*
 * An output must not be one of the files the ceremony reads: the
 * ceremony file, the PKCS#11 module and SoftHSM configuration, the PIN
 * file, the input public key or the issuer certificate.  Compared by
 * norm_path and, since inputs exist, by realpath (a symbolic link).
 */
static int
check_not_input(const struct ca_ceremony *c, const struct st_yaml_node *n,
    const char *out, struct st_err *e)
{
	const char *const	 paths[] = { c->path, c->module,
		c->softhsm2_conf, c->pin_file, c->in_pubkey, c->issuer_path };
	static const char *const names[] = { "the ceremony file",
		"'pkcs11.module'", "'pkcs11.softhsm2-conf'",
		"the token's pin-source file", "'inputs.public-key'",
		"'signing-key.certificate'" };
	char			*o = NULL, *a, *b;
	size_t			 i;
	int			 rc = 0;

	if ((o = norm_path(out)) == NULL)
		return 0;	/* check_output names the missing directory */
	for (i = 0; rc == 0 && i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i] == NULL)
			continue;
		a = norm_path(paths[i]);
		b = realpath(paths[i], NULL);
		if ((a != NULL && strcmp(a, o) == 0) ||
		    (b != NULL && strcmp(b, o) == 0))
			rc = st_yaml_err(n, e, ST_E_SYNTAX, "'%s': %s is %s, "
			    "which the ceremony reads; an output never "
			    "overwrites an input", n->key, out, names[i]);
		free(a);
		free(b);
	}
	free(o);
	return rc;
}

/*
 * The outputs: none may be an input, exist, or lack its directory, and
 * no two may name the same file, however spelt (norm_path), since the
 * second write would fail after the first succeeded.
 */
static int
load_outputs(struct ca_ceremony *c, const struct st_yaml_node *m,
    struct st_err *e)
{
	char	**slots[4], *norm[4] = { NULL, NULL, NULL, NULL };
	size_t	  i, j;
	int	  rc = ST_E_INTERNAL;

	slots[0] = &c->out_pubkey;
	slots[1] = &c->out_cert;
	slots[2] = &c->out_csr;
	slots[3] = &c->out_crl;
	if ((rc = check_rules(m, "outputs", output_rules, c->type, e)) != 0)
		goto out;
	if (c->type == CA_CEREMONY_INTERMEDIATE && c->label == NULL &&
	    st_yaml_get(m, "public-key") != NULL) {
		rc = st_yaml_err(key_node(m, "public-key"), e, ST_E_SYNTAX,
		    "'public-key' is only written when the ceremony generates "
		    "the key");
		goto out;
	}
	for (i = 0; i < 4; i++) {
		if ((rc = get_path(c, m, output_rules[i].key, slots[i], e)) !=
		    0)
			goto out;
		if (*slots[i] == NULL)
			continue;
		if ((rc = check_not_input(c, st_yaml_get(m,
		    output_rules[i].key), *slots[i], e)) != 0 ||
		    (rc = check_output(st_yaml_get(m, output_rules[i].key),
		    *slots[i], e)) != 0)
			goto out;
		if ((norm[i] = norm_path(*slots[i])) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		for (j = 0; j < i; j++)
			if (norm[j] != NULL && strcmp(norm[j], norm[i]) == 0) {
				rc = st_yaml_err(st_yaml_get(m,
				    output_rules[i].key), e, ST_E_SYNTAX,
				    "'%s': same file as '%s'",
				    output_rules[i].key, output_rules[j].key);
				goto out;
			}
	}
	rc = 0;
out:
	for (i = 0; i < 4; i++)
		free(norm[i]);
	return rc;
}

static int
file_sha256(const uint8_t *p, size_t len, uint8_t md[32])
{
	unsigned int	mdlen = 32;

	return EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) ? 0 :
	    ST_E_CRYPTO;
}

int
ca_ceremony_load(const char *path, struct ca_ceremony **out,
    struct st_err *e)
{
	struct ca_ceremony		*c = NULL;
	struct st_yaml_doc		*doc = NULL;
	const struct st_yaml_node	*root, *n;
	uint8_t				*buf = NULL, md[32];
	size_t				 len;
	int				 rc = ST_E_INTERNAL, t;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = st_file_read(path, CER_MAXFILE, &buf, &len, e)) != 0 ||
	    (rc = file_sha256(buf, len, md)) != 0 ||
	    (rc = st_yaml_load_buf(path, buf, len, &doc, e)) != 0 ||
	    (rc = st_path_dir(path, &c->dir, e)) != 0)
		goto out;
	st_hex_write(md, sizeof(md), c->sha256_hex);
	root = st_yaml_root(doc);
	if (root->kind != ST_YAML_MAPPING) {
		rc = st_yaml_check_map(root, "ceremony", NULL, NULL, e);
		goto out;
	}
	if ((n = st_yaml_get(root, "ceremony-type")) == NULL) {
		rc = st_yaml_err(root, e, ST_E_SYNTAX, "missing required key "
		    "'ceremony-type' in 'ceremony'");
		goto out;
	}
	if ((rc = st_yaml_enum(n, type_names, &t, e)) != 0)
		goto out;
	c->type = (enum ca_ceremony_type)t;
	if ((rc = check_rules(root, "ceremony", top_rules, c->type, e)) != 0)
		goto out;
	if (c->type == CA_CEREMONY_INTERMEDIATE &&
	    (st_yaml_get(root, "key") == NULL) ==
	    (st_yaml_get(root, "inputs") == NULL)) {
		rc = st_yaml_err(root, e, ST_E_SYNTAX, "an intermediate "
		    "ceremony needs exactly one of 'key' (generate the key) "
		    "and 'inputs' (certify a given public key)");
		goto out;
	}
	if ((rc = load_pkcs11(c, st_yaml_get(root, "pkcs11"), e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "key")) != NULL &&
	    (rc = load_key(c, n, e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "signing-key")) != NULL &&
	    (rc = load_signing_key(c, n, e)) != 0)
		goto out;
	if (c->label != NULL && c->sign_label != NULL &&
	    strcmp(c->label, c->sign_label) == 0) {
		rc = st_yaml_err(st_yaml_get(st_yaml_get(root, "key"), "label"),
		    e, ST_E_EXISTS, "'label': '%s' is the signing key's label; "
		    "key labels are never reused", c->label);
		goto out;
	}
	if ((n = st_yaml_get(root, "inputs")) != NULL &&
	    (rc = load_inputs(c, n, e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "certificate-profile")) != NULL &&
	    (rc = load_profile(c, n, e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "crl-profile")) != NULL &&
	    (rc = load_crl(c, n, e)) != 0)
		goto out;
	if ((rc = load_outputs(c, st_yaml_get(root, "outputs"), e)) != 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(buf);
	st_yaml_free(doc);
	ca_ceremony_free(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Transcript                                                         */

struct run {
	struct ca_ceremony	*c;
	FILE			*t;
	int			 step;
	struct store		*audit;	/* or NULL */
	int			 arc;	/* the first audit failure */
	struct st_err		 aerr;
	struct hsm		*h;
	struct hsm_key		*newkey;
	struct hsm_key		*signkey;
	const uint8_t		*spki;	/* subject's, borrowed */
	size_t			 spki_len;
	X509_PUBKEY		*xpk;	/* spki's fields, not decoded */
	/* Encoded outputs (PEM), written at the very end. */
	char			*pem_pubkey;
	char			*pem_cert;
	char			*pem_csr;
	char			*pem_crl;
};

/*
 * One audit line of this ceremony: event plus fields (borrowed, may be
 * NULL; the caller's object gets the ceremony's type, file and file
 * digest added).  The first failure is kept in r->arc / r->aerr; later
 * lines are not tried.
 */
static void
audit_line(struct run *r, const char *event, json_t *fields)
{
	json_t	*o;

	if (r->audit == NULL || r->arc != 0)
		return;
	if ((o = fields != NULL ? json_incref(fields) : json_object()) ==
	    NULL || json_object_set_new(o, "ceremony",
	    json_string(type_names[r->c->type])) != 0 ||
	    json_object_set_new(o, "file", json_string(r->c->path)) != 0 ||
	    json_object_set_new(o, "file-sha256",
	    json_string(r->c->sha256_hex)) != 0) {
		json_decref(o);
		r->arc = st_err_set(&r->aerr, ST_E_NOMEM, "audit: out of "
		    "memory");
		return;
	}
	r->arc = store_audit_append(r->audit, event, o, &r->aerr);
	json_decref(o);
}

/* An audit failure stops the ceremony: nothing unrecorded is done. */
static int
audit_check(struct run *r, struct st_err *e)
{
	if (r->arc == 0)
		return 0;
	return st_err_set(e, r->arc, "audit log: %s; the ceremony stops "
	    "here", st_err_str(&r->aerr, r->arc));
}

/*
 * A step: on the transcript, and in the audit log before it is taken.
 * Returns audit_check's verdict: the callers whose step changes the token
 * or the file system stop on it.
 */
static int ST_PRINTF(3, 4)
step(struct run *r, struct st_err *e, const char *fmt, ...)
{
	va_list	 ap;
	char	 text[8192];
	json_t	*f;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fprintf(r->t, "\n[step %d] %s\n", ++r->step, text);
	fflush(r->t);
	if (r->audit != NULL && r->arc == 0) {
		if ((f = json_pack("{s:i, s:s}", "step", r->step, "action",
		    text)) == NULL) {
			r->arc = st_err_set(&r->aerr, ST_E_NOMEM, "audit: out "
			    "of memory");
			return audit_check(r, e);
		}
		audit_line(r, "ceremony-step", f);
		json_decref(f);
	}
	return audit_check(r, e);
}

/* "AB:CD:..." of SHA-256(p) into buf (>= 96 bytes). */
static void
fingerprint(const uint8_t *p, size_t len, char *buf, size_t bufsz)
{
	uint8_t		md[32];
	unsigned int	mdlen = sizeof(md), i;
	size_t		o = 0;

	buf[0] = '\0';
	if (!EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL))
		return;
	for (i = 0; i < mdlen && o + 3 < bufsz; i++)
		o += (size_t)snprintf(buf + o, bufsz - o, "%s%02X",
		    i > 0 ? ":" : "", md[i]);
}

static void
print_name(FILE *t, const char *what, const X509_NAME *name)
{
	BIO	*b;
	char	*p;
	long	 n;

	fprintf(t, "    %-12s ", what);
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE);
		if ((n = BIO_get_mem_data(b, &p)) > 0)
			fwrite(p, 1, (size_t)n, t);
		BIO_free(b);
	}
	fputc('\n', t);
}

/* A public key: the SHA-256 of its DER SPKI, then its PEM. */
static void
print_spki(struct run *r, const uint8_t *spki, size_t len)
{
	char	fp[128], *pem = NULL;

	fingerprint(spki, len, fp, sizeof(fp));
	fprintf(r->t, "  SPKI SHA-256: %s\n", fp);
	if (ca_pem_encode("PUBLIC KEY", spki, len, &pem) == 0)
		fputs(pem, r->t);
	free(pem);
}

/* A key in the token: label, CKA_ID, type, URI, then print_spki. */
static void
print_key(struct run *r, struct hsm_key *k)
{
	const uint8_t	*id, *spki;
	char		 hex[2 * 32 + 1];
	size_t		 idlen, len, i, n;

	id = hsm_key_id(k, &idlen);
	spki = hsm_key_spki(k, &len);
	fprintf(r->t, "  key label:   %s\n", hsm_key_label(k));
	fprintf(r->t, "  key id:      ");
	/* CKA_ID of a found key has any length: 32 bytes at a time. */
	for (i = 0; i < idlen; i += n) {
		n = idlen - i < 32 ? idlen - i : 32;
		st_hex_write(id + i, n, hex);
		fputs(hex, r->t);
	}
	fprintf(r->t, "\n  key type:    %s\n",
	    hsm_keytype_name(hsm_key_type(k)));
	fprintf(r->t, "  key URI:     %s\n", hsm_key_uri(k));
	print_spki(r, spki, len);
}

static void
print_cert(struct run *r, const X509 *x, const uint8_t *der, size_t len,
    const char *pem)
{
	const ASN1_INTEGER	*sn;
	BIGNUM			*bn;
	char			*hex, fp[128], t1[32], t2[32];
	int64_t			 nb, na;

	sn = X509_get0_serialNumber(x);
	bn = ASN1_INTEGER_to_BN(sn, NULL);
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	fingerprint(der, len, fp, sizeof(fp));
	if (cert_times(x, &nb, &na) != 0)
		nb = na = 0;
	st_time_format(nb, t1, sizeof(t1));
	st_time_format(na, t2, sizeof(t2));
	fprintf(r->t, "  certificate:\n");
	print_name(r->t, "subject:", X509_get_subject_name(x));
	print_name(r->t, "issuer:", X509_get_issuer_name(x));
	fprintf(r->t, "    %-12s %s\n", "serial:", hex != NULL ? hex : "?");
	fprintf(r->t, "    %-12s %s\n", "not before:", t1);
	fprintf(r->t, "    %-12s %s\n", "not after:", t2);
	fprintf(r->t, "    %-12s %s\n", "SHA-256:", fp);
	fputs(pem, r->t);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* ------------------------------------------------------------------ */
/* Building                                                           */

static X509_NAME *
build_name(const struct ca_ceremony *c)
{
	X509_NAME	*n;
	size_t		 i;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	for (i = 0; i < NSUBJ; i++) {
		if (c->subj[i] == NULL)
			continue;
		if (!X509_NAME_add_entry_by_NID(n, subj_attrs[i].nid,
		    i == SUBJ_C || i == SUBJ_SN ? MBSTRING_ASC : MBSTRING_UTF8,
		    (const unsigned char *)c->subj[i], -1, -1, 0)) {
			X509_NAME_free(n);
			return NULL;
		}
	}
	return n;
}

/*
 * The CA extensions (ca/build.c), in this order: basicConstraints
 * (critical, cA TRUE, pathLen; RFC 5280 4.2.1.9), keyUsage (critical,
 * keyCertSign and optionally cRLSign; 4.2.1.3), then for certificates SKI
 * (4.2.1.2) and AKI (4.2.1.1; a root's is its own SKI), certificate
 * policies (4.2.1.4), CRL distribution point (4.2.1.13), and TNAuthList
 * (RFC 8226 section 9, non-critical).  A request's are added to a
 * scratch certificate, whose list becomes the extensionRequest.
 */
static int
add_exts(const struct ca_ceremony *c, X509 *x, const X509_PUBKEY *xpk,
    bool for_csr, struct st_err *e)
{
	ASN1_OCTET_STRING	*aki = NULL;
	uint8_t			 ski[20];
	unsigned		 ku = 1u << 5;		/* keyCertSign */
	int			 rc;

	if (c->crl_sign)
		ku |= 1u << 6;				/* cRLSign */
	if ((rc = ca_ext_basic_constraints(x, true, (int)c->pathlen,
	    e)) != 0 || (rc = ca_ext_key_usage(x, ku, e)) != 0)
		goto out;
	if (!for_csr && ((rc = ca_key_id(xpk, ski, e)) != 0 ||
	    (c->issuer != NULL && (rc = ca_issuer_ski(c->issuer, &aki,
	    e)) != 0) || (rc = ca_ext_key_ids(x, ski, aki, e)) != 0))
		goto out;
	if (c->npolicies > 0 && (rc = ca_ext_policies(x,
	    (const char *const *)c->policies, c->npolicies, e)) != 0)
		goto out;
	if (c->crl_url != NULL &&
	    (rc = ca_ext_crldp(x, c->crl_url, NULL, e)) != 0)
		goto out;
	if (c->tnauth_der != NULL && (rc = ca_ext_der(x, CA_OID_TNAUTHLIST,
	    c->tnauth_der, c->tnauth_len, e)) != 0)
		goto out;
	rc = 0;
out:
	ASN1_OCTET_STRING_free(aki);
	return rc;
}

/* What a ceremony signs: a certificate, a request or a CRL. */
struct signed_type {
	const char	*what;			/* in messages */
	const char	*label;			/* PEM */
	const ASN1_ITEM	*(*item)(void);
	int		(*sign)(void *, EVP_MD_CTX *);
};

static int
sign_cert(void *x, EVP_MD_CTX *mctx)
{
	return X509_sign_ctx(x, mctx);
}

static int
sign_req(void *q, EVP_MD_CTX *mctx)
{
	return X509_REQ_sign_ctx(q, mctx);
}

static int
sign_crl(void *crl, EVP_MD_CTX *mctx)
{
	return X509_CRL_sign_ctx(crl, mctx);
}

static const struct signed_type st_cert = { "certificate", "CERTIFICATE",
	X509_it, sign_cert };
static const struct signed_type st_req = { "request",
	"CERTIFICATE REQUEST", X509_REQ_it, sign_req };
static const struct signed_type st_crl = { "CRL", "X509 CRL", X509_CRL_it,
	sign_crl };

/*
 * Sign obj with k through the hsm provider (hsm_key_sign_init), then
 * encode it and decode that DER again, so that what is checked, printed
 * and written is what a relying party reads.  The caller owns *der
 * (OPENSSL_malloc'd), *pem (malloc'd) and *fin (free with t->item).
 */
static int
sign_redecode(const struct signed_type *t, struct hsm_key *k, void *obj,
    uint8_t **der, size_t *len, char **pem, void **fin, struct st_err *e)
{
	EVP_MD_CTX		*mctx = NULL;
	const unsigned char	*p;
	int			 n, rc = ST_E_NOMEM;

	*der = NULL;
	*len = 0;
	*pem = NULL;
	*fin = NULL;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if ((rc = hsm_key_sign_init(k, mctx, e)) != 0)
		goto out;
	if (t->sign(obj, mctx) <= 0) {
		rc = st_err_ossl(e, ST_E_HSM, "signing the %s", t->what);
		goto out;
	}
	if ((n = ASN1_item_i2d(obj, der, t->item())) <= 0) {
		*der = NULL;
		rc = st_err_ossl(e, ST_E_CRYPTO, "encoding the %s", t->what);
		goto out;
	}
	*len = (size_t)n;
	p = *der;
	if ((*fin = ASN1_item_d2i(NULL, &p, n, t->item())) == NULL) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "re-decoding the %s",
		    t->what);
		goto out;
	}
	if ((rc = ca_pem_encode(t->label, *der, *len, pem)) != 0) {
		rc = st_err_set(e, rc, "cannot PEM-encode the %s", t->what);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_free(*der);
		*der = NULL;
		*len = 0;
		ASN1_item_free(*fin, t->item());
		*fin = NULL;
	}
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	return rc;
}

/*
 * Check the new certificate with OpenSSL's path validation against the
 * issuer as trust anchor, at the certificate's notBefore (a ceremony may
 * prepare certificates valid from a later date), with X509_STRICT.
 */
static int
verify_chain(X509 *x, X509 *anchor, int64_t at, struct st_err *e)
{
	X509_STORE	*st = NULL;
	X509_STORE_CTX	*ctx = NULL;
	X509_VERIFY_PARAM *vp;
	unsigned long	 flags = X509_V_FLAG_X509_STRICT |
	    X509_V_FLAG_CHECK_SS_SIGNATURE;
	int		 rc = ST_E_NOMEM, err;

	if (X509_check_issued(anchor, anchor) != X509_V_OK)
		flags |= X509_V_FLAG_PARTIAL_CHAIN;
	if ((st = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	if (!X509_STORE_add_cert(st, anchor) ||
	    !X509_STORE_CTX_init(ctx, st, x, NULL)) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "X509_STORE");
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	X509_VERIFY_PARAM_set_time(vp, (time_t)at);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		rc = st_err_set(e, ST_E_VERIFY, "the new certificate does not "
		    "verify against %s: %s",
		    anchor == x ? "itself" : "its issuer",
		    X509_verify_cert_error_string(err));
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

/*
 * Lint the certificate before it is signed (docs/lint.md), as issuance
 * does, and keep the TBS that was linted (*tbs, OPENSSL_malloc'd) to
 * compare with the one signed.  The TBS carries the AlgorithmIdentifier
 * the signing key produces first; OpenSSL 3.0 has no setter for it, so it
 * is written through the pointer X509_get0_tbs_sigalg returns into x
 * (ours), and X509_sign_ctx later writes the same value (ca/issue.c does
 * the same).  A root is linted as self-issued, an intermediate against
 * its issuer alone, both as ceremony certificates (ca_lint_ctx).
 */
static int
lint_cert(struct run *r, X509 *x, struct hsm_key *signer, uint8_t **tbs,
    size_t *tbs_len, struct st_err *e)
{
	struct ca_lint_ctx	 lc;
	X509_ALGOR		*alg = NULL;
	int			 n, rc;

	*tbs = NULL;
	*tbs_len = 0;
	if ((rc = ca_key_sigalg(signer, &alg, e)) != 0)
		goto out;
	if (!X509_ALGOR_copy((X509_ALGOR *)(uintptr_t)X509_get0_tbs_sigalg(x),
	    alg)) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memset(&lc, 0, sizeof(lc));
	lc.mode = CA_LINT_RFC9060;
	lc.ca = true;
	lc.ceremony = true;
	lc.issuer = r->c->issuer;
	if ((rc = ca_lint_cert(x, &lc, e)) != 0)
		goto out;
	if ((n = i2d_re_X509_tbs(x, tbs)) <= 0) {
		*tbs = NULL;
		rc = st_err_ossl(e, ST_E_CRYPTO, "encoding the TBS");
		goto out;
	}
	*tbs_len = (size_t)n;
	fprintf(r->t, "  lint:        ok (docs/lint.md)\n");
	rc = 0;
out:
	ERR_clear_error();
	X509_ALGOR_free(alg);
	return rc;
}

/*
 * Root and intermediate: build the TBSCertificate, lint it, sign it in
 * the HSM, re-decode what was signed and check it: the TBS that was
 * linted, the signature with the issuer's public key, the subject key
 * equal to the intended one, and a chain.
 */
static int
make_cert(struct run *r, struct st_err *e)
{
	struct ca_ceremony	*c = r->c;
	X509			*x = NULL, *fin = NULL;
	X509_NAME		*subj = NULL;
	struct hsm_key		*signer;
	X509			*anchor;
	uint8_t			 serial[CA_SERIAL_LEN];
	uint8_t			*der = NULL, *pk = NULL, *tbs = NULL;
	size_t			 len, tbs_len;
	void			*obj;
	int			 pklen, rc = ST_E_NOMEM;
	bool			 root = c->type == CA_CEREMONY_ROOT;

	signer = root ? r->newkey : r->signkey;
	if ((rc = step(r, e, "build the %s certificate and sign it with key "
	    "'%s'", root ? "self-signed root" : "intermediate",
	    hsm_key_label(signer))) != 0)
		goto out;
	rc = ST_E_NOMEM;
	if ((x = X509_new()) == NULL || (subj = build_name(c)) == NULL ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, root ? subj :
	    X509_get_subject_name(c->issuer)))
		goto out;
	if ((rc = ca_serial_draw(serial, e)) != 0)
		goto out;
	rc = ST_E_NOMEM;
	if (!ASN1_STRING_set(X509_get_serialNumber(x), serial,
	    sizeof(serial)) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)c->not_before) ==
	    NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)c->not_after) == NULL)
		goto out;
	if ((rc = ca_spki_copy(x, r->xpk, e)) != 0 ||
	    (rc = add_exts(c, x, r->xpk, false, e)) != 0 ||
	    (rc = lint_cert(r, x, signer, &tbs, &tbs_len, e)) != 0 ||
	    (rc = sign_redecode(&st_cert, signer, x, &der, &len, &r->pem_cert,
	    &obj, e)) != 0)
		goto out;
	fin = obj;
	(void)step(r, NULL, "verify the signature, the subject key and the "
	    "chain");
	if ((rc = ca_signed_tbs_check(der, len, tbs, tbs_len, e)) != 0)
		goto out;
	if ((pklen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(fin), &pk)) <= 0 ||
	    (size_t)pklen != r->spki_len || memcmp(pk, r->spki, r->spki_len)) {
		rc = st_err_set(e, ST_E_VERIFY, "the certificate's subject "
		    "public key differs from the key being certified");
		goto out;
	}
	anchor = root ? fin : c->issuer;
	if (X509_verify(fin, X509_get0_pubkey(anchor)) != 1) {
		rc = st_err_ossl(e, ST_E_VERIFY, "the HSM's signature does not "
		    "verify with the %s public key",
		    root ? "root's own" : "issuer's");
		goto out;
	}
	if (root && X509_check_issued(fin, fin) != X509_V_OK) {
		rc = st_err_set(e, ST_E_VERIFY, "the root is not self-issued");
		goto out;
	}
	if ((rc = verify_chain(fin, anchor, c->not_before, e)) != 0)
		goto out;
	fprintf(r->t, "  signature:   ok (%s)\n",
	    OBJ_nid2ln(X509_get_signature_nid(fin)));
	fprintf(r->t, "  chain:       ok (OpenSSL path validation, "
	    "X509_STRICT, at notBefore)\n");
	print_cert(r, fin, der, len, r->pem_cert);
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	OPENSSL_free(pk);
	OPENSSL_free(tbs);
	X509_NAME_free(subj);
	X509_free(fin);
	X509_free(x);
	return rc;
}

/*
 * A PKCS#10 request (RFC 2986) for an upstream CA: subject, the new key,
 * and the wanted CA extensions in an extensionRequest attribute.
 */
static int
make_csr(struct run *r, struct st_err *e)
{
	struct ca_ceremony	*c = r->c;
	X509_REQ		*q = NULL, *fin = NULL;
	X509_NAME		*subj = NULL;
	X509			*scratch = NULL;
	uint8_t			*der = NULL;
	size_t			 len;
	void			*obj;
	char			 fp[128];
	int			 rc = ST_E_NOMEM;

	if ((rc = step(r, e, "build the certificate request and sign it with "
	    "key '%s'", hsm_key_label(r->newkey))) != 0)
		goto out;
	rc = ST_E_NOMEM;
	if ((q = X509_REQ_new()) == NULL || (subj = build_name(c)) == NULL ||
	    (scratch = X509_new()) == NULL ||
	    !X509_REQ_set_version(q, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(q, subj))
		goto out;
	if ((rc = ca_pubkey_copy(X509_REQ_get_X509_PUBKEY(q), r->xpk,
	    e)) != 0 || (rc = add_exts(c, scratch, r->xpk, true, e)) != 0)
		goto out;
	if (!X509_REQ_add_extensions(q, X509_get0_extensions(scratch))) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "extensionRequest");
		goto out;
	}
	if ((rc = sign_redecode(&st_req, r->newkey, q, &der, &len, &r->pem_csr,
	    &obj, e)) != 0)
		goto out;
	fin = obj;
	(void)step(r, NULL, "verify the request's signature");
	if (X509_REQ_verify(fin, hsm_key_pubkey(r->newkey)) != 1) {
		rc = st_err_ossl(e, ST_E_VERIFY, "the HSM's signature on the "
		    "request does not verify");
		goto out;
	}
	fingerprint(der, len, fp, sizeof(fp));
	fprintf(r->t, "  signature:   ok\n  request:\n");
	print_name(r->t, "subject:", X509_REQ_get_subject_name(fin));
	fprintf(r->t, "    %-12s %s\n", "SHA-256:", fp);
	fputs(r->pem_csr, r->t);
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(scratch);
	X509_NAME_free(subj);
	X509_REQ_free(fin);
	X509_REQ_free(q);
	return rc;
}

/*
 * The entries of the signed CRL, in its order (ca/crl.c sorts them):
 * serial, revocation date (RFC 5280 section 5.1.2.6) and reason (section
 * 5.3.1; "unspecified" when the entry has no reasonCode).
 */
static void
print_revoked(FILE *t, X509_CRL *crl)
{
	STACK_OF(X509_REVOKED)	*rs;
	X509_REVOKED		*rev;
	ASN1_ENUMERATED		*re;
	BIGNUM			*bn;
	struct tm		 tm;
	char			*hex, date[32], why[32];
	const char		*name;
	long			 code;
	int			 i, n;
	size_t			 j;

	rs = X509_CRL_get_REVOKED(crl);
	n = rs != NULL ? sk_X509_REVOKED_num(rs) : 0;
	fprintf(t, "    %-12s %d\n", "entries:", n);
	for (i = 0; i < n; i++) {
		rev = sk_X509_REVOKED_value(rs, i);
		bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(rev),
		    NULL);
		hex = bn != NULL ? BN_bn2hex(bn) : NULL;
		if (ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rev),
		    &tm))
			st_time_format((int64_t)timegm(&tm), date,
			    sizeof(date));
		else
			snprintf(date, sizeof(date), "?");
		name = "unspecified (no reasonCode)";
		if ((re = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL,
		    NULL)) != NULL) {
			code = ASN1_ENUMERATED_get(re);
			snprintf(why, sizeof(why), "reason code %ld", code);
			name = why;
			for (j = 0; reason_names[j] != NULL; j++)
				if (reason_codes[j] == code)
					name = reason_names[j];
			ASN1_ENUMERATED_free(re);
		}
		fprintf(t, "    %-12s %s  %s  %s\n", "revoked:",
		    hex != NULL ? hex : "?", date, name);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	ERR_clear_error();
}

/*
 * RFC 5280 section 5: a v2 CRL (ca/crl.c) with authorityKeyIdentifier
 * (5.2.1, MUST) and cRLNumber (5.2.3, MUST), signed in the HSM and
 * verified with the issuer certificate's public key.
 */
static int
make_crl(struct run *r, struct st_err *e)
{
	struct ca_ceremony	*c = r->c;
	X509_CRL		*crl = NULL, *fin = NULL;
	ASN1_OCTET_STRING	*aki = NULL;
	uint8_t			*der = NULL;
	size_t			 len, i;
	void			*obj;
	char			 fp[128], t1[32], t2[32];
	int			 rc;

	if ((rc = step(r, e, "build CRL number %lld with %zu entries and sign "
	    "it with key '%s'", (long long)c->crl_number, c->nrevoked,
	    c->sign_label)) != 0)
		goto out;
	if ((rc = ca_crl_new(c->issuer, c->this_update, c->next_update,
	    &crl)) != 0)
		goto out;
	for (i = 0; i < c->nrevoked; i++)
		if ((rc = ca_crl_revoked_add(crl, c->revoked[i].serial,
		    c->revoked[i].date, c->revoked[i].reason)) != 0)
			goto out;
	if ((rc = ca_issuer_ski(c->issuer, &aki, e)) != 0 ||
	    (rc = ca_crl_finish(crl, aki, c->crl_number)) != 0 ||
	    (rc = sign_redecode(&st_crl, r->signkey, crl, &der, &len,
	    &r->pem_crl, &obj, e)) != 0)
		goto out;
	fin = obj;
	(void)step(r, NULL, "verify the CRL's signature with the issuer "
	    "certificate");
	if (X509_CRL_verify(fin, X509_get0_pubkey(c->issuer)) != 1) {
		rc = st_err_ossl(e, ST_E_VERIFY, "the HSM's signature on the "
		    "CRL does not verify with the issuer's public key");
		goto out;
	}
	fingerprint(der, len, fp, sizeof(fp));
	st_time_format(c->this_update, t1, sizeof(t1));
	st_time_format(c->next_update, t2, sizeof(t2));
	fprintf(r->t, "  signature:   ok\n  CRL:\n");
	print_name(r->t, "issuer:", X509_CRL_get_issuer(fin));
	fprintf(r->t, "    %-12s %lld\n", "number:", (long long)c->crl_number);
	fprintf(r->t, "    %-12s %s\n", "this update:", t1);
	fprintf(r->t, "    %-12s %s\n", "next update:", t2);
	print_revoked(r->t, fin);
	fprintf(r->t, "    %-12s %s\n", "SHA-256:", fp);
	fputs(r->pem_crl, r->t);
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(aki);
	X509_CRL_free(fin);
	X509_CRL_free(crl);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Running                                                            */

static int
outputs_absent(const struct ca_ceremony *c, struct st_err *e)
{
	const char *const	outs[] = { c->out_pubkey, c->out_cert,
		c->out_csr, c->out_crl };
	struct stat		st;
	size_t			i;

	for (i = 0; i < 4; i++)
		if (outs[i] != NULL && lstat(outs[i], &st) == 0)
			return st_err_set(e, ST_E_EXISTS, "%s: already exists; "
			    "refusing to overwrite", outs[i]);
	return 0;
}

static int
write_out(struct run *r, const char *path, const char *pem, struct st_err *e)
{
	int	rc;

	if (path == NULL)
		return 0;
	if ((rc = st_file_write(path, pem, strlen(pem), 0644, true, e)) != 0)
		return rc;
	fprintf(r->t, "  wrote %s\n", path);
	return 0;
}

static void
print_header(struct run *r)
{
	const struct ca_ceremony	*c = r->c;
	char				 now[32];

	st_time_format((int64_t)time(NULL), now, sizeof(now));
	fprintf(r->t, "=== stica key ceremony: %s ===\n",
	    type_names[c->type]);
	fprintf(r->t, "ceremony file: %s\n", c->path);
	fprintf(r->t, "file SHA-256:  %s\n", c->sha256_hex);
	fprintf(r->t, "started:       %s\n", now);
}

static void
print_plan(struct run *r)
{
	const struct ca_ceremony	*c = r->c;

	fprintf(r->t, "token:         %s\n", c->token);
	fprintf(r->t, "module:        %s\n",
	    c->module != NULL ? c->module : "(default)");
	if (c->label != NULL)
		fprintf(r->t, "new key:       %s (%s)\n", c->label,
		    hsm_keytype_name(c->ktype));
	if (c->sign_label != NULL)
		fprintf(r->t, "signing key:   %s (issuer %s)\n", c->sign_label,
		    c->issuer_path);
	if (c->in_pubkey != NULL)
		fprintf(r->t, "public key:    %s\n", c->in_pubkey);
	if (c->out_pubkey != NULL)
		fprintf(r->t, "output:        %s (public key)\n",
		    c->out_pubkey);
	if (c->out_cert != NULL)
		fprintf(r->t, "output:        %s (certificate)\n",
		    c->out_cert);
	if (c->out_csr != NULL)
		fprintf(r->t, "output:        %s (request)\n", c->out_csr);
	if (c->out_crl != NULL)
		fprintf(r->t, "output:        %s (CRL)\n", c->out_crl);
}

/*
 * The signing key must be the issuer certificate's key (Boulder compares
 * the public keys before signing, anchors.md section 1.5).
 */
static int
check_signer(struct run *r, struct st_err *e)
{
	const uint8_t	*spki;
	uint8_t		*der = NULL;
	size_t		 len;
	int		 dlen, rc = 0;

	spki = hsm_key_spki(r->signkey, &len);
	if ((dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(r->c->issuer),
	    &der)) <= 0)
		rc = st_err_ossl(e, ST_E_CRYPTO, "issuer public key");
	else if ((size_t)dlen != len || memcmp(der, spki, len) != 0)
		rc = st_err_set(e, ST_E_VERIFY, "signing key '%s' is not the "
		    "key of the issuer certificate %s", r->c->sign_label,
		    r->c->issuer_path);
	OPENSSL_free(der);
	return rc;
}

/* The issuer certificate the signing key must match: subject, SHA-256. */
static void
print_issuer(struct run *r)
{
	uint8_t	*der = NULL;
	char	 fp[128];
	int	 len;

	fprintf(r->t, "  issuer certificate: %s\n", r->c->issuer_path);
	print_name(r->t, "subject:", X509_get_subject_name(r->c->issuer));
	if ((len = i2d_X509(r->c->issuer, &der)) > 0) {
		fingerprint(der, (size_t)len, fp, sizeof(fp));
		fprintf(r->t, "    %-12s %s\n", "SHA-256:", fp);
	}
	OPENSSL_free(der);
}

static int
open_keys(struct run *r, const struct ca_ceremony_opts *o, struct st_err *e)
{
	struct ca_ceremony	*c = r->c;
	struct hsm_params	 hp;
	char			 uri[LABEL_MAX + 32];
	const char		*conf;
	int			 rc;

	conf = o != NULL && o->softhsm2_conf != NULL ? o->softhsm2_conf :
	    c->softhsm2_conf;
	if (conf != NULL && setenv("SOFTHSM2_CONF", conf, 1) == -1)
		return st_err_set(e, ST_E_INTERNAL, "setenv: %s",
		    strerror(errno));
	memset(&hp, 0, sizeof(hp));
	hp.module = c->module;
	hp.token_uri = c->token;
	hp.pin_env = c->pin_env;
	if ((rc = step(r, e, "open the token and log in")) != 0 ||
	    (rc = hsm_open(&hp, &r->h, e)) != 0)
		return rc;
	fprintf(r->t, "  token label: %s\n", hsm_token_label(r->h));
	if (c->sign_label != NULL) {
		(void)step(r, NULL, "find signing key '%s' and compare it "
		    "with %s", c->sign_label, c->issuer_path);
		snprintf(uri, sizeof(uri), "pkcs11:object=%s;type=private",
		    c->sign_label);
		if ((rc = hsm_key_load(r->h, uri, &r->signkey, e)) != 0)
			return rc;
		print_key(r, r->signkey);
		print_issuer(r);
		if ((rc = check_signer(r, e)) != 0)
			return rc;
		fprintf(r->t, "  signing key: matches the issuer certificate "
		    "(SubjectPublicKeyInfo byte for byte)\n");
	}
	if (c->label != NULL) {
		if ((rc = step(r, e, "generate key pair '%s' (%s) in the "
		    "token: sensitive, never extractable, sign only", c->label,
		    hsm_keytype_name(c->ktype))) != 0)
			return rc;
		if ((rc = hsm_key_generate(r->h, c->label, c->ktype,
		    &r->newkey, e)) != 0)
			return rc;
		print_key(r, r->newkey);
		r->spki = hsm_key_spki(r->newkey, &r->spki_len);
		if (c->out_pubkey != NULL &&
		    (rc = ca_pem_encode("PUBLIC KEY", r->spki, r->spki_len,
		    &r->pem_pubkey)) != 0)
			return rc;
	} else if (c->in_spki != NULL) {
		(void)step(r, NULL, "take the public key to certify from %s",
		    c->in_pubkey);
		fprintf(r->t, "  key type:    %s\n",
		    c->in_curve == NID_secp384r1 ? "ec-p384" : "ec-p256");
		print_spki(r, c->in_spki, c->in_spki_len);
		r->spki = c->in_spki;
		r->spki_len = c->in_spki_len;
	}
	if (r->spki != NULL &&
	    (rc = ca_spki_decode(r->spki, r->spki_len, &r->xpk, e)) != 0)
		return rc;
	return 0;
}

/* SHA-256 of a PEM output as hex (what sha256sum says of the file). */
static json_t *
out_digest(const char *path, const char *pem)
{
	uint8_t	md[32];
	char	hex[2 * sizeof(md) + 1];

	if (path == NULL || pem == NULL || file_sha256((const uint8_t *)pem,
	    strlen(pem), md) != 0)
		return NULL;
	st_hex_write(md, sizeof(md), hex);
	return json_pack("{s:s, s:s}", "path", path, "sha256", hex);
}

/*
 * The "ceremony-end" line: complete, with each output's digest and the
 * subject key's, or failed, with the error.  When the ceremony itself
 * succeeded but this line cannot be written, that is the error: the
 * outputs exist, and the operator is told the log lacks its end.
 */
static int
audit_end(struct run *r, int rc, struct st_err *e)
{
	json_t	*f, *v;
	char	 fp[128];

	if (rc == 0) {
		f = json_pack("{s:s}", "result", "complete");
		if (f != NULL && r->spki != NULL) {
			fingerprint(r->spki, r->spki_len, fp, sizeof(fp));
			json_object_set_new(f, "subject-spki-sha256",
			    json_string(fp));
		}
		if (f != NULL && (v = out_digest(r->c->out_pubkey,
		    r->pem_pubkey)) != NULL)
			json_object_set_new(f, "public-key", v);
		if (f != NULL && (v = out_digest(r->c->out_cert,
		    r->pem_cert)) != NULL)
			json_object_set_new(f, "certificate", v);
		if (f != NULL && (v = out_digest(r->c->out_csr,
		    r->pem_csr)) != NULL)
			json_object_set_new(f, "csr", v);
		if (f != NULL && (v = out_digest(r->c->out_crl,
		    r->pem_crl)) != NULL)
			json_object_set_new(f, "crl", v);
	} else
		f = json_pack("{s:s, s:s}", "result", "failed", "error",
		    st_err_str(e, rc));
	r->arc = 0;
	if (f == NULL)
		r->arc = st_err_set(&r->aerr, ST_E_NOMEM, "audit: out of "
		    "memory");
	else
		audit_line(r, "ceremony-end", f);
	json_decref(f);
	if (rc == 0 && r->arc != 0) {
		fprintf(r->t, "\naudit: the outputs are written, but the end "
		    "of this ceremony is not in the audit log: %s\n",
		    st_err_str(&r->aerr, r->arc));
		return st_err_set(e, r->arc, "audit log: %s (the outputs are "
		    "written; the transcript is the record)",
		    st_err_str(&r->aerr, r->arc));
	}
	return rc;
}

int
ca_ceremony_run(struct ca_ceremony *c, const struct ca_ceremony_opts *o,
    FILE *t, struct st_err *e)
{
	struct run	r;
	int		rc = ST_E_INTERNAL;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.t = t;
	if (o != NULL && !o->dry_run)
		r.audit = o->audit;
	print_header(&r);
	print_plan(&r);
	if (r.audit == NULL && (o == NULL || !o->dry_run))
		fprintf(t, "\naudit: not recorded in a store's audit log (no "
		    "--config); keep this transcript\n");
	if ((rc = step(&r, e, "check that no output file exists")) != 0 ||
	    (rc = outputs_absent(c, e)) != 0)
		goto out;
	if (o != NULL && o->dry_run) {
		fprintf(t, "\ndry run: %s is valid; the token was not "
		    "touched\n", c->path);
		rc = 0;
		goto out;
	}
	if ((rc = open_keys(&r, o, e)) != 0)
		goto out;
	switch (c->type) {
	case CA_CEREMONY_ROOT:
	case CA_CEREMONY_INTERMEDIATE:
		rc = make_cert(&r, e);
		break;
	case CA_CEREMONY_CSR:
		rc = make_csr(&r, e);
		break;
	case CA_CEREMONY_CRL:
		rc = make_crl(&r, e);
		break;
	case CA_CEREMONY_KEY:
		rc = 0;
		break;
	}
	if (rc != 0)
		goto out;
	if ((rc = step(&r, e, "write the outputs")) != 0 ||
	    (rc = write_out(&r, c->out_pubkey, r.pem_pubkey, e)) != 0 ||
	    (rc = write_out(&r, c->out_cert, r.pem_cert, e)) != 0 ||
	    (rc = write_out(&r, c->out_csr, r.pem_csr, e)) != 0 ||
	    (rc = write_out(&r, c->out_crl, r.pem_crl, e)) != 0)
		goto out;
	fprintf(t, "\n=== ceremony complete ===\n");
	rc = 0;
out:
	if (rc != 0)
		fprintf(t, "\n=== ceremony FAILED: %s ===\n",
		    st_err_str(e, rc));
	fflush(t);
	if (r.audit != NULL)
		rc = audit_end(&r, rc, e);
	hsm_key_free(r.newkey);
	hsm_key_free(r.signkey);
	hsm_close(r.h);
	X509_PUBKEY_free(r.xpk);
	free(r.pem_pubkey);
	free(r.pem_cert);
	free(r.pem_csr);
	free(r.pem_crl);
	return rc;
}
