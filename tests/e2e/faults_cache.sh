#!/usr/bin/env bash
# faults_cache.sh - the state directory's files fail while clients call.
#
# lighttpd with two FastCGI workers, its state directory (key cache,
# signature memo, rate-limit table, todo database) on a small tmpfs of its
# own; four clients keep calling with a known key the whole time.  In turn:
#   - the key cache file corrupted, truncated, deleted, replaced by a
#     symbolic link: the calls keep succeeding; the log says what was
#     wrong with the file (at most once per worker); the next refresh
#     (exactly one fetch) writes a good file again;
#   - the state directory made read-only under the workers (a read-only
#     bind mount over it: that denies root too): a token signed by a newly
#     published key is still accepted (the keys are kept in memory), the
#     refresh that could not be written is logged once; once writable
#     again, the next refresh is written;
#   - the file system full (the tmpfs filled up): the same, and the other
#     state files: the known key's calls, calls from new clients (new
#     rate-limit buckets) and new signatures keep succeeding; a todo
#     create fails cleanly (JSON-RPC -32603, "todo store: commit: database
#     or disk is full" logged) and reads still work;
#     once space returns, creates work and the key cache is written again.
# Mounts are undone by the trap (faultlib.sh).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/faultlib.sh"
if ! lighttpd_only "it mounts file systems under lighttpd's state directory"; then
	echo "0 passed, 0 failed"
	exit 0
fi
need_programs mcp.fcgi wellknown.fcgi

THROTTLE=2
# server_start puts the state directory at $TMP/srv1/state: a tmpfs there
# before it starts.
STATE=$TMP/srv1/state
mkdir -p "$STATE"
if ! mount -t tmpfs -o size=4m,mode=0700 mcp-faults "$STATE"; then
	t "a tmpfs can be mounted for the state directory (tests run as root)"
	note "mount -t tmpfs failed"
	finish
fi
FAULT_MOUNTS+=("$STATE")
# lighttpd serves the issuer's JWKS as it changes (no cached stat of the file).
SRV_APPEND='server.stat-cache-engine = "disable"' server_start_or_finish --max-procs 2 --env "OAUTH_JWKS_REFRESH_THROTTLE=$THROTTLE" \
	--env MCP_RATE_LIMIT=1000000/60 ${FAULTS_DEBUG:+--env MCP_LOG_LEVEL=debug}
CACHE=$STATE/jwks.cache
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
SENT=("$TOKEN")

t "the known key serves, the key cache is written"
mcp "$GREET"
want_result 7
[ -f "$CACHE" ] && [ ! -L "$CACHE" ] || note "no key cache file $CACHE"

callers_start known 4 "$TOKEN"
callers_wait known 20 || note "the clients made no calls"

# cache_ok: the key cache is a regular file holding the issuer's JWKS.
cache_ok() {
	[ -f "$CACHE" ] && [ ! -L "$CACHE" ] && grep -qF '"keys"' "$CACHE"
}

# wait_cache_ok: waits (bounded) until cache_ok; the clients' calls make
# the workers look at the file.
wait_cache_ok() {
	local i
	for ((i = 0; i < 100; i++)); do
		cache_ok && return 0
		sleep 0.1
	done
	return 1
}

# file_fault NAME LOGTEXT COMMAND...: one key-cache file fault.
file_fault() {
	local name=$1 logtext=$2 mark before n
	shift 2
	mark=$(log_mark)
	before=$(fetches /dev-issuer/jwks.json)
	t "$name: the calls go on, one fetch writes a good key cache again"
	"$@" || note "could not inject the fault"
	callers_wait known 40 || note "the clients stopped calling"
	wait_cache_ok || note "the key cache was not rewritten: $(ls -l "$CACHE" 2>&1)"
	want_eq "fetches" 1 "$(($(fetches /dev-issuer/jwks.json) - before))"
	if [ -z "$logtext" ]; then
		t "$name: nothing logged about the key cache (a missing file is a cold start)"
		want_log "$mark" 0 "jwks: $CACHE"
		return
	fi
	t "$name: logged once by each worker that saw it (1 or 2 lines): '$logtext'"
	n=$(log_count "$mark" "$logtext")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || want_log "$mark" 1 "$logtext"
}

corrupt() { printf 'garbage\n\000\377 not a cache\n' >"$CACHE"; }
truncate_it() { truncate -s 20 "$CACHE"; }
symlink_it() { cp "$CACHE" "$TMP/cache.copy" && ln -sf "$TMP/cache.copy" "$CACHE"; }

file_fault corrupted "jwks: $CACHE is corrupt" corrupt
file_fault truncated "jwks: $CACHE is corrupt" truncate_it
file_fault deleted "" rm -f "$CACHE"
file_fault "a symbolic link" "jwks: $CACHE is a symbolic link; ignored" symlink_it

# ---- keys published while the state directory cannot be written ----------

# rotate NAME: publishes a new key beside the ones before (PUBLISHED);
# sets ROT_TOKEN to a token signed by it (its kid unknown to the workers).
PUBLISHED=(--key "$ISSUER_DIR/signing-key.pem")
rotate() {
	"$CLI" keygen --out "$TMP/key-$1.pem" >/dev/null || return 1
	PUBLISHED+=(--key "$TMP/key-$1.pem")
	"$CLI" jwks "${PUBLISHED[@]}" >"$ISSUER_DIR/jwks.json.new" &&
		mv "$ISSUER_DIR/jwks.json.new" "$ISSUER_DIR/jwks.json" &&
		ROT_TOKEN=$("$CLI" mint --key "$TMP/key-$1.pem" --iss "$ISSUER" --aud "$RESOURCE" \
			--sub "rot-$1" --ttl 600)
}

# kid_of TOKEN: the kid in TOKEN's header.
kid_of() {
	node -e 'const h = JSON.parse(Buffer.from(process.argv[1].split(".")[0], "base64url"));
		process.stdout.write(h.kid)' "$1"
}

# unwritable_round NAME LOGTEXT: a new key while the state directory cannot
# be written: its token is accepted, the unrecorded refresh logged.
unwritable_round() {
	local name=$1 logtext=$2 tok mark before i n codes=""
	# Past the refresh throttle of the last forced refresh (recovered's, for the
	# second round): else a worker refuses the new kid without a fetch.
	sleep "$THROTTLE.5"
	rotate "$name" || note "cannot publish a new key"
	tok=$ROT_TOKEN
	SENT+=("$tok")
	mark=$(log_mark)
	before=$(fetches /dev-issuer/jwks.json)
	t "$name: a token signed by a newly published key -> 200 (the keys kept in memory)"
	for ((i = 0; i < 10; i++)); do
		AUTH="Bearer $tok" mcp "$GREET"
		codes+="$STATUS "
	done
	want_eq "statuses" "200 200 200 200 200 200 200 200 200 200 " "$codes"
	n=$(($(fetches /dev-issuer/jwks.json) - before))
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || note "fetches: wanted one per worker (1 or 2), got $n"
	t "$name: the refresh that could not be written is logged once per worker, not per request"
	n=$(log_count "$mark" "$logtext")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || want_log "$mark" 1 "$logtext"
	ROUND_TOKEN=$tok
}

# recovered NAME: once the directory is writable again, the next key's
# refresh is written to the key cache.
recovered() {
	local tok before
	sleep "$THROTTLE.5"
	rotate "$1-after" || note "cannot publish a new key"
	tok=$ROT_TOKEN
	SENT+=("$tok")
	t "$1: recovered: the next new key is accepted and written to the key cache"
	before=$(fetches /dev-issuer/jwks.json)
	AUTH="Bearer $tok" mcp "$GREET"
	want_eq "fetches" 1 "$(($(fetches /dev-issuer/jwks.json) - before))"
	want_result 7
	t "$1: recovered: the key fetched during the fault still serves"
	AUTH="Bearer $ROUND_TOKEN" mcp "$GREET"
	want_result 7
	grep -qF "\"$(kid_of "$tok")\"" "$CACHE" || note "the new kid is not in $CACHE"
}


t "read-only: a read-only bind mount over the state directory refuses root"
mount --bind "$STATE" "$STATE" && FAULT_MOUNTS+=("$STATE") &&
	mount -o remount,bind,ro "$STATE" || note "mount failed"
touch "$STATE/probe" 2>/dev/null && note "root could still write there"
unwritable_round read-only "jwks: refresh not recorded: "
umount "$STATE" || note "umount failed"
recovered read-only

# ---- the file system full ---------------------------------------------------

TODO_TOK=$(mint_token --scope "todo:read todo:write" --sub faults-todo)
SENT+=("$TODO_TOK")
LONG=$(printf 'x%.0s' $(seq 1 150))

# create TITLE: create_todo as faults-todo; prints "ok ID", or what came.
create() {
	AUTH="Bearer $TODO_TOK" mcp "$(call_json create_todo "{\"title\":\"$1\"}" 5)"
	node -e '
		const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const s = r.result && !r.result.isError && r.result.structuredContent;
		if (s) console.log("ok " + s.id);
		else if (r.result && r.result.isError) console.log("tool-error " + r.result.content[0].text);
		else if (r.error) console.log("rpc-error " + r.error.code);
		else console.log("other");
	' "$RESP_BODY" 2>/dev/null | sed "s/^/$STATUS /" || echo "$STATUS unparsable"
}

t "full: a todo created before the fill"
want_eq "create" "200 ok" "$(create before-the-fill | cut -d' ' -f1-2)"

t "full: the state directory's file system is filled up"
mark_full=$(log_mark)
dd if=/dev/zero of="$STATE/filler" bs=16k 2>/dev/null
avail=$(df --output=avail "$STATE" | tail -n 1 | tr -d ' ')
[ "$avail" -le 16 ] || note "still $avail KiB free"
unwritable_round full "jwks: refresh not recorded: "

t "full: 20 new clients (new rate-limit buckets, new signatures) -> 200"
codes=""
for ((i = 1; i <= 20; i++)); do
	tok=$(mint_token --sub "fresh-$i" --client-id "fresh-client-$i")
	SENT+=("$tok")
	AUTH="Bearer $tok" mcp "$GREET"
	codes+="$STATUS "
done
want_eq "statuses" "$(printf '200 %.0s' $(seq 1 20))" "$codes"

t "full: 30 todo creates: each succeeds or fails cleanly (JSON-RPC -32603), logged, none crashes"
mark=$(log_mark)
: >"$TMP/full.creates"
for ((i = 1; i <= 30; i++)); do create "full-$i-$LONG" >>"$TMP/full.creates"; done
echo "     $(cut -d' ' -f1-3 "$TMP/full.creates" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
bad=$(grep -v '^200 ok \|^200 rpc-error -32603$' "$TMP/full.creates" | head -n 3)
[ -z "$bad" ] || note "unclean answers: $bad"
nfail=$(grep -c '^200 rpc-error' "$TMP/full.creates")
[ "$nfail" -gt 0 ] || note "no create failed: the file system was not full"
want_log "$mark" "$nfail" "todo store: commit: database or disk is full"

t "full: reads still work (list_todos)"
todo_list_all "$TODO_TOK" "$TMP/full.list" || note "list_todos failed: $STATUS $(short "$BODY")"

rm -f "$STATE/filler"
recovered full

t "full: recovered: creates work again; every create answered with success is listed once"
want_eq "create" "200 ok" "$(create after-the-fill | cut -d' ' -f1-2)"
todo_list_all "$TODO_TOK" "$TMP/after.list" || note "list_todos failed"
want_eq "todos listed" "$((2 + $(grep -c '^200 ok' "$TMP/full.creates")))" "$(wc -l <"$TMP/after.list" | tr -d ' ')"
for id in $(grep '^200 ok' "$TMP/full.creates" | cut -d' ' -f3); do
	[ "$(grep -c "^$id	" "$TMP/after.list")" = 1 ] || note "todo $id not listed once"
done

t "no token in any log, no worker died"
want_no_secret "${SENT[@]}"
grep -nE 'AddressSanitizer|runtime error:|child signalled|child exited' "$ERRLOG" | head -n 3 >"$TMP/died"
[ -s "$TMP/died" ] && note "$(cat "$TMP/died")"

callers_stop known
t "every call with the known key -> 200 ($(callers_summary known); slowest $(callers_slowest known) ms)"
want_eq "statuses" "200" "$(cat "$TMP"/known-c*.out | grep -v '^done' | cut -d' ' -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
finish
