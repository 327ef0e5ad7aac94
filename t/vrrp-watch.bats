#!/usr/bin/env bats
# vrrp-watch.bats -- the VRRP speaker: usage, the DNS check, and two nodes
# (vrrp-watch or keepalived) plus a client in network namespaces on a
# private bridge. Addresses exist only inside the namespaces these tests
# create (10.99.0.0/24); every namespace and process is removed in teardown.

load helper

VIP=10.99.0.100
FIX="$BATS_TEST_DIRNAME/fixtures/vrrp-watch"

setup_file() {
	TOOL="$BATS_FILE_TMPDIR/labtool"
	cc -D_GNU_SOURCE -I"$TOP/lib/vrrp" -O2 -o "$TOOL" "$FIX/labtool.c" \
	    "$TOP/lib/vrrp/vrrp.c"
	export TOOL
}

setup() {
	D=$BATS_TEST_TMPDIR
	L=
	PIDS=()
}

teardown() {
	local p i
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
	[ -n "$L" ] || return 0
	for p in a b c h; do ip netns del "$L$p" 2>/dev/null || true; done
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "needs iproute2"
	unshare -n true 2>/dev/null ||
	    skip "kernel: no network namespaces (unshare -n fails)"
}

# lab_up: namespaces $L{a,b,c} (10.99.0.11, .12, .50 on eth0) bridged in $Lh.
lab_up() {
	need_root
	L=vw$$t${BATS_TEST_NUMBER}
	local n addr
	ip netns add "${L}h"
	ip -n "${L}h" link add br0 type bridge
	ip -n "${L}h" link set br0 up
	for n in a b c; do
		case $n in a) addr=10.99.0.11 ;; b) addr=10.99.0.12 ;; c) addr=10.99.0.50 ;; esac
		ip netns add "$L$n"
		ip netns exec "$L$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip -n "${L}h" link add "p$n" type veth peer name eth0 netns "$L$n"
		ip -n "${L}h" link set "p$n" master br0 up
		ip -n "$L$n" link set lo up
		ip -n "$L$n" addr add "$addr/24" dev eth0
		ip -n "$L$n" link set eth0 up
	done
}

# bg NODE CMD...: run CMD in the node's namespace in the background, keep
# its pid in PIDS and in $D/last.pid.
bg() {
	local n=$1
	shift
	ip netns exec "$L$n" "$@" </dev/null &
	PIDS+=($!)
	echo $! >"$D/last.pid"
}

dns_start() { # NODE: the DNS responder stand-in on :5300, answers "node$NODE"
	bg "$1" "$TOOL" serve 5300 "node$1" 170
	echo "$(cat "$D/last.pid")" >"$D/dns-$1.pid"
	wait_for 5 ip netns exec "$L$1" vrrp-watch -c 127.0.0.1:5300 -W 200 check
}

dns_stop() { kill "$(cat "$D/dns-$1.pid")"; }

# vw NODE ARGS...: vrrp-watch in NODE with the lab's VRID/VIP, the DNS
# check on the stand-in, status file $D/NODE.status, log $D/NODE.log.
vw() {
	local n=$1
	shift
	ip netns exec "$L$n" vrrp-watch -i eth0 -r 51 -V $VIP/24 \
	    -s "$D/$n.status" "$@" run </dev/null 2>>"$D/$n.log" &
	PIDS+=($!)
	echo $! >"$D/vw-$n.pid"
}

# ka NODE PRIO VERSION [ADVERT]: keepalived in NODE, tracking the stand-in
# with `vrrp-watch check` as its vrrp_script.
ka() {
	local n=$1 prio=$2 ver=$3 auth=""
	[ "$ver" = 2 ] && auth="authentication {
	auth_type PASS
	auth_pass s3cr3tpw
    }"
	cat >"$D/ka-$n.conf" <<-EOF
	global_defs {
	    router_id node$n
	    vrrp_version $ver
	    script_user root
	    enable_script_security
	}
	vrrp_script chk_dns {
	    script "$TOP/bin/vrrp-watch -c 127.0.0.1:5300 -W 300 check"
	    interval 1
	    timeout 1
	    fall 1
	    rise 1
	}
	vrrp_instance VI_DNS {
	    state BACKUP
	    interface eth0
	    virtual_router_id 51
	    priority $prio
	    advert_int 1
	    $auth
	    virtual_ipaddress {
	        $VIP/24 dev eth0
	    }
	    track_script {
	        chk_dns
	    }
	}
	EOF
	ip netns exec "$L$n" keepalived -n -l -D -G -P -f "$D/ka-$n.conf" \
	    -p "$D/ka-$n.pid" -r "$D/ka-$n-vrrp.pid" -c "$D/ka-$n-chk.pid" \
	    </dev/null >>"$D/ka-$n.log" 2>&1 &
	PIDS+=($!)
	echo $! >"$D/kaparent-$n.pid"
}

has_vip() { ip -n "$L$1" -4 -o addr show dev eth0 | grep -q " $VIP/"; }
no_vip() { ! has_vip "$1"; }
state_is() { grep -qx "state=$2" "$D/$1.status"; }
counter() { sed -n "s/^$2=//p" "$D/$1.status"; }

# ms since the epoch
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# pinger: the client asks the VIP every 20 ms; log "epoch_ms seq who".
pinger() {
	ip netns exec "${L}c" "$TOOL" ping $VIP 5300 20 "${1:-60}" >"$D/ping.log" </dev/null &
	PIDS+=($!)
}

# outage_ms SINCE_MS: the longest run of unanswered queries after SINCE_MS.
outage_ms() {
	awk -v t0="$1" '$1 >= t0 { if ($3 == "-") { if (!s) s = $1; e = $1 + 20 }
	    else if (s) { if (e - s > m) m = e - s; s = 0 } }
	    END { if (s && e - s > m) m = e - s; print m + 0 }' "$D/ping.log"
}

# both_ms SECONDS: sample both nodes every 50 ms for SECONDS; print the
# longest time both held the VIP at once, in ms.
both_ms() {
	local end=$(( $(now_ms) + $1 * 1000 )) t start=0 longest=0
	while [ "$(now_ms)" -lt $end ]; do
		t=$(now_ms)
		if has_vip a && has_vip b; then
			[ $start = 0 ] && start=$t
			[ $(( t - start )) -gt $longest ] && longest=$(( t - start ))
		else
			start=0
		fi
		sleep 0.05
	done
	echo $longest
}

@test "vrrp-watch: -h prints the usage that README.md documents" {
	run --separate-stderr vrrp-watch -h
	assert_success
	[[ "${lines[0]}" == "usage: vrrp-watch "* ]]
	grep -q '^## vrrp-watch' "$TOP/README.md" ||
	    skip "README.md has no vrrp-watch section yet"
	grep -qF -- "${lines[0]#usage: }" "$TOP/README.md"
}

@test "vrrp-watch: wrong usage and invalid settings exit 100 naming the problem" {
	run --separate-stderr vrrp-watch frobnicate
	[ "$status" -eq 100 ]
	[[ "$stderr" == "vrrp-watch: usage: "* ]]
	run --separate-stderr vrrp-watch -r 0 -i lo -V 10.99.0.100 run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"invalid VRID: 0"* ]]
	run --separate-stderr vrrp-watch -i lo -r 51 run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no VIP"* ]]
	run --separate-stderr vrrp-watch -i lo -r 51 -V 10.99.0.100 -A secret run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"needs VRRPv2"* ]]
	run --separate-stderr vrrp-watch -i lo -r 51 -V 10.99.0.100 -2 -a 150 run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"whole seconds"* ]]
	VRRP_PRIORITY=300 run --separate-stderr vrrp-watch status
	[ "$status" -eq 100 ]
	[[ "$stderr" == *'invalid $VRRP_PRIORITY: 300'* ]]
	run --separate-stderr vrrp-watch -i no-such-if0 -r 51 -V 10.99.0.100 -s "$D/s" run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"unable to open interface no-such-if0"* ]]
}

@test "vrrp-watch: check exits 0 when the DNS server answers and 1 when it does not" {
	port=$(free_port)
	"$TOOL" serve "$port" stub 30 &
	PIDS+=($!)
	wait_for 5 vrrp-watch -c "127.0.0.1:$port" check
	run --separate-stderr vrrp-watch -c "127.0.0.1:$port" -N example.net -t A check
	assert_success
	[[ "$output" == "ok server=127.0.0.1:$port rcode=NOERROR "* ]]
	kill "${PIDS[0]}"
	wait_for 5 sh -c "! vrrp-watch -c 127.0.0.1:$port check"
	run --separate-stderr vrrp-watch -c "127.0.0.1:$port" -W 200 check
	[ "$status" -eq 1 ]
	[[ "$output" == "fail server=127.0.0.1:$port error=Connection refused"* ]]
	# a server that never answers: the timeout bounds the check
	"$TOOL" serve "$port" - 30 &
	PIDS+=($!)
	sleep 0.2
	run --separate-stderr vrrp-watch -c "127.0.0.1:$port" -W 300 check
	[ "$status" -eq 1 ]
	[[ "$output" == *"error=timeout"* ]]
}

@test "vrrp-watch: adverts are byte for byte what keepalived 2.2.7 sends (captures in docs/vrrp.md)" {
	# IPv4 header + VRRPv3, master 10.99.0.11 prio 150, VIP 10.99.0.100
	run "$TOOL" hex lo -p 150 -s 10.99.0.11 10.99.0.100
	assert_output "45 c0 00 20 00 01 00 00 ff 70 d0 2c 0a 63 00 0b e0 00 00 12 31 33 96 01 00 64 42 a3 0a 63 00 64"
	run "$TOOL" hex lo -p 0 -s 10.99.0.11 10.99.0.100
	assert_output --partial "31 33 00 01 00 64 d8 a3 0a 63 00 64"
	run "$TOOL" hex lo -p 255 -s 10.99.0.11 10.99.0.100
	assert_output --partial "31 33 ff 01 00 64 d9 a2 0a 63 00 64"
	# VRRPv2 with PASS "s3cr3tpw": no pseudo-header in the checksum
	run "$TOOL" hex lo -2 -P s3cr3tpw -p 150 -s 10.99.0.11 10.99.0.100
	assert_output --partial "21 33 96 01 01 01 c2 71 0a 63 00 64 73 33 63 72 33 74 70 77"
}

@test "vrrp-watch: status prints the status file, exit 0 only for a live master" {
	printf 'state=MASTER\npid=%s\nvrid=51\n' $$ >"$D/st"
	run --separate-stderr vrrp-watch -s "$D/st" status
	assert_success
	assert_line state=MASTER
	printf 'state=BACKUP\npid=%s\n' $$ >"$D/st"
	run --separate-stderr vrrp-watch -s "$D/st" status
	[ "$status" -eq 1 ]
	run --separate-stderr vrrp-watch -s "$D/missing" status
	[ "$status" -eq 111 ]
}

@test "vrrp-watch: the higher priority becomes master, signals readiness, notifies and writes its status" {
	lab_up
	dns_start a
	dns_start b
	vw a -p 150 -a 20 -c 127.0.0.1:5300 -I 100 -d 3 -n "echo >>$D/notify.a" 3>"$D/ready"
	wait_for 5 test -s "$D/ready"
	[ "$(od -An -c "$D/ready" | tr -d ' ')" = '\n' ]
	vw b -p 100 -a 20 -c 127.0.0.1:5300 -I 100 -n "echo >>$D/notify.b"
	wait_for 5 has_vip a
	sleep 1
	has_vip a
	no_vip b
	run --separate-stderr vrrp-watch -s "$D/a.status" status
	assert_success
	assert_line state=MASTER
	assert_line priority=150
	run --separate-stderr vrrp-watch -s "$D/b.status" status
	[ "$status" -eq 1 ]
	assert_line state=BACKUP
	assert_line master=10.99.0.11
	# keepalived's notify arguments: INSTANCE NAME STATE PRIORITY
	grep -qx 'INSTANCE VI_51 MASTER 150' "$D/notify.a"
	grep -qx 'INSTANCE VI_51 BACKUP 100' "$D/notify.b"
	run ip netns exec "${L}c" dig +short +time=1 +tries=2 -p 5300 @$VIP id.server TXT
	assert_output '"nodea"'
	grep -q 'state MASTER from=BACKUP why=master-down-timer' "$D/a.log"
}

@test "vrrp-watch: DNS responder stopped on the master moves the VIP, restored preempts back, outage bounded" {
	lab_up
	dns_start a
	dns_start b
	vw a -p 150 -a 100 -c 127.0.0.1:5300 -I 200
	vw b -p 100 -a 100 -c 127.0.0.1:5300 -I 200
	wait_for 6 has_vip a
	pinger 40
	sleep 1
	t0=$(now_ms)
	dns_stop a
	wait_for 5 has_vip b
	no_vip a
	sleep 0.5
	out=$(outage_ms "$t0")
	echo "client outage after the responder died: ${out} ms" >&3
	[ "$out" -le 2000 ]
	grep -q 'unhealthy why=dns:' "$D/a.log"
	grep -qx 'state=FAULT' "$D/a.status"
	# back again: A discards B's lower-priority adverts and preempts
	dns_start a
	wait_for 8 has_vip a
	wait_for 2 no_vip b
	t1=$(now_ms)
	sleep 0.5
	[ "$(outage_ms "$t1")" -le 100 ]
	tail -1 "$D/ping.log" | grep -q ' nodea$'
}

@test "vrrp-watch: a command check that fails moves the VIP" {
	lab_up
	touch "$D/ok"
	vw a -p 150 -a 20 -x "test -e $D/ok" -I 100
	vw b -p 100 -a 20
	wait_for 5 has_vip a
	rm "$D/ok"
	wait_for 5 has_vip b
	no_vip a
	grep -q 'unhealthy why=cmd:exit=1' "$D/a.log"
}

@test "vrrp-watch: master SIGTERM hands over in skew time, SIGKILL after Master_Down_Interval, restart cleans the stale VIP" {
	lab_up
	dns_start a
	dns_start b
	vw a -p 150 -a 100
	vw b -p 100 -a 100
	wait_for 6 has_vip a
	pinger 40
	sleep 1.2
	t0=$(now_ms)
	kill -TERM "$(cat "$D/vw-a.pid")"
	wait_for 3 no_vip a
	wait_for 5 has_vip b
	t=$(( $(now_ms) - t0 ))
	echo "SIGTERM: VIP on B after ${t} ms" >&3
	[ $t -le 2000 ]
	grep -q 'state STOP from=MASTER' "$D/a.log"
	grep -q 'master resigned src=10.99.0.11' "$D/b.log"
	# restart A: it preempts back after its Master_Down_Interval
	vw a -p 150 -a 100
	wait_for 6 has_vip a
	wait_for 2 no_vip b
	sleep 1.2
	# SIGKILL: no resignation; B waits Master_Down_Interval (3.6 s)
	t0=$(now_ms)
	kill -KILL "$(cat "$D/vw-a.pid")"
	wait_for 6 has_vip b
	t=$(( $(now_ms) - t0 ))
	echo "SIGKILL: VIP on B after ${t} ms" >&3
	[ $t -le 5000 ]
	sleep 0.3
	out=$(outage_ms "$t0")
	echo "SIGKILL: client outage ${out} ms" >&3
	[ "$out" -le 5000 ]
	# the killed node kept a stale VIP; a new start removes it first
	has_vip a
	vw a -p 150 -a 100
	wait_for 3 grep -q 'removed stale VIP 10.99.0.100/24' "$D/a.log"
	wait_for 6 has_vip a
	wait_for 2 no_vip b
}

@test "vrrp-watch: malformed, wrong-checksum, wrong-TTL, wrong-VRID and wrong-VIP packets are ignored and counted" {
	lab_up
	vw a -p 150 -a 20
	wait_for 5 has_vip a
	send() { ip netns exec "${L}c" "$TOOL" send eth0 "$@"; }
	send -p 200 -m $VIP
	send -p 200 -x $VIP
	send -p 200 -T 64 $VIP
	send -p 200 -r 52 $VIP
	send -p 200 10.99.0.222
	send -p 200 $VIP 10.99.0.101
	send -2 -p 200 $VIP
	sleep 0.5
	kill -HUP "$(cat "$D/vw-a.pid")"
	sleep 0.2
	has_vip a
	state_is a MASTER
	[ "$(counter a rx_dropped_malformed)" = 1 ]
	[ "$(counter a rx_dropped_checksum)" = 1 ]
	[ "$(counter a rx_dropped_ttl)" = 1 ]
	[ "$(counter a rx_dropped_vrid)" = 1 ]
	[ "$(counter a rx_dropped_addrs)" = 2 ]
	[ "$(counter a rx_dropped_version)" = 1 ]
	[ "$(counter a rx_adverts)" = 0 ]
	grep -q 'ignored advert reason=checksum src=10.99.0.50 count=1' "$D/a.log"
	# the same advert, valid: A yields at once, then retakes when it stops
	send -p 200 -t 20 $VIP
	wait_for 2 no_vip a
	wait_for 3 has_vip a
}

@test "vrrp-watch: preemption can be turned off, and delayed" {
	lab_up
	vw b -p 100 -a 20
	wait_for 5 has_vip b
	vw a -p 150 -a 20 -P
	sleep 2
	has_vip b
	no_vip a
	grep -qx 'state=BACKUP' "$D/a.status"
	kill "$(cat "$D/vw-a.pid")"
	sleep 0.3
	t0=$(now_ms)
	vw a -p 150 -a 20 -D 150
	wait_for 5 has_vip a
	t=$(( $(now_ms) - t0 ))
	[ $t -ge 1500 ]
}

@test "vrrp-watch: the address owner (priority 255) takes the VIP at once, without waiting" {
	lab_up
	vw b -p 100 -a 100
	wait_for 6 has_vip b
	t0=$(now_ms)
	vw a -p 255 -a 100
	wait_for 3 has_vip a
	wait_for 2 no_vip b
	# Master_Down_Interval would be 3 s: the owner skips it
	[ $(( $(now_ms) - t0 )) -lt 2500 ]
	grep -q 'state MASTER from=INIT why=startup' "$D/a.log"
}

@test "vrrp-watch: runs as nobody with only CAP_NET_RAW and CAP_NET_ADMIN" {
	lab_up
	command -v setpriv >/dev/null || skip "needs setpriv"
	# a directory nobody can reach for the status file
	NOBODY_DIR=$(mktemp -d /tmp/vrrp-watch-nobody.XXXXXX)
	chmod 0777 "$NOBODY_DIR"
	ip netns exec "${L}a" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    --inh-caps=-all,+net_raw,+net_admin --ambient-caps=-all,+net_raw,+net_admin \
	    --bounding-set=-all,+net_raw,+net_admin \
	    "$TOP/bin/vrrp-watch" -i eth0 -r 51 -V $VIP/24 -p 150 -a 20 \
	    -s "$NOBODY_DIR/a.status" run </dev/null 2>>"$D/a.log" &
	PIDS+=($!)
	wait_for 5 has_vip a
	wait_for 2 grep -qx state=MASTER "$NOBODY_DIR/a.status"
	pid=$(sed -n 's/^pid=//p' "$NOBODY_DIR/a.status")
	grep -q '^CapEff:.*0000000000003000$' "/proc/$pid/status"
	[ "$(stat -c %U "/proc/$pid")" = nobody ]
}

# interop ROLE VERSION: vrrp-watch (prio 150 if ROLE=master, else 100) in
# node a, keepalived in node b; one master, never both longer than 1 s.
interop() {
	local role=$1 ver=$2 vwp kap v2 master other longest t0
	lab_up
	dns_start a
	dns_start b
	if [ "$role" = master ]; then vwp=150 kap=100 master=a other=b
	else vwp=100 kap=150 master=b other=a; fi
	v2=()
	[ "$ver" = 2 ] && v2=(-2 -A s3cr3tpw)
	ka b $kap "$ver"
	vw a -p $vwp -a 100 -c 127.0.0.1:5300 -I 200 "${v2[@]}"
	wait_for 10 has_vip $master
	longest=$(both_ms 3)
	echo "v$ver vrrp-watch $role: converged, both held the VIP for ${longest} ms at most" >&3
	[ "$longest" -le 1000 ]
	has_vip $master
	no_vip $other
	# the master's DNS fails: the other takes over, then it preempts back
	dns_stop $master
	wait_for 6 has_vip $other
	wait_for 3 no_vip $master
	dns_start $master
	t0=$(now_ms)
	wait_for 10 has_vip $master
	longest=$(both_ms 2)
	echo "v$ver vrrp-watch $role: preempted back after $(( $(now_ms) - t0 - 2000 )) ms, both ${longest} ms" >&3
	[ "$longest" -le 1000 ]
	no_vip $other
	[ "$(counter a rx_dropped_checksum)" = 0 ]
	[ "$(counter a rx_dropped_version)" = 0 ]
	[ "$(counter a rx_dropped_auth)" = 0 ]
	[ "$(counter a rx_dropped_addrs)" = 0 ]
	[ "$(counter a rx_adverts)" -gt 0 ]
	! grep -qiE 'invalid|mismatch|unexpected|wrong' "$D/ka-b.log"
}

@test "vrrp-watch: VRRPv3 interop, vrrp-watch master and keepalived 2.2.7 backup" {
	command -v keepalived >/dev/null || skip "needs keepalived"
	interop master 3
}

@test "vrrp-watch: VRRPv3 interop, keepalived 2.2.7 master and vrrp-watch backup" {
	command -v keepalived >/dev/null || skip "needs keepalived"
	interop backup 3
}

@test "vrrp-watch: VRRPv2+PASS interop, vrrp-watch master and keepalived 2.2.7 backup" {
	command -v keepalived >/dev/null || skip "needs keepalived"
	interop master 2
}

@test "vrrp-watch: VRRPv2+PASS interop, keepalived 2.2.7 master and vrrp-watch backup" {
	command -v keepalived >/dev/null || skip "needs keepalived"
	interop backup 2
}

# vw_file NODE FILE ARGS...: vrrp-watch in NODE with only -f FILE and ARGS.
vw_file() {
	local n=$1 f=$2
	shift 2
	ip netns exec "$L$n" vrrp-watch -f "$f" "$@" run </dev/null \
	    2>>"$D/$n.log" &
	PIDS+=($!)
	echo $! >"$D/vw-$n.pid"
}

@test "vrrp-watch: a vrrp: section alone brings a node up as master, an option overrides it" {
	lab_up
	dns_start a
	dns_start b
	for n in a b; do
		cat >"$D/app-$n.yml" <<-EOF
		vrrp:
		  interface: eth0
		  vrid: 51
		  priority: 150
		  advert: 20
		  vips: [$VIP/24]
		  check: 127.0.0.1:5300
		  check_interval: 100
		  status: $D/$n.status
		EOF
	done
	vw_file a "$D/app-a.yml"
	vw_file b "$D/app-b.yml" -p 100
	wait_for 5 has_vip a
	wait_for 5 state_is b BACKUP
	sleep 0.5
	has_vip a
	no_vip b
	state_is a MASTER
	[ "$(counter a priority)" = 150 ]
	[ "$(counter a advert_cs)" = 20 ]
	[ "$(counter b priority)" = 100 ]
	[ "$(counter b master)" = 10.99.0.11 ]
	run ! grep -q warning "$D/a.log"
}

@test "vrrp-watch: app.yml < VRRP_* < options; the file is found as every program finds it" {
	cat >"$D/app.yml" <<-EOF
	vrrp:
	  check: 127.0.0.1:1
	  check_timeout: 200
	EOF
	run --separate-stderr vrrp-watch -f "$D/app.yml" check
	[ "$status" -eq 1 ]
	[[ "$output" == "fail server=127.0.0.1:1 "* ]]
	VRRP_CHECK=127.0.0.1:2 run --separate-stderr vrrp-watch -f "$D/app.yml" check
	[ "$status" -eq 1 ]
	[[ "$output" == "fail server=127.0.0.1:2 "* ]]
	VRRP_CHECK=127.0.0.1:2 run --separate-stderr vrrp-watch -f "$D/app.yml" -c 127.0.0.1:3 check
	[ "$status" -eq 1 ]
	[[ "$output" == "fail server=127.0.0.1:3 "* ]]
	# found on the search path like every program's
	[ ! -e /etc/directdnsonly/app.yml ] && [ ! -e /etc/directdnsonly/app.yaml ] ||
	    skip "/etc/directdnsonly has an app.yml"
	cd "$D"
	run --separate-stderr env -u DADNS_CONFIG vrrp-watch check
	[ "$status" -eq 1 ]
	[[ "$output" == "fail server=127.0.0.1:1 "* ]]
	run --separate-stderr vrrp-watch -f "$D/missing.yml" check
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"$D/missing.yml: No such file or directory"* ]]
}

# ---------------------------------------------------------------- issue 14:
# IPv6, unicast peers, several instances, sync groups, allow-list, metrics

VIP6=fd99::100

# lab6_up: lab_up with IPv6 on: link-local addresses usable at once (no
# duplicate address detection in these namespaces) and fd99::11, ::12,
# ::50 beside 10.99.0.11, .12, .50.
lab6_up() {
	need_root
	L=vw$$t${BATS_TEST_NUMBER}
	local n x
	ip netns add "${L}h"
	ip -n "${L}h" link add br0 type bridge
	ip -n "${L}h" link set br0 up
	for n in a b c; do
		case $n in a) x=11 ;; b) x=12 ;; c) x=50 ;; esac
		ip netns add "$L$n"
		ip netns exec "$L$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0
		ip -n "${L}h" link add "p$n" type veth peer name eth0 netns "$L$n"
		ip -n "${L}h" link set "p$n" master br0 up
		ip -n "$L$n" link set lo up
		ip -n "$L$n" addr add "10.99.0.$x/24" dev eth0
		ip -n "$L$n" addr add "fd99::$x/64" dev eth0 nodad
		ip -n "$L$n" link set eth0 up
	done
}

has_vip6() { ip -n "$L$1" -6 -o addr show dev eth0 | grep -q " $VIP6/64 "; }
no_vip6() { ! has_vip6 "$1"; }
mac_of() { ip -n "$L$1" -o link show dev eth0 | sed 's/.*link\/ether \([0-9a-f:]*\) .*/\1/'; }
neigh_is() { ip -n "${L}c" -6 neigh show "$VIP6" dev eth0 | grep -q "lladdr $1 "; }

# icounter NODE INSTANCE KEY: KEY in INSTANCE's block of NODE's status file.
icounter() {
	awk -v i="instance=$2" -v k="$3=" 'BEGIN { RS = ""; FS = "\n" }
	    { m = 0; for (j = 1; j <= NF; j++) if ($j == i) m = 1 }
	    m { for (j = 1; j <= NF; j++) if (index($j, k) == 1)
	        print substr($j, length(k) + 1) }' "$D/$1.status"
}

# vw6 NODE ARGS...: vrrp-watch in NODE with VRID 52 and the IPv6 VIP.
vw6() {
	local n=$1
	shift
	ip netns exec "$L$n" vrrp-watch -i eth0 -r 52 -V $VIP6/64 \
	    -s "$D/$n.status" "$@" run </dev/null 2>>"$D/$n.log" &
	PIDS+=($!)
	echo $! >"$D/vw-$n.pid"
}

@test "vrrp-watch: IPv6 failover moves an IPv6 VIP (nodad) and announces it by unsolicited neighbour advertisements" {
	lab6_up
	vw6 a -p 150 -a 20
	vw6 b -p 100 -a 20
	wait_for 5 has_vip6 a
	wait_for 5 state_is b BACKUP
	sleep 0.5
	no_vip6 b
	# added without duplicate address detection, usable at once
	ip -n "${L}a" -6 -o addr show dev eth0 | grep " $VIP6/64 " | grep -q nodad
	# the master's source is its link-local address
	[[ "$(counter b master)" == fe80:* ]]
	[ "$(counter b family)" = inet6 ]
	[ "$(counter b rx_dropped_ttl)" = 0 ]
	[ "$(counter b rx_dropped_checksum)" = 0 ]
	# a client's neighbour entry, planted wrong, follows the VIP
	ip -n "${L}c" -6 neigh replace $VIP6 lladdr 02:00:00:00:00:01 dev eth0 nud stale
	kill -TERM "$(cat "$D/vw-a.pid")"
	wait_for 3 has_vip6 b
	no_vip6 a
	wait_for 2 neigh_is "$(mac_of b)"
	grep -q 'master resigned src=fe80:' "$D/b.log"
	grep -q 'state STOP from=MASTER' "$D/a.log"
}

@test "vrrp-watch: IPv6 adverts with a wrong hop limit, checksum, length, VRID or VIP list are ignored and counted" {
	lab6_up
	vw6 a -p 150 -a 20
	wait_for 5 has_vip6 a
	send6() { ip netns exec "${L}c" "$TOOL" send6 eth0 "$@"; }
	send6 -T 64 $VIP6
	send6 -x $VIP6
	send6 -m $VIP6
	send6 -r 53 $VIP6
	send6 fd99::222
	sleep 0.5
	kill -HUP "$(cat "$D/vw-a.pid")"
	sleep 0.2
	has_vip6 a
	state_is a MASTER
	[ "$(counter a rx_dropped_ttl)" = 1 ]
	[ "$(counter a rx_dropped_checksum)" = 1 ]
	[ "$(counter a rx_dropped_malformed)" = 1 ]
	[ "$(counter a rx_dropped_vrid)" = 1 ]
	[ "$(counter a rx_dropped_addrs)" = 1 ]
	[ "$(counter a rx_adverts)" = 0 ]
	grep -q 'ignored advert reason=ttl src=fe80:' "$D/a.log"
	# the same advert, valid: A yields at once, then retakes when it stops
	send6 -t 20 $VIP6
	wait_for 2 no_vip6 a
	wait_for 3 has_vip6 a
}

# unicast_yml NODE PRIO SRC PEER: IPv4 and IPv6 instances, unicast.
unicast_yml() {
	cat >"$D/app-$1.yml" <<-EOF
	vrrp:
	  interface: eth0
	  priority: $2
	  advert: 20
	  status: $D/$1.status
	  instances:
	    - name: VI_4
	      vrid: 51
	      vips: $VIP/24
	      unicast_src: 10.99.0.$3
	      unicast_peers: 10.99.0.$4
	    - name: VI_6
	      vrid: 52
	      vips: [$VIP6/64]
	      unicast_src: fd99::$3
	      unicast_peers: [fd99::$4]
	EOF
}

@test "vrrp-watch: unicast peers, IPv4 and IPv6: adverts by unicast only, from the peers only, failover" {
	lab6_up
	unicast_yml a 150 11 12
	unicast_yml b 100 12 11
	vw_file a "$D/app-a.yml"
	vw_file b "$D/app-b.yml"
	wait_for 5 has_vip a
	wait_for 5 has_vip6 a
	sleep 0.5
	no_vip b
	no_vip6 b
	[ "$(icounter b VI_4 state)" = BACKUP ]
	[ "$(icounter b VI_6 state)" = BACKUP ]
	[ "$(icounter b VI_4 master)" = 10.99.0.11 ]
	[ "$(icounter b VI_6 master)" = fd99::11 ]
	# B hears A although it joined neither VRRP group
	run ! grep -qi 120000E0 <(ip netns exec "${L}b" cat /proc/net/igmp)
	run ! grep -q ff020000000000000000000000000012 <(ip netns exec "${L}b" cat /proc/net/igmp6)
	[ "$(icounter b VI_4 rx_adverts)" -gt 0 ]
	[ "$(icounter b VI_6 rx_adverts)" -gt 0 ]
	# a better advert from a host that is not a peer is dropped
	ip netns exec "${L}c" "$TOOL" send eth0 -p 200 -d 10.99.0.11 $VIP
	ip netns exec "${L}c" "$TOOL" send6 eth0 -s fd99::50 -d fd99::11 $VIP6
	sleep 0.3
	kill -HUP "$(cat "$D/vw-a.pid")"
	sleep 0.2
	has_vip a
	has_vip6 a
	[ "$(icounter a VI_4 rx_dropped_source)" = 1 ]
	[ "$(icounter a VI_6 rx_dropped_source)" = 1 ]
	grep -q 'ignored advert reason=source src=10.99.0.50 count=1 instance=VI_4' "$D/a.log"
	grep -q 'ignored advert reason=source src=fd99::50 count=1 instance=VI_6' "$D/a.log"
	# from a peer any TTL is taken, as keepalived takes it by unicast
	[ "$(icounter a VI_4 rx_adverts)" = 0 ]
	[ "$(icounter a VI_6 rx_adverts)" = 0 ]
	ip netns exec "${L}c" "$TOOL" send eth0 -s 10.99.0.12 -T 64 -p 100 -t 20 -d 10.99.0.11 $VIP
	ip netns exec "${L}c" "$TOOL" send6 eth0 -s fd99::12 -T 64 -p 100 -t 20 -d fd99::11 $VIP6
	sleep 0.3
	kill -HUP "$(cat "$D/vw-a.pid")"
	sleep 0.2
	[ "$(icounter a VI_4 rx_adverts)" = 1 ]
	[ "$(icounter a VI_6 rx_adverts)" = 1 ]
	[ "$(icounter a VI_4 rx_dropped_ttl)" = 0 ]
	[ "$(icounter a VI_6 rx_dropped_ttl)" = 0 ]
	# failover: A stops, B takes both over in skew time
	kill -TERM "$(cat "$D/vw-a.pid")"
	wait_for 3 has_vip b
	wait_for 3 has_vip6 b
	no_vip a
	no_vip6 a
}

@test "vrrp-watch: a sync group moves its instances together; notify scripts get keepalived's arguments" {
	lab6_up
	dns_start a
	dns_start b
	cat >"$D/notify.sh" <<-EOF
	#!/bin/sh
	echo "\$*" >>"\$(dirname "\$0")/notify.\$NODE"
	EOF
	chmod 755 "$D/notify.sh"
	for n in a b; do
		cat >"$D/app-$n.yml" <<-EOF
		vrrp:
		  interface: eth0
		  priority: $([ $n = a ] && echo 150 || echo 100)
		  advert: 20
		  status: $D/$n.status
		  notify: $D/notify.sh
		  notify_fault: echo fault-cmd >>$D/notify.$n
		  instances:
		    - name: VI_4
		      vrid: 51
		      vips: $VIP/24
		      check: 127.0.0.1:5300
		      check_interval: 100
		    - name: VI_6
		      vrid: 52
		      vips: $VIP6/64
		      notify_master: echo master-cmd-VI_6 >>$D/notify.$n
		  sync_groups:
		    - name: DNS
		      instances: VI_4 VI_6
		      notify: $D/notify.sh
		EOF
	done
	NODE=a vw_file a "$D/app-a.yml"
	NODE=b vw_file b "$D/app-b.yml"
	wait_for 5 has_vip a
	wait_for 5 has_vip6 a
	wait_for 5 grep -qx 'GROUP DNS BACKUP 0' "$D/notify.b"
	no_vip b
	no_vip6 b
	grep -qx 'INSTANCE VI_4 MASTER 150' "$D/notify.a"
	grep -qx 'INSTANCE VI_6 MASTER 150' "$D/notify.a"
	grep -qx 'GROUP DNS MASTER 0' "$D/notify.a"
	grep -qx 'master-cmd-VI_6' "$D/notify.a"
	grep -qx 'INSTANCE VI_6 BACKUP 100' "$D/notify.b"
	# a better VI_4 master appears once: VI_6 steps down with VI_4
	ip netns exec "${L}c" "$TOOL" send eth0 -p 200 -t 20 $VIP
	wait_for 2 grep -q 'state BACKUP from=MASTER why=sync-group .* instance=VI_6' "$D/a.log"
	grep -q 'state BACKUP from=MASTER why=higher-priority-master .* instance=VI_4' "$D/a.log"
	wait_for 5 has_vip a
	wait_for 3 has_vip6 a
	wait_for 3 no_vip b
	wait_for 3 no_vip6 b
	# only VI_4's check fails: VI_6 goes with it, B takes both
	dns_stop a
	wait_for 5 has_vip b
	wait_for 3 has_vip6 b
	no_vip a
	no_vip6 a
	[ "$(icounter a VI_4 state)" = FAULT ]
	[ "$(icounter a VI_6 state)" = FAULT ]
	[ "$(icounter a VI_6 healthy)" = yes ]
	wait_for 2 grep -qx 'GROUP DNS FAULT 0' "$D/notify.a"
	grep -qx 'INSTANCE VI_4 FAULT 150' "$D/notify.a"
	grep -qx 'INSTANCE VI_6 FAULT 150' "$D/notify.a"
	grep -qx 'fault-cmd' "$D/notify.a"
	wait_for 2 grep -qx 'GROUP DNS MASTER 0' "$D/notify.b"
	grep -q 'state FAULT from=MASTER why=sync-group .* instance=VI_6' "$D/a.log"
	# the check passes again: both come back to A together
	dns_start a
	wait_for 5 has_vip a
	wait_for 3 has_vip6 a
	wait_for 3 no_vip b
	no_vip6 b
	# stop: every instance, then the group, is notified STOP
	kill -TERM "$(cat "$D/vw-a.pid")"
	wait_for 3 grep -qx 'GROUP DNS STOP 0' "$D/notify.a"
	wait_for 2 grep -qx 'INSTANCE VI_4 STOP 150' "$D/notify.a"
	grep -qx 'INSTANCE VI_6 STOP 150' "$D/notify.a"
}

@test "vrrp-watch: allow_peers drops and counts other sources; metrics over HTTP and in a file; status prints every instance" {
	lab_up
	cat >"$D/app-a.yml" <<-EOF
	vrrp:
	  interface: eth0
	  priority: 150
	  advert: 20
	  status: $D/a.status
	  allow_peers: 10.99.0.12
	  metrics_listen: 127.0.0.1:9118
	  metrics_file: $D/vrrp.prom
	  instances:
	    - name: VI_A
	      vrid: 51
	      vips: $VIP/24
	      check_cmd: exit 0
	      check_interval: 100
	    - name: VI_B
	      vrid: 53
	      vips: 10.99.0.101/24
	EOF
	vw_file a "$D/app-a.yml"
	wait_for 5 has_vip a
	wait_for 5 ip -n "${L}a" -4 -o addr show dev eth0 to 10.99.0.101
	# from an address not allowed: dropped, counted, logged
	ip netns exec "${L}c" "$TOOL" send eth0 -p 200 -t 20 $VIP
	sleep 0.3
	kill -HUP "$(cat "$D/vw-a.pid")"
	sleep 0.2
	has_vip a
	[ "$(icounter a VI_A rx_dropped_source)" = 1 ]
	[ "$(icounter a VI_A rx_adverts)" = 0 ]
	grep -q 'ignored advert reason=source src=10.99.0.50 count=1 instance=VI_A' "$D/a.log"
	# status: both instances, exit 0 while both are master
	run --separate-stderr vrrp-watch -s "$D/a.status" status
	assert_success
	assert_line instance=VI_A
	assert_line instance=VI_B
	[ "$(grep -c '^state=MASTER$' <<<"$output")" = 2 ]
	# metrics on the loopback port of A's namespace
	run --separate-stderr ip netns exec "${L}a" curl -sS -i http://127.0.0.1:9118/metrics
	assert_success
	assert_line --partial 'HTTP/1.0 200 OK'
	assert_line 'dadns_vrrp_state{instance="VI_A",interface="eth0",vrid="51",state="master"} 1'
	assert_line 'dadns_vrrp_state{instance="VI_B",interface="eth0",vrid="53",state="master"} 1'
	assert_line 'dadns_vrrp_adverts_dropped_total{instance="VI_A",interface="eth0",vrid="51",reason="source"} 1'
	assert_line 'dadns_vrrp_adverts_dropped_total{instance="VI_B",interface="eth0",vrid="53",reason="source"} 0'
	assert_line --regexp '^dadns_vrrp_adverts_total\{instance="VI_A",interface="eth0",vrid="51",direction="tx"\} [1-9][0-9]*$'
	assert_line 'dadns_vrrp_became_master_total{instance="VI_A",interface="eth0",vrid="51"} 1'
	assert_line 'dadns_vrrp_check_last_ok{instance="VI_A",interface="eth0",vrid="51"} 1'
	assert_line --regexp '^dadns_vrrp_check_last_timestamp_seconds\{instance="VI_A",interface="eth0",vrid="51"\} 1[0-9]{9}\.[0-9]+$'
	assert_line --regexp '^dadns_vrrp_checks_total\{instance="VI_A",interface="eth0",vrid="51",result="ok"\} [1-9][0-9]*$'
	refute_line --partial 'dadns_vrrp_check_last_ok{instance="VI_B"'
	run ip netns exec "${L}a" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9118/other
	assert_output 404
	run ip netns exec "${L}a" curl -s -o /dev/null -w '%{http_code}' -d x http://127.0.0.1:9118/metrics
	assert_output 405
	grep -qx 'dadns_vrrp_state{instance="VI_B",interface="eth0",vrid="53",state="master"} 1' "$D/vrrp.prom"
	# an advert from the allowed peer is taken: VI_A yields
	ip netns exec "${L}c" "$TOOL" send eth0 -s 10.99.0.12 -p 200 -t 20 $VIP
	wait_for 2 no_vip a
	wait_for 3 has_vip a
}

@test "vrrp-watch: instances and sync groups that cannot work are refused naming the key" {
	cat >"$D/bad.yml" <<-EOF
	vrrp:
	  interface: eth0
	  instances:
	    - name: VI_4
	      vrid: 51
	      vips: 192.0.2.10/24
	      unicast_peers: 2001:db8::2
	    - name: VI_6
	      vrid: 52
	      vips: 2001:db8::10/64
	      version: 2
	  sync_groups:
	    - name: DNS
	      instances: VI_4 VI_X
	EOF
	run --separate-stderr vrrp-watch -f "$D/bad.yml" run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"vrrp.instances[0].unicast_peers: IPv6, but the VIPs are IPv4"* ]]
	run --separate-stderr dadns-checkconf -c "$D/bad.yml"
	[ "$status" -eq 100 ]
	assert_line --partial 'vrrp.instances[0].unicast_peers: IPv6, but the VIPs are IPv4'
	assert_line --partial 'vrrp.instances[1].version: IPv6 VIPs need VRRPv3'
	assert_line --partial 'vrrp.sync_groups[0]: no instance named VI_X'
	printf 'vrrp:\n  instances:\n    - name: A\n      vips: 192.0.2.1 2001:db8::1\n' >"$D/mix.yml"
	run --separate-stderr vrrp-watch -f "$D/mix.yml" run
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"vrrp.instances[0].vips: mixes IPv4 and IPv6"* ]]
}

@test "vrrp-watch: a responder that dies is found by TCP at once, even when its ICMP errors are lost" {
	lab_up
	# no ICMP leaves node a: a query to the dead port is never refused
	ip -n "${L}a" rule add pref 10 ipproto icmp blackhole
	ip -n "${L}a" rule add pref 100 lookup local
	ip -n "${L}a" rule del pref 0
	run --separate-stderr ip netns exec "${L}a" vrrp-watch -c 127.0.0.1:5399 -W 300 check
	[ "$status" -eq 1 ]
	[[ "$output" == *"error=timeout"* ]]
	dns_start a
	# a round a second, each waiting up to a second for its answer
	vw a -p 150 -a 20 -c 127.0.0.1:5300 -I 1000 -W 1000
	wait_for 5 has_vip a
	sleep 1.5
	t0=$(now_ms)
	dns_stop a
	wait_for 2 grep -qx state=FAULT "$D/a.status"
	took=$(( $(now_ms) - t0 ))
	echo "FAULT ${took} ms after the responder died" >&3
	[ "$took" -le 500 ]
	no_vip a
	grep -q 'unhealthy why=dns:tcp:Connection refused' "$D/a.log"
	# back: healthy again by its rounds
	dns_start a
	wait_for 4 has_vip a
}
