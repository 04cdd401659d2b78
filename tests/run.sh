#!/bin/bash
# tests/run.sh - run AVEC's tests and say which failed and why.
#
#   tests/run.sh [--unit BIN...] [--all] [--env VAR=VALUE] [SCRIPT...]
#
# --unit runs Check binaries and reads their summary line; --all adds every
# integration script (tests/*/t_*.sh); named scripts run as given; --env
# sets VAR for the scripts named after it (their logs are tagged with
# VAR's value's last component, e.g. build/san/bin/avecctl -> "-san").  Each
# script's output goes to build/test-logs/AREA-NAME.log; a failing one has its
# "not ok" lines and the end of its log printed.  The last line is
# "N passed, M failed" (each Check test and each script check counts one).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/build/test-logs
mkdir -p "$logs"
passed=0 failed=0 skipped=0
failures=()

run_unit() {
	local bin=$1 name out line n f e
	name=$(basename "$(dirname "$(dirname "$bin")")")-$(basename "$bin")
	out=$logs/$name.log
	echo "== unit: $bin"
	CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$bin" >"$out" 2>&1
	local rc=$?
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $bin printed no Check summary (exit $rc)"; tail -n 30 "$out"
		failed=$((failed + 1)); failures+=("$bin (no summary)"); return
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	echo "$line"
	# checks a suite skipped (a reference file absent), each said once
	grep '^skip: ' "$out" | sort -u | sed 's/^/  /'
	passed=$((passed + n - f - e)); failed=$((failed + f + e))
	if [ $((f + e)) -gt 0 ] || [ $rc -ne 0 ]; then
		grep -E ':[FE]:' "$out" | sed 's/^/  /'
		failures+=("$bin: $((f + e)) failing checks")
		[ $((f + e)) -gt 0 ] || { failed=$((failed + 1)); tail -n 30 "$out"; }
	fi
}

run_script() {
	local s=$1 name out rc p f t0 t1 limit
	# tests/radius/t_x.sh -> radius-t_x.log: two areas may share a name
	name=$(basename "$(dirname "$s")")-$(basename "${s%.sh}")${tag:+-$tag}
	out=$logs/$name.log
	t0=$(date +%s)
	echo "== $s"
	echo "${envs[*]:+   with ${envs[*]}}" | sed '/^$/d'
	# a script may ask for more time than T_TIMEOUT: "# timeout: N s"
	limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\) s$/\1/p' "$s" | head -n 1)
	[ -n "$limit" ] && [ "$limit" -gt "${T_TIMEOUT:-600}" ] || limit=${T_TIMEOUT:-600}
	env "${envs[@]}" timeout -k 10 "$limit" bash "$s" >"$out" 2>&1
	rc=$?
	t1=$(date +%s)
	p=$(grep -c '^ok - ' "$out")
	f=$(grep -c '^not ok - ' "$out")
	grep -E '^(ok|not ok) - |^skip: ' "$out" | sed 's/^/  /'
	if [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "  skipped ($((t1 - t0)) s)"; return
	fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ $rc -ne 0 ]; then
		[ "$f" -gt 0 ] || failed=$((failed + 1))
		[ $rc -eq 124 ] && echo "  TIMEOUT after $limit s"
		echo "  FAILED (exit $rc, $((t1 - t0)) s); last lines of $out:"
		tail -n 40 "$out" | sed 's/^/  | /'
		failures+=("$s (exit $rc)")
	else
		echo "  passed ($((t1 - t0)) s)"
	fi
}

mode=script
scripts=()	# entries: "ENV1 ENV2...|script"
envs=()
tag=
while [ $# -gt 0 ]; do
	case $1 in
	--unit) mode=unit ;;
	--all) mode=script; while IFS= read -r s; do scripts+=("${envs[*]}|$s"); done \
		< <(cd "$top" && ls tests/*/t_*.sh 2>/dev/null | sort) ;;
	--env) mode=script; shift; envs+=("$1") ;;
	--*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) if [ $mode = unit ]; then run_unit "$1"; else scripts+=("${envs[*]}|$1"); fi ;;
	esac
	shift
done
cd "$top" || exit 2
for e in "${scripts[@]}"; do
	read -r -a envs <<<"${e%%|*}"
	tag=
	[ ${#envs[@]} -gt 0 ] && tag=$(basename "$(dirname "$(dirname "${envs[-1]#*=}")")")
	run_script "${e#*|}"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed:"; printf '  %s\n' "${failures[@]}"
fi
[ $skipped -gt 0 ] && echo "($skipped test scripts skipped)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
