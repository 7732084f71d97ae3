/* SPDX-License-Identifier: ISC */
/*
 * The PKCS#11 core: modules loaded once per process (dlopen, C_Initialize
 * with CKF_OS_LOCKING_OK), CK_RV names and their mapping onto the ST_E_*
 * space, token lookup by RFC 7512 URI, one login per token and process
 * (PKCS#11 v2.40 section 5.6: login state belongs to the application), a
 * bounded pool of sessions with take/return pairs (never one session in
 * two threads, section 5.1), and recovery: after fork() (pid change:
 * C_Initialize again, log in again, re-find keys) and after a lost session,
 * token or daemon (soft: re-open and re-login; hard: C_Finalize and
 * C_Initialize first), followed by one retry in the caller.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hsm/hsm_int.h"

/* Every return value PKCS#11 v2.40 defines, by name. */
static const struct {
	CK_RV		 rv;
	const char	*name;
} ckrtab[] = {
#define R(x) { x, #x }
	R(CKR_OK), R(CKR_CANCEL), R(CKR_HOST_MEMORY), R(CKR_SLOT_ID_INVALID),
	R(CKR_GENERAL_ERROR), R(CKR_FUNCTION_FAILED), R(CKR_ARGUMENTS_BAD),
	R(CKR_NO_EVENT), R(CKR_NEED_TO_CREATE_THREADS), R(CKR_CANT_LOCK),
	R(CKR_ATTRIBUTE_READ_ONLY), R(CKR_ATTRIBUTE_SENSITIVE),
	R(CKR_ATTRIBUTE_TYPE_INVALID), R(CKR_ATTRIBUTE_VALUE_INVALID),
	R(CKR_ACTION_PROHIBITED), R(CKR_DATA_INVALID), R(CKR_DATA_LEN_RANGE),
	R(CKR_DEVICE_ERROR), R(CKR_DEVICE_MEMORY), R(CKR_DEVICE_REMOVED),
	R(CKR_ENCRYPTED_DATA_INVALID), R(CKR_ENCRYPTED_DATA_LEN_RANGE),
	R(CKR_FUNCTION_CANCELED), R(CKR_FUNCTION_NOT_PARALLEL),
	R(CKR_FUNCTION_NOT_SUPPORTED), R(CKR_KEY_HANDLE_INVALID),
	R(CKR_KEY_SIZE_RANGE), R(CKR_KEY_TYPE_INCONSISTENT),
	R(CKR_KEY_NOT_NEEDED), R(CKR_KEY_CHANGED), R(CKR_KEY_NEEDED),
	R(CKR_KEY_INDIGESTIBLE), R(CKR_KEY_FUNCTION_NOT_PERMITTED),
	R(CKR_KEY_NOT_WRAPPABLE), R(CKR_KEY_UNEXTRACTABLE),
	R(CKR_MECHANISM_INVALID), R(CKR_MECHANISM_PARAM_INVALID),
	R(CKR_OBJECT_HANDLE_INVALID), R(CKR_OPERATION_ACTIVE),
	R(CKR_OPERATION_NOT_INITIALIZED), R(CKR_PIN_INCORRECT),
	R(CKR_PIN_INVALID), R(CKR_PIN_LEN_RANGE), R(CKR_PIN_EXPIRED),
	R(CKR_PIN_LOCKED), R(CKR_SESSION_CLOSED), R(CKR_SESSION_COUNT),
	R(CKR_SESSION_HANDLE_INVALID), R(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	R(CKR_SESSION_READ_ONLY), R(CKR_SESSION_EXISTS),
	R(CKR_SESSION_READ_ONLY_EXISTS), R(CKR_SESSION_READ_WRITE_SO_EXISTS),
	R(CKR_SIGNATURE_INVALID), R(CKR_SIGNATURE_LEN_RANGE),
	R(CKR_TEMPLATE_INCOMPLETE), R(CKR_TEMPLATE_INCONSISTENT),
	R(CKR_TOKEN_NOT_PRESENT), R(CKR_TOKEN_NOT_RECOGNIZED),
	R(CKR_TOKEN_WRITE_PROTECTED), R(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	R(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT), R(CKR_USER_ALREADY_LOGGED_IN),
	R(CKR_USER_NOT_LOGGED_IN), R(CKR_USER_PIN_NOT_INITIALIZED),
	R(CKR_USER_TYPE_INVALID), R(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	R(CKR_USER_TOO_MANY_TYPES), R(CKR_WRAPPED_KEY_INVALID),
	R(CKR_WRAPPED_KEY_LEN_RANGE), R(CKR_WRAPPING_KEY_HANDLE_INVALID),
	R(CKR_WRAPPING_KEY_SIZE_RANGE), R(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	R(CKR_RANDOM_SEED_NOT_SUPPORTED), R(CKR_RANDOM_NO_RNG),
	R(CKR_DOMAIN_PARAMS_INVALID), R(CKR_CURVE_NOT_SUPPORTED),
	R(CKR_BUFFER_TOO_SMALL), R(CKR_SAVED_STATE_INVALID),
	R(CKR_INFORMATION_SENSITIVE), R(CKR_STATE_UNSAVEABLE),
	R(CKR_CRYPTOKI_NOT_INITIALIZED), R(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	R(CKR_MUTEX_BAD), R(CKR_MUTEX_NOT_LOCKED), R(CKR_NEW_PIN_MODE),
	R(CKR_NEXT_OTP), R(CKR_EXCEEDED_MAX_ITERATIONS),
	R(CKR_FIPS_SELF_TEST_FAILED), R(CKR_LIBRARY_LOAD_FAILED),
	R(CKR_PIN_TOO_WEAK), R(CKR_PUBLIC_KEY_INVALID),
	R(CKR_FUNCTION_REJECTED),
#undef R
};

/* Registry of loaded modules and open tokens (for the fork handlers). */
static pthread_mutex_t	 reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hsm_mod	*reg_mods;
static struct hsm	*reg_hsms;
static pthread_once_t	 atfork_once = PTHREAD_ONCE_INIT;

/* The name of rv, or NULL for a value PKCS#11 v2.40 does not define. */
const char *
hsm_ckr_name(CK_RV rv)
{
	size_t	i;

	for (i = 0; i < sizeof(ckrtab) / sizeof(ckrtab[0]); i++)
		if (ckrtab[i].rv == rv)
			return ckrtab[i].name;
	return NULL;
}

/*
 * Map a CK_RV onto the one error space: PIN trouble, an absent token or
 * slot, an absent key object, a module that cannot work at all, and
 * everything else.
 */
int
hsm_ckr_code(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return 0;
	case CKR_HOST_MEMORY:
		return ST_E_NOMEM;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
	case CKR_PIN_TOO_WEAK:
	case CKR_USER_PIN_NOT_INITIALIZED:
		return ST_E_HSM_PIN;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_DEVICE_REMOVED:
	case CKR_SLOT_ID_INVALID:
		return ST_E_HSM_NOTOKEN;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return ST_E_HSM_NOKEY;
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_CRYPTOKI_ALREADY_INITIALIZED:
	case CKR_NEED_TO_CREATE_THREADS:
	case CKR_CANT_LOCK:
	case CKR_LIBRARY_LOAD_FAILED:
	case CKR_FIPS_SELF_TEST_FAILED:
		return ST_E_HSM_MODULE;
	default:
		return ST_E_HSM;
	}
}

/*
 * Whether rv means the session, the login, the object handles or the
 * device went away, so that re-opening, logging in again and finding the
 * key again may succeed (anchors.md section 7.1).
 */
bool
hsm_ckr_lost(CK_RV rv)
{
	switch (rv) {
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_HANDLE_INVALID:
	case CKR_USER_NOT_LOGGED_IN:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
	case CKR_SLOT_ID_INVALID:
	case CKR_GENERAL_ERROR:
		return true;
	default:
		return false;
	}
}

/*
 * Record "<call>: <CKR name>" (plus " (<context>)") in e with the code
 * hsm_ckr_code gives; returns that code.
 */
int
hsm_ckr_err(struct st_err *e, CK_RV rv, const char *call, const char *fmt,
    ...)
{
	char		 name[48], ctx[ST_ERR_MSGSZ];
	const char	*n;
	va_list		 ap;
	int		 code;

	code = hsm_ckr_code(rv);
	if (code == 0)
		code = ST_E_INTERNAL;
	if ((n = hsm_ckr_name(rv)) == NULL) {
		if (rv >= CKR_VENDOR_DEFINED)
			snprintf(name, sizeof(name), "CKR_VENDOR_DEFINED+0x%lx",
			    (unsigned long)(rv - CKR_VENDOR_DEFINED));
		else
			snprintf(name, sizeof(name), "CKR_0x%08lx",
			    (unsigned long)rv);
		n = name;
	}
	if (fmt == NULL)
		return st_err_set(e, code, "%s: %s", call, n);
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	return st_err_set(e, code, "%s: %s (%s)", call, n, ctx);
}

/*
 * Fork handlers.  prepare() takes every lock of hsm/ in the documented
 * order, so that no thread is inside the module or half-way through a
 * pool update when the process forks.  The parent releases them; the
 * child re-initialises them instead (glibc cannot unlock in the child a
 * rwlock write-locked before the fork: the owner's thread id changed).
 * The child then notices the new pid on its next call and runs
 * C_Initialize again.
 */
static void
atfork_prepare(void)
{
	struct hsm	*h;
	struct hsm_mod	*m;

	pthread_mutex_lock(&reg_mu);
	for (h = reg_hsms; h != NULL; h = h->next)
		pthread_mutex_lock(&h->mu);
	for (m = reg_mods; m != NULL; m = m->next)
		pthread_rwlock_wrlock(&m->rw);
}

static void
atfork_parent(void)
{
	struct hsm	*h;
	struct hsm_mod	*m;

	for (m = reg_mods; m != NULL; m = m->next)
		pthread_rwlock_unlock(&m->rw);
	for (h = reg_hsms; h != NULL; h = h->next)
		pthread_mutex_unlock(&h->mu);
	pthread_mutex_unlock(&reg_mu);
}

static void
atfork_child(void)
{
	struct hsm	*h;
	struct hsm_mod	*m;

	for (m = reg_mods; m != NULL; m = m->next)
		pthread_rwlock_init(&m->rw, NULL);
	for (h = reg_hsms; h != NULL; h = h->next) {
		pthread_mutex_init(&h->mu, NULL);
		pthread_cond_init(&h->cv, NULL);
	}
	pthread_mutex_init(&reg_mu, NULL);
}

static void
atfork_install(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* $STICA_PKCS11_MODULE, else SoftHSM2's module, unless module is given. */
const char *
hsm_module_path(const char *module)
{
	const char	*env;

	if (module != NULL && module[0] != '\0')
		return module;
	if ((env = getenv(HSM_MODULE_ENV)) != NULL && env[0] != '\0')
		return env;
	return HSM_DEFAULT_MODULE;
}

/* A module-level failure: the CK_RV's message, always ST_E_HSM_MODULE. */
static int
mod_err(struct st_err *e, CK_RV rv, const char *call, const char *path)
{
	struct st_err	tmp;

	st_err_clear(&tmp);
	hsm_ckr_err(&tmp, rv, call, "module %s", path);
	return st_err_set(e, ST_E_HSM_MODULE, "%s", tmp.msg);
}

/* C_Initialize with OS locking (PKCS#11 v2.40 section 5.4). */
static CK_RV
mod_initialize(struct hsm_mod *m)
{
	CK_C_INITIALIZE_ARGS	 args;
	CK_RV			 rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = m->f->C_Initialize(&args);
	/* SoftHSM leaves stale errors on our queue (hsm-notes.md 4.5). */
	ERR_clear_error();
	return rv;
}

/*
 * Load (or share) the module at path and C_Initialize it.  A module is
 * loaded once per process: a second C_Initialize would fail and a
 * C_Finalize would pull the module from under other users.
 */
int
hsm_mod_get(const char *path, struct hsm_mod **out, struct st_err *e)
{
	struct hsm_mod		*m = NULL;
	CK_C_GetFunctionList	 gfl;
	char			 real[PATH_MAX];
	CK_RV			 rv;
	int			 rc = ST_E_INTERNAL;
	bool			 locked = false;

	*out = NULL;
	pthread_once(&atfork_once, atfork_install);
	if (realpath(path, real) == NULL) {
		rc = st_err_set(e, ST_E_HSM_MODULE,
		    "PKCS#11 module %s: %s", path, strerror(errno));
		goto out;
	}
	pthread_mutex_lock(&reg_mu);
	locked = true;
	for (m = reg_mods; m != NULL; m = m->next)
		if (strcmp(m->path, real) == 0)
			break;
	if (m != NULL) {
		m->refs++;
		pthread_mutex_unlock(&reg_mu);
		locked = false;
		if ((rc = hsm_mod_check_fork(m, e)) != 0) {
			hsm_mod_put(m);
			m = NULL;
			goto out;
		}
		*out = m;
		m = NULL;
		rc = 0;
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(real)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	pthread_rwlock_init(&m->rw, NULL);
	if ((m->dl = dlopen(real, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		rc = st_err_set(e, ST_E_HSM_MODULE,
		    "PKCS#11 module %s: cannot load: %s", path, dlerror());
		goto out;
	}
	*(void **)&gfl = dlsym(m->dl, "C_GetFunctionList");
	if (gfl == NULL) {
		rc = st_err_set(e, ST_E_HSM_MODULE, "PKCS#11 module %s: no "
		    "C_GetFunctionList: not a PKCS#11 module", path);
		goto out;
	}
	if ((rv = gfl(&m->fl)) != CKR_OK || m->fl == NULL) {
		rc = mod_err(e, rv != CKR_OK ? rv : CKR_GENERAL_ERROR,
		    "C_GetFunctionList", path);
		goto out;
	}
	m->f = m->fl;
	if ((rv = mod_initialize(m)) != CKR_OK &&
	    rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		rc = mod_err(e, rv, "C_Initialize", path);
		goto out;
	}
	m->pid = getpid();
	atomic_store(&m->gen, 1);
	m->refs = 1;
	m->next = reg_mods;
	reg_mods = m;
	*out = m;
	m = NULL;
	rc = 0;
out:
	if (locked)
		pthread_mutex_unlock(&reg_mu);
	if (m != NULL) {
		if (m->dl != NULL)
			dlclose(m->dl);
		pthread_rwlock_destroy(&m->rw);
		free(m->path);
		free(m);
	}
	return rc;
}

/* Drop a reference; the last one finalises and unloads.  NULL-safe. */
void
hsm_mod_put(struct hsm_mod *m)
{
	struct hsm_mod	**pp;

	if (m == NULL)
		return;
	pthread_mutex_lock(&reg_mu);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&reg_mu);
		return;
	}
	for (pp = &reg_mods; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&reg_mu);
	if (m->pid == getpid())
		m->fl->C_Finalize(NULL);
	ERR_clear_error();
	dlclose(m->dl);
	pthread_rwlock_destroy(&m->rw);
	free(m->path);
	free(m);
}

/*
 * After fork() the child must C_Initialize again (PKCS#11 v2.40 section
 * 6.7.7).  Some modules answer CKR_CRYPTOKI_ALREADY_INITIALIZED; then
 * C_Finalize first (hsm-notes.md 3.4).  Bumps the module generation, so
 * every token logs in again and every key is looked up again.
 */
int
hsm_mod_check_fork(struct hsm_mod *m, struct st_err *e)
{
	CK_RV	rv = CKR_OK;
	int	rc = 0;

	if (m->pid == getpid())
		return 0;
	pthread_rwlock_wrlock(&m->rw);
	if (m->pid != getpid()) {
		rv = mod_initialize(m);
		if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			m->f->C_Finalize(NULL);
			rv = mod_initialize(m);
		}
		if (rv == CKR_OK) {
			m->pid = getpid();
			atomic_fetch_add(&m->gen, 1);
		} else
			rc = mod_err(e, rv, "C_Initialize after fork", m->path);
	}
	pthread_rwlock_unlock(&m->rw);
	return rc;
}

/*
 * Hard recovery: C_Finalize and C_Initialize, which makes modules such as
 * SoftHSM rescan their tokens and network modules reconnect (krill PR
 * #761).  seen is the generation the caller found broken; if another
 * thread already re-initialised, nothing is done.
 */
static int
mod_reinit(struct hsm_mod *m, unsigned seen, struct st_err *e)
{
	CK_RV	rv;
	int	rc = 0;

	pthread_rwlock_wrlock(&m->rw);
	if (atomic_load(&m->gen) == seen && m->pid == getpid()) {
		m->f->C_Finalize(NULL);
		ERR_clear_error();
		rv = mod_initialize(m);
		atomic_fetch_add(&m->gen, 1);
		if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
			rc = mod_err(e, rv, "C_Initialize (re-initialising)",
			    m->path);
	}
	pthread_rwlock_unlock(&m->rw);
	return rc;
}

/* Around every C_* call but C_Initialize/C_Finalize: see hsm_int.h. */
void
hsm_mod_enter(struct hsm_mod *m)
{
	pthread_rwlock_rdlock(&m->rw);
}

void
hsm_mod_leave(struct hsm_mod *m)
{
	pthread_rwlock_unlock(&m->rw);
}

void
hsm_mod_set_funcs(struct hsm *h, CK_FUNCTION_LIST *fl)
{
	pthread_rwlock_wrlock(&h->mod->rw);
	h->mod->f = fl != NULL ? fl : h->mod->fl;
	pthread_rwlock_unlock(&h->mod->rw);
}

CK_FUNCTION_LIST *
hsm_mod_funcs(struct hsm *h)
{
	return h->mod->fl;
}

/* A blank-padded PKCS#11 string as a C string without the padding. */
void
hsm_label_copy(char *dst, size_t dstsz, const CK_UTF8CHAR *src,
    size_t srclen)
{
	size_t	n = srclen;

	while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Find the one initialised token matching the URI's token and slot
 * attributes (RFC 7512 section 2.5; never by slot number alone: SoftHSM
 * randomises it).  Called inside hsm_mod_enter.  When a slot cannot even
 * report its token, *rvp gets that CK_RV so the caller can decide to
 * re-initialise the module.
 */
int
hsm_find_slot(struct hsm_mod *m, P11KitUri *turi, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *ti, CK_RV *rvp, struct st_err *e)
{
	CK_SLOT_ID	*slots = NULL, want;
	CK_SLOT_INFO	 si;
	CK_TOKEN_INFO	 t;
	CK_ULONG	 n = 0, i, found = 0;
	CK_RV		 rv;
	char		 lab[33];
	int		 rc = ST_E_INTERNAL;

	*rvp = CKR_OK;
	if ((rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		*rvp = rv;
		rc = hsm_ckr_err(e, rv, "C_GetSlotList", "module %s", m->path);
		goto out;
	}
	if (n > 0 && (slots = calloc(n, sizeof(*slots))) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if (n > 0 &&
	    (rv = m->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		*rvp = rv;
		rc = hsm_ckr_err(e, rv, "C_GetSlotList", "module %s", m->path);
		goto out;
	}
	want = p11_kit_uri_get_slot_id(turi);
	for (i = 0; i < n; i++) {
		if (want != (CK_SLOT_ID)-1 && slots[i] != want)
			continue;
		if ((rv = m->f->C_GetSlotInfo(slots[i], &si)) != CKR_OK ||
		    !p11_kit_uri_match_slot_info(turi, &si)) {
			if (rv != CKR_OK)
				*rvp = rv;
			continue;
		}
		if ((rv = m->f->C_GetTokenInfo(slots[i], &t)) != CKR_OK) {
			*rvp = rv;
			continue;
		}
		if ((t.flags & CKF_TOKEN_INITIALIZED) == 0 ||
		    !p11_kit_uri_match_token_info(turi, &t))
			continue;
		if (found++ == 0) {
			*slot = slots[i];
			*ti = t;
		}
	}
	if (found == 0) {
		t = *p11_kit_uri_get_token_info(turi);
		hsm_label_copy(lab, sizeof(lab), t.label, sizeof(t.label));
		rc = st_err_set(e, ST_E_HSM_NOTOKEN, "token '%s' not present in "
		    "module %s (not initialised, removed, or the HSM is "
		    "unreachable)%s%s", lab, m->path,
		    hsm_ckr_name(*rvp) != NULL && *rvp != CKR_OK ?
		    "; a slot answered " : "",
		    hsm_ckr_name(*rvp) != NULL && *rvp != CKR_OK ?
		    hsm_ckr_name(*rvp) : "");
		goto out;
	}
	if (found > 1) {
		hsm_label_copy(lab, sizeof(lab), ti->label, sizeof(ti->label));
		rc = st_err_set(e, ST_E_HSM_NOTOKEN, "RFC 7512 section 2.5: "
		    "token URI matches %lu tokens (first '%s'); add serial= "
		    "or model= to choose one", (unsigned long)found, lab);
		goto out;
	}
	rc = 0;
out:
	free(slots);
	return rc;
}

/* SHA-256 over the per-token salt and the PIN: remembers a refused PIN
 * without keeping it. */
static void
pin_hash(const struct hsm *h, const char *pin, size_t len, uint8_t out[32])
{
	EVP_MD_CTX	*m;

	memset(out, 0, 32);
	if ((m = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(m, h->pinsalt, sizeof(h->pinsalt)) == 1 &&
	    EVP_DigestUpdate(m, pin, len) == 1)
		EVP_DigestFinal_ex(m, out, NULL);
	EVP_MD_CTX_free(m);
}

/*
 * Log in (as user, or as SO for hsm_token_init) with the PIN from the
 * environment variable or the pin-source file, read now and wiped right
 * after C_Login.  CKR_USER_ALREADY_LOGGED_IN is success: login state is
 * shared by all sessions of the process (PKCS#11 v2.40 section 5.6).  A
 * token with a protected authentication path (PIN pad) logs in without a
 * PIN.  A PIN the token refused once is not tried again (real HSMs lock
 * the PIN after a few failures); a changed PIN file is.
 */
int
hsm_login(struct hsm *h, CK_SESSION_HANDLE s, CK_USER_TYPE who,
    struct st_err *e)
{
	char	*pin = NULL;
	size_t	 len = 0;
	uint8_t	 hash[32];
	CK_RV	 rv;
	int	 rc = ST_E_INTERNAL;

	if (h->pin_file == NULL && h->pin_env == NULL) {
		if ((h->tokflags & CKF_PROTECTED_AUTHENTICATION_PATH) == 0) {
			rc = st_err_set(e, ST_E_HSM_PIN, "token '%s': no PIN: "
			    "add pin-source=file:PATH to the token URI or "
			    "name an environment variable (--pin-env)",
			    h->label);
			goto out;
		}
	} else if ((rc = hsm_pin_read(h->pin_file, h->pin_env, &pin, &len,
	    e)) != 0)
		goto out;
	if (pin != NULL) {
		pin_hash(h, pin, len, hash);
		if (h->have_badpin && CRYPTO_memcmp(hash, h->badpin,
		    sizeof(hash)) == 0) {
			rc = st_err_set(e, ST_E_HSM_PIN, "C_Login: not tried "
			    "again with the PIN the token refused (token "
			    "'%s'); correct the PIN source", h->label);
			goto out;
		}
	}
	rv = h->mod->f->C_Login(s, who, (CK_UTF8CHAR *)pin, (CK_ULONG)len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		if (pin != NULL && (rv == CKR_PIN_INCORRECT ||
		    rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
		    rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED)) {
			memcpy(h->badpin, hash, sizeof(hash));
			h->have_badpin = true;
		}
		rc = hsm_ckr_err(e, rv, "C_Login", "token '%s'", h->label);
		goto out;
	}
	h->have_badpin = false;
	rc = 0;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	if (pin != NULL)
		OPENSSL_clear_free(pin, HSM_PIN_MAX + 2);
	return rc;
}

/* Close the idle sessions and the login session of the current state. */
static void
state_drop(struct hsm *h)
{
	bool	 live;
	unsigned i;

	live = h->mgen == atomic_load(&h->mod->gen) &&
	    h->mod->pid == getpid();
	if (live) {
		hsm_mod_enter(h->mod);
		for (i = 0; i < h->nidle; i++)
			h->mod->f->C_CloseSession(h->pool[i]);
		if (h->have_login)
			h->mod->f->C_CloseSession(h->login);
		hsm_mod_leave(h->mod);
	}
	h->nidle = 0;
	h->nopen = 0;
	h->have_login = false;
	h->ready = false;
	atomic_fetch_add(&h->sgen, 1);
}

/*
 * Soft (re-)establishment, with h->mu held: drop the old state, find the
 * token again, open the login session and log in.  *rvp reports a CK_RV
 * that suggests the module itself needs re-initialising.
 */
static int
state_establish(struct hsm *h, CK_RV *rvp, struct st_err *e)
{
	CK_TOKEN_INFO	 ti;
	CK_SLOT_ID	 slot = 0;
	CK_RV		 rv;
	unsigned	 gen;
	int		 rc = ST_E_INTERNAL;

	*rvp = CKR_OK;
	state_drop(h);
	hsm_mod_enter(h->mod);
	gen = atomic_load(&h->mod->gen);
	if ((rc = hsm_find_slot(h->mod, h->turi, &slot, &ti, rvp, e)) != 0)
		goto out;
	hsm_label_copy(h->label, sizeof(h->label), ti.label,
	    sizeof(ti.label));
	h->tokflags = ti.flags;
	h->ti = ti;
	if ((rv = h->mod->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL,
	    NULL, &h->login)) != CKR_OK) {
		*rvp = rv;
		rc = hsm_ckr_err(e, rv, "C_OpenSession", "token '%s'",
		    h->label);
		goto out;
	}
	h->have_login = true;
	if ((ti.flags & CKF_LOGIN_REQUIRED) != 0 &&
	    (rc = hsm_login(h, h->login, CKU_USER, e)) != 0)
		goto out;
	h->slot = slot;
	h->mgen = gen;
	h->ready = true;
	rc = 0;
out:
	hsm_mod_leave(h->mod);
	if (rc != 0 && h->have_login) {
		/* keep the generation so state_drop closes it */
		h->mgen = gen;
		state_drop(h);
	}
	return rc;
}

/*
 * Bring the token back, with h->mu held: soft first; if the token cannot
 * be found or the module reports a lost device, C_Finalize/C_Initialize
 * and try once more.  A wrong PIN never escalates (it would only burn
 * PIN attempts).
 */
static int
state_restore(struct hsm *h, struct st_err *e)
{
	struct st_err	 e1;
	unsigned	 seen;
	CK_RV		 rv;
	int		 rc;

	st_err_clear(&e1);
	seen = atomic_load(&h->mod->gen);
	if ((rc = state_establish(h, &rv, &e1)) == 0)
		return 0;
	if (rc != ST_E_HSM_NOTOKEN && !hsm_ckr_lost(rv)) {
		st_err_set(e, rc, "%s", e1.msg);
		return rc;
	}
	st_err_clear(&e1);
	if ((rc = mod_reinit(h->mod, seen, &e1)) != 0 ||
	    (rc = state_establish(h, &rv, &e1)) != 0) {
		if (rc == ST_E_HSM_PIN || rc == ST_E_HSM_NOTOKEN)
			return st_err_set(e, rc, "%s", e1.msg);
		return st_err_set(e, ST_E_HSM_NOTOKEN, "token '%s' unavailable "
		    "(removed, or the HSM is unreachable): %s", h->label,
		    e1.msg);
	}
	return 0;
}

static double
mono_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * state_restore, with h->mu held, remembering a failure: while a token
 * stays gone, callers get that failure for HSM_RETRY_SECS without
 * another C_Finalize/C_Initialize each, so a dead HSM is not hammered by
 * every request (Krill's connectivity back-off, anchors.md 7.1).
 */
static int
state_restore_backoff(struct hsm *h, struct st_err *e)
{
	struct st_err	e1;
	double		t = mono_now();
	int		rc;

	if (h->down_at > 0 && t - h->down_at < HSM_RETRY_SECS)
		return st_err_set(e, h->down_code, "%s", h->down_msg);
	st_err_clear(&e1);
	if ((rc = state_restore(h, &e1)) != 0) {
		h->down_at = t;
		h->down_code = rc;
		memcpy(h->down_msg, e1.msg, sizeof(h->down_msg));
		return st_err_set(e, rc, "%s", e1.msg);
	}
	h->down_at = 0;
	return 0;
}

/*
 * Take a session for one operation (never shared between threads).  Opens
 * a new one while fewer than max are open, else waits for one to come
 * back.  Logs in again first when the module was re-initialised (fork,
 * recovery by another thread).
 */
int
hsm_sess_take(struct hsm *h, struct hsm_sess *s, struct st_err *e)
{
	CK_SESSION_HANDLE	 sh;
	CK_RV			 rv;
	int			 rc = ST_E_INTERNAL, tries = 0;

	memset(s, 0, sizeof(*s));
	if ((rc = hsm_mod_check_fork(h->mod, e)) != 0)
		return rc;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (!h->ready || h->mgen != atomic_load(&h->mod->gen) ||
		    h->mod->pid != getpid()) {
			if (tries++ > 1) {
				rc = st_err_set(e, ST_E_HSM, "token '%s': "
				    "state keeps changing", h->label);
				goto out;
			}
			if ((rc = state_restore_backoff(h, e)) != 0)
				goto out;
		}
		if (h->nidle > 0) {
			sh = h->pool[--h->nidle];
			break;
		}
		if (h->nopen < h->max) {
			hsm_mod_enter(h->mod);
			rv = h->mod->f->C_OpenSession(h->slot,
			    CKF_SERIAL_SESSION, NULL, NULL, &sh);
			hsm_mod_leave(h->mod);
			if (rv == CKR_OK) {
				h->nopen++;
				break;
			}
			if (rv == CKR_SESSION_COUNT && h->nopen > 0) {
				/* the token's limit is lower than ours */
				h->max = h->nopen;
				continue;
			}
			if (hsm_ckr_lost(rv) && tries++ == 0) {
				h->ready = false;
				continue;
			}
			rc = hsm_ckr_err(e, rv, "C_OpenSession", "token '%s'",
			    h->label);
			goto out;
		}
		pthread_cond_wait(&h->cv, &h->mu);
	}
	s->h = sh;
	s->sgen = atomic_load(&h->sgen);
	s->mgen = h->mgen;
	rc = 0;
out:
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/*
 * A read-write session for creating or destroying objects (key
 * generation).  It is opened for the caller alone and closed by
 * hsm_sess_put; signing sessions stay read-only.
 */
int
hsm_sess_take_rw(struct hsm *h, struct hsm_sess *s, struct st_err *e)
{
	CK_RV	rv;
	int	rc = ST_E_INTERNAL, tries;

	memset(s, 0, sizeof(*s));
	if ((rc = hsm_mod_check_fork(h->mod, e)) != 0)
		return rc;
	pthread_mutex_lock(&h->mu);
	for (tries = 0;; tries++) {
		if (!h->ready || h->mgen != atomic_load(&h->mod->gen)) {
			if ((rc = state_restore_backoff(h, e)) != 0)
				goto out;
		}
		hsm_mod_enter(h->mod);
		rv = h->mod->f->C_OpenSession(h->slot,
		    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s->h);
		hsm_mod_leave(h->mod);
		if (rv == CKR_OK)
			break;
		if (!hsm_ckr_lost(rv) || tries > 0) {
			rc = hsm_ckr_err(e, rv, "C_OpenSession", "read-write, "
			    "token '%s'", h->label);
			goto out;
		}
		h->ready = false;
	}
	s->rw = true;
	s->sgen = atomic_load(&h->sgen);
	s->mgen = h->mgen;
	rc = 0;
out:
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/*
 * Give a session back.  A broken one (its call failed with a "lost" CK_RV)
 * is closed, as is one from an older state of a still-live module.
 */
void
hsm_sess_put(struct hsm *h, struct hsm_sess *s, bool broken)
{
	bool	close = false;

	if (s->h == CK_INVALID_HANDLE && s->sgen == 0)
		return;
	pthread_mutex_lock(&h->mu);
	if (s->rw) {
		if (s->mgen == atomic_load(&h->mod->gen) &&
		    h->mod->pid == getpid())
			close = true;
	} else if (s->sgen == atomic_load(&h->sgen)) {
		if (broken || h->nidle >= h->max) {
			close = true;
			h->nopen--;
		} else
			h->pool[h->nidle++] = s->h;
	} else if (s->mgen == atomic_load(&h->mod->gen) &&
	    h->mod->pid == getpid())
		close = true;
	if (close) {
		hsm_mod_enter(h->mod);
		h->mod->f->C_CloseSession(s->h);
		hsm_mod_leave(h->mod);
	}
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	memset(s, 0, sizeof(*s));
}

/*
 * A call on session failed with a "lost" CK_RV: re-establish the token
 * (soft, then hard) unless another thread already did since the session
 * was taken.  The caller retries once.
 */
int
hsm_recover(struct hsm *h, const struct hsm_sess *failed, struct st_err *e)
{
	int	rc = 0;

	pthread_mutex_lock(&h->mu);
	if (failed->sgen == atomic_load(&h->sgen)) {
		st_log(ST_LOG_DEBUG, "hsm: token '%s': recovering", h->label);
		h->down_at = 0;
		rc = state_restore_backoff(h, e);
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/*
 * Parse and check the token URI, share or load the module, find the
 * token and log in (hard re-initialisation included, so a token created
 * by another process after the module was loaded is found), then the
 * provider context.  Registered for the fork handlers last.
 */
int
hsm_open(const struct hsm_params *p, struct hsm **out, struct st_err *e)
{
	struct hsm	*h = NULL;
	const char	*module;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if (p == NULL || p->token_uri == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "hsm_open: no token URI");
		goto out;
	}
	module = hsm_module_path(p->module);
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	atomic_store(&h->sgen, 1);
	if (RAND_bytes(h->pinsalt, sizeof(h->pinsalt)) != 1) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "RAND_bytes");
		goto out;
	}
	h->max = p->max_sessions > 0 ? p->max_sessions : HSM_MAX_SESSIONS;
	if ((h->pool = calloc(h->max, sizeof(*h->pool))) == NULL ||
	    (h->uri = strdup(p->token_uri)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hsm_uri_parse(p->token_uri, &h->turi, e)) != 0 ||
	    (rc = hsm_uri_check_token(h->turi, p->token_uri, module,
	    &h->pin_file, e)) != 0)
		goto out;
	if ((rc = hsm_pin_sources_check(h->pin_file, p->pin_env, e)) != 0)
		goto out;
	if (p->pin_env != NULL) {
		if ((h->pin_env = strdup(p->pin_env)) == NULL) {
			rc = st_err_set(e, ST_E_NOMEM, "out of memory");
			goto out;
		}
	}
	hsm_label_copy(h->label, sizeof(h->label),
	    p11_kit_uri_get_token_info(h->turi)->label,
	    sizeof(p11_kit_uri_get_token_info(h->turi)->label));
	if ((rc = hsm_mod_get(module, &h->mod, e)) != 0)
		goto out;
	pthread_mutex_lock(&h->mu);
	rc = state_restore(h, e);
	pthread_mutex_unlock(&h->mu);
	if (rc != 0)
		goto out;
	if ((rc = hsm_prov_open(h, e)) != 0)
		goto out;
	pthread_mutex_lock(&reg_mu);
	h->next = reg_hsms;
	reg_hsms = h;
	pthread_mutex_unlock(&reg_mu);
	*out = h;
	h = NULL;
	rc = 0;
out:
	if (h != NULL) {
		if (h->mod != NULL) {
			pthread_mutex_lock(&h->mu);
			state_drop(h);
			pthread_mutex_unlock(&h->mu);
		}
		hsm_prov_close(h);
		hsm_mod_put(h->mod);
		p11_kit_uri_free(h->turi);
		free(h->pin_file);
		free(h->pin_env);
		free(h->uri);
		free(h->pool);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
	}
	return rc;
}

/* See hsm.h: no C_Logout, sessions closed, module released. */
void
hsm_close(struct hsm *h)
{
	struct hsm	**pp;

	if (h == NULL)
		return;
	pthread_mutex_lock(&reg_mu);
	for (pp = &reg_hsms; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	pthread_mutex_unlock(&reg_mu);
	pthread_mutex_lock(&h->mu);
	state_drop(h);
	pthread_mutex_unlock(&h->mu);
	hsm_prov_close(h);
	hsm_mod_put(h->mod);
	p11_kit_uri_free(h->turi);
	free(h->pin_file);
	free(h->pin_env);
	free(h->uri);
	free(h->pool);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

const char *
hsm_token_label(const struct hsm *h)
{
	return h->label;
}

OSSL_LIB_CTX *
hsm_libctx(struct hsm *h)
{
	return h->libctx;
}
