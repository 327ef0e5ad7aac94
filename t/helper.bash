# helper.bash -- shared setup for the bats tests: PATH, temp dirs, real
# daemons started on loopback and stopped by PID, app.yml, the spool, and
# DirectAdmin's requests. helper-named.bash, helper-mariadb.bash and
# helper-writer.bash are loaded after it by the files that need them.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# The zone writers refuse zones directories and spools that other users
# may write in: whatever umask the tests are started with, create none.
umask 022

TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="$TOP/bin:$PATH"
export PATH TOP
. "$TOP/etc/nsd-conf.sh"

# kill_wait PID [TENTHS [SIGNAL]]: SIGNAL (default TERM) to PID, then
# SIGKILL if it still runs after TENTHS tenths of a second (default 50).
kill_wait() {
	local i=0
	kill -"${3:-TERM}" "$1" 2>/dev/null || return 0
	while kill -0 "$1" 2>/dev/null && [ $i -lt "${2:-50}" ]; do
		sleep 0.1
		i=$(( i + 1 ))
	done
	kill -9 "$1" 2>/dev/null || true
}

# A TCP/UDP port that no socket on this machine uses now, in any state
# (a TIME_WAIT or a connection's local port makes bind fail too), taken
# below the kernel's ephemeral range so an outgoing connection cannot
# take it between this check and the bind.
free_port() {
	local p
	while :; do
		p=$(( 10000 + RANDOM % 22000 ))
		if ! ss -Htuan "sport = :$p" 2>/dev/null | grep -q .; then
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
	nsd_conf "$NSD_DIR" "$NSD_PORT" "$NSD_DIR/nsd.pid" "$NSD_DIR/nsd.log" \
	    >"$NSD_CONF"
	nsd -c "$NSD_CONF" || return 1
	wait_for 10 test -S "$NSD_DIR/nsd.ctl" || return 1
	wait_for 10 nsd-control -c "$NSD_CONF" status || return 1
	NSD_PID=$(cat "$NSD_DIR/nsd.pid")
	export NSD_DIR NSD_PORT NSD_CONF NSD_PID
}

# nsd_stop: stop the NSD started by nsd_start, by PID. NSD takes seconds
# to exit cleanly; a test's NSD has nothing to save.
nsd_stop() {
	[ -n "${NSD_PID:-}" ] || return 0
	kill_wait "$NSD_PID" 3
	NSD_PID=
}

# soa_serial ZONE [PORT]: the SOA serial the server on 127.0.0.1:PORT
# serves, or the rcode word. PORT defaults to $QUERY_PORT, else NSD's.
soa_serial() {
	local out port=${2:-${QUERY_PORT:-$NSD_PORT}}
	out=$(dig +norec +time=1 +tries=2 -p "$port" @127.0.0.1 "$1" SOA) || return 1
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

# served ZONE ANSWER [PORT]: soa_serial ZONE [PORT] is ANSWER (a serial or
# an rcode word).
served() {
	[ "$(soa_serial "$1" "${3:-}")" = "$2" ]
}

# ---- app.yml and the spool of a test in $D

# write_config SECTION...: $D/app.yml with the spool $D/spool and the store
# $D/store.db, then each SECTION (YAML lines) in turn.
write_config() {
	{
		printf 'queue_location: %s\n' "$D/spool"
		printf 'datastore: {db_location: %s}\n' "$D/store.db"
		printf '%s\n' "$@"
	} >"$D/app.yml"
}

# nsd_backend [LINE...]: the dns: section with one backend "nsd" for the NSD
# of nsd_start, then each LINE as a further key of that backend.
nsd_backend() {
	cat <<-YML
	dns:
	  backends:
	    nsd:
	      type: nsd
	      enabled: true
	      zones_dir: $NSD_DIR/zones
	      nsd_conf: $NSD_CONF
	      pattern: da
	      verify: "127.0.0.1@$NSD_PORT"
	YML
	[ $# -eq 0 ] || printf '      %s\n' "$@"
}

# zones_backend DIR: the dns: section with one backend "nsd" writing its
# zone files to DIR, for a test where no NSD runs.
zones_backend() {
	cat <<-YML
	dns:
	  backends:
	    nsd:
	      type: nsd
	      enabled: true
	      zones_dir: $1
	YML
}

# da_app PORT PASSWORD [LINE...]: the app: section of a da-receive on
# 127.0.0.1:PORT for user directdnsonly with PASSWORD, then each LINE
# (indented as given).
da_app() {
	cat <<-YML
	app:
	  auth_username: directdnsonly
	  auth_password: $2
	  listen_addr: 127.0.0.1
	  listen_port: $1
	YML
	shift 2
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# zone_row ZONE COLUMNS [STORE]: COLUMNS (SQL, "|" between them) of
# ZONE's row in the store STORE (default $D/store.db); "" without one.
zone_row() {
	sqlite3 "${3:-$D/store.db}" "SELECT $2 FROM zones WHERE name = '$1'"
}

# live_count [STORE]: how many zones STORE (default $D/store.db) holds
# that are not deleted.
live_count() {
	sqlite3 "${1:-$D/store.db}" "SELECT count(*) FROM zones WHERE deleted_us = 0"
}

# jobs_in QUEUE new|fail [ZONE]: how many jobs $D/spool/QUEUE/new (or fail)
# holds, of ZONE only when given (the .reason files not counted).
jobs_in() {
	ls "$D/spool/$1/$2" 2>/dev/null | grep -v '\.reason$' |
	    grep -c -- "${3:+_$3}\$" || true
}

# count_is QUEUE new|fail N: jobs_in QUEUE new|fail is N.
count_is() {
	[ "$(jobs_in "$1" "$2")" = "$3" ]
}

# failed QUEUE ZONE: a job of ZONE is in QUEUE's fail/ with its reason.
failed() {
	ls "$D/spool/$1/fail/" | grep -q "_$2\.reason\$"
}

# push save|delete ZONE [SERIAL]: a job of da_zone ZONE SERIAL (or a
# delete) for every enabled backend, through queue-push.
push() {
	if [ "$1" = save ]; then
		queue-push save "$2" < <(da_zone "$2" "$3") >/dev/null
	else
		queue-push delete "$2" >/dev/null
	fi
}

# ---- the daemons of dadns, in the background, ready, stopped by PID

# start_runner PROGRAM [OPTION...]: `PROGRAM OPTION... -d 3 run` (a zone
# writer) in the background, waiting for its readiness line on fd 3. Its
# stderr goes to $RUNNER_LOG (default $D/run.log). Sets RUNNER_PID and adds
# it to RUNNER_PIDS.
start_runner() {
	local fifo line
	fifo=$(mktemp -u "$D/ready.XXXXXX")
	mkfifo "$fifo"
	"$@" -d 3 run 3>"$fifo" >/dev/null 2>>"${RUNNER_LOG:-$D/run.log}" &
	RUNNER_PID=$!
	RUNNER_PIDS="${RUNNER_PIDS:-} $RUNNER_PID"
	read -r -t 10 line <"$fifo" || fail "$1 not ready"
	rm -f "$fifo"
}

# stop_runner: SIGTERM to the runner of start_runner and wait for it; its
# exit status in RUNNER_STATUS (empty when none ran).
stop_runner() {
	RUNNER_STATUS=
	[ -n "${RUNNER_PID:-}" ] || return 0
	kill "$RUNNER_PID" 2>/dev/null || true
	RUNNER_STATUS=0
	wait "$RUNNER_PID" 2>/dev/null || RUNNER_STATUS=$?
	RUNNER_PID=
}

# runner_clean: the runner stop_runner stopped exited 0, as a runner does
# on SIGTERM (a sanitizer report makes it fail); else its log on stderr.
runner_clean() {
	[ "${RUNNER_STATUS:-0}" -eq 0 ] && return 0
	cat "${RUNNER_LOG:-$D/run.log}" >&2
	return 1
}

# receiver_start APP.YML LOG: da-receive -c APP.YML in the background, its
# stderr appended to LOG, waiting for its readiness (LOG on stderr when it
# does not come). Sets RECEIVER_PID and adds it to PIDS.
receiver_start() {
	rm -f "$2.ready"
	da-receive -c "$1" -d 3 3>"$2.ready" 2>>"$2" &
	RECEIVER_PID=$!
	PIDS="${PIDS:-} $RECEIVER_PID"
	wait_for 10 test -s "$2.ready" || { cat "$2" >&2; return 1; }
}

# receiver_stop: stop the da-receive of receiver_start and wait for it.
receiver_stop() {
	[ -n "${RECEIVER_PID:-}" ] || return 0
	kill "$RECEIVER_PID" 2>/dev/null || true
	wait "$RECEIVER_PID" 2>/dev/null || true
	RECEIVER_PID=
}

# run_stop RUN_DIR: stop the pipeline etc/run.sh started in RUN_DIR, and
# whatever is left of its supervision tree, by PID.
run_stop() {
	DADNS_RUN_DIR=$1 sh "$TOP/etc/run.sh" stop >/dev/null 2>&1 || true
	[ -f "$1/svscan.pid" ] &&
	    kill -9 "$(cat "$1/svscan.pid")" 2>/dev/null || true
}

# da_instance NAME PEERPASS [PEER_URL PEER_PASSWORD]: app.yml and a
# da-receive (receiver_start, log $D/NAME.log) for instance NAME in $D/NAME:
# DirectAdmin's password da-secret, the peer API's PEERPASS, an nsd backend
# without NSD; sets PORT_NAME. peer_sync is the file's last block: a test
# may append "  peers:".
da_instance() {
	local n=$1 port
	port=$(free_port)
	eval "PORT_$n=$port"
	mkdir -p "$D/$n"
	cat >"$D/$n/app.yml" <<-EOF
	queue_location: $D/$n/spool
	datastore:
	  type: sqlite
	  db_location: $D/$n/store.db
	$(da_app "$port" da-secret)
	$(zones_backend "$D/$n/zones")
	peer_sync:
	  enabled: true
	  auth_username: peersync
	  auth_password: $2
	EOF
	if [ -n "${3:-}" ]; then
		cat >>"$D/$n/app.yml" <<-EOF
		  peers:
		    - url: $3
		      username: peersync
		      password: $4
		EOF
	fi
	receiver_start "$D/$n/app.yml" "$D/$n.log"
}

# qpush NAME ZONE SERIAL [OWNER]: store and queue `$ZONE_TEXT ZONE SERIAL`
# (default da_zone) on instance NAME, owned by OWNER (da1.example.net).
qpush() {
	"${ZONE_TEXT:-da_zone}" "$2" "$3" |
	    queue-push -c "$D/$1/app.yml" -o "${4:-da1.example.net}" \
	    -u admin save "$2" >/dev/null
}

# metric_at URL NAME [CURL_OPTION...]: the value of NAME (its labels as
# written) in the Prometheus text at URL; nothing when absent.
metric_at() {
	local url=$1 name=$2
	shift 2
	curl -s "$@" "$url" | awk -v n="$name" '$1 == n { print $2 }'
}

# ---- DirectAdmin's requests to the da-receive at $DA_URL, as user
# ---- directdnsonly with $DA_PASSWORD; each prints the reply body.

# da_save ZONE SERIAL: DirectAdmin's rawsave of `$ZONE_TEXT ZONE SERIAL`
# (ZONE_TEXT defaults to da_zone).
da_save() {
	"${ZONE_TEXT:-da_zone}" "$1" "$2" | curl -s --http1.0 --max-time 10 \
	    -u "directdnsonly:$DA_PASSWORD" --data-binary @- \
	    "$DA_URL/CMD_API_DNS_ADMIN?action=rawsave&domain=$1&hostname=da1.example.net&username=admin"
}

# da_delete ZONE: DirectAdmin's delete of ZONE.
da_delete() {
	curl -s --http1.0 --max-time 10 -u "directdnsonly:$DA_PASSWORD" \
	    --data-binary "action=delete&cluster=yes&hostname=da1.example.net&select0=$1" \
	    -H 'Content-Type:' "$DA_URL/CMD_API_DNS_ADMIN"
}

# da_exists ZONE: DirectAdmin's exists for ZONE.
da_exists() {
	curl -s --max-time 10 -u "directdnsonly:$DA_PASSWORD" \
	    "$DA_URL/CMD_API_DNS_ADMIN?action=exists&domain=$1"
}
