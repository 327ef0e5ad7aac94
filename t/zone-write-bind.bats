#!/usr/bin/env bats
# zone-write-bind.bats -- the BIND writer against a real named on loopback
# (own config, rndc key, high ports): one-shot save/delete, bad zones kept
# out while the old one is served, the queue runner, retries.

load helper
load helper-named
load helper-writer

WRITER=zone-write-bind
QUEUE=bind

setup() {
	D=$BATS_TEST_TMPDIR
	named_start "$D/named" || fail "named did not start"
	ZONES=$NAMED_DIR/zones
	QUERY_PORT=$NAMED_PORT
	bind_config
	export DADNS_CONFIG=$D/app.yml
	RUNNER_PID=
}

teardown() {
	stop_runner
	named_stop -9
	runner_clean
}

# bind_config [verify]: app.yml for the named of this test; an empty
# argument leaves verify out.
bind_config() {
	local verify=${1-127.0.0.1@$NAMED_PORT}
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $RNDC_CONF" ${verify:+"      verify: \"$verify\""}
}

# no_tmp: no temporary file left in the zones directory.
no_tmp() {
	[ -z "$(ls -A "$NAMED_DIR/zones" | grep '^\.')" ]
}

@test "zone-write-bind: -h prints the usage that README.md documents" {
	usage_documented
}

@test "zone-write-bind: wrong usage exits 100 with the usage line" {
	run --separate-stderr zone-write-bind frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-bind: usage: "* ]]
	run --separate-stderr zone-write-bind save
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-bind run extra
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-bind -x run
	[ "$status" -eq 100 ]
}

@test "zone-write-bind: save adds a new zone that named serves with AA and its serial" {
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 2024010101)
	assert_success
	[[ "$stderr" == *"applied zone=example.com serial=2024010101 action=save"* ]]
	[ "$(soa_serial example.com)" = 2024010101 ]
	run dig +norec +time=1 -p "$NAMED_PORT" @127.0.0.1 www.example.com A
	[[ "$output" == *"flags: qr aa;"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	[ -f "$NAMED_DIR/zones/example.com.db" ]
	run rndc -c "$RNDC_CONF" showzone example.com
	assert_success
	[[ "$output" == *"type primary; file \"$NAMED_DIR/zones/example.com.db\";"* ]]
	no_tmp
}

@test "zone-write-bind: a second save reloads the zone with the new serial" {
	zone-write-bind -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-bind -v save example.com < <(da_zone example.com 2)
	assert_success
	[[ "$stderr" == *"new=0 known=1"* ]]
	[ "$(soa_serial example.com)" = 2 ]
	# Rewrites within one clock tick are all picked up, without verify
	# too (named reloads a file only when its mtime is newer).
	bind_config ""
	for s in 3 4 5 6; do
		zone-write-bind -q save example.com < <(da_zone example.com "$s")
		[ "$(soa_serial example.com)" = "$s" ]
	done
	no_tmp
}

@test "zone-write-bind: delete makes named refuse the zone and removes its file" {
	zone-write-bind -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-bind delete example.com
	assert_success
	[[ "$stderr" == *"applied zone=example.com action=delete"* ]]
	[ "$(soa_serial example.com)" = REFUSED ]
	[ ! -e "$NAMED_DIR/zones/example.com.db" ]
	run rndc -c "$RNDC_CONF" showzone example.com
	assert_failure
}

@test "zone-write-bind: delete of a zone named does not have succeeds" {
	run --separate-stderr zone-write-bind delete absent.example
	assert_success
	[ "$(soa_serial absent.example)" = REFUSED ]
}

@test "zone-write-bind: a bad text exits 100 and the old zone stays served, file untouched" {
	zone-write-bind -q save example.com < <(da_zone example.com 7)
	cp "$NAMED_DIR/zones/example.com.db" "$D/before"
	# Caught in-process (ldns).
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 8 | sed 's/192\.0\.2\.10/192.0.2.999/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"invalid zone data for example.com"* ]]
	# Caught by named's own rules (named-checkconf -z): an A record on
	# a name that is not a host name, an in-zone NS without address.
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 9 | sed 's/^www/foo_bar/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"named-checkconf"*"line 28: foo_bar.example.com: bad owner name (check-names)"* ]]
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 10 | sed 's/ns1\.example\.net\./ns1/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"has no address records"* ]]
	cmp "$D/before" "$NAMED_DIR/zones/example.com.db"
	[ "$(soa_serial example.com)" = 7 ]
	# Still the old zone after a restart of named.
	named_stop
	named_start "$NAMED_DIR"
	[ "$(soa_serial example.com)" = 7 ]
	# A bad new zone is never added.
	run --separate-stderr zone-write-bind save new.example < <(da_zone new.example 1 | sed 's/^www/foo_bar/')
	[ "$status" -eq 100 ]
	[ ! -e "$NAMED_DIR/zones/new.example.db" ]
	[ "$(soa_serial new.example)" = REFUSED ]
	no_tmp
}

@test "zone-write-bind: an invalid zone name exits 100" {
	run --separate-stderr zone-write-bind save ../etc < <(da_zone x.test 1)
	[ "$status" -eq 100 ]
	[ ! -e "$NAMED_DIR/etc.db" ]
}

@test "zone-write-bind: a zone file without the zone in named, or the zone without its file, heals" {
	# The file is there but named's NZD lost the zone: reload -> addzone.
	da_zone lost.example 1 >"$NAMED_DIR/zones/lost.example.db"
	run --separate-stderr zone-write-bind save lost.example < <(da_zone lost.example 2)
	assert_success
	[ "$(soa_serial lost.example)" = 2 ]
	# named has the zone but its file went away: addzone -> reload.
	rm "$NAMED_DIR/zones/lost.example.db"
	run --separate-stderr zone-write-bind save lost.example < <(da_zone lost.example 3)
	assert_success
	[ "$(soa_serial lost.example)" = 3 ]
}

@test "zone-write-bind: added zones survive a restart of named" {
	zone-write-bind -q save a.example < <(da_zone a.example 4)
	zone-write-bind -q save b.example < <(da_zone b.example 5)
	named_stop
	named_start "$NAMED_DIR"
	[ "$(soa_serial a.example)" = 4 ]
	[ "$(soa_serial b.example)" = 5 ]
}

@test "zone-write-bind: with named down save and delete exit 111; a new zone leaves no file" {
	zone-write-bind -q save old.example < <(da_zone old.example 1)
	named_stop
	run --separate-stderr zone-write-bind save new.example < <(da_zone new.example 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"addzone new.example: rndc: connect failed"* ]]
	[ ! -e "$NAMED_DIR/zones/new.example.db" ]
	run --separate-stderr zone-write-bind delete old.example
	[ "$status" -eq 111 ]
	[ -e "$NAMED_DIR/zones/old.example.db" ]
	no_tmp
}

@test "zone-write-bind: run applies queued jobs and only the newest job of a zone" {
	push save a.example 1
	push save a.example 2
	push save a.example 3
	push save b.example 10
	for i in $(seq 1 20); do push save "m$i.example" "$i"; done
	[ "$(jobs_in bind new)" = 24 ]
	start_runner zone-write-bind -v
	wait_for 20 count_is bind new 0
	served a.example 3
	served b.example 10
	for i in $(seq 1 20); do served "m$i.example" "$i"; done
	run grep -c 'applied zone=a.example' "$D/run.log"
	[ "$output" = 1 ]
	grep -q 'applied zone=a.example serial=3 action=save' "$D/run.log"
	[ "$(jobs_in bind fail)" = 0 ]
	run sqlite3 "$D/store.db" "SELECT count(*) FROM applied WHERE backend = 'bind' AND hash <> ''"
	assert_output 22
}

@test "zone-write-bind: save, delete, save of one zone ends served, queued or live" {
	save_delete_save_settles
}

@test "zone-write-bind: run sends a zone named rejects to fail/ and applies the rest of its batch" {
	push save good.example 1
	queue-push save bad.example < <(da_zone bad.example 1 | sed 's/^www/foo_bar/') >/dev/null
	push save good2.example 2
	start_runner zone-write-bind -v
	wait_for 10 failed bind bad.example
	wait_for 10 count_is bind new 0
	served good.example 1
	served good2.example 2
	served bad.example REFUSED
	grep -q 'bad owner name (check-names)' "$D/spool/bind/fail/"*_bad.example.reason
	[ ! -e "$NAMED_DIR/zones/bad.example.db" ]
	no_tmp
}

@test "zone-write-bind: with named stopped jobs wait and retry, then apply; none is lost" {
	named_stop
	jobs_wait_for_server named_start "$NAMED_DIR"
}

@test "zone-write-bind: after the last retry a job moves to fail/ with its reason" {
	named_stop
	gives_up_after_retries "connect failed"
}

@test "zone-write-bind: a malformed or invalid job goes to fail/ at once" {
	malformed_jobs_fail
}

@test "zone-write-bind: run removes stale temporary zone files, and SIGTERM stops it with 0" {
	touch -d '-2 hours' "$NAMED_DIR/zones/.zwb-1-0.tmp"
	touch "$NAMED_DIR/zones/.zwb-1-1.tmp"
	start_runner zone-write-bind -v
	[ ! -e "$NAMED_DIR/zones/.zwb-1-0.tmp" ]
	[ -e "$NAMED_DIR/zones/.zwb-1-1.tmp" ]
	stop_runner
	[ "$RUNNER_STATUS" -eq 0 ]
	grep -q 'stopped' "$D/run.log"
}

@test "zone-write-bind: a symlink at a zone file's name is replaced, never written through" {
	symlink_replaced
}

@test "zone-write-bind: symlinks planted at guessable temporary names are never written through" {
	printf 'precious\n' >"$D/target"
	start_runner zone-write-bind -v
	# The names of earlier versions: .zwb-PID-I.tmp, .zwb-PID.conf.
	for i in 0 1 2 3; do
		ln -s "$D/target" "$NAMED_DIR/zones/.zwb-$RUNNER_PID-$i.tmp"
	done
	ln -s "$D/target" "$NAMED_DIR/zones/.zwb-$RUNNER_PID.conf"
	planted_links_left_alone 20 5
}

@test "zone-write-bind: a zones directory or spool other users may write makes it exit 100" {
	unsafe_zones_dir_refused
	push save example.com 2
	unsafe_spool_refused o
	# Safe modes again: the queue is applied.
	start_runner zone-write-bind -v
	wait_for 20 served example.com 2
}

@test "zone-write-bind: a bad config exits 100 naming the key" {
	printf 'dns: {backends: {bind: {type: bind, enabled: true, zones_dir: "%s/z\\"x"}}}\n' "$D" >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"zones_dir"* ]]
	printf 'dns: {backends: {bind: {type: bind, enabled: true, verify: "nope"}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *verify* ]]
	run --separate-stderr zone-write-bind -b nosuch delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no backend named nosuch"* ]]
	printf 'dns: {backends: {nsd: {type: nsd, enabled: true}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no enabled bind backend"* ]]
}

# stub_rndc MODE: an rndc in $D/bin that notes its arguments in
# $D/rndc.calls, then fails (MODE fail) or runs the real rndc (MODE real).
# STUB_PATH puts it first, for zone-write-bind only (named_start runs the
# real rndc).
stub_rndc() {
	local real
	real=$(command -v rndc)
	mkdir -p "$D/bin"
	if [ "$1" = fail ]; then
		printf '#!/bin/sh\necho "$*" >>"%s"\necho "rndc: stub" >&2\nexit 1\n' \
		    "$D/rndc.calls" >"$D/bin/rndc"
	else
		printf '#!/bin/sh\necho "$*" >>"%s"\nexec %s "$@"\n' \
		    "$D/rndc.calls" "$real" >"$D/bin/rndc"
	fi
	chmod +x "$D/bin/rndc"
	STUB_PATH=$D/bin:$PATH
}

@test "zone-write-bind: speaks named's control channel itself, no rndc program runs" {
	stub_rndc fail
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind save native.example < <(da_zone native.example 7)
	assert_success
	[ "$(soa_serial native.example)" = 7 ]
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind save native.example < <(da_zone native.example 8)
	assert_success
	[ "$(soa_serial native.example)" = 8 ]
	for i in $(seq 1 30); do push save "n$i.example" "$i"; done
	push delete native.example
	start_runner env PATH="$STUB_PATH" zone-write-bind -v
	wait_for 20 count_is bind new 0
	for i in 1 15 30; do served "n$i.example" "$i"; done
	served native.example REFUSED
	[ "$(jobs_in bind fail)" = 0 ]
	grep -q "rndc=native 127.0.0.1#$RNDC_PORT key dadns-test" "$D/run.log"
	# One batch, one connection: the rndc counts add up in-process.
	grep -q 'deletes=1 rndc=31 ' "$D/run.log"
	[ ! -e "$D/rndc.calls" ]
	run grep -c 'running the rndc program' "$D/run.log"
	[ "$output" = 0 ]
}

@test "zone-write-bind: a wrong key is refused with a message naming the key; nothing is added" {
	stub_rndc real
	sed 's|secret "[^"]*"|secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="|' \
	    "$NAMED_DIR/rndc.key" >"$D/wrong.key"
	printf 'include "%s";\noptions { default-key "dadns-test"; default-server 127.0.0.1; default-port %s; };\n' \
	    "$D/wrong.key" "$RNDC_PORT" >"$D/wrong.conf"
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $D/wrong.conf"
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind save wrong.example < <(da_zone wrong.example 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"closed the connection at the key \"dadns-test\" (hmac-sha256): wrong key or algorithm"* ]]
	[[ "$stderr" == *"running the rndc program instead"* ]]
	# The program, tried once, fails the same way.
	grep -q 'addzone wrong.example' "$D/rndc.calls"
	[ ! -e "$NAMED_DIR/zones/wrong.example.db" ]
	served wrong.example REFUSED
	grep -q 'invalid command from 127.0.0.1' "$NAMED_DIR/named.log" ||
	    grep -q 'bad auth' "$NAMED_DIR/named.log"
}

@test "zone-write-bind: run reconnects to a restarted named on its own" {
	stub_rndc fail
	start_runner env PATH="$STUB_PATH" zone-write-bind -v
	push save before.example 1
	wait_for 10 count_is bind new 0
	served before.example 1
	named_stop
	named_start "$NAMED_DIR"
	push save after.example 2
	push save before.example 3
	wait_for 10 count_is bind new 0
	served after.example 2
	served before.example 3
	[ "$(jobs_in bind fail)" = 0 ]
	[ ! -e "$D/rndc.calls" ]
	run grep -c 'running the rndc program' "$D/run.log"
	[ "$output" = 0 ]
}

@test "zone-write-bind: with rndc_program, or an rndc.conf it cannot use, the rndc program runs" {
	stub_rndc real
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $RNDC_CONF" '      rndc_program: true'
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind save prog.example < <(da_zone prog.example 1)
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(soa_serial prog.example)" = 1 ]
	grep -q "^-c $RNDC_CONF addzone prog.example " "$D/rndc.calls"
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind delete prog.example
	assert_success
	grep -q "^-c $RNDC_CONF delzone prog.example$" "$D/rndc.calls"
	# An rndc.conf the rndc program reads but the in-process channel
	# does not: said once, then the program does the work.
	rm "$D/rndc.calls"
	printf 'include "%s";\noptions { default-key "dadns-test"; default-server 127.0.0.1; };\nserver 127.0.0.1 { key \"dadns-test\"; addresses { 127.0.0.1 port %s; }; };\n' \
	    "$NAMED_DIR/rndc.key" "$RNDC_PORT" >"$D/addr.conf"
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $D/addr.conf"
	run --separate-stderr env PATH="$STUB_PATH" zone-write-bind save auto.example < <(da_zone auto.example 4)
	assert_success
	[ "$(soa_serial auto.example)" = 4 ]
	[[ "$stderr" == *"cannot use $D/addr.conf: $D/addr.conf:3: unknown or unsupported server option, not \"addresses\"; running the rndc program instead"* ]]
	grep -q "addzone auto.example" "$D/rndc.calls"
}

@test "zone-write-bind: control channel codec and rndc.conf parser (unit)" {
	run --separate-stderr "$TOP/t/unit/rndcmsg"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[[ "$output" == "rndcmsg: ok "* ]]
}

@test "zone-write-bind: dadns-checkconf names an rndc_conf the in-process channel cannot read" {
	run --separate-stderr env DADNS_APP_AUTH_PASSWORD=secret-for-test dadns-checkconf -c "$D/app.yml"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	printf 'include "%s";\noptions { default-key "nokey"; };\n' \
	    "$NAMED_DIR/rndc.key" >"$D/bad.conf"
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $D/bad.conf"
	run --separate-stderr env DADNS_APP_AUTH_PASSWORD=secret-for-test dadns-checkconf -c "$D/app.yml"
	[ "$status" -eq 100 ]
	[[ "$output" == *"dns.backends.bind.rndc_conf"*"$D/bad.conf: key \"nokey\" is not defined (zone-write-bind would run the rndc program instead"* ]]
	# Saying so is clean.
	write_config dns: '  backends:' '    bind:' '      type: bind' \
	    '      enabled: true' "      zones_dir: $NAMED_DIR/zones" \
	    "      rndc_conf: $D/bad.conf" '      rndc_program: true'
	run --separate-stderr env DADNS_APP_AUTH_PASSWORD=secret-for-test dadns-checkconf -c "$D/app.yml"
	[ "$status" -eq 0 ]
}

# bulk_named N: named.conf includes the zone list, app.yml has bulk_min N.
bulk_named() {
	named_stop
	NAMED_EXTRA="include \"$NAMED_DIR/zones/DADNS-ZONES.conf\";"
	: >"$NAMED_DIR/zones/DADNS-ZONES.conf"
	named_start "$NAMED_DIR" || fail "named did not start"
	bind_config
	printf '      bulk_min: %s\n' "$1" >>"$D/app.yml"
}

# listed ZONE: the zone list names ZONE.
listed() {
	grep -q "^zone \"$1\" { type primary; file \"$NAMED_DIR/zones/$1.db\"; };\$" \
	    "$NAMED_DIR/zones/DADNS-ZONES.conf"
}

@test "zone-write-bind: a batch of bulk_min new zones goes into the zone list with one reconfig, kept across restarts" {
	bulk_named 5
	# A zone added before, by addzone, stays in the NZD.
	zone-write-bind -q save old.example < <(da_zone old.example 1)
	for i in $(seq 1 8); do push save "b$i.example" "$i"; done
	push save old.example 2
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	for i in $(seq 1 8); do served "b$i.example" "$i"; listed "b$i.example"; done
	served old.example 2
	run listed old.example
	[ "$status" -ne 0 ]
	grep -q 'bind: 8 new zones into DADNS-ZONES.conf, reconfig_ms=' "$D/run.log"
	grep -q 'jobs=9 saves=9 new=8 known=1 deletes=0 rndc=1 listed=8 ' "$D/run.log"
	# Fewer than bulk_min new zones: addzone, as before.
	push save few.example 1
	wait_for 10 served few.example 1
	run listed few.example
	[ "$status" -ne 0 ]
	# An update of a listed zone is a reload; a delete takes it out of
	# the list and out of named.
	push save b1.example 11
	push delete b2.example
	wait_for 10 served b1.example 11
	wait_for 10 served b2.example REFUSED
	run listed b2.example
	[ "$status" -ne 0 ]
	[ ! -e "$NAMED_DIR/zones/b2.example.db" ]
	stop_runner
	# named restarted: the list and the NZD, no zone twice, the deleted
	# zone stays deleted; a reconfig does not bring it back either.
	named_stop
	named_start "$NAMED_DIR" || fail "named did not start again"
	served b1.example 11
	for i in $(seq 3 8); do served "b$i.example" "$i"; done
	served old.example 2
	served few.example 1
	served b2.example REFUSED
	rndc -c "$RNDC_CONF" reconfig
	served b2.example REFUSED
	served b3.example 3
	# reconcile sees every zone served as the store has it.
	run --separate-stderr reconcile -n
	assert_success
}

@test "zone-write-bind: a zone named has in its NZD never goes into the zone list; a bad zone list is refused" {
	bulk_named 2
	# named has lost.example (NZD) but its file is gone: the file says
	# new, the reconfig says "already exists", the list is put back.
	zone-write-bind -q save lost.example < <(da_zone lost.example 1)
	rm "$NAMED_DIR/zones/lost.example.db"
	push save lost.example 2
	push save n1.example 1
	push save n2.example 1
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	served lost.example 2
	served n1.example 1
	served n2.example 1
	grep -q 'rndc reconfig with 3 new zones in .*DADNS-ZONES.conf: .*already exists.*; addzone instead' "$D/run.log"
	run listed lost.example
	[ "$status" -ne 0 ]
	stop_runner
	# named still starts: no zone is both in the list and the NZD.
	named_stop
	named_start "$NAMED_DIR" || fail "named did not start again"
	served lost.example 2
	# A list that is not ours is refused, naming file and line.
	printf 'zone "x.example" { type primary; file "/x"; };\noptions { };\n' \
	    >"$NAMED_DIR/zones/DADNS-ZONES.conf"
	run --separate-stderr zone-write-bind save y.example < <(da_zone y.example 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"DADNS-ZONES.conf: line 2: not a zone statement"* ]]
}

@test "zone-write-bind: with bulk_min but a named.conf without the zone list, zones go by addzone" {
	bind_config
	printf '      bulk_min: 2\n' >>"$D/app.yml"
	push save n1.example 1
	push save n2.example 1
	push save n3.example 1
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	served n1.example 1
	served n2.example 1
	served n3.example 1
	grep -q 'named does not have the zones of .*DADNS-ZONES.conf after rndc reconfig: named.conf must include it; addzone instead' "$D/run.log"
	run listed n1.example
	[ "$status" -ne 0 ]
	# They are in the NZD: a restart keeps them.
	stop_runner
	named_stop
	named_start "$NAMED_DIR" || fail "named did not start again"
	served n2.example 1
}

@test "zone-write-bind: secondaries named later reach the zones of the zone list by one reconfig" {
	named_stop
	NAMED_EXTRA="include \"$NAMED_DIR/zones/DADNS-BIND.conf\";
include \"$NAMED_DIR/zones/DADNS-ZONES.conf\";"
	: >"$NAMED_DIR/zones/DADNS-BIND.conf"
	: >"$NAMED_DIR/zones/DADNS-ZONES.conf"
	named_start "$NAMED_DIR" || fail "named did not start"
	bind_config
	printf '      bulk_min: 2\n' >>"$D/app.yml"
	push save s1.example 1
	push save s2.example 1
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	listed s1.example
	stop_runner
	port=$(free_port)
	cat >>"$D/app.yml" <<-YML
	      secondaries:
	        - address: 127.0.0.1@$port
	          tsig_key: sec-key
	          tsig_secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0
	YML
	start_runner zone-write-bind -v
	grep -q "secondaries: 2 zones given the new options" "$D/run.log"
	grep -q "^zone \"s1.example\" { type primary; file \"$NAMED_DIR/zones/s1.example.db\"; notify explicit; also-notify { 127.0.0.1 port $port key \"sec-key\"; };" \
	    "$NAMED_DIR/zones/DADNS-ZONES.conf"
	run rndc -c "$RNDC_CONF" showzone s1.example
	assert_output --partial "also-notify { 127.0.0.1 port $port key \"sec-key\"; };"
	# No modzone of a zone of the list (named would refuse it).
	run grep -c "warning: rndc modzone" "$D/run.log"
	[ "$output" = 0 ]
	grep -q "secondaries: 2 zones given the new options" "$D/run.log"
	served s2.example 1
}

@test "zone-write-bind: a zone of the list named lacks, without its file, leaves the list before its addzone" {
	bulk_named 2
	push save l1.example 1
	push save l2.example 1
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	listed l1.example
	stop_runner
	# As after a crash between the list and its reconfig: named does
	# not have l1.example, its file is gone, the list still names it.
	rndc -c "$RNDC_CONF" delzone l1.example >/dev/null
	rm "$NAMED_DIR/zones/l1.example.db"
	wait_for 10 served l1.example REFUSED
	listed l1.example
	push save l1.example 2
	start_runner zone-write-bind -v
	wait_for 30 count_is bind new 0 || fail "queue not drained"
	served l1.example 2
	run listed l1.example
	[ "$status" -ne 0 ]
	stop_runner
	# In the NZD only: named starts again and serves it.
	named_stop
	named_start "$NAMED_DIR" || fail "named did not start again"
	served l1.example 2
	served l2.example 1
}
