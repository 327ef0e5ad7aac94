#!/usr/bin/env bats
# secondary-knot.bats -- a stock Knot DNS 3.2 secondary that interprets
# the catalog zone of dadns's NSD primary (RFC 9432, catalog-role
# interpret), transfers signed with TSIG, on loopback; and reconcile's
# report of secondaries that lag.

load helper
load helper-named
load helper-secondary

setup() {
	D=$BATS_TEST_TMPDIR
	export DADNS_RETRY_SCHEDULE=1,1
}

teardown() {
	stop_runner
	receiver_stop
	knot_stop
	nsd_stop
	named_stop
}

# knot_start DIR SECRET: knotd on 127.0.0.1:$KNOT_PORT, its own rundir,
# storage and log (DIR/knot.log) in DIR, following catalog.invalid of the
# primary on $PRIMARY_PORT (default $NSD_PORT) with the key KEY=SECRET.
# Sets KNOT_PID.
knot_start() {
	local dir=$1
	mkdir -p "$dir/run" "$dir/db" "$dir/zones"
	cat >"$dir/knot.conf" <<-CONF
	server:
	    rundir: "$dir/run"
	    pidfile: "$dir/run/knot.pid"
	    listen: 127.0.0.1@$KNOT_PORT
	log:
	  - target: "$dir/knot.log"
	    any: info
	database:
	    storage: "$dir/db"
	key:
	  - id: $KEY
	    algorithm: hmac-sha256
	    secret: $2
	remote:
	  - id: dadns
	    address: 127.0.0.1@${PRIMARY_PORT:-$NSD_PORT}
	    key: $KEY
	acl:
	  - id: notify-from-dadns
	    address: 127.0.0.1
	    key: $KEY
	    action: notify
	template:
	  - id: default
	    storage: "$dir/zones"
	  - id: member
	    storage: "$dir/zones"
	    master: dadns
	    acl: notify-from-dadns
	zone:
	  - domain: catalog.invalid
	    master: dadns
	    acl: notify-from-dadns
	    catalog-role: interpret
	    catalog-template: member
	CONF
	rm -f "$dir/run/knot.pid"
	knotd -c "$dir/knot.conf" -d || return 1
	wait_for 10 test -s "$dir/run/knot.pid" || return 1
	KNOT_PID=$(cat "$dir/run/knot.pid")
	KNOT_DIR=$dir
}

# knot_stop: stop the knotd of knot_start, by PID.
knot_stop() {
	[ -n "${KNOT_PID:-}" ] || return 0
	kill_wait "$KNOT_PID" 50
	KNOT_PID=
}

# knot_has ZONE SERIAL: Knot serves ZONE with SERIAL (or the rcode word).
knot_has() {
	[ "$(soa_serial "$1" "$KNOT_PORT")" = "$2" ]
}

# knot_primary: nsd_primary (helper-secondary.bash) with the Knot
# secondary on 127.0.0.1:$KNOT_PORT, da-receive and zone-write-nsd running.
knot_primary() {
	nsd_primary KNOT_PORT || return 1
	receiver_start "$D/app.yml" "$D/da.log" || return 1
	start_runner zone-write-nsd -c "$D/app.yml"
}

@test "knotd: a zone pushed through da-receive reaches a Knot catalog consumer; its update follows NOTIFY; its delete drops it" {
	knot_primary
	knot_start "$D/knot" "$SECRET"
	run da_save example.com 2024010101
	assert_output "error=0"
	wait_for 20 knot_has example.com 2024010101 ||
	    { cat "$D/knot/knot.log" "$D/run.log" >&2; false; }
	grep -q "\[example.com.\] zone added from catalog" "$D/knot/knot.log"
	run da_save example.com 2024010102
	assert_output "error=0"
	wait_for 10 knot_has example.com 2024010102 ||
	    { cat "$D/knot/knot.log" >&2; false; }
	# NSD's NOTIFY (signed: the ACL wants the key) starts the transfer.
	grep -q "\[example.com.\] notify, incoming, remote 127.0.0.1@[0-9]*, serial 2024010102" "$D/knot/knot.log"
	run da_delete example.com
	assert_output "error=0"
	wait_for 20 knot_has example.com REFUSED ||
	    { cat "$D/knot/knot.log" >&2; false; }
}

@test "knotd: a Knot secondary with a wrong TSIG secret is refused and logged by NSD, and gets nothing" {
	knot_primary
	run da_save example.org 2024020201
	assert_output "error=0"
	wait_for 10 served example.org 2024020201
	knot_start "$D/knot" "$WRONG"
	wait_for 20 grep -q "bad tsig signature for key $KEY. from 127.0.0.1" "$NSD_DIR/nsd.log" ||
	    { cat "$NSD_DIR/nsd.log" "$D/knot/knot.log" >&2; false; }
	wait_for 10 grep -q "\[catalog.invalid.\] refresh, remote dadns, address 127.0.0.1@$NSD_PORT, failed (failed to verify TSIG)" "$D/knot/knot.log" ||
	    { cat "$D/knot/knot.log" >&2; false; }
	run grep -c "zone updated" "$D/knot/knot.log"
	assert_output 0
	run soa_serial example.org "$KNOT_PORT"
	assert_output REFUSED
}

@test "reconcile: a stopped Knot secondary is reported down, then the zones it missed as behind until a pass notifies it again; /status and /metrics show each state" {
	local i
	knot_primary
	knot_start "$D/knot" "$SECRET"
	run da_save a.example 2024030301
	assert_output "error=0"
	wait_for 20 knot_has a.example 2024030301 ||
	    { cat "$D/knot/knot.log" >&2; false; }
	run reconcile -c "$D/app.yml" -n
	assert_success
	assert_output --partial "secondaries=1 behind=0 down=0"
	knot_stop
	# 100 pushes while it is down: 99 new zones and an update.
	for i in $(seq 1 99); do
		da_save "z$i.example" 2024030300 >/dev/null
	done
	run da_save a.example 2024030302
	assert_output "error=0"
	wait_for 30 count_is nsd new 0
	wait_for 10 served z99.example 2024030300
	run reconcile -c "$D/app.yml" -n
	[ "$status" -eq 1 ]
	assert_line --regexp "^secondary-down backend=nsd secondary=127\.0\.0\.1@$KNOT_PORT reason=\".+\"$"
	assert_output --partial "secondaries=1 behind=0 down=1 dry_run=1 status=drift"
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/status"
	assert_success
	[ "$(printf '%s' "$output" | jq -r '.secondaries.backends.nsd[0].state')" = down ]
	[ "$(printf '%s' "$output" | jq -r '.secondaries.backends.nsd[0].address')" = "127.0.0.1@$KNOT_PORT" ]
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/metrics"
	assert_line "dadns_secondary_up{backend=\"nsd\",secondary=\"127.0.0.1@$KNOT_PORT\"} 0"
	# Back, it serves what it had.
	knot_start "$D/knot" "$SECRET"
	wait_for 10 knot_has a.example 2024030301
	# and nothing tells it of the rest: reconcile sees what lags.
	run reconcile -c "$D/app.yml" -n
	[ "$status" -eq 1 ]
	assert_line "secondary-behind backend=nsd secondary=127.0.0.1@$KNOT_PORT zone=a.example have=2024030301 want=2024030302"
	assert_line "secondary-behind backend=nsd secondary=127.0.0.1@$KNOT_PORT zone=z42.example have=REFUSED want=2024030300"
	run grep -c "^secondary-behind " <<<"$output"
	assert_output 100
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/status"
	[ "$(printf '%s' "$output" | jq -r '.secondaries.backends.nsd[0] | "\(.state) \(.checked) \(.behind)"')" = "behind 100 100" ]
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/metrics"
	assert_line "dadns_secondary_up{backend=\"nsd\",secondary=\"127.0.0.1@$KNOT_PORT\"} 1"
	assert_line "dadns_secondary_zones{backend=\"nsd\",secondary=\"127.0.0.1@$KNOT_PORT\",result=\"behind\"} 100"
	# A pass that may act notifies the lagging zone and the catalog
	# again: Knot catches up.
	run reconcile -c "$D/app.yml"
	assert_success
	assert_output --partial "notified zone=catalog.invalid backend=nsd"
	assert_output --partial "notified zone=a.example backend=nsd"
	wait_for 20 knot_has a.example 2024030302 ||
	    { cat "$D/knot/knot.log" >&2; false; }
	for i in 1 50 99; do
		wait_for 20 knot_has "z$i.example" 2024030300 ||
		    { cat "$D/knot/knot.log" >&2; false; }
	done
	wait_for 20 reconcile -c "$D/app.yml" -n
	run reconcile -c "$D/app.yml" -n
	assert_success
	assert_output --partial "secondaries=1 behind=0 down=0"
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/status"
	[ "$(printf '%s' "$output" | jq -r '.secondaries.backends.nsd[0] | "\(.state) \(.checked) \(.behind)"')" = "ok 100 0" ]
	run curl -sS -u "directdnsonly:$DA_PASSWORD" "$DA_URL/metrics"
	assert_line "dadns_secondary_zones{backend=\"nsd\",secondary=\"127.0.0.1@$KNOT_PORT\",result=\"checked\"} 100"
	assert_line "dadns_secondary_zones{backend=\"nsd\",secondary=\"127.0.0.1@$KNOT_PORT\",result=\"behind\"} 0"
}

@test "reconcile: a BIND primary notifies again, through rndc, a Knot secondary that missed an update" {
	named_start "$D/named"
	: >"$NAMED_DIR/zones/DADNS-BIND.conf"
	printf 'include "%s/zones/DADNS-BIND.conf";\n' "$NAMED_DIR" \
	    >>"$NAMED_DIR/named.conf"
	rndc -c "$RNDC_CONF" reconfig >/dev/null
	KNOT_PORT=$(free_port)
	PRIMARY_PORT=$NAMED_PORT
	DA_PORT=$(free_port)
	DA_PASSWORD=da-secret
	DA_URL=http://127.0.0.1:$DA_PORT
	write_config "$(da_app "$DA_PORT" "$DA_PASSWORD")" "$(cat <<-YML
	dns:
	  backends:
	    bind:
	      enabled: true
	      zones_dir: $NAMED_DIR/zones
	      rndc_conf: $RNDC_CONF
	      verify: "127.0.0.1@$NAMED_PORT"
	      secondaries:
	        - address: 127.0.0.1@$KNOT_PORT
	          tsig_key: $KEY
	          tsig_secret: $SECRET
	YML
	)"
	receiver_start "$D/app.yml" "$D/da.log"
	start_runner zone-write-bind -c "$D/app.yml"
	knot_start "$D/knot" "$SECRET"
	run da_save a.example 2024040401
	assert_output "error=0"
	wait_for 20 knot_has a.example 2024040401 ||
	    { cat "$D/knot/knot.log" "$D/run.log" >&2; false; }
	knot_stop
	run da_save a.example 2024040402
	assert_output "error=0"
	wait_for 10 served a.example 2024040402 "$NAMED_PORT"
	knot_start "$D/knot" "$SECRET"
	wait_for 10 knot_has a.example 2024040401
	run reconcile -c "$D/app.yml" -n
	[ "$status" -eq 1 ]
	assert_line "secondary-behind backend=bind secondary=127.0.0.1@$KNOT_PORT zone=a.example have=2024040401 want=2024040402"
	run reconcile -c "$D/app.yml"
	assert_success
	assert_output --partial "notified zone=a.example backend=bind"
	wait_for 20 knot_has a.example 2024040402 ||
	    { cat "$D/knot/knot.log" >&2; false; }
}

@test "reconcile: the secondaries' report (a silent secondary, its JSON, its file) passes its unit checks" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr "$TOP/t/unit/seclag"
	assert_success
	assert_output "ok"
}
