#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica issue on a stica init deployment (SoftHSM): every certificate kind
# (SPC, TN-block, per-TN) as an end entity and as an RFC 9060 delegate CA,
# plus an ATIS-1000080 SHAKEN end entity, each judged by openssl verify,
# by stica verify and by python3-cryptography + pyasn1-modules rfc8226
# (tests/integ/issue_check.py: signature, serial, extensions, TNAuthList
# decoded to the requested entries).  Then: CSR requests (signature and
# basicConstraints checked), key types, validity caps, idempotency keys,
# refusals with their codes and audit lines, stica show, and an engine
# that refuses to start when an issuer certificate is not its HSM key's.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
CHECK="$STICA_TOP/tests/integ/issue_check.py"

# The builder's own unit tests (tests/integ/issue_unit.c).
check "builder unit tests" "${STICA_BUILD:-$(dirname "$STICA")}/tests/integ/issue_unit"
check_grep "builder unit tests: all passed" "issue_unit: [0-9]+ passed, 0 failed" \
    "$T_TMP/out"

check_exit "init" 0 "$STICA" init "$D" --spc 1234 --range 12025550000+10000
C=$D/stica.yaml

# Profiles for every kind, as end entity and as delegate CA; the operator
# rules take the requested scope, so the issuer's own TNAuthList (RFC 9060
# section 4) is what bounds them.
cat >"$D/policy.yaml" <<'EOF'
version: 1
profiles:
  spc-ee:
    kind: spc
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    subject: {C: US, O: "{account}", CN: "STIR SPC {spc}"}
  spc-ca:
    kind: spc
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256, ec-p384]
    path-len: 1
    subject: {C: US, O: "{account}", CN: "STIR SPC CA {spc}"}
  block-ee:
    kind: tn-block
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    max-entries: 10
    subject: {C: US, CN: "STIR {first-tn}"}
    crl-distribution-point: "http://127.0.0.1:8555/crl/{issuer}.crl"
    jwt-claim-constraints:
      permitted-values:
        attest: [A, B]
  block-ca:
    kind: tn-block
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256, ec-p384]
    subject: {C: US, CN: "STIR CA {first-tn}"}
    crl-distribution-point: "http://127.0.0.1:8555/crl/{issuer}.crl"
  pertn-ee:
    kind: per-tn
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    max-entries: 1
    subject: {C: US, O: "{account}", CN: "TN {tn}", serialNumber: "{serial}"}
    enhanced-jwt-claim-constraints:
      must-exclude: [rph]
  pertn-ca:
    kind: per-tn
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256, rsa-2048]
    path-len: 0
    max-entries: 1
    subject: {C: US, CN: "TN CA {tn}"}
  shaken:
    kind: spc
    ca: false
    mode: atis-1000080
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256]
    max-entries: 1
    subject: {C: US, O: "{account}", CN: "SHAKEN {spc}"}
    certificate-policies: [2.16.840.1.114569.1.1.4]
    crl-distribution-point: "http://127.0.0.1:8555/crl/{issuer}.crl"
issuers:
  ca:
    profiles: [spc-ee, spc-ca, block-ee, block-ca, pertn-ee, pertn-ca, shaken]
rules:
  - {name: spc-ee, match: {requester: operator, ca: false, kind: spc}, issue: {profile: spc-ee, issuer: ca, scope: requested}}
  - {name: spc-ca, match: {requester: operator, ca: true, kind: spc}, issue: {profile: spc-ca, issuer: ca, scope: requested}}
  - {name: block-ee, match: {requester: operator, ca: false, kind: tn-block}, issue: {profile: block-ee, issuer: ca, scope: requested}}
  - {name: block-ca, match: {requester: operator, ca: true, kind: tn-block}, issue: {profile: block-ca, issuer: ca, scope: requested}}
  - {name: pertn-ee, match: {requester: operator, ca: false, kind: per-tn}, issue: {profile: pertn-ee, issuer: ca, scope: requested}}
  - {name: pertn-ca, match: {requester: operator, ca: true, kind: per-tn}, issue: {profile: pertn-ca, issuer: ca, scope: requested}}
  - {name: shaken, match: {requester: operator, ca: false, kind: spc}, issue: {profile: shaken, issuer: ca, scope: [spc:1234]}}
  - {name: rest, match: {}, refuse: "no rule allows this request"}
EOF
check "policy check" "$STICA" policy check "$D/policy.yaml"

K=$T_TMP/keys
mkdir -p "$K"
newkey() { # NAME [CURVE]: a software key and its PEM public key
	openssl ecparam -name "${2:-prime256v1}" -genkey -noout \
	    -out "$K/$1.key" 2>/dev/null &&
	    openssl pkey -in "$K/$1.key" -pubout -out "$K/$1.pub" 2>/dev/null
}

# judge NAME ee|ca SPEC...: openssl verify, stica verify, python judge
judge() {
	jn=$1
	shift
	check "$jn: openssl verify" openssl verify -x509_strict \
	    -CAfile "$D/root.pem" -untrusted "$D/chain.pem" "$T_TMP/$jn.pem"
	check_grep "$jn: openssl says OK" ": OK$" "$T_TMP/out"
	check "$jn: stica verify" "$STICA" verify --trust "$D/root.pem" \
	    "$T_TMP/$jn.pem"
	check "$jn: cryptography + pyasn1 rfc8226" /usr/bin/python3 "$CHECK" \
	    "$T_TMP/$jn.leaf" "$D/ca.pem" "$@" --key "$K/$jn.pub"
}

# issue_ok NAME ee|ca PROFILE SPEC...: issue from a fresh key, then judge
issue_ok() {
	in=$1 kind=$2 prof=$3
	shift 3
	newkey "$in"
	ca=
	[ "$kind" = ca ] && ca=--ca
	check "$in: issue" "$STICA" issue --config "$C" --profile "$prof" \
	    --pubkey "$K/$in.pub" $ca --tnauthlist "$@"
	cp "$T_TMP/out" "$T_TMP/$in.pem"
	# The leaf is the first certificate of the chain.
	awk '{ print } /^-----END CERTIFICATE-----$/ { exit }' \
	    "$T_TMP/$in.pem" >"$T_TMP/$in.leaf"
	check_eq "$in: chain is leaf + chain.pem" \
	    "$(tail -n +$(($(wc -l <"$T_TMP/$in.leaf") + 1)) "$T_TMP/$in.pem" |
	    sha256sum)" "$(sha256sum <"$D/chain.pem")"
	judge "$in" "$kind" "$@"
}

# --- the kinds, as end entity and as delegate CA -----------------------------
issue_ok spc-ee ee spc-ee spc:1234
issue_ok spc-ca ca spc-ca spc:1234
issue_ok block-ee ee block-ee range:12025550100+50 tn:12025559999
issue_ok block-ca ca block-ca range:12025550100+50
issue_ok pertn-ee ee pertn-ee tn:12025550123
issue_ok pertn-ca ca pertn-ca tn:12025550124
issue_ok shaken ee shaken spc:1234
openssl x509 -in "$T_TMP/shaken.leaf" -noout -subject -ext \
    certificatePolicies,crlDistributionPoints >"$T_TMP/sh.txt" 2>&1
check_grep "shaken: CN=SHAKEN <SPC>" "CN = SHAKEN 1234" "$T_TMP/sh.txt"
check_grep "shaken: policy OID" "2.16.840.1.114569.1.1.4" "$T_TMP/sh.txt"
check_grep "shaken: CRL DP" "URI:http://127.0.0.1:8555/crl/ca.crl" \
    "$T_TMP/sh.txt"
check_grep "shaken: cRLIssuer (ATIS-1000080 v005)" "CRL Issuer" \
    "$T_TMP/sh.txt"
openssl x509 -in "$T_TMP/pertn-ee.leaf" -noout -text >"$T_TMP/pt.txt"
check_grep "per-TN: subject template" "CN = TN 12025550123" "$T_TMP/pt.txt"
sn=$(openssl x509 -in "$T_TMP/pertn-ee.leaf" -noout -serial | cut -d= -f2 |
    tr 'A-F' 'a-f')
check_grep "per-TN: {serial} in the subject" "serialNumber = $sn" \
    "$T_TMP/pt.txt"
check_grep "per-TN: RFC 9118 claims" "1.3.6.1.5.5.7.1.33" "$T_TMP/pt.txt"
check_eq "per-TN: no CRL DP in a profile without one" \
    "$(grep -c 'CRL Distribution' "$T_TMP/pt.txt")" 0
check_eq "serial is 17 octets (136 bits)" "${#sn}" 34
check_eq "EE: no pathLen, cA FALSE" "$(openssl x509 -in \
    "$T_TMP/pertn-ee.leaf" -noout -ext basicConstraints | tail -1 |
    tr -d ' ')" "CA:FALSE"
check_eq "delegate CA: cA TRUE, pathLen 0" "$(openssl x509 -in \
    "$T_TMP/pertn-ca.leaf" -noout -ext basicConstraints | tail -1 |
    tr -d ' ')" "CA:TRUE,pathlen:0"
check_eq "delegate CA: keyCertSign + cRLSign" "$(openssl x509 -in \
    "$T_TMP/block-ca.leaf" -noout -ext keyUsage | tail -1 | tr -d ' ')" \
    "CertificateSign,CRLSign"

# --- CSR requests ------------------------------------------------------------
newkey csr
openssl req -new -key "$K/csr.key" -subj "/CN=ignored" -out "$K/csr.pem" \
    2>/dev/null
check "CSR: issue" "$STICA" issue --config "$C" --csr "$K/csr.pem" \
    --profile pertn-ee --tnauthlist tn:12025550200 -o "$T_TMP/csr.pem"
awk '{ print } /^-----END CERTIFICATE-----$/ { exit }' "$T_TMP/csr.pem" \
    >"$T_TMP/csr.leaf"
check "CSR: judged" /usr/bin/python3 "$CHECK" "$T_TMP/csr.leaf" \
    "$D/ca.pem" ee tn:12025550200 --key "$K/csr.pub"
check_eq "CSR: subject from the profile, not the CSR" "$(openssl x509 -in \
    "$T_TMP/csr.leaf" -noout -subject -nameopt RFC2253)" \
    "subject=serialNumber=$(openssl x509 -in "$T_TMP/csr.leaf" -noout \
    -serial | cut -d= -f2 | tr 'A-F' 'a-f'),CN=TN 12025550200,O=operator,C=US"
openssl req -new -key "$K/csr.key" -subj "/CN=x" -addext \
    "basicConstraints=critical,CA:TRUE" -out "$K/csr-ca.pem" 2>/dev/null
check_exit "CSR: cA TRUE for an end entity refused" 1 "$STICA" issue \
    --config "$C" --csr "$K/csr-ca.pem" --profile pertn-ee \
    --tnauthlist tn:12025550201
check_grep "CSR: cA mismatch is ST_E_BADCSR" "refused \(ST_E_BADCSR\).*cA is TRUE" \
    "$T_TMP/err"
check "CSR: cA TRUE with --ca" "$STICA" issue --config "$C" \
    --csr "$K/csr-ca.pem" --ca --profile pertn-ca --tnauthlist tn:12025550202
# A request whose signature does not verify: flip a byte of the signature.
openssl req -in "$K/csr.pem" -outform DER -out "$K/csr.der"
/usr/bin/python3 -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-5] ^= 1
open(sys.argv[2], 'wb').write(b)" "$K/csr.der" "$K/csr-bad.der"
check_exit "CSR: bad signature refused" 1 "$STICA" issue --config "$C" \
    --csr "$K/csr-bad.der" --profile pertn-ee --tnauthlist tn:12025550203
check_grep "CSR: bad signature is ST_E_BADCSR" \
    "ST_E_BADCSR.*RFC 2986 section 3: the signature does not verify" \
    "$T_TMP/err"

# --- key types ---------------------------------------------------------------
newkey p384 secp384r1
check "P-384 where the profile allows it" "$STICA" issue --config "$C" \
    --profile block-ca --ca --pubkey "$K/p384.pub" \
    --tnauthlist tn:12025550300
check_exit "P-384 where it does not (RFC 8226 section 4)" 1 "$STICA" issue \
    --config "$C" --profile pertn-ee --pubkey "$K/p384.pub" \
    --tnauthlist tn:12025550301
check_grep "P-384: the policy names the key type" "key type ec-p384" \
    "$T_TMP/err"
newkey k224 secp224r1
check_exit "P-224 refused" 1 "$STICA" issue --config "$C" --profile pertn-ee \
    --pubkey "$K/k224.pub" --tnauthlist tn:12025550302
check_grep "P-224: curve named" "ST_E_BADCSR.*curve secp224r1 is not accepted" \
    "$T_TMP/err"
openssl genpkey -algorithm ed25519 -out "$K/ed.key" 2>/dev/null
openssl pkey -in "$K/ed.key" -pubout -out "$K/ed.pub" 2>/dev/null
check_exit "Ed25519 refused" 1 "$STICA" issue --config "$C" \
    --profile pertn-ee --pubkey "$K/ed.pub" --tnauthlist tn:12025550303
check_grep "Ed25519: algorithm named" "key algorithm ED25519 is not accepted" \
    "$T_TMP/err"
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 \
    -out "$K/r1k.key" 2>/dev/null
openssl pkey -in "$K/r1k.key" -pubout -out "$K/r1k.pub" 2>/dev/null
check_exit "RSA-1024 refused" 1 "$STICA" issue --config "$C" --ca \
    --profile pertn-ca --pubkey "$K/r1k.pub" --tnauthlist tn:12025550304
check_grep "RSA-1024: size named" "RSA key of 1024 bits is too short" \
    "$T_TMP/err"
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 \
    -out "$K/r2k.key" 2>/dev/null
openssl pkey -in "$K/r2k.key" -pubout -out "$K/r2k.pub" 2>/dev/null
check "RSA-2048 delegate CA" "$STICA" issue --config "$C" --ca \
    --profile pertn-ca --pubkey "$K/r2k.pub" --tnauthlist tn:12025550305 \
    -o "$T_TMP/rsa.pem"
check "RSA-2048 delegate CA verifies" openssl verify -CAfile "$D/root.pem" \
    -untrusted "$D/chain.pem" "$T_TMP/rsa.pem"

# --- validity ----------------------------------------------------------------
cap=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
check "--not-after caps notAfter (RFC 9447 section 7)" "$STICA" issue \
    --config "$C" --profile pertn-ee --pubkey "$K/pertn-ee.pub" \
    --not-after "$cap" --tnauthlist tn:12025550400 -o "$T_TMP/cap.pem"
check_eq "notAfter is the cap" "$(openssl x509 -in "$T_TMP/cap.pem" -noout \
    -enddate | cut -d= -f2)" "$(date -u -d "$cap" '+%b %e %H:%M:%S %Y GMT')"
check_exit "an expired cap is refused" 1 "$STICA" issue --config "$C" \
    --profile pertn-ee --pubkey "$K/pertn-ee.pub" \
    --not-after 2020-01-01T00:00:00Z --tnauthlist tn:12025550401
check_grep "expired cap: reason" "authority token has expired" "$T_TMP/err"
# A control character in a value that lands in the subject ({account}).
check_exit "control character in {account} refused" 1 "$STICA" issue \
    --config "$C" --profile pertn-ee --pubkey "$K/pertn-ee.pub" \
    --account "$(printf 'acme\001')" --tnauthlist tn:12025550402
check_grep "control character: named" \
    'refused \(ST_E_REFUSED\): .*account. has control character 0x01' \
    "$T_TMP/err"
check "a UTF-8 account is fine" "$STICA" issue --config "$C" --profile \
    pertn-ee --pubkey "$K/pertn-ee.pub" --account "Société 7" --tnauthlist \
    tn:12025550402 -o "$T_TMP/utf8.pem"
check_grep "... and in the subject as UTF-8" "O=Société 7," \
    "$(openssl x509 -in "$T_TMP/utf8.pem" -noout -subject -nameopt utf8 \
    >"$T_TMP/subj"; echo "$T_TMP/subj")"
nb=$(openssl x509 -in "$T_TMP/pertn-ee.leaf" -noout -startdate | cut -d= -f2)
ca_nb=$(openssl x509 -in "$D/ca.pem" -noout -startdate | cut -d= -f2)
check "notBefore never before the issuer's" test \
    "$(date -u -d "$nb" +%s)" -ge "$(date -u -d "$ca_nb" +%s)"

# --- idempotency -------------------------------------------------------------
# A request key names one request: issuer and profile (when pinned), the
# subject public key, the TNAuthList, CA or end entity, requester and
# account.  The same request again returns its certificate; any other
# request under the key is refused with ST_E_EXISTS (exit 1) and a refuse
# line, and so is the key once its certificate is revoked.
rk() { # KEY ARGS...: stica issue with a request key
	rkk=$1
	shift
	"$STICA" issue --config "$C" --request-key "$rkk" "$@"
}
check "request key: first" rk order-42 --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500 -o "$T_TMP/rk1.pem"
check "request key: again" rk order-42 --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500 -o "$T_TMP/rk2.pem"
check_grep "request key: reported as already issued" "already issued" \
    "$T_TMP/err"
check "request key: the same certificate" cmp "$T_TMP/rk1.pem" \
    "$T_TMP/rk2.pem"
rksn=$(openssl x509 -in "$T_TMP/rk1.pem" -noout -serial | cut -d= -f2 |
    tr 'A-F' 'a-f')
openssl req -new -key "$K/pertn-ee.key" -subj "/CN=x" -out "$K/rk.csr" \
    2>/dev/null
check "request key: the same key in a CSR is the same request" rk order-42 \
    --profile pertn-ee --csr "$K/rk.csr" --tnauthlist tn:12025550500 \
    -o "$T_TMP/rk3.pem"
check "request key: CSR: the same certificate" cmp "$T_TMP/rk1.pem" \
    "$T_TMP/rk3.pem"
check "request key: no profile pinned: the recorded choice stands" rk \
    order-42 --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500 \
    -o "$T_TMP/rk4.pem"
check "request key: unpinned: the same certificate" cmp "$T_TMP/rk1.pem" \
    "$T_TMP/rk4.pem"
check_exit "request key: another number refused" 1 rk order-42 \
    --profile pertn-ee --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550501
check_grep "another number: ST_E_EXISTS, the key, both TNAuthLists" \
    "refused \(ST_E_EXISTS\): request key 'order-42' .*serial $rksn.*TNAuthList tn:12025550501.*tn:12025550500" \
    "$T_TMP/err"
check_exit "request key: another key refused" 1 rk order-42 --profile \
    pertn-ee --pubkey "$K/spc-ee.pub" --tnauthlist tn:12025550500
check_grep "another key: the subject public key named" \
    "refused \(ST_E_EXISTS\): request key 'order-42' .*subject public key" \
    "$T_TMP/err"
check_exit "request key: another account refused" 1 rk order-42 --profile \
    pertn-ee --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500 \
    --account acme-7
check_grep "another account: named" \
    "refused \(ST_E_EXISTS\): request key 'order-42' .*requester or account" \
    "$T_TMP/err"
check_exit "request key: another profile pinned refused" 1 rk order-42 \
    --profile pertn-ca --ca --pubkey "$K/pertn-ee.pub" \
    --tnauthlist tn:12025550500
check_grep "another profile: a CA certificate asked for" \
    "refused \(ST_E_EXISTS\): .*a CA certificate" "$T_TMP/err"
check_eq "request key: nothing else was recorded under it" "$(sqlite3 \
    "$D/stica.db" "SELECT count(*), lower(hex(serial)) FROM certs WHERE
    request_key = 'order-42'")" "1|$rksn"
"$STICA" audit export --config "$C" >"$T_TMP/audit.jsonl" 2>"$T_TMP/err"
check_eq "request key: each refusal audited" "$(grep '"event":"refuse"' \
    "$T_TMP/audit.jsonl" | grep '"request":"order-42"' |
    grep -c '"code":"ST_E_EXISTS"')" 4
check "revoke the request key's certificate" "$STICA" revoke --config "$C" \
    --serial "$rksn" --reason keyCompromise
check_exit "request key: revoked: the same request refused" 1 rk order-42 \
    --profile pertn-ee --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500 \
    -o "$T_TMP/rk5.pem"
check_grep "revoked: serial, reason, and a new key needed" \
    "refused \(ST_E_EXISTS\): request key 'order-42': its certificate, serial $rksn of issuer 'ca', was revoked \(keyCompromise\).*new request key" \
    "$T_TMP/err"
check_eq "revoked: no certificate written" "$(ls "$T_TMP" | grep -c '^rk5')" 0
check "revoked: a new request key issues" rk order-43 --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550500
check_grep "new request key: issued" "stica: issue: issued serial" "$T_TMP/err"
# A row recorded before schema version 3 has no request fingerprint: it
# is compared on what it holds (issuer, profile, the certificate's key,
# TNAuthList and cA), so another number is still refused; the account,
# which it does not record, cannot be told apart.
check "old row: issue" rk old-1 --profile pertn-ee --pubkey \
    "$K/pertn-ee.pub" --tnauthlist tn:12025550502 -o "$T_TMP/old1.pem"
trg=$(sqlite3 "$D/stica.db" "SELECT sql FROM sqlite_master WHERE name =
    'certs_fixed'")
check "old row: its fingerprint removed" sqlite3 "$D/stica.db" "DROP TRIGGER
    certs_fixed; UPDATE certs SET request_fp = NULL WHERE request_key =
    'old-1'; $trg;"
check "old row: the same request returns it" rk old-1 --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550502 -o "$T_TMP/old2.pem"
check "old row: the same certificate" cmp "$T_TMP/old1.pem" "$T_TMP/old2.pem"
check_exit "old row: another number refused" 1 rk old-1 --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550503
check_grep "old row: the TNAuthList named" "ST_E_EXISTS.*TNAuthList" \
    "$T_TMP/err"
check_exit "old row: another key refused" 1 rk old-1 --profile pertn-ee \
    --pubkey "$K/spc-ee.pub" --tnauthlist tn:12025550502
check "old row: another account cannot be told apart" rk old-1 --profile \
    pertn-ee --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550502 \
    --account acme-7

# --- refusals: codes, reasons, audit lines -----------------------------------
check_exit "outside the CA: refused" 1 "$STICA" issue --config "$C" \
    --profile pertn-ee --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025560000
check_grep "outside: ST_E_SCOPE names the number" \
    "refused \(ST_E_SCOPE\): scope: not encompassed by issuer 'ca'.*tn:12025560000 is not encompassed" \
    "$T_TMP/err"
check_exit "kind: a range under a per-tn profile" 1 "$STICA" issue \
    --config "$C" --profile pertn-ee --pubkey "$K/pertn-ee.pub" \
    --tnauthlist range:12025550100+2
check_grep "kind: the policy refuses" "refused \(ST_E_REFUSED\): policy: " \
    "$T_TMP/err"
check_exit "max-entries" 1 "$STICA" issue --config "$C" --profile pertn-ee \
    --pubkey "$K/pertn-ee.pub" --tnauthlist tn:12025550600 tn:12025550601
check_grep "max-entries: reason" "allows at most 1" "$T_TMP/err"
check_exit "ATIS: SPC outside the rule's scope" 1 "$STICA" issue \
    --config "$C" --profile shaken --pubkey "$K/shaken.pub" \
    --tnauthlist spc:5678
check_exit "bad SPEC: usage error" 2 "$STICA" issue --config "$C" \
    --pubkey "$K/shaken.pub" --tnauthlist tn:12x
check_exit "no key: usage error" 2 "$STICA" issue --config "$C" \
    --tnauthlist tn:12025550123
"$STICA" audit export --config "$C" >"$T_TMP/audit.jsonl" 2>"$T_TMP/err"
check_grep "audit: the scope refusal" \
    '"code":"ST_E_SCOPE".*"event":"refuse".*"scope":\["tn:12025560000"\]' \
    "$T_TMP/audit.jsonl"
check_grep "audit: the CSR refusal" '"code":"ST_E_BADCSR".*"event":"refuse"' \
    "$T_TMP/audit.jsonl"
check_grep "audit: an issue line with requester, proof and rule" \
    '"event":"issue".*"proof":"operator".*"requester":"operator".*"rule":"pertn-ee"' \
    "$T_TMP/audit.jsonl"
check "audit verify" "$STICA" audit verify --config "$C"

# --- several threads on one engine ------------------------------------------
check "4 threads x 25 ca_issue calls" \
    "${STICA_BUILD:-$(dirname "$STICA")}/tests/integ/issue_threads" "$C" \
    "$K/pertn-ee.pub" 12025558000 4 25
check_eq "threads: 100 certificates, 100 serials" "$(cut -d' ' -f1 \
    "$T_TMP/out" | sort -u | wc -l | tr -d ' ')" 100
check_eq "threads: each number once" "$(cut -d' ' -f2 "$T_TMP/out" |
    sort -u | wc -l | tr -d ' ')" 100
check "audit verify after the threads" "$STICA" audit verify --config "$C"

# --- show --------------------------------------------------------------------
check "show" "$STICA" show --config "$C" "$sn"
check_grep "show: status" "^status: +valid$" "$T_TMP/out"
check_grep "show: TNAuthList" "^tnauthlist: +tn:12025550123$" "$T_TMP/out"
check_grep "show: profile" "^profile: +pertn-ee$" "$T_TMP/out"
sed -n '/BEGIN CERTIFICATE/,$p' "$T_TMP/out" >"$T_TMP/show.pem"
check "show: the PEM is the certificate" cmp "$T_TMP/show.pem" \
    "$T_TMP/pertn-ee.leaf"
check_exit "show: unknown serial" 1 "$STICA" show --config "$C" 0badc0de

# --- the engine refuses an issuer certificate that is not its key's ---------
sed 's|certificate: ca.pem|certificate: root.pem|' "$C" >"$D/bad.yaml"
check_exit "issuer certificate of another key: refused" 2 "$STICA" issue \
    --config "$D/bad.yaml" --profile pertn-ee --pubkey "$K/pertn-ee.pub" \
    --tnauthlist tn:12025550700
check_grep "issuer mismatch: message" "is not that of HSM key" "$T_TMP/err"
check_exit "help" 0 "$STICA" help issue

done_tests
