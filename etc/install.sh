#!/bin/sh
# install.sh -- make install / make uninstall. The Makefile passes the
# paths (DESTDIR PREFIX SBINDIR MANDIR DATADIR SYSCONFDIR STATEDIR SCANDIR
# UNITDIR RUN_USER SCAN_DEFAULT) in the environment; the operands are the
# programs. Each action is printed. Users and owners are set only when run
# as root with no DESTDIR; otherwise the commands are printed instead.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
D=${DESTDIR:-}
umask 022

say() {
	echo "install: $*"
}

# sub FILE: FILE with the install paths substituted, on stdout.
sub() {
	sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@DATADIR@|$DATADIR|g" \
	    -e "s|@SCANDIR@|$SCANDIR|g" -e "s|@ENVDIR@|$SYSCONFDIR/env|g" "$1"
}

# envfile NAME VALUE: SYSCONFDIR/env/NAME holding VALUE, unless present.
envfile() {
	[ -e "$D$SYSCONFDIR/env/$1" ] && return 0
	printf '%s\n' "$2" >"$D$SYSCONFDIR/env/$1"
	say "$SYSCONFDIR/env/$1 = $2"
}

# The owners of the installed config and state, or what to run instead.
owners() {
	u=$RUN_USER
	if [ -z "$D" ] && [ "$(id -u)" = 0 ]; then
		if ! getent passwd "$u" >/dev/null; then
			useradd --system --user-group --home-dir /nonexistent \
			    --no-create-home --shell /usr/sbin/nologin "$u"
			say "created system user $u"
		fi
		# zone-write-nsd reaches NSD's control socket and zones through
		# group nsd; zone-write-bind reads the rndc key through group bind;
		# zone-write-knot reaches knotd's control socket through group knot.
		for g in nsd bind knot; do
			if getent group "$g" >/dev/null &&
			    ! id -nG "$u" | tr ' ' '\n' | grep -qx "$g"; then
				usermod -a -G "$g" "$u"
				say "added $u to group $g"
			fi
		done
		chown "root:$u" "$SYSCONFDIR/app.yml"
		chmod 0640 "$SYSCONFDIR/app.yml"
		chown "$u:$u" "$STATEDIR/data"
		chmod 0750 "$STATEDIR/data"
		return 0
	fi
	cat <<-MSG
	install: not root, or DESTDIR set: no user created, no owner set. As root, run:
	  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin $u
	  usermod -a -G nsd $u     # zone-write-nsd: NSD's zones and control socket
	  usermod -a -G bind $u    # zone-write-bind: the rndc key
	  usermod -a -G knot $u    # zone-write-knot: knotd's control socket
	  chown root:$u $SYSCONFDIR/app.yml && chmod 0640 $SYSCONFDIR/app.yml
	  chown $u:$u $STATEDIR/data && chmod 0750 $STATEDIR/data
	MSG
}

install_all() {
	install -d "$D$SBINDIR" "$D$MANDIR/man8" "$D$MANDIR/man5" \
	    "$D$DATADIR" "$D$UNITDIR"
	install -m 0755 "$@" "$D$SBINDIR"
	say "programs in $SBINDIR: $(echo "$*" | sed "s|bin/||g")"
	sub etc/dadns-enable.sh >"$D$SBINDIR/dadns-enable"
	chmod 0755 "$D$SBINDIR/dadns-enable"
	install -m 0644 man/*.8 "$D$MANDIR/man8"
	install -m 0644 man/*.5 "$D$MANDIR/man5"
	say "manual pages in $MANDIR/man8 and man5"
	install -m 0644 etc/app.yml etc/named.conf.example etc/coredns_mysql.sql \
	    etc/nsd-dadns.conf etc/knot-dadns.conf "$D$DATADIR"
	rm -rf "$D$DATADIR/service"
	cp -R service "$D$DATADIR/service"
	for f in "$D$DATADIR"/service/*/run "$D$DATADIR"/service/*/log/run; do
		sub "$f" >"$f.new"
		chmod 0755 "$f.new"
		mv "$f.new" "$f"
	done
	say "examples and service templates in $DATADIR"
	sub etc/dadns.service >"$D$UNITDIR/dadns.service"
	chmod 0644 "$D$UNITDIR/dadns.service"
	say "systemd unit $UNITDIR/dadns.service"

	# The instance: config, its envdir, the working directory, the scan
	# directory. Nothing an operator changed is overwritten.
	install -d -m 0755 "$D$SYSCONFDIR" "$D$SYSCONFDIR/env" "$D$STATEDIR" \
	    "$D$SCANDIR"
	install -d -m 0750 "$D$STATEDIR/data"
	if [ ! -e "$D$SYSCONFDIR/app.yml" ]; then
		install -m 0640 etc/app.yml "$D$SYSCONFDIR/app.yml"
		say "$SYSCONFDIR/app.yml from the example: set app.auth_password"
	fi
	envfile DADNS_CONFIG "$SYSCONFDIR/app.yml"
	envfile DADNS_HOME "$STATEDIR"
	envfile DADNS_USER "$RUN_USER"
	for s in $SCAN_DEFAULT; do
		DADNS_TEMPLATES=$D$DATADIR/service DADNS_SCANDIR=$D$SCANDIR \
		    sh etc/dadns-enable.sh "$s" >/dev/null
	done
	say "services in $SCANDIR: $SCAN_DEFAULT (more: dadns-enable NAME)"
	owners
}

uninstall_all() {
	for p in "$@" dadns-enable; do
		rm -f "$D$SBINDIR/${p##*/}"
	done
	for f in man/*.8; do
		rm -f "$D$MANDIR/man8/${f##*/}"
	done
	for f in man/*.5; do
		rm -f "$D$MANDIR/man5/${f##*/}"
	done
	rm -rf "$D$DATADIR"
	rm -f "$D$UNITDIR/dadns.service"
	say "removed programs, pages, $DATADIR and the unit; kept $SYSCONFDIR" \
	    "(config), $STATEDIR (data) and $SCANDIR (services, logs)"
}

case ${1:-} in
install) shift; install_all "$@" ;;
uninstall) shift; uninstall_all "$@" ;;
*) echo "install.sh: usage: install.sh install|uninstall PROG..." >&2; exit 100 ;;
esac
