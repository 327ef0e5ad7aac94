#!/usr/bin/env bats
# zone.bats -- lib/pipeline/zone.c through its unit driver t/unit/zone: zone names,
# DirectAdmin zone texts checked as NSD loads them, serial arithmetic.
# nsd-checkzone and named-checkzone are the oracles.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/zone"

setup_file() {
	local src=$TOP/lib/pipeline/zone.c drv=$TOP/t/unit/zone.c
	# Use the driver make built, unless it is missing or stale; then
	# build it alone so other modules need not compile.
	if [ -x "$TOP/t/unit/zone" ] && [ "$TOP/t/unit/zone" -nt "$src" ] &&
	    [ "$TOP/t/unit/zone" -nt "$drv" ]; then
		ZONE=$TOP/t/unit/zone
	else
		ZONE=$BATS_FILE_TMPDIR/zone
		${CC:-cc} -D_GNU_SOURCE -I"$TOP/lib/pipeline" -O2 -o "$ZONE" "$drv" \
		    "$src" -lldns || return 1
	fi
	export ZONE
}

# base: a DirectAdmin-style zone for example.com without a trailing
# blank line, so a test can append records; the SOA is on lines 2-7.
base() {
	printf '$TTL 3600\n'
	printf '@\tIN\tSOA\tns1.example.net.\thostmaster.example.com. (\n'
	printf '\t\t\t\t\t\t2024061501\n\t\t\t\t\t\t3600\n\t\t\t\t\t\t3600\n'
	printf '\t\t\t\t\t\t1209600\n\t\t\t\t\t\t86400 )\n'
	printf 'example.com.\t3600\tIN\tNS\tns1.example.net.\n'
	printf 'example.com.\t3600\tIN\tA\t192.0.2.10\n'
}

# rejects 'RECORDS' 'MESSAGE': base plus RECORDS (printf %b, starting on
# line 10) is refused with exit 100 and exactly MESSAGE.
rejects() {
	run --separate-stderr "$ZONE" prepare example.com \
	    < <(base; printf '%b\n' "$1")
	assert_failure 100
	assert_output ''
	assert_equal "$stderr" "zone: $2"
}

# accepts 'RECORDS': base plus RECORDS is accepted.
accepts() {
	run --separate-stderr "$ZONE" prepare example.com \
	    < <(base; printf '%b\n' "$1")
	assert_success
	assert_equal "$stderr" ''
}

# nsd_ok ZONE FILE / named_ok ZONE FILE: the oracles accept FILE.
nsd_ok() {
	run nsd-checkzone "$1" "$2"
	assert_success
	assert_output "zone $1 is ok"
}

named_ok() {
	run named-checkzone "$1" "$2"
	assert_success
	assert_line --partial 'loaded serial'
}

# ---------------------------------------------------------------------
# Accepted texts

@test "zone: the DirectAdmin sample of docs 2.3 is accepted and passes nsd-checkzone" {
	da_zone example.com >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/in"
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	nsd_ok example.com "$BATS_TEST_TMPDIR/out"
	named_ok example.com "$BATS_TEST_TMPDIR/out"
}

@test "zone: the full DirectAdmin fixture (DKIM, SRV, CAA, PTR, wildcard) passes both checkers" {
	"$ZONE" prepare example.com <"$FIX/example.com.zone" >"$BATS_TEST_TMPDIR/out"
	nsd_ok example.com "$BATS_TEST_TMPDIR/out"
	named_ok example.com "$BATS_TEST_TMPDIR/out"
	run "$ZONE" info example.com <"$FIX/example.com.zone"
	assert_success
	assert_output 'serial=2024061501 records=29'
}

@test "zone: info reports the SOA serial and the record count, SOA included" {
	run "$ZONE" info example.com < <(da_zone example.com 2024123199)
	assert_success
	assert_output 'serial=2024123199 records=9'
}

@test "zone: CRLF line endings are accepted" {
	da_zone example.com | sed 's/$/\r/' >"$BATS_TEST_TMPDIR/in"
	run "$ZONE" info example.com <"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output 'serial=2021082500 records=9'
}

@test "zone: records below the apex, delegations, wildcards and \$ORIGIN inside the zone pass" {
	accepts 'sub\t3600\tIN\tNS\tns1.sub\nns1.sub\tIN\tA\t192.0.2.53
*.shop\tIN\tA\t192.0.2.1\n$ORIGIN sub.example.com.\nwww\tIN\tA\t192.0.2.2
$ORIGIN example.com.\n\tIN\tMX\t10 mail.example.com.'
}

@test "zone: TTL and SOA timers take units, TTL and class in either order" {
	accepts 'a\t1h30m\tIN\tA\t192.0.2.1\nb\tIN\t2d\tA\t192.0.2.2\nc\tA\t192.0.2.3'
}

# ---------------------------------------------------------------------
# $ORIGIN and $TTL prefix

@test "zone: \$TTL 300 and \$ORIGIN are prepended when absent, \$TTL first" {
	run "$ZONE" prepare example.com < <(base | sed 1d)
	assert_success
	assert_line --index 0 '$TTL 300'
	assert_line --index 1 '$ORIGIN example.com.'
	assert_line --index 2 --regexp '^@.*SOA'
}

@test "zone: only \$ORIGIN is prepended when the text has its \$TTL" {
	run "$ZONE" prepare example.com < <(base)
	assert_success
	assert_line --index 0 '$ORIGIN example.com.'
	assert_line --index 1 '$TTL 3600'
	refute_line '$TTL 300'
}

@test "zone: a text with both directives comes back byte for byte" {
	{ printf '$ORIGIN example.com.\n'; base; } >"$BATS_TEST_TMPDIR/in"
	"$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
}

@test "zone: preparing a prepared text changes nothing" {
	"$ZONE" prepare example.com <"$FIX/example.com.zone" >"$BATS_TEST_TMPDIR/1"
	"$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/1" >"$BATS_TEST_TMPDIR/2"
	cmp "$BATS_TEST_TMPDIR/1" "$BATS_TEST_TMPDIR/2"
	run grep -c '^\$ORIGIN' "$BATS_TEST_TMPDIR/2"
	assert_output 1
}

@test "zone: a TXT containing \"\$TTL\" or \"\$ORIGIN\" still gets both prepended" {
	run "$ZONE" prepare example.com < <(base | sed 1d
	    printf 'x\tIN\tTXT\t"$TTL 60 $ORIGIN other.test."\n')
	assert_success
	assert_line --index 0 '$TTL 300'
	assert_line --index 1 '$ORIGIN example.com.'
}

@test "zone: the text after the prefix is the input verbatim" {
	# The fixture has its $TTL: the prefix is "$ORIGIN example.com.\n".
	"$ZONE" prepare example.com <"$FIX/example.com.zone" >"$BATS_TEST_TMPDIR/out"
	cmp <(tail -c +22 "$BATS_TEST_TMPDIR/out") "$FIX/example.com.zone"
}

# ---------------------------------------------------------------------
# Rejections: each with the message DirectAdmin will show

@test "zone: rejects an empty text" {
	run --separate-stderr "$ZONE" prepare example.com </dev/null
	assert_failure 100
	assert_equal "$stderr" 'zone: empty zone text'
	run --separate-stderr "$ZONE" prepare example.com < <(printf '\n\n \t\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: empty zone text'
}

@test "zone: rejects a text over 8 MiB" {
	run --separate-stderr "$ZONE" prepare example.com \
	    < <(head -c 8388609 /dev/zero | tr '\0' '\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: zone text larger than 8388608 bytes'
}

@test "zone: rejects a NUL byte, naming its line" {
	run --separate-stderr "$ZONE" prepare example.com < <(base; printf 'x\0y\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: line 10: NUL byte in zone text'
}

@test "zone: rejects a text without SOA" {
	run --separate-stderr "$ZONE" prepare example.com \
	    < <(printf 'www\tIN\tA\t192.0.2.1\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: no SOA record'
}

@test "zone: rejects a second SOA" {
	rejects '@\tIN\tSOA\tns1.example.net. h.example.com. 2 3600 3600 1209600 86400' \
	    'line 10: second SOA record (the first is on line 2)'
}

@test "zone: rejects a SOA below the apex" {
	run --separate-stderr "$ZONE" prepare example.com \
	    < <(printf 'sub\tIN\tSOA\tns1.example.net. h.example.com. 1 2 3 4 5\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: line 1: SOA record not at the zone apex: sub.example.com.'
}

@test "zone: rejects an owner outside the zone" {
	rejects '\nwww.other.test.\tIN\tA\t192.0.2.1' \
	    'line 11: record outside the zone: www.other.test.'
}

@test "zone: rejects an \$ORIGIN that leaves the zone" {
	rejects '$ORIGIN other.test.\nwww\tIN\tA\t192.0.2.1' \
	    'line 10: $ORIGIN outside the zone: other.test.'
}

@test "zone: rejects a relative \$ORIGIN (NSD needs an absolute one)" {
	rejects '$ORIGIN sub' \
	    'line 10: $ORIGIN needs an absolute name (ending in a dot): sub'
}

@test "zone: rejects \$INCLUDE" {
	rejects '$INCLUDE /etc/passwd' 'line 10: $INCLUDE is not allowed'
}

@test "zone: rejects \$GENERATE, which NSD does not know" {
	rejects '$GENERATE 1-10 host$ A 192.0.2.$' \
	    'line 10: $GENERATE is not supported (NSD does not know it)'
}

@test "zone: rejects unknown and misplaced directives" {
	rejects '$ttl 60' "line 10: unknown directive '\$ttl'"
	rejects '  $TTL 60' "line 10: unexpected '\$' (directives start in column 0)"
	rejects '$TTL 1x' "line 10: invalid \$TTL '1x'"
}

@test "zone: rejects a CNAME beside other data, naming both lines" {
	rejects 'www\tIN\tCNAME\texample.com.\nftp\tIN\tA\t192.0.2.1\nwww\tIN\tTXT\t"x"' \
	    'line 12: CNAME and other data at www.example.com. (lines 10 and 12)'
}

@test "zone: rejects a CNAME at the apex" {
	rejects '@\tIN\tCNAME\twww.example.net.' 'line 10: CNAME at the zone apex'
}

@test "zone: rejects two CNAMEs at one name" {
	rejects 'www\tIN\tCNAME\ta.example.net.\nWWW\tIN\tCNAME\tb.example.net.' \
	    'line 11: second CNAME at www.example.com. (the first is on line 10)'
}

@test "zone: a CNAME repeated with the same target is a duplicate NSD drops, not a second CNAME" {
	accepts 'www\tIN\tCNAME\ta.example.net.\nWWW\tIN\tCNAME\tA.Example.NET.'
	{ base; printf 'www\tIN\tCNAME\ta.example.net.\nWWW\tIN\tCNAME\tA.Example.NET.\n'; } >"$BATS_TEST_TMPDIR/z"
	nsd_ok example.com "$BATS_TEST_TMPDIR/z"
	rejects 'www\tIN\tCNAME\ta\nwww\tIN\tCNAME\ta.example.com.\nwww\tIN\tCNAME\tb' \
	    'line 12: second CNAME at www.example.com. (the first is on line 10)'
}

@test "zone: rejects data below a DNAME" {
	rejects 'x.sub\tIN\tA\t192.0.2.1\nsub\tIN\tDNAME\texample.net.' \
	    'line 11: data below the DNAME at sub.example.com. (lines 10 and 11)'
}

@test "zone: rejects TTLs over 2^31-1, which ldns would wrap" {
	rejects 'www\t4294967296\tIN\tA\t192.0.2.1' \
	    'line 10: TTL out of range (0-2147483647): 4294967296'
	rejects 'www\t2147483648\tIN\tA\t192.0.2.1' \
	    'line 10: TTL out of range (0-2147483647): 2147483648'
	rejects '$TTL 99999999999' \
	    'line 10: $TTL out of range (0-2147483647): 99999999999'
}

@test "zone: rejects a SOA serial over 2^32-1, naming the line of the field" {
	run --separate-stderr "$ZONE" prepare example.com < <(base |
	    sed 's/2024061501/4294967296/')
	assert_failure 100
	assert_equal "$stderr" 'zone: line 3: SOA serial out of range (0-4294967295): 4294967296'
}

@test "zone: rejects MX preference, SRV fields and CAA flags out of range" {
	rejects '@\tIN\tMX\t70000 mail' \
	    'line 10: MX preference out of range (0-65535): 70000'
	rejects '@\tIN\tMX\t-1 mail' "line 10: invalid MX preference '-1'"
	rejects '_sip._tcp\tIN\tSRV\t10 60 99999 sip' \
	    'line 10: SRV port out of range (0-65535): 99999'
	rejects '_sip._tcp\tIN\tSRV\t65536 60 5060 sip' \
	    'line 10: SRV priority out of range (0-65535): 65536'
	rejects '@\tIN\tCAA\t256 issue "letsencrypt.org"' \
	    'line 10: CAA flags out of range (0-255): 256'
}

@test "zone: rejects an unterminated quote, which ldns would close silently" {
	rejects 'x\tIN\tTXT\t"abc' 'line 10: unterminated quoted string'
	rejects 'x\tIN\tTXT\t"abc\ny\tIN\tTXT\t"def"' \
	    'line 10: unterminated quoted string'
}

@test "zone: rejects unbalanced parentheses" {
	rejects 'x\tIN\tTXT\t( "a"' "line 10: '(' not closed"
	rejects 'x\tIN\tTXT\t"a" )' "line 10: ')' without '('"
	rejects 'x\tIN\tTXT\t( ( "a" ) )' 'line 10: nested parentheses'
}

@test "zone: rejects bad addresses, types, classes and owners" {
	rejects 'www\tIN\tA\t192.0.2.999' "line 10: invalid IPv4 address '192.0.2.999'"
	rejects 'www\tIN\tAAAA\t2001:db8::1::2' "line 10: invalid IPv6 address '2001:db8::1::2'"
	rejects 'www\tIN\tFOO\tbar' "line 10: unknown record type 'FOO'"
	rejects 'www\tIN\tTYPE65537\t\\# 0' "line 10: unknown record type 'TYPE65537'"
	rejects 'www\tIN\tANY\t192.0.2.1' 'line 10: record type ANY is not allowed in a zone'
	rejects 'www\tCH\tA\t192.0.2.1' 'line 10: class CH is not supported (only IN)'
	rejects 'a..b\tIN\tA\t192.0.2.1' "line 10: invalid owner name 'a..b': Empty label"
	rejects '@x\tIN\tA\t192.0.2.1' "line 10: invalid owner name '@x': '@' must stand alone"
	rejects 'www\tIN\tNS\tns1.$x.example.net.' "line 10: unexpected '\$' at the start of a label"
	rejects 'www.@\tIN\tA\t192.0.2.1' "line 10: '@' must stand alone"
	rejects '@\tIN\tCAA\t0 Issue "letsencrypt.org"' "line 10: invalid CAA tag 'Issue'"
	rejects 'www\tIN\tA' 'line 10: A record: data missing'
	rejects 'www\tIN\tA\t192.0.2.1 192.0.2.2' "line 10: A record: superfluous text '192.0.2.2'"
}

@test "zone: rejects a TXT string over 255 bytes with a hint" {
	rejects "x\tIN\tTXT\t\"$(printf '%0300d' 0)\"" \
	    'line 10: text string longer than 255 bytes (split it into several quoted strings)'
}

# long_zone N: a valid zone name of N characters (N = 10k + 1..9).
long_zone() {
	local n=$1 z=''
	while [ $(( ${#z} + 10 )) -lt "$n" ]; do z="${z}abcdefghi."; done
	printf '%s%s\n' "$z" "$(printf 'x%.0s' $(seq $(( n - ${#z} ))))"
}

# soa_only ZONE: a SOA and an NS for ZONE, records to follow on line 4.
soa_only() {
	printf '$TTL 300\n%s.\tIN\tSOA\tns1.example.net. h.example.net. 1 3600 600 86400 300\n' "$1"
	printf '%s.\tIN\tNS\tns1.example.net.\n' "$1"
}

@test "zone: rejects a name in record data over 255 octets once the origin is appended, as NSD does" {
	local z
	z=$(long_zone 253)
	{ soa_only "$z"; printf '@\tIN\tMX\t10 mail\n'; } >"$BATS_TEST_TMPDIR/z"
	run nsd-checkzone "$z" "$BATS_TEST_TMPDIR/z"
	assert_failure
	assert_output --partial 'domain name exceeds 255 character limit'
	run --separate-stderr "$ZONE" prepare "$z" <"$BATS_TEST_TMPDIR/z"
	assert_failure 100
	assert_equal "$stderr" 'zone: line 4: name in the record data longer than 255 octets once the origin is appended'
	for r in 'www\tIN\tCNAME\tabcdef' '@\tIN\tNS\tns' '_sip._tcp\tIN\tSRV\t0 0 5060 sip'; do
		{ soa_only "$z"; printf "$r\n"; } >"$BATS_TEST_TMPDIR/z"
		run nsd-checkzone "$z" "$BATS_TEST_TMPDIR/z"
		assert_failure
		run "$ZONE" prepare "$z" <"$BATS_TEST_TMPDIR/z"
		assert_failure 100
	done
}

@test "zone: rejects an owner of exactly 256 octets once the origin is appended, as NSD does" {
	local z
	z=$(long_zone 251)
	# "ab." + 251 characters: 256 octets in wire form.
	{ soa_only "$z"; printf 'ab\tIN\tA\t192.0.2.1\n'; } >"$BATS_TEST_TMPDIR/z"
	run nsd-checkzone "$z" "$BATS_TEST_TMPDIR/z"
	assert_failure
	run --separate-stderr "$ZONE" prepare "$z" <"$BATS_TEST_TMPDIR/z"
	assert_failure 100
	assert_equal "$stderr" 'zone: line 4: owner name longer than 255 octets once the origin is appended'
	# One octet less is a valid name for both.
	{ soa_only "$z"; printf 'a\tIN\tA\t192.0.2.1\n'; } >"$BATS_TEST_TMPDIR/z"
	nsd_ok "$z" "$BATS_TEST_TMPDIR/z"
	run "$ZONE" prepare "$z" <"$BATS_TEST_TMPDIR/z"
	assert_success
}

@test "zone: refuses an unquoted CAA value by name (NSD takes it, the ldns-based writers do not)" {
	rejects '@\tIN\tCAA\t0 issue letsencrypt.org' \
	    'line 10: CAA value must be quoted: letsencrypt.org'
	accepts '@\tIN\tCAA\t0 issue "letsencrypt.org"'
}

@test "zone: rejects generic data of a known type with bytes past its last field, as NSD does" {
	{ base; printf 'x\tIN\tA\t\\# 5 c000020101\n'; } >"$BATS_TEST_TMPDIR/z"
	run nsd-checkzone example.com "$BATS_TEST_TMPDIR/z"
	assert_failure
	rejects 'x\tIN\tA\t\\# 5 c000020101' \
	    'line 10: A record: generic data (\#) is not one whole A record'
	accepts 'x\tIN\tA\t\\# 4 c0000201'
}

@test "zone: a TTL of unit letters alone (NSD reads 'h' as a TTL) is refused as a TTL" {
	rejects 'www\th\tIN\tA\t192.0.2.1' "line 10: invalid TTL 'h'"
	rejects 'www\t1hh\tIN\tA\t192.0.2.1' "line 10: invalid TTL '1hh'"
}

@test "zone: rejects a record without owner as the first record" {
	run --separate-stderr "$ZONE" prepare example.com < <(printf '\tIN\tA\t192.0.2.1\n')
	assert_failure 100
	assert_equal "$stderr" 'zone: line 1: record without an owner name (line starts with a blank)'
}

@test "zone: error lines count the lines DirectAdmin sent, leading blank lines included" {
	run --separate-stderr "$ZONE" prepare example.com < <(da_zone example.com |
	    sed 's/^ftp.*/ftp\t3600\tIN\tA\t192.0.2.300/')
	assert_failure 100
	assert_equal "$stderr" "zone: line 25: invalid IPv4 address '192.0.2.300'"
}

@test "zone: rejects every fixture nsd-checkzone rejects, with the expected message" {
	local f want n=0
	for f in "$FIX"/nsd-bad-*.zone; do
		run nsd-checkzone example.com "$f"
		assert_failure
		want=$(sed -n '1s/^; expect: //p' "$f")
		run --separate-stderr "$ZONE" prepare example.com <"$f"
		assert_failure 100
		assert_equal "$stderr" "zone: $want"
		n=$((n + 1))
	done
	[ "$n" -ge 25 ]
}

@test "zone: refuses numbers NSD would silently wrap although nsd-checkzone passes them" {
	base >"$BATS_TEST_TMPDIR/z"
	printf '@\tIN\tMX\t70000 mail.example.net.\n' >>"$BATS_TEST_TMPDIR/z"
	nsd_ok example.com "$BATS_TEST_TMPDIR/z"
	run "$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/z"
	assert_failure 100
}

@test "zone: rejects an invalid or unnormalised zone name" {
	run --separate-stderr "$ZONE" prepare etc/cron.d < <(base)
	assert_failure 100
	assert_equal "$stderr" "zone: invalid zone name: invalid character '/' in name"
	run --separate-stderr "$ZONE" prepare Example.com < <(base)
	assert_failure 100
	assert_equal "$stderr" 'zone: zone name not normalised: Example.com'
}

# ---------------------------------------------------------------------
# Fuzz-ish: accepted texts pass NSD

@test "zone: every record of the fixture alone beside a SOA passes nsd-checkzone when accepted" {
	local line i=0
	while IFS= read -r line; do
		case $line in '' | '$'* | '@'*SOA* | *')'* | *'('*) continue ;; esac
		{ base; printf '%s\n' "$line"; } >"$BATS_TEST_TMPDIR/in"
		"$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/in" \
		    >"$BATS_TEST_TMPDIR/out" || continue
		nsd_ok example.com "$BATS_TEST_TMPDIR/out"
		i=$((i + 1))
	done <"$FIX/example.com.zone"
	[ "$i" -ge 20 ]
}

# ---------------------------------------------------------------------
# Large zones

@test "zone: a 5,000-record zone is accepted in well under a second" {
	{
		base
		awk 'BEGIN {
			for (i = 0; i < 4000; i++)
				printf "h%d\t3600\tIN\tA\t192.0.%d.%d\n", i, i / 250, i % 250
			for (i = 0; i < 500; i++)
				printf "c%d\t3600\tIN\tCNAME\th%d\n", i, i
			for (i = 0; i < 497; i++)
				printf "t%d\t3600\tIN\tTXT\t\"v=spf1 -all %d\"\n", i, i
		}'
	} >"$BATS_TEST_TMPDIR/big"
	local t0 t1
	t0=$(date +%s%N)
	run "$ZONE" info example.com <"$BATS_TEST_TMPDIR/big"
	t1=$(date +%s%N)
	assert_success
	assert_output 'serial=2024061501 records=5000'
	[ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
	"$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/out"
	nsd_ok example.com "$BATS_TEST_TMPDIR/out"
}

@test "zone: a CNAME clash in a large zone is found" {
	{
		base
		awk 'BEGIN {
			for (i = 0; i < 3000; i++)
				printf "c%d\tIN\tCNAME\th%d\n", i, i
			printf "c1234\tIN\tTXT\t\"x\"\n"
		}'
	} >"$BATS_TEST_TMPDIR/big"
	run --separate-stderr "$ZONE" prepare example.com <"$BATS_TEST_TMPDIR/big"
	assert_failure 100
	assert_equal "$stderr" 'zone: line 3010: CNAME and other data at c1234.example.com. (lines 1244 and 3010)'
}

@test "zone: the benchmark mode prints microseconds per call" {
	run "$ZONE" -b -n 50 example.com <"$FIX/example.com.zone"
	assert_success
	assert_line --regexp '^zone_prepare: [0-9.]+ us/call \(50 calls, [0-9]+ bytes, 29 records\)$'
}

# ---------------------------------------------------------------------
# Zone names

@test "zone: names are lower-cased and lose one trailing dot" {
	local n
	for n in example.com _dmarc.example.com xn--bcher-kva.example \
	    a.b.c.d.example; do
		run "$ZONE" name "$n"
		assert_success
		assert_output "$n"
	done
	run "$ZONE" name Example.COM.
	assert_output example.com
	run "$ZONE" name "$(printf 'a%.0s' {1..63}).example"
	assert_success
}

@test "zone: names that could escape a directory or break a file are refused" {
	check() {
		run --separate-stderr "$ZONE" -- name "$1"
		assert_failure 100
		assert_equal "$stderr" "zone: $2"
	}
	check ../x 'empty label in name'
	check a/b.test "invalid character '/' in name"
	check 'x;DROP' "invalid character ';' in name"
	check '' 'empty name'
	check . 'the root zone is not accepted'
	check a..b 'empty label in name'
	check 'example.com..' 'empty label in name'
	check "$(printf 'a%.0s' {1..64}).example" 'label longer than 63 octets'
	check "$(printf 'abcdefghi.%.0s' {1..25})abcd" 'name longer than 253 octets'
	check 'a b.test' "invalid character ' ' in name"
	check "$(printf 'b\303\274cher.example')" 'non-ASCII byte in name'
	check "$(printf 'a\tb.test')" 'control character in name'
	check -a.test 'label begins with a hyphen'
	check a-.test 'label ends with a hyphen'
	check 'a.b-' 'label ends with a hyphen'
	check '*.example.com' "invalid character '*' in name"
}

@test "zone: a 253-octet name is accepted, 254 is not" {
	local n
	n="$(printf 'abcdefghi.%.0s' {1..25})abc"
	[ "${#n}" -eq 253 ]
	run "$ZONE" name "$n."
	assert_success
	assert_output "$n"
	run "$ZONE" name "${n}d"
	assert_failure 100
}

@test "zone: the parent of a name drops its first label" {
	run "$ZONE" parent shop.example.com
	assert_success
	assert_output example.com
	run "$ZONE" parent com
	assert_failure 1
}

# ---------------------------------------------------------------------
# Serials

@test "zone: serial comparison follows RFC 1982 across the wrap" {
	cmp_is() {
		run "$ZONE" cmp "$1" "$2"
		assert_success
		assert_output "$3"
	}
	cmp_is 2024061502 2024061501 1
	cmp_is 2024061501 2024061502 -1
	cmp_is 7 7 0
	cmp_is 0 4294967295 1
	cmp_is 4294967295 0 -1
	cmp_is 5 4294967290 1
	cmp_is 2147483647 0 1
	cmp_is 2147483649 0 -1
	# Distance 2^31 is undefined in RFC 1982; the answer is antisymmetric.
	cmp_is 2147483648 0 1
	cmp_is 0 2147483648 -1
}

@test "zone: the driver exits 100 on wrong usage" {
	run "$ZONE" frobnicate
	assert_failure 100
	run "$ZONE" cmp 1 x
	assert_failure 100
}
