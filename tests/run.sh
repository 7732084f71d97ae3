#!/bin/sh
# Run every test of the current build variant (make test / make check).
#
#   unit and integration programs  $STICA_BUILD/tests/{unit,integ}/test_*
#   scripts                        tests/*/test_*.sh, tests/*/test_*.py
#   fuzz corpus replays            $STICA_BUILD/tests/fuzz/fuzz_* over
#                                  tests/fuzz/corpus/<name>/, then a fixed,
#                                  seeded libFuzzer run of $STICA_FUZZ/fuzz_*
#
# Each test prints a closing "N passed, N failed" line; this script prints
# one line per test and the totals, and fails if anything failed.
# TESTS=pattern limits the run to tests whose name contains pattern.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
: "${STICA_BUILD:?set STICA_BUILD to the build directory (make test does)}"
export STICA_BUILD
export STICA="$STICA_BUILD/stica"
export STICA_TOP="$top"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -s tests/lsan.supp ]; then
	export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
fi
logdir="$STICA_BUILD/test-logs"
rm -rf "$logdir"
mkdir -p "$logdir"
: "${TEST_TIMEOUT:=1200}"
pass=0
fail=0
failed=""

run_one() { # name command...
	name=$1
	shift
	case "$name" in *"${TESTS:-}"*) ;; *) return 0 ;; esac
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	timeout "$TEST_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	summary=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$summary" ] &&
	    echo "$summary" | grep -qE ' 0 failed'; then
		pass=$((pass + 1))
		printf 'PASS %-40s %s (%ss)\n' "$name" "${summary##*: }" "$secs"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		printf 'FAIL %-40s exit %s, %s (%ss); log: %s\n' "$name" "$rc" \
		    "${summary:-no summary line}" "$secs" "$log"
		sed -e 's/^/    | /' "$log" | tail -n 40
	fi
}

for t in "$STICA_BUILD"/tests/unit/test_* "$STICA_BUILD"/tests/integ/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	run_one "${t#"$STICA_BUILD"/tests/}" "$t"
done

for t in tests/*/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" sh "$t"
done
for t in tests/*/test_*.py; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" /usr/bin/python3 "$t"
done

for f in "$STICA_BUILD"/tests/fuzz/fuzz_*; do
	[ -x "$f" ] && [ -f "$f" ] || continue
	case "$f" in *.o|*.d) continue ;; esac
	n=$(basename "$f")
	n=${n#fuzz_}
	run_one "fuzz/replay-$n" "$f" "tests/fuzz/corpus/$n"
done
if [ -n "${STICA_FUZZ:-}" ]; then
	for f in "$STICA_FUZZ"/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		n=$(basename "$f")
		n=${n#fuzz_}
		work="$logdir/fuzz-$n"
		mkdir -p "$work"
		run_one "fuzz/libfuzzer-$n" sh -c "
			'$f' -seed=1 -runs=${FUZZ_RUNS:-30000} -max_len=4096 \
			    -artifact_prefix='$work/' '$work' 'tests/fuzz/corpus/$n' &&
			echo 'libfuzzer $n: 1 passed, 0 failed'"
	done
fi

echo "tests: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
