/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for common/yaml: the tree and its positions, the strict
 * refusals (anchors, aliases, tags, several documents, duplicate and
 * complex keys, NUL, depth), libyaml's syntax errors, the schema helper
 * and the typed getters, each error asserted with its exact
 * "file:line:col: " text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/yaml.h"
#include "tests/unit/harness.h"

static struct st_yaml_doc *doc;
static struct st_err err;

/* Parse s as "t.yaml"; returns the load's code. */
static int
load(const char *s)
{
	st_yaml_free(doc);
	doc = NULL;
	st_err_clear(&err);
	return st_yaml_load_buf("t.yaml", s, strlen(s), &doc, &err);
}

static const struct st_yaml_node *
root(void)
{
	return st_yaml_root(doc);
}

static void
test_tree_positions(void)
{
	const struct st_yaml_node *r, *a, *b, *c;

	ASSERT_INT_EQ(load("# comment\n"
			   "a: 1\n"
			   "b:\n"
			   "  - x\n"
			   "  - 'y z'\n"
			   "c: {k: v}\n"), 0);
	r = root();
	ASSERT_INT_EQ(r->kind, ST_YAML_MAPPING);
	ASSERT_INT_EQ(r->n, 3);
	ASSERT_INT_EQ(r->line, 2);
	ASSERT_INT_EQ(r->col, 1);
	ASSERT_STR_EQ(r->keys[1]->str, "b");
	a = st_yaml_get(r, "a");
	ASSERT_NONNULL(a);
	ASSERT_INT_EQ(a->kind, ST_YAML_SCALAR);
	ASSERT_STR_EQ(a->str, "1");
	ASSERT_TRUE(a->plain);
	ASSERT_INT_EQ(a->line, 2);
	ASSERT_INT_EQ(a->col, 4);
	ASSERT_STR_EQ(a->key, "a");
	b = st_yaml_get(r, "b");
	ASSERT_INT_EQ(b->kind, ST_YAML_SEQUENCE);
	ASSERT_INT_EQ(b->n, 2);
	ASSERT_INT_EQ(b->items[1]->line, 5);
	ASSERT_INT_EQ(b->items[1]->col, 5);
	ASSERT_STR_EQ(b->items[1]->str, "y z");
	ASSERT_FALSE(b->items[1]->plain);
	c = st_yaml_get(r, "c");
	ASSERT_INT_EQ(c->kind, ST_YAML_MAPPING);
	ASSERT_STR_EQ(st_yaml_get(c, "k")->str, "v");
	ASSERT_TRUE(st_yaml_get(r, "missing") == NULL);
	ASSERT_TRUE(st_yaml_get(a, "x") == NULL);
	ASSERT_STR_EQ(st_yaml_name(doc), "t.yaml");
}

static void
test_verbatim_scalars(void)
{
	const struct st_yaml_node *r;
	const char *s;

	/* YAML 1.1 would turn these into false, 83 and a float. */
	ASSERT_INT_EQ(load("c: NO\nn: 0123\nv: 1.10\n"), 0);
	r = root();
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(r, "c"), &s, &err), 0);
	ASSERT_STR_EQ(s, "NO");
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(r, "n"), &s, &err), 0);
	ASSERT_STR_EQ(s, "0123");
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(r, "v"), &s, &err), 0);
	ASSERT_STR_EQ(s, "1.10");
}

static void
test_empty_document(void)
{
	ASSERT_INT_EQ(load(""), 0);
	ASSERT_TRUE(st_yaml_is_null(root()));
	ASSERT_INT_EQ(load("# only a comment\n"), 0);
	ASSERT_TRUE(st_yaml_is_null(root()));
	ASSERT_INT_EQ(st_yaml_check_map(root(), "top", NULL, NULL, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:1: 'top' must be a mapping (found "
			       "null)");
}

static void
test_refuse_anchor_alias_tag(void)
{
	ASSERT_INT_EQ(load("a: &x 1\nb: 2\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: anchors are not supported (&x)");
	ASSERT_INT_EQ(load("a: 1\nb: *x\n"), ST_E_SYNTAX);
	/* An alias is refused before libyaml would resolve it. */
	ASSERT_STR_EQ(err.msg, "t.yaml:2:4: aliases are not supported (*x)");
	ASSERT_INT_EQ(load("a: !!str 1\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg,
	    "t.yaml:1:4: tags are not supported (tag:yaml.org,2002:str)");
	ASSERT_INT_EQ(load("a: !local {x: 1}\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: tags are not supported (!local)");
}

static void
test_refuse_two_documents(void)
{
	ASSERT_INT_EQ(load("a: 1\n---\nb: 2\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:2:1: more than one YAML document");
	/* An explicit single document is fine. */
	ASSERT_INT_EQ(load("---\na: 1\n...\n"), 0);
}

static void
test_refuse_duplicate_keys(void)
{
	ASSERT_INT_EQ(load("a: 1\nb: 2\na: 3\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg,
	    "t.yaml:3:1: duplicate key 'a' (first at line 1, column 1)");
	/* The earliest duplicate in the file is reported. */
	ASSERT_INT_EQ(load("z: 1\na: 1\nz: 2\na: 2\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg,
	    "t.yaml:3:1: duplicate key 'z' (first at line 1, column 1)");
	ASSERT_INT_EQ(load("top:\n  - {x: 1, x: 2}\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg,
	    "t.yaml:2:12: duplicate key 'x' (first at line 2, column 6)");
	/* Same key in different mappings is fine. */
	ASSERT_INT_EQ(load("a: {x: 1}\nb: {x: 2}\n"), 0);
}

static void
test_refuse_bad_keys(void)
{
	ASSERT_INT_EQ(load("? [a, b]\n: 1\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:3: mapping keys must be scalars");
	ASSERT_INT_EQ(load("~: 1\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:1: null mapping key");
}

static void
test_refuse_nul_and_depth(void)
{
	char	buf[1024];
	size_t	i;

	ASSERT_INT_EQ(load("a: \"x\\0y\"\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: scalar contains a NUL character");
	for (i = 0; i < 70; i++)
		buf[i] = '[';
	buf[i] = '\0';
	ASSERT_INT_EQ(load(buf), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:66: nesting deeper than 64 levels");
	for (i = 0; i < 64; i++)
		buf[i] = '[';
	for (i = 64; i < 128; i++)
		buf[i] = ']';
	buf[128] = '\0';
	ASSERT_INT_EQ(load(buf), 0);
}

static void
test_syntax_errors(void)
{
	ASSERT_INT_EQ(load("a: b: c\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:5: mapping values are not allowed "
			       "in this context");
	ASSERT_INT_EQ(load("a:\n  - 1\n - 2\n"), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(err.msg, "t.yaml:3:2: did not find expected key");
	ASSERT_INT_EQ(load("a: [1, 2\n"), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(err.msg, "t.yaml:2:1: did not find expected ',' "
				     "or ']' (while parsing a flow sequence "
				     "at line 1, column 4)");
	ASSERT_INT_EQ(load("a: 1\nb: \"\xff\"\n"), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg,
	    "t.yaml:2:5: invalid leading UTF-8 octet (byte 0xff)");
	ASSERT_INT_EQ(load("a: \"unterminated\n"), ST_E_SYNTAX);
	ASSERT_STR_CONTAINS(err.msg, "t.yaml:2:1: found unexpected end of "
				     "stream");
}

static void
test_check_map(void)
{
	static const char *const allowed[] = { "alpha", "beta", "gamma", NULL };
	static const char *const req[] = { "alpha", "gamma", NULL };

	ASSERT_INT_EQ(load("alpha: 1\ngamma: 2\n"), 0);
	ASSERT_INT_EQ(st_yaml_check_map(root(), "top", allowed, req, &err), 0);
	ASSERT_INT_EQ(load("alpha: 1\n  \ngamma: 2\ndelta: 3\n"), 0);
	ASSERT_INT_EQ(st_yaml_check_map(root(), "top", allowed, req, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:4:1: unknown key 'delta' (expected one "
			       "of: alpha, beta, gamma)");
	ASSERT_INT_EQ(load("x:\n  alpha: 1\n  beta: 2\n"), 0);
	ASSERT_INT_EQ(st_yaml_check_map(st_yaml_get(root(), "x"), "x",
	    allowed, req, &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:2:3: missing required key 'gamma' in "
			       "'x'");
	ASSERT_INT_EQ(load("x: [1]\n"), 0);
	ASSERT_INT_EQ(st_yaml_check_map(st_yaml_get(root(), "x"), "x",
	    allowed, NULL, &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: 'x' must be a mapping (found a "
			       "sequence)");
}

static void
test_str(void)
{
	const char *s = "sentinel";

	ASSERT_INT_EQ(load("a: ''\nb: ~\nc: [1]\nd: \"null\"\n"), 0);
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(root(), "a"), &s, &err), 0);
	ASSERT_STR_EQ(s, "");
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(root(), "d"), &s, &err), 0);
	ASSERT_STR_EQ(s, "null");
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(root(), "b"), &s, &err),
	    ST_E_SYNTAX);
	ASSERT_TRUE(s == NULL);
	ASSERT_STR_EQ(err.msg, "t.yaml:2:4: 'b': expected a string, found "
			       "null");
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_str(st_yaml_get(root(), "c"), &s, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:3:4: 'c': expected a string, found a "
			       "sequence");
}

static void
test_bool(void)
{
	bool	b = true;

	ASSERT_INT_EQ(load("t: true\nT: TRUE\nf: False\ny: yes\nq: 'true'\n"),
	    0);
	ASSERT_INT_EQ(st_yaml_bool(st_yaml_get(root(), "t"), &b, &err), 0);
	ASSERT_TRUE(b);
	ASSERT_INT_EQ(st_yaml_bool(st_yaml_get(root(), "T"), &b, &err), 0);
	ASSERT_TRUE(b);
	ASSERT_INT_EQ(st_yaml_bool(st_yaml_get(root(), "f"), &b, &err), 0);
	ASSERT_FALSE(b);
	ASSERT_INT_EQ(st_yaml_bool(st_yaml_get(root(), "y"), &b, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:4:4: 'y': expected true or false, "
			       "found 'yes'");
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_bool(st_yaml_get(root(), "q"), &b, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:5:4: 'q': expected true or false, "
			       "found 'true'");
}

static void
test_int(void)
{
	int64_t	v = 5;

	ASSERT_INT_EQ(load("a: 42\nb: -7\nc: 9223372036854775807\n"
			   "d: -9223372036854775808\ne: 9223372036854775808\n"
			   "f: 007\ng: '5'\nh: 1e3\ni: 101\n"), 0);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "a"), 0, 100, &v, &err),
	    0);
	ASSERT_INT_EQ(v, 42);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "b"), -10, 0, &v, &err),
	    0);
	ASSERT_INT_EQ(v, -7);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "c"), INT64_MIN,
	    INT64_MAX, &v, &err), 0);
	ASSERT_TRUE(v == INT64_MAX);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "d"), INT64_MIN,
	    INT64_MAX, &v, &err), 0);
	ASSERT_TRUE(v == INT64_MIN);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "e"), INT64_MIN,
	    INT64_MAX, &v, &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:5:4: 'e': expected a decimal integer, "
			       "found '9223372036854775808'");
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "f"), 0, 100, &v, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:6:4: 'f': expected a decimal integer, "
			       "found '007'");
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "g"), 0, 100, &v, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:7:4: 'g': expected an integer, found a "
			       "quoted string");
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "h"), 0, 10000, &v,
	    &err), ST_E_SYNTAX);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_int(st_yaml_get(root(), "i"), 0, 100, &v, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:9:4: 'i': 101 is out of range [0, 100]");
	ASSERT_INT_EQ(v, 0);
}

static void
test_duration(void)
{
	static const struct {
		const char	*s;
		int64_t		 secs;
	} good[] = {
		{ "30d", 30 * 86400 }, { "12h", 12 * 3600 },
		{ "1d12h", 36 * 3600 }, { "90s", 90 }, { "2w", 14 * 86400 },
		{ "1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
	};
	static const char *const bad[] = { "30", "d", "12x", "1h1d", "1d1d",
		"1.5h", "-1h", "1h ", "99999999999999999999s" };
	char	text[64];
	int64_t	v;
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "d: %s\n", good[i].s);
		ASSERT_INT_EQ(load(text), 0);
		ASSERT_INT_EQ(st_yaml_duration(root()->items[0], 1, INT64_MAX,
		    &v, &err), 0);
		ASSERT_INT_EQ(v, good[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "d: '%s'\n", bad[i]);
		ASSERT_INT_EQ(load(text), 0);
		ASSERT_INT_EQ(st_yaml_duration(root()->items[0], 0, INT64_MAX,
		    &v, &err), ST_E_SYNTAX);
	}
	ASSERT_INT_EQ(load("d: 12x\n"), 0);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_duration(root()->items[0], 0, INT64_MAX, &v,
	    &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: 'd': expected a duration such as "
			       "30d, 12h or 1d12h (units w, d, h, m, s), "
			       "found '12x'");
	ASSERT_INT_EQ(load("d: 400d\n"), 0);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_duration(root()->items[0], 60, 366 * 86400, &v,
	    &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:1:4: 'd': duration 400d (34560000 s) "
			       "is out of range [60 s, 31622400 s]");
}

static void
test_time(void)
{
	static const struct {
		const char	*s;
		int64_t		 t;
	} good[] = {
		/* Values cross-checked with date -u -d ... +%s. */
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-01-01T00:00:00Z", 1767225600 },
		{ "2000-02-29T12:34:56z", 951827696 },
		{ "2026-01-01T01:00:00+01:00", 1767225600 },
		{ "2025-12-31t19:00:00-05:00", 1767225600 },
		{ "2050-01-01T00:00:00Z", 2524608000 },
		{ "1950-01-01T00:00:00Z", -631152000 },
	};
	static const char *const bad[] = { "2026-01-01", "2026-01-01 00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z",
		"2026-01-01T00:00:00", "2026-01-01T00:00:00+0100",
		"2026-01-01T00:00:00.5Z", "1900-02-29T00:00:00Z",
		"1949-12-31T23:59:59Z", "2026-01-01T00:00:00Zjunk" };
	char	text[80], buf[32];
	int64_t	v;
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "t: %s\n", good[i].s);
		ASSERT_INT_EQ(load(text), 0);
		ASSERT_INT_EQ(st_yaml_time(root()->items[0], &v, &err), 0);
		ASSERT_INT_EQ(v, good[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "t: '%s'\n", bad[i]);
		ASSERT_INT_EQ(load(text), 0);
		ASSERT_INT_EQ(st_yaml_time(root()->items[0], &v, &err),
		    ST_E_SYNTAX);
	}
	ASSERT_INT_EQ(load("x:\n  t: 2026-02-30T00:00:00Z\n"), 0);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_time(st_yaml_get(st_yaml_get(root(), "x"), "t"),
	    &v, &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:2:6: 't': date or time field out of "
			       "range in '2026-02-30T00:00:00Z'");
	st_time_format(1767225600, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "2026-01-01T00:00:00Z");
	st_time_format(951827696, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "2000-02-29T12:34:56Z");
	st_time_format(-631152000, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "1950-01-01T00:00:00Z");
	st_time_format(253402300799, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "9999-12-31T23:59:59Z");
}

static void
test_strlist_enum(void)
{
	static const char *const names[] = { "ec-p256", "ec-p384", NULL };
	const char **v = NULL;
	size_t	n = 9;
	int	idx;

	ASSERT_INT_EQ(load("l: [a, 'b c', d]\ne: []\nbad: [a, [b]]\n"
			   "s: x\nk: ec-p384\nk2: rsa\n"), 0);
	ASSERT_INT_EQ(st_yaml_strlist(st_yaml_get(root(), "l"), &v, &n, &err),
	    0);
	ASSERT_INT_EQ(n, 3);
	ASSERT_STR_EQ(v[1], "b c");
	free(v);
	ASSERT_INT_EQ(st_yaml_strlist(st_yaml_get(root(), "e"), &v, &n, &err),
	    0);
	ASSERT_INT_EQ(n, 0);
	ASSERT_TRUE(v == NULL);
	ASSERT_INT_EQ(st_yaml_strlist(st_yaml_get(root(), "bad"), &v, &n,
	    &err), ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:3:10: 'bad': expected a string, found a "
			       "sequence");
	ASSERT_TRUE(v == NULL);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_strlist(st_yaml_get(root(), "s"), &v, &n, &err),
	    ST_E_SYNTAX);
	ASSERT_STR_EQ(err.msg, "t.yaml:4:4: 's': expected a list of strings, "
			       "found a scalar");
	ASSERT_INT_EQ(st_yaml_enum(st_yaml_get(root(), "k"), names, &idx, &err),
	    0);
	ASSERT_INT_EQ(idx, 1);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_enum(st_yaml_get(root(), "k2"), names, &idx,
	    &err), ST_E_SYNTAX);
	ASSERT_INT_EQ(idx, -1);
	ASSERT_STR_EQ(err.msg, "t.yaml:6:5: 'k2': unknown value 'rsa' "
			       "(expected one of: ec-p256, ec-p384)");
}

static void
test_err_helper_and_file(void)
{
	struct st_yaml_doc *d = NULL;

	ASSERT_INT_EQ(load("a:\n  b: 1\n"), 0);
	ASSERT_INT_EQ(st_yaml_err(st_yaml_get(st_yaml_get(root(), "a"), "b"),
	    &err, ST_E_POLICY, "bad %s", "thing"), ST_E_POLICY);
	ASSERT_STR_EQ(err.msg, "t.yaml:2:6: bad thing");
	ASSERT_INT_EQ(err.code, ST_E_POLICY);
	st_err_clear(&err);
	ASSERT_INT_EQ(st_yaml_load_file("/nonexistent/x.yaml", &d, &err),
	    ST_E_IO);
	ASSERT_TRUE(d == NULL);
	ASSERT_STR_CONTAINS(err.msg, "/nonexistent/x.yaml: No such file");
}

/* Truncations of a document must load or fail cleanly, never crash. */
static void
test_truncations(void)
{
	static const char text[] = "a: [1, {b: \"c\\u00e9\"}, 'd']\n"
				   "e:\n  - f: g\n    h: |\n      text\n";
	struct st_yaml_doc *d;
	size_t	i;
	int	rc, ok = 0;

	for (i = 0; i <= sizeof(text) - 1; i++) {
		d = NULL;
		rc = st_yaml_load_buf("t", text, i, &d, NULL);
		ASSERT_TRUE(rc == 0 || rc == ST_E_SYNTAX);
		ASSERT_TRUE((rc == 0) == (d != NULL));
		ok += rc == 0;
		st_yaml_free(d);
	}
	ASSERT_TRUE(ok > 0);
}

int
main(void)
{
	RUN(test_tree_positions);
	RUN(test_verbatim_scalars);
	RUN(test_empty_document);
	RUN(test_refuse_anchor_alias_tag);
	RUN(test_refuse_two_documents);
	RUN(test_refuse_duplicate_keys);
	RUN(test_refuse_bad_keys);
	RUN(test_refuse_nul_and_depth);
	RUN(test_syntax_errors);
	RUN(test_check_map);
	RUN(test_str);
	RUN(test_bool);
	RUN(test_int);
	RUN(test_duration);
	RUN(test_time);
	RUN(test_strlist_enum);
	RUN(test_err_helper_and_file);
	RUN(test_truncations);
	st_yaml_free(doc);
	return th_done("test_yaml");
}
