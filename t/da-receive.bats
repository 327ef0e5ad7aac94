#!/usr/bin/env bats
# da-receive.bats -- the DirectAdmin API over real sockets: DirectAdmin's
# own requests byte for byte, bad input, limits, TLS, /health, /status,
# /metrics.

load helper

AUTH=$(printf 'directdnsonly:secret' | base64)

setup() {
	D=$BATS_TEST_TMPDIR
	PORT=$(free_port)
	SPOOL=$D/spool
	RECEIVER_PID=
	dar_config
}

teardown() {
	receiver_stop
}

# dar_config [EXTRA_APP_LINES]: app.yml with one nsd backend (no NSD is
# needed: nothing here runs the queue).
dar_config() {
	write_config "$(da_app "$PORT" secret ${1:+"$1"})" 'peer_sync:' \
	    '  auth_username: peersync' '  auth_password: peersecret' \
	    "$(zones_backend "$D/zones")"
}

# send FILE: the bytes of FILE as one request on a new connection; sets
# STATUS, HEAD (status line and headers) and BODY.
send() {
	local out
	out=$(timeout 20 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$0" &&
	    cat "$1" >&5 && cat <&5' "$PORT" "$1"; printf x)
	out=${out%x}
	HEAD=${out%%$'\r\n\r\n'*}
	BODY=${out#*$'\r\n\r\n'}
	STATUS=$(printf '%s\n' "$HEAD" | head -n 1 | cut -d ' ' -f 2)
}

# da METHOD TARGET [BODYFILE]: a request exactly as DirectAdmin sends it
# (HTTP/1.0, upper-case HOST and AUTHORIZATION, no Content-Type, a
# Content-Length only with a body); the bytes sent are left in $REQ.
da() {
	REQ=$D/req.$BASHPID
	{
		printf '%s %s HTTP/1.0\r\nHOST: ddo1.example.net\r\n' "$1" "$2"
		printf 'AUTHORIZATION: Basic %s\r\n' "${DA_AUTH-$AUTH}"
		if [ -n "${3:-}" ]; then
			printf 'Content-Length: %d\r\n\r\n' "$(wc -c <"$3")"
			cat "$3"
		else
			printf '\r\n'
		fi
	} >"$REQ"
	send "$REQ"
}

# rawsave ZONE [QUERY_TAIL]: DirectAdmin's zone push of the sample zone.
rawsave() {
	da_zone "$1" "${3:-}" >"$D/zone.$BASHPID"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=$1${2:-&username=fred&hostname=s1.example.net}" "$D/zone.$BASHPID"
}

exists() {
	da GET "/CMD_API_DNS_ADMIN?action=exists&domain=$1${2:-}"
}

# still_serving: the daemon is up and answers a good request.
still_serving() {
	kill -0 "$RECEIVER_PID"
	da GET /CMD_API_LOGIN_TEST
	[ "$STATUS" = 200 ] && [ "$BODY" = "error=0&text=Login+OK" ]
}

@test "da-receive: -h prints the usage on stdout and exits 0; wrong usage exits 100" {
	run --separate-stderr da-receive -h
	assert_success
	assert_line --index 0 "usage: da-receive [-V] [-c app.yml] [-d fd] [-v|-q]"
	run --separate-stderr da-receive -x
	assert_failure 100
	assert_equal "$stderr" "da-receive: usage: da-receive [-V] [-c app.yml] [-d fd] [-v|-q]"
	run --separate-stderr da-receive extra
	assert_failure 100
	run --separate-stderr da-receive -d 1
	assert_failure 100
	assert_equal "$stderr" "da-receive: fatal: invalid notification fd 1: a descriptor number of 3 or more expected"
}

@test "da-receive: refuses to start without a password (exit 100), naming the key" {
	sed -i '/auth_password: secret/d' "$D/app.yml"
	run --separate-stderr da-receive -c "$D/app.yml"
	assert_failure 100
	[[ $stderr == *app.auth_password* ]]
	[[ $stderr == *DADNS_APP_AUTH_PASSWORD* ]]
	DADNS_APP_AUTH_PASSWORD=fromenv run --separate-stderr timeout 1 \
	    da-receive -c "$D/app.yml"
	assert_failure 124	# started, killed by timeout
}

@test "da-receive: exits 111 when the port is taken, 0 on SIGTERM" {
	receiver_start "$D/app.yml" "$D/log"
	run --separate-stderr da-receive -c "$D/app.yml"
	assert_failure 111
	[[ $stderr == *"unable to bind"* ]]
	kill -TERM "$RECEIVER_PID"
	rc=0
	wait "$RECEIVER_PID" || rc=$?
	RECEIVER_PID=
	assert_equal "$rc" 0
}

@test "da-receive: DirectAdmin's login test, byte for byte" {
	receiver_start "$D/app.yml" "$D/log"
	printf 'GET /CMD_API_LOGIN_TEST HTTP/1.0\r\nHOST: ddo1.example.net\r\nAUTHORIZATION: Basic %s\r\n\r\n' "$AUTH" >"$D/req"
	send "$D/req"
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0&text=Login+OK"
	[[ $HEAD == *$'\r\nServer: dadns/'* ]]
	[[ $HEAD == *$'\r\nContent-Type: text/html;charset=utf-8\r\n'* ]]
	# Any parameters, any method: still OK (the original 404'd).
	da GET "/CMD_API_LOGIN_TEST?json=yes&foo=bar"
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0&text=Login+OK"
	printf 'a=b&c=d' >"$D/b"
	da POST "/CMD_API_LOGIN_TEST?x=1" "$D/b"
	assert_equal "$BODY" "error=0&text=Login+OK"
	da GET /
	assert_equal "$BODY" "DNS Admin API - Available endpoints: /CMD_API_DNS_ADMIN"
}

@test "da-receive: DirectAdmin's rawsave writes the store row and the job file, then answers error=0" {
	receiver_start "$D/app.yml" "$D/log"
	exists example.com
	assert_equal "$BODY" "error=0&exists=0"
	rawsave example.com
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0"
	[[ $HEAD == *$'\r\nContent-Type: text/html;charset=utf-8\r\n'* ]]
	assert_equal "$(jobs_in nsd new example.com)" 1
	f=$(ls "$SPOOL"/nsd/new/*_example.com)
	run sed -n '2,3p;6,8p' "$f"
	assert_output $'a save\nz example.com\nh s1.example.net\nu fred\ns 2021082500'
	# The zone text is DA's, with $ORIGIN added in front.
	grep -q '^\$ORIGIN example.com.$' "$f"
	grep -q 'v=spf1 a mx ip4:192.0.2.10 ~all' "$f"
	exists example.com
	assert_equal "$BODY" "error=0&exists=1&details=Domain+exists+on+s1.example.net"
	if command -v sqlite3 >/dev/null; then
		run sqlite3 "$D/store.db" "select name, hostname, username, serial, deleted_us from zones"
		assert_output "example.com|s1.example.net|fred|2021082500|0"
	fi
}

@test "da-receive: rawsave forms seen from DirectAdmin: named_reload=yes, and without username" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com "&named_reload=yes&username=fred&hostname=s1.example.net"
	assert_equal "$BODY" "error=0"
	rawsave test.com "&hostname=s23.webhostingservices.co.nz"
	assert_equal "$BODY" "error=0"
	assert_equal "$(jobs_in nsd new example.com)" 1
	assert_equal "$(jobs_in nsd new test.com)" 1
	run grep -c '^u ' "$(ls "$SPOOL"/nsd/new/*_test.com)"
	assert_output 0
	exists test.com
	assert_equal "$BODY" "error=0&exists=1&details=Domain+exists+on+s23.webhostingservices.co.nz"
}

@test "da-receive: exists answers 0, 1, 3 for any ancestor, and 2 when the cluster owner check is off" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	exists shop.example.com
	assert_equal "$BODY" "error=0&exists=0"
	exists shop.example.com "&check_for_parent_domain=true"
	assert_equal "$BODY" "error=0&exists=3&hostname=s1.example.net&username=fred"
	# A grandparent counts too (the original checked one level only).
	exists a.b.shop.example.com "&check_for_parent_domain=1"
	assert_equal "$BODY" "error=0&exists=3&hostname=s1.example.net&username=fred"
	# Names are compared lower-case, a trailing dot is fine.
	exists EXAMPLE.com.
	assert_equal "$BODY" "error=0&exists=1&details=Domain+exists+on+s1.example.net"
	# check_for_parent_domain empty = off.
	exists shop.example.com "&check_for_parent_domain="
	assert_equal "$BODY" "error=0&exists=0"
	# exists via POST (form body, as DirectSlave hook scripts send it).
	printf 'action=exists&domain=example.com' >"$D/b"
	da POST /CMD_API_DNS_ADMIN "$D/b"
	assert_equal "$BODY" "error=0&exists=1&details=Domain+exists+on+s1.example.net"
	receiver_stop
	DADNS_APP_CHECK_SUBDOMAIN_OWNER_IN_CLUSTER_DOMAINOWNERS=0 \
	    receiver_start "$D/app.yml" "$D/log"
	exists shop.example.com "&check_for_parent_domain=true"
	assert_equal "$BODY" "error=0&exists=2&details=Parent+Domain+exists+on+s1.example.net"
	assert_equal "$(jobs_in nsd new)" 1
}

@test "da-receive: DirectAdmin's delete (parameters in the body, no Content-Type) queues a delete job" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave test.com "&username=cheybugger&hostname=s23.webhostingservices.co.nz"
	printf 'action=delete&cluster=yes&hostname=s23.webhostingservices.co.nz&select0=test.com' >"$D/del"
	assert_equal "$(wc -c <"$D/del")" 80
	da POST /CMD_API_DNS_ADMIN "$D/del"
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0"
	[[ $(cat "$REQ") == *$'Content-Length: 80\r\n\r\naction=delete'* ]]
	assert_equal "$(jobs_in nsd new test.com)" 2
	f=$(ls "$SPOOL"/nsd/new/*_test.com | tail -n 1)
	run sed -n '2,3p' "$f"
	assert_output $'a delete\nz test.com'
	exists test.com
	assert_equal "$BODY" "error=0&exists=0"
}

@test "da-receive: a delete with several selectN (and the newer DA's username) queues one job per domain" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave a.test "&hostname=s1.example.net"
	rawsave b.test "&hostname=s1.example.net"
	printf 'action=delete&cluster=yes&hostname=s1.example.net&select0=a.test&select1=b.test&select2=A.TEST&username=cheybugger' >"$D/del"
	da POST /CMD_API_DNS_ADMIN "$D/del"
	assert_equal "$BODY" "error=0"
	assert_equal "$(jobs_in nsd new a.test)" 2
	assert_equal "$(jobs_in nsd new b.test)" 2
	# The query form and domain= work as well.
	rawsave c.test "&hostname=s1.example.net"
	da POST "/CMD_API_DNS_ADMIN?action=delete&domain=c.test&hostname=s1.example.net"
	assert_equal "$BODY" "error=0"
	assert_equal "$(jobs_in nsd new c.test)" 2
}

@test "da-receive: a delete from another DirectAdmin server than the owner is refused, nothing written" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	printf 'action=delete&cluster=yes&hostname=s9.other.net&select0=example.com' >"$D/del"
	da POST /CMD_API_DNS_ADMIN "$D/del"
	assert_equal "$STATUS" 403
	assert_equal "$BODY" "error=1&text=Delete+of+example.com+refused%3A+it+belongs+to+s1.example.net%2C+not+s9.other.net"
	assert_equal "$(jobs_in nsd new example.com)" 1
	exists example.com
	assert_equal "$BODY" "error=0&exists=1&details=Domain+exists+on+s1.example.net"
}

@test "da-receive: no action is error=0&text=OK; unsupported actions and methods are refused" {
	receiver_start "$D/app.yml" "$D/log"
	da POST /CMD_API_DNS_ADMIN
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0&text=OK"
	da POST "/CMD_API_DNS_ADMIN?action=frobnicate&domain=example.com"
	assert_equal "$STATUS" 400
	assert_equal "$BODY" "error=1&text=Unsupported+action%3A+frobnicate"
	da GET "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com"
	assert_equal "$STATUS" 400
	assert_equal "$BODY" "error=1&text=Unsupported+GET+action%3A+rawsave"
	da GET /CMD_API_DNS_ADMIN
	assert_equal "$BODY" "error=1&text=Unsupported+GET+action%3A+None"
	da PUT "/CMD_API_DNS_ADMIN?action=exists&domain=example.com"
	assert_equal "$STATUS" 405
	assert_equal "$BODY" "error=1&text=Method+not+allowed"
	da HEAD "/CMD_API_DNS_ADMIN?action=exists&domain=example.com"
	assert_equal "$STATUS" 405
	da GET "/CMD_API_DNS_ADMIN?action=exists"
	assert_equal "$STATUS" 400
	assert_equal "$BODY" "error=1&text=Missing+%27domain%27+parameter"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com"
	assert_equal "$STATUS" 400
	assert_equal "$BODY" "error=1&text=Missing+zone+file+content"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave"
	assert_equal "$BODY" "error=1&text=Missing+%27domain%27+parameter"
	da GET /nothing/here
	assert_equal "$STATUS" 404
	assert_equal "$(jobs_in nsd new)" 0
}

@test "da-receive: the zone may come as text/plain or as a zone_file form field" {
	receiver_start "$D/app.yml" "$D/log"
	da_zone plain.test >"$D/z"
	curl -sS --http1.0 -u directdnsonly:secret -H 'Content-Type: text/plain' \
	    --data-binary @"$D/z" -o "$D/out" -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=plain.test&hostname=s1.example.net" >"$D/code"
	assert_equal "$(cat "$D/code")" 200
	assert_equal "$(cat "$D/out")" "error=0"
	da_zone form.test >"$D/z"
	curl -sS -u directdnsonly:secret --data-urlencode zone_file@"$D/z" \
	    -o "$D/out" "http://127.0.0.1:$PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=form.test"
	assert_equal "$(cat "$D/out")" "error=0"
	# curl's default form Content-Type on a raw zone: still zone text.
	da_zone curl.test >"$D/z"
	curl -sS -u directdnsonly:secret --data-binary @"$D/z" -o "$D/out" \
	    "http://127.0.0.1:$PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=curl.test"
	assert_equal "$(cat "$D/out")" "error=0"
	assert_equal "$(jobs_in nsd new plain.test)" 1
	assert_equal "$(jobs_in nsd new form.test)" 1
	assert_equal "$(jobs_in nsd new curl.test)" 1
	grep -q 'ftp	3600	IN	A	192.0.2.10' "$(ls "$SPOOL"/nsd/new/*_form.test)"
}

@test "da-receive: wrong or missing credentials get 401 with the realm, nothing written" {
	receiver_start "$D/app.yml" "$D/log"
	da_zone example.com >"$D/z"
	for cred in "" "$(printf 'directdnsonly:wrong' | base64)" \
	    "$(printf 'someone:secret' | base64)" \
	    "$(printf 'peersync:peersecret' | base64)" "%%%notbase64"; do
		DA_AUTH=$cred da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
		assert_equal "$STATUS" 401
		assert_equal "$BODY" "error=1&text=Unauthorized"
		[[ $HEAD == *$'\r\nWWW-Authenticate: Basic realm="dadns", charset="UTF-8"'* ]]
	done
	printf 'GET /CMD_API_LOGIN_TEST HTTP/1.0\r\n\r\n' >"$D/req"
	send "$D/req"
	assert_equal "$STATUS" 401
	# DirectAdmin's credentials never open the peer API.
	da GET /internal/zones
	assert_equal "$STATUS" 401
	DA_AUTH=$(printf 'peersync:peersecret' | base64) da GET /internal/zones
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "[]"
	assert_equal "$(jobs_in nsd new)" 0
	still_serving
}

@test "da-receive: malformed zones and records of another zone are refused with the reason, nothing written" {
	receiver_start "$D/app.yml" "$D/log"
	printf '$TTL 3600\n@ IN SOA ns1.example.net. hostmaster.example.com. ( 1 2 3 4 5 )\n@ IN NS ns1.example.net.\nwww IN A 999.1.2.3\n' >"$D/z"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
	assert_equal "$STATUS" 400
	[[ $BODY == "error=1&text=Invalid+zone+data%3A+"* ]]
	printf '$TTL 3600\n@ IN SOA ns1.example.net. hostmaster.example.com. ( 1 2 3 4 5 )\n@ IN NS ns1.example.net.\nwww.evil.org. IN A 192.0.2.1\n' >"$D/z"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
	assert_equal "$STATUS" 400
	[[ $BODY == "error=1&text=Invalid+zone+data%3A+"* ]]
	printf 'just some text\n' >"$D/z"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
	assert_equal "$STATUS" 400
	[[ $BODY == "error=1&text=Invalid+zone+data%3A+"* ]]
	printf '$TTL 3600\n$INCLUDE /etc/passwd\n' >"$D/z"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
	assert_equal "$STATUS" 400
	printf '$TTL 3600\n@ IN SOA ns1.example.net. h.example.com. ( 1 2 3 4 5 )\n\0\n' >"$D/z"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/z"
	assert_equal "$STATUS" 400
	assert_equal "$(jobs_in nsd new)" 0
	exists example.com
	assert_equal "$BODY" "error=0&exists=0"
	still_serving
}

@test "da-receive: hostile names (../x, a/b.test, x;DROP, 300-char labels) are refused, nothing written" {
	receiver_start "$D/app.yml" "$D/log"
	da_zone example.com >"$D/z"
	long=$(printf 'a%.0s' $(seq 300))
	for name in ../x a/b.test 'x;DROP' "$long.com" "a.$long" "${long:0:64}.com" \
	    "%2Fetc%2Fcron.d%2Fx" "ex%20ample.com" "-bad.com" "a..b" "%00x"; do
		da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=$name&hostname=s1.example.net" "$D/z"
		assert_equal "$STATUS" 400
		[[ $BODY == "error=1&text=Invalid+domain+name%3A+"* || $BODY == "error=1&text=Invalid+query+string%3A+"* ]]
		da GET "/CMD_API_DNS_ADMIN?action=exists&domain=$name"
		assert_equal "$STATUS" 400
		printf 'action=delete&hostname=s1.example.net&select0=%s' "$name" >"$D/del"
		da POST /CMD_API_DNS_ADMIN "$D/del"
		assert_equal "$STATUS" 400
	done
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=ok.test&hostname=bad%0Ahost" "$D/z"
	assert_equal "$BODY" "error=1&text=Invalid+hostname"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=ok.test&hostname=a%zzb" "$D/z"
	assert_equal "$BODY" "error=1&text=Invalid+query+string%3A+bad+percent+escape"
	assert_equal "$(jobs_in nsd new)" 0
	[ -z "$(ls "$SPOOL/tmp")" ]
	still_serving
}

@test "da-receive: a 10 MiB body gets 413, nothing written, the daemon keeps serving" {
	dar_config "  max_body: 1048576"
	receiver_start "$D/app.yml" "$D/log"
	head -c 10485760 /dev/zero | tr '\0' 'a' >"$D/big"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/big"
	assert_equal "$STATUS" 413
	assert_equal "$BODY" "error=1&text=Request+body+larger+than+1048576+bytes"
	# Chunked, without a Content-Length: refused while reading.
	curl -sS -u directdnsonly:secret -H 'Transfer-Encoding: chunked' \
	    --data-binary @"$D/big" -o "$D/out" -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" >"$D/code" || true
	assert_equal "$(cat "$D/code")" 413
	assert_equal "$(jobs_in nsd new)" 0
	# Headers past the memory limit are refused by libmicrohttpd.
	{
		printf 'GET /CMD_API_LOGIN_TEST HTTP/1.0\r\nAUTHORIZATION: Basic %s\r\n' "$AUTH"
		printf 'X-Big: %s\r\n\r\n' "$(head -c 65536 /dev/zero | tr '\0' 'b')"
	} >"$D/req"
	send "$D/req"
	assert_equal "$STATUS" 431
	still_serving
	# With the default max_body (16 MiB) the zone text limit refuses it.
	receiver_stop
	dar_config
	receiver_start "$D/app.yml" "$D/log"
	da POST "/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com" "$D/big"
	assert_equal "$STATUS" 413
	assert_equal "$BODY" "error=1&text=Zone+text+larger+than+8388608+bytes"
	assert_equal "$(jobs_in nsd new)" 0
	still_serving
}

@test "da-receive: a client trickling its request slower than the timeout is dropped while others are served" {
	DADNS_APP_REQUEST_TIMEOUT=1 receiver_start "$D/app.yml" "$D/log"
	# One byte every 0.3 s: within the idle timeout, not the deadline.
	(
		exec 6<>"/dev/tcp/127.0.0.1/$PORT"
		for c in P O S T ' ' / C M D _ A P I; do
			printf '%s' "$c" >&6 || exit 0
			sleep 0.3
		done
		echo "not dropped" >"$D/slow"
	) &
	slow=$!
	sleep 0.5
	still_serving
	rawsave example.com
	assert_equal "$BODY" "error=0"
	wait "$slow" || true
	[ ! -e "$D/slow" ]
	grep -q 'dropped a slow client' "$D/log"
	still_serving
}

@test "da-receive: 20 concurrent rawsaves all succeed, each durable in new/" {
	receiver_start "$D/app.yml" "$D/log"
	pids=
	for i in $(seq 20); do
		( rawsave "z$i.test"; printf '%s %s\n' "$STATUS" "$BODY" >"$D/r$i" ) &
		pids="$pids $!"
	done
	wait $pids
	for i in $(seq 20); do
		assert_equal "$(cat "$D/r$i")" "200 error=0"
		assert_equal "$(jobs_in nsd new "z$i.test")" 1
	done
	assert_equal "$(jobs_in nsd new)" 20
}

@test "da-receive: /health needs no credentials unless app.health_auth" {
	receiver_start "$D/app.yml" "$D/log"
	run curl -sS -i "http://127.0.0.1:$PORT/health"
	assert_output --partial "200 OK"
	assert_line --partial "ok"
	receiver_stop
	DADNS_APP_HEALTH_AUTH=true receiver_start "$D/app.yml" "$D/log"
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health"
	assert_output 401
	run curl -sS -u directdnsonly:secret "http://127.0.0.1:$PORT/health"
	assert_output ok
}

@test "da-receive: /status reports queue depths, runners, dead letters with their reason, zones" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	rawsave test.com
	printf 'action=delete&hostname=s1.example.net&select0=test.com' >"$D/del"
	da POST /CMD_API_DNS_ADMIN "$D/del"
	run curl -sS -u directdnsonly:secret "http://127.0.0.1:$PORT/status"
	assert_success
	# No runner listens on the queue: error, as the original's dead worker.
	assert_output --partial '{"status":"error",'
	assert_output --partial '"queues":{"save":2,"delete":1,"retry":0,"dead_letters":0,"backends":{"nsd":{"new":3,"fail":0,"runner":false,"last_error":null}}}'
	assert_output --partial '"workers":{"save":false,"delete":false,"retry_drain":false}'
	assert_output --partial '"zones":{"total":1,"tombstones":1}'
	curl -sS -u directdnsonly:secret "http://127.0.0.1:$PORT/status/" | grep -q '"zones":{"total":1'
	# A runner (anything holding the trigger FIFO open) and a dead letter.
	exec 7<>"$SPOOL/nsd/trigger"
	printf 'x' >"$SPOOL/nsd/fail/0000000000000099_bad.test"
	printf 'nsd-checkzone: bad.test: syntax error\n' >"$SPOOL/nsd/fail/0000000000000099_bad.test.reason"
	run curl -sS -u directdnsonly:secret "http://127.0.0.1:$PORT/status"
	exec 7<&-
	assert_output --partial '{"status":"degraded",'
	assert_output --partial '"dead_letters":1,'
	assert_output --partial '"runner":true,"last_error":{"at":"'
	assert_output --partial '"job":"0000000000000099_bad.test","reason":"nsd-checkzone: bad.test: syntax error"}'
	rm "$SPOOL"/nsd/fail/*
	exec 7<>"$SPOOL/nsd/trigger"
	run curl -sS -u directdnsonly:secret "http://127.0.0.1:$PORT/status"
	exec 7<&-
	assert_output --partial '{"status":"ok",'
	run curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/status"
	assert_output 401
}

@test "da-receive: /metrics is Prometheus text with requests, acks, rejects, commits, queues, zones" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	exists ../x
	run curl -sS -i -u directdnsonly:secret "http://127.0.0.1:$PORT/metrics"
	assert_success
	assert_line --partial "Content-Type: text/plain; version=0.0.4"
	assert_line 'dadns_http_requests_total{endpoint="dns_admin",code="200"} 1'
	assert_line 'dadns_http_requests_total{endpoint="dns_admin",code="400"} 1'
	assert_line 'dadns_acks_total{action="save"} 1'
	assert_line 'dadns_rejects_total{reason="bad_name"} 1'
	assert_line 'dadns_commit_batch_jobs_count 1'
	assert_line 'dadns_commit_seconds_bucket{le="+Inf"} 1'
	assert_line 'dadns_queue_depth{backend="nsd"} 1'
	assert_line 'dadns_dead_letters{backend="nsd"} 0'
	assert_line 'dadns_runner_up{backend="nsd"} 0'
	assert_line 'dadns_zones{state="live"} 1'
}

@test "da-receive: TLS with a certificate, its key and the chain" {
	cd "$D"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=root.test \
	    -keyout root.key -out root.pem 2>/dev/null
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n' >ca.ext
	openssl req -newkey rsa:2048 -nodes -subj /CN=inter.test \
	    -keyout inter.key -out inter.csr 2>/dev/null
	openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key \
	    -CAcreateserial -days 2 -extfile ca.ext -out inter.pem 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >leaf.ext
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout leaf.key -out leaf.csr 2>/dev/null
	openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key \
	    -CAcreateserial -days 2 -extfile leaf.ext -out leaf.pem 2>/dev/null
	dar_config "$(printf '  ssl_enable: true\n  ssl_cert: %s\n  ssl_key: %s\n  ssl_bundle: %s' \
	    "$D/leaf.pem" "$D/leaf.key" "$D/inter.pem")"
	receiver_start "$D/app.yml" "$D/log"
	# Verifies only when the server sends the intermediate.
	run curl -sS --cacert root.pem -u directdnsonly:secret \
	    "https://127.0.0.1:$PORT/CMD_API_LOGIN_TEST"
	assert_success
	assert_output "error=0&text=Login+OK"
	da_zone example.com >z
	run curl -sS --http1.0 --cacert root.pem -u directdnsonly:secret \
	    --data-binary @z \
	    "https://127.0.0.1:$PORT/CMD_API_DNS_ADMIN?action=rawsave&domain=example.com&hostname=s1.example.net"
	assert_output "error=0"
	assert_equal "$(jobs_in nsd new example.com)" 1
	receiver_stop
	dar_config "$(printf '  ssl_enable: true\n  ssl_cert: %s\n  ssl_key: %s' \
	    "$D/missing.pem" "$D/leaf.key")"
	run --separate-stderr da-receive -c "$D/app.yml"
	assert_failure 100
	[[ $stderr == *app.ssl_cert* ]]
}

@test "da-receive: logs one line per request without secrets or zone text" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	receiver_stop
	grep -q 'info: POST /CMD_API_DNS_ADMIN status=200 action=rawsave zone=example.com ms=' "$D/log"
	run grep -e secret -e "$AUTH" -e 'v=spf1' -e 'SOA' "$D/log"
	assert_failure
}

# ---- Authentication: failed logins limited per source, closed connections,
# ---- credentials compared by digest, the clear-text warning.

# login [CURL_ARGS...]: GET /CMD_API_LOGIN_TEST with curl; sets STATUS, and
# HEAD and BODY from the files curl wrote.
login() {
	STATUS=$(curl -s -o "$D/login.body" -D "$D/login.head" \
	    -w '%{http_code}' "$@" "http://127.0.0.1:$PORT/CMD_API_LOGIN_TEST")
	HEAD=$(cat "$D/login.head")
	BODY=$(cat "$D/login.body")
}

# auth_metric NAME: its value in /metrics, read from 127.0.0.2.
auth_metric() {
	metric_at "http://127.0.0.1:$PORT/metrics" "$1" --interface 127.0.0.2 \
	    -u directdnsonly:secret
}

login_ok() {
	login -u directdnsonly:secret
	[ "$STATUS" = 200 ]
}

@test "da-receive: after app.auth_max_failures wrong passwords a source gets 429, even with the right password; another source is served" {
	dar_config "$(printf '  auth_max_failures: 3\n  auth_lockout: 3600')"
	receiver_start "$D/app.yml" "$D/log"
	for pw in wrong1 wrong2 secret2; do
		login -u "directdnsonly:$pw"
		assert_equal "$STATUS" 401
	done
	login -u directdnsonly:secret
	assert_equal "$STATUS" 429
	assert_equal "$BODY" "error=1&text=Too+many+failed+logins+from+this+address%2C+retry+later"
	[[ $HEAD =~ $'\r\n'Retry-After:\ [0-9]+$'\r\n' ]]
	# DirectAdmin's own request, and the peer API, are refused as well.
	rawsave example.com
	assert_equal "$STATUS" 429
	DA_AUTH=$(printf 'peersync:peersecret' | base64) da GET /internal/zones
	assert_equal "$STATUS" 429
	assert_equal "$(jobs_in nsd new)" 0
	# Another address is not locked out.
	login --interface 127.0.0.2 -u directdnsonly:secret
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0&text=Login+OK"
	assert_equal "$(auth_metric dadns_auth_failures_total)" 3
	assert_equal "$(auth_metric dadns_auth_lockouts_total)" 1
	assert_equal "$(auth_metric dadns_auth_refused_total)" 3
	assert_equal "$(auth_metric 'dadns_auth_sources{state="locked"}')" 1
	assert_equal "$(auth_metric 'dadns_http_requests_total{endpoint="login_test",code="429"}')" 1
	grep -q 'warning: locking out ip=127.0.0.1 for 3600 s after 3 failed logins within 60 s' "$D/log"
}

@test "da-receive: the lockout ends after app.auth_lockout seconds; refused requests do not prolong it" {
	dar_config "$(printf '  auth_max_failures: 2\n  auth_lockout: 2')"
	receiver_start "$D/app.yml" "$D/log"
	login -u directdnsonly:wrong
	assert_equal "$STATUS" 401
	login -u directdnsonly:wrong
	assert_equal "$STATUS" 401
	login -u directdnsonly:secret
	assert_equal "$STATUS" 429
	# Polled with the right password, each poll a 429 until it ends.
	wait_for 20 login_ok
	# A new count begins: one wrong password is a 401 again.
	login -u directdnsonly:wrong
	assert_equal "$STATUS" 401
}

@test "da-receive: the peer API's failures count towards the same limit" {
	dar_config "$(printf '  auth_max_failures: 2\n  auth_lockout: 3600')"
	receiver_start "$D/app.yml" "$D/log"
	for cred in peersync:wrong directdnsonly:secret; do
		run curl -s -o /dev/null -w '%{http_code}' -u "$cred" \
		    "http://127.0.0.1:$PORT/internal/zones"
		assert_output 401
	done
	run curl -s -o /dev/null -w '%{http_code}' -u peersync:peersecret \
	    "http://127.0.0.1:$PORT/internal/zones"
	assert_output 429
	login -u directdnsonly:secret
	assert_equal "$STATUS" 429
}

@test "da-receive: a 401 closes the connection: a second request on it opens a new one" {
	receiver_start "$D/app.yml" "$D/log"
	url=http://127.0.0.1:$PORT/CMD_API_LOGIN_TEST
	# The right password keeps an HTTP/1.1 connection open...
	run curl -sv -u directdnsonly:secret "$url" "$url"
	assert_output --partial 'Re-using existing connection'
	# ...a wrong one does not.
	run curl -sv -u directdnsonly:wrong "$url" "$url"
	assert_output --partial '< Connection: close'
	assert_output --partial '(#1)'
	refute_output --partial 'Re-using existing connection'
	run curl -sv -u peersync:wrong "http://127.0.0.1:$PORT/internal/zones" \
	    "http://127.0.0.1:$PORT/internal/zones"
	assert_output --partial '< Connection: close'
	refute_output --partial 'Re-using existing connection'
}

@test "da-receive: each failed login is logged with the user name tried and the address, never the password" {
	receiver_start "$D/app.yml" "$D/log"
	login -u mallory:hunter2
	assert_equal "$STATUS" 401
	login --interface 127.0.0.2 -u 'evil user:hunter3'
	assert_equal "$STATUS" 401
	login -u ':hunter4'
	assert_equal "$STATUS" 401
	receiver_stop
	grep -q 'warning: authentication failed ip=127.0.0.1 user=mallory endpoint=login_test failures=1$' "$D/log"
	grep -q 'warning: authentication failed ip=127.0.0.2 user=evil?user endpoint=login_test failures=1$' "$D/log"
	grep -q 'warning: authentication failed ip=127.0.0.1 user=- endpoint=login_test failures=2$' "$D/log"
	run grep -e hunter "$D/log"
	assert_failure
}

@test "da-receive: a password or user name of another length, a prefix of the real one or longer, is refused" {
	# auth_max_failures: 0 turns the limit off; no lockout below.
	dar_config '  auth_max_failures: 0'
	receiver_start "$D/app.yml" "$D/log"
	for cred in directdnsonly:secre directdnsonly:s directdnsonly: \
	    directdnsonly:secret2 directdnsonly:secretsecret \
	    directdnsonly:Secret directdnsonl:secret directdnsonlyx:secret \
	    :secret directdnsonly:secret:; do
		login -u "$cred"
		assert_equal "$STATUS" 401
	done
	for cred in peersync:peersecre peersync:peersecret1 peersyn:peersecret; do
		run curl -s -o /dev/null -w '%{http_code}' -u "$cred" \
		    "http://127.0.0.1:$PORT/internal/zones"
		assert_output 401
	done
	login -u directdnsonly:secret
	assert_equal "$STATUS" 200
	assert_equal "$(auth_metric dadns_auth_failures_total)" 13
	assert_equal "$(auth_metric dadns_auth_lockouts_total)" 0
}

@test "da-receive: the failed-login table stays within app.auth_tracked_sources; a locked-out source stays locked" {
	dar_config "$(printf '  auth_max_failures: 3\n  auth_lockout: 3600\n  auth_tracked_sources: 16')"
	receiver_start "$D/app.yml" "$D/log"
	for i in 1 2 3; do
		login --interface 127.0.0.3 -u directdnsonly:wrong
	done
	for i in $(seq 10 49); do
		login --interface "127.0.0.$i" -u directdnsonly:wrong
		assert_equal "$STATUS" 401
	done
	tracked=$(auth_metric 'dadns_auth_sources{state="tracked"}')
	[ "$tracked" -ge 1 ]
	[ "$tracked" -le 16 ]
	assert_equal "$(auth_metric dadns_auth_failures_total)" 43
	login --interface 127.0.0.3 -u directdnsonly:secret
	assert_equal "$STATUS" 429
	still_serving
}

@test "da-receive: warns at start when listening on 0.0.0.0 without TLS, not on 127.0.0.1, ::1 or with TLS" {
	receiver_start "$D/app.yml" "$D/log"
	receiver_stop
	run grep 'without TLS' "$D/log"
	assert_failure
	sed -i "s/listen_addr: 127.0.0.1/listen_addr: '::1'/" "$D/app.yml"
	receiver_start "$D/app.yml" "$D/log"
	receiver_stop
	run grep 'without TLS' "$D/log"
	assert_failure
	sed -i "s/listen_addr: '::1'/listen_addr: 0.0.0.0/" "$D/app.yml"
	receiver_start "$D/app.yml" "$D/log"
	still_serving
	receiver_stop
	run grep 'without TLS' "$D/log"
	assert_output "da-receive: warning: listening on 0.0.0.0 port $PORT without TLS: passwords and zones cross the network in clear text; set app.ssl_enable or listen on 127.0.0.1"
	: >"$D/log"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -keyout "$D/k.pem" -out "$D/c.pem" 2>/dev/null
	dar_config "$(printf '  ssl_enable: true\n  ssl_cert: %s\n  ssl_key: %s' \
	    "$D/c.pem" "$D/k.pem")"
	sed -i "s/listen_addr: 127.0.0.1/listen_addr: 0.0.0.0/" "$D/app.yml"
	receiver_start "$D/app.yml" "$D/log"
	run curl -sS --cacert "$D/c.pem" -u directdnsonly:secret \
	    "https://127.0.0.1:$PORT/CMD_API_LOGIN_TEST"
	assert_output "error=0&text=Login+OK"
	receiver_stop
	run grep 'without TLS' "$D/log"
	assert_failure
}

# --- owner changes: a save from another DirectAdmin server ---------------

# owner_metric NAME: the value of NAME for DirectAdmin's saves in /metrics.
owner_metric() {
	metric_at "http://127.0.0.1:$PORT/metrics" "$1{source=\"directadmin\"}" \
	    -u directdnsonly:secret
}

@test "da-receive: a save from another server moves the zone's owner, logged with both hosts and counted in /metrics" {
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	assert_equal "$BODY" "error=0"
	rawsave example.com "&username=bob&hostname=s2.example.net" 2024010102
	assert_equal "$STATUS" 200
	assert_equal "$BODY" "error=0"
	run sqlite3 "$D/store.db" "SELECT hostname, username, serial FROM zones"
	assert_output "s2.example.net|bob|2024010102"
	assert_equal "$(owner_metric dadns_owner_changes_total)" 1
	# The same owner again is no change.
	rawsave example.com "&username=bob&hostname=S2.example.net" 2024010103
	assert_equal "$BODY" "error=0"
	assert_equal "$(owner_metric dadns_owner_changes_total)" 1
	receiver_stop
	run grep -c 'owner change' "$D/log"
	assert_output 1
	grep -q 'warning: owner change zone=example.com owner=s1.example.net new_owner=s2.example.net user=bob' "$D/log"
}

@test "da-receive: with app.allow_owner_change false a save from another server gets a clear error and changes nothing" {
	dar_config "  allow_owner_change: false"
	receiver_start "$D/app.yml" "$D/log"
	rawsave example.com
	assert_equal "$BODY" "error=0"
	rawsave example.com "&username=bob&hostname=s2.example.net" 2024010102
	assert_equal "$STATUS" 403
	assert_equal "$BODY" "error=1&text=Save+of+example.com+refused%3A+it+belongs+to+s1.example.net%2C+not+s2.example.net%2C+and+owner+changes+are+refused+here"
	run sqlite3 "$D/store.db" "SELECT hostname, username, serial FROM zones"
	assert_output "s1.example.net|fred|2021082500"
	assert_equal "$(jobs_in nsd new example.com)" 1
	assert_equal "$(owner_metric dadns_owner_changes_refused_total)" 1
	assert_equal "$(owner_metric dadns_owner_changes_total)" 0
	# The owner still saves and deletes its zone.
	rawsave example.com "" 2024010103
	assert_equal "$BODY" "error=0"
	printf 'action=delete&hostname=s1.example.net&select0=example.com' >"$D/del"
	da POST /CMD_API_DNS_ADMIN "$D/del"
	assert_equal "$BODY" "error=0"
	receiver_stop
	grep -q 'warning: save refused zone=example.com owner=s1.example.net requester=s2.example.net (app.allow_owner_change is false)' "$D/log"
}

# --- /metrics without DirectAdmin's password ------------------------------

# mcode [CURL_OPTION...]: the status of GET /metrics.
mcode() {
	curl -s -o /dev/null -w '%{http_code}' "$@" \
	    "http://127.0.0.1:$PORT/metrics"
}

@test "da-receive: with app.metrics_password, /metrics takes its own credentials and refuses DirectAdmin's" {
	dar_config "$(printf '  metrics_username: prom\n  metrics_password: scrape')"
	receiver_start "$D/app.yml" "$D/log"
	assert_equal "$(mcode -u prom:scrape)" 200
	assert_equal "$(mcode -u directdnsonly:secret)" 401
	assert_equal "$(mcode)" 401
	assert_equal "$(mcode -u prom:scrap)" 401
	assert_equal "$(mcode -u metrics:scrape)" 401
	run curl -s -u prom:scrape "http://127.0.0.1:$PORT/metrics"
	assert_line --partial 'dadns_start_time_seconds '
	# They open nothing else.
	for path in /status /CMD_API_LOGIN_TEST "/CMD_API_DNS_ADMIN?action=exists&domain=a.test" /internal/zones; do
		run curl -s -o /dev/null -w '%{http_code}' -u prom:scrape \
		    "http://127.0.0.1:$PORT$path"
		assert_output 401
	done
	login -u directdnsonly:secret
	assert_equal "$STATUS" 200
	receiver_stop
	grep -q 'info: /metrics takes the credentials of app.metrics_username only' "$D/log"
	grep -q 'warning: authentication failed ip=127.0.0.1 user=directdnsonly endpoint=metrics failures=1$' "$D/log"
	run grep -e scrape "$D/log"
	assert_failure
	# The same from the environment; the user name defaults to metrics.
	dar_config
	printf 'from-file\n' >"$D/mpw"
	DADNS_APP_METRICS_PASSWORD_FILE=$D/mpw receiver_start "$D/app.yml" "$D/log"
	assert_equal "$(mcode -u metrics:from-file)" 200
	assert_equal "$(mcode -u directdnsonly:secret)" 401
}

@test "da-receive: app.metrics_password without a user name refuses to start (exit 100)" {
	dar_config "$(printf '  metrics_username: ""\n  metrics_password: scrape')"
	run --separate-stderr da-receive -c "$D/app.yml"
	assert_failure 100
	assert_equal "$stderr" "da-receive: fatal: app.metrics_password is set but app.metrics_username is empty"
}

@test "da-receive: wrong /metrics credentials count towards the same per-source limit" {
	dar_config "$(printf '  metrics_password: scrape\n  auth_max_failures: 2\n  auth_lockout: 3600')"
	receiver_start "$D/app.yml" "$D/log"
	assert_equal "$(mcode -u metrics:wrong)" 401
	assert_equal "$(mcode -u directdnsonly:secret)" 401
	# Locked out: the right credentials, /metrics's or DirectAdmin's, too.
	assert_equal "$(mcode -u metrics:scrape)" 429
	login -u directdnsonly:secret
	assert_equal "$STATUS" 429
	assert_equal "$(mcode --interface 127.0.0.2 -u metrics:scrape)" 200
	run curl -s --interface 127.0.0.2 -u metrics:scrape \
	    "http://127.0.0.1:$PORT/metrics"
	assert_line 'dadns_auth_failures_total 2'
	assert_line 'dadns_auth_lockouts_total 1'
}

@test "da-receive: without app.metrics_password /metrics needs no credentials on loopback, and DirectAdmin's elsewhere with a warning" {
	receiver_start "$D/app.yml" "$D/log"
	assert_equal "$(mcode)" 200
	# Credentials sent anyway are not looked at.
	assert_equal "$(mcode -u nobody:nothing)" 200
	# Nothing else opens without them.
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/status"
	assert_output 401
	receiver_stop
	grep -q 'info: /metrics needs no credentials: listening on loopback only' "$D/log"
	run grep '/metrics takes' "$D/log"
	assert_failure
	sed -i "s/listen_addr: 127.0.0.1/listen_addr: '::1'/" "$D/app.yml"
	receiver_start "$D/app.yml" "$D/log"
	run curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/metrics"
	assert_output 200
	receiver_stop
	: >"$D/log"
	sed -i "s/listen_addr: '::1'/listen_addr: 0.0.0.0/" "$D/app.yml"
	receiver_start "$D/app.yml" "$D/log"
	assert_equal "$(mcode)" 401
	assert_equal "$(mcode -u directdnsonly:secret)" 200
	receiver_stop
	run grep '/metrics takes\|/metrics needs' "$D/log"
	assert_output "da-receive: warning: /metrics takes DirectAdmin's credentials: set app.metrics_username and app.metrics_password so that a Prometheus server needs no password that can delete zones"
}

@test "da-receive: SIGTERM lets a request in flight finish and be acknowledged, refuses new ones, then exits 0" {
	receiver_start "$D/app.yml" "$D/log"
	da_zone example.com >"$D/zone"
	local len half
	len=$(wc -c <"$D/zone")
	half=$((len / 2))
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /CMD_API_DNS_ADMIN?action=rawsave&domain=example.com&username=fred&hostname=s1.example.net HTTP/1.0\r\nHOST: ddo1.example.net\r\nAUTHORIZATION: Basic %s\r\nContent-Length: %d\r\n\r\n' "$AUTH" "$len" >&5
	head -c "$half" "$D/zone" >&5
	kill -TERM "$RECEIVER_PID"
	# The stop has begun once the log says so; only then the rest.
	wait_for 10 grep -q "stopping on signal" "$D/log"
	run timeout 5 bash -c 'exec 6<>"/dev/tcp/127.0.0.1/$0"' "$PORT"
	assert_failure
	tail -c +"$((half + 1))" "$D/zone" >&5
	run timeout 10 cat <&5
	exec 5<&-
	assert_output --partial "error=0"
	local rc=0
	wait "$RECEIVER_PID" || rc=$?
	RECEIVER_PID=
	assert_equal "$rc" 0
	assert_equal "$(zone_row example.com serial)" 2021082500
	assert_equal "$(jobs_in nsd new example.com)" 1
}
