#!/usr/bin/env bats
# store-spool.bats -- the store and the spool in step: a zone name of up to
# 253 octets travels the whole way (da-receive, queue-push,
# import-directdnsonly, peer-pull, reconcile) to a real NSD, and a save or
# delete is all-or-nothing: when its job files cannot be written (a full
# file system, an unwritable queue) the store is left as it was and
# DirectAdmin gets an error that names no server path.

load helper

FIX=$BATS_TEST_DIRNAME/fixtures/peer-pull

setup() {
	D=$BATS_TEST_TMPDIR
	PIDS=
	MOUNTS=
	RUNNER_PID=
	nsd_start "$D/nsd" || fail "NSD did not start"
	DA_PORT=$(free_port)
	DA_URL=http://127.0.0.1:$DA_PORT
	DA_PASSWORD=da-secret
	ZONE_TEXT=apex_zone
	write_config "$(da_app "$DA_PORT" da-secret)" \
	    "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl" "long_pattern: da-long")"
	export DADNS_CONFIG=$D/app.yml
}

teardown() {
	local p m
	stop_runner
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for m in $MOUNTS; do
		umount -l "$m" 2>/dev/null || true
	done
	nsd_stop
}

# long_name LETTER [LENGTH]: a valid zone name of LENGTH octets (default
# 253, the most a name may have), ending in .test, starting with LETTER.
long_name() {
	local len=${2:-253} n
	n=$(printf "$1%.0s" $(seq 63)).$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63)).
	n=$n$(printf 'd%.0s' $(seq $(( len - ${#n} - 5 )))).test
	printf '%s' "$n"
}

# apex_zone ZONE SERIAL: a zone text whose names all fit next to a name of
# 253 octets (every record at the apex, targets elsewhere).
apex_zone() {
	printf '$TTL 3600\n'
	printf '%s.\tIN\tSOA\tns1.example.net. hostmaster.example.net. %s 3600 3600 1209600 86400\n' "$1" "$2"
	printf '%s.\t3600\tIN\tNS\tns1.example.net.\n' "$1"
	printf '%s.\t3600\tIN\tNS\tns2.example.net.\n' "$1"
	printf '%s.\t3600\tIN\tA\t192.0.2.10\n' "$1"
	printf '%s.\t3600\tIN\tMX\t10 mail.example.net.\n' "$1"
}

# store_row ZONE: "serial|deleted" of ZONE's store row, "" without one.
store_row() {
	zone_row "$1" 'serial, deleted_us > 0'
}

# peer_with ZONE SERIAL: instance "peer" (da_instance) holding ZONE at
# SERIAL, and this instance's peer_sync pulling from it.
peer_with() {
	da_instance peer peer-secret
	qpush peer "$1" "$2"
	cat >>"$D/app.yml" <<-YML
	peer_sync:
	  enabled: true
	  auth_username: peersync
	  auth_password: own-secret
	  peers:
	    - url: http://127.0.0.1:$PORT_peer/
	      username: peersync
	      password: peer-secret
	YML
}

@test "da-receive: names of 240 and 253 octets are stored, served by NSD and deleted" {
	start_runner zone-write-nsd -v -b nsd
	receiver_start "$D/app.yml" "$D/da.log"
	z=$(long_name a)
	y=$(long_name e 240)
	[ "${#z}" -eq 253 ]
	[ "${#y}" -eq 240 ]
	run da_save "$z" 2024010101
	assert_output "error=0"
	run da_save "$y" 2024010101
	assert_output "error=0"
	wait_for 20 served "$z" 2024010101 || fail "$(cat "$D/run.log")"
	wait_for 20 served "$y" 2024010101
	# One rule for zone file names: the bare name when "%s.db" is too long.
	[ -f "$NSD_DIR/zones/$z" ]
	[ -f "$NSD_DIR/zones/$y.db" ]
	run da_exists "$z"
	assert_output --partial "exists=1"
	run da_save "$z" 2024010102
	assert_output "error=0"
	wait_for 20 served "$z" 2024010102
	run da_delete "$z"
	assert_output "error=0"
	wait_for 20 served "$z" REFUSED
	[ ! -e "$NSD_DIR/zones/$z" ]
	run da_exists "$z"
	assert_output --partial "exists=0"
	[ "$(ls "$D/spool/nsd/fail" | wc -l)" -eq 0 ]
}

@test "queue-push: a 253-octet name gets a bounded job file name and reaches NSD" {
	z=$(long_name f)
	run --separate-stderr queue-push save "$z" < <(apex_zone "$z" 2024020201)
	assert_success
	# Sequence, '_', 64 octets of the name, '=', its SHA-256.
	[[ "$output" =~ ^[0-9]{16}_fff[a-z.]{61}=[0-9a-f]{64}$ ]]
	[ -f "$D/spool/nsd/new/$output" ]
	grep -qx "z $z" "$D/spool/nsd/new/$output"
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024020201 || fail "$(cat "$D/run.log")"
	[ -z "$(ls "$D/spool/nsd/new")" ]
}

@test "zone-write-nsd: a job of a 220-octet zone queued under its whole name by an older version is still applied" {
	z=$(long_name j 220)
	job=$(apex_zone "$z" 2024020202 | queue-push save "$z")
	mv "$D/spool/nsd/new/$job" "$D/spool/nsd/new/${job%%_*}_$z"
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024020202 || fail "$(cat "$D/run.log")"
	[ -z "$(ls "$D/spool/nsd/new")" ]
	[ -z "$(ls "$D/spool/nsd/fail")" ]
}

@test "import-directdnsonly: a 253-octet name is imported and served" {
	z=$(long_name g)
	sqlite3 "$D/dd.db" <"$FIX/directdnsonly.sql"
	apex_zone "$z" 2024030301 >"$D/text"
	sqlite3 "$D/dd.db" "INSERT INTO domains(domain, hostname, username,
	    zone_data, zone_updated_at) VALUES ('$z', 'da1.example.net', 'admin',
	    readfile('$D/text'), '2024-03-03 10:00:00')"
	run --separate-stderr import-directdnsonly "$D/dd.db"
	assert_success
	[[ $stderr == *"imported 1 zone(s)"* ]]
	assert_equal "$(store_row "$z")" "2024030301|0"
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024030301 || fail "$(cat "$D/run.log")"
}

@test "peer-pull: a 253-octet name is pulled from a peer and served" {
	z=$(long_name h)
	peer_with "$z" 2024040401
	run --separate-stderr peer-pull
	assert_success
	[[ $stderr == *"saved 1 deleted 0"* ]]
	assert_equal "$(store_row "$z")" "2024040401|0"
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024040401 || fail "$(cat "$D/run.log")"
}

@test "reconcile: a 253-octet zone dropped from NSD is healed" {
	z=$(long_name i)
	apex_zone "$z" 2024050501 | queue-push save "$z" >/dev/null
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024050501 || fail "$(cat "$D/run.log")"
	wait_for 10 test -z "$(ls "$D/spool/nsd/new")"
	run --separate-stderr reconcile -n
	assert_success
	stop_runner
	nsd-control -c "$NSD_CONF" delzone "$z" >/dev/null
	rm "$NSD_DIR/zones/$z"
	wait_for 10 served "$z" REFUSED
	run --separate-stderr reconcile
	assert_success
	assert_output --partial "healed=1"
	# The heal is pending: a second pass does not queue it again.
	run --separate-stderr reconcile
	assert_output --partial "healed=0"
	[ "$(ls "$D/spool/nsd/new" | wc -l)" -eq 1 ]
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served "$z" 2024050501 || fail "$(cat "$D/run.log")"
	run --separate-stderr reconcile -n
	assert_success
	assert_output --partial "healed=0 removed=0 unchecked=0"
}

# spool_tmpfs SIZE: a tmpfs of SIZE holding the spool (root only).
spool_tmpfs() {
	mkdir -p "$D/spool"
	mount -t tmpfs -o "size=$1,mode=0755" dadns-test "$D/spool" || return 1
	MOUNTS="$MOUNTS $D/spool"
}

# fill DIR: write zeros under DIR until its file system is full.
fill() {
	dd if=/dev/zero of="$1/fill" bs=64k 2>/dev/null || true
	if head -c 8192 /dev/zero >"$1/probe" 2>/dev/null; then
		rm -f "$1/probe"
		return 1
	fi
	rm -f "$1/probe"
}

# readonly DIR: DIR becomes a read-only bind mount of itself (root only).
readonly_dir() {
	mount --bind "$1" "$1" || return 1
	MOUNTS="$MOUNTS $1"
	mount -o remount,bind,ro "$1"
}

# no_path BODY: a reply that names no server path (not even encoded).
no_path() {
	[[ $1 != *"$D"* && $1 != */* && $1 != *%2[Ff]* ]]
}

@test "da-receive: with the spool's file system full, saves and deletes fail naming no path, and the store does not change" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	spool_tmpfs 512k
	start_runner zone-write-nsd -v -b nsd
	receiver_start "$D/app.yml" "$D/da.log"
	run da_save keep.example 2024010101
	assert_output "error=0"
	wait_for 20 served keep.example 2024010101
	wait_for 10 test -z "$(ls "$D/spool/nsd/new")"
	fill "$D/spool"

	run da_save keep.example 2024010102
	assert_output --regexp '^error=1&text=Unable\+to\+queue\+zone\+keep.example'
	no_path "$output"
	run da_save new.example 2024010101
	assert_output --regexp '^error=1&'
	no_path "$output"
	run da_delete keep.example
	assert_output --regexp '^error=1&'
	no_path "$output"
	# The log keeps the detail.
	grep -q "unable to write the jobs to $D/spool: No space left on device" "$D/da.log"

	assert_equal "$(store_row keep.example)" "2024010101|0"
	assert_equal "$(store_row new.example)" ""
	run da_exists keep.example
	assert_output --partial "exists=1"
	run da_exists new.example
	assert_output --partial "exists=0"
	assert_equal "$(soa_serial keep.example)" 2024010101
	assert_equal "$(soa_serial new.example)" REFUSED
	[ -z "$(ls "$D/spool/nsd/new")" ]
	[ -z "$(ls "$D/spool/tmp")" ]

	# Room again: the next push goes through.
	rm "$D/spool/fill"
	run da_save keep.example 2024010103
	assert_output "error=0"
	wait_for 20 served keep.example 2024010103
	run da_save new.example 2024010101
	assert_output "error=0"
	wait_for 20 served new.example 2024010101
}

@test "da-receive: an unwritable queue fails the save, the other queue gets nothing, the store does not change" {
	[ "$(id -u)" -eq 0 ] || skip "a read-only bind mount needs root"
	cat >>"$D/app.yml" <<-YML
	    nsd2:
	      type: nsd
	      enabled: true
	      zones_dir: $D/zones2
	YML
	start_runner zone-write-nsd -v -b nsd
	receiver_start "$D/app.yml" "$D/da.log"
	run da_save keep.example 2024010101
	assert_output "error=0"
	wait_for 20 served keep.example 2024010101
	wait_for 10 test -z "$(ls "$D/spool/nsd/new")"
	rm -f "$D"/spool/nsd2/new/*
	readonly_dir "$D/spool/nsd2/new"

	run da_save keep.example 2024010102
	assert_output --regexp '^error=1&'
	no_path "$output"
	run da_save new.example 2024010101
	assert_output --regexp '^error=1&'
	run da_delete keep.example
	assert_output --regexp '^error=1&'
	grep -q "unable to write the jobs to $D/spool: Read-only file system" "$D/da.log"
	assert_equal "$(store_row keep.example)" "2024010101|0"
	assert_equal "$(store_row new.example)" ""
	run da_exists new.example
	assert_output --partial "exists=0"
	[ -z "$(ls "$D/spool/nsd/new")" ]
	[ -z "$(ls "$D/spool/tmp")" ]
	assert_equal "$(soa_serial keep.example)" 2024010101
	assert_equal "$(soa_serial new.example)" REFUSED

	umount "$D/spool/nsd2/new"
	run da_save new.example 2024010101
	assert_output "error=0"
	wait_for 20 served new.example 2024010101
	[ "$(ls "$D/spool/nsd2/new" | wc -l)" -eq 1 ]
}

@test "peer-pull: when the page's jobs cannot be queued, neither the store nor the sync mark moves" {
	[ "$(id -u)" -eq 0 ] || skip "a read-only bind mount needs root"
	peer_with one.example 2024040401
	mkdir -p "$D/spool/nsd/new" "$D/spool/nsd/fail" "$D/spool/tmp"
	readonly_dir "$D/spool/nsd/new"
	run --separate-stderr peer-pull
	[ "$status" -eq 111 ]
	[[ $stderr == *"Read-only file system"* ]]
	assert_equal "$(store_row one.example)" ""
	run sqlite3 "$D/store.db" "SELECT count(*) FROM peer_state WHERE since > 0"
	assert_output 0
	umount "$D/spool/nsd/new"
	run --separate-stderr peer-pull
	assert_success
	[[ $stderr == *"saved 1 deleted 0"* ]]
	assert_equal "$(store_row one.example)" "2024040401|0"
	start_runner zone-write-nsd -v -b nsd
	wait_for 20 served one.example 2024040401 || fail "$(cat "$D/run.log")"
}
