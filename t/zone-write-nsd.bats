#!/usr/bin/env bats
# zone-write-nsd.bats -- the NSD writer against a real NSD on loopback:
# one-shot save/delete, the queue runner, retries while NSD is down.

load helper
load helper-writer

WRITER=zone-write-nsd
QUEUE=nsd

setup() {
	D=$BATS_TEST_TMPDIR
	nsd_start "$D/nsd" || fail "NSD did not start"
	ZONES=$NSD_DIR/zones
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	export DADNS_CONFIG=$D/app.yml
	RUNNER_PID=
}

teardown() {
	stop_runner
	nsd_stop
	runner_clean
}

@test "zone-write-nsd: -h prints the usage that README.md documents" {
	usage_documented
}

@test "zone-write-nsd: wrong usage exits 100 with the usage line" {
	run --separate-stderr zone-write-nsd frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-nsd: usage: "* ]]
	run --separate-stderr zone-write-nsd save
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-nsd run extra
	[ "$status" -eq 100 ]
}

@test "zone-write-nsd: save serves a new zone authoritatively with its serial" {
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 2024010101)
	assert_success
	[[ "$stderr" == *"applied zone=example.com serial=2024010101 action=save"* ]]
	[ "$(soa_serial example.com)" = 2024010101 ]
	run dig +norec +time=1 -p "$NSD_PORT" @127.0.0.1 www.example.com A
	[[ "$output" == *"flags: qr aa;"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	[ -f "$NSD_DIR/zones/example.com.db" ]
	grep -q '^add example.com da' "$NSD_DIR/zone.list"
	[ -z "$(ls -A "$NSD_DIR/zones" | grep '^\.')" ]
}

@test "zone-write-nsd: a second save changes the served serial" {
	zone-write-nsd -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 2)
	assert_success
	[ "$(soa_serial example.com)" = 2 ]
	# Many rewrites within one clock tick are all picked up.
	for s in 3 4 5 6; do
		zone-write-nsd -q save example.com < <(da_zone example.com "$s")
		[ "$(soa_serial example.com)" = "$s" ]
	done
}

@test "zone-write-nsd: a rewritten zone file gets a newer mtime than the one it replaces" {
	zone-write-nsd -q save example.com < <(da_zone example.com 1)
	touch -d '+1 hour' "$NSD_DIR/zones/example.com.db"
	old=$(stat -c %Y "$NSD_DIR/zones/example.com.db")
	zone-write-nsd -q save example.com < <(da_zone example.com 2)
	new=$(stat -c %Y "$NSD_DIR/zones/example.com.db")
	[ "$new" -ge "$old" ]
	[ "$(soa_serial example.com)" = 2 ]
}

@test "zone-write-nsd: delete makes NSD refuse the zone and removes its file" {
	zone-write-nsd -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-nsd delete example.com
	assert_success
	[[ "$stderr" == *"applied zone=example.com action=delete"* ]]
	[ "$(soa_serial example.com)" = REFUSED ]
	[ ! -e "$NSD_DIR/zones/example.com.db" ]
	run grep -c '^add example.com ' "$NSD_DIR/zone.list"
	[ "$output" = 0 ]
}

@test "zone-write-nsd: delete of a zone NSD does not have succeeds" {
	run --separate-stderr zone-write-nsd delete absent.example
	assert_success
	[ "$(soa_serial absent.example)" = REFUSED ]
}

@test "zone-write-nsd: invalid zone text exits 100, writes nothing, keeps the old zone" {
	zone-write-nsd -q save example.com < <(da_zone example.com 7)
	cp "$NSD_DIR/zones/example.com.db" "$D/before"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 8 | sed 's/192\.0\.2\.10/192.0.2.999/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"invalid zone data for example.com"* ]]
	cmp "$D/before" "$NSD_DIR/zones/example.com.db"
	[ "$(soa_serial example.com)" = 7 ]
	run --separate-stderr zone-write-nsd save new.example < <(printf 'www 300 IN A 192.0.2.1\n')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no SOA"* ]]
	[ ! -e "$NSD_DIR/zones/new.example.db" ]
	[ "$(soa_serial new.example)" = REFUSED ]
	[ -z "$(ls -A "$NSD_DIR/zones" | grep '^\.')" ]
}

@test "zone-write-nsd: an invalid zone name exits 100" {
	run --separate-stderr zone-write-nsd save ../etc < <(da_zone x.test 1)
	[ "$status" -eq 100 ]
	[ ! -e "$NSD_DIR/etc.db" ]
}

@test "zone-write-nsd: without control_socket it drives NSD through nsd-control" {
	write_config "$(nsd_backend)"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	assert_success
	[ "$(soa_serial example.com)" = 3 ]
	run --separate-stderr zone-write-nsd delete example.com
	assert_success
	[ "$(soa_serial example.com)" = REFUSED ]
}

@test "zone-write-nsd: a failing nsd-control is a temporary failure (111), and deferred in run" {
	write_config "$(nsd_backend)"
	mkdir -p "$D/stub"
	printf '#!/bin/sh\necho "error: injected failure"\nexit 1\n' >"$D/stub/nsd-control"
	chmod +x "$D/stub/nsd-control"
	PATH="$D/stub:$PATH" run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"injected failure"* ]]
	push save example.com 4
	PATH="$D/stub:$PATH" DADNS_RETRY_SCHEDULE=60 start_runner zone-write-nsd -v
	wait_for 10 grep -q 'deferred zone=example.com action=save' "$D/run.log"
	grep -q 'injected failure' "$D/run.log"
	[ "$(jobs_in nsd new)" = 1 ]
	[ "$(soa_serial example.com)" = REFUSED ]
}

@test "zone-write-nsd: run applies queued jobs and only the newest job of a zone" {
	push save a.example 1
	push save a.example 2
	push save a.example 3
	push save b.example 10
	[ "$(jobs_in nsd new)" = 4 ]
	start_runner zone-write-nsd -v
	wait_for 10 served a.example 3
	wait_for 10 served b.example 10
	wait_for 10 count_is nsd new 0
	run grep -c 'applied zone=a.example' "$D/run.log"
	[ "$output" = 1 ]
	grep -q 'applied zone=a.example serial=3 action=save' "$D/run.log"
	[ "$(jobs_in nsd fail)" = 0 ]
	run sqlite3 "$D/store.db" "SELECT backend, name, hash <> '' FROM applied ORDER BY name"
	assert_output "$(printf 'nsd|a.example|1\nnsd|b.example|1')"
}

@test "zone-write-nsd: run applies batches two at a time, each job once" {
	for i in 1 2 3 4 5 6; do push save "p$i.example" "$i"; done
	push delete p2.example
	DADNS_BATCH_MAX=2 start_runner zone-write-nsd -v
	for i in 1 3 4 5 6; do
		wait_for 10 served "p$i.example" "$i"
	done
	wait_for 10 count_is nsd new 0
	[ "$(soa_serial p2.example)" = REFUSED ]
	[ "$(grep -c 'info: batch jobs=' "$D/run.log")" = 3 ]
	[ "$(grep -c 'info: applied zone=' "$D/run.log")" = 6 ]
	[ "$(jobs_in nsd fail)" = 0 ]
}

@test "zone-write-nsd: save, delete, save of one zone ends served, queued or live" {
	save_delete_save_settles
}

@test "zone-write-nsd: with NSD stopped jobs wait and retry, then apply; none is lost" {
	nsd_stop
	jobs_wait_for_server nsd_start "$NSD_DIR"
}

@test "zone-write-nsd: once NSD is found down, the next batches are deferred without writing" {
	nsd_stop
	push save e1.example 1
	push save e2.example 1
	push save e3.example 1
	DADNS_BATCH_MAX=1 DADNS_RETRY_SCHEDULE=60 start_runner zone-write-nsd -v
	wait_for 10 grep -q 'deferred zone=e3.example' "$D/run.log"
	[ "$(grep -c 'deferred zone=e' "$D/run.log")" = 3 ]
	[ "$(ls "$NSD_DIR/zones" | grep -c '^e.\.example\.db$')" = 1 ]
	[ "$(jobs_in nsd new)" = 3 ]
}

@test "zone-write-nsd: after the last retry a job moves to fail/ with its reason" {
	nsd_stop
	gives_up_after_retries nsd.ctl
}

@test "zone-write-nsd: a malformed or invalid job goes to fail/ at once" {
	malformed_jobs_fail
}

@test "zone-write-nsd: run removes stale tmp/ files, and SIGTERM stops it with 0" {
	mkdir -p "$D/spool/tmp"
	touch -d '-2 days' "$D/spool/tmp/0000000000000009_old.example"
	touch "$D/spool/tmp/0000000000000010_fresh.example"
	start_runner zone-write-nsd -v
	[ ! -e "$D/spool/tmp/0000000000000009_old.example" ]
	[ -e "$D/spool/tmp/0000000000000010_fresh.example" ]
	stop_runner
	[ "$RUNNER_STATUS" -eq 0 ]
	grep -q 'stopped' "$D/run.log"
}

@test "zone-write-nsd: a symlink at a zone file's name is replaced, never written through" {
	symlink_replaced
}

@test "zone-write-nsd: symlinks planted at guessable temporary names are never written through" {
	printf 'precious\n' >"$D/target"
	start_runner zone-write-nsd -v
	# The names of earlier versions: .zwn-PID-SEQ.tmp.
	for i in 0 1 2 3 4 5 6 7 8 9; do
		ln -s "$D/target" "$NSD_DIR/zones/.zwn-$RUNNER_PID-$i.tmp"
	done
	planted_links_left_alone 10 10
}

@test "zone-write-nsd: a zones directory or spool other users may write makes it exit 100" {
	unsafe_zones_dir_refused
	push save example.com 2
	unsafe_spool_refused g
	# Safe modes again: the queue is applied.
	start_runner zone-write-nsd -v
	wait_for 10 served example.com 2
}

@test "zone-write-nsd: a zones directory owned by another user makes it exit 100" {
	[ "$(id -u)" = 0 ] || skip "giving a directory to another user needs root"
	chown 65534 "$NSD_DIR/zones"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"unsafe zones directory $NSD_DIR/zones: owned by uid 65534, not by uid 0"* ]]
	[ -z "$(ls -A "$NSD_DIR/zones")" ]
}

@test "zone-write-nsd: a bad config exits 100 naming the key" {
	printf 'dns: {backends: {nsd: {type: nsd, enabled: true, verify: "nope"}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-nsd -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *verify* ]]
	run --separate-stderr zone-write-nsd -b nosuch delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no backend named nosuch"* ]]
}

@test "zone-write-nsd: the DNS answer parser passes its unit checks" {
	[ -x "$TOP/t/unit/dnsq" ] || skip "t/unit/dnsq not built (make)"
	run --separate-stderr "$TOP/t/unit/dnsq"
	assert_success
	assert_output "ok"
}

@test "zone-write-nsd: the NSD control client passes its unit checks" {
	[ -x "$TOP/t/unit/nsdctl" ] || skip "t/unit/nsdctl not built (make)"
	run --separate-stderr "$TOP/t/unit/nsdctl"
	assert_success
	assert_output "ok"
}

# dd_nsd_start DIR INCLUDE: NSD laid out as directdnsonly's hosts have it,
# in place of setup's: the main configuration DIR/nsd.conf (nsd_conf's
# server: and control settings, no patterns) includes
# DIR/nsd.conf.d/*.conf, and DIR/nsd.conf.d/zones.conf holds INCLUDE (the
# text of that include file). Sets NSD_DIR, NSD_PORT, NSD_CONF (the
# include file), NSD_PID and NSD_MAIN.
dd_nsd_start() {
	nsd_stop
	NSD_DIR=$1
	NSD_MAIN=$1/nsd.conf
	NSD_CONF=$1/nsd.conf.d/zones.conf
	mkdir -p "$1/zones" "$1/nsd.conf.d"
	{
		nsd_conf "$1" "$NSD_PORT" "$1/nsd.pid" "$1/nsd.log" |
		    sed '/^pattern:/,$d'
		printf 'include: "%s/nsd.conf.d/*.conf"\n' "$1"
	} >"$NSD_MAIN"
	printf '%s\n' "$2" >"$NSD_CONF"
	nsd -c "$NSD_MAIN" || return 1
	wait_for 10 nsd-control -c "$NSD_MAIN" status || return 1
	NSD_PID=$(cat "$1/nsd.pid")
}

# dd_zone DIR ZONE: directdnsonly's stanza of ZONE in its include file.
dd_zone() {
	printf '\nzone:\n    name: "%s"\n    zonefile: "%s/zones/%s.db"\n' \
	    "$2" "$1" "$2"
}

@test "zone-write-nsd: nsd_conf naming directdnsonly's include file drives NSD through nsd_main_conf" {
	local dd=$D/dd
	mkdir -p "$dd/zones"
	da_zone old.example 7 >"$dd/zones/old.example.db"
	dd_nsd_start "$dd" "$(printf 'pattern:\n\tname: "da"\n\tzonefile: "%%s.db"\npattern:\n\tname: "da-long"\n\tzonefile: "%%s"\n%s' "$(dd_zone "$dd" old.example)")" ||
	    fail "NSD did not start"
	cp "$NSD_CONF" "$D/zones.conf.orig"
	wait_for 10 served old.example 7
	write_config "$(nsd_backend "nsd_main_conf: $NSD_MAIN")"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	assert_success
	[ "${stderr_lines[0]}" = "zone-write-nsd: info: nsd_conf $NSD_CONF is an include file; nsd-control uses $NSD_MAIN" ]
	[ "$(soa_serial example.com)" = 3 ]
	# A zone of the include's zone: entries is NSD's already: reloaded.
	run --separate-stderr zone-write-nsd save old.example < <(da_zone old.example 8)
	assert_success
	[ "$(soa_serial old.example)" = 8 ]
	run --separate-stderr zone-write-nsd delete example.com
	assert_success
	[ "$(soa_serial example.com)" = REFUSED ]
	# The queue runner says it once; the include file is never written.
	push save q.example 4
	start_runner zone-write-nsd -v
	wait_for 10 served q.example 4
	[ "$(grep -c 'is an include file; nsd-control uses' "$D/run.log")" = 1 ]
	grep -q "control=nsd-control -c $NSD_MAIN" "$D/run.log"
	cmp "$NSD_CONF" "$D/zones.conf.orig"
	# The pattern check added nothing.
	run grep -c probe "$dd/zone.list"
	assert_output 0
}

@test "zone-write-nsd: an NSD without the da patterns makes it exit 100 naming the file to put them in" {
	local dd=$D/dd
	mkdir -p "$dd/zones"
	da_zone old.example 7 >"$dd/zones/old.example.db"
	dd_nsd_start "$dd" "$(dd_zone "$dd" old.example)" || fail "NSD did not start"
	write_config "$(nsd_backend "nsd_main_conf: $NSD_MAIN")"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"zone-write-nsd: fatal: NSD has no pattern da (dns.backends.nsd.pattern): add the patterns of dadns's NSD snippet nsd-dadns.conf to $NSD_CONF, then run nsd-control reconfig"* ]]
	[ ! -e "$dd/zones/example.com.db" ]
	push save q.example 4
	run --separate-stderr zone-write-nsd run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"NSD has no pattern da "* ]]
	[ "$(jobs_in nsd new)" = 1 ]
	# Only the long one missing: named too, with its key.
	printf 'pattern:\n\tname: "da"\n\tzonefile: "%%s.db"\n' >"$dd/nsd.conf.d/dadns.conf"
	nsd-control -c "$NSD_MAIN" reconfig
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"NSD has no pattern da-long (dns.backends.nsd.long_pattern)"* ]]
	# Over the control socket alike.
	write_config "$(nsd_backend "control_socket: $dd/nsd.ctl")"
	run --separate-stderr zone-write-nsd save example.com < <(da_zone example.com 3)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"NSD has no pattern da-long"* ]]
}

@test "zone-write-nsd: an include file as nsd_conf without a readable nsd_main_conf exits 100" {
	mkdir -p "$D/inc"
	printf 'zone:\n    name: "a.example"\n' >"$D/inc/zones.conf"
	NSD_CONF=$D/inc/zones.conf
	write_config "$(nsd_backend "nsd_main_conf: $D/inc/missing.conf")"
	run --separate-stderr zone-write-nsd delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns.backends.nsd.nsd_conf $D/inc/zones.conf is an include file (no server: clause), and nsd_main_conf, NSD's main configuration, is needed: unable to read $D/inc/missing.conf"* ]]
	# A main configuration that does not include it: used, with a warning.
	printf 'server:\n' >"$D/inc/main.conf"
	write_config "$(nsd_backend "nsd_main_conf: $D/inc/main.conf")"
	run --separate-stderr zone-write-nsd delete a.example
	[[ "$stderr" == *"warning: nsd_main_conf $D/inc/main.conf does not include nsd_conf $D/inc/zones.conf"* ]]
	[[ "$stderr" == *"nsd-control uses $D/inc/main.conf"* ]]
}
