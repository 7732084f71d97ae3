/* SPDX-License-Identifier: ISC */
/*
 * hsm_list: the module, its slots and tokens, and the key pairs on each
 * token with their attributes, type, size, RFC 7512 URI and the SHA-256
 * fingerprint of the DER SubjectPublicKeyInfo.  Only public parts are
 * read; private key values are never asked for.  Without a PIN only the
 * public objects of a token are visible (PKCS#11 v2.40 section 4.4,
 * CKA_PRIVATE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hsm/hsm_int.h"

#define MAXOBJ 1024

static const struct {
	CK_ATTRIBUTE_TYPE	 t;
	const char		*name;
} privattrs[] = {
	{ CKA_SIGN, "sign" },
	{ CKA_DECRYPT, "decrypt" },
	{ CKA_DERIVE, "derive" },
	{ CKA_UNWRAP, "unwrap" },
	{ CKA_SIGN_RECOVER, "sign-recover" },
	{ CKA_SENSITIVE, "sensitive" },
	{ CKA_EXTRACTABLE, "extractable" },
	{ CKA_ALWAYS_SENSITIVE, "always-sensitive" },
	{ CKA_NEVER_EXTRACTABLE, "never-extractable" },
	{ CKA_PRIVATE, "private" },
	{ CKA_TOKEN, "token" },
	{ CKA_LOCAL, "local" },
}, pubattrs[] = {
	{ CKA_VERIFY, "verify" },
	{ CKA_ENCRYPT, "encrypt" },
	{ CKA_WRAP, "wrap" },
	{ CKA_DERIVE, "derive" },
	{ CKA_VERIFY_RECOVER, "verify-recover" },
	{ CKA_PRIVATE, "private" },
	{ CKA_TOKEN, "token" },
};

/* "name=yes name=no ..." for the boolean attributes of an object. */
static void
print_bools(FILE *f, struct hsm_mod *m, CK_SESSION_HANDLE s,
    CK_OBJECT_HANDLE o, const void *tbl, size_t n)
{
	const struct {
		CK_ATTRIBUTE_TYPE	 t;
		const char		*name;
	} *a = tbl;
	CK_ATTRIBUTE	at;
	CK_BBOOL	b;
	size_t		i;

	for (i = 0; i < n; i++) {
		b = CK_FALSE;
		at = (CK_ATTRIBUTE){ a[i].t, &b, sizeof(b) };
		if (m->f->C_GetAttributeValue(s, o, &at, 1) != CKR_OK)
			fprintf(f, " %s=?", a[i].name);
		else
			fprintf(f, " %s=%s", a[i].name, b ? "yes" : "no");
	}
	fputc('\n', f);
}

static void
print_hex(FILE *f, const uint8_t *p, size_t n, const char *sep, bool upper)
{
	size_t	i;

	for (i = 0; i < n; i++)
		fprintf(f, upper ? "%s%02X" : "%s%02x", i > 0 ? sep : "", p[i]);
}

/* One key pair, by its private object (priv) and/or public object. */
static void
print_key(FILE *f, struct hsm_mod *m, CK_SESSION_HANDLE s,
    const char *toklabel, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub)
{
	struct hsm_pub	 pk;
	struct st_err	 e;
	CK_OBJECT_HANDLE o = priv != CK_INVALID_HANDLE ? priv : pub;
	CK_KEY_TYPE	 kt;
	CK_RV		 rv = CKR_OK;
	uint8_t		*label = NULL, *id = NULL, *ktv = NULL;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	size_t		 llen = 0, idlen = 0, ktlen = 0;
	char		*ulab = NULL, *uid = NULL, *utok = NULL;

	memset(&pk, 0, sizeof(pk));
	st_err_clear(&e);
	if (hsm_attr_get(m, s, o, CKA_LABEL, &label, &llen, &rv, NULL) != 0)
		label = NULL;
	if (hsm_attr_get(m, s, o, CKA_ID, &id, &idlen, &rv, NULL) != 0)
		id = NULL;
	fprintf(f, "    key '%s' id ", label != NULL ? (char *)label : "");
	if (id != NULL)
		print_hex(f, id, idlen, "", false);
	fprintf(f, "%s\n", priv == CK_INVALID_HANDLE ?
	    " (public key only; log in to see the private key)" : "");
	if (hsm_attr_get(m, s, o, CKA_KEY_TYPE, &ktv, &ktlen, &rv, NULL) !=
	    0 || ktlen != sizeof(kt)) {
		fprintf(f, "      type: unknown\n");
		goto out;
	}
	memcpy(&kt, ktv, sizeof(kt));
	if (hsm_pub_read(m, s, kt == CKK_EC && pub != CK_INVALID_HANDLE ? pub :
	    o, kt, &pk, &rv, &e) != 0) {
		fprintf(f, "      type: %s (%s)\n", kt == CKK_EC ? "ec" :
		    kt == CKK_RSA ? "rsa" : "other", st_err_str(&e,
		    ST_E_HSM));
	} else {
		fprintf(f, "      type: %s (%s, %d bits)\n",
		    hsm_keytype_name(pk.type), kt == CKK_EC ?
		    (pk.type == HSM_KEY_EC_P256 ? "P-256" : "P-384") : "RSA",
		    pk.bits);
		if (EVP_Digest(pk.spki, pk.spkilen, md, &mdlen, EVP_sha256(),
		    NULL)) {
			fprintf(f, "      spki-sha256: ");
			print_hex(f, md, mdlen, ":", true);
			fputc('\n', f);
		}
	}
	if (priv != CK_INVALID_HANDLE) {
		fprintf(f, "      private:");
		print_bools(f, m, s, priv, privattrs,
		    sizeof(privattrs) / sizeof(privattrs[0]));
	}
	if (pub != CK_INVALID_HANDLE) {
		fprintf(f, "      public:");
		print_bools(f, m, s, pub, pubattrs,
		    sizeof(pubattrs) / sizeof(pubattrs[0]));
	}
	if (priv != CK_INVALID_HANDLE && id != NULL && label != NULL &&
	    (utok = hsm_uri_pct((const uint8_t *)toklabel, strlen(toklabel),
	    false)) != NULL &&
	    (uid = hsm_uri_pct(id, idlen, true)) != NULL &&
	    (ulab = hsm_uri_pct(label, llen, false)) != NULL)
		fprintf(f, "      uri: pkcs11:token=%s;id=%s;object=%s;"
		    "type=private\n", utok, uid, ulab);
out:
	hsm_pub_clear(&pk);
	free(label);
	free(id);
	free(ktv);
	free(utok);
	free(uid);
	free(ulab);
}

/* Whether two objects carry the same CKA_ID. */
static bool
same_id(struct hsm_mod *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE a,
    CK_OBJECT_HANDLE b)
{
	uint8_t	*x = NULL, *y = NULL;
	size_t	 xl = 0, yl = 0;
	CK_RV	 rv;
	bool	 same;

	same = hsm_attr_get(m, s, a, CKA_ID, &x, &xl, &rv, NULL) == 0 &&
	    hsm_attr_get(m, s, b, CKA_ID, &y, &yl, &rv, NULL) == 0 &&
	    xl == yl && memcmp(x, y, xl) == 0;
	free(x);
	free(y);
	return same;
}

/* The key pairs of one token: private keys with their public halves,
 * then public keys without a visible private half. */
static int
list_keys(FILE *f, struct hsm_mod *m, CK_SESSION_HANDLE s,
    const char *toklabel, struct st_err *e)
{
	CK_OBJECT_CLASS		 cp = CKO_PRIVATE_KEY, cq = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE		 tp = { CKA_CLASS, &cp, sizeof(cp) };
	CK_ATTRIBUTE		 tq = { CKA_CLASS, &cq, sizeof(cq) };
	CK_OBJECT_HANDLE	*priv = NULL, *pub = NULL;
	CK_ULONG		 np = 0, nq = 0, i, j;
	CK_RV			 rv = CKR_OK;
	bool			*used = NULL;
	int			 rc = ST_E_INTERNAL;

	if ((priv = calloc(MAXOBJ, sizeof(*priv))) == NULL ||
	    (pub = calloc(MAXOBJ, sizeof(*pub))) == NULL ||
	    (used = calloc(MAXOBJ, sizeof(*used))) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hsm_find(m, s, &tp, 1, priv, MAXOBJ, &np, &rv, e)) != 0 ||
	    (rc = hsm_find(m, s, &tq, 1, pub, MAXOBJ, &nq, &rv, e)) != 0)
		goto out;
	if (np == 0 && nq == 0)
		fprintf(f, "    (no keys)\n");
	for (i = 0; i < np; i++) {
		CK_OBJECT_HANDLE q = CK_INVALID_HANDLE;

		for (j = 0; j < nq; j++)
			if (!used[j] && same_id(m, s, priv[i], pub[j])) {
				q = pub[j];
				used[j] = true;
				break;
			}
		print_key(f, m, s, toklabel, priv[i], q);
	}
	for (j = 0; j < nq; j++)
		if (!used[j])
			print_key(f, m, s, toklabel, CK_INVALID_HANDLE, pub[j]);
	rc = 0;
out:
	free(priv);
	free(pub);
	free(used);
	return rc;
}

static void
print_flags(FILE *f, CK_FLAGS fl)
{
	static const struct {
		CK_FLAGS	 f;
		const char	*name;
	} t[] = {
		{ CKF_TOKEN_INITIALIZED, "initialised" },
		{ CKF_LOGIN_REQUIRED, "login-required" },
		{ CKF_USER_PIN_INITIALIZED, "user-pin-set" },
		{ CKF_PROTECTED_AUTHENTICATION_PATH, "pin-pad" },
		{ CKF_WRITE_PROTECTED, "write-protected" },
		{ CKF_USER_PIN_LOCKED, "user-pin-locked" },
		{ CKF_SO_PIN_LOCKED, "so-pin-locked" },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if ((fl & t[i].f) != 0)
			fprintf(f, " %s", t[i].name);
}

/*
 * The listing: module info, every slot, and for each initialised token
 * (those matching params->token_uri, if given) its key pairs.  Logs in
 * only to a token named by the URI and only with a PIN source; a login
 * failure is an error, a missing PIN is a note in the output.
 */
int
hsm_list(const struct hsm_params *p, FILE *f, struct st_err *e)
{
	struct hsm		 tmp;	/* for hsm_login only */
	struct hsm_mod		*m = NULL;
	P11KitUri		*turi = NULL;
	CK_SLOT_ID		*slots = NULL;
	CK_SLOT_INFO		 si;
	CK_TOKEN_INFO		 ti;
	CK_INFO			 info;
	CK_SESSION_HANDLE	 sh;
	CK_ULONG		 n = 0, i;
	CK_RV			 rv;
	char			*pin_file = NULL, a[65], b[65], c[33];
	const char		*module;
	bool			 entered = false, havepin;
	int			 rc = ST_E_INTERNAL, shown = 0;

	module = hsm_module_path(p != NULL ? p->module : NULL);
	if (p != NULL && p->token_uri != NULL &&
	    ((rc = hsm_uri_parse(p->token_uri, &turi, e)) != 0 ||
	    (rc = hsm_uri_check_token(turi, p->token_uri, module, &pin_file,
	    e)) != 0))
		goto out;
	if (p != NULL &&
	    (rc = hsm_pin_sources_check(pin_file, p->pin_env, e)) != 0)
		goto out;
	havepin = pin_file != NULL || (p != NULL && p->pin_env != NULL);
	if ((rc = hsm_mod_get(module, &m, e)) != 0)
		goto out;
	hsm_mod_enter(m);
	entered = true;
	if ((rv = m->f->C_GetInfo(&info)) != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_GetInfo", "module %s", module);
		goto out;
	}
	hsm_label_copy(a, sizeof(a), info.manufacturerID,
	    sizeof(info.manufacturerID));
	hsm_label_copy(b, sizeof(b), info.libraryDescription,
	    sizeof(info.libraryDescription));
	fprintf(f, "module %s: %s, %s %u.%u, Cryptoki %u.%u\n", m->path, a, b,
	    info.libraryVersion.major, info.libraryVersion.minor,
	    info.cryptokiVersion.major, info.cryptokiVersion.minor);
	if ((rv = m->f->C_GetSlotList(CK_FALSE, NULL, &n)) != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_GetSlotList", "module %s", module);
		goto out;
	}
	if (n > 0 && ((slots = calloc(n, sizeof(*slots))) == NULL ||
	    (rv = m->f->C_GetSlotList(CK_FALSE, slots, &n)) != CKR_OK)) {
		rc = slots == NULL ? st_err_set(e, ST_E_NOMEM, "out of "
		    "memory") : hsm_ckr_err(e, rv, "C_GetSlotList", "module %s",
		    module);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (m->f->C_GetSlotInfo(slots[i], &si) != CKR_OK)
			continue;
		if ((si.flags & CKF_TOKEN_PRESENT) == 0 ||
		    m->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK) {
			if (turi == NULL) {
				hsm_label_copy(a, sizeof(a),
				    si.slotDescription,
				    sizeof(si.slotDescription));
				fprintf(f, "slot %lu: %s: no token\n",
				    (unsigned long)slots[i], a);
			}
			continue;
		}
		if (turi != NULL && (!p11_kit_uri_match_token_info(turi, &ti) ||
		    !p11_kit_uri_match_slot_info(turi, &si) ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0))
			continue;
		shown++;
		hsm_label_copy(a, sizeof(a), si.slotDescription,
		    sizeof(si.slotDescription));
		fprintf(f, "slot %lu: %s\n", (unsigned long)slots[i], a);
		if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
			fprintf(f, "  token: not initialised\n");
			continue;
		}
		hsm_label_copy(c, sizeof(c), ti.label, sizeof(ti.label));
		hsm_label_copy(a, sizeof(a), ti.manufacturerID,
		    sizeof(ti.manufacturerID));
		hsm_label_copy(b, sizeof(b), ti.model, sizeof(ti.model));
		fprintf(f, "  token '%s': %s %s, serial ", c, a, b);
		hsm_label_copy(a, sizeof(a), ti.serialNumber,
		    sizeof(ti.serialNumber));
		fprintf(f, "%s, flags:", a);
		print_flags(f, ti.flags);
		fputc('\n', f);
		if ((rv = m->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION,
		    NULL, NULL, &sh)) != CKR_OK) {
			fprintf(f, "    (C_OpenSession: %s)\n",
			    hsm_ckr_name(rv) != NULL ? hsm_ckr_name(rv) : "?");
			continue;
		}
		if (havepin && turi != NULL &&
		    (ti.flags & CKF_LOGIN_REQUIRED) != 0) {
			memset(&tmp, 0, sizeof(tmp));
			tmp.mod = m;
			tmp.pin_file = pin_file;
			tmp.pin_env = p->pin_env != NULL ?
			    (char *)(uintptr_t)p->pin_env : NULL;
			tmp.tokflags = ti.flags;
			snprintf(tmp.label, sizeof(tmp.label), "%s", c);
			if ((rc = hsm_login(&tmp, sh, CKU_USER, e)) != 0) {
				m->f->C_CloseSession(sh);
				goto out;
			}
		} else if ((ti.flags & CKF_LOGIN_REQUIRED) != 0)
			fprintf(f, "    (not logged in: private objects are "
			    "hidden; give --token with pin-source)\n");
		rc = list_keys(f, m, sh, c, e);
		m->f->C_CloseSession(sh);
		if (rc != 0)
			goto out;
	}
	if (turi != NULL && shown == 0) {
		hsm_label_copy(c, sizeof(c),
		    p11_kit_uri_get_token_info(turi)->label, 32);
		rc = st_err_set(e, ST_E_HSM_NOTOKEN, "token '%s' not present in "
		    "module %s", c, module);
		goto out;
	}
	rc = 0;
out:
	if (entered)
		hsm_mod_leave(m);
	hsm_mod_put(m);
	free(slots);
	free(pin_file);
	p11_kit_uri_free(turi);
	return rc;
}
