#!/usr/bin/env bats
# reconcile.bats -- orphans against a DirectAdmin stand-in (an HTTP server
# on loopback serving the listing forms of docs §5.2, made to fail, answer
# empty or redirect to its login), and healing of a real NSD and a private
# MariaDB against the store.

load helper
load helper-mariadb

STANDIN=$BATS_TEST_DIRNAME/fixtures/reconcile/da-standin

setup() {
	D=$BATS_TEST_TMPDIR
	DA_PID=
	RUNNER_PID=
	MDB_PID=
	mkdir -p "$D/da"
	export DADNS_CONFIG=$D/app.yml
}

teardown() {
	[ -z "${DA_PID:-}" ] || kill "$DA_PID" 2>/dev/null || true
	stop_runner
	nsd_stop
	mdb_stop "${MDB_PID:-}"
}

# da_start DOMAIN...: the stand-in listing DOMAIN... in JSON; sets DA_PORT.
da_start() {
	printf '%s\n' "$@" >"$D/da/domains"
	echo json >"$D/da/mode"
	python3 "$STANDIN" "$D/da" admin 'pw&1' 3>&- &
	DA_PID=$!
	wait_for 10 test -s "$D/da/port" || fail "stand-in did not start"
	DA_PORT=$(cat "$D/da/port")
}

da_mode() {
	echo "$1" >"$D/da/mode"
}

# config [PORT] [EXTRA-YAML]: app.yml with one DirectAdmin server named
# da1.example.net reached at 127.0.0.1:PORT (default: the stand-in's),
# then EXTRA-YAML (the dns section) verbatim.
config() {
	write_config
	cat >>"$D/app.yml" <<-YML
	reconciliation:
	  enabled: true
	  ipp: ${IPP:-1000}
	  directadmin_servers:
	    - name: da1.example.net
	      hostname: 127.0.0.1
	      port: ${1:-$DA_PORT}
	      username: admin
	      password: "pw&1"
	      ssl: false
	YML
	[ -z "${2:-}" ] || printf '%s\n' "$2" >>"$D/app.yml"
}

# store_zones OWNER ZONE...: put ZONEs into the store owned by OWNER.
store_zones() {
	local owner=$1 z
	shift
	for z in "$@"; do
		da_zone "$z" | queue-push -o "$owner" save "$z" >/dev/null ||
		    return 1
	done
}

# deleted ZONE: the store holds a tombstone for ZONE.
deleted() {
	[ "$(zone_row "$1" 'deleted_us <> 0')" = 1 ]
}

# live ZONE: the store holds ZONE and it is not deleted.
live() {
	[ "$(zone_row "$1" 'deleted_us = 0')" = 1 ]
}

zones_dump() {
	sqlite3 "$D/store.db" "SELECT name, hostname, seq, deleted_us, hash
	    FROM zones ORDER BY name"
}

@test "reconcile: -h prints the usage on stdout and exits 0, a wrong option exits 100" {
	run --separate-stderr reconcile -h
	assert_success
	assert_line --index 0 --regexp '^usage: reconcile \[-V\] \[-c app.yml\]'
	run --separate-stderr reconcile -Z
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"reconcile: usage: reconcile "* ]]
	run --separate-stderr reconcile extra
	[ "$status" -eq 100 ]
	run --separate-stderr reconcile -m 101
	[ "$status" -eq 100 ]
}

@test "reconcile: a real orphan is deleted on the second pass, not the first" {
	da_start a.example b.example
	config
	store_zones da1.example.net a.example b.example c.example
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "orphans=1 confirmed=0 deleted=0"
	[[ "$stderr" == *"first seen"*"zone=c.example"* ]]
	live c.example
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "orphans=1 confirmed=1 deleted=1"
	[[ "$stderr" == *"deleted orphan zone=c.example server=da1.example.net"* ]]
	deleted c.example
	live a.example
	live b.example
	# The delete carries the stored owner, like DirectAdmin's own.
	[ "$(zone_row c.example hostname)" = da1.example.net ]
	# Nothing left to do.
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "orphans=0"
}

@test "reconcile: an orphan listed again before its second pass is not deleted" {
	da_start a.example
	config
	store_zones da1.example.net a.example b.example
	run reconcile
	assert_success
	printf 'a.example\nb.example\n' >"$D/da/domains"
	run reconcile
	assert_success
	printf 'a.example\n' >"$D/da/domains"
	run reconcile
	assert_success
	assert_output --partial "confirmed=0 deleted=0"
	live b.example
}

@test "reconcile: an unreachable server deletes nothing, pass after pass" {
	config "$(free_port)"
	store_zones da1.example.net a.example b.example
	for i in 1 2 3; do
		run --separate-stderr reconcile
		[ "$status" -eq 111 ]
		assert_output --partial "failed=1"
		assert_output --partial "deleted=0"
		[[ "$stderr" == *"server da1.example.net failed, none of its zones is deleted: unreachable"* ]]
	done
	[ "$(live_count)" = 2 ]
}

@test "reconcile: a server answering an empty list, 500, HTML or a login loop deletes nothing" {
	da_start a.example
	config
	store_zones da1.example.net a.example b.example c.example
	for mode in empty fail html loop empty fail html loop; do
		da_mode $mode
		run --separate-stderr reconcile
		assert_output --partial "deleted=0"
		assert_output --partial "orphans=0"
	done
	[ "$(live_count)" = 3 ]
	# Failures in between reset the two-pass confirmation.
	da_mode json
	run reconcile
	assert_output --partial "orphans=2 confirmed=0 deleted=0"
	da_mode fail
	run reconcile
	da_mode json
	run reconcile
	assert_output --partial "confirmed=0 deleted=0"
	[ "$(live_count)" = 3 ]
}

@test "reconcile: -n prints what it would do, changes nothing, exits 1 on drift and 0 without" {
	da_start a.example b.example
	config
	store_zones da1.example.net a.example b.example c.example
	sqlite3 "$D/store.db" "UPDATE zones SET hostname = '' WHERE name = 'b.example'"
	before=$(zones_dump)
	run --separate-stderr reconcile -n
	[ "$status" -eq 1 ]
	assert_line "would-set-owner zone=b.example owner=da1.example.net was=(none)"
	assert_line "orphan-first-seen zone=c.example server=da1.example.net"
	assert_output --partial "dry_run=1 status=drift"
	[ "$(zones_dump)" = "$before" ]
	[ ! -d "$D/spool" ] || [ -z "$(find "$D/spool" -type f)" ]
	# Two real passes: the owner is filled in, the orphan deleted.
	reconcile >/dev/null 2>&1
	run --separate-stderr reconcile -n
	[ "$status" -eq 1 ]
	assert_line "would-delete zone=c.example server=da1.example.net"
	[ "$(zone_row b.example hostname)" = da1.example.net ]
	live c.example
	reconcile >/dev/null 2>&1
	deleted c.example
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "status=ok"
}

@test "reconcile: more orphans than the share of -m are held without --force" {
	da_start $(seq -f 'z%g.example' 1 15)
	config
	store_zones da1.example.net $(seq -f 'z%g.example' 1 20)
	run reconcile
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "orphans=5 confirmed=5 deleted=0 held=5"
	[[ "$stderr" == *"5 orphans confirmed, more than 10 % of its 20 zones: none deleted"* ]]
	[ "$(live_count)" = 20 ]
	run reconcile -m 25
	assert_output --partial "deleted=5"
	[ "$(live_count)" = 15 ]
}

@test "reconcile: --force deletes confirmed orphans beyond the share" {
	da_start z1.example
	config
	store_zones da1.example.net z1.example z2.example z3.example
	run reconcile --force
	assert_output --partial "confirmed=0 deleted=0"
	run reconcile -m 0
	assert_output --partial "held=2"
	run reconcile --force
	assert_output --partial "confirmed=2 deleted=2"
	[ "$(live_count)" = 1 ]
}

@test "reconcile: owners match DirectAdmin's server name, not its address; zones of unknown owners are left alone" {
	da_start a.example
	config
	store_zones da1.example.net a.example
	store_zones 127.0.0.1 b.example
	store_zones other.example.net c.example
	for i in 1 2 3; do
		run reconcile
		assert_success
	done
	[ "$(live_count)" = 3 ]
	assert_output --partial "orphans=0"
	# A name in another case is the same server.
	sqlite3 "$D/store.db" "UPDATE zones SET hostname = 'DA1.Example.NET' WHERE name = 'b.example'"
	reconcile >/dev/null 2>&1
	reconcile >/dev/null 2>&1
	deleted b.example
}

@test "reconcile: the login cookie, legacy list[] and JSON pages all list every domain" {
	da_start a.example B.Example. c.example d.example e.example
	IPP=2 config
	store_zones da1.example.net a.example b.example c.example d.example e.example
	for mode in login legacy json; do
		: >"$D/da/requests"
		da_mode $mode
		run --separate-stderr reconcile -n
		assert_success
		assert_output --partial "answered=1 empty=0 failed=0 listed=5"
		assert_output --partial "orphans=0"
	done
	# JSON: three pages of two (ipp), total_pages as a string.
	run cat "$D/da/requests"
	assert_output "GET /CMD_DNS_ADMIN?json=yes&page=1&ipp=2
GET /CMD_DNS_ADMIN?json=yes&page=2&ipp=2
GET /CMD_DNS_ADMIN?json=yes&page=3&ipp=2"
	da_mode login
	: >"$D/da/requests"
	run reconcile -n
	run cat "$D/da/requests"
	assert_line --index 1 "POST /CMD_LOGIN"
}

@test "reconcile: records its last run in the store for /status" {
	da_start a.example
	config
	store_zones da1.example.net a.example
	run reconcile
	assert_success
	run sqlite3 "$D/store.db" "SELECT ok, finished_us >= started_us, summary FROM reconcile_state"
	assert_output --partial '1|1|{"dry_run":false,"status":"ok","servers":[{"name":"da1.example.net","state":"ok","listed":1'
}

# serves_not ZONE ANSWER: soa_serial ZONE is not ANSWER.
serves_not() {
	! served "$1" "$2"
}

@test "reconcile: heals NSD without a DirectAdmin server: file removed, zone dropped, file altered, tombstone served" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	start_runner zone-write-nsd
	for z in a.example b.example c.example d.example e.example; do
		da_zone $z 2021082501 | queue-push save $z >/dev/null
	done
	for z in a.example b.example c.example d.example e.example; do
		wait_for 20 served $z 2021082501 || fail "$z not served"
	done
	wait_for 10 count_is nsd new 0
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "checked=5 healed=0 removed=0 unchecked=0"
	# Stop the runner so the damage stays until reconcile has looked.
	stop_runner
	rm "$NSD_DIR/zones/a.example.db"
	nsd-control -c "$NSD_CONF" delzone b.example >/dev/null
	sed -i 's/192.0.2.10/192.0.2.99/' "$NSD_DIR/zones/c.example.db"
	# d.example is deleted in the store, but its job never reached NSD.
	queue-push -b nsd delete d.example >/dev/null
	rm -f "$D"/spool/nsd/new/*
	wait_for 10 serves_not b.example 2021082501
	run --separate-stderr reconcile -n
	[ "$status" -eq 1 ]
	assert_line 'would-heal backend=nsd zone=a.example reason="zone file missing"'
	assert_line --regexp '^would-heal backend=nsd zone=b.example reason="not served \(rcode 5'
	assert_line 'would-heal backend=nsd zone=c.example reason="zone file differs from the store"'
	assert_line 'would-remove backend=nsd zone=d.example reason="zone file of a deleted zone present"'
	[ "$(jobs_in nsd new)" = 0 ]
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "checked=5 healed=3 removed=1"
	[ "$(jobs_in nsd new)" = 4 ]
	# A second pass before the runner ran: those are pending, not doubled.
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "healed=0 removed=0"
	[ "$(jobs_in nsd new)" = 4 ]
	start_runner zone-write-nsd
	wait_for 20 count_is nsd new 0 || fail "queue not drained"
	wait_for 20 served b.example 2021082501
	wait_for 20 served d.example REFUSED
	[ -f "$NSD_DIR/zones/a.example.db" ]
	run grep -c 192.0.2.99 "$NSD_DIR/zones/c.example.db"
	assert_output 0
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "checked=5 healed=0 removed=0 unchecked=0"
}

@test "reconcile: a served serial that differs from the store is healed; NSD down is reported, not healed" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	start_runner zone-write-nsd
	da_zone a.example 2021082501 | queue-push save a.example >/dev/null
	da_zone b.example 2021082501 | queue-push save b.example >/dev/null
	wait_for 20 served a.example 2021082501 || fail "not served"
	wait_for 20 served b.example 2021082501 || fail "not served"
	stop_runner
	# The store moves on; the job is lost before NSD saw it.
	da_zone a.example 2021082502 | queue-push save a.example >/dev/null
	rm -f "$D"/spool/nsd/new/*
	run --separate-stderr reconcile -n
	[ "$status" -eq 1 ]
	assert_line --partial 'would-heal backend=nsd zone=a.example'
	nsd_stop
	rm -f "$NSD_DIR/zones/a.example.db"
	run --separate-stderr reconcile
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"served zones not checked: no answer from 127.0.0.1@$NSD_PORT"* ]]
	# The zone file check still ran.
	assert_output --partial "healed=1"
}

@test "reconcile: a symlink or a FIFO at a zone file's name is healed, never read through" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	start_runner zone-write-nsd
	for z in a.example b.example; do
		da_zone $z 2021082501 | queue-push save $z >/dev/null
		wait_for 20 served $z 2021082501 || fail "$z not served"
	done
	wait_for 10 count_is nsd new 0
	stop_runner
	# Same text behind a link: still not a zone file of ours.
	mv "$NSD_DIR/zones/a.example.db" "$D/a.copy"
	ln -s "$D/a.copy" "$NSD_DIR/zones/a.example.db"
	rm "$NSD_DIR/zones/b.example.db"
	mkfifo "$NSD_DIR/zones/b.example.db"
	run --separate-stderr timeout 20 reconcile -n
	[ "$status" -eq 1 ]
	assert_line --regexp '^would-heal backend=nsd zone=a.example reason="zone file unreadable: '
	assert_line --regexp '^would-heal backend=nsd zone=b.example reason="zone file unreadable: '
	run --separate-stderr timeout 20 reconcile
	assert_success
	start_runner zone-write-nsd
	wait_for 20 count_is nsd new 0 || fail "queue not drained"
	[ -f "$NSD_DIR/zones/a.example.db" ]
	[ ! -L "$NSD_DIR/zones/a.example.db" ]
	[ -f "$NSD_DIR/zones/b.example.db" ]
	cmp -s "$D/a.copy" "$NSD_DIR/zones/a.example.db"
}

@test "reconcile: -l loops until SIGTERM and exits 0" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	printf 'reconciliation: {enabled: false, interval_minutes: 60}\n' >>"$D/app.yml"
	reconcile -l 2>"$D/loop.log" &
	pid=$!
	wait_for 10 grep -q 'info: servers=0' "$D/loop.log" || { kill $pid; fail "no pass"; }
	kill -TERM $pid
	wait $pid
	grep -q 'reconcile: info: stopped' "$D/loop.log"
}

sql() {
	mariadb --no-defaults -S "$D/mdb/sock" -uroot -N -B coredns -e "$1"
}

@test "reconcile: heals CoreDNS-MySQL rows altered, deleted or left behind by hand" {
	command -v mariadbd >/dev/null || skip "mariadbd not installed"
	MDB_PID=$(mdb_start "$D/mdb" --skip-networking) ||
	    fail "MariaDB did not start"
	mariadb --no-defaults -S "$D/mdb/sock" -uroot -e 'CREATE DATABASE coredns'
	write_config
	cat >>"$D/app.yml" <<-YML
	dns:
	  backends:
	    mysql:
	      type: coredns_mysql
	      enabled: true
	      socket: $D/mdb/sock
	      database: coredns
	      username: root
	YML
	for z in a.example b.example c.example d.example; do
		da_zone $z | queue-push save $z >/dev/null
	done
	RUNNER_LOG=$D/mysql.log start_runner zone-write-mysql
	wait_for 20 count_is mysql new 0 || fail "not applied"
	stop_runner
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "checked=4 healed=0 removed=0"
	sql "UPDATE records r JOIN zones z ON z.id = r.zone_id SET r.data = '192.0.2.99' WHERE z.zone_name = 'a.example.' AND r.hostname = 'www'"
	sql "DELETE r FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.zone_name = 'b.example.'; DELETE FROM zones WHERE zone_name = 'b.example.'"
	sql "UPDATE records r JOIN zones z ON z.id = r.zone_id SET r.online = 0 WHERE z.zone_name = 'c.example.' AND r.type = 'MX'"
	queue-push -b mysql delete d.example >/dev/null
	rm -f "$D"/spool/mysql/new/*
	sql "INSERT INTO zones (zone_name) VALUES ('notours.example.')"
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "checked=4 healed=3 removed=1"
	[[ "$stderr" == *'heal backend=mysql zone=a.example reason="records differ'* ]]
	[[ "$stderr" == *'heal backend=mysql zone=b.example reason="zone missing in the database"'* ]]
	[[ "$stderr" == *'remove backend=mysql zone=d.example reason="deleted zone still in the database"'* ]]
	RUNNER_LOG=$D/mysql.log start_runner zone-write-mysql
	wait_for 20 count_is mysql new 0 || fail "not applied"
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "checked=4 healed=0 removed=0"
	[ "$(sql "SELECT count(*) FROM zones WHERE zone_name = 'notours.example.'")" = 1 ]
	[ "$(sql "SELECT count(*) FROM zones WHERE zone_name = 'd.example.'")" = 0 ]
}

@test "reconcile: a zone moves to the configured server that lists it only when its owner answered without it" {
	da_start a.example b.example
	cat >"$D/app.yml" <<-YML
	queue_location: $D/spool
	datastore: {db_location: $D/store.db}
	reconciliation:
	  enabled: true
	  directadmin_servers:
	    - {name: da1.example.net, hostname: 127.0.0.1, port: $DA_PORT, username: admin, password: "pw&1", ssl: false}
	    - {name: da2.example.net, hostname: 127.0.0.1, port: $(free_port), username: admin, password: x, ssl: false}
	    - {name: da3.example.net, hostname: localhost, port: $DA_PORT, username: admin, password: "pw&1", ssl: false}
	YML
	store_zones da2.example.net a.example
	store_zones other.example.net b.example
	store_zones da3.example.net c.example
	printf 'a.example\nb.example\nc.example\n' >"$D/da/domains"
	run --separate-stderr reconcile
	[ "$status" -eq 111 ]
	assert_output --partial "backfilled=0 migrated=0"
	[ "$(zone_row a.example hostname)" = da2.example.net ]
	[ "$(zone_row b.example hostname)" = other.example.net ]
	[ "$(zone_row c.example hostname)" = da3.example.net ]
	sqlite3 "$D/store.db" "UPDATE zones SET hostname = '' WHERE name = 'b.example'"
	run --separate-stderr reconcile
	assert_output --partial "backfilled=1 migrated=0"
	[ "$(zone_row b.example hostname)" = da3.example.net ]
}
