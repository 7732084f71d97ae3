#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica verify (RFC 5280 section 6, RFC 9060 sections 4 and 7, RFC 9118
# section 6): exit codes (0 valid, 1 invalid, 2 usage or input error),
# the one-line answers, and agreement with independent judges:
#  - "openssl verify" accepts exactly the chains that are valid as X.509
#    paths (and also the RFC 9060 scope escapes, which only stica refuses);
#  - Python "cryptography" checks every signature and the AKI/SKI linkage
#    of the valid chains, and the SKI method (1) of the ATIS chain;
#  - a second chain is made by the openssl command line alone, with the
#    TNAuthList given to openssl as DER, and stica must judge it too.
# The C-built chains come from "test_verify --write DIR".
. "$(dirname "$0")/../lib.sh"
S=$STICA
T=$T_TMP
GEN="$STICA_BUILD/tests/unit/test_verify"
cd "$T" || exit 2

if ! "$GEN" --write "$T" >"$T/gen.log" 2>&1; then
	fail "test_verify --write: $(cat "$T/gen.log")"
	done_tests
	exit 1
fi

# verify_ok NAME PATTERN ARGS...: exit 0 and PATTERN on the one stdout line
verify_ok() {
	n=$1 pat=$2
	shift 2
	check_exit "$n: exit 0" 0 $S verify "$@"
	check_grep "$n: answer" "$pat" "$T/out"
	check_eq "$n: one line" "$(wc -l <"$T/out")" 1
	check_eq "$n: quiet stderr" "$(wc -c <"$T/err")" 0
}

# verify_no NAME PATTERN ARGS...: exit 1, one "chain invalid:" line
verify_no() {
	n=$1 pat=$2
	shift 2
	check_exit "$n: exit 1" 1 $S verify "$@"
	check_grep "$n: answer" "^chain invalid: .*$pat" "$T/out"
	check_eq "$n: one line" "$(wc -l <"$T/out")" 1
}

# verify_err NAME PATTERN ARGS...: exit 2, one line on stderr
verify_err() {
	n=$1 pat=$2
	shift 2
	check_exit "$n: exit 2" 2 $S verify "$@"
	check_grep "$n: message" "^stica: verify: .*$pat" "$T/err"
	check_eq "$n: one line" "$(wc -l <"$T/err")" 1
	check_eq "$n: nothing on stdout" "$(wc -c <"$T/out")" 0
}

# ------------------------------------------------------------------
# help and usage
check_exit "help verify" 0 $S help verify
check_grep "help: usage" '^usage: stica verify --trust FILE' "$T/out"
check_grep "help: RFC 9060" 'RFC 9060 section 4' "$T/out"
cp "$T/out" help1
check_exit "verify --help" 0 $S verify --help
check_eq "--help = help verify" "$(cat "$T/out")" "$(cat help1)"
check_exit "top help lists verify" 0 $S --help
check_grep "top help" '^  verify ' "$T/out"
verify_err "no --trust" '--trust FILE is required' chain.pem
verify_err "no chain" 'expected one CHAIN.pem' --trust root.pem
verify_err "two chains" 'expected one CHAIN.pem' --trust root.pem chain.pem chain.pem
verify_err "unknown option" "unknown option '--bogus'" --bogus --trust root.pem chain.pem
verify_err "missing value" "option needs a value: '--trust'" chain.pem --trust
verify_err "missing chain file" 'nonexistent.pem' --trust root.pem nonexistent.pem
verify_err "missing trust file" 'nothere.pem' --trust nothere.pem chain.pem
printf 'not a certificate\n' >garbage.pem
verify_err "garbage chain" 'garbage.pem: no PEM certificate found' --trust root.pem garbage.pem
verify_err "bad --at" '--at: expected an RFC 3339 time' --at 2030-13-01T00:00:00Z --trust root.pem chain.pem
verify_err "bad --at offset" '--at' --at 2030-01-01T00:00:00+2 --trust root.pem chain.pem
verify_err "bad --tn" '--tn 12a' --tn 12a --trust root.pem chain.pem
verify_err "bad --spc-map" "--spc-map '1001': expected SPC=SPEC" --spc-map 1001 --trust root.pem chain.pem
verify_err "--spc-map with an SPC" "is an SPC" --spc-map 1001=spc:2002 --trust root.pem chain.pem

# ------------------------------------------------------------------
# the valid 3-level delegation chain
verify_ok "valid chain" '^chain OK: 3 certificates, leaf scope tn:12025550105$' \
    --trust root.pem chain.pem
verify_ok "valid chain, --tn" '^chain OK: 3 certificates, leaf scope tn:12025550105; tn:12025550105 is in it$' \
    --trust root.pem --tn 12025550105 chain.pem
verify_ok "anchor listed" 'chain OK: 3 certificates and the listed anchor' \
    --trust root.pem chain-with-root.pem
verify_ok "intermediate as anchor" '^chain OK: 2 certificates' \
    --trust ca1.pem chain.pem
verify_ok "several --trust" '^chain OK: 3 certificates' \
    --trust other-root.pem --trust root.pem chain.pem
cat other-root.pem root.pem >bundle.pem
verify_ok "anchor bundle" '^chain OK: 3 certificates' --trust bundle.pem chain.pem
verify_ok "--at next week" '^chain OK' --at "$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)" \
    --trust root.pem chain.pem
verify_ok "--at with an offset" '^chain OK' --at "$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%S.5+02:00)" \
    --trust root.pem chain.pem
openssl x509 -in leaf.pem -outform DER -out leaf.der
verify_ok "DER leaf against its issuer" '^chain OK: 1 certificate, leaf' \
    --trust ca2.pem leaf.der
# the judges agree
check "openssl verify: valid chain" openssl verify -x509_strict -CAfile root.pem -untrusted chain.pem leaf.pem
check_grep "openssl verify: OK" 'leaf.pem: OK' "$T/out"
check "openssl verify -partial_chain: ca1 as anchor" \
    openssl verify -partial_chain -CAfile ca1.pem -untrusted ca2.pem leaf.pem

cat >judge.py <<'EOF'
# Independent judge: every signature with cryptography, RFC 9060 section 7
# linkage (AKI keyIdentifier of cert i = SKI of cert i+1, the anchor last),
# and, with --method1, SKI = SHA-1(subjectPublicKey) for every certificate.
import re
import sys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

def load(p):
    pem = open(p, "rb").read()
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?",
                        pem, re.S)
    return [x509.load_pem_x509_certificate(b) for b in blocks]

chain = load(sys.argv[1]) + load(sys.argv[2])
for i in range(len(chain) - 1):
    c, up = chain[i], chain[i + 1]
    up.public_key().verify(c.signature, c.tbs_certificate_bytes,
                           ec.ECDSA(c.signature_hash_algorithm))
    aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ski = up.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.value.key_identifier == ski.value.digest, "linkage %d" % i
    assert c.issuer.public_bytes() == up.subject.public_bytes(), "name %d" % i
if "--method1" in sys.argv:
    for c in chain:
        ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        want = x509.SubjectKeyIdentifier.from_public_key(c.public_key())
        assert ski.value.digest == want.digest, "method 1: %s" % c.subject
print("judge: %d certificates OK" % len(chain))
EOF
check "python judge: valid chain" $PY judge.py chain.pem root.pem
check_grep "python judge: 4 certificates" 'judge: 4 certificates OK' "$T/out"
check "python judge: ATIS chain, SKI method 1" $PY judge.py atis-chain.pem atis-root.pem --method1
verify_ok "ATIS chain" '^chain OK: 2 certificates, leaf scope spc:1234$' \
    --trust atis-root.pem atis-chain.pem
verify_no "ATIS chain, --tn without a map" 'tn:12025550105 cannot be confirmed' \
    --trust atis-root.pem --tn 12025550105 atis-chain.pem
verify_ok "ATIS chain, --tn through the map" 'tn:12025550105 is in it through --spc-map' \
    --trust atis-root.pem --spc-map 1234=range:12025550000+1000 --tn 12025550105 atis-chain.pem
# the leaf's TNAuthList bytes are stir-facts.md section 7.1's Botan "in_range"
check "leaf TNAuthList = Botan in_range" $PY -c '
import sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open("leaf.pem", "rb").read())
e = c.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26"))
assert e.value.value.hex().upper() == "300FA20D160B3132303235353530313035", e.value.value.hex()
assert not e.critical'

# ------------------------------------------------------------------
# RFC 9060 section 4: every escape; openssl verify accepts them all
for c in spill outside width grandparent; do
	check "openssl verify accepts chain-$c (X.509 only)" \
	    openssl verify -x509_strict -CAfile root.pem -untrusted chain-$c.pem chain-$c.pem
done
verify_no "range spills past the parent" \
    'certificate 0 \(CN=Enterprise C 12025550105,O=Enterprise C,C=US\): RFC 9060 section 4: not encompassed by certificate 1 \(CN=Reseller B CA,O=Reseller B,C=US\): range:12025550195\+10 is not encompassed by the parent: 12025550200 is outside it$' \
    --trust root.pem chain-spill.pem
verify_no "number outside" 'certificate 0 .*not encompassed by certificate 1 .*tn:12025550300' \
    --trust root.pem chain-outside.pem
verify_no "wrong length" 'the parent has no 10-digit numbers' \
    --trust root.pem chain-width.pem
verify_no "grandparent across an unconstrained CA" \
    'certificate 0 .*not encompassed by certificate 2 \(CN=Carrier A TN-block CA' \
    --trust root.pem chain-grandparent.pem
verify_no "numbers under an SPC without a map" 'no policy mapping says which numbers belong to it' \
    --trust root.pem chain-spcnum.pem
verify_ok "numbers under an SPC with a map" '^chain OK: 2 certificates, leaf scope tn:12025550105$' \
    --trust root.pem --spc-map 1001=range:12025550000+1000 chain-spcnum.pem
verify_ok "map given as spc:, two SPECs" '^chain OK' \
    --trust root.pem --spc-map spc:1001=tn:12025550104,tn:12025550105 chain-spcnum.pem
verify_no "map that does not cover it" 'nor among the numbers the policy assigns' \
    --trust root.pem --spc-map 1001=range:12025551000+10 chain-spcnum.pem
verify_ok "SPC leaf under its SPC" 'leaf scope spc:1001$' --trust root.pem chain-spc.pem
verify_no "--tn outside the leaf" 'tn:12025550106 is not in the certificate' \
    --trust root.pem --tn 12025550106 chain.pem

# ------------------------------------------------------------------
# X.509 and RFC 9060 section 7 failures; openssl verify refuses them too
verify_no "wrong order" 'RFC 9060 section 7: the list must be ordered from the signer to the trust anchor' \
    --trust root.pem chain-order.pem
verify_no "broken AKI/SKI linkage" 'certificate 0 .*RFC 9060 section 7: its AKI keyIdentifier 5a:5a' \
    --trust root.pem chain-badaki.pem
verify_no "expired leaf" 'certificate 0 \(CN=Enterprise C.*certificate has expired \(OpenSSL error 10 at depth 0\)' \
    --trust root.pem chain-expired.pem
check_exit "openssl verify refuses the expired leaf" 2 \
    openssl verify -CAfile root.pem -untrusted chain-expired.pem leaf-expired.pem
verify_no "valid chain in 10 years" 'certificate has expired' \
    --at 2036-06-01T00:00:00Z --trust root.pem chain.pem
verify_no "valid chain in 2000" 'certificate is not yet valid' \
    --at 2000-01-01T00:00:00Z --trust root.pem chain.pem
verify_no "wrong anchor (same name, other key)" 'certificate 2 .*does not appear as the SKI of the trust anchor' \
    --trust other-root.pem chain.pem
check_exit "openssl verify refuses the wrong anchor" 2 \
    openssl verify -CAfile other-root.pem -untrusted chain.pem leaf.pem
verify_no "wrong anchor (another name)" 'is not among the trust anchors' \
    --trust atis-root.pem chain.pem
verify_no "both claim extensions" 'certificate 0 .*RFC 9118 section 6' \
    --trust root.pem chain-both.pem

# ------------------------------------------------------------------
# a chain made by the openssl command line alone
HEX_CA=$($S tnauthlist encode --hex range:12025550000+1000)
HEX_EE=$($S tnauthlist encode --hex tn:12025550777)
HEX_BAD=$($S tnauthlist encode --hex tn:12025551777)
cat >o.cnf <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_ca]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.5.5.7.1.26 = DER:$HEX_CA
[v3_ee]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.5.5.7.1.26 = DER:$HEX_EE
[v3_ee_bad]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.3.6.1.5.5.7.1.26 = DER:$HEX_BAD
EOF
ossl() { # NAME SUBJECT ISSUER-NAME EXTENSIONS
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "o$1.key" -subj "$2" -config o.cnf -out "o$1.csr" &&
	    openssl x509 -req -in "o$1.csr" -CA "o$3.pem" -CAkey "o$3.key" \
		-set_serial "0x$(openssl rand -hex 16)" -days 30 -sha256 \
		-extfile o.cnf -extensions "$4" -out "o$1.pem"
}
check "openssl: root" openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout oroot.key -subj "/C=US/O=OpenSSL Test/CN=OpenSSL STIR Root" \
    -config o.cnf -extensions v3_root -days 60 -sha256 -out oroot.pem
check "openssl: TN-block CA" ossl ca "/C=US/O=OpenSSL Test/CN=OpenSSL TN CA" root v3_ca
check "openssl: per-TN leaf" ossl ee "/C=US/O=OpenSSL Test/CN=OpenSSL leaf" ca v3_ee
check "openssl: leaf outside" ossl bad "/C=US/O=OpenSSL Test/CN=OpenSSL bad leaf" ca v3_ee_bad
cat oee.pem oca.pem >ochain.pem
cat obad.pem oca.pem >obadchain.pem
check "openssl verify: openssl chain" openssl verify -x509_strict -CAfile oroot.pem -untrusted oca.pem oee.pem
verify_ok "openssl-made chain" '^chain OK: 2 certificates, leaf scope tn:12025550777; tn:12025550777 is in it$' \
    --trust oroot.pem --tn 12025550777 ochain.pem
verify_no "openssl-made escape" 'certificate 0 \(CN=OpenSSL bad leaf.*not encompassed by certificate 1 .*tn:12025551777' \
    --trust oroot.pem obadchain.pem
verify_no "openssl chain, stica root" 'is not among the trust anchors' \
    --trust root.pem ochain.pem

done_tests
