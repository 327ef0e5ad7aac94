# knot-conf.sh -- sourced by etc/run.sh, the tests and the benchmarks: the
# knot.conf of a private knotd on loopback, run as the calling user.

# knot_conf DIR PORT: on stdout, the knot.conf of a knotd on 127.0.0.1@PORT
# with its state in DIR (databases in DIR/db), zone files in DIR/zones, a
# control socket DIR/knot.sock, the template "dadns" zone-write-knot adds
# zones with, and the zone list it writes, DIR/zones/dadns-zones.conf
# (included as a glob, so knotd starts before the file exists). knotd logs
# to stderr.
knot_conf() {
	cat <<-CONF
	server:
	    rundir: "$1"
	    listen: 127.0.0.1@$2
	    pidfile: "$1/knot.pid"
	    udp-workers: 2
	    tcp-workers: 2
	    background-workers: 2
	control:
	    listen: "$1/knot.sock"
	database:
	    storage: "$1/db"
	log:
	  - target: stderr
	    any: notice
	template:
	  - id: default
	    storage: "$1/zones"
	  - id: dadns
	    storage: "$1/zones"
	    file: "%s.db"
	    zonefile-sync: -1
	    zonefile-load: whole
	    journal-content: none
	include: "$1/zones/dadns-zones*.conf"
	CONF
}
