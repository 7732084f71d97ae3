/* SPDX-License-Identifier: ISC */
/*
 * stica hsm list | keygen: look into a PKCS#11 module (slots, tokens, key
 * pairs; public parts only) and generate a sign-only key pair inside a
 * token.  Tokens and keys are named by RFC 7512 URIs; PINs come from the
 * URI's pin-source=file:PATH or from an environment variable named by
 * --pin-env, never from the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "cmd/cmd.h"
#include "hsm/hsm.h"

struct hsm_opts {
	const char	*module;
	const char	*token;
	const char	*pin_env;
	const char	*label;
	const char	*type;
};

void
help_hsm(FILE *f)
{
	fprintf(f,
	    "usage: stica hsm list [--module PATH] [--token URI] "
	    "[--pin-env VAR]\n"
	    "       stica hsm keygen [--module PATH] --token URI "
	    "[--pin-env VAR] --label LABEL\n"
	    "                        [--type ec-p256|ec-p384|rsa-2048|"
	    "rsa-3072]\n"
	    "\n"
	    "list    print the module, its slots and tokens and, for each "
	    "token, its key\n"
	    "        pairs: label, CKA_ID, type and size, the key "
	    "attributes, the SHA-256\n"
	    "        fingerprint of the SubjectPublicKeyInfo and the key's "
	    "PKCS#11 URI.\n"
	    "        Only public parts are shown.  With --token, only that "
	    "token, logged in\n"
	    "        when a PIN is given (private keys are hidden "
	    "otherwise).\n"
	    "keygen  generate a key pair inside the token: private key "
	    "sensitive, never\n"
	    "        extractable, sign only (no decrypt, derive or unwrap); "
	    "public key verify\n"
	    "        only; random CKA_ID; the label must be new: 1 to 64 "
	    "bytes of UTF-8\n"
	    "        without control characters.  Of concurrent keygens "
	    "with one label, at\n"
	    "        most one keeps it.  Prints the key's URI, then its "
	    "public key in PEM.\n"
	    "        Default type: ec-p256.\n"
	    "\n"
	    "options:\n"
	    "  --module PATH   PKCS#11 module (default: $%s,\n"
	    "                  else %s)\n"
	    "  --token URI     RFC 7512 token URI, e.g.\n"
	    "                  'pkcs11:token=ca;pin-source=file:/etc/stica/"
	    "pin'\n"
	    "  --pin-env VAR   read the user PIN from environment variable "
	    "VAR\n"
	    "\n"
	    "PINs are never accepted on the command line or as pin-value in "
	    "a URI.\n"
	    "Exit status: 0 success, 2 error.\n", HSM_MODULE_ENV,
	    HSM_DEFAULT_MODULE);
}

/*
 * --opt VALUE or --opt=VALUE for the options above; anything else is a
 * usage error naming the argument.
 */
static int
parse(int argc, char **argv, struct hsm_opts *o)
{
	static const char *const names[] = { "--module", "--token",
		"--pin-env", "--label", "--type" };
	const char	**slots[5];
	const char	*arg, *val, *eq;
	size_t		 i, nlen;
	int		 k;

	memset(o, 0, sizeof(*o));
	slots[0] = &o->module;
	slots[1] = &o->token;
	slots[2] = &o->pin_env;
	slots[3] = &o->label;
	slots[4] = &o->type;
	for (k = 2; k < argc; k++) {
		arg = argv[k];
		if (strcmp(arg, "--pin") == 0 ||
		    strncmp(arg, "--pin=", 6) == 0 ||
		    strcmp(arg, "--so-pin") == 0) {
			fprintf(stderr, "stica hsm: %s refused: PINs never go "
			    "on the command line; use pin-source=file:PATH in "
			    "--token or --pin-env VAR\n", "--pin");
			return EXIT_ERR;
		}
		eq = strchr(arg, '=');
		nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		for (i = 0; i < 5; i++)
			if (strlen(names[i]) == nlen &&
			    strncmp(arg, names[i], nlen) == 0)
				break;
		if (i == 5) {
			fprintf(stderr, "stica hsm %s: unknown argument '%s'; "
			    "try 'stica help hsm'\n", argv[1], arg);
			return EXIT_ERR;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (k + 1 < argc)
			val = argv[++k];
		else {
			fprintf(stderr, "stica hsm %s: %s needs a value\n",
			    argv[1], names[i]);
			return EXIT_ERR;
		}
		*slots[i] = val;
	}
	return 0;
}

/* stica hsm list: hsm_list to stdout. */
static int
do_list(const struct hsm_opts *o)
{
	struct hsm_params	p;
	struct st_err		e;
	int			rc;

	st_err_clear(&e);
	memset(&p, 0, sizeof(p));
	p.module = o->module;
	p.token_uri = o->token;
	p.pin_env = o->pin_env;
	if ((rc = hsm_list(&p, stdout, &e)) != 0)
		return cmd_fail("hsm list", &e, rc);
	return 0;
}

/* stica hsm keygen: the key's URI, then its public key in PEM. */
static int
do_keygen(const struct hsm_opts *o)
{
	struct hsm_params	 p;
	struct st_err		 e;
	struct hsm		*h = NULL;
	struct hsm_key		*k = NULL;
	enum hsm_keytype	 t = HSM_KEY_EC_P256;
	int			 rc, ret = EXIT_ERR;

	st_err_clear(&e);
	if (o->token == NULL || o->label == NULL) {
		fprintf(stderr, "stica hsm keygen: --token and --label are "
		    "required; try 'stica help hsm'\n");
		return EXIT_ERR;
	}
	if (o->type != NULL && (rc = hsm_keytype_parse(o->type, &t, &e)) != 0)
		return cmd_fail("hsm keygen", &e, rc);
	/* before the token is opened: a bad label needs no PIN */
	if ((rc = hsm_label_check(o->label, &e)) != 0)
		return cmd_fail("hsm keygen", &e, rc);
	memset(&p, 0, sizeof(p));
	p.module = o->module;
	p.token_uri = o->token;
	p.pin_env = o->pin_env;
	if ((rc = hsm_open(&p, &h, &e)) != 0 ||
	    (rc = hsm_key_generate(h, o->label, t, &k, &e)) != 0) {
		ret = cmd_fail("hsm keygen", &e, rc);
		goto out;
	}
	printf("%s\n", hsm_key_uri(k));
	if (!PEM_write_PUBKEY(stdout, hsm_key_pubkey(k))) {
		fprintf(stderr, "stica hsm keygen: writing the public key "
		    "failed\n");
		goto out;
	}
	if (fflush(stdout) != 0) {
		perror("stica hsm keygen: stdout");
		goto out;
	}
	ret = 0;
out:
	hsm_key_free(k);
	hsm_close(h);
	return ret;
}

/* stica hsm SUBCOMMAND [options]: dispatch; exit 0 or EXIT_ERR. */
int
cmd_hsm(int argc, char **argv)
{
	struct hsm_opts	o;
	int		rc;

	if (argc < 2) {
		help_hsm(stderr);
		return EXIT_ERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help_hsm(stdout);
		return 0;
	}
	if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "keygen") != 0) {
		fprintf(stderr, "stica hsm: unknown subcommand '%s'; use list "
		    "or keygen\n", argv[1]);
		return EXIT_ERR;
	}
	if ((rc = parse(argc, argv, &o)) != 0)
		return rc;
	if (strcmp(argv[1], "list") == 0) {
		if (o.label != NULL || o.type != NULL) {
			fprintf(stderr, "stica hsm list: --label and --type "
			    "belong to keygen\n");
			return EXIT_ERR;
		}
		return do_list(&o);
	}
	return do_keygen(&o);
}
