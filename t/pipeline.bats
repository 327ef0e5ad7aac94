#!/usr/bin/env bats
# pipeline.bats -- the whole supervised pipeline as `make run` starts it:
# s6-svscan, NSD, da-receive, zone-write-nsd on loopback ports.

load helper

setup() {
	export DADNS_RUN_DIR=$BATS_TEST_TMPDIR/run
	export DADNS_APP_LISTEN_PORT=$(free_port)
	export DADNS_NSD_PORT=$(free_port)
	export DADNS_APP_AUTH_PASSWORD=pipeline-secret
	HTTP=http://127.0.0.1:$DADNS_APP_LISTEN_PORT
	DA_URL=$HTTP
	DA_PASSWORD=$DADNS_APP_AUTH_PASSWORD
	NSD_PORT=$DADNS_NSD_PORT
}

teardown() {
	run_stop "$DADNS_RUN_DIR"
	pkill -9 -f "$DADNS_RUN_DIR/" 2>/dev/null || true
	[ ! -f "$BATS_TEST_TMPDIR/deaf.pid" ] ||
	    kill -9 "$(cat "$BATS_TEST_TMPDIR/deaf.pid")" 2>/dev/null || true
}

svc_pid() {
	s6-svstat -p "$DADNS_RUN_DIR/scan/$1"
}

# svc_up NAME: s6 has started the service NAME of the scan directory.
svc_up() {
	[ "$(s6-svstat -o up "$DADNS_RUN_DIR/scan/$1" 2>/dev/null)" = true ]
}

@test "pipeline: make run serves a pushed zone, updates its serial, delete makes NSD refuse it" {
	run sh "$TOP/etc/run.sh" start
	assert_success
	assert_output --partial "dadns is running"
	assert_output --partial "dig +norec @127.0.0.1 -p $NSD_PORT"

	run da_save example.com 2024010101
	assert_output "error=0"
	wait_for 10 served example.com 2024010101
	run dig +norec -p "$NSD_PORT" @127.0.0.1 www.example.com A
	assert_output --partial "flags: qr aa"
	assert_output --partial "192.0.2.10"

	run da_save example.com 2024010102
	assert_output "error=0"
	wait_for 10 served example.com 2024010102

	run da_delete example.com
	assert_output "error=0"
	wait_for 10 served example.com REFUSED

	run sh "$TOP/etc/run.sh" stop
	assert_output --partial "stopped"
	run curl -s --max-time 2 "$HTTP/health"
	assert_failure
}

@test "pipeline: make stop kills a service that ignores SIGTERM and leaves no supervision tree behind" {
	run sh "$TOP/etc/run.sh" start
	assert_success
	svscan=$(cat "$DADNS_RUN_DIR/svscan.pid")
	# Failure injection: a service directory as shipped (its timeout-kill
	# included) whose daemon ignores SIGTERM.
	scan=$DADNS_RUN_DIR/scan
	cp -R "$TOP/service/reconcile" "$scan/deaf"
	rm -rf "$scan/deaf/log"
	printf '#!/bin/sh\ntrap "" TERM\nexec sleep 120\n' >"$scan/deaf/run"
	s6-svscanctl -a "$scan"
	wait_for 10 svc_up deaf
	pid=$(svc_pid deaf)
	echo "$pid" >"$BATS_TEST_TMPDIR/deaf.pid"
	kill -0 "$pid"

	run sh "$TOP/etc/run.sh" stop
	assert_output --partial "stopped"
	run kill -0 "$pid"
	assert_failure
	run kill -0 "$svscan"
	assert_failure
	run curl -s --max-time 2 "$HTTP/health"
	assert_failure
}

@test "pipeline: make run generates a password when none is given and refuses the wrong one" {
	unset DADNS_APP_AUTH_PASSWORD
	run sh "$TOP/etc/run.sh" start
	assert_success
	pw=$(cat "$DADNS_RUN_DIR/secret/da-password")
	[ "${#pw}" -ge 24 ]
	assert_output --partial "password $pw"
	run curl -s -o /dev/null -w '%{http_code}' -u directdnsonly:changeme "$HTTP/CMD_API_LOGIN_TEST"
	assert_output "401"
	run curl -s -u "directdnsonly:$pw" "$HTTP/CMD_API_LOGIN_TEST"
	assert_output "error=0&text=Login+OK"
}

# bats test_tags=slow
@test "pipeline: kill -9 of da-receive and zone-write-nsd during 1,000 pushes loses no acknowledged zone" {
	run sh "$TOP/etc/run.sh" start
	assert_success
	log=$BATS_TEST_TMPDIR/acks
	: >"$log"

	# The killer: SIGKILL one of the two dadns daemons at random moments
	# (s6 restarts them), bounded to 60 s.
	(
		end=$(( $(date +%s) + 60 ))
		while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$BATS_TEST_TMPDIR/done" ]; do
			sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"
			if [ $(( RANDOM % 2 )) -eq 0 ]; then svc=da-receive; else svc=zone-write-nsd; fi
			pid=$(s6-svstat -p "$DADNS_RUN_DIR/scan/$svc" 2>/dev/null)
			[ -n "$pid" ] && [ "$pid" -gt 0 ] && kill -9 "$pid" 2>/dev/null &&
			    echo "$svc" >>"$BATS_TEST_TMPDIR/kills"
		done
	) &
	killer=$!

	# 1,000 pushes over 250 zones, serials rising per zone. Record each
	# attempt and each acknowledgement.
	for i in $(seq 0 999); do
		z=z$(( i % 250 )).kill.test
		serial=$(( 2024000000 + i ))
		echo "try $z $serial" >>"$log"
		body=$(da_save "$z" "$serial") || true
		[ "$body" = "error=0" ] && echo "ack $z $serial" >>"$log"
	done
	touch "$BATS_TEST_TMPDIR/done"
	wait "$killer"
	kills=$(wc -l <"$BATS_TEST_TMPDIR/kills")
	acks=$(grep -c '^ack' "$log")
	echo "# $acks of 1000 pushes acknowledged, $kills daemons killed" >&3
	[ "$kills" -ge 5 ]
	[ "$acks" -ge 300 ]

	# Every acknowledged zone must end up served with its last acknowledged
	# serial, or a later one that was attempted (a push can be committed
	# and then lose its reply to the kill).
	awk '$1 == "ack" { ack[$2] = $3 } $1 == "try" { try[$2] = $3 }
	    END { for (z in ack) print z, ack[z], try[z] }' "$log" >"$BATS_TEST_TMPDIR/want"
	zones=$(wc -l <"$BATS_TEST_TMPDIR/want")

	check_all() {
		local bad=0 z lo hi got
		while read -r z lo hi; do
			got=$(soa_serial "$z")
			if ! [ "$got" -ge "$lo" ] 2>/dev/null || [ "$got" -gt "$hi" ]; then
				bad=$(( bad + 1 ))
			fi
		done <"$BATS_TEST_TMPDIR/want"
		echo "$bad" >"$BATS_TEST_TMPDIR/bad"
		[ "$bad" -eq 0 ]
	}
	wait_for 90 check_all || true
	bad=$(cat "$BATS_TEST_TMPDIR/bad")
	echo "# $zones acknowledged zones checked, $bad not served as acknowledged" >&3
	[ "$zones" -ge 150 ]
	[ "$bad" -eq 0 ]
	# Nothing went to the dead letters.
	[ "$(ls "$DADNS_RUN_DIR/data/queues/nsd/fail" | wc -l)" -eq 0 ]
}

@test "pipeline: with NSD stopped jobs wait and retry, then apply when it returns" {
	export DADNS_RETRY_SCHEDULE=1,1,1,2,2,2,2,2,2,2
	run sh "$TOP/etc/run.sh" start
	assert_success
	s6-svc -d "$DADNS_RUN_DIR/scan/nsd"
	s6-svwait -t 10000 -d "$DADNS_RUN_DIR/scan/nsd"
	for i in 1 2 3 4 5; do
		run da_save "down$i.test" 2024030100
		assert_output "error=0"
	done
	sleep 3
	# Still waiting in the queue, none lost to the dead letters.
	[ "$(ls "$DADNS_RUN_DIR/data/queues/nsd/new" | wc -l)" -eq 5 ]
	[ "$(ls "$DADNS_RUN_DIR/data/queues/nsd/fail" | wc -l)" -eq 0 ]
	s6-svc -u "$DADNS_RUN_DIR/scan/nsd"
	for i in 1 2 3 4 5; do
		wait_for 30 served "down$i.test" 2024030100
	done
	wait_for 10 test -z "$(ls "$DADNS_RUN_DIR/data/queues/nsd/new")"
}
