#!/usr/bin/env bash
# tests/pg/pgserver.sh - a real PostgreSQL 15 server for the tests, in a
# directory of its own, on 127.0.0.1 and a free port.
#
#   pgserver.sh start DIR     initdb into DIR/data (when new) and start the
#                             server; prints its URL (with the password of
#                             the superuser "mcp", database "mcp")
#   pgserver.sh stop DIR      stops it by its pid (SIGINT: a fast shutdown,
#                             which does not wait for clients), SIGKILL after 20 s
#   pgserver.sh restart DIR   stop, then start on the same port
#   pgserver.sh psql DIR SQL [DB]  runs SQL in database DB, default "mcp"
#                             (psql -tA, on the unix socket)
#   pgserver.sh createdb DIR NAME   an empty database NAME; prints its URL
#
# DIR must not lie inside a private directory of root's: as root the server
# runs as the user "postgres" (Debian's postgresql-common makes it), or
# "nobody", and must reach DIR; DIR is made 0755, DIR/data the user's, 0700.
# Its unix socket is in DIR/sock, its log DIR/log.  PG_BIN overrides
# /usr/lib/postgresql/15/bin.
set -u
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop|restart|psql|createdb DIR [...]" >&2; exit 2; }
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac

RUNAS=""
if [ "$(id -u)" = 0 ]; then
	if id -u postgres >/dev/null 2>&1; then RUNAS=postgres; else RUNAS=nobody; fi
fi

# as CMD...: runs CMD as the server's user.
as() {
	if [ -n "$RUNAS" ]; then runuser -u "$RUNAS" -- "$@"; else "$@"; fi
}

port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url() { # url DBNAME
	printf 'postgresql://mcp:%s@127.0.0.1:%s/%s\n' "$(cat "$DIR/password")" "$(cat "$DIR/port")" "$1"
}

pg_psql() { # pg_psql DBNAME SQL
	as "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DIR/sock" -p "$(cat "$DIR/port")" -U mcp \
		-d "$1" -c "$2"
}

init() {
	[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 is not installed ($PG_BIN/initdb): src/cli/install-deps.sh" >&2; return 1; }
	mkdir -p "$DIR/data" "$DIR/sock" || return 1
	chmod 755 "$DIR"
	od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$DIR/password"
	printf '%s\n' "$(cat "$DIR/password")" >"$DIR/pwfile"
	if [ -n "$RUNAS" ]; then chown "$RUNAS" "$DIR/data" "$DIR/sock" "$DIR/pwfile"; fi
	chmod 700 "$DIR/data"
	: >"$DIR/log"
	[ -z "$RUNAS" ] || chown "$RUNAS" "$DIR/log"
	# Passwords over TCP (the URL carries one), trust on the private unix socket.
	as "$PG_BIN/initdb" -D "$DIR/data" -U mcp --pwfile="$DIR/pwfile" -A scram-sha-256 \
		--auth-local=trust -E UTF8 --no-locale -N >"$DIR/initdb.log" 2>&1 ||
		{ cat "$DIR/initdb.log" >&2; return 1; }
	rm -f "$DIR/pwfile"
	cat >>"$DIR/data/postgresql.conf" <<-EOF_CONF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$DIR/sock'
		fsync = off
		max_connections = 200
	EOF_CONF
}

start() {
	local try port
	[ -f "$DIR/data/PG_VERSION" ] || init || return 1
	for try in 1 2 3 4 5; do
		port=$(cat "$DIR/port" 2>/dev/null)
		if [ -z "$port" ] || [ "$try" -gt 1 ] && [ ! -f "$DIR/keep-port" ]; then
			port=$((20000 + RANDOM % 40000))
			port_open "$port" && continue
		fi
		echo "$port" >"$DIR/port"
		if as "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 30 -o "-p $port" start \
			>>"$DIR/pg_ctl.log" 2>&1; then
			if ! pg_psql postgres "SELECT 1 FROM pg_database WHERE datname = 'mcp'" | grep -q 1; then
				pg_psql postgres "CREATE DATABASE mcp" || return 1
			fi
			url mcp
			return 0
		fi
		# Only a port taken in between is worth another try.
		grep -q 'already in use' "$DIR/log" || break
	done
	echo "PostgreSQL did not start; its log:" >&2
	tail -n 20 "$DIR/log" >&2
	return 1
}

stop() {
	local pid i
	pid=$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

case $cmd in
start) start ;;
stop) stop ;;
restart)
	stop
	: >"$DIR/keep-port"
	start >/dev/null
	rc=$?
	rm -f "$DIR/keep-port"
	exit $rc
	;;
psql) pg_psql "${4:-mcp}" "$3" ;;
createdb) pg_psql postgres "CREATE DATABASE $3" && url "$3" ;;
*)
	echo "$0: unknown command $cmd" >&2
	exit 2
	;;
esac
