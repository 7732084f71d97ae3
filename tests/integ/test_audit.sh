#!/bin/sh
# stica audit export / verify / head against a store filled by
# store_worker: Python recomputes the chain on its own (json, hashlib);
# the sqlite3 CLI and Python's sqlite3 module play the attacker, who
# drops the append-only triggers and then edits, deletes, reorders,
# re-chains or truncates lines, in the database and in an export.  Then
# the refuse lines of a stica issue-batch with refused lines.
. "$STICA_TOP/tests/lib.sh"
W="$STICA_BUILD/tests/integ/store_worker"
db="$T_TMP/a.db"

check "fill a store with every kind of event" "$W" fill "$db" 40
# (lib.sh's check uses $nl: the count is $nl)
nl=$(sqlite3 "$db" "SELECT count(*) FROM audit")
check_eq "lines of the filled store" "$nl" 53

check "verify the intact store" "$STICA" audit verify --db "sqlite:$db"
check_grep "verify prints ok, the line count and the head" \
    "^ok: $nl lines, head $nl:[0-9a-f]{64}\$" "$T_TMP/out"
check_grep "... and that the tables agree with the log" \
    "^ok: the store agrees: 40 certificates \(8 revoked, 0 aborted\) and 3 CRL numbers" \
    "$T_TMP/out"
head=$(sed -n 's/^ok: .* head //p' "$T_TMP/out")
check "audit head" "$STICA" audit head --db "sqlite:$db"
check_eq "audit head prints the same head" "$(cat "$T_TMP/out")" "$head"

check "export to a file" "$STICA" audit export --db "sqlite:$db" \
    -o "$T_TMP/a.jsonl"
check "export to stdout" "$STICA" audit export --db "sqlite:$db"
cp "$T_TMP/out" "$T_TMP/stdout.jsonl"
sqlite3 "$db" "SELECT line FROM audit ORDER BY seq" >"$T_TMP/cli.jsonl"
check "the export is the table's lines, byte for byte" \
    cmp "$T_TMP/a.jsonl" "$T_TMP/cli.jsonl"
check "stdout and -o agree" cmp "$T_TMP/a.jsonl" "$T_TMP/stdout.jsonl"

# The independent judge: recompute every prev and the head.
check "Python recomputes the chain and finds the same head" \
    $PY - "$T_TMP/a.jsonl" "$head" <<'EOF'
import hashlib, json, sys
path, head = sys.argv[1], sys.argv[2]
prev, seq, events = "0" * 64, 0, {}
with open(path, "rb") as f:
    for raw in f:
        assert raw.endswith(b"\n")
        line = raw[:-1]
        o = json.loads(line)
        seq += 1
        assert o["seq"] == seq, (o["seq"], seq)
        assert o["prev"] == prev, seq
        # compact, sorted keys: re-serialising gives the same bytes
        again = json.dumps(o, separators=(",", ":"), sort_keys=True,
                           ensure_ascii=False).encode()
        assert again == line, (again, line)
        assert len(o["time"]) == 20 and o["time"].endswith("Z")
        events[o["event"]] = events.get(o["event"], 0) + 1
        prev = hashlib.sha256(line).hexdigest()
assert head == "%d:%s" % (seq, prev), (head, seq, prev)
assert events == {"issue": 40, "revoke": 8, "crl": 3, "refuse": 1,
                  "ceremony-step": 1}, events
EOF

check "verify the export" "$STICA" audit verify --file "$T_TMP/a.jsonl"
check_grep "the export has the same head" "head $head\$" "$T_TMP/out"
check "verify the export from stdin" sh -c \
    "'$STICA' audit verify --file - --expect-head '$head' < '$T_TMP/a.jsonl'"
check "verify with the right expected head" "$STICA" audit verify \
    --db "sqlite:$db" --expect-head "$head"

cfg="$T_TMP/stica.yaml"
printf 'hsm:\n  token: "pkcs11:token=t"\nstore: sqlite:a.db\n' >"$cfg"
check "verify through --config" "$STICA" audit verify --config "$cfg"
check_grep "--config finds the same store" "head $head\$" "$T_TMP/out"

# ---- tampering with the database ------------------------------------
# tamper NAME SQL: a copy of the store with the triggers dropped and SQL
# applied; prints the copy's path.
tamper() {
	c="$T_TMP/$1.db"
	rm -f "$c"
	sqlite3 "$db" ".backup '$c'" &&
	    sqlite3 "$c" "DROP TRIGGER audit_no_update;
		DROP TRIGGER audit_no_delete; $2" >/dev/null ||
	    echo "tamper $1 failed" >&2
	echo "$c"
}

check "the triggers refuse a plain edit" sh -c "! sqlite3 '$db' \
    \"UPDATE audit SET line = 'x' WHERE seq = 3\" 2>'$T_TMP/trig'"
check_grep "... saying why" "append-only" "$T_TMP/trig"

c=$(tamper edit "UPDATE audit SET line = replace(line, '\"event\":\"issue\"',
    '\"event\":\"issuE\"') WHERE seq = 10")
check_exit "an edited line (db)" 1 "$STICA" audit verify --db "sqlite:$c"
check_grep "... reported at its line as an edit" "^no: audit: line 10: edit: " \
    "$T_TMP/out"

c=$(tamper cut "DELETE FROM audit WHERE seq = 20")
check_exit "a deleted middle line (db)" 1 "$STICA" audit verify \
    --db "sqlite:$c"
check_grep "... reported as a cut" "^no: audit: line 20: cut: seq 21 follows seq 19" \
    "$T_TMP/out"

c=$(tamper swap "CREATE TEMP TABLE t AS SELECT seq, line FROM audit
    WHERE seq IN (30, 31); UPDATE audit SET line = (SELECT line FROM t
    WHERE t.seq = 61 - audit.seq) WHERE seq IN (30, 31)")
check_exit "a reordered pair (db)" 1 "$STICA" audit verify --db "sqlite:$c"
check_grep "... reported as a reorder" "^no: audit: line 30: reorder: " \
    "$T_TMP/out"

c=$(tamper json "UPDATE audit SET line = '{\"seq\":5' WHERE seq = 5")
check_exit "a line that is not JSON (db)" 1 "$STICA" audit verify \
    --db "sqlite:$c"
check_grep "... reported as json" "^no: audit: line 5: json: " "$T_TMP/out"

# ---- the tail: the chain cannot see it, the tables can --------------
# The log ends: 8 revoke lines, 3 crl lines (numbers 1 to 3), a refuse
# line and a ceremony step.  Lines cut from the end leave a shorter,
# valid chain, but the tables still record what the cut lines said.
# nfound FILE: how many inconsistencies verify printed.
nfound() {
	grep -cE '^no: audit: (missing|differs|unexpected): ' "$1"
}
c=$(tamper tail "DELETE FROM audit WHERE seq > $nl - 3")
check_exit "a truncated tail (crl 3, refuse, ceremony step)" 1 \
    "$STICA" audit verify --db "sqlite:$c"
check_grep "... names CRL number 3" \
    "^no: audit: missing: issuer ca-test: CRL number 3 allocated, but the log has no crl line for it\$" \
    "$T_TMP/out"
check_grep "... then sums up, the chain being intact" \
    "^no: audit: 1 inconsistency between the log and the store's tables; the chain itself is intact \($((nl - 3)) lines, head $((nl - 3)):" \
    "$T_TMP/out"
check_eq "... and reports nothing else" "$(nfound "$T_TMP/out")" 1
check_exit "a truncated tail with --expect-head" 1 "$STICA" audit verify \
    --db "sqlite:$c" --expect-head "$head"
check_grep "... reported as cut from the tail" \
    "^no: audit: line $((nl - 3)): head: .*cut from the tail" "$T_TMP/out"

# The last two revoke lines and everything after them deleted.
rv=$(sqlite3 "$db" "SELECT seq FROM audit WHERE line LIKE
    '{\"event\":\"revoke\"%' ORDER BY seq DESC LIMIT 2" | sort -n)
first=$(echo "$rv" | head -n 1)
check_eq "the last two revoke lines are the 7th and 6th from the end" \
    "$first $(echo "$rv" | tail -n 1)" "$((nl - 6)) $((nl - 5))"
c=$(tamper cutrevoke "DELETE FROM audit WHERE seq >= $first")
check_exit "the last revoke and crl lines deleted" 1 "$STICA" audit verify \
    --db "sqlite:$c"
for q in $rv; do
	sr=$(sqlite3 "$db" "SELECT json_extract(line, '\$.serial') FROM audit
	    WHERE seq = $q")
	rs=$(sqlite3 "$db" "SELECT json_extract(line, '\$.reason') FROM audit
	    WHERE seq = $q")
	check_grep "... names revoked serial $sr (reason $rs)" \
	    "^no: audit: missing: issuer ca-test, serial $sr: revoked \(reason $rs [A-Za-z]+, at [0-9T:Z-]+\), but the log has no revoke line\$" \
	    "$T_TMP/out"
done
check_grep "... names CRL numbers 1 to 3" \
    "^no: audit: missing: issuer ca-test: CRL numbers 1 to 3 allocated, but the log has no crl line for them\$" \
    "$T_TMP/out"
check_eq "... three inconsistencies, nothing else" "$(nfound "$T_TMP/out")" 3
check_grep "... summed up" "^no: audit: 3 inconsistencies between" \
    "$T_TMP/out"

# The last line edited: here the crl line of number 3.
c=$(tamper editlast "DELETE FROM audit WHERE seq > $nl - 2;
    UPDATE audit SET line = replace(line, '\"number\":3', '\"number\":4')
    WHERE seq = $nl - 2")
check_exit "the last line (crl 3) edited to number 4" 1 "$STICA" audit \
    verify --db "sqlite:$c"
check_grep "... CRL number 3 has no line, number 4 was never allocated" \
    "^no: audit: missing: issuer ca-test: CRL number 3: no crl line, yet the crl line at seq $((nl - 2)) has number 4 \(the store has allocated up to 3\)\$" \
    "$T_TMP/out"
check_eq "... one inconsistency" "$(nfound "$T_TMP/out")" 1

# A revoke line as the last line, then its reason and date edited.
# (Deleting the crl_numbers row as well makes the cut consistent with the
# tables: an attacker who rewrites them too is caught only by the head.)
last=$((nl - 5))
c=$(tamper cutconsistent "DELETE FROM audit WHERE seq > $last;
    DELETE FROM crl_numbers")
check "a cut made consistent with the tables verifies" "$STICA" audit \
    verify --db "sqlite:$c"
check_exit "... but not against the recorded head" 1 "$STICA" audit verify \
    --db "sqlite:$c" --expect-head "$head"
sr=$(sqlite3 "$db" "SELECT json_extract(line, '\$.serial') FROM audit
    WHERE seq = $last")
rs=$(sqlite3 "$db" "SELECT json_extract(line, '\$.reason') FROM audit
    WHERE seq = $last")
c=$(tamper editrevoke "DELETE FROM audit WHERE seq > $last;
    DELETE FROM crl_numbers; UPDATE audit SET line =
    replace(replace(line, '\"reason\":$rs', '\"reason\":9'),
    '\"revoked_at\":\"2026', '\"revoked_at\":\"2027') WHERE seq = $last")
check_exit "the last line (a revoke) with its reason and date edited" 1 \
    "$STICA" audit verify --db "sqlite:$c"
check_grep "... names the serial, the line and both fields" \
    "^no: audit: differs: issuer ca-test, serial $sr: the revoke line \(seq $last\) differs from the store in reason \(the store: $rs\), revoked_at \(the store: 2026-" \
    "$T_TMP/out"
check_eq "... one inconsistency" "$(nfound "$T_TMP/out")" 1

# Lines that no table records (a refusal, a ceremony step) cut from the
# end: only a recorded head shows it.
c=$(tamper cutuntabled "DELETE FROM audit WHERE seq > $nl - 2")
check "refuse and ceremony lines cut from the end: in no table" \
    "$STICA" audit verify --db "sqlite:$c"
check_grep "... (it ends 2 lines early)" "^ok: $((nl - 2)) lines" \
    "$T_TMP/out"
check_exit "... but not against the recorded head" 1 "$STICA" audit verify \
    --db "sqlite:$c" --expect-head "$head"

# A careful attacker edits a line and recomputes every later prev: the
# chain is whole again, and only the recorded head shows it.
c=$(tamper rechain "")
check "re-chain after an edit (Python sqlite3)" $PY - "$c" <<'EOF'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT seq, line FROM audit ORDER BY seq").fetchall()
prev = "0" * 64
for seq, line in rows:
    o = json.loads(line)
    if seq == 12:
        o["serial"] = "0badc0ffee"
    o["prev"] = prev
    line = json.dumps(o, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)
    db.execute("UPDATE audit SET line = ? WHERE seq = ?", (line, seq))
    prev = hashlib.sha256(line.encode()).hexdigest()
db.commit()
EOF
check_exit "a re-chained log (an issue line's serial) fails the cross-check" \
    1 "$STICA" audit verify --db "sqlite:$c"
sr=$(sqlite3 "$db" "SELECT json_extract(line, '\$.serial') FROM audit
    WHERE seq = 12")
check_grep "... which names the certificate whose line is gone" \
    "^no: audit: missing: issuer ca-test, serial $sr: (valid|revoked), but the log has no issue line\$" \
    "$T_TMP/out"
check_exit "... and against the recorded head" 1 "$STICA" audit verify \
    --db "sqlite:$c" --expect-head "$head"
check_grep "... which names the head" "^no: audit: line $nl: head: " \
    "$T_TMP/out"
c=$(tamper rechain2 "")
check "re-chain after editing the refuse line (Python sqlite3)" $PY - "$c" \
    "$((nl - 1))" <<'EOF'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT seq, line FROM audit ORDER BY seq").fetchall()
prev = "0" * 64
for seq, line in rows:
    o = json.loads(line)
    if seq == int(sys.argv[2]):
        assert o["event"] == "refuse", o
        o["reason"] = "nothing to see"
    o["prev"] = prev
    line = json.dumps(o, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)
    db.execute("UPDATE audit SET line = ? WHERE seq = ?", (line, seq))
    prev = hashlib.sha256(line.encode()).hexdigest()
db.commit()
EOF
check "a re-chained line that no table records verifies on its own" \
    "$STICA" audit verify --db "sqlite:$c"
check_exit "... but not against the recorded head" 1 "$STICA" audit verify \
    --db "sqlite:$c" --expect-head "$head"

# The log grows: an older head is still a prefix of it.
check "issue more" "$W" run "$db" 5 2 more
check "verify against the older head" "$STICA" audit verify --db "sqlite:$db" \
    --expect-head "$head"
check_grep "... with the new line count" "^ok: $((nl + 5)) lines" "$T_TMP/out"
check_exit "an expected head of the wrong hash" 1 "$STICA" audit verify \
    --db "sqlite:$db" --expect-head "3:$(printf '%064d' 0)"
check_grep "... reported at that line" "^no: audit: line 3: head: " \
    "$T_TMP/out"

# ---- the tables against the log: the last line an issue line, and
# ---- aborted and pending rows ----------------------------------------
n2=$((nl + 5))
sr=$(sqlite3 "$db" "SELECT json_extract(line, '\$.serial') FROM audit
    WHERE seq = $n2")
c=$(tamper editissue "UPDATE audit SET line = replace(line,
    '\"subject\":\"CN=store worker\"', '\"subject\":\"CN=someone else\"')
    WHERE seq = $n2")
check_exit "the last line (an issue) with its subject edited" 1 \
    "$STICA" audit verify --db "sqlite:$c"
check_grep "... names the serial, the line and the field" \
    "^no: audit: differs: issuer ca-test, serial $sr: the issue line \(seq $n2\) differs from the store in subject\$" \
    "$T_TMP/out"
check_eq "... one inconsistency" "$(nfound "$T_TMP/out")" 1
c=$(tamper editsha "UPDATE audit SET line = replace(line, '\"sha256\":\"',
    '\"sha256\":\"00') WHERE seq = $n2")
check_exit "the last line (an issue) with its certificate hash edited" 1 \
    "$STICA" audit verify --db "sqlite:$c"
check_grep "... names sha256" \
    "^no: audit: differs: issuer ca-test, serial $sr: the issue line \(seq $n2\) differs from the store in sha256\$" \
    "$T_TMP/out"

# append DB JSON: append a line as the store writes it (seq, time, prev).
append() {
	$PY - "$1" "$2" <<'EOF'
import hashlib, json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
seq, last = db.execute("SELECT seq, line FROM audit ORDER BY seq DESC "
                       "LIMIT 1").fetchone()
o = json.loads(sys.argv[2])
o.update(seq=seq + 1, prev=hashlib.sha256(last.encode()).hexdigest(),
         time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
db.execute("INSERT INTO audit VALUES (?, ?)", (seq + 1, json.dumps(o,
           separators=(",", ":"), sort_keys=True, ensure_ascii=False)))
db.commit()
EOF
}
# An aborted row (serial 7f01) without its abort line, and a pending one
# (7f02), which needs no line yet.
c=$(tamper aborted "INSERT INTO certs (issuer, serial, profile, subject,
    not_before, not_after, tbs, status, abort_reason, created_at) VALUES
    ('ca-test', x'7f01', 'p', 'CN=x', 0, 1, x'3000', 'aborted',
    'hsm: sign failed', 0), ('ca-test', x'7f02', 'p', 'CN=y', 0, 1,
    x'3000', 'pending', NULL, 0)")
check_exit "an aborted row without its abort line" 1 "$STICA" audit verify \
    --db "sqlite:$c"
check_grep "... named" \
    "^no: audit: missing: issuer ca-test, serial 7f01: aborted, but the log has no abort line\$" \
    "$T_TMP/out"
check_eq "... and nothing about the pending row" "$(nfound "$T_TMP/out")" 1
cp "$c" "$T_TMP/aborted2.db"
check "append its abort line" append "$c" '{"event": "abort",
    "issuer": "ca-test", "reason": "hsm: sign failed", "request": "r-1",
    "serial": "7f01"}'
check "... then the store verifies" "$STICA" audit verify --db "sqlite:$c"
check_grep "... counting it" \
    "^ok: the store agrees: 46 certificates \(8 revoked, 1 aborted\)" \
    "$T_TMP/out"
check "append a second abort line, and an abort and a revoke line for the wrong rows" \
    append "$c" '{"event": "abort", "issuer": "ca-test",
    "reason": "hsm: sign failed", "request": "r-1", "serial": "7f01"}'
append "$c" "{\"event\": \"abort\", \"issuer\": \"ca-test\",
    \"reason\": \"x\", \"serial\": \"$sr\"}"
append "$c" '{"event": "revoke", "issuer": "ca-test", "reason": 0,
    "reason_name": "unspecified", "revoked_at": "2026-01-01T00:00:00Z",
    "serial": "7f01"}'
check_exit "... each reported" 1 "$STICA" audit verify --db "sqlite:$c"
check_grep "... a second line" \
    "^no: audit: unexpected: issuer ca-test, serial 7f01: a second abort line \(seq $((n2 + 2))\)\$" \
    "$T_TMP/out"
check_grep "... an abort line for a valid certificate" \
    "^no: audit: unexpected: issuer ca-test, serial $sr: an abort line \(seq $((n2 + 3))\), but the store says it is valid\$" \
    "$T_TMP/out"
check_grep "... a revoke line for an aborted one" \
    "^no: audit: unexpected: issuer ca-test, serial 7f01: a revoke line \(seq $((n2 + 4))\), but the store says it was aborted, never signed\$" \
    "$T_TMP/out"
check_eq "... three inconsistencies" "$(nfound "$T_TMP/out")" 3
c="$T_TMP/aborted2.db"
check "an abort line with another reason" append "$c" '{"event": "abort",
    "issuer": "ca-test", "reason": "operator", "serial": "7f01"}'
check_exit "... differs" 1 "$STICA" audit verify --db "sqlite:$c"
check_grep "... in its reason" \
    "^no: audit: differs: issuer ca-test, serial 7f01: the abort line \(seq $((n2 + 1))\) differs from the store in reason\$" \
    "$T_TMP/out"

# ---- tampering with an export ---------------------------------------
f="$T_TMP/a.jsonl"
sed '7d' "$f" >"$T_TMP/f-cut.jsonl"
check_exit "a deleted line (file)" 1 "$STICA" audit verify \
    --file "$T_TMP/f-cut.jsonl"
check_grep "... as a cut" "^no: audit: line 7: cut: " "$T_TMP/out"
awk 'NR == 15 { hold = $0; next } NR == 16 { print; print hold; next }
    { print }' "$f" >"$T_TMP/f-swap.jsonl"
check_exit "a reordered pair (file)" 1 "$STICA" audit verify \
    --file "$T_TMP/f-swap.jsonl"
check_grep "... as a reorder" "^no: audit: line 15: reorder: " "$T_TMP/out"
sed '25s/"event":"issue"/"event":"issue "/' "$f" >"$T_TMP/f-edit.jsonl"
check_exit "an edited line (file)" 1 "$STICA" audit verify \
    --file "$T_TMP/f-edit.jsonl"
check_grep "... as an edit" "^no: audit: line 25: edit: " "$T_TMP/out"
head -n $((nl - 2)) "$f" >"$T_TMP/f-tail.jsonl"
check "a truncated export verifies alone" "$STICA" audit verify \
    --file "$T_TMP/f-tail.jsonl"
check_exit "... not against the recorded head" 1 "$STICA" audit verify \
    --file "$T_TMP/f-tail.jsonl" --expect-head "$head"
check_grep "... cut from the tail" "cut from the tail" "$T_TMP/out"
{ cat "$f"; echo; } >"$T_TMP/f-blank.jsonl"
check_exit "a trailing empty line (file)" 1 "$STICA" audit verify \
    --file "$T_TMP/f-blank.jsonl"
check_grep "... as json" "^no: audit: line $((nl + 1)): json: " "$T_TMP/out"

# ---- refusals of a batch (ca/issue.c: one transaction per chunk) ----
# 300 per-TN lines through stica issue-batch on a stica init deployment;
# issue_gen.py makes lines 3, 4, 7, 8, 203, 204, 207 and 208 refusals (a
# number outside the policy's scope, a broken key) and 2, 5, 6, 9, 202, 205, 206 and
# 209 unusable before judgement (no refuse line).  Each refusal has one
# refuse line naming its request key and code, those of one chunk in line
# order and before that chunk's issue lines, and the chain holds.
unset SOFTHSM2_CONF
D=$T_TMP/dev
check_exit "init a deployment" 0 "$STICA" init "$D" --range 12025500000+100000
/usr/bin/python3 "$STICA_TOP/tests/integ/issue_gen.py" 300 12025510000 \
    --bad 2 3 4 5 6 7 8 9 202 203 204 205 206 207 208 209 >"$T_TMP/b.jsonl"
check_exit "a batch with refusals" 1 "$STICA" issue-batch --config \
    "$D/stica.yaml" --input "$T_TMP/b.jsonl" --batch-id refusals \
    --output "$T_TMP/b.out"
check_grep "... 284 issued, 16 failed" '"issued":284,.*"failed":16,' \
    "$T_TMP/out"
check "stica audit verify" "$STICA" audit verify --config "$D/stica.yaml"
sqlite3 "$D/stica.db" "SELECT line FROM audit ORDER BY seq" >"$T_TMP/b.log"
check "Python: one refuse line per refusal, in order, chained" \
    $PY - "$T_TMP/b.log" "$T_TMP/b.out" <<'EOF2'
import hashlib, json, sys
out = {}
for l in open(sys.argv[2]):
    o = json.loads(l)
    out[o["line"]] = o
refused = [n for n in sorted(out) if out[n].get("code") in
           ("ST_E_REFUSED", "ST_E_SCOPE", "ST_E_BADCSR", "ST_E_LINT")]
assert refused == [3, 4, 7, 8, 203, 204, 207, 208], refused
prev, seen, issued = "0" * 64, [], {}
for seq, raw in enumerate(open(sys.argv[1], "rb"), 1):
    line = raw.rstrip(b"\n")
    o = json.loads(line)
    assert o["seq"] == seq and o["prev"] == prev, seq
    assert json.dumps(o, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode() == line, seq
    prev = hashlib.sha256(line).hexdigest()
    n = int(o.get("request", "x:0").split(":")[1])
    if o["event"] == "refuse":
        assert o["request"] == "refusals:%d" % n, o
        assert o["code"] == out[n]["code"], (o, out[n])
        assert o["requester"] == "operator" and o["scope"], o
        seen.append((seq, n))
    elif o["event"] == "issue":
        issued[n] = seq
assert sorted(n for _, n in seen) == refused, seen
assert len(issued) == 284
for group in ([3, 4, 7, 8], [203, 204, 207, 208]):
    seqs = [s for s, n in seen if n in group]
    assert [n for _, n in seen if n in group] == group, seen
    # a chunk's refusals come before its issue lines (lines 1 and 10,
    # 201 and 210, issued, are in the same chunk as their neighbours)
    assert max(seqs) < min(issued[group[0] - 2], issued[group[-1] + 2]), \
        (group, seqs)
EOF2

# A revocation and a CRL through the commands (ca/ writes their lines,
# with its extra fields), then those two lines cut from the end, or the
# last one edited.
sv=$(sqlite3 "$D/stica.db" "SELECT lower(hex(serial)) FROM certs WHERE
    status = 'valid' ORDER BY id DESC LIMIT 1")
check "revoke a certificate of the batch" "$STICA" revoke --config \
    "$D/stica.yaml" --serial "$sv" --reason keyCompromise
check "sign a CRL" "$STICA" crl --config "$D/stica.yaml" --issuer ca \
    -o "$T_TMP/d.crl"
check "stica audit verify after them" "$STICA" audit verify \
    --config "$D/stica.yaml"
check_grep "... the tables agree: 1 revoked, 1 CRL number" \
    "^ok: the store agrees: [0-9]+ certificates \(1 revoked, 0 aborted\) and 1 CRL number, each with its lines$" \
    "$T_TMP/out"
dl=$(sqlite3 "$D/stica.db" "SELECT max(seq) FROM audit")
db="$D/stica.db"
c=$(tamper depcut "DELETE FROM audit WHERE seq > $dl - 2")
check_exit "the revoke and crl lines cut from the end" 1 "$STICA" audit \
    verify --db "sqlite:$c"
check_grep "... names the revoked serial" \
    "^no: audit: missing: issuer ca, serial $sv: revoked \(reason 1 keyCompromise, at [0-9T:Z-]+\), but the log has no revoke line\$" \
    "$T_TMP/out"
check_grep "... and the CRL number" \
    "^no: audit: missing: issuer ca: CRL number 1 allocated, but the log has no crl line for it\$" \
    "$T_TMP/out"
check_eq "... two inconsistencies" "$(nfound "$T_TMP/out")" 2
c=$(tamper depedit "UPDATE audit SET line = replace(line, '\"number\":1',
    '\"number\":2') WHERE seq = $dl")
check_exit "the last line (crl) edited" 1 "$STICA" audit verify \
    --db "sqlite:$c"
check_grep "... reported" "^no: audit: missing: issuer ca: CRL number 1: " \
    "$T_TMP/out"
db="$T_TMP/a.db"

# ---- bad invocations: exit 2, one line, nothing created -------------
check_exit "no source" 2 "$STICA" audit verify
check_exit "two sources" 2 "$STICA" audit verify --db "sqlite:$db" \
    --file "$f"
check_exit "a malformed --expect-head" 2 "$STICA" audit verify \
    --db "sqlite:$db" --expect-head 12
check_grep "... says what is wrong" "SEQ:HASH" "$T_TMP/err"
check_exit "a store that does not exist" 2 "$STICA" audit verify \
    --db "sqlite:$T_TMP/none.db"
check_eq "... is not created" "$(ls "$T_TMP" | grep -c none)" 0
check_exit "an unknown scheme" 2 "$STICA" audit export --db "mysql:x"
check_exit "a file that does not exist" 2 "$STICA" audit verify \
    --file "$T_TMP/none.jsonl"
check_exit "an unknown subcommand" 2 "$STICA" audit frob
check_exit "export into a missing directory" 2 "$STICA" audit export \
    --db "sqlite:$db" -o "$T_TMP/no/such/dir.jsonl"
check_eq "one line on stderr" "$(wc -l <"$T_TMP/err")" 1
check "help" "$STICA" help audit
check_grep "help names the subcommands" "stica audit verify" "$T_TMP/out"
check_grep "help: a cut at the end of an export needs --expect-head" \
    "detected only by --expect-head" "$T_TMP/out"

done_tests
