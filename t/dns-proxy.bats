#!/usr/bin/env bats
# dns-proxy.bats -- the DNS frontend against real backends on loopback:
# NSD (pool auth, zone own.test) and two unbound (pool rec, local data and
# a stub zone), all started here and stopped by PID.

load helper
load helper-proxy

FIX=$BATS_TEST_DIRNAME/fixtures/dns-proxy


# stop_pid FILE: stop the process whose PID FILE holds, and wait.
stop_pid() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill_wait "$pid" 50
}

# write_conf [QPS [QPSACTION [RECPOLICY]]]: $W/app.yml from the template.
write_conf() {
	sed -e "s/@PORT@/$PORT/g" -e "s/@NSD@/$NSD_PORT/g" \
	    -e "s/@REC1@/$REC1_PORT/g" -e "s/@REC2@/$REC2_PORT/g" \
	    -e "s/@METRICS@/$MPORT/g" -e "s|@DIR@|$W|g" \
	    -e "s/@QPS@/${1:-0}/g" -e "s/@QPSACTION@/${2:-drop}/g" \
	    -e "s/@RECPOLICY@/${3:-leastOutstanding}/g" \
	    "$FIX/app.yml.in" >"$W/app.yml.tmp"
	mv "$W/app.yml.tmp" "$W/app.yml"
}

proxy_start() {
	: >"$W/ready"
	dns-proxy -c "$W/app.yml" -d 3 3>"$W/ready" 2>>"$W/proxy.log" &
	echo $! >"$W/proxy.pid"
	wait_for 10 test -s "$W/ready"
}

# reload_proxy: SIGHUP and wait until the reload is logged.
reload_proxy() {
	local n
	n=$(grep -c 'info: reloaded' "$W/proxy.log" || true)
	kill -HUP "$(cat "$W/proxy.pid")"
	wait_for 10 sh -c "[ \$(grep -c 'info: reloaded' '$W/proxy.log') -gt $n ]"
}

q() { # dig through the proxy
	dig +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$@"
}

metric() { # metric NAME{labels} -> value (0 when absent)
	echo $(( $(metric_at "http://127.0.0.1:$MPORT/metrics" "$1") + 0 ))
}

# Tests that change app.yml mark it; the next test starts from the default.
setup() {
	if [ -e "$W/dirty" ]; then
		rm -f "$W/dirty"
		write_conf
		reload_proxy
	fi
}

setup_file() {
	# A directory the unprivileged proxy (user nobody) can read for
	# SIGHUP reloads.
	W=$(mktemp -d /tmp/dns-proxy-test.XXXXXX)
	chmod 755 "$W"
	export W
	nsd_start "$W/nsd"
	cp "$FIX/own.test.zone" "$NSD_DIR/zones/own.test.db"
	cp "$FIX/stub.test.zone" "$NSD_DIR/zones/stub.test.db"
	nsd-control -c "$NSD_CONF" addzone own.test da >/dev/null
	nsd-control -c "$NSD_CONF" addzone stub.test da >/dev/null
	wait_for 10 sh -c "dig +short -p $NSD_PORT @127.0.0.1 www.own.test | grep -q 192.0.2.10"
	echo "$NSD_PID" >"$W/nsd.pid"
	unbound_start rec1
	unbound_start rec2
	PORT=$(free_port)
	MPORT=$(free_port)
	export PORT MPORT
	write_conf
	proxy_start
	wait_for 10 sh -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -q 'backend_up{backend=\"rec2\",pool=\"rec\"} 1'"
}

teardown_file() {
	stop_pid "$W/proxy.pid"
	stop_pid "$W/proxy2.pid"
	stop_pid "$W/supervise.pid"
	stop_pid "$W/rec1/pid"
	stop_pid "$W/rec2/pid"
	stop_pid "$W/nsd.pid"
	stop_pid "$W/edns/proxy.pid"
	stop_pid "$W/edns/nsd.pid"
	stop_pid "$W/edns/stub.pid"
	if [ -n "${DNS_PROXY_KEEP:-}" ]; then
		echo "kept $W" >&3
	else
		rm -rf "$W"
	fi
}

@test "dns-proxy: -h prints the usage on stdout and exits 0" {
	run --separate-stderr dns-proxy -h
	assert_success
	[[ "${lines[0]}" == "usage: dns-proxy "* ]]
	[ -z "$stderr" ]
}

@test "dns-proxy: wrong usage exits 100 with the usage line" {
	run --separate-stderr dns-proxy -x
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns-proxy: usage: dns-proxy "* ]]
	run --separate-stderr dns-proxy ctl
	[ "$status" -eq 100 ]
}

@test "dns-proxy: packet parser, cache, rate limiter and ACLs pass their unit checks" {
	run --separate-stderr "$TOP/t/unit/dnsproxy"
	assert_success
	assert_output "ok"
}

@test "dns-proxy: a bad config value exits 100 naming file, line and key" {
	sed 's/policy: leastOutstanding/policy: fastest/' "$W/app.yml" >"$BATS_TEST_TMPDIR/bad.yml"
	run --separate-stderr dns-proxy -n -c "$BATS_TEST_TMPDIR/bad.yml"
	[ "$status" -eq 100 ]
	line=$(grep -n 'policy: fastest' "$BATS_TEST_TMPDIR/bad.yml" | head -1 | cut -d: -f1)
	assert_equal "$stderr" "dns-proxy: fatal: $BATS_TEST_TMPDIR/bad.yml:$line: dns_proxy.pools.auth.policy: unknown policy \"fastest\""
	run --separate-stderr env DADNS_DNS_PROXY_QPS_ACTION=maybe dns-proxy -n -c "$W/app.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"DADNS_DNS_PROXY_QPS_ACTION: unknown action \"maybe\""* ]]
	run --separate-stderr dns-proxy -n -c "$W/app.yml"
	assert_success
	[[ "$output" == *"ok: listen=2 pools=2 backends=3 routes=1"* ]]
}

@test "dns-proxy: own zone answered by NSD with aa, others by unbound with ra" {
	run q www.own.test A
	assert_success
	[[ "$output" == *"status: NOERROR"* ]]
	[[ "$output" == *"flags: qr aa rd;"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	# unbound's local data: recursion available (ra)
	run q www.rec.test A
	[[ "$output" == *"status: NOERROR"* ]]
	[[ "$output" == *"flags: qr aa rd ra;"* ]]
	[[ "$output" == *"192.0.2.80"* ]]
	# stub.test is not routed to auth: unbound recurses to NSD for it,
	# and its answer is not authoritative.
	run q www.stub.test A
	[[ "$output" == *"flags: qr rd ra;"* ]]
	[[ "$output" == *"192.0.2.20"* ]]
	# Suffix match is by label and case-insensitive.
	run q WWW.OWN.TEST A
	[[ "$output" == *"flags: qr aa rd;"* ]]
	run q www.notown.test A
	[[ "$output" != *" aa "* ]]
}

@test "dns-proxy: answers on IPv6 and over TCP" {
	run dig +time=2 +tries=1 -p "$PORT" @::1 www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
	run q +tcp www.rec.test A
	[[ "$output" == *"192.0.2.80"* ]]
	[[ "$output" == *"(TCP)"* ]]
	run q +tcp www.own.test A
	[[ "$output" == *"flags: qr aa rd;"* ]]
	[ "$(metric 'dns_proxy_queries_total{proto="tcp"}')" -ge 2 ]
}

@test "dns-proxy: cache hits are counted, keep the client's ID and spelling, and age TTLs" {
	h0=$(metric 'dns_proxy_cache_hits_total{pool="auth"}')
	m0=$(metric 'dns_proxy_cache_misses_total{pool="auth"}')
	run q ww2.own.test A
	run q www2.own.test A
	[[ "$output" == *"192.0.2.11"* ]]
	sleep 1.2
	run q wWw2.OwN.tEsT A
	[[ "$output" == *"192.0.2.11"* ]]
	# the question comes back spelt as asked, the TTL has aged
	printf '%s\n' "$output" | grep -q '^wWw2.OwN.tEsT\.[[:space:]]*3[0-9][0-9][0-9][[:space:]]'
	ttl=$(printf '%s\n' "$output" | awk '$1 == "wWw2.OwN.tEsT." && $4 == "A" { print $2 }')
	[ "$ttl" -lt 3600 ]
	[ "$(metric 'dns_proxy_cache_hits_total{pool="auth"}')" -ge $((h0 + 1)) ]
	[ "$(metric 'dns_proxy_cache_misses_total{pool="auth"}')" -ge $((m0 + 2)) ]
	# NXDOMAIN is cached too (negative caching, SOA minimum 300)
	run q nothere.own.test A
	[[ "$output" == *"status: NXDOMAIN"* ]]
	h1=$(metric 'dns_proxy_cache_hits_total{pool="auth"}')
	run q nothere.own.test A
	[[ "$output" == *"status: NXDOMAIN"* ]]
	[[ "$output" == *"flags: qr aa rd;"* ]]
	[ "$(metric 'dns_proxy_cache_hits_total{pool="auth"}')" -eq $((h1 + 1)) ]
	run dns-proxy ctl -c "$W/app.yml" show cache
	assert_success
	[[ "$output" == *"auth"* ]]
}

@test "dns-proxy: ANY and CHAOS queries are dropped and counted" {
	a0=$(metric 'dns_proxy_drops_total{reason="any"}')
	c0=$(metric 'dns_proxy_drops_total{reason="chaos"}')
	run q +time=1 own.test ANY
	[[ "$output" == *"timed out"* || "$output" == *"no servers could be reached"* ]]
	run q +time=1 version.bind TXT CH
	[[ "$output" == *"timed out"* || "$output" == *"no servers could be reached"* ]]
	[ "$(metric 'dns_proxy_drops_total{reason="any"}')" -eq $((a0 + 1)) ]
	[ "$(metric 'dns_proxy_drops_total{reason="chaos"}')" -eq $((c0 + 1)) ]
}

@test "dns-proxy: clients outside the ACL get REFUSED" {
	r0=$(metric 'dns_proxy_refused_total{reason="acl"}')
	run q -b 127.0.0.2 www.own.test A
	[[ "$output" == *"status: REFUSED"* ]]
	[[ "$output" != *"192.0.2.10"* ]]
	[ "$(metric 'dns_proxy_refused_total{reason="acl"}')" -eq $((r0 + 1)) ]
}

@test "dns-proxy: truncated answers pass through and the client retries over TCP" {
	run q +noedns +ignore big.own.test TXT
	[[ "$output" == *"flags: qr aa tc rd;"* ]]
	run q +noedns big.own.test TXT
	[[ "$output" == *"Truncated, retrying in TCP mode"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^big.own.test.*TXT')" -eq 8 ]
	[ "$(metric 'dns_proxy_truncated_total{reason="backend"}')" -ge 1 ]
}

@test "dns-proxy: TCP pipelining, per-client connection limit and idle timeout" {
	# Three queries in one write (IDs 1, 2, 3); the answers come back on
	# the same connection, which the proxy closes after its 2 s idle time
	# (timeout(1) would exit 124).
	i0=$(metric dns_proxy_tcp_idle_closed_total)
	run timeout 8 bash -c '
	qry() { printf "\000\036\000$1\001\000\000\001\000\000\000\000\000\000\003www\003own\004test\000\000\001\000\001"; }
	exec 6<>/dev/tcp/127.0.0.1/$0
	{ qry "\001"; qry "\002"; qry "\003"; } >&6
	od -An -tx1 <&6' "$PORT"
	assert_success
	answers=$(printf '%s' "$output" | tr -d ' \n' | grep -o 'c000020a' | wc -l)
	[ "$answers" -eq 3 ]
	[ "$(metric dns_proxy_tcp_idle_closed_total)" -eq $((i0 + 1)) ]
	# max_connections_per_client is 4: the fifth is closed at once.
	p0=$(metric 'dns_proxy_tcp_rejected_total{reason="per_client"}')
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT"
	exec 7<>"/dev/tcp/127.0.0.1/$PORT" 8<>"/dev/tcp/127.0.0.1/$PORT"
	exec 9<>"/dev/tcp/127.0.0.1/$PORT"
	run timeout 3 cat <&9
	[ "$status" -eq 0 ]
	exec 5<&- 6<&- 7<&- 8<&- 9<&-
	[ "$(metric 'dns_proxy_tcp_rejected_total{reason="per_client"}')" -eq $((p0 + 1)) ]
}

@test "dns-proxy: the per-client QPS limit answers TC=1 past its rate" {
	touch "$W/dirty"
	write_conf 5 truncate
	reload_proxy
	names=$(for i in $(seq 40); do printf 'x%d.w.own.test ' "$i"; done)
	run q +ignore $names
	tc=$(printf '%s\n' "$output" | grep -c 'flags: qr tc rd;' || true)
	ok=$(printf '%s\n' "$output" | grep -c '198.19.0.1' || true)
	[ "$tc" -ge 20 ]
	[ "$ok" -ge 5 ]
	[ "$(metric 'dns_proxy_truncated_total{reason="qps"}')" -ge 20 ]
	write_conf 5 drop
	reload_proxy
	d0=$(metric 'dns_proxy_drops_total{reason="qps"}')
	run q +time=1 $names
	[ "$(metric 'dns_proxy_drops_total{reason="qps"}')" -gt "$d0" ]
	write_conf
	reload_proxy
}

@test "dns-proxy: policies firstAvailable, chashed and wrandom spread the rec pool as documented" {
	touch "$W/dirty"
	write_conf 0 drop firstAvailable
	reload_proxy
	for i in 1 2 3 4 5; do
		[ "$(q +short who.rec.test TXT)" = '"rec1"' ]
	done
	write_conf 0 drop chashed
	reload_proxy
	first=$(q +short who.rec.test TXT)
	for i in 1 2 3 4 5; do
		[ "$(q +short who.rec.test TXT)" = "$first" ]
	done
	write_conf 0 drop wrandom
	reload_proxy
	seen=$(for i in $(seq 30); do q +short who.rec.test TXT; done | sort -u | wc -l)
	[ "$seen" -eq 2 ]
	write_conf
	reload_proxy
}

@test "dns-proxy: ctl shows servers and pools and sets a backend down and back" {
	run dns-proxy ctl -s "$W/ctl.sock" show servers
	assert_success
	[[ "$output" == *"rec1"*"up"* ]]
	[[ "$output" == *"nsd "*"auth"* ]]
	run dns-proxy ctl -s "$W/ctl.sock" show pools
	[[ "$output" == *"leastOutstanding"*"rec1 rec2"* ]]
	run dns-proxy ctl -s "$W/ctl.sock" set backend rec1 down
	assert_success
	for i in 1 2 3 4 5 6; do
		[ "$(q +short who.rec.test TXT)" = '"rec2"' ]
	done
	[ "$(metric 'dns_proxy_backend_up{backend="rec1",pool="rec"}')" -eq 0 ]
	run dns-proxy ctl -s "$W/ctl.sock" set backend rec1 auto
	assert_success
	[ "$(metric 'dns_proxy_backend_up{backend="rec1",pool="rec"}')" -eq 1 ]
	run --separate-stderr dns-proxy ctl -s "$W/ctl.sock" set backend nosuch down
	[ "$status" -eq 100 ]
	[[ "$stderr" == "error: no backend nosuch"* ]]
}

@test "dns-proxy: dns-proxy-ctl is the same client as dns-proxy ctl, with its own usage line" {
	run --separate-stderr dns-proxy-ctl
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns-proxy-ctl: usage: dns-proxy-ctl "* ]]
	run --separate-stderr dns-proxy-ctl -h
	assert_success
	[[ "${lines[0]}" == "usage: dns-proxy-ctl "* ]]
	run dns-proxy-ctl -s "$W/ctl.sock" show pools
	assert_success
	[[ "$output" == *"leastOutstanding"*"rec1 rec2"* ]]
	[ "$output" = "$(dns-proxy ctl -s "$W/ctl.sock" show pools)" ]
	run dns-proxy-ctl -c "$W/app.yml" show cache
	assert_success
	[[ "$output" == *"auth"* ]]
	run --separate-stderr dns-proxy-ctl -s "$W/ctl.sock" set backend nosuch down
	[ "$status" -eq 100 ]
	[[ "$stderr" == "error: no backend nosuch"* ]]
	run --separate-stderr dns-proxy-ctl -s "$W/nothere.sock" show pools
	[ "$status" -eq 111 ]
	[[ "$stderr" == "dns-proxy-ctl: fatal: unable to connect to $W/nothere.sock"* ]]
}

@test "dns-proxy: bad packets are answered FORMERR or dropped while valid queries keep being answered" {
	f0=$(metric 'dns_proxy_answers_total{rcode="formerr"}')
	m0=$(metric 'dns_proxy_drops_total{reason="malformed"}')
	for i in $(seq 20); do
		# truncated header, garbage, a question name that points at itself,
		# a question cut in the middle, an oversized datagram
		printf '\001\002\003\004\005' >"/dev/udp/127.0.0.1/$PORT"
		head -c 300 /dev/urandom >"/dev/udp/127.0.0.1/$PORT"
		printf '\000\007\001\000\000\001\000\000\000\000\000\000\300\014\000\001\000\001' >"/dev/udp/127.0.0.1/$PORT"
		printf '\000\010\001\000\000\001\000\000\000\000\000\000\003www\003ow' >"/dev/udp/127.0.0.1/$PORT"
		dd if=/dev/zero bs=5000 count=1 status=none >"/dev/udp/127.0.0.1/$PORT"
		[ "$(q +short www.own.test A)" = 192.0.2.10 ]
	done
	kill -0 "$(cat "$W/proxy.pid")"
	[ "$(metric 'dns_proxy_answers_total{rcode="formerr"}')" -ge $((f0 + 40)) ]
	[ "$(metric 'dns_proxy_drops_total{reason="malformed"}')" -ge $((m0 + 20)) ]
}

@test "dns-proxy: SIGHUP reloads routes under load without losing a query" {
	run q www.stub.test A
	[[ "$output" == *"flags: qr rd ra;"* ]]
	names=$(for i in $(seq 60); do printf 'www.rec.test who.rec.test/TXT '; done | sed 's|/TXT| TXT|g')
	(
		for b in 1 2 3 4; do
			dig +time=3 +tries=1 -p "$PORT" @127.0.0.1 $names
		done >"$BATS_TEST_TMPDIR/load.out" 2>&1
	) &
	load=$!
	touch "$W/dirty"
	sed 's/^    own.test: auth$/    own.test: auth\n    stub.test: auth/' "$W/app.yml" >"$W/app.yml.tmp"
	mv "$W/app.yml.tmp" "$W/app.yml"
	for i in 1 2 3; do
		reload_proxy
	done
	wait "$load"
	[ "$(grep -c 'status: NOERROR' "$BATS_TEST_TMPDIR/load.out")" -eq 480 ]
	run ! grep -q 'timed out' "$BATS_TEST_TMPDIR/load.out"
	run q www.stub.test A
	[[ "$output" == *"flags: qr aa rd;"* ]]
	[ "$(metric 'dns_proxy_reloads_total{result="ok"}')" -ge 3 ]
	write_conf
	reload_proxy
}

@test "dns-proxy: a failed reload keeps the running configuration" {
	touch "$W/dirty"
	cp "$W/app.yml" "$W/good.yml"
	printf 'dns_proxy: [not, a, mapping\n' >"$W/app.yml"
	kill -HUP "$(cat "$W/proxy.pid")"
	wait_for 10 grep -q 'reload failed' "$W/proxy.log"
	run q www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
	[ "$(metric 'dns_proxy_reloads_total{result="failed"}')" -ge 1 ]
	mv "$W/good.yml" "$W/app.yml"
}

@test "dns-proxy: runs as the configured user after binding" {
	uid=$(awk '/^Uid:/ { print $3 }' "/proc/$(cat "$W/proxy.pid")/status")
	[ "$uid" -eq "$(id -u nobody)" ]
}

@test "dns-proxy: two workers share the port and sum their metrics" {
	P2=$(free_port)
	M2=$(free_port)
	sed -e "s/127.0.0.1:$PORT/127.0.0.1:$P2/" -e "s/\[::1\]:$PORT/[::1]:$P2/" \
	    -e "s/127.0.0.1:$MPORT/127.0.0.1:$M2/" -e "s|$W/ctl.sock|$W/ctl2.sock|" \
	    "$W/app.yml" >"$W/app2.yml"
	: >"$W/ready2"
	dns-proxy -w 2 -c "$W/app2.yml" -d 3 3>"$W/ready2" 2>>"$W/proxy2.log" &
	echo $! >"$W/proxy2.pid"
	wait_for 10 test -s "$W/ready2"
	[ "$(pgrep -P "$(cat "$W/proxy2.pid")" | wc -l)" -eq 1 ]
	names=$(for i in $(seq 30); do printf 'www.rec.test '; done)
	run dig +time=2 +tries=1 -p "$P2" @127.0.0.1 $names
	[ "$(printf '%s\n' "$output" | grep -c 'status: NOERROR')" -eq 30 ]
	n=$(curl -s "http://127.0.0.1:$M2/metrics" | awk '$1 == "dns_proxy_queries_total{proto=\"udp\"}" { print $2 }')
	[ "$n" -eq 30 ]
	[ "$(curl -s "http://127.0.0.1:$M2/metrics" | awk '$1 == "dns_proxy_workers" { print $2 }')" -eq 2 ]
	stop_pid "$W/proxy2.pid"
}

@test "dns-proxy: runs under s6-supervise with readiness, and finish stops restarts after exit 100" {
	S=$W/svc/dns-proxy
	mkdir -p "$W/svc"
	cp -r "$TOP/service/dns-proxy" "$S"
	P3=$(free_port)
	sed -e "s/127.0.0.1:$PORT/127.0.0.1:$P3/" -e "s/\[::1\]:$PORT/[::1]:$P3/" \
	    -e "/metrics_listen/d" -e "/control_socket/d" "$W/app.yml" >"$W/app3.yml"
	mkdir -p "$S/env"
	echo "$W/app3.yml" >"$S/env/DADNS_CONFIG"
	s6-supervise "$S" >"$W/svc.log" 2>&1 &
	echo $! >"$W/supervise.pid"
	# s6-supervise needs a moment to create its status file.
	wait_for 10 test -e "$S/supervise/status"
	run s6-svwait -U -t 10000 "$S"
	assert_success
	[ "$(dig +short +time=2 +tries=1 -p "$P3" @127.0.0.1 www.own.test A)" = 192.0.2.10 ]
	s6-svc -d "$S"
	s6-svwait -D -t 10000 "$S"
	s6-svc -x "$S"
	wait_for 10 sh -c "! kill -0 $(cat "$W/supervise.pid")"
	run sh "$S/finish" 100
	[ "$status" -eq 125 ]
	run sh "$S/finish" 111
	[ "$status" -eq 0 ]
}

@test "dns-proxy: a stopped unbound is marked down and the other answers" {
	stop_pid "$W/rec1/pid"
	wait_for 10 sh -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -q 'backend_up{backend=\"rec1\",pool=\"rec\"} 0'"
	for i in $(seq 10); do
		run q www.rec.test A
		[[ "$output" == *"status: NOERROR"* ]]
		[[ "$output" == *"192.0.2.80"* ]]
	done
	run dns-proxy ctl -s "$W/ctl.sock" show servers
	[[ "$output" == *"rec1 "*"down"* ]]
	grep -q 'warning: backend down backend=rec1' "$W/proxy.log"
	# Forced up while it is gone: its queries time out into SERVFAIL.
	t0=$(metric 'dns_proxy_servfail_total{reason="timeout"}')
	dns-proxy ctl -s "$W/ctl.sock" set backend rec1 up
	dns-proxy ctl -s "$W/ctl.sock" set backend rec2 down
	run q +time=3 www.rec.test A
	[[ "$output" == *"status: SERVFAIL"* ]]
	dns-proxy ctl -s "$W/ctl.sock" set backend rec1 auto
	dns-proxy ctl -s "$W/ctl.sock" set backend rec2 auto
	[ "$(metric 'dns_proxy_servfail_total{reason="timeout"}')" -eq $((t0 + 1)) ]
	[ "$(metric 'dns_proxy_backend_timeouts_total{backend="rec1",pool="rec"}')" -ge 1 ]
}

@test "dns-proxy: with NSD stopped only the own domains fail" {
	stop_pid "$W/nsd.pid"
	wait_for 10 sh -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -q 'backend_up{backend=\"nsd\",pool=\"auth\"} 0'"
	run q x99.w.own.test A
	[[ "$output" == *"status: SERVFAIL"* ]]
	run q nocache.stub.test A
	[[ "$output" == *"status: SERVFAIL"* ]]	# unbound asks NSD too
	run q www.rec.test A
	[[ "$output" == *"status: NOERROR"* ]]
	[[ "$output" == *" ra;"* ]]
	[ "$(metric 'dns_proxy_servfail_total{reason="no_backend"}')" -ge 1 ]
}

@test "dns-proxy: SIGTERM stops it cleanly" {
	pid=$(cat "$W/proxy.pid")
	kill -TERM "$pid"
	wait_for 10 sh -c "! kill -0 $pid"
	grep -q 'info: stopped' "$W/proxy.log"
}

# ---- per-client EDNS options, TCP deadlines, backend TCP reuse ----
# Their own NSD (DNS cookies and NSID answered, at most 8 queries per TCP
# connection), tcp-stub (stub.test) and dns-proxy, in $W/edns, since the
# tests above stop theirs.

# edns_start: start both unless running.
edns_start() {
	local d=$W/edns
	[ -s "$d/ready" ] && return 0
	mkdir -p "$d/zones"
	cp "$FIX/own.test.zone" "$d/zones/own.test.db"
	EDNS_NSD=$(free_port)
	cat >"$d/nsd.conf" <<-CONF
	server:
		ip-address: 127.0.0.1@$EDNS_NSD
		do-ip6: no
		username: ""
		chroot: ""
		zonesdir: "$d/zones"
		zonelistfile: "$d/zone.list"
		database: ""
		pidfile: "$d/nsd.pid"
		xfrdfile: "$d/xfrd.state"
		xfrdir: "$d"
		logfile: "$d/nsd.log"
		server-count: 1
		rrl-ratelimit: 0
		answer-cookie: yes
		cookie-secret-file: "$d/cookie"
		nsid: "ascii_edns-nsd"
		tcp-query-count: 8
	zone:
		name: own.test
		zonefile: own.test.db
	CONF
	nsd -c "$d/nsd.conf" || return 1
	wait_for 10 sh -c "dig +short -p $EDNS_NSD @127.0.0.1 www.own.test | grep -q 192.0.2.10" || return 1
	python3 "$FIX/tcp-stub" "$d/stub.port" 3>&- &
	echo $! >"$d/stub.pid"
	wait_for 10 test -s "$d/stub.port" || return 1
	EDNS_PORT=$(free_port)
	EDNS_MPORT=$(free_port)
	sed -e "s/@PORT@/$EDNS_PORT/g" -e "s/@NSD@/$EDNS_NSD/g" \
	    -e "s/@METRICS@/$EDNS_MPORT/g" -e "s/@STUB@/$(cat "$d/stub.port")/g" \
	    "$FIX/edns-tcp.yml.in" >"$d/app.yml"
	dns-proxy -c "$d/app.yml" -d 3 3>"$d/ready.tmp" 2>>"$d/proxy.log" &
	echo $! >"$d/proxy.pid"
	wait_for 10 test -s "$d/ready.tmp" || return 1
	printf '%s %s %s\n' "$EDNS_NSD" "$EDNS_PORT" "$EDNS_MPORT" >"$d/ports"
	mv "$d/ready.tmp" "$d/ready"
}

# edns_env: the ports of edns_start in EDNS_NSD, EDNS_PORT, EDNS_MPORT.
edns_env() {
	edns_start || return 1
	read -r EDNS_NSD EDNS_PORT EDNS_MPORT <"$W/edns/ports"
}

emetric() { # metric of the proxy of edns_start
	echo $(( $(metric_at "http://127.0.0.1:$EDNS_MPORT/metrics" "$1") + 0 ))
}

# A query for www.own.test A over TCP (length prefix included), ID $1.
tcp_query() {
	printf "\000\036\000$1\001\000\000\001\000\000\000\000\000\000\003www\003own\004test\000\000\001\000\001"
}

@test "dns-proxy: a cached answer carries no other client's cookie or NSID" {
	edns_env
	# The backend echoes a client's own cookie, with its server cookie.
	run dig +time=2 +tries=1 +cookie=0101010101010101 -p "$EDNS_NSD" @127.0.0.1 www.own.test A
	[[ "$output" == *"COOKIE: 0101010101010101"*"(good)"* ]]
	h0=$(emetric 'dns_proxy_cache_hits_total{pool="auth"}')
	run dig +time=2 +tries=1 +cookie=1111111111111111 +nsid -p "$EDNS_PORT" @127.0.0.1 www.own.test A
	assert_success
	[[ "$output" == *"COOKIE: 1111111111111111"* ]]
	[[ "$output" == *"NSID: "*"edns-nsd"* ]]
	# The same question from another client: a cache hit, without the
	# first client's cookie or NSID (RFC 7873 5.3: it would be dropped).
	run dig +time=2 +tries=1 +cookie=2222222222222222 -p "$EDNS_PORT" @127.0.0.1 www.own.test A
	assert_success
	[[ "$output" == *"status: NOERROR"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	[[ "$output" != *"1111111111111111"* ]]
	[[ "$output" != *"COOKIE mismatch"* ]]
	[[ "$output" != *"NSID"* ]]
	[[ "$output" == *"EDNS: version: 0"* ]]
	[ "$(emetric 'dns_proxy_cache_hits_total{pool="auth"}')" -eq $((h0 + 1)) ]
	# Over TCP too.
	run dig +tcp +time=2 +tries=1 +cookie=3333333333333333 -p "$EDNS_PORT" @127.0.0.1 www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
	[[ "$output" != *"1111111111111111"* ]]
	[[ "$output" != *"COOKIE mismatch"* ]]
}

@test "dns-proxy: a TCP client trickling a query is closed at its deadline while others are served" {
	edns_env
	t0=$(emetric dns_proxy_tcp_query_timeouts_total)
	tcp_query '\001' >"$BATS_TEST_TMPDIR/q"
	# One byte a second: 32 s for the whole query, each byte well within
	# the 2 s idle timeout. The proxy must close it after query_timeout
	# (2 s); timeout(1) would exit 124.
	timeout 15 bash -c '
	set -- $(od -An -v -to1 "$1")
	exec 6<>"/dev/tcp/127.0.0.1/$0"
	printf "\\$1" >&6
	shift
	(
		for o; do
			sleep 1
			printf "\\$o" >&6 || exit 0
		done
	) >/dev/null 2>&1 &
	cat <&6 >/dev/null' "$EDNS_PORT" "$BATS_TEST_TMPDIR/q" &
	trickle=$!
	wait_for 10 sh -c "[ \$(curl -s http://127.0.0.1:$EDNS_MPORT/metrics | awk '\$1 == \"dns_proxy_tcp_connections\" { print \$2 }') -ge 1 ]"
	run dig +tcp +time=2 +tries=1 -p "$EDNS_PORT" @127.0.0.1 www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
	wait "$trickle"
	[ "$(emetric dns_proxy_tcp_query_timeouts_total)" -eq $((t0 + 1)) ]
}

@test "dns-proxy: a TCP connection busy with a query every second is closed at its maximum age" {
	edns_env
	a0=$(emetric dns_proxy_tcp_max_age_closed_total)
	i0=$(emetric dns_proxy_tcp_idle_closed_total)
	tcp_query '\002' >"$BATS_TEST_TMPDIR/q"
	# Never idle for 2 s, so only max_connection_age (4 s) ends it: by 9 s
	# rather than after the 10th query and the idle timeout (12 s).
	run timeout 9 bash -c '
	q=""
	for o in $(od -An -v -to1 "$1"); do q="$q\\$o"; done
	exec 6<>"/dev/tcp/127.0.0.1/$0"
	printf "$q" >&6
	(
		for i in $(seq 9); do
			sleep 1
			printf "$q" >&6 || exit 0
		done
	) >/dev/null 2>&1 &
	od -An -tx1 <&6' "$EDNS_PORT" "$BATS_TEST_TMPDIR/q"
	assert_success
	# The queries before that were answered (ID 2, QR AA RD NOERROR).
	answers=$(printf '%s' "$output" | tr -d ' \n' | grep -o '0002850' | wc -l)
	[ "$answers" -ge 2 ]
	[ "$(emetric dns_proxy_tcp_max_age_closed_total)" -eq $((a0 + 1)) ]
	[ "$(emetric dns_proxy_tcp_idle_closed_total)" -eq "$i0" ]
}

@test "dns-proxy: TCP queries reuse idle connections to the backend" {
	edns_env
	c0=$(emetric 'dns_proxy_backend_tcp_connects_total{backend="nsd",pool="auth"}')
	# 20 names not cached yet, 20 client connections one after another;
	# NSD closes a connection after its 8th query (tcp-query-count).
	for i in $(seq 20); do
		[ "$(dig +tcp +short +time=2 +tries=1 -p "$EDNS_PORT" @127.0.0.1 "r$i.w.own.test" A)" = 198.19.0.1 ]
	done
	# One connection from the proxy to NSD stays open for the next query.
	n=$(ss -Htn state established "( dport = :$EDNS_NSD )" | wc -l)
	[ "$n" -ge 1 ]
	[ "$n" -le 4 ]
	c1=$(emetric 'dns_proxy_backend_tcp_connects_total{backend="nsd",pool="auth"}')
	[ $((c1 - c0)) -ge 1 ]
	[ $((c1 - c0)) -le 5 ]
	[ "$(emetric 'dns_proxy_backend_tcp_reused_total{backend="nsd",pool="auth"}')" -ge 15 ]
}

@test "dns-proxy: a query on a reused backend connection that the backend closes is sent again on a new one" {
	edns_env
	s0=$(emetric 'dns_proxy_servfail_total{reason="timeout"}')
	c0=$(emetric 'dns_proxy_backend_tcp_connects_total{backend="stub",pool="stub"}')
	r0=$(emetric 'dns_proxy_backend_tcp_reused_total{backend="stub",pool="stub"}')
	# tcp-stub answers the first query of a connection and closes it on
	# the second, unanswered.
	for i in 1 2 3; do
		run dig +tcp +time=3 +tries=1 -p "$EDNS_PORT" @127.0.0.1 "q$i.stub.test" A
		[[ "$output" == *"status: NOERROR"* ]]
		[[ "$output" == *"192.0.2.99"* ]]
	done
	[ "$(emetric 'dns_proxy_backend_tcp_reused_total{backend="stub",pool="stub"}')" -eq $((r0 + 2)) ]
	[ "$(emetric 'dns_proxy_backend_tcp_connects_total{backend="stub",pool="stub"}')" -eq $((c0 + 3)) ]
	[ "$(emetric 'dns_proxy_servfail_total{reason="timeout"}')" -eq "$s0" ]
}

@test "dns-proxy: the TCP deadline, age and backend pool keys are checked in app.yml and DADNS_DNS_PROXY_TCP_*" {
	sed -e "s/@PORT@/53/g" -e "s/@NSD@/53/g" -e "s/@METRICS@/8053/g" \
	    -e "s/@STUB@/54/g" "$FIX/edns-tcp.yml.in" >"$BATS_TEST_TMPDIR/ok.yml"
	run --separate-stderr dns-proxy -n -c "$BATS_TEST_TMPDIR/ok.yml"
	assert_success
	sed 's/max_connection_age: 4/max_connection_age: forever/' "$BATS_TEST_TMPDIR/ok.yml" >"$BATS_TEST_TMPDIR/bad.yml"
	run --separate-stderr dns-proxy -n -c "$BATS_TEST_TMPDIR/bad.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns_proxy.tcp.max_connection_age: not a duration: \"forever\""* ]]
	run --separate-stderr env DADNS_DNS_PROXY_TCP_QUERY_TIMEOUT=10ms dns-proxy -n -c "$BATS_TEST_TMPDIR/ok.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"DADNS_DNS_PROXY_TCP_QUERY_TIMEOUT: 10ms is out of range"* ]]
	run --separate-stderr env DADNS_DNS_PROXY_TCP_BACKEND_POOL_SIZE=2000 dns-proxy -n -c "$BATS_TEST_TMPDIR/ok.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"DADNS_DNS_PROXY_TCP_BACKEND_POOL_SIZE: 2000 is out of range 0..1024"* ]]
}
