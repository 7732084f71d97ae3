/* SPDX-License-Identifier: ISC */
/*
 * hsm/ without a token: the CK_RV table and its mapping onto ST_E_*
 * (PKCS#11 v2.40 section 11.1 return values), the "lost session" class
 * that triggers recovery, RFC 7512 URI handling (syntax section 2.3,
 * unrecognised attributes section 2.5, pin-source and pin-value sections
 * 2.4 and 6, module-path/module-name section 2.4), PIN files and
 * variables, and the small helpers.  Expected values come from the RFC
 * and the PKCS#11 header, not from the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hsm/hsm_int.h"
#include "tests/unit/harness.h"

static char tmpdir[256];

static void
test_ckr_names(void)
{
	CK_RV	rv;
	int	named = 0;

	ASSERT_STR_EQ(hsm_ckr_name(CKR_OK), "CKR_OK");
	ASSERT_STR_EQ(hsm_ckr_name(0xa0), "CKR_PIN_INCORRECT");
	ASSERT_STR_EQ(hsm_ckr_name(0xb3), "CKR_SESSION_HANDLE_INVALID");
	ASSERT_STR_EQ(hsm_ckr_name(0xe0), "CKR_TOKEN_NOT_PRESENT");
	ASSERT_STR_EQ(hsm_ckr_name(0x191), "CKR_CRYPTOKI_ALREADY_INITIALIZED");
	ASSERT_STR_EQ(hsm_ckr_name(0x200), "CKR_FUNCTION_REJECTED");
	ASSERT_TRUE(hsm_ckr_name(0x04) == NULL);	/* unassigned */
	ASSERT_TRUE(hsm_ckr_name(0x7777) == NULL);
	for (rv = 0; rv < 0x400; rv++) {
		const char *n = hsm_ckr_name(rv);

		if (n == NULL)
			continue;
		named++;
		ASSERT_TRUE(strncmp(n, "CKR_", 4) == 0);
	}
	/* the 93 CKR_ values of p11-kit's pkcs11.h (v2.40), all but
	 * CKR_VENDOR_DEFINED */
	ASSERT_INT_EQ(named, 93);
}

static void
test_ckr_codes(void)
{
	/* PIN problems */
	ASSERT_INT_EQ(hsm_ckr_code(CKR_PIN_INCORRECT), ST_E_HSM_PIN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_PIN_LOCKED), ST_E_HSM_PIN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_PIN_LEN_RANGE), ST_E_HSM_PIN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_PIN_EXPIRED), ST_E_HSM_PIN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_USER_PIN_NOT_INITIALIZED),
	    ST_E_HSM_PIN);
	/* no token */
	ASSERT_INT_EQ(hsm_ckr_code(CKR_TOKEN_NOT_PRESENT), ST_E_HSM_NOTOKEN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_DEVICE_REMOVED), ST_E_HSM_NOTOKEN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_SLOT_ID_INVALID), ST_E_HSM_NOTOKEN);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_TOKEN_NOT_RECOGNIZED),
	    ST_E_HSM_NOTOKEN);
	/* no key */
	ASSERT_INT_EQ(hsm_ckr_code(CKR_KEY_HANDLE_INVALID), ST_E_HSM_NOKEY);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_OBJECT_HANDLE_INVALID), ST_E_HSM_NOKEY);
	/* the module itself */
	ASSERT_INT_EQ(hsm_ckr_code(CKR_CRYPTOKI_NOT_INITIALIZED),
	    ST_E_HSM_MODULE);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_CANT_LOCK), ST_E_HSM_MODULE);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_LIBRARY_LOAD_FAILED), ST_E_HSM_MODULE);
	/* the rest */
	ASSERT_INT_EQ(hsm_ckr_code(CKR_DEVICE_ERROR), ST_E_HSM);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_FUNCTION_FAILED), ST_E_HSM);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_MECHANISM_INVALID), ST_E_HSM);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_VENDOR_DEFINED + 5), ST_E_HSM);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_HOST_MEMORY), ST_E_NOMEM);
	ASSERT_INT_EQ(hsm_ckr_code(CKR_OK), 0);
}

static void
test_ckr_lost(void)
{
	static const CK_RV lost[] = { CKR_SESSION_HANDLE_INVALID,
		CKR_SESSION_CLOSED, CKR_OBJECT_HANDLE_INVALID,
		CKR_KEY_HANDLE_INVALID, CKR_USER_NOT_LOGGED_IN,
		CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT,
		CKR_CRYPTOKI_NOT_INITIALIZED };
	static const CK_RV kept[] = { CKR_OK, CKR_PIN_INCORRECT,
		CKR_PIN_LOCKED, CKR_FUNCTION_FAILED, CKR_MECHANISM_INVALID,
		CKR_DATA_LEN_RANGE, CKR_BUFFER_TOO_SMALL,
		CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_SESSION_COUNT };
	size_t	i;

	for (i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		ASSERT_TRUE(hsm_ckr_lost(lost[i]));
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ASSERT_FALSE(hsm_ckr_lost(kept[i]));
}

static void
test_ckr_err(void)
{
	struct st_err	e;

	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_ckr_err(&e, CKR_PIN_INCORRECT, "C_Login", NULL),
	    ST_E_HSM_PIN);
	ASSERT_STR_EQ(e.msg, "C_Login: CKR_PIN_INCORRECT");
	ASSERT_INT_EQ(e.code, ST_E_HSM_PIN);
	st_err_clear(&e);
	hsm_ckr_err(&e, CKR_DEVICE_ERROR, "C_Sign", "token '%s'", "ca");
	ASSERT_STR_EQ(e.msg, "C_Sign: CKR_DEVICE_ERROR (token 'ca')");
	st_err_clear(&e);
	hsm_ckr_err(&e, 0x7777, "C_Sign", NULL);
	ASSERT_STR_EQ(e.msg, "C_Sign: CKR_0x00007777");
	st_err_clear(&e);
	hsm_ckr_err(&e, CKR_VENDOR_DEFINED + 0x2a, "C_Sign", NULL);
	ASSERT_STR_EQ(e.msg, "C_Sign: CKR_VENDOR_DEFINED+0x2a");
	/* the first message wins */
	hsm_ckr_err(&e, CKR_OK, "C_Other", NULL);
	ASSERT_STR_EQ(e.msg, "C_Sign: CKR_VENDOR_DEFINED+0x2a");
	/* NULL e is fine */
	ASSERT_INT_EQ(hsm_ckr_err(NULL, CKR_TOKEN_NOT_PRESENT, "C_X", NULL),
	    ST_E_HSM_NOTOKEN);
}

static int
uri_rc(const char *uri, struct st_err *e)
{
	P11KitUri	*u = NULL;
	int		 rc;

	st_err_clear(e);
	rc = hsm_uri_parse(uri, &u, e);
	if (rc == 0 && u == NULL)
		return 99;
	p11_kit_uri_free(u);
	return rc;
}

static void
test_uri_good(void)
{
	P11KitUri	*u = NULL;
	CK_ATTRIBUTE	*a;
	CK_TOKEN_INFO	*ti;
	struct st_err	 e;
	char		 lab[33], *pf = NULL;

	st_err_clear(&e);
	/* RFC 7512 section 3 style, pin-source in the path as deployed */
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=ca;object=root-2026;"
	    "pin-source=file:/etc/stica/pin", &u, &e), 0);
	ti = p11_kit_uri_get_token_info(u);
	hsm_label_copy(lab, sizeof(lab), ti->label, sizeof(ti->label));
	ASSERT_STR_EQ(lab, "ca");
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	ASSERT_NONNULL(a);
	ASSERT_MEM_EQ(a->pValue, a->ulValueLen, "root-2026", 9);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", HSM_DEFAULT_MODULE, &pf, &e),
	    0);
	ASSERT_STR_EQ(pf, "/etc/stica/pin");
	free(pf);
	p11_kit_uri_free(u);
	u = NULL;
	/* query form, percent-encoding, an id */
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=My%20CA;id=%01%a2;"
	    "type=private?pin-source=file:///run/pin", &u, &e), 0);
	ti = p11_kit_uri_get_token_info(u);
	hsm_label_copy(lab, sizeof(lab), ti->label, sizeof(ti->label));
	ASSERT_STR_EQ(lab, "My CA");
	a = p11_kit_uri_get_attribute(u, CKA_ID);
	ASSERT_NONNULL(a);
	ASSERT_MEM_EQ(a->pValue, a->ulValueLen, "\x01\xa2", 2);
	a = p11_kit_uri_get_attribute(u, CKA_CLASS);
	ASSERT_NONNULL(a);
	ASSERT_INT_EQ(*(CK_OBJECT_CLASS *)a->pValue, CKO_PRIVATE_KEY);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", HSM_DEFAULT_MODULE, &pf, &e),
	    0);
	ASSERT_STR_EQ(pf, "/run/pin");	/* file:///p (RFC 8089) */
	free(pf);
	p11_kit_uri_free(u);
	u = NULL;
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=a?pin-source=file://"
	    "localhost/run/p", &u, &e), 0);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", HSM_DEFAULT_MODULE, &pf, &e),
	    0);
	ASSERT_STR_EQ(pf, "/run/p");
	free(pf);
	p11_kit_uri_free(u);
	u = NULL;
	/* an empty path matches everything (section 2.5) */
	ASSERT_INT_EQ(uri_rc("pkcs11:", &e), 0);
	/* module-name is the module's name without affixes (section 2.4) */
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=a?module-name=softhsm2", &u,
	    &e), 0);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", "/usr/lib/softhsm/"
	    "libsofthsm2.so", &pf, &e), 0);
	ASSERT_TRUE(pf == NULL);
	p11_kit_uri_free(u);
}

static void
test_uri_bad(void)
{
	P11KitUri	*u = NULL;
	struct st_err	 e;
	char		*pf = NULL;

	ASSERT_INT_EQ(uri_rc("file:/x", &e), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(e.msg, "RFC 7512 section 2.3");
	ASSERT_INT_EQ(uri_rc("pkcs11:id=%zz", &e), ST_E_SYNTAX);
	/* section 2.3: an attribute at most once in the path */
	ASSERT_INT_EQ(uri_rc("pkcs11:object=a;token=t;object=b", &e),
	    ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(e.msg, "attribute 'object' given twice");
	/* ... but the query may repeat vendor attributes */
	ASSERT_INT_EQ(uri_rc("pkcs11:object=a?x-v=1&x-v=2", &e), 0);
	/* section 2.5: an unknown path attribute matches nothing */
	ASSERT_INT_EQ(uri_rc("pkcs11:token=a;frobnicate=1", &e), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(e.msg, "section 2.5");
	/* section 6: pin-value refused, and never echoed */
	ASSERT_INT_EQ(uri_rc("pkcs11:token=a;pin-value=s3cr3t", &e),
	    ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "pin-value=***");
	ASSERT_TRUE(strstr(e.msg, "s3cr3t") == NULL);
	ASSERT_INT_EQ(uri_rc("pkcs11:token=a?pin-source=file:/p&"
	    "pin-value=s3cr3t", &e), ST_E_USAGE);
	ASSERT_TRUE(strstr(e.msg, "s3cr3t") == NULL);
	/* pin-source other than file: */
	ASSERT_INT_EQ(uri_rc("pkcs11:token=a?pin-source=%7C/bin/cat", &e),
	    ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "must be a file: URI");
	ASSERT_INT_EQ(uri_rc(NULL, &e), ST_E_USAGE);
	/* file: naming nothing */
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=a?pin-source=file:", &u, &e),
	    0);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", HSM_DEFAULT_MODULE, &pf, &e),
	    ST_E_USAGE);
	p11_kit_uri_free(u);
	u = NULL;
	/* module attributes that name another module (section 2.4) */
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=a?module-name=other", &u,
	    &e), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", "/usr/lib/softhsm/"
	    "libsofthsm2.so", &pf, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "module-name other is not the configured "
	    "module");
	p11_kit_uri_free(u);
	u = NULL;
	ASSERT_INT_EQ(hsm_uri_parse("pkcs11:token=a?module-path=/lib/x.so", &u,
	    &e), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_uri_check_token(u, "x", "/usr/lib/softhsm/"
	    "libsofthsm2.so", &pf, &e), ST_E_USAGE);
	p11_kit_uri_free(u);
}

static void
test_redact_pct(void)
{
	char	buf[64], *s;

	hsm_uri_redact("pkcs11:token=a;pin-value=secret;object=b", buf,
	    sizeof(buf));
	ASSERT_STR_EQ(buf, "pkcs11:token=a;pin-value=***;object=b");
	hsm_uri_redact("pkcs11:token=a?pin-value=secret&x=1", buf,
	    sizeof(buf));
	ASSERT_STR_EQ(buf, "pkcs11:token=a?pin-value=***&x=1");
	hsm_uri_redact("pkcs11:object=my-pin-value=x", buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "pkcs11:object=my-pin-value=x");
	hsm_uri_redact("pkcs11:object=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", buf, 16);
	ASSERT_STR_EQ(buf, "pkcs11:objec...");	/* 15 bytes + NUL */
	s = hsm_uri_pct((const uint8_t *)"My CA#1", 7, false);
	ASSERT_STR_EQ(s, "My%20CA%231");
	free(s);
	s = hsm_uri_pct((const uint8_t *)"\x01\xa2z", 3, true);
	ASSERT_STR_EQ(s, "%01%a2%7a");
	free(s);
}

static int
pin_from(const char *content, size_t len, mode_t mode, char **pin,
    size_t *plen, struct st_err *e)
{
	char	p[300];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/pin", tmpdir);
	unlink(p);
	if ((f = fopen(p, "w")) == NULL)
		return -100;
	fwrite(content, 1, len, f);
	fclose(f);
	chmod(p, mode);
	st_err_clear(e);
	return hsm_pin_read(p, NULL, pin, plen, e);
}

static void
test_pin(void)
{
	struct st_err	 e;
	char		*pin = NULL, p[300], big[400];
	size_t		 len = 0;

	ASSERT_INT_EQ(pin_from("1234\n", 5, 0600, &pin, &len, &e), 0);
	ASSERT_STR_EQ(pin, "1234");
	ASSERT_INT_EQ(len, 4);
	OPENSSL_clear_free(pin, HSM_PIN_MAX + 2);
	ASSERT_INT_EQ(pin_from("ab cd\r\n", 7, 0600, &pin, &len, &e), 0);
	ASSERT_STR_EQ(pin, "ab cd");
	OPENSSL_clear_free(pin, HSM_PIN_MAX + 2);
	ASSERT_INT_EQ(pin_from("5678", 4, 0600, &pin, &len, &e), 0);
	ASSERT_STR_EQ(pin, "5678");
	OPENSSL_clear_free(pin, HSM_PIN_MAX + 2);
	pin = NULL;
	ASSERT_INT_EQ(pin_from("", 0, 0600, &pin, &len, &e), ST_E_HSM_PIN);
	ASSERT_STR_CONTAINS(e.msg, "is empty");
	ASSERT_INT_EQ(pin_from("12\n34\n", 6, 0600, &pin, &len, &e),
	    ST_E_HSM_PIN);
	ASSERT_STR_CONTAINS(e.msg, "not one line");
	memset(big, '7', sizeof(big));
	ASSERT_INT_EQ(pin_from(big, 300, 0600, &pin, &len, &e), ST_E_HSM_PIN);
	ASSERT_TRUE(pin == NULL);
	/* a directory, a symbolic link, a missing file */
	ASSERT_INT_EQ(hsm_pin_read(tmpdir, NULL, &pin, &len, &e),
	    ST_E_HSM_PIN);
	snprintf(p, sizeof(p), "%s/link", tmpdir);
	snprintf(big, sizeof(big), "%s/pin", tmpdir);
	ASSERT_INT_EQ(symlink(big, p), 0);
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_pin_read(p, NULL, &pin, &len, &e), ST_E_HSM_PIN);
	ASSERT_STR_CONTAINS(e.msg, "/link");
	st_err_clear(&e);
	snprintf(p, sizeof(p), "%s/absent", tmpdir);
	ASSERT_INT_EQ(hsm_pin_read(p, NULL, &pin, &len, &e), ST_E_HSM_PIN);
	ASSERT_STR_CONTAINS(e.msg, "No such file");
	/* environment variables */
	setenv("STICA_TEST_PIN_U", "9876", 1);
	ASSERT_INT_EQ(hsm_pin_read(NULL, "STICA_TEST_PIN_U", &pin, &len, &e),
	    0);
	ASSERT_STR_EQ(pin, "9876");
	OPENSSL_clear_free(pin, HSM_PIN_MAX + 2);
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_pin_read(NULL, "STICA_TEST_PIN_NONE", &pin, &len,
	    &e), ST_E_HSM_PIN);
	ASSERT_STR_CONTAINS(e.msg, "STICA_TEST_PIN_NONE is not set");
}

static void
test_keytypes(void)
{
	static const char *const names[] = { "ec-p256", "ec-p384",
		"rsa-2048", "rsa-3072" };
	enum hsm_keytype	 t;
	struct st_err		 e;
	size_t			 i;

	for (i = 0; i < 4; i++) {
		ASSERT_INT_EQ(hsm_keytype_parse(names[i], &t, &e), 0);
		ASSERT_STR_EQ(hsm_keytype_name(t), names[i]);
	}
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_keytype_parse("ed25519", &t, &e), ST_E_USAGE);
	ASSERT_STR_CONTAINS(e.msg, "key type 'ed25519' unknown");
	ASSERT_INT_EQ(HSM_KEY_EC_P256, 0);	/* the default */
}

static void
test_module_path(void)
{
	char	lab[33];

	unsetenv(HSM_MODULE_ENV);
	ASSERT_STR_EQ(hsm_module_path(NULL), HSM_DEFAULT_MODULE);
	ASSERT_STR_EQ(hsm_module_path(""), HSM_DEFAULT_MODULE);
	setenv(HSM_MODULE_ENV, "/opt/hsm/libvendor.so", 1);
	ASSERT_STR_EQ(hsm_module_path(NULL), "/opt/hsm/libvendor.so");
	ASSERT_STR_EQ(hsm_module_path("/x.so"), "/x.so");
	unsetenv(HSM_MODULE_ENV);
	hsm_label_copy(lab, sizeof(lab),
	    (const CK_UTF8CHAR *)"ca                              ", 32);
	ASSERT_STR_EQ(lab, "ca");
}

static void
test_module_errors(void)
{
	struct hsm_mod	*m = NULL;
	struct st_err	 e;
	char		 p[300];
	FILE		*f;

	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_mod_get("/nonexistent/lib.so", &m, &e),
	    ST_E_HSM_MODULE);
	ASSERT_STR_EQ(e.msg, "PKCS#11 module /nonexistent/lib.so: No such "
	    "file or directory");
	/* a file that is not a shared object */
	snprintf(p, sizeof(p), "%s/fake.so", tmpdir);
	f = fopen(p, "w");
	ASSERT_NONNULL(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	st_err_clear(&e);
	ASSERT_INT_EQ(hsm_mod_get(p, &m, &e), ST_E_HSM_MODULE);
	ASSERT_STR_CONTAINS(e.msg, "cannot load");
	ASSERT_TRUE(m == NULL);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/stica-hsm-uri.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_ckr_names);
	RUN(test_ckr_codes);
	RUN(test_ckr_lost);
	RUN(test_ckr_err);
	RUN(test_uri_good);
	RUN(test_uri_bad);
	RUN(test_redact_pct);
	RUN(test_pin);
	RUN(test_keytypes);
	RUN(test_module_path);
	RUN(test_module_errors);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", tmpdir);
	}
	return th_done("test_hsm_uri");
}
