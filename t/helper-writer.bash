# helper-writer.bash -- the checks every zone writer passes alike, loaded
# after helper.bash by the bats file of each writer. That file sets WRITER
# (the program), QUEUE (its backend's queue) and ZONES (its zones
# directory, for the writers of zone files); the queue runs through
# start_runner "$WRITER" -v.

# usage_documented: -h prints a usage line that README.md documents.
usage_documented() {
	run --separate-stderr "$WRITER" -h
	assert_success
	[[ "${lines[0]}" == "usage: $WRITER "* ]]
	grep -q "^## $WRITER" "$TOP/README.md" ||
	    skip "README.md has no $WRITER section yet"
	grep -qF -- "${lines[0]#usage: }" "$TOP/README.md"
}

# save_delete_save_settles: save, delete, save of one zone, queued before
# and while the runner runs, end served, queued or live.
save_delete_save_settles() {
	push save c.example 1
	push delete c.example
	push save c.example 2
	start_runner "$WRITER" -v
	wait_for 10 served c.example 2
	push save d.example 1
	push delete d.example
	push save d.example 5
	wait_for 10 served d.example 5
	push delete d.example
	wait_for 10 served d.example REFUSED
	wait_for 10 count_is "$QUEUE" new 0
	[ ! -e "$ZONES/d.example.db" ]
	run sqlite3 "$D/store.db" "SELECT hash FROM applied WHERE name = 'd.example'"
	assert_output ""
}

# jobs_wait_for_server RESTART...: with the server stopped, jobs wait and
# are retried; RESTART... starts it again, then every job is applied.
jobs_wait_for_server() {
	local i
	for i in 1 2 3 4 5; do push save "z$i.example" "$i"; done
	push delete gone.example
	DADNS_RETRY_SCHEDULE=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1 \
	    start_runner "$WRITER" -v
	wait_for 10 grep -q 'deferred zone=z5.example' "$D/run.log"
	[ "$(jobs_in "$QUEUE" new)" = 6 ]
	sleep 2
	[ "$(jobs_in "$QUEUE" new)" = 6 ]
	[ "$(grep -c 'deferred zone=z1.example' "$D/run.log")" -ge 2 ]
	"$@"
	for i in 1 2 3 4 5; do
		wait_for 20 served "z$i.example" "$i"
	done
	wait_for 10 count_is "$QUEUE" new 0
	[ "$(jobs_in "$QUEUE" fail)" = 0 ]
	grep -q 'applied zone=gone.example action=delete' "$D/run.log"
}

# gives_up_after_retries TEXT: with the server stopped, a job moves to
# fail/ after its last retry, with a reason that holds TEXT.
gives_up_after_retries() {
	push save late.example 1
	DADNS_RETRY_SCHEDULE=1,1 start_runner "$WRITER" -v
	wait_for 15 failed "$QUEUE" late.example
	[ "$(jobs_in "$QUEUE" new)" = 0 ]
	[ "$(jobs_in "$QUEUE" fail)" = 1 ]
	run cat "$D/spool/$QUEUE/fail/"*_late.example.reason
	[[ "$output" == "gave up after 3 attempts: "* ]]
	[[ "$output" == *"$1"* ]]
	[ "$(grep -c 'deferred zone=late.example' "$D/run.log")" = 2 ]
}

# malformed_jobs_fail: a job that does not parse and one whose zone text
# is invalid go to fail/ at once, with their reasons.
malformed_jobs_fail() {
	local q=$D/spool/$QUEUE text
	mkdir -p "$q/new" "$q/fail" "$D/spool/tmp"
	printf 'v 1\na frob\nz bad.example\n\n' >"$q/new/0000000000000001_bad.example"
	text=$(da_zone worse.example 1 | sed 's/IN\tA\t192.0.2.10/IN\tA\tnot-an-address/')
	printf 'v 1\na save\nz worse.example\nq 2\nt 1\ns 1\nl %d\n\n%s' \
	    "$(printf '%s' "$text" | wc -c)" "$text" \
	    >"$q/new/0000000000000002_worse.example"
	start_runner "$WRITER" -v
	wait_for 10 failed "$QUEUE" bad.example
	wait_for 10 failed "$QUEUE" worse.example
	[ "$(jobs_in "$QUEUE" new)" = 0 ]
	[ "$(jobs_in "$QUEUE" fail)" = 2 ]
	grep -q 'unparsable job: unknown action' "$q/fail/0000000000000001_bad.example.reason"
	grep -q 'invalid zone data' "$q/fail/0000000000000002_worse.example.reason"
	[ ! -e "$ZONES/worse.example.db" ]
}

# symlink_replaced: a symlink at a zone file's name is replaced on save
# and removed on delete, never written through.
symlink_replaced() {
	printf 'precious\n' >"$D/target"
	touch -d '+1 year' "$D/target"
	ln -s "$D/target" "$ZONES/example.com.db"
	run --separate-stderr "$WRITER" save example.com < <(da_zone example.com 5)
	assert_success
	[ "$(cat "$D/target")" = precious ]
	[ ! -L "$ZONES/example.com.db" ]
	[ -f "$ZONES/example.com.db" ]
	grep -q 'IN[[:space:]]*SOA' "$ZONES/example.com.db"
	# Nor is its target's mtime taken for the zone file's.
	[ "$(stat -c %Y "$ZONES/example.com.db")" -lt "$(( $(date +%s) + 3600 ))" ]
	[ "$(soa_serial example.com)" = 5 ]
	# A delete removes the link, not what it points to.
	ln -sf "$D/target" "$ZONES/example.com.db"
	run --separate-stderr "$WRITER" delete example.com
	assert_success
	[ ! -L "$ZONES/example.com.db" ]
	[ ! -e "$ZONES/example.com.db" ]
	[ "$(cat "$D/target")" = precious ]
}

# planted_links_left_alone SECONDS N: with N links to $D/target planted at
# temporary names in the zones directory, two zones pushed to the running
# runner are served within SECONDS; the links are neither written through
# nor removed.
planted_links_left_alone() {
	local z
	push save a.example 1
	push save b.example 2
	wait_for "$1" served a.example 1
	wait_for "$1" served b.example 2
	[ "$(cat "$D/target")" = precious ]
	for z in a.example b.example; do
		[ ! -L "$ZONES/$z.db" ]
		grep -q 'IN[[:space:]]*SOA' "$ZONES/$z.db"
	done
	# The temporary files are gone, the planted links left alone.
	[ "$(ls -A "$ZONES" | grep -c '^\.')" = "$2" ]
}

# unsafe_zones_dir_refused: a zones directory others may write in makes
# a save exit 100 and write nothing.
unsafe_zones_dir_refused() {
	local mode
	for mode in 775 757 1777; do
		chmod "$mode" "$ZONES"
		run --separate-stderr "$WRITER" save example.com < <(da_zone example.com 1)
		[ "$status" -eq 100 ]
		[[ "$stderr" == "$WRITER: fatal: unsafe zones directory $ZONES: writable by "* ]]
	done
	[[ "$stderr" == *"its group and by others (mode 1777)"* ]]
	[ -z "$(ls -A "$ZONES")" ]
	[ "$(soa_serial example.com)" = REFUSED ]
	chmod 755 "$ZONES"
}

# unsafe_spool_refused g|o [OPTION...]: with one directory of the spool
# writable by its group (g) or others (o) at a time, `$WRITER OPTION...
# run` exits 100 naming it, and the one queued job stays.
unsafe_spool_refused() {
	local who=$1 words dir
	shift
	if [ "$who" = g ]; then words="its group"; else words=others; fi
	for dir in spool spool/tmp "spool/$QUEUE" "spool/$QUEUE/new" \
	    "spool/$QUEUE/fail"; do
		chmod "$who+w" "$D/$dir"
		run --separate-stderr timeout 10 "$WRITER" "$@" run
		[ "$status" -eq 100 ]
		[[ "$stderr" == *"fatal: unsafe spool directory $D/$dir: writable by $words (mode "* ]]
		chmod "$who-w" "$D/$dir"
	done
	[ "$(jobs_in "$QUEUE" new)" = 1 ]
}
