#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica tnauthlist: every subcommand and output format, exit codes
# (0 yes/success, 1 no, 2 error), the known-good and known-bad TNAuthList
# vectors of docs stir-facts.md section 7 (RFC 8226 section 9, Appendix A;
# RFC 9060 section 4), and the error lines.  Byte conversions are done by
# Python and OpenSSL, not by stica.
. "$(dirname "$0")/../lib.sh"
S=$STICA
T=$T_TMP

# hex -> raw bytes / padded base64 / base64url without padding
hex2bin() { $PY -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
hex2b64() { $PY -c 'import sys,base64; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$1"; }
hex2b64url() { $PY -c 'import sys,base64; print(base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$1"; }
b642hex() { $PY -c 'import sys,base64; print(base64.b64decode(sys.argv[1]).hex())' "$1"; }
lines() { printf '%s\n' "$@"; }

# expect_decode NAME INPUT EXPECTED-LINES: decode INPUT from stdin
expect_decode() {
	n=$1 in=$2 want=$3
	if got=$(printf '%s\n' "$in" | $S tnauthlist decode 2>"$T/err"); then
		check_eq "$n" "$got" "$want"
	else
		fail "$n: exit $?: $(cat "$T/err")"
	fi
}

# expect_refused NAME HEX PATTERN: decode must exit 2 with PATTERN in the
# one error line, and print nothing on stdout
expect_refused() {
	n=$1 h=$2 pat=$3
	hex2bin "$h" >"$T/neg.der"
	check_exit "$n: exit 2" 2 $S tnauthlist decode "$T/neg.der"
	check_grep "$n: message" "^stica: tnauthlist decode: $T/neg.der: .*$pat" "$T/err"
	check_eq "$n: one line" "$(wc -l <"$T/err")" 1
	check_eq "$n: no output" "$(wc -c <"$T/out")" 0
}

# ------------------------------------------------------------------
# help and usage
check_exit "help tnauthlist" 0 $S help tnauthlist
check_grep "help: usage" '^usage: stica tnauthlist encode' "$T/out"
check_grep "help: examples" '^Examples:' "$T/out"
check_grep "help: SPEC forms" 'range:START\+COUNT' "$T/out"
cp "$T/out" "$T/help1"
check_exit "tnauthlist --help" 0 $S tnauthlist --help
check_eq "--help = help tnauthlist" "$(cat "$T/out")" "$(cat "$T/help1")"
check_exit "decode --help" 0 $S tnauthlist decode --help
check_grep "decode --help" '^usage: stica tnauthlist' "$T/out"
check_exit "encode -h" 0 $S tnauthlist encode -h
check_exit "stica --help lists tnauthlist" 0 $S --help
check_grep "top help" '^  tnauthlist ' "$T/out"
check_exit "no subcommand" 2 $S tnauthlist
check_grep "no subcommand: usage on stderr" '^usage:' "$T/err"
check_exit "unknown subcommand" 2 $S tnauthlist frobnicate
check_grep "unknown subcommand: message" "^stica: tnauthlist: unknown subcommand 'frobnicate'" "$T/err"
check_exit "unknown option" 2 $S tnauthlist encode --bogus spc:1
check_grep "unknown option: message" "^stica: tnauthlist encode: unknown option '--bogus'" "$T/err"
check_exit "-o without value" 2 $S tnauthlist encode spc:1 -o
check_grep "-o without value: message" "needs a value" "$T/err"

# ------------------------------------------------------------------
# encode: formats (expected bytes are RFC / stir-facts.md vectors)
check_exit "encode spc:1234" 0 $S tnauthlist encode spc:1234
check_eq "encode default is base64url" "$(cat "$T/out")" "$(hex2b64url 3008A006160431323334)"
check_eq "encode default: no padding" "$(grep -c '=' "$T/out")" 0
RECIPE=302ba006160431323334a1123010160b3132303235353530303030020164a20d160b3132303235353531323334
check_exit "encode --hex" 0 $S tnauthlist encode --hex spc:1234 range:12025550000+100 tn:12025551234
check_eq "encode --hex = hsm-notes section 6 bytes" "$(cat "$T/out")" "$RECIPE"
check_exit "encode --der" 0 $S tnauthlist encode --der spc:1234 range:12025550000+100 tn:12025551234
hex2bin "$RECIPE" >"$T/recipe.der"
cp "$T/out" "$T/got.der"
check "encode --der: bytes" cmp "$T/got.der" "$T/recipe.der"
check_exit "encode --pem" 0 $S tnauthlist encode --pem spc:1234 range:12025550000+100 tn:12025551234
cp "$T/out" "$T/recipe.pem"
check_eq "encode --pem: first line" "$(head -n 1 "$T/recipe.pem")" "-----BEGIN TNAUTHLIST-----"
check_eq "encode --pem: last line" "$(tail -n 1 "$T/recipe.pem")" "-----END TNAUTHLIST-----"
sed -e '1d' -e '$d' "$T/recipe.pem" | openssl base64 -d >"$T/pem.der" 2>/dev/null
check "encode --pem: body is the DER" cmp "$T/pem.der" "$T/recipe.der"
check "openssl asn1parse reads encode --der" openssl asn1parse -inform DER -in "$T/recipe.der"
check_grep "asn1parse: IA5STRING count" 'INTEGER +:64' "$T/out"
check_exit "one: is tn:" 0 $S tnauthlist encode --hex one:12025551234
check_eq "one:" "$(cat "$T/out")" 300fa20d160b3132303235353531323334

# -o FILE writes the same bytes; a refused encode leaves no file
check_exit "encode -o (base64url)" 0 $S tnauthlist encode -o "$T/o.txt" spc:1234
check_eq "-o: stdout empty" "$(wc -c <"$T/out")" 0
check_eq "-o base64url" "$(cat "$T/o.txt")" "$(hex2b64url 3008A006160431323334)"
check_exit "encode --der -o" 0 $S tnauthlist encode --der -o "$T/o.der" spc:1234 range:12025550000+100 tn:12025551234
check "encode --der -o: bytes" cmp "$T/o.der" "$T/recipe.der"
check_exit "encode --pem -o" 0 $S tnauthlist encode --pem --output "$T/o.pem" spc:1234 range:12025550000+100 tn:12025551234
check "encode --pem -o: same as stdout" cmp "$T/o.pem" "$T/recipe.pem"
check_exit "encode --hex -o" 0 $S tnauthlist encode --hex -o "$T/o.hex" spc:1234 range:12025550000+100 tn:12025551234
check_eq "encode --hex -o" "$(cat "$T/o.hex")" "$RECIPE"
check_exit "refused encode with -o" 2 $S tnauthlist encode -o "$T/never.der" --der tn:12x
if [ -e "$T/never.der" ]; then fail "refused encode created its -o file"; else ok "no file"; fi
check_exit "two formats" 2 $S tnauthlist encode --der --hex spc:1
check_grep "two formats: message" 'exclude each other' "$T/err"
check_exit "no SPEC" 2 $S tnauthlist encode --hex
check_grep "no SPEC: message" 'no SPEC given' "$T/err"

# a write error is an error, not a silent success
if [ -w /dev/full ]; then
	$S tnauthlist encode spc:1234 >/dev/full 2>"$T/err"
	check_eq "encode to a full disk: exit 2" "$?" 2
	check_grep "encode to a full disk: message" '^stica: tnauthlist encode: standard output: No space left' "$T/err"
	printf 'MAigBhYEMTIzNA\n' | $S tnauthlist decode --json >/dev/full 2>"$T/err"
	check_eq "decode to a full disk: exit 2" "$?" 2
	check_grep "decode to a full disk: message" 'standard output: No space left' "$T/err"
fi

# --der refuses a terminal (script(1) gives the command a pty)
script -qec "$S tnauthlist encode --der spc:1234" /dev/null >"$T/tty.out" 2>&1
rc=$?
check_eq "--der to a terminal: exit 2" "$rc" 2
check_grep "--der to a terminal: message" 'refusing to write binary DER to a terminal' "$T/tty.out"
script -qec "$S tnauthlist encode --der -o $T/tty.der spc:1234" /dev/null >"$T/tty.out" 2>&1
check_eq "--der -o with a terminal: exit 0" "$?" 0
hex2bin 3008A006160431323334 >"$T/spc1234.der"
check "--der -o with a terminal: bytes" cmp "$T/tty.der" "$T/spc1234.der"

# Bad SPECs: exit 2, one line naming the rule and the value
bad_spec() { # NAME SPEC PATTERN
	check_exit "bad SPEC $1" 2 $S tnauthlist encode "$2"
	check_grep "bad SPEC $1: message" "^stica: tnauthlist encode: .*$3" "$T/err"
	check_eq "bad SPEC $1: no output" "$(wc -c <"$T/out")" 0
}
bad_spec "unknown form" foo:1 "'foo:1': expected spc:CODE, tn:DIGITS or range:START\+COUNT"
bad_spec "bare number" 12025550100 "expected spc:CODE"
bad_spec "empty tn" tn: "SIZE \(1\.\.15\): empty"
bad_spec "letter in tn" tn:1202555010a 'FROM \("0123456789#\*"\): character 0x61'
bad_spec "plus in tn" tn:+12025550100 'FROM .*character 0x2b'
bad_spec "16 digits" tn:1234567890123456 'SIZE \(1\.\.15\): 16 characters'
bad_spec "empty spc" spc: 'empty ServiceProviderCode'
bad_spec "space in spc" "spc:12 34" 'not visible ASCII'
bad_spec "range exact fit" range:10+90 'RFC 8226 section 9: start \+ count must be less than 10\^2; 10 \+ 90 = 100'
bad_spec "range overflow" range:10+91 'RFC 8226 section 9: .*10 \+ 91 > 100'
bad_spec "range count 1" range:100+1 'count INTEGER \(2\.\.MAX\): count is 1'
bad_spec "range count 0" range:100+0 'count is 0'
bad_spec "range no count" range:100 'expected range:START\+COUNT'
bad_spec "range bad count" range:100+x 'decimal COUNT'
bad_spec "range negative count" range:100+-5 'decimal COUNT'
bad_spec "range wildcard start" 'range:1*0+5' "must not contain '\*' or '#'"
bad_spec "range empty start" range:+5 'empty string'
check_exit "bad SPEC after good ones" 2 $S tnauthlist encode spc:1 tn:2 range:5+5
check_grep "bad SPEC: entry number" 'entry 3 \(range\)' "$T/err"

# ------------------------------------------------------------------
# decode: stir-facts.md section 7.1, hex and base64 inputs
pos() { # NAME HEX EXPECTED-LINES
	expect_decode "decode $1 (hex)" "$2" "$3"
	expect_decode "decode $1 (base64)" "$(hex2b64 "$2")" "$3"
	expect_decode "decode $1 (base64url)" "$(hex2b64url "$2")" "$3"
}
pos "SPC 6628 (zlint shakenCert)" 3008A006160436363238 "spc:6628"
pos "SPC 1234 (RFC 9118 Figure 1)" 3008A006160431323334 "spc:1234"
pos "SPC 709J (asn1-schema)" 3008a00616043730394a "spc:709J"
pos "SPC 818H (peeringhub)" "$(b642hex MAigBhYEODE4SA==)" "spc:818H"
expect_decode "decode SPC 818H as published (padded base64)" "MAigBhYEODE4SA==" "spc:818H"
MIXED64=MCugBxYFYm9ndXOhEjAQFgo1NzE1NTUxMjEyAgIDFKIMFgo3MDM1NTUxMjEy
expect_decode "decode pyasn1 mixed (base64 as published)" "$MIXED64" "$(lines spc:bogus range:5715551212+788 tn:7035551212)"
pos "pyasn1 mixed" "$(b642hex $MIXED64)" "$(lines spc:bogus range:5715551212+788 tn:7035551212)"
pos "Botan ca_spc" 3008A006160431303031 "spc:1001"
CA_RANGES=303BA1123010160B313230323535353031303002010AA10E300C16073535353031303002010AA20D160B3132303235353539393939A20616042A363723
pos "Botan ca_ranges" $CA_RANGES "$(lines range:12025550100+10 range:5550100+10 tn:12025559999 'tn:*67#')"
pos "Botan in_range" 300FA20D160B3132303235353530313035 "tn:12025550105"
pos "Botan sub_range" 3014A1123010160B3132303235353530313032020103 "range:12025550102+3"
pos "Botan wildcard_match" 3008A20616042A363723 "tn:*67#"
NUS=3024A20E160C343432303739343630303030A1123010160A32313235353531303030020203E8
pos "Botan numbers_under_spc" $NUS "$(lines tn:442079460000 range:2125551000+1000)"
pos "Botan range_exact_fit (accepted on decode)" 300BA10930071602313002015A "range:10+90"
pos "Botan range_to_all_nines" 3011A10F300D16073939393030303002022710 "range:9990000+10000"
pos "Botan extension addition" 3017A1153013160331313102020080A0081606667574757265 "range:111+128"
expect_decode "decode hex with colons" "30:08:a0:06:16:04:36:36:32:38" "spc:6628"
expect_decode "decode hex over lines" "$(printf '3008A006\n160436363238')" "spc:6628"

# other inputs: DER file, PEM file, stdin "-", FILE argument
check_exit "decode DER file" 0 $S tnauthlist decode "$T/recipe.der"
check_eq "decode DER file: lines" "$(cat "$T/out")" "$(lines spc:1234 range:12025550000+100 tn:12025551234)"
check_exit "decode PEM file" 0 $S tnauthlist decode "$T/recipe.pem"
check_eq "decode PEM file: lines" "$(cat "$T/out")" "$(lines spc:1234 range:12025550000+100 tn:12025551234)"
$S tnauthlist decode - <"$T/recipe.der" >"$T/out" 2>"$T/err"
check_eq "decode - (DER on stdin)" "$(cat "$T/out")" "$(lines spc:1234 range:12025550000+100 tn:12025551234)"
check_exit "decode hex file" 0 $S tnauthlist decode "$T/o.hex"
check_eq "decode hex file: lines" "$(cat "$T/out")" "$(lines spc:1234 range:12025550000+100 tn:12025551234)"

# --json
hex2bin "$(b642hex $MIXED64)" >"$T/mixed.der"
check_exit "decode --json" 0 $S tnauthlist decode --json "$T/mixed.der"
check_eq "decode --json: document" "$(cat "$T/out")" \
    '{"entries":[{"type":"spc","value":"bogus"},{"type":"range","start":"5715551212","count":788},{"type":"one","value":"7035551212"}]}'
cp "$T/out" "$T/json"
check "decode --json: valid JSON" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["entries"][1]["count"] == 788' "$T/json"
check_exit "decode --json, large count" 0 $S tnauthlist decode --json "$(hex2bin 3011A10F300D16073939393030303002022710 >"$T/nines.der"; echo "$T/nines.der")"
cp "$T/out" "$T/json"
check "decode --json: count is a number" $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["entries"] == [{"type":"range","start":"9990000","count":10000}]' "$T/json"

# round trip of a long list: encode, then decode gives back the SPECs
$PY -c '
for i in range(400):
    print("range:%010d+%d" % (2125550000 + i * 100, 2 + i % 90))
    print("tn:1%014d" % (i * 7919))
print("spc:ABC-123"); print("tn:*67#")' >"$T/specs"
# shellcheck disable=SC2046
check_exit "encode 802 entries" 0 $S tnauthlist encode --der -o "$T/big.der" $(cat "$T/specs")
check_exit "decode 802 entries" 0 $S tnauthlist decode "$T/big.der"
cp "$T/out" "$T/got.specs"
check "decode 802 entries: same SPECs" cmp "$T/got.specs" "$T/specs"

# ------------------------------------------------------------------
# decode: stir-facts.md section 7.2, the encodings RFC 8226 forbids
expect_refused "empty list (zlint)" 3000 'RFC 8226 Appendix A: SIZE \(1\.\.MAX\): the list is empty'
expect_refused "empty SPC (zlint)" 3004A0021600 'RFC 8226 section 9: empty ServiceProviderCode'
expect_refused "IMPLICIT tag (Botan)" 30058203313233 'DEFINITIONS EXPLICIT TAGS: \[2\] is IMPLICIT'
expect_refused "flattened ranges (Botan)" 3016A1143012160331313102020080160332323202020100 'flattened ranges'
expect_refused "range overflow 10+91 (Botan)" 300BA10930071602313002015B 'RFC 8226 section 9: start \+ count must be less than 10\^2 \(equal is tolerated when decoding\); 10 \+ 91 > 100'
expect_refused "truncated IA5String (production)" 3008A006163535384A 'truncated DER'
expect_refused "IA5String URL (libstirshaken)" "1631$($PY -c 'print(b"ca.shaken.signalwire.cloud/sti-ca/acme/TNAuthList".hex())')" 'TNAuthorizationList must be a SEQUENCE'
expect_refused "trailing byte" 3008A00616043636323800 'trailing'
hex2bin 308108A006160436363238 >"$T/nm.der"
check_exit "non-minimal length: exit 2" 2 $S tnauthlist decode "$T/nm.der"
check_grep "non-minimal length: message" 'X\.690 section 10' "$T/err"
# the same refusals for base64 given on stdin carry no file name
printf '%s\n' "$(hex2b64url 3000)" | $S tnauthlist decode >"$T/out" 2>"$T/err"
check_eq "stdin refusal: exit" "$?" 2
check_grep "stdin refusal: message" '^stica: tnauthlist decode: standard input: TNAuthList: RFC 8226' "$T/err"
check_exit "not base64 or hex" 2 $S tnauthlist decode "$(printf 'hello world!\n' >"$T/junk.txt"; echo "$T/junk.txt")"
check_grep "not base64 or hex: message" "^stica: tnauthlist decode: $T/junk.txt: base64: invalid character" "$T/err"
check_exit "empty input" 2 $S tnauthlist decode /dev/null
check_exit "missing file" 2 $S tnauthlist decode "$T/nonexistent.der"
check_grep "missing file: message" "$T/nonexistent.der: No such file" "$T/err"
check_exit "two inputs" 2 $S tnauthlist decode "$T/recipe.der" "$T/recipe.der"
check_grep "two inputs: message" 'more than one input' "$T/err"
printf -- '-----BEGIN CERTIFICATE-----\nMAigBhYEMTIzNA==\n-----END CERTIFICATE-----\n' >"$T/wrong.pem"
check_exit "PEM with another label" 2 $S tnauthlist decode "$T/wrong.pem"
check_grep "PEM with another label: message" "PEM label is 'CERTIFICATE', expected 'TNAUTHLIST' \(use --cert" "$T/err"
check_exit "--cert on a non-certificate" 2 $S tnauthlist decode --cert "$T/recipe.der"
check_grep "--cert on a non-certificate: message" "^stica: tnauthlist decode: $T/recipe.der: not an X.509 certificate" "$T/err"

# stir-facts.md 7.2 rows that are valid RFC 8226 encodings: decode takes
# them (the ATIS-1000080 profile rules belong to the linter), and the
# delegation rows fail "encompasses" against their parents below.
pos "two SPCs (valid RFC 8226, an ATIS profile error)" 3010A006160436363238A006160436363238 "$(lines spc:6628 spc:6628)"
pos "TN instead of SPC (valid RFC 8226, an ATIS profile error)" 3008A206160431323334 "tn:1234"

# ------------------------------------------------------------------
# contains LIST SPEC
c_yes() { # NAME LIST SPEC PATTERN
	check_exit "contains $1: exit 0" 0 $S tnauthlist contains "$2" "$3"
	check_grep "contains $1: line" "^yes: .*$4" "$T/out"
	check_eq "contains $1: one line" "$(wc -l <"$T/out")" 1
}
c_no() { # NAME LIST SPEC PATTERN
	check_exit "contains $1: exit 1" 1 $S tnauthlist contains "$2" "$3"
	check_grep "contains $1: line" "^no: .*$4" "$T/out"
	check_eq "contains $1: one line" "$(wc -l <"$T/out")" 1
}
c_yes "tn in a range" $CA_RANGES tn:12025550105 'tn:12025550105 is within range:12025550100\+10 \(entry 1'
c_yes "first of range" $CA_RANGES tn:12025550100 'range:12025550100\+10'
c_yes "last of range" $CA_RANGES tn:12025550109 'range:12025550100\+10'
c_yes "7-digit tn" $CA_RANGES tn:5550109 'range:5550100\+10 \(entry 2'
c_yes "sub-range" $CA_RANGES range:12025550102+3 'range:12025550102\+3 is within'
c_yes "single tn" $CA_RANGES tn:12025559999 'entry 3'
c_yes "wildcard" $CA_RANGES 'tn:*67#' 'entry 4'
c_no "just past the range" $CA_RANGES tn:12025550110 'tn:12025550110 is not encompassed'
c_no "wrong width (Botan wrong_width)" $CA_RANGES tn:05550105 'tn:05550105 .*no 8-digit numbers'
c_no "range spills (Botan range_spills)" $CA_RANGES range:12025550105+10 'range:12025550105\+10 .*12025550110 is outside'
c_no "SPC not in list" $CA_RANGES spc:1001 'spc:1001 is not encompassed'
c_no "other wildcard" $CA_RANGES 'tn:*68#' "tn:\*68# .*verbatim"
c_yes "SPC in list" 3008A006160431303031 spc:1001 'spc:1001 is within spc:1001'
c_no "number under an SPC, no map" 3008A006160431303031 tn:2125551500 'no policy mapping'
check_exit "contains with --spc-map" 0 $S tnauthlist contains --spc-map 1001=range:2125551000+1000 3008A006160431303031 tn:2125551500
check_grep "contains with --spc-map: line" '^yes: tn:2125551500 is within spc:1001 .*through --spc-map' "$T/out"
c_yes "two ranges together" "$($S tnauthlist encode range:100+5 range:105+5)" range:102+6 'range:102\+6 is within the list \(covered by several'
c_yes "LIST as a file" "$T/recipe.der" tn:12025550042 'range:12025550000\+100'
c_yes "LIST as PEM file" "$T/recipe.pem" tn:12025551234 'tn:12025551234 is within tn:12025551234'
c_yes "LIST as base64url" "$(hex2b64url $CA_RANGES)" tn:12025550105 'entry 1'
c_yes "LIST as padded base64" "$(hex2b64 $CA_RANGES)" tn:12025550105 'entry 1'
$S tnauthlist contains - tn:12025550001 <"$T/recipe.der" >"$T/out" 2>"$T/err"
check_eq "LIST on stdin" "$?" 0
check_exit "contains: bad SPEC" 2 $S tnauthlist contains $CA_RANGES range:10+90
check_grep "contains: bad SPEC: message" '^stica: tnauthlist contains: .*10 \+ 90 = 100' "$T/err"
check_exit "contains: bad LIST" 2 $S tnauthlist contains 3000 tn:1
check_grep "contains: bad LIST: message" '^stica: tnauthlist contains: LIST: TNAuthList: .*SIZE' "$T/err"
check_exit "contains: bad LIST file" 2 $S tnauthlist contains "$T/neg.der" tn:1
check_grep "contains: bad LIST file: named" "^stica: tnauthlist contains: $T/neg.der: " "$T/err"
check_exit "contains: missing file" 2 $S tnauthlist contains "$T/nosuch.der" tn:1
check_grep "contains: missing file: message" "neither an existing file nor an encoded TNAuthList" "$T/err"
check_exit "contains: missing file, base64-like name" 2 $S tnauthlist contains nosuchfile tn:1
check_grep "contains: missing file, base64-like name: message" "'nosuchfile' is neither an existing file nor an encoded TNAuthList" "$T/err"
check_exit "decode: a directory" 2 $S tnauthlist decode "$T"
check_grep "decode: a directory: message" "^stica: tnauthlist decode: $T: Is a directory" "$T/err"
# Hex of only hex digits is never base64 of a TNAuthList (that starts 'M'):
# a wrong first octet is named as such.
printf '31053003020101\n' >"$T/set.hex"
check_exit "decode: hex of a SET" 2 $S tnauthlist decode "$T/set.hex"
check_grep "decode: hex of a SET: message" 'must be a SEQUENCE \(got 0x31\)' "$T/err"
check_exit "encode: unwritable -o" 2 $S tnauthlist encode -o "$T/nodir/x" spc:1
check_grep "encode: unwritable -o: names the path" "^stica: tnauthlist encode: $T/nodir/x: No such file" "$T/err"
check_exit "contains: one argument" 2 $S tnauthlist contains $CA_RANGES
check_grep "contains: one argument: message" 'expected LIST SPEC' "$T/err"

# ------------------------------------------------------------------
# encompasses PARENT CHILD: the Botan delegation chain (stir-facts.md 7.1
# and 7.2), RFC 9060 section 4
enc() { # NAME CODE PARENT CHILD PATTERN [OPTIONS...]
	n=$1 code=$2 p=$3 c=$4 pat=$5
	shift 5
	check_exit "encompasses $n: exit $code" "$code" $S tnauthlist encompasses "$@" "$p" "$c"
	check_grep "encompasses $n: line" "$pat" "$T/out"
	check_eq "encompasses $n: one line" "$(wc -l <"$T/out")" 1
}
CA_SPC=3008A006160431303031
enc "in_range" 0 $CA_RANGES 300FA20D160B3132303235353530313035 '^yes: the child.s 1 entry is encompassed'
enc "sub_range" 0 $CA_RANGES 3014A1123010160B3132303235353530313032020103 '^yes:'
enc "wildcard_match" 0 $CA_RANGES 3008A20616042A363723 '^yes:'
enc "itself" 0 $CA_RANGES $CA_RANGES "^yes: the child.s 4 entries are encompassed by the parent.s 4 entries"
enc "range_spills" 1 $CA_RANGES 3014A1123010160B313230323535353031303502010A '^no: RFC 9060 section 4: range:12025550105\+10 is not encompassed.*12025550110 is outside'
enc "out_of_range" 1 $CA_RANGES 3010A20E160C343432303739343630303030 '^no: RFC 9060 section 4: tn:442079460000 is not encompassed'
enc "wrong_width" 1 $CA_RANGES 300CA20A16083035353530313035 '^no: RFC 9060 section 4: tn:05550105 is not encompassed'
enc "spc_under_ranges" 1 $CA_RANGES $CA_SPC '^no: RFC 9060 section 4: spc:1001 is not encompassed'
enc "spc_same" 0 $CA_SPC $CA_SPC '^yes:'
enc "spc_other" 1 $CA_SPC 3008A006160432303032 '^no: RFC 9060 section 4: spc:2002 is not encompassed'
enc "numbers_under_spc without a map" 1 $CA_SPC $NUS '^no: RFC 9060 section 4: .*no policy mapping'
enc "numbers_under_spc with --spc-map" 0 $CA_SPC $NUS '^yes: the child.s 2 entries' \
    --spc-map 1001=range:2125551000+1000,tn:442079460000
enc "numbers_under_spc, map split over two options" 0 $CA_SPC $NUS '^yes:' \
    --spc-map 1001=range:2125551000+1000 --spc-map spc:1001=tn:442079460000
enc "numbers_under_spc, map one short" 1 $CA_SPC $NUS '^no: .*2125551999 is outside it, nor among the numbers the policy assigns' \
    --spc-map 1001=range:2125551000+999,tn:442079460000
enc "map for another SPC" 1 $CA_SPC $NUS '^no:' --spc-map 1002=range:2125551000+1000,tn:442079460000
enc "files" 0 "$T/recipe.der" "$T/recipe.pem" '^yes:'
enc "child wider than parent" 1 "$T/spc1234.der" "$T/recipe.der" '^no: .*not encompassed'
check_exit "--spc-map without =" 2 $S tnauthlist encompasses --spc-map 1001 $CA_SPC $NUS
check_grep "--spc-map without =: message" "expected SPC=SPEC" "$T/err"
check_exit "--spc-map with an SPC value" 2 $S tnauthlist encompasses --spc-map 1001=spc:1002 $CA_SPC $NUS
check_grep "--spc-map with an SPC value: message" "is an SPC" "$T/err"
check_exit "--spc-map with a bad SPEC" 2 $S tnauthlist encompasses --spc-map 1001=range:10+90 $CA_SPC $NUS
check_grep "--spc-map with a bad SPEC: message" "10 \+ 90 = 100" "$T/err"
check_exit "encompasses: bad CHILD" 2 $S tnauthlist encompasses $CA_SPC 30058203313233
check_grep "encompasses: bad CHILD: message" "^stica: tnauthlist encompasses: CHILD: .*IMPLICIT" "$T/err"
check_exit "encompasses: three arguments" 2 $S tnauthlist encompasses $CA_SPC $CA_SPC $CA_SPC

done_tests
