/* SPDX-License-Identifier: ISC */
/*
 * The issuance engine's state (docs/issuance.md): opened once from
 * stica.yaml, it holds the policy, one HSM login, every issuer's key,
 * certificate and chain, the scopes of the issuer and every CA above it
 * (RFC 9060 section 4: a delegate is checked against each of them), the
 * policy's SPC-to-numbers map as scopes (RFC 9060 sections 4.1 and 8),
 * a cache of the policy's permitted scopes and a pool of store handles
 * (a store handle serves one thread at a time).
 *
 * An issuer whose certificate does not carry the HSM key's public key is
 * a misconfiguration that would make every issued chain fail; the engine
 * refuses to start rather than sign with it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/issue_int.h"
#include "common/config.h"

#define MAX_CERTFILE	(4 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Scopes                                                             */

int
ca_scope_from_specs(const char *const *v, size_t n, struct ca_scope **out,
    struct st_err *e)
{
	struct ca_tnauth	*l = NULL;
	size_t			 i;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((l = ca_tnauth_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((rc = ca_tnauth_add_spec(l, v[i], e)) != 0)
			goto out;
	rc = ca_scope_from_tnauth(l, out, e);
out:
	ca_tnauth_free(l);
	return rc;
}

static int
spc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ca_spc_ent *)a)->spc,
	    ((const struct ca_spc_ent *)b)->spc);
}

static int
spc_key_cmp(const void *key, const void *ent)
{
	return strcmp(key, ((const struct ca_spc_ent *)ent)->spc);
}

/* ca_spc_map lookup over the policy's spc-numbers, built at open. */
static int
spc_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	struct ca_engine	*g = arg;
	struct ca_spc_ent	*f;

	*numbers = NULL;
	if (g->nspc > 0 && (f = bsearch(spc, g->spc, g->nspc,
	    sizeof(*g->spc), spc_key_cmp)) != NULL)
		*numbers = f->scope;
	return 0;
}

static int
spc_map_load(struct ca_engine *g, struct st_err *e)
{
	const char *const	*specs;
	const char		*spc;
	struct st_err		 se;
	size_t			 i, n, cnt;
	int			 rc;

	cnt = pol_spc_count(g->pol);
	if (cnt == 0)
		return 0;
	if ((g->spc = calloc(cnt, sizeof(*g->spc))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < cnt; i++) {
		if ((rc = pol_spc_get(g->pol, i, &spc, &specs, &n)) != 0)
			return rc;
		if ((g->spc[i].spc = strdup(spc)) == NULL)
			return ST_E_NOMEM;
		g->nspc = i + 1;
		st_err_clear(&se);
		if ((rc = ca_scope_from_specs(specs, n, &g->spc[i].scope,
		    &se)) != 0)
			return st_err_set(e, rc, "policy: spc-numbers of %s: "
			    "%s", spc, st_err_str(&se, rc));
	}
	qsort(g->spc, g->nspc, sizeof(*g->spc), spc_cmp);
	g->map.lookup = spc_lookup;
	g->map.arg = g;
	return 0;
}

/*
 * The scope of a SPEC array of the policy, built once: the policy's
 * arrays are immutable and live until pol_free, so their address and
 * length name them.
 */
static int
allowed_scope(struct ca_engine *g, const char *const *v, size_t n,
    const struct ca_scope **out, struct st_err *e)
{
	struct ca_scope_cache_ent	*nc;
	struct ca_scope			*s = NULL;
	size_t				 i;
	int				 rc;

	*out = NULL;
	pthread_mutex_lock(&g->mu);
	for (i = 0; i < g->ncache; i++)
		if (g->cache[i].key == v && g->cache[i].n == n) {
			*out = g->cache[i].scope;
			pthread_mutex_unlock(&g->mu);
			return 0;
		}
	pthread_mutex_unlock(&g->mu);
	if ((rc = ca_scope_from_specs(v, n, &s, e)) != 0)
		return rc;
	pthread_mutex_lock(&g->mu);
	for (i = 0; i < g->ncache; i++)
		if (g->cache[i].key == v && g->cache[i].n == n)
			break;
	if (i < g->ncache) {
		/* Another thread built it meanwhile. */
		ca_scope_free(s);
		*out = g->cache[i].scope;
	} else if ((nc = realloc(g->cache, (g->ncache + 1) *
	    sizeof(*g->cache))) == NULL) {
		pthread_mutex_unlock(&g->mu);
		ca_scope_free(s);
		return ST_E_NOMEM;
	} else {
		g->cache = nc;
		g->cache[g->ncache].key = v;
		g->cache[g->ncache].n = n;
		g->cache[g->ncache].scope = s;
		g->ncache++;
		*out = s;
	}
	pthread_mutex_unlock(&g->mu);
	return 0;
}

/*
 * pol_within_fn: RFC 9060 section 4 "equal to or a subset of", with the
 * policy's SPC map applied to the allowed side's SPCs.
 */
int
ca_engine_within(void *arg, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why)
{
	struct ca_engine	*g = arg;
	const struct ca_scope	*as;
	struct ca_scope		*rs = NULL;
	int			 rc;

	if ((rc = allowed_scope(g, allowed, nallowed, &as, why)) != 0 ||
	    (rc = ca_scope_from_specs(req, nreq, &rs, why)) != 0)
		goto out;
	rc = ca_scope_encompasses(as, rs, &g->map, why);
out:
	ca_scope_free(rs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Issuers                                                            */

/* RFC 5280 Time as seconds since the epoch. */
static int64_t
asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

/* Every certificate of a PEM file, in file order. */
static int
read_certs(const char *path, STACK_OF(X509) **out, struct st_err *e)
{
	STACK_OF(X509)	*sk = NULL;
	uint8_t		*buf = NULL;
	size_t		 len;
	BIO		*b = NULL;
	X509		*x;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((rc = st_file_read(path, MAX_CERTFILE, &buf, &len, e)) != 0)
		goto out;
	if ((sk = sk_X509_new_null()) == NULL ||
	    (b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = ST_E_NOMEM;
			goto out;
		}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		rc = st_err_set(e, ST_E_IO, "%s: no PEM certificate", path);
		goto out;
	}
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	free(buf);
	return rc;
}

static int
append_pem(char **acc, const X509 *x)
{
	uint8_t	*der = NULL;
	char	*pem = NULL, *n;
	size_t	 have = *acc != NULL ? strlen(*acc) : 0, add;
	int	 len, rc = ST_E_NOMEM;

	if ((len = i2d_X509(x, &der)) <= 0 ||
	    ca_pem_encode("CERTIFICATE", der, (size_t)len, &pem) != 0)
		goto out;
	add = strlen(pem);
	if ((n = realloc(*acc, have + add + 1)) == NULL)
		goto out;
	memcpy(n + have, pem, add + 1);
	*acc = n;
	rc = 0;
out:
	OPENSSL_free(der);
	free(pem);
	return rc;
}

/*
 * Load one issuer: key, certificate (which must be a CA certificate
 * carrying exactly the key's SubjectPublicKeyInfo), chain (each
 * certificate issued by the next), the scope of every certificate in it.
 */
static int
issuer_load(struct ca_engine *g, const struct st_config_issuer *ci,
    struct ca_issuer *is, struct st_err *e)
{
	STACK_OF(X509)	*sk = NULL, *chain = NULL;
	struct ca_tnauth *l = NULL;
	struct st_err	 se;
	const uint8_t	*spki;
	uint8_t		*der = NULL;
	size_t		 spki_len, i;
	X509		*x;
	int		 len, r, rc = ST_E_INTERNAL;

	if ((is->name = strdup(ci->name)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = hsm_key_load(g->hsm, ci->key, &is->key, e)) != 0 ||
	    (rc = read_certs(ci->certificate, &sk, e)) != 0)
		goto out;
	is->cert = sk_X509_shift(sk);
	spki = hsm_key_spki(is->key, &spki_len);
	if ((len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(is->cert), &der)) <=
	    0 || (size_t)len != spki_len || memcmp(der, spki, spki_len) != 0) {
		rc = st_err_set(e, ST_E_VERIFY, "issuer '%s': the public key "
		    "of %s is not that of HSM key %s; refusing to sign with "
		    "it", ci->name, ci->certificate, hsm_key_uri(is->key));
		goto out;
	}
	if (X509_check_ca(is->cert) != 1 || ((X509_get_extension_flags(
	    is->cert) & EXFLAG_KUSAGE) != 0 &&
	    (X509_get_key_usage(is->cert) & KU_KEY_CERT_SIGN) == 0)) {
		rc = st_err_set(e, ST_E_VERIFY, "issuer '%s': %s is not a CA "
		    "certificate (RFC 5280 sections 4.2.1.3 and 4.2.1.9: "
		    "basicConstraints cA and keyCertSign)", ci->name,
		    ci->certificate);
		goto out;
	}
	is->ku = (X509_get_extension_flags(is->cert) & EXFLAG_KUSAGE) != 0 ?
	    X509_get_key_usage(is->cert) : 0;
	is->not_before = asn1_time_epoch(X509_get0_notBefore(is->cert));
	is->not_after = asn1_time_epoch(X509_get0_notAfter(is->cert));
	if (ci->chain != NULL && (rc = read_certs(ci->chain, &chain, e)) != 0)
		goto out;
	/* above: the issuer, then its chain without the issuer itself. */
	if ((is->above = calloc(1 + (size_t)sk_X509_num(chain),
	    sizeof(*is->above))) == NULL ||
	    (is->above_scopes = calloc(1 + (size_t)sk_X509_num(chain),
	    sizeof(*is->above_scopes))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	X509_up_ref(is->cert);
	is->above[is->nabove++] = is->cert;
	while ((x = sk_X509_shift(chain)) != NULL) {
		if (X509_cmp(x, is->cert) == 0) {
			X509_free(x);
			continue;
		}
		if (X509_check_issued(x, is->above[is->nabove - 1]) !=
		    X509_V_OK) {
			X509_free(x);
			rc = st_err_set(e, ST_E_VERIFY, "issuer '%s': chain "
			    "%s: certificate %zu did not issue the one before "
			    "it (RFC 9060 section 7: ordered toward the trust "
			    "anchor)", ci->name, ci->chain, is->nabove);
			goto out;
		}
		is->above[is->nabove++] = x;
	}
	for (i = 0; i < is->nabove; i++) {
		ca_tnauth_free(l);
		l = NULL;
		st_err_clear(&se);
		if ((r = ca_tnauth_from_cert(is->above[i], &l, &se)) ==
		    ST_E_NOTFOUND)
			continue;
		if (r != 0 || (r = ca_scope_from_tnauth(l,
		    &is->above_scopes[i], &se)) != 0) {
			rc = st_err_set(e, r, "issuer '%s': the TNAuthList of "
			    "certificate %zu of its chain: %s", ci->name, i,
			    st_err_str(&se, r));
			goto out;
		}
	}
	/* Served after a leaf: up to, not including, a self-signed root. */
	for (i = 0; i < is->nabove; i++) {
		if (i > 0 && (X509_get_extension_flags(is->above[i]) &
		    EXFLAG_SS) != 0)
			break;
		if ((rc = append_pem(&is->chain_pem, is->above[i])) != 0)
			goto out;
	}
	if ((rc = ca_key_sigalg(is->key, &is->sigalg, e)) != 0 ||
	    (rc = ca_issuer_ski(is->cert, &is->ski, e)) != 0)
		goto out;
	rc = 0;
out:
	ERR_clear_error();
	ca_tnauth_free(l);
	OPENSSL_free(der);
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static void
issuer_clear(struct ca_issuer *is)
{
	size_t	i;

	free(is->name);
	hsm_key_free(is->key);
	X509_free(is->cert);
	for (i = 0; i < is->nabove; i++) {
		X509_free(is->above[i]);
		ca_scope_free(is->above_scopes[i]);
	}
	free(is->above);
	free(is->above_scopes);
	X509_ALGOR_free(is->sigalg);
	ASN1_OCTET_STRING_free(is->ski);
	free(is->chain_pem);
}

struct ca_issuer *
ca_engine_issuer(struct ca_engine *g, const char *name)
{
	size_t	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < g->niss; i++)
		if (strcmp(g->iss[i].name, name) == 0)
			return &g->iss[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Store handles                                                      */

int
ca_engine_store_take(struct ca_engine *g, struct store **out,
    struct st_err *e)
{
	*out = NULL;
	pthread_mutex_lock(&g->mu);
	if (g->npool > 0)
		*out = g->pool[--g->npool];
	pthread_mutex_unlock(&g->mu);
	if (*out != NULL)
		return 0;
	return store_open(g->store_uri, out, e);
}

void
ca_engine_store_put(struct ca_engine *g, struct store *s)
{
	struct store	**n;

	if (s == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (g->npool == g->cappool) {
		if ((n = realloc(g->pool, (g->cappool + 4) *
		    sizeof(*g->pool))) == NULL) {
			pthread_mutex_unlock(&g->mu);
			store_close(s);
			return;
		}
		g->pool = n;
		g->cappool += 4;
	}
	g->pool[g->npool++] = s;
	pthread_mutex_unlock(&g->mu);
}

void
ca_engine_store_lock(struct ca_engine *g)
{
	pthread_mutex_lock(&g->store_mu);
}

void
ca_engine_store_unlock(struct ca_engine *g)
{
	pthread_mutex_unlock(&g->store_mu);
}

/* ------------------------------------------------------------------ */
/* Open and free                                                      */

int
ca_engine_open(const struct st_config *cfg, struct ca_engine **out,
    struct st_err *e)
{
	struct ca_engine	*g = NULL;
	struct hsm_params	 hp;
	struct store		*s = NULL;
	size_t			 i;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return ST_E_NOMEM;
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		return ST_E_INTERNAL;
	}
	if (pthread_mutex_init(&g->store_mu, NULL) != 0) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return ST_E_INTERNAL;
	}
	if (cfg->policy == NULL) {
		rc = st_err_set(e, ST_E_USAGE, "%s names no policy file; the "
		    "engine issues only what a policy allows", cfg->path);
		goto out;
	}
	/*
	 * The STIR OIDs are added to OpenSSL's object table here, before
	 * any thread issues: adding them while another thread looks objects
	 * up is a data race in OpenSSL 3.0 (found by ThreadSanitizer).
	 */
	ca_oids_register();
	if ((rc = st_config_apply_env(cfg, e)) != 0 ||
	    (rc = pol_load(cfg->policy, &g->pol, e)) != 0 ||
	    (rc = spc_map_load(g, e)) != 0)
		goto out;
	for (i = 0; i < pol_issuer_count(g->pol); i++)
		if (st_config_issuer_find(cfg, pol_issuer_name(g->pol, i)) ==
		    NULL) {
			rc = st_err_set(e, ST_E_USAGE, "policy %s names issuer "
			    "'%s', which %s does not configure", cfg->policy,
			    pol_issuer_name(g->pol, i), cfg->path);
			goto out;
		}
	memset(&hp, 0, sizeof(hp));
	hp.module = cfg->hsm.module;
	hp.token_uri = cfg->hsm.token;
	hp.pin_env = cfg->hsm.pin_env;
	if ((rc = hsm_open(&hp, &g->hsm, e)) != 0)
		goto out;
	if (cfg->nissuers > 0 && (g->iss = calloc(cfg->nissuers,
	    sizeof(*g->iss))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < cfg->nissuers; i++) {
		g->niss = i + 1;
		if ((rc = issuer_load(g, &cfg->issuers[i], &g->iss[i], e)) != 0)
			goto out;
	}
	if ((g->store_uri = strdup(cfg->store)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = store_open(g->store_uri, &s, e)) != 0)
		goto out;
	ca_engine_store_put(g, s);
	*out = g;
	g = NULL;
	rc = 0;
out:
	ca_engine_free(g);
	return rc;
}

void
ca_engine_free(struct ca_engine *g)
{
	size_t	i;

	if (g == NULL)
		return;
	for (i = 0; i < g->niss; i++)
		issuer_clear(&g->iss[i]);
	free(g->iss);
	hsm_close(g->hsm);
	for (i = 0; i < g->nspc; i++) {
		free(g->spc[i].spc);
		ca_scope_free(g->spc[i].scope);
	}
	free(g->spc);
	for (i = 0; i < g->ncache; i++)
		ca_scope_free(g->cache[i].scope);
	free(g->cache);
	for (i = 0; i < g->npool; i++)
		store_close(g->pool[i]);
	free(g->pool);
	free(g->store_uri);
	pol_free(g->pol);
	pthread_mutex_destroy(&g->store_mu);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

const struct pol *
ca_engine_policy(const struct ca_engine *g)
{
	return g->pol;
}
