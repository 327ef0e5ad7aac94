#!/usr/bin/env bats
# install.bats -- make install / make uninstall: where every file goes,
# and the installed services running for real: one working directory for
# every service, and no network-facing program running as root.

load helper

setup() {
	# Not under bats' private (mode 0700) temp dir: the dadns and nsd
	# users must reach these files.
	B=$(mktemp -d /tmp/dadns-install.XXXXXX)
	chmod 0755 "$B"
	SVSCAN_PID=
	SVC_PIDS=
}

teardown() {
	if [ -n "$SVSCAN_PID" ]; then
		s6-svscanctl -t "$B/scan" 2>/dev/null || true
		kill_wait "$SVSCAN_PID" 100
	fi
	for p in $SVC_PIDS; do
		kill_wait "$p" 30
	done
	rm -rf "$B"
}

# inst TARGET VAR=VALUE...: make TARGET in the source tree, quietly.
inst() {
	make -s -C "$TOP" "$@"
}

# installed_files: every path make install DESTDIR=$B/d PREFIX=/usr puts
# under usr/, relative to $B/d.
installed_files() {
	local p
	for p in "$TOP"/bin/*.c; do
		p=${p##*/}
		echo "usr/sbin/${p%.c}"
	done
	echo usr/sbin/dadns-enable
	for p in "$TOP"/man/*.8; do echo "usr/share/man/man8/${p##*/}"; done
	echo usr/share/man/man5/app.yml.5
	for p in app.yml named.conf.example coredns_mysql.sql nsd-dadns.conf \
	    knot-dadns.conf; do
		echo "usr/share/dadns/$p"
	done
	for p in "$TOP"/service/*/; do
		p=${p%/}
		echo "usr/share/dadns/service/${p##*/}/run"
		echo "usr/share/dadns/service/${p##*/}/finish"
		echo "usr/share/dadns/service/${p##*/}/log/run"
	done
	echo usr/lib/systemd/system/dadns.service
}

@test "install: make install DESTDIR=... PREFIX=/usr puts every file in its place, make uninstall removes them" {
	local f d=$B/d missing=
	run inst install DESTDIR="$d" PREFIX=/usr
	assert_success
	# No user is created under DESTDIR: the command is printed instead.
	assert_output --partial "useradd --system"
	for f in $(installed_files); do
		[ -e "$d/$f" ] || missing+=" $f"
	done
	assert_equal "$missing" ""
	for f in $(installed_files | grep '/sbin/\|/run$\|/finish$'); do
		[ -x "$d/$f" ] || fail "$f not executable"
	done
	# The paths are substituted in the unit, the templates and the script.
	grep -qx 'ExecStart=/usr/bin/s6-svscan /var/lib/dadns/service' \
	    "$d/usr/lib/systemd/system/dadns.service"
	grep -q 'PATH=/usr/sbin:' "$d/usr/lib/systemd/system/dadns.service"
	grep -q 's6-envdir -I "${DADNS_ENVDIR:-/etc/dadns/env}"' \
	    "$d/usr/share/dadns/service/da-receive/run"
	grep -q 's6-setuidgid' "$d/usr/share/dadns/service/zone-write-nsd/run"
	run grep -rlI '@[A-Z]*@' "$d"
	assert_output ""
	# The instance: app.yml (0640), one envdir, the working directory and
	# the default services in the scan directory.
	[ "$(stat -c %a "$d/etc/dadns/app.yml")" = 640 ]
	[ "$(cat "$d/etc/dadns/env/DADNS_CONFIG")" = /etc/dadns/app.yml ]
	[ "$(cat "$d/etc/dadns/env/DADNS_HOME")" = /var/lib/dadns ]
	[ "$(cat "$d/etc/dadns/env/DADNS_USER")" = dadns ]
	[ -d "$d/var/lib/dadns/data" ]
	run ls "$d/var/lib/dadns/service"
	assert_output $'da-receive\nzone-write-nsd'

	# A second install keeps the operator's app.yml.
	echo "# mine" >>"$d/etc/dadns/app.yml"
	run inst install DESTDIR="$d" PREFIX=/usr
	assert_success
	grep -qx '# mine' "$d/etc/dadns/app.yml"

	run inst uninstall DESTDIR="$d" PREFIX=/usr
	assert_success
	run find "$d/usr" -type f
	assert_output ""
	# The config and the state stay.
	[ -f "$d/etc/dadns/app.yml" ] && [ -d "$d/var/lib/dadns/data" ]
}

@test "install: dadns-enable copies a template into the scan directory and keeps its env/" {
	run inst install DESTDIR="$B/d" PREFIX=/usr
	assert_success
	export DADNS_TEMPLATES=$B/d/usr/share/dadns/service DADNS_SCANDIR=$B/d/var/lib/dadns/service
	run sh "$B/d/usr/sbin/dadns-enable" zone-write-mysql zone-write-mysql-dc1
	assert_success
	[ -x "$DADNS_SCANDIR/zone-write-mysql-dc1/run" ]
	run sh "$B/d/usr/sbin/dadns-enable" vrrp-watch
	assert_success
	echo eth1 >"$DADNS_SCANDIR/vrrp-watch/env/VRRP_INTERFACE"
	run sh "$B/d/usr/sbin/dadns-enable" vrrp-watch
	assert_success
	[ "$(cat "$DADNS_SCANDIR/vrrp-watch/env/VRRP_INTERFACE")" = eth1 ]
	run sh "$B/d/usr/sbin/dadns-enable" no-such-service
	assert_failure 100
}

# real_install: make install into $B (PREFIX $B/usr, SYSCONFDIR $ETC,
# STATEDIR $STATE, SCANDIR $SCAN), as root and without DESTDIR: the dadns
# user is created (once: it stays) and the owners are set.
real_install() {
	ETC=$B/etc/dadns STATE=$B/var/lib/dadns SCAN=$B/scan
	run inst install PREFIX="$B/usr" SYSCONFDIR="$ETC" STATEDIR="$STATE" \
	    SCANDIR="$SCAN" UNITDIR="$B/systemd"
	assert_success
	id dadns
	[ "$(stat -c %U:%G:%a "$ETC/app.yml")" = root:dadns:640 ]
	[ "$(stat -c %U "$STATE/data")" = dadns ]
	HTTP_PORT=$(free_port)
	DA_URL=http://127.0.0.1:$HTTP_PORT
	DA_PASSWORD=install-secret
}

# relative_config BACKEND_LINES: $ETC/app.yml with directdnsonly's relative
# paths for the spool and the store, da-receive on $HTTP_PORT, then the
# dns: section given.
relative_config() {
	cat >"$ETC/app.yml" <<-YML
	queue_location: ./data/queues
	datastore:
	  type: sqlite
	  db_location: ./data/directdnsonly.db
	$(da_app "$HTTP_PORT" "$DA_PASSWORD")
	$1
	YML
}

# scan_start SERVICE...: s6-svscan on $SCAN as the unit runs it (SBINDIR
# first in PATH), waiting until every SERVICE is up and ready.
scan_start() {
	PATH="$B/usr/sbin:$PATH" setsid s6-svscan "$SCAN" </dev/null \
	    >"$B/svscan.log" 2>&1 &
	SVSCAN_PID=$!
	for s in "$@"; do
		wait_for 10 test -e "$SCAN/$s/supervise/status"
	done
	set -- $(printf "$SCAN/%s " "$@")
	if ! s6-svwait -t 20000 -U "$@"; then
		tail -n 20 "$SCAN"/*/log/main/current >&2
		fail "services not ready"
	fi
}

# euid_is SERVICE USER: the running SERVICE's effective uid is USER's.
euid_is() {
	local pid euid
	pid=$(s6-svstat -p "$SCAN/$1")
	SVC_PIDS="$SVC_PIDS $pid"
	euid=$(awk '$1 == "Uid:" { print $3 }' "/proc/$pid/status")
	echo "# $1: pid $pid euid $euid ($(ps -o comm= -p "$pid"))" >&3
	[ "$euid" -ne 0 ] || fail "$1 runs as root"
	assert_equal "$1:$euid" "$1:$(id -u "$2")"
}

# in_group SERVICE GROUP: the running SERVICE has GROUP among its groups.
in_group() {
	local pid
	pid=$(s6-svstat -p "$SCAN/$1")
	awk '$1 == "Groups:"' "/proc/$pid/status" |
	    grep -qw "$(getent group "$2" | cut -d: -f3)"
}

@test "install: the installed services, relative paths in app.yml, serve a pushed zone with da-receive and zone-write-nsd not root and NSD as nsd" {
	real_install
	id -nG dadns | tr ' ' '\n' | grep -qx nsd

	# NSD from Debian on a loopback port, as its own user nsd; its zones
	# directory belongs to dadns and is readable by group nsd.
	NSD_DIR=$B/nsd
	NSD_PORT=$(free_port)
	NSD_CONF=$NSD_DIR/nsd.conf
	install -d -o nsd -g nsd -m 0750 "$NSD_DIR"
	install -d -o dadns -g nsd -m 0750 "$NSD_DIR/zones"
	nsd_conf "$NSD_DIR" "$NSD_PORT" "" "" |
	    sed 's/username: ""/username: nsd/' >"$NSD_DIR/nsd.conf"
	echo "$NSD_DIR/nsd.conf" >"$ETC/env/NSD_CONF"
	run "$B/usr/sbin/dadns-enable" nsd
	assert_success
	relative_config "$(nsd_backend "control_socket: $NSD_DIR/nsd.ctl")"

	scan_start nsd zone-write-nsd da-receive
	run da_save example.com 2024060101
	assert_output "error=0"
	wait_for 10 served example.com 2024060101

	# One working directory: the spool and the store of both services.
	[ -d "$STATE/data/queues/nsd/new" ]
	[ "$(zone_row example.com serial "$STATE/data/directdnsonly.db")" = 2024060101 ]
	[ ! -e "$SCAN/da-receive/data" ] && [ ! -e "$SCAN/zone-write-nsd/data" ]

	# Effective uids: dadns for dadns's programs, nsd for NSD;
	# zone-write-nsd reaches NSD's socket (nsd:nsd 0660) through group nsd.
	euid_is da-receive dadns
	euid_is zone-write-nsd dadns
	euid_is nsd nsd
	in_group zone-write-nsd nsd
	# The loggers too: s6-log as dadns, its files dadns's.
	euid_is da-receive/log dadns
	euid_is nsd/log dadns
	[ "$(stat -c %U "$SCAN/da-receive/log/main/current")" = dadns ]
	[ "$(stat -c %U:%G:%a "$NSD_DIR/nsd.ctl")" = nsd:nsd:660 ]

	# systemctl stop: SIGTERM to s6-svscan brings every service down.
	kill -TERM "$SVSCAN_PID"
	wait_for 30 sh -c "! kill -0 $SVSCAN_PID"
	for p in $SVC_PIDS; do
		wait_for 30 sh -c "! kill -0 $p" || fail "pid $p still runs"
	done
	SVSCAN_PID=
}

@test "install: the installed BIND services serve a pushed zone with zone-write-bind as dadns (rndc key through group bind) and named as bind" {
	real_install
	id -nG dadns | tr ' ' '\n' | grep -qx bind

	# named as its own user bind; the rndc key root:bind 0640 as Debian
	# ships /etc/bind/rndc.key; zones owned by dadns, readable by bind.
	local n=$B/named
	NAMED_PORT=$(free_port)
	RNDC_PORT=$(free_port)
	install -d -o bind -g bind -m 0750 "$n"
	install -d -o dadns -g bind -m 0750 "$n/zones"
	tsig-keygen -a hmac-sha256 dadns-rndc >"$n/rndc.key"
	cat >"$n/named.conf" <<-CONF
	include "$n/rndc.key";
	options {
		directory "$n";
		pid-file none;
		listen-on port $NAMED_PORT { 127.0.0.1; };
		listen-on-v6 { none; };
		recursion no;
		allow-new-zones yes;
		notify no;
		dnssec-validation no;
	};
	controls {
		inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; } keys { "dadns-rndc"; };
	};
	CONF
	cat >"$n/rndc.conf" <<-CONF
	include "$n/rndc.key";
	options {
		default-key "dadns-rndc";
		default-server 127.0.0.1;
		default-port $RNDC_PORT;
	};
	CONF
	chown root:bind "$n/rndc.key" "$n/rndc.conf" "$n/named.conf"
	chmod 0640 "$n/rndc.key" "$n/rndc.conf" "$n/named.conf"
	echo "$n/named.conf" >"$ETC/env/NAMED_CONF"
	echo "$n/rndc.conf" >"$ETC/env/RNDC_CONF"
	run "$B/usr/sbin/dadns-enable" named
	assert_success
	run "$B/usr/sbin/dadns-enable" zone-write-bind
	assert_success
	rm -r "$SCAN/zone-write-nsd"
	relative_config "$(cat <<-YML
	dns:
	  backends:
	    bind:
	      type: bind
	      enabled: true
	      zones_dir: $n/zones
	      rndc_conf: $n/rndc.conf
	      verify: "127.0.0.1@$NAMED_PORT"
	YML
	)"

	scan_start named zone-write-bind da-receive
	run da_save example.org 2024060201
	assert_output "error=0"
	wait_for 20 served example.org 2024060201 "$NAMED_PORT"
	[ "$(zone_row example.org serial "$STATE/data/directdnsonly.db")" = 2024060201 ]
	[ -f "$n/zones/example.org.db" ]

	euid_is da-receive dadns
	euid_is zone-write-bind dadns
	euid_is named bind
	in_group zone-write-bind bind
	# Nobody else reads the key.
	run s6-setuidgid nobody cat "$n/rndc.key"
	assert_failure
}
