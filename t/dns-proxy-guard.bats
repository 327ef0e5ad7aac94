#!/usr/bin/env bats
# dns-proxy-guard.bats -- dns-proxy under attack, against real backends on
# loopback: NSD (pool auth, cached, serving stale) and two unbound (pool
# rec, roundrobin); dynamic blocks fed by a UDP flood from other loopback
# addresses, the query log, dnstap read by fstrm_capture and kdig, and
# the metrics and control endpoints' protections. Every daemon is started
# here and stopped by PID.

load helper
load helper-proxy

FIX=$BATS_TEST_DIRNAME/fixtures/dns-proxy

stop_pid() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill_wait "$pid" 50
}

# write_conf [ACTION [V4PREFIX [KERNELFILTER]]]: $W/app.yml from the
# template.
write_conf() {
	sed -e "s/@PORT@/$PORT/g" -e "s/@NSD@/$NSD_PORT/g" \
	    -e "s/@REC1@/$REC1_PORT/g" -e "s/@REC2@/$REC2_PORT/g" \
	    -e "s/@METRICS@/$MPORT/g" -e "s|@DIR@|$W|g" \
	    -e "s/@ACTION@/${1:-refuse}/g" -e "s/@V4@/${2:-32}/g" \
	    -e "s/@KF@/${3:-false}/g" \
	    "$FIX/guard.yml.in" >"$W/app.yml.tmp"
	mv "$W/app.yml.tmp" "$W/app.yml"
}

reload_proxy() {
	local n
	n=$(grep -c 'info: reloaded' "$W/proxy.log" || true)
	kill -HUP "$(cat "$W/proxy.pid")"
	wait_for 10 sh -c "[ \$(grep -c 'info: reloaded' '$W/proxy.log') -gt $n ]"
}

q() { # dig through the proxy
	dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@"
}

ctl() {
	dns-proxy ctl -s "$W/ctl.sock" "$@"
}

metric() { # metric NAME{labels} -> value (0 when absent)
	local v
	v=$(curl -s -H "Authorization: Bearer t0ken-for-tests" \
	    "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 == m { print $2 }')
	echo $(( ${v:-0} + 0 ))
}

# nsd_signal SIG: SIG to our NSD and its server processes, by PID.
nsd_signal() {
	local p pid kids all
	pid=$(cat "$W/nsd.pid" 2>/dev/null) || return 0
	all=$pid
	kids=$(pgrep -P "$pid" || true)
	while [ -n "$kids" ]; do
		all="$all $kids"
		kids=$(for p in $kids; do pgrep -P "$p"; done || true)
	done
	for p in $all; do
		kill -"$1" "$p" 2>/dev/null || true
	done
}

flood() { # flood SRC NAME COUNT: the udp-flood line
	python3 "$FIX/udp-flood" "$1" "$PORT" "$2" "$3" 3
}

# Tests that change app.yml or the blocks mark it; the next test starts
# from the default configuration without blocks.
setup() {
	if [ -e "$W/dirty" ]; then
		rm -f "$W/dirty"
		write_conf
		reload_proxy
		ctl clear blocks >/dev/null
	fi
}

setup_file() {
	W=$(mktemp -d /tmp/dns-proxy-guard.XXXXXX)
	chmod 755 "$W"
	export W
	nsd_start "$W/nsd"
	cp "$FIX/own.test.zone" "$NSD_DIR/zones/own.test.db"
	nsd-control -c "$NSD_CONF" addzone own.test da >/dev/null
	wait_for 10 sh -c "dig +short -p $NSD_PORT @127.0.0.1 www.own.test | grep -q 192.0.2.10"
	echo "$NSD_PID" >"$W/nsd.pid"
	unbound_start rec1
	unbound_start rec2
	# The dnstap reader: the proxy (root until it has connected) writes
	# Frame Streams to it.
	fstrm_capture -t protobuf:dnstap.Dnstap -u "$W/tap.sock" \
	    -w "$W/tap.fstrm" >"$W/fstrm.log" 2>&1 &
	echo $! >"$W/fstrm.pid"
	wait_for 10 test -S "$W/tap.sock"
	PORT=$(free_port)
	MPORT=$(free_port)
	export PORT MPORT
	write_conf
	: >"$W/ready"
	dns-proxy -c "$W/app.yml" -d 3 3>"$W/ready" 2>>"$W/proxy.log" &
	echo $! >"$W/proxy.pid"
	wait_for 10 test -s "$W/ready"
	wait_for 10 sh -c "curl -s -H 'Authorization: Bearer t0ken-for-tests' http://127.0.0.1:$MPORT/metrics | grep -q 'backend_up{backend=\"rec2\",pool=\"rec\"} 1'"
}

teardown_file() {
	stop_pid "$W/proxy.pid"
	stop_pid "$W/fstrm.pid"
	stop_pid "$W/rec1/pid"
	stop_pid "$W/rec2/pid"
	nsd_signal CONT
	stop_pid "$W/nsd.pid"
	if [ -n "${DNS_PROXY_KEEP:-}" ]; then
		echo "kept $W" >&3
	else
		rm -rf "$W"
	fi
}

@test "dns-proxy: dynamic block keys, rates and table, metrics credentials, dnstap encoding and stale reads pass their unit checks" {
	run --separate-stderr "$TOP/t/unit/guard"
	assert_success
	assert_output ok
}

@test "dns-proxy: a client over its query rate is blocked within a second while others are served" {
	run flood 127.0.0.2 www.own.test 3000
	echo "$output"
	[ "$status" -eq 0 ]
	read -r _ sent _ answers _ noerror _ _ _ refused _ _ _ first <<<"$output"
	# The first 200 or so pass, the rest are refused, from well
	# within the first second.
	[ "$noerror" -ge 150 ]
	[ "$refused" -gt 1000 ]
	[ "$first" -ge 0 ] && [ "$first" -lt 1000 ]
	# Other clients are not touched.
	run q +short www.own.test A
	[ "$output" = 192.0.2.10 ]
	run q -b 127.0.0.2 www.own.test A
	assert_output --partial "status: REFUSED"
	[ "$(metric 'dns_proxy_dynblock_added_total{reason="queries"}')" -ge 1 ]
	[ "$(metric 'dns_proxy_dynblock_blocked_total{action="refuse"}')" -gt 1000 ]
	[ "$(metric dns_proxy_dynblock_active)" -eq 1 ]
	grep -q 'dynamic block added prefix=127.0.0.2/32 reason=queries' "$W/proxy.log"
	touch "$W/dirty"
}

@test "dns-proxy: ctl lists the dynamic blocks and clears one or all" {
	touch "$W/dirty"
	run ctl block 127.0.0.20 120
	assert_output "ok: 127.0.0.20/32 blocked for 120s"
	run ctl block 127.0.0.21
	assert_output "ok: 127.0.0.21/32 blocked for 30s"
	run ctl show blocks
	[ "$status" -eq 0 ]
	assert_line --regexp '^127\.0\.0\.20/32 +manual +refuse +1[12][0-9] +0$'
	assert_line --regexp '^127\.0\.0\.21/32 +manual +refuse +(29|30) +0$'
	run q -b 127.0.0.20 www.own.test A
	assert_output --partial "status: REFUSED"
	run ctl show blocks
	assert_line --regexp '^127\.0\.0\.20/32 +manual +refuse +[0-9]+ +1$'
	run ctl clear blocks 127.0.0.20
	assert_output "ok: 1 block cleared"
	run q -b 127.0.0.20 +short www.own.test A
	assert_output 192.0.2.10
	run ctl clear blocks
	assert_output "ok: 1 block cleared"
	run ctl show blocks
	[ "${#lines[@]}" -eq 1 ]
	# Bad prefixes are refused with the reason.
	run ctl block 127.0.0.0/24
	[ "$status" -eq 100 ]
	assert_output --partial "blocks are /32 prefixes (dynamic_blocks.ipv4_prefix)"
	run ctl block not-an-address
	[ "$status" -eq 100 ]
	assert_output --partial "not an address or prefix: not-an-address"
	run ctl clear blocks 300.1.1.1
	[ "$status" -eq 100 ]
}

@test "dns-proxy: a client causing NXDOMAIN answers over their rate is blocked" {
	touch "$W/dirty"
	# 120 queries stay under the query rate (200/s), not under the
	# NXDOMAIN rate (50/s).
	run flood 127.0.0.3 '*.own.test' 120
	echo "$output"
	read -r _ sent _ answers _ noerror _ nxdomain _ refused _ _ _ first <<<"$output"
	[ "$nxdomain" -ge 50 ]
	[ "$(metric 'dns_proxy_dynblock_added_total{reason="nxdomain"}')" -ge 1 ]
	run flood 127.0.0.3 www.own.test 20
	echo "$output"
	read -r _ sent _ answers _ noerror _ nxdomain _ refused _ _ _ first <<<"$output"
	[ "$refused" -eq 20 ]
	run ctl show blocks
	assert_line --regexp '^127\.0\.0\.3/32 +nxdomain +refuse '
}

@test "dns-proxy: a client drawing SERVFAIL answers over their rate is blocked" {
	touch "$W/dirty"
	ctl set backend rec1 down
	ctl set backend rec2 down
	run flood 127.0.0.4 www.rec.test 120
	ctl set backend rec1 auto
	ctl set backend rec2 auto
	echo "$output"
	[ "$(metric 'dns_proxy_dynblock_added_total{reason="servfail"}')" -ge 1 ]
	run ctl show blocks
	assert_line --regexp '^127\.0\.0\.4/32 +servfail +refuse '
	run q -b 127.0.0.4 www.rec.test A
	assert_output --partial "status: REFUSED"
}

@test "dns-proxy: dynamic block actions drop and truncate, and a /24 prefix" {
	touch "$W/dirty"
	write_conf truncate 24
	reload_proxy
	run ctl block 127.0.5.1
	assert_output "ok: 127.0.5.0/24 blocked for 30s"
	# Truncated over UDP, answered over TCP: real clients get through.
	run q -b 127.0.5.7 +notcp +ignore www.own.test A
	assert_output --partial "flags: qr tc"
	run q -b 127.0.5.8 +short www.own.test A
	assert_output 192.0.2.10
	write_conf drop
	reload_proxy
	run ctl block 127.0.0.6
	run q -b 127.0.0.6 +time=1 www.own.test A
	[ "$status" -eq 9 ]
	[ "$(metric 'dns_proxy_dynblock_blocked_total{action="drop"}')" -ge 1 ]
	[ "$(metric 'dns_proxy_dynblock_blocked_total{action="truncate"}')" -ge 1 ]
}

@test "dns-proxy: with kernel_filter, blocked sources are dropped by a socket filter and let through once cleared" {
	touch "$W/dirty"
	write_conf drop 32 true
	reload_proxy
	run ctl block 127.0.0.8
	run ctl block 127.0.0.9
	sleep 0.3	# the next tick of the worker installs the filter
	local before
	before=$(metric 'dns_proxy_dynblock_blocked_total{action="drop"}')
	run q -b 127.0.0.8 +time=1 www.own.test A
	[ "$status" -eq 9 ]
	# Dropped before the proxy reads it: not counted there.
	[ "$(metric 'dns_proxy_dynblock_blocked_total{action="drop"}')" -eq "$before" ]
	run q -b 127.0.0.10 +short www.own.test A
	assert_output 192.0.2.10
	run ctl clear blocks 127.0.0.8
	sleep 0.3
	run q -b 127.0.0.8 +short www.own.test A
	assert_output 192.0.2.10
	run q -b 127.0.0.9 +time=1 www.own.test A
	[ "$status" -eq 9 ]
	# Without kernel_filter the filter goes, the block stays: its
	# queries reach the proxy again, which drops and counts them.
	write_conf drop
	reload_proxy
	sleep 0.3
	run q -b 127.0.0.9 +time=1 www.own.test A
	[ "$status" -eq 9 ]
	[ "$(metric 'dns_proxy_dynblock_blocked_total{action="drop"}')" -gt "$before" ]
}

@test "dns-proxy: with its backend down or timing out a pool answers from expired cache entries with TTL 30" {
	run q +short www2.own.test A
	assert_output 192.0.2.11
	sleep 2.2	# max_ttl 1: expired now
	ctl set backend nsd down
	run q +noall +answer www2.own.test A
	ctl set backend nsd auto
	assert_output --regexp 'www2\.own\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.11'
	[ "$(metric dns_proxy_stale_answers_total)" -ge 1 ]
	# NSD frozen: the query times out at the backend, the stale answer
	# goes out instead of SERVFAIL.
	run q +short WwW.own.test A
	run q +tcp +short short.own.test A
	sleep 2.2
	nsd_signal STOP
	run q +noall +answer +time=3 WwW.own.test A
	local udp=$output
	run q +tcp +noall +answer +time=4 short.own.test A
	nsd_signal CONT
	echo "$udp"
	[[ "$udp" =~ ^WwW\.own\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.10 ]]
	assert_output --regexp '^short\.own\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.12'
	[ "$(metric dns_proxy_stale_answers_total)" -ge 3 ]
	# Never cached: SERVFAIL as before.
	ctl set backend nsd down
	run q nothing-cached.own.test A
	ctl set backend nsd auto
	assert_output --partial "status: SERVFAIL"
}

@test "dns-proxy: roundrobin takes the backends of a pool in turn" {
	local a b c d
	a=$(q +short who.rec.test TXT)
	b=$(q +short who.rec.test TXT)
	c=$(q +short who.rec.test TXT)
	d=$(q +short who.rec.test TXT)
	echo "$a $b $c $d"
	[ "$a" != "$b" ] && [ "$b" != "$c" ] && [ "$c" != "$d" ]
	[ "$a" = "$c" ] && [ "$b" = "$d" ]
	run ctl show pools
	assert_line --regexp '^rec +roundrobin '
}

@test "dns-proxy: one query in query_log.sample is logged" {
	local before after i
	before=$(grep -c ' query client=' "$W/proxy.log" || true)
	for i in $(seq 1 30); do
		q +short -b 127.0.0.9 "n$i.w.own.test" A >/dev/null
	done
	after=$(grep -c ' query client=' "$W/proxy.log" || true)
	[ $(( after - before )) -eq 3 ]
	grep -E 'query client=127\.0\.0\.9:[0-9]+ proto=udp name=n[0-9]+\.w\.own\.test\.? type=1 class=1' "$W/proxy.log"
	[ "$(metric dns_proxy_query_log_lines_total)" -ge 3 ]
}

@test "dns-proxy: queries and answers go to dnstap, read by fstrm_capture and kdig" {
	q +short tap-probe.w.own.test A
	q +tcp +short tap-probe2.w.own.test A
	sleep 0.5
	[ "$(metric dns_proxy_dnstap_frames_total)" -ge 4 ]
	# fstrm_capture writes its file out when it stops.
	stop_pid "$W/fstrm.pid"
	run kdig -G "$W/tap.fstrm"
	echo "$output" | tail -n 40
	[ "$status" -eq 0 ]
	assert_output --partial "tap-probe.w.own.test"
	assert_output --partial "198.19.0.1"
	assert_output --partial "TCP"
}

@test "dns-proxy: the metrics endpoint wants its token and listens on loopback for a bare port" {
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics"
	assert_output 401
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "http://127.0.0.1:$MPORT/metrics"
	assert_output 401
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer t0ken-for-tests" "http://127.0.0.1:$MPORT/metrics"
	assert_output 200
	[ "$(metric dns_proxy_metrics_auth_failures_total)" -ge 2 ]
	run ss -Hltn "sport = :$MPORT"
	assert_output --partial "127.0.0.1:$MPORT"
}

@test "dns-proxy: metrics with basic auth take the right user and password only" {
	local d=$W/basic p m
	mkdir -p "$d"
	p=$(free_port)
	m=$(free_port)
	cat >"$d/app.yml" <<-EOF
	dns_proxy:
	  listen: [127.0.0.1:$p]
	  metrics_listen: ":$m"
	  metrics_user: prom
	  metrics_password: "pa ss:word"
	  pools:
	    auth:
	      backends: [127.0.0.1:$NSD_PORT]
	EOF
	dns-proxy -c "$d/app.yml" -d 3 3>"$d/ready" 2>"$d/log" &
	echo $! >"$d/pid"
	wait_for 10 test -s "$d/ready"
	run curl -s -o /dev/null -w '%{http_code}' -u 'prom:pa ss:word' "http://127.0.0.1:$m/metrics"
	local good=$output
	run curl -s -o /dev/null -w '%{http_code}' -u 'prom:pa ss:wore' "http://127.0.0.1:$m/metrics"
	local bad=$output
	run curl -s -o /dev/null -w '%{http_code}' -u 'pro:pa ss:word' "http://127.0.0.1:$m/metrics"
	local baduser=$output
	stop_pid "$d/pid"
	[ "$good" = 200 ] && [ "$bad" = 401 ] && [ "$baduser" = 401 ]
}

@test "dns-proxy: the control socket has its configured mode and a world-writable one is refused" {
	run stat -c %a "$W/ctl.sock"
	assert_output 600
	sed 's/control_socket_mode: "0600"/control_socket_mode: "0666"/' "$W/app.yml" >"$W/bad.yml"
	run dns-proxy -n -c "$W/bad.yml"
	[ "$status" -eq 100 ]
	assert_output --partial "dns_proxy.control_socket_mode: 0666 lets anybody control the proxy"
	run env DADNS_DNS_PROXY_CONTROL_SOCKET_MODE=0602 dns-proxy -n -c "$W/app.yml"
	[ "$status" -eq 100 ]
	assert_output --partial "DADNS_DNS_PROXY_CONTROL_SOCKET_MODE: 0602 lets anybody"
}

@test "dns-proxy: bad dynamic_blocks and query_log values exit 100 naming file, line and key" {
	sed 's/    queries: 200/    queries: lots/' "$W/app.yml" >"$W/bad.yml"
	run dns-proxy -n -c "$W/bad.yml"
	[ "$status" -eq 100 ]
	assert_output --regexp 'bad\.yml:[0-9]+: dns_proxy\.dynamic_blocks\.queries: not a number: "lots"'
	sed 's/    action: refuse/    action: explode/' "$W/app.yml" >"$W/bad.yml"
	run dns-proxy -n -c "$W/bad.yml"
	[ "$status" -eq 100 ]
	assert_output --partial 'dns_proxy.dynamic_blocks.action: unknown action "explode" (one of drop, refuse, truncate)'
	sed 's/    ipv4_prefix: 32/    ipv4_prefix: 33/' "$W/app.yml" >"$W/bad.yml"
	run dns-proxy -n -c "$W/bad.yml"
	[ "$status" -eq 100 ]
	assert_output --partial 'dns_proxy.dynamic_blocks.ipv4_prefix: 33 is out of range 8..32'
	sed "s|    dnstap_socket: .*|    dnstap_socket: relative/tap.sock|" "$W/app.yml" >"$W/bad.yml"
	run dns-proxy -n -c "$W/bad.yml"
	[ "$status" -eq 100 ]
	assert_output --partial 'dns_proxy.query_log.dnstap_socket: not an absolute path'
	run env DADNS_DNS_PROXY_DYNAMIC_BLOCKS_WINDOW=0 dns-proxy -n -c "$W/app.yml"
	[ "$status" -eq 100 ]
	assert_output --partial 'DADNS_DNS_PROXY_DYNAMIC_BLOCKS_WINDOW: 0 is out of range'
}

@test "dadns-checkconf: metrics off loopback without credentials, and a user without a password, are faults" {
	local d=$W/check
	mkdir -p "$d"
	cat >"$d/app.yml" <<-EOF
	dns_proxy:
	  listen: [127.0.0.1:5300]
	  metrics_listen: "0.0.0.0:8083"
	  metrics_user: prom
	  pools:
	    auth:
	      backends: [127.0.0.1:53]
	EOF
	run dadns-checkconf -c "$d/app.yml"
	[ "$status" -eq 100 ]
	assert_output --partial "dns_proxy.metrics_user: metrics_user and metrics_password go together"
	sed -i '/  metrics_user: prom/d' "$d/app.yml"
	run dadns-checkconf -c "$d/app.yml"
	[ "$status" -eq 100 ]
	assert_output --partial "dns_proxy.metrics_listen: 0.0.0.0:8083 is not loopback: set metrics_token"
	sed -i 's/  metrics_listen: .*/&\n  metrics_token: abc/' "$d/app.yml"
	run dadns-checkconf -c "$d/app.yml"
	[ "$status" -eq 0 ]
}
