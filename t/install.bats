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
	for p in da-receive queue-push import-directdnsonly zone-write-nsd \
	    zone-write-bind zone-write-mysql reconcile peer-pull dns-proxy \
	    dns-proxy-ctl vrrp-watch dadns-enable; do
		echo "usr/sbin/$p"
	done
	for p in "$TOP"/man/*.8; do echo "usr/share/man/man8/${p##*/}"; done
	echo usr/share/man/man5/app.yml.5
	for p in app.yml named.conf.example coredns_mysql.sql nsd-dadns.conf; do
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

@test "install: the installed services, relative paths in app.yml, serve a pushed zone with da-receive and zone-write-nsd not root and NSD as nsd" {
	local etc=$B/etc/dadns state=$B/var/lib/dadns scan=$B/scan
	run inst install PREFIX="$B/usr" SYSCONFDIR="$etc" STATEDIR="$state" \
	    SCANDIR="$scan" UNITDIR="$B/systemd"
	assert_success
	id dadns
	id -nG dadns | tr ' ' '\n' | grep -qx nsd
	[ "$(stat -c %U:%G:%a "$etc/app.yml")" = root:dadns:640 ]
	[ "$(stat -c %U "$state/data")" = dadns ]

	# NSD from Debian on a loopback port, as its own user nsd; its zones
	# directory belongs to dadns and is readable by group nsd.
	NSD_DIR=$B/nsd
	NSD_PORT=$(free_port)
	install -d -o nsd -g nsd -m 0750 "$NSD_DIR"
	install -d -o dadns -g nsd -m 0750 "$NSD_DIR/zones"
	nsd_conf "$NSD_DIR" "$NSD_PORT" "" "" |
	    sed 's/username: ""/username: nsd/' >"$NSD_DIR/nsd.conf"
	echo "$NSD_DIR/nsd.conf" >"$etc/env/NSD_CONF"
	run "$B/usr/sbin/dadns-enable" nsd
	assert_success

	# directdnsonly's relative paths: resolved in the one working directory.
	HTTP_PORT=$(free_port)
	cat >"$etc/app.yml" <<-YML
	queue_location: ./data/queues
	datastore:
	  type: sqlite
	  db_location: ./data/directdnsonly.db
	$(da_app "$HTTP_PORT" install-secret)
	dns:
	  backends:
	    nsd:
	      type: nsd
	      enabled: true
	      zones_dir: $NSD_DIR/zones
	      nsd_conf: $NSD_DIR/nsd.conf
	      control_socket: $NSD_DIR/nsd.ctl
	      pattern: da
	      verify: "127.0.0.1@$NSD_PORT"
	YML

	PATH="$B/usr/sbin:$PATH" setsid s6-svscan "$scan" </dev/null \
	    >"$B/svscan.log" 2>&1 &
	SVSCAN_PID=$!
	for s in nsd zone-write-nsd da-receive; do
		wait_for 10 test -e "$scan/$s/supervise/status"
	done
	run s6-svwait -t 20000 -U "$scan/nsd" "$scan/zone-write-nsd" "$scan/da-receive"
	if [ "$status" -ne 0 ]; then
		tail -n 20 "$scan"/*/log/main/current >&2
		fail "services not ready"
	fi

	DA_URL=http://127.0.0.1:$HTTP_PORT
	DA_PASSWORD=install-secret
	run da_save example.com 2024060101
	assert_output "error=0"
	wait_for 10 served example.com 2024060101

	# One working directory: the spool and the store of both services.
	[ -d "$state/data/queues/nsd/new" ]
	[ -s "$state/data/directdnsonly.db" ]
	[ "$(zone_row example.com serial "$state/data/directdnsonly.db")" = 2024060101 ]
	[ ! -e "$scan/da-receive/data" ] && [ ! -e "$scan/zone-write-nsd/data" ]

	# Effective uids: dadns for dadns's programs, nsd for NSD.
	local s pid euid want
	for s in da-receive zone-write-nsd nsd; do
		pid=$(s6-svstat -p "$scan/$s")
		SVC_PIDS="$SVC_PIDS $pid"
		euid=$(awk '$1 == "Uid:" { print $3 }' "/proc/$pid/status")
		if [ "$s" = nsd ]; then want=$(id -u nsd); else want=$(id -u dadns); fi
		echo "# $s: pid $pid euid $euid ($(ps -o comm= -p "$pid"))" >&3
		[ "$euid" -ne 0 ] || fail "$s runs as root"
		assert_equal "$s:$euid" "$s:$want"
	done
	# zone-write-nsd reaches NSD's socket (nsd:nsd 0660) through group nsd.
	pid=$(s6-svstat -p "$scan/zone-write-nsd")
	awk '$1 == "Groups:"' "/proc/$pid/status" | grep -qw "$(getent group nsd | cut -d: -f3)"
	[ "$(stat -c %U:%G:%a "$NSD_DIR/nsd.ctl")" = nsd:nsd:660 ]
}
