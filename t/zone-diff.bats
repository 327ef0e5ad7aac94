#!/usr/bin/env bats
# zone-diff.bats -- lib/pipeline/zone.c against nsd-checkzone on generated zone
# texts (t/unit/zonediff): dadns acknowledges exactly the zones NSD loads,
# except where README documents a stricter rule. `make fuzz` runs many
# more cases with a fresh seed.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/zone"
ZD="$TOP/t/unit/zonediff"

setup_file() {
	[ -x "$ZD" ] || make -C "$TOP" t/unit/zonediff >/dev/null
}

@test "zone-diff: 400 generated zone texts: lib/pipeline/zone.c accepts exactly what nsd-checkzone accepts" {
	run "$ZD" -f "$FIX" -k "$BATS_TEST_TMPDIR" -s 1 -n 400
	assert_success
	assert_output --regexp '^zonediff: 400 cases from seed 1: [0-9]+ accepted by both, [0-9]+ refused by both, [0-9]+ refused by a stricter rule, 0 mismatches$'
	# Not vacuous: both answers are well represented.
	local ok no
	ok=$(printf '%s\n' "$output" | sed -n 's/.*: \([0-9]*\) accepted by both.*/\1/p')
	no=$(printf '%s\n' "$output" | sed -n 's/.*, \([0-9]*\) refused by both.*/\1/p')
	[ "$ok" -ge 60 ]
	[ "$no" -ge 60 ]
}

@test "zone-diff: the generated texts cover every record type DirectAdmin writes and the odd forms" {
	"$ZD" -f "$FIX" -p -s 1 -n 400 >"$BATS_TEST_TMPDIR/all"
	local w
	for w in A AAAA CNAME MX NS PTR TXT SRV CAA DS TLSA SOA CH HS; do
		run grep -cP "[ \t]$w[ \t]" "$BATS_TEST_TMPDIR/all"
		assert_success
		[ "$output" -ge 3 ]
	done
	for w in '^\$ORIGIN ' '^\$TTL' '\\[0-9]{3}' '\\\.' '2147483647' \
	    '2147483648' '4294967296' '65535' '65536' '1h2m' '\(' \
	    '"x{255}"' '"x{256}"' 'k{64}'; do
		run grep -cE -- "$w" "$BATS_TEST_TMPDIR/all"
		assert_success
	done
	# Some texts lack $TTL (the default applies).
	run grep -c '^; case' "$BATS_TEST_TMPDIR/all"
	assert_output 400
	run awk '/^; case/ { if (n && !t) m++; n++; t = 0 } /^\$TTL/ { t = 1 }
	    END { print m + 0 }' "$BATS_TEST_TMPDIR/all"
	[ "$output" -ge 20 ]
}

@test "zone-diff: a case is the same text for a given seed and differs with another" {
	run "$ZD" -f "$FIX" -p -s 7 -c 42
	assert_success
	local first=$output
	run "$ZD" -f "$FIX" -p -s 7 -c 42
	assert_equal "$output" "$first"
	run "$ZD" -f "$FIX" -p -s 8 -c 42
	[ "$output" != "$first" ]
}

@test "zone-diff: a mismatch is reported with its seed and case, exits 1 and keeps the text" {
	# Failure injection: an nsd-checkzone that accepts everything.
	mkdir "$BATS_TEST_TMPDIR/stub"
	printf '#!/bin/sh\necho "zone $1 is ok"\n' >"$BATS_TEST_TMPDIR/stub/nsd-checkzone"
	chmod +x "$BATS_TEST_TMPDIR/stub/nsd-checkzone"
	mkdir "$BATS_TEST_TMPDIR/keep"
	PATH="$BATS_TEST_TMPDIR/stub:$PATH" run "$ZD" -f "$FIX" \
	    -k "$BATS_TEST_TMPDIR/keep" -s 3 -n 40
	assert_failure 1
	assert_line --regexp '^zonediff: mismatch: case [0-9]+ \(-s 3 -c [0-9]+\) zone [^ ]+: dadns refuses, nsd-checkzone accepts:$'
	assert_line --regexp '^zonediff: 40 cases from seed 3: .* [1-9][0-9]* mismatches$'
	local c
	c=$(printf '%s\n' "$output" | sed -n 's/.*(-s 3 -c \([0-9]*\)).*/\1/p' | head -n 1)
	"$ZD" -f "$FIX" -p -s 3 -c "$c" | tail -n +2 >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/keep/mismatch-3-$c.zone"
}

@test "zone-diff: wrong usage exits 100" {
	run "$ZD" -n 0
	assert_failure 100
	run "$ZD" extra
	assert_failure 100
}
