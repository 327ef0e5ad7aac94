#!/bin/sh
# build.sh -- the container image's file system, shared by `make image`
# (a root file system from Debian packages with mmdebstrap) and the
# Containerfile (the same steps on a Debian base image).
#   build.sh rootfs DIR	mmdebstrap bookworm into DIR, then programs + setup
#   build.sh programs DIR	the built programs and container files into DIR
#   build.sh setup DIR		the image's directories and links, in DIR
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)

# install_programs DIR: the programs, pages, service templates and
# examples into DIR/usr by `make install`.
install_programs() {
	make -C "$top" install DESTDIR="$1" PREFIX=/usr \
	    SYSCONFDIR=/etc/dadns STATEDIR=/app >/dev/null
}

programs() {
	if grep -q '^install:' "$top/Makefile"; then
		make -C "$top" install DESTDIR="$1" PREFIX=/usr \
		    SYSCONFDIR=/etc/dadns STATEDIR=/app >/dev/null
	else
		mkdir -p "$1/usr/sbin" "$1/usr/share/dadns"
		for f in "$top"/bin/*.c; do
			install -m 755 "${f%.c}" "$1/usr/sbin/"
		done
		cp -R "$top/service" "$1/usr/share/dadns/service"
		cp "$top/etc/app.yml" "$top/etc/coredns_mysql.sql" \
		    "$top/etc/named.conf.example" "$1/usr/share/dadns/"
	fi
}

programs() {
	install_programs "$1"
	mkdir -p "$1/usr/lib/dadns"
	install -m 755 "$top/etc/container/init" "$top/etc/container/health" \
	    "$top/etc/container/services" "$1/usr/lib/dadns/"
}

# setup DIR: /app (config, data volume), the zone directories of
# directdnsonly's defaults pointing into the volume, no Debian config
# that the init rewrites at every start.
setup() {
	mkdir -p "$1/app/config" "$1/app/data" "$1/run"
	rm -rf "$1/etc/nsd/zones" "$1/etc/named/zones" "$1/var/lib/knot/dadns"
	mkdir -p "$1/etc/nsd/nsd.conf.d" "$1/etc/named" "$1/var/lib/knot"
	ln -s /app/data/zones/nsd "$1/etc/nsd/zones"
	ln -s /app/data/zones/bind "$1/etc/named/zones"
	ln -s /app/data/zones/knot "$1/var/lib/knot/dadns"
	# The user of every dadns service; in NSD's, named's and knotd's
	# groups for their control channels.
	grep -q '^dadns:' "$1/etc/passwd" ||
	    useradd --root "$1" --system --user-group --no-create-home \
	    --home-dir /app --shell /usr/sbin/nologin --groups nsd,bind,knot \
	    dadns
	# Keys made by the packages' scripts would be the same in every
	# container: the init makes its own.
	rm -f "$1"/etc/nsd/nsd_*.key "$1"/etc/nsd/nsd_*.pem "$1/etc/bind/rndc.key"
	rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin \
	    "$1"/var/cache/apt/archives/*.deb "$1"/var/log/*.log
}

rootfs() {
	packages=$(tr '\n' ',' <"$top/etc/container/packages" | sed 's/,$//')
	rm -rf "$1"
	mkdir -p "$(dirname "$1")"
	mmdebstrap --quiet --variant=apt --include="$packages" \
	    --dpkgopt='path-exclude=/usr/share/doc/*' \
	    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	    --dpkgopt='path-exclude=/usr/share/man/*' \
	    --dpkgopt='path-exclude=/usr/share/locale/*' \
	    bookworm "$1"
	programs "$1"
	setup "$1"
}

case ${1:-} in
rootfs|programs|setup)
	[ $# -eq 2 ] || { echo "usage: build.sh rootfs|programs|setup DIR" >&2; exit 100; }
	mkdir -p "$2"
	set -- "$1" "$(cd "$2" && pwd)"
	"$1" "$2"
	;;
*)
	echo "usage: build.sh rootfs|programs|setup DIR" >&2
	exit 100
	;;
esac
