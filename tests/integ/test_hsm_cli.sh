#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica hsm list | keygen on a throwaway SoftHSM token (tests/softhsm.sh).
# Judges: openssl (the printed public key and its fingerprint) and
# pkcs11-tool (what the token holds, including a key made with
# pkcs11-tool's own defaults, whose extra usages stica must report).
. "${STICA_TOP:-.}/tests/lib.sh"
. "$STICA_TOP/tests/softhsm.sh"

softhsm_setup stica-cli || { echo "test_hsm_cli.sh: 0 passed, 1 failed"; exit 1; }
trap 'softhsm_cleanup; rm -rf "$T_TMP"' EXIT
PIN=$(softhsm_pin)

check_exit "help hsm" 0 "$STICA" help hsm
check_grep "help text" '^usage: stica hsm list' "$T_TMP/out"
check_grep "help: no PIN on argv" 'never accepted on the command line' "$T_TMP/out"

# keygen: the URI, then the public key in PEM
check_exit "keygen ec-p256" 0 "$STICA" hsm keygen --token "$SOFTHSM_URI" \
    --label cli-ec
cp "$T_TMP/out" "$T_TMP/ec.out"
check_eq "keygen: URI line" \
    "$(head -n 1 "$T_TMP/ec.out" | sed 's/id=\(%[0-9a-f][0-9a-f]\)*/id=X/')" \
    "pkcs11:token=stica-cli;id=X;object=cli-ec;type=private"
sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' "$T_TMP/ec.out" >"$T_TMP/ec.pem"
check "keygen: PEM parses" openssl pkey -pubin -in "$T_TMP/ec.pem" -noout -text
check_grep "keygen: P-256" 'ASN1 OID: prime256v1' "$T_TMP/out"

check_exit "keygen rsa-3072" 0 "$STICA" hsm keygen --token "$SOFTHSM_URI" \
    --label cli-rsa --type=rsa-3072
sed -n '/BEGIN PUBLIC KEY/,/END PUBLIC KEY/p' "$T_TMP/out" >"$T_TMP/rsa.pem"
check "keygen rsa: PEM" openssl pkey -pubin -in "$T_TMP/rsa.pem" -noout -text
check_grep "keygen rsa: 3072 bits" 'Public-Key: \(3072 bit\)' "$T_TMP/out"

# refusals, each with one clear line
check_exit "keygen: label reused" 2 "$STICA" hsm keygen --token "$SOFTHSM_URI" \
    --label cli-ec --type ec-p384
check_grep "label reused: message" "key label 'cli-ec' already used in token 'stica-cli'" "$T_TMP/err"
check_exit "keygen: bad type" 2 "$STICA" hsm keygen --token "$SOFTHSM_URI" \
    --label x --type ed448
check_grep "bad type: message" "key type 'ed448' unknown" "$T_TMP/err"
check_exit "keygen: no label" 2 "$STICA" hsm keygen --token "$SOFTHSM_URI"
check_grep "no label: message" '--token and --label are required' "$T_TMP/err"
check_exit "keygen: --pin refused" 2 "$STICA" hsm keygen --token "$SOFTHSM_URI" \
    --label y --pin "$PIN"
check_grep "--pin: message" 'PINs never go on the command line' "$T_TMP/err"
check_exit "keygen: pin-value refused" 2 "$STICA" hsm keygen \
    --token "pkcs11:token=stica-cli;pin-value=$PIN" --label y
check_grep "pin-value: message" 'pin-value refused' "$T_TMP/err"
if grep -qF -- "$PIN" "$T_TMP/err"; then fail "pin-value: PIN echoed"; else ok "pin-value: PIN not echoed"; fi
printf 'wrong-pin\n' >"$T_TMP/wrong.pin"
check_exit "keygen: wrong PIN" 2 "$STICA" hsm keygen \
    --token "pkcs11:token=stica-cli;pin-source=file:$T_TMP/wrong.pin" --label y
check_grep "wrong PIN: message" "C_Login: CKR_PIN_INCORRECT \(token 'stica-cli'\)" "$T_TMP/err"
check_exit "keygen: no such token" 2 "$STICA" hsm keygen \
    --token "pkcs11:token=nope;pin-source=file:$SOFTHSM_PIN_FILE" --label y
check_grep "no token: message" "token 'nope' not present in module" "$T_TMP/err"
check_exit "list: no such module" 2 "$STICA" hsm list --module /nonexistent.so
check_grep "no module: message" 'PKCS#11 module /nonexistent.so: No such file' "$T_TMP/err"
check_exit "unknown subcommand" 2 "$STICA" hsm frob
check_exit "unknown option" 2 "$STICA" hsm list --frob
check_exit "list: keygen options" 2 "$STICA" hsm list --label x

# labels: CKA_LABEL is UTF-8 (PKCS#11 v2.40 section 4.4); a bad one is
# refused before the token is opened (so even with a wrong PIN file)
lab=$(printf 'x\377\376')
check_exit "keygen: label not UTF-8" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$lab"
check_grep "not UTF-8: message" "^stica: hsm keygen: key label: byte 2 \(0xff\) is not valid UTF-8 \(PKCS#11 v2.40 section 4.4: CKA_LABEL is UTF-8\)$" "$T_TMP/err"
check_exit "keygen: label not UTF-8, wrong PIN" 2 "$STICA" hsm keygen \
    --token "pkcs11:token=stica-cli;pin-source=file:$T_TMP/wrong.pin" \
    --label "$lab"
check_grep "not UTF-8: before the login" "byte 2 \(0xff\) is not valid UTF-8" "$T_TMP/err"
check_exit "keygen: label with a tab" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$(printf 'a\tb')"
check_grep "tab: message" "key label: byte 2 is a control character \(U\+0009\)" "$T_TMP/err"
check_exit "keygen: label with U+0085" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$(printf 'a\302\205')"
check_grep "C1 control: message" "byte 2 is a control character \(U\+0085\)" "$T_TMP/err"
check_exit "keygen: overlong UTF-8" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$(printf '\300\257')"
check_grep "overlong: message" "byte 1 \(0xc0\) is not valid UTF-8" "$T_TMP/err"
check_exit "keygen: 65-byte label" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$(printf '%065d' 0 | tr 0 a)"
check_grep "65 bytes: message" "key label must have 1 to 64 bytes, not 65" "$T_TMP/err"
check_exit "keygen: empty label" 2 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label ""
check_grep "empty: message" "key label must have 1 to 64 bytes, not 0" "$T_TMP/err"
lab=$(printf 'cl\303\251-\344\270\255')
check_exit "keygen: UTF-8 label" 0 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$lab"
check_exit "keygen: 64-byte label" 0 "$STICA" hsm keygen \
    --token "$SOFTHSM_URI" --label "$(printf '%064d' 0 | tr 0 b)"
"$STICA" hsm list --token "$SOFTHSM_URI" >"$T_TMP/labels" 2>&1
if grep -qF "key '$lab' id" "$T_TMP/labels"; then ok "UTF-8 label listed"; else
	fail "UTF-8 label listed: $(grep "key '" "$T_TMP/labels")"; fi
if grep -q "key 'x" "$T_TMP/labels"; then fail "a refused label made a key"; else
	ok "no key from a refused label"; fi

# Six keygens with one label at once: exactly one keeps it; each other
# one is refused at its first look ("already used") or after generating
# ("taken by a concurrent key generation; nothing was kept"), having
# destroyed its own pair.  SoftHSM's file store sometimes fails one of
# several processes opening the token at once (C_Login:
# CKR_GENERAL_ERROR or CKR_USER_PIN_NOT_INITIALIZED while another process
# rewrites the token file, also after stica's one recovery attempt, or the
# token "not present"); such a process never
# reached the label and is only counted, and at least two must reach it.
pids=""
i=0
while [ $i -lt 6 ]; do
	"$STICA" hsm keygen --token "$SOFTHSM_URI" --label race \
	    >"$T_TMP/race$i.out" 2>"$T_TMP/race$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
won=0 late=0 early=0 login=0 other=0 i=0
for p in $pids; do
	wait "$p"
	rc=$?
	if [ $rc -eq 0 ]; then
		won=$((won + 1))
		head -n 1 "$T_TMP/race$i.out" >"$T_TMP/race.uri"
	elif [ $rc -eq 2 ] && grep -qx "stica: hsm keygen: key label 'race' was taken by a concurrent key generation; nothing was kept (token 'stica-cli')" "$T_TMP/race$i.err"; then
		late=$((late + 1))
	elif [ $rc -eq 2 ] && grep -qx "stica: hsm keygen: key label 'race' already used in token 'stica-cli'" "$T_TMP/race$i.err"; then
		early=$((early + 1))
	elif [ $rc -eq 2 ] && grep -qxE "stica: hsm keygen: (.*(C_Login|C_OpenSession): CKR_[A-Z_]+ \(token 'stica-cli'\)|token 'stica-cli' not present in module .*)" "$T_TMP/race$i.err"; then
		login=$((login + 1))
	else
		other=$((other + 1))
		echo "race $i: exit $rc: $(cat "$T_TMP/race$i.err")"
	fi
	i=$((i + 1))
done
[ -z "${TH_VERBOSE:-}" ] || echo "race: won $won, lost after generating $late, at the first look $early, failed to open $login"
check_eq "race: at least two reached the label" \
    "$([ $((won + late + early)) -ge 2 ] && echo yes)" yes
check_eq "race: one keygen kept the label" "$won" 1
check_eq "race: every other one refused with the label's message" \
    "$((late + early + login)):$other" "5:0"
check_exit "race: list" 0 "$STICA" hsm list --token "$SOFTHSM_URI"
check_eq "race: one key labelled race" "$(grep -c "^    key 'race' " "$T_TMP/out")" 1
check_grep "race: it is the winner's" "$(cat "$T_TMP/race.uri")" "$T_TMP/out"
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label stica-cli --login \
    --pin "$PIN" --list-objects >"$T_TMP/p11race" 2>&1
check_eq "race: pkcs11-tool sees one pair" \
    "$(grep -c '^  label: *race$' "$T_TMP/p11race")" 2

# the PIN from an environment variable
check_exit "keygen --pin-env" 0 env STICA_CLI_PIN="$PIN" "$STICA" hsm keygen \
    --token "pkcs11:token=stica-cli" --pin-env STICA_CLI_PIN --label env-key
check_exit "--pin-env unset" 2 env -u STICA_CLI_PIN "$STICA" hsm list \
    --token "pkcs11:token=stica-cli" --pin-env STICA_CLI_PIN
check_grep "--pin-env unset: message" 'STICA_CLI_PIN is not set' "$T_TMP/err"

# a key made with pkcs11-tool's defaults, for contrast
softhsm_keygen_tool tool-ec || fail "pkcs11-tool keygen"

# list, logged in
check_exit "list --token" 0 "$STICA" hsm list --token "$SOFTHSM_URI"
cp "$T_TMP/out" "$T_TMP/list"
check_grep "list: token" "^  token 'stica-cli': SoftHSM project SoftHSM v2" "$T_TMP/list"
check_grep "list: cli-ec" "^    key 'cli-ec' id [0-9a-f]{32}$" "$T_TMP/list"
check_grep "list: URI" "$(head -n 1 "$T_TMP/ec.out")" "$T_TMP/list"
awk '/key .cli-ec./ { f = 1 } f && /private:/ { print; exit }' "$T_TMP/list" >"$T_TMP/ecattrs"
check_grep "list: cli-ec sign only" 'sign=yes decrypt=no derive=no unwrap=no sign-recover=no sensitive=yes extractable=no always-sensitive=yes never-extractable=yes' "$T_TMP/ecattrs"
awk '/key .tool-ec./ { f = 1 } f && /private:/ { print; exit }' "$T_TMP/list" >"$T_TMP/toolattrs"
check_grep "list: tool-ec shows pkcs11-tool's usages" 'sign=yes decrypt=yes derive=yes unwrap=yes' "$T_TMP/toolattrs"
pkcs11-tool --module "$SOFTHSM_MODULE" --token-label stica-cli --login \
    --pin "$PIN" --list-objects --type privkey >"$T_TMP/p11" 2>&1
check_grep "pkcs11-tool agrees: tool-ec" 'Usage: +decrypt, sign, unwrap, derive' "$T_TMP/p11"
awk '/label: +cli-ec/ { f = 1 } f && /Usage/ { print; exit }' "$T_TMP/p11" >"$T_TMP/p11ec"
check_grep "pkcs11-tool agrees: cli-ec" 'Usage: +sign$' "$T_TMP/p11ec"

# the fingerprint is SHA-256 over the DER SPKI printed by keygen
fp=$(openssl pkey -pubin -in "$T_TMP/ec.pem" -outform DER |
    openssl dgst -sha256 -c | sed 's/.*= //' | tr a-f A-F)
awk '/key .cli-ec./ { f = 1 } f && /spki-sha256/ { print $2; exit }' "$T_TMP/list" >"$T_TMP/fp"
check_eq "list: fingerprint" "$(cat "$T_TMP/fp")" "$fp"

# list without a PIN: public objects only
check_exit "list without PIN" 0 "$STICA" hsm list
check_grep "list all: slot lines" '^slot [0-9]+: ' "$T_TMP/out"
check_grep "list all: not logged in" 'not logged in: private objects are hidden' "$T_TMP/out"
check_grep "list all: public key only" "key 'cli-ec' id .* \(public key only" "$T_TMP/out"
if grep -q 'private: sign=' "$T_TMP/out"; then fail "no private attributes without PIN"; else ok "no private attributes without PIN"; fi

# nothing ever printed the PIN
if cat "$T_TMP/list" "$T_TMP/out" "$T_TMP/err" | grep -qF -- "$PIN"; then
	fail "PIN appears in output"
else
	ok "PIN never printed"
fi
done_tests
