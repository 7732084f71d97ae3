/* SPDX-License-Identifier: ISC */
/*
 * common/config: stica.yaml, the one configuration file of a deployment
 * (docs/config.md), loaded strictly with common/yaml into a plain struct.
 *
 * Every relative path in the file, including the file: path of a PKCS#11
 * URI's pin-source attribute and the PATH of "sqlite:PATH", is resolved
 * against the directory that holds the file, so a deployment directory
 * can be moved as a whole.  Unknown keys, missing required keys, bad
 * values and duplicates are reported as "file:line:col: what is wrong".
 * The loader checks form, not existence: files named here are opened by
 * the code that uses them.
 */
#ifndef STICA_COMMON_CONFIG_H
#define STICA_COMMON_CONFIG_H

#include <stddef.h>

#include "common/common.h"

#define ST_CONFIG_LISTEN_DEFAULT "127.0.0.1:8555"

struct st_config_hsm {
	char	*module;	/* PKCS#11 module path; NULL: hsm/ default */
	char	*token;		/* pkcs11: URI of the token (+ pin-source) */
	char	*pin_env;	/* environment variable holding the PIN */
	char	*softhsm2_conf;	/* exported as SOFTHSM2_CONF, or NULL */
};

struct st_config_issuer {
	char	*name;
	char	*key;		/* pkcs11: URI of the private key */
	char	*certificate;	/* PEM certificate of the issuer */
	char	*chain;		/* PEM chain served after a leaf, or NULL */
};

struct st_config_acme {
	char	 *listen;	/* host:port, default 127.0.0.1:8555 */
	char	 *base_url;	/* external URL, no trailing '/' */
	char	**token_authorities;	/* PEM certificates */
	size_t	  ntoken_authorities;
};

enum st_sms_driver {
	ST_SMS_NONE = 0,	/* no sms: section */
	ST_SMS_KANNEL = 1,	/* Kannel smsbox sendsms interface */
	ST_SMS_HTTP = 2,	/* JSON POST to a webhook */
	ST_SMS_FILE = 3		/* append to a file (development, tests) */
};

struct st_config_sms {
	enum st_sms_driver	 driver;
	char			*url;		/* kannel, http */
	char			*username;	/* kannel */
	char			*password_file;	/* kannel */
	char			*token_file;	/* http: bearer token, optional */
	char			*from;		/* kannel, http: sender, optional */
	char			*path;		/* file */
};

struct st_config {
	char			*path;	/* the file as given */
	char			*dir;	/* absolute directory of the file */
	struct st_config_hsm	 hsm;
	char			*store;	/* "sqlite:/absolute/path" */
	char			*store_path;	/* the path part of store */
	struct st_config_issuer	*issuers;
	size_t			 nissuers;
	struct st_config_acme	 acme;
	struct st_config_sms	 sms;
	char			*policy;	/* policy YAML, or NULL */
};

/*
 * Load path strictly.  Required: hsm (with token), store.  Errors:
 * ST_E_IO (cannot read), ST_E_SYNTAX (file:line:col: ...), ST_E_NOMEM.
 */
int	st_config_load(const char *path, struct st_config **out,
    struct st_err *e) ST_MUSTCHECK;
void	st_config_free(struct st_config *);

/* The issuer called name, or NULL (borrowed). */
const struct st_config_issuer *st_config_issuer_find(const struct st_config *,
    const char *name);

/*
 * Export hsm.softhsm2-conf as SOFTHSM2_CONF (before the module is
 * loaded), when it is set.  Returns 0 or ST_E_INTERNAL.
 */
int	st_config_apply_env(const struct st_config *, struct st_err *e)
    ST_MUSTCHECK;

/*
 * path resolved against dir (unchanged when absolute), malloc'd; NULL
 * when out of memory.
 */
char	*st_path_resolve(const char *dir, const char *path);

/*
 * A pkcs11: URI with the file: path of its pin-source attribute (in the
 * path or the query part) resolved against dir; other URIs are copied.
 * ST_E_SYNTAX when uri does not start with "pkcs11:" or carries
 * pin-value (PINs never live in configuration files).
 */
int	st_pkcs11_uri_resolve(const char *dir, const char *uri, char **out,
    struct st_err *e) ST_MUSTCHECK;

/* The absolute directory that holds path (realpath of its dirname). */
int	st_path_dir(const char *path, char **out, struct st_err *e)
    ST_MUSTCHECK;

#endif /* STICA_COMMON_CONFIG_H */
