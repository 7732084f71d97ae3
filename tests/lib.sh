# Shared helpers for shell tests: source it, call ok/fail/check_*, end
# with done_tests (prints "N passed, N failed" and sets the exit status).
# STICA (the binary) and STICA_TOP come from tests/run.sh.
: "${STICA:?run through tests/run.sh or set STICA}"
: "${STICA_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3
t_pass=0
t_fail=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/stica-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

ok() { t_pass=$((t_pass + 1)); [ -z "${TH_VERBOSE:-}" ] || echo "ok   $*"; }
fail() { t_fail=$((t_fail + 1)); echo "FAIL $*"; }

# check NAME COMMAND...: the command must succeed
check() {
	n=$1; shift
	if "$@" >"$T_TMP/out" 2>"$T_TMP/err"; then ok "$n"; else
		fail "$n (exit $?): $(head -c 400 "$T_TMP/err")"; fi
}

# check_exit NAME CODE COMMAND...: the command must exit with CODE
check_exit() {
	n=$1; want=$2; shift 2
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$n"; else
		fail "$n: exit $got, wanted $want: $(head -c 400 "$T_TMP/err")"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		fail "$1: got '$2', wanted '$3'"; fi
}

# check_grep NAME PATTERN FILE
check_grep() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else
		fail "$1: '$2' not in $3: $(head -c 400 "$3")"; fi
}

done_tests() {
	echo "$(basename "$0"): $t_pass passed, $t_fail failed"
	[ "$t_fail" -eq 0 ]
}

# pertn_ee_profile: the per-TN end-entity profile most policies of the
# tests use, as lines of a policy's "profiles:" map.
pertn_ee_profile() {
	cat <<'PEOF'
  pertn-ee:
    kind: per-tn
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    max-entries: 1
    subject: {C: US, CN: "TN {tn}"}
PEOF
}

# pertn_deployment DIR: stica init DIR for 12025500000+100000 with a policy
# of that one profile, which the operator may use for any number in the
# CA's scope: the batch tests' deployment.
pertn_deployment() {
	check_exit "init" 0 "$STICA" init "$1" --range 12025500000+100000
	{
		printf 'version: 1\nprofiles:\n'
		pertn_ee_profile
		cat <<'PEOF'
issuers:
  ca: {profiles: [pertn-ee]}
rules:
  - {name: tn, match: {requester: operator}, issue: {profile: pertn-ee, issuer: ca, scope: requested}}
PEOF
	} >"$1/policy.yaml"
}
