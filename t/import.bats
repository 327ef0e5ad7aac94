#!/usr/bin/env bats
# import.bats -- import-directdnsonly: taking over a directdnsonly sqlite
# database (docs/directdnsonly.md §3.1) with owners and times, served by a
# real NSD through make run's script.

load helper

FIX=$BATS_TEST_DIRNAME/fixtures/peer-pull

setup() {
	D=$BATS_TEST_TMPDIR
	export DADNS_RUN_DIR=$D/run
	export DADNS_APP_LISTEN_PORT=$(free_port)
	export DADNS_NSD_PORT=$(free_port)
	export DADNS_APP_AUTH_PASSWORD=da-secret
	export DADNS_CONFIG=$DADNS_RUN_DIR/etc/app.yml
	NSD_PORT=$DADNS_NSD_PORT
	DA_URL=http://127.0.0.1:$DADNS_APP_LISTEN_PORT
	DA_PASSWORD=$DADNS_APP_AUTH_PASSWORD
	sqlite3 "$D/dd.db" <"$FIX/directdnsonly.sql"
}

teardown() {
	run_stop "$DADNS_RUN_DIR"
}

# row DOMAIN HOSTNAME USERNAME SERIAL|NULL [UPDATED_AT]: a row as
# directdnsonly leaves it (zone_data NULL when never written).
row() {
	local data=NULL when=NULL
	[ -z "${5:-}" ] || when="'$5'"
	if [ "$4" != NULL ]; then
		da_zone "$(printf %s "$1" | tr A-Z a-z)" "$4" >"$D/text"
		data="readfile('$D/text')"
	fi
	sqlite3 "$D/dd.db" "INSERT INTO domains(domain, hostname, username,
	    zone_data, zone_updated_at) VALUES ('$1', '$2', '$3', $data, $when)"
}

@test "import-directdnsonly: -h prints the usage on stdout and exits 0, wrong usage exits 100" {
	run --separate-stderr import-directdnsonly -h
	assert_success
	assert_line --index 0 "usage: import-directdnsonly [-V] [-c app.yml] [-n] [-b backend]... DB"
	run --separate-stderr import-directdnsonly
	assert_failure 100
	[[ $stderr == "import-directdnsonly: usage: "* ]]
	run --separate-stderr import-directdnsonly -x "$D/dd.db"
	assert_failure 100
}

@test "import-directdnsonly: takes over every zone with owners and times, NSD serves them, a rerun changes nothing" {
	row Example.COM DA1.example.net alice 2024010101 "2024-03-04 05:06:07.123456"
	row b.example da2.example.net bob 2024020202 "2024-03-05 00:00:00"
	row never.example da1.example.net carol NULL
	row notime.example da1.example.net dave 2024010101
	sqlite3 "$D/dd.db" "INSERT INTO domains(domain, hostname, username, zone_data)
	    VALUES ('bad.example', 'da1', 'x', 'no zone here'), ('../etc', 'da1', 'x', 'x')"
	run sh "$TOP/etc/run.sh" start
	assert_success

	run --separate-stderr import-directdnsonly -n "$D/dd.db"
	assert_failure 1
	assert_output "save example.com 2024010101
save b.example 2024020202
save notime.example 2024010101"
	run sqlite3 "$DADNS_RUN_DIR/data/dadns.db" "SELECT count(*) FROM zones"
	assert_output 0

	run --separate-stderr import-directdnsonly "$D/dd.db"
	assert_success
	assert_output ""
	[[ $stderr == *"imported 3 zone(s) from $D/dd.db: 0 already current, 1 without zone_data, 2 invalid"* ]]
	[[ $stderr == *"skipped zone bad.example: invalid zone_data"* ]]
	run sqlite3 "$DADNS_RUN_DIR/data/dadns.db" "SELECT name, hostname, username, serial, updated_us FROM zones WHERE name <> 'notime.example' ORDER BY name"
	assert_output "b.example|da2.example.net|bob|2024020202|1709596800000000
example.com|da1.example.net|alice|2024010101|1709528767123456"
	wait_for 20 served example.com 2024010101
	wait_for 20 served b.example 2024020202
	wait_for 20 served notime.example 2024010101
	assert_equal "$(soa_serial never.example)" REFUSED

	# The da-receive of this instance answers DirectAdmin's exists.
	run da_exists example.com
	assert_output --partial "exists=1"

	run --separate-stderr import-directdnsonly "$D/dd.db"
	assert_success
	[[ $stderr == *"imported 0 zone(s) from $D/dd.db: 3 already current"* ]]
}

@test "import-directdnsonly: keeps a newer zone DirectAdmin already pushed, refuses what is not directdnsonly's database" {
	row keep.example da1.example.net alice 2024010101 "2024-03-04 05:06:07"
	row take.example da1.example.net alice 2024010105 "2024-03-04 05:06:07"
	run sh "$TOP/etc/run.sh" start
	assert_success
	da_zone keep.example 2024010102 | queue-push -o da1.example.net -u alice save keep.example >/dev/null
	da_zone take.example 2024010101 | queue-push -o da1.example.net -u alice save take.example >/dev/null
	run --separate-stderr import-directdnsonly "$D/dd.db"
	assert_success
	[[ $stderr == *"imported 1 zone(s) from $D/dd.db: 1 already current"* ]]
	wait_for 20 served keep.example 2024010102
	wait_for 20 served take.example 2024010105

	run --separate-stderr import-directdnsonly "$D/missing.db"
	assert_failure 100
	run --separate-stderr import-directdnsonly "$DADNS_RUN_DIR/data/dadns.db"
	assert_failure 100
	[[ $stderr == *"is not a directdnsonly database"* ]]
	sqlite3 "$D/old.db" "CREATE TABLE domains (id INTEGER PRIMARY KEY, domain VARCHAR(255), hostname VARCHAR(255), username VARCHAR(255))"
	run --separate-stderr import-directdnsonly "$D/old.db"
	assert_failure 100
	[[ $stderr == *"no zone_data"* ]]
}
