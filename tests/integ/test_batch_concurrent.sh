#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Two stica issue-batch runs of the same input and --batch-id at once,
# against one stica init deployment (SoftHSM).  Each run holds a run lock
# (docs/store.md, "Runs"), so neither may take the other's pending
# intents for the leftovers of a crash: nothing is aborted, neither run
# reports a serial of the other as aborted, a line the other run holds
# pending fails with "in progress in another run (pid N ...)", and a line
# the other run has finished is reported as already issued, with the same
# certificate.  Afterwards every line has exactly one valid certificate,
# no row is pending or aborted, the audit chain verifies, and a third run
# finds every line issued.  Then the same with one run killed with
# SIGKILL while its intents are pending: the other run, started while the
# killed one is still alive, must not abort them; a run after the kill
# aborts them (its owner is dead) and completes the batch.
. "$STICA_TOP/tests/lib.sh"
unset SOFTHSM2_CONF
D=$T_TMP/dev
C=$D/stica.yaml
DB=$D/stica.db
L=2000
GEN="$STICA_TOP/tests/integ/issue_gen.py"

pertn_deployment "$D"
/usr/bin/python3 "$GEN" $L 12025510000 >"$T_TMP/in.jsonl"

sq() {
	sqlite3 -batch -separator ' ' "$DB" "$1" 2>/dev/null
}

# summary FILE KEY: a field of the summary line (the last line of stdout)
summary() {
	tail -n 1 "$1" | /usr/bin/python3 -c "
import json, sys
print(json.loads(sys.stdin.read())[sys.argv[1]])" "$2"
}

# --- two identical runs at once ----------------------------------------------
"$STICA" issue-batch --config "$C" --input "$T_TMP/in.jsonl" --batch-id same \
    --output "$T_TMP/a.jsonl" >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
pa=$!
"$STICA" issue-batch --config "$C" --input "$T_TMP/in.jsonl" --batch-id same \
    --output "$T_TMP/b.jsonl" >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
pb=$!
wait $pa
sa=$?
wait $pb
sb=$?
check "run A: exit 0 or 1 (lines the other run held), not 2" test "$sa" -le 1
check "run B: exit 0 or 1 (lines the other run held), not 2" test "$sb" -le 1
check_eq "run A: one output line per input line" "$(wc -l <"$T_TMP/a.jsonl" |
    tr -d ' ')" $L
check_eq "run B: one output line per input line" "$(wc -l <"$T_TMP/b.jsonl" |
    tr -d ' ')" $L
check_eq "neither run reports an aborted serial" "$(cat "$T_TMP/a.jsonl" \
    "$T_TMP/b.jsonl" "$T_TMP/a.err" "$T_TMP/b.err" | grep -c 'aborted')" 0
check_eq "every failed line: in progress in another run, with its pid" \
    "$(cat "$T_TMP/a.jsonl" "$T_TMP/b.jsonl" | grep '"error"' |
    grep -cv 'ST_E_EXISTS.*in progress in another run (pid [0-9]')" 0
check_eq "every line has exactly one valid certificate" "$(sq "SELECT
    count(*), count(DISTINCT request_key) FROM certs WHERE status =
    'valid' AND request_key LIKE 'same:%'")" "$L $L"
check_eq "no row pending or aborted" "$(sq "SELECT count(*) FROM certs
    WHERE status <> 'valid'")" 0
check_eq "no abort line in the audit log" "$(sq "SELECT count(*) FROM audit
    WHERE json_extract(line, '\$.event') = 'abort'")" 0
check_eq "one issue line per certificate" "$(sq "SELECT count(*) FROM audit
    WHERE json_extract(line, '\$.event') = 'issue'")" $L
check "audit verify" "$STICA" audit verify --config "$C"
check_eq "the runs' summaries add up: issued by one or the other" \
    "$(( $(summary "$T_TMP/a.out" issued) + $(summary "$T_TMP/b.out" issued) ))" $L
# Both runs' certificates for a line are the database's one.
check_eq "a line in both outputs has the same serial in both" "$(/usr/bin/python3 -c "
import json, sys
a = {o['line']: o.get('serial') for o in map(json.loads, open(sys.argv[1]))}
b = {o['line']: o.get('serial') for o in map(json.loads, open(sys.argv[2]))}
bad = [n for n in a if a[n] and b.get(n) and a[n] != b[n]]
missing = [n for n in a if not a[n] and not b.get(n)]
print(len(bad), len(missing))" "$T_TMP/a.jsonl" "$T_TMP/b.jsonl")" "0 0"
sq "SELECT lower(hex(serial)) FROM certs WHERE status = 'valid'" | sort \
    >"$T_TMP/db.serials"
cat "$T_TMP/a.jsonl" "$T_TMP/b.jsonl" | grep -o '"serial":"[0-9a-f]*"' |
    cut -d'"' -f4 | sort -u >"$T_TMP/out.serials"
check "the outputs' serials are the database's" cmp "$T_TMP/out.serials" \
    "$T_TMP/db.serials"
check "a third run" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/in.jsonl" --batch-id same --output "$T_TMP/c.jsonl"
check_grep "third run: every line already issued" \
    "^\\{\"issued\":0,\"already_issued\":$L,\"failed\":0," "$T_TMP/out"

# --- a live run's intents are left alone; a dead run's are aborted ----------
/usr/bin/python3 "$GEN" 1500 12025520000 >"$T_TMP/k.jsonl"
"$STICA" issue-batch --config "$C" --input "$T_TMP/k.jsonl" --batch-id k \
    --output "$T_TMP/k1.jsonl" >"$T_TMP/k1.out" 2>&1 &
pk=$!
# Never leave a stopped process behind, whatever happens to this script.
trap 'kill -9 $pk 2>/dev/null; kill -CONT $pk 2>/dev/null; rm -rf "$T_TMP"' EXIT
# Stop the run where it is (SIGSTOP: alive, its run lock held) once it
# has intents pending, and not inside a write transaction (it would then
# hold SQLite's write lock) nor inside SoftHSM while it holds one of the
# token's file locks (SoftHSM takes fcntl locks on the token's files; the
# next run would wait for it for ever): stop it, see whether the database
# takes a writer and whether the kernel lists a lock of its on a token
# file, and if either says no, let it go on a little and try again.
token_locked() { # PID: does PID hold a lock on a file of the token?
	ino=$(find "$D/tokens" -type f -exec stat -c %i {} + | sort -u)
	sed 's/ -> / /' /proc/locks | awk -v p="$1" '$5 == p {
	    n = split($6, a, ":"); print a[n] }' | sort -u |
	    grep -qxF "$ino"
}
i=0
stopped=no
while [ $i -lt 3000 ]; do
	i=$((i + 1))
	kill -0 $pk 2>/dev/null || break
	set -- $(sq "SELECT coalesce(sum(status = 'valid'), 0),
	    coalesce(sum(status = 'pending'), 0) FROM certs WHERE request_key
	    LIKE 'k:%'")
	if [ "${1:-0}" -ge 128 ] && [ "${2:-0}" -gt 0 ]; then
		kill -STOP $pk
		if ! token_locked $pk &&
		    sqlite3 -batch -cmd ".timeout 300" "$DB" "BEGIN IMMEDIATE;
		    ROLLBACK;" >/dev/null 2>&1 && [ "$(sq "SELECT count(*)
		    FROM certs WHERE status = 'pending' AND request_key LIKE
		    'k:%'")" -gt 0 ]; then
			stopped=yes
			break
		fi
		kill -CONT $pk
	fi
	sleep 0.01
done
check_eq "the run stopped with intents pending, outside a transaction" \
    "$stopped" yes
held=$(sq "SELECT group_concat(request_key) FROM (SELECT request_key FROM
    certs WHERE status = 'pending' AND request_key LIKE 'k:%' ORDER BY id)")
nheld=$(sq "SELECT count(*) FROM certs WHERE status = 'pending' AND
    request_key LIKE 'k:%'")
check "the stopped run holds pending intents" test "${nheld:-0}" -gt 0
hs=$(sq "SELECT lower(hex(serial)) FROM certs WHERE status = 'pending' AND
    request_key LIKE 'k:%' ORDER BY id LIMIT 1")
check "show: a held intent" "$STICA" show --config "$C" "$hs"
check_grep "show: its run is in progress, with the pid" \
    "^run: +[0-9a-f]{32} \(in progress, pid $pk\)$" "$T_TMP/out"
check_exit "beside a stopped live run: exit 1" 1 "$STICA" issue-batch \
    --config "$C" --input "$T_TMP/k.jsonl" --batch-id k \
    --output "$T_TMP/k2.jsonl"
check_eq "its held lines fail as in progress, the rest are issued" \
    "$(grep -c 'in progress in another run (pid '"$pk" "$T_TMP/k2.jsonl")" \
    "$nheld"
check_eq "the live run's intents are still pending, none aborted" \
    "$(sq "SELECT group_concat(request_key) FROM (SELECT request_key FROM
    certs WHERE status = 'pending' AND request_key LIKE 'k:%' ORDER BY
    id)") $(sq "SELECT count(*) FROM certs WHERE status = 'aborted'")" \
    "$held 0"
kill -9 $pk
kill -CONT $pk 2>/dev/null
wait $pk
check_eq "the stopped run, killed" $? 137
check "show: the dead run's intent" "$STICA" show --config "$C" "$hs"
check_grep "show: its run is over" "^run: +[0-9a-f]{32} \(over, pid $pk\)$" \
    "$T_TMP/out"
check "after the kill: a rerun" "$STICA" issue-batch --config "$C" \
    --input "$T_TMP/k.jsonl" --batch-id k --output "$T_TMP/k3.jsonl"
check_grep "after the kill: every line issued" '"failed":0,"lines":1500,' \
    "$T_TMP/out"
check_eq "after the kill: the dead run's intents were aborted" \
    "$(sq "SELECT count(*) FROM certs WHERE status = 'aborted'")" "$nheld"
check_eq "after the kill: one valid certificate per line, none pending" \
    "$(sq "SELECT count(*), count(DISTINCT request_key) FROM certs WHERE
    status = 'valid' AND request_key LIKE 'k:%'") $(sq "SELECT count(*)
    FROM certs WHERE status = 'pending'")" "1500 1500 0"
sq "SELECT line FROM audit WHERE json_extract(line, '\$.event') = 'abort'" \
    >"$T_TMP/abort.txt"
check_eq "one abort line per aborted intent, each naming the dead run" \
    "$(grep -c 'no longer running' "$T_TMP/abort.txt")" "$nheld"
check "audit verify at the end" "$STICA" audit verify --config "$C"

done_tests
