# helper-mariadb.bash -- private MariaDB servers for the tests that need
# them, loaded after helper.bash.

# mdb_start DIR [MARIADBD_OPTION...]: a private mariadbd with its data in
# DIR/data (made on the first start), the socket DIR/sock and a root
# without password; prints its PID once it answers.
mdb_start() {
	local dir=$1 pid i
	shift
	if [ ! -d "$dir/data" ]; then
		mkdir -p "$dir"
		mariadb-install-db --no-defaults --datadir="$dir/data" \
		    --auth-root-authentication-method=normal --skip-test-db \
		    --user="$(id -un)" >"$dir/install.log" 2>&1 || return 1
	fi
	mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
	    --user="$(id -un)" --pid-file="$dir/pid" --log-error="$dir/err.log" \
	    --skip-log-bin --innodb-buffer-pool-size=32M \
	    "$@" </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	for i in $(seq 1 150); do
		if mariadb --no-defaults -S "$dir/sock" -uroot -e 'SELECT 1' \
		    >/dev/null 2>&1; then
			echo "$pid"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	mdb_stop "$pid"
	return 1
}

# mdb_stop PID: stop a server of mdb_start and wait until it is gone.
mdb_stop() {
	[ -n "$1" ] || return 0
	kill_wait "$1" 300
}
