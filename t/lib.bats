#!/usr/bin/env bats
# lib.bats -- the C unit drivers of the shared library

load helper

@test "job_parse(): round-trips jobs and rejects malformed or truncated ones" {
	run --separate-stderr "$TOP/t/unit/job"
	assert_success
	assert_output "ok"
}

@test "spool_commit(): jobs reach every queue durably, failures leave nothing behind" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr "$TOP/t/unit/spool"
	assert_success
	assert_output "ok"
}

@test "nameset: names are found, removed, listed once and come back, through growth and 200,000 removals" {
	run --separate-stderr "$TOP/t/unit/nameset"
	assert_success
	assert_output "ok"
}
