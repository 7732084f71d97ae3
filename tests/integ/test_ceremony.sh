#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica ceremony on a throwaway SoftHSM2 token (docs/ceremony.md): every
# mode (root, intermediate with a TNAuthList, intermediate from a given
# public key, csr, key-only, crl), judged by openssl (verify, req -verify,
# crl -verify, asn1parse), pkcs11-tool and Python cryptography; dry runs
# that do not touch the token; existing outputs, reused labels and a
# mismatched signing key refused with nothing written and no key made; a
# certificate the linter refuses before signing (docs/lint.md); the
# transcript's signing key, input public key and CRL entries (in the
# signed CRL's order); what a real run refuses refused by the dry run too,
# with a file position (one output spelt twice, pin-source with pin-env, a
# PIN file hsm_open cannot use); and every file in
# tests/data/ceremony/bad/ refused with the exact message in its .err
# sidecar.
. "${STICA_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "$STICA_TOP/tests/softhsm.sh"

D=$STICA_TOP/tests/data/ceremony
softhsm_setup stica-test || { fail "softhsm_setup"; done_tests; exit 1; }
trap 'softhsm_cleanup; rm -rf "$T_TMP"' EXIT
W=$T_TMP/w
mkdir -p "$W/bad"
cp "$SOFTHSM_PIN_FILE" "$W/pin"
chmod 600 "$W/pin"
cp "$D"/good/*.yaml "$W/"
cp "$D"/bad/*.yaml "$D"/bad/*.err "$W/bad/"
cd "$W" || exit 1
M=$SOFTHSM_MODULE
# All fixed-date material is checked at 2026-06-15T00:00:00Z.
AT=1781481600

# Private key labels in the token, sorted, space-separated.
labels() {
	pkcs11-tool --module "$M" --token-label stica-test --login \
	    --pin "$(softhsm_pin)" --list-objects --type privkey 2>/dev/null |
	    sed -n 's/^ *label: *//p' | sort | tr '\n' ' '
}
# The PEM block of TYPE number N (1-based) in FILE.
pem_block() {
	awk -v t="$1" -v n="$2" '
	    $0 == "-----BEGIN " t "-----" { k++ }
	    k == n && inb == 0 && $0 == "-----BEGIN " t "-----" { inb = 1 }
	    inb { print }
	    inb && $0 == "-----END " t "-----" { inb = 0; if (k == n) exit }' "$3"
}
# "SHA-256 AA:BB:..." of stdin, as the transcript prints it.
sha256_colon() {
	sha256sum | cut -d' ' -f1 | tr 'a-f' 'A-F' | sed 's/../&:/g; s/:$//'
}

# --- dry run: the file is checked, the token is not touched ------------
check_exit "dry-run root exits 0" 0 "$STICA" ceremony --dry-run root.yaml
check_grep "dry-run says so" "dry run: root.yaml is valid" "$T_TMP/out"
check_eq "dry-run wrote nothing" "$(ls root.pem root.pub.pem 2>/dev/null)" ""
check_eq "dry-run generated no key" "$(labels)" ""
# A module that is not PKCS#11 at all: a dry run never loads it, a real
# run fails there, before any key or file exists.
awk '{ print } /^pkcs11:/ { print "  module: /bin/sh" }' root.yaml \
    >root-sh.yaml
check_exit "dry-run does not load the module" 0 \
    "$STICA" ceremony --dry-run root-sh.yaml
check_exit "real run with a bogus module fails" 2 \
    "$STICA" ceremony root-sh.yaml
check_grep "bogus module named" "/bin/sh" "$T_TMP/err"
check_eq "failed run wrote nothing" "$(ls root.pem root.pub.pem 2>/dev/null)" \
    ""

# --- root ----------------------------------------------------------------
check_exit "root ceremony" 0 "$STICA" ceremony root.yaml
cp "$T_TMP/out" root.out
check "root verifies as its own anchor" \
    openssl verify -attime "$AT" -x509_strict -CAfile root.pem root.pem
check_grep "root: verify OK" "root.pem: OK" "$T_TMP/out"
pem_block CERTIFICATE 1 root.out >root.tr.pem
check "transcript holds the root certificate" cmp root.tr.pem root.pem
pem_block "PUBLIC KEY" 1 root.out >root.tr.pub
check "transcript holds the root public key" cmp root.tr.pub root.pub.pem
fp=$(openssl x509 -in root.pem -outform DER | sha256_colon)
check_grep "transcript has the certificate SHA-256" "SHA-256: +$fp" root.out
fp=$(openssl pkey -pubin -in root.pub.pem -outform DER | sha256_colon)
check_grep "transcript has the SPKI SHA-256" "SPKI SHA-256: $fp" root.out
check_grep "transcript names the key" "key label: +root-1" root.out
check_grep "transcript: linted before signing" "^  lint: +ok" root.out
check_grep "transcript has the key URI" "key URI: +pkcs11:token=stica-test;id=.*;object=root-1;type=private" root.out
openssl x509 -in root.pem -pubkey -noout >root.cert.pub
check "public-key output is the certificate's key" cmp root.cert.pub \
    root.pub.pem
openssl x509 -in root.pem -noout -text >root.txt
check_grep "root: ecdsa-with-SHA256" "Signature Algorithm: ecdsa-with-SHA256" \
    root.txt
check_grep "root: basicConstraints critical" \
    "X509v3 Basic Constraints: critical" root.txt
check_grep "root: CA:TRUE without pathlen" "^ +CA:TRUE$" root.txt
check_grep "root: keyUsage critical" "X509v3 Key Usage: critical" root.txt
check_grep "root: keyCertSign, cRLSign" "^ +Certificate Sign, CRL Sign$" \
    root.txt
# RFC 5280 4.2.1.2 method (1), serial and AKI judged by Python cryptography.
check "root: SKI, AKI, serial, version (cryptography)" $PY -c '
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
c = x509.load_pem_x509_certificate(open("root.pem", "rb").read())
ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
want = x509.SubjectKeyIdentifier.from_public_key(c.public_key()).digest
assert ski.digest == want, "SKI is not method (1)"
assert aki.key_identifier == want, "AKI != SKI"
assert c.version == x509.Version.v3
assert c.serial_number > 0 and c.serial_number.bit_length() > 64
assert c.serial_number.bit_length() <= 159
assert isinstance(c.signature_hash_algorithm, hashes.SHA256)
assert c.issuer == c.subject
names = [a.oid.dotted_string for a in c.subject]
assert names == ["2.5.4.6", "2.5.4.10", "2.5.4.3"], names
'
pkcs11-tool --module "$M" --token-label stica-test --login \
    --pin "$(softhsm_pin)" --list-objects --type privkey --label root-1 \
    >keyinfo.txt 2>&1
check_grep "root key: never extractable" "never extractable" keyinfo.txt
check_grep "root key: usage sign only" "^ +Usage: +sign$" keyinfo.txt
check_grep "root key: sensitive" "Access: +sensitive" keyinfo.txt
# p11tool (GnuTLS) as a second judge: flags and a refused export.
GNUTLS_PIN=$(softhsm_pin) p11tool --provider "$M" --login \
    --list-all-privkeys "pkcs11:token=stica-test;object=root-1" \
    >p11tool.txt 2>&1
check_grep "p11tool: CKA_NEVER_EXTRACTABLE, CKA_SENSITIVE" \
    "Flags:.*CKA_NEVER_EXTRACTABLE.*CKA_SENSITIVE" p11tool.txt
check_eq "p11tool: no CKA_EXTRACTABLE" \
    "$(grep -c 'CKA_EXTRACTABLE' p11tool.txt)" 0
check_exit "p11tool cannot export the private key" 1 env \
    GNUTLS_PIN="$(softhsm_pin)" p11tool --provider "$M" --login --export \
    "pkcs11:token=stica-test;object=root-1;type=private"

# --- running the same file again: outputs exist, nothing happens --------
check_exit "rerun refused" 2 "$STICA" ceremony root.yaml
check_grep "rerun: outputs exist" "root.yaml:[0-9]+:[0-9]+: 'public-key': .*root.pub.pem already exists; refusing to overwrite" "$T_TMP/err"
check_eq "rerun: no second key" "$(labels)" "root-1 "

# --- intermediate with a TNAuthList (RFC 9060 delegate CA) --------------
check_exit "intermediate ceremony" 0 "$STICA" ceremony intermediate.yaml
cp "$T_TMP/out" ca.out
check "intermediate chains to the root" \
    openssl verify -attime "$AT" -x509_strict -CAfile root.pem ca.pem
pem_block CERTIFICATE 1 ca.out >ca.tr.pem
check "transcript holds the CA certificate" cmp ca.tr.pem ca.pem
check_grep "transcript: signing key matched" "matches the issuer certificate" \
    ca.out
# The signing key is printed like a new key: its PEM and SPKI SHA-256
# (first PUBLIC KEY block), then the new key's (second).
pem_block "PUBLIC KEY" 1 ca.out >ca.signer.pub
check "transcript holds the signing key's public key" cmp ca.signer.pub \
    root.pub.pem
fp=$(openssl pkey -pubin -in root.pub.pem -outform DER | sha256_colon)
check_grep "transcript has the signing key's SPKI SHA-256" \
    "^  SPKI SHA-256: $fp$" ca.out
check_grep "transcript names the signing key" "key label: +root-1$" ca.out
fp=$(openssl x509 -in root.pem -outform DER | sha256_colon)
check_grep "transcript has the issuer certificate's SHA-256" \
    "^    SHA-256: +$fp$" ca.out
pem_block "PUBLIC KEY" 2 ca.out >ca.tr.pub
check "transcript holds the new CA key" cmp ca.tr.pub ca.pub.pem
check "tnauthlist decode --cert" "$STICA" tnauthlist decode --cert ca.pem
cp "$T_TMP/out" tn.got
printf 'spc:1234\nrange:12025550100+100\ntn:12025551234\n' >tn.want
check "TNAuthList decodes back to the ceremony's list" cmp tn.got tn.want
check "TNAuthList extension: non-critical, extracted" $PY -c '
from cryptography import x509
c = x509.load_pem_x509_certificate(open("ca.pem", "rb").read())
e = c.extensions.get_extension_for_oid(
    x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26"))
assert not e.critical
open("tn.der", "wb").write(e.value.value)
r = x509.load_pem_x509_certificate(open("root.pem", "rb").read())
aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
ski = r.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
assert aki.value.key_identifier == ski.value.digest, "AKI != issuer SKI"
own = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
assert own.value.digest == \
    x509.SubjectKeyIdentifier.from_public_key(c.public_key()).digest
bc = c.extensions.get_extension_for_class(x509.BasicConstraints)
assert bc.critical and bc.value.ca and bc.value.path_length == 0
ku = c.extensions.get_extension_for_class(x509.KeyUsage)
assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
assert not ku.value.digital_signature
cp = c.extensions.get_extension_for_class(x509.CertificatePolicies)
assert [p.policy_identifier.dotted_string for p in cp.value] == \
    ["2.16.840.1.114569.1.1.4"]
dp = c.extensions.get_extension_for_class(x509.CRLDistributionPoints)
assert dp.value[0].full_name[0].value == "http://crl.example.net/root.crl"
assert c.issuer == r.subject
'
openssl asn1parse -inform DER -in tn.der >tn.asn1 2>&1
check_grep "asn1parse: spc [0] 1234" "IA5STRING +:1234$" tn.asn1
check_grep "asn1parse: range [1]" "cont \[ 1 \]" tn.asn1
check_grep "asn1parse: range start" "IA5STRING +:12025550100$" tn.asn1
check_grep "asn1parse: range count 100" "INTEGER +:64$" tn.asn1
check_grep "asn1parse: one [2]" "cont \[ 2 \]" tn.asn1
pkcs11-tool --module "$M" --token-label stica-test --login \
    --pin "$(softhsm_pin)" --list-objects --type privkey --label ca-1 \
    >keyinfo.txt 2>&1
check_grep "CA key: never extractable" "never extractable" keyinfo.txt

# --- key-only, then certify that public key ------------------------------
check_exit "key-only ceremony" 0 "$STICA" ceremony key-only.yaml
pkcs11-tool --module "$M" --token-label stica-test --read-object \
    --type pubkey --label key-1 -o key1.der >/dev/null 2>&1
openssl pkey -pubin -inform DER -in key1.der -out key1.token.pem 2>/dev/null
check "key-only output is the token's public key" cmp key1.token.pem \
    key1.pub.pem
check_exit "intermediate from a public key" 0 \
    "$STICA" ceremony intermediate-pubkey.yaml
cp "$T_TMP/out" ca2.out
check_grep "transcript: the input public key's step" \
    "^\[step [0-9]+\] take the public key to certify from .*/key1.pub.pem$" \
    ca2.out
pem_block "PUBLIC KEY" 2 ca2.out >ca2.tr.pub
check "transcript holds the certified public key" cmp ca2.tr.pub key1.pub.pem
fp=$(openssl pkey -pubin -in key1.pub.pem -outform DER | sha256_colon)
check_grep "transcript has the certified key's SPKI SHA-256" \
    "^  SPKI SHA-256: $fp$" ca2.out
pem_block "PUBLIC KEY" 1 ca2.out >ca2.signer.pub
check "transcript holds the signing key (from a public key)" cmp \
    ca2.signer.pub root.pub.pem
check "ca2 chains to the root" \
    openssl verify -attime "$AT" -x509_strict -CAfile root.pem ca2.pem
openssl x509 -in ca2.pem -pubkey -noout >ca2.cert.pub
check "ca2 certifies key-1" cmp ca2.cert.pub key1.pub.pem
openssl x509 -in ca2.pem -noout -text >ca2.txt
check_grep "crl-sign false: keyCertSign only (ATIS v005)" \
    "^ +Certificate Sign$" ca2.txt

# --- lint before signing: a key the file checks accept, the linter not ---
# RFC 5480 section 2.2: stica certifies uncompressed points only.
openssl ec -pubin -in key1.pub.pem -pubout -conv_form compressed \
    -out key1c.pub.pem 2>/dev/null
sed -e 's/key1.pub.pem/key1c.pub.pem/' -e 's/ca2.pem/ca2c.pem/' \
    intermediate-pubkey.yaml >lint.yaml
check_exit "lint: the file itself is valid" 0 \
    "$STICA" ceremony --dry-run lint.yaml
check_exit "lint: compressed point refused before signing" 2 \
    "$STICA" ceremony lint.yaml
check_grep "lint: the rule is named" "^stica: ceremony: lint e_rfc5280_spki_decode: RFC 5280 section 4.1.2.7, RFC 5480 section 2.2: .*compressed point" "$T_TMP/err"
check_grep "lint: transcript says FAILED" "=== ceremony FAILED: lint e_rfc5280_spki_decode" "$T_TMP/out"
check_eq "lint: nothing signed" "$(grep -c 'signature:' "$T_TMP/out")" 0
check_eq "lint: nothing written" "$(ls ca2c.pem 2>/dev/null)" ""

# --- csr -----------------------------------------------------------------
check_exit "csr ceremony" 0 "$STICA" ceremony csr.yaml
check "csr verifies (openssl req -verify)" \
    openssl req -in ca3.csr -verify -noout
openssl req -in ca3.csr -noout -text >csr.txt 2>&1
check_grep "csr: ecdsa-with-SHA384 (P-384)" \
    "Signature Algorithm: ecdsa-with-SHA384" csr.txt
check_grep "csr: requests CA:TRUE, pathlen 1" "CA:TRUE, pathlen:1" csr.txt
check_grep "csr: requests the TNAuthList" "1\.3\.6\.1\.5\.5\.7\.1\.26" csr.txt
openssl req -in ca3.csr -pubkey -noout >csr.req.pub
check "csr carries the new key" cmp csr.req.pub csr.pub.pem

# --- crl -----------------------------------------------------------------
check_exit "crl ceremony" 0 "$STICA" ceremony crl.yaml
cp "$T_TMP/out" crl.out
check "crl verifies with the root (openssl crl -verify)" \
    openssl crl -in root.crl.pem -CAfile root.pem -verify -noout
check_grep "crl: verify OK" "verify OK" "$T_TMP/err"
pem_block "X509 CRL" 1 crl.out >crl.tr.pem
check "transcript holds the CRL" cmp crl.tr.pem root.crl.pem
openssl crl -in root.crl.pem -noout -text >crl.txt
check_grep "crl: v2" "Version 2" crl.txt
check_grep "crl: number 1" "X509v3 CRL Number" crl.txt
check_grep "crl: AKI" "X509v3 Authority Key Identifier" crl.txt
check_grep "crl: entry 0A1B2C3D" "Serial Number: 0A1B2C3D" crl.txt
check_grep "crl: reason" "Key Compromise" crl.txt
# The transcript lists the entries as the signed CRL holds them (sorted,
# so FF before 0A1B2C3D), with date and reason, and the signing key.
pem_block "PUBLIC KEY" 1 crl.out >crl.signer.pub
check "crl transcript holds the signing key" cmp crl.signer.pub root.pub.pem
fp=$(openssl pkey -pubin -in root.pub.pem -outform DER | sha256_colon)
check_grep "crl transcript has the signing key's SPKI SHA-256" \
    "^  SPKI SHA-256: $fp$" crl.out
check_grep "crl transcript: entries" "^    entries: +2$" crl.out
sed -n 's/^    revoked: *//p' crl.out >crl.tr.entries
printf '%s\n' "FF  2026-05-02T12:00:00Z  unspecified (no reasonCode)" \
    "0A1B2C3D  2026-05-01T00:00:00Z  key-compromise" >crl.want.entries
check "crl transcript: entries with date and reason" cmp crl.tr.entries \
    crl.want.entries
check_eq "crl transcript: in the CRL's order (openssl crl -text)" \
    "$(cut -d' ' -f1 crl.tr.entries | tr '\n' ' ')" \
    "$(sed -n 's/^ *Serial Number: *//p' crl.txt | tr '\n' ' ')"
# Revoke ca2 in a second CRL: openssl then refuses ca2 and accepts ca.
serial=$(openssl x509 -in ca2.pem -noout -serial | cut -d= -f2)
sed -e 's/number: 1/number: 2/' -e "s/\"FF\"/\"$serial\"/" \
    -e 's/root.crl.pem/root2.crl.pem/' \
    -e 's/this-update: 2026-06-01T00:00:00Z/this-update: 2026-06-10T00:00:00Z/' \
    crl.yaml >crl2.yaml
check_exit "second crl ceremony" 0 "$STICA" ceremony crl2.yaml
check_exit "ca2 is revoked by the CRL" 2 openssl verify -attime "$AT" \
    -crl_check -CAfile root.pem -CRLfile root2.crl.pem ca2.pem
cat "$T_TMP/out" "$T_TMP/err" >revoked.txt
check_grep "ca2: certificate revoked" "certificate revoked" revoked.txt
check "ca is not revoked" openssl verify -attime "$AT" -crl_check \
    -CAfile root.pem -CRLfile root2.crl.pem ca.pem

# --- RFC 9060 section 4: a delegate's scope inside its issuer's ----------
sed -e 's/label: ca-1/label: ca-4/' -e '/path-length: 0/d' \
    -e '/spc:1234/d' -e '/tn:12025551234/d' -e '/crl-url/d' \
    -e 's/ca.pub.pem/ca4.pub.pem/' -e 's/certificate: ca.pem/certificate: ca4.pem/' \
    intermediate.yaml >ca4.yaml
check_exit "delegate CA without pathLen" 0 "$STICA" ceremony ca4.yaml
sed -e 's/label: ca-1/label: sub-1/' -e 's/label: root-1/label: ca-4/' \
    -e 's/certificate: root.pem/certificate: ca4.pem/' -e '/path-length: 0/d' \
    -e '/spc:1234/d' -e 's/range:12025550100+100/range:12025550150+10/' \
    -e '/tn:12025551234/d' -e '/crl-url/d' -e 's/2031-01-01/2030-01-01/' \
    -e 's/ca.pub.pem/sub.pub.pem/' -e 's/certificate: ca.pem/certificate: sub.pem/' \
    intermediate.yaml >sub.yaml
sed -e 's/range:12025550150+10/tn:12025559999/' sub.yaml >subbad.yaml
check_exit "scope outside the issuer's refused" 2 \
    "$STICA" ceremony --dry-run subbad.yaml
check_grep "scope: RFC 9060 message" "subbad.yaml:[0-9]+:[0-9]+: 'tnauthlist': not encompassed by the issuer's TNAuthList \(RFC 9060 section 4\)" "$T_TMP/err"
check_grep "scope: names the escaping number" "12025559999" "$T_TMP/err"
check_exit "scope inside the issuer's" 0 "$STICA" ceremony sub.yaml
check "three-level chain verifies" openssl verify -attime "$AT" -x509_strict \
    -CAfile root.pem -untrusted ca4.pem sub.pem

# --- P-384 root: ecdsa-with-SHA384 -----------------------------------------
sed -e 's/root-1/root-384/' -e 's/ec-p256/ec-p384/' \
    -e 's/root.pub.pem/root384.pub.pem/' -e 's/root.pem/root384.pem/' \
    root.yaml >root384.yaml
check_exit "P-384 root" 0 "$STICA" ceremony root384.yaml
openssl x509 -in root384.pem -noout -text >root384.txt
check_grep "P-384 root: ecdsa-with-SHA384" \
    "Signature Algorithm: ecdsa-with-SHA384" root384.txt
check_grep "P-384 root: secp384r1" "NIST CURVE: P-384" root384.txt
check "P-384 root verifies" openssl verify -attime "$AT" -CAfile root384.pem \
    root384.pem

# --- refusals that must leave no trace -------------------------------------
before=$(labels)
sed -e 's/label: ca-1/label: ca-x/' -e 's/ca.pub.pem/cax.pub.pem/' \
    intermediate.yaml >exists.yaml
check_exit "existing output refused" 2 "$STICA" ceremony exists.yaml
check_grep "existing output: message" "exists.yaml:[0-9]+:[0-9]+: 'certificate': .*/ca.pem already exists; refusing to overwrite" "$T_TMP/err"
check_eq "existing output: no public key written" \
    "$(ls cax.pub.pem 2>/dev/null)" ""
check_eq "existing output: no key generated" "$(labels)" "$before"

sed -e 's/label: key-1/label: root-1/' -e 's/key1.pub.pem/reuse.pub.pem/' \
    key-only.yaml >reuse.yaml
check_exit "reused key label refused" 2 "$STICA" ceremony reuse.yaml
check_grep "reused label: named" "root-1" "$T_TMP/err"
check_eq "reused label: nothing written" "$(ls reuse.pub.pem 2>/dev/null)" ""
check_eq "reused label: no key generated" "$(labels)" "$before"

sed -e 's/label: ca-1/label: ca-y/' -e 's/label: root-1/label: key-1/' \
    -e 's/ca.pub.pem/cay.pub.pem/' -e 's/certificate: ca.pem/certificate: cay.pem/' \
    intermediate.yaml >mismatch.yaml
check_exit "signing key not the issuer's refused" 2 \
    "$STICA" ceremony mismatch.yaml
check_grep "mismatch: message" "signing key 'key-1' is not the key of the issuer certificate" "$T_TMP/err"
check_eq "mismatch: nothing written" "$(ls cay.pem cay.pub.pem 2>/dev/null)" ""
check_eq "mismatch: no key generated" "$(labels)" "$before"

# --- what the real run would refuse, the dry run refuses too ----------------
# Two outputs naming one file, spelt differently: refused when the file is
# read, so neither run generates a key or writes anything.
sed -e 's/label: root-1/label: same-1/' \
    -e 's|public-key: root.pub.pem|public-key: n.pub.pem|' \
    -e 's|certificate: root.pem|certificate: ./n.pub.pem|' root.yaml >same.yaml
check_exit "same file, spelt twice: dry run refused" 2 \
    "$STICA" ceremony --dry-run same.yaml
check_grep "same file: message" "^stica: ceremony: same.yaml:[0-9]+:[0-9]+: 'certificate': same file as 'public-key'$" "$T_TMP/err"
check_exit "same file, spelt twice: real run refused" 2 \
    "$STICA" ceremony same.yaml
check_grep "same file: real run, same message" "same.yaml:[0-9]+:[0-9]+: 'certificate': same file as 'public-key'" "$T_TMP/err"
check_eq "same file: nothing written" "$(ls n.pub.pem 2>/dev/null)" ""
check_eq "same file: no key generated" "$(labels)" "$before"
# pin-source and pin-env together: a file position, before the token
awk '{ print } /^  token:/ { print "  pin-env: STICA_CEREMONY_PIN" }' \
    key-only.yaml | sed -e 's/key-1/key-twice/' \
    -e 's/key1.pub.pem/twice.pub.pem/' >twice.yaml
check_exit "PIN twice: dry run refused" 2 "$STICA" ceremony --dry-run \
    twice.yaml
check_grep "PIN twice: message" "^stica: ceremony: twice.yaml:5:12: 'pin-env': PIN given twice: both pin-source in the token URI and environment variable STICA_CEREMONY_PIN; keep one$" "$T_TMP/err"
check_exit "PIN twice: real run refused" 2 "$STICA" ceremony twice.yaml
check_grep "PIN twice: real run, same message" "twice.yaml:5:12: 'pin-env': PIN given twice" "$T_TMP/err"
check_eq "PIN twice: no key generated" "$(labels)" "$before"
# pin-env alone is fine
sed -e 's/;pin-source=file:pin"/"/' twice.yaml >envpin.yaml
check_exit "pin-env alone: dry run" 0 "$STICA" ceremony --dry-run envpin.yaml
check_exit "pin-env alone: real run" 0 env STICA_CEREMONY_PIN="$(softhsm_pin)" \
    "$STICA" ceremony envpin.yaml
check_eq "pin-env alone: key made" "$(labels)" "$(printf '%s\n' $before key-twice |
    sort | tr '\n' ' ')"
before=$(labels)
# A pin-source file that hsm_open cannot use: missing (bad/), or a
# symbolic link, which hsm_open never follows (O_NOFOLLOW).
ln -s pin pin-link
sed -e 's/pin-source=file:pin/pin-source=file:pin-link/' \
    -e 's/key-1/key-link/' -e 's/key1.pub.pem/link.pub.pem/' \
    key-only.yaml >pinlink.yaml
check_exit "PIN file a symbolic link: dry run refused" 2 \
    "$STICA" ceremony --dry-run pinlink.yaml
check_grep "PIN link: message" "^stica: ceremony: pinlink.yaml:4:10: 'token': PIN: pin-source file .*/pin-link: Too many levels of symbolic links$" "$T_TMP/err"
check_exit "PIN file a symbolic link: real run refused" 2 \
    "$STICA" ceremony pinlink.yaml
check_eq "PIN link: no key generated" "$(labels)" "$before"
if grep -qF -- "$(softhsm_pin)" "$T_TMP/out" "$T_TMP/err"; then
	fail "a PIN was printed"
else
	ok "no PIN printed"
fi

# --- usage -------------------------------------------------------------------
check_exit "no file: usage error" 2 "$STICA" ceremony
check_exit "unknown option" 2 "$STICA" ceremony --force root.yaml
check_exit "missing file" 2 "$STICA" ceremony nonexistent.yaml
check_grep "missing file: named" "nonexistent.yaml: No such file" "$T_TMP/err"
check_exit "help" 0 "$STICA" help ceremony

# --- every bad file, with its expected message --------------------------------
n=0
for f in bad/*.yaml; do
	b=${f%.yaml}
	n=$((n + 1))
	want="stica: ceremony: $(sed "s|@DIR@|$W|g" "$b.err")"
	"$STICA" ceremony --dry-run "$f" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	got=$(cat "$T_TMP/err")
	if [ $rc -eq 2 ] && [ "$got" = "$want" ]; then
		ok "$f"
	else
		fail "$f: exit $rc
    got:  $got
    want: $want"
	fi
done
check_eq "bad files present" "$([ $n -ge 50 ] && echo yes)" yes
check_eq "bad files left the token alone" "$(labels)" "$before"

done_tests
