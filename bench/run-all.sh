#!/bin/sh
# run-all.sh -- `make bench`: every benchmark under bench/, each bounded in
# time, figures on stdout.
cd "$(dirname "$0")/.." || exit 111
rc=0
for b in bench/push bench/memory bench/nsd-apply bench/bind-push bench/servers \
    bench/mysql-push bench/reconcile bench/peer-pull bench/secondary \
    bench/dns-proxy bench/dns-proxy-flood bench/vrrp bench/image; do
	[ -x "$b" ] || continue
	if [ "$b" = bench/image ] && [ ! -d image/rootfs ]; then
		echo "== $b: not run (make image first)"
		continue
	fi
	echo "== $b"
	"$b" || rc=1
done
exit $rc
