#!/usr/bin/env bats
# queue-push.bats -- the one-shot enqueuer

load helper

setup() {
	D=$BATS_TEST_TMPDIR
	write_config "$(zones_backend "$D/zones")"
	cat >>"$D/app.yml" <<-YML
	    nsd2:
	      type: nsd
	      enabled: true
	      zones_dir: $D/zones2
	    off:
	      type: nsd
	      enabled: false
	YML
	export DADNS_CONFIG=$D/app.yml
}

@test "queue-push: -h prints the usage that README.md documents" {
	run --separate-stderr queue-push -h
	assert_success
	usage=$(printf '%s\n' "$output" | head -1 | sed 's/^usage: //')
	grep -qF -- "$usage" "$TOP/README.md"
}

@test "queue-push: wrong usage exits 100 with the usage line" {
	run --separate-stderr queue-push frobnicate a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == "queue-push: usage: "* ]]
}

@test "queue-push: save puts one job in every enabled backend's queue and the store" {
	run --separate-stderr queue-push -o da1.example.net -u fred save Example.COM < <(da_zone example.com 2024010101)
	assert_success
	[[ "$output" =~ ^[0-9]{16}_example\.com$ ]]
	job=$output
	[ -f "$D/spool/nsd/new/$job" ]
	[ -f "$D/spool/nsd2/new/$job" ]
	[ ! -e "$D/spool/off" ]
	[ -z "$(ls "$D/spool/tmp")" ]
	grep -qx 'a save' "$D/spool/nsd/new/$job"
	grep -qx 's 2024010101' "$D/spool/nsd/new/$job"
	grep -qx 'h da1.example.net' "$D/spool/nsd/new/$job"
	grep -q '^\$ORIGIN example.com.$' "$D/spool/nsd/new/$job"
	run sqlite3 "$D/store.db" "SELECT name, hostname, username, serial, deleted_us FROM zones"
	assert_output "example.com|da1.example.net|fred|2024010101|0"
}

@test "queue-push: delete leaves a tombstone and a delete job, in arrival order after the save" {
	queue-push save a.test < <(da_zone a.test 1) >/dev/null
	run --separate-stderr queue-push delete a.test
	assert_success
	first=$(ls "$D/spool/nsd/new" | head -1)
	last=$(ls "$D/spool/nsd/new" | tail -1)
	grep -qx 'a save' "$D/spool/nsd/new/$first"
	grep -qx 'a delete' "$D/spool/nsd/new/$last"
	run sqlite3 "$D/store.db" "SELECT deleted_us > 0, text IS NULL FROM zones WHERE name = 'a.test'"
	assert_output "1|1"
}

@test "queue-push: -b restricts the job to one backend's queue" {
	run --separate-stderr queue-push -b nsd2 save b.test < <(da_zone b.test 5)
	assert_success
	[ -z "$(ls "$D/spool/nsd/new")" ]
	[ -f "$D/spool/nsd2/new/$output" ]
	run --separate-stderr queue-push -b nope save b.test < <(da_zone b.test 5)
	[ "$status" -eq 100 ]
	assert_equal "$stderr" "queue-push: fatal: no enabled backend named nope"
}

@test "queue-push: an invalid zone name or text exits 100 and writes nothing" {
	for name in ../x a/b.test 'x;DROP' "$(printf 'a%.0s' $(seq 64)).test"; do
		run --separate-stderr queue-push save "$name" < <(da_zone a.test 1)
		[ "$status" -eq 100 ]
		[[ "$stderr" == "queue-push: fatal: invalid zone name"* ]]
	done
	run --separate-stderr queue-push save c.test < <(da_zone other.test 1)
	[ "$status" -eq 100 ]
	[[ "$stderr" == "queue-push: fatal: invalid zone data for c.test: "* ]]
	[ -z "$(ls "$D/spool/nsd/new" 2>/dev/null)" ]
	run sqlite3 "$D/store.db" "SELECT count(*) FROM zones"
	[ "$output" = "0" ] || [ "$status" -ne 0 ]
}

@test "queue-push: a queue that cannot take the job exits 111, leaves no partial fan-out and the store as it was" {
	queue-push save a.test < <(da_zone a.test 1) >/dev/null
	rm -rf "$D/spool/nsd2/new"
	: >"$D/spool/nsd2/new"
	before=$(ls "$D/spool/nsd/new" | wc -l)
	run --separate-stderr queue-push save b.test < <(da_zone b.test 1)
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"unable to write the jobs"* ]]
	run --separate-stderr queue-push save a.test < <(da_zone a.test 2)
	[ "$status" -eq 111 ]
	run --separate-stderr queue-push delete a.test
	[ "$status" -eq 111 ]
	[ "$(ls "$D/spool/nsd/new" | wc -l)" -eq "$before" ]
	[ -z "$(ls "$D/spool/tmp")" ]
	run sqlite3 "$D/store.db" "SELECT name, serial, deleted_us FROM zones"
	assert_output "a.test|1|0"
	rm "$D/spool/nsd2/new"
	mkdir "$D/spool/nsd2/new"
	run --separate-stderr queue-push save b.test < <(da_zone b.test 1)
	assert_success
	[ -f "$D/spool/nsd2/new/$output" ]
}

@test "queue-push: a bad app.yml exits 100 naming the key" {
	printf 'app:\n  listen_port: nope\n' >"$D/bad.yml"
	run --separate-stderr queue-push -c "$D/bad.yml" delete a.test
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"app.listen_port"* ]]
}

@test "queue-push: a run cut short by its alarm exits 111 and acknowledges nothing" {
	mkfifo "$D/stdin"
	# The zone text never comes; SIGALRM is what the 60 s alarm sends.
	exec 5<>"$D/stdin"
	run --separate-stderr timeout --preserve-status -s ALRM 1 queue-push save a.test <"$D/stdin"
	exec 5>&-
	[ "$status" -eq 111 ]
	[[ "$stderr" == *"queue-push: fatal: timed out after 60 seconds"* ]]
	[ -z "$(ls "$D/spool/nsd/new" 2>/dev/null)" ]
	run sqlite3 "$D/store.db" "SELECT count(*) FROM zones"
	[ "$status" -ne 0 ] || [ "$output" = 0 ]
}
