# tests/pg/lib_pg.sh - sourced by tests/pg/test_*.sh after tests/e2e/lib.sh:
# a real PostgreSQL 15 server (pgserver.sh: initdb into a temporary
# directory, 127.0.0.1 and a free port, stopped by its pid) and two
# "machines" on it: two lighttpd instances, each with its own FastCGI
# workers, state directory (key cache, rate-limit table) and error log,
# both given the same MCP_RESOURCE (the load balancer's URL), issuer and
# MCP_DATABASE_URL, as an operator puts several machines behind a load
# balancer.
#
# pg_start: starts the server (sets PG_DIR, PG_URL, PG_PASSWORD), or ends
# the script with a failed case.  pg_machines ARGS...: starts machine A and
# machine B with server_start ARGS (sets A_/B_ LPID, BASE, ERRLOG, DIR).
# on A|B sends later requests to that machine; call TOKEN TOOL ARGS [ID];
# workers LPID; psql_q SQL.  Everything is stopped by pg_cleanup (the EXIT
# trap), client processes listed in CLIENT_PIDS too.

PGSERVER=$ROOT/tests/pg/pgserver.sh
CLIENT_PIDS=()
PG_DIR=""
A_LPID=""
B_LPID=""

pg_cleanup() {
	local pid
	for pid in "${CLIENT_PIDS[@]}"; do stop_pid "$pid" 2; done
	for pid in "$A_LPID" "$B_LPID"; do
		[ -n "$pid" ] || continue
		LPID=$pid
		server_stop
	done
	if [ -n "$PG_DIR" ]; then
		"$PGSERVER" stop "$PG_DIR"
		rm -rf "$PG_DIR"
	fi
	lib_cleanup
}
trap pg_cleanup EXIT

need_programs mcp.fcgi wellknown.fcgi
if ! lighttpd_only "it starts two lighttpd instances"; then
	echo "0 passed, 0 failed"
	exit 0
fi

pg_start() {
	# Outside $TMP: the server runs as another user, who must reach its directory.
	PG_DIR=$(mktemp -d /tmp/mcp-pg.XXXXXX) || exit 1
	if ! PG_URL=$("$PGSERVER" start "$PG_DIR"); then
		t "PostgreSQL 15 starts"
		note "$(tail -n 5 "$PG_DIR/log" 2>/dev/null)"
		finish
	fi
	PG_PASSWORD=$(cat "$PG_DIR/password")
}
psql_q() { "$PGSERVER" psql "$PG_DIR" "$1"; }

pg_machines() {
	server_start_or_finish "$@"
	A_LPID=$LPID A_BASE=$BASE A_ERRLOG=$ERRLOG A_DIR=$SRV_DIR
	A_ISSUER=$ISSUER A_ISSUER_DIR=$ISSUER_DIR A_RESOURCE=$RESOURCE
	# Machine B: the same resource, issuer and database; its own workers, key cache and port.
	LPID=""
	SRV_DEV_ISSUER=0 server_start_or_finish "$@" --resource "$A_RESOURCE" \
		--env "OAUTH_ISSUER=$A_ISSUER" --env OAUTH_ALLOW_HTTP=1 --env "MCP_ALLOWED_HOSTS=127.0.0.1:@PORT@"
	B_LPID=$LPID B_BASE=$BASE B_ERRLOG=$ERRLOG B_DIR=$SRV_DIR
	ISSUER=$A_ISSUER ISSUER_DIR=$A_ISSUER_DIR RESOURCE=$A_RESOURCE
	LPID=""
}

on() { # on A|B: later requests go to that machine
	if [ "$1" = A ]; then BASE=$A_BASE ERRLOG=$A_ERRLOG; else BASE=$B_BASE ERRLOG=$B_ERRLOG; fi
}
call() { # call TOKEN TOOL ARGS [ID]
	AUTH="Bearer $1" mcp "$(call_json "$2" "$3" "${4:-1}")"
}
# workers LPID: the sorted pids of that lighttpd's mcp.fcgi workers.
workers() {
	local pid exe
	for pid in $(children_of "$1"); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		exe=${exe% (deleted)}
		[ "${exe##*/}" = mcp.fcgi ] && printf '%s\n' "$pid"
	done | sort -n | tr '\n' ' '
}
