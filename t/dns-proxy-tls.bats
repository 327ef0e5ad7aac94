#!/usr/bin/env bats
# dns-proxy-tls.bats -- DNS over TLS (RFC 7858) and over HTTPS (RFC 8484)
# through dns-proxy, with a certificate made here by certtool and a real
# NSD behind (pool auth, zone own.test), started here and stopped by PID.

load helper

FIX=$BATS_TEST_DIRNAME/fixtures/dns-proxy

# make_cert NAME: $W/NAME.pem and $W/NAME.key, self-signed for NAME and
# 127.0.0.1, readable by the proxy's user (for SIGHUP reloads).
make_cert() {
	certtool --generate-privkey --key-type=ecdsa \
	    --outfile "$W/$1.key" 2>/dev/null
	cat >"$W/$1.tmpl" <<-TMPL
	cn = "$1"
	dns_name = "$1"
	ip_address = "127.0.0.1"
	expiration_days = 2
	tls_www_server
	signing_key
	TMPL
	certtool --generate-self-signed --load-privkey "$W/$1.key" \
	    --template "$W/$1.tmpl" --outfile "$W/$1.pem" 2>/dev/null
	chmod 644 "$W/$1.key"
}

write_conf() {
	cat >"$W/app.yml" <<-CONF
	log_level: info
	queue_location: $W/queues
	dns_proxy:
	  listen: [127.0.0.1:$PORT]
	  tls_listen: [127.0.0.1:$DOT]
	  doh_listen: [127.0.0.1:$DOH]
	  tls_cert: $W/cert.pem
	  tls_key: $W/cert.key
	  user: nobody
	  acl: [127.0.0.1/32]
	  acl_action: refuse
	  tcp: {idle_timeout: 1}
	  metrics_listen: 127.0.0.1:$MPORT
	  control_socket: $W/ctl.sock
	  routes:
	    own.test: auth
	  pools:
	    auth:
	      cache: false
	      check: {name: own.test, type: SOA, interval: 0.5}
	      backends:
	        - {name: nsd, address: "127.0.0.1:$NSD_PORT"}
	CONF
}

metric() { # metric NAME{labels} -> value (0 when absent)
	echo $(( $(metric_at "http://127.0.0.1:$MPORT/metrics" "$1") + 0 ))
}

dot() { # kdig over TLS, checking the certificate
	kdig +tls-ca="$W/ca.pem" +tls-hostname=dns.test +time=3 +retry=0 \
	    -p "$DOT" @127.0.0.1 "$@"
}

doh() { # kdig over HTTPS (POST; +https-get for GET)
	kdig +https +tls-ca="$W/ca.pem" +tls-hostname=dns.test +time=3 \
	    +retry=0 -p "$DOH" @127.0.0.1 "$@"
}

http() { # curl over HTTP/2: the body's line, a space, the status
	curl -sk --http2 --max-time 5 -w '%{http_code}' "$@" | tr '\n' ' '
}

setup_file() {
	W=$(mktemp -d /tmp/dns-proxy-tls.XXXXXX)
	chmod 755 "$W"
	export W
	nsd_start "$W/nsd"
	cp "$FIX/own.test.zone" "$NSD_DIR/zones/own.test.db"
	nsd-control -c "$NSD_CONF" addzone own.test da >/dev/null
	wait_for 10 sh -c "dig +short -p $NSD_PORT @127.0.0.1 www.own.test | grep -q 192.0.2.10"
	echo "$NSD_PID" >"$W/nsd.pid"
	make_cert dns.test
	cp "$W/dns.test.pem" "$W/cert.pem"
	cp "$W/dns.test.key" "$W/cert.key"
	cp "$W/dns.test.pem" "$W/ca.pem"
	PORT=$(free_port)
	DOT=$(free_port)
	DOH=$(free_port)
	MPORT=$(free_port)
	export PORT DOT DOH MPORT NSD_PORT
	write_conf
	: >"$W/ready"
	dns-proxy -c "$W/app.yml" -d 3 3>"$W/ready" 2>>"$W/proxy.log" &
	echo $! >"$W/proxy.pid"
	wait_for 10 test -s "$W/ready"
	wait_for 10 sh -c "curl -s http://127.0.0.1:$MPORT/metrics | grep -q 'backend_up{backend=\"nsd\",pool=\"auth\"} 1'"
}

teardown_file() {
	kill_wait "$(cat "$W/proxy.pid")" 50
	kill_wait "$(cat "$W/nsd.pid")" 50
	rm -rf "$W"
}

@test "dns-proxy: DoT answers from the auth pool, certificate checked (kdig +tls)" {
	run dot www.own.test A
	assert_success
	[[ "$output" == *"TLS session (TLS1.3)"* ]]
	[[ "$output" == *"status: NOERROR"* ]]
	[[ "$output" == *"qr aa rd"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	run dot nosuch.own.test A
	[[ "$output" == *"status: NXDOMAIN"* ]]
}

@test "dns-proxy: DoH answers over HTTP/2 by POST and by GET (kdig +https)" {
	run doh www.own.test A
	assert_success
	[[ "$output" == *"HTTP/2-POST"* ]]
	[[ "$output" == *"status: 200"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
	run doh +https-get www.own.test A
	assert_success
	[[ "$output" == *"HTTP/2-GET"* ]]
	[[ "$output" == *"192.0.2.10"* ]]
}

@test "dns-proxy: curl resolves a name through DoH and reaches it" {
	# ns1.own.test is 127.0.0.1 in NSD's zone only: curl can reach the
	# metrics endpoint by that name only when DoH resolved it.
	run curl -s --max-time 5 --doh-insecure \
	    --doh-url "https://127.0.0.1:$DOH/dns-query" \
	    "http://ns1.own.test:$MPORT/metrics"
	assert_success
	[[ "$output" == *"dns_proxy_queries_total"* ]]
	# The answer carries its freshness (the record's TTL).
	run curl -sk --http2 -D - -o /dev/null --max-time 5 \
	    "https://127.0.0.1:$DOH/dns-query?dns=AAABAAABAAAAAAAAA3d3dwNvd24EdGVzdAAAAQAB"
	[[ "$output" == *"HTTP/2 200"* ]]
	[[ "$output" == *"content-type: application/dns-message"* ]]
	[[ "$output" == *"cache-control: max-age=3600"* ]]
}

@test "dns-proxy: bad DoH requests get 400, 404, 413 or 415 with the reason" {
	u=https://127.0.0.1:$DOH
	run http "$u/dns-query?dns=!!"
	assert_output "dns= parameter is not base64url 400"
	run http "$u/dns-query?x=1"
	assert_output "no dns= parameter 400"
	run http "$u/other?dns=AAAA"
	assert_output "no such path 404"
	run http -X POST \
	    -H 'content-type: text/plain' --data-binary x "$u/dns-query"
	assert_output "content-type is not application/dns-message 415"
	head -c 70000 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run http -X POST \
	    -H 'content-type: application/dns-message' \
	    --data-binary @"$BATS_TEST_TMPDIR/big" "$u/dns-query"
	[[ "$output" == *" 413" ]]
	[ "$(metric dns_proxy_doh_bad_requests_total)" -ge 5 ]
	# The connection and the service live on.
	run doh www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
}

@test "dns-proxy: ALPN says dot on DoT and h2 on DoH" {
	run sh -c "gnutls-cli --insecure --alpn=dot -p $DOT 127.0.0.1 </dev/null"
	[[ "$output" == *"Application protocol: dot"* ]]
	run sh -c "gnutls-cli --insecure --alpn=h2 --alpn=http/1.1 -p $DOH 127.0.0.1 </dev/null"
	[[ "$output" == *"Application protocol: h2"* ]]
}

@test "dns-proxy: a DoT session resumes with its ticket" {
	before=$(metric dns_proxy_tls_resumed_total)
	run sh -c "gnutls-cli --insecure --resume -p $DOT 127.0.0.1 </dev/null"
	[[ "$output" == *"This is a resumed session"* ]]
	[ "$(metric dns_proxy_tls_resumed_total)" -gt "$before" ]
}

@test "dns-proxy: the ACL applies to DoT and DoH" {
	# 127.0.0.2 is outside acl: REFUSED (acl_action refuse).
	run dot -b 127.0.0.2 www.own.test A
	[[ "$output" == *"status: REFUSED"* ]]
	run doh -b 127.0.0.2 www.own.test A
	[[ "$output" == *"status: REFUSED"* ]]
	[[ "$output" != *"192.0.2.10"* ]]
	[ "$(metric 'dns_proxy_refused_total{reason="acl"}')" -ge 2 ]
}

@test "dns-proxy: metrics count DoT and DoH queries apart from TCP" {
	dot0=$(metric 'dns_proxy_queries_total{proto="dot"}')
	doh0=$(metric 'dns_proxy_queries_total{proto="doh"}')
	tcp0=$(metric 'dns_proxy_queries_total{proto="tcp"}')
	dot www.own.test A >/dev/null
	dot www.own.test A >/dev/null
	doh www.own.test A >/dev/null
	[ "$(metric 'dns_proxy_queries_total{proto="dot"}')" -eq $((dot0 + 2)) ]
	[ "$(metric 'dns_proxy_queries_total{proto="doh"}')" -eq $((doh0 + 1)) ]
	[ "$(metric 'dns_proxy_queries_total{proto="tcp"}')" -eq "$tcp0" ]
	[ "$(metric dns_proxy_tls_handshakes_total)" -ge 3 ]
}

@test "dns-proxy: SIGHUP loads a new certificate for new connections, listeners kept" {
	make_cert new.test
	cp "$W/new.test.pem" "$W/cert.pem.tmp"
	cp "$W/new.test.key" "$W/cert.key.tmp"
	mv "$W/cert.pem.tmp" "$W/cert.pem"
	mv "$W/cert.key.tmp" "$W/cert.key"
	n=$(grep -c 'info: reloaded' "$W/proxy.log" || true)
	kill -HUP "$(cat "$W/proxy.pid")"
	wait_for 10 sh -c "[ \$(grep -c 'info: reloaded' '$W/proxy.log') -gt $n ]"
	run sh -c "gnutls-cli --insecure -p $DOT 127.0.0.1 </dev/null"
	[[ "$output" == *"subject \`CN=new.test'"* ]]
	run sh -c "gnutls-cli --insecure -p $DOH 127.0.0.1 </dev/null"
	[[ "$output" == *"subject \`CN=new.test'"* ]]
	run grep -c 'stopped listening' "$W/proxy.log"
	assert_output 0
	run kdig +tls-ca="$W/new.test.pem" +tls-hostname=new.test +time=3 \
	    +retry=0 -p "$DOT" @127.0.0.1 www.own.test A
	[[ "$output" == *"192.0.2.10"* ]]
	# An unreadable certificate on reload: the running one stays.
	echo garbage >"$W/cert.pem"
	kill -HUP "$(cat "$W/proxy.pid")"
	wait_for 10 grep -q 'keeping the running TLS certificate' "$W/proxy.log"
	run sh -c "gnutls-cli --insecure -p $DOT 127.0.0.1 </dev/null"
	[[ "$output" == *"subject \`CN=new.test'"* ]]
	cp "$W/dns.test.pem" "$W/cert.pem"
	cp "$W/dns.test.key" "$W/cert.key"
	kill -HUP "$(cat "$W/proxy.pid")"
}

@test "dns-proxy: an idle DoT or DoH connection is closed after tcp.idle_timeout" {
	before=$(metric dns_proxy_tcp_idle_closed_total)
	for port in $DOT $DOH; do
		# The client keeps its side open for 5 s; the server closes
		# first, after about 1 s.
		out=$BATS_TEST_TMPDIR/cli-$port
		(sleep 5 | gnutls-cli --insecure -p "$port" 127.0.0.1 >"$out" 2>&1 &)
		wait_for 4 grep -q 'Peer has closed the GnuTLS connection' "$out"
		grep -q 'Handshake was completed' "$out"
	done
	[ "$(metric dns_proxy_tcp_idle_closed_total)" -ge $((before + 2)) ]
}

@test "dns-proxy: tls_listen without tls_cert exits 100 naming the keys" {
	grep -v 'tls_cert' "$W/app.yml" >"$BATS_TEST_TMPDIR/bad.yml"
	run --separate-stderr dns-proxy -n -c "$BATS_TEST_TMPDIR/bad.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns_proxy.tls_cert, tls_key: needed by tls_listen and doh_listen"* ]]
	sed 's|doh_listen: .*|doh_listen: [nowhere]|' "$W/app.yml" >"$BATS_TEST_TMPDIR/bad.yml"
	run --separate-stderr dns-proxy -n -c "$BATS_TEST_TMPDIR/bad.yml"
	[ "$status" -eq 100 ]
	[[ "$stderr" == *"dns_proxy.doh_listen: not an address[:port]: \"nowhere\""* ]]
}
