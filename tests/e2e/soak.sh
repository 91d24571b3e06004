#!/usr/bin/env bash
# soak.sh - the soak: SOAK_SECONDS of full load through lighttpd on
# SOAK_WORKERS FastCGI workers, with mixed traffic (tests/e2e/soak_client.mjs:
# greetings with the current and the previous key, 401s without a token,
# with a corrupted one, a retired key's and a never published key's, 403s
# for want of a scope,
# 429s of a deliberately rate-limited client, todo create/list/get/update/
# delete on four owners) and the issuer's signing key rotated every
# SOAK_ROTATE seconds.  It asserts:
#   - every response got the status expected for its kind, and a right body,
#     and the audit log has one line per request with the same statuses;
#   - no worker restarted: the same pids from start to end;
#   - per worker, private anonymous memory (smaps_rollup) grew by less than
#     SOAK_MEM_KB between a sample after SOAK_WARMUP seconds and the end (both
#     taken with no request in flight), and its open descriptors not at all;
#   - the todo database passes PRAGMA integrity_check, and the todos the
#     client believes each owner has are exactly those list_todos pages
#     through and those the database counts.
#
# make check runs it for 30 s (a rotation every 10 s), make soak for 600 s
# (every 60 s).  Environment: SOAK_SECONDS (30), SOAK_ROTATE (60 from 300 s
# on, else a third of the run, at least 8), SOAK_WARMUP (the first rotation
# and 2 s, at most half the run, longer until every worker has fetched keys
# once: see the client),
# SOAK_WORKERS (2), SOAK_CONCURRENCY (16 requests in flight), SOAK_MEM_KB
# (1024; 4096 in the ASan build).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_TOTAL=${SOAK_SECONDS:-30}
if [ "$SECONDS_TOTAL" -ge 300 ]; then ROTATE=${SOAK_ROTATE:-60}; else ROTATE=${SOAK_ROTATE:-$((SECONDS_TOTAL / 3))}; fi
[ "$ROTATE" -ge 8 ] || ROTATE=8
WARMUP=${SOAK_WARMUP:-$((ROTATE + 2))}
[ "$WARMUP" -le $((SECONDS_TOTAL / 2)) ] || WARMUP=$((SECONDS_TOTAL / 2))
WORKERS=${SOAK_WORKERS:-2}
CONC=${SOAK_CONCURRENCY:-16}
MEM_BOUND=${SOAK_MEM_KB:-1024}
# Forced JWKS refreshes (unknown kids) at most one per THROTTLE seconds; the
# retired and never published keys' requests, which force them, stop GAP
# seconds before each rotation, and the rotation waits for their answers and
# THROTTLE + 1 s more, so that the new key's first request finds the
# throttle open.  The default throttle (60 s) would refuse a key that
# rotates every 60 s whenever the previous forced refresh came less than a
# minute before; at 1 s the key fetch (libcurl) runs about once a second
# during the soak, which its memory check then covers too.
THROTTLE=1
GAP=$((THROTTLE + 2))
if [ "${MCP_SANITIZE:-0}" = 1 ]; then
	# ASan's own bookkeeping must not pass for the program's memory.  A
	# small quarantine keeps it from holding freed memory for reuse checks
	# (by default up to 256 MiB a process).  No allocation stacks: ASan
	# keeps every distinct stack it records (the stack depot, never freed),
	# and under this traffic new ones keep coming, about 18 kB/s a worker
	# (10 MiB in 600 s, with or without fast unwinding; 50 kB without
	# stacks); errors are still caught and reported where they happen, only
	# the "allocated by"/"freed by" stacks are left out (ASAN_OPTIONS given
	# by the caller come last and win).  The bound stays wider: the
	# quarantine's fill level and ASan's per-size-class caches move by
	# hundreds of KiB.  Leak checking at exit stays as make sanitize set it.
	export ASAN_OPTIONS="quarantine_size_mb=1:thread_local_quarantine_size_kb=64:malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	MEM_BOUND=${SOAK_MEM_KB:-4096}
fi

need_programs mcp.fcgi wellknown.fcgi
# The client and anonymous limits stay on (every request goes through the
# shared table), set past the load; the rate-limited kind comes from a tool
# limit: one whoami a day per client, which only the limited client calls.
server_start_or_finish --max-procs "$WORKERS" --env MCP_RATE_LIMIT=1000000/60 \
	--env MCP_RATE_LIMIT_ANON=1000000/60 --env MCP_TOOL_RATE_LIMITS=whoami=1/86400 \
	--env OAUTH_JWKS_REFRESH_THROTTLE=$THROTTLE

PIDS=$(worker_pids mcp.fcgi | sort -n | tr '\n' ' ')
PIDS=${PIDS% }
t "$WORKERS mcp.fcgi workers"
want_eq "worker count" "$WORKERS" "$(wc -w <<<"$PIDS")"

cat >"$TMP/soak.json" <<EOF
{"url": "$RESOURCE", "cli": "$CLI", "issuer": "$ISSUER", "issuerDir": "$ISSUER_DIR",
 "resource": "$RESOURCE", "seconds": $SECONDS_TOTAL, "warmup": $WARMUP, "rotate": $ROTATE,
 "gap": $GAP, "throttle": $THROTTLE, "conc": $CONC, "pids": [${PIDS// /, }], "out": "$TMP/soak.out"}
EOF
echo "     $SECONDS_TOTAL s, $WORKERS workers, $CONC in flight, key rotation every $ROTATE s," \
	"warm-up $WARMUP s"
timeout $((SECONDS_TOTAL + 120)) node "$ROOT/tests/e2e/soak_client.mjs" "$TMP/soak.json"
rc=$?
OUT=$(cat "$TMP/soak.out" 2>/dev/null)

t "the soak client ran to its end"
want_eq "client exit status" 0 "$rc"
[ -n "$OUT" ] || note "no results in $TMP/soak.out"

# field WORD N: field N of the result line that starts with WORD.
field() { awk -v w="$1" -v n="$2" '$1 == w { print $n; exit }' <<<"$OUT"; }

t "the limited client's first whoami of the day passes"
want_eq "status" 200 "$(field limited-first 2)"

t "every response has the status expected for its kind"
rot=$(field rotations 2)
while read -r _ kind want total bad statuses; do
	# A retired key exists from the second rotation on (SOAK_SECONDS >= 24).
	[ "$total" -gt 0 ] || { [ "$kind" = retired ] && [ "${rot:-0}" -lt 2 ]; } ||
		note "$kind: no request of this kind was sent"
	[ "$bad" = 0 ] || note "$kind: $bad of $total unexpected (wanted $want; got $statuses)"
done < <(grep '^kind ' <<<"$OUT")
[ "$(grep -c '^kind ' <<<"$OUT")" = 13 ] || note "not every request kind was reported"
want_eq "requests the client failed to make or check" 0 "$(field client-errors 2)"
while read -r _ line; do note "first: $line"; done < <(grep '^first ' <<<"$OUT")

t "the signing key was rotated during the soak"
[ "${rot:-0}" -ge $(((SECONDS_TOTAL - 1) / ROTATE)) ] ||
	note "rotations: wanted $(((SECONDS_TOTAL - 1) / ROTATE)), got '${rot:-none}'"

t "no sanitizer report, no worker death in the error log"
bad=$(grep -nE 'AddressSanitizer|runtime error:|LeakSanitizer|child signalled|child exited' "$ERRLOG" | head -n 5)
[ -z "$bad" ] || note "$bad"

t "no worker restarted: the same pids at the end"
want_eq "worker pids" "$PIDS" "$(worker_pids mcp.fcgi | sort -n | tr '\n' ' ' | sed 's/ $//')"

for pid in $PIDS; do
	read -r a0 f0 < <(awk -v p="$pid" '$1 == "sample" && $2 == p && $3 == "warm" { print $4, $5 }' <<<"$OUT")
	read -r a1 f1 < <(awk -v p="$pid" '$1 == "sample" && $2 == p && $3 == "end" { print $4, $5 }' <<<"$OUT")
	t "worker $pid: private anonymous memory grew by less than $MEM_BOUND kB"
	if [ "${a0:--1}" -ge 0 ] && [ "${a1:--1}" -ge 0 ]; then
		[ $((a1 - a0)) -lt "$MEM_BOUND" ] || note "from $a0 kB to $a1 kB (+$((a1 - a0)) kB)"
	else
		note "no sample of worker $pid (warm-up '${a0:-}', end '${a1:-}')"
	fi
	t "worker $pid: no file descriptor growth"
	want_eq "open fds (warm-up, end)" "${f0:-?}" "${f1:-?}"
done

DB=$SRV_DIR/state/todos.sqlite
t "the todo database passes PRAGMA integrity_check"
want_eq "integrity_check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check;' 2>&1)"

t "each owner's todos are exactly those the client believes exist"
while read -r _ owner believed listed mism; do
	[ "$mism" = 0 ] && [ "$believed" = "$listed" ] ||
		note "$owner: the client believes $believed, list_todos gives $listed, $mism differ"
done < <(grep '^todos ' <<<"$OUT")
[ "$(grep -c '^todos ' <<<"$OUT")" = 4 ] || note "not every owner was listed"
counts=$(sqlite3 "$DB" "SELECT owner_sub, count(*) FROM todos GROUP BY owner_sub ORDER BY owner_sub;" 2>&1)
want_eq "rows per owner in the database" \
	"$(awk '$1 == "believed" && $3 > 0 { print $2 "|" $3 }' <<<"$OUT" | LC_ALL=C sort)" "$counts"

t "the audit log has one line per request, with its status"
want_eq "audit lines per status" "$(field answered 0 | cut -d' ' -f2- | xargs -n 2 | sort)" \
	"$(awk '/"type":"audit"/ && match($0, /"status":[0-9]+/) { n[substr($0, RSTART + 9, RLENGTH - 9)]++ }
		END { for (s in n) print s, n[s] }' "$ERRLOG" | sort)"

finish
