#!/bin/sh
# SPDX-License-Identifier: ISC
#
# RFC 9060 delegation on SoftHSM: root -> TN-block CA (stica init) ->
# narrower delegate CA (key made in the token with stica hsm keygen,
# certificate issued by stica issue --pubkey, then configured as an
# issuer) -> per-TN end entity, which openssl verify, stica verify and
# the python judge accept.  Then every way of escaping scope is refused
# at issue time with ST_E_SCOPE naming the entry (range spill, a number
# outside, a number of another width, an SPC the parent lacks, numbers
# under an SPC-only parent without a policy mapping -- and accepted once
# the policy maps them --, a number outside the grandparent under a CA
# without a TNAuthList) and audited; a lint failure refuses with its rule
# name; and hand-built escaping chains (a ceremony-made CA under a CA
# without a TNAuthList, and an openssl-made chain with software keys)
# pass openssl verify but are refused by stica verify.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
C=$D/stica.yaml
K=$T_TMP/keys
mkdir -p "$K"
CHECK="$STICA_TOP/tests/integ/issue_check.py"

check_exit "init" 0 "$STICA" init "$D" --spc 1234 --range 12025550000+10000

profiles() {
	cat <<'EOF'
version: 1
profiles:
  block-ca:
    kind: tn-block
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256]
    subject: {C: US, CN: "STIR CA {first-tn}"}
  block-ca0:
    kind: tn-block
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256]
    path-len: 0
    subject: {C: US, CN: "STIR leaf CA {first-tn}"}
  spc-ca:
    kind: spc
    ca: true
    mode: rfc9060
    lifetime: 90d
    backdate: 1h
    key-types: [ec-p256]
    subject: {C: US, CN: "STIR SPC CA {spc}"}
EOF
	pertn_ee_profile
	cat <<'EOF'
  block-ee:
    kind: tn-block
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    subject: {C: US, CN: "STIR {first-tn}"}
  spc-ee:
    kind: spc
    ca: false
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    subject: {C: US, CN: "STIR SPC {spc}"}
EOF
}
rule() { # NAME CA KIND PROFILE ISSUER
	echo "  - {name: $1, match: {requester: operator, ca: $2, kind: $3}, issue: {profile: $4, issuer: $5, scope: requested}}"
}

# --- stage 1: the CA issues the delegate CAs ---------------------------------
{
	profiles
	echo "issuers:"
	echo "  ca: {profiles: [block-ca, block-ca0, spc-ca]}"
	echo "rules:"
	rule ca-block true tn-block block-ca0 ca
	rule ca-spc true spc spc-ca ca
} >"$D/policy.yaml"
check "policy 1" "$STICA" policy check "$D/policy.yaml"

TOK="pkcs11:token=stica-dev;pin-source=file:$D/pin"
keygen() { # LABEL: a key pair in the deployment's token, public key to $K
	env SOFTHSM2_CONF="$D/softhsm2.conf" "$STICA" hsm keygen \
	    --token "$TOK" --label "$1" >"$K/$1.out" 2>"$T_TMP/err" &&
	    sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' "$K/$1.out" \
	    >"$K/$1.pub"
}
leaf() { # FILE: the first certificate of a PEM chain
	awk '{ print } /^-----END CERTIFICATE-----$/ { exit }' "$1"
}

check "keygen mid in the token" keygen mid
check "issue mid (delegate CA, path-len 0)" "$STICA" issue --config "$C" \
    --ca --profile block-ca0 --pubkey "$K/mid.pub" \
    --tnauthlist range:12025550100+100 -o "$D/mid-chain.pem"
leaf "$D/mid-chain.pem" >"$D/mid.pem"
check "mid: judged" /usr/bin/python3 "$CHECK" "$D/mid.pem" "$D/ca.pem" ca \
    range:12025550100+100 --key "$K/mid.pub"
check "keygen spcca in the token" keygen spcca
check "issue spcca (SPC-only delegate CA)" "$STICA" issue --config "$C" \
    --ca --profile spc-ca --pubkey "$K/spcca.pub" --tnauthlist spc:1234 \
    -o "$D/spcca-chain.pem"
leaf "$D/spcca-chain.pem" >"$D/spcca.pem"
# short: a delegate CA whose certificate expires seconds from now, to be
# an issuer after it has expired (the refusal must name the expiry).
short_na=$(( $(date +%s) + 8 ))
check "keygen short in the token" keygen short
check "issue short (delegate CA valid for seconds)" "$STICA" issue \
    --config "$C" --ca --profile block-ca0 --pubkey "$K/short.pub" \
    --tnauthlist range:12025559000+10 --not-after \
    "$(date -u -d "@$short_na" +%Y-%m-%dT%H:%M:%SZ)" -o "$D/short-chain.pem"
leaf "$D/short-chain.pem" >"$D/short.pem"

# mid2: a CA without a TNAuthList under the CA, made by a ceremony (RFC 9060
# allows it; it adds no constraint of its own).  narrow2: a CA under mid2
# whose TNAuthList escapes the CA above mid2; the ceremony only compares
# with its direct issuer, so it signs it.
nb=$(date -u -d "$(openssl x509 -in "$D/ca.pem" -noout -startdate |
    cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
na=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
ceremony() { # NAME SIGNER-LABEL SIGNER-CERT [TNAUTHLIST-SPEC]
	{
		echo "ceremony-type: intermediate"
		sed -n '/^pkcs11:/,/^  softhsm2-conf:/p' "$D/ceremonies/ca.yaml"
		cat <<EOF
key:
  label: $1
signing-key:
  label: $2
  certificate: ../$3
certificate-profile:
  subject:
    country: US
    organization: stica tests
    common-name: test CA $1
  not-before: $nb
  not-after: $na
EOF
		[ -n "${4:-}" ] && printf '  tnauthlist:\n    - %s\n' "$4"
		printf 'outputs:\n  certificate: ../%s.pem\n' "$1"
	} >"$D/ceremonies/$1.yaml"
	"$STICA" ceremony "$D/ceremonies/$1.yaml"
}
check "ceremony: mid2 without a TNAuthList" ceremony mid2 stica-dev-ca ca.pem
cat "$D/mid2.pem" "$D/ca.pem" >"$D/mid2-chain.pem"
check "ceremony: narrow2 escaping the grandparent" ceremony narrow2 mid2 \
    mid2.pem range:12025560000+100

# --- stage 2: the delegate CAs become issuers --------------------------------
{
	sed -n '1,/^issuers:/p' "$C"
	for i in ca mid spcca mid2 short; do
		case $i in
		ca) key=stica-dev-ca cert=ca.pem chain=chain.pem ;;
		*) key=$i cert=$i.pem chain=$i-chain.pem ;;
		esac
		cat <<EOF
  - name: $i
    key: "pkcs11:token=stica-dev;object=$key;type=private"
    certificate: $cert
    chain: $chain
EOF
	done
	sed -n '/^acme:/,$p' "$C"
} >"$D/stica2.yaml"
mv "$D/stica2.yaml" "$C"
policy2() {
	profiles
	[ -n "${1:-}" ] && printf 'spc-numbers:\n  "1234": [%s]\n' "$1"
	cat <<'EOF'
issuers:
  ca: {profiles: [block-ca, block-ca0, spc-ca]}
  mid: {profiles: [pertn-ee, block-ee, spc-ee, block-ca0]}
  spcca: {profiles: [pertn-ee]}
  mid2: {profiles: [pertn-ee]}
  short: {profiles: [pertn-ee]}
rules:
  - {name: short-tn, match: {requester: operator, ca: false, kind: per-tn, scope-within: [range:12025559000+10]}, issue: {profile: pertn-ee, issuer: short, scope: requested}}
EOF
	rule ca-block true tn-block block-ca0 ca
	rule ca-spc true spc spc-ca ca
	rule mid-tn false per-tn pertn-ee mid
	rule mid-block false tn-block block-ee mid
	rule mid-spc false spc spc-ee mid
	rule mid-ca true tn-block block-ca0 mid
	rule spcca-tn false per-tn pertn-ee spcca
	rule mid2-tn false per-tn pertn-ee mid2
	echo '  - {name: rest, match: {}, refuse: "no rule allows this request"}'
}
policy2 >"$D/policy.yaml"
check "policy 2" "$STICA" policy check "$D/policy.yaml"

# --- the 3-level chain ----------------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out "$K/ee.key" 2>/dev/null
openssl pkey -in "$K/ee.key" -pubout -out "$K/ee.pub" 2>/dev/null
check "per-TN from mid" "$STICA" issue --config "$C" --issuer mid \
    --pubkey "$K/ee.pub" --tnauthlist tn:12025550150 -o "$T_TMP/ee.pem"
check_eq "chain: leaf, mid, CA" "$(grep -c 'BEGIN CERTIFICATE' \
    "$T_TMP/ee.pem")" 3
leaf "$T_TMP/ee.pem" >"$T_TMP/ee.leaf"
check "chain: openssl verify" openssl verify -x509_strict \
    -CAfile "$D/root.pem" -untrusted "$T_TMP/ee.pem" "$T_TMP/ee.leaf"
check_grep "chain: openssl says OK" ": OK$" "$T_TMP/out"
check "chain: stica verify" "$STICA" verify --trust "$D/root.pem" \
    "$T_TMP/ee.pem"
check_grep "chain: stica verify says OK" "chain OK: 3 certificates" \
    "$T_TMP/out"
check "chain: stica verify --tn the number" "$STICA" verify \
    --trust "$D/root.pem" --tn 12025550150 "$T_TMP/ee.pem"
check_exit "chain: stica verify --tn another number" 1 "$STICA" verify \
    --trust "$D/root.pem" --tn 12025550151 "$T_TMP/ee.pem"
check "chain: judged" /usr/bin/python3 "$CHECK" "$T_TMP/ee.leaf" \
    "$D/mid.pem" ee tn:12025550150 --key "$K/ee.pub"

# --- escapes at issue time ---------------------------------------------------
# refused NAME PATTERN ISSUER [--profile P] SPEC...: exit 1, ST_E_SCOPE
refused() {
	rn=$1 pat=$2 iss=$3
	shift 3
	check_exit "escape: $rn: refused" 1 "$STICA" issue --config "$C" \
	    --issuer "$iss" --pubkey "$K/ee.pub" --tnauthlist "$@"
	check_grep "escape: $rn: ST_E_SCOPE names it" \
	    "refused \(ST_E_SCOPE\): scope: not encompassed by $pat" "$T_TMP/err"
}
refused "range spill" \
    "issuer 'mid'.*range:12025550190\+20 is not encompassed.*12025550200 is outside" \
    mid range:12025550190+20
refused "outside number" \
    "issuer 'mid'.*tn:12025550250 is not encompassed" mid tn:12025550250
refused "wrong width" \
    "issuer 'mid'.*tn:2025550150 .*no 10-digit numbers" mid tn:2025550150
refused "SPC not in the parent" \
    "issuer 'mid'.*spc:1234 is not encompassed.*verbatim" mid spc:1234
refused "numbers under an SPC parent, no policy mapping" \
    "issuer 'spcca'.*no policy mapping says which numbers belong to it" \
    spcca tn:12025550150
refused "escaping the grandparent" \
    "CA 1 above issuer 'mid2'.*tn:12025560050 is not encompassed" \
    mid2 tn:12025560050
check "under a CA without TNAuthList, inside the grandparent" "$STICA" \
    issue --config "$C" --issuer mid2 --pubkey "$K/ee.pub" \
    --tnauthlist tn:12025550150 -o "$T_TMP/ee2.pem"
check "... and it verifies" "$STICA" verify --trust "$D/root.pem" \
    "$T_TMP/ee2.pem"
"$STICA" audit export --config "$C" >"$T_TMP/audit.jsonl"
check_eq "escapes: six refuse lines with ST_E_SCOPE" "$(grep '"event":"refuse"' \
    "$T_TMP/audit.jsonl" | grep -c '"code":"ST_E_SCOPE"')" 6

# The policy maps numbers to SPC 1234: the SPC-only CA may delegate them.
policy2 range:12025550000+10000 >"$D/policy.yaml"
check "SPC mapping: issued" "$STICA" issue --config "$C" --issuer spcca \
    --pubkey "$K/ee.pub" --tnauthlist tn:12025550150 -o "$T_TMP/ee3.pem"
check_exit "SPC mapping: stica verify without the map refuses" 1 \
    "$STICA" verify --trust "$D/root.pem" "$T_TMP/ee3.pem"
check "SPC mapping: stica verify with the map" "$STICA" verify \
    --trust "$D/root.pem" --spc-map 1234=range:12025550000+10000 \
    "$T_TMP/ee3.pem"
refused "SPC mapping: a number outside it" \
    "issuer 'spcca'.*tn:12025570000 .*nor among the numbers the policy assigns" \
    spcca tn:12025570000

# --- lint ----------------------------------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out "$K/sub.key" 2>/dev/null
openssl pkey -in "$K/sub.key" -pubout -out "$K/sub.pub" 2>/dev/null
check_exit "lint: a CA under a pathLen 0 CA is refused" 1 "$STICA" issue \
    --config "$C" --issuer mid --ca --pubkey "$K/sub.pub" \
    --tnauthlist range:12025550100+10
check_grep "lint: refusal names the rule" \
    "refused \(ST_E_LINT\): lint e_rfc5280_bc_pathlen_issuer" "$T_TMP/err"
"$STICA" audit export --config "$C" >"$T_TMP/audit.jsonl"
check_grep "lint: the refusal is audited" \
    '"code":"ST_E_LINT".*"event":"refuse"' "$T_TMP/audit.jsonl"
check "audit verify" "$STICA" audit verify --config "$C"

# --- escapes at verify time -------------------------------------------------
cat "$D/narrow2.pem" "$D/mid2.pem" "$D/ca.pem" >"$T_TMP/narrow2-chain.pem"
check "hand-built: openssl verify does not know RFC 9060" openssl verify \
    -CAfile "$D/root.pem" -untrusted "$T_TMP/narrow2-chain.pem" \
    "$D/narrow2.pem"
check_exit "hand-built: stica verify refuses the grandparent escape" 1 \
    "$STICA" verify --trust "$D/root.pem" "$T_TMP/narrow2-chain.pem"
check_grep "hand-built: the reason" "chain invalid: certificate 0.*RFC 9060" \
    "$T_TMP/out" 

# Software keys and openssl only: a CA for 12025550100..199 and two end
# entities, one inside, one outside.
S=$T_TMP/sw
mkdir -p "$S"
ext() { # SPEC...: an openssl extension file with that TNAuthList
	printf 'basicConstraints=critical,%s\nkeyUsage=critical,%s\n' "$BC" "$KU"
	printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n'
	printf '1.3.6.1.5.5.7.1.26=DER:%s\n' "$("$STICA" tnauthlist encode \
	    --hex "$@")"
}
for k in root ca in out; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$S/$k.key" \
	    2>/dev/null
done
openssl req -new -x509 -key "$S/root.key" -subj /CN=sw-root -days 30 \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$S/root.pem" \
    2>/dev/null
sign() { # NAME ISSUER SUBJECT EXTFILE
	openssl req -new -key "$S/$1.key" -subj "/CN=$3" 2>/dev/null |
	    openssl x509 -req -CA "$S/$2.pem" -CAkey "$S/$2.key" \
	    -set_serial "0x$(openssl rand -hex 16)" -days 10 -extfile "$4" \
	    -out "$S/$1.pem" 2>/dev/null
}
BC=CA:TRUE KU=keyCertSign,cRLSign ext range:12025550100+100 >"$S/ca.ext"
BC=CA:FALSE KU=digitalSignature ext tn:12025550150 >"$S/in.ext"
BC=CA:FALSE KU=digitalSignature ext tn:12025550300 >"$S/out.ext"
sign ca root sw-ca "$S/ca.ext"
sign in ca sw-in "$S/in.ext"
sign out ca sw-out "$S/out.ext"
cat "$S/in.pem" "$S/ca.pem" >"$S/in-chain.pem"
cat "$S/out.pem" "$S/ca.pem" >"$S/out-chain.pem"
check "openssl-made: openssl verify accepts the escape" openssl verify \
    -CAfile "$S/root.pem" -untrusted "$S/ca.pem" "$S/out.pem"
check "openssl-made: stica verify accepts the one inside" "$STICA" verify \
    --trust "$S/root.pem" "$S/in-chain.pem"
check_exit "openssl-made: stica verify refuses the one outside" 1 "$STICA" \
    verify --trust "$S/root.pem" "$S/out-chain.pem"
check_grep "openssl-made: the reason names the number" \
    "certificate 0.*12025550300" "$T_TMP/out"

# --- an issuer whose certificate has expired ---------------------------------
while [ "$(date +%s)" -le "$short_na" ]; do sleep 1; done
check_exit "an expired issuer refuses" 1 "$STICA" issue --config "$C" \
    --profile pertn-ee --pubkey "$K/ee.pub" --tnauthlist tn:12025559005
check_grep "... naming its expiry" \
    "refused \(ST_E_REFUSED\): validity: issuer 'short' expired at $(date -u -d "@$short_na" +%Y-%m-%dT%H:%M:%SZ): its certificate must be renewed" \
    "$T_TMP/err"
check "... and the others still issue" "$STICA" issue --config "$C" \
    --profile pertn-ee --pubkey "$K/ee.pub" --tnauthlist tn:12025550150

done_tests
