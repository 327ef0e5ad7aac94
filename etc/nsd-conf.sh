# nsd-conf.sh -- sourced by etc/run.sh and the tests: the nsd.conf of a
# private NSD on loopback, run as the calling user.

# nsd_conf DIR PORT PIDFILE LOGFILE [include]: on stdout, the nsd.conf of
# an NSD on 127.0.0.1@PORT with its state in DIR, zone files in DIR/zones, a
# unix control socket DIR/nsd.ctl and the zonelist patterns "da" (zone files
# ZONE.db) and "da-long" (ZONE, for 253-octet names); with "include", those
# patterns come from DIR/zones/DADNS-NSD.conf, which zone-write-nsd writes
# for secondaries. An empty PIDFILE or LOGFILE is none (NSD in the
# foreground logs to stderr).
nsd_conf() {
	cat <<-CONF
	server:
		ip-address: 127.0.0.1@$2
		do-ip6: no
		username: ""
		chroot: ""
		zonesdir: "$1/zones"
		zonelistfile: "$1/zone.list"
		database: ""
		pidfile: "$3"
		xfrdfile: "$1/xfrd.state"
		xfrdir: "$1"
		logfile: "$4"
		cookie-secret-file: "$1/cookie"
		server-count: 1
		rrl-ratelimit: 0
		verbosity: 1
	remote-control:
		control-enable: yes
		control-interface: "$1/nsd.ctl"
	CONF
	if [ "${5:-}" = include ]; then
		# The patterns zone-write-nsd writes for secondaries.
		printf 'include: "%s/zones/DADNS-NSD*.conf"\n' "$1"
		return
	fi
	cat <<-CONF
	pattern:
		name: "da"
		zonefile: "%s.db"
	pattern:
		name: "da-long"
		zonefile: "%s"
	CONF
}
