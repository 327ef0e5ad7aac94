# helper-named.bash -- a private named (BIND) for the tests that need one,
# loaded after helper.bash.

# named_start DIR: a private named on 127.0.0.1:$NAMED_PORT, control
# channel on 127.0.0.1:$RNDC_PORT with its own key, allow-new-zones, zone
# files in DIR/zones. Sets NAMED_DIR, NAMED_PORT, RNDC_PORT, RNDC_CONF,
# NAMED_PID. Restarting with the same DIR keeps ports and added zones.
# $NAMED_EXTRA, when set, is appended to named.conf.
named_start() {
	NAMED_DIR=$1
	mkdir -p "$NAMED_DIR/zones"
	[ -n "${NAMED_PORT:-}" ] || NAMED_PORT=$(free_port)
	[ -n "${RNDC_PORT:-}" ] || RNDC_PORT=$(free_port)
	RNDC_CONF=$NAMED_DIR/rndc.conf
	[ -f "$NAMED_DIR/rndc.key" ] ||
	    tsig-keygen -a hmac-sha256 dadns-test >"$NAMED_DIR/rndc.key" ||
	    return 1
	cat >"$NAMED_DIR/named.conf" <<-CONF
	include "$NAMED_DIR/rndc.key";
	options {
		directory "$NAMED_DIR";
		pid-file "$NAMED_DIR/named.pid";
		listen-on port $NAMED_PORT { 127.0.0.1; };
		listen-on-v6 { none; };
		recursion no;
		allow-new-zones yes;
		notify no;
		dnssec-validation no;
	};
	controls {
		inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; }
		    keys { "dadns-test"; };
	};
	${NAMED_EXTRA:-}
	CONF
	cat >"$RNDC_CONF" <<-CONF
	include "$NAMED_DIR/rndc.key";
	options {
		default-key "dadns-test";
		default-server 127.0.0.1;
		default-port $RNDC_PORT;
	};
	CONF
	rm -f "$NAMED_DIR/named.pid"
	named -c "$NAMED_DIR/named.conf" -L "$NAMED_DIR/named.log" || return 1
	# A loaded machine can take longer; a named that never answers is
	# stopped here, so no test is left waiting on it.
	if ! wait_for 30 rndc -c "$RNDC_CONF" status; then
		[ -s "$NAMED_DIR/named.pid" ] &&
		    kill -9 "$(cat "$NAMED_DIR/named.pid")" 2>/dev/null
		return 1
	fi
	NAMED_PID=$(cat "$NAMED_DIR/named.pid")
	export NAMED_DIR NAMED_PORT RNDC_PORT RNDC_CONF NAMED_PID
}

# named_stop [-9]: stop the named started by named_start, by PID (named
# takes about two seconds to stop cleanly; teardown does not wait).
named_stop() {
	[ -n "${NAMED_PID:-}" ] || return 0
	kill_wait "$NAMED_PID" 100 "${1#-}"
	NAMED_PID=
}
