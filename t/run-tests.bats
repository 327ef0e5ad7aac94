#!/usr/bin/env bats
# run-tests.bats -- the summary line CI reads, and what a skip means to it

load helper

setup() {
	# A directory any user can read, for the run as nobody.
	W=$(mktemp -d /tmp/run-tests.XXXXXX)
	chmod 0755 "$W"
	mkdir -m 1777 "$W/tmp"
	# (printf: a line starting with the test keyword would be one of ours)
	printf '%s\n' '@test "a: passes" { true; }' \
	    '@test "a: kernel" { skip "kernel: no such feature"; }' \
	    '@test "a: package" { skip "needs some package"; }' >"$W/a.bats"
	printf '%s\n' '@test "b: passes" { true; }' \
	    '@test "b: fails" { false; }' >"$W/b.bats"
	chmod 0644 "$W"/*.bats
}

teardown() {
	rm -rf "$W"
}

# rt [USER] FILE...: t/run-tests.sh on FILE... in a clean environment,
# as USER when given.
rt() {
	local as=()
	if [ "$1" = -u ]; then
		as=(setpriv --reuid="$2" --regid=nogroup --clear-groups)
		shift 2
	fi
	# bats puts its libexec first in PATH: start from the system's.
	run env -i PATH=/usr/local/bin:/usr/bin:/bin TMPDIR="$W/tmp" TESTS="$*" \
	    "${as[@]}" sh "$TOP/t/run-tests.sh"
}

@test "run-tests: as a user, skips are counted apart and do not fail the run" {
	[ "$(id -u)" = 0 ] || skip "needs root to run as nobody"
	command -v setpriv >/dev/null || skip "needs setpriv"
	rt -u nobody "$W/a.bats"
	assert_success
	assert_line --index -1 "1 passed, 0 failed, 2 skipped"
}

@test "run-tests: as root, a skip fails the run unless its reason starts with kernel:" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	rt "$W/a.bats"
	assert_failure
	assert_line --index -1 "1 passed, 1 failed, 1 skipped"
	assert_line "run-tests: skipped as root, counted as failed: ok 3 a: package # skip needs some package"
}

@test "run-tests: a failed test fails the run and is counted" {
	rt "$W/b.bats" "$W/a.bats"
	assert_failure
	if [ "$(id -u)" = 0 ]; then
		assert_line --index -1 "2 passed, 2 failed, 1 skipped"
	else
		assert_line --index -1 "2 passed, 1 failed, 2 skipped"
	fi
}
