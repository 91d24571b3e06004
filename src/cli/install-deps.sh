#!/usr/bin/env bash
# install-deps.sh - installs the Debian/Ubuntu packages that building and
# testing mcp-fcgi need, and only those that are missing: when everything is
# present it asks dpkg and returns at once, without apt-get or the network.
#
# As root it runs apt-get update and apt-get install -y
# --no-install-recommends for the missing ones.  As another user it prints
# the exact command to run and exits 1.
#
# Installing lighttpd, apache2, nginx or postgresql must not leave a system
# web server serving port 80, or a PostgreSQL cluster on 5432: a temporary
# policy-rc.d (the Debian mechanism) forbids starting services during the
# install, each such service this script installed is stopped and disabled
# afterwards when systemd runs, and a PostgreSQL cluster that its package
# made and started anyway is stopped (pg_ctlcluster).  The tests start their
# own servers on free loopback ports (tests/pg/pgserver.sh for PostgreSQL).
set -u

# clang and libclang-rt-14-dev build the fuzzing harnesses (make fuzz): the
# latter holds libFuzzer, which clang only recommends.
PACKAGES=(build-essential pkg-config libfcgi-dev libcjson-dev libjwt-dev
	libcurl4-openssl-dev libssl-dev libsqlite3-dev lighttpd curl valgrind wrk
	clang-format cppcheck apache2 libapache2-mod-fcgid nginx spawn-fcgi
	postgresql libpq-dev sqlite3 clang libclang-rt-14-dev)
# The servers whose system service must not run after an install.
SERVICES=(lighttpd apache2 nginx postgresql)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=""
	[ "$status" = installed ] || missing+=("$p")
done
# Node.js and npm run the MCP SDK client test; any recent node will do, so
# Debian's packages only when none is on PATH.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

[ ${#missing[@]} -eq 0 ] && exit 0

had=() # the web servers installed before this run: their services are left alone
for p in "${SERVICES[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed && had+=("$p")
done

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: as root, run:" >&2
	echo "  apt-get update && DEBIAN_FRONTEND=noninteractive $cmd" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive

# Keep package scripts from starting services (a web server on port 80) while
# installing; restore whatever policy was there.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
	saved=$(mktemp) && cp -p "$policy" "$saved"
fi
restore_policy() {
	if [ -n "$saved" ]; then
		cp -p "$saved" "$policy"
		rm -f "$saved"
	else
		rm -f "$policy"
	fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"

timeout 1200 apt-get update || { echo "install-deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
timeout 1800 $cmd || { echo "install-deps: $cmd failed" >&2; exit 1; }

# A web server this script installed must not come up at boot on port 80.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	for p in "${SERVICES[@]}"; do
		case " ${had[*]} " in *" $p "*) continue ;; esac
		systemctl disable --now "$p.service" >/dev/null 2>&1 || true
	done
fi
# Without systemd nothing disables a cluster the package made: stop any that runs.
case " ${had[*]} " in
*" postgresql "*) ;;
*)
	if command -v pg_lsclusters >/dev/null 2>&1; then
		pg_lsclusters -h 2>/dev/null | awk '$4 == "online" { print $1, $2 }' |
			while read -r v c; do pg_ctlcluster "$v" "$c" stop >/dev/null 2>&1 || true; done
	fi
	;;
esac
exit 0
