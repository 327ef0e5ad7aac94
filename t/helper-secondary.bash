# helper-secondary.bash -- a stock BIND 9.18 secondary following a
# primary's catalog zone, for the tests of secondaries; loaded after
# helper.bash.

# The TSIG key the tests' primaries and secondaries share, and a wrong
# secret for the refusal tests.
KEY=xfr-ns2
SECRET=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=
WRONG=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=

# secondary_start DIR PRIMARY_PORT KEY ALGORITHM SECRET [CATALOG]: a
# private named on 127.0.0.1:$SEC_PORT (picked when unset), no control
# channel, that follows the catalog zone CATALOG (default catalog.invalid)
# of the primary on 127.0.0.1:PRIMARY_PORT, transfers signed with the
# TSIG key KEY (none when KEY is empty), and adds and drops member zones
# as the catalog says (catalog-zones). Its log: DIR/named.log (transfers
# and NOTIFY included). Sets SEC_DIR, SEC_PORT, SEC_PID.
secondary_start() {
	local dir=$1 pport=$2 key=$3 alg=$4 secret=$5 cat=${6:-catalog.invalid}
	local keyclause= keyref=
	SEC_DIR=$dir
	mkdir -p "$dir/cz"
	[ -n "${SEC_PORT:-}" ] || SEC_PORT=$(free_port)
	if [ -n "$key" ]; then
		keyclause="key \"$key\" { algorithm $alg; secret \"$secret\"; };"
		keyref="key \"$key\""
	fi
	cat >"$dir/named.conf" <<-CONF
	$keyclause
	options {
		directory "$dir";
		pid-file "$dir/named.pid";
		listen-on port $SEC_PORT { 127.0.0.1; };
		listen-on-v6 { none; };
		recursion no;
		dnssec-validation no;
		allow-new-zones yes;
		notify no;
		min-refresh-time 1;
		min-retry-time 1;
		max-retry-time 2;
		catalog-zones {
			zone "$cat" default-primaries { 127.0.0.1 port $pport $keyref; }
			    zone-directory "cz" min-update-interval 1;
		};
	};
	controls { };
	logging {
		channel main { file "$dir/named.log"; print-category yes; severity info; };
		channel xfer { file "$dir/named.log"; print-category yes; severity debug 3; };
		category default { main; };
		category xfer-in { xfer; };
		category notify { main; };
		category general { main; };
	};
	zone "$cat" {
		type secondary;
		primaries { 127.0.0.1 port $pport $keyref; };
		file "catalog.db";
	};
	CONF
	rm -f "$dir/named.pid"
	named -c "$dir/named.conf" || return 1
	wait_for 10 test -s "$dir/named.pid" || return 1
	SEC_PID=$(cat "$dir/named.pid")
	export SEC_DIR SEC_PORT SEC_PID
}

# secondary_stop: stop the named of secondary_start, by PID.
secondary_stop() {
	[ -n "${SEC_PID:-}" ] || return 0
	kill_wait "$SEC_PID" 50
	SEC_PID=
}

# sec_serial ZONE: the SOA serial the secondary serves for ZONE, or the
# rcode word.
sec_serial() {
	soa_serial "$1" "$SEC_PORT"
}

# sec_has ZONE SERIAL: the secondary serves ZONE with SERIAL.
sec_has() {
	[ "$(sec_serial "$1")" = "$2" ]
}

# nsd_primary [VAR]: an NSD whose patterns come from zone-write-nsd's
# file, and app.yml for it with one secondary on 127.0.0.1:$VAR (VAR is
# SEC_PORT by default; a free port is picked) holding KEY and SECRET.
nsd_primary() {
	local var=${1:-SEC_PORT}

	NSD_DIR=$D/nsd
	mkdir -p "$NSD_DIR/zones"
	NSD_PORT=$(free_port)
	eval "$var=\$(free_port)"
	NSD_CONF=$NSD_DIR/nsd.conf
	nsd_conf "$NSD_DIR" "$NSD_PORT" "$NSD_DIR/nsd.pid" "$NSD_DIR/nsd.log" \
	    include >"$NSD_CONF"
	nsd -c "$NSD_CONF" || { cat "$NSD_CONF" >&2; return 1; }
	wait_for 10 test -S "$NSD_DIR/nsd.ctl" || return 1
	wait_for 10 nsd-control -c "$NSD_CONF" status || return 1
	NSD_PID=$(cat "$NSD_DIR/nsd.pid")
	DA_PORT=$(free_port)
	DA_PASSWORD=da-secret
	DA_URL=http://127.0.0.1:$DA_PORT
	write_config "$(da_app "$DA_PORT" "$DA_PASSWORD")" "$(nsd_backend \
	    "control_socket: $NSD_DIR/nsd.ctl" \
	    "secondaries:" \
	    "  - address: 127.0.0.1@${!var}" \
	    "    tsig_key: $KEY" \
	    "    tsig_secret: $SECRET")"
}
