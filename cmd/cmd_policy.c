/* SPDX-License-Identifier: ISC */
/*
 * stica policy: validate an issuance policy and explain its decisions
 * (docs/policy.md).
 *
 *   check [--config FILE] [POLICY]     validate; one summary line
 *   explain (--policy FILE | --config FILE) --requester WHO ...
 *           --tnauthlist SPEC...       the trace of every rule tried and
 *                                      the decision
 *
 * Exit status: 0 valid / issued, 1 refused (explain), 2 error, with one
 * line on stderr "stica: policy <sub>: <message>".  The policy engine
 * sits below ca/ and judges scopes through a callback; the one here is
 * built on ca/'s scope algebra (RFC 9060 section 4) with the policy's SPC
 * mapping (sections 4.1 and 8).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cmd/cmd.h"
#include "common/config.h"
#include "policy/policy.h"

/* Print "stica: policy SUB: MESSAGE" and return EXIT_ERR. */
static int
pol_fail(const char *sub, const struct st_err *e, int rc)
{
	fprintf(stderr, "stica: policy %s: %s\n", sub, st_err_str(e, rc));
	return EXIT_ERR;
}

/* A usage error: one line naming the problem and where help is. */
static int
pol_usage(const char *sub, const char *msg, const char *arg)
{
	if (arg != NULL)
		fprintf(stderr, "stica: policy %s: %s '%s'; see 'stica help "
		    "policy'\n", sub, msg, arg);
	else
		fprintf(stderr, "stica: policy %s: %s; see 'stica help "
		    "policy'\n", sub, msg);
	return EXIT_ERR;
}

void
help_policy(FILE *f)
{
	fprintf(f,
	    "usage: stica policy check [--config FILE] [POLICY]\n"
	    "       stica policy explain (--policy FILE | --config FILE)\n"
	    "           --requester account:ID|operator [--proof PROOF]\n"
	    "           [--token-authority NAME] [--ca] [--key-type TYPE]\n"
	    "           [--max-lifetime DURATION] [--profile NAME] "
	    "[--issuer NAME]\n"
	    "           --tnauthlist SPEC [SPEC...]\n"
	    "\n"
	    "The issuance policy (docs/policy.md) maps a request to a "
	    "profile, an\n"
	    "issuer, a permitted scope and a lifetime, or to a refusal.  "
	    "Rules are\n"
	    "tried in order and the first whose match selects the request "
	    "decides.\n"
	    "\n"
	    "check    Validate POLICY (or the policy named by --config's "
	    "stica.yaml)\n"
	    "         and print one summary line.  Errors are reported as\n"
	    "         FILE:LINE:COL: message; warnings likewise, on stderr.\n"
	    "         --config FILE  also check that every issuer the policy "
	    "names\n"
	    "                        is in FILE's issuers\n"
	    "explain  Judge one request and print each rule tried (skipped, "
	    "and why,\n"
	    "         or matched) and the decision.\n"
	    "         --requester account:ID | operator\n"
	    "         --proof tkauth-01 | sms-link-00 | operator  (operator "
	    "is the\n"
	    "                        default, and the only proof, for "
	    "--requester\n"
	    "                        operator)\n"
	    "         --token-authority NAME  the trusted token authority "
	    "that signed\n"
	    "                        a tkauth-01 token\n"
	    "         --ca           a delegate CA certificate is requested\n"
	    "         --key-type     ec-p256, ec-p384, rsa-2048 or rsa-3072\n"
	    "         --max-lifetime DURATION  the certificate may not "
	    "outlive now +\n"
	    "                        DURATION (a token's exp), e.g. 36h\n"
	    "         --profile, --issuer  consider only rules issuing this "
	    "profile or\n"
	    "                        from this issuer\n"
	    "         --tnauthlist SPEC...  the requested TNAuthList: "
	    "spc:CODE,\n"
	    "                        tn:DIGITS, range:START+COUNT\n"
	    "\n"
	    "Exit status: 0 valid or issued, 1 refused, 2 error.\n"
	    "\n"
	    "Examples:\n"
	    "  stica policy check policy.yaml\n"
	    "  stica policy check --config stica.yaml\n"
	    "  stica policy explain --policy policy.yaml --requester "
	    "account:17 \\\n"
	    "      --proof sms-link-00 --tnauthlist tn:12025550123\n"
	    "  stica policy explain --config stica.yaml --requester "
	    "account:17 \\\n"
	    "      --proof tkauth-01 --token-authority sti-pa --ca "
	    "--max-lifetime 30d \\\n"
	    "      --tnauthlist range:12025550000+100\n");
}

/* ------------------------------------------------------------------ */
/* check                                                              */

/*
 * With --config: every issuer the policy names must be one of
 * stica.yaml's issuers, or the policy could name a key that does not
 * exist.
 */
static int
check_issuers(const struct pol *p, const struct st_config *cfg,
    struct st_err *e)
{
	size_t	i;

	for (i = 0; i < pol_issuer_count(p); i++)
		if (st_config_issuer_find(cfg, pol_issuer_name(p, i)) == NULL)
			return st_err_set(e, ST_E_POLICY, "%s: issuer '%s' is "
			    "not among the issuers of %s", pol_name(p),
			    pol_issuer_name(p, i), cfg->path);
	return 0;
}

/* "3 profiles" / "1 profile" */
static const char *
plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/*
 * stica policy check [--config FILE] [POLICY]: load (and so validate)
 * the policy, print its warnings on stderr and one summary line.
 */
static int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct st_config	*cfg = NULL;
	struct pol		*p = NULL;
	struct st_err		 e = { 0 };
	const char		*config = NULL, *path;
	size_t			 i, n;
	int			 ch, rc, ret = EXIT_ERR;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			help_policy(stdout);
			return 0;
		default:
			return pol_usage("check", "unknown option",
			    argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return pol_usage("check", "expected one POLICY file", NULL);
	if (argc - optind == 0 && config == NULL)
		return pol_usage("check", "give a POLICY file or --config",
		    NULL);
	if (config != NULL && (rc = st_config_load(config, &cfg, &e)) != 0) {
		ret = pol_fail("check", &e, rc);
		goto out;
	}
	if (argc - optind == 1)
		path = argv[optind];
	else if ((path = cfg->policy) == NULL) {
		fprintf(stderr, "stica: policy check: %s names no policy file "
		    "('policy:')\n", config);
		goto out;
	}
	if ((rc = pol_load(path, &p, &e)) != 0 ||
	    (cfg != NULL && (rc = check_issuers(p, cfg, &e)) != 0)) {
		ret = pol_fail("check", &e, rc);
		goto out;
	}
	for (i = 0; i < pol_warning_count(p); i++)
		fprintf(stderr, "stica: policy check: %s\n", pol_warning(p, i));
	n = pol_spc_count(p);
	printf("%s: ok: %zu %s, %zu %s, %zu %s, %zu %s\n", path,
	    pol_profile_count(p), plural(pol_profile_count(p), "profile",
	    "profiles"), pol_issuer_count(p), plural(pol_issuer_count(p),
	    "issuer", "issuers"), pol_rule_count(p),
	    plural(pol_rule_count(p), "rule", "rules"), n,
	    plural(n, "SPC mapping", "SPC mappings"));
	ret = 0;
out:
	pol_free(p);
	st_config_free(cfg);
	return ret;
}

/* ------------------------------------------------------------------ */
/* explain                                                            */

struct explain_args {
	const char	 *policy;
	const char	 *config;
	const char	 *requester;
	const char	 *proof;
	const char	**specs;
	size_t		  nspecs;
	struct pol_request rq;
};

/* --requester account:ID | operator into rq; -1 if neither. */
static int
parse_requester(const char *s, struct pol_request *rq)
{
	if (strcmp(s, "operator") == 0) {
		rq->requester = POL_REQ_OPERATOR;
		return 0;
	}
	if (strncmp(s, "account:", 8) == 0 && s[8] != '\0') {
		rq->requester = POL_REQ_ACCOUNT;
		rq->account = s + 8;
		return 0;
	}
	return -1;
}

/*
 * Parse explain's options into a->rq.  Returns -1 to go on, or the exit
 * status (0 after --help, EXIT_ERR after a usage error, already printed).
 */
static int
explain_opts(int argc, char **argv, struct explain_args *a)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "requester", required_argument, NULL, 'r' },
		{ "proof", required_argument, NULL, 'P' },
		{ "token-authority", required_argument, NULL, 't' },
		{ "ca", no_argument, NULL, 'C' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "max-lifetime", required_argument, NULL, 'm' },
		{ "profile", required_argument, NULL, 'f' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "tnauthlist", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct st_err	e = { 0 };
	int		ch, rc;

	optind = 1;
	opterr = 0;
	/* "-" first: positional SPECs after --tnauthlist come back as 1. */
	while ((ch = getopt_long(argc, argv, "-h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			a->policy = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'r':
			a->requester = optarg;
			if (parse_requester(optarg, &a->rq) != 0)
				return pol_usage("explain", "--requester wants "
				    "account:ID or operator, not", optarg);
			break;
		case 'P':
			a->proof = optarg;
			if ((rc = pol_proof_parse(optarg, &a->rq.proof,
			    &e)) != 0)
				return pol_fail("explain", &e, rc);
			break;
		case 't':
			a->rq.token_authority = optarg;
			break;
		case 'C':
			a->rq.ca = true;
			break;
		case 'k':
			if ((rc = pol_key_type_parse(optarg, &a->rq.key_type,
			    &e)) != 0)
				return pol_fail("explain", &e, rc);
			break;
		case 'm':
			if ((rc = pol_duration_parse(optarg,
			    &a->rq.max_lifetime, &e)) != 0)
				return pol_fail("explain", &e, rc);
			if (a->rq.max_lifetime == 0)
				return pol_usage("explain", "--max-lifetime "
				    "must be positive, not", optarg);
			break;
		case 'f':
			a->rq.profile = optarg;
			break;
		case 'i':
			a->rq.issuer = optarg;
			break;
		case 'T':
		case 1:
			if (ch == 1 && a->nspecs == 0)
				return pol_usage("explain", "unexpected "
				    "argument (SPECs follow --tnauthlist)",
				    optarg);
			a->specs[a->nspecs++] = optarg;
			break;
		case 'h':
			help_policy(stdout);
			return 0;
		default:
			return pol_usage("explain", "unknown option",
			    argv[optind - 1]);
		}
	}
	if ((a->policy == NULL) == (a->config == NULL))
		return pol_usage("explain", "give one of --policy and --config",
		    NULL);
	if (a->requester == NULL)
		return pol_usage("explain", "--requester is required", NULL);
	if (a->proof == NULL) {
		if (a->rq.requester != POL_REQ_OPERATOR)
			return pol_usage("explain", "--proof is required for "
			    "an account", NULL);
		a->rq.proof = POL_PROOF_OPERATOR;
	}
	if (a->nspecs == 0)
		return pol_usage("explain", "--tnauthlist SPEC is required",
		    NULL);
	a->rq.scope = a->specs;
	a->rq.nscope = a->nspecs;
	return -1;
}

/*
 * stica policy explain: judge one request with the ca/ scope judge, print
 * the trace and the decision; exit 0 issued, 1 refused, 2 error.
 */
static int
cmd_explain(int argc, char **argv)
{
	struct explain_args	 a;
	struct st_config	*cfg = NULL;
	struct pol		*p = NULL;
	struct ca_spc_table	*spcs = NULL;
	struct pol_decision	 d;
	struct ca_tnauth	*l = NULL;
	struct st_err		 e = { 0 };
	char			 line[ST_ERR_MSGSZ + 256];
	const char		*path;
	size_t			 i;
	int			 rc, ret = EXIT_ERR;

	memset(&a, 0, sizeof(a));
	if ((a.specs = calloc((size_t)argc, sizeof(*a.specs))) == NULL)
		return pol_fail("explain", NULL, ST_E_NOMEM);
	if ((ret = explain_opts(argc, argv, &a)) >= 0)
		goto out;
	ret = EXIT_ERR;
	/* ca/ re-checks each SPEC as an encoder would, with RFC wording. */
	if ((l = ca_tnauth_new()) == NULL) {
		ret = pol_fail("explain", NULL, ST_E_NOMEM);
		goto out;
	}
	for (i = 0; i < a.nspecs; i++)
		if ((rc = ca_tnauth_add_spec(l, a.specs[i], &e)) != 0) {
			ret = pol_fail("explain", &e, rc);
			goto out;
		}
	if (a.config != NULL) {
		if ((rc = st_config_load(a.config, &cfg, &e)) != 0) {
			ret = pol_fail("explain", &e, rc);
			goto out;
		}
		if ((path = cfg->policy) == NULL) {
			fprintf(stderr, "stica: policy explain: %s names no "
			    "policy file ('policy:')\n", a.config);
			goto out;
		}
	} else
		path = a.policy;
	if ((rc = pol_load(path, &p, &e)) != 0) {
		ret = pol_fail("explain", &e, rc);
		goto out;
	}
	/* The policy's own spc-numbers are what SPCs own (RFC 9060 §8). */
	if ((rc = ca_spc_table_from_policy(p, &spcs, &e)) != 0) {
		ret = pol_fail("explain", &e, rc);
		goto out;
	}
	if ((rc = pol_decide(p, &a.rq, ca_spc_table_within, spcs, &d, stdout,
	    &e)) != 0) {
		fflush(stdout);
		ret = pol_fail("explain", &e, rc);
		goto out;
	}
	pol_decision_format(&d, line, sizeof(line));
	printf("decision: %s\n", line);
	ret = d.refused ? EXIT_NO : 0;
out:
	ca_spc_table_free(spcs);
	ca_tnauth_free(l);
	pol_free(p);
	st_config_free(cfg);
	free(a.specs);
	return ret;
}

/* stica policy SUBCOMMAND: dispatch to check or explain. */
int
cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		help_policy(stderr);
		return EXIT_ERR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help_policy(stdout);
		return 0;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "stica: policy: unknown subcommand '%s'; see 'stica "
	    "help policy'\n", argv[1]);
	return EXIT_ERR;
}
