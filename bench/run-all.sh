#!/bin/sh
# run-all.sh -- `make bench`: every benchmark under bench/, each bounded in
# time, figures on stdout.
cd "$(dirname "$0")/.." || exit 111
rc=0
for b in bench/push bench/memory bench/nsd-apply bench/bind-push bench/mysql-push \
    bench/reconcile bench/peer-pull bench/dns-proxy bench/vrrp; do
	[ -x "$b" ] || continue
	echo "== $b"
	"$b" || rc=1
done
exit $rc
