/* SPDX-License-Identifier: ISC */
/*
 * A table from service provider codes to the numbers that belong to them,
 * behind the struct ca_spc_map hook of ca_scope_encompasses.  RFC 9060
 * sections 4 and 8 leave "does this number belong to that SPC" to the
 * CA's policy and its industry data; stica takes it from the policy's
 * spc-numbers (ca_spc_table_from_policy) or, on the command line, from
 * --spc-map SPC=SPEC[,SPEC...] options (ca_spc_table_add_arg).
 *
 * Filled, then built once (each SPC's numbers become a canonical scope,
 * the table is sorted); after ca_spc_table_build it is read-only and the
 * map may be used from any number of threads.
 */
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "policy/policy.h"

struct spc_entry {
	char			*spc;
	struct ca_tnauth	*list;		/* while filling */
	struct ca_scope		*scope;		/* once built */
};

struct ca_spc_table {
	struct spc_entry	*v;
	size_t			 n;
	bool			 built;
};

struct ca_spc_table *
ca_spc_table_new(void)
{
	return calloc(1, sizeof(struct ca_spc_table));
}

void
ca_spc_table_free(struct ca_spc_table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].spc);
		ca_tnauth_free(t->v[i].list);
		ca_scope_free(t->v[i].scope);
	}
	free(t->v);
	free(t);
}

/* The entry for spc, created when absent. */
static int
table_entry(struct ca_spc_table *t, const char *spc, struct spc_entry **out)
{
	struct spc_entry	*nv;
	size_t			 i;

	*out = NULL;
	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].spc, spc) == 0) {
			*out = &t->v[i];
			return 0;
		}
	}
	if ((nv = realloc(t->v, (t->n + 1) * sizeof(*nv))) == NULL)
		return ST_E_NOMEM;
	t->v = nv;
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	if ((t->v[t->n].spc = strdup(spc)) == NULL ||
	    (t->v[t->n].list = ca_tnauth_new()) == NULL) {
		free(t->v[t->n].spc);
		return ST_E_NOMEM;
	}
	*out = &t->v[t->n++];
	return 0;
}

/*
 * An SPC maps to numbers only (RFC 9060 section 4 compares SPCs verbatim;
 * an SPC owning another SPC has no meaning).
 */
int
ca_spc_table_add(struct ca_spc_table *t, const char *spc,
    const char *const *specs, size_t n, struct st_err *e)
{
	struct spc_entry	*ent;
	size_t			 i;
	int			 rc;

	if (t->built)
		return st_err_set(e, ST_E_USAGE, "SPC map: already built");
	if (strncmp(spc, "spc:", 4) == 0)
		spc += 4;
	if (*spc == '\0')
		return st_err_set(e, ST_E_SYNTAX, "SPC map: empty SPC");
	if ((rc = table_entry(t, spc, &ent)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (strncmp(specs[i], "spc:", 4) == 0)
			return st_err_set(e, ST_E_SYNTAX,
			    "SPC map: %s: '%s' is an SPC; an SPC maps to "
			    "numbers (tn:, range:)", spc, specs[i]);
		if ((rc = ca_tnauth_add_spec(ent->list, specs[i], e)) != 0)
			return rc;
	}
	return 0;
}

int
ca_spc_table_add_arg(struct ca_spc_table *t, const char *arg,
    struct st_err *e)
{
	const char	**specs = NULL;
	char		 *copy = NULL, *eq, *s, *save = NULL;
	size_t		  n = 0, cap = 0;
	int		  rc = ST_E_INTERNAL;

	if ((copy = strdup(arg)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	if ((eq = strchr(copy, '=')) == NULL || eq == copy || eq[1] == '\0') {
		rc = st_err_set(e, ST_E_SYNTAX,
		    "--spc-map '%s': expected SPC=SPEC[,SPEC...]", arg);
		goto out;
	}
	*eq++ = '\0';
	for (s = strtok_r(eq, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save)) {
		if (n == cap) {
			const char **nv;

			cap = cap == 0 ? 4 : cap * 2;
			if ((nv = realloc(specs, cap * sizeof(*nv))) == NULL) {
				rc = ST_E_NOMEM;
				goto out;
			}
			specs = nv;
		}
		specs[n++] = s;
	}
	if ((rc = ca_spc_table_add(t, copy, specs, n, e)) != 0)
		goto out;
	rc = 0;
out:
	free(specs);
	free(copy);
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spc_entry *)a)->spc,
	    ((const struct spc_entry *)b)->spc);
}

int
ca_spc_table_build(struct ca_spc_table *t, struct st_err *e)
{
	size_t	i;
	int	rc;

	if (t->built)
		return 0;
	for (i = 0; i < t->n; i++) {
		if (t->v[i].list->n == 0) {
			/* An SPC with no numbers owns nothing. */
			t->v[i].scope = ca_scope_new_empty();
			if (t->v[i].scope == NULL)
				return ST_E_NOMEM;
		} else if ((rc = ca_scope_from_tnauth(t->v[i].list,
		    &t->v[i].scope, e)) != 0)
			return rc;
		ca_tnauth_free(t->v[i].list);
		t->v[i].list = NULL;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), entry_cmp);
	t->built = true;
	return 0;
}

size_t
ca_spc_table_count(const struct ca_spc_table *t)
{
	return t == NULL ? 0 : t->n;
}

/* struct ca_spc_map lookup: binary search over the built table. */
static int
table_lookup(void *arg, const char *spc, const struct ca_scope **numbers)
{
	const struct ca_spc_table	*t = arg;
	struct spc_entry		 key, *hit;

	*numbers = NULL;
	if (t == NULL || !t->built)
		return ST_E_USAGE;
	key.spc = (char *)(uintptr_t)spc;
	hit = bsearch(&key, t->v, t->n, sizeof(t->v[0]), entry_cmp);
	if (hit != NULL)
		*numbers = hit->scope;
	return 0;
}

struct ca_spc_map
ca_spc_table_map(const struct ca_spc_table *t)
{
	struct ca_spc_map m;

	m.lookup = table_lookup;
	m.arg = (void *)(uintptr_t)t;
	return m;
}

int
ca_spc_table_from_policy(const struct pol *p, struct ca_spc_table **out,
    struct st_err *e)
{
	struct ca_spc_table	*t = NULL;
	const char *const	*specs;
	const char		*spc;
	size_t			 i, n;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	if ((t = ca_spc_table_new()) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < pol_spc_count(p); i++) {
		if ((rc = pol_spc_get(p, i, &spc, &specs, &n)) != 0)
			goto out;
		if ((rc = ca_spc_table_add(t, spc, specs, n, e)) != 0)
			goto out;
	}
	if ((rc = ca_spc_table_build(t, e)) != 0)
		goto out;
	*out = t;
	t = NULL;
	rc = 0;
out:
	ca_spc_table_free(t);
	return rc;
}

/*
 * pol_within_fn over a built table: RFC 9060 section 4, is req "equal to
 * or a subset of" allowed, where allowed's SPCs also cover the numbers
 * the table gives them (sections 4.1 and 8)?
 */
int
ca_spc_table_within(void *table, const char *const *req, size_t nreq,
    const char *const *allowed, size_t nallowed, struct st_err *why)
{
	struct ca_spc_map	 map = ca_spc_table_map(table);
	struct ca_scope		*child = NULL, *parent = NULL;
	int			 rc = ST_E_INTERNAL;

	if ((rc = ca_scope_from_specs(req, nreq, &child, why)) != 0 ||
	    (rc = ca_scope_from_specs(allowed, nallowed, &parent, why)) != 0)
		goto out;
	rc = ca_scope_encompasses(parent, child,
	    ca_spc_table_count(table) > 0 ? &map : NULL, why);
out:
	ca_scope_free(child);
	ca_scope_free(parent);
	return rc;
}
