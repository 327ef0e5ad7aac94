#!/usr/bin/env bats
# checkconf.bats -- dadns-checkconf: a whole app.yml checked as every
# program reads it, each fault on its own line, exit 0 or 100.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# check [VAR=value...] [args...]: dadns-checkconf in an empty environment
# (no DADNS_* or VRRP_* of the caller's), in the test's directory.
check() {
	local vars=()
	while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do
		vars+=("$1")
		shift
	done
	run --separate-stderr env -i "${vars[@]}" "$TOP/bin/dadns-checkconf" "$@"
}

# write FILE: stdin into FILE in the test directory.
write() {
	cat >"$BATS_TEST_TMPDIR/$1"
}

# A file every program starts with: a password and one NSD backend.
clean() {
	write app.yml <<-'EOF'
	app:
	  auth_password: secret
	  listen_port: 2222
	dns:
	  backends:
	    nsd:
	      enabled: true
	      zones_dir: ./zones
	EOF
}

@test "dadns-checkconf: a clean file prints nothing and exits 0" {
	clean
	check -c app.yml
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

@test "dadns-checkconf: three faults in three sections print three lines naming file, line and key, and exit 100" {
	write app.yml <<-'EOF'
	app:
	  auth_password: secret
	  listen_port: 99999
	dns:
	  backends:
	    nsd:
	      enabled: maybe
	      zones_dir: ./zones
	reconciliation:
	  ipp: x
	EOF
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 "app.yml:3: app.listen_port: out of range (1-65535): 99999"
	assert_line --index 1 --regexp '^app\.yml:7: dns\.backends\.nsd\.enabled: not a boolean: "maybe"'
	assert_line --index 2 'app.yml:10: reconciliation.ipp: not a number: "x"'
	assert_equal "$stderr" "dadns-checkconf: fatal: app.yml: 3 faults"
}

@test "dadns-checkconf: its first fault is the one line a program stops at" {
	write app.yml <<-'EOF'
	app:
	  auth_password: secret
	  listen_port: 99999
	peer_sync:
	  interval_minutes: 0
	EOF
	local first
	run --separate-stderr env -i "$TOP/bin/da-receive" -c app.yml
	assert_failure 100
	assert_equal "$stderr" "da-receive: fatal: app.yml:3: app.listen_port: out of range (1-65535): 99999"
	first=${stderr#da-receive: fatal: }
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "$first"
	assert_line --index 1 "app.yml:5: peer_sync.interval_minutes: out of range (1-10080): 0"
}

@test "dadns-checkconf: an unknown key, which programs ignore with a warning, is a fault" {
	clean
	printf '  listen_prot: 2222\nbogus: 1\n' >>app.yml
	run --separate-stderr env -i "$TOP/bin/peer-pull" -c app.yml
	assert_success
	[[ "$stderr" == *"warning: app.yml:9: unknown key dns.listen_prot ignored"* ]]
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "app.yml:9: dns.listen_prot: unknown key"
	assert_line --index 1 "app.yml:10: bogus: unknown key"
}

@test "dadns-checkconf: an unknown key inside a section is named with its section" {
	clean
	cat >>app.yml <<-'EOF'
	peer_sync:
	  enabeld: true
	EOF
	check DADNS_DNS_BACKENDS_NSD_ZONES_DIRR=/x -c app.yml
	assert_failure 100
	assert_line "app.yml:10: peer_sync.enabeld: unknown key"
	assert_line "DADNS_DNS_BACKENDS_NSD_ZONES_DIRR: unknown variable (no such backend field)"
}

@test "dadns-checkconf: the dns_proxy section is checked as dns-proxy reads it, every fault of it" {
	clean
	cat >>app.yml <<-'EOF'
	dns_proxy:
	  listen: [ "127.0.0.1:5300" ]
	  qps_limit: abc
	  colour: blue
	  user: no-such-user-here
	  pools:
	    auth:
	      policy: nope
	      backends: [ "127.0.0.1:53" ]
	EOF
	run --separate-stderr env -i "$TOP/bin/dns-proxy" -n -c app.yml
	assert_failure 100
	[[ "$stderr" == *'app.yml:11: dns_proxy.qps_limit: not a number: "abc"'* ]]
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 'app.yml:11: dns_proxy.qps_limit: not a number: "abc"'
	assert_line --index 1 "app.yml:12: dns_proxy.colour: unknown key"
	assert_line --index 2 'app.yml:16: dns_proxy.pools.auth.policy: unknown policy "nope"'
	assert_line --index 3 "app.yml:9: dns_proxy.user: no such user: no-such-user-here"
}

@test "dadns-checkconf: a file without dns_proxy or vrrp sections is not checked for them" {
	clean
	check DADNS_DNS_PROXY_QPS_LIMIT=abc -c app.yml
	assert_success
	assert_output ""
}

@test "dadns-checkconf: the vrrp section is checked as vrrp-watch refuses it, with VRRP_* over it" {
	clean
	cat >>app.yml <<-'EOF'
	vrrp:
	  vrid: 300
	  auth_pass: pw
	  check_type: NOPE
	  check_interval: 100
	  check_timeout: 500
	EOF
	check -c app.yml
	assert_failure 100
	assert_line 'app.yml:10: vrrp.vrid: out of range (1-255): 300'
	assert_line 'app.yml:9: vrrp.interface: missing: vrrp-watch needs an interface (or VRRP_INTERFACE, -i)'
	assert_line 'app.yml:9: vrrp.vips: missing: vrrp-watch needs a virtual address (or VRRP_VIPS, -V)'
	assert_line 'app.yml:11: vrrp.auth_pass: a password needs VRRPv2 (vrrp.version: 2)'
	assert_line 'app.yml:12: vrrp.check_type: unknown type: NOPE'
	assert_line 'app.yml:14: vrrp.check_timeout: 500 ms is longer than the interval 100 ms'
	# The refused vrid is one fault, not a second "missing" one.
	refute_line --partial 'vrrp.vrid: missing'
	assert_equal "${#lines[@]}" 6
	# vrrp-watch reads the same section and stops at its first fault.
	run --separate-stderr env -i "$TOP/bin/vrrp-watch" -f app.yml check
	assert_failure 100
	[[ "$stderr" == *"app.yml:10: vrrp.vrid: out of range (1-255): 300"* ]]
}

@test "dadns-checkconf: a whole vrrp section passes, its missing keys may come from VRRP_* variables" {
	clean
	cat >>app.yml <<-'EOF'
	vrrp:
	  vrid: 51
	  check: 127.0.0.1:53
	EOF
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 2
	check VRRP_INTERFACE=lo VRRP_VIPS=192.0.2.10/24 -c app.yml
	assert_success
	assert_output ""
	check VRRP_INTERFACE=lo VRRP_VIPS=192.0.2.10/24 VRRP_VRID=0 -c app.yml
	assert_failure 100
	assert_output "VRRP_VRID: invalid 0 (want 1-255)"
}

@test "dadns-checkconf: DADNS_* overrides are applied as programs apply them" {
	write app.yml <<-'EOF'
	dns:
	  backends:
	    nsd:
	      enabled: true
	EOF
	# No password: da-receive would refuse to start.
	check -c app.yml
	assert_failure 100
	assert_output "app.yml: app.auth_password: missing: da-receive refuses to start without a password (or DADNS_APP_AUTH_PASSWORD)"
	# The documented form, the dotted form and a *_FILE secret supply it.
	check DADNS_APP_AUTH_PASSWORD=secret -c app.yml
	assert_success
	check DADNS.APP.AUTH.PASSWORD=secret -c app.yml
	assert_success
	echo secret >pw
	check DADNS_APP_AUTH_PASSWORD_FILE=pw -c app.yml
	assert_success
	# A bad override is a fault named by its variable, with the file's.
	check DADNS_APP_AUTH_PASSWORD=secret DADNS_APP_LISTEN_PORT=0 \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=perhaps DADNS_APP_AUTH_PASSWORD_FILE=pw -c app.yml
	assert_failure 100
	assert_line "DADNS_APP_LISTEN_PORT: out of range (1-65535): 0"
	assert_line --regexp '^DADNS_DNS_BACKENDS_NSD_ENABLED: not a boolean: "perhaps"'
	assert_line "DADNS_APP_AUTH_PASSWORD: set together with DADNS_APP_AUTH_PASSWORD_FILE; use one"
	assert_equal "${#lines[@]}" 3
	# DADNS_CONFIG names the file, as for every program.
	check DADNS_CONFIG=app.yml DADNS_APP_AUTH_PASSWORD=secret
	assert_success
}

@test "dadns-checkconf: a frontend host's file (dns_proxy, vrrp) needs no receiver password" {
	write app.yml <<-'EOF'
	dns_proxy:
	  listen: [ "127.0.0.1:5300" ]
	  pools:
	    auth:
	      backends: [ "127.0.0.1:53" ]
	EOF
	check -c app.yml
	assert_success
	assert_output ""
}

@test "dadns-checkconf: a YAML syntax error, or a file it cannot read, is the one fault" {
	printf 'app:\n  auth_password: [\n' >app.yml
	check -c app.yml
	assert_failure 100
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^app\.yml:3: YAML syntax error: '
	check -c missing.yml
	assert_failure 100
	assert_output "missing.yml: No such file or directory"
}

@test "dadns-checkconf: -h prints the usage, -V the version, wrong usage exits 100" {
	check -h
	assert_success
	assert_line --index 0 "usage: dadns-checkconf [-V] [-c app.yml]"
	check -V
	assert_success
	assert_output --regexp '^dadns-checkconf [0-9]+\.[0-9]+\.[0-9]+$'
	check -x
	assert_failure 100
	assert_equal "$stderr" "dadns-checkconf: usage: dadns-checkconf [-V] [-c app.yml]"
	check app.yml
	assert_failure 100
}

@test "dadns-checkconf: an include file as nsd_conf needs a readable nsd_main_conf" {
	clean
	printf '\nzone:\n    name: "a.example"\n' >zones.conf
	printf '      nsd_conf: zones.conf\n      nsd_main_conf: missing.conf\n' >>app.yml
	check -c app.yml
	assert_failure 100
	assert_output "app.yml:10: dns.backends.nsd.nsd_main_conf: needed, as nsd_conf zones.conf is an include file (no server: clause): unable to read missing.conf: No such file or directory"
	printf 'server:\ninclude: "zones.conf"\n' >missing.conf
	check -c app.yml
	assert_success
}

@test "dadns-checkconf: a knot backend's knot_conf must be an absolute path" {
	write app.yml <<-'EOF2'
	app:
	  auth_password: s3cret-pass-word
	dns:
	  backends:
	    knot:
	      enabled: true
	      knot_conf: zones.conf
	EOF2
	check -c app.yml
	assert_failure 100
	assert_output --partial "dns.backends.knot.knot_conf: must be an absolute path (knot.conf includes it): zones.conf"
	sed -i 's#knot_conf: zones.conf#knot_conf: /var/lib/knot/dadns/dadns-zones.conf#' app.yml
	check -c app.yml
	assert_success
}
