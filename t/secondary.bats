#!/usr/bin/env bats
# secondary.bats -- secondaries fed by dadns's primary: NOTIFY, zone
# transfers with TSIG and the RFC 9432 catalog zone, followed by a stock
# BIND 9.18 secondary (catalog-zones) on loopback.

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
	secondary_stop
	nsd_stop
	named_stop
}

@test "zone-write-nsd: a zone pushed through da-receive is answered by a BIND secondary that follows the catalog" {
	nsd_primary
	receiver_start "$D/app.yml" "$D/da.log"
	start_runner zone-write-nsd -c "$D/app.yml" -v || { cat "$D/run.log" "$NSD_DIR/nsd.log" >&2; false; }
	# NSD reads the patterns with the secondary from the writer's file,
	# which holds the secret: not readable by others.
	grep -q "provide-xfr: 127.0.0.1 $KEY" "$NSD_DIR/zones/DADNS-NSD.conf"
	[ "$(stat -c %a "$NSD_DIR/zones/DADNS-NSD.conf")" = 640 ]
	served catalog.invalid "$(soa_serial catalog.invalid)"
	secondary_start "$D/sec" "$NSD_PORT" "$KEY" hmac-sha256 "$SECRET"
	run da_save example.com 2024010101
	assert_output "error=0"
	wait_for 10 served example.com 2024010101
	wait_for 20 sec_has example.com 2024010101 ||
	    { cat "$D/sec/named.log" "$D/run.log" >&2; false; }
	# The catalog lists it, by its label, version 2.
	run dig +short -p "$SEC_PORT" @127.0.0.1 version.catalog.invalid TXT
	assert_output '"2"'
	run dig +noall +answer -p "$NSD_PORT" @127.0.0.1 -y "hmac-sha256:$KEY:$SECRET" catalog.invalid AXFR
	assert_output --regexp "[0-9a-f]{32}\.zones\.catalog\.invalid\.[[:space:]]+0[[:space:]]+IN[[:space:]]+PTR[[:space:]]+example\.com\."
	# An update: NOTIFY brings the new serial, by AXFR (NSD 4.6 serves
	# no IXFR).
	run da_save example.com 2024010102
	assert_output "error=0"
	wait_for 20 sec_has example.com 2024010102 ||
	    { cat "$D/sec/named.log" >&2; false; }
	run grep -A8 "zone example.com/IN: notify from 127.0.0.1#[0-9]*: serial 2024010102" "$D/sec/named.log"
	assert_output --partial "requesting IXFR for serial 2024010101"
	assert_output --partial "got nonincremental response"
	# DirectAdmin's delete: the catalog drops it, so does the secondary.
	run da_delete example.com
	assert_output "error=0"
	wait_for 10 served example.com REFUSED
	wait_for 20 sec_has example.com REFUSED ||
	    { cat "$D/sec/named.log" >&2; false; }
	grep -q "catz: deleting zone 'example.com' from catalog 'catalog.invalid' - success" "$D/sec/named.log"
	stop_runner
	runner_clean
	# The secret is in no log line.
	run grep -c -- "$SECRET" "$D/run.log" "$D/da.log"
	assert_output "$D/run.log:0
$D/da.log:0"
}

@test "zone-write-nsd: a secondary with a wrong TSIG secret is refused and logged by NSD, and gets nothing" {
	nsd_primary
	receiver_start "$D/app.yml" "$D/da.log"
	start_runner zone-write-nsd -c "$D/app.yml"
	run da_save example.org 2024020201
	assert_output "error=0"
	wait_for 10 served example.org 2024020201
	secondary_start "$D/sec" "$NSD_PORT" "$KEY" hmac-sha256 "$WRONG"
	# NSD refuses the transfer of the catalog and says so in its log;
	# the secondary logs the failure and serves nothing.
	wait_for 20 grep -q "bad tsig signature for key $KEY. from 127.0.0.1" "$NSD_DIR/nsd.log" ||
	    { cat "$NSD_DIR/nsd.log" "$D/sec/named.log" >&2; false; }
	wait_for 20 grep -q "zone catalog.invalid/IN: refresh: failure trying primary 127.0.0.1#$NSD_PORT .*: tsig indicates error" "$D/sec/named.log" ||
	    { cat "$D/sec/named.log" >&2; false; }
	run grep -c "transferred serial" "$D/sec/named.log"
	assert_output 0
	run sec_serial example.org
	assert_output REFUSED
	run sec_serial catalog.invalid
	assert_output SERVFAIL
}

# bind_primary: a named (helper-named) that includes the writer's key
# file, and app.yml with a bind backend for it with one secondary on
# 127.0.0.1:$SEC_PORT holding KEY.
bind_primary() {
	named_start "$D/named" || return 1
	: >"$NAMED_DIR/zones/DADNS-BIND.conf"
	printf 'include "%s/zones/DADNS-BIND.conf";\n' "$NAMED_DIR" \
	    >>"$NAMED_DIR/named.conf"
	rndc -c "$RNDC_CONF" reconfig >/dev/null
	SEC_PORT=$(free_port)
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
	        - address: 127.0.0.1@$SEC_PORT
	          tsig_key: $KEY
	          tsig_secret: $SECRET
	YML
	)"
}

@test "zone-write-bind: a BIND secondary follows the catalog of a BIND primary, and an update comes by IXFR" {
	bind_primary
	receiver_start "$D/app.yml" "$D/da.log"
	start_runner zone-write-bind -c "$D/app.yml"
	grep -q "key \"$KEY\" { algorithm hmac-sha256;" "$NAMED_DIR/zones/DADNS-BIND.conf"
	secondary_start "$D/sec" "$NAMED_PORT" "$KEY" hmac-sha256 "$SECRET"
	run da_save example.info 2024030301
	assert_output "error=0"
	wait_for 20 sec_has example.info 2024030301 ||
	    { cat "$D/sec/named.log" "$D/run.log" >&2; false; }
	run da_save example.info 2024030302
	assert_output "error=0"
	wait_for 20 sec_has example.info 2024030302 ||
	    { cat "$D/sec/named.log" >&2; false; }
	# BIND computes the difference (ixfr-from-differences) and sends it.
	run grep -A8 "zone example.info/IN: notify from 127.0.0.1#[0-9]*: serial 2024030302" "$D/sec/named.log"
	assert_output --partial "requesting IXFR for serial 2024030301"
	assert_output --partial "got incremental response"
	run da_delete example.info
	assert_output "error=0"
	wait_for 20 sec_has example.info REFUSED ||
	    { cat "$D/sec/named.log" >&2; false; }
	# Pushed again with a lower serial: the journal of the deleted zone
	# does not stand in the way.
	run da_save example.info 2024030101
	assert_output "error=0"
	wait_for 20 sec_has example.info 2024030101 ||
	    { cat "$D/sec/named.log" "$D/run.log" "$NAMED_DIR/named.log" >&2; false; }
	stop_runner
	runner_clean
}

@test "reconcile: a catalog zone that disagrees with the zones served is written again by the writer" {
	nsd_start "$D/nsd"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl" \
	    "catalog_zone: cat.example.org")"
	export DADNS_CONFIG=$D/app.yml
	push save a.example 2024050501
	push save b.example 2024050501
	start_runner zone-write-nsd -c "$D/app.yml"
	wait_for 10 count_is nsd new 0
	# A catalog without secondaries when named: both zones listed.
	grep -q 'PTR	a\.example\.$' "$NSD_DIR/zones/cat.example.org.db"
	grep -q 'PTR	b\.example\.$' "$NSD_DIR/zones/cat.example.org.db"
	served cat.example.org "$(soa_serial cat.example.org)"
	run reconcile -c "$D/app.yml" -n
	assert_success
	stop_runner
	runner_clean
	serial=$(soa_serial cat.example.org)
	# Someone drops a member from the file: reconcile sees it.
	grep -v 'PTR	b\.example\.$' "$NSD_DIR/zones/cat.example.org.db" >"$D/cat"
	cat "$D/cat" >"$NSD_DIR/zones/cat.example.org.db"
	run reconcile -c "$D/app.yml" -n
	[ "$status" -eq 1 ]
	assert_output --partial 'would-heal backend=nsd zone=cat.example.org reason="catalog lists 1 zones, the backend serves 2"'
	run reconcile -c "$D/app.yml"
	assert_success
	[ "$(jobs_in nsd new cat.example.org)" = 1 ]
	start_runner zone-write-nsd -c "$D/app.yml"
	wait_for 10 count_is nsd new 0
	grep -q 'PTR	b\.example\.$' "$NSD_DIR/zones/cat.example.org.db"
	[ "$(soa_serial cat.example.org)" -gt "$serial" ]
	run reconcile -c "$D/app.yml" -n
	assert_success
	# A push of a zone named like the catalog is refused for good.
	push save cat.example.org 2024050501
	wait_for 10 failed nsd cat.example.org
	grep -q "is the catalog zone of backend nsd" "$D"/spool/nsd/fail/*cat.example.org.reason
	stop_runner
	runner_clean
	# Renamed, the former catalog goes; without one, the last goes too.
	sed -i 's/catalog_zone: cat.example.org/catalog_zone: cat2.example.org/' "$D/app.yml"
	start_runner zone-write-nsd -c "$D/app.yml"
	wait_for 10 served cat.example.org REFUSED
	grep -q 'PTR	b\.example\.$' "$NSD_DIR/zones/cat2.example.org.db"
	stop_runner
	runner_clean
	sed -i '/catalog_zone:/d' "$D/app.yml"
	start_runner zone-write-nsd -c "$D/app.yml"
	wait_for 10 served cat2.example.org REFUSED
	grep -q "dropped the catalog zone, no longer configured" "$D/run.log"
	stop_runner
	runner_clean
}

@test "zone-write-bind: zones added before the secondaries were named get them, and the catalog lists them" {
	bind_primary
	# The same app.yml without its secondaries first.
	sed '/secondaries:/,$d' "$D/app.yml" >"$D/app0.yml"
	ZONE_TEXT=da_zone
	da_zone old.example 2024060601 | queue-push -c "$D/app0.yml" save old.example >/dev/null
	start_runner zone-write-bind -c "$D/app0.yml"
	wait_for 10 count_is bind new 0
	stop_runner
	runner_clean
	start_runner zone-write-bind -c "$D/app.yml"
	grep -q "secondaries: 1 zones given the new options" "$D/run.log"
	secondary_start "$D/sec" "$NAMED_PORT" "$KEY" hmac-sha256 "$SECRET"
	wait_for 20 sec_has old.example 2024060601 ||
	    { cat "$D/sec/named.log" "$D/run.log" >&2; false; }
	run rndc -c "$RNDC_CONF" showzone old.example
	assert_output --partial "also-notify { 127.0.0.1 port $SEC_PORT key \"$KEY\"; };"
	stop_runner
	runner_clean
}

@test "zone-write-nsd: an NSD that does not include the secondaries' patterns is warned about, and zones are still served" {
	nsd_start "$D/nsd"
	write_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl" \
	    "secondaries:" "  - address: 127.0.0.1@53")"
	export DADNS_CONFIG=$D/app.yml
	start_runner zone-write-nsd -c "$D/app.yml"
	grep -q "warning: NSD does not read $NSD_DIR/zones/DADNS-NSD.conf, which holds the patterns da and da-long with the secondaries of dns.backends.nsd: they get no NOTIFY and no transfer; include it from $NSD_CONF (include: \"$NSD_DIR/zones/DADNS-NSD\*.conf\")" "$D/run.log"
	push save c.example 2024070701
	wait_for 10 served c.example 2024070701
	stop_runner
	runner_clean
}
