#!/usr/bin/env bats
# zone-write-bind.bats -- the BIND writer against a real named on loopback
# (own config, rndc key, high ports): one-shot save/delete, bad zones kept
# out while the old one is served, the queue runner, retries.

load helper

setup() {
	D=$BATS_TEST_TMPDIR
	named_start "$D/named" || fail "named did not start"
	write_config
	export DADNS_CONFIG=$D/app.yml
	RUNNER_PID=
}

teardown() {
	local started=${RUNNER_PID:-}
	stop_runner
	named_stop -9
	# A runner stops with 0 on SIGTERM (sanitizer reports make it fail).
	if [ -n "$started" ] && [ "$RUNNER_STATUS" -ne 0 ]; then
		cat "$D/run.log" >&2
		return 1
	fi
}

# named_start DIR: a private named on 127.0.0.1:$NAMED_PORT, control
# channel on 127.0.0.1:$RNDC_PORT with its own key, allow-new-zones, zone
# files in DIR/zones. Sets NAMED_DIR, NAMED_PORT, RNDC_PORT, RNDC_CONF,
# NAMED_PID. Restarting with the same DIR keeps ports and added zones.
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
	wait_for 10 rndc -c "$RNDC_CONF" status || return 1
	NAMED_PID=$(cat "$NAMED_DIR/named.pid")
	export NAMED_DIR NAMED_PORT RNDC_PORT RNDC_CONF NAMED_PID
}

# named_stop [-9]: stop the named started by named_start, by PID (named
# takes about two seconds to stop cleanly; teardown does not wait).
named_stop() {
	[ -n "${NAMED_PID:-}" ] || return 0
	kill ${1:-} "$NAMED_PID" 2>/dev/null || true
	local i=0
	while kill -0 "$NAMED_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$(( i + 1 ))
	done
	kill -9 "$NAMED_PID" 2>/dev/null || true
	NAMED_PID=
}

# write_config [verify]: app.yml for the named of this test; an empty
# argument leaves verify out.
write_config() {
	local verify=${1-127.0.0.1@$NAMED_PORT}
	cat >"$D/app.yml" <<-YML
	queue_location: $D/spool
	datastore: {db_location: $D/store.db}
	dns:
	  backends:
	    bind:
	      type: bind
	      enabled: true
	      zones_dir: $NAMED_DIR/zones
	      rndc_conf: $RNDC_CONF
	YML
	if [ -n "$verify" ]; then
		printf '      verify: "%s"\n' "$verify" >>"$D/app.yml"
	fi
}

# start_runner: zone-write-bind run in the background, waiting for its
# readiness line on fd 3. Its stderr goes to $D/run.log.
start_runner() {
	rm -f "$D/ready"
	mkfifo "$D/ready"
	zone-write-bind -v -d 3 run 3>"$D/ready" >/dev/null 2>>"$D/run.log" &
	RUNNER_PID=$!
	local line
	read -r -t 10 line <"$D/ready" || fail "runner not ready"
}

stop_runner() {
	[ -n "${RUNNER_PID:-}" ] || return 0
	kill "$RUNNER_PID" 2>/dev/null || true
	wait "$RUNNER_PID" 2>/dev/null
	RUNNER_STATUS=$?
	RUNNER_PID=
}

serial() {
	soa_serial "$1" "$NAMED_PORT"
}

# served ZONE SERIAL: named answers ZONE's SOA with SERIAL (or the rcode).
served() {
	[ "$(serial "$1")" = "$2" ]
}

jobs_in() {
	ls "$D/spool/bind/$1" 2>/dev/null | grep -vc '\.reason$'
}

count_is() {
	[ "$(jobs_in "$1")" = "$2" ]
}

# failed ZONE: a job of ZONE is in fail/ with its reason.
failed() {
	ls "$D/spool/bind/fail/" | grep -q "_$1\.reason\$"
}

# push save|delete ZONE [SERIAL]: a job through queue-push.
push() {
	if [ "$1" = save ]; then
		queue-push save "$2" < <(da_zone "$2" "$3") >/dev/null
	else
		queue-push delete "$2" >/dev/null
	fi
}

# no_tmp: no temporary file left in the zones directory.
no_tmp() {
	[ -z "$(ls -A "$NAMED_DIR/zones" | grep '^\.')" ]
}

@test "zone-write-bind: -h prints the usage that README.md documents" {
	run --separate-stderr zone-write-bind -h
	assert_success
	[[ "${lines[0]}" == "usage: zone-write-bind "* ]]
	grep -q '^## zone-write-bind' "$TOP/README.md" ||
	    skip "README.md has no zone-write-bind section yet"
	grep -qF -- "${lines[0]#usage: }" "$TOP/README.md"
}

@test "zone-write-bind: wrong usage exits 100 with the usage line" {
	run --separate-stderr zone-write-bind frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "zone-write-bind: usage: "* ]]
	run --separate-stderr zone-write-bind save
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-bind run extra
	[ "$status" -eq 100 ]
	run --separate-stderr zone-write-bind -x run
	[ "$status" -eq 100 ]
}

@test "zone-write-bind: save adds a new zone that named serves with AA and its serial" {
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 2024010101)
	assert_success
	[[ "$stderr" == *"applied zone=example.com serial=2024010101 action=save"* ]]
	[ "$(serial example.com)" = 2024010101 ]
	run dig +norec +time=1 -p "$NAMED_PORT" @127.0.0.1 www.example.com A
	[[ "$output" == *"flags: qr aa;"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	[ -f "$NAMED_DIR/zones/example.com.db" ]
	run rndc -c "$RNDC_CONF" showzone example.com
	assert_success
	[[ "$output" == *"type primary; file \"$NAMED_DIR/zones/example.com.db\";"* ]]
	no_tmp
}

@test "zone-write-bind: a second save reloads the zone with the new serial" {
	zone-write-bind -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-bind -v save example.com < <(da_zone example.com 2)
	assert_success
	[[ "$stderr" == *"new=0 known=1"* ]]
	[ "$(serial example.com)" = 2 ]
	# Rewrites within one clock tick are all picked up, without verify
	# too (named reloads a file only when its mtime is newer).
	write_config ""
	for s in 3 4 5 6; do
		zone-write-bind -q save example.com < <(da_zone example.com "$s")
		[ "$(serial example.com)" = "$s" ]
	done
	no_tmp
}

@test "zone-write-bind: delete makes named refuse the zone and removes its file" {
	zone-write-bind -q save example.com < <(da_zone example.com 1)
	run --separate-stderr zone-write-bind delete example.com
	assert_success
	[[ "$stderr" == *"applied zone=example.com action=delete"* ]]
	[ "$(serial example.com)" = REFUSED ]
	[ ! -e "$NAMED_DIR/zones/example.com.db" ]
	run rndc -c "$RNDC_CONF" showzone example.com
	assert_failure
}

@test "zone-write-bind: delete of a zone named does not have succeeds" {
	run --separate-stderr zone-write-bind delete absent.example
	assert_success
	[ "$(serial absent.example)" = REFUSED ]
}

@test "zone-write-bind: a bad text exits 100 and the old zone stays served, file untouched" {
	zone-write-bind -q save example.com < <(da_zone example.com 7)
	cp "$NAMED_DIR/zones/example.com.db" "$D/before"
	# Caught in-process (ldns).
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 8 | sed 's/192\.0\.2\.10/192.0.2.999/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"invalid zone data for example.com"* ]]
	# Caught by named's own rules (named-checkconf -z): an A record on
	# a name that is not a host name, an in-zone NS without address.
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 9 | sed 's/^www/foo_bar/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"named-checkconf"*"line 28: foo_bar.example.com: bad owner name (check-names)"* ]]
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 10 | sed 's/ns1\.example\.net\./ns1/')
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"has no address records"* ]]
	cmp "$D/before" "$NAMED_DIR/zones/example.com.db"
	[ "$(serial example.com)" = 7 ]
	# Still the old zone after a restart of named.
	named_stop
	named_start "$NAMED_DIR"
	[ "$(serial example.com)" = 7 ]
	# A bad new zone is never added.
	run --separate-stderr zone-write-bind save new.example < <(da_zone new.example 1 | sed 's/^www/foo_bar/')
	[ "$status" -eq 100 ]
	[ ! -e "$NAMED_DIR/zones/new.example.db" ]
	[ "$(serial new.example)" = REFUSED ]
	no_tmp
}

@test "zone-write-bind: an invalid zone name exits 100" {
	run --separate-stderr zone-write-bind save ../etc < <(da_zone x.test 1)
	[ "$status" -eq 100 ]
	[ ! -e "$NAMED_DIR/etc.db" ]
}

@test "zone-write-bind: a zone file without the zone in named, or the zone without its file, heals" {
	# The file is there but named's NZD lost the zone: reload -> addzone.
	da_zone lost.example 1 >"$NAMED_DIR/zones/lost.example.db"
	run --separate-stderr zone-write-bind save lost.example < <(da_zone lost.example 2)
	assert_success
	[ "$(serial lost.example)" = 2 ]
	# named has the zone but its file went away: addzone -> reload.
	rm "$NAMED_DIR/zones/lost.example.db"
	run --separate-stderr zone-write-bind save lost.example < <(da_zone lost.example 3)
	assert_success
	[ "$(serial lost.example)" = 3 ]
}

@test "zone-write-bind: added zones survive a restart of named" {
	zone-write-bind -q save a.example < <(da_zone a.example 4)
	zone-write-bind -q save b.example < <(da_zone b.example 5)
	named_stop
	named_start "$NAMED_DIR"
	[ "$(serial a.example)" = 4 ]
	[ "$(serial b.example)" = 5 ]
}

@test "zone-write-bind: with named down save and delete exit 111; a new zone leaves no file" {
	zone-write-bind -q save old.example < <(da_zone old.example 1)
	named_stop
	run --separate-stderr zone-write-bind save new.example < <(da_zone new.example 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"addzone new.example: rndc: connect failed"* ]]
	[ ! -e "$NAMED_DIR/zones/new.example.db" ]
	run --separate-stderr zone-write-bind delete old.example
	[ "$status" -eq 111 ]
	[ -e "$NAMED_DIR/zones/old.example.db" ]
	no_tmp
}

@test "zone-write-bind: run applies queued jobs and only the newest job of a zone" {
	push save a.example 1
	push save a.example 2
	push save a.example 3
	push save b.example 10
	for i in $(seq 1 20); do push save "m$i.example" "$i"; done
	[ "$(jobs_in new)" = 24 ]
	start_runner
	wait_for 20 count_is new 0
	served a.example 3
	served b.example 10
	for i in $(seq 1 20); do served "m$i.example" "$i"; done
	run grep -c 'applied zone=a.example' "$D/run.log"
	[ "$output" = 1 ]
	grep -q 'applied zone=a.example serial=3 action=save' "$D/run.log"
	[ "$(jobs_in fail)" = 0 ]
	run sqlite3 "$D/store.db" "SELECT count(*) FROM applied WHERE backend = 'bind' AND hash <> ''"
	assert_output 22
}

@test "zone-write-bind: save, delete, save of one zone ends served, queued or live" {
	push save c.example 1
	push delete c.example
	push save c.example 2
	start_runner
	wait_for 10 served c.example 2
	push save d.example 1
	push delete d.example
	push save d.example 5
	wait_for 10 served d.example 5
	push delete d.example
	wait_for 10 served d.example REFUSED
	wait_for 10 count_is new 0
	[ ! -e "$NAMED_DIR/zones/d.example.db" ]
	run sqlite3 "$D/store.db" "SELECT hash FROM applied WHERE name = 'd.example'"
	assert_output ""
}

@test "zone-write-bind: run sends a zone named rejects to fail/ and applies the rest of its batch" {
	push save good.example 1
	queue-push save bad.example < <(da_zone bad.example 1 | sed 's/^www/foo_bar/') >/dev/null
	push save good2.example 2
	start_runner
	wait_for 10 failed bad.example
	wait_for 10 count_is new 0
	served good.example 1
	served good2.example 2
	served bad.example REFUSED
	grep -q 'bad owner name (check-names)' "$D/spool/bind/fail/"*_bad.example.reason
	[ ! -e "$NAMED_DIR/zones/bad.example.db" ]
	no_tmp
}

@test "zone-write-bind: with named stopped jobs wait and retry, then apply; none is lost" {
	named_stop
	for i in 1 2 3 4 5; do push save "z$i.example" "$i"; done
	push delete gone.example
	DADNS_RETRY_SCHEDULE=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1 start_runner
	wait_for 10 grep -q 'deferred zone=z5.example' "$D/run.log"
	[ "$(jobs_in new)" = 6 ]
	sleep 2
	[ "$(jobs_in new)" = 6 ]
	[ "$(grep -c 'deferred zone=z1.example' "$D/run.log")" -ge 2 ]
	named_start "$NAMED_DIR"
	for i in 1 2 3 4 5; do
		wait_for 20 served "z$i.example" "$i"
	done
	wait_for 10 count_is new 0
	[ "$(jobs_in fail)" = 0 ]
	grep -q 'applied zone=gone.example action=delete' "$D/run.log"
}

@test "zone-write-bind: after the last retry a job moves to fail/ with its reason" {
	named_stop
	push save late.example 1
	DADNS_RETRY_SCHEDULE=1,1 start_runner
	wait_for 15 failed late.example
	[ "$(jobs_in new)" = 0 ]
	[ "$(jobs_in fail)" = 1 ]
	run cat "$D/spool/bind/fail/"*_late.example.reason
	[[ "$output" == "gave up after 3 attempts: "* ]]
	[[ "$output" == *"connect failed"* ]]
	[ "$(grep -c 'deferred zone=late.example' "$D/run.log")" = 2 ]
}

@test "zone-write-bind: a malformed or invalid job goes to fail/ at once" {
	mkdir -p "$D/spool/bind/new" "$D/spool/bind/fail" "$D/spool/tmp"
	printf 'v 1\na frob\nz bad.example\n\n' >"$D/spool/bind/new/0000000000000001_bad.example"
	text=$(da_zone worse.example 1 | sed 's/IN\tA\t192.0.2.10/IN\tA\tnot-an-address/')
	printf 'v 1\na save\nz worse.example\nq 2\nt 1\ns 1\nl %d\n\n%s' \
	    "$(printf '%s' "$text" | wc -c)" "$text" \
	    >"$D/spool/bind/new/0000000000000002_worse.example"
	start_runner
	wait_for 10 failed bad.example
	wait_for 10 failed worse.example
	[ "$(jobs_in new)" = 0 ]
	[ "$(jobs_in fail)" = 2 ]
	grep -q 'unparsable job: unknown action' "$D/spool/bind/fail/0000000000000001_bad.example.reason"
	grep -q 'invalid zone data' "$D/spool/bind/fail/0000000000000002_worse.example.reason"
	[ ! -e "$NAMED_DIR/zones/worse.example.db" ]
}

@test "zone-write-bind: run removes stale temporary zone files, and SIGTERM stops it with 0" {
	touch -d '-2 hours' "$NAMED_DIR/zones/.zwb-1-0.tmp"
	touch "$NAMED_DIR/zones/.zwb-1-1.tmp"
	start_runner
	[ ! -e "$NAMED_DIR/zones/.zwb-1-0.tmp" ]
	[ -e "$NAMED_DIR/zones/.zwb-1-1.tmp" ]
	stop_runner
	[ "$RUNNER_STATUS" -eq 0 ]
	grep -q 'stopped' "$D/run.log"
}

@test "zone-write-bind: a symlink at a zone file's name is replaced, never written through" {
	printf 'precious\n' >"$D/target"
	touch -d '+1 year' "$D/target"
	ln -s "$D/target" "$NAMED_DIR/zones/example.com.db"
	run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 5)
	assert_success
	[ "$(cat "$D/target")" = precious ]
	[ ! -L "$NAMED_DIR/zones/example.com.db" ]
	[ -f "$NAMED_DIR/zones/example.com.db" ]
	grep -q 'IN[[:space:]]*SOA' "$NAMED_DIR/zones/example.com.db"
	# Nor is its target's mtime taken for the zone file's.
	[ "$(stat -c %Y "$NAMED_DIR/zones/example.com.db")" -lt "$(( $(date +%s) + 3600 ))" ]
	[ "$(serial example.com)" = 5 ]
	# A delete removes the link, not what it points to.
	ln -sf "$D/target" "$NAMED_DIR/zones/example.com.db"
	run --separate-stderr zone-write-bind delete example.com
	assert_success
	[ ! -L "$NAMED_DIR/zones/example.com.db" ]
	[ ! -e "$NAMED_DIR/zones/example.com.db" ]
	[ "$(cat "$D/target")" = precious ]
}

@test "zone-write-bind: symlinks planted at guessable temporary names are never written through" {
	printf 'precious\n' >"$D/target"
	start_runner
	# The names of earlier versions: .zwb-PID-I.tmp, .zwb-PID.conf.
	for i in 0 1 2 3; do
		ln -s "$D/target" "$NAMED_DIR/zones/.zwb-$RUNNER_PID-$i.tmp"
	done
	ln -s "$D/target" "$NAMED_DIR/zones/.zwb-$RUNNER_PID.conf"
	push save a.example 1
	push save b.example 2
	wait_for 20 served a.example 1
	wait_for 20 served b.example 2
	[ "$(cat "$D/target")" = precious ]
	for z in a.example b.example; do
		[ ! -L "$NAMED_DIR/zones/$z.db" ]
		grep -q 'IN[[:space:]]*SOA' "$NAMED_DIR/zones/$z.db"
	done
	# The temporary files are gone, the planted links left alone.
	[ "$(ls -A "$NAMED_DIR/zones" | grep -c '^\.')" = 5 ]
}

@test "zone-write-bind: a zones directory or spool other users may write makes it exit 100" {
	for mode in 775 757 1777; do
		chmod "$mode" "$NAMED_DIR/zones"
		run --separate-stderr zone-write-bind save example.com < <(da_zone example.com 1)
		[ "$status" -eq 100 ]
		[[ "$stderr" == "zone-write-bind: fatal: unsafe zones directory $NAMED_DIR/zones: writable by "* ]]
	done
	[[ "$stderr" == *"its group and by others (mode 1777)"* ]]
	[ -z "$(ls -A "$NAMED_DIR/zones")" ]
	[ "$(serial example.com)" = REFUSED ]
	chmod 755 "$NAMED_DIR/zones"
	push save example.com 2
	for dir in spool spool/tmp spool/bind spool/bind/new spool/bind/fail; do
		chmod o+w "$D/$dir"
		run --separate-stderr timeout 10 zone-write-bind run
		[ "$status" -eq 100 ]
		[[ "$stderr" == *"fatal: unsafe spool directory $D/$dir: writable by others (mode "* ]]
		chmod o-w "$D/$dir"
	done
	[ "$(jobs_in new)" = 1 ]
	# Safe modes again: the queue is applied.
	start_runner
	wait_for 20 served example.com 2
}

@test "zone-write-bind: a bad config exits 100 naming the key" {
	printf 'dns: {backends: {bind: {type: bind, enabled: true, zones_dir: "%s/z\\"x"}}}\n' "$D" >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"zones_dir"* ]]
	printf 'dns: {backends: {bind: {type: bind, enabled: true, verify: "nope"}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *verify* ]]
	run --separate-stderr zone-write-bind -b nosuch delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no backend named nosuch"* ]]
	printf 'dns: {backends: {nsd: {type: nsd, enabled: true}}}\n' >"$D/bad.yml"
	run --separate-stderr zone-write-bind -c "$D/bad.yml" delete a.example
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"no enabled bind backend"* ]]
}
