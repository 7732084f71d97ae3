#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica init end to end: the files and their modes, PINs never printed,
# the ceremony transcript and the chain judged by openssl, the token
# usable from its final place (a CRL ceremony replayed with the
# deployment's own files), scope options, refusal of an initialised or
# non-empty DIR with nothing changed, and failing inits that leave no
# DIR and no temporary directory behind.
. "${STICA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

# stica init makes its own token: keep SoftHSM away from the system
# token directory even if SOFTHSM2_CONF leaks from the environment.
unset SOFTHSM2_CONF
P=$T_TMP/p
mkdir -p "$P"
D=$P/dev

snap() { # a listing of a tree: names, modes, sizes, checksums
	(cd "$1" && find . -type f -exec sha256sum {} + | sort &&
	    find . -exec stat -c '%n %a %s' {} + | sort)
}

# --- a fresh deployment ----------------------------------------------------
check_exit "init" 0 "$STICA" init "$D"
O=$T_TMP/init.out
cp "$T_TMP/out" "$O"
for f in softhsm2.conf pin so-pin root.pem root.pub.pem ca.pem ca.pub.pem \
    chain.pem policy.yaml stica.yaml ceremonies/root.yaml \
    ceremonies/ca.yaml; do
	check "file $f" test -f "$D/$f"
done
check "token directory" test -d "$D/tokens"
check_eq "DIR mode 0700" "$(stat -c %a "$D")" 700
check_eq "pin mode 0600" "$(stat -c %a "$D/pin")" 600
check_eq "so-pin mode 0600" "$(stat -c %a "$D/so-pin")" 600
check_eq "pin length" "$(wc -c <"$D/pin" | tr -d ' ')" 24
check_eq "PINs differ" "$(cmp -s "$D/pin" "$D/so-pin" && echo same)" ""
check_eq "user PIN not printed" "$(grep -cF "$(cat "$D/pin")" "$O")" 0
check_eq "SO PIN not printed" "$(grep -cF "$(cat "$D/so-pin")" "$O")" 0
check_eq "no temporary directory left" \
    "$(find "$P" -maxdepth 1 -name '.dev.init-*' | wc -l | tr -d ' ')" 0
check_eq "no temporary path in DIR" \
    "$(grep -rl 'init-' "$D" --include='*.yaml' --include='*.conf' | wc -l |
    tr -d ' ')" 0
check_grep "softhsm2.conf names the final token directory" \
    "^directories.tokendir = $D/tokens\$" "$D/softhsm2.conf"
check "chain verifies (openssl verify)" \
    openssl verify -x509_strict -CAfile "$D/root.pem" "$D/ca.pem"
check_grep "openssl says OK" ": OK$" "$T_TMP/out"
check "chain.pem is the CA certificate" cmp "$D/chain.pem" "$D/ca.pem"
# The transcript is a real ceremony transcript of both certificates.
check_grep "transcript: root ceremony" "=== stica key ceremony: root ===" "$O"
check_grep "transcript: CA ceremony" \
    "=== stica key ceremony: intermediate ===" "$O"
check_eq "transcript: two completed ceremonies" \
    "$(grep -c '=== ceremony complete ===' "$O")" 2
awk '/^-----BEGIN CERTIFICATE-----$/ { n++ } n == 1 { print }
    /^-----END CERTIFICATE-----$/ && n == 1 { exit }' "$O" >"$T_TMP/r.pem"
awk '/^-----BEGIN CERTIFICATE-----$/ { n++ } n == 2 { print }
    /^-----END CERTIFICATE-----$/ && n == 2 { exit }' "$O" >"$T_TMP/c.pem"
check "transcript root = root.pem" cmp "$T_TMP/r.pem" "$D/root.pem"
check "transcript CA = ca.pem" cmp "$T_TMP/c.pem" "$D/ca.pem"
check "transcript chain verifies" openssl verify -CAfile "$T_TMP/r.pem" \
    "$T_TMP/c.pem"
check_grep "summary names the chain file" "chain file: +chain.pem" "$O"
check "default scope" "$STICA" tnauthlist decode --cert "$D/ca.pem"
check_eq "default scope is 202-555-0100..0199" "$(cat "$T_TMP/out")" \
    "range:12025550100+100"
check_grep "stica.yaml: store" '^store: "sqlite:stica.db"$' "$D/stica.yaml"
check_grep "stica.yaml: token" 'pkcs11:token=stica-dev;pin-source=file:pin' \
    "$D/stica.yaml"
check_grep "stica.yaml: issuer key" \
    'object=stica-dev-ca;type=private' "$D/stica.yaml"
check_grep "stica.yaml: policy" '^policy: policy.yaml$' "$D/stica.yaml"
check "starter policy passes stica policy check" "$STICA" policy check \
    "$D/policy.yaml"

# --- the token works from its final place ------------------------------------
check "hsm list on the deployment" env SOFTHSM2_CONF="$D/softhsm2.conf" \
    "$STICA" hsm list --token "pkcs11:token=stica-dev;pin-source=file:$D/pin"
check_grep "root key in the token" "key 'stica-dev-root'" "$T_TMP/out"
check_grep "CA key in the token" "key 'stica-dev-ca'" "$T_TMP/out"
check_grep "keys are never extractable" "never-extractable=yes" "$T_TMP/out"
# Replay: a CRL ceremony written next to the deployment's own ceremony
# files, using their pkcs11 section (relative pin-source, softhsm2-conf).
{
	echo "ceremony-type: crl"
	sed -n '/^pkcs11:/,/^  softhsm2-conf:/p' "$D/ceremonies/ca.yaml"
	cat <<EOF
signing-key:
  label: stica-dev-ca
  certificate: ../ca.pem
crl-profile:
  number: 1
  this-update: $(date -u -d '+1 hour' +%Y-%m-%dT%H:00:00Z)
  next-update: $(date -u -d '+8 days' +%Y-%m-%dT00:00:00Z)
outputs:
  crl: ../ca.crl.pem
EOF
} >"$D/ceremonies/crl.yaml"
check "CRL ceremony with the deployment's files" "$STICA" ceremony \
    "$D/ceremonies/crl.yaml"
check "the CA's CRL verifies" openssl crl -in "$D/ca.crl.pem" \
    -CAfile "$D/ca.pem" -verify -noout
rm -f "$D/ceremonies/crl.yaml" "$D/ca.crl.pem"

# --- refusals ---------------------------------------------------------------
before=$(snap "$D")
check_exit "second init refused" 2 "$STICA" init "$D"
check_grep "second init: message" "already initialised" "$T_TMP/err"
check_eq "second init changed nothing" "$(snap "$D")" "$before"
mkdir "$P/other"
echo keep >"$P/other/file"
check_exit "non-empty DIR refused" 2 "$STICA" init "$P/other"
check_grep "non-empty: message" "exists and is not empty" "$T_TMP/err"
check_eq "non-empty DIR untouched" "$(ls -A "$P/other")" "file"
echo x >"$P/plain"
check_exit "DIR that is a file refused" 2 "$STICA" init "$P/plain"
check_exit "bad --range refused" 2 "$STICA" init "$P/bad" --range 12025550100+1
check_grep "bad --range: RFC rule" "RFC 8226" "$T_TMP/err"
check_eq "bad --range: no DIR" "$(ls -A "$P" | grep -c bad)" 0
check_exit "no DIR: usage" 2 "$STICA" init
check_exit "help" 0 "$STICA" help init

# --- the ceremonies are in the deployment's audit log (issue 4, item 5) ---------
PY=/usr/bin/python3
check "audit export" "$STICA" audit export --config "$D/stica.yaml"
cp "$T_TMP/out" "$T_TMP/audit.jsonl"
check "audit verify" "$STICA" audit verify --config "$D/stica.yaml"
# Independently of stica: the events in order, each ceremony-end's output
# digests equal to sha256sum of the files init renamed into DIR.
cat >"$T_TMP/audit.py" <<'PYEOF'
import hashlib, json, os, sys
d, path = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(path)]
ev = [o["event"] for o in lines]
assert ev[0] == "init", ev
assert lines[0]["dir"] == d and lines[0]["token"] == "stica-dev"
ends = [o for o in lines if o["event"] == "ceremony-end"]
assert [o["ceremony"] for o in ends] == ["root", "intermediate"], ends
steps = [o for o in lines if o["event"] == "ceremony-step"]
assert any("generate key pair" in o["action"] for o in steps), steps
for o in ends:
    assert o["result"] == "complete", o
    for k in ("public-key", "certificate"):
        name = os.path.basename(o[k]["path"])
        got = hashlib.sha256(open(os.path.join(d, name), "rb").read())
        assert got.hexdigest() == o[k]["sha256"], (name, o)
for c in ("root", "intermediate"):
    n = [o["step"] for o in steps if o["ceremony"] == c]
    assert len(n) >= 4 and n == list(range(1, len(n) + 1)), n
print("ok", len(lines))
PYEOF
check "init, root and CA ceremonies audited (python)" $PY "$T_TMP/audit.py" \
    "$D" "$T_TMP/audit.jsonl"
# stica ceremony --config appends to the same log; a failing one says so.
cat >"$T_TMP/k.yaml" <<KEOF
ceremony-type: key-only
pkcs11:
  module: /usr/lib/softhsm/libsofthsm2.so
  token: "pkcs11:token=stica-dev;pin-source=file:$D/pin"
  softhsm2-conf: $D/softhsm2.conf
key:
  label: audited-key
outputs:
  public-key: $T_TMP/audited.pub.pem
KEOF
check "key-only ceremony with --config" "$STICA" ceremony --config \
    "$D/stica.yaml" "$T_TMP/k.yaml"
check "audit export after it" "$STICA" audit export --config "$D/stica.yaml"
check_eq "its end line: complete, the output's digest" \
    "$(tail -n 1 "$T_TMP/out" | $PY -c 'import json,sys; o=json.load(sys.stdin); print(o["event"], o["ceremony"], o["result"], o["public-key"]["sha256"])')" \
    "ceremony-end key-only complete $(sha256sum <"$T_TMP/audited.pub.pem" | cut -d' ' -f1)"
rm -f "$T_TMP/audited.pub.pem"
check_exit "the same label again fails" 2 "$STICA" ceremony --config \
    "$D/stica.yaml" "$T_TMP/k.yaml"
check "audit export after the failure" "$STICA" audit export --config \
    "$D/stica.yaml"
check_grep "the failure is audited" \
    '"event":"ceremony-end".*"result":"failed"' "$T_TMP/out"
cp "$T_TMP/out" "$T_TMP/audit2.jsonl"
check "audit verify after both" "$STICA" audit verify --config "$D/stica.yaml"
check "a dry run with --config" "$STICA" ceremony --dry-run --config \
    "$D/stica.yaml" "$T_TMP/k.yaml"
"$STICA" audit export --config "$D/stica.yaml" >"$T_TMP/audit3.jsonl"
check "a dry run writes no audit line" cmp "$T_TMP/audit2.jsonl" \
    "$T_TMP/audit3.jsonl"
sed 's/audited-key/unaudited-key/; s/audited.pub.pem/unaudited.pub.pem/' \
    "$T_TMP/k.yaml" >"$T_TMP/k2.yaml"
check "a ceremony without --config" "$STICA" ceremony "$T_TMP/k2.yaml"
check_grep "... says it is not in an audit log" \
    "not recorded in a store's audit log" "$T_TMP/out"

# --- failing inits leave nothing ----------------------------------------------
check_exit "missing module refused" 2 "$STICA" init "$P/nomod" \
    --module /nonexistent/libsofthsm2.so
check_eq "missing module: no DIR" "$(ls -A "$P" | grep -c nomod)" 0
# /bin/sh exists but is no PKCS#11 module: the failure comes after the
# temporary directory, softhsm2.conf and the PIN files were written.
check_exit "init with a bogus module fails" 2 "$STICA" init "$P/fail" \
    --module /bin/sh
check_grep "bogus module named" "/bin/sh" "$T_TMP/err"
check_eq "failed init: no DIR" "$(ls -A "$P" | grep -c fail)" 0

# --- an empty DIR and explicit scope ---------------------------------------------
mkdir "$P/empty"
check_exit "init into an empty DIR" 0 "$STICA" init "$P/empty" --spc 1234 \
    --range 12025550100+10 --tn 12025551234
check "scoped chain verifies" openssl verify -CAfile "$P/empty/root.pem" \
    "$P/empty/ca.pem"
check "scoped TNAuthList" "$STICA" tnauthlist decode --cert "$P/empty/ca.pem"
cp "$T_TMP/out" "$T_TMP/got"
printf 'spc:1234\nrange:12025550100+10\ntn:12025551234\n' >"$T_TMP/want"
check "scope is --spc, --range, --tn" cmp "$T_TMP/got" "$T_TMP/want"
check "scoped starter policy passes stica policy check" "$STICA" policy \
    check "$P/empty/policy.yaml"
check_grep "scoped policy maps the SPC to the numbers" "1 SPC mapping" \
    "$T_TMP/out"
check_exit "SPC-only init" 0 "$STICA" init "$P/spc" --spc 1234
check "SPC-only starter policy passes stica policy check" "$STICA" policy \
    check "$P/spc/policy.yaml"

done_tests
