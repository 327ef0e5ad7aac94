#!/usr/bin/env bats
# image.bats -- the container image booted as a container (make test-image)

load image

@test "image: NSD node with DADNS_* variables only: login test, rawsave, served, delete" {
	netns nsd
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true
	ct_ready
	run da_login
	assert_output --partial 'error=0'
	run da_save example.com 2024010101
	assert_output --partial 'error=0'
	wait_for 20 served example.com 2024010101
	run in_ns dig +norec +short @127.0.0.1 www.example.com A
	assert_output 192.0.2.10
	run da_exists example.com
	assert_output --partial 'exists=1'
	run da_delete example.com
	assert_output --partial 'error=0'
	wait_for 20 served example.com REFUSED
	run da_exists example.com
	assert_output --partial 'exists=0'
}

@test "image: SIGTERM to PID 1 exits within 10 s and a restart keeps every zone" {
	netns restart
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true
	ct_ready
	for z in one.example two.example three.example; do
		run da_save "$z" 2024010101
		assert_output --partial 'error=0'
	done
	for z in one.example two.example three.example; do
		wait_for 20 served "$z" 2024010101
	done
	run ct_stop
	assert_success
	run served one.example 2024010101
	assert_failure
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true
	ct_ready
	for z in one.example two.example three.example; do
		wait_for 20 served "$z" 2024010101
	done
	run da_exists two.example
	assert_output --partial 'exists=1'
	[ -s "$BATS_TEST_TMPDIR/a/data/directdnsonly.db" ]
}

@test "image: directdnsonly's app.yml with nsd_conf /etc/nsd/nsd.conf.d/zones.conf" {
	netns zonesconf
	mkdir -p "$BATS_TEST_TMPDIR/a/config"
	cat >"$BATS_TEST_TMPDIR/a/config/app.yml" <<-YML
	log_level: INFO
	queue_location: ./data/queues
	datastore:
	  type: sqlite
	  db_location: ./data/directdnsonly.db
	app:
	  auth_username: directdnsonly
	  auth_password: $DA_PASSWORD
	dns:
	  default_backend: nsd
	  backends:
	    nsd:
	      type: nsd
	      enabled: true
	      zones_dir: /etc/nsd/zones
	      nsd_conf: /etc/nsd/nsd.conf.d/zones.conf
	YML
	ct_start a
	ct_ready
	run da_save example.org 2024020202
	assert_output --partial 'error=0'
	wait_for 20 served example.org 2024020202
	[ -d "$BATS_TEST_TMPDIR/a/data/queues/nsd/new" ]
	[ -s "$BATS_TEST_TMPDIR/a/data/zones/nsd/example.org.db" ]
	run ct_exec grep -c "control-interface" /etc/nsd/nsd.conf.d/zones.conf
	assert_output 1
}

@test "image: the HEALTHCHECK command answers once da-receive is up" {
	netns health
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true DADNS_APP_LISTEN_PORT=2345
	ct_ready 2345
	run ct_exec /usr/lib/dadns/health
	assert_success
}

@test "image: no password configured: da-receive refuses to start and stays down" {
	netns nopass
	ct_start a DADNS_DNS_BACKENDS_NSD_ENABLED=true
	wait_for 20 grep -q 'da-receive: fatal' "$BATS_TEST_TMPDIR/a/log"
	wait_for 20 ct_exec sh -c 's6-svstat /run/dadns/scan/da-receive | grep -q "^down (exitcode 100).*ready"'
	run ct_exec s6-svstat -o up,wantedup /run/dadns/scan/da-receive
	assert_output 'false false'
}

@test "image: BIND node with DADNS_* variables only: rawsave, served, delete, restart" {
	netns bind
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_BIND_ENABLED=true
	ct_ready
	run da_save example.com 2024030303
	assert_output --partial 'error=0'
	run da_save example.org 2024030303
	assert_output --partial 'error=0'
	wait_for 30 served example.com 2024030303
	wait_for 30 served example.org 2024030303
	run ct_exec s6-svstat -o up /run/dadns/scan/nsd
	assert_failure
	run da_delete example.org
	assert_output --partial 'error=0'
	wait_for 30 served example.org REFUSED
	run ct_stop
	assert_success
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_BIND_ENABLED=true
	ct_ready
	wait_for 30 served example.com 2024030303
	run served example.org REFUSED
	assert_success
}

@test "image: two CoreDNS-MySQL databases, no local DNS server: rows written in both" {
	netns mysql
	mkdir -p "$BATS_TEST_TMPDIR/a/config" "$BATS_TEST_TMPDIR/a/mysql"
	mdb_start "$BATS_TEST_TMPDIR/a/mysql"
	cat >"$BATS_TEST_TMPDIR/a/config/app.yml" <<-YML
	queue_location: ./data/queues
	datastore:
	  type: sqlite
	  db_location: ./data/directdnsonly.db
	app:
	  auth_username: directdnsonly
	  auth_password: $DA_PASSWORD
	dns:
	  backends:
	    coredns_dc1:
	      type: coredns_mysql
	      enabled: true
	      socket: /run/mysqld/mysqld.sock
	      database: coredns_dc1
	      username: coredns
	      password: $DA_PASSWORD
	    coredns_dc2:
	      type: coredns_mysql
	      enabled: true
	      socket: /run/mysqld/mysqld.sock
	      database: coredns_dc2
	      username: coredns
	      password: $DA_PASSWORD
	YML
	ct_start a
	ct_ready
	run da_save example.com 2024040404
	assert_output --partial 'error=0'
	wait_for 30 test "$(rows coredns_dc1 example.com)" = 5
	wait_for 30 test "$(rows coredns_dc2 example.com)" = 5
	run ct_exec s6-svstat -o up /run/dadns/scan/nsd
	assert_failure
	run ct_exec s6-svstat -o up /run/dadns/scan/named
	assert_failure
	run da_delete example.com
	assert_output --partial 'error=0'
	wait_for 30 test "$(rows coredns_dc1 example.com)" = 0
	wait_for 30 test "$(rows coredns_dc2 example.com)" = 0
}

@test "image: two NSD peers with peer sync: a zone pushed to one is served by the other" {
	netns peers
	local i
	for i in a b; do
		mkdir -p "$BATS_TEST_TMPDIR/$i/config"
		cat >"$BATS_TEST_TMPDIR/$i/config/app.yml" <<-YML
		app:
		  auth_username: directdnsonly
		  auth_password: $DA_PASSWORD
		  listen_port: $([ $i = a ] && echo 2222 || echo 2223)
		dns:
		  default_backend: nsd
		  backends:
		    nsd:
		      type: nsd
		      enabled: true
		      zones_dir: /etc/nsd/zones
		      nsd_conf: /etc/nsd/nsd.conf.d/zones.conf
		peer_sync:
		  enabled: true
		  interval_minutes: 15
		  auth_username: directdnsonly
		  auth_password: $DA_PASSWORD
		  peers:
		  - url: http://127.0.0.1:$([ $i = a ] && echo 2223 || echo 2222)
		    username: directdnsonly
		    password: $DA_PASSWORD
		YML
	done
	ct_start a
	ct_ready 2222
	run da_save example.com 2024050505
	assert_output --partial 'error=0'
	wait_for 20 served example.com 2024050505
	ct_start b DNS_PORT=5353
	ct_ready 2223
	wait_for 30 served example.com 2024050505 5353
	DA_PORT=2223 run da_exists example.com
	assert_output --partial 'exists=1'
}

@test "image: directdnsonly's /app/data is taken over in place at the first start" {
	netns takeover
	mkdir -p "$BATS_TEST_TMPDIR/a/data"
	sqlite3 "$BATS_TEST_TMPDIR/a/data/directdnsonly.db" \
	    <"$BATS_TEST_DIRNAME/../fixtures/peer-pull/directdnsonly.sql"
	da_zone example.com 2023111111 >"$BATS_TEST_TMPDIR/text"
	sqlite3 "$BATS_TEST_TMPDIR/a/data/directdnsonly.db" "INSERT INTO domains
	    (domain, hostname, username, zone_data, zone_updated_at) VALUES
	    ('example.com', 'da1.example.net', 'admin',
	    readfile('$BATS_TEST_TMPDIR/text'), '2023-11-11 11:11:11')"
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true
	ct_ready
	wait_for 20 served example.com 2023111111
	run da_exists example.com
	assert_output --partial 'exists=1'
	run sqlite3 "$BATS_TEST_TMPDIR/a/data/directdnsonly.db" \
	    "SELECT count(*) FROM domains"
	assert_output 1
}

@test "image: the dadns programs run as dadns, NSD as nsd, named as bind, none as root" {
	netns users
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=true
	ct_ready
	wait_for 20 sh -c "grep -q 'zone-write-nsd: info: running' '$BATS_TEST_TMPDIR/a/log'"
	run ct_users
	assert_line 'da-receive dadns'
	assert_line 'zone-write-nsd dadns'
	assert_line 'nsd: main nsd'
	refute_line 'da-receive root'
	refute_line 'zone-write-nsd root'
	refute_line --regexp '^nsd.* root$'
	run ct_stop
	assert_success
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD \
	    DADNS_DNS_BACKENDS_BIND_ENABLED=true
	ct_ready
	wait_for 20 sh -c "grep -q 'zone-write-bind: info: running' '$BATS_TEST_TMPDIR/a/log'"
	run ct_users
	assert_line 'zone-write-bind dadns'
	assert_line 'named bind'
	refute_line 'named root'
	refute_line 'zone-write-bind root'
}

@test "image: Knot node with DADNS_SERVER=knot only: rawsave, served, delete, restart, users" {
	netns knot
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD DADNS_SERVER=knot
	ct_ready
	run da_save example.com 2024040404
	assert_output --partial 'error=0'
	run da_save example.org 2024040404
	assert_output --partial 'error=0'
	wait_for 30 served example.com 2024040404
	wait_for 30 served example.org 2024040404
	run ct_exec s6-svstat -o up /run/dadns/scan/nsd
	assert_failure
	run da_delete example.org
	assert_output --partial 'error=0'
	wait_for 30 served example.org REFUSED
	run ct_users
	assert_line 'zone-write-knot dadns'
	assert_line 'knotd knot'
	refute_line 'knotd root'
	run ct_stop
	assert_success
	ct_start a DADNS_APP_AUTH_PASSWORD=$DA_PASSWORD DADNS_SERVER=knot
	ct_ready
	wait_for 30 served example.com 2024040404
	run served example.org REFUSED
	assert_success
}

@test "image: with secondaries, NSD includes zone-write-nsd's patterns and named its keys file" {
	netns secondaries
	for s in nsd bind; do
		mkdir -p "$BATS_TEST_TMPDIR/$s/config"
		cat >"$BATS_TEST_TMPDIR/$s/config/app.yml" <<-YML
		queue_location: ./data/queues
		datastore:
		  db_location: ./data/directdnsonly.db
		app:
		  auth_password: $DA_PASSWORD
		dns:
		  backends:
		    $s:
		      enabled: true
		      secondaries:
		        - address: 192.0.2.53
		          tsig_key: xfr.example
		          tsig_secret: c2VjcmV0LXNlY3JldC1zZWNyZXQ=
		YML
	done
	ct_start nsd
	ct_ready
	run ct_exec cat /etc/nsd/nsd.conf.d/dadns.conf
	assert_line 'include: "/etc/nsd/zones/DADNS-NSD*.conf"'
	refute_line --partial 'name: "da"'
	run da_save example.com 2024050505
	assert_output --partial 'error=0'
	wait_for 30 served example.com 2024050505
	run ct_exec grep -c 'provide-xfr: 192.0.2.53' /etc/nsd/zones/DADNS-NSD.conf
	[ "$output" -ge 1 ]
	run ct_stop
	assert_success
	ct_start bind
	ct_ready
	run ct_exec grep -c 'include "/etc/named/zones/DADNS-BIND.conf";' /etc/bind/named.conf
	assert_output 1
	run da_save example.org 2024050505
	assert_output --partial 'error=0'
	wait_for 30 served example.org 2024050505
	run ct_exec grep -c 'key "xfr.example"' /etc/named/zones/DADNS-BIND.conf
	assert_output 1
}
