#!/usr/bin/env bats
# metrics.bats -- the textfile metrics (node_exporter's textfile collector
# format) of the zone writers, reconcile, peer-pull and vrrp-watch, written
# into metrics_dir, and the keys that set them up.

load helper

setup() {
	D=$BATS_TEST_TMPDIR
	M=$D/metrics
	mkdir -p "$M"
	RUNNER_PID=
	PIDS=
	NSD_PID=
	NS=
}

teardown() {
	stop_runner
	receiver_stop
	local p
	for p in ${PIDS:-}; do kill_wait "$p" 30; done
	[ -z "$NSD_PID" ] || nsd_stop
	[ -z "$NS" ] || ip netns del "$NS" 2>/dev/null || true
}

# prom FILE NAME: the value of the sample NAME (its labels as written) in
# the textfile FILE under $M; nothing when absent.
prom() {
	awk -v n="$2" '$1 == n { print $2 }' "$M/$1" 2>/dev/null
}

# prom_is FILE NAME VALUE: prom FILE NAME is VALUE.
prom_is() {
	[ "$(prom "$1" "$2")" = "$3" ]
}

# well_formed FILE: every line of $M/FILE is a HELP or TYPE line or a
# sample "name{labels} number" of a family whose TYPE came before, and no
# temporary file is left beside it; the file is readable by all (0644).
well_formed() {
	awk '
	/^# HELP [a-z_]+ ./ { next }
	/^# TYPE [a-z_]+ (counter|gauge|histogram)$/ { t[$3] = 1; next }
	/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.e]+$/ {
		n = $1; sub(/\{.*/, "", n)
		b = n; sub(/_(bucket|sum|count)$/, "", b)
		if (!(n in t) && !(b in t)) { print "no TYPE: " $0; bad = 1 }
		next
	}
	{ print "bad line: " $0; bad = 1 }
	END { exit bad }' "$M/$1"
	[ "$(stat -c %a "$M/$1")" = 644 ]
	[ -z "$(ls "$M" | grep -v '\.prom$')" ]
}

@test "metrics: metrics_dir, app.metrics_username and app.metrics_password from app.yml and DADNS_*; off by default" {
	cd "$D"
	run --separate-stderr env -i "$TOP/t/unit/config" -c /dev/null
	assert_success
	assert_line "metrics_dir="
	assert_line "app.metrics_username=metrics"
	assert_line "app.metrics_password="
	printf 'metrics_dir: /var/lib/prom\napp:\n  metrics_username: prom\n  metrics_password: scrape\n' >"$D/m.yml"
	run --separate-stderr env -i "$TOP/t/unit/config" -c "$D/m.yml"
	assert_line "metrics_dir=/var/lib/prom"
	assert_line "app.metrics_username=prom"
	assert_line "app.metrics_password=scrape"
	printf 'from-file\n' >"$D/pw"
	run --separate-stderr env -i DADNS_METRICS_DIR=/tmp/x \
	    DADNS_APP_METRICS_PASSWORD_FILE="$D/pw" "$TOP/t/unit/config" -c "$D/m.yml"
	assert_line "metrics_dir=/tmp/x"
	assert_line "app.metrics_password=from-file"
	printf 'app:\n  metrics_password_file: %s\n' "$D/pw" >"$D/f.yml"
	run --separate-stderr env -i "$TOP/t/unit/config" -c "$D/f.yml"
	assert_line "app.metrics_password=from-file"
	assert_equal "$stderr" ""
}

@test "metrics: a writer's queue runner applies zones and its textfile counts them" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "metrics_dir: $M" "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	export DADNS_CONFIG=$D/app.yml
	start_runner zone-write-nsd
	# The first scan writes the file: nothing done yet.
	wait_for 10 test -f "$M/dadns-writer-nsd.prom"
	prom_is dadns-writer-nsd.prom 'dadns_writer_queue_depth{backend="nsd"}' 0
	prom_is dadns-writer-nsd.prom 'dadns_writer_jobs_applied_total{backend="nsd",action="save"}' 0
	prom_is dadns-writer-nsd.prom 'dadns_writer_last_success_timestamp_seconds{backend="nsd"}' 0
	t0=$(date +%s)
	push save example.com 2024010101
	push save example.net 2024010101
	wait_for 20 served example.net 2024010101
	wait_for 10 prom_is dadns-writer-nsd.prom 'dadns_writer_jobs_applied_total{backend="nsd",action="save"}' 2
	push delete example.net
	wait_for 10 prom_is dadns-writer-nsd.prom 'dadns_writer_jobs_applied_total{backend="nsd",action="delete"}' 1
	# An unreadable job goes to fail/ and is counted.
	printf 'garbage\n' >"$D/spool/nsd/new/0000000000000099_bad.test"
	printf x >"$D/spool/nsd/trigger"
	wait_for 10 prom_is dadns-writer-nsd.prom 'dadns_writer_jobs_failed_total{backend="nsd"}' 1
	F=dadns-writer-nsd.prom
	prom_is $F 'dadns_writer_queue_depth{backend="nsd"}' 0
	prom_is $F 'dadns_writer_retry_pending{backend="nsd"}' 0
	prom_is $F 'dadns_writer_jobs_retried_total{backend="nsd"}' 0
	n=$(prom $F 'dadns_writer_batch_seconds_count{backend="nsd"}')
	[ "$n" -ge 2 ]
	prom_is $F 'dadns_writer_batch_seconds_bucket{backend="nsd",le="+Inf"}' "$n"
	last=$(prom $F 'dadns_writer_last_success_timestamp_seconds{backend="nsd"}')
	[ "${last%.*}" -ge "$t0" ]
	[ "${last%.*}" -le "$(date +%s)" ]
	well_formed $F
	stop_runner
	runner_clean
}

@test "metrics: a writer whose metrics_dir cannot be written warns once and keeps applying" {
	nsd_start "$D/nsd" || fail "NSD did not start"
	write_config "metrics_dir: $D/missing" "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"
	export DADNS_CONFIG=$D/app.yml
	start_runner zone-write-nsd
	push save example.com 2024010101
	wait_for 20 served example.com 2024010101
	push save example.com 2024010102
	wait_for 20 served example.com 2024010102
	stop_runner
	runner_clean
	run grep -c "unable to write the metrics file $D/missing/dadns-writer-nsd.prom" "$D/run.log"
	assert_output 1
}

@test "metrics: a reconcile pass writes dadns-reconcile.prom with its outcome and each backend's counts" {
	write_config "metrics_dir: $M" "$(zones_backend "$D/zones")"
	mkdir -p "$D/zones"
	export DADNS_CONFIG=$D/app.yml
	push save example.com 2024010101
	# The job lost: the zone is in the store, not in the backend.
	rm -f "$D"/spool/nsd/new/*
	run --separate-stderr reconcile
	assert_success
	F=dadns-reconcile.prom
	prom_is $F 'dadns_reconcile_last_status{status="repaired"}' 1
	prom_is $F 'dadns_reconcile_last_status{status="ok"}' 0
	prom_is $F 'dadns_reconcile_passes_total{status="repaired"}' 1
	prom_is $F 'dadns_reconcile_backend_zones{backend="nsd",result="healed"}' 1
	prom_is $F 'dadns_reconcile_servers{state="failed"}' 0
	ran=$(prom $F dadns_reconcile_last_run_timestamp_seconds)
	ok=$(prom $F dadns_reconcile_last_success_timestamp_seconds)
	[ "$ran" = "$ok" ]
	[ "${ran%.*}" -ge "$(( $(date +%s) - 60 ))" ]
	well_formed $F
	# A pass that cannot check a backend: incomplete; the last success
	# stays the previous pass's, read back from the store.
	chmod 000 "$D/zones"
	if [ "$(id -u)" = 0 ]; then rm -rf "$D/zones"; fi
	run --separate-stderr reconcile
	assert_failure 111
	prom_is $F 'dadns_reconcile_last_status{status="incomplete"}' 1
	prom_is $F 'dadns_reconcile_passes_total{status="incomplete"}' 1
	ok2=$(prom $F dadns_reconcile_last_success_timestamp_seconds)
	awk -v a="$ok" -v b="$ok2" 'BEGIN { exit !(a - b >= 0 && a - b < 1) }'
}

@test "metrics: a peer-pull pass writes dadns-peer-pull.prom with each peer's outcome and zones" {
	da_instance a peer-a
	da_instance b peer-b "http://127.0.0.1:$PORT_a/" peer-a
	qpush a example.com 2024010101
	qpush a example.net 2024010101
	dead=$(free_port)
	cat >>"$D/b/app.yml" <<-EOF
	    - url: http://127.0.0.1:$dead
	      username: peersync
	      password: nobody
	metrics_dir: $M
	EOF
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	assert_failure 111
	F=dadns-peer-pull.prom
	A="peer=\"http://127.0.0.1:$PORT_a\""
	X="peer=\"http://127.0.0.1:$dead\""
	prom_is $F "dadns_peer_pull_peer_up{$A}" 1
	prom_is $F "dadns_peer_pull_zones{$A,action=\"saved\"}" 2
	prom_is $F "dadns_peer_pull_peer_failures{$A}" 0
	prom_is $F "dadns_peer_pull_peer_passes_total{$A}" 1
	prom_is $F "dadns_peer_pull_peer_up{$X}" 0
	prom_is $F "dadns_peer_pull_peer_failures{$X}" 1
	prom_is $F "dadns_peer_pull_peer_last_success_timestamp_seconds{$X}" 0
	prom_is $F 'dadns_peer_pull_peers{state="ok"}' 1
	prom_is $F 'dadns_peer_pull_peers{state="failed"}' 1
	ok=$(prom $F "dadns_peer_pull_peer_last_success_timestamp_seconds{$A}")
	[ "${ok%.*}" -ge "$(( $(date +%s) - 60 ))" ]
	well_formed $F
	# The next pass: nothing new from a, a second failure of the other.
	run --separate-stderr peer-pull -c "$D/b/app.yml"
	prom_is $F "dadns_peer_pull_zones{$A,action=\"saved\"}" 0
	prom_is $F "dadns_peer_pull_peer_passes_total{$A}" 2
	prom_is $F "dadns_peer_pull_peer_failures{$X}" 2
}

# adverts_sent FILE LABELS: the textfile counts at least one advert sent.
adverts_sent() {
	local n
	n=$(prom "$1" "dadns_vrrp_adverts_total{$2,direction=\"tx\"}")
	[ "${n:-0}" -ge 1 ]
}

@test "metrics: vrrp-watch's textfile shows its state and transitions" {
	[ "$(id -u)" = 0 ] || fail "needs root for a network namespace"
	NS=vwm$$t$BATS_TEST_NUMBER
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add d0 type veth peer name d1
	ip -n "$NS" addr add 10.99.1.1/24 dev d0
	ip -n "$NS" link set d1 up
	ip -n "$NS" link set d0 up
	DADNS_METRICS_DIR=$M ip netns exec "$NS" vrrp-watch -f /dev/null \
	    -i d0 -r 51 -a 10 -V 10.99.1.100 -s "$D/status" run \
	    2>"$D/vrrp.log" &
	PIDS=$!
	F=dadns-vrrp-d0-51.prom
	# without instances: the one instance is named VI_<vrid>
	L='instance="VI_51",interface="d0",vrid="51"'
	wait_for 10 prom_is $F "dadns_vrrp_state{$L,state=\"master\"}" 1
	prom_is $F "dadns_vrrp_state{$L,state=\"backup\"}" 0
	prom_is $F "dadns_vrrp_became_master_total{$L}" 1
	prom_is $F "dadns_vrrp_transitions_total{$L}" 2
	prom_is $F "dadns_vrrp_healthy{$L}" 1
	prom_is $F "dadns_vrrp_adverts_dropped_total{$L,reason=\"source\"}" 0
	wait_for 10 adverts_sent "$F" "$L"
	well_formed $F
}
