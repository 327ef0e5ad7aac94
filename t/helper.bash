# helper.bash -- shared setup for the bats tests: PATH, temp dirs, real
# daemons started on loopback and stopped by PID.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# The zone writers refuse zones directories and spools that other users
# may write in: whatever umask the tests are started with, create none.
umask 022

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="$TOP/bin:$PATH"
export PATH TOP

# A TCP/UDP port that nothing on 127.0.0.1 listens on now.
free_port() {
	local p
	while :; do
		p=$(( 20000 + RANDOM % 30000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
		    ! ss -Hlun "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
}

# wait_for TIMEOUT_SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$(( i + 1 ))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

# nsd_start DIR: a private NSD on 127.0.0.1:$NSD_PORT with a unix control
# socket DIR/nsd.ctl, the zonelist patterns "da" (zone files ZONE.db) and
# "da-long" (ZONE, for 253-octet names) and zone files in DIR/zones.
# Sets NSD_DIR, NSD_PORT, NSD_CONF, NSD_PID.
nsd_start() {
	NSD_DIR=$1
	mkdir -p "$NSD_DIR/zones"
	[ -n "${NSD_PORT:-}" ] || NSD_PORT=$(free_port)
	NSD_CONF=$NSD_DIR/nsd.conf
	cat >"$NSD_CONF" <<-CONF
	server:
		ip-address: 127.0.0.1@$NSD_PORT
		do-ip6: no
		username: ""
		chroot: ""
		zonesdir: "$NSD_DIR/zones"
		zonelistfile: "$NSD_DIR/zone.list"
		database: ""
		pidfile: "$NSD_DIR/nsd.pid"
		xfrdfile: "$NSD_DIR/xfrd.state"
		xfrdir: "$NSD_DIR"
		logfile: "$NSD_DIR/nsd.log"
		cookie-secret-file: "$NSD_DIR/cookie"
		server-count: 1
		rrl-ratelimit: 0
		verbosity: 1
	remote-control:
		control-enable: yes
		control-interface: "$NSD_DIR/nsd.ctl"
	pattern:
		name: "da"
		zonefile: "%s.db"
	pattern:
		name: "da-long"
		zonefile: "%s"
	CONF
	nsd -c "$NSD_CONF" || return 1
	wait_for 10 test -S "$NSD_DIR/nsd.ctl" || return 1
	wait_for 10 nsd-control -c "$NSD_CONF" status || return 1
	NSD_PID=$(cat "$NSD_DIR/nsd.pid")
	export NSD_DIR NSD_PORT NSD_CONF NSD_PID
}

# nsd_stop: stop the NSD started by nsd_start, by PID.
nsd_stop() {
	[ -n "${NSD_PID:-}" ] || return 0
	kill "$NSD_PID" 2>/dev/null || true
	local i=0
	# NSD takes seconds to exit cleanly; a test's NSD has nothing to save.
	while kill -0 "$NSD_PID" 2>/dev/null && [ $i -lt 3 ]; do
		sleep 0.1
		i=$(( i + 1 ))
	done
	kill -9 "$NSD_PID" 2>/dev/null || true
	NSD_PID=
}

# soa_serial ZONE [PORT]: the SOA serial NSD serves, or the rcode word.
soa_serial() {
	local out
	out=$(dig +norec +time=1 +tries=2 -p "${2:-$NSD_PORT}" @127.0.0.1 "$1" SOA) || return 1
	if printf '%s\n' "$out" | grep -q 'status: NOERROR'; then
		printf '%s\n' "$out" | awk '$4 == "SOA" { print $7; exit }'
	else
		printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
	fi
}

# da_zone ZONE [SERIAL]: a DirectAdmin-style zone text as DA sends it.
da_zone() {
	local z=$1 serial=${2:-2021082500}
	printf '\n\n\n\n\n\n\n\n\n\n\n\n\n'
	printf '$TTL 3600\n'
	printf '@       IN      SOA     ns1.example.net.      hostmaster.%s. (\n' "$z"
	printf '                                                %s\n' "$serial"
	printf '                                                3600\n'
	printf '                                                3600\n'
	printf '                                                1209600\n'
	printf '                                                86400 )\n\n'
	printf '%s.\t3600\tIN\tNS\tns1.example.net.\n' "$z"
	printf '%s.\t3600\tIN\tNS\tns2.example.net.\n\n' "$z"
	printf 'ftp\t3600\tIN\tA\t192.0.2.10\n'
	printf 'mail\t3600\tIN\tA\t192.0.2.10\n'
	printf '%s.\t3600\tIN\tA\t192.0.2.10\n' "$z"
	printf 'www\t3600\tIN\tA\t192.0.2.10\n\n'
	printf '%s.\t3600\tIN\tMX\t10 mail\n\n' "$z"
	printf '%s.\t3600\tIN\tTXT\t"v=spf1 a mx ip4:192.0.2.10 ~all"\n\n\n' "$z"
}
