#!/usr/bin/env bats
# peer-pull.bats -- da-receive's peer API (/internal) and peer-pull between
# instances: bare receivers for the API and the failure cases, whole
# instances (make run's script, each with its own NSD) for convergence.

load helper

FIX=$BATS_TEST_DIRNAME/fixtures/peer-pull

setup() {
	D=$BATS_TEST_TMPDIR
	DA_PASSWORD=da-secret
	INSTANCES=
	PIDS=
}

teardown() {
	local n p
	for n in $INSTANCES; do
		run_stop "$D/$n"
	done
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# --- bare receivers (da_instance): a store, a spool, da-receive, no NSD --

# api NAME PATH [USER:PASS]: GET from NAME's peer API; sets STATUS, BODY.
api() {
	local port
	eval "port=\$PORT_$1"
	BODY=$(curl -s --max-time 10 -u "${3:-peersync:peer-$1}" \
	    -w '\n%{http_code}' "http://127.0.0.1:$port$2")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

# zones NAME: "zone serial deleted" for every row of NAME's store.
zones() {
	sqlite3 "$D/$1/store.db" "SELECT name, serial, deleted_us > 0 FROM zones ORDER BY name"
}

@test "peer-pull: -h prints the usage on stdout and exits 0, a wrong option exits 100" {
	run --separate-stderr peer-pull -h
	assert_success
	assert_line --index 0 "usage: peer-pull [-V] [-c app.yml] [-n] [-w] [-p url]... [-v|-q]"
	run --separate-stderr peer-pull -x
	assert_failure 100
	[[ $stderr == "peer-pull: usage: "* ]]
	run --separate-stderr peer-pull extra
	assert_failure 100
}

@test "peer-pull: the peer API serves the original's shapes, tombstones and changes since a sequence, peer credentials only" {
	da_instance a peer-a
	qpush a one.example 2024010101
	qpush a two.example 2024010101
	queue-push -c "$D/a/app.yml" delete one.example >/dev/null

	# The original's list: live zones only, its four keys first.
	api a /internal/zones
	assert_equal "$STATUS" 200
	run jq -r '.[] | [.domain, .hostname, .username, .serial, (.zone_updated_at | test("^[0-9-]+T[0-9:.]+$"))] | @tsv' <<<"$BODY"
	assert_output "two.example	da1.example.net	admin	2024010101	true"
	api a "/internal/zones?domain=two.example"
	assert_equal "$STATUS" 200
	run jq -r '.zone_data | contains("hostmaster.two.example.")' <<<"$BODY"
	assert_output true
	[ "$(jq -r .hash <<<"$BODY")" = "$(jq -j .zone_data <<<"$BODY" | sha256sum | cut -d' ' -f1)" ]
	api a "/internal/zones?domain=one.example"
	assert_equal "$STATUS" 404
	assert_equal "$BODY" '{"error": "not found"}'

	# Incremental: tombstones too, in change order, paged.
	api a "/internal/zones?since=0&limit=1"
	assert_equal "$STATUS" 200
	run jq -r '[.since, .seq, .more, (.zones | map(.domain) | join(",")), (.instance | length)] | @tsv' <<<"$BODY"
	assert_output "0	2	true	two.example	32"
	api a "/internal/zones?since=2"
	run jq -r '[.seq, .more, (.zones[] | .domain, .deleted_us > 0, .hash)] | @tsv' <<<"$BODY"
	assert_output "3	false	one.example	true	"
	api a "/internal/zones?since=3"
	run jq -c '[.seq, .more, .zones]' <<<"$BODY"
	assert_output '[3,false,[]]'
	api a "/internal/zones?since=0&data=1"
	run jq -r '.zones[] | select(.domain == "two.example") | .zone_data | length > 100' <<<"$BODY"
	assert_output true
	api a "/internal/zones?since=-1"
	assert_equal "$STATUS" 400

	# Peers: URLs only. DirectAdmin's credentials never open the API.
	api a /internal/peers
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "[]"
	api a /internal/zones directdnsonly:da-secret
	assert_equal "$STATUS" 401
	api a /internal/zones peersync:wrong
	assert_equal "$STATUS" 401
	api a /internal/other
	assert_equal "$STATUS" 404
}

@test "peer-pull: pulls newer zones and tombstones once, keeps newer local copies, never resurrects a deleted zone" {
	da_instance a peer-a
	da_instance b peer-b "http://127.0.0.1:$PORT_a/" peer-a
	qpush a new.example 2024010101
	qpush a upd.example 2024010102
	qpush b upd.example 2024010101
	qpush b mine.example 2024010105
	qpush a mine.example 2024010101
	qpush b gone.example 2024010101
	qpush a gone.example 2024010101
	queue-push -c "$D/a/app.yml" delete gone.example >/dev/null
	# Deleted on b after a's copy was pushed: a's live copy is older.
	qpush a dead.example 2024010101
	qpush b dead.example 2024010101
	queue-push -c "$D/b/app.yml" delete dead.example >/dev/null

	run --separate-stderr peer-pull -c "$D/b/app.yml" -n
	assert_failure 1
	assert_output "save new.example 2024010101 http://127.0.0.1:$PORT_a
save upd.example 2024010102 http://127.0.0.1:$PORT_a
delete gone.example http://127.0.0.1:$PORT_a"
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	assert_output ""
	[[ $stderr == *"saved 2 deleted 1 current 2 invalid 0"* ]]
	run zones b
	assert_output "dead.example|2024010101|1
gone.example|2024010101|1
mine.example|2024010105|0
new.example|2024010101|0
upd.example|2024010102|0"
	# Every change went to the backend's queue as a job.
	[ -n "$(ls "$D/b/spool/nsd/new/" | grep '_new.example$')" ]
	[ -n "$(ls "$D/b/spool/nsd/new/" | grep '_gone.example$')" ]

	# The next pass asks only for what changed since.
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"saved 0 deleted 0 current 0 invalid 0"* ]]
	run sqlite3 "$D/b/store.db" "SELECT since FROM peer_state"
	assert_output 6

	# a now pulls from b: b's tombstone of dead.example wins, a's
	# tombstone of gone.example is not undone by b's older copy.
	cat >>"$D/a/app.yml" <<-EOF
	  peers:
	    - url: http://127.0.0.1:$PORT_b
	      username: peersync
	      password: peer-b
	EOF
	run --separate-stderr peer-pull -c "$D/a/app.yml"
	assert_success
	run zones a
	assert_output "dead.example|2024010101|1
gone.example|2024010101|1
mine.example|2024010105|0
new.example|2024010101|0
upd.example|2024010102|0"
}

@test "peer-pull: a peer with a wrong password, a 5xx or a down peer is reported and not trusted, others still pulled" {
	da_instance a peer-a
	qpush a one.example 2024010101
	python3 "$FIX/standin" "$D/standin" 3>&- &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$D/standin/port"
	da_instance b peer-b
	cat >>"$D/b/app.yml" <<-EOF
	  peers:
	    - url: http://127.0.0.1:$PORT_a
	      username: peersync
	      password: wrong
	    - url: http://127.0.0.1:$(cat "$D/standin/port")/500
	      username: peersync
	      password: x
	    - url: http://127.0.0.1:$(free_port)
	      username: peersync
	      password: x
	    - url: http://127.0.0.1:$(cat "$D/standin/port")/redirect
	      username: peersync
	      password: secret-of-one-peer
	EOF
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_failure 111
	[[ $stderr == *"peer http://127.0.0.1:$PORT_a failed: the peer refused our credentials (HTTP 401)"* ]]
	[[ $stderr == *"/500 failed: HTTP 500"* ]]
	[[ $stderr == *"Couldn't connect"* || $stderr == *"Failed to connect"* ]]
	[[ $stderr == *"/redirect failed: HTTP 302"* ]]
	run zones b
	assert_output ""
	run sqlite3 "$D/b/store.db" "SELECT failures, since FROM peer_state WHERE url = 'http://127.0.0.1:$PORT_a'"
	assert_output "1|0"
	# The redirect was not followed: its target never saw the password.
	run cat "$D/standin/log"
	refute_output --partial "secret-of-one-peer"
	refute_output --partial "/elsewhere"

	# With the right password the same peer is pulled.
	sed -i "0,/password: wrong/s//password: peer-a/" "$D/b/app.yml"
	run --separate-stderr peer-pull -c "$D/b/app.yml" -p "http://127.0.0.1:$PORT_a"
	assert_success
	run zones b
	assert_output "one.example|2024010101|0"
}

@test "peer-pull: skips itself, refuses invalid zones from a peer and keeps the rest" {
	da_instance a peer-a
	da_instance b peer-b
	cat >>"$D/b/app.yml" <<-EOF
	  peers:
	    - url: http://127.0.0.1:$PORT_b
	      username: peersync
	      password: peer-b
	EOF
	qpush b own.example 2024010101
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"is this instance itself"* ]]

	python3 "$FIX/standin" "$D/standin" 3>&- &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$D/standin/port"
	cat >"$D/c.yml" <<-EOF
	queue_location: $D/c/spool
	datastore:
	  db_location: $D/c/store.db
	peer_sync:
	  enabled: true
	  peers:
	    - url: http://127.0.0.1:$(cat "$D/standin/port")/bad
	      username: peersync
	      password: x
	EOF
	mkdir -p "$D/c"
	run --separate-stderr peer-pull -c "$D/c.yml"
	assert_success
	[[ $stderr == *"skipped zone evil.example: invalid zone_data"* ]]
	[[ $stderr == *"skipped zone other.example: zone_data does not match its hash"* ]]
	[[ $stderr == *"saved 1 deleted 0 current 0 invalid 2"* ]]
	run sqlite3 "$D/c/store.db" "SELECT name FROM zones"
	assert_output "good.example"
}

# --- whole instances: make run's script, NSD each -----------------------

# inst_env NAME: the environment of instance NAME (one word per setting):
# its directory and ports, passwords, every other instance as a peer.
inst_env() {
	local n=$1 m k=0
	echo "DADNS_RUN_DIR=$D/$n DADNS_APP_LISTEN_PORT=$(eval echo \$HTTP_$n)"
	echo "DADNS_NSD_PORT=$(eval echo \$DNS_$n) DADNS_APP_AUTH_PASSWORD=da-secret"
	echo "DADNS_PEER_SYNC_ENABLED=true DADNS_PEER_SYNC_AUTH_PASSWORD=peer-$n"
	echo "DADNS_CONFIG=$D/$n/etc/app.yml"
	for m in $INSTANCES; do
		[ "$m" = "$n" ] && continue
		k=$((k + 1))
		echo "DADNS_PEER_SYNC_PEER_${k}_URL=http://127.0.0.1:$(eval echo \$HTTP_$m)"
		echo "DADNS_PEER_SYNC_PEER_${k}_USERNAME=peersync"
		echo "DADNS_PEER_SYNC_PEER_${k}_PASSWORD=peer-$m"
	done
}

# inst NAME...: choose ports for the instances (before any starts).
inst() {
	local n
	for n in "$@"; do
		eval "HTTP_$n=$(free_port) DNS_$n=$(free_port)"
		INSTANCES="$INSTANCES $n"
	done
}

up() {
	env $(inst_env "$1") sh "$TOP/etc/run.sh" start >/dev/null
}

down() {
	env $(inst_env "$1") sh "$TOP/etc/run.sh" stop >/dev/null
}

# pull NAME [ENV...]: one peer-pull pass on NAME.
pull() {
	local n=$1
	shift
	env $(inst_env "$n") "$@" peer-pull
}

# save_on NAME ZONE SERIAL / delete_on NAME ZONE: DirectAdmin's requests
# to instance NAME (da_save, da_delete); print the reply body.
save_on() {
	DA_URL=http://127.0.0.1:$(eval echo \$HTTP_$1) da_save "$2" "$3"
}

delete_on() {
	DA_URL=http://127.0.0.1:$(eval echo \$HTTP_$1) da_delete "$2"
}

# inst_served NAME: "zone serial" for every zone NAME's NSD serves, sorted.
inst_served() {
	local z port
	port=$(eval echo \$DNS_$1)
	for z in $(nsd-control -c "$D/$1/nsd/nsd.conf" zonestatus 2>/dev/null |
	    awk '$1 == "zone:" { print $2 }' | sort); do
		echo "$z $(soa_serial "$z" "$port")"
	done
}

# inst_serves NAME WANT: inst_served NAME is WANT.
inst_serves() {
	[ "$(inst_served "$1")" = "$2" ]
}

@test "peer-pull: two instances, one down while zones are pushed and deleted, serve the same after one pass; a wrong password is not trusted" {
	inst a b
	up a
	up b
	for z in keep.example upd.example gone.example; do
		assert_equal "$(save_on a $z 2024010101)" "error=0"
		assert_equal "$(save_on b $z 2024010101)" "error=0"
	done
	want="gone.example 2024010101
keep.example 2024010101
upd.example 2024010101"
	wait_for 20 inst_serves a "$want"
	wait_for 20 inst_serves b "$want"

	down b
	assert_equal "$(save_on a upd.example 2024010102)" "error=0"
	assert_equal "$(save_on a new.example 2024010101)" "error=0"
	assert_equal "$(delete_on a gone.example)" "error=0"
	want="keep.example 2024010101
new.example 2024010101
upd.example 2024010102"
	wait_for 20 inst_serves a "$want"
	up b

	# A wrong password for a: reported, nothing taken.
	run --separate-stderr pull b DADNS_PEER_SYNC_PEER_1_PASSWORD=wrong
	assert_failure 111
	[[ $stderr == *"refused our credentials (HTTP 401)"* ]]
	# /status shows the failed pass of that peer.
	run curl -s -u directdnsonly:da-secret "http://127.0.0.1:$HTTP_b/status"
	[[ $output == *"\"url\":\"http://127.0.0.1:$HTTP_a\",\"healthy\":true,\"consecutive_failures\":1,\"last_seen\":null,\"last_error\":\""*"401"* ]]
	run inst_served b
	assert_output "gone.example 2024010101
keep.example 2024010101
upd.example 2024010101"

	run --separate-stderr pull b
	assert_success
	[[ $stderr == *"saved 2 deleted 1"* ]]
	run curl -s -u directdnsonly:da-secret "http://127.0.0.1:$HTTP_b/status"
	[[ $output == *"\"consecutive_failures\":0,\"last_seen\":\"20"* ]]
	[[ $output == *"\"healthy\":1,\"degraded\":0"* ]]
	wait_for 30 inst_serves b "$want"
	run --separate-stderr pull a
	assert_success
	run inst_served a
	assert_output "$want"
	assert_equal "$(soa_serial gone.example "$DNS_b")" REFUSED
}

# bats test_tags=slow
@test "peer-pull: three instances, one down during pushes and deletes, converge after one pass each with no resurrection" {
	inst a b c
	up a
	up b
	up c
	for z in z1.example z2.example z3.example z4.example; do
		for n in a b c; do
			assert_equal "$(save_on $n $z 2024010101)" "error=0"
		done
	done
	for n in a b c; do
		wait_for 20 inst_serves $n "z1.example 2024010101
z2.example 2024010101
z3.example 2024010101
z4.example 2024010101"
	done

	down c
	for n in a b; do
		assert_equal "$(save_on $n z5.example 2024010101)" "error=0"
		assert_equal "$(save_on $n z2.example 2024010102)" "error=0"
		assert_equal "$(delete_on $n z3.example)" "error=0"
	done
	# DirectAdmin reached only a with this delete.
	assert_equal "$(delete_on a z4.example)" "error=0"
	up c

	want="z1.example 2024010101
z2.example 2024010102
z5.example 2024010101"
	# a first: c's stale copies (z2 old, z3 and z4 live) must not win.
	run --separate-stderr pull a
	assert_success
	run --separate-stderr pull b
	assert_success
	# Two deletes of c's four live zones: past the default share of one
	# pass (peer_sync.max_delete_percent), allowed here.
	run --separate-stderr pull c DADNS_PEER_SYNC_MAX_DELETES=2
	assert_success
	for n in a b c; do
		wait_for 30 inst_serves $n "$want"
		run inst_served $n
		assert_output "$want"
		assert_equal "$(soa_serial z3.example "$(eval echo \$DNS_$n)")" REFUSED
		assert_equal "$(soa_serial z4.example "$(eval echo \$DNS_$n)")" REFUSED
	done
	# Nothing left to do anywhere.
	for n in a b c; do
		run --separate-stderr pull $n
		assert_success
		[[ $stderr != *"saved "[1-9]* && $stderr != *"deleted "[1-9]* ]]
	done
}

# --- guards: peer times, deletes per pass, owner changes -----------------

@test "peer-pull: a tombstone dated a year ahead is refused: the zone stays served, the refusal is logged and shown in /status" {
	python3 "$FIX/standin" "$D/standin" 3>&- &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$D/standin/port"
	url=http://127.0.0.1:$(cat "$D/standin/port")/future
	peer="DADNS_PEER_SYNC_PEER_1_URL=$url DADNS_PEER_SYNC_PEER_1_USERNAME=peersync DADNS_PEER_SYNC_PEER_1_PASSWORD=x"
	inst b
	env $(inst_env b) $peer sh "$TOP/etc/run.sh" start >/dev/null
	assert_equal "$(save_on b keep.example 2024010101)" "error=0"
	wait_for 20 inst_serves b "keep.example 2024010101"

	run --separate-stderr pull b $peer
	assert_success
	[[ $stderr == *"peer $url: refused delete zone=keep.example dated=20"*"ahead of this clock, more than peer_sync.max_skew_seconds=300"* ]]
	[[ $stderr == *"saved 0 deleted 0 current 0 invalid 0 refused 1 held 0"* ]]
	# Nothing was queued: once the runner is idle, the zone is served.
	wait_for 20 sh -c 'test -z "$(ls "$1")"' _ "$D/b/data/queues/nsd/new"
	run inst_served b
	assert_output "keep.example 2024010101"
	run sqlite3 "$D/b/data/dadns.db" "SELECT deleted_us FROM zones WHERE name = 'keep.example'"
	assert_output 0
	run curl -s -u directdnsonly:da-secret "http://127.0.0.1:$HTTP_b/status"
	run jq -c ".peer_sync.peers[] | select(.url == \"$url\") | [.refused, .last_refused.zone, (.last_refused.dated > .last_refused.at)]" <<<"$output"
	assert_output '[1,"keep.example",true]'

	# Read again (a new pass from the start): refused, not counted twice.
	sqlite3 "$D/b/data/dadns.db" "UPDATE peer_state SET since = 0"
	run --separate-stderr pull b $peer
	assert_success
	[[ $stderr == *"refused 1 held 0"* ]]
	run sqlite3 "$D/b/data/dadns.db" "SELECT refused FROM peer_guard"
	assert_output 1
	run inst_served b
	assert_output "keep.example 2024010101"
}

@test "peer-pull: a peer deleting most zones: the first pass deletes no more than the share and says so, a second pass that sees the same deletes the rest" {
	da_instance a peer-a
	da_instance b peer-b "http://127.0.0.1:$PORT_a" peer-a
	for i in 1 2 3 4 5 6 7 8 9 10; do
		qpush a z$i.example 2024010101
		qpush b z$i.example 2024010101
	done
	for i in 1 2 3 4 5 6 7 8; do
		queue-push -c "$D/a/app.yml" delete z$i.example >/dev/null
	done

	# 10 % of 10 live zones: one delete, the other seven held.
	run --separate-stderr peer-pull -c "$D/b/app.yml" -n
	assert_failure 1
	assert_equal "$(grep -c '^delete ' <<<"$output")" 1
	assert_equal "$(grep -c '^hold ' <<<"$output")" 7
	DADNS_PEER_SYNC_MAX_DELETES=8 run --separate-stderr peer-pull -c "$D/b/app.yml" -n
	assert_equal "$(grep -c '^delete ' <<<"$output")" 8
	assert_equal "$(grep -c '^hold ' <<<"$output")" 0

	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"peer http://127.0.0.1:$PORT_a: 7 deletes of live zones held: more than 1 in one pass (peer_sync.max_delete_percent of the live zones); taken when the peer's next pass asks for them again"* ]]
	[[ $stderr == *"saved 0 deleted 1 current 2 invalid 0 refused 0 held 7"* ]]
	run live_count "$D/b/store.db"
	assert_output 9
	# b's ten saves and the one delete: nothing held was queued.
	assert_equal "$(ls "$D/b/spool/nsd/new" | grep -c '_z[0-9]*.example$')" 11

	# The second pass sees the same deletes: they are made.
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"saved 0 deleted 7 current 0 invalid 0 refused 0 held 0"* ]]
	run live_count "$D/b/store.db"
	assert_output 2
	run sqlite3 "$D/b/store.db" "SELECT name FROM zones WHERE deleted_us = 0 ORDER BY name"
	assert_output "z10.example
z9.example"
	run sqlite3 "$D/b/store.db" "SELECT count(*) FROM peer_held"
	assert_output 0
}

@test "peer-pull: an owner change from a peer is logged and counted, or refused with app.allow_owner_change false" {
	da_instance a peer-a
	da_instance b peer-b "http://127.0.0.1:$PORT_a" peer-a
	qpush b own.example 2024010101 da1.example.net
	qpush a own.example 2024010102 da2.example.net
	peer_metric() {
		metric_at "http://127.0.0.1:$PORT_b/metrics" "$1{source=\"peer\"}" \
		    -u directdnsonly:da-secret
	}

	# Refused: owner and text stay, the refusal is logged and counted.
	DADNS_APP_ALLOW_OWNER_CHANGE=false run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"refused owner change zone=own.example owner=da1.example.net new_owner=da2.example.net (app.allow_owner_change is false)"* ]]
	run zone_row own.example "hostname, serial" "$D/b/store.db"
	assert_output "da1.example.net|2024010101"
	assert_equal "$(ls "$D/b/spool/nsd/new" | grep -c '_own.example$')" 1
	assert_equal "$(peer_metric dadns_owner_changes_refused_total)" 1
	assert_equal "$(peer_metric dadns_owner_changes_total)" 0

	# Allowed (the default): taken, logged with both hosts, counted.
	qpush a own.example 2024010103 da2.example.net
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_success
	[[ $stderr == *"owner change zone=own.example owner=da1.example.net new_owner=da2.example.net peer=http://127.0.0.1:$PORT_a"* ]]
	run zone_row own.example "hostname, serial" "$D/b/store.db"
	assert_output "da2.example.net|2024010103"
	assert_equal "$(peer_metric dadns_owner_changes_total)" 1
}
