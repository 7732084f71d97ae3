/* SPDX-License-Identifier: ISC */
/*
 * hsm/ private interface: the PKCS#11 core (module registry, CK_RV
 * mapping, session pool, login, recovery and fork handling; p11.c), RFC
 * 7512 URI and PIN handling (uri.c), key objects (key.c) and the OpenSSL 3
 * provider (prov.c).  Only the files of hsm/ and tests include it.
 *
 * Locking order, outermost first: the registry lock (p11.c), struct
 * hsm.mu, struct hsm_mod.rw.  Every C_* call except C_Initialize and
 * C_Finalize runs with mod.rw held for reading; C_Initialize/C_Finalize
 * (start-up, fork, recovery) hold it for writing, so no other thread is
 * inside the module then (PKCS#11 v2.40 section 5.4: C_Finalize must not
 * race other calls).
 */
#ifndef STICA_HSM_INT_H
#define STICA_HSM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "hsm/hsm.h"

#define HSM_PROV_NAME	"stica-hsm"
#define HSM_KEY_PARAM	"stica-hsm-key" /* provider import: the key */
#define HSM_KEY_MAGIC	0x4b4d5348u	/* "HSMK" */
#define HSM_MAX_SESSIONS 64		/* default pool bound */
#define HSM_PIN_MAX	256
#define HSM_ID_LEN	16		/* bytes of random CKA_ID */
#define HSM_RETRY_SECS	0.2		/* back-off while a token is gone */

/* One loaded module, shared by every struct hsm naming the same path. */
struct hsm_mod {
	char			*path;
	void			*dl;
	CK_FUNCTION_LIST	*fl;	/* the module's own function list */
	CK_FUNCTION_LIST	*f;	/* the one used: fl, or a test's seam */
	pid_t			 pid;	/* process that ran C_Initialize */
	atomic_uint		 gen;	/* bumped at every C_Initialize */
	unsigned		 refs;	/* guarded by the registry lock */
	pthread_rwlock_t	 rw;	/* see the locking order above */
	struct hsm_mod		*next;
};

/* A session taken from the pool; give it back with hsm_sess_put. */
struct hsm_sess {
	CK_SESSION_HANDLE	 h;
	unsigned		 sgen;	/* struct hsm.sgen when taken */
	unsigned		 mgen;	/* struct hsm_mod.gen when opened */
	bool			 rw;	/* read-write, outside the pool */
};

struct hsm {
	struct hsm_mod		*mod;
	P11KitUri		*turi;	/* token selector (path attributes) */
	char			*uri;	/* token URI as given, pin-value refused */
	char			*pin_file;	/* pin-source=file:..., or NULL */
	char			*pin_env;	/* environment variable, or NULL */
	char			 label[33];	/* token label, for messages */
	OSSL_LIB_CTX		*libctx;
	OSSL_PROVIDER		*prov_default;
	OSSL_PROVIDER		*prov_hsm;
	EVP_MD			*md[3];	/* SHA-256, -384, -512 (default prov) */

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	/* guarded by mu */
	bool			 ready;	/* slot found and logged in at mgen */
	CK_SLOT_ID		 slot;
	CK_FLAGS		 tokflags;
	CK_TOKEN_INFO		 ti;
	unsigned		 mgen;	/* module generation of our state */
	atomic_uint		 sgen;	/* our state generation */
	CK_SESSION_HANDLE	 login;	/* kept open: holds the login state */
	bool			 have_login;
	uint8_t			 pinsalt[16];
	uint8_t			 badpin[32];	/* SHA-256(salt, refused PIN) */
	bool			 have_badpin;
	double			 down_at;	/* last failed restore, or 0 */
	int			 down_code;
	char			 down_msg[ST_ERR_MSGSZ];
	CK_SESSION_HANDLE	*pool;	/* idle sessions */
	unsigned		 nidle;
	unsigned		 nopen;	/* idle + in use, of this sgen */
	unsigned		 max;
	struct hsm		*next;	/* registry, for fork handlers */
};

/* RSA/EC public parts and the cached private key handle. */
struct hsm_key {
	uint32_t		 magic;
	atomic_int		 refs;	/* the caller + each provider keydata */
	struct hsm		*h;
	enum hsm_keytype	 type;
	char			*label;
	uint8_t			*id;
	size_t			 idlen;
	char			*uri;
	int			 bits;	/* curve or modulus size */
	size_t			 siglen; /* raw signature bytes (r||s, RSA) */
	uint8_t			*point;	/* EC uncompressed point */
	size_t			 pointlen;
	BIGNUM			*n, *e;	/* RSA */
	EVP_PKEY		*pub;	/* default library context */
	EVP_PKEY		*pkey;	/* provider key, in h->libctx */
	uint8_t			*spki;
	size_t			 spkilen;
	/*
	 * The private key's handle, valid for struct hsm.sgen == obj_sgen;
	 * a seqlock without a lock (no mutex can be inherited locked by a
	 * forked child): obj_sgen 0 means "being replaced".
	 */
	atomic_ulong		 obj;
	atomic_uint		 obj_sgen;
};

/* Signature schemes the core signs with. */
enum hsm_sigkind {
	HSM_SIG_ECDSA,
	HSM_SIG_RSA_PKCS1,
	HSM_SIG_RSA_PSS
};

struct hsm_sigalg {
	enum hsm_sigkind	 kind;
	int			 md_nid;	/* NID_sha256 ... */
	int			 mgf1_nid;	/* PSS */
	int			 saltlen;	/* PSS, bytes */
};

/* p11.c: CK_RV names and mapping. */
const char *hsm_ckr_name(CK_RV rv);	/* NULL when unknown */
int	hsm_ckr_code(CK_RV rv);		/* the ST_E_* code for rv */
bool	hsm_ckr_lost(CK_RV rv);		/* recover and retry once */
int	hsm_ckr_err(struct st_err *e, CK_RV rv, const char *call,
    const char *fmt, ...) ST_PRINTF(4, 5);

/* p11.c: modules. */
int	hsm_mod_get(const char *path, struct hsm_mod **out, struct st_err *e)
    ST_MUSTCHECK;
void	hsm_mod_put(struct hsm_mod *);
int	hsm_mod_check_fork(struct hsm_mod *, struct st_err *e) ST_MUSTCHECK;
void	hsm_mod_enter(struct hsm_mod *);
void	hsm_mod_leave(struct hsm_mod *);
const char *hsm_module_path(const char *module);
int	hsm_find_slot(struct hsm_mod *, P11KitUri *turi, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *ti, CK_RV *rvp, struct st_err *e) ST_MUSTCHECK;
void	hsm_label_copy(char *dst, size_t dstsz, const CK_UTF8CHAR *src,
    size_t srclen);

/*
 * Fault-injection seam for tests: calls go through fl from now on (a copy
 * of hsm_mod_funcs() with some entries replaced); NULL restores the
 * module's own list.
 */
void	hsm_mod_set_funcs(struct hsm *, CK_FUNCTION_LIST *fl);
CK_FUNCTION_LIST *hsm_mod_funcs(struct hsm *);

/* p11.c: sessions. */
int	hsm_sess_take(struct hsm *, struct hsm_sess *, struct st_err *e)
    ST_MUSTCHECK;
int	hsm_sess_take_rw(struct hsm *, struct hsm_sess *, struct st_err *e)
    ST_MUSTCHECK;
void	hsm_sess_put(struct hsm *, struct hsm_sess *, bool broken);
int	hsm_recover(struct hsm *, const struct hsm_sess *failed,
    struct st_err *e) ST_MUSTCHECK;
int	hsm_login(struct hsm *, CK_SESSION_HANDLE, CK_USER_TYPE,
    struct st_err *e) ST_MUSTCHECK;

/* uri.c */
int	hsm_uri_parse(const char *uri, P11KitUri **out, struct st_err *e)
    ST_MUSTCHECK;
int	hsm_uri_check_token(P11KitUri *u, const char *uri, const char *module,
    char **pin_file, struct st_err *e) ST_MUSTCHECK;
void	hsm_uri_redact(const char *uri, char *buf, size_t bufsz);
int	hsm_pin_read(const char *pin_file, const char *pin_env, char **pin,
    size_t *len, struct st_err *e) ST_MUSTCHECK;
char	*hsm_uri_pct(const uint8_t *p, size_t len, bool all);

/* key.c */
struct hsm_pub {
	enum hsm_keytype	 type;
	int			 bits;
	size_t			 siglen;
	uint8_t			*point;
	size_t			 pointlen;
	BIGNUM			*n, *e;
	EVP_PKEY		*pub;
	uint8_t			*spki;
	size_t			 spkilen;
};

int	hsm_attr_get(struct hsm_mod *, CK_SESSION_HANDLE, CK_OBJECT_HANDLE,
    CK_ATTRIBUTE_TYPE, uint8_t **val, size_t *len, CK_RV *rvp,
    struct st_err *e) ST_MUSTCHECK;
int	hsm_find(struct hsm_mod *, CK_SESSION_HANDLE, CK_ATTRIBUTE *tpl,
    CK_ULONG n, CK_OBJECT_HANDLE *objs, CK_ULONG max, CK_ULONG *found,
    CK_RV *rvp, struct st_err *e) ST_MUSTCHECK;
int	hsm_pub_read(struct hsm_mod *, CK_SESSION_HANDLE, CK_OBJECT_HANDLE,
    CK_KEY_TYPE, struct hsm_pub *, CK_RV *rvp, struct st_err *e)
    ST_MUSTCHECK;
void	hsm_pub_clear(struct hsm_pub *);
void	hsm_key_ref(struct hsm_key *);
void	hsm_key_unref(struct hsm_key *);
const EVP_MD *hsm_md(struct hsm *, int nid);
int	hsm_sign(struct hsm_key *, const struct hsm_sigalg *,
    const uint8_t *dgst, size_t dlen, uint8_t *sig, size_t *siglen,
    bool der, CK_RV *rvp, struct st_err *e) ST_MUSTCHECK;
int	hsm_key_default_alg(const struct hsm_key *, struct hsm_sigalg *);
int	hsm_ec_params(enum hsm_keytype, const uint8_t **der, size_t *len);

/* prov.c */
int	hsm_prov_open(struct hsm *, struct st_err *e) ST_MUSTCHECK;
void	hsm_prov_close(struct hsm *);
int	hsm_prov_pkey(struct hsm_key *, EVP_PKEY **out, struct st_err *e)
    ST_MUSTCHECK;

#endif /* STICA_HSM_INT_H */
