#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The TNAuthList extension (RFC 8226 section 9, 1.3.6.1.5.5.7.1.26) in a
# real certificate, with OpenSSL as the independent judge:
#  - stica's --hex output goes into an "openssl req -x509" config as
#    DER:<hex>; openssl asn1parse -strparse shows the entries (EXPLICIT
#    tags, IA5STRING values, INTEGER count), -out extracts the extension
#    value, and stica decodes it and the certificate back to the SPECs;
#  - the hsm-notes.md section 6 recipe (ASN1:SEQUENCE: with EXPLICIT tags,
#    built by OpenSSL alone) decodes with --cert and has the same bytes as
#    stica's encoding of the same entries;
#  - certificates with no extension, IMPLICIT tags or flattened ranges
#    are refused with the rule named.
. "$(dirname "$0")/../lib.sh"
S=$STICA
T=$T_TMP
cd "$T" || exit 2

hex2bin() { $PY -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }

# mkcert NAME EXTENSION-LINES [EXTRA-SECTIONS]: self-signed P-256 cert
mkcert() {
	cat >"$1.cnf" <<EOF
[req]
distinguished_name = dn
x509_extensions = v3_tn
prompt = no
[dn]
C = US
O = stica test
CN = SHAKEN $1
[v3_tn]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
$2
$3
EOF
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$1.key" -out "$1.pem" -days 30 -sha256 \
	    -config "$1.cnf" >"$1.log" 2>&1 &&
	    openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

# extoffset CERT.der: offset of the OCTET STRING that follows the
# TNAuthList OID in asn1parse's listing
extoffset() {
	openssl asn1parse -inform DER -in "$1" |
	    awk '/OBJECT +:(1\.3\.6\.1\.5\.5\.7\.1\.26|TNAuthList|TN Authorization List)$/ { f = 1; next }
		 f && /OCTET STRING/ { sub(/:.*/, ""); print $1; exit }'
}

SPECS="spc:1234 range:12025550000+100 tn:12025551234 tn:*67# range:5550100+10 tn:442079460000"
WANT=$(printf '%s\n' $SPECS)

# 1. stica --hex -> openssl config DER:<hex>
# shellcheck disable=SC2086
HEX=$($S tnauthlist encode --hex $SPECS)
check_eq "encode --hex exit" "$?" 0
check "openssl req with DER:<hex>" mkcert stica "1.3.6.1.5.5.7.1.26 = DER:$HEX"
check "openssl verify" openssl verify -CAfile stica.pem stica.pem
check_grep "openssl verify: OK" 'stica.pem: OK' "$T/out"
OFF=$(extoffset stica.der)
if [ -n "$OFF" ]; then ok "asn1parse finds the extension"; else
	fail "asn1parse finds the extension: no OCTET STRING after the OID"; OFF=0; fi
check "asn1parse -strparse" openssl asn1parse -inform DER -in stica.der -strparse "$OFF" -i
cp "$T/out" parse.txt
check_grep "strparse: outer SEQUENCE" '^ +0:d=0 +hl=2 l= *[0-9]+ cons: SEQUENCE' parse.txt
check_grep "strparse: [0] is EXPLICIT (constructed)" 'd=1 +hl=2 l= +6 cons: +cont \[ 0 \]' parse.txt
check_grep "strparse: spc IA5STRING" 'd=2 .*prim: +IA5STRING +:1234$' parse.txt
check_grep "strparse: [1] is EXPLICIT" 'cons: +cont \[ 1 \]' parse.txt
check_grep "strparse: range SEQUENCE" 'd=2 .*cons: +SEQUENCE' parse.txt
check_grep "strparse: range start IA5STRING" 'd=3 .*prim: +IA5STRING +:12025550000$' parse.txt
check_grep "strparse: range count INTEGER 100" 'd=3 .*prim: +INTEGER +:64$' parse.txt
check_grep "strparse: count 10" 'd=3 .*prim: +INTEGER +:0A$' parse.txt
check_grep "strparse: [2] is EXPLICIT" 'cons: +cont \[ 2 \]' parse.txt
check_grep "strparse: one IA5STRING" 'd=2 .*prim: +IA5STRING +:12025551234$' parse.txt
check_grep "strparse: wildcard IA5STRING" 'd=2 .*prim: +IA5STRING +:\*67#$' parse.txt
check_grep "strparse: 12-digit IA5STRING" 'd=2 .*prim: +IA5STRING +:442079460000$' parse.txt
check_eq "strparse: 6 entries at depth 1" "$(grep -c 'd=1 ' parse.txt)" 6
check "asn1parse -strparse -out" openssl asn1parse -inform DER -in stica.der -strparse "$OFF" -out ext.der -noout
hex2bin "$HEX" >want.der
check "extracted extension = stica's DER" cmp ext.der want.der
check_exit "decode the extracted extension" 0 $S tnauthlist decode ext.der
check_eq "decode extension: SPECs" "$(cat "$T/out")" "$WANT"
check_exit "decode --cert (PEM)" 0 $S tnauthlist decode --cert stica.pem
check_eq "decode --cert PEM: SPECs" "$(cat "$T/out")" "$WANT"
check_exit "decode --cert (DER)" 0 $S tnauthlist decode --cert stica.der
check_eq "decode --cert DER: SPECs" "$(cat "$T/out")" "$WANT"
$S tnauthlist decode --cert - <stica.pem >"$T/out" 2>"$T/err"
check_eq "decode --cert on stdin" "$(cat "$T/out")" "$WANT"
check_exit "decode --cert --json" 0 $S tnauthlist decode --cert --json stica.pem
cp "$T/out" cert.json
check "decode --cert --json: entries" $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))["entries"]
assert d[0] == {"type": "spc", "value": "1234"}, d
assert d[1] == {"type": "range", "start": "12025550000", "count": 100}, d
assert d[3] == {"type": "one", "value": "*67#"}, d
assert len(d) == 6' cert.json
check_exit "contains with a certificate's extension" 0 $S tnauthlist contains ext.der tn:12025550099
check_exit "encompasses with a certificate's extension" 1 $S tnauthlist encompasses ext.der "$($S tnauthlist encode range:12025550090+20)"
check_grep "encompasses: names the escaping entry" '^no: .*range:12025550090\+20' "$T/out"

# 2. hsm-notes.md section 6: OpenSSL builds the value itself
check "hsm-notes recipe (ASN1:SEQUENCE:)" mkcert recipe \
    "1.3.6.1.5.5.7.1.26 = ASN1:SEQUENCE:tnauthlist" "[tnauthlist]
spc = EXPLICIT:0,IA5STRING:1234
range = EXPLICIT:1,SEQUENCE:tnrange
one = EXPLICIT:2,IA5STRING:12025551234
[tnrange]
start = IA5STRING:12025550000
count = INTEGER:100"
check "recipe: openssl verify" openssl verify -CAfile recipe.pem recipe.pem
check_exit "recipe: decode --cert" 0 $S tnauthlist decode --cert recipe.pem
check_eq "recipe: SPECs" "$(cat "$T/out")" "$(printf '%s\n' spc:1234 range:12025550000+100 tn:12025551234)"
ROFF=$(extoffset recipe.der)
openssl asn1parse -inform DER -in recipe.der -strparse "${ROFF:-0}" -out recipe-ext.der -noout >/dev/null 2>&1
$S tnauthlist encode --der -o stica-same.der spc:1234 range:12025550000+100 tn:12025551234
check "recipe: OpenSSL's bytes = stica's bytes" cmp recipe-ext.der stica-same.der
check_eq "recipe: the bytes of hsm-notes.md" "$($PY -c 'import sys; print(open(sys.argv[1],"rb").read().hex())' recipe-ext.der)" \
    302ba006160431323334a1123010160b3132303235353530303030020164a20d160b3132303235353531323334

# 3. certificates stica must refuse
check "no extension" mkcert plain ""
check_exit "no extension: decode --cert" 2 $S tnauthlist decode --cert plain.pem
check_grep "no extension: message" "^stica: tnauthlist decode: plain.pem: certificate has no TNAuthList extension \(1\.3\.6\.1\.5\.5\.7\.1\.26\)" "$T/err"
check "IMPLICIT tags (Botan neg_implicit_tag)" mkcert implicit "1.3.6.1.5.5.7.1.26 = DER:30058203313233"
check_exit "IMPLICIT: decode --cert" 2 $S tnauthlist decode --cert implicit.pem
check_grep "IMPLICIT: message" "^stica: tnauthlist decode: implicit.pem: .*EXPLICIT TAGS: \[2\] is IMPLICIT" "$T/err"
check "flattened ranges from an openssl config" mkcert flat \
    "1.3.6.1.5.5.7.1.26 = ASN1:SEQUENCE:tnauthlist" "[tnauthlist]
range = EXPLICIT:1,SEQUENCE:tnrange
[tnrange]
start = IA5STRING:111
count = INTEGER:128
start2 = IA5STRING:222
count2 = INTEGER:256"
check_exit "flattened: decode --cert" 2 $S tnauthlist decode --cert flat.pem
check_grep "flattened: message" 'flattened ranges' "$T/err"
check "libstirshaken-style IA5String" mkcert ia5 "1.3.6.1.5.5.7.1.26 = ASN1:IA5STRING:ca.shaken.example/sti-ca/acme/TNAuthList"
check_exit "IA5String: decode --cert" 2 $S tnauthlist decode --cert ia5.pem
check_grep "IA5String: message" 'TNAuthorizationList must be a SEQUENCE' "$T/err"
check "range overflow in a certificate" mkcert overflow "1.3.6.1.5.5.7.1.26 = DER:300BA10930071602313002015B"
check_exit "overflow: decode --cert" 2 $S tnauthlist decode --cert overflow.der
check_grep "overflow: message" 'RFC 8226 section 9: start \+ count must be less than 10\^2' "$T/err"
check_exit "a key is not a certificate" 2 $S tnauthlist decode --cert stica.key
check_grep "key: message" 'not an X.509 certificate' "$T/err"

done_tests
