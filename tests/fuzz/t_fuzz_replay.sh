#!/bin/bash
# tests/fuzz/t_fuzz_replay.sh - every libFuzzer harness (build/fuzz/bin/
# fuzz_NAME) runs once over its seed corpus tests/fuzz/corpus/NAME and
# its regression inputs tests/fuzz/regress/NAME: a parser change that
# brings back a fixed crash, or breaks on a seed, fails here.  One ok/fail
# line per harness.
#
# Builds nothing: `make check` (or `make fuzz-build`) builds the harnesses.
# Skips when clang's libFuzzer runtime is missing or nothing is built.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

FUZZ_BIN=${FUZZ_BIN:-$AVEC_BUILD/fuzz/bin}
here=$AVEC_TOP/tests/fuzz

need clang
rt=$(clang --rtlib=compiler-rt -print-libgcc-file-name 2>/dev/null)
compgen -G "$(dirname "${rt:-/nonexistent/x}")/libclang_rt.fuzzer-*.a" >/dev/null ||
	skip "clang's libFuzzer runtime is missing (make deps)"
compgen -G "$FUZZ_BIN/fuzz_*" >/dev/null ||
	skip "the fuzz harnesses are not built (make fuzz-build)"

for src in "$here"/fuzz_*.c; do
	name=$(basename "${src%.c}")
	name=${name#fuzz_}
	bin=$FUZZ_BIN/fuzz_$name
	if [ ! -x "$bin" ]; then
		fail "$name: $bin is not built"
		continue
	fi
	mapfile -t inputs < <(find "$here/corpus/$name" "$here/regress/$name" \
		-type f 2>/dev/null | sort)
	if [ "${#inputs[@]}" -eq 0 ]; then
		fail "$name: no seed input in tests/fuzz/corpus/$name"
		continue
	fi
	log=$T_SCRATCH/$name.log
	# file arguments: libFuzzer runs each input once and exits
	if (cd "$T_SCRATCH" && "$bin" -timeout=30 -rss_limit_mb=2048 \
		"${inputs[@]}") >"$log" 2>&1; then
		ok "$name: ${#inputs[@]} inputs replayed"
	else
		fail "$name: $(grep -m1 -E 'ERROR|runtime error|abort|not well|refused|differs' "$log" || tail -n 1 "$log")"
	fi
done

finish
