#!/bin/sh
# run-tests.sh -- run every bats file and print one closing line
# "N passed, N failed, N skipped" (the summary CI reads).
#
# Run as root (as CI does), a skipped test counts as failed: root has
# every package and privilege a test needs. The one exception is a test
# whose skip reason starts with "kernel:", a feature the running kernel
# lacks (skip "kernel: no network namespaces").
cd "$(dirname "$0")/.." || exit 111
out=$(mktemp)
files=${TESTS:-$(ls t/*.bats)}
bats --tap $files 2>&1 | tee "$out"
skip='^ok [0-9]+ .* # skip( |$)'
passed=$(grep '^ok ' "$out" | grep -Ecv "$skip")
failed=$(grep -c '^not ok ' "$out")
skipped=$(grep -Ec "$skip" "$out")
if [ "$(id -u)" = 0 ]; then
	grep -E "$skip" "$out" | grep -v ' # skip kernel:' |
	    sed 's/^/run-tests: skipped as root, counted as failed: /' >&2
	bad=$(grep -E "$skip" "$out" | grep -cv ' # skip kernel:')
	failed=$((failed + bad))
	skipped=$((skipped - bad))
fi
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -1)
# A test bats never reached (a crash of the runner) counts as failed.
if [ -n "$planned" ] && [ $((passed + failed + skipped)) -lt "$planned" ]; then
	failed=$((planned - passed - skipped))
fi
rm -f "$out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
