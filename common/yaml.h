/* SPDX-License-Identifier: ISC */
/*
 * common/yaml: a small, strict YAML loader over libyaml for stica's
 * configuration, policy and ceremony files.
 *
 * The whole document is read into a read-only tree of mapping, sequence
 * and scalar nodes, each with its 1-based line and column.  Scalars keep
 * their text verbatim (no YAML 1.1 type guessing: "NO" stays "NO", "0123"
 * stays "0123"); the typed getters below decide what a scalar means, and
 * every error they report starts with "file:line:col: ".
 *
 * Refused at load time: anchors and aliases, explicit tags, more than one
 * document, duplicate keys in a mapping, keys that are not scalars, null
 * keys, scalars containing NUL, nesting deeper than ST_YAML_MAXDEPTH.
 * libyaml's own syntax errors are reported as "file:line:col: <problem>".
 *
 * Nodes are owned by their document and live until st_yaml_free.
 */
#ifndef STICA_COMMON_YAML_H
#define STICA_COMMON_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define ST_YAML_MAXDEPTH 64
/* Largest file st_yaml_load_file reads. */
#define ST_YAML_MAXFILE	 (64u * 1024 * 1024)

enum st_yaml_kind {
	ST_YAML_SCALAR = 1,
	ST_YAML_SEQUENCE = 2,
	ST_YAML_MAPPING = 3
};

/*
 * A node.  Read-only for callers.  For a mapping, keys[i] is the (scalar)
 * key of items[i]; for a sequence keys is NULL.
 */
struct st_yaml_node {
	enum st_yaml_kind	  kind;
	unsigned		  line;	/* 1-based */
	unsigned		  col;	/* 1-based */
	const char		 *file;	/* the document's name */
	const char		 *key;	/* key this node is the value of, or NULL */
	/* ST_YAML_SCALAR */
	char			 *str;	/* NUL-terminated, no embedded NUL */
	size_t			  len;
	bool			  plain;	/* unquoted (plain style) */
	/* ST_YAML_SEQUENCE, ST_YAML_MAPPING */
	struct st_yaml_node	**items;
	struct st_yaml_node	**keys;
	size_t			  n;
};

struct st_yaml_doc;

/*
 * Parse a YAML text; name is used in error messages (a file name).  An
 * empty document has a null scalar as its root.  Errors: ST_E_SYNTAX,
 * ST_E_NOMEM.
 */
int	st_yaml_load_buf(const char *name, const void *p, size_t len,
    struct st_yaml_doc **out, struct st_err *e) ST_MUSTCHECK;
/* Read path (at most ST_YAML_MAXFILE bytes) and parse it. */
int	st_yaml_load_file(const char *path, struct st_yaml_doc **out,
    struct st_err *e) ST_MUSTCHECK;
void	st_yaml_free(struct st_yaml_doc *);

/* The root node (borrowed, never NULL) and the document's name. */
const struct st_yaml_node *st_yaml_root(const struct st_yaml_doc *);
const char *st_yaml_name(const struct st_yaml_doc *);

/* Is n a plain "", "~", "null", "Null" or "NULL" scalar? */
bool	st_yaml_is_null(const struct st_yaml_node *n);

/*
 * The value of key in mapping map, or NULL when map is NULL, is not a
 * mapping, or has no such key.  Borrowed.
 */
const struct st_yaml_node *st_yaml_get(const struct st_yaml_node *map,
    const char *key);

/*
 * Strict schema for one mapping, called name in messages: map must be a
 * mapping, each key must be in allowed (NULL-terminated), and each key in
 * required (NULL-terminated, may be NULL) must be present.  Errors, all
 * ST_E_SYNTAX:
 *   file:line:col: 'name' must be a mapping (found a sequence)
 *   file:line:col: unknown key 'x' (expected one of: a, b, c)
 *   file:line:col: missing required key 'x' in 'name'
 * The position is the offending key's, or the mapping's for a missing key.
 */
int	st_yaml_check_map(const struct st_yaml_node *map, const char *name,
    const char *const *allowed, const char *const *required,
    struct st_err *e) ST_MUSTCHECK;

/*
 * Typed getters.  n must not be NULL.  The out-parameter is cleared on
 * entry and set on success.  Errors are ST_E_SYNTAX with "file:line:col:
 * 'key': <problem> (<value>)", key being the node's key when it has one.
 */

/* A non-null scalar, any style.  *out is borrowed from the document. */
int	st_yaml_str(const struct st_yaml_node *n, const char **out,
    struct st_err *e) ST_MUSTCHECK;
/*
 * The string of key in mapping map as st_yaml_str reads it, borrowed
 * from the document (get0) or copied, malloc'd (get1); *out stays NULL
 * when map has no such key.
 */
int	st_yaml_get0_str(const struct st_yaml_node *map, const char *key,
    const char **out, struct st_err *e) ST_MUSTCHECK;
int	st_yaml_get1_str(const struct st_yaml_node *map, const char *key,
    char **out, struct st_err *e) ST_MUSTCHECK;
/* A plain true/false (also True, TRUE, False, FALSE; YAML 1.2 core). */
int	st_yaml_bool(const struct st_yaml_node *n, bool *out,
    struct st_err *e) ST_MUSTCHECK;
/* A plain decimal integer in [min, max]; no leading zeros. */
int	st_yaml_int(const struct st_yaml_node *n, int64_t min, int64_t max,
    int64_t *out, struct st_err *e) ST_MUSTCHECK;
/*
 * A duration: one or more <digits><unit> groups with units w, d, h, m, s
 * in that order, each at most once ("30d", "12h", "1d12h", "90s"), in
 * seconds, within [min, max].
 */
int	st_yaml_duration(const struct st_yaml_node *n, int64_t min,
    int64_t max, int64_t *secs, struct st_err *e) ST_MUSTCHECK;
/*
 * An RFC 3339 section 5.6 date-time ("2026-01-01T00:00:00Z", or with a
 * "+hh:mm"/"-hh:mm" offset), whole seconds only, years 1950..9999, as
 * seconds since the epoch (UTC).
 */
int	st_yaml_time(const struct st_yaml_node *n, int64_t *out,
    struct st_err *e) ST_MUSTCHECK;
/*
 * A sequence of non-null scalars.  *out is a malloc'd array of *nout
 * pointers borrowed from the document (free the array only); an empty
 * sequence gives *out == NULL, *nout == 0.
 */
int	st_yaml_strlist(const struct st_yaml_node *n, const char ***out,
    size_t *nout, struct st_err *e) ST_MUSTCHECK;
/*
 * A scalar equal to one of names (NULL-terminated); *idx is its index.
 * Error: "'key': unknown value 'x' (expected one of: a, b)".
 */
int	st_yaml_enum(const struct st_yaml_node *n, const char *const *names,
    int *idx, struct st_err *e) ST_MUSTCHECK;

/*
 * Record an error about node n in e as "file:line:col: <message>" and
 * return code.  For callers' own semantic checks.
 */
int	st_yaml_err(const struct st_yaml_node *n, struct st_err *e, int code,
    const char *fmt, ...) ST_PRINTF(4, 5);

/* Format a time as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void	st_time_format(int64_t t, char *buf, size_t bufsz);

#endif /* STICA_COMMON_YAML_H */
