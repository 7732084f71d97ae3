/* SPDX-License-Identifier: ISC */
/*
 * stica tnauthlist: encode, decode and compare TNAuthLists (RFC 8226
 * section 9 and Appendix A; RFC 9060 section 4 for "encompasses").
 *
 *   encode SPEC...                 base64url DER (default), --der, --pem,
 *                                  --hex; -o FILE
 *   decode [--cert] [--json] [FILE|-]
 *   contains LIST SPEC             is SPEC inside LIST?
 *   encompasses PARENT CHILD       is CHILD "equal to or a subset of"
 *                                  PARENT?  (--spc-map SPC=SPEC,...)
 *
 * Exit status: 0 yes / success, 1 no (contains, encompasses), 2 error,
 * with one line on stderr "stica: tnauthlist <sub>: <message>".  The
 * rules live in ca/; this file parses arguments, reads inputs and prints.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "cmd/cmd.h"

/* Largest input read: room for far more than 100 000 ranges in hex. */
#define TNL_MAXINPUT	(64u << 20)
#define TNL_PEM_LABEL	"TNAUTHLIST"

enum tnl_format {
	TNL_B64URL,
	TNL_DER,
	TNL_PEM,
	TNL_HEX
};

/*
 * Print "stica: tnauthlist SUB: [PREFIX: ]MESSAGE" and return EXIT_ERR.
 * prefix names the input (a file name) when there is one.
 */
static int
tnl_fail(const char *sub, const char *prefix, const struct st_err *e, int rc)
{
	if (prefix != NULL)
		fprintf(stderr, "stica: tnauthlist %s: %s: %s\n", sub, prefix,
		    st_err_str(e, rc));
	else
		fprintf(stderr, "stica: tnauthlist %s: %s\n", sub,
		    st_err_str(e, rc));
	return EXIT_ERR;
}

/* A usage error: one line naming the problem and where help is. */
static int
tnl_usage(const char *sub, const char *msg, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "stica: tnauthlist %s: %s '%s'; see 'stica "
		    "help tnauthlist'\n", sub, msg, arg);
	else
		fprintf(stderr, "stica: tnauthlist %s: %s; see 'stica help "
		    "tnauthlist'\n", sub, msg);
	return EXIT_ERR;
}

void
help_tnauthlist(FILE *f)
{
	fprintf(f,
	    "usage: stica tnauthlist encode [--der | --pem | --hex] [-o FILE] "
	    "SPEC...\n"
	    "       stica tnauthlist decode [--cert] [--json] [FILE | -]\n"
	    "       stica tnauthlist contains [--spc-map SPC=SPEC[,SPEC...]] "
	    "LIST SPEC\n"
	    "       stica tnauthlist encompasses [--spc-map "
	    "SPC=SPEC[,SPEC...]]... PARENT CHILD\n"
	    "\n"
	    "Encode, decode and compare TNAuthLists: the RFC 8226 "
	    "certificate\n"
	    "extension (1.3.6.1.5.5.7.1.26) that names the telephone numbers "
	    "a\n"
	    "STIR certificate may sign for.\n"
	    "\n"
	    "SPEC (one TNAuthList entry):\n"
	    "  spc:CODE             a service provider code (e.g. spc:1234)\n"
	    "  tn:DIGITS            one telephone number, 1 to 15 of "
	    "0-9 * # (one:DIGITS\n"
	    "                       is a synonym)\n"
	    "  range:START+COUNT    COUNT >= 2 numbers from START; START + "
	    "COUNT must\n"
	    "                       stay below 10^len(START) (RFC 8226 "
	    "section 9)\n"
	    "\n"
	    "encode   DER-encode the SPECs in the order given and print "
	    "base64url\n"
	    "         without padding (the ACME identifier form, RFC 9448).\n"
	    "         --der   raw DER (not to a terminal)\n"
	    "         --pem   -----BEGIN " TNL_PEM_LABEL "----- armour\n"
	    "         --hex   lower-case hex (for an openssl config's "
	    "DER:...)\n"
	    "         -o FILE write to FILE instead of standard output\n"
	    "decode   Print one SPEC per line.  Input (a FILE, or - or nothing "
	    "for\n"
	    "         standard input): DER, base64url, padded base64, hex, or "
	    "PEM.\n"
	    "         Decoding is strict: EXPLICIT tags, canonical DER, every "
	    "RFC 8226\n"
	    "         rule; an error names the rule that failed.\n"
	    "         --cert  FILE is an X.509 certificate (PEM or DER); "
	    "decode its\n"
	    "                 TNAuthList extension\n"
	    "         --json  print {\"entries\":[{\"type\":\"spc\",\"value\":"
	    "...},\n"
	    "                 {\"type\":\"range\",\"start\":...,\"count\":N},\n"
	    "                 {\"type\":\"one\",\"value\":...}]}\n"
	    "contains LIST SPEC: exit 0 if the list encompasses the SPEC, 1 if "
	    "not.\n"
	    "encompasses PARENT CHILD: exit 0 if CHILD is equal to or a subset "
	    "of\n"
	    "         PARENT (RFC 9060 section 4), 1 if not, naming the first "
	    "entry\n"
	    "         of CHILD that escapes.\n"
	    "         LIST, PARENT and CHILD are a file name (if it exists), - "
	    "for\n"
	    "         standard input, or an encoded TNAuthList (base64url, "
	    "base64, hex).\n"
	    "         --spc-map SPC=SPEC[,SPEC...]  (repeatable) numbers that "
	    "policy\n"
	    "                 says belong to SPC, so that a parent holding "
	    "spc:SPC\n"
	    "                 encompasses them (RFC 9060 sections 4.1 and "
	    "8).\n"
	    "\n"
	    "Exit status: 0 success or yes, 1 no, 2 error.\n"
	    "\n"
	    "Examples:\n"
	    "  stica tnauthlist encode spc:1234\n"
	    "      MAigBhYEMTIzNA\n"
	    "  stica tnauthlist encode --hex spc:1234 range:12025550000+100 "
	    "tn:12025551234\n"
	    "  stica tnauthlist encode --der -o tn.der range:12025550100+10\n"
	    "  stica tnauthlist decode tn.der\n"
	    "  echo 3008A006160436363238 | stica tnauthlist decode --json\n"
	    "  stica tnauthlist decode --cert leaf.pem\n"
	    "  stica tnauthlist contains MBShEjAQFgsxMjAyNTU1MDEwMAIBCg "
	    "tn:12025550105\n"
	    "  stica tnauthlist encompasses parent.der child.der\n"
	    "  stica tnauthlist encompasses --spc-map "
	    "1001=range:2125551000+1000,tn:442079460000 \\\n"
	    "      $(stica tnauthlist encode spc:1001) "
	    "$(stica tnauthlist encode tn:2125551500)\n");
}

/* Skip ASCII whitespace. */
static const uint8_t *
skip_ws(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return p;
}

static bool
is_pem(const uint8_t *p, size_t len)
{
	const uint8_t	*q = skip_ws(p, p + len);

	return (size_t)(p + len - q) >= 11 && memcmp(q, "-----BEGIN ", 11) == 0;
}

/*
 * Decode a TNAuthList from the bytes of a file or argument: PEM with the
 * TNAUTHLIST label, or whatever ca_tnauth_decode_any accepts (DER, hex,
 * base64url, padded base64).
 */
static int
tnl_parse(const uint8_t *p, size_t len, struct ca_tnauth **out,
    struct st_err *e)
{
	BIO		*bio = NULL;
	char		*name = NULL, *header = NULL;
	unsigned char	*data = NULL;
	long		 dlen = 0;
	int		 rc = ST_E_INTERNAL;

	*out = NULL;
	if (!is_pem(p, len)) {
		rc = ca_tnauth_decode_any(p, len, out, e);
		goto out;
	}
	if (len > (size_t)INT32_MAX ||
	    (bio = BIO_new_mem_buf(p, (int)len)) == NULL) {
		rc = st_err_set(e, ST_E_NOMEM, "PEM: cannot read");
		goto out;
	}
	if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
		rc = st_err_ossl(e, ST_E_SYNTAX, "PEM: cannot parse the "
		    "armour");
		goto out;
	}
	if (strcmp(name, TNL_PEM_LABEL) != 0) {
		rc = st_err_set(e, ST_E_SYNTAX, "PEM label is '%.40s', "
		    "expected '%s'%s", name, TNL_PEM_LABEL,
		    strstr(name, "CERTIFICATE") != NULL ?
		    " (use --cert for a certificate)" : "");
		goto out;
	}
	rc = ca_tnauth_decode(data, (size_t)dlen, out, e);
out:
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	return rc;
}

/* Read a whole file ("-" is standard input). */
static int
tnl_read(const char *path, uint8_t **p, size_t *len, struct st_err *e)
{
	return st_file_read(path, TNL_MAXINPUT, p, len, e);
}

/*
 * A LIST, PARENT or CHILD argument: "-" (standard input), an existing
 * file, or an encoded TNAuthList given inline.  On failure *prefix names
 * what failed to parse (the file name, or role for an inline value).
 */
static int
tnl_load_arg(const char *arg, const char *role, struct ca_tnauth **out,
    const char **prefix, struct st_err *e)
{
	struct stat	 st;
	uint8_t		*p = NULL;
	size_t		 len;
	int		 rc = ST_E_INTERNAL;
	bool		 path;

	*out = NULL;
	if (strcmp(arg, "-") == 0 || stat(arg, &st) == 0) {
		*prefix = strcmp(arg, "-") == 0 ? "standard input" : arg;
		if ((rc = tnl_read(arg, &p, &len, e)) != 0)
			goto out;
		rc = tnl_parse(p, len, out, e);
		goto out;
	}
	*prefix = role;
	if (arg[0] == '\0') {
		rc = st_err_set(e, ST_E_USAGE, "empty argument");
		goto out;
	}
	/*
	 * Inline, a TNAuthList (a SEQUENCE, 0x30) is hex starting "30",
	 * base64 starting 'M' or PEM: anything else was meant as a file.
	 */
	path = arg[0] != 'M' && !isxdigit((unsigned char)arg[0]) &&
	    arg[0] != '-' && !isspace((unsigned char)arg[0]);
	if (!path) {
		rc = tnl_parse((const uint8_t *)arg, strlen(arg), out, e);
		path = rc == ST_E_SYNTAX && strpbrk(arg, "/.") != NULL &&
		    e != NULL && strncmp(e->msg, "base64", 6) == 0;
	}
	if (path) {
		/* Looks like a path, not base64: say so. */
		st_err_clear(e);
		rc = st_err_set(e, ST_E_IO, "'%.200s' is neither an existing "
		    "file nor an encoded TNAuthList", arg);
	}
out:
	free(p);
	return rc;
}

/* Write len bytes to stdout or to path; 0 or an error code. */
static int
tnl_output(const char *path, const void *p, size_t len, struct st_err *e)
{
	if (path != NULL)
		return st_file_write(path, p, len, 0644, false, e);
	if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0)
		return st_err_set(e, ST_E_IO, "standard output: %s",
		    strerror(errno));
	return 0;
}

/* PEM armour of der with the TNAUTHLIST label. */
static int
tnl_pem(const uint8_t *der, size_t len, char **out, size_t *outlen,
    struct st_err *e)
{
	BIO	*bio = NULL;
	char	*mem;
	long	 n;
	int	 rc = ST_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio(bio, TNL_PEM_LABEL, "", der, (long)len)) {
		rc = st_err_ossl(e, ST_E_CRYPTO, "PEM: writing");
		goto out;
	}
	n = BIO_get_mem_data(bio, &mem);
	if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	memcpy(*out, mem, (size_t)n);
	*outlen = (size_t)n;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/*
 * stica tnauthlist encode [--der|--pem|--hex] [-o FILE] SPEC...: every
 * SPEC is checked with the encoder rules of RFC 8226 (ca_tnauth_add).
 */
static int
tnl_encode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "der", no_argument, NULL, 'D' },
		{ "pem", no_argument, NULL, 'P' },
		{ "hex", no_argument, NULL, 'X' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_tnauth	*l = NULL;
	struct st_err		 e = { 0 };
	enum tnl_format		 fmt = TNL_B64URL;
	const char		*outpath = NULL;
	uint8_t			*der = NULL;
	char			*text = NULL, *t;
	size_t			 len, tlen;
	int			 ch, nfmt = 0, i, rc = EXIT_ERR, r;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			fmt = TNL_DER;
			nfmt++;
			break;
		case 'P':
			fmt = TNL_PEM;
			nfmt++;
			break;
		case 'X':
			fmt = TNL_HEX;
			nfmt++;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			help_tnauthlist(stdout);
			rc = 0;
			goto out;
		case ':':
			rc = tnl_usage("encode", "option needs a value:",
			    argv[optind - 1]);
			goto out;
		default:
			rc = tnl_usage("encode", "unknown option",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (nfmt > 1) {
		rc = tnl_usage("encode", "--der, --pem and --hex exclude each "
		    "other", NULL);
		goto out;
	}
	if (optind >= argc) {
		rc = tnl_usage("encode", "no SPEC given (spc:CODE, tn:DIGITS, "
		    "range:START+COUNT)", NULL);
		goto out;
	}
	if (fmt == TNL_DER && outpath == NULL && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "stica: tnauthlist encode: refusing to write "
		    "binary DER to a terminal; use -o FILE or redirect "
		    "standard output\n");
		goto out;
	}
	if ((l = ca_tnauth_new()) == NULL) {
		rc = tnl_fail("encode", NULL, NULL, ST_E_NOMEM);
		goto out;
	}
	for (i = optind; i < argc; i++) {
		if ((r = ca_tnauth_add_spec(l, argv[i], &e)) != 0) {
			rc = tnl_fail("encode", NULL, &e, r);
			goto out;
		}
	}
	if ((r = ca_tnauth_encode(l, &der, &len, &e)) != 0) {
		rc = tnl_fail("encode", NULL, &e, r);
		goto out;
	}
	switch (fmt) {
	case TNL_DER:
		r = tnl_output(outpath, der, len, &e);
		break;
	case TNL_PEM:
		if ((r = tnl_pem(der, len, &text, &tlen, &e)) == 0)
			r = tnl_output(outpath, text, tlen, &e);
		break;
	case TNL_HEX:
	case TNL_B64URL:
		r = fmt == TNL_HEX ? st_hex_encode(der, len, &t) :
		    st_b64url_encode(der, len, &t);
		if (r != 0)
			break;
		tlen = strlen(t);
		if ((text = realloc(t, tlen + 2)) == NULL) {
			free(t);
			r = ST_E_NOMEM;
			break;
		}
		text[tlen++] = '\n';
		text[tlen] = '\0';
		r = tnl_output(outpath, text, tlen, &e);
		break;
	}
	if (r != 0) {
		rc = tnl_fail("encode", NULL, &e, r);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(der);
	free(text);
	ca_tnauth_free(l);
	return rc;
}

/*
 * Read a certificate (PEM or DER) and decode its TNAuthList extension.
 */
static int
tnl_from_cert(const uint8_t *p, size_t len, struct ca_tnauth **out,
    struct st_err *e)
{
	const unsigned char	*q = p;
	BIO			*bio = NULL;
	X509			*x = NULL;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if (len == 0) {
		rc = st_err_set(e, ST_E_ASN1, "empty input, not a certificate");
		goto out;
	}
	if (len > (size_t)INT32_MAX) {
		rc = st_err_set(e, ST_E_IO, "certificate too large");
		goto out;
	}
	if (is_pem(p, len)) {
		if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	} else {
		x = d2i_X509(NULL, &q, (long)len);
		if (x != NULL && q != p + len) {
			rc = st_err_set(e, ST_E_ASN1, "certificate: %td "
			    "trailing bytes after the DER certificate",
			    p + len - q);
			goto out;
		}
	}
	if (x == NULL) {
		rc = st_err_ossl(e, ST_E_ASN1, "not an X.509 certificate (PEM "
		    "or DER)");
		goto out;
	}
	rc = ca_tnauth_from_cert(x, out, e);
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/* Print the entries as {"entries":[...]} with jansson. */
static int
tnl_print_json(const struct ca_tnauth *l, struct st_err *e)
{
	static const char *const type[] = { "spc", "range", "one" };
	json_t	*root = NULL, *arr, *o;
	char	*s = NULL;
	size_t	 i;
	int	 rc = ST_E_NOMEM;

	if ((root = json_object()) == NULL || (arr = json_array()) == NULL)
		goto out;
	if (json_object_set_new(root, "entries", arr) != 0)
		goto out;
	for (i = 0; i < l->n; i++) {
		const struct ca_tn_entry *t = &l->v[i];

		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
		if (json_object_set_new(o, "type",
		    json_string(type[t->kind])) != 0)
			goto out;
		if (t->kind == CA_TN_RANGE) {
			if (json_object_set_new(o, "start",
			    json_string(t->value)) != 0 ||
			    json_object_set_new(o, "count",
			    json_integer((json_int_t)t->count)) != 0)
				goto out;
		} else if (json_object_set_new(o, "value",
		    json_string(t->value)) != 0)
			goto out;
	}
	if ((s = json_dumps(root, JSON_COMPACT)) == NULL)
		goto out;
	if (printf("%s\n", s) < 0 || fflush(stdout) != 0) {
		rc = st_err_set(e, ST_E_IO, "%s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(s);
	json_decref(root);
	return rc;
}

/* Print one SPEC per line. */
static int
tnl_print_specs(const struct ca_tnauth *l, struct st_err *e)
{
	char	buf[CA_TN_BUFSZ + 300];
	size_t	i;

	for (i = 0; i < l->n; i++) {
		(void)ca_tn_entry_format(&l->v[i], buf, sizeof(buf));
		if (printf("%s\n", buf) < 0)
			break;
	}
	if (i < l->n || fflush(stdout) != 0)
		return st_err_set(e, ST_E_IO, "%s", strerror(errno));
	return 0;
}

/*
 * stica tnauthlist decode [--cert] [--json] [FILE|-]
 */
static int
tnl_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ca_tnauth	*l = NULL;
	struct st_err		 e = { 0 };
	const char		*path = "-", *prefix;
	uint8_t			*p = NULL;
	size_t			 len;
	bool			 cert = false, json = false;
	int			 ch, rc = EXIT_ERR, r;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cert = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			help_tnauthlist(stdout);
			rc = 0;
			goto out;
		default:
			rc = tnl_usage("decode", "unknown option",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind > 1) {
		rc = tnl_usage("decode", "more than one input; extra argument",
		    argv[optind + 1]);
		goto out;
	}
	if (optind < argc)
		path = argv[optind];
	prefix = strcmp(path, "-") == 0 ? "standard input" : path;
	if ((r = tnl_read(path, &p, &len, &e)) != 0) {
		rc = tnl_fail("decode", NULL, &e, r);
		goto out;
	}
	r = cert ? tnl_from_cert(p, len, &l, &e) : tnl_parse(p, len, &l, &e);
	if (r != 0) {
		rc = tnl_fail("decode", prefix, &e, r);
		goto out;
	}
	if ((r = json ? tnl_print_json(l, &e) : tnl_print_specs(l, &e)) !=
	    0) {
		rc = tnl_fail("decode", "standard output", &e, r);
		goto out;
	}
	rc = 0;
out:
	free(p);
	ca_tnauth_free(l);
	return rc;
}

/*
 * For a "yes" to contains: which single entry of the list holds the
 * SPEC?  Sets *idx (or leaves it at l->n when only several entries
 * together do) and *via_map when the entry is an SPC that holds the SPEC
 * through --spc-map.
 */
static int
tnl_which_entry(const struct ca_tnauth *l, const struct ca_scope *child,
    const struct ca_spc_map *map, size_t *idx, bool *via_map)
{
	struct ca_tnauth	 one;
	struct ca_scope		*s = NULL;
	size_t			 i;
	int			 r;

	*idx = l->n;
	*via_map = false;
	for (i = 0; i < l->n; i++) {
		one.v = &l->v[i];
		one.n = 1;
		one.cap = 1;
		if ((r = ca_scope_from_tnauth(&one, &s, NULL)) != 0)
			return r;
		r = ca_scope_encompasses(s, child, NULL, NULL);
		if (r == 0 && map != NULL && l->v[i].kind == CA_TN_SPC) {
			r = ca_scope_encompasses(s, child, map, NULL);
			*via_map = r == 1;
		}
		ca_scope_free(s);
		s = NULL;
		if (r < 0)
			return r;
		if (r == 1) {
			*idx = i;
			return 0;
		}
	}
	return 0;
}

/*
 * stica tnauthlist contains LIST SPEC and encompasses PARENT CHILD: both
 * are the RFC 9060 section 4 test, with the SPEC as a one-entry child.
 */
static int
tnl_compare(int argc, char **argv, bool contains)
{
	static const struct option opts[] = {
		{ "spc-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*sub = contains ? "contains" : "encompasses";
	struct ca_spc_table	*maps = NULL;
	struct ca_spc_map	 map;
	struct ca_tnauth	*pl = NULL, *cl = NULL;
	struct ca_scope		*ps = NULL, *cs = NULL;
	struct st_err		 e = { 0 }, why = { 0 };
	const char		*prefix = NULL;
	char			 buf[CA_TN_BUFSZ + 300];
	char			 ebuf[CA_TN_BUFSZ + 300];
	size_t			 idx;
	bool			 via_map;
	int			 ch, rc = EXIT_ERR, r;

	if ((maps = ca_spc_table_new()) == NULL)
		return tnl_fail(sub, NULL, NULL, ST_E_NOMEM);
	map = ca_spc_table_map(maps);
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if ((r = ca_spc_table_add_arg(maps, optarg, &e)) != 0) {
				rc = tnl_fail(sub, NULL, &e, r);
				goto out;
			}
			break;
		case 'h':
			help_tnauthlist(stdout);
			rc = 0;
			goto out;
		case ':':
			rc = tnl_usage(sub, "option needs a value:",
			    argv[optind - 1]);
			goto out;
		default:
			rc = tnl_usage(sub, "unknown option", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 2) {
		rc = tnl_usage(sub, contains ? "expected LIST SPEC" :
		    "expected PARENT CHILD", NULL);
		goto out;
	}
	if ((r = ca_spc_table_build(maps, &e)) != 0) {
		rc = tnl_fail(sub, "--spc-map", &e, r);
		goto out;
	}
	if ((r = tnl_load_arg(argv[optind], contains ? "LIST" : "PARENT", &pl,
	    &prefix, &e)) != 0) {
		rc = tnl_fail(sub, prefix, &e, r);
		goto out;
	}
	if (contains) {
		if ((cl = ca_tnauth_new()) == NULL) {
			rc = tnl_fail(sub, NULL, NULL, ST_E_NOMEM);
			goto out;
		}
		if ((r = ca_tnauth_add_spec(cl, argv[optind + 1], &e)) != 0) {
			rc = tnl_fail(sub, NULL, &e, r);
			goto out;
		}
	} else if ((r = tnl_load_arg(argv[optind + 1], "CHILD", &cl, &prefix,
	    &e)) != 0) {
		rc = tnl_fail(sub, prefix, &e, r);
		goto out;
	}
	if ((r = ca_scope_from_tnauth(pl, &ps, &e)) != 0 ||
	    (r = ca_scope_from_tnauth(cl, &cs, &e)) != 0) {
		rc = tnl_fail(sub, NULL, &e, r);
		goto out;
	}
	r = ca_scope_encompasses(ps, cs, ca_spc_table_count(maps) > 0 ? &map : NULL, &why);
	if (r < 0) {
		rc = tnl_fail(sub, NULL, &why, r);
		goto out;
	}
	if (r == 0) {
		printf("no: %s\n", st_err_str(&why, ST_E_SCOPE));
		rc = EXIT_NO;
		goto out;
	}
	if (!contains) {
		printf("yes: the child's %zu entr%s %s encompassed by the "
		    "parent's %zu entr%s (RFC 9060 section 4)\n", cl->n,
		    cl->n == 1 ? "y" : "ies", cl->n == 1 ? "is" : "are", pl->n,
		    pl->n == 1 ? "y" : "ies");
		rc = 0;
		goto out;
	}
	(void)ca_tn_entry_format(&cl->v[0], ebuf, sizeof(ebuf));
	if ((r = tnl_which_entry(pl, cs, ca_spc_table_count(maps) > 0 ? &map : NULL, &idx,
	    &via_map)) != 0) {
		rc = tnl_fail(sub, NULL, NULL, r);
		goto out;
	}
	if (idx < pl->n) {
		(void)ca_tn_entry_format(&pl->v[idx], buf, sizeof(buf));
		printf("yes: %s is within %s (entry %zu of the list)%s\n", ebuf,
		    buf, idx + 1, via_map ? " through --spc-map" : "");
	} else
		printf("yes: %s is within the list (covered by several of its "
		    "entries together)\n", ebuf);
	rc = 0;
out:
	if (fflush(stdout) != 0 && rc != EXIT_ERR) {
		st_err_clear(&e);
		(void)st_err_set(&e, ST_E_IO, "%s", strerror(errno));
		rc = tnl_fail(sub, "standard output", &e, ST_E_IO);
	}
	ca_scope_free(ps);
	ca_scope_free(cs);
	ca_tnauth_free(pl);
	ca_tnauth_free(cl);
	ca_spc_table_free(maps);
	return rc;
}

int
cmd_tnauthlist(int argc, char **argv)
{
	const char	*sub;

	if (argc < 2) {
		help_tnauthlist(stderr);
		return EXIT_ERR;
	}
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 ||
	    strcmp(sub, "help") == 0) {
		help_tnauthlist(stdout);
		return 0;
	}
	ca_oids_register();
	if (strcmp(sub, "encode") == 0)
		return tnl_encode(argc - 1, argv + 1);
	if (strcmp(sub, "decode") == 0)
		return tnl_decode(argc - 1, argv + 1);
	if (strcmp(sub, "contains") == 0)
		return tnl_compare(argc - 1, argv + 1, true);
	if (strcmp(sub, "encompasses") == 0)
		return tnl_compare(argc - 1, argv + 1, false);
	fprintf(stderr, "stica: tnauthlist: unknown subcommand '%s' (encode, "
	    "decode, contains, encompasses); see 'stica help tnauthlist'\n",
	    sub);
	return EXIT_ERR;
}
