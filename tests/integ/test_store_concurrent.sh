#!/bin/sh
# Two processes issuing into one SQLite store at the same time must never
# reuse a serial nor lose a row.  First two workers with different request
# keys draw serials from the same counter sequence, so they collide on
# purpose and must draw again (ST_E_EXISTS from store_issue_reserve); then
# two workers resume the same batch (same request keys), as two restarts
# of one issue-batch would.  The sqlite3 CLI counts rows, serials and
# keys; stica audit verify checks the chain both wrote into.
. "$STICA_TOP/tests/lib.sh"
W="$STICA_BUILD/tests/integ/store_worker"
L=1500

sq() {
	sqlite3 -batch -separator ' ' "$1" "$2"
}

db="$T_TMP/c.db"
"$W" run "$db" $L 50 A collide >"$T_TMP/a.out" 2>&1 &
pa=$!
"$W" run "$db" $L 50 B collide >"$T_TMP/b.out" 2>&1 &
pb=$!
wait $pa
sa=$?
wait $pb
sb=$?
check_eq "colliding serials: both workers succeed" "$sa $sb" "0 0"
[ "$sa $sb" = "0 0" ] || cat "$T_TMP/a.out" "$T_TMP/b.out"
c=$(cat "$T_TMP/a.out" "$T_TMP/b.out" |
    sed -n 's/.* collisions \([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "the workers did collide (and drew again): $c collisions" \
    test "$c" -gt 0
check_eq "every line of both issued, once" "$(sq "$db" "SELECT
    count(*), count(DISTINCT request_key), sum(status = 'valid')
    FROM certs")" "$((2 * L)) $((2 * L)) $((2 * L))"
check_eq "... each from its own worker" "$(sq "$db" "SELECT
    sum(request_key LIKE 'A-%'), sum(request_key LIKE 'B-%') FROM certs")" \
    "$L $L"
check_eq "no serial twice" "$(sq "$db" "SELECT count(DISTINCT serial)
    FROM certs")" $((2 * L))
check_eq "the serials are the counter's first $((2 * L)), none skipped" \
    "$(sq "$db" "SELECT count(*) FROM certs WHERE
    CAST(substr(hex(serial), 3) AS TEXT) >
    printf('%016X', $((2 * L)))")" 0
check "the audit chain verifies" "$STICA" audit verify --db "sqlite:$db"
check_eq "one issue line per certificate" "$(sq "$db" "SELECT count(*),
    count(DISTINCT json_extract(line, '\$.serial')) FROM audit WHERE
    json_extract(line, '\$.event') = 'issue'")" "$((2 * L)) $((2 * L))"

db="$T_TMP/s.db"
"$W" run "$db" $L 40 S >"$T_TMP/a.out" 2>&1 &
pa=$!
"$W" run "$db" $L 40 S >"$T_TMP/b.out" 2>&1 &
pb=$!
wait $pa
sa=$?
wait $pb
sb=$?
check_eq "the same batch twice: both workers succeed" "$sa $sb" "0 0"
[ "$sa $sb" = "0 0" ] || cat "$T_TMP/a.out" "$T_TMP/b.out"
check_eq "every line issued once" "$(sq "$db" "SELECT count(*),
    count(DISTINCT request_key), sum(status = 'valid') FROM certs")" \
    "$L $L $L"
check_eq "no serial twice" "$(sq "$db" "SELECT count(DISTINCT serial)
    FROM certs")" "$L"
# (a worker starting up may finish, as recovery, rows the other reserved)
issued=$(cat "$T_TMP/a.out" "$T_TMP/b.out" |
    sed -n 's/.* issued \([0-9]*\) recovered \([0-9]*\) .*/\1 \2/p' |
    awk '{ s += $1 + $2 } END { print s + 0 }')
check_eq "the workers' own counts (issued + recovered) add up" "$issued" "$L"
check "the audit chain verifies" "$STICA" audit verify --db "sqlite:$db"
check_eq "one issue line per certificate" "$(sq "$db" "SELECT count(*)
    FROM audit WHERE json_extract(line, '\$.event') = 'issue'")" "$L"

done_tests
