#!/bin/sh
# SPDX-License-Identifier: ISC
#
# kill -9 during stica issue-batch, then rerun: 3000 per-TN lines on a
# stica init deployment (SoftHSM).  The batch is killed three times, each
# time once it has issued some more certificates and while a chunk's
# intents are reserved and being signed; after each kill the sqlite3 CLI
# checks the state a crash may leave (no serial twice, no line issued
# twice, every valid row's DER carries its reserved TBS) and stica audit
# verify accepts the log.  A last run completes the batch: every line has
# exactly one valid certificate, in the database and in the output, no
# serial repeats, no pending row remains, every intent a kill left pending
# was aborted with an audit line, and the certificates verify.  Then the
# token disappears in the middle of another batch: the HSM's failure stops
# it (exit 2) with the reserved intents aborted, and a rerun with the token
# back completes it.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
C=$D/stica.yaml
DB=$D/stica.db
L=3000
GEN="$STICA_TOP/tests/integ/issue_gen.py"
CHECK="$STICA_TOP/tests/integ/issue_check.py"

pertn_deployment "$D"
/usr/bin/python3 "$GEN" $L 12025510000 >"$T_TMP/in.jsonl"

sq() {
	sqlite3 -batch -separator ' ' "$DB" "$1" 2>/dev/null
}

# invariants LABEL: what any crash may leave, and nothing else.
invariants() {
	check_eq "$1: no serial twice" "$(sq "SELECT count(*) FROM (SELECT 1
	    FROM certs GROUP BY issuer, serial HAVING count(*) > 1)")" 0
	check_eq "$1: no line valid twice" "$(sq "SELECT count(*) FROM
	    (SELECT 1 FROM certs WHERE status = 'valid' GROUP BY request_key
	    HAVING count(*) > 1)")" 0
	check_eq "$1: every valid row's DER carries its reserved TBS" \
	    "$(sq "SELECT count(*) FROM certs WHERE status = 'valid' AND
	    (der IS NULL OR instr(der, tbs) <> 5)")" 0
	check_eq "$1: only valid, pending and aborted rows" "$(sq "SELECT
	    count(*) FROM certs WHERE status NOT IN ('valid', 'pending',
	    'aborted')")" 0
	check "$1: audit verify" "$STICA" audit verify --config "$C"
}

# Kill the batch at three points, each once it has issued $at more
# certificates and while intents are pending (a chunk is being signed).
pend=0
withpending=0
k=0
for at in 300 1100 1900; do
	k=$((k + 1))
	"$STICA" issue-batch --config "$C" --input "$T_TMP/in.jsonl" \
	    --batch-id crash --output "$T_TMP/o$k.jsonl" \
	    >"$T_TMP/run$k.out" 2>&1 &
	pid=$!
	killed=no
	i=0
	while [ $i -lt 3000 ]; do
		i=$((i + 1))
		set -- $(sq "SELECT coalesce(sum(status = 'valid'), 0),
		    coalesce(sum(status = 'pending'), 0) FROM certs")
		if [ "${1:-0}" -ge $at ] && [ "${2:-0}" -gt 0 ]; then
			kill -9 $pid 2>/dev/null && killed=yes
			break
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	wait $pid
	st=$?
	check_eq "kill $k: SIGKILLed with $at or more issued" "$killed $st" \
	    "yes 137"
	p=$(sq "SELECT count(*) FROM certs WHERE status = 'pending'")
	[ "$p" -gt 0 ] && withpending=$((withpending + 1))
	pend=$((pend + p))
	check "kill $k: at most one chunk pending" test "$p" -le 256
	invariants "kill $k"
	check_eq "kill $k: no output file yet" "$(ls "$T_TMP" |
	    grep -c "^o$k.jsonl$")" 0
done
check "the kills left reserved intents behind" test $withpending -ge 1
valid=$(sq "SELECT count(*) FROM certs WHERE status = 'valid'")
check "some certificates were issued before the last kill" test \
    "$valid" -ge 1900

# The rerun finishes the batch.
check "rerun to completion" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/in.jsonl" --batch-id crash --output "$T_TMP/final.jsonl"
check_grep "rerun: summary" \
    "^\\{\"issued\":$((L - valid)),\"already_issued\":$valid,\"failed\":0,\"lines\":$L," \
    "$T_TMP/out"
invariants "completed"
check_eq "every line has one valid certificate" "$(sq "SELECT count(*),
    count(DISTINCT request_key), min(CAST(substr(request_key, 7) AS
    INTEGER)), max(CAST(substr(request_key, 7) AS INTEGER)) FROM certs
    WHERE status = 'valid'")" "$L $L 1 $L"
check_eq "no pending row remains" "$(sq "SELECT count(*) FROM certs WHERE
    status = 'pending'")" 0
check_eq "every intent left pending was aborted" "$(sq "SELECT count(*)
    FROM certs WHERE status = 'aborted'")" "$pend"
check_eq "one abort line per aborted intent" "$(sq "SELECT count(*) FROM
    audit WHERE json_extract(line, '\$.event') = 'abort'")" "$pend"
check_eq "one issue line per certificate" "$(sq "SELECT count(*),
    count(DISTINCT json_extract(line, '\$.serial')) FROM audit WHERE
    json_extract(line, '\$.event') = 'issue'")" "$L $L"
check_eq "aborted serials were never reused" "$(sq "SELECT count(*) FROM
    certs a JOIN certs v ON a.serial = v.serial AND a.id <> v.id")" 0

# The output: every line once, in order, with the database's serials.
check_eq "output: $L lines, 1..$L in order" "$(/usr/bin/python3 -c "
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
print(len(ls), all(o['line'] == i + 1 and 'serial' in o
                   for i, o in enumerate(ls)))" "$T_TMP/final.jsonl")" \
    "$L True"
grep -o '"serial":"[0-9a-f]*"' "$T_TMP/final.jsonl" | cut -d'"' -f4 |
    sort >"$T_TMP/out.serials"
sq "SELECT lower(hex(serial)) FROM certs WHERE status = 'valid'" | sort \
    >"$T_TMP/db.serials"
check "output serials = the database's valid serials" cmp \
    "$T_TMP/out.serials" "$T_TMP/db.serials"
check_eq "no serial repeated in the output" "$(uniq -d \
    "$T_TMP/out.serials" | wc -l | tr -d ' ')" 0
for ln in 1 1500 $L; do
	/usr/bin/python3 -c "
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o['line'] == int(sys.argv[2]):
        sys.stdout.write(o['certificate'])" "$T_TMP/final.jsonl" $ln \
	    >"$T_TMP/c$ln.pem"
	check "line $ln: openssl verify" openssl verify -CAfile "$D/root.pem" \
	    -untrusted "$D/chain.pem" "$T_TMP/c$ln.pem"
	check "line $ln: python judge" /usr/bin/python3 "$CHECK" \
	    "$T_TMP/c$ln.pem" "$D/ca.pem" ee "tn:$((12025510000 + ln - 1))"
done

# A third run changes nothing.
rows=$(sq "SELECT count(*) FROM certs")
check "third run" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/in.jsonl" --batch-id crash --output "$T_TMP/again.jsonl"
check_grep "third run: all already issued" \
    "^\\{\"issued\":0,\"already_issued\":$L,\"failed\":0," "$T_TMP/out"
check_eq "third run: no new rows" "$(sq "SELECT count(*) FROM certs")" \
    "$rows"

# --- the token goes away in the middle of a batch -------------------------------
/usr/bin/python3 "$GEN" 1500 12025520000 >"$T_TMP/hsm.jsonl"
ab0=$(sq "SELECT count(*) FROM certs WHERE status = 'aborted'")
"$STICA" issue-batch --config "$C" --input "$T_TMP/hsm.jsonl" --batch-id hsm \
    --output "$T_TMP/hsm.out" >"$T_TMP/hsm.run" 2>&1 &
pid=$!
i=0
while [ $i -lt 3000 ]; do
	i=$((i + 1))
	set -- $(sq "SELECT coalesce(sum(status = 'valid'), 0),
	    coalesce(sum(status = 'pending'), 0) FROM certs WHERE request_key
	    LIKE 'hsm:%'")
	[ "${1:-0}" -ge 256 ] && [ "${2:-0}" -gt 0 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
mv "$D/tokens" "$D/tokens.away"
wait $pid
st=$?
mv "$D/tokens.away" "$D/tokens"
check_eq "token gone: the batch stops with exit 2" "$st" 2
check_grep "token gone: the HSM failure is reported" \
    "signing in the HSM|token not present" "$T_TMP/hsm.run"
ab=$(sq "SELECT count(*) FROM certs WHERE status = 'aborted'")
check "token gone: the reserved intents were aborted" test "$ab" -gt "$ab0"
check_eq "token gone: nothing left pending" "$(sq "SELECT count(*) FROM
    certs WHERE status = 'pending'")" 0
check_eq "token gone: their abort reasons name the HSM" "$(sq "SELECT
    count(*) FROM (SELECT abort_reason FROM certs WHERE status = 'aborted'
    ORDER BY id DESC LIMIT $((ab - ab0))) WHERE abort_reason NOT LIKE
    '%HSM%' AND abort_reason NOT LIKE '%token%'")" 0
invariants "token gone"
check "token back: rerun" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/hsm.jsonl" --batch-id hsm --output "$T_TMP/hsm.out"
check_grep "token back: every line issued" \
    '"failed":0,"lines":1500,' "$T_TMP/out"
check_eq "token back: one valid certificate per line" "$(sq "SELECT
    count(*), count(DISTINCT request_key) FROM certs WHERE status = 'valid'
    AND request_key LIKE 'hsm:%'")" "1500 1500"
invariants "token back"

done_tests
