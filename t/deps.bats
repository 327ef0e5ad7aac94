#!/usr/bin/env bats
# deps.bats -- t/deps.sh, the dependency step of make run, test and bench:
# what it says, when it runs apt-get, its policy-rc.d, the systems where
# it cannot install. The real dpkg-query answers what is installed; no
# test installs a package: apt-get is a stand-in that records its calls.

load helper

# A package that no Debian archive has.
ABSENT=dadns-absent-package

setup() {
	# A directory any user can read, for the runs as nobody.
	W=$(mktemp -d /tmp/deps.XXXXXX)
	chmod 0755 "$W"
	# The only directory in PATH: the few tools deps.sh uses, the
	# apt-get stand-in, and (for one test) a sudo stand-in.
	mkdir "$W/bin"
	local t
	for t in sh env id dpkg-query apt-config sed tr find cat chmod rm kill; do
		ln -s "$(command -v "$t")" "$W/bin/$t"
	done
	cat >"$W/bin/apt-get" <<-'EOF'
	#!/bin/sh
	# apt-get stand-in: records its arguments, DEBIAN_FRONTEND and what
	# the policy-rc.d answers; APT_KILL=1 sends SIGTERM to its caller;
	# exits APT_RC (default 0).
	{
		echo "apt-get $* DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-}"
		if [ -e "$DADNS_POLICY_RC_D" ]; then
			"$DADNS_POLICY_RC_D"
			echo "policy-rc.d: exit $?"
		else
			echo "policy-rc.d: none"
		fi
	} >>"$W/apt.log"
	[ -z "${APT_KILL:-}" ] || kill -TERM "$PPID"
	exit "${APT_RC:-0}"
	EOF
	chmod 0755 "$W/bin/apt-get"
	# apt's package lists in $W/lists, fresh unless a test ages them.
	mkdir "$W/lists"
	touch "$W/lists/deb.example_dists_bookworm_main_binary-amd64_Packages"
	echo "Dir::State::Lists \"$W/lists/\";" >"$W/apt.conf"
	# The policy-rc.d in a directory nobody may write in too.
	mkdir -m 1777 "$W/p"
	POLICY=$W/p/policy-rc.d
}

teardown() {
	rm -rf "$W"
}

# ds [VAR=VALUE...] [-u USER] PACKAGE...: t/deps.sh on PACKAGE... in a
# clean environment with PATH=$W/bin, as USER when given.
ds() {
	local e=() as=()
	while [[ $1 == *=* ]]; do
		e+=("$1")
		shift
	done
	if [ "$1" = -u ]; then
		as=(setpriv --reuid="$2" --regid=nogroup --clear-groups)
		shift 2
	fi
	run "${as[@]}" /usr/bin/env -i PATH="$W/bin" W="$W" \
	    APT_CONFIG="$W/apt.conf" DADNS_POLICY_RC_D="$POLICY" "${e[@]}" \
	    /bin/sh "$TOP/t/deps.sh" "$@"
}

@test "deps: DADNS_NO_DEPS=1 skips the step with one line, no package checked" {
	ds DADNS_NO_DEPS=1 "$ABSENT"
	assert_success
	assert_output "deps: DADNS_NO_DEPS=1: packages not checked"
	assert [ ! -e "$W/apt.log" ]
	assert [ ! -e "$POLICY" ]
}

@test "deps: every package of make run, test and bench installed: installs nothing, says nothing" {
	local p
	for p in deps-run deps deps-bench; do
		run make -s --no-print-directory -C "$TOP" -n "$p"
		assert_success
		assert_output --regexp '^sh t/deps.sh [a-z]'
		# shellcheck disable=SC2086
		ds ${output#sh t/deps.sh }
		assert_success
		assert_output ""
	done
	assert [ ! -e "$W/apt.log" ]
	assert [ ! -e "$POLICY" ]
}

@test "deps: make run needs the build packages, s6 and nsd; make test adds mandoc" {
	run make -s --no-print-directory -C "$TOP" -n deps-run
	assert_output --regexp '^sh t/deps.sh build-essential libyaml-dev libsqlite3-dev .*libknot-dev libgnutls28-dev libnghttp2-dev s6 nsd$'
	run make -s --no-print-directory -C "$TOP" -n deps
	assert_output --regexp '^sh t/deps.sh build-essential .* s6 nsd .*mandoc'
	run make -s --no-print-directory -C "$TOP" -n deps-bench
	assert_output --regexp '^sh t/deps.sh build-essential .* s6 nsd .*mandoc.* dnsdist dnsperf nghttp2-client gnutls-bin$'
}

@test "deps: says what it installs, only the missing packages, and apt-get installs them unattended" {
	ds bats "$ABSENT" s6
	assert_success
	assert_output "deps: installing: $ABSENT"
	run cat "$W/apt.log"
	assert_line --index 0 "apt-get install -y -qq --no-install-recommends $ABSENT DEBIAN_FRONTEND=noninteractive"
	# Fresh lists: no apt-get update.
	refute_line --partial "apt-get update"
}

@test "deps: without apt-get, prints the packages to install and exits 100" {
	rm "$W/bin/apt-get"
	ds bats "$ABSENT"
	assert_failure 100
	assert_line --index 0 "deps: no apt on this system; install these packages: $ABSENT"
	refute_line --partial "installing"
}

@test "deps: without dpkg-query or apt-get, prints every package and exits 100" {
	rm "$W/bin/apt-get" "$W/bin/dpkg-query"
	ds bats "$ABSENT"
	assert_failure 100
	assert_line --index 0 "deps: no apt on this system; install these packages: bats $ABSENT"
	assert_line --index 1 "deps: then DADNS_NO_DEPS=1 skips this step"
}

@test "deps: the policy-rc.d refuses every start during the install and is removed after it" {
	ds "$ABSENT"
	assert_success
	run cat "$W/apt.log"
	assert_line --index 1 "policy-rc.d: exit 101"
	assert [ ! -e "$POLICY" ]
}

@test "deps: the policy-rc.d is removed when apt-get fails, and the step exits 111" {
	ds APT_RC=100 "$ABSENT"
	assert_failure 111
	assert_line "deps: fatal: apt-get install failed: $ABSENT"
	run cat "$W/apt.log"
	assert_line "policy-rc.d: exit 101"
	assert [ ! -e "$POLICY" ]
}

@test "deps: the policy-rc.d is removed when SIGTERM stops the install" {
	ds APT_KILL=1 "$ABSENT"
	assert_failure 143
	run cat "$W/apt.log"
	assert_line "policy-rc.d: exit 101"
	assert [ ! -e "$POLICY" ]
}

@test "deps: a policy-rc.d that was there before is left alone, after success and failure" {
	printf '#!/bin/sh\n# the administrator'"'"'s own\nexit 104\n' >"$POLICY"
	chmod 0755 "$POLICY"
	cp "$POLICY" "$W/policy.before"
	ds "$ABSENT"
	assert_success
	assert_line "deps: $POLICY exists, left as it is"
	ds APT_RC=100 "$ABSENT"
	assert_failure 111
	cmp "$POLICY" "$W/policy.before"
	assert [ -x "$POLICY" ]
	run cat "$W/apt.log"
	assert_line --index 1 "policy-rc.d: exit 104"
	assert_line --index 3 "policy-rc.d: exit 104"
}

@test "deps: apt-get update before the install when the lists are missing or a day old, never when nothing is missing" {
	rm "$W/lists"/*
	ds bats
	assert_success
	assert [ ! -e "$W/apt.log" ]
	ds "$ABSENT"
	assert_success
	run cat "$W/apt.log"
	assert_line --index 0 "apt-get update -qq DEBIAN_FRONTEND="
	assert_line --index 2 --partial "apt-get install "
	rm "$W/apt.log"
	touch "$W/lists/deb.example_dists_bookworm_main_binary-amd64_Packages"
	touch -d '2 days ago' "$W/lists"/* "$W/lists"
	ds "$ABSENT"
	assert_success
	run cat "$W/apt.log"
	assert_line --index 0 "apt-get update -qq DEBIAN_FRONTEND="
}

@test "deps: not root and no sudo: prints the apt-get command to run as root and exits 100" {
	[ "$(id -u)" = 0 ] || skip "needs root to run as nobody"
	ds -u nobody bats "$ABSENT"
	assert_failure 100
	assert_output "deps: fatal: not root and no sudo; as root run: apt-get install $ABSENT"
	assert [ ! -e "$W/apt.log" ]
}

@test "deps: not root, apt-get runs through sudo" {
	[ "$(id -u)" = 0 ] || skip "needs root to run as nobody"
	# sudo stand-in: records the command, runs it as the caller.
	printf '#!/bin/sh\necho "sudo $*" >>"$W/apt.log"\nexec "$@"\n' >"$W/bin/sudo"
	chmod 0755 "$W/bin/sudo"
	touch "$W/apt.log"
	chmod 0666 "$W/apt.log"
	ds -u nobody "$ABSENT"
	assert_success
	assert_output "deps: installing: $ABSENT"
	run cat "$W/apt.log"
	assert_line "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $ABSENT"
	assert_line "sudo rm -f $POLICY"
	assert [ ! -e "$POLICY" ]
}
