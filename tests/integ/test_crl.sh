#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica revoke and stica crl on a stica init deployment (SoftHSM): reasons
# (RFC 5280 section 5.3.1) and their refusals, CRLs signed in the HSM and
# judged by openssl crl -verify, by openssl verify -crl_check and by
# python3-cryptography (signature, cRLNumber, AKI, entries and reason
# codes), CRL numbers that only increase, nextUpdate, stica show of a
# revoked certificate, and the audit lines of both.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
C=$D/stica.yaml
CHECK="$STICA_TOP/tests/integ/issue_check.py"

check_exit "init" 0 "$STICA" init "$D"
{
printf 'version: 1\nprofiles:\n'
pertn_ee_profile
cat <<'EOF'
    crl-distribution-point: "http://127.0.0.1:8555/crl/{issuer}.crl"
issuers:
  ca: {profiles: [pertn-ee]}
rules:
  - {name: tn, match: {requester: operator, ca: false}, issue: {profile: pertn-ee, issuer: ca, scope: [range:12025550100+100]}}
EOF
} >"$D/policy.yaml"
openssl ecparam -name prime256v1 -genkey -noout -out "$T_TMP/k.key" 2>/dev/null
openssl pkey -in "$T_TMP/k.key" -pubout -out "$T_TMP/k.pub" 2>/dev/null

# An empty CRL first.
check "crl: empty" "$STICA" crl --config "$C" --issuer ca -o "$T_TMP/c1.pem"
check_grep "crl: number 1 on stderr" "CRL number 1, 0 revoked" "$T_TMP/err"
check "crl 1: openssl crl -verify" openssl crl -in "$T_TMP/c1.pem" \
    -CAfile "$D/ca.pem" -verify -noout
check_grep "crl 1: verify OK" "verify OK" "$T_TMP/err"
check "crl 1: judged" /usr/bin/python3 "$CHECK" --crl "$T_TMP/c1.pem" \
    "$D/ca.pem" 1

S=""
for i in 1 2 3 4; do
	check "issue $i" "$STICA" issue --config "$C" --pubkey "$T_TMP/k.pub" \
	    --tnauthlist "tn:1202555010$i" -o "$T_TMP/e$i.pem"
	awk '{ print } /^-----END CERTIFICATE-----$/ { exit }' \
	    "$T_TMP/e$i.pem" >"$T_TMP/e$i.leaf"
	eval "s$i=$(openssl x509 -in "$T_TMP/e$i.leaf" -noout -serial |
	    cut -d= -f2 | tr 'A-F' 'a-f')"
done

check "revoke 1: keyCompromise" "$STICA" revoke --config "$C" \
    --serial "$s1" --reason keyCompromise
check "revoke 2: superseded by code, serial with colons" "$STICA" revoke \
    --config "$C" --serial "$(echo "$s2" | sed 's/../&:/g; s/:$//')" \
    --reason 4
check "revoke 3: no reason (unspecified)" "$STICA" revoke --config "$C" \
    --serial "$s3" --issuer ca
check_exit "revoke 1 again: already revoked" 1 "$STICA" revoke --config "$C" \
    --serial "$s1"
check_grep "already revoked: message" "already revoked" "$T_TMP/err"
check_exit "revoke: certificateHold refused" 2 "$STICA" revoke --config "$C" \
    --serial "$s4" --reason certificateHold
check_exit "revoke: unknown reason" 2 "$STICA" revoke --config "$C" \
    --serial "$s4" --reason stolen
check_exit "revoke: unknown serial" 2 "$STICA" revoke --config "$C" \
    --serial 0badc0de
check_exit "revoke: unknown issuer" 2 "$STICA" revoke --config "$C" \
    --serial "$s4" --issuer nobody
check_exit "revoke: no serial" 2 "$STICA" revoke --config "$C"

check "show: revoked" "$STICA" show --config "$C" "$s1"
check_grep "show: status revoked" "^status: +revoked$" "$T_TMP/out"
check_grep "show: reason" "^reason: +keyCompromise$" "$T_TMP/out"
check "show: still valid" "$STICA" show --config "$C" "$s4"
check_grep "show: status valid" "^status: +valid$" "$T_TMP/out"

check "crl 2" "$STICA" crl --config "$C" --issuer ca -o "$T_TMP/c2.pem"
check_grep "crl 2: number and entries" "CRL number 2, 3 revoked" "$T_TMP/err"
check "crl 2: openssl crl -verify" openssl crl -in "$T_TMP/c2.pem" \
    -CAfile "$D/ca.pem" -verify -noout
check_grep "crl 2: verify OK" "verify OK" "$T_TMP/err"
check "crl 2: judged (entries and reasons)" /usr/bin/python3 "$CHECK" \
    --crl "$T_TMP/c2.pem" "$D/ca.pem" 2 "$s1:key_compromise" \
    "$s2:superseded" "$s3:-"
openssl crl -in "$T_TMP/c2.pem" -noout -text >"$T_TMP/c2.txt"
check_grep "crl 2: v2" "Version 2" "$T_TMP/c2.txt"
check_grep "crl 2: ecdsa-with-SHA256" "Signature Algorithm: ecdsa-with-SHA256" \
    "$T_TMP/c2.txt"
lu=$(openssl crl -in "$T_TMP/c2.pem" -noout -lastupdate | cut -d= -f2)
nu=$(openssl crl -in "$T_TMP/c2.pem" -noout -nextupdate | cut -d= -f2)
check_eq "crl 2: nextUpdate = thisUpdate + 7 days (default)" \
    $(($(date -u -d "$nu" +%s) - $(date -u -d "$lu" +%s))) 604800

# The CRL as a relying party uses it.
cat "$D/root.pem" "$D/ca.pem" >"$T_TMP/trust.pem"
check_exit "crl_check: revoked certificate" 2 openssl verify -crl_check \
    -CAfile "$T_TMP/trust.pem" -CRLfile "$T_TMP/c2.pem" "$T_TMP/e1.leaf"
check_grep "crl_check: revoked" "certificate revoked" "$T_TMP/err"
check "crl_check: a certificate still valid" openssl verify -crl_check \
    -CAfile "$T_TMP/trust.pem" -CRLfile "$T_TMP/c2.pem" "$T_TMP/e4.leaf"

check "crl 3: --next-update 1d, DER" "$STICA" crl --config "$C" \
    --issuer ca --next-update 1d --der -o "$T_TMP/c3.der"
check "crl 3: DER parses" openssl crl -inform DER -in "$T_TMP/c3.der" \
    -noout -crlnumber -lastupdate -nextupdate
check_grep "crl 3: number 3" "crlNumber=0x03" "$T_TMP/out"
lu=$(grep lastUpdate "$T_TMP/out" | cut -d= -f2)
nu=$(grep nextUpdate "$T_TMP/out" | cut -d= -f2)
check_eq "crl 3: nextUpdate = thisUpdate + 1 day" \
    $(($(date -u -d "$nu" +%s) - $(date -u -d "$lu" +%s))) 86400
# The policy's issuers.ca.crl-next-update sets the interval when
# --next-update is not given.
sed -i 's/^  ca: {profiles: \[pertn-ee\]}$/  ca: {profiles: [pertn-ee], crl-next-update: 36h}/' \
    "$D/policy.yaml"
check_grep "policy: crl-next-update set" "crl-next-update: 36h" \
    "$D/policy.yaml"
check "crl 3b: interval from the policy" "$STICA" crl --config "$C" \
    --issuer ca -o "$T_TMP/c3b.pem"
lu=$(openssl crl -in "$T_TMP/c3b.pem" -noout -lastupdate | cut -d= -f2)
nu=$(openssl crl -in "$T_TMP/c3b.pem" -noout -nextupdate | cut -d= -f2)
check_eq "crl 3b: nextUpdate = thisUpdate + 36 hours" \
    $(($(date -u -d "$nu" +%s) - $(date -u -d "$lu" +%s))) 129600
sed -i 's/, crl-next-update: 36h}/}/' "$D/policy.yaml"
check "crl 4: to stdout" "$STICA" crl --config "$C" --issuer ca
cp "$T_TMP/out" "$T_TMP/c4.pem"
check "crl 4: PEM on stdout" openssl crl -in "$T_TMP/c4.pem" -noout -crlnumber
check_grep "crl 4: number 5" "crlNumber=0x05" "$T_TMP/out"
check_exit "crl: unknown issuer" 2 "$STICA" crl --config "$C" --issuer nobody
check_exit "crl: bad duration" 2 "$STICA" crl --config "$C" --issuer ca \
    --next-update soon

"$STICA" audit export --config "$C" >"$T_TMP/audit.jsonl"
check_eq "audit: three revoke lines" "$(grep -c '"event":"revoke"' \
    "$T_TMP/audit.jsonl")" 3
check_grep "audit: revoke with its reason and requester" \
    "\"event\":\"revoke\".*\"reason\":1.*\"requester\":\"operator\".*\"serial\":\"$s1\"" \
    "$T_TMP/audit.jsonl"
check_eq "audit: five crl lines" "$(grep -c '"event":"crl"' \
    "$T_TMP/audit.jsonl")" 5
check_grep "audit: crl 2 with its entries" \
    '"entries":3,"event":"crl".*"number":2' "$T_TMP/audit.jsonl"
check "audit verify" "$STICA" audit verify --config "$C"
check_exit "help revoke" 0 "$STICA" help revoke
check_exit "help crl" 0 "$STICA" help crl

done_tests
