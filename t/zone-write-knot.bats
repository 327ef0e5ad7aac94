#!/usr/bin/env bats
# zone-write-knot.bats -- the Knot writer against a real knotd on loopback:
# one-shot save/delete, the queue runner, a knotd restart, retries while
# knotd is down, reconcile healing a zone knotd lost.

load helper
load helper-writer

WRITER=zone-write-knot
QUEUE=knot

. "$TOP/etc/knot-conf.sh"

# knot_start DIR: a private knotd (etc/knot-conf.sh) on 127.0.0.1:$KNOT_PORT
# (a free port when unset; another one when that one is taken meanwhile),
# its log DIR/knotd.log. Sets KNOT_DIR, KNOT_PORT, KNOT_PID.
knot_start() {
	local try fixed=${KNOT_PORT:-}
	KNOT_DIR=$1
	mkdir -p "$KNOT_DIR/zones" "$KNOT_DIR/db"
	for try in 1 2 3 4 5; do
		[ -n "$fixed" ] || KNOT_PORT=$(free_port)
		knot_conf "$KNOT_DIR" "$KNOT_PORT" >"$KNOT_DIR/knot.conf"
		knotd -c "$KNOT_DIR/knot.conf" 2>>"$KNOT_DIR/knotd.log" &
		KNOT_PID=$!
		if wait_for 10 knot_up && kill -0 "$KNOT_PID" 2>/dev/null; then
			export KNOT_DIR KNOT_PORT KNOT_PID
			return 0
		fi
		kill_wait "$KNOT_PID" 20
		KNOT_PID=
	done
	return 1
}

# knot_up: the knotd of knot_start answers on its control socket, or is
# gone (which ends wait_for at once; knot_start then sees it is gone).
knot_up() {
	if ! kill -0 "$KNOT_PID" 2>/dev/null; then
		return 0
	fi
	knotc -s "$KNOT_DIR/knot.sock" status
}

# knot_stop: stop the knotd of knot_start, by PID.
knot_stop() {
	[ -n "${KNOT_PID:-}" ] || return 0
	kill_wait "$KNOT_PID" 50
	KNOT_PID=
}

# knot_restart: knot_stop, then knot_start again on the same port.
knot_restart() {
	knot_stop
	knot_start "$KNOT_DIR"
}

# listed ZONE: the zone list zone-write-knot writes names ZONE.
listed() {
	grep -qx "  - domain: $1\\." "$KNOT_DIR/zones/dadns-zones.conf"
}

setup() {
	D=$BATS_TEST_TMPDIR
	knot_start "$D/knot" || fail "knotd did not start: $(cat "$D/knot/knotd.log")"
	ZONES=$KNOT_DIR/zones
	QUERY_PORT=$KNOT_PORT
	write_config "$(cat <<-YML
	dns:
	  backends:
	    knot:
	      type: knot
	      enabled: true
	      zones_dir: $ZONES
	      control_socket: $KNOT_DIR/knot.sock
	      knot_conf: $ZONES/dadns-zones.conf
	      verify: "127.0.0.1@$KNOT_PORT"
	YML
	)"
	export DADNS_CONFIG=$D/app.yml
	RUNNER_PID=
}

teardown() {
	stop_runner
	knot_stop
	runner_clean
}

@test "zone-write-knot: -h prints the usage of its manual page" {
	run --separate-stderr zone-write-knot -h
	assert_success
	[[ "${lines[0]}" == "usage: zone-write-knot "* ]]
	for o in -V -c -b -d -v -q; do
		[[ "$output" == *"  $o "* ]]
		grep -q "^\.It Fl ${o#-}" "$TOP/man/zone-write-knot.8"
	done
	grep -q '^\.Nm zone-write-knot$' "$TOP/man/zone-write-knot.8"
}

@test "zone-write-knot: wrong usage exits 100 with the usage line" {
	run --separate-stderr zone-write-knot frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-knot: usage: "* ]]
	run --separate-stderr zone-write-knot save
	[ "$status" -eq 100 ]
}

@test "zone-write-knot: save serves a new zone authoritatively and lists it for knot.conf" {
	run --separate-stderr zone-write-knot save example.com < <(da_zone example.com 2024010101)
	assert_success
	[[ "$stderr" == *"applied zone=example.com serial=2024010101 action=save"* ]]
	[ "$(soa_serial example.com)" = 2024010101 ]
	run dig +norec +time=1 -p "$KNOT_PORT" @127.0.0.1 www.example.com A
	[[ "$output" == *"flags: qr aa;"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	[ -f "$ZONES/example.com.db" ]
	listed example.com
	[ -z "$(ls -A "$ZONES" | grep '^\.')" ]
}

@test "zone-write-knot: a second save changes the served serial, many within a clock tick" {
	zone-write-knot -q save example.com < <(da_zone example.com 1)
	for s in 2 3 4 5; do
		run --separate-stderr zone-write-knot save example.com < <(da_zone example.com "$s")
		assert_success
		[ "$(soa_serial example.com)" = "$s" ]
	done
}

@test "zone-write-knot: delete makes knotd refuse the zone, removes its file and its entry" {
	zone-write-knot -q save example.com < <(da_zone example.com 1)
	zone-write-knot -q save other.example < <(da_zone other.example 1)
	run --separate-stderr zone-write-knot delete example.com
	assert_success
	[[ "$stderr" == *"applied zone=example.com action=delete"* ]]
	[ "$(soa_serial example.com)" = REFUSED ]
	[ ! -e "$ZONES/example.com.db" ]
	run listed example.com
	[ "$status" -ne 0 ]
	listed other.example
	# Deleting an absent zone is fine.
	run --separate-stderr zone-write-knot delete example.com
	assert_success
}

@test "zone-write-knot: a broken zone text is refused with its line and the old zone kept" {
	zone-write-knot -q save example.com < <(da_zone example.com 7)
	run --separate-stderr zone-write-knot save example.com < <(da_zone example.com 8 | sed 's/IN\tA\t192.0.2.10/IN\tA\tnot-an-address/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-knot: fatal: invalid zone data for example.com: "*"line "* ]]
	[ "$(soa_serial example.com)" = 7 ]
	grep -q '192.0.2.10' "$ZONES/example.com.db"
}

@test "zone-write-knot: a malformed job and an invalid zone text go to fail/" {
	malformed_jobs_fail
}

@test "zone-write-knot: the runner applies a batch of 120 zones, then updates and deletes" {
	local i
	for i in $(seq 1 120); do
		queue-push save "z$i.example" < <(da_zone "z$i.example" 1) >/dev/null
	done
	start_runner zone-write-knot -v
	wait_for 30 count_is knot new 0 || fail "queue not drained"
	[ "$(jobs_in knot fail)" = 0 ]
	for i in 1 60 120; do served "z$i.example" 1; done
	[ "$(grep -c '^  - domain: ' "$ZONES/dadns-zones.conf")" = 120 ]
	# One batch: one conf transaction for all 120.
	grep -q 'knot: jobs=120 saves=120 added=120 ' "$D/run.log"
	push save z7.example 2
	push delete z8.example
	wait_for 10 served z7.example 2
	wait_for 10 served z8.example REFUSED
	[ "$(grep -c '^  - domain: ' "$ZONES/dadns-zones.conf")" = 119 ]
}

@test "zone-write-knot: save, delete, save of one zone settle, queued before and while it runs" {
	save_delete_save_settles
}

@test "zone-write-knot: zones persist across a knotd restart" {
	local i
	for i in 1 2 3; do
		zone-write-knot -q save "p$i.example" < <(da_zone "p$i.example" "$i")
	done
	zone-write-knot -q delete p2.example
	knot_restart || fail "knotd did not start again"
	wait_for 10 served p1.example 1
	wait_for 10 served p3.example 3
	[ "$(soa_serial p2.example)" = REFUSED ]
	# And the writer goes on with the restarted knotd.
	zone-write-knot -q save p1.example < <(da_zone p1.example 9)
	[ "$(soa_serial p1.example)" = 9 ]
}

@test "zone-write-knot: with knotd down jobs wait and are retried, nothing lost" {
	knot_stop
	jobs_wait_for_server knot_start "$D/knot"
}

@test "zone-write-knot: with knotd down a job gives up after its retries, saying why" {
	knot_stop
	gives_up_after_retries "knotd control $KNOT_DIR/knot.sock connect"
}

@test "zone-write-knot: a zone knotd lost behind the runner's back is added again on save" {
	start_runner zone-write-knot -v
	push save lost.example 1
	wait_for 10 served lost.example 1
	knotc -s "$KNOT_DIR/knot.sock" conf-begin >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-unset 'zone[lost.example]' >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-commit >/dev/null
	wait_for 10 served lost.example REFUSED
	push save lost.example 2
	wait_for 10 served lost.example 2
	grep -q "knotd lost zone lost.example: adding it again" "$D/run.log"
	wait_for 10 count_is knot new 0
	[ "$(jobs_in knot fail)" = 0 ]
	listed lost.example
	# A one-shot save of a zone knotd lost adds it too.
	knotc -s "$KNOT_DIR/knot.sock" conf-begin >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-unset 'zone[lost.example]' >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-commit >/dev/null
	wait_for 10 served lost.example REFUSED
	run --separate-stderr zone-write-knot save lost.example < <(da_zone lost.example 3)
	assert_success
	[ "$(soa_serial lost.example)" = 3 ]
}

@test "zone-write-knot: a zone of knot.conf's own is left alone, with a clear reason" {
	printf 'zone:\n  - domain: mine.example.\n    file: "%s/mine.zone"\n' "$D" >"$ZONES/dadns-zones-own.conf"
	da_zone mine.example 42 | sed '1i $ORIGIN mine.example.' >"$D/mine.zone"
	knot_restart || fail "knotd did not start again"
	run --separate-stderr zone-write-knot save mine.example < <(da_zone mine.example 43)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"knotd has zone mine.example configured without template dadns"* ]]
	[ "$(soa_serial mine.example)" = 42 ]
	run listed mine.example
	[ "$status" -ne 0 ]
	# In a batch with others it fails alone: they are added.
	push save mine.example 44
	push save x1.example 1
	push save x2.example 1
	start_runner zone-write-knot -v
	wait_for 10 served x1.example 1
	wait_for 10 served x2.example 1
	wait_for 10 grep -q 'deferred zone=mine.example' "$D/run.log"
	[ "$(soa_serial mine.example)" = 42 ]
	listed x1.example
	run listed mine.example
	[ "$status" -ne 0 ]
}

@test "zone-write-knot: reconcile heals a zone knotd lost and a zone file removed" {
	start_runner zone-write-knot
	push save a.example 5
	push save b.example 6
	wait_for 10 served a.example 5
	wait_for 10 served b.example 6
	wait_for 10 count_is knot new 0
	stop_runner
	knotc -s "$KNOT_DIR/knot.sock" conf-begin >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-unset 'zone[a.example]' >/dev/null
	knotc -s "$KNOT_DIR/knot.sock" conf-commit >/dev/null
	rm "$ZONES/b.example.db"
	wait_for 10 served a.example REFUSED
	run --separate-stderr reconcile -n
	[ "$status" -eq 1 ]
	assert_line --regexp '^would-heal backend=knot zone=a.example reason="not served \(rcode 5'
	assert_line 'would-heal backend=knot zone=b.example reason="zone file missing"'
	run --separate-stderr reconcile
	assert_success
	start_runner zone-write-knot
	wait_for 20 count_is knot new 0 || fail "queue not drained"
	wait_for 10 served a.example 5
	[ -f "$ZONES/b.example.db" ]
	run --separate-stderr reconcile -n
	assert_success
}

@test "zone-write-knot: a knot backend refuses secondaries, naming the template" {
	cat >>"$D/app.yml" <<-YML
	      secondaries:
	        - address: 127.0.0.2
	YML
	run --separate-stderr zone-write-knot save example.com < <(da_zone example.com 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns.backends.knot.secondaries: not for a knot backend: give knot.conf's template dadns its notify: and acl:"* ]]
}
