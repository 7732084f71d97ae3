#!/bin/sh
# SPDX-License-Identifier: ISC
#
# stica issue-batch on a stica init deployment (SoftHSM): JSON lines with
# base64 and PEM public keys and with CSRs, bad lines reported with their
# line numbers without stopping the others (exit 1), --strict (exit 2),
# the output lines and the summary, a rerun that re-emits every line from
# the store without issuing anything, the default batch id (SHA-256 of the
# input), stdin, and the certificates judged by openssl verify, stica
# verify and python3-cryptography + pyasn1 rfc8226.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
C=$D/stica.yaml
GEN="$STICA_TOP/tests/integ/issue_gen.py"
CHECK="$STICA_TOP/tests/integ/issue_check.py"

check_exit "init" 0 "$STICA" init "$D" --range 12025500000+100000
{
printf 'version: 1\nprofiles:\n'
pertn_ee_profile
cat <<'EOF'
  pertn-ca:
    kind: per-tn
    ca: true
    mode: rfc9060
    lifetime: 30d
    backdate: 1h
    key-types: [ec-p256]
    path-len: 0
    max-entries: 1
    subject: {C: US, CN: "TN CA {tn}"}
issuers:
  ca: {profiles: [pertn-ee, pertn-ca]}
rules:
  - {name: ee, match: {requester: operator, ca: false, kind: per-tn}, issue: {profile: pertn-ee, issuer: ca, scope: requested}}
  - {name: ca, match: {requester: operator, ca: true, kind: per-tn}, issue: {profile: pertn-ca, issuer: ca, scope: requested}}
  - {name: rest, match: {}, refuse: "only single numbers"}
EOF
} >"$D/policy.yaml"

# field N KEY FILE: a JSON field of output line N (python, no jq needed)
field() {
	/usr/bin/python3 -c "
import json, sys
for l in open(sys.argv[3]):
    o = json.loads(l)
    if o.get('line') == int(sys.argv[1]):
        print(o.get(sys.argv[2], ''))
" "$1" "$2" "$3"
}

# --- 200 lines, four of them bad ---------------------------------------------
/usr/bin/python3 "$GEN" 200 12025510000 --bad 7 50 51 199 >"$T_TMP/in.jsonl"
check_exit "batch with bad lines: exit 1" 1 "$STICA" issue-batch \
    --config "$C" --input "$T_TMP/in.jsonl" --output "$T_TMP/out.jsonl"
S=$T_TMP/sum1
cp "$T_TMP/out" "$S"
check_grep "summary: 196 issued, 4 failed" \
    '^\{"issued":196,"already_issued":0,"failed":4,"lines":200,' "$S"
check_eq "one output line per input line" "$(wc -l <"$T_TMP/out.jsonl" |
    tr -d ' ')" 200
check_eq "output in input order" "$(/usr/bin/python3 -c "
import json, sys
print(all(json.loads(l)['line'] == i + 1
          for i, l in enumerate(open(sys.argv[1]))))" "$T_TMP/out.jsonl")" True
check_eq "line 7: a bad SPEC" "$(field 7 code "$T_TMP/out.jsonl")" ST_E_TNAUTH
check_eq "line 50: outside the CA" "$(field 50 code "$T_TMP/out.jsonl")" \
    ST_E_SCOPE
check_grep "line 50: the number named" \
    '"line":50,.*tn:19995550000 is not encompassed' "$T_TMP/out.jsonl"
check_eq "line 51: a broken key" "$(field 51 code "$T_TMP/out.jsonl")" \
    ST_E_BADCSR
check_eq "line 199: not JSON" "$(field 199 code "$T_TMP/out.jsonl")" \
    ST_E_SYNTAX
check_eq "line 200 after the bad ones: issued" "$(field 200 serial \
    "$T_TMP/out.jsonl" | wc -c | tr -d ' ')" 35
check_eq "196 distinct serials" "$(grep -o '"serial":"[0-9a-f]*"' \
    "$T_TMP/out.jsonl" | sort -u | wc -l | tr -d ' ')" 196
check_eq "no .part file left" "$(ls "$T_TMP" | grep -c '\.part$')" 0
id=$(sha256sum "$T_TMP/in.jsonl" | cut -c1-32)
check_grep "default batch id: SHA-256 of the input" "\"batch_id\":\"$id\"" "$S"

# Judge a few: the first, one in the middle, the last.
for ln in 1 100 200; do
	field $ln certificate "$T_TMP/out.jsonl" >"$T_TMP/b$ln.pem"
	cat "$T_TMP/b$ln.pem" "$D/chain.pem" >"$T_TMP/b$ln.chain"
	check "line $ln: openssl verify" openssl verify -CAfile "$D/root.pem" \
	    -untrusted "$D/chain.pem" "$T_TMP/b$ln.pem"
	check "line $ln: stica verify" "$STICA" verify --trust "$D/root.pem" \
	    "$T_TMP/b$ln.chain"
	check "line $ln: cryptography + pyasn1" /usr/bin/python3 "$CHECK" \
	    "$T_TMP/b$ln.pem" "$D/ca.pem" ee "tn:$((12025510000 + ln - 1))"
done
check "show line 100's serial" "$STICA" show --config "$C" \
    "$(field 100 serial "$T_TMP/out.jsonl")"
check_grep "show: its request key" "^request key: +$id:100$" "$T_TMP/out"

# --- a rerun issues nothing and re-emits everything ---------------------------
before=$(sqlite3 "$D/stica.db" "SELECT count(*) FROM certs")
check_exit "rerun: exit 1 (the same bad lines)" 1 "$STICA" issue-batch \
    --config "$C" --input "$T_TMP/in.jsonl" --output "$T_TMP/out2.jsonl"
check_grep "rerun: 196 already issued" \
    '^\{"issued":0,"already_issued":196,"failed":4,' "$T_TMP/out"
check_eq "rerun: no new rows" "$(sqlite3 "$D/stica.db" \
    "SELECT count(*) FROM certs")" "$before"
check_eq "rerun: the same serials and certificates" "$(grep -v error \
    "$T_TMP/out2.jsonl" | sed 's/,"already_issued":true//' | sha256sum)" \
    "$(grep -v error "$T_TMP/out.jsonl" | sha256sum)"
check_eq "rerun: lines marked already_issued" "$(grep -c \
    '"already_issued":true' "$T_TMP/out2.jsonl")" 196

# --- a rerun with lines changed: only those are refused ------------------------
# Line N's request key <batch-id>:N names the request of that line; a rerun
# under the same batch id with line 10's number and line 20's key changed
# refuses those two lines (ST_E_EXISTS, audited) and returns the others.
/usr/bin/python3 -c "
import json, sys
ls = open(sys.argv[1]).read().split('\n')
o = json.loads(ls[9]); o['tnauthlist'] = ['tn:12025519999']; ls[9] = json.dumps(o)
o = json.loads(ls[19]); o['pubkey'] = json.loads(ls[20])['pubkey']; ls[19] = json.dumps(o)
open(sys.argv[2], 'w').write('\n'.join(ls))" "$T_TMP/in.jsonl" "$T_TMP/changed.jsonl"
check_exit "changed lines: exit 1" 1 "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/changed.jsonl" --batch-id "$id" \
    --output "$T_TMP/changed.out"
check_grep "changed lines: 194 already issued, 6 failed" \
    '^\{"issued":0,"already_issued":194,"failed":6,' "$T_TMP/out"
check_eq "changed line 10: ST_E_EXISTS" "$(field 10 code \
    "$T_TMP/changed.out")" ST_E_EXISTS
check_grep "changed line 10: the key and both TNAuthLists named" \
    "\"line\":10,.*request key '$id:10' .*TNAuthList tn:12025519999.*tn:12025510009" \
    "$T_TMP/changed.out"
check_eq "changed line 20: ST_E_EXISTS" "$(field 20 code \
    "$T_TMP/changed.out")" ST_E_EXISTS
check_grep "changed line 20: the key named" \
    "\"line\":20,.*request key '$id:20' .*subject public key" \
    "$T_TMP/changed.out"
check_eq "changed lines: the others as before" "$(grep -v error \
    "$T_TMP/changed.out" | sed 's/,"already_issued":true//' | sha256sum)" \
    "$(grep -v error "$T_TMP/out.jsonl" | grep -v '"line":10,' |
    grep -v '"line":20,' | sha256sum)"
check_eq "changed lines: no new rows" "$(sqlite3 "$D/stica.db" \
    "SELECT count(*) FROM certs")" "$before"
check_eq "changed lines: two refuse lines, with their keys" "$(sqlite3 \
    "$D/stica.db" "SELECT group_concat(json_extract(line, '\$.request'))
    FROM audit WHERE json_extract(line, '\$.event') = 'refuse' AND
    json_extract(line, '\$.code') = 'ST_E_EXISTS'")" "$id:10,$id:20"

# --- --strict ------------------------------------------------------------------
/usr/bin/python3 "$GEN" 600 12025520000 --bad 300 >"$T_TMP/strict.jsonl"
check_exit "--strict: exit 2" 2 "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/strict.jsonl" --output "$T_TMP/strict.out" --strict \
    --batch-id strict
check_grep "--strict: says where it stopped" "stopped after line 300" \
    "$T_TMP/err"
check_grep "--strict: the chunk before and up to the bad line" \
    '"issued":299,"already_issued":0,"failed":1,"lines":300' "$T_TMP/out"
check_eq "--strict: lines 1..299 recorded, nothing after" "$(sqlite3 \
    "$D/stica.db" "SELECT count(*), max(CAST(substr(request_key, 8) AS
    INTEGER)) FROM certs WHERE request_key LIKE 'strict:%'")" "299|299"

# --- CSR lines, CA lines, PEM keys, stdin, blank lines -------------------------
/usr/bin/python3 "$GEN" 20 12025530000 --csr >"$T_TMP/csr.jsonl"
check "CSR lines" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/csr.jsonl" --output "$T_TMP/csr.out"
check_grep "CSR lines: all issued" '"issued":20,"already_issued":0,"failed":0' \
    "$T_TMP/out"
/usr/bin/python3 "$GEN" 5 12025540000 --ca --pem >"$T_TMP/ca.jsonl"
printf '\n   \n' >>"$T_TMP/ca.jsonl"
check "CA lines with PEM keys and blank lines" "$STICA" issue-batch \
    --config "$C" --input "$T_TMP/ca.jsonl" --output "$T_TMP/ca.out"
check_grep "CA lines: 5 issued, blank lines skipped" \
    '"issued":5,"already_issued":0,"failed":0,"lines":5' "$T_TMP/out"
field 3 certificate "$T_TMP/ca.out" >"$T_TMP/c3.pem"
check "CA line: a delegate CA" /usr/bin/python3 "$CHECK" "$T_TMP/c3.pem" \
    "$D/ca.pem" ca tn:12025540002
check_exit "stdin needs --batch-id" 2 "$STICA" issue-batch --config "$C" \
    --input - <"$T_TMP/csr.jsonl"
/usr/bin/python3 "$GEN" 3 12025550000 | head -c -1 >"$T_TMP/nonl.jsonl"
check "stdin, output to stdout, no final newline" "$STICA" issue-batch \
    --config "$C" --input - --batch-id stdin-1 <"$T_TMP/nonl.jsonl"
check_eq "stdout: three lines, then the summary" "$(grep -c '"certificate"' \
    "$T_TMP/out")" 3
tail -n 1 "$T_TMP/out" >"$T_TMP/last"
check_grep "stdout: the summary is last" \
    '^\{"issued":3,.*"batch_id":"stdin-1"\}$' "$T_TMP/last"
check_eq "stdin: request keys from --batch-id" "$(sqlite3 "$D/stica.db" \
    "SELECT group_concat(request_key) FROM (SELECT request_key FROM certs
    WHERE request_key LIKE 'stdin-1:%' ORDER BY id)")" \
    "stdin-1:1,stdin-1:2,stdin-1:3"
printf '{"tnauthlist": ["tn:12025560000"], "pubkey": "x", "csr": "y"}\n' \
    >"$T_TMP/both.jsonl"
printf '{"tnauthlist": [], "pubkey": "x"}\n{"tnauthlist": ["tn:1"], "key": "x"}\n' \
    >>"$T_TMP/both.jsonl"
check_exit "malformed lines" 1 "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/both.jsonl" --batch-id bad
check_grep "both pubkey and csr" '"line":1,.*not both' "$T_TMP/out"
check_grep "empty TNAuthList" '"line":2,.*non-empty array' "$T_TMP/out"
check_grep "unknown key" '"line":3,.*unknown key \\"key\\"' "$T_TMP/out"
check_exit "bad --batch-id" 2 "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/both.jsonl" --batch-id 'a:b'
check_exit "no --input" 2 "$STICA" issue-batch --config "$C"
check "audit verify" "$STICA" audit verify --config "$C"
check_exit "help" 0 "$STICA" help issue-batch

done_tests
