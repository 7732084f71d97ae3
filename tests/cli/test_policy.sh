#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica policy check / explain (docs/policy.md): help and usage errors,
# the summary line of check, every bad file of tests/data/policy/bad with
# its exact "file:line:col: message", warnings, --config cross-checks,
# explain's trace, decision line and exit codes (0 issued, 1 refused, 2
# error), and that the annotated example in docs/policy.md is the tested
# tests/data/policy/good/example.yaml.
. "$(dirname "$0")/../lib.sh"
S=$STICA
T=$T_TMP
D=tests/data/policy
EX=$D/good/example.yaml
cd "$STICA_TOP" || exit 2

# ------------------------------------------------------------------
# help and usage
check_exit "help policy" 0 $S help policy
check_grep "help: usage" '^usage: stica policy check' "$T/out"
check_grep "help: explain usage" 'stica policy explain \(--policy FILE \| --config FILE\)' "$T/out"
check_grep "help: examples" '^Examples:' "$T/out"
cp "$T/out" "$T/help1"
check_exit "policy --help" 0 $S policy --help
check_eq "--help = help policy" "$(cat "$T/out")" "$(cat "$T/help1")"
check_exit "check --help" 0 $S policy check --help
check_eq "check --help = help policy" "$(cat "$T/out")" "$(cat "$T/help1")"
check_exit "stica --help lists policy" 0 $S --help
check_grep "top help" '^  policy +check an issuance policy' "$T/out"
check_exit "no subcommand" 2 $S policy
check_grep "no subcommand: usage on stderr" '^usage: stica policy' "$T/err"
check_exit "unknown subcommand" 2 $S policy lint
check_grep "unknown subcommand: message" "^stica: policy: unknown subcommand 'lint'" "$T/err"
check_exit "check: no file" 2 $S policy check
check_grep "check: no file: message" '^stica: policy check: give a POLICY file or --config; see' "$T/err"
check_exit "check: two files" 2 $S policy check $EX $EX
check_exit "check: unknown option" 2 $S policy check --strict $EX
check_grep "check: unknown option: message" "^stica: policy check: unknown option '--strict'" "$T/err"

# ------------------------------------------------------------------
# check: good files and the summary line
check_exit "check example" 0 $S policy check $EX
check_eq "check example: summary" "$(cat "$T/out")" \
    "$EX: ok: 4 profiles, 1 issuer, 9 rules, 1 SPC mapping"
check_eq "check example: quiet stderr" "$(wc -c <"$T/err")" 0
check_exit "check decide" 0 $S policy check $D/good/decide.yaml
check_eq "check decide: summary" "$(cat "$T/out")" \
    "$D/good/decide.yaml: ok: 4 profiles, 2 issuers, 10 rules, 2 SPC mappings"
check_exit "check minimal" 0 $S policy check $D/good/minimal.yaml
check_eq "check minimal: summary" "$(cat "$T/out")" \
    "$D/good/minimal.yaml: ok: 0 profiles, 0 issuers, 1 rule, 0 SPC mappings"
check_exit "check warnings: still valid" 0 $S policy check $D/good/warnings.yaml
check_eq "check warnings: four" "$(wc -l <"$T/err")" 4
check_grep "check warnings: overlap" "^stica: policy check: $D/good/warnings.yaml:5:12: warning: numbers of SPC 5678 overlap numbers of SPC 1234 \(line 4\)" "$T/err"
check_grep "check warnings: unused profile" "^stica: policy check: $D/good/warnings.yaml:18:3: warning: profile 'spare' is used by no rule$" "$T/err"

# ------------------------------------------------------------------
# check: every bad file, exit 2 and exactly its sidecar's message
nbad=0
for y in $D/bad/*.yaml; do
	n=$(basename "$y" .yaml)
	want=$(grep -v '^#' "$D/bad/$n.err" | head -n 1)
	$S policy check "$y" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "bad $n: exit $rc, wanted 2"
		continue
	fi
	check_eq "bad $n" "$(cat "$T/err")" "stica: policy check: $D/bad/$want"
	check_eq "bad $n: nothing on stdout" "$(wc -c <"$T/out")" 0
	nbad=$((nbad + 1))
done
[ $nbad -ge 100 ] && ok "bad files: $nbad" || fail "bad files: only $nbad"

check_exit "check: missing file" 2 $S policy check "$T/nope.yaml"
check_grep "check: missing file: message" "^stica: policy check: .*nope.yaml" "$T/err"

# ------------------------------------------------------------------
# check --config: the policy named by stica.yaml, issuer names cross-checked
mkdir -p "$T/dep"
cp $EX "$T/dep/policy.yaml"
cat >"$T/dep/stica.yaml" <<'EOF'
hsm: {token: "pkcs11:token=t;pin-source=file:pin"}
store: sqlite:stica.db
issuers:
  - name: ca
    key: "pkcs11:token=t;object=ca"
    certificate: ca.pem
policy: policy.yaml
EOF
check_exit "check --config" 0 $S policy check --config "$T/dep/stica.yaml"
check_eq "check --config: summary" "$(cat "$T/out")" \
    "$T/dep/policy.yaml: ok: 4 profiles, 1 issuer, 9 rules, 1 SPC mapping"
check_exit "check --config FILE" 0 $S policy check --config "$T/dep/stica.yaml" $EX
sed -e 's/name: ca$/name: ca-2024/' "$T/dep/stica.yaml" >"$T/dep/other.yaml"
check_exit "check --config: unknown issuer" 2 $S policy check --config "$T/dep/other.yaml"
check_eq "check --config: unknown issuer: message" "$(cat "$T/err")" \
    "stica: policy check: $T/dep/policy.yaml: issuer 'ca' is not among the issuers of $T/dep/other.yaml"
grep -v '^policy:' "$T/dep/stica.yaml" >"$T/dep/nopol.yaml"
check_exit "check --config without policy" 2 $S policy check --config "$T/dep/nopol.yaml"
check_grep "check --config without policy: message" "names no policy file" "$T/err"

# ------------------------------------------------------------------
# explain
ex() { $S policy explain --policy $EX "$@"; }

check_exit "explain: sms number issued" 0 ex --requester account:17 \
    --proof sms-link-00 --tnauthlist tn:12025550123
check_eq "explain: sms: decision" "$(tail -n 1 "$T/out")" \
    "decision: issue: rule 'sms-number', profile 'per-tn', issuer 'ca', scope requested, lifetime 7d, backdate 1h"
check_eq "explain: sms: one line per rule tried, then the decision" \
    "$(wc -l <"$T/out")" 8
check_grep "explain: sms: skipped line" \
    "^rule 'token-shaken' \($EX:128\): skipped: proof sms-link-00 not in \[tkauth-01\]$" "$T/out"
check_grep "explain: sms: matched line" \
    "^rule 'sms-number' \($EX:167\): matched: issue: profile 'per-tn', issuer 'ca', scope requested, lifetime 7d, backdate 1h; key type not given, not judged$" "$T/out"

check_exit "explain: sms elsewhere refused" 1 ex --requester account:17 \
    --proof sms-link-00 --tnauthlist tn:13035550123
check_grep "explain: sms elsewhere: why sms-number was skipped" \
    "^rule 'sms-number' .*: skipped: the requested scope is not within \[spc:1234\]: RFC 9060 section 4: tn:13035550123 is not encompassed" "$T/out"
check_eq "explain: sms elsewhere: decision" "$(tail -n 1 "$T/out")" \
    "decision: refused: rule 'sms-other': sms-link-00 proves one number of SPC 1234 for an end-entity certificate, nothing else"

check_exit "explain: delegate CA by token" 0 ex --requester account:9 \
    --proof tkauth-01 --token-authority stica-ta --ca --key-type ec-p384 \
    --tnauthlist range:12025550000+100 tn:12025559999
check_eq "explain: delegate CA: decision" "$(tail -n 1 "$T/out")" \
    "decision: issue: rule 'token-delegate-ca', profile 'delegate-ca', issuer 'ca', scope [spc:1234], lifetime 365d, backdate 1h"
check_exit "explain: delegate CA, RSA key" 1 ex --requester account:9 \
    --proof tkauth-01 --token-authority stica-ta --ca --key-type rsa-2048 \
    --tnauthlist range:12025550000+100
check_eq "explain: RSA: decision" "$(tail -n 1 "$T/out")" \
    "decision: refused: rule 'token-delegate-ca': key type rsa-2048 is not among the key-types of profile 'delegate-ca' [ec-p256, ec-p384]"
check_exit "explain: token lifetime caps" 0 ex --requester account:9 \
    --proof tkauth-01 --token-authority sti-pa --max-lifetime 2d \
    --tnauthlist spc:1234
check_eq "explain: capped: decision" "$(tail -n 1 "$T/out")" \
    "decision: issue: rule 'token-shaken', profile 'shaken', issuer 'ca', scope [spc:1234], lifetime 2d1h, backdate 1h"
check_grep "explain: capped: trace says so" "lifetime 2d1h \(capped by the request\)" "$T/out"
check_exit "explain: unknown token authority" 1 ex --requester account:9 \
    --proof tkauth-01 --token-authority acme-ta --tnauthlist spc:1234
check_grep "explain: unknown TA: skipped" "skipped: token authority acme-ta not in \[sti-pa\]" "$T/out"
check_eq "explain: unknown TA: decision" "$(tail -n 1 "$T/out")" \
    "decision: refused: rule 'everything-else': no rule allows this request"
check_exit "explain: operator, SPC" 0 ex --requester operator --tnauthlist spc:1234
check_eq "explain: operator: first rule decides" "$(wc -l <"$T/out")" 2
check_exit "explain: operator, ATIS SPC alphabet" 1 ex --requester operator \
    --proof operator --tnauthlist spc:12ab
check_grep "explain: ATIS alphabet" 'uppercase letters" \(spc:12ab\)$' "$T/out"
check_exit "explain: --profile pin" 1 ex --requester operator \
    --profile tn-block --tnauthlist spc:1234
check_grep "explain: pin: skipped" "^rule 'operator-shaken' .*: skipped: the request asks for profile 'tn-block', the rule issues 'shaken'$" "$T/out"
check_exit "explain: --issuer pin" 1 ex --requester operator --issuer ca2 \
    --tnauthlist spc:1234
check_eq "explain: issuer pin: decision" "$(tail -n 1 "$T/out")" \
    "decision: refused: rule 'everything-else': no rule allows this request"
check_exit "explain: --config" 0 $S policy explain --config "$T/dep/stica.yaml" \
    --requester account:17 --proof sms-link-00 --tnauthlist tn:12025550123
check_grep "explain: --config: trace names the policy file" "\($T/dep/policy.yaml:167\): matched" "$T/out"

# explain: errors (exit 2, one line)
check_exit "explain: bad SPEC" 2 ex --requester operator --tnauthlist range:1+9
check_eq "explain: bad SPEC: message" "$(cat "$T/err")" \
    "stica: policy explain: TNAuthList entry 1 (range): RFC 8226 section 9: start + count must be less than 10^1; 1 + 9 = 10"
check_exit "explain: no --requester" 2 ex --proof sms-link-00 --tnauthlist tn:1
check_grep "explain: no --requester: message" "^stica: policy explain: --requester is required" "$T/err"
check_exit "explain: bad --requester" 2 ex --requester bob --proof sms-link-00 --tnauthlist tn:1
check_grep "explain: bad --requester: message" "wants account:ID or operator, not 'bob'" "$T/err"
check_exit "explain: account without --proof" 2 ex --requester account:1 --tnauthlist tn:1
check_exit "explain: account with proof operator" 2 ex --requester account:1 \
    --proof operator --tnauthlist tn:1
check_grep "explain: proof operator: message" "an operator request has proof operator" "$T/err"
check_exit "explain: TA without tkauth" 2 ex --requester account:1 \
    --proof sms-link-00 --token-authority sti-pa --tnauthlist tn:1
check_exit "explain: bad --proof" 2 ex --requester account:1 --proof http-01 --tnauthlist tn:1
check_grep "explain: bad --proof: message" "unknown proof 'http-01'" "$T/err"
check_exit "explain: bad --key-type" 2 ex --requester operator --key-type ed25519 --tnauthlist tn:1
check_exit "explain: bad --max-lifetime" 2 ex --requester operator --max-lifetime 3days --tnauthlist tn:1
check_exit "explain: zero --max-lifetime" 2 ex --requester operator --max-lifetime 0s --tnauthlist tn:1
check_exit "explain: no SPEC" 2 ex --requester operator
check_exit "explain: SPEC before --tnauthlist" 2 ex --requester operator tn:1
check_exit "explain: both --policy and --config" 2 $S policy explain --policy $EX \
    --config "$T/dep/stica.yaml" --requester operator --tnauthlist tn:1
check_exit "explain: invalid policy" 2 $S policy explain --policy $D/bad/atis-cn.yaml \
    --requester operator --tnauthlist spc:1234
check_eq "explain: invalid policy: message" "$(cat "$T/err")" \
    "stica: policy explain: $D/bad/$(grep -v '^#' $D/bad/atis-cn.err)"
check_eq "explain: invalid policy: no trace" "$(wc -c <"$T/out")" 0

# docs/policy.md's table "What it does, request by request": rule, exit
while IFS='|' read -r args rule code; do
	[ -n "$args" ] || continue
	# word splitting of $args is intended
	ex $args >"$T/out" 2>"$T/err"
	got=$?
	check_eq "docs table: $args: exit" "$got" "$code"
	check_grep "docs table: $args: rule" "^decision: .*rule '$rule'" "$T/out"
done <<'EOF'
--requester operator --tnauthlist spc:1234|operator-shaken|0
--requester operator --tnauthlist range:12025550000+100|operator-numbers|0
--requester operator --ca --tnauthlist range:12025550000+100|operator-delegate-ca|0
--requester account:1 --proof tkauth-01 --token-authority sti-pa --tnauthlist spc:1234|token-shaken|0
--requester account:1 --proof tkauth-01 --token-authority stica-ta --ca --tnauthlist range:12025550000+100|token-delegate-ca|0
--requester account:1 --proof tkauth-01 --token-authority stica-ta --tnauthlist spc:1234|everything-else|1
--requester account:1 --proof sms-link-00 --tnauthlist tn:12025550123|sms-number|0
--requester account:1 --proof sms-link-00 --tnauthlist tn:13035550123|sms-other|1
--requester account:1 --proof sms-link-00 --tnauthlist range:12025550000+2|sms-other|1
EOF

# ------------------------------------------------------------------
# docs/policy.md: its annotated example is the tested example.yaml
awk '/^```yaml$/ { if (!done) { inb = 1; next } } /^```$/ { if (inb) { inb = 0; done = 1 } }
    inb' docs/policy.md >"$T/doc-example.yaml"
check_eq "docs example = good/example.yaml" \
    "$(cmp -s "$T/doc-example.yaml" $EX && echo same || echo differs)" same
check_exit "docs example checks" 0 $S policy check "$T/doc-example.yaml"

done_tests
