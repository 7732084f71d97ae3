/* SPDX-License-Identifier: ISC */
/*
 * policy/: the small syntaxes of a policy file and of a request: SPECs
 * (one TNAuthList entry, RFC 8226 section 9 and Appendix A), names of
 * kinds, modes, key types and proofs, and durations.
 *
 * policy/ cannot call ca/ (it sits below it), so the SPEC rules that do
 * not need the scope algebra are checked here: the TelephoneNumber
 * alphabet and length, COUNT >= 2, START + COUNT < 10^D.  ca/ checks them
 * again when it encodes a certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

static const char *const kind_names[] = { "spc", "tn-block", "per-tn" };
static const char *const mode_names[] = { "rfc9060", "atis-1000080" };
static const char *const key_names[] = { "none", "ec-p256", "ec-p384",
	"rsa-2048", "rsa-3072" };
static const char *const proof_names[] = { "tkauth-01", "sms-link-00",
	"operator" };
static const char *const entry_names[] = { "spc", "tn", "range" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
pol_kind_name(enum pol_kind k)
{
	return (size_t)k < NELEM(kind_names) ? kind_names[k] : "?";
}

const char *
pol_mode_name(enum pol_mode m)
{
	return (size_t)m < NELEM(mode_names) ? mode_names[m] : "?";
}

const char *
pol_key_type_name(enum pol_key_type t)
{
	return (size_t)t < NELEM(key_names) ? key_names[t] : "?";
}

const char *
pol_proof_name(enum pol_proof p)
{
	return (size_t)p < NELEM(proof_names) ? proof_names[p] : "?";
}

const char *
pol_entry_name(enum pol_entry ent)
{
	return (size_t)ent < NELEM(entry_names) ? entry_names[ent] : "?";
}

/* Key types as a request names them; "none" is not a key type. */
int
pol_key_type_parse(const char *s, enum pol_key_type *out, struct st_err *e)
{
	size_t	i;

	*out = POL_KEY_NONE;
	for (i = 1; s != NULL && i < NELEM(key_names); i++)
		if (strcmp(s, key_names[i]) == 0) {
			*out = (enum pol_key_type)i;
			return 0;
		}
	return st_err_set(e, ST_E_USAGE, "unknown key type '%.64s' (expected "
	    "one of: ec-p256, ec-p384, rsa-2048, rsa-3072)", s ? s : "");
}

int
pol_proof_parse(const char *s, enum pol_proof *out, struct st_err *e)
{
	size_t	i;

	*out = POL_PROOF_TKAUTH;
	for (i = 0; s != NULL && i < NELEM(proof_names); i++)
		if (strcmp(s, proof_names[i]) == 0) {
			*out = (enum pol_proof)i;
			return 0;
		}
	return st_err_set(e, ST_E_USAGE, "unknown proof '%.64s' (expected one "
	    "of: tkauth-01, sms-link-00, operator)", s ? s : "");
}

/*
 * Names of profiles, issuers, rules and token authorities: a letter or
 * digit, then letters, digits, '.', '_' or '-', at most 64 in all.  They
 * appear in messages, traces, the store and the audit log, so nothing
 * that needs quoting is allowed.
 */
bool
pol_name_ok(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 64)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return false;
	}
	return true;
}

bool
pol_kind_admits(enum pol_kind k, enum pol_entry ent)
{
	switch (k) {
	case POL_KIND_SPC:
		return ent == POL_ENTRY_SPC;
	case POL_KIND_TN_BLOCK:
		return ent == POL_ENTRY_TN || ent == POL_ENTRY_RANGE;
	case POL_KIND_PER_TN:
		return ent == POL_ENTRY_TN;
	}
	return false;
}

/* 10^d for d in 0..19. */
static uint64_t
pow10u(unsigned d)
{
	uint64_t	v = 1;

	while (d-- > 0)
		v *= 10;
	return v;
}

/*
 * Digits (no sign, no leading '+') of at most maxlen characters into *v.
 * Leading zeros are allowed: telephone numbers and range starts keep
 * them (their length D matters, RFC 8226 section 9).
 */
static bool
parse_digits(const char *s, size_t len, size_t maxlen, uint64_t *v)
{
	size_t	i;

	*v = 0;
	if (len == 0 || len > maxlen)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

/* A decimal COUNT: digits only, no leading zero, at most 19 digits. */
static bool
parse_count(const char *s, uint64_t *v)
{
	size_t	len = strlen(s);

	if (len == 0 || (len > 1 && s[0] == '0'))
		return false;
	return parse_digits(s, len, 19, v);
}

int
pol_spec_parse(const char *spec, struct pol_spec *out, struct st_err *e)
{
	const char	*v, *plus;
	uint64_t	 count;
	size_t		 i, len;

	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "spc:", 4) == 0) {
		v = spec + 4;
		len = strlen(v);
		if (len == 0 || len > 255)
			return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 "
			    "section 9: a ServiceProviderCode must be 1 to 255 "
			    "characters", spec);
		for (i = 0; i < len; i++)
			if (v[i] < 0x21 || v[i] > 0x7e)
				return st_err_set(e, ST_E_SYNTAX, "'%.80s': a "
				    "ServiceProviderCode must be visible ASCII "
				    "(an IA5String without spaces or control "
				    "characters)", spec);
		out->kind = POL_ENTRY_SPC;
		out->value = v;
		out->vlen = len;
		return 0;
	}
	if (strncmp(spec, "tn:", 3) == 0 || strncmp(spec, "one:", 4) == 0) {
		v = spec + (spec[0] == 't' ? 3 : 4);
		len = strlen(v);
		if (len == 0 || len > 15 || strspn(v, "0123456789#*") != len)
			return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 "
			    "Appendix A: a TelephoneNumber is 1 to 15 of "
			    "0123456789#*", spec);
		out->kind = POL_ENTRY_TN;
		out->value = v;
		out->vlen = len;
		out->digits = (unsigned)len;
		out->wild = strspn(v, "0123456789") != len;
		if (!out->wild) {
			(void)parse_digits(v, len, 15, &out->lo);
			out->hi = out->lo;
		}
		return 0;
	}
	if (strncmp(spec, "range:", 6) != 0)
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': expected spc:CODE, "
		    "tn:DIGITS or range:START+COUNT", spec);
	v = spec + 6;
	if ((plus = strchr(v, '+')) == NULL || !parse_count(plus + 1, &count))
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': expected "
		    "range:START+COUNT with a decimal COUNT", spec);
	len = (size_t)(plus - v);
	if (len > 0 && len <= 15 && strspn(v, "0123456789#*") >= len &&
	    strspn(v, "0123456789") < len)
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 section "
		    "9: the count is only applicable to a start without '*' "
		    "or '#'", spec);
	if (!parse_digits(v, len, 15, &out->lo))
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 Appendix "
		    "A: a range START is a TelephoneNumber of 1 to 15 digits",
		    spec);
	if (count < 2)
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 Appendix "
		    "A: count INTEGER (2..MAX)", spec);
	if (count >= pow10u((unsigned)len) ||
	    out->lo + count >= pow10u((unsigned)len))
		return st_err_set(e, ST_E_SYNTAX, "'%.80s': RFC 8226 section "
		    "9: START + COUNT must be less than 10^%zu (the count must "
		    "not make the number longer)", spec, len);
	out->kind = POL_ENTRY_RANGE;
	out->value = v;
	out->vlen = len;
	out->digits = (unsigned)len;
	out->hi = out->lo + count - 1;
	return 0;
}

int
pol_spec_check(const char *spec, struct st_err *e)
{
	struct pol_spec	s;

	if (spec == NULL)
		return st_err_set(e, ST_E_USAGE, "SPEC: no value");
	return pol_spec_parse(spec, &s, e);
}

/*
 * Durations: <digits><unit> groups, units w d h m s, each at most once
 * and in that order, the grammar of common/yaml's st_yaml_duration, so a
 * command line and a policy file read the same way.
 */
int
pol_duration_parse(const char *s, int64_t *secs, struct st_err *e)
{
	static const char	units[] = "wdhms";
	static const int64_t	mult[] = { 604800, 86400, 3600, 60, 1 };
	const char		*p, *d, *u;
	uint64_t		 v;
	int64_t			 total = 0;
	int			 last = -1, ui;

	*secs = 0;
	if (s == NULL || *s == '\0')
		goto bad;
	for (p = s; *p != '\0';) {
		for (d = p; *d >= '0' && *d <= '9'; d++)
			;
		if (d == p || *d == '\0' || (u = strchr(units, *d)) == NULL)
			goto bad;
		ui = (int)(u - units);
		if (ui <= last || !parse_digits(p, (size_t)(d - p), 15, &v) ||
		    (d - p > 1 && *p == '0') ||
		    v > (uint64_t)(INT64_MAX / mult[ui]) ||
		    total > INT64_MAX - (int64_t)v * mult[ui])
			goto bad;
		total += (int64_t)v * mult[ui];
		last = ui;
		p = d + 1;
	}
	*secs = total;
	return 0;
bad:
	return st_err_set(e, ST_E_USAGE, "'%.64s': expected a duration such "
	    "as 30d, 12h or 1d12h (units w, d, h, m, s)", s ? s : "");
}

int
pol_duration_format(int64_t secs, char *buf, size_t bufsz)
{
	static const char	units[] = "dhms";
	static const int64_t	mult[] = { 86400, 3600, 60, 1 };
	size_t			i, n = 0;
	int			w;

	if (bufsz == 0)
		return 0;
	buf[0] = '\0';
	if (secs <= 0)
		return snprintf(buf, bufsz, "%llds", (long long)secs);
	for (i = 0; i < 4; i++) {
		if (secs < mult[i])
			continue;
		w = snprintf(buf + n, bufsz - n, "%lld%c",
		    (long long)(secs / mult[i]), units[i]);
		if (w < 0)
			return w;
		n += (size_t)w;
		if (n >= bufsz)
			return (int)n;
		secs %= mult[i];
	}
	return (int)n;
}
