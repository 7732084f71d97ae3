/* SPDX-License-Identifier: ISC */
/*
 * Token initialisation through PKCS#11 (for stica init and key
 * ceremonies): C_InitToken on a slot whose token is not yet initialised,
 * then C_Login as SO and C_InitPIN (PKCS#11 v2.40 sections 5.5 and 5.6).
 * SoftHSM always offers one such slot and gives the token a new slot id
 * afterwards, so the token is found again by its label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/hsm_int.h"

/* Every slot with a token, into a malloc'd array.  Inside enter/leave. */
static int
slots_with_tokens(struct hsm_mod *m, CK_SLOT_ID **out, CK_ULONG *n,
    struct st_err *e)
{
	CK_SLOT_ID	*s = NULL;
	CK_RV		 rv;

	*out = NULL;
	*n = 0;
	if ((rv = m->f->C_GetSlotList(CK_TRUE, NULL, n)) != CKR_OK)
		return hsm_ckr_err(e, rv, "C_GetSlotList", "module %s",
		    m->path);
	if (*n == 0)
		return 0;
	if ((s = calloc(*n, sizeof(*s))) == NULL)
		return st_err_set(e, ST_E_NOMEM, "out of memory");
	if ((rv = m->f->C_GetSlotList(CK_TRUE, s, n)) != CKR_OK) {
		free(s);
		return hsm_ckr_err(e, rv, "C_GetSlotList", "module %s",
		    m->path);
	}
	*out = s;
	return 0;
}

/* The slot of the initialised token labelled label, if any. */
static int
find_label(struct hsm_mod *m, const char *label, CK_SLOT_ID *slot,
    bool *found, struct st_err *e)
{
	CK_SLOT_ID	*s = NULL;
	CK_TOKEN_INFO	 ti;
	CK_ULONG	 n, i;
	char		 lab[33];
	int		 rc;

	*found = false;
	if ((rc = slots_with_tokens(m, &s, &n, e)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (m->f->C_GetTokenInfo(s[i], &ti) != CKR_OK ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0)
			continue;
		hsm_label_copy(lab, sizeof(lab), ti.label, sizeof(ti.label));
		if (strcmp(lab, label) == 0) {
			*slot = s[i];
			*found = true;
			break;
		}
	}
	free(s);
	return 0;
}

/* A PIN within the token's ulMinPinLen..ulMaxPinLen. */
static int
pin_check(const char *what, const char *pin, const CK_TOKEN_INFO *ti,
    struct st_err *e)
{
	size_t	len;

	if (pin == NULL || (len = strlen(pin)) == 0)
		return st_err_set(e, ST_E_HSM_PIN, "%s PIN missing", what);
	if (len < ti->ulMinPinLen || len > ti->ulMaxPinLen)
		return st_err_set(e, ST_E_HSM_PIN, "%s PIN has %zu characters; "
		    "the token takes %lu to %lu", what, len,
		    (unsigned long)ti->ulMinPinLen,
		    (unsigned long)ti->ulMaxPinLen);
	return 0;
}

/* See hsm.h; PKCS#11 v2.40 sections 5.5 (C_InitToken, C_InitPIN). */
int
hsm_token_init(const char *module, const char *label, const char *so_pin,
    const char *user_pin, struct st_err *e)
{
	struct hsm_mod		*m = NULL;
	CK_SLOT_ID		*s = NULL, slot = 0;
	CK_TOKEN_INFO		 ti, freeti;
	CK_SESSION_HANDLE	 sh = CK_INVALID_HANDLE;
	CK_UTF8CHAR		 lab32[32];
	CK_ULONG		 n = 0, i;
	CK_RV			 rv;
	size_t			 llen, j;
	bool			 found = false, entered = false, have_free = false;
	char			 lab[33];
	int			 rc = ST_E_INTERNAL;

	if (label == NULL || (llen = strlen(label)) == 0 || llen > 32) {
		rc = st_err_set(e, ST_E_USAGE, "token label must have 1 to 32 "
		    "bytes (PKCS#11 CK_TOKEN_INFO.label)");
		goto out;
	}
	for (j = 0; j < llen; j++)
		if ((unsigned char)label[j] < 0x20 || label[j] == 0x7f) {
			rc = st_err_set(e, ST_E_USAGE, "token label has a "
			    "control character");
			goto out;
		}
	if ((rc = hsm_mod_get(hsm_module_path(module), &m, e)) != 0)
		goto out;
	hsm_mod_enter(m);
	entered = true;
	if ((rc = find_label(m, label, &slot, &found, e)) != 0)
		goto out;
	if (found) {
		rc = st_err_set(e, ST_E_EXISTS, "token '%s' already exists in "
		    "module %s", label, m->path);
		goto out;
	}
	if ((rc = slots_with_tokens(m, &s, &n, e)) != 0)
		goto out;
	for (i = 0; i < n && !have_free; i++)
		if (m->f->C_GetTokenInfo(s[i], &ti) == CKR_OK &&
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
			slot = s[i];
			freeti = ti;
			have_free = true;
		}
	if (!have_free) {
		rc = st_err_set(e, ST_E_HSM_NOTOKEN, "module %s has no slot "
		    "with an uninitialised token", m->path);
		goto out;
	}
	if ((rc = pin_check("SO", so_pin, &freeti, e)) != 0 ||
	    (rc = pin_check("user", user_pin, &freeti, e)) != 0)
		goto out;
	memset(lab32, ' ', sizeof(lab32));
	memcpy(lab32, label, llen);
	if ((rv = m->f->C_InitToken(slot, (CK_UTF8CHAR *)(uintptr_t)so_pin,
	    strlen(so_pin), lab32)) != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_InitToken", "token '%s'", label);
		goto out;
	}
	/* SoftHSM moves the token to a new slot id: find it by label. */
	if ((rc = find_label(m, label, &slot, &found, e)) != 0)
		goto out;
	if (!found) {
		rc = st_err_set(e, ST_E_HSM_NOTOKEN, "token '%s' not found "
		    "after C_InitToken", label);
		goto out;
	}
	if ((rv = m->f->C_OpenSession(slot, CKF_SERIAL_SESSION |
	    CKF_RW_SESSION, NULL, NULL, &sh)) != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_OpenSession", "token '%s'", label);
		goto out;
	}
	if ((rv = m->f->C_Login(sh, CKU_SO, (CK_UTF8CHAR *)(uintptr_t)so_pin,
	    strlen(so_pin))) != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_Login", "as SO, token '%s'", label);
		goto out;
	}
	rv = m->f->C_InitPIN(sh, (CK_UTF8CHAR *)(uintptr_t)user_pin,
	    strlen(user_pin));
	m->f->C_Logout(sh);
	if (rv != CKR_OK) {
		rc = hsm_ckr_err(e, rv, "C_InitPIN", "token '%s'", label);
		goto out;
	}
	hsm_label_copy(lab, sizeof(lab), lab32, sizeof(lab32));
	st_log(ST_LOG_DEBUG, "hsm: token '%s' initialised in slot %lu", lab,
	    (unsigned long)slot);
	rc = 0;
out:
	if (sh != CK_INVALID_HANDLE)
		m->f->C_CloseSession(sh);
	if (entered)
		hsm_mod_leave(m);
	free(s);
	hsm_mod_put(m);
	return rc;
}
