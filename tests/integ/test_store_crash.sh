#!/bin/sh
# kill -9 during a batch, then resume: store_worker issues LINES request
# keys in batches (reserve, sign, commit) and is killed with SIGKILL, once
# at a fixed point (right after a reservation) and then at pseudo-random
# moments (fixed seed).  After every kill the sqlite3 CLI checks that no
# serial appears twice, every committed row has a DER carrying its
# reserved TBS, the committed lines are a prefix 1..V and the pending rows
# are exactly the one unfinished batch after it, and stica audit verify
# accepts the chain, which has exactly one issue line per certificate.  A
# last run resumes to the end: every line issued exactly once.  Then an
# old (version 1) database is killed while it migrates, and migrated.
. "$STICA_TOP/tests/lib.sh"
W="$STICA_BUILD/tests/integ/store_worker"
db="$T_TMP/crash.db"
L=3000
B=64

sq() {
	sqlite3 -batch -separator ' ' "$db" "$1"
}

# invariants LABEL: the state a crash may leave, and no other.
invariants() {
	check_eq "$1: no serial twice" "$(sq "SELECT count(*) FROM (SELECT 1
	    FROM certs GROUP BY issuer, serial HAVING count(*) > 1)")" 0
	check_eq "$1: every valid row has a DER (and only there a TBS)" \
	    "$(sq "SELECT count(*) FROM certs WHERE status = 'valid' AND
	    (der IS NULL OR tbs IS NOT NULL)")" 0
	check_eq "$1: every pending row has a TBS and no DER" \
	    "$(sq "SELECT count(*) FROM certs WHERE status = 'pending' AND
	    (der IS NOT NULL OR tbs IS NULL)")" 0
	check_eq "$1: nothing aborted, revoked or unknown" \
	    "$(sq "SELECT count(*) FROM certs WHERE status NOT IN
	    ('valid', 'pending')")" 0
	set -- "$1" $(sq "SELECT count(*), count(DISTINCT request_key),
	    coalesce(max(CAST(substr(request_key, 6) AS INTEGER)), 0)
	    FROM certs WHERE status = 'valid'")
	v=$2
	check_eq "$1: valid rows have distinct keys" "$3" "$v"
	check_eq "$1: the valid lines are 1..$v" "$4" "$v"
	set -- "$1" $(sq "SELECT count(*), count(DISTINCT profile),
	    coalesce(min(CAST(substr(request_key, 6) AS INTEGER)), 0),
	    coalesce(max(CAST(substr(request_key, 6) AS INTEGER)), 0)
	    FROM certs WHERE status = 'pending'")
	p=$2
	if [ "$p" -gt 0 ]; then
		withpending=$((withpending + 1))
		check_eq "$1: pending rows are one batch" "$3" 1
		check_eq "$1: ... the one after the last valid line" "$4" \
		    $((v + 1))
		check_eq "$1: ... without gaps" $(($5 - $4 + 1)) "$p"
		check "$1: ... of at most $B lines" test "$p" -le $B
	fi
	check "$1: the audit chain verifies" "$STICA" audit verify \
	    --db "sqlite:$db"
	check_eq "$1: one issue line per valid row" "$(sq "SELECT count(*),
	    count(DISTINCT json_extract(line, '\$.serial')) FROM audit WHERE
	    json_extract(line, '\$.event') = 'issue'")" "$v $v"
}

# A crash at a known point: right after the third reservation.
STORE_WORKER_DIE=3 "$W" run "$db" $L $B line >"$T_TMP/w.out" 2>&1
check_eq "killed after the third reservation" $? 137
check_eq "two batches committed, one pending" "$(sq "SELECT
    sum(status = 'valid'), sum(status = 'pending') FROM certs")" \
    "$((2 * B)) $B"
invariants "fixed kill"

# Kills at pseudo-random moments, the same ones every run.
delays=$(awk 'BEGIN { srand(20261130); for (i = 0; i < 8; i++)
    printf "%.2f ", 0.05 + rand() * 0.5 }')
k=0
landed=0
withpending=0
for d in $delays; do
	k=$((k + 1))
	"$W" run "$db" $L $B line >"$T_TMP/w.out" 2>&1 &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null
	wait $pid
	st=$?
	[ $st -eq 137 ] && landed=$((landed + 1))
	check "kill $k (after ${d}s): the worker was killed or finished" \
	    test $st -eq 137 -o $st -eq 0
	invariants "kill $k"
done
echo "kills that landed while the worker ran: $landed of $k;" \
    "$withpending left a pending batch"

check "resume to the end" "$W" run "$db" $L $B line
check_grep "the resumed run reports" "rc 0" "$T_TMP/out"
invariants "final"
check_eq "every line issued exactly once, nothing pending" \
    "$(sq "SELECT sum(status = 'valid'), count(DISTINCT request_key),
    sum(status = 'pending') FROM certs")" "$L $L 0"

# Python, on its own: each DER is SEQUENCE { TBS, ... } where the TBS is
# the one the worker built for that serial and line (store_worker.c
# make_tbs), the fake signature is over that TBS, and the issue lines
# name exactly the valid serials with the SHA-256 of their DER.
check "Python checks DER, TBS and issue lines" $PY - "$db" <<'EOF'
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])

def tbs_of(serial, key):
    n = int(key.split("-")[1])
    b = bytearray((i ^ n) & 0xff for i in range(516))
    b[0], b[1] = 0x02, len(serial)
    b[2:2 + len(serial)] = serial
    k = key.encode()[:40]
    b[26:26 + len(k)] = k
    return bytes([0x30, 0x82, 0x02, 0x04]) + bytes(b)

certs = {}
for serial, key, der in db.execute(
        "SELECT serial, request_key, der FROM certs WHERE status = 'valid'"):
    assert der[0] == 0x30 and der[1] == 0x82
    assert int.from_bytes(der[2:4], "big") == len(der) - 4
    tbs = tbs_of(serial, key)
    assert der[4:4 + len(tbs)] == tbs, key
    sig = der[-64:]
    assert sig[:32] == hashlib.sha256(tbs).digest(), key
    certs[serial.hex()] = hashlib.sha256(der).hexdigest()
seen = {}
for (line,) in db.execute("SELECT line FROM audit ORDER BY seq"):
    o = json.loads(line)
    if o["event"] == "issue":
        assert o["serial"] not in seen
        seen[o["serial"]] = o["sha256"]
assert seen == certs, (len(seen), len(certs))
EOF

# ---- an old database migrated, and killed while it migrates ----------
# A version-1 database (tests/data/store/schema-v1.sql) of 100 000 rows,
# 1 in 100 pending, made by the sqlite3 CLI.  The worker's open migrates
# it to version 2 (certs rebuilt) in one transaction; it is killed with
# SIGKILL once that transaction has written 16 MiB to the WAL.  The
# database must then still be version 1 with every row as it was; the
# next open migrates it, keeping every row, and issuance goes on.
old="$T_TMP/v1.db"
sq1() {
	sqlite3 -batch -separator ' ' "$old" "$1"
}
sqlite3 -batch "$old" <"$STICA_TOP/tests/data/store/schema-v1.sql" >/dev/null
sq1 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < 100000) INSERT INTO certs (id, issuer, serial, profile,
    subject, not_before, not_after, tbs, der, status, request_key,
    created_at, issued_at) SELECT i, 'ca-test', CAST(x'01' ||
    randomblob(16) AS BLOB), 'per-tn', 'CN=TN ' || i, 1767225600,
    1775001600, CASE WHEN i % 100 = 0 THEN x'3003020105' END,
    CASE WHEN i % 100 <> 0 THEN CAST(x'3082025a' || randomblob(602) AS
    BLOB) END, CASE WHEN i % 100 = 0 THEN 'pending' ELSE 'valid' END,
    'old-' || i, 1767225600, CASE WHEN i % 100 <> 0 THEN 1767225700 END
    FROM n"
# The version-1 columns, which every later version keeps as they were.
rows="SELECT hex(sha3_query('SELECT id, issuer, serial, profile, subject,
    tnauth, not_before, not_after, tbs, der, status, request_key,
    created_at, issued_at, revoked_at, reason, abort_reason FROM certs
    WHERE id <= 100000 ORDER BY id'))"
d1=$(sq1 "$rows")
check_eq "the old database: version 1, 100000 rows" "$(sq1 "SELECT
    max(version) FROM schema_migrations; SELECT count(*) FROM certs")" \
    "1
100000"
"$W" run "$old" 5 5 new >"$T_TMP/w.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 2000 ]; do
	i=$((i + 1))
	sz=$(stat -c %s "$old-wal" 2>/dev/null || echo 0)
	[ "$sz" -ge 16777216 ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid
check_eq "killed while migrating" $? 137
check_eq "... still version 1, no half-built table" "$(sq1 "SELECT
    max(version) FROM schema_migrations; SELECT count(*) FROM
    sqlite_master WHERE name = 'certs_v2'")" "1
0"
check_eq "... every row as it was" "$(sq1 "$rows")" "$d1"
check_eq "... and intact" "$(sq1 "PRAGMA integrity_check")" ok
check "the next open migrates and issues" "$W" run "$old" 5 5 new
check_eq "... version 3, the rows kept, the pending ones pending" \
    "$(sq1 "SELECT max(version) FROM schema_migrations; SELECT
    sum(status = 'pending'), sum(status = 'valid') FROM certs")" "3
1000 99005"
check_eq "... every old row as it was" "$(sq1 "$rows")" "$d1"
check_eq "... intact" "$(sq1 "PRAGMA integrity_check")" ok
# The old rows were written by the sqlite3 CLI without their issue lines:
# the chain is intact, and the cross-check of the tables says what is
# missing (docs/store.md, "Audit").
check_exit "... its chain verifies, its rows lack their lines" 1 "$STICA" \
    audit verify --db "sqlite:$old"
check_grep "... the chain itself is intact" "the chain itself is intact" \
    "$T_TMP/out"

done_tests
