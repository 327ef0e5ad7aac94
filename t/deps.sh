#!/bin/sh
# deps.sh -- install those of the Debian packages named as arguments that
# are missing; the dependency step of make run, make test and make bench.
#
# Says what it installs ("deps: installing: ..."), nothing when every
# package is there. As root it runs apt-get itself, else through sudo.
# apt-get update runs only before an install, and only when the package
# lists are missing or unchanged for a day. While it installs, a policy-rc.d
# keeps the packages' daemons from starting (the tests and make run start
# their own); it is removed on every exit, and one that was there before
# is never touched.
#
# DADNS_NO_DEPS=1 skips the step. DADNS_POLICY_RC_D is the policy-rc.d
# path (default /usr/sbin/policy-rc.d). Exit 0 when every package is
# installed; 100 when this system cannot install them (no apt, or neither
# root nor sudo): the list is printed; 111 when apt-get fails.
set -eu

case ${DADNS_NO_DEPS:-} in
'' | 0) ;;
*)
	echo "deps: DADNS_NO_DEPS=$DADNS_NO_DEPS: packages not checked" >&2
	exit 0
	;;
esac

# Missing = not "install ok installed" by dpkg; without dpkg every one.
missing=
if command -v dpkg-query >/dev/null 2>&1; then
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null |
	    sed -n 's/^\([^ ]*\) install ok installed$/\1/p' | tr '\n' ' ') ||
	    true
	for p in "$@"; do
		case " $installed " in
		*" $p "*) ;;
		*) missing="$missing $p" ;;
		esac
	done
else
	missing=" $*"
fi
[ -n "$missing" ] || exit 0

if ! command -v apt-get >/dev/null 2>&1 ||
    ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: no apt on this system; install these packages:$missing" >&2
	echo "deps: then DADNS_NO_DEPS=1 skips this step" >&2
	exit 100
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps: fatal: not root and no sudo; as root run:" \
		    "apt-get install$missing" >&2
		exit 100
	fi
	sudo=sudo
fi

echo "deps: installing:$missing" >&2

# The policy-rc.d: created only where none exists (set -C: an existing
# file makes the creation fail), removed by the EXIT trap, which also
# runs after a signal.
policy=${DADNS_POLICY_RC_D:-/usr/sbin/policy-rc.d}
created=
cleanup() {
	if [ -n "$created" ]; then
		$sudo rm -f "$policy"
		created=
	fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# shellcheck disable=SC2016
if [ -e "$policy" ] || [ -L "$policy" ]; then
	echo "deps: $policy exists, left as it is" >&2
elif printf '#!/bin/sh\n# dadns deps.sh: no daemon starts while packages install\nexit 101\n' |
    $sudo sh -c 'set -C; cat >"$1" && chmod 755 "$1"' sh "$policy"; then
	created=1
else
	echo "deps: fatal: unable to create $policy" >&2
	exit 111
fi

# Package lists: Dir::State::Lists, updated when none is there or the
# directory has not changed for a day.
lists=/var/lib/apt/lists/
if command -v apt-config >/dev/null 2>&1; then
	eval "$(apt-config shell lists Dir::State::Lists/d)"
fi
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null)" ] ||
    [ -z "$(find "$lists" -maxdepth 0 -mmin -1440 2>/dev/null)" ]; then
	$sudo apt-get update -qq ||
	    echo "deps: warning: apt-get update failed; using the lists there are" >&2
fi

# $missing is a list of package names: split on purpose.
# shellcheck disable=SC2086
if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null; then
	echo "deps: fatal: apt-get install failed:$missing" >&2
	exit 111
fi
