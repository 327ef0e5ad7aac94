#!/bin/sh
# run.sh -- `make run` / `make stop`: the whole supervised pipeline (an
# embedded DNS server + sqlite store, da-receive, the server's zone writer)
# under s6-svscan in ./run/, loopback ports only. DADNS_SERVER picks the
# server: nsd (default, with zone-write-nsd), knot (knotd, zone-write-knot)
# or bind (named, zone-write-bind). DADNS_* variables in the environment
# override the generated app.yml; with no password given one is generated
# and kept in run/secret/da-password.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
RUN=${DADNS_RUN_DIR:-$top/run}
HTTP_PORT=${DADNS_APP_LISTEN_PORT:-2222}
DNS_PORT=${DADNS_DNS_PORT:-${DADNS_NSD_PORT:-5353}}
RNDC_PORT=${DADNS_RNDC_PORT:-5953}
SERVER=${DADNS_SERVER:-nsd}
. "$top/etc/nsd-conf.sh"
. "$top/etc/knot-conf.sh"

case $SERVER in
nsd) SVC=nsd WRITER=zone-write-nsd NAME=NSD ;;
knot) SVC=knot WRITER=zone-write-knot NAME=knotd ;;
bind) SVC=named WRITER=zone-write-bind NAME=named ;;
*)
	echo "run.sh: DADNS_SERVER=$SERVER: nsd, knot or bind expected" >&2
	exit 100
	;;
esac

# The dns: section of app.yml for the server, and its own configuration
# files under $RUN/$SERVER (the zone files in its zones/).
server_setup() {
	d=$RUN/$SERVER
	case $SERVER in
	nsd)
		nsd_conf "$d" "$DNS_PORT" "" "" >"$d/nsd.conf"
		echo "$d/nsd.conf" >"$RUN/env/NSD_CONF"
		cat <<-YML
		    nsd:
		      type: nsd
		      enabled: true
		      zones_dir: $d/zones
		      nsd_conf: $d/nsd.conf
		      control_socket: $d/nsd.ctl
		      pattern: da
		      verify: 127.0.0.1@$DNS_PORT
		YML
		;;
	knot)
		mkdir -p "$d/db"
		knot_conf "$d" "$DNS_PORT" >"$d/knot.conf"
		echo "$d/knot.conf" >"$RUN/env/KNOT_CONF"
		cat <<-YML
		    knot:
		      type: knot
		      enabled: true
		      zones_dir: $d/zones
		      control_socket: $d/knot.sock
		      knot_conf: $d/zones/dadns-zones.conf
		      verify: 127.0.0.1@$DNS_PORT
		YML
		;;
	bind)
		# named as the invoking user, its control channel on loopback
		# with a key of its own.
		[ -s "$d/rndc.key" ] || (umask 077; tsig-keygen -a hmac-sha256 \
		    dadns-run >"$d/rndc.key")
		cat >"$d/named.conf" <<-CONF
		include "$d/rndc.key";
		options {
			directory "$d";
			pid-file none;
			listen-on port $DNS_PORT { 127.0.0.1; };
			listen-on-v6 { none; };
			recursion no;
			allow-new-zones yes;
			notify no;
			dnssec-validation no;
		};
		controls {
			inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; }
			    keys { "dadns-run"; };
		};
		include "$d/zones/DADNS-ZONES.conf";
		CONF
		# zone-write-bind's zone list of bulk loads (bulk_min below).
		mkdir -p "$d/zones"
		[ -e "$d/zones/DADNS-ZONES.conf" ] || : >"$d/zones/DADNS-ZONES.conf"
		cat >"$d/rndc.conf" <<-CONF
		include "$d/rndc.key";
		options {
			default-key "dadns-run";
			default-server 127.0.0.1;
			default-port $RNDC_PORT;
		};
		CONF
		echo "$d/named.conf" >"$RUN/env/NAMED_CONF"
		echo "$d/rndc.conf" >"$RUN/env/RNDC_CONF"
		# A line, empty: named stays the invoking user.
		echo >"$RUN/env/NAMED_USER"
		cat <<-YML
		    bind:
		      type: bind
		      enabled: true
		      zones_dir: $d/zones
		      rndc_conf: $d/rndc.conf
		      verify: 127.0.0.1@$DNS_PORT
		      bulk_min: 500
		YML
		;;
	esac
}

stop() {
	if [ -f "$RUN/svscan.pid" ] && kill -0 "$(cat "$RUN/svscan.pid")" 2>/dev/null; then
		s6-svscanctl -t "$RUN/scan" 2>/dev/null || kill "$(cat "$RUN/svscan.pid")"
		# A service still up 8 s after its SIGTERM gets a SIGKILL
		# (timeout-kill in each service directory).
		i=0
		while kill -0 "$(cat "$RUN/svscan.pid")" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		echo "dadns: stopped"
	else
		echo "dadns: not running"
	fi
	rm -f "$RUN/svscan.pid"
}

start() {
	if [ -f "$RUN/svscan.pid" ] && kill -0 "$(cat "$RUN/svscan.pid")" 2>/dev/null; then
		echo "dadns: already running (make stop first)" >&2
		exit 1
	fi
	# The zone writers refuse a zones directory or spool that another
	# user may write in, whatever the umask this was started with.
	umask 022
	mkdir -p "$RUN/etc" "$RUN/data/queues" "$RUN/$SERVER/zones" \
	    "$RUN/secret"
	chmod go-w "$RUN/data" "$RUN/data/queues" "$RUN/$SERVER" \
	    "$RUN/$SERVER/zones"
	chmod 700 "$RUN/secret"

	# The DirectAdmin password: from the environment, else generated once.
	if [ -n "${DADNS_APP_AUTH_PASSWORD:-}" ]; then
		password=$DADNS_APP_AUTH_PASSWORD
	elif [ -n "${DADNS_APP_AUTH_PASSWORD_FILE:-}" ]; then
		password=$(cat "$DADNS_APP_AUTH_PASSWORD_FILE")
	else
		if [ ! -s "$RUN/secret/da-password" ]; then
			(umask 077; od -An -N18 -tx1 /dev/urandom | tr -d ' \n' \
			    >"$RUN/secret/da-password")
		fi
		password=$(cat "$RUN/secret/da-password")
		DADNS_APP_AUTH_PASSWORD_FILE=$RUN/secret/da-password
		export DADNS_APP_AUTH_PASSWORD_FILE
	fi
	username=${DADNS_APP_AUTH_USERNAME:-directdnsonly}

	# The instance's envdir, as make install writes it: every service
	# reads app.yml and works in $RUN (DADNS_HOME), as the invoking user.
	DADNS_CONFIG=$RUN/etc/app.yml
	rm -rf "$RUN/env"
	mkdir -p "$RUN/env"
	echo "$DADNS_CONFIG" >"$RUN/env/DADNS_CONFIG"
	echo "$RUN" >"$RUN/env/DADNS_HOME"

	backend=$(server_setup)
	cat >"$RUN/etc/app.yml" <<-YML
	# Generated by make run; DADNS_* variables override every key.
	log_level: info
	queue_location: $RUN/data/queues
	datastore:
	  type: sqlite
	  db_location: $RUN/data/dadns.db
	app:
	  auth_username: directdnsonly
	  listen_addr: 127.0.0.1
	  listen_port: $HTTP_PORT
	dns:
	  backends:
	YML
	printf '%s\n' "$backend" >>"$RUN/etc/app.yml"

	# A fresh scan directory from the service templates.
	rm -rf "$RUN/scan"
	mkdir -p "$RUN/scan"
	for svc in $SVC $WRITER da-receive reconcile; do
		cp -R "$top/service/$svc" "$RUN/scan/$svc"
	done
	PATH=$top/bin:$PATH
	export DADNS_CONFIG PATH
	DADNS_ENVDIR=$RUN/env
	export DADNS_ENVDIR

	# s6-svscan in its own session, detached from this terminal.
	setsid s6-svscan "$RUN/scan" </dev/null >"$RUN/svscan.log" 2>&1 &
	echo $! >"$RUN/svscan.pid"

	# s6-svscan needs a moment to start a supervisor per service.
	i=0
	for svc in $SVC $WRITER da-receive; do
		while ! s6-svok "$RUN/scan/$svc" 2>/dev/null ||
		    [ ! -e "$RUN/scan/$svc/supervise/status" ]; do
			i=$((i + 1))
			[ $i -gt 200 ] && break
			sleep 0.05
		done
	done
	# Ready = every service reported readiness.
	if ! s6-svwait -t 20000 -U "$RUN/scan/$SVC" "$RUN/scan/da-receive" \
	    "$RUN/scan/$WRITER"; then
		echo "dadns: services did not become ready; logs in $RUN/scan/*/log/main" >&2
		stop
		exit 111
	fi
	cat <<-MSG
	dadns is running (s6-svscan pid $(cat "$RUN/svscan.pid"), files in $RUN).
	  DirectAdmin API: http://127.0.0.1:$HTTP_PORT  user $username  password $password
	  DNS server:      $NAME ($WRITER), 127.0.0.1 port $DNS_PORT
	Push a zone as DirectAdmin does, then query it:
	  printf '\$TTL 300\n@ IN SOA ns1.example.net. hostmaster.example.com. 2024010101 3600 600 86400 300\n@ IN NS ns1.example.net.\nwww IN A 192.0.2.10\n' |
	    curl -s --http1.0 -u '$username:$password' --data-binary @- \\
	    'http://127.0.0.1:$HTTP_PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com&hostname=da1.example.net&username=admin'
	  dig +norec @127.0.0.1 -p $DNS_PORT www.example.com A
	Status: curl -s -u '$username:$password' http://127.0.0.1:$HTTP_PORT/status
	Logs:   $RUN/scan/<service>/log/main/current
	Stop:   make stop
	MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: run.sh start|stop" >&2; exit 100 ;;
esac
