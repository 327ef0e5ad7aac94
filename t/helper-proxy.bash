# helper-proxy.bash -- the recursive backends of the dns-proxy tests:
# unbound on loopback, started here and stopped by PID (its pid file in
# its directory).

# unbound_start NAME: an unbound on 127.0.0.1:$<NAME>_PORT with local data
# naming itself (who.rec.test TXT NAME) and a stub zone to our NSD.
unbound_start() {
	local name=$1 port dir=$W/$1
	port=$(free_port)
	mkdir -p "$dir"
	cat >"$dir/unbound.conf" <<-CONF
	server:
		interface: 127.0.0.1
		port: $port
		do-ip6: no
		username: ""
		chroot: ""
		directory: "$dir"
		pidfile: "$dir/unbound.pid"
		use-syslog: no
		logfile: "$dir/unbound.log"
		verbosity: 0
		num-threads: 1
		so-reuseport: no
		access-control: 127.0.0.0/8 allow
		module-config: "iterator"
		do-not-query-localhost: no
		auto-trust-anchor-file: ""
		ratelimit: 0
		local-zone: "test." nodefault
		local-zone: "rec.test." static
		local-data: "www.rec.test. 300 IN A 192.0.2.80"
		local-data: 'who.rec.test. 300 IN TXT "$name"'
	stub-zone:
		name: "stub.test"
		stub-addr: 127.0.0.1@$NSD_PORT
	remote-control:
		control-enable: no
	CONF
	unbound -d -c "$dir/unbound.conf" >"$dir/stderr" 2>&1 &
	echo $! >"$dir/pid"
	wait_for 10 sh -c "dig +short +time=1 +tries=1 -p $port @127.0.0.1 www.rec.test A | grep -q 192.0.2.80" || return 1
	eval "${name^^}_PORT=$port"
	export "${name^^}_PORT"
}
