# image.bash -- containers of the image in $IMAGE_ROOT for t/image/*.bats:
# each one an overlay of the image (its own upper layer, kept across a
# restart), its /app/data and /app/config from the test's directory,
# s6-svscan as PID 1 of a fresh PID namespace, chrooted, in a network
# namespace of the test (its own loopback: the image's ports 2222 and 53).
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
umask 022

DA_PASSWORD=image-secret

# wait_for TIMEOUT_SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$(( i + 1 ))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
}

# netns NAME: a network namespace with its loopback up, removed by
# teardown. Sets NS.
netns() {
	NS=dadns-img-$$-$1
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	echo "$NS" >>"$BATS_TEST_TMPDIR/netns"
}

# in_ns COMMAND...: COMMAND in the network namespace $NS.
in_ns() {
	ip netns exec "$NS" "$@"
}

# ct_start NAME [VAR=VALUE...]: boot container NAME in $NS with only the
# given environment. Its files are in $BATS_TEST_TMPDIR/NAME (data/,
# config/, log). Sets CT_PID (the unshare process).
ct_start() {
	local c=$BATS_TEST_TMPDIR/$1
	shift
	mkdir -p "$c/upper" "$c/work" "$c/root" "$c/data" "$c/config" "$c/mysql"
	ip netns exec "$NS" unshare --pid --fork --mount --propagation private \
	    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" sh -c '
		set -e
		c=$1 img=$2
		mount -t overlay overlay -o "lowerdir=$img,upperdir=$c/upper,workdir=$c/work" "$c/root"
		mount --rbind /dev "$c/root/dev"
		mount -t proc proc "$c/root/proc"
		mount -t tmpfs -o mode=755 tmpfs "$c/root/run"
		mount --bind "$c/data" "$c/root/app/data"
		mount --bind "$c/config" "$c/root/app/config"
		mkdir -p "$c/root/run/mysqld"
		mount --bind "$c/mysql" "$c/root/run/mysqld"
		exec chroot "$c/root" /usr/lib/dadns/init' sh "$c" "$IMAGE_ROOT" \
	    </dev/null >>"$c/log" 2>&1 &
	CT_PID=$!
	echo "$CT_PID" >>"$BATS_TEST_TMPDIR/pids"
}

# ct_pid1: the host's PID of the container's PID 1 (the child of unshare).
ct_pid1() {
	cat "/proc/$CT_PID/task/$CT_PID/children" 2>/dev/null | tr -d ' '
}

# ct_exec COMMAND...: COMMAND inside the container (its namespaces, root
# and /app).
ct_exec() {
	nsenter -t "$(ct_pid1)" -n -m -p -r -w env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# ct_stop: SIGTERM to the container's PID 1; succeeds when it exited
# within 10 s.
ct_stop() {
	local p1 i=0
	wait_for 10 test -n "$(ct_pid1)"
	p1=$(ct_pid1)
	kill -TERM "$p1"
	while kill -0 "$CT_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$(( i + 1 ))
	done
	! kill -0 "$CT_PID" 2>/dev/null
}

# ct_ready [PORT]: /health answers on PORT (default 2222) in $NS.
ct_ready() {
	wait_for 30 in_ns curl -fsS "http://127.0.0.1:${1:-2222}/health"
}

# serial ZONE [PORT]: the SOA serial the DNS server in $NS answers for
# ZONE (port 53 by default), else the rcode word.
serial() {
	local out
	out=$(in_ns dig +norec +time=2 +tries=1 -p "${2:-53}" @127.0.0.1 "$1" SOA)
	if echo "$out" | grep -q 'status: NOERROR'; then
		in_ns dig +norec +short +time=2 +tries=1 -p "${2:-53}" @127.0.0.1 "$1" SOA |
		    awk '{print $3}'
	else
		echo "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
	fi
}

# served ZONE ANSWER [PORT]
served() {
	[ "$(serial "$1" "${3:-}")" = "$2" ]
}

# da_zone ZONE SERIAL: a zone as DirectAdmin sends it.
da_zone() {
	printf '$TTL 3600\n'
	printf '@ IN SOA ns1.example.net. hostmaster.%s. ( %s 3600 3600 1209600 86400 )\n' "$1" "$2"
	printf '%s. 3600 IN NS ns1.example.net.\n' "$1"
	printf 'www 3600 IN A 192.0.2.10\n'
	printf '%s. 3600 IN MX 10 mail\n' "$1"
	printf 'mail 3600 IN A 192.0.2.10\n'
}

# da URL-PATH [CURL ARGS...]: a request of DirectAdmin to da-receive on
# ${DA_PORT:-2222} in $NS.
da() {
	local p=$1
	shift
	in_ns curl -s --http1.0 --max-time 10 -u "directdnsonly:$DA_PASSWORD" \
	    "$@" "http://127.0.0.1:${DA_PORT:-2222}$p"
}

da_login() {
	da /CMD_API_LOGIN_TEST
}

da_save() {
	da_zone "$1" "$2" | da "/CMD_API_DNS_ADMIN?action=rawsave&domain=$1&hostname=da1.example.net&username=admin" \
	    --data-binary @-
}

da_delete() {
	da /CMD_API_DNS_ADMIN -H 'Content-Type:' \
	    --data-binary "action=delete&cluster=yes&hostname=da1.example.net&select0=$1"
}

da_exists() {
	da "/CMD_API_DNS_ADMIN?action=exists&domain=$1"
}

# Every container still running is killed (its PID 1, the child of the
# unshare recorded), every other process recorded (MariaDB) stopped, every
# namespace removed; the containers' logs of a failed test are shown.
teardown() {
	local p c
	if [ -f "$BATS_TEST_TMPDIR/pids" ]; then
		for p in $(cat "$BATS_TEST_TMPDIR/pids"); do
			kill -0 "$p" 2>/dev/null || continue
			c=$(cat "/proc/$p/task/$p/children" 2>/dev/null)
			if [ -n "$c" ]; then
				# shellcheck disable=SC2086
				kill -KILL $c 2>/dev/null
			else
				kill "$p" 2>/dev/null
			fi
			wait_for 10 sh -c "! kill -0 $p" ||
			    kill -KILL "$p" 2>/dev/null || true
		done
	fi
	if [ -f "$BATS_TEST_TMPDIR/netns" ]; then
		for p in $(cat "$BATS_TEST_TMPDIR/netns"); do
			ip netns del "$p" 2>/dev/null || true
		done
	fi
	[ -n "${BATS_TEST_COMPLETED:-}" ] && return 0
	for c in "$BATS_TEST_TMPDIR"/*/log; do
		[ -f "$c" ] || continue
		echo "--- $c" >&3
		tail -n 30 "$c" | sed 's/^/# /' >&3
	done
	return 0
}

# mdb_start DIR: a MariaDB server with no network, its socket
# DIR/mysqld.sock (the container's /run/mysqld/mysqld.sock), a user
# coredns (password $DA_PASSWORD) owning the databases coredns_dc1 and
# coredns_dc2. Sets MDB_PID.
mdb_start() {
	mkdir -p "$1/db"
	chmod 755 "$1"
	mariadb-install-db --no-defaults --datadir="$1/db" \
	    --auth-root-authentication-method=normal --skip-test-db \
	    --user=root >"$1/install.log" 2>&1
	mariadbd --no-defaults --datadir="$1/db" --socket="$1/mysqld.sock" \
	    --user=root --skip-networking --skip-log-bin \
	    --innodb-buffer-pool-size=32M --log-error="$1/err.log" \
	    </dev/null >/dev/null 2>&1 3>&- &
	MDB_PID=$!
	echo "$MDB_PID" >>"$BATS_TEST_TMPDIR/pids"
	wait_for 30 mdb -e 'SELECT 1'
	mdb -e "CREATE DATABASE coredns_dc1; CREATE DATABASE coredns_dc2;
	    CREATE USER 'coredns'@'localhost' IDENTIFIED BY '$DA_PASSWORD';
	    GRANT ALL ON coredns_dc1.* TO 'coredns'@'localhost';
	    GRANT ALL ON coredns_dc2.* TO 'coredns'@'localhost';"
}

# mdb ARGS...: the mariadb client as root on the server of mdb_start.
mdb() {
	mariadb --no-defaults -S "$BATS_TEST_TMPDIR/a/mysql/mysqld.sock" -uroot -N "$@"
}

# rows DB ZONE: the number of records rows of ZONE in database DB.
rows() {
	mdb "$1" -e "SELECT COUNT(*) FROM records r JOIN zones z ON z.id = r.zone_id WHERE z.zone_name = '$2.'"
}

# ct_users: "COMMAND USER" (effective uid, named by the image's passwd)
# of every process of the container, one per line.
ct_users() {
	local ns p uid comm
	ns=$(readlink "/proc/$(ct_pid1)/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
		comm=$(cat "$p/comm" 2>/dev/null) || continue
		uid=$(awk '/^Uid:/ { print $3 }' "$p/status" 2>/dev/null) || continue
		echo "$comm $(awk -F: -v u="$uid" '$3 == u { print $1 }' \
		    "$IMAGE_ROOT/etc/passwd")"
	done
}
