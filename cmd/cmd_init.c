/* SPDX-License-Identifier: ISC */
/*
 * stica init DIR: a complete development deployment in DIR on a fresh
 * SoftHSM2 token (docs/ceremony.md, "stica init").
 *
 * Everything is built in a temporary sibling directory and renamed into
 * place at the end, so a failure leaves no half-initialised DIR.  SoftHSM
 * records its token directory as an absolute path in softhsm2.conf; the
 * deployment's softhsm2.conf names the final DIR/tokens, and during the
 * run SOFTHSM2_CONF points at a temporary copy naming the temporary
 * token directory.  The token's files carry no path, so the rename moves
 * the token intact.  All other paths in the written files are relative to
 * the file that names them, so the ceremony files and stica.yaml work
 * both in the temporary directory and in DIR.
 *
 * The root and the CA are made by writing ceremonies/root.yaml and
 * ceremonies/ca.yaml and running them through ca_ceremony_load and
 * ca_ceremony_run, the code path of "stica ceremony", so the transcript
 * printed is a real ceremony transcript.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/config.h"
#include "common/yaml.h"
#include "hsm/hsm.h"
#include "store/store.h"

#define INIT_TOKEN	"stica-dev"
#define INIT_ROOT_KEY	"stica-dev-root"
#define INIT_CA_KEY	"stica-dev-ca"
#define INIT_PINLEN	24
/* The default scope: the 100 NANP numbers 202-555-0100..0199, which
 * NANPA reserves for fictitious use, as an RFC 8226 range. */
#define INIT_DEFAULT_SCOPE "range:12025550100+100"
#define INIT_ROOT_DAYS	3652	/* ten years */
#define INIT_CA_DAYS	1826	/* five years */

struct init {
	char	*final;		/* absolute DIR */
	char	*tmp;		/* absolute temporary sibling */
	char	*module;	/* absolute module path */
	char	**specs;	/* CA scope, SPEC form */
	size_t	  nspecs;
	char	  pin[INIT_PINLEN + 1];
	char	  so_pin[INIT_PINLEN + 1];
	struct store *store;	/* DIR's store: the ceremonies' audit log */
};

void
help_init(FILE *f)
{
	fprintf(f,
	    "usage: stica init DIR [--spc CODE]... [--range START+COUNT]...\n"
	    "                      [--tn DIGITS]... [--module PATH]\n"
	    "\n"
	    "Create a development CA in DIR: a fresh SoftHSM2 token (label\n"
	    "'" INIT_TOKEN "') with random PINs in DIR/pin and DIR/so-pin\n"
	    "(mode 0600, never printed), a root and an RFC 9060 delegate CA\n"
	    "made by real ceremonies (DIR/ceremonies/*.yaml), a starter\n"
	    "policy and DIR/stica.yaml.  The CA's TNAuthList comes from\n"
	    "--spc, --range and --tn (default " INIT_DEFAULT_SCOPE ", the\n"
	    "fictitious numbers 202-555-0100..0199).  DIR must not exist or\n"
	    "be empty; a failed init leaves nothing behind.\n"
	    "\n"
	    "  --spc CODE            add a service provider code\n"
	    "  --range START+COUNT   add a telephone number range\n"
	    "  --tn DIGITS           add one telephone number\n"
	    "  --module PATH         PKCS#11 module (default: $"
	    HSM_MODULE_ENV " or\n"
	    "                        " HSM_DEFAULT_MODULE ")\n");
}

/* Remove a directory tree (no symlinks followed). */
static void
rm_tree(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 p[PATH_MAX];

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(p, sizeof(p), "%s/%s", path,
			    de->d_name) < sizeof(p))
				rm_tree(p);
		}
		closedir(d);
	}
	rmdir(path);
}

/* mkdir -p for the parent directories of DIR (mode 0755). */
static int
mkdir_parents(const char *path, struct st_err *e)
{
	char	 buf[PATH_MAX], *s;

	if (strlen(path) >= sizeof(buf))
		return st_err_set(e, ST_E_USAGE, "%s: path too long", path);
	strcpy(buf, path);
	for (s = buf + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return st_err_set(e, ST_E_IO, "%s: %s", buf,
			    strerror(errno));
		*s = '/';
	}
	return 0;
}

/* DIR must be absent, or an empty directory. */
static int
check_target(const char *dir, struct st_err *e)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	char		 p[PATH_MAX];
	bool		 empty = true;

	if (lstat(dir, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return st_err_set(e, ST_E_IO, "%s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return st_err_set(e, ST_E_EXISTS, "%s: exists and is not a "
		    "directory; refusing to initialise", dir);
	snprintf(p, sizeof(p), "%s/stica.yaml", dir);
	if (access(p, F_OK) == 0)
		return st_err_set(e, ST_E_EXISTS, "%s: already initialised "
		    "(it has a stica.yaml); refusing to initialise again",
		    dir);
	if ((d = opendir(dir)) == NULL)
		return st_err_set(e, ST_E_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = false;
	closedir(d);
	if (!empty)
		return st_err_set(e, ST_E_EXISTS, "%s: exists and is not "
		    "empty; refusing to initialise", dir);
	return 0;
}

/*
 * Resolve DIR to an absolute path (its parent is created if needed) and
 * make the temporary sibling ".NAME.init-XXXXXX" (mode 0700).
 */
static int
prepare_dirs(struct init *in, const char *arg, struct st_err *e)
{
	char	 buf[PATH_MAX], *base, *parent = NULL, *t = NULL;
	size_t	 len;
	int	 rc = ST_E_INTERNAL;

	if ((len = strlen(arg)) == 0 || len >= sizeof(buf) - 32) {
		rc = st_err_set(e, ST_E_USAGE, "bad directory name '%s'", arg);
		goto out;
	}
	strcpy(buf, arg);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	base = strrchr(buf, '/');
	base = base != NULL ? base + 1 : buf;
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		rc = st_err_set(e, ST_E_USAGE, "bad directory name '%s'", arg);
		goto out;
	}
	if ((rc = mkdir_parents(buf, e)) != 0 ||
	    (rc = st_path_dir(buf, &parent, e)) != 0)
		goto out;
	len = strlen(parent) + strlen(base) + 32;
	if ((in->final = malloc(len)) == NULL || (t = malloc(len)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	snprintf(in->final, len, "%s/%s", strcmp(parent, "/") == 0 ? "" :
	    parent, base);
	if ((rc = check_target(in->final, e)) != 0)
		goto out;
	snprintf(t, len, "%s/.%s.init-XXXXXX",
	    strcmp(parent, "/") == 0 ? "" : parent, base);
	if (mkdtemp(t) == NULL) {
		rc = st_err_set(e, ST_E_IO, "%s: %s", t, strerror(errno));
		goto out;
	}
	/* Only a directory this run created is ever removed. */
	in->tmp = t;
	t = NULL;
	rc = 0;
out:
	free(t);
	free(parent);
	return rc;
}

/* Write a file inside the temporary directory; rel is relative to it. */
static int
put(const struct init *in, const char *rel, const char *text, int mode,
    struct st_err *e)
{
	char	p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", in->tmp, rel);
	return st_file_write(p, text, strlen(text), mode, true, e);
}

/* A PIN of INIT_PINLEN characters of [A-Za-z0-9] from the CSPRNG. */
static int
random_pin(char *pin, struct st_err *e)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 b;
	size_t			 n = 0;

	while (n < INIT_PINLEN) {
		if (RAND_bytes(&b, 1) != 1)
			return st_err_set(e, ST_E_CRYPTO, "RAND_bytes failed");
		if (b >= 248)	/* 4 * 62: keep the draw uniform */
			continue;
		pin[n++] = abc[b % 62];
	}
	pin[n] = '\0';
	OPENSSL_cleanse(&b, sizeof(b));
	return 0;
}

/* Double-quoted YAML scalar of s (visible ASCII; '"' and '\' escaped). */
static void
yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Render with a memstream into *out. */
static int
render_begin(FILE **f, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	return (*f = open_memstream(buf, len)) != NULL ? 0 : ST_E_NOMEM;
}

static int
write_softhsm_conf(const struct init *in, struct st_err *e)
{
	char	text[PATH_MAX * 2], p[PATH_MAX];
	int	rc;

	snprintf(p, sizeof(p), "%s/tokens", in->tmp);
	if (mkdir(p, 0700) == -1)
		return st_err_set(e, ST_E_IO, "%s: %s", p, strerror(errno));
	snprintf(text, sizeof(text),
	    "# SoftHSM2 configuration of this stica deployment (stica init).\n"
	    "# Export SOFTHSM2_CONF=<this file> for SoftHSM tools; stica\n"
	    "# does it itself through stica.yaml's hsm.softhsm2-conf.\n"
	    "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\n"
	    "log.level = ERROR\n"
	    "slots.removable = false\n", in->final);
	if ((rc = put(in, "softhsm2.conf", text, 0600, e)) != 0)
		return rc;
	snprintf(text, sizeof(text),
	    "directories.tokendir = %s/tokens\n"
	    "objectstore.backend = file\n"
	    "log.level = ERROR\n"
	    "slots.removable = false\n", in->tmp);
	return put(in, ".softhsm2-init.conf", text, 0600, e);
}

static void
write_pkcs11(FILE *f, const struct init *in)
{
	fprintf(f, "pkcs11:\n  module: ");
	yq(f, in->module);
	fprintf(f, "\n  token: \"pkcs11:token=" INIT_TOKEN
	    ";pin-source=file:../pin\"\n"
	    "  softhsm2-conf: ../softhsm2.conf\n");
}

static int
write_ceremonies(const struct init *in, int64_t now, struct st_err *e)
{
	FILE	*f = NULL;
	char	*buf = NULL, nb[32], na_root[32], na_ca[32], p[PATH_MAX];
	size_t	 len, i;
	int	 rc;

	snprintf(p, sizeof(p), "%s/ceremonies", in->tmp);
	if (mkdir(p, 0700) == -1)
		return st_err_set(e, ST_E_IO, "%s: %s", p, strerror(errno));
	st_time_format(now, nb, sizeof(nb));
	st_time_format(now + INIT_ROOT_DAYS * 86400LL, na_root,
	    sizeof(na_root));
	st_time_format(now + INIT_CA_DAYS * 86400LL, na_ca, sizeof(na_ca));

	if ((rc = render_begin(&f, &buf, &len)) != 0)
		return rc;
	fprintf(f, "# Root key ceremony of a stica development CA (written "
	    "by stica init).\n# Replay elsewhere with: stica ceremony "
	    "root.yaml (see docs/ceremony.md)\n"
	    "ceremony-type: root\n");
	write_pkcs11(f, in);
	fprintf(f, "key:\n  label: " INIT_ROOT_KEY "\n  type: ec-p256\n"
	    "certificate-profile:\n  subject:\n    country: US\n"
	    "    organization: stica development\n"
	    "    common-name: stica development SHAKEN ROOT\n"
	    "  not-before: %s\n  not-after: %s\n"
	    "outputs:\n  public-key: ../root.pub.pem\n"
	    "  certificate: ../root.pem\n", nb, na_root);
	fclose(f);
	rc = put(in, "ceremonies/root.yaml", buf, 0644, e);
	free(buf);
	if (rc != 0)
		return rc;

	if ((rc = render_begin(&f, &buf, &len)) != 0)
		return rc;
	fprintf(f, "# CA key ceremony of a stica development CA (written by "
	    "stica init):\n# an RFC 9060 delegate CA whose TNAuthList is "
	    "its scope, signed by the root.\nceremony-type: intermediate\n");
	write_pkcs11(f, in);
	fprintf(f, "key:\n  label: " INIT_CA_KEY "\n  type: ec-p256\n"
	    "signing-key:\n  label: " INIT_ROOT_KEY "\n"
	    "  certificate: ../root.pem\n"
	    "certificate-profile:\n  subject:\n    country: US\n"
	    "    organization: stica development\n"
	    "    common-name: stica development SHAKEN CA\n"
	    "  not-before: %s\n  not-after: %s\n  tnauthlist:\n", nb, na_ca);
	for (i = 0; i < in->nspecs; i++) {
		fprintf(f, "    - ");
		yq(f, in->specs[i]);
		fputc('\n', f);
	}
	fprintf(f, "outputs:\n  public-key: ../ca.pub.pem\n"
	    "  certificate: ../ca.pem\n");
	fclose(f);
	rc = put(in, "ceremonies/ca.yaml", buf, 0644, e);
	free(buf);
	return rc;
}

/* The first line of the audit log: what init is about to do. */
static int
audit_init(const struct init *in, struct st_err *e)
{
	json_t	*f, *sc;
	size_t	 i;
	int	 rc;

	if ((f = json_pack("{s:s, s:s, s:s, s:s, s:o}", "dir", in->final,
	    "build-dir", in->tmp, "module", in->module, "token", INIT_TOKEN,
	    "scope", sc = json_array())) == NULL)
		return ST_E_NOMEM;
	for (i = 0; i < in->nspecs; i++)
		if (json_array_append_new(sc, json_string(in->specs[i])) != 0) {
			json_decref(f);
			return ST_E_NOMEM;
		}
	rc = store_audit_append(in->store, "init", f, e);
	json_decref(f);
	return rc;
}

static int
run_ceremony(const struct init *in, const char *rel, struct st_err *e)
{
	struct ca_ceremony	*c = NULL;
	struct ca_ceremony_opts	 o;
	char			 p[PATH_MAX], conf[PATH_MAX];
	int			 rc;

	snprintf(p, sizeof(p), "%s/%s", in->tmp, rel);
	snprintf(conf, sizeof(conf), "%s/.softhsm2-init.conf", in->tmp);
	memset(&o, 0, sizeof(o));
	o.softhsm2_conf = conf;
	o.audit = in->store;
	if ((rc = ca_ceremony_load(p, &c, e)) != 0)
		return rc;
	rc = ca_ceremony_run(c, &o, stdout, e);
	ca_ceremony_free(c);
	fputc('\n', stdout);
	return rc;
}

/* chain.pem: what is served after a leaf, up to (not including) the root. */
static int
write_chain(const struct init *in, struct st_err *e)
{
	char	 p[PATH_MAX];
	uint8_t	*buf = NULL;
	size_t	 len;
	int	 rc;

	snprintf(p, sizeof(p), "%s/ca.pem", in->tmp);
	if ((rc = st_file_read(p, 1 << 20, &buf, &len, e)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s/chain.pem", in->tmp);
	rc = st_file_write(p, buf, len, 0644, true, e);
	free(buf);
	return rc;
}

/* "- SPEC" lines for the scope entries that are (or are not) SPCs. */
static size_t
put_specs(FILE *f, const struct init *in, const char *indent, bool spc)
{
	size_t	i, n = 0;

	for (i = 0; i < in->nspecs; i++) {
		if ((strncmp(in->specs[i], "spc:", 4) == 0) != spc)
			continue;
		fprintf(f, "%s- ", indent);
		yq(f, in->specs[i]);
		fputc('\n', f);
		n++;
	}
	return n;
}

static void
put_rule(FILE *f, const char *name, bool token, const char *kind, bool ca,
    const char *profile)
{
	fprintf(f, "  - name: %s\n    match:\n", name);
	if (token)
		fprintf(f, "      requester: account\n"
		    "      proof: tkauth-01\n");
	else
		fprintf(f, "      requester: operator\n");
	if (kind != NULL)
		fprintf(f, "      kind: %s\n", kind);
	fprintf(f, "      ca: %s\n    issue:\n      profile: %s\n"
	    "      issuer: ca\n      scope:\n", ca ? "true" : "false",
	    profile);
}

/*
 * A short starter policy in the schema of docs/policy.md, built from the
 * CA's scope: for numbers, RFC 9060 delegate CA, TN-block and per-TN
 * profiles; for SPCs, an SPC end-entity profile, and an spc-numbers entry
 * giving each SPC the CA's numbers (RFC 9060 sections 4.1 and 8 leave
 * that mapping to the CA).  Operator and tkauth-01 rules stay inside the
 * CA's own TNAuthList; everything else is refused.
 */
static int
write_policy(const struct init *in, struct st_err *e)
{
	static const char *const kinds[] = { "tn-block", "per-tn" };
	FILE	*f;
	char	*buf = NULL, *nums = NULL, *map = NULL, name[32];
	size_t	 len, nlen, i, nnum, nspc;
	int	 rc;
	bool	 tok;

	if ((rc = render_begin(&f, &nums, &nlen)) != 0)
		return rc;
	nnum = put_specs(f, in, "        ", false);
	fclose(f);
	if ((rc = render_begin(&f, &map, &nlen)) != 0) {
		free(nums);
		return rc;
	}
	put_specs(f, in, "    ", false);
	fclose(f);
	if ((rc = render_begin(&f, &buf, &len)) != 0) {
		free(nums);
		free(map);
		return rc;
	}
	fprintf(f, "# Starter issuance policy of a stica development CA, "
	    "written by stica init\n"
	    "# (docs/policy.md explains every key).  Issuer 'ca' signs "
	    "RFC 9060\n"
	    "# certificates, and delegate CAs, only inside its own "
	    "TNAuthList; anything\n"
	    "# else is refused.  Check edits with: stica policy check "
	    "policy.yaml\n"
	    "version: 1\n");
	for (i = 0, nspc = 0; i < in->nspecs; i++) {
		if (strncmp(in->specs[i], "spc:", 4) != 0 || nnum == 0)
			continue;
		if (nspc++ == 0)
			fprintf(f, "\n# Which numbers belong to which SPC "
			    "(RFC 9060 sections 4.1 and 8).\nspc-numbers:\n");
		fprintf(f, "  ");
		yq(f, in->specs[i] + 4);
		fprintf(f, ":\n%s", map);
	}
	fprintf(f, "\nprofiles:\n");
	if (nnum > 0)
		fprintf(f, "  delegate-ca:\n    kind: tn-block\n    ca: true\n"
		    "    mode: rfc9060\n    lifetime: 90d\n    backdate: 1h\n"
		    "    key-types: [ec-p256, ec-p384]\n    path-len: 0\n"
		    "    max-entries: 100\n"
		    "    subject: {C: US, O: \"{account}\", "
		    "CN: \"STIR delegate CA {first-tn}\"}\n"
		    "  tn-block:\n    kind: tn-block\n    ca: false\n"
		    "    mode: rfc9060\n    lifetime: 30d\n    backdate: 1h\n"
		    "    key-types: [ec-p256]\n    max-entries: 100\n"
		    "    subject: {C: US, O: \"{account}\", "
		    "CN: \"STIR {first-tn}\"}\n"
		    "  per-tn:\n    kind: per-tn\n    ca: false\n"
		    "    mode: rfc9060\n    lifetime: 30d\n    backdate: 1h\n"
		    "    key-types: [ec-p256]\n    max-entries: 1\n"
		    "    subject: {C: US, O: \"{account}\", "
		    "CN: \"TN {tn}\"}\n");
	if (nnum < in->nspecs)
		fprintf(f, "  spc:\n    kind: spc\n    ca: false\n"
		    "    mode: rfc9060\n    lifetime: 30d\n    backdate: 1h\n"
		    "    key-types: [ec-p256]\n    max-entries: 1\n"
		    "    subject: {C: US, O: \"{account}\", "
		    "CN: \"SHAKEN {spc}\"}\n");
	fprintf(f, "\nissuers:\n  ca:\n    profiles: [%s%s]\n"
	    "\n# First match wins.  The scopes are the CA's own "
	    "TNAuthList.\nrules:\n",
	    nnum > 0 ? "delegate-ca, tn-block, per-tn" : "",
	    nnum < in->nspecs ? (nnum > 0 ? ", spc" : "spc") : "");
	for (tok = false;; tok = true) {
		for (i = 0; nnum > 0 && i < 2; i++) {
			snprintf(name, sizeof(name), "%s-%s", tok ? "token" :
			    "operator", kinds[i]);
			put_rule(f, name, tok, kinds[i], false, kinds[i]);
			put_specs(f, in, "        ", true);
			fputs(nums, f);
		}
		if (nnum > 0) {
			put_rule(f, tok ? "token-delegate-ca" :
			    "operator-delegate-ca", tok, NULL, true,
			    "delegate-ca");
			put_specs(f, in, "        ", true);
			fputs(nums, f);
		}
		if (nnum < in->nspecs) {
			put_rule(f, tok ? "token-spc" : "operator-spc", tok,
			    "spc", false, "spc");
			put_specs(f, in, "        ", true);
		}
		if (tok)
			break;
	}
	fprintf(f, "  - name: everything-else\n    match: {}\n"
	    "    refuse: \"no rule allows this request\"\n");
	fclose(f);
	rc = put(in, "policy.yaml", buf, 0644, e);
	free(buf);
	free(nums);
	free(map);
	return rc;
}

static int
write_config(const struct init *in, int64_t now, struct st_err *e)
{
	FILE			*f;
	struct st_config	*cfg = NULL;
	char			*buf = NULL, date[32], p[PATH_MAX];
	size_t			 len;
	int			 rc;

	st_time_format(now, date, sizeof(date));
	if ((rc = render_begin(&f, &buf, &len)) != 0)
		return rc;
	fprintf(f, "# stica configuration written by 'stica init' on %s\n"
	    "# (docs/config.md).  Relative paths are resolved against this "
	    "file's\n# directory, so the deployment can be moved as a "
	    "whole.\nhsm:\n  module: ", date);
	yq(f, in->module);
	fprintf(f, "\n  token: \"pkcs11:token=" INIT_TOKEN
	    ";pin-source=file:pin\"\n"
	    "  softhsm2-conf: softhsm2.conf\n"
	    "store: \"sqlite:stica.db\"\n"
	    "issuers:\n"
	    "  - name: ca\n"
	    "    key: \"pkcs11:token=" INIT_TOKEN ";object=" INIT_CA_KEY
	    ";type=private\"\n"
	    "    certificate: ca.pem\n"
	    "    chain: chain.pem\n"
	    "acme:\n"
	    "  listen: \"" ST_CONFIG_LISTEN_DEFAULT "\"\n"
	    "  base-url: \"http://" ST_CONFIG_LISTEN_DEFAULT "\"\n"
	    "sms:\n"
	    "  driver: file\n"
	    "  path: sms.log\n"
	    "policy: policy.yaml\n");
	fclose(f);
	rc = put(in, "stica.yaml", buf, 0644, e);
	free(buf);
	if (rc != 0)
		return rc;
	/* The file must pass the loader that will read it. */
	snprintf(p, sizeof(p), "%s/stica.yaml", in->tmp);
	rc = st_config_load(p, &cfg, e);
	st_config_free(cfg);
	return rc;
}

/* Make the directory entry durable once the rename is done. */
static void
sync_parent(const char *path)
{
	char	 buf[PATH_MAX], *s;
	int	 fd;

	snprintf(buf, sizeof(buf), "%s", path);
	if ((s = strrchr(buf, '/')) == NULL)
		return;
	if (s == buf)
		s[1] = '\0';
	else
		*s = '\0';
	if ((fd = open(buf, O_RDONLY | O_DIRECTORY)) != -1) {
		fsync(fd);
		close(fd);
	}
}

static void
summary(const struct init *in)
{
	size_t	i;

	printf("=== stica init: development CA ready in %s ===\n", in->final);
	printf("  token:       %s (SoftHSM2: softhsm2.conf, tokens/)\n",
	    INIT_TOKEN);
	printf("  PINs:        pin, so-pin (mode 0600; never printed)\n");
	printf("  root:        root.pem, root.pub.pem (key %s)\n",
	    INIT_ROOT_KEY);
	printf("  CA:          ca.pem, ca.pub.pem (key %s), TNAuthList:",
	    INIT_CA_KEY);
	for (i = 0; i < in->nspecs; i++)
		printf(" %s", in->specs[i]);
	printf("\n  chain file:  chain.pem (served after each leaf; root.pem "
	    "is the trust anchor)\n");
	printf("  ceremonies:  ceremonies/root.yaml, ceremonies/ca.yaml\n");
	printf("  policy:      policy.yaml (starter)\n");
	printf("  config:      stica.yaml (store sqlite:stica.db)\n");
	printf("next steps:\n");
	printf("  openssl verify -CAfile %s/root.pem %s/ca.pem\n", in->final,
	    in->final);
	printf("  SOFTHSM2_CONF=%s/softhsm2.conf pkcs11-tool --module %s "
	    "--token-label %s --list-objects\n", in->final, in->module,
	    INIT_TOKEN);
	if (in->nspecs > 0) {
		/* A request the starter policy grants: the CA's first
		 * number, or its SPC. */
		const char	*sp = in->specs[0];
		size_t		 n = strcspn(sp, "+");

		printf("  openssl ecparam -name prime256v1 -genkey -noout "
		    "-out tn.key && openssl pkey -in tn.key -pubout -out "
		    "tn.pub\n");
		if (strncmp(sp, "range:", 6) == 0)
			printf("  stica issue --config %s/stica.yaml --profile "
			    "per-tn --pubkey tn.pub --tnauthlist tn:%.*s -o "
			    "chain.pem\n",
			    in->final, (int)(n - 6), sp + 6);
		else
			printf("  stica issue --config %s/stica.yaml --profile "
			    "%s --pubkey tn.pub --tnauthlist %s -o chain.pem\n",
			    in->final, strncmp(sp, "spc:", 4) == 0 ? "spc" :
			    "per-tn", sp);
		printf("  stica verify --trust %s/root.pem chain.pem\n",
		    in->final);
	}
}

static int
add_spec(struct init *in, const char *prefix, const char *v,
    struct st_err *e)
{
	struct ca_tnauth	*l = NULL;
	char			**nv, *s;
	size_t			 len = strlen(prefix) + strlen(v) + 1;
	int			 rc;

	if ((s = malloc(len)) == NULL)
		return ST_E_NOMEM;
	snprintf(s, len, "%s%s", prefix, v);
	if ((l = ca_tnauth_new()) == NULL) {
		free(s);
		return ST_E_NOMEM;
	}
	rc = ca_tnauth_add_spec(l, s, e);
	ca_tnauth_free(l);
	if (rc != 0 || (nv = reallocarray(in->specs, in->nspecs + 1,
	    sizeof(*nv))) == NULL) {
		free(s);
		return rc != 0 ? rc : ST_E_NOMEM;
	}
	in->specs = nv;
	in->specs[in->nspecs++] = s;
	return 0;
}

static int
parse_args(struct init *in, int argc, char **argv, const char **dir,
    bool *help, struct st_err *e)
{
	static const struct option opts[] = {
		{ "spc", required_argument, NULL, 's' },
		{ "range", required_argument, NULL, 'r' },
		{ "tn", required_argument, NULL, 't' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*module = NULL;
	struct stat	 st;
	char		 cwd[PATH_MAX];
	int		 ch, rc;

	*dir = NULL;
	*help = false;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			rc = add_spec(in, "spc:", optarg, e);
			break;
		case 'r':
			rc = add_spec(in, "range:", optarg, e);
			break;
		case 't':
			rc = add_spec(in, "tn:", optarg, e);
			break;
		case 'm':
			module = optarg;
			rc = 0;
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return st_err_set(e, ST_E_USAGE, "option '%s' needs a "
			    "value; see 'stica help init'", argv[optind - 1]);
		default:
			return st_err_set(e, ST_E_USAGE, "unknown option '%s'; "
			    "see 'stica help init'", argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (argc - optind != 1)
		return st_err_set(e, ST_E_USAGE, "expected one DIR; see 'stica "
		    "help init'");
	*dir = argv[optind];
	if (in->nspecs == 0 && (rc = add_spec(in, "", INIT_DEFAULT_SCOPE,
	    e)) != 0)
		return rc;
	if (module == NULL && (module = getenv(HSM_MODULE_ENV)) == NULL)
		module = HSM_DEFAULT_MODULE;
	if (stat(module, &st) == -1)
		return st_err_set(e, ST_E_HSM_MODULE, "PKCS#11 module %s: %s",
		    module, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return st_err_set(e, ST_E_HSM_MODULE, "PKCS#11 module %s: not "
		    "a regular file", module);
	/* Absolute, but not through symlinks: Debian's
	 * /usr/lib/softhsm/libsofthsm2.so stays valid across architectures. */
	if (module[0] == '/')
		in->module = strdup(module);
	else if (getcwd(cwd, sizeof(cwd)) != NULL &&
	    (in->module = malloc(strlen(cwd) + strlen(module) + 2)) != NULL)
		sprintf(in->module, "%s/%s", cwd, module);
	if (in->module == NULL)
		return st_err_set(e, ST_E_IO, "%s: cannot make the path "
		    "absolute", module);
	return 0;
}

static int
run_init(struct init *in, const char *dir, struct st_err *e)
{
	char	 p[PATH_MAX];
	int64_t	 now;
	int	 rc;

	if ((rc = prepare_dirs(in, dir, e)) != 0)
		return rc;
	now = (int64_t)time(NULL);
	now -= now % 60;
	if ((rc = write_softhsm_conf(in, e)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s/.softhsm2-init.conf", in->tmp);
	if (setenv("SOFTHSM2_CONF", p, 1) == -1)
		return st_err_set(e, ST_E_INTERNAL, "setenv: %s",
		    strerror(errno));
	if ((rc = random_pin(in->pin, e)) != 0 ||
	    (rc = random_pin(in->so_pin, e)) != 0 ||
	    (rc = put(in, "pin", in->pin, 0600, e)) != 0 ||
	    (rc = put(in, "so-pin", in->so_pin, 0600, e)) != 0)
		return rc;
	/*
	 * The store first, so that the token's initialisation and both
	 * ceremonies are in the deployment's audit log from its first line.
	 */
	snprintf(p, sizeof(p), "sqlite:%s/stica.db", in->tmp);
	if ((rc = store_open(p, &in->store, e)) != 0 ||
	    (rc = audit_init(in, e)) != 0)
		return rc;
	printf("=== stica init %s ===\n"
	    "[init] build in %s, renamed to %s when complete\n"
	    "[init] initialise token '%s' with random user and SO PINs "
	    "(module %s)\n", in->final, in->tmp, in->final, INIT_TOKEN,
	    in->module);
	if ((rc = hsm_token_init(in->module, INIT_TOKEN, in->so_pin, in->pin,
	    e)) != 0)
		return rc;
	OPENSSL_cleanse(in->pin, sizeof(in->pin));
	OPENSSL_cleanse(in->so_pin, sizeof(in->so_pin));
	printf("[init] run the root ceremony (ceremonies/root.yaml)\n\n");
	fflush(stdout);
	if ((rc = write_ceremonies(in, now, e)) != 0 ||
	    (rc = run_ceremony(in, "ceremonies/root.yaml", e)) != 0)
		return rc;
	printf("[init] run the CA ceremony (ceremonies/ca.yaml)\n\n");
	fflush(stdout);
	if ((rc = run_ceremony(in, "ceremonies/ca.yaml", e)) != 0 ||
	    (rc = write_chain(in, e)) != 0 ||
	    (rc = write_policy(in, e)) != 0 ||
	    (rc = write_config(in, now, e)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s/.softhsm2-init.conf", in->tmp);
	unlink(p);
	store_close(in->store);
	in->store = NULL;
	if (rename(in->tmp, in->final) == -1)
		return st_err_set(e, errno == ENOTEMPTY || errno == EEXIST ?
		    ST_E_EXISTS : ST_E_IO, "%s: %s", in->final,
		    strerror(errno));
	free(in->tmp);
	in->tmp = NULL;
	sync_parent(in->final);
	summary(in);
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	struct init	 in;
	struct st_err	 e;
	const char	*dir;
	size_t		 i;
	bool		 help;
	int		 rc;

	memset(&in, 0, sizeof(in));
	st_err_clear(&e);
	if ((rc = parse_args(&in, argc, argv, &dir, &help, &e)) == 0 && !help)
		rc = run_init(&in, dir, &e);
	store_close(in.store);
	if (in.tmp != NULL) {
		rm_tree(in.tmp);
		printf("[init] failed: removed %s; %s was not created\n",
		    in.tmp, in.final);
	}
	OPENSSL_cleanse(in.pin, sizeof(in.pin));
	OPENSSL_cleanse(in.so_pin, sizeof(in.so_pin));
	for (i = 0; i < in.nspecs; i++)
		free(in.specs[i]);
	free(in.specs);
	free(in.final);
	free(in.tmp);
	free(in.module);
	if (rc == 0 && help)
		help_init(stdout);
	if (rc != 0)
		return cmd_fail("init", &e, rc);
	return 0;
}
