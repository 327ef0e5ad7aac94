#!/usr/bin/env bats
# version.bats -- every program answers -V (vrrp-watch: --version) with its
# name and the Makefile's VERSION.

load helper

# version: the VERSION of the Makefile.
version() {
	sed -n 's/^VERSION *= *//p' "$TOP/Makefile"
}

# programs: the name of every program built from bin/*.c, one a line.
programs() {
	local c
	for c in "$TOP"/bin/*.c; do
		c=${c##*/}
		echo "${c%.c}"
	done
}

@test "version: every program of bin/ answers -V with \"NAME VERSION\" on stdout and exits 0" {
	local p v bad= n=0
	v=$(version)
	[ -n "$v" ]
	for p in $(programs); do
		[ "$p" = vrrp-watch ] && continue
		n=$((n + 1))
		run --separate-stderr env -i "$TOP/bin/$p" -V
		[ "$status" -eq 0 ] || bad+="$p -V: status $status"$'\n'
		[ "$output" = "$p $v" ] || bad+="$p -V: \"$output\""$'\n'
		[ -z "$stderr" ] || bad+="$p -V: stderr \"$stderr\""$'\n'
	done
	[ "$n" -ge 11 ] || bad+="only $n programs"$'\n'
	assert_equal "$bad" ""
}

@test "version: every program answers --version alike, vrrp-watch included" {
	local p v bad=
	v=$(version)
	for p in $(programs); do
		run --separate-stderr env -i "$TOP/bin/$p" --version
		[ "$status" -eq 0 ] || bad+="$p --version: status $status"$'\n'
		[ "$output" = "$p $v" ] || bad+="$p --version: \"$output\""$'\n'
	done
	assert_equal "$bad" ""
}

@test "version: vrrp-watch keeps -V for a virtual address, as keepalived's scripts use it" {
	run --separate-stderr "$TOP/bin/vrrp-watch" -V
	assert_failure 100
	[[ "$stderr" == *"vrrp-watch: usage: "* ]]
	run --separate-stderr "$TOP/bin/vrrp-watch" -h
	assert_success
	assert_output --partial "--version"
}

@test "version: -V answers before the configuration is read, even a broken one" {
	printf 'app: [\n' >"$BATS_TEST_TMPDIR/bad.yml"
	run --separate-stderr env -i "$TOP/bin/da-receive" -c "$BATS_TEST_TMPDIR/bad.yml" -V
	assert_success
	assert_output "da-receive $(version)"
	run --separate-stderr env -i "$TOP/bin/zone-write-nsd" -V -c "$BATS_TEST_TMPDIR/bad.yml"
	assert_success
	assert_output "zone-write-nsd $(version)"
}
