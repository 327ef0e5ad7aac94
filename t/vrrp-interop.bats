#!/usr/bin/env bats
# vrrp-interop.bats -- vrrp-watch beside keepalived 2.2.7 on one wire:
# IPv6 multicast, IPv4 and IPv6 unicast, a sync group of a v4 and a v6
# instance, and keepalived's notify arguments, each both ways (vrrp-watch
# master and keepalived backup, and the reverse). Nodes a and b and a
# client c live in network namespaces these tests create, on a private
# bridge (10.99.0.0/24, fd99::/64; the README configuration uses
# 192.0.2.0/24 and 2001:db8::/64); every namespace and process is removed
# in teardown. Adverts every 20 cs keep each test within a few seconds.

load helper

VIP=10.99.0.100
VIP6=fd99::100
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
	[ "$(id -u)" = 0 ] || fail "needs root for network namespaces"
	command -v keepalived >/dev/null || fail "needs keepalived (sh t/deps.sh keepalived)"
	unshare -n true 2>/dev/null ||
	    skip "kernel: no network namespaces (unshare -n fails)"
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill_wait "$p" 30; done
	# keepalived's VRRP child, should its parent have gone first
	for p in "$D"/ka-*-vrrp.pid; do
		[ -e "$p" ] || continue
		p=$(cat "$p")
		grep -qF -- "$D" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"
	done
	[ -n "$L" ] || return 0
	for p in a b c h; do ip netns del "$L$p" 2>/dev/null || true; done
}

# lab_up [NET4 NET6 A B]: namespaces $L{a,b,c} bridged in $Lh, eth0
# holding NET4.A/.B/.50 and NET6::A/::B/::50 (default 10.99.0, fd99:, 11
# and 12), and link-local addresses usable at once (no duplicate address
# detection).
lab_up() {
	local n x net4=${1:-10.99.0} net6=${2:-fd99:}
	L=vi$$t${BATS_TEST_NUMBER}
	ip netns add "${L}h"
	ip -n "${L}h" link add br0 type bridge
	ip -n "${L}h" link set br0 up
	for n in a b c; do
		case $n in a) x=${3:-11} ;; b) x=${4:-12} ;; c) x=50 ;; esac
		ip netns add "$L$n"
		ip netns exec "$L$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0
		ip -n "${L}h" link add "p$n" type veth peer name eth0 netns "$L$n"
		ip -n "${L}h" link set "p$n" master br0 up
		ip -n "$L$n" link set lo up
		ip -n "$L$n" addr add "$net4.$x/24" dev eth0
		ip -n "$L$n" addr add "$net6:$x/64" dev eth0 nodad
		ip -n "$L$n" link set eth0 up
	done
}

# has NODE ADDR/LEN: NODE's eth0 holds ADDR/LEN.
has() { ip -n "$L$1" -o addr show dev eth0 | grep -q " $2 "; }
hasnt() { ! has "$@"; }

# vw NODE CONFIG [ARGS...]: vrrp-watch in NODE from the app.yml CONFIG;
# status $D/NODE.status, log $D/NODE.log.
vw() {
	local n=$1 f=$2
	shift 2
	ip netns exec "$L$n" vrrp-watch -f "$f" -s "$D/$n.status" "$@" run \
	    </dev/null 2>>"$D/$n.log" &
	PIDS+=($!)
	echo $! >"$D/vw-$n.pid"
}

# ka NODE CONFIG: keepalived in NODE (foreground, VRRP only, private pid
# files under $D), log $D/ka-NODE.log.
ka() {
	ip netns exec "$L$1" keepalived -n -l -D -G -P -f "$2" \
	    -p "$D/ka-$1.pid" -r "$D/ka-$1-vrrp.pid" -c "$D/ka-$1-chk.pid" \
	    </dev/null >>"$D/ka-$1.log" 2>&1 &
	PIDS+=($!)
	echo $! >"$D/kaparent-$1.pid"
}

# die NODE: the node dies: its link is cut first (a dead node sends
# nothing, not even keepalived's priority-0 goodbye), then its daemon,
# vrrp-watch or both of keepalived's processes, is SIGKILLed.
die() {
	local p
	ip -n "${L}h" link set "p$1" down
	for p in "$D/vw-$1.pid" "$D/kaparent-$1.pid" "$D/ka-$1-vrrp.pid"; do
		[ -e "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	return 0
}

# icounter NODE INSTANCE KEY: KEY in INSTANCE's block of NODE's status.
icounter() {
	awk -v i="instance=$2" -v k="$3=" 'BEGIN { RS = ""; FS = "\n" }
	    { m = 0; for (j = 1; j <= NF; j++) if ($j == i) m = 1 }
	    m { for (j = 1; j <= NF; j++) if (index($j, k) == 1)
	        print substr($j, length(k) + 1) }' "$D/$1.status"
}

# ka_instance NAME VRID PRIO VIP [SRC PEER] [TRACK]: a keepalived
# vrrp_instance block, 20 cs adverts, unicast when SRC and PEER are given.
ka_instance() {
	local uni=""
	[ -z "${5:-}" ] || uni="unicast_src_ip $5
	    unicast_peer {
	        $6
	    }"
	cat <<-EOF
	vrrp_instance $1 {
	    state BACKUP
	    interface eth0
	    virtual_router_id $2
	    priority $3
	    advert_int 0.2
	    $uni
	    virtual_ipaddress {
	        $4 dev eth0
	    }
	    ${7:-}
	}
	EOF
}

ka_global() {
	cat <<-EOF
	global_defs {
	    router_id node$1
	    vrrp_version 3
	    script_user root
	    enable_script_security
	}
	EOF
}

# vw_instance NAME VRID VIP [SRC PEER]: the same as an app.yml instance.
vw_instance() {
	printf '    - name: %s\n      vrid: %s\n      vips: [%s]\n' "$1" "$2" "$3"
	[ -z "${4:-}" ] ||
	    printf '      unicast_src: %s\n      unicast_peers: [%s]\n' "$4" "$5"
}

# pair ROLE NAME VRID VIP VIPLEN [SRC_A SRC_B]: vrrp-watch in a and
# keepalived in b share one virtual router (unicast between SRC_A and
# SRC_B when given); vrrp-watch is the master (150 to 100) when ROLE is
# master. Both agree on the master and hold it for 1.5 s (about 7 adverts
# of the master taken by the backup), then the master's node dies and the
# backup takes the VIP within Master_Down_Interval (about 0.7 s).
pair() {
	local role=$1 name=$2 vrid=$3 vip=$4 len=$5 sa=${6:-} sb=${7:-}
	local vwp=100 kap=150 master=b backup=a t0 took
	[ "$role" = master ] && vwp=150 kap=100 master=a backup=b
	{ ka_global b; ka_instance "$name" "$vrid" $kap "$vip/$len" $sb $sa; } \
	    >"$D/ka-b.conf"
	{
		printf 'vrrp:\n  interface: eth0\n  priority: %s\n  advert: 20\n' $vwp
		printf '  instances:\n'
		vw_instance "$name" "$vrid" "$vip/$len" $sa $sb
	} >"$D/app-a.yml"
	ka b "$D/ka-b.conf"
	vw a "$D/app-a.yml"
	wait_for 5 has $master "$vip/$len"
	wait_for 3 grep -qx state=BACKUP "$D/a.status" ||
	    wait_for 3 grep -qx state=MASTER "$D/a.status"
	sleep 1.5
	has $master "$vip/$len"
	hasnt $backup "$vip/$len"
	if [ "$role" = master ]; then
		[ "$(icounter a "$name" state)" = MASTER ]
		grep -q "$name.*Entering BACKUP STATE" "$D/ka-b.log"
		run ! grep -q "$name.*Entering MASTER STATE" "$D/ka-b.log"
	else
		[ "$(icounter a "$name" state)" = BACKUP ]
		# by unicast the master is keepalived's unicast_src_ip
		[ -z "$sb" ] || [ "$(icounter a "$name" master)" = "$sb" ]
		[ "$(icounter a "$name" rx_adverts)" -ge 5 ]
	fi
	[ "$(icounter a "$name" rx_dropped_checksum)" = 0 ]
	[ "$(icounter a "$name" rx_dropped_ttl)" = 0 ]
	[ "$(icounter a "$name" rx_dropped_addrs)" = 0 ]
	[ "$(icounter a "$name" rx_dropped_source)" = 0 ]
	run ! grep -qiE 'invalid|mismatch|unexpected|wrong|bad ' "$D/ka-b.log"
	t0=$(date +%s%N)
	die $master
	wait_for 3 has $backup "$vip/$len"
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "$name $role: the backup took $vip after ${took} ms" >&3
	[ "$took" -le 1500 ]
}

@test "vrrp-interop: IPv6 multicast, vrrp-watch master, keepalived backup takes over when it dies" {
	lab_up
	pair master VI_6 52 $VIP6 64
	# keepalived listened on the VRRP group: multicast
	grep -q "ff02::12" <(ip netns exec "${L}b" ip -6 maddr show dev eth0)
}

@test "vrrp-interop: IPv6 multicast, keepalived master, vrrp-watch backup takes over when it dies" {
	lab_up
	pair backup VI_6 52 $VIP6 64
	[[ "$(icounter a VI_6 master)" == fe80:* ]]
	[ "$(icounter a VI_6 family)" = inet6 ]
}

@test "vrrp-interop: IPv4 unicast, vrrp-watch master, keepalived backup takes over when it dies" {
	lab_up
	pair master VI_4 51 $VIP 24 10.99.0.11 10.99.0.12
	[ "$(icounter a VI_4 unicast_peers)" = 10.99.0.12 ]
}

@test "vrrp-interop: IPv4 unicast, keepalived master, vrrp-watch backup takes over when it dies" {
	lab_up
	pair backup VI_4 51 $VIP 24 10.99.0.11 10.99.0.12
}

@test "vrrp-interop: IPv6 unicast, vrrp-watch master, keepalived backup takes over when it dies" {
	lab_up
	pair master VI_6 52 $VIP6 64 fd99::11 fd99::12
}

@test "vrrp-interop: IPv6 unicast, keepalived master, vrrp-watch backup takes over when it dies" {
	lab_up
	pair backup VI_6 52 $VIP6 64 fd99::11 fd99::12
}

# dns_start NODE PORT: the DNS responder stand-in, answers "nodeNODE".
dns_start() {
	ip netns exec "$L$1" "$TOOL" serve "$2" "node$1" 120 </dev/null &
	PIDS+=($!)
	echo $! >"$D/dns-$1.pid"
	wait_for 5 ip netns exec "$L$1" vrrp-watch -c "127.0.0.1:$2" -W 200 check
}
dns_stop() { kill "$(cat "$D/dns-$1.pid")"; }

# notify_script NAME: $D/NAME.sh appends its arguments to $D/NAME.
notify_script() {
	printf '#!/bin/sh\necho "$*" >>%s\n' "$D/$1" >"$D/$1.sh"
	chmod 755 "$D/$1.sh"
	: >"$D/$1"
}

# ka_group NOTIFY: the sync group DNS of VI_4 and VI_6.
ka_group() {
	cat <<-EOF
	vrrp_sync_group DNS {
	    group {
	        VI_4
	        VI_6
	    }
	    notify $1
	}
	EOF
}

ka_check() { # PORT
	cat <<-EOF
	vrrp_script chk_dns {
	    script "$TOP/bin/vrrp-watch -c 127.0.0.1:$1 -W 300 check"
	    interval 0.2
	    timeout 1
	    fall 1
	    rise 1
	}
	EOF
}

# group_pair IMPL_A PRIO_A IMPL_B PRIO_B: nodes a and b run IMPL (vw or
# ka) with the sync group DNS of VI_4 (10.99.0.100, checking the
# responder on :5300) and VI_6 (fd99::100, no check), unicast, 20 cs
# adverts; every notify goes to $D/notify-NODE.
group_pair() {
	local n impl prio me peer
	for n in a b; do
		if [ $n = a ]; then impl=$1 prio=$2 me=11 peer=12
		else impl=$3 prio=$4 me=12 peer=11; fi
		notify_script "notify-$n"
		if [ "$impl" = ka ]; then
			{
				ka_global $n
				ka_check 5300
				ka_instance VI_4 51 "$prio" $VIP/24 10.99.0.$me 10.99.0.$peer \
				    "notify $D/notify-$n.sh
	    track_script {
	        chk_dns
	    }"
				ka_instance VI_6 52 "$prio" $VIP6/64 fd99::$me fd99::$peer \
				    "notify $D/notify-$n.sh"
				ka_group "$D/notify-$n.sh"
			} >"$D/ka-$n.conf"
			ka $n "$D/ka-$n.conf"
		else
			cat >"$D/app-$n.yml" <<-EOF
			vrrp:
			  interface: eth0
			  priority: $prio
			  advert: 20
			  notify: $D/notify-$n.sh
			  instances:
			    - name: VI_4
			      vrid: 51
			      vips: $VIP/24
			      unicast_src: 10.99.0.$me
			      unicast_peers: 10.99.0.$peer
			      check: 127.0.0.1:5300
			      check_interval: 200
			    - name: VI_6
			      vrid: 52
			      vips: $VIP6/64
			      unicast_src: fd99::$me
			      unicast_peers: fd99::$peer
			  sync_groups:
			    - name: DNS
			      instances: VI_4 VI_6
			      notify: $D/notify-$n.sh
			EOF
			vw $n "$D/app-$n.yml"
		fi
	done
}

# names_are FILE NAME STATE...: the lines of FILE for NAME (INSTANCE NAME
# or GROUP NAME) name these states in this order. Scripts run at once for
# a change of a group and its instances may finish in any order, under
# either daemon; one name's changes are adverts apart.
names_are() {
	local f=$1 n=$2
	shift 2
	[ "$(awk -v n="$n" '$2 == n { printf "%s ", $3 }' "$f")" = "$* " ]
}

@test "vrrp-interop: a sync group of a v4 and a v6 unicast instance moves together both ways; one notify script gets the same lines from both" {
	lab_up
	local run impls p n
	for run in 1 2; do
		[ $run = 1 ] && impls="vw 150 ka 100" || impls="ka 150 vw 100"
		dns_start a 5300
		dns_start b 5300
		group_pair $impls
		wait_for 5 has a $VIP/24
		wait_for 3 has a $VIP6/64
		wait_for 3 grep -qx 'GROUP DNS BACKUP 0' "$D/notify-b"
		sleep 1
		hasnt b $VIP/24
		hasnt b $VIP6/64
		# only VI_4 checks DNS: when a's fails, VI_6 goes with it
		dns_stop a
		wait_for 3 has b $VIP/24
		wait_for 3 has b $VIP6/64
		wait_for 2 hasnt a $VIP6/64
		hasnt a $VIP/24
		sleep 0.5
		# a stops
		for p in "$D/vw-a.pid" "$D/kaparent-a.pid"; do
			[ ! -e "$p" ] || kill "$(cat "$p")"
		done
		wait_for 3 grep -qx 'GROUP DNS STOP 0' "$D/notify-a"
		sleep 0.5
		cp "$D/notify-a" "$D/run$run-a"
		cp "$D/notify-b" "$D/run$run-b"
		for p in "${PIDS[@]}"; do kill_wait "$p" 30; done
		PIDS=()
		rm -f "$D"/*.pid
		for n in a b; do
			ip -n "$L$n" addr del $VIP/24 dev eth0 2>/dev/null || true
			ip -n "$L$n" addr del $VIP6/64 dev eth0 2>/dev/null || true
		done
	done
	for f in run1-a run2-a run1-b run2-b; do echo "== $f"; cat "$D/$f"; done >&3
	# keepalived's lines: TYPE NAME STATE PRIORITY, 0 for a group
	for f in "$D/run1-a" "$D/run2-a"; do
		for n in VI_4 VI_6 DNS; do
			names_are "$f" $n BACKUP MASTER FAULT STOP
		done
		grep -qx 'INSTANCE VI_6 FAULT 150' "$f"
		grep -qx 'GROUP DNS FAULT 0' "$f"
	done
	for f in "$D/run1-b" "$D/run2-b"; do
		for n in VI_4 VI_6 DNS; do
			names_are "$f" $n BACKUP MASTER
		done
		grep -qx 'INSTANCE VI_4 MASTER 100' "$f"
	done
	# the same lines, but for the order of one change's scripts
	diff <(sort "$D/run1-a") <(sort "$D/run2-a")
	diff <(sort "$D/run1-b") <(sort "$D/run2-b")
}

# readme_configs DIR: the app.yml and keepalived.conf of README's
# "two VRIDs, v4 and v6, unicast" example, as they are but for the paths
# of vrrp-watch and the notify script.
readme_configs() {
	sed "s|/etc/dadns/notify.sh|$D/notify-a.sh|" "$FIX/../vrrp-interop/app.yml" >"$D/app-a.yml"
	sed -e "s|/etc/dadns/notify.sh|$D/notify-b.sh|" \
	    -e "s|/usr/local/sbin/vrrp-watch|$TOP/bin/vrrp-watch|" \
	    "$FIX/../vrrp-interop/keepalived.conf" >"$D/ka-b.conf"
	# nothing else differs
	[ "$(diff "$FIX/../vrrp-interop/app.yml" "$D/app-a.yml" | grep -c '^>')" = 1 ]
	[ "$(diff "$FIX/../vrrp-interop/keepalived.conf" "$D/ka-b.conf" | grep -c '^>')" = 2 ]
}

@test "vrrp-interop: README's two-VRID unicast example, vrrp-watch's app.yml beside keepalived's keepalived.conf, 1 s adverts" {
	lab_up 192.0.2 2001:db8: 1 2
	notify_script notify-a
	notify_script notify-b
	readme_configs
	dns_start a 53
	dns_start b 53
	ka b "$D/ka-b.conf"
	vw a "$D/app-a.yml"
	wait_for 6 has a 192.0.2.10/24
	wait_for 2 has a 2001:db8::10/64
	wait_for 3 grep -qx 'GROUP DNS BACKUP 0' "$D/notify-b"
	wait_for 2 grep -qx 'GROUP DNS MASTER 0' "$D/notify-a"
	hasnt b 192.0.2.10/24
	hasnt b 2001:db8::10/64
	[ "$(icounter a VI_4 master)" = 192.0.2.1 ]
	[ "$(icounter a VI_6 unicast_peers)" = 2001:db8::2 ]
	run --separate-stderr ip netns exec "${L}a" curl -sS http://127.0.0.1:9118/metrics
	assert_success
	assert_line 'dadns_vrrp_sync_group_state{group="DNS",state="master"} 1'
	# a's DNS fails: both VIPs go to b, and come back with it
	dns_stop a
	wait_for 3 has b 192.0.2.10/24
	wait_for 2 has b 2001:db8::10/64
	hasnt a 192.0.2.10/24
	hasnt a 2001:db8::10/64
	grep -qx 'GROUP DNS MASTER 0' "$D/notify-b"
	dns_start a 53
	wait_for 6 has a 192.0.2.10/24
	wait_for 2 has a 2001:db8::10/64
	wait_for 2 hasnt b 192.0.2.10/24
	hasnt b 2001:db8::10/64
	# a dies: b takes both after Master_Down_Interval (3.6 s)
	die a
	wait_for 5 has b 192.0.2.10/24
	wait_for 2 has b 2001:db8::10/64
	run ! grep -qiE 'invalid|mismatch|unexpected|wrong|bad ' "$D/ka-b.log"
}
