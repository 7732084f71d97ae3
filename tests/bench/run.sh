#!/bin/sh
# Run every benchmark (make bench): each program $STICA_BUILD/tests/bench/
# bench_* (built from tests/bench/bench_*.c) and each script
# tests/bench/bench_*.sh or bench_*.py, in turn, printing their output.
#
# Benchmarks print figures, not verdicts: a benchmark exits non-zero only
# when a result is wrong, and this script then exits 1 after running the
# rest.  BENCH=pattern limits the run to benchmarks whose name contains
# pattern; BENCH_TIMEOUT (seconds, default 600) bounds each one.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
: "${STICA_BUILD:?set STICA_BUILD to the build directory (make bench does)}"
export STICA_BUILD
export STICA="$STICA_BUILD/stica"
export STICA_TOP="$top"
: "${BENCH_TIMEOUT:=600}"
found=0
ran=0
bad=0
failed=""

run_one() { # name command...
	name=$1
	shift
	found=$((found + 1))
	case "$name" in *"${BENCH:-}"*) ;; *) return 0 ;; esac
	echo "== $name"
	start=$(date +%s)
	timeout "$BENCH_TIMEOUT" "$@"
	rc=$?
	secs=$(( $(date +%s) - start ))
	ran=$((ran + 1))
	if [ $rc -ne 0 ]; then
		bad=$((bad + 1))
		failed="$failed $name"
		echo "== $name: FAILED (exit $rc, ${secs}s)"
	else
		echo "== $name: done (${secs}s)"
	fi
}

for b in "$STICA_BUILD"/tests/bench/bench_*; do
	if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
	case "$b" in *.o|*.d) continue ;; esac
	run_one "$(basename "$b")" "$b"
done
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	run_one "$(basename "$b")" sh "$b"
done
for b in tests/bench/bench_*.py; do
	[ -f "$b" ] || continue
	run_one "$(basename "$b")" /usr/bin/python3 "$b"
done

if [ $found -eq 0 ]; then
	echo "bench: no benchmark found under $STICA_BUILD/tests/bench" \
	    "(build them with make bench)"
	exit 1
fi
if [ $ran -eq 0 ]; then
	echo "bench: none of $found benchmarks matches BENCH=${BENCH:-}"
	exit 1
fi
echo "bench: $ran run, $bad failed"
[ $bad -eq 0 ] || { echo "failed:$failed"; exit 1; }
