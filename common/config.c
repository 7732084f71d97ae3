/* SPDX-License-Identifier: ISC */
/*
 * stica.yaml loader (docs/config.md): a strict schema over common/yaml,
 * relative paths resolved against the file's directory, and the small
 * path and PKCS#11 URI helpers the ceremony loader shares.  PKCS#11 URIs
 * are RFC 7512; pin-source is the only attribute rewritten, pin-value is
 * refused so that no PIN is ever kept in a configuration file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/yaml.h"

static const char *const top_keys[] = { "hsm", "store", "issuers", "acme",
	"sms", "policy", NULL };
static const char *const top_req[] = { "hsm", "store", NULL };
static const char *const hsm_keys[] = { "module", "token", "pin-env",
	"softhsm2-conf", NULL };
static const char *const hsm_req[] = { "token", NULL };
static const char *const iss_keys[] = { "name", "key", "certificate",
	"chain", NULL };
static const char *const iss_req[] = { "name", "key", "certificate", NULL };
static const char *const acme_keys[] = { "listen", "base-url",
	"token-authorities", NULL };
static const char *const sms_drivers[] = { "kannel", "http", "file", NULL };
static const char *const sms_kannel_keys[] = { "driver", "url", "username",
	"password-file", "from", NULL };
static const char *const sms_kannel_req[] = { "driver", "url", "username",
	"password-file", NULL };
static const char *const sms_http_keys[] = { "driver", "url", "token-file",
	"from", NULL };
static const char *const sms_http_req[] = { "driver", "url", NULL };
static const char *const sms_file_keys[] = { "driver", "path", NULL };
static const char *const sms_file_req[] = { "driver", "path", NULL };

static void
issuer_clear(struct st_config_issuer *i)
{
	free(i->name);
	free(i->key);
	free(i->certificate);
	free(i->chain);
}

void
st_config_free(struct st_config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free(c->hsm.module);
	free(c->hsm.token);
	free(c->hsm.pin_env);
	free(c->hsm.softhsm2_conf);
	free(c->store);
	free(c->store_path);
	for (i = 0; i < c->nissuers; i++)
		issuer_clear(&c->issuers[i]);
	free(c->issuers);
	free(c->acme.listen);
	free(c->acme.base_url);
	for (i = 0; i < c->acme.ntoken_authorities; i++)
		free(c->acme.token_authorities[i]);
	free(c->acme.token_authorities);
	free(c->sms.url);
	free(c->sms.username);
	free(c->sms.password_file);
	free(c->sms.token_file);
	free(c->sms.from);
	free(c->sms.path);
	free(c->policy);
	free(c);
}

char *
st_path_resolve(const char *dir, const char *path)
{
	char	*s;
	size_t	 n;

	if (path[0] == '/' || dir == NULL)
		return strdup(path);
	n = strlen(dir) + strlen(path) + 2;
	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s/%s", dir, path);
	return s;
}

int
st_path_dir(const char *path, char **out, struct st_err *e)
{
	char	*d = NULL, *slash, *r = NULL;
	int	 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((d = strdup(path)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((slash = strrchr(d, '/')) == NULL)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	if ((r = realpath(d, NULL)) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", d, strerror(errno));
		goto out;
	}
	*out = r;
	rc = 0;
out:
	free(d);
	return rc;
}

/* Bytes that would end or corrupt a pkcs11: URI attribute. */
static bool
uri_special(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == ';' || c == '?' || c == '&' ||
	    c == '%' || c == '#';
}

int
st_pkcs11_uri_resolve(const char *dir, const char *uri, char **out,
    struct st_err *e)
{
	static const char	 ps[] = "pin-source=file:";
	const char		*a, *v, *end;
	char			*s = NULL;
	size_t			 n, i, o;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if (strncmp(uri, "pkcs11:", 7) != 0) {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "'%s' is not a PKCS#11 URI (RFC 7512: \"pkcs11:...\")",
		    uri);
		goto out;
	}
	v = NULL;
	for (a = uri + 7; *a != '\0'; a = end + (*end != '\0')) {
		end = a + strcspn(a, ";?&");
		if (strncmp(a, "pin-value=", 10) == 0) {
			rc = st_err_set(e, ST_E_SYNTAX,
			    "PKCS#11 URI carries pin-value; use "
			    "pin-source=file:PATH or an environment variable");
			goto out;
		}
		if (strncmp(a, ps, sizeof(ps) - 1) == 0 &&
		    a[sizeof(ps) - 1] != '/' && a + sizeof(ps) - 1 < end)
			v = a + sizeof(ps) - 1;
	}
	if (v == NULL || dir == NULL) {
		if ((s = strdup(uri)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		*out = s;
		s = NULL;
		rc = 0;
		goto out;
	}
	n = strlen(uri) + 3 * strlen(dir) + 2;
	if ((s = malloc(n)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	o = (size_t)(v - uri);
	memcpy(s, uri, o);
	for (i = 0; dir[i] != '\0'; i++) {
		if (uri_special((unsigned char)dir[i]))
			o += (size_t)snprintf(s + o, n - o, "%%%02X",
			    (unsigned char)dir[i]);
		else
			s[o++] = dir[i];
	}
	s[o++] = '/';
	memcpy(s + o, v, strlen(v) + 1);
	*out = s;
	s = NULL;
	rc = 0;
out:
	free(s);
	return rc;
}

/* A path setting, resolved against dir. */
static int
get_path(const struct st_yaml_node *map, const char *key, const char *dir,
    char **out, struct st_err *e)
{
	const char	*s;
	int		 rc;

	*out = NULL;
	if ((rc = st_yaml_get0_str(map, key, &s, e)) != 0 || s == NULL)
		return rc;
	if ((*out = st_path_resolve(dir, s)) == NULL)
		return ST_E_NOMEM;
	return 0;
}

/* A pkcs11: URI setting with its pin-source resolved against dir. */
static int
get_uri(const struct st_yaml_node *map, const char *key, const char *dir,
    char **out, struct st_err *e)
{
	const char	*s;
	struct st_err	 ue;
	int		 rc;

	*out = NULL;
	if ((rc = st_yaml_get0_str(map, key, &s, e)) != 0 || s == NULL)
		return rc;
	st_err_clear(&ue);
	if ((rc = st_pkcs11_uri_resolve(dir, s, out, &ue)) != 0)
		return st_yaml_err(st_yaml_get(map, key), e, rc, "'%s': %s",
		    key, st_err_str(&ue, rc));
	return 0;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool
env_name_ok(const char *s)
{
	size_t	i;

	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int
load_hsm(struct st_config *c, const struct st_yaml_node *m, struct st_err *e)
{
	int	rc;

	if ((rc = st_yaml_check_map(m, "hsm", hsm_keys, hsm_req, e)) != 0 ||
	    (rc = get_path(m, "module", c->dir, &c->hsm.module, e)) != 0 ||
	    (rc = get_uri(m, "token", c->dir, &c->hsm.token, e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "pin-env", &c->hsm.pin_env, e)) != 0 ||
	    (rc = get_path(m, "softhsm2-conf", c->dir, &c->hsm.softhsm2_conf,
	    e)) != 0)
		return rc;
	if (c->hsm.pin_env != NULL && !env_name_ok(c->hsm.pin_env))
		return st_yaml_err(st_yaml_get(m, "pin-env"), e, ST_E_SYNTAX,
		    "'pin-env': '%s' is not an environment variable name",
		    c->hsm.pin_env);
	return 0;
}

/* store: "sqlite:PATH" (design.md "Storage"). */
static int
load_store(struct st_config *c, const struct st_yaml_node *n,
    struct st_err *e)
{
	const char	*s;
	size_t		 len;
	int		 rc;

	if ((rc = st_yaml_str(n, &s, e)) != 0)
		return rc;
	if (strncmp(s, "sqlite:", 7) != 0 || s[7] == '\0')
		return st_yaml_err(n, e, ST_E_SYNTAX,
		    "'store': expected sqlite:PATH, found '%s'", s);
	if ((c->store_path = st_path_resolve(c->dir, s + 7)) == NULL)
		return ST_E_NOMEM;
	len = strlen(c->store_path) + 8;
	if ((c->store = malloc(len)) == NULL)
		return ST_E_NOMEM;
	snprintf(c->store, len, "sqlite:%s", c->store_path);
	return 0;
}

static bool
issuer_name_ok(const char *s)
{
	size_t	i;

	if (s[0] == '\0' || strlen(s) > 64)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

static int
load_issuers(struct st_config *c, const struct st_yaml_node *n,
    struct st_err *e)
{
	const struct st_yaml_node	*m, *nn;
	struct st_config_issuer		*is;
	size_t				 i, j;
	int				 rc;

	if (n->kind != ST_YAML_SEQUENCE || n->n == 0)
		return st_yaml_err(n, e, ST_E_SYNTAX,
		    "'issuers' must be a non-empty list of mappings");
	if ((c->issuers = calloc(n->n, sizeof(*c->issuers))) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < n->n; i++) {
		m = n->items[i];
		is = &c->issuers[i];
		c->nissuers = i + 1;
		if ((rc = st_yaml_check_map(m, "issuers", iss_keys, iss_req,
		    e)) != 0 ||
		    (rc = st_yaml_get1_str(m, "name", &is->name, e)) != 0 ||
		    (rc = get_uri(m, "key", c->dir, &is->key, e)) != 0 ||
		    (rc = get_path(m, "certificate", c->dir, &is->certificate,
		    e)) != 0 ||
		    (rc = get_path(m, "chain", c->dir, &is->chain, e)) != 0)
			return rc;
		nn = st_yaml_get(m, "name");
		if (!issuer_name_ok(is->name))
			return st_yaml_err(nn, e, ST_E_SYNTAX,
			    "'name': '%s' is not an issuer name (1..64 of "
			    "A-Z a-z 0-9 . _ -)", is->name);
		for (j = 0; j < i; j++)
			if (strcmp(c->issuers[j].name, is->name) == 0)
				return st_yaml_err(nn, e, ST_E_SYNTAX,
				    "duplicate issuer name '%s' (first at line "
				    "%u)", is->name,
				    st_yaml_get(n->items[j], "name")->line);
	}
	return 0;
}

/* host:port or [v6]:port, port 1..65535. */
static bool
listen_ok(const char *s)
{
	const char	*colon;
	char		*end;
	long		 port;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL || colon == s + 1)
			return false;
		colon++;
	} else if ((colon = strrchr(s, ':')) == NULL || colon == s ||
	    memchr(s, ':', (size_t)(colon - s)) != NULL)
		return false;
	if (colon[1] < '1' || colon[1] > '9')
		return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && port >= 1 && port <= 65535;
}

static bool
url_ok(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7] != '\0' &&
	    s[7] != '/') || (strncmp(s, "https://", 8) == 0 && s[8] != '\0' &&
	    s[8] != '/');
}

static int
load_acme(struct st_config *c, const struct st_yaml_node *m, struct st_err *e)
{
	const struct st_yaml_node	 *n;
	const char			**v = NULL;
	size_t				  nv = 0, i, len;
	int				  rc = ST_E_INTERNAL;

	if (m != NULL) {
		if ((rc = st_yaml_check_map(m, "acme", acme_keys, NULL,
		    e)) != 0 ||
		    (rc = st_yaml_get1_str(m, "listen", &c->acme.listen,
		    e)) != 0 ||
		    (rc = st_yaml_get1_str(m, "base-url", &c->acme.base_url,
		    e)) != 0)
			goto out;
		if (c->acme.listen != NULL && !listen_ok(c->acme.listen)) {
			rc = st_yaml_err(st_yaml_get(m, "listen"), e,
			    ST_E_SYNTAX, "'listen': expected HOST:PORT or "
			    "[V6]:PORT, found '%s'", c->acme.listen);
			goto out;
		}
		if (c->acme.base_url != NULL && !url_ok(c->acme.base_url)) {
			rc = st_yaml_err(st_yaml_get(m, "base-url"), e,
			    ST_E_SYNTAX, "'base-url': expected an http:// or "
			    "https:// URL, found '%s'", c->acme.base_url);
			goto out;
		}
		if ((n = st_yaml_get(m, "token-authorities")) != NULL) {
			if ((rc = st_yaml_strlist(n, &v, &nv, e)) != 0)
				goto out;
			if (nv > 0 && (c->acme.token_authorities = calloc(nv,
			    sizeof(char *))) == NULL) {
				rc = ST_E_NOMEM;
				goto out;
			}
			for (i = 0; i < nv; i++) {
				if ((c->acme.token_authorities[i] =
				    st_path_resolve(c->dir, v[i])) == NULL) {
					rc = ST_E_NOMEM;
					goto out;
				}
				c->acme.ntoken_authorities = i + 1;
			}
		}
	}
	if (c->acme.listen == NULL &&
	    (c->acme.listen = strdup(ST_CONFIG_LISTEN_DEFAULT)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if (c->acme.base_url == NULL) {
		len = strlen(c->acme.listen) + 8;
		if ((c->acme.base_url = malloc(len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		snprintf(c->acme.base_url, len, "http://%s", c->acme.listen);
	}
	len = strlen(c->acme.base_url);
	while (len > 0 && c->acme.base_url[len - 1] == '/')
		c->acme.base_url[--len] = '\0';
	rc = 0;
out:
	free(v);
	return rc;
}

/* sms: the driver decides which other keys are allowed. */
static int
load_sms(struct st_config *c, const struct st_yaml_node *m, struct st_err *e)
{
	static const char *const *const keys[] = { sms_kannel_keys,
		sms_http_keys, sms_file_keys };
	static const char *const *const req[] = { sms_kannel_req,
		sms_http_req, sms_file_req };
	const struct st_yaml_node	*n;
	int				 rc, d;

	if (m->kind != ST_YAML_MAPPING)
		return st_yaml_check_map(m, "sms", sms_kannel_keys, NULL, e);
	if ((n = st_yaml_get(m, "driver")) == NULL)
		return st_yaml_err(m, e, ST_E_SYNTAX,
		    "missing required key 'driver' in 'sms'");
	if ((rc = st_yaml_enum(n, sms_drivers, &d, e)) != 0)
		return rc;
	if ((rc = st_yaml_check_map(m, "sms", keys[d], req[d], e)) != 0)
		return rc;
	c->sms.driver = (enum st_sms_driver)(d + 1);
	if ((rc = st_yaml_get1_str(m, "url", &c->sms.url, e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "username", &c->sms.username,
	    e)) != 0 ||
	    (rc = get_path(m, "password-file", c->dir, &c->sms.password_file,
	    e)) != 0 ||
	    (rc = get_path(m, "token-file", c->dir, &c->sms.token_file,
	    e)) != 0 ||
	    (rc = st_yaml_get1_str(m, "from", &c->sms.from, e)) != 0 ||
	    (rc = get_path(m, "path", c->dir, &c->sms.path, e)) != 0)
		return rc;
	if (c->sms.url != NULL && !url_ok(c->sms.url))
		return st_yaml_err(st_yaml_get(m, "url"), e, ST_E_SYNTAX,
		    "'url': expected an http:// or https:// URL, found '%s'",
		    c->sms.url);
	return 0;
}

int
st_config_load(const char *path, struct st_config **out, struct st_err *e)
{
	struct st_yaml_doc		*doc = NULL;
	const struct st_yaml_node	*root, *n;
	struct st_config		*c = NULL;
	int				 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((rc = st_yaml_load_file(path, &doc, e)) != 0)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((rc = st_path_dir(path, &c->dir, e)) != 0)
		goto out;
	root = st_yaml_root(doc);
	if ((rc = st_yaml_check_map(root, "stica.yaml", top_keys, top_req,
	    e)) != 0)
		goto out;
	if ((rc = load_hsm(c, st_yaml_get(root, "hsm"), e)) != 0 ||
	    (rc = load_store(c, st_yaml_get(root, "store"), e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "issuers")) != NULL &&
	    (rc = load_issuers(c, n, e)) != 0)
		goto out;
	if ((rc = load_acme(c, st_yaml_get(root, "acme"), e)) != 0)
		goto out;
	if ((n = st_yaml_get(root, "sms")) != NULL &&
	    (rc = load_sms(c, n, e)) != 0)
		goto out;
	if ((rc = get_path(root, "policy", c->dir, &c->policy, e)) != 0)
		goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	st_config_free(c);
	st_yaml_free(doc);
	return rc;
}

const struct st_config_issuer *
st_config_issuer_find(const struct st_config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->nissuers; i++)
		if (strcmp(c->issuers[i].name, name) == 0)
			return &c->issuers[i];
	return NULL;
}

int
st_config_apply_env(const struct st_config *c, struct st_err *e)
{
	if (c->hsm.softhsm2_conf == NULL)
		return 0;
	if (setenv("SOFTHSM2_CONF", c->hsm.softhsm2_conf, 1) == -1)
		return st_err_set(e, ST_E_INTERNAL, "setenv SOFTHSM2_CONF: %s",
		    strerror(errno));
	return 0;
}
