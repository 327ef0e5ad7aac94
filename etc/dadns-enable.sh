#!/bin/sh
# dadns-enable -- put the service template NAME into the scan directory as
# NEWNAME (default NAME), or refresh it there after an upgrade (its env/
# is kept), then ask a running s6-svscan to pick it up. Installed as
# dadns-enable with the paths of make install.
#   dadns-enable reconcile
#   dadns-enable zone-write-mysql zone-write-mysql-coredns_dc1
# DADNS_TEMPLATES and DADNS_SCANDIR override the installed paths.
set -eu
templates=${DADNS_TEMPLATES:-@DATADIR@/service}
scandir=${DADNS_SCANDIR:-@SCANDIR@}

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "${1#-}" != "$1" ]; then
	echo "dadns-enable: usage: dadns-enable NAME [NEWNAME]" >&2
	echo "dadns-enable: templates: $(ls "$templates" 2>/dev/null | tr '\n' ' ')" >&2
	exit 100
fi
src=$templates/$1
name=${2:-$1}
case $name in
*/* | .* | '') echo "dadns-enable: fatal: bad service name: $name" >&2; exit 100 ;;
esac
if [ ! -x "$src/run" ]; then
	echo "dadns-enable: fatal: no service template $src" >&2
	exit 100
fi
dst=$scandir/$name
mkdir -p "$dst"
for f in "$src"/*; do
	n=${f##*/}
	# The operator's settings stay; only a new service gets the example.
	[ "$n" = env ] && [ -e "$dst/env" ] && continue
	if [ -d "$f" ]; then
		mkdir -p "$dst/$n"
		cp -R "$f/." "$dst/$n/"
	else
		cp "$f" "$dst/$n"
	fi
done
echo "dadns-enable: $dst from $src"
# Best effort: s6-svscan may not run yet (it scans when it starts).
s6-svscanctl -a "$scandir" 2>/dev/null || true
