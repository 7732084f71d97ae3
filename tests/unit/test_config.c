/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for common/config (docs/config.md): a complete stica.yaml,
 * defaults, resolution of relative paths (also inside pkcs11: URIs and
 * "sqlite:PATH") against the file's directory, and one bad file per kind
 * of error with its exact "file:line:col: " message.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "tests/unit/harness.h"

static char dir[PATH_MAX];
static char path[PATH_MAX + 32];
static struct st_config *cfg;
static struct st_err err;

static int
load_text(const char *text)
{
	FILE	*f;

	st_config_free(cfg);
	cfg = NULL;
	st_err_clear(&err);
	if ((f = fopen(path, "w")) == NULL)
		return -100;
	fputs(text, f);
	fclose(f);
	return st_config_load(path, &cfg, &err);
}

/* Expect a load failure whose message is "<path>:<suffix>". */
#define ASSERT_LOAD_ERR(text, suffix) do { \
	char want_[PATH_MAX + 512]; \
	ASSERT_INT_EQ(load_text(text), ST_E_SYNTAX); \
	ASSERT_TRUE(cfg == NULL); \
	snprintf(want_, sizeof(want_), "%s:%s", path, (suffix)); \
	ASSERT_STR_EQ(err.msg, want_); \
} while (0)

static const char good[] =
    "# a complete file\n"
    "hsm:\n"
    "  module: /usr/lib/softhsm/libsofthsm2.so\n"
    "  token: \"pkcs11:token=stica-dev;pin-source=file:pin\"\n"
    "  pin-env: STICA_PIN\n"
    "  softhsm2-conf: softhsm2.conf\n"
    "store: sqlite:db/stica.db\n"
    "issuers:\n"
    "  - name: ca\n"
    "    key: pkcs11:token=stica-dev;object=ca\n"
    "    certificate: ca.pem\n"
    "    chain: /etc/stica/chain.pem\n"
    "  - name: ca-2\n"
    "    key: \"pkcs11:token=stica-dev;object=ca-2?pin-source=file:/abs/pin\"\n"
    "    certificate: certs/ca2.pem\n"
    "acme:\n"
    "  listen: 127.0.0.1:9000\n"
    "  base-url: https://ca.example.net/acme/\n"
    "  token-authorities: [sti-pa.pem, /etc/ta2.pem]\n"
    "sms:\n"
    "  driver: kannel\n"
    "  url: http://127.0.0.1:13013/cgi-bin/sendsms\n"
    "  username: stica\n"
    "  password-file: kannel.pw\n"
    "  from: '12025550100'\n"
    "policy: policy.yaml\n";

static void
test_good(void)
{
	char	want[PATH_MAX + 64];

	ASSERT_INT_EQ(load_text(good), 0);
	ASSERT_STR_EQ(cfg->dir, dir);
	ASSERT_STR_EQ(cfg->hsm.module, "/usr/lib/softhsm/libsofthsm2.so");
	snprintf(want, sizeof(want), "pkcs11:token=stica-dev;pin-source=file:"
	    "%s/pin", dir);
	ASSERT_STR_EQ(cfg->hsm.token, want);
	ASSERT_STR_EQ(cfg->hsm.pin_env, "STICA_PIN");
	snprintf(want, sizeof(want), "%s/softhsm2.conf", dir);
	ASSERT_STR_EQ(cfg->hsm.softhsm2_conf, want);
	snprintf(want, sizeof(want), "sqlite:%s/db/stica.db", dir);
	ASSERT_STR_EQ(cfg->store, want);
	ASSERT_STR_EQ(cfg->store_path, want + 7);
	ASSERT_INT_EQ(cfg->nissuers, 2);
	ASSERT_STR_EQ(cfg->issuers[0].name, "ca");
	ASSERT_STR_EQ(cfg->issuers[0].key, "pkcs11:token=stica-dev;object=ca");
	snprintf(want, sizeof(want), "%s/ca.pem", dir);
	ASSERT_STR_EQ(cfg->issuers[0].certificate, want);
	ASSERT_STR_EQ(cfg->issuers[0].chain, "/etc/stica/chain.pem");
	ASSERT_STR_EQ(cfg->issuers[1].key,
	    "pkcs11:token=stica-dev;object=ca-2?pin-source=file:/abs/pin");
	ASSERT_TRUE(cfg->issuers[1].chain == NULL);
	ASSERT_TRUE(st_config_issuer_find(cfg, "ca-2") == &cfg->issuers[1]);
	ASSERT_TRUE(st_config_issuer_find(cfg, "ca-3") == NULL);
	ASSERT_STR_EQ(cfg->acme.listen, "127.0.0.1:9000");
	ASSERT_STR_EQ(cfg->acme.base_url, "https://ca.example.net/acme");
	ASSERT_INT_EQ(cfg->acme.ntoken_authorities, 2);
	snprintf(want, sizeof(want), "%s/sti-pa.pem", dir);
	ASSERT_STR_EQ(cfg->acme.token_authorities[0], want);
	ASSERT_STR_EQ(cfg->acme.token_authorities[1], "/etc/ta2.pem");
	ASSERT_INT_EQ(cfg->sms.driver, ST_SMS_KANNEL);
	ASSERT_STR_EQ(cfg->sms.username, "stica");
	ASSERT_STR_EQ(cfg->sms.from, "12025550100");
	snprintf(want, sizeof(want), "%s/kannel.pw", dir);
	ASSERT_STR_EQ(cfg->sms.password_file, want);
	snprintf(want, sizeof(want), "%s/policy.yaml", dir);
	ASSERT_STR_EQ(cfg->policy, want);
}

static void
test_minimal_defaults(void)
{
	ASSERT_INT_EQ(load_text("hsm: {token: 'pkcs11:token=t'}\n"
				"store: sqlite:/var/lib/stica.db\n"), 0);
	ASSERT_TRUE(cfg->hsm.module == NULL);
	ASSERT_TRUE(cfg->hsm.softhsm2_conf == NULL);
	ASSERT_STR_EQ(cfg->store, "sqlite:/var/lib/stica.db");
	ASSERT_INT_EQ(cfg->nissuers, 0);
	ASSERT_STR_EQ(cfg->acme.listen, "127.0.0.1:8555");
	ASSERT_STR_EQ(cfg->acme.base_url, "http://127.0.0.1:8555");
	ASSERT_INT_EQ(cfg->sms.driver, ST_SMS_NONE);
	ASSERT_TRUE(cfg->policy == NULL);
	ASSERT_INT_EQ(load_text("hsm: {token: 'pkcs11:token=t'}\n"
				"store: sqlite:x.db\n"
				"acme: {listen: '[::1]:443'}\n"
				"sms: {driver: file, path: sms.log}\n"), 0);
	ASSERT_STR_EQ(cfg->acme.base_url, "http://[::1]:443");
	ASSERT_INT_EQ(cfg->sms.driver, ST_SMS_FILE);
	ASSERT_INT_EQ(load_text("hsm: {token: 'pkcs11:token=t'}\n"
				"store: sqlite:x.db\n"
				"sms: {driver: http, url: 'https://h/sms'}\n"),
	    0);
	ASSERT_INT_EQ(cfg->sms.driver, ST_SMS_HTTP);
}

static void
test_errors(void)
{
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"sotre: 1\n",
	    "3:1: unknown key 'sotre' (expected one of: hsm, store, issuers, "
	    "acme, sms, policy)");
	ASSERT_LOAD_ERR("# c\nhsm: {token: 'pkcs11:token=t'}\n",
	    "2:1: missing required key 'store' in 'stica.yaml'");
	ASSERT_LOAD_ERR("hsm:\n  module: m.so\nstore: sqlite:x\n",
	    "2:3: missing required key 'token' in 'hsm'");
	ASSERT_LOAD_ERR("hsm:\n  token: pkcs11:token=t\n  pin: 1234\n"
			"store: sqlite:x\n",
	    "3:3: unknown key 'pin' (expected one of: module, token, pin-env, "
	    "softhsm2-conf)");
	ASSERT_LOAD_ERR("hsm:\n  token: 'pkcs11:token=t;pin-value=1234'\n"
			"store: sqlite:x\n",
	    "2:10: 'token': PKCS#11 URI carries pin-value; use "
	    "pin-source=file:PATH or an environment variable");
	ASSERT_LOAD_ERR("hsm:\n  token: token=t\nstore: sqlite:x\n",
	    "2:10: 'token': 'token=t' is not a PKCS#11 URI (RFC 7512: "
	    "\"pkcs11:...\")");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t', pin-env: 1PIN}\n"
			"store: sqlite:x\n",
	    "1:41: 'pin-env': '1PIN' is not an environment variable name");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: pg:x\n",
	    "2:8: 'store': expected sqlite:PATH, found 'pg:x'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: ~\n",
	    "2:8: 'store': expected a string, found null");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"issuers:\n  - name: a\n    key: pkcs11:object=a\n"
			"    certificate: a.pem\n"
			"  - name: a\n    key: pkcs11:object=b\n"
			"    certificate: b.pem\n",
	    "7:11: duplicate issuer name 'a' (first at line 4)");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"issuers:\n  - name: a\n    certificate: a.pem\n",
	    "4:5: missing required key 'key' in 'issuers'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"issuers: []\n",
	    "3:10: 'issuers' must be a non-empty list of mappings");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"issuers:\n  - name: 'a b'\n    key: pkcs11:object=a\n"
			"    certificate: a.pem\n",
	    "4:11: 'name': 'a b' is not an issuer name (1..64 of A-Z a-z 0-9 . "
	    "_ -)");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"acme:\n  listen: localhost\n",
	    "4:11: 'listen': expected HOST:PORT or [V6]:PORT, found "
	    "'localhost'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"acme:\n  listen: 127.0.0.1:65536\n",
	    "4:11: 'listen': expected HOST:PORT or [V6]:PORT, found "
	    "'127.0.0.1:65536'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"acme:\n  base-url: ftp://x\n",
	    "4:13: 'base-url': expected an http:// or https:// URL, found "
	    "'ftp://x'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"acme:\n  token-authorities: ta.pem\n",
	    "4:22: 'token-authorities': expected a list of strings, found a "
	    "scalar");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"sms:\n  driver: smpp\n",
	    "4:11: 'driver': unknown value 'smpp' (expected one of: kannel, "
	    "http, file)");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"sms:\n  path: x\n",
	    "4:3: missing required key 'driver' in 'sms'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"sms:\n  driver: file\n  path: x\n  url: http://h/\n",
	    "6:3: unknown key 'url' (expected one of: driver, path)");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"sms:\n  driver: kannel\n  url: http://h/\n",
	    "4:3: missing required key 'username' in 'sms'");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"policy: [a]\n",
	    "3:9: 'policy': expected a string, found a sequence");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'}\nstore: sqlite:x\n"
			"store: sqlite:y\n",
	    "3:1: duplicate key 'store' (first at line 2, column 1)");
	ASSERT_LOAD_ERR("- hsm\n",
	    "1:1: 'stica.yaml' must be a mapping (found a sequence)");
	ASSERT_LOAD_ERR("hsm: {token: 'pkcs11:token=t'\n",
	    "2:1: did not find expected ',' or '}' (while parsing a flow "
	    "mapping at line 1, column 6)");
}

static void
test_uri_resolve(void)
{
	char	*s = NULL;

	ASSERT_INT_EQ(st_pkcs11_uri_resolve("/d", "pkcs11:token=a?pin-source="
	    "file:p&module-name=x", &s, &err), 0);
	ASSERT_STR_EQ(s, "pkcs11:token=a?pin-source=file:/d/p&module-name=x");
	free(s);
	ASSERT_INT_EQ(st_pkcs11_uri_resolve("/a b;c", "pkcs11:pin-source=file:"
	    "../pin;token=t", &s, &err), 0);
	ASSERT_STR_EQ(s, "pkcs11:pin-source=file:/a%20b%3Bc/../pin;token=t");
	free(s);
	ASSERT_INT_EQ(st_pkcs11_uri_resolve("/d", "pkcs11:token=t;pin-source="
	    "file:///etc/pin", &s, &err), 0);
	ASSERT_STR_EQ(s, "pkcs11:token=t;pin-source=file:///etc/pin");
	free(s);
	s = st_path_resolve("/d", "x/y");
	ASSERT_STR_EQ(s, "/d/x/y");
	free(s);
	s = st_path_resolve("/d", "/x");
	ASSERT_STR_EQ(s, "/x");
	free(s);
}

static void
test_apply_env(void)
{
	char	want[PATH_MAX + 32];

	unsetenv("SOFTHSM2_CONF");
	ASSERT_INT_EQ(load_text("hsm: {token: 'pkcs11:token=t'}\n"
				"store: sqlite:x\n"), 0);
	ASSERT_INT_EQ(st_config_apply_env(cfg, &err), 0);
	ASSERT_TRUE(getenv("SOFTHSM2_CONF") == NULL);
	ASSERT_INT_EQ(load_text("hsm: {token: 'pkcs11:token=t', "
				"softhsm2-conf: s.conf}\nstore: sqlite:x\n"),
	    0);
	ASSERT_INT_EQ(st_config_apply_env(cfg, &err), 0);
	snprintf(want, sizeof(want), "%s/s.conf", dir);
	ASSERT_STR_EQ(getenv("SOFTHSM2_CONF"), want);
	unsetenv("SOFTHSM2_CONF");
}

int
main(void)
{
	char	tmpl[] = "/tmp/stica-test-config.XXXXXX", *real;

	if (mkdtemp(tmpl) == NULL || (real = realpath(tmpl, NULL)) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", real);
	free(real);
	snprintf(path, sizeof(path), "%s/stica.yaml", dir);
	RUN(test_good);
	RUN(test_minimal_defaults);
	RUN(test_errors);
	RUN(test_uri_resolve);
	RUN(test_apply_env);
	st_config_free(cfg);
	unlink(path);
	rmdir(dir);
	return th_done("test_config");
}
