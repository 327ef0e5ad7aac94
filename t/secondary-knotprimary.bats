#!/usr/bin/env bats
# secondary-knotprimary.bats -- a Knot DNS 3.2 primary fed by
# zone-write-knot, serving dadns's catalog zone (catalog_zone in app.yml)
# to a stock BIND 9.18 secondary (catalog-zones), on loopback. The
# secondary's key, remote and acl are in knot.conf, with notify: and acl:
# on the template zone-write-knot adds zones with; the template keeps a
# journal of changes (zonefile-load: difference) so that knotd serves
# IXFR.

load helper
load helper-named
load helper-secondary

setup() {
	D=$BATS_TEST_TMPDIR
	export DADNS_RETRY_SCHEDULE=1,1
	KNOT_PID=
}

teardown() {
	stop_runner
	receiver_stop
	secondary_stop
	knot_stop
}

# knot_primary: knotd on 127.0.0.1:$KNOT_PORT with its state in $D/knot,
# log $D/knot/knotd.log, the template "dadns" notifying 127.0.0.1@$SEC_PORT
# (picked here) and letting it transfer with KEY=SECRET; app.yml for
# da-receive and a knot backend with the catalog zone catalog.invalid;
# da-receive and zone-write-knot run.
knot_primary() {
	local dir=$D/knot
	mkdir -p "$dir/zones" "$dir/db"
	KNOT_PORT=$(free_port)
	SEC_PORT=$(free_port)
	cat >"$dir/knot.conf" <<-CONF
	server:
	    rundir: "$dir"
	    listen: 127.0.0.1@$KNOT_PORT
	    pidfile: "$dir/knot.pid"
	control:
	    listen: "$dir/knot.sock"
	database:
	    storage: "$dir/db"
	log:
	  - target: "$dir/knotd.log"
	    any: info
	key:
	  - id: $KEY
	    algorithm: hmac-sha256
	    secret: $SECRET
	remote:
	  - id: ns2
	    address: 127.0.0.1@$SEC_PORT
	    key: $KEY
	acl:
	  - id: ns2-xfr
	    address: 127.0.0.1
	    key: $KEY
	    action: transfer
	template:
	  - id: default
	    storage: "$dir/zones"
	  - id: dadns
	    storage: "$dir/zones"
	    file: "%s.db"
	    zonefile-sync: -1
	    zonefile-load: difference
	    journal-content: changes
	    notify: ns2
	    acl: ns2-xfr
	include: "$dir/zones/dadns-zones*.conf"
	CONF
	knotd -c "$dir/knot.conf" 2>>"$dir/knotd.log" &
	KNOT_PID=$!
	KNOT_DIR=$dir
	wait_for 10 knotc -s "$dir/knot.sock" status ||
	    { cat "$dir/knotd.log" >&2; return 1; }
	DA_PORT=$(free_port)
	DA_PASSWORD=da-secret
	DA_URL=http://127.0.0.1:$DA_PORT
	write_config "$(da_app "$DA_PORT" "$DA_PASSWORD")" "$(cat <<-YML
	dns:
	  backends:
	    knot:
	      type: knot
	      enabled: true
	      zones_dir: $dir/zones
	      control_socket: $dir/knot.sock
	      knot_conf: $dir/zones/dadns-zones.conf
	      verify: "127.0.0.1@$KNOT_PORT"
	      catalog_zone: catalog.invalid
	YML
	)"
	receiver_start "$D/app.yml" "$D/da.log" || return 1
	start_runner zone-write-knot -c "$D/app.yml"
}

# knot_stop: stop the knotd of knot_primary, by PID.
knot_stop() {
	[ -n "${KNOT_PID:-}" ] || return 0
	kill_wait "$KNOT_PID" 50
	KNOT_PID=
}

@test "zone-write-knot: a zone pushed through da-receive is answered by a BIND secondary that follows a Knot primary's catalog; an update comes by IXFR; a delete drops it" {
	knot_primary
	secondary_start "$D/sec" "$KNOT_PORT" "$KEY" hmac-sha256 "$SECRET"
	run da_save example.com 2024010101
	assert_output "error=0"
	wait_for 20 sec_has example.com 2024010101 ||
	    { cat "$D/sec/named.log" "$D/run.log" "$KNOT_DIR/knotd.log" >&2; false; }
	run da_save example.com 2024010102
	assert_output "error=0"
	wait_for 20 sec_has example.com 2024010102 ||
	    { cat "$D/sec/named.log" "$KNOT_DIR/knotd.log" >&2; false; }
	# knotd's NOTIFY, then the difference from its journal.
	run grep -A8 "zone example.com/IN: notify from 127.0.0.1#[0-9]*: serial 2024010102" "$D/sec/named.log"
	assert_output --partial "requesting IXFR for serial 2024010101"
	assert_output --partial "got incremental response"
	grep -q "\[example.com.\] IXFR, outgoing, remote 127.0.0.1@[0-9]*.*started, serial 2024010101 -> 2024010102" "$KNOT_DIR/knotd.log" ||
	    { cat "$KNOT_DIR/knotd.log" >&2; false; }
	run da_delete example.com
	assert_output "error=0"
	wait_for 20 sec_has example.com REFUSED ||
	    { cat "$D/sec/named.log" >&2; false; }
}

@test "zone-write-knot: a Knot primary with a journal still serves DirectAdmin's serial after a restart and a lower serial after a delete" {
	knot_primary
	run da_save example.net 2024010101
	assert_output "error=0"
	run da_save example.net 2024010102
	assert_output "error=0"
	wait_for 20 served example.net 2024010102 "$KNOT_PORT"
	kill_wait "$KNOT_PID" 50
	knotd -c "$KNOT_DIR/knot.conf" 2>>"$KNOT_DIR/knotd.log" &
	KNOT_PID=$!
	wait_for 10 knotc -s "$KNOT_DIR/knot.sock" status
	wait_for 10 served example.net 2024010102 "$KNOT_PORT" ||
	    { cat "$KNOT_DIR/knotd.log" >&2; false; }
	run da_delete example.net
	assert_output "error=0"
	wait_for 20 served example.net REFUSED "$KNOT_PORT"
	run da_save example.net 2023010101
	assert_output "error=0"
	wait_for 20 served example.net 2023010101 "$KNOT_PORT" ||
	    { cat "$KNOT_DIR/knotd.log" "$D/run.log" >&2; false; }
}

@test "zone-write-knot: a BIND secondary with a wrong TSIG secret is refused by the Knot primary and gets nothing" {
	knot_primary
	run da_save example.org 2024020201
	assert_output "error=0"
	wait_for 20 served example.org 2024020201 "$KNOT_PORT"
	secondary_start "$D/sec" "$KNOT_PORT" "$KEY" hmac-sha256 "$WRONG"
	# knotd answers the signed SOA query with a TSIG error (BADSIG).
	wait_for 20 grep -q "zone catalog.invalid/IN: refresh: failure trying primary 127.0.0.1#$KNOT_PORT .*tsig indicates error" "$D/sec/named.log" ||
	    { cat "$KNOT_DIR/knotd.log" "$D/sec/named.log" >&2; false; }
	run grep -c "XFR, outgoing" "$KNOT_DIR/knotd.log"
	assert_output 0
	run sec_serial example.org
	assert_output REFUSED
}
