#!/usr/bin/env bats
# config.bats -- lib/base/config.c through its driver t/unit/config: defaults,
# directdnsonly's app.yml, DADNS_* overrides, secrets and refusals.

load helper

FIX="$TOP/t/fixtures/config"
CONFIG="$TOP/t/unit/config"

setup() {
	[ -x "$CONFIG" ] || skip "t/unit/config not built (make)"
	cd "$BATS_TEST_TMPDIR"
}

# cfg [VAR=value...] [driver args...]: the driver in an empty environment
# (no DADNS_* from the caller), in the test's own directory.
cfg() {
	local vars=()
	while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do
		vars+=("$1")
		shift
	done
	run --separate-stderr env -i "${vars[@]}" "$CONFIG" "$@"
}

# write FILE: stdin into FILE in the test directory.
write() {
	cat >"$BATS_TEST_TMPDIR/$1"
}

no_system_config() {
	if [ -e /etc/directdnsonly/app.yml ] || [ -e /etc/directdnsonly/app.yaml ]; then
		skip "/etc/directdnsonly has an app.yml"
	fi
}

@test "config: without a file every key has directdnsonly's default and no password" {
	no_system_config
	cfg
	assert_success
	assert_line "path="
	assert_line "log_level=info"
	assert_line "queue_location=./data/queues"
	assert_line "datastore.db_location=./data/directdnsonly.db"
	assert_line "app.auth_username=directdnsonly"
	assert_line "app.auth_password="
	assert_line "app.listen_addr=0.0.0.0"
	assert_line "app.listen_port=2222"
	assert_line "app.ssl_enable=false"
	assert_line "app.proxy_support=true"
	assert_line "app.check_subdomain_owner_in_cluster_domainowners=true"
	assert_line "app.health_auth=false"
	assert_line "app.max_body=16777216"
	assert_line "app.max_connections=256"
	assert_line "app.max_connections_per_ip=32"
	assert_line "app.request_timeout=30"
	assert_line "peer_sync.enabled=false"
	assert_line "peer_sync.interval_minutes=15"
	assert_line "peer_sync.auth_username=peersync"
	assert_line "peer_sync.auth_password="
	assert_line "reconciliation.enabled=false"
	assert_line "reconciliation.dry_run=false"
	assert_line "reconciliation.interval_minutes=60"
	assert_line "reconciliation.initial_delay_minutes=0"
	assert_line "reconciliation.verify_ssl=true"
	assert_line "reconciliation.ipp=1000"
	assert_line "dns.nbackends=0"
	assert_line "queues="
	assert_line "nunknown=0"
}

@test "config: reads a full directdnsonly app.yml with nsd, bind and two coredns_mysql backends" {
	cfg -c "$FIX/full.yml"
	assert_success
	assert_line "path=$FIX/full.yml"
	assert_line "log_level=debug"
	assert_line "queue_location=/var/lib/directdnsonly/queues"
	assert_line "datastore.db_location=/var/lib/directdnsonly/directdnsonly.db"
	assert_line "app.auth_username=da-cluster"
	assert_line "app.auth_password=your-secret"
	assert_line "app.listen_port=2223"
	assert_line "app.ssl_enable=false"
	assert_line "app.check_subdomain_owner_in_cluster_domainowners=false"
	assert_line "dns.nbackends=4"
	assert_line "dns.backends.nsd.type=nsd"
	assert_line "dns.backends.nsd.enabled=true"
	assert_line "dns.backends.nsd.control_socket=/run/nsd/nsd.ctl"
	assert_line "dns.backends.nsd.pattern=da"
	assert_line "dns.backends.nsd.verify=127.0.0.1@53"
	assert_line "dns.backends.bind.type=bind"
	assert_line "dns.backends.bind.enabled=false"
	assert_line "dns.backends.bind.zones_dir=/etc/bind/zones"
	assert_line "dns.backends.bind.named_conf=/etc/bind/named.conf.directdnsonly"
	assert_line "dns.backends.coredns_dc1.type=coredns_mysql"
	assert_line "dns.backends.coredns_dc1.host=db1.dc1.example.net"
	assert_line "dns.backends.coredns_dc1.port=3306"
	assert_line "dns.backends.coredns_dc1.password=dc1-db-secret"
	assert_line "dns.backends.coredns_dc1.table_name=records"
	assert_line "dns.backends.coredns_dc2.enabled=true"
	assert_line "dns.backends.coredns_dc2.port=3307"
	assert_line "dns.backends.coredns_dc2.database=coredns_dc2"
	assert_line "dns.backends.coredns_dc2.username=coredns_w"
	assert_line "queues=nsd coredns_dc1 coredns_dc2"
	assert_line "peer_sync.enabled=true"
	assert_line "peer_sync.interval_minutes=5"
	assert_line "peer_sync.auth_password=peer-secret"
	assert_line "peer_sync.npeers=2"
	assert_line "peer_sync.peers[0].url=http://directdnsonly-mlb:2222"
	assert_line "peer_sync.peers[0].password=mlb-secret"
	assert_line "peer_sync.peers[1].url=https://ddo-akl.example.net:2222"
	assert_line "peer_sync.peers[1].username=peersync"
	assert_line "reconciliation.enabled=true"
	assert_line "reconciliation.dry_run=true"
	assert_line "reconciliation.interval_minutes=30"
	assert_line "reconciliation.initial_delay_minutes=2"
	assert_line "reconciliation.verify_ssl=false"
	assert_line "reconciliation.ipp=500"
	assert_line "reconciliation.nservers=2"
	assert_line "reconciliation.directadmin_servers[0].name=da.syd.example.com"
	assert_line "reconciliation.directadmin_servers[0].password=da-secret"
	assert_line "reconciliation.directadmin_servers[0].ssl=true"
	assert_line "reconciliation.directadmin_servers[1].name=da2.example.com"
	assert_line "reconciliation.directadmin_servers[1].hostname=192.0.2.7"
	assert_line "reconciliation.directadmin_servers[1].port=2443"
	assert_line "reconciliation.directadmin_servers[1].ssl=false"
	# timezone, app.log_to, dns.default_backend... are dead, not unknown
	assert_line "nunknown=0"
}

@test "config: backends get their type's default paths" {
	write app.yml <<-'EOF'
	dns:
	  backends:
	    nsd: {type: nsd}
	    bind: {type: bind, enabled: true}
	    mysql1: {type: coredns_mysql}
	EOF
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.nsd.zones_dir=/etc/nsd/zones"
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/nsd.conf"
	assert_line "dns.backends.nsd.control_socket="
	assert_line "dns.backends.nsd.pattern=da"
	assert_line "dns.backends.nsd.enabled=false"
	assert_line "dns.backends.bind.zones_dir=/etc/named/zones"
	assert_line "dns.backends.bind.named_conf=/etc/named.conf.local"
	assert_line "dns.backends.bind.rndc_conf="
	assert_line "dns.backends.mysql1.host=localhost"
	assert_line "dns.backends.mysql1.port=3306"
	assert_line "dns.backends.mysql1.database=coredns"
	assert_line "dns.backends.mysql1.username=coredns"
	assert_line "dns.backends.mysql1.password="
	assert_line "dns.backends.mysql1.table_name=records"
	assert_line "queues=bind"
}

@test "config: reads the bundled and the documented topology app.yml" {
	cfg -c "$FIX/bundled.yml"
	assert_success
	assert_line "dns.backends.bind.zones_dir=./data/zones"
	assert_line "dns.backends.bind.named_conf=./data/named.conf.include"
	assert_line "log_level=info"
	assert_line "queues=bind"
	cfg -c "$FIX/syd.yml"
	assert_success
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/nsd.conf.d/zones.conf"
	assert_line "peer_sync.peers[0].username=directdnsonly"
	assert_line "reconciliation.directadmin_servers[0].hostname=da.syd.example.com"
	assert_line "queues=nsd"
}

@test "config: YAML anchors and merge keys work, the mapping's own keys win" {
	cfg -c "$FIX/anchors.yml"
	assert_success
	assert_line "dns.backends.coredns_dc1.password=shared-db-secret"
	assert_line "dns.backends.coredns_dc2.password=shared-db-secret"
	assert_line "dns.backends.coredns_dc2.host=db.dc2.example.net"
	assert_line "dns.backends.coredns_dc2.enabled=false"
	assert_line "queues=coredns_dc1"
}

@test "config: keys are case-insensitive and backend names lower-cased" {
	write app.yml <<-'EOF'
	App:
	  Listen_Port: 2300
	DNS:
	  Backends:
	    NSD_Main: {Type: NSD, Enabled: TRUE}
	EOF
	cfg -c app.yml
	assert_success
	assert_line "app.listen_port=2300"
	assert_line "dns.backends.nsd_main.type=nsd"
	assert_line "queues=nsd_main"
}

@test "config: unknown keys are ignored but counted, the first named with its line" {
	write app.yml <<-'EOF'
	app:
	  auth_username: x
	  listen_prot: 2223
	bogus: 1
	EOF
	cfg -c app.yml
	assert_success
	assert_line "app.listen_port=2222"
	assert_line "nunknown=2"
	assert_line "unknown=app.yml:3: unknown key app.listen_prot ignored"
}

@test "config: searches ./app.yml, ./app.yaml, ./config/app.yml, ./config/app.yaml in that order" {
	no_system_config
	mkdir config
	echo 'app: {listen_port: 4004}' >config/app.yaml
	cfg
	assert_line "path=./config/app.yaml"
	assert_line "app.listen_port=4004"
	echo 'app: {listen_port: 4003}' >config/app.yml
	cfg
	assert_line "app.listen_port=4003"
	echo 'app: {listen_port: 4002}' >app.yaml
	cfg
	assert_line "app.listen_port=4002"
	echo 'app: {listen_port: 4001}' >app.yml
	cfg
	assert_success
	assert_line "path=./app.yml"
	assert_line "app.listen_port=4001"
}

@test "config: DADNS_CONFIG names the file when no -c is given" {
	echo 'app: {listen_port: 4010}' >other.yml
	echo 'app: {listen_port: 4011}' >app.yml
	cfg DADNS_CONFIG=other.yml
	assert_success
	assert_line "path=other.yml"
	assert_line "app.listen_port=4010"
	cfg DADNS_CONFIG=other.yml -c app.yml
	assert_line "app.listen_port=4011"
}

@test "config: a file given that cannot be read exits 100 naming it" {
	cfg -c missing.yml
	assert_failure 100
	assert_output ""
	[[ $stderr == *"missing.yml: No such file or directory"* ]]
	cfg DADNS_CONFIG=gone.yml
	assert_failure 100
	[[ $stderr == *"gone.yml: No such file or directory"* ]]
}

@test "config: DADNS_APP_AUTH_PASSWORD overrides the file" {
	cfg DADNS_APP_AUTH_PASSWORD=from-env -c "$FIX/full.yml"
	assert_success
	assert_line "app.auth_password=from-env"
	assert_line "app.auth_username=da-cluster"
}

@test "config: the dotted DADNS.APP.AUTH.PASSWORD overrides the file, the documented form wins over it" {
	cfg DADNS.APP.AUTH.PASSWORD=dotted -c "$FIX/full.yml"
	assert_success
	assert_line "app.auth_password=dotted"
	cfg DADNS.APP.AUTH.PASSWORD=dotted DADNS_APP_AUTH_PASSWORD=documented -c "$FIX/full.yml"
	assert_line "app.auth_password=documented"
	cfg DADNS.LOG.LEVEL=error DADNS.DNS.BACKENDS.COREDNS.DC1.ENABLED=false -c "$FIX/full.yml"
	assert_line "log_level=error"
	assert_line "queues=nsd coredns_dc2"
}

@test "config: every kind of scalar key can be set from the environment" {
	cfg DADNS_LOG_LEVEL=WARNING DADNS_QUEUE_LOCATION=/q \
	    DADNS_DATASTORE_DB_LOCATION=/db DADNS_DATASTORE_TYPE=sqlite \
	    DADNS_APP_AUTH_USERNAME=u DADNS_APP_LISTEN_ADDR=::1 \
	    DADNS_APP_LISTEN_PORT=8053 DADNS_APP_SSL_ENABLE=on \
	    DADNS_APP_SSL_CERT=/c.pem DADNS_APP_SSL_KEY=/k.pem \
	    DADNS_APP_PROXY_SUPPORT=no \
	    DADNS_APP_CHECK_SUBDOMAIN_OWNER_IN_CLUSTER_DOMAINOWNERS=0 \
	    DADNS_APP_HEALTH_AUTH=1 DADNS_APP_MAX_BODY=1024 \
	    DADNS_APP_MAX_CONNECTIONS=9 DADNS_APP_MAX_CONNECTIONS_PER_IP=3 \
	    DADNS_APP_REQUEST_TIMEOUT=5 DADNS_PEER_SYNC_ENABLED=yes \
	    DADNS_PEER_SYNC_INTERVAL_MINUTES=2 DADNS_PEER_SYNC_AUTH_PASSWORD=p \
	    DADNS_RECONCILIATION_ENABLED=true DADNS_RECONCILIATION_DRY_RUN=TRUE \
	    DADNS_RECONCILIATION_INTERVAL_MINUTES=7 \
	    DADNS_RECONCILIATION_VERIFY_SSL=false DADNS_RECONCILIATION_IPP=50 -c /dev/null
	assert_success
	assert_line "log_level=warning"
	assert_line "queue_location=/q"
	assert_line "datastore.db_location=/db"
	assert_line "app.auth_username=u"
	assert_line "app.listen_addr=::1"
	assert_line "app.listen_port=8053"
	assert_line "app.ssl_enable=true"
	assert_line "app.ssl_cert=/c.pem"
	assert_line "app.proxy_support=false"
	assert_line "app.check_subdomain_owner_in_cluster_domainowners=false"
	assert_line "app.health_auth=true"
	assert_line "app.max_body=1024"
	assert_line "app.max_connections=9"
	assert_line "app.max_connections_per_ip=3"
	assert_line "app.request_timeout=5"
	assert_line "peer_sync.enabled=true"
	assert_line "peer_sync.interval_minutes=2"
	assert_line "peer_sync.auth_password=p"
	assert_line "reconciliation.enabled=true"
	assert_line "reconciliation.dry_run=true"
	assert_line "reconciliation.interval_minutes=7"
	assert_line "reconciliation.verify_ssl=false"
	assert_line "reconciliation.ipp=50"
}

@test "config: an empty variable counts as unset" {
	cfg DADNS_APP_LISTEN_PORT= DADNS_APP_AUTH_PASSWORD= -c "$FIX/full.yml"
	assert_success
	assert_line "app.listen_port=2223"
	assert_line "app.auth_password=your-secret"
}

@test "config: an env-only nsd backend gets type nsd and its defaults" {
	cfg DADNS_DNS_BACKENDS_NSD_ENABLED=true DADNS_DNS_BACKENDS_NSD_ZONES_DIR=/x -c /dev/null
	assert_success
	assert_line "dns.nbackends=1"
	assert_line "dns.backends.nsd.type=nsd"
	assert_line "dns.backends.nsd.enabled=true"
	assert_line "dns.backends.nsd.zones_dir=/x"
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/nsd.conf"
	assert_line "dns.backends.nsd.pattern=da"
	assert_line "queues=nsd"
}

@test "config: env backend names may contain underscores and field names" {
	cfg DADNS_DNS_BACKENDS_COREDNS_MYSQL_ENABLED=true \
	    DADNS_DNS_BACKENDS_COREDNS_MYSQL_HOST=db1 \
	    DADNS_DNS_BACKENDS_COREDNS_MYSQL_PORT=3307 \
	    DADNS_DNS_BACKENDS_NSD_NSD_CONF=/etc/nsd/other.conf \
	    DADNS_DNS_BACKENDS_BIND_NAMED_CONF=/n.conf \
	    DADNS_DNS_BACKENDS_MY_NSD_TYPE=nsd -c /dev/null
	assert_success
	assert_line "dns.nbackends=4"
	assert_line "dns.backends.coredns_mysql.type=coredns_mysql"
	assert_line "dns.backends.coredns_mysql.host=db1"
	assert_line "dns.backends.coredns_mysql.port=3307"
	assert_line "dns.backends.coredns_mysql.table_name=records"
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/other.conf"
	assert_line "dns.backends.bind.type=bind"
	assert_line "dns.backends.bind.named_conf=/n.conf"
	assert_line "dns.backends.my_nsd.type=nsd"
	assert_line "queues=coredns_mysql"
}

@test "config: env variables override fields of the file's backends" {
	cfg DADNS_DNS_BACKENDS_COREDNS_DC1_HOST=db9.example.net \
	    DADNS_DNS_BACKENDS_COREDNS_DC2_TABLE_NAME=rr \
	    DADNS_DNS_BACKENDS_BIND_ENABLED=yes \
	    DADNS_DNS_BACKENDS_NSD_ENABLED=0 -c "$FIX/full.yml"
	assert_success
	assert_line "dns.nbackends=4"
	assert_line "dns.backends.coredns_dc1.host=db9.example.net"
	assert_line "dns.backends.coredns_dc1.password=dc1-db-secret"
	assert_line "dns.backends.coredns_dc2.table_name=rr"
	assert_line "queues=bind coredns_dc1 coredns_dc2"
}

@test "config: an env-only backend with no type and a name that is no type exits 100" {
	cfg DADNS_DNS_BACKENDS_EDGE_ENABLED=true -c /dev/null
	assert_failure 100
	[[ $stderr == *"dns.backends.edge.type: missing"*"DADNS_DNS_BACKENDS_EDGE_TYPE"* ]]
	cfg DADNS_DNS_BACKENDS_EDGE_ENABLED=true DADNS_DNS_BACKENDS_EDGE_TYPE=bind -c /dev/null
	assert_success
	assert_line "dns.backends.edge.zones_dir=/etc/named/zones"
}

@test "config: an unknown DADNS_DNS_BACKENDS_ field is counted as unknown" {
	cfg DADNS_DNS_BACKENDS_NSD_ZONESDIR=/x -c "$FIX/syd.yml"
	assert_success
	assert_line "dns.backends.nsd.zones_dir=/etc/nsd/zones"
	assert_line "nunknown=1"
	assert_line --partial "unknown=DADNS_DNS_BACKENDS_NSD_ZONESDIR"
}

@test "config: _FILE variables read secrets, without one trailing newline" {
	printf 'from-file\n' >pw
	printf 'two\nlines\n\n' >pw2
	printf 'db-secret\r\n' >dbpw
	cfg DADNS_APP_AUTH_PASSWORD_FILE=pw DADNS_PEER_SYNC_AUTH_PASSWORD_FILE=pw \
	    DADNS_DNS_BACKENDS_COREDNS_DC1_PASSWORD_FILE=dbpw -c "$FIX/full.yml"
	assert_success
	assert_line "app.auth_password=from-file"
	assert_line "peer_sync.auth_password=from-file"
	assert_line "dns.backends.coredns_dc1.password=db-secret"
	cfg DADNS_APP_AUTH_PASSWORD_FILE=pw2 -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_APP_AUTH_PASSWORD_FILE: contains a control character"* ]]
}

@test "config: a _FILE variable naming a missing file exits 100 naming the variable" {
	cfg DADNS_APP_AUTH_PASSWORD_FILE=/nonexistent/pw -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_APP_AUTH_PASSWORD_FILE: \"/nonexistent/pw\": No such file or directory"* ]]
	cfg DADNS_DNS_BACKENDS_NSD_PASSWORD_FILE=/nonexistent/pw -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_DNS_BACKENDS_NSD_PASSWORD_FILE: "*"No such file"* ]]
}

@test "config: a variable and its _FILE twin together exit 100" {
	printf 's\n' >pw
	cfg DADNS_APP_AUTH_PASSWORD=x DADNS_APP_AUTH_PASSWORD_FILE=pw -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_APP_AUTH_PASSWORD: set together with DADNS_APP_AUTH_PASSWORD_FILE"* ]]
}

@test "config: password_file keys in the file read secrets" {
	printf 'app-secret\n' >app.pw
	printf 'peer-secret\n' >peer.pw
	printf 'db-secret\n' >db.pw
	printf 'da-secret\n' >da.pw
	write app.yml <<-'EOF'
	app:
	  auth_password_file: app.pw
	peer_sync:
	  auth_password_file: peer.pw
	  peers:
	    - url: http://peer:2222
	      password_file: peer.pw
	dns:
	  backends:
	    coredns_dc1: {password_file: db.pw}
	reconciliation:
	  directadmin_servers:
	    - {hostname: da1, password_file: da.pw}
	EOF
	cfg -c app.yml
	assert_success
	assert_line "app.auth_password=app-secret"
	assert_line "peer_sync.auth_password=peer-secret"
	assert_line "peer_sync.peers[0].password=peer-secret"
	assert_line "dns.backends.coredns_dc1.password=db-secret"
	assert_line "reconciliation.directadmin_servers[0].password=da-secret"
	assert_line "nunknown=0"
	cfg DADNS_APP_AUTH_PASSWORD=env-wins -c app.yml
	assert_line "app.auth_password=env-wins"
}

@test "config: password and password_file together exit 100" {
	printf 's\n' >pw
	write app.yml <<-'EOF'
	app:
	  auth_password: x
	  auth_password_file: pw
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:3: app.auth_password_file: both auth_password and auth_password_file are set"* ]]
}

@test "config: a bad port in the file exits 100 naming file, line, key and value" {
	write app.yml <<-'EOF'
	app:
	  auth_username: x
	  listen_port: abc
	EOF
	cfg -c app.yml
	assert_failure 100
	assert_output ""
	[[ $stderr == *'app.yml:3: app.listen_port: not a number: "abc"'* ]]
	echo 'app: {listen_port: 0}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:1: app.listen_port: out of range (1-65535): 0"* ]]
}

@test "config: a bad port in the environment exits 100 naming the variable" {
	cfg DADNS_APP_LISTEN_PORT=70000 -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_APP_LISTEN_PORT: out of range (1-65535): 70000"* ]]
	cfg DADNS_APP_LISTEN_PORT=-1 -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_APP_LISTEN_PORT: not a number: "-1"'* ]]
	cfg DADNS_APP_MAX_BODY=1023 -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_APP_MAX_BODY: out of range (1024-"* ]]
}

@test "config: booleans take true/false/yes/no/on/off/1/0 in any case, and nothing else" {
	write app.yml <<-'EOF'
	app:
	  ssl_enable: "False"
	  proxy_support: OFF
	  health_auth: Yes
	reconciliation:
	  enabled: 1
	  verify_ssl: no
	EOF
	cfg -c app.yml
	assert_success
	assert_line "app.ssl_enable=false"
	assert_line "app.proxy_support=false"
	assert_line "app.health_auth=true"
	assert_line "reconciliation.enabled=true"
	assert_line "reconciliation.verify_ssl=false"
	echo 'reconciliation: {dry_run: maybe}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *'app.yml:1: reconciliation.dry_run: not a boolean: "maybe"'* ]]
	cfg DADNS_PEER_SYNC_ENABLED=enabled -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_PEER_SYNC_ENABLED: not a boolean: "enabled"'* ]]
}

@test "config: a backend name that is not a queue name exits 100" {
	write app.yml <<-'EOF'
	dns:
	  backends:
	    nsd: {type: nsd}
	    ../x: {type: nsd}
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *'app.yml:4: dns.backends: invalid backend name "../x"'* ]]
	echo 'dns: {backends: {tmp: {type: nsd}}}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"dns.backends.tmp: backend name \"tmp\" is reserved"* ]]
	cfg 'DADNS_DNS_BACKENDS_A.B_TYPE=nsd' -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_DNS_BACKENDS_A.B_TYPE: invalid backend name "a.b"'* ]]
}

@test "config: an unknown backend type exits 100 naming dns.backends.<name>.type" {
	write app.yml <<-'EOF'
	dns:
	  backends:
	    pdns:
	      enabled: true
	      type: powerdns
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *'app.yml:5: dns.backends.pdns.type: unknown type: "powerdns" (nsd, bind, knot, coredns_mysql)'* ]]
	cfg DADNS_DNS_BACKENDS_NSD_TYPE=djbdns -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_DNS_BACKENDS_NSD_TYPE: unknown type: "djbdns"'* ]]
}

@test "config: a knot backend gets knotd's defaults, and no secondaries" {
	echo 'dns: {backends: {knot: {enabled: true}}}' >app.yml
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.knot.type=knot"
	assert_line "dns.backends.knot.zones_dir=/var/lib/knot/dadns"
	assert_line "dns.backends.knot.control_socket=/run/knot/knot.sock"
	assert_line "dns.backends.knot.knot_conf=/var/lib/knot/dadns/dadns-zones.conf"
	assert_line "dns.backends.knot.template=dadns"
	echo 'dns: {backends: {k: {type: knot, template: "Bad Name"}}}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"dns.backends.k.template"* ]]
	echo 'dns: {backends: {k: {type: knot, secondaries: [{address: 192.0.2.1}]}}}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"dns.backends.k.secondaries: not for a knot backend"* ]]
}

@test "config: a file backend without type is typed by its name or refused" {
	echo 'dns: {backends: {bind: {enabled: true}, coredns_x: {}}}' >app.yml
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.bind.type=bind"
	assert_line "dns.backends.coredns_x.type=coredns_mysql"
	printf 'dns:\n  backends:\n    edge:\n      enabled: true\n' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:3: dns.backends.edge.type: missing"* ]]
}

@test "config: a YAML syntax error exits 100 naming the file and line" {
	write app.yml <<-'EOF'
	app:
	  auth_username: x
	  listen_port: [2222
	log_level: info
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr =~ app\.yml:[45]:\ YAML\ syntax\ error ]]
	printf 'app:\n  a: 1\n b: 2\n' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:3: YAML syntax error"* ]]
}

@test "config: datastore.type mysql is refused, sqlite accepted" {
	echo 'datastore: {type: mysql, host: db, port: 3306}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *'app.yml:1: datastore.type: not supported: "mysql"'* ]]
	echo 'datastore: {type: SQLite, host: db, user: u, pass: p, name: n}' >app.yml
	cfg -c app.yml
	assert_success
	assert_line "nunknown=0"
}

@test "config: a value longer than its field exits 100 naming the key, not the value" {
	long=$(printf 'x%.0s' $(seq 300))
	printf 'app:\n  auth_password: %s\n' "$long" >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:2: app.auth_password: too long (at most 255 bytes)"* ]]
	[[ $stderr != *xxxxxxxx* ]]
	cfg "DADNS_DNS_BACKENDS_NSD_PATTERN=$long" -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_DNS_BACKENDS_NSD_PATTERN: invalid name"* ]]
}

@test "config: log_level takes debug/info/warning/error in any case" {
	echo 'log_level: Warning' >app.yml
	cfg -c app.yml
	assert_line "log_level=warning"
	cfg DADNS_LOG_LEVEL=ERROR -c app.yml
	assert_line "log_level=error"
	cfg DADNS_LOG_LEVEL=loud -c app.yml
	assert_failure 100
	[[ $stderr == *'DADNS_LOG_LEVEL: unknown level: "loud"'* ]]
}

@test "config: nsd verify takes ADDR, ADDR:PORT or ADDR@PORT with a numeric address" {
	echo 'dns: {backends: {nsd: {verify: "::1@5353"}, n2: {type: nsd, verify: 127.0.0.1}, n3: {type: nsd, verify: "[::1]:5353"}}}' >app.yml
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.nsd.verify=::1@5353"
	assert_line "dns.backends.n2.verify=127.0.0.1"
	assert_line "dns.backends.n3.verify=[::1]:5353"
	echo 'dns: {backends: {nsd: {verify: "ns1.example.net@53"}}}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"dns.backends.nsd.verify: not ADDR, ADDR:PORT or ADDR@PORT"* ]]
	cfg DADNS_DNS_BACKENDS_NSD_VERIFY=127.0.0.1@0 -c /dev/null
	assert_failure 100
	[[ $stderr == *"DADNS_DNS_BACKENDS_NSD_VERIFY: not ADDR, ADDR:PORT or ADDR@PORT"* ]]
}

@test "config: app.listen_addr must be a numeric address" {
	cfg DADNS_APP_LISTEN_ADDR=localhost -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_APP_LISTEN_ADDR: not a numeric IPv4 or IPv6 address: "localhost"'* ]]
}

@test "config: TLS without a certificate and key exits 100" {
	cfg DADNS_APP_SSL_ENABLE=true DADNS_APP_SSL_CERT=/c.pem -c /dev/null
	assert_failure 100
	[[ $stderr == *"app.ssl_enable: true, but app.ssl_cert or app.ssl_key is empty"* ]]
}

@test "config: peers come from DADNS_PEER_SYNC_PEER[_n]_* and are de-duplicated by URL" {
	cfg DADNS_PEER_SYNC_PEER_URL=http://directdnsonly-mlb:2222 \
	    DADNS_PEER_SYNC_PEER_PASSWORD=ignored \
	    DADNS_PEER_SYNC_PEER_1_URL=http://ddo-2:2222 \
	    DADNS_PEER_SYNC_PEER_1_USERNAME=u2 \
	    DADNS_PEER_SYNC_PEER_1_PASSWORD=p2 \
	    DADNS_PEER_SYNC_PEER_2_URL=https://ddo-3:2222/ \
	    DADNS_PEER_SYNC_PEER_4_URL=http://after-a-gap:2222 \
	    -c "$FIX/syd.yml"
	assert_success
	assert_line "peer_sync.npeers=3"
	assert_line "peer_sync.peers[0].url=http://directdnsonly-mlb:2222"
	assert_line "peer_sync.peers[0].password=your-secret"
	assert_line "peer_sync.peers[1].url=http://ddo-2:2222"
	assert_line "peer_sync.peers[1].username=u2"
	assert_line "peer_sync.peers[1].password=p2"
	assert_line "peer_sync.peers[2].url=https://ddo-3:2222"
	assert_line "peer_sync.peers[2].username=peersync"
	assert_line "peer_sync.peers[2].password="
	refute_line --partial "after-a-gap"
}

@test "config: a peer URL that is not http(s) exits 100" {
	cfg DADNS_PEER_SYNC_PEER_1_URL=ddo-2:2222 -c /dev/null
	assert_failure 100
	[[ $stderr == *'DADNS_PEER_SYNC_PEER_1_URL: not an http:// or https:// URL: "ddo-2:2222"'* ]]
}

@test "config: more peers than CONFIG_PEERS_MAX exit 100 naming the key" {
	{
		echo "peer_sync:"
		echo "  peers:"
		for i in $(seq 17); do
			echo "    - url: http://peer$i:2222"
		done
	} >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:19: peer_sync.peers: too many entries (at most 16)"* ]]
	sed -i '$d' app.yml
	cfg -c app.yml
	assert_success
	assert_line "peer_sync.npeers=16"
	cfg DADNS_PEER_SYNC_PEER_URL=http://one-more -c app.yml
	assert_failure 100
	[[ $stderr == *"DADNS_PEER_SYNC_PEER_URL: too many peers (at most 16)"* ]]
}

@test "config: a DirectAdmin server needs a hostname; its name defaults to it" {
	write app.yml <<-'EOF'
	reconciliation:
	  directadmin_servers:
	    - {hostname: 10.0.0.5, name: da1.example.com}
	    - {hostname: da2.example.com, ssl: false, port: 2443}
	    - {username: admin}
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:5: reconciliation.directadmin_servers[2].hostname: missing"* ]]
	sed -i '$d' app.yml
	cfg -c app.yml
	assert_success
	assert_line "reconciliation.directadmin_servers[0].name=da1.example.com"
	assert_line "reconciliation.directadmin_servers[0].port=2222"
	assert_line "reconciliation.directadmin_servers[0].ssl=true"
	assert_line "reconciliation.directadmin_servers[1].name=da2.example.com"
	assert_line "reconciliation.directadmin_servers[1].port=2443"
	assert_line "reconciliation.directadmin_servers[1].ssl=false"
}

@test "config: duplicate keys exit 100 naming the line" {
	write app.yml <<-'EOF'
	app:
	  listen_port: 2222
	  auth_username: a
	  listen_port: 2223
	EOF
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *'app.yml:4: duplicate key "listen_port"'* ]]
}

@test "config: a file over 1 MiB and nesting deeper than 8 exit 100" {
	{ echo "app: {auth_username: x}"; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } >big.yml
	cfg -c big.yml
	assert_failure 100
	[[ $stderr == *"big.yml: larger than 1 MiB"* ]]
	echo 'x: {a: {b: {c: {d: {e: {f: {g: 1}}}}}}}' >app.yml
	cfg -c app.yml
	assert_success
	echo 'x: {a: {b: {c: {d: {e: {f: {g: {h: 1}}}}}}}}' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:1: nested deeper than 8 levels"* ]]
}

@test "config: a self-referencing alias exits 100" {
	echo 'a: &x [1, *x]' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:1: unknown YAML alias *x"* ]]
}

@test "config: a section that is not a mapping exits 100 naming it" {
	echo 'app: yes' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:1: app: expected a mapping"* ]]
	printf 'app:\n  listen_port: [1, 2]\n' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:2: app.listen_port: expected a single value, not a list"* ]]
}

@test "config: empty values keep the defaults" {
	printf 'app:\n  listen_port:\n  auth_username: ~\ndns:\n  backends:\n    nsd:\n' >app.yml
	cfg -c app.yml
	assert_success
	assert_line "app.listen_port=2222"
	assert_line "app.auth_username=directdnsonly"
	assert_line "dns.backends.nsd.zones_dir=/etc/nsd/zones"
}

@test "config: config_load_buffer() reads the same text as config_load()" {
	cfg -c "$FIX/full.yml"
	assert_success
	from_file=$output
	run --separate-stderr env -i "$CONFIG" -i "$FIX/full.yml" <"$FIX/full.yml"
	assert_success
	assert_equal "$output" "$from_file"
	run --separate-stderr env -i "$CONFIG" -i mem.yml <<<'app: {listen_port: x}'
	assert_failure 100
	[[ $stderr == *'mem.yml:1: app.listen_port: not a number: "x"'* ]]
}

@test "config: config_backend() finds a backend by name" {
	cfg -c "$FIX/full.yml" -b coredns_dc2
	assert_success
	assert_output "coredns_dc2 coredns_mysql enabled"
	cfg -c "$FIX/full.yml" -b bind
	assert_output "bind bind disabled"
	cfg -c "$FIX/full.yml" -b knot
	assert_failure 1
	assert_output ""
}

@test "config: etc/app.yml loads and differs from the defaults only by its example backends" {
	cfg -c /dev/null
	assert_success
	defaults=$(grep -v -e '^path=' -e '^dns\.' -e '^queues=' <<<"$output")
	cfg -c "$TOP/etc/app.yml"
	assert_success
	assert_line "nunknown=0"
	assert_line "dns.backends.nsd.enabled=true"
	assert_line "dns.backends.coredns_dc1.enabled=false"
	assert_equal "$(grep -v -e '^path=' -e '^dns\.' -e '^queues=' <<<"$output")" "$defaults"
}

@test "config: aliases count toward the nesting limit and merges toward the expansion limit" {
	printf 'a: &a {b: {c: {d: {e: {f: {g: 1}}}}}}\ny: [*a]\n' >app.yml
	cfg -c app.yml
	assert_success
	printf 'a: &a {b: {c: {d: {e: {f: {g: 1}}}}}}\ny: [[*a]]\n' >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"app.yml:2: nested deeper than 8 levels"* ]]
	{
		echo 'l0: &l0 {a: 1, b: 2}'
		printf 'l1: &l1 {<<: [*l0'; printf ', *l0%.0s' $(seq 399); echo ']}'
		printf 'l2: &l2 {<<: [*l1'; printf ', *l1%.0s' $(seq 399); echo ']}'
		echo 'app: {<<: *l2}'
	} >app.yml
	cfg -c app.yml
	assert_failure 100
	[[ $stderr == *"too complex"* ]]
}

@test "config: coredns_mysql TLS, socket and zones_table keys have defaults and take values" {
	write app.yml <<-'YML'
	dns:
	  backends:
	    coredns_dc1: {type: coredns_mysql, enabled: true}
	    coredns_dc2:
	      type: coredns_mysql
	      enabled: true
	      socket: /run/mysqld/mysqld.sock
	      zones_table: dns_zones
	      table_name: dns_records
	      tls: true
	      tls_verify: false
	      tls_ca: /etc/ssl/db-ca.pem
	      tls_cert: /etc/ssl/db-client.pem
	      tls_key: /etc/ssl/db-client.key
	YML
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.coredns_dc1.zones_table=zones"
	assert_line "dns.backends.coredns_dc1.socket="
	assert_line "dns.backends.coredns_dc1.tls=false"
	assert_line "dns.backends.coredns_dc1.tls_verify=true"
	assert_line "dns.backends.coredns_dc1.tls_ca="
	assert_line "dns.backends.coredns_dc2.socket=/run/mysqld/mysqld.sock"
	assert_line "dns.backends.coredns_dc2.zones_table=dns_zones"
	assert_line "dns.backends.coredns_dc2.table_name=dns_records"
	assert_line "dns.backends.coredns_dc2.tls=true"
	assert_line "dns.backends.coredns_dc2.tls_verify=false"
	assert_line "dns.backends.coredns_dc2.tls_ca=/etc/ssl/db-ca.pem"
	assert_line "dns.backends.coredns_dc2.tls_cert=/etc/ssl/db-client.pem"
	assert_line "dns.backends.coredns_dc2.tls_key=/etc/ssl/db-client.key"
}

@test "config: coredns_mysql TLS keys and the password file come from the environment" {
	printf 'db-secret\n' >pw
	cfg DADNS_DNS_BACKENDS_COREDNS_DC1_TLS=true \
	    DADNS_DNS_BACKENDS_COREDNS_DC1_TLS_VERIFY=no \
	    DADNS_DNS_BACKENDS_COREDNS_DC1_TLS_CA=/ca.pem \
	    DADNS_DNS_BACKENDS_COREDNS_DC1_ZONES_TABLE=z2 \
	    DADNS_DNS_BACKENDS_COREDNS_DC1_PASSWORD_FILE="$BATS_TEST_TMPDIR/pw"
	assert_success
	assert_line "dns.backends.coredns_dc1.type=coredns_mysql"
	assert_line "dns.backends.coredns_dc1.tls=true"
	assert_line "dns.backends.coredns_dc1.tls_verify=false"
	assert_line "dns.backends.coredns_dc1.tls_ca=/ca.pem"
	assert_line "dns.backends.coredns_dc1.zones_table=z2"
	assert_line "dns.backends.coredns_dc1.password=db-secret"
}

@test "config: coredns_mysql TLS files without tls, a lone tls_cert and bad table names are refused" {
	write a.yml <<-'YML'
	dns: {backends: {coredns_dc1: {type: coredns_mysql, tls_ca: /ca.pem}}}
	YML
	cfg -c a.yml
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"dns.backends.coredns_dc1.tls_ca: set, but tls is false"* ]]
	write b.yml <<-'YML'
	dns: {backends: {coredns_dc1: {type: coredns_mysql, tls: true, tls_cert: /c.pem}}}
	YML
	cfg -c b.yml
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"dns.backends.coredns_dc1.tls_key: tls_cert and tls_key go together"* ]]
	write c.yml <<-'YML'
	dns: {backends: {coredns_dc1: {type: coredns_mysql, zones_table: "zones`; DROP"}}}
	YML
	cfg -c c.yml
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"zones_table: invalid table name"* ]]
	write d.yml <<-'YML'
	dns: {backends: {coredns_dc1: {type: coredns_mysql, zones_table: records}}}
	YML
	cfg -c d.yml
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"zones_table: must differ from table_name"* ]]
	write e.yml <<-'YML'
	dns: {backends: {coredns_dc1: {type: coredns_mysql, tls: maybe}}}
	YML
	cfg -c e.yml
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"dns.backends.coredns_dc1.tls"* ]]
}

# typo_file: app.yml with one typo key in each section.
typo_file() {
	write app.yml <<-'EOF'
	app:
	  auth_username: x
	  listen_prot: 2223
	dns:
	  backends:
	    nsd:
	      enabled: false
	      zone_dir: /nowhere
	vrrp:
	  prio: 3
	dns_proxy:
	  listen: 127.0.0.1:5353
	  qps_limt: 3
	  pools:
	    auth:
	      backends: ["127.0.0.1:53"]
	EOF
}

# warned PROGRAM: each typo of the common sections was a warning line.
warned() {
	[[ $stderr == *"$1: warning: app.yml:3: unknown key app.listen_prot ignored"* ]]
	[[ $stderr == *"$1: warning: app.yml:8: unknown key dns.backends.nsd.zone_dir ignored"* ]]
	[[ $stderr == *"$1: warning: app.yml:10: unknown key vrrp.prio ignored"* ]]
}

@test "config: an unknown key is one warning line from da-receive, with the same rule everywhere" {
	typo_file
	run --separate-stderr env -i PATH="$PATH" da-receive -c app.yml
	[ "$status" -eq 100 ]
	warned da-receive
	[[ $stderr == *"da-receive: fatal: no password configured"* ]]
	# dns_proxy: keys are dns-proxy's to know
	[[ $stderr != *"qps_limt"* ]]
}

@test "config: an unknown key is one warning line from a writer" {
	typo_file
	run --separate-stderr env -i PATH="$PATH" zone-write-nsd -c app.yml delete example.com
	[ "$status" -eq 100 ]
	warned zone-write-nsd
	[[ $stderr == *"zone-write-nsd: fatal: no enabled nsd backend"* ]]
	[ "$(grep -c 'warning: .*unknown key' <<<"$stderr")" -eq 3 ]
}

@test "config: an unknown key is a warning from vrrp-watch, fatal only for dns-proxy -n" {
	typo_file
	run --separate-stderr env -i PATH="$PATH" vrrp-watch -f app.yml -c 127.0.0.1:1 -W 200 check
	[ "$status" -eq 1 ]
	warned vrrp-watch
	run --separate-stderr env -i PATH="$PATH" dns-proxy -n -c app.yml
	[ "$status" -eq 100 ]
	warned dns-proxy
	[[ $stderr == *"dns-proxy: warning: app.yml:13: unknown key dns_proxy.qps_limt ignored"* ]]
	[[ $stderr == *"dns-proxy: fatal: app.yml: 4 unknown keys"* ]]
	sed -i -e '/listen_prot/d' -e '/zone_dir/d' -e '/prio:/d' -e '/qps_limt/d' app.yml
	run --separate-stderr env -i PATH="$PATH" dns-proxy -n -c app.yml
	assert_success
	[[ $output == *"ok: listen=1 pools=1 backends=1"* ]]
	[ -z "$stderr" ]
}

@test "config: more unknown keys than are named are counted in one line" {
	{
		echo "app:"
		for i in 1 2 3 4 5 6 7 8 9 10; do echo "  typo$i: 1"; done
	} >app.yml
	run --separate-stderr env -i PATH="$PATH" zone-write-nsd -c app.yml delete example.com
	[ "$(grep -c 'unknown key app.typo' <<<"$stderr")" -eq 8 ]
	[[ $stderr == *"zone-write-nsd: warning: 2 more unknown keys ignored"* ]]
	cfg -c app.yml
	assert_success
	assert_line "nunknown=10"
}

@test "config: dns_proxy: is read through the same search path, app.yaml included" {
	no_system_config
	mkdir config
	cat >config/app.yaml <<-'EOF'
	dns_proxy:
	  listen: 127.0.0.1:5353
	  pools:
	    auth:
	      backends: ["127.0.0.1:53"]
	EOF
	run --separate-stderr env -i PATH="$PATH" dns-proxy -n
	assert_success
	[[ $output == "./config/app.yaml: ok: listen=1 pools=1 backends=1"* ]]
	# the file's other sections are checked too
	printf 'app:\n  listen_port: abc\n' >>config/app.yaml
	run --separate-stderr env -i PATH="$PATH" dns-proxy -n
	[ "$status" -eq 100 ]
	[[ $stderr == *"./config/app.yaml:7: app.listen_port: not a number: \"abc\""* ]]
	# and a file over 1 MiB is refused, as for every program
	head -c 1100000 /dev/zero | tr '\0' '#' >big.yml
	run --separate-stderr env -i PATH="$PATH" dns-proxy -n -c big.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *"big.yml: larger than 1 MiB"* ]]
}

@test "config: DADNS_DNS_PROXY_* and DADNS.DNS_PROXY.* override dns_proxy: keys" {
	write app.yml <<-'EOF'
	dns_proxy:
	  listen: 127.0.0.1:5353
	  workers: 2
	  pools:
	    auth:
	      backends: ["127.0.0.1:53"]
	EOF
	run --separate-stderr env -i PATH="$PATH" DADNS_DNS_PROXY_WORKERS=3 dns-proxy -n -c app.yml
	assert_success
	[[ $output == *"workers=3"* ]]
	run --separate-stderr env -i PATH="$PATH" DADNS.DNS_PROXY.WORKERS=4 dns-proxy -n -c app.yml
	assert_success
	[[ $output == *"workers=4"* ]]
	run --separate-stderr env -i PATH="$PATH" DADNS_DNS_PROXY_WORKERS=99 dns-proxy -n -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *"DADNS_DNS_PROXY_WORKERS: 99 is out of range 1..64"* ]]
}

@test "config: the vrrp: section is checked, naming file, line and key" {
	write app.yml <<-'EOF'
	vrrp:
	  interface: eth0
	  vrid: 51
	  priority: 300
	EOF
	cfg -c app.yml
	[ "$status" -eq 100 ]
	assert_equal "$stderr" "config: fatal: app.yml:4: vrrp.priority: out of range (1-255): 300"
	printf 'vrrp:\n  vips: [10.0.0.1, 224.0.0.18]\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *'app.yml:2: vrrp.vips: not an IPv4 or IPv6 address[/LEN]: "224.0.0.18"'* ]]
	printf 'vrrp:\n  vips: 10.0.0.1/24 10.0.0.1\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *'app.yml:2: vrrp.vips: duplicate VIP "10.0.0.1"'* ]]
	printf 'vrrp:\n  vips: 10.0.0.1/33\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	printf 'vrrp:\n  preempt: maybe\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *"app.yml:2: vrrp.preempt: not a boolean"* ]]
	printf 'vrrp:\n  check: localhost:53\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *"app.yml:2: vrrp.check: not ADDR, ADDR:PORT or ADDR@PORT"* ]]
	printf 'vrrp:\n  auth_pass_file: missing.txt\n' >app.yml
	cfg -c app.yml
	[ "$status" -eq 100 ]
	[[ $stderr == *'app.yml:2: vrrp.auth_pass_file: "missing.txt": No such file or directory'* ]]
	printf 'vrrp:\n  check_type: NOPE\n  check: 127.0.0.1:1\n' >app.yml
	run --separate-stderr env -i PATH="$PATH" vrrp-watch -f app.yml check
	[ "$status" -eq 100 ]
	[[ $stderr == *"invalid vrrp.check_type: NOPE"* ]]
}

@test "config: a whole vrrp: section loads, VIPs as a list or a string, with no DADNS_VRRP_* variables" {
	write app.yml <<-'EOF'
	vrrp:
	  interface: eth0
	  vrid: 51
	  priority: 150
	  advert: 100
	  preempt: false
	  preempt_delay: 500
	  vips: [10.0.0.1, 10.0.0.2/24]
	  version: 2
	  auth_pass: s3cr3tpw
	  check: "[::1]:5300"
	  check_name: example.com
	  check_type: A
	  check_interval: 200
	  check_timeout: 100
	  check_fall: 2
	  check_rise: 3
	  check_cmd: "true"
	  notify: "logger vrrp"
	  status: /run/vrrp-watch.status
	EOF
	cfg -c app.yml
	assert_success
	assert_line "nunknown=0"
	cfg DADNS_VRRP_PRIORITY=999 -c app.yml
	assert_success
	printf 'vrrp:\n  vips: "10.0.0.1, 10.0.0.2/24"\n' >app.yml
	cfg -c app.yml
	assert_success
}

@test "config: nsd_main_conf defaults to /etc/nsd/nsd.conf, set in the file or by its variable" {
	write app.yml <<-EOF
	dns:
	  backends:
	    nsd:
	      type: nsd
	      enabled: true
	      nsd_conf: /etc/nsd/nsd.conf.d/zones.conf
	    nsd2:
	      type: nsd
	      nsd_main_conf: /usr/local/etc/nsd/nsd.conf
	EOF
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/nsd.conf.d/zones.conf"
	assert_line "dns.backends.nsd.nsd_main_conf=/etc/nsd/nsd.conf"
	assert_line "dns.backends.nsd2.nsd_main_conf=/usr/local/etc/nsd/nsd.conf"
	cfg DADNS_DNS_BACKENDS_NSD_NSD_MAIN_CONF=/m.conf -c app.yml
	assert_success
	assert_line "dns.backends.nsd.nsd_main_conf=/m.conf"
	assert_line "dns.backends.nsd.nsd_conf=/etc/nsd/nsd.conf.d/zones.conf"
}

SECRET=MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=

@test "config: secondaries of a backend load with their TSIG keys, a catalog zone by default" {
	write s.secret <<<"$SECRET"
	write app.yml <<-EOF
	dns:
	  backends:
	    nsd:
	      enabled: true
	      secondaries:
	        - address: 192.0.2.2
	          tsig_key: XFR-ns2.Example.
	          tsig_secret_file: s.secret
	        - address: "[2001:db8::2]:5353"
	        - address: 198.51.100.3@5300
	          tsig_key: xfr-ns3
	          tsig_algorithm: HMAC-SHA512
	          tsig_secret: $SECRET
	    bind:
	      catalog_zone: Cat.Example.
	    bind2:
	      type: bind
	      catalog_zone: ""
	      secondaries:
	        - address: 192.0.2.9
	EOF
	cfg -c app.yml
	assert_success
	assert_line "dns.backends.nsd.nsecondaries=3"
	assert_line "dns.backends.nsd.catalog_zone=catalog.invalid"
	assert_line "dns.backends.nsd.secondaries[0].addr=192.0.2.2"
	assert_line "dns.backends.nsd.secondaries[0].port=53"
	assert_line "dns.backends.nsd.secondaries[0].tsig_key=xfr-ns2.example"
	assert_line "dns.backends.nsd.secondaries[0].tsig_algorithm=hmac-sha256"
	assert_line "dns.backends.nsd.secondaries[0].tsig_secret=$SECRET"
	assert_line "dns.backends.nsd.secondaries[1].addr=2001:db8::2"
	assert_line "dns.backends.nsd.secondaries[1].port=5353"
	assert_line "dns.backends.nsd.secondaries[1].tsig_key="
	assert_line "dns.backends.nsd.secondaries[2].port=5300"
	assert_line "dns.backends.nsd.secondaries[2].tsig_algorithm=hmac-sha512"
	# A catalog without secondaries when named; none when "" says so.
	assert_line "dns.backends.bind.catalog_zone=cat.example"
	assert_line "dns.backends.bind.nsecondaries=0"
	assert_line "dns.backends.bind2.catalog_zone="
	assert_line "dns.backends.bind2.nsecondaries=1"
	assert_line "nunknown=0"
}

@test "config: secondaries come from DADNS_DNS_BACKENDS_<NAME>_SECONDARY[_n]_* after the file's" {
	write s.secret <<<"$SECRET"
	write app.yml <<-'EOF'
	dns:
	  backends:
	    nsd:
	      enabled: true
	      secondaries:
	        - address: 192.0.2.2
	EOF
	cfg DADNS_DNS_BACKENDS_NSD_SECONDARY_ADDRESS=192.0.2.2 \
	    DADNS_DNS_BACKENDS_NSD_SECONDARY_1_ADDRESS=10.0.0.1@54 \
	    DADNS_DNS_BACKENDS_NSD_SECONDARY_1_TSIG_KEY=k1 \
	    DADNS_DNS_BACKENDS_NSD_SECONDARY_1_TSIG_SECRET_FILE=s.secret \
	    DADNS_DNS_BACKENDS_NSD_SECONDARY_2_ADDRESS=10.0.0.2 \
	    DADNS_DNS_BACKENDS_NSD_SECONDARY_4_ADDRESS=10.0.0.4 \
	    DADNS_DNS_BACKENDS_NSD_CATALOG_ZONE=cat.example.net \
	    -c app.yml
	assert_success
	# The unnumbered one repeats the file's address: skipped; n stops at 3.
	assert_line "dns.backends.nsd.nsecondaries=3"
	assert_line "dns.backends.nsd.secondaries[1].addr=10.0.0.1"
	assert_line "dns.backends.nsd.secondaries[1].port=54"
	assert_line "dns.backends.nsd.secondaries[1].tsig_key=k1"
	assert_line "dns.backends.nsd.secondaries[1].tsig_secret=$SECRET"
	assert_line "dns.backends.nsd.secondaries[2].addr=10.0.0.2"
	assert_line "dns.backends.nsd.catalog_zone=cat.example.net"
	# A backend made from variables alone takes them too.
	cfg DADNS_DNS_BACKENDS_BIND_ENABLED=true \
	    DADNS_DNS_BACKENDS_BIND_SECONDARY_ADDRESS=127.0.0.2
	assert_success
	assert_line "dns.backends.bind.secondaries[0].addr=127.0.0.2"
	assert_line "dns.backends.bind.catalog_zone=catalog.invalid"
	# A misspelt field or a backend nobody defines is one warning.
	cfg DADNS_DNS_BACKENDS_NSD_SECONDARY_1_TSIG_KYE=x -c app.yml
	assert_success
	assert_line "nunknown=1"
	assert_line "unknown=DADNS_DNS_BACKENDS_NSD_SECONDARY_1_TSIG_KYE: unknown variable ignored (no such backend field)"
	cfg DADNS_DNS_BACKENDS_NOPE_SECONDARY_ADDRESS=10.0.0.1 -c app.yml
	assert_success
	assert_line "unknown=DADNS_DNS_BACKENDS_NOPE_SECONDARY_ADDRESS: unknown variable ignored (no such backend)"
}

@test "config: bad secondaries and catalog names are refused naming the key, never showing the secret" {
	bad_sec() {
		printf 'dns:\n  backends:\n    %s:\n      enabled: true\n%s\n' "$1" "$2" >app.yml
		cfg -c app.yml
		[ "$status" -eq 100 ] || { echo "accepted: $2"; return 1; }
		[[ $stderr == *"$3"* ]] || { echo "stderr: $stderr (wanted $3)"; return 1; }
		[[ $stderr != *"$SECRET"* ]] || { echo "secret shown: $stderr"; return 1; }
	}
	bad_sec nsd '      secondaries:
        - address: ns2.example.net' 'app.yml:6: dns.backends.nsd.secondaries[0].address: not ADDR'
	bad_sec nsd '      secondaries:
        - tsig_key: k' 'app.yml:6: dns.backends.nsd.secondaries[0].address: missing'
	bad_sec nsd '      secondaries:
        - address: 192.0.2.2
          tsig_key: k' 'dns.backends.nsd.secondaries[0].tsig_secret: missing'
	bad_sec nsd "      secondaries:
        - address: 192.0.2.2
          tsig_secret: $SECRET" 'dns.backends.nsd.secondaries[0].tsig_secret: set, but tsig_key is empty'
	bad_sec nsd "      secondaries:
        - address: 192.0.2.2
          tsig_key: k
          tsig_algorithm: hmac-md5
          tsig_secret: $SECRET" 'tsig_algorithm: hmac-md5 is not accepted'
	bad_sec nsd "      secondaries:
        - address: 192.0.2.2
          tsig_key: k
          tsig_algorithm: sha256
          tsig_secret: $SECRET" 'tsig_algorithm: unknown TSIG algorithm: "sha256"'
	bad_sec nsd '      secondaries:
        - address: 192.0.2.2
          tsig_key: k
          tsig_secret: "abc!"' 'tsig_secret: not base64'
	bad_sec nsd '      secondaries:
        - address: 192.0.2.2
          tsig_key: k
          tsig_secret: c2hvcnQ=' 'tsig_secret: decodes to 5 bytes'
	bad_sec nsd '      secondaries:
        - address: 192.0.2.2
          tsig_key: "k;}"' 'tsig_key: not a domain name'
	bad_sec nsd '      secondaries:
        - address: 192.0.2.2
        - address: 192.0.2.2@53' 'secondaries[1].address: 192.0.2.2@53 is listed twice'
	bad_sec nsd "      secondaries:
        - address: 192.0.2.2
          tsig_key: k
          tsig_secret: $SECRET
        - address: 192.0.2.3
          tsig_key: k
          tsig_secret: QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" 'secondaries[1].tsig_key: k is given another algorithm or secret'
	bad_sec nsd '      secondaries: 192.0.2.2' 'dns.backends.nsd.secondaries: expected a list'
	bad_sec nsd '      catalog_zone: "cat..example"' 'dns.backends.nsd.catalog_zone: not a domain name'
	bad_sec nsd '      catalog_zone: "a/b"' 'dns.backends.nsd.catalog_zone: not a domain name'
	bad_sec coredns_dc1 '      secondaries:
        - address: 192.0.2.2' 'dns.backends.coredns_dc1.secondaries: not for a coredns_mysql backend'
	local list='      secondaries:' i
	for i in 1 2 3 4 5 6 7 8 9; do
		list+=$'\n'"        - address: 192.0.2.$i"
	done
	bad_sec nsd "$list" 'secondaries: too many entries (at most 8)'
}

@test "config: dadns-checkconf prints every fault of the secondaries on its own line" {
	write app.yml <<-'EOF'
	app:
	  auth_password: x
	dns:
	  backends:
	    nsd:
	      enabled: true
	      zones_dir: ./z
	      secondaries:
	        - address: nope
	        - address: 192.0.2.2
	          tsig_key: k
	        - address: 192.0.2.3
	          tsig_algorithm: hmac-md5
	      catalog_zone: "bad..name"
	EOF
	run --separate-stderr env -i "$TOP/bin/dadns-checkconf" -c app.yml
	[ "$status" -eq 100 ]
	assert_line --index 0 --partial 'app.yml:9: dns.backends.nsd.secondaries[0].address: not ADDR'
	assert_line --index 1 --partial 'app.yml:13: dns.backends.nsd.secondaries[2].tsig_algorithm: hmac-md5 is not accepted'
	assert_line --index 2 --partial 'app.yml:14: dns.backends.nsd.catalog_zone: not a domain name'
	assert_line --index 3 --partial 'app.yml:10: dns.backends.nsd.secondaries[1].tsig_secret: missing'
	[ "${#lines[@]}" -eq 4 ]
	[[ $stderr == *"4 faults"* ]]
}
