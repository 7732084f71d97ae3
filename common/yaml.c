/* SPDX-License-Identifier: ISC */
/*
 * A strict YAML loader over libyaml's event API (common/yaml.h).  The
 * events are folded into a small tree; anything outside the subset stica
 * uses (anchors, aliases, tags, several documents, duplicate or complex
 * keys) is refused with the position of the offending node.  The typed
 * getters implement the few scalar forms the configuration files need:
 * strings, YAML 1.2 core booleans, decimal integers, durations and RFC 3339
 * section 5.6 date-times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/yaml.h"

struct st_yaml_doc {
	char			*name;
	struct st_yaml_node	*root;
};

struct builder {
	yaml_parser_t		 p;
	const char		*name;
	const unsigned char	*buf;
	size_t			 len;
	struct st_err		*e;
};

static void
node_free(struct st_yaml_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		node_free(n->items[i]);
		if (n->keys != NULL)
			node_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->str);
	free(n);
}

void
st_yaml_free(struct st_yaml_doc *d)
{
	if (d == NULL)
		return;
	node_free(d->root);
	free(d->name);
	free(d);
}

const struct st_yaml_node *
st_yaml_root(const struct st_yaml_doc *d)
{
	return d->root;
}

const char *
st_yaml_name(const struct st_yaml_doc *d)
{
	return d->name;
}

/*
 * "file:line:col: " prefix, then the message; the key, when the node has
 * one, is named first so that the message says which setting is wrong.
 */
static int ST_PRINTF(5, 0)
node_verr(const struct st_yaml_node *n, struct st_err *e, int code,
    bool with_key, const char *fmt, va_list ap)
{
	char	msg[ST_ERR_MSGSZ];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_key && n->key != NULL)
		return st_err_set(e, code, "%s:%u:%u: '%s': %s", n->file,
		    n->line, n->col, n->key, msg);
	return st_err_set(e, code, "%s:%u:%u: %s", n->file, n->line, n->col,
	    msg);
}

int
st_yaml_err(const struct st_yaml_node *n, struct st_err *e, int code,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	node_verr(n, e, code, false, fmt, ap);
	va_end(ap);
	return code;
}

/* As st_yaml_err, naming the node's key; for the typed getters. */
static int ST_PRINTF(3, 4)
kerr(const struct st_yaml_node *n, struct st_err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	node_verr(n, e, ST_E_SYNTAX, true, fmt, ap);
	va_end(ap);
	return ST_E_SYNTAX;
}

/* An error at a libyaml mark (0-based line and column). */
static int ST_PRINTF(3, 4)
mark_err(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	char	msg[ST_ERR_MSGSZ];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return st_err_set(b->e, ST_E_SYNTAX, "%s:%zu:%zu: %s", b->name,
	    m->line + 1, m->column + 1, msg);
}

/*
 * Report libyaml's own error.  Reader errors (bad encoding) carry only a
 * byte offset, which is turned into a line and column here.
 */
static int
parser_err(struct builder *b)
{
	yaml_parser_t	*p = &b->p;
	yaml_mark_t	 m;
	size_t		 i;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return st_err_set(b->e, ST_E_NOMEM, "%s: out of memory",
		    b->name);
	case YAML_READER_ERROR:
		memset(&m, 0, sizeof(m));
		for (i = 0; i < p->problem_offset && i < b->len; i++) {
			if (b->buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if ((b->buf[i] & 0xc0) != 0x80)
				m.column++;
		}
		if (p->problem_value != -1)
			return st_err_set(b->e, ST_E_SYNTAX,
			    "%s:%zu:%zu: %s (byte 0x%02x)", b->name, m.line + 1,
			    m.column + 1, p->problem ? p->problem : "bad input",
			    (unsigned)p->problem_value & 0xff);
		return mark_err(b, &m, "%s",
		    p->problem ? p->problem : "bad input");
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context != NULL)
			return st_err_set(b->e, ST_E_SYNTAX,
			    "%s:%zu:%zu: %s (%s at line %zu, column %zu)",
			    b->name, p->problem_mark.line + 1,
			    p->problem_mark.column + 1,
			    p->problem ? p->problem : "syntax error",
			    p->context,
			    p->context_mark.line + 1,
			    p->context_mark.column + 1);
		return mark_err(b, &p->problem_mark, "%s",
		    p->problem ? p->problem : "syntax error");
	default:
		return st_err_set(b->e, ST_E_SYNTAX, "%s: YAML error",
		    b->name);
	}
}

static int
next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->p, ev)) {
		memset(ev, 0, sizeof(*ev));
		return parser_err(b);
	}
	return 0;
}

static struct st_yaml_node *
node_new(struct builder *b, enum st_yaml_kind kind, const yaml_mark_t *m)
{
	struct st_yaml_node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->file = b->name;
	return n;
}

/* Anchors, aliases and tags are outside stica's subset. */
static int
check_props(struct builder *b, const yaml_event_t *ev,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor != NULL)
		return mark_err(b, &ev->start_mark,
		    "anchors are not supported (&%s)", (const char *)anchor);
	if (tag != NULL)
		return mark_err(b, &ev->start_mark,
		    "tags are not supported (%s)", (const char *)tag);
	return 0;
}

static int
append(struct st_yaml_node *n, struct st_yaml_node *item,
    struct st_yaml_node *key, size_t *cap)
{
	struct st_yaml_node	**ni, **nk;
	size_t			  nc;

	if (n->n == *cap) {
		nc = *cap == 0 ? 8 : *cap * 2;
		if ((ni = reallocarray(n->items, nc, sizeof(*ni))) == NULL)
			return ST_E_NOMEM;
		n->items = ni;
		if (n->kind == ST_YAML_MAPPING) {
			if ((nk = reallocarray(n->keys, nc, sizeof(*nk))) ==
			    NULL)
				return ST_E_NOMEM;
			n->keys = nk;
		}
		*cap = nc;
	}
	n->items[n->n] = item;
	if (n->kind == ST_YAML_MAPPING)
		n->keys[n->n] = key;
	n->n++;
	return 0;
}

static int
keycmp(const void *a, const void *b)
{
	const struct st_yaml_node *ka = *(struct st_yaml_node *const *)a;
	const struct st_yaml_node *kb = *(struct st_yaml_node *const *)b;
	int	c;

	if ((c = strcmp(ka->str, kb->str)) != 0)
		return c;
	if (ka->line != kb->line)
		return ka->line < kb->line ? -1 : 1;
	if (ka->col != kb->col)
		return ka->col < kb->col ? -1 : 1;
	return 0;
}

static bool
pos_before(const struct st_yaml_node *a, const struct st_yaml_node *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

/*
 * Refuse duplicate keys (YAML 1.2 section 3.2.1.1: mapping keys are
 * unique).  Sorting keeps large mappings linearithmic; the duplicate
 * reported is the one that comes first in the file.
 */
static int
check_dups(struct builder *b, const struct st_yaml_node *m)
{
	struct st_yaml_node	**v, *dup = NULL, *first = NULL, *grp;
	size_t			  i;

	if (m->n < 2)
		return 0;
	if ((v = malloc(m->n * sizeof(*v))) == NULL)
		return ST_E_NOMEM;
	memcpy(v, m->keys, m->n * sizeof(*v));
	qsort(v, m->n, sizeof(*v), keycmp);
	grp = v[0];
	for (i = 1; i < m->n; i++) {
		if (strcmp(v[i]->str, grp->str) != 0) {
			grp = v[i];
			continue;
		}
		if (dup == NULL || pos_before(v[i], dup)) {
			dup = v[i];
			first = grp;
		}
	}
	free(v);
	if (dup != NULL)
		return st_err_set(b->e, ST_E_SYNTAX,
		    "%s:%u:%u: duplicate key '%s' (first at line %u, "
		    "column %u)", b->name, dup->line, dup->col, dup->str,
		    first->line, first->col);
	return 0;
}

static int parse_node(struct builder *, yaml_event_t *, unsigned,
    const char *, struct st_yaml_node **);

static int
parse_scalar(struct builder *b, yaml_event_t *ev, struct st_yaml_node **out)
{
	struct st_yaml_node	*n;
	size_t			 len = ev->data.scalar.length;
	int			 rc;

	if ((rc = check_props(b, ev, ev->data.scalar.anchor,
	    ev->data.scalar.tag)) != 0)
		return rc;
	if (memchr(ev->data.scalar.value, '\0', len) != NULL)
		return mark_err(b, &ev->start_mark, "%s",
		    "scalar contains a NUL character");
	if ((n = node_new(b, ST_YAML_SCALAR, &ev->start_mark)) == NULL)
		return ST_E_NOMEM;
	if ((n->str = malloc(len + 1)) == NULL) {
		free(n);
		return ST_E_NOMEM;
	}
	memcpy(n->str, ev->data.scalar.value, len);
	n->str[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	*out = n;
	return 0;
}

static int
parse_sequence(struct builder *b, yaml_event_t *ev, unsigned depth,
    const char *key, struct st_yaml_node **out)
{
	struct st_yaml_node	*n = NULL, *item = NULL;
	yaml_event_t		 iev;
	size_t			 cap = 0;
	int			 rc;

	if ((rc = check_props(b, ev, ev->data.sequence_start.anchor,
	    ev->data.sequence_start.tag)) != 0)
		return rc;
	if ((n = node_new(b, ST_YAML_SEQUENCE, &ev->start_mark)) == NULL)
		return ST_E_NOMEM;
	n->key = key;
	for (;;) {
		if ((rc = next_event(b, &iev)) != 0)
			goto out;
		if (iev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&iev);
			break;
		}
		rc = parse_node(b, &iev, depth + 1, key, &item);
		yaml_event_delete(&iev);
		if (rc != 0)
			goto out;
		if ((rc = append(n, item, NULL, &cap)) != 0) {
			node_free(item);
			goto out;
		}
	}
	*out = n;
	n = NULL;
	rc = 0;
out:
	node_free(n);
	return rc;
}

static int
parse_mapping(struct builder *b, yaml_event_t *ev, unsigned depth,
    struct st_yaml_node **out)
{
	struct st_yaml_node	*n = NULL, *k = NULL, *v = NULL;
	yaml_event_t		 kev, vev;
	size_t			 cap = 0;
	int			 rc;

	if ((rc = check_props(b, ev, ev->data.mapping_start.anchor,
	    ev->data.mapping_start.tag)) != 0)
		return rc;
	if ((n = node_new(b, ST_YAML_MAPPING, &ev->start_mark)) == NULL)
		return ST_E_NOMEM;
	for (;;) {
		if ((rc = next_event(b, &kev)) != 0)
			goto out;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			rc = mark_err(b, &kev.start_mark, "%s",
			    "mapping keys must be scalars");
			yaml_event_delete(&kev);
			goto out;
		}
		rc = parse_scalar(b, &kev, &k);
		yaml_event_delete(&kev);
		if (rc != 0)
			goto out;
		if (st_yaml_is_null(k)) {
			rc = st_err_set(b->e, ST_E_SYNTAX,
			    "%s:%u:%u: null mapping key", b->name, k->line,
			    k->col);
			goto out;
		}
		if ((rc = next_event(b, &vev)) != 0)
			goto out;
		rc = parse_node(b, &vev, depth + 1, k->str, &v);
		yaml_event_delete(&vev);
		if (rc != 0)
			goto out;
		if ((rc = append(n, v, k, &cap)) != 0)
			goto out;
		k = v = NULL;
	}
	if ((rc = check_dups(b, n)) != 0)
		goto out;
	*out = n;
	n = NULL;
	rc = 0;
out:
	node_free(k);
	node_free(v);
	node_free(n);
	return rc;
}

/* Build the subtree that starts with event ev (owned by the caller). */
static int
parse_node(struct builder *b, yaml_event_t *ev, unsigned depth,
    const char *key, struct st_yaml_node **out)
{
	int	rc;

	*out = NULL;
	if (depth > ST_YAML_MAXDEPTH)
		return mark_err(b, &ev->start_mark,
		    "nesting deeper than %d levels", ST_YAML_MAXDEPTH);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((rc = parse_scalar(b, ev, out)) == 0)
			(*out)->key = key;
		return rc;
	case YAML_SEQUENCE_START_EVENT:
		return parse_sequence(b, ev, depth, key, out);
	case YAML_MAPPING_START_EVENT:
		if ((rc = parse_mapping(b, ev, depth, out)) == 0)
			(*out)->key = key;
		return rc;
	case YAML_ALIAS_EVENT:
		return mark_err(b, &ev->start_mark,
		    "aliases are not supported (*%s)",
		    (const char *)ev->data.alias.anchor);
	default:
		return mark_err(b, &ev->start_mark, "%s",
		    "unexpected YAML event");
	}
}

/*
 * Stream: STREAM-START [DOCUMENT-START node DOCUMENT-END] STREAM-END.  A
 * second document is refused; no document at all gives a null root.
 */
int
st_yaml_load_buf(const char *name, const void *p, size_t len,
    struct st_yaml_doc **out, struct st_err *e)
{
	struct builder		 b;
	struct st_yaml_doc	*d = NULL;
	yaml_event_t		 ev;
	yaml_mark_t		 m0;
	bool			 have_parser = false, have_ev = false;
	int			 rc = ST_E_INTERNAL;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	memset(&ev, 0, sizeof(ev));
	b.buf = p;
	b.len = len;
	b.e = e;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->name = strdup(name)) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	b.name = d->name;
	if (!yaml_parser_initialize(&b.p)) {
		rc = ST_E_NOMEM;
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&b.p, b.buf, len);
	if ((rc = next_event(&b, &ev)) != 0)
		goto out;
	have_ev = true;
	if (ev.type != YAML_STREAM_START_EVENT) {
		rc = mark_err(&b, &ev.start_mark, "%s", "no YAML stream");
		goto out;
	}
	yaml_event_delete(&ev);
	have_ev = false;
	if ((rc = next_event(&b, &ev)) != 0)
		goto out;
	have_ev = true;
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		yaml_event_delete(&ev);
		have_ev = false;
		if ((rc = next_event(&b, &ev)) != 0)
			goto out;
		have_ev = true;
		if ((rc = parse_node(&b, &ev, 0, NULL, &d->root)) != 0)
			goto out;
		yaml_event_delete(&ev);
		have_ev = false;
		if ((rc = next_event(&b, &ev)) != 0)
			goto out;
		have_ev = true;
		if (ev.type != YAML_DOCUMENT_END_EVENT) {
			rc = mark_err(&b, &ev.start_mark, "%s",
			    "expected the end of the document");
			goto out;
		}
		yaml_event_delete(&ev);
		have_ev = false;
		if ((rc = next_event(&b, &ev)) != 0)
			goto out;
		have_ev = true;
	}
	if (ev.type == YAML_DOCUMENT_START_EVENT) {
		rc = mark_err(&b, &ev.start_mark, "%s",
		    "more than one YAML document");
		goto out;
	}
	if (ev.type != YAML_STREAM_END_EVENT) {
		rc = mark_err(&b, &ev.start_mark, "%s",
		    "expected the end of the stream");
		goto out;
	}
	if (d->root == NULL) {
		memset(&m0, 0, sizeof(m0));
		if ((d->root = node_new(&b, ST_YAML_SCALAR, &m0)) == NULL ||
		    (d->root->str = strdup("")) == NULL) {
			rc = ST_E_NOMEM;
			goto out;
		}
		d->root->plain = true;
	}
	*out = d;
	d = NULL;
	rc = 0;
out:
	if (have_ev)
		yaml_event_delete(&ev);
	if (have_parser)
		yaml_parser_delete(&b.p);
	st_yaml_free(d);
	return rc;
}

int
st_yaml_load_file(const char *path, struct st_yaml_doc **out,
    struct st_err *e)
{
	uint8_t	*buf = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	if ((rc = st_file_read(path, ST_YAML_MAXFILE, &buf, &len, e)) != 0)
		return rc;
	rc = st_yaml_load_buf(path, buf, len, out, e);
	free(buf);
	return rc;
}

bool
st_yaml_is_null(const struct st_yaml_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t	i;

	if (n == NULL || n->kind != ST_YAML_SCALAR || !n->plain)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->str, nulls[i]) == 0)
			return true;
	return false;
}

const struct st_yaml_node *
st_yaml_get(const struct st_yaml_node *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->kind != ST_YAML_MAPPING)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->items[i];
	return NULL;
}

static const char *
kind_name(const struct st_yaml_node *n)
{
	if (st_yaml_is_null(n))
		return "null";
	switch (n->kind) {
	case ST_YAML_SCALAR:
		return "a scalar";
	case ST_YAML_SEQUENCE:
		return "a sequence";
	case ST_YAML_MAPPING:
		return "a mapping";
	}
	return "?";
}

/* "a, b, c" into buf, cut with "..." if it does not fit. */
static const char *
join(const char *const *v, char *buf, size_t bufsz)
{
	size_t	i, n = 0;
	int	w;

	buf[0] = '\0';
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		w = snprintf(buf + n, bufsz - n, "%s%s", i > 0 ? ", " : "",
		    v[i]);
		if (w < 0 || (size_t)w >= bufsz - n) {
			if (bufsz > 4)
				memcpy(buf + bufsz - 4, "...", 4);
			break;
		}
		n += (size_t)w;
	}
	return buf;
}

static bool
in_list(const char *const *v, const char *s)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int
st_yaml_check_map(const struct st_yaml_node *map, const char *name,
    const char *const *allowed, const char *const *required,
    struct st_err *e)
{
	char	buf[256];
	size_t	i;

	if (map->kind != ST_YAML_MAPPING)
		return st_yaml_err(map, e, ST_E_SYNTAX,
		    "'%s' must be a mapping (found %s)", name, kind_name(map));
	for (i = 0; i < map->n; i++)
		if (!in_list(allowed, map->keys[i]->str))
			return st_yaml_err(map->keys[i], e, ST_E_SYNTAX,
			    "unknown key '%s' (expected one of: %s)",
			    map->keys[i]->str, join(allowed, buf, sizeof(buf)));
	for (i = 0; required != NULL && required[i] != NULL; i++)
		if (st_yaml_get(map, required[i]) == NULL)
			return st_yaml_err(map, e, ST_E_SYNTAX,
			    "missing required key '%s' in '%s'", required[i],
			    name);
	return 0;
}

/* Quote a scalar for a message, cut to a readable length. */
static const char *
shown(const struct st_yaml_node *n, char *buf, size_t bufsz)
{
	if (n->kind != ST_YAML_SCALAR)
		return kind_name(n);
	if (n->len + 3 <= bufsz)
		snprintf(buf, bufsz, "'%s'", n->str);
	else
		snprintf(buf, bufsz, "'%.*s...'", (int)(bufsz - 6), n->str);
	return buf;
}

int
st_yaml_str(const struct st_yaml_node *n, const char **out, struct st_err *e)
{
	*out = NULL;
	if (n->kind != ST_YAML_SCALAR || st_yaml_is_null(n))
		return kerr(n, e, "expected a string, found %s", kind_name(n));
	*out = n->str;
	return 0;
}

int
st_yaml_get0_str(const struct st_yaml_node *map, const char *key,
    const char **out, struct st_err *e)
{
	const struct st_yaml_node	*n;

	*out = NULL;
	if ((n = st_yaml_get(map, key)) == NULL)
		return 0;
	return st_yaml_str(n, out, e);
}

int
st_yaml_get1_str(const struct st_yaml_node *map, const char *key, char **out,
    struct st_err *e)
{
	const char	*s;
	int		 rc;

	*out = NULL;
	if ((rc = st_yaml_get0_str(map, key, &s, e)) != 0 || s == NULL)
		return rc;
	if ((*out = strdup(s)) == NULL)
		return ST_E_NOMEM;
	return 0;
}

int
st_yaml_bool(const struct st_yaml_node *n, bool *out, struct st_err *e)
{
	static const char *const t[] = { "true", "True", "TRUE", NULL };
	static const char *const f[] = { "false", "False", "FALSE", NULL };
	char	buf[64];

	*out = false;
	if (n->kind == ST_YAML_SCALAR && n->plain) {
		if (in_list(t, n->str)) {
			*out = true;
			return 0;
		}
		if (in_list(f, n->str))
			return 0;
	}
	return kerr(n, e, "expected true or false, found %s",
	    shown(n, buf, sizeof(buf)));
}

/* Decimal digits without sign or leading zeros into *v; false on overflow. */
static bool
parse_u64(const char *s, size_t len, uint64_t *v)
{
	size_t	i;

	*v = 0;
	if (len == 0 || (len > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

int
st_yaml_int(const struct st_yaml_node *n, int64_t min, int64_t max,
    int64_t *out, struct st_err *e)
{
	const char	*s;
	uint64_t	 u;
	int64_t		 v;
	bool		 neg = false;
	char		 buf[64];

	*out = 0;
	if (n->kind != ST_YAML_SCALAR || !n->plain)
		return kerr(n, e, "expected an integer, found %s",
		    n->kind == ST_YAML_SCALAR ? "a quoted string" :
		    kind_name(n));
	s = n->str;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!parse_u64(s, strlen(s), &u) || u > (uint64_t)INT64_MAX + neg)
		return kerr(n, e, "expected a decimal integer, found %s",
		    shown(n, buf, sizeof(buf)));
	if (neg)
		v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		v = (int64_t)u;
	if (v < min || v > max)
		return kerr(n, e, "%s is out of range [%lld, %lld]", n->str,
		    (long long)min, (long long)max);
	*out = v;
	return 0;
}

int
st_yaml_duration(const struct st_yaml_node *n, int64_t min, int64_t max,
    int64_t *secs, struct st_err *e)
{
	static const char	units[] = "wdhms";
	static const int64_t	mult[] = { 604800, 86400, 3600, 60, 1 };
	const char		*s, *d, *u;
	uint64_t		 v;
	int64_t			 total = 0;
	int			 last = -1, ui;
	char			 buf[64];

	*secs = 0;
	if (n->kind != ST_YAML_SCALAR || !n->plain || n->len == 0)
		goto bad;
	for (s = n->str; *s != '\0';) {
		for (d = s; *d >= '0' && *d <= '9'; d++)
			;
		if (d == s || *d == '\0' ||
		    (u = strchr(units, *d)) == NULL)
			goto bad;
		ui = (int)(u - units);
		if (ui <= last || !parse_u64(s, (size_t)(d - s), &v) ||
		    v > (uint64_t)(INT64_MAX / mult[ui]) ||
		    total > INT64_MAX - (int64_t)v * mult[ui])
			goto bad;
		total += (int64_t)v * mult[ui];
		last = ui;
		s = d + 1;
	}
	if (total < min || total > max)
		return kerr(n, e,
		    "duration %s (%lld s) is out of range [%lld s, %lld s]",
		    n->str, (long long)total, (long long)min, (long long)max);
	*secs = total;
	return 0;
bad:
	return kerr(n, e,
	    "expected a duration such as 30d, 12h or 1d12h (units w, d, h, m, "
	    "s), found %s", shown(n, buf, sizeof(buf)));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
st_time_format(int64_t t, char *buf, size_t bufsz)
{
	int64_t		z, era, days, secs, y;
	unsigned	doe, yoe, doy, mp, d, m;

	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, bufsz, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y,
	    m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
	    (unsigned)(secs % 60));
}

/* n decimal digits at s into *v. */
static bool
digits(const char *s, int n, unsigned *v)
{
	int	i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/*
 * RFC 3339 section 5.6:
 *   date-time = full-date "T" full-time;  full-time = partial-time
 *   time-offset;  time-offset = "Z" / time-numoffset.
 * Section 5.6's NOTE allows lower-case "t" and "z".  Fractional seconds
 * are refused: X.509 times have whole seconds (RFC 5280 section 4.1.2.5).
 */
int
st_yaml_time(const struct st_yaml_node *n, int64_t *out, struct st_err *e)
{
	static const unsigned	mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };
	const char		*s;
	unsigned		 y, mo, d, h, mi, sec, oh = 0, om = 0, dim;
	int64_t			 t;
	int			 sign = 0;
	char			 buf[64];

	*out = 0;
	if (n->kind != ST_YAML_SCALAR)
		goto bad;
	s = n->str;
	if (n->len < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		goto bad;
	s += 19;
	if (*s == '.')
		return kerr(n, e,
		    "fractional seconds are not supported, found %s",
		    shown(n, buf, sizeof(buf)));
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		sign = 0;
	else if ((*s == '+' || *s == '-') && strlen(s) == 6 &&
	    digits(s + 1, 2, &oh) && s[3] == ':' && digits(s + 4, 2, &om))
		sign = *s == '+' ? 1 : -1;
	else
		goto bad;
	if (mo < 1 || mo > 12)
		goto range;
	dim = mdays[mo - 1];
	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim || h > 23 || mi > 59 || sec > 59 || oh > 23 ||
	    om > 59)
		goto range;
	if (y < 1950)
		return kerr(n, e, "year %u is before 1950 (RFC 5280 section "
		    "4.1.2.5)", y);
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*out = t;
	return 0;
range:
	return kerr(n, e, "date or time field out of range in %s",
	    shown(n, buf, sizeof(buf)));
bad:
	return kerr(n, e,
	    "expected an RFC 3339 date-time such as 2026-01-01T00:00:00Z, "
	    "found %s", shown(n, buf, sizeof(buf)));
}

int
st_yaml_strlist(const struct st_yaml_node *n, const char ***out,
    size_t *nout, struct st_err *e)
{
	const char	**v = NULL;
	size_t		  i;
	int		  rc = ST_E_INTERNAL;

	*out = NULL;
	*nout = 0;
	if (n->kind != ST_YAML_SEQUENCE) {
		rc = kerr(n, e, "expected a list of strings, found %s",
		    kind_name(n));
		goto out;
	}
	if (n->n == 0) {
		rc = 0;
		goto out;
	}
	if ((v = calloc(n->n, sizeof(*v))) == NULL) {
		rc = ST_E_NOMEM;
		goto out;
	}
	for (i = 0; i < n->n; i++)
		if ((rc = st_yaml_str(n->items[i], &v[i], e)) != 0)
			goto out;
	*out = v;
	*nout = n->n;
	v = NULL;
	rc = 0;
out:
	free(v);
	return rc;
}

int
st_yaml_enum(const struct st_yaml_node *n, const char *const *names,
    int *idx, struct st_err *e)
{
	const char	*s;
	char		 buf[256], vb[64];
	int		 i, rc;

	*idx = -1;
	if ((rc = st_yaml_str(n, &s, e)) != 0)
		return rc;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0) {
			*idx = i;
			return 0;
		}
	return kerr(n, e, "unknown value %s (expected one of: %s)",
	    shown(n, vb, sizeof(vb)), join(names, buf, sizeof(buf)));
}
