#!/usr/bin/env bats
# zone-write-mysql.bats -- the CoreDNS-MySQL writer against two private
# MariaDB servers on loopback (own datadirs and sockets, a real user with a
# password; started once for the file, stopped by PID): rows as the plugin
# reads them, updates, deletes, schema checks, the queue runner, one
# database stopped while the other keeps going, bad input.

load helper
load helper-mariadb
load helper-writer

WRITER=zone-write-mysql
QUEUE=coredns_a

PW='Zw-m.Secret_7'

# server_start a|b [MARIADBD_OPTION...]: this file's server a or b in
# $BATS_FILE_TMPDIR, on a free port of 127.0.0.1; prints "PID PORT".
server_start() {
	local port pid
	port=$(free_port)
	pid=$(mdb_start "$BATS_FILE_TMPDIR/$1" --port="$port" \
	    --bind-address=127.0.0.1 --skip-name-resolve "${@:2}") || return 1
	echo "$pid $port"
}

setup_file() {
	local a b d=$BATS_FILE_TMPDIR
	# Server A speaks TLS too: a CA and a certificate for 127.0.0.1.
	mkdir -p "$d/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
	    -keyout "$d/tls/ca.key" -out "$d/tls/ca.pem" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout "$d/tls/server.key" -out "$d/tls/server.csr" >/dev/null 2>&1
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/tls/ext"
	openssl x509 -req -in "$d/tls/server.csr" -CA "$d/tls/ca.pem" \
	    -CAkey "$d/tls/ca.key" -CAcreateserial -days 2 \
	    -extfile "$d/tls/ext" -out "$d/tls/server.pem" >/dev/null 2>&1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	    -keyout "$d/tls/other.key" -out "$d/tls/other.pem" >/dev/null 2>&1
	a=$(server_start a --ssl-ca="$d/tls/ca.pem" --ssl-cert="$d/tls/server.pem" \
	    --ssl-key="$d/tls/server.key") || return 1
	b=$(server_start b) || return 1
	export MA_PID=${a% *} MA_PORT=${a#* } MB_PORT=${b#* }
	export MA_SOCK=$d/a/sock MB_SOCK=$d/b/sock
	# Server B is stopped and restarted by a test: its PID lives here.
	echo "${b% *}" >"$d/mb.pid"
	for s in "$MA_SOCK" "$MB_SOCK"; do
		mariadb --no-defaults -S "$s" -uroot -e "
		    CREATE USER 'dadns'@'localhost' IDENTIFIED BY '$PW';
		    CREATE USER 'dadns'@'127.0.0.1' IDENTIFIED BY '$PW';
		    GRANT ALL ON \`t\\_%\`.* TO 'dadns'@'localhost';
		    GRANT ALL ON \`t\\_%\`.* TO 'dadns'@'127.0.0.1';" || return 1
	done
}

teardown_file() {
	mdb_stop "${MA_PID:-}"
	mdb_stop "$(cat "$BATS_FILE_TMPDIR/mb.pid" 2>/dev/null)"
}

setup() {
	D=$BATS_TEST_TMPDIR
	DB=t_$BATS_TEST_NUMBER
	MB_PID=$(cat "$BATS_FILE_TMPDIR/mb.pid")
	SVSCAN_PID=
	DB= sql_a "CREATE DATABASE $DB"
	DB= sql_b "CREATE DATABASE $DB"
	mysql_config
	export DADNS_CONFIG=$D/app.yml
	RUNNER_PIDS=
}

teardown() {
	local p b
	for p in $RUNNER_PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "${SVSCAN_PID:-}" ]; then
		s6-svscanctl -t "$D/scan" 2>/dev/null || kill "$SVSCAN_PID"
		wait "$SVSCAN_PID" 2>/dev/null || true
	fi
	# A test that stopped server B and failed leaves it down: restart it
	# for the next tests.
	if ! kill -0 "$(cat "$BATS_FILE_TMPDIR/mb.pid")" 2>/dev/null; then
		b=$(server_start b) && echo "${b% *}" >"$BATS_FILE_TMPDIR/mb.pid"
	fi
}

# mysql_config: app.yml with coredns_a on server A over TCP and coredns_b
# on server B over its unix socket, both the test's database.
mysql_config() {
	write_config
	cat >>"$D/app.yml" <<-YML
	dns:
	  backends:
	    coredns_a:
	      type: coredns_mysql
	      enabled: true
	      host: 127.0.0.1
	      port: $MA_PORT
	      database: $DB
	      username: dadns
	      password: "$PW"
	    coredns_b:
	      type: coredns_mysql
	      enabled: true
	      socket: $MB_SOCK
	      database: $DB
	      username: dadns
	      password_file: $D/pw
	YML
	printf '%s\n' "$PW" >"$D/pw"
}

sql_a() {
	mariadb --no-defaults -S "$MA_SOCK" -uroot -N -B ${DB:+"$DB"} -e "$1"
}

sql_b() {
	mariadb --no-defaults -S "$MB_SOCK" -uroot -N -B ${DB:+"$DB"} -e "$1"
}

# rows_a ZONE: the zone's rows on A as the plugin reads them, sorted:
# hostname, type, ttl, data (online rows only).
rows_a() {
	sql_a "SELECT r.hostname, r.type, r.ttl, r.data FROM records r JOIN
	    zones z ON z.id = r.zone_id WHERE z.zone_name = '$1' AND
	    r.online <> 0 ORDER BY BINARY r.hostname, BINARY r.type,
	    BINARY r.data" | sed 's/\\\\/\\/g'
}

# soa_a ZONE: the SOA serial in A's rows, or nothing.
soa_a() {
	sql_a "SELECT r.data FROM records r JOIN zones z ON z.id = r.zone_id
	    WHERE z.zone_name = '$1.' AND r.type = 'SOA'" | awk '{print $3}'
}

soa_b() {
	sql_b "SELECT r.data FROM records r JOIN zones z ON z.id = r.zone_id
	    WHERE z.zone_name = '$1.' AND r.type = 'SOA'" | awk '{print $3}'
}

zones_b() {
	sql_b "SELECT COUNT(*) FROM zones"
}

# zwm ARGS...: zone-write-mysql for backend coredns_a.
zwm() {
	zone-write-mysql -b coredns_a "$@"
}

# backend_runner BACKEND: zone-write-mysql run for BACKEND through
# start_runner, its stderr in $D/BACKEND.log; sets RUNNER_BACKEND.
backend_runner() {
	RUNNER_LOG=$D/$1.log start_runner zone-write-mysql -v -b "$1"
	eval "RUNNER_$1=$RUNNER_PID"
}

# A zone with every record type DirectAdmin emits.
full_zone() {
	local dkim1 dkim2
	dkim1=$(printf 'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA%0190d' 7)
	dkim2=$(printf 'QIDAQAB%0100d' 3)
	cat <<-ZONE
	\$TTL 3600
	@	IN	SOA	ns1.example.net. hostmaster.example.com. (
				2024061501 3600 3600 1209600 86400 )
	example.com.	3600	IN	NS	ns1.example.net.
	example.com.	3600	IN	NS	ns2.example.net.
	example.com.	3600	IN	A	192.0.2.10
	example.com.	3600	IN	AAAA	2001:db8::10
	mail	3600	IN	A	192.0.2.25
	Www	3600	IN	CNAME	example.com.
	ftp	3600	IN	CNAME	@
	example.com.	3600	IN	MX	10 mail
	example.com.	3600	IN	MX	20 mx2.example.net.
	example.com.	3600	IN	TXT	"v=spf1 a mx ip4:192.0.2.10 ~all"
	_dmarc	3600	IN	TXT	"v=DMARC1; p=none; rua=mailto:d@example.com"
	x._domainkey	3600	IN	TXT	( "$dkim1"
		"$dkim2" )
	_sip._tcp	3600	IN	SRV	10 60 5060 sip
	sip	300	IN	A	192.0.2.60
	example.com.	3600	IN	CAA	0 issue "letsencrypt.org"
	example.com.	3600	IN	CAA	0 iodef "mailto:security@example.com"
	*	600	IN	A	192.0.2.99
	ZONE
}

@test "zone-write-mysql: -h prints the usage that README.md documents" {
	usage_documented
}

@test "zone-write-mysql: wrong usage exits 100 with the usage line" {
	run --separate-stderr zone-write-mysql frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-mysql: usage: "* ]]
	run --separate-stderr zone-write-mysql save
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-mysql -b coredns_a run extra
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-mysql -x run
	[ "$status" -eq 100 ]
}

@test "zone-write-mysql: save writes every DirectAdmin record type as the rows the plugin reads" {
	run --separate-stderr zwm save example.com < <(full_zone)
	assert_success
	[[ "$stderr" == *"applied zone=example.com serial=2024061501 action=save"* ]]
	[ "$(sql_a "SELECT zone_name FROM zones")" = "example.com." ]
	dkim=$(printf '"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA%0190d" "QIDAQAB%0100d"' 7 3)
	run rows_a example.com.
	assert_output "$(printf '%s\n' \
	    '*	A	600	192.0.2.99' \
	    '@	A	3600	192.0.2.10' \
	    '@	AAAA	3600	2001:db8::10' \
	    '@	CAA	3600	0 iodef "mailto:security@example.com"' \
	    '@	CAA	3600	0 issue "letsencrypt.org"' \
	    '@	MX	3600	10 mail.example.com.' \
	    '@	MX	3600	20 mx2.example.net.' \
	    '@	NS	3600	ns1.example.net.' \
	    '@	NS	3600	ns2.example.net.' \
	    '@	SOA	3600	ns1.example.net. hostmaster.example.com. 2024061501 3600 3600 1209600 86400' \
	    '@	TXT	3600	"v=spf1 a mx ip4:192.0.2.10 ~all"' \
	    '_dmarc	TXT	3600	"v=DMARC1; p=none; rua=mailto:d@example.com"' \
	    '_sip._tcp	SRV	3600	10 60 5060 sip.example.com.' \
	    'ftp	CNAME	3600	example.com.' \
	    'mail	A	3600	192.0.2.25' \
	    'sip	A	300	192.0.2.60' \
	    'www	CNAME	3600	example.com.' \
	    "x._domainkey	TXT	3600	$dkim")"
	# Every row is online; the plugin's own lookup finds the MX.
	[ "$(sql_a "SELECT COUNT(*) FROM records WHERE online = 0")" = 0 ]
	run sql_a "SELECT data FROM records WHERE online != 0 and zone_id =
	    (SELECT id FROM zones WHERE zone_name = 'example.com.') and
	    hostname = '@' and type = 'MX' ORDER BY data"
	assert_output "$(printf '10 mail.example.com.\n20 mx2.example.net.')"
}

@test "zone-write-mysql: a reverse zone's PTR records and the zone name are stored as the plugin matches them" {
	run --separate-stderr zwm save 2.0.192.IN-ADDR.ARPA. < <(printf '%s\n' \
	    '$TTL 300' \
	    '@ IN SOA ns1.example.net. hostmaster.example.com. 5 3600 600 86400 300' \
	    '@ IN NS ns1.example.net.' \
	    '10 IN PTR www.example.com.' \
	    '25 IN PTR mail')
	assert_success
	[ "$(sql_a "SELECT zone_name FROM zones")" = "2.0.192.in-addr.arpa." ]
	run rows_a 2.0.192.in-addr.arpa.
	assert_line "10	PTR	300	www.example.com."
	assert_line "25	PTR	300	mail.2.0.192.in-addr.arpa."
}

@test "zone-write-mysql: the schema it creates is etc/coredns_mysql.sql's" {
	zwm -q save example.com < <(da_zone example.com 1)
	DB= sql_a "CREATE DATABASE ${DB}_ref"
	mariadb --no-defaults -S "$MA_SOCK" -uroot "${DB}_ref" <"$TOP/etc/coredns_mysql.sql"
	for t in zones records; do
		a=$(sql_a "SHOW CREATE TABLE $t" | sed 's/ AUTO_INCREMENT=[0-9]*//')
		b=$(DB=${DB}_ref sql_a "SHOW CREATE TABLE $t" | sed 's/ AUTO_INCREMENT=[0-9]*//')
		[ "$a" = "$b" ]
	done
	[[ "$(sql_a "SHOW CREATE TABLE records")" == *"KEY \`idx_lookup\` (\`zone_id\`,\`hostname\`,\`type\`,\`online\`)"* ]]
	# And it writes into that schema when it was made by the SQL file.
	DB=${DB}_ref
	mysql_config
	run --separate-stderr zwm save example.com < <(da_zone example.com 2)
	assert_success
	[ "$(soa_a example.com)" = 2 ]
}

@test "zone-write-mysql: an update changes only the rows that differ, in place where it can" {
	zwm -q save example.com < <(full_zone)
	before=$(sql_a "SELECT id, hostname, type, data FROM records WHERE hostname = 'mail'")
	id_www=$(sql_a "SELECT id FROM records WHERE hostname = 'www'")
	full_zone | sed -e 's/2024061501/2024061502/' -e '/_dmarc/d' \
	    -e 's/^sip\t300/sip\t900/' -e 's/^\*\t600\tIN\tA\t192.0.2.99/*\t600\tIN\tA\t192.0.2.98/' \
	    >"$D/z2"
	run --separate-stderr zone-write-mysql -v -b coredns_a save example.com <"$D/z2"
	assert_success
	[[ "$stderr" == *"rows inserted=2 updated=1 deleted=3 kept=14"* ]]
	[ "$(sql_a "SELECT id, hostname, type, data FROM records WHERE hostname = 'mail'")" = "$before" ]
	[ "$(sql_a "SELECT id FROM records WHERE hostname = 'www'")" = "$id_www" ]
	[ "$(sql_a "SELECT ttl FROM records WHERE hostname = 'sip'")" = 900 ]
	[ "$(sql_a "SELECT COUNT(*) FROM records WHERE hostname = '_dmarc'")" = 0 ]
	[ "$(sql_a "SELECT data FROM records WHERE hostname = '*'")" = 192.0.2.98 ]
	[ "$(soa_a example.com)" = 2024061502 ]
	# Rows hidden or duplicated by someone else are repaired.
	sql_a "UPDATE records SET online = 0 WHERE hostname = 'mail';
	    INSERT INTO records (zone_id, hostname, type, data, ttl, online)
	    SELECT zone_id, hostname, type, data, ttl, 1 FROM records WHERE hostname = 'www';
	    INSERT INTO records (zone_id, hostname, type, data, ttl, online)
	    SELECT zone_id, 'stale', 'A', '192.0.2.1', 60, 1 FROM records WHERE hostname = 'www'"
	run --separate-stderr zwm save example.com <"$D/z2"
	assert_success
	[ "$(sql_a "SELECT online FROM records WHERE hostname = 'mail'")" = 1 ]
	[ "$(sql_a "SELECT COUNT(*) FROM records WHERE hostname = 'www'")" = 1 ]
	[ "$(sql_a "SELECT COUNT(*) FROM records WHERE hostname = 'stale'")" = 0 ]
	[ "$(sql_a "SELECT COUNT(*) FROM records")" = 17 ]
}

@test "zone-write-mysql: delete removes the zone and its records; an absent zone is fine" {
	zwm -q save example.com < <(da_zone example.com 1)
	zwm -q save other.example < <(da_zone other.example 1)
	run --separate-stderr zwm delete example.com
	assert_success
	[[ "$stderr" == *"applied zone=example.com action=delete"* ]]
	[ "$(sql_a "SELECT zone_name FROM zones")" = "other.example." ]
	[ "$(sql_a "SELECT COUNT(*) FROM records r LEFT JOIN zones z ON z.id = r.zone_id WHERE z.id IS NULL")" = 0 ]
	[ "$(sql_a "SELECT COUNT(*) FROM records")" = 9 ]
	run --separate-stderr zwm delete example.com
	assert_success
	run --separate-stderr zwm delete never.example
	assert_success
}

@test "zone-write-mysql: invalid zone text exits 100 and leaves the stored zone as it was" {
	zwm -q save example.com < <(da_zone example.com 7)
	before=$(rows_a example.com.)
	run --separate-stderr zwm save example.com < <(da_zone example.com 8 | sed 's/192\.0\.2\.10/192.0.2.999/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"invalid zone data for example.com: line "*"192.0.2.999"* ]]
	[ "$(rows_a example.com.)" = "$before" ]
	run --separate-stderr zwm save new.example < <(printf 'www 300 IN A 192.0.2.1\n')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no SOA"* ]]
	run --separate-stderr zwm save example.com < <(da_zone example.com 9; printf 'www2 300 IN HTTPS 1 . alpn=h2\n')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"record type HTTPS at www2.example.com. is not supported by the CoreDNS mysql plugin"* ]]
	[ "$(soa_a example.com)" = 7 ]
	[ "$(sql_a "SELECT COUNT(*) FROM zones")" = 1 ]
}

@test "zone-write-mysql: names and texts that try SQL or path tricks are refused or stored inertly" {
	for z in "../etc" "x'; DROP TABLE zones; --" "a/b.example" "ex ample.com" '`x`.example'; do
		run --separate-stderr zwm save "$z" < <(da_zone example.com 1)
		[ "$status" -eq 100 ]
		[[ "$stderr" == *"invalid zone name"* ]]
		run --separate-stderr zwm delete "$z"
		[ "$status" -eq 100 ]
	done
	run --separate-stderr zwm save example.com < <(da_zone example.com 3; printf '%s\n' \
	    "t 300 IN TXT \"'); DROP TABLE records; --\"" \
	    "x'y 300 IN A 192.0.2.1" \
	    'q 300 IN TXT "a\"b\\c"' \
	    'sp\032ace 300 IN A 192.0.2.2')
	assert_success
	run rows_a example.com.
	assert_line "t	TXT	300	\"'); DROP TABLE records; --\""
	assert_line "x'y	A	300	192.0.2.1"
	assert_line 'q	TXT	300	"a\"b\\c"'
	assert_line 'sp\032ace	A	300	192.0.2.2'
	[ "$(sql_a "SHOW TABLES" | sort | tr '\n' ' ')" = "records zones " ]
}

@test "zone-write-mysql: a database with a foreign schema is refused clearly, one-shot and run" {
	sql_a "CREATE TABLE zones (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255));
	    CREATE TABLE records (id INT AUTO_INCREMENT PRIMARY KEY, zone VARCHAR(255),
	    name VARCHAR(255), ttl INT, content TEXT, record_type VARCHAR(10))"
	run --separate-stderr zwm save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"does not hold the CoreDNS mysql plugin's schema (etc/coredns_mysql.sql): table zones has no column zone_name"* ]]
	[ "$(sql_a "SELECT COUNT(*) FROM zones")" = 0 ]
	push save example.com 1
	run --separate-stderr zone-write-mysql -b coredns_a -d 3 run 3>/dev/null
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no column zone_name"* ]]
	[ "$(jobs_in coredns_a new)" = 1 ]
	# MyISAM cannot keep a zone's rows in one transaction.
	sql_b "CREATE TABLE zones (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	    zone_name VARCHAR(255) NOT NULL UNIQUE) ENGINE=MyISAM"
	run --separate-stderr zone-write-mysql -b coredns_b save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"table zones uses the MyISAM engine"* ]]
}

@test "zone-write-mysql: columns too narrow or a NOT NULL column without default are refused" {
	sql_a "CREATE TABLE zones (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	    zone_name VARCHAR(255) NOT NULL UNIQUE, managed_by VARCHAR(32) NOT NULL)"
	run --separate-stderr zwm save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"column zones.managed_by is NOT NULL without a default"* ]]
	sql_a "ALTER TABLE zones MODIFY managed_by VARCHAR(32) NOT NULL DEFAULT 'directadmin'"
	sql_a "CREATE TABLE records (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	    zone_id INT NOT NULL, hostname VARCHAR(512) NOT NULL, type VARCHAR(10) NOT NULL,
	    data VARCHAR(100) NOT NULL, ttl INT NOT NULL, online TINYINT NOT NULL DEFAULT 0)"
	run --separate-stderr zwm save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"column records.data holds 100 characters, fewer than 255"* ]]
	# Extra columns with defaults and other integer types are fine.
	sql_a "ALTER TABLE records MODIFY data VARCHAR(300) NOT NULL"
	run --separate-stderr zwm save example.com < <(da_zone example.com 1)
	assert_success
	[ "$(sql_a "SELECT managed_by FROM zones")" = directadmin ]
	run --separate-stderr zwm save example.com < <(da_zone example.com 2; printf 't 300 IN TXT "%0150d" "%0150d"\n' 1 2)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"does not fit the data column (300)"* ]]
	[ "$(soa_a example.com)" = 1 ]
}

@test "zone-write-mysql: a wrong password is a temporary failure and no password is ever logged" {
	sed -i "s/password: \"$PW\"/password: \"not-$PW\"/" "$D/app.yml"
	run --separate-stderr zwm -v save example.com < <(da_zone example.com 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"Access denied for user 'dadns'"* ]]
	[[ "$stderr" != *"$PW"* ]]
	mysql_config
	run --separate-stderr zone-write-mysql -v -b coredns_b save example.com < <(da_zone example.com 1)
	assert_success
	[[ "$stderr" != *"$PW"* ]]
	push save a.example 1
	backend_runner coredns_b
	wait_for 10 count_is coredns_b new 0
	! grep -qF -- "$PW" "$D/coredns_b.log"
}

@test "zone-write-mysql: TLS with the server's CA works, a wrong CA is refused" {
	cat >>"$D/app.yml" <<-YML
	    coredns_tls:
	      type: coredns_mysql
	      host: 127.0.0.1
	      port: $MA_PORT
	      database: $DB
	      username: dadns
	      password: "$PW"
	      tls: true
	      tls_ca: $BATS_FILE_TMPDIR/tls/ca.pem
	YML
	run --separate-stderr zone-write-mysql -b coredns_tls save example.com < <(da_zone example.com 4)
	assert_success
	[ "$(soa_a example.com)" = 4 ]
	sed -i "s|tls/ca.pem|tls/other.pem|" "$D/app.yml"
	run --separate-stderr zone-write-mysql -b coredns_tls save example.com < <(da_zone example.com 5)
	[ "$status" -eq 111 ]
	[ "$(soa_a example.com)" = 4 ]
}

@test "zone-write-mysql: run applies queued jobs, only the newest of a zone, and records them in the store" {
	push save a.example 1
	push save a.example 2
	push save a.example 3
	push save b.example 10
	push save c.example 1
	push delete c.example
	backend_runner coredns_a
	wait_for 10 count_is coredns_a new 0
	[ "$(soa_a a.example)" = 3 ]
	[ "$(soa_a b.example)" = 10 ]
	[ "$(sql_a "SELECT COUNT(*) FROM zones WHERE zone_name = 'c.example.'")" = 0 ]
	[ "$(grep -c 'applied zone=a.example' "$D/coredns_a.log")" = 1 ]
	[ "$(jobs_in coredns_a fail)" = 0 ]
	run sqlite3 "$D/store.db" "SELECT backend, name, hash <> '' FROM applied WHERE backend = 'coredns_a' ORDER BY name"
	assert_output "$(printf 'coredns_a|a.example|1\ncoredns_a|b.example|1\ncoredns_a|c.example|0')"
	# Later pushes wake it through the trigger.
	push save a.example 4
	wait_for 10 test "$(soa_a a.example)" = 4
}

@test "zone-write-mysql: with two databases, one stopped, the other keeps going and the stopped one catches up" {
	export DADNS_RETRY_SCHEDULE=1,1
	for i in $(seq 1 20); do push save "z$i.example" "$i"; done
	backend_runner coredns_a
	backend_runner coredns_b
	wait_for 20 count_is coredns_a new 0
	wait_for 20 count_is coredns_b new 0
	[ "$(zones_b)" = 20 ]
	mdb_stop "$MB_PID"
	for i in $(seq 1 20); do push save "z$i.example" "$((i + 100))"; done
	for i in $(seq 21 60); do push save "z$i.example" "$i"; done
	push delete z1.example
	wait_for 20 count_is coredns_a new 0
	[ "$(sql_a "SELECT COUNT(*) FROM zones")" = 59 ]
	[ "$(soa_a z2.example)" = 102 ]
	# B's queue waits, whatever the retry schedule says.
	wait_for 10 grep -q 'unreachable, holding the queue' "$D/coredns_b.log"
	sleep 3
	[ "$(jobs_in coredns_b new)" -ge 60 ]
	[ "$(jobs_in coredns_b fail)" = 0 ]
	[ "$(jobs_in coredns_a fail)" = 0 ]
	b=$(server_start b) || fail "server B did not restart"
	MB_PID=${b% *}
	echo "$MB_PID" >"$BATS_FILE_TMPDIR/mb.pid"
	wait_for 30 count_is coredns_b new 0
	[ "$(zones_b)" = 59 ]
	[ "$(soa_b z2.example)" = 102 ]
	[ "$(soa_b z60.example)" = 60 ]
	[ -z "$(soa_b z1.example)" ]
	[ "$(jobs_in coredns_b fail)" = 0 ]
	grep -q 'answers again' "$D/coredns_b.log"
}

@test "zone-write-mysql: concurrent pushes of one zone end in the newest text" {
	local pids=() p
	backend_runner coredns_a
	for i in $(seq 1 12); do
		queue-push -b coredns_a save busy.example < <(da_zone busy.example "$i") >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	wait_for 10 count_is coredns_a new 0
	newest=$(sqlite3 "$D/store.db" "SELECT serial FROM zones WHERE name = 'busy.example'")
	wait_for 10 test "$(soa_a busy.example)" = "$newest"
	[ "$(sql_a "SELECT COUNT(*) FROM records")" = 9 ]
	# Two writers on one zone at once: one whole text wins, no mixture.
	pids=()
	for i in 1 2 3 4 5 6; do
		zwm -q save race.example < <(da_zone race.example "$i"; printf 'w%d 300 IN A 192.0.2.%d\n' "$i" "$i") &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(sql_a "SELECT COUNT(*) FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.zone_name = 'race.example.'")" = 10 ]
	s=$(soa_a race.example)
	[ "$(sql_a "SELECT hostname FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.zone_name = 'race.example.' AND hostname LIKE 'w_'")" = "w$s" ]
}

@test "zone-write-mysql: SIGTERM stops a runner waiting for its database with 0" {
	sed -i "s|socket: $MB_SOCK|socket: $D/nobody.sock|" "$D/app.yml"
	push save a.example 1
	backend_runner coredns_b
	wait_for 10 grep -q 'unreachable, holding the queue' "$D/coredns_b.log"
	kill "$RUNNER_coredns_b"
	wait "$RUNNER_coredns_b"
	RUNNER_PIDS=
	grep -q 'stopped' "$D/coredns_b.log"
	[ "$(jobs_in coredns_b new)" = 1 ]
	[ "$(jobs_in coredns_b fail)" = 0 ]
}

@test "zone-write-mysql: an unreachable database is exit 111 for one-shot" {
	sed -i "s|port: $MA_PORT|port: $(free_port)|" "$D/app.yml"
	run --separate-stderr zwm save example.com < <(da_zone example.com 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"unable to connect to 127.0.0.1 port"* ]]
}

@test "zone-write-mysql: a bad config exits 100 naming the key" {
	printf 'dns: {backends: {coredns_x: {type: coredns_mysql, enabled: true, tls_cert: /c.pem}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-mysql -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns.backends.coredns_x.tls_cert"* ]]
	run --separate-stderr zone-write-mysql -b nosuch delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no backend named nosuch"* ]]
	run --separate-stderr zone-write-mysql delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"several enabled coredns_mysql backends"* ]]
}

@test "zone-write-mysql: a spool other users may write makes run exit 100" {
	push save example.com 7
	unsafe_spool_refused g -b coredns_a
	# Safe modes again: the queue is applied.
	backend_runner coredns_a
	wait_for 10 count_is coredns_a new 0
	[ "$(soa_a example.com)" = 7 ]
}

@test "zone-write-mysql: the s6 service, one copy per database, takes its backend from its name or env/" {
	mkdir -p "$D/scan"
	cp -R "$TOP/service/zone-write-mysql" "$D/scan/zone-write-mysql-coredns_a"
	cp -R "$TOP/service/zone-write-mysql" "$D/scan/dc-b"
	mkdir -p "$D/scan/dc-b/env"
	printf 'coredns_b\n' >"$D/scan/dc-b/env/BACKEND"
	push save svc.example 5
	setsid s6-svscan "$D/scan" </dev/null >"$D/svscan.log" 2>&1 &
	SVSCAN_PID=$!
	wait_for 10 test -e "$D/scan/dc-b/supervise/status" -a \
	    -e "$D/scan/zone-write-mysql-coredns_a/supervise/status"
	s6-svwait -t 20000 -U "$D/scan/zone-write-mysql-coredns_a" "$D/scan/dc-b" ||
	    fail "services not ready"
	wait_for 20 test "$(soa_a svc.example)" = 5
	wait_for 20 test "$(soa_b svc.example)" = 5
	# Exit 100 (a foreign schema) makes finish stop the service.
	sql_b "DROP TABLE records; DROP TABLE zones; CREATE TABLE zones (id INT PRIMARY KEY)"
	s6-svc -r "$D/scan/dc-b"
	wait_for 20 sh -c "s6-svstat '$D/scan/dc-b' | grep -q '^down'"
	sleep 1
	s6-svstat "$D/scan/dc-b" | grep -q '^down'
	s6-svscanctl -t "$D/scan"
	wait "$SVSCAN_PID" || true
	SVSCAN_PID=
	grep -q "does not hold the CoreDNS mysql plugin's schema" "$D/scan/dc-b/log/main/current"
	grep -q 'running queue=coredns_a' "$D/scan/zone-write-mysql-coredns_a/log/main/current"
}

@test "zone-write-mysql: zone text to rows passes its unit checks" {
	[ -x "$TOP/t/unit/coredns" ] || skip "t/unit/coredns not built (make)"
	run --separate-stderr "$TOP/t/unit/coredns"
	assert_success
	assert_output "ok"
}
