/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the strict YAML loader (common/yaml.c) and the
 * policy loader built on it (policy/).  Every input is loaded as a YAML
 * document, every scalar is put through each typed getter, and the same
 * bytes are loaded as a policy.  Properties: no crash, no leak, and an
 * error always comes with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "common/yaml.h"
#include "policy/policy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run every getter over n and its children. */
static void
walk(const struct st_yaml_node *n, int depth)
{
	const char	*s, **list;
	bool		 b;
	int64_t		 v;
	size_t		 i, nl;
	int		 ok = 0;

	if (n == NULL || depth > ST_YAML_MAXDEPTH + 1)
		abort();
	switch (n->kind) {
	case ST_YAML_SCALAR:
		/* A scalar may satisfy several getters ("1" is an integer
		 * and a string); the property is only that none crashes. */
		ok += st_yaml_str(n, &s, NULL) == 0;
		ok += st_yaml_bool(n, &b, NULL) == 0;
		ok += st_yaml_int(n, INT64_MIN, INT64_MAX, &v, NULL) == 0;
		ok += st_yaml_duration(n, 0, INT64_MAX, &v, NULL) == 0;
		ok += st_yaml_time(n, &v, NULL) == 0;
		if (ok > 0 && n->str == NULL)
			abort();
		break;
	case ST_YAML_SEQUENCE:
		if (st_yaml_strlist(n, &list, &nl, NULL) == 0)
			free(list);
		for (i = 0; i < n->n; i++)
			walk(n->items[i], depth + 1);
		break;
	case ST_YAML_MAPPING:
		for (i = 0; i < n->n; i++) {
			if (n->keys[i]->kind != ST_YAML_SCALAR)
				abort();
			if (st_yaml_get(n, n->keys[i]->str) == NULL)
				abort();
			walk(n->items[i], depth + 1);
		}
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st_yaml_doc	*doc = NULL;
	struct pol		*pol = NULL;
	struct st_err		 e = { 0 };

	if (st_yaml_load_buf("fuzz.yaml", data, size, &doc, &e) == 0) {
		walk(st_yaml_root(doc), 0);
		st_yaml_free(doc);
	} else if (e.msg[0] == '\0')
		abort();
	st_err_clear(&e);
	if (pol_load_buf("fuzz.yaml", data, size, &pol, &e) == 0)
		pol_free(pol);
	else if (e.msg[0] == '\0')
		abort();
	return 0;
}
