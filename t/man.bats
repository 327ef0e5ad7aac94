#!/usr/bin/env bats
# man.bats -- the manual pages under man/: mandoc-clean, one per program,
# every option of a program's usage described, every app.yml key listed.

load helper

MAN="$TOP/man"

# programs: the name of every program built from bin/*.c, one a line.
programs() {
	local c
	for c in "$TOP"/bin/*.c; do
		c=${c##*/}
		echo "${c%.c}"
	done
}

# usage_text PROG: what PROG prints for -h (or --help). dns-proxy-ctl is
# being split out of "dns-proxy ctl": until bin/dns-proxy-ctl.c exists,
# its usage is the "dns-proxy ctl ..." part of dns-proxy's.
usage_text() {
	if [ "$1" = dns-proxy-ctl ] && [ ! -e "$TOP/bin/dns-proxy-ctl.c" ]; then
		"$TOP/bin/dns-proxy" -h 2>&1 | sed -n 's/.*| *dns-proxy ctl / /p'
		return
	fi
	"$TOP/bin/$1" -h 2>&1 || "$TOP/bin/$1" --help 2>&1
}

# letters: the option letters (-X tokens) of the text on stdin, one a line.
letters() {
	grep -oE '(^|[][ (|,])-[A-Za-z0-9]([^A-Za-z0-9-]|$)' |
	    sed -E 's/^[][ (|,]?-(.).*/\1/' | sort -u
}

# render PAGE: the page as plain text, one long line per paragraph line.
render() {
	mandoc -Tascii -O width=300 "$1" | col -bx
}

need_mandoc() {
	command -v mandoc >/dev/null || skip "needs mandoc (apt-get install mandoc)"
}

@test "man: every page passes mandoc -Tlint -W warning without a message" {
	need_mandoc
	local page bad=
	shopt -s nullglob
	local pages=("$MAN"/*.[58])
	[ "${#pages[@]}" -ge 12 ] || bad+="only ${#pages[@]} pages under man/"$'\n'
	for page in "${pages[@]}"; do
		run mandoc -Tlint -W warning "$page"
		if [ "$status" -ne 0 ] || [ -n "$output" ]; then
			bad+="${page#"$TOP"/}: status $status: $output"$'\n'
		fi
	done
	assert_equal "$bad" ""
}

@test "man: every program has a page man/PROG.8, and every page is one program's" {
	local p page name bad=
	for p in $(programs); do
		[ -f "$MAN/$p.8" ] || bad+="bin/$p.c has no man/$p.8"$'\n'
	done
	[ -f "$MAN/app.yml.5" ] || bad+="no man/app.yml.5"$'\n'
	for page in "$MAN"/*.8; do
		[ -e "$page" ] || continue
		name=${page##*/}
		name=${name%.8}
		if [ -e "$TOP/bin/$name.c" ]; then
			:
		elif [ "$name" = dns-proxy-ctl ] && "$TOP/bin/dns-proxy" ctl -h >/dev/null 2>&1; then
			:
		else
			bad+="man/$name.8 documents no program of bin/"$'\n'
		fi
		# The page is about that program alone: its title and name.
		grep -qx "\.Dt ${name^^} 8" "$page" ||
		    bad+="man/$name.8: no .Dt ${name^^} 8"$'\n'
		[ "$(grep -m1 '^\.Nm ' "$page")" = ".Nm $name" ] ||
		    bad+="man/$name.8: its first .Nm is not $name"$'\n'
	done
	assert_equal "$bad" ""
}

@test "man: every option letter of a program's usage is described in its page as .Fl X" {
	local p l opts bad= progs
	progs=$(programs)
	[ -f "$MAN/dns-proxy-ctl.8" ] && progs+=$'\n'dns-proxy-ctl
	for p in $(echo "$progs" | sort -u); do
		[ -f "$MAN/$p.8" ] || { bad+="no man/$p.8"$'\n'; continue; }
		opts=$(usage_text "$p" | letters)
		[ -n "$opts" ] || bad+="$p: no option found in its usage"$'\n'
		for l in $opts; do
			grep -qE "^\.It( .*)? Fl $l( |$)" "$MAN/$p.8" ||
			    bad+="man/$p.8: -$l of the usage is not described (.It ... Fl $l)"$'\n'
		done
	done
	assert_equal "$bad" ""
}

@test "man: every app.yml key the configuration driver knows is in app.yml.5" {
	need_mandoc
	[ -x "$TOP/t/unit/config" ] || skip "t/unit/config not built (make)"
	[ -f "$MAN/app.yml.5" ] || fail "no man/app.yml.5"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr env -i "$TOP/t/unit/config" -c /dev/null
	assert_success
	local text key n=0 bad=
	text=$(render "$MAN/app.yml.5")
	for key in $(printf '%s\n' "$output" | sed -n 's/=.*//p'); do
		# The driver's own lines (file, counts, queues, unknown keys).
		case $key in
		path | queues | unknown | nunknown | dns.nbackends | \
		    peer_sync.npeers | reconciliation.nservers)
			continue ;;
		esac
		n=$((n + 1))
		grep -qwF -- "$key" <<<"$text" ||
		    bad+="app.yml.5 does not mention $key"$'\n'
	done
	[ "$n" -ge 20 ] || bad+="only $n keys read from t/unit/config"$'\n'
	assert_equal "$bad" ""
}
