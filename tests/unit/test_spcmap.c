/* SPDX-License-Identifier: ISC */
/*
 * The SPC -> numbers table (ca/spcmap.c): --spc-map parsing, repeated
 * SPCs accumulating, lookups through the ca_spc_map hook, a table from a
 * policy's spc-numbers, and the policy scope judge built on it (RFC 9060
 * sections 4 and 8).
 */
#include <string.h>

#include "ca/ca.h"
#include "policy/policy.h"
#include "tests/unit/harness.h"

static struct ca_scope *
scope_of(const char *spec)
{
	struct ca_scope	*s = NULL;

	if (ca_scope_from_specs(&spec, 1, &s, NULL) != 0)
		return NULL;
	return s;
}

static void
test_args(void)
{
	struct ca_spc_table	*t = ca_spc_table_new();
	struct ca_spc_map	 m;
	const struct ca_scope	*num = NULL;
	struct ca_scope		*child;
	struct st_err		 e = { 0 };

	ASSERT_NONNULL(t);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "1001=tn:12025550100", &e), 0);
	/* "spc:" prefix accepted; a repeated SPC accumulates. */
	ASSERT_INT_EQ(ca_spc_table_add_arg(t,
	    "spc:1001=range:12025550200+100,tn:5550100", &e), 0);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "709J=tn:7035551212", &e), 0);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "1001", &e), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(e.msg, "expected SPC=SPEC");
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "=tn:1", &e), ST_E_SYNTAX);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "1001=spc:2002", &e),
	    ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(e.msg, "is an SPC");
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "1001=range:10+90", &e),
	    ST_E_TNAUTH);
	st_err_clear(&e);
	ASSERT_INT_EQ(ca_spc_table_build(t, &e), 0);
	ASSERT_INT_EQ(ca_spc_table_count(t), 2);
	/* Built tables are frozen. */
	ASSERT_INT_EQ(ca_spc_table_add_arg(t, "1=tn:1", &e), ST_E_USAGE);
	m = ca_spc_table_map(t);
	ASSERT_INT_EQ(m.lookup(m.arg, "1001", &num), 0);
	ASSERT_NONNULL(num);
	ASSERT_TRUE(ca_scope_contains_tn(num, "12025550100"));
	ASSERT_TRUE(ca_scope_contains_tn(num, "12025550299"));
	ASSERT_TRUE(ca_scope_contains_tn(num, "5550100"));
	ASSERT_FALSE(ca_scope_contains_tn(num, "12025550300"));
	ASSERT_INT_EQ(m.lookup(m.arg, "2002", &num), 0);
	ASSERT_TRUE(num == NULL);
	/* Through ca_scope_encompasses: an SPC parent owns its numbers. */
	{
		struct ca_scope *parent = scope_of("spc:1001");

		ASSERT_NONNULL(parent);
		child = scope_of("range:12025550250+50");
		ASSERT_NONNULL(child);
		ASSERT_INT_EQ(ca_scope_encompasses(parent, child, &m, NULL),
		    1);
		ASSERT_INT_EQ(ca_scope_encompasses(parent, child, NULL, NULL),
		    0);
		ca_scope_free(child);
		child = scope_of("range:12025550250+51");
		st_err_clear(&e);
		ASSERT_INT_EQ(ca_scope_encompasses(parent, child, &m, &e), 0);
		ASSERT_STR_CONTAINS(e.msg, "12025550300");
		ca_scope_free(child);
		ca_scope_free(parent);
	}
	ca_spc_table_free(t);
}

static void
test_from_policy(void)
{
	static const char yaml[] =
	    "version: 1\n"
	    "spc-numbers:\n"
	    "  \"1234\": [range:12025550000+10000]\n"
	    "profiles:\n"
	    "  per-tn:\n"
	    "    kind: per-tn\n"
	    "    ca: false\n"
	    "    mode: rfc9060\n"
	    "    lifetime: 30d\n"
	    "    key-types: [ec-p256]\n"
	    "    subject: {CN: \"TN {first-tn}\"}\n"
	    "issuers:\n"
	    "  ca: {profiles: [per-tn]}\n"
	    "rules:\n"
	    "  - name: all\n"
	    "    match: {}\n"
	    "    issue: {profile: per-tn, issuer: ca, scope: [spc:1234]}\n";
	struct pol		*p = NULL;
	struct ca_spc_table	*t = NULL;
	struct st_err		 e = { 0 };
	const char		*in[] = { "tn:12025550001" };
	const char		*out[] = { "tn:12025560001" };
	const char		*allowed[] = { "spc:1234" };

	if (pol_load_buf("t.yaml", yaml, sizeof(yaml) - 1, &p, &e) != 0)
		fprintf(stderr, "  %s\n", e.msg);
	ASSERT_NONNULL(p);
	ASSERT_INT_EQ(ca_spc_table_from_policy(p, &t, &e), 0);
	ASSERT_INT_EQ(ca_spc_table_count(t), 1);
	ASSERT_INT_EQ(ca_spc_table_within(t, in, 1, allowed, 1, &e), 1);
	ASSERT_INT_EQ(ca_spc_table_within(t, out, 1, allowed, 1, &e), 0);
	ASSERT_STR_CONTAINS(e.msg, "12025560001");
	ca_spc_table_free(t);
	pol_free(p);
}

int
main(void)
{
	RUN(test_args);
	RUN(test_from_policy);
	return th_done("test_spcmap");
}
