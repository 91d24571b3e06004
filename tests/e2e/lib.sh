# tests/e2e/lib.sh - harness for the end-to-end tests (sourced, not run).
#
# Gives a test script:
#   - a private temporary directory $TMP, removed on exit;
#   - server_start [mkconf options...]: a real lighttpd on 127.0.0.1 and a
#     free port, configured by src/cli/mkconf.sh from lighttpd.conf.example
#     exactly as an operator's, running the programs from $BIN (or the
#     server WEB names, below); sets PORT, BASE, RESOURCE, LPID, SRV_DIR,
#     CONF, ERRLOG, ACCESS_LOG, SRV_LOGS.  server_stop stops it by its pid
#     (the trap does it too);
#   - the development issuer: server_start makes one (mcp-fcgi-cli
#     dev-issuer) that the same lighttpd serves, sets ISSUER, ISSUER_DIR and
#     TOKEN, an access token for RESOURCE; mint_token makes others.
#     SRV_DEV_ISSUER=0 leaves it out;
#   - http / mcp: one curl request (127.0.0.1 only, bounded by --max-time)
#     that sets STATUS, HEADERS, BODY; mcp sends the token;
#   - test cases: t "name" opens one, the want_* helpers check the last
#     response and record what was wanted and what came; a failed case
#     prints those lines and the server's new error log lines;
#   - finish: prints the count; its last line is exactly "N passed, N failed"
#     and the exit status is non-zero when a case failed.
#
# Environment: BIN (directory of mcp.fcgi and wellknown.fcgi, default
# cgi-bin), BUILD (default build), MCP_SANITIZE=1 for the ASan build.
#
# WEB picks the web server that server_start runs (web.sh does the work for
# all but lighttpd):
#   lighttpd      (default) lighttpd.conf.example via mkconf.sh, FastCGI
#   apache-cgi    Apache 2.4 + mod_cgi as a shared host runs it, the bundle
#                 (src/shared-hosting/htaccess) in its document root
#   apache-fcgid  apache.conf.example via mkwebconf.sh, mod_fcgid
#   nginx         nginx.conf.example via mkwebconf.sh, spawn-fcgi workers
# Under the last three the programs read their settings from a file
# ($SRV_DIR/mcp.env, outside the document root) and write their log lines
# to MCP_LOG_FILE ($ERRLOG); a line they write before that file is open
# (a configuration error) lands in one of SRV_LOGS, the server's own logs.
# A case that needs lighttpd itself (SRV_APPEND, mkconf's --template) runs
# only under WEB=lighttpd, and says so.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
BIN=${BIN:-cgi-bin}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
MKCONF=$ROOT/src/cli/mkconf.sh
CLI=${MCP_CLI:-$BUILD/mcp-fcgi-cli}
SRV_DEV_ISSUER=${SRV_DEV_ISSUER:-1}
WEB=${WEB:-lighttpd}
case $WEB in
lighttpd | apache-cgi | apache-fcgid | nginx) ;;
*)
	echo "WEB=$WEB: not one of lighttpd apache-cgi apache-fcgid nginx" >&2
	exit 2
	;;
esac
CURL_MAX_TIME=${CURL_MAX_TIME:-10}
# Sanitizer builds start and run slower.
if [ "${MCP_SANITIZE:-0}" = 1 ]; then CURL_MAX_TIME=30; fi

T_PASSED=0
T_FAILED=0
T_NAME=""
T_NOTES=()
T_LOGMARK=0
SRV_N=0
LPID=""
PORT=""
BASE=""
RESOURCE=""
ISSUER=""
ISSUER_DIR=""
TOKEN=""
ERRLOG=""
SRV_LOGS=()   # the server's own logs beside ERRLOG (Apache's and nginx's error logs)
SRV_PIDS=()   # processes of the server that are not its descendants (spawn-fcgi's workers)
ACCESS_LOG="" # the access log: "%m %U %H" (the path without the query) in every server
STATUS=""
HEADERS=""
BODY=""

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcp-test.XXXXXX") || exit 1
EXTRA_LOGS=() # more log files for finish() to check, beside each server's error log
RESP_BODY=$TMP/resp.body
RESP_HEAD=$TMP/resp.head

lib_cleanup() {
	server_stop
	rm -rf "$TMP"
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- processes ---------------------------------------------------------

# children_of PID: the pids whose parent is PID (from /proc, no procps).
children_of() {
	local stat pid rest ppid
	for stat in /proc/[0-9]*/stat; do
		read -r pid rest 2>/dev/null <"$stat" || continue
		# The command name may hold spaces: the fields after it start at ") ".
		rest=${rest##*) }
		ppid=${rest#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$1" ] && printf '%s\n' "$pid"
	done
	return 0
}

# descendants_of PID: the pids of PID's children, their children, ...
descendants_of() {
	local pid
	for pid in $(children_of "$1"); do
		printf '%s\n' "$pid"
		descendants_of "$pid"
	done
	return 0
}

# worker_pids NAME: the pids of the server's processes running NAME
# (mcp.fcgi): lighttpd's children, mod_fcgid's processes, spawn-fcgi's
# workers.  None under mod_cgi, where no process outlives its request.
worker_pids() {
	local pid exe
	[ -n "$LPID" ] || return 0
	for pid in $(descendants_of "$LPID") "${SRV_PIDS[@]}"; do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
		[ "${exe##*/}" = "$1" ] && printf '%s\n' "$pid"
	done
	return 0
}

# stop_pid PID [seconds]: SIGTERM, wait up to the bound, then SIGKILL.
stop_pid() {
	local pid=$1 i n=$((${2:-5} * 10))
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < n; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# ---- ports -------------------------------------------------------------

# free_port: a TCP port on 127.0.0.1 that nobody listens on.  The kernel
# picks it (bind to port 0) when node is at hand; otherwise random ports are
# probed until one refuses a connection.
free_port() {
	local p i
	if command -v node >/dev/null 2>&1; then
		p=$(node -e '
			const s = require("net").createServer();
			s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
		' 2>/dev/null) && [ -n "$p" ] && { printf '%s\n' "$p"; return 0; }
	fi
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 40000))
		port_open "$p" || { printf '%s\n' "$p"; return 0; }
	done
	return 1
}

# port_open PORT: true when something accepts connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---- the server --------------------------------------------------------

# dev_issuer_make: the development issuer of the server being started (on
# BASE): its key, JWKS and metadata in SRV_DIR/issuer; sets ISSUER_DIR and
# ISSUER.  Returns non-zero (after printing why) when the CLI fails.
dev_issuer_make() {
	ISSUER_DIR=$SRV_DIR/issuer
	ISSUER=$BASE/dev-issuer
	rm -rf "$ISSUER_DIR/.well-known"
	"$CLI" dev-issuer --dir "$ISSUER_DIR" --issuer "$ISSUER" >/dev/null && return 0
	echo "$CLI dev-issuer failed (run make first)" >&2
	return 1
}

# curl_cfg_entry FILE TOKEN BODY_FILE OUTPUT [HEAD_FILE [URL [TAG]]]:
# appends one POST to a curl --parallel configuration file (entries
# separated by "next"): to URL (default $BASE/mcp), with TOKEN (none when
# empty), the answer's headers into HEAD_FILE when given; curl prints each
# answer's status on a line of its own, after TAG and a space when given.
curl_cfg_entry() {
	[ ! -s "$1" ] || echo next >>"$1"
	cat >>"$1" <<-EOF_CFG
		url = "${6:-$BASE/mcp}"
		noproxy = "*"
		max-time = $CURL_MAX_TIME
		header = "Content-Type: application/json"
		header = "Accept: application/json, text/event-stream"
		data-binary = "@$3"
		output = "$4"
		write-out = "${7:+$7 }%{http_code}\\n"
	EOF_CFG
	[ -z "$2" ] || echo "header = \"Authorization: Bearer $2\"" >>"$1"
	[ -z "${5:-}" ] || echo "dump-header = \"$5\"" >>"$1"
}

# server_start [mkconf options...]: writes a configuration into a fresh
# directory and starts lighttpd -D with it.  Text in SRV_APPEND is added to
# the end of the configuration, with @PORT@, @BIN@ and @DIR@ replaced; in
# the mkconf options @PORT@ and @DIR@ are replaced too (for URLs of this
# server, e.g. --env OAUTH_JWKS_URI=http://127.0.0.1:@PORT@/...).
# lighttpd's own stderr, which the FastCGI programs inherit, goes to the
# error log too, so ERRLOG holds the programs' JSON lines.  Returns non-zero
# (after printing why) when lighttpd does not come up; SRV_EXIT then holds
# its exit status, if it exited.
server_start() {
	if [ "$WEB" != lighttpd ]; then
		web_server_start "$@"
		return
	fi
	local try i append issuer_args opts
	server_stop
	SRV_N=$((SRV_N + 1))
	SRV_DIR=$TMP/srv$SRV_N
	SRV_EXIT=""
	mkdir -p "$SRV_DIR/state" "$SRV_DIR/log" || return 1
	chmod 700 "$SRV_DIR/state"
	CONF=$SRV_DIR/lighttpd.conf
	ERRLOG=$SRV_DIR/log/error.log
	ACCESS_LOG=$SRV_DIR/log/access.log
	SRV_LOGS=()
	: >"$ERRLOG"
	for try in 1 2 3; do
		PORT=$(free_port) || { echo "no free port" >&2; return 1; }
		BASE=http://127.0.0.1:$PORT
		issuer_args=()
		ISSUER=""
		TOKEN=""
		if [ "$SRV_DEV_ISSUER" = 1 ]; then
			dev_issuer_make || return 1
			issuer_args=(--dev-issuer "$ISSUER_DIR")
		fi
		opts=("${@//@PORT@/$PORT}")
		opts=("${opts[@]//@DIR@/$SRV_DIR}")
		"$MKCONF" --home "$ROOT" --bin "$BIN" --state "$SRV_DIR/state" \
			--log "$SRV_DIR/log" --port "$PORT" "${issuer_args[@]}" "${opts[@]}" -o "$CONF" ||
			return 1
		RESOURCE=$(sed -n 's/^var\.mcp_resource = "\(.*\)"$/\1/p' "$CONF")
		if [ -n "${SRV_APPEND:-}" ]; then
			append=${SRV_APPEND//@PORT@/$PORT}
			append=${append//@BIN@/$BIN}
			append=${append//@DIR@/$SRV_DIR}
			printf '\n%s\n' "$append" >>"$CONF"
		fi
		if ! lighttpd -tt -f "$CONF" >>"$ERRLOG" 2>&1; then
			echo "lighttpd refuses the configuration $CONF:" >&2
			tail -n 20 "$ERRLOG" >&2
			return 1
		fi
		lighttpd -D -f "$CONF" </dev/null >>"$ERRLOG" 2>&1 &
		LPID=$!
		server_wait lighttpd
		case $? in 0) return 0 ;; 1) return 1 ;; esac
		# Died: somebody may have taken the port in between; try another
		# unless the log says something else went wrong.
		grep -q 'Address already in use' "$ERRLOG" || break
	done
	echo "lighttpd exited with status $SRV_EXIT; its error log:" >&2
	tail -n 30 "$ERRLOG" >&2
	return 1
}

# server_wait NAME: waits (at most 15 s) until the server LPID answers on
# PORT, then mints TOKEN when there is an issuer.  A server listens before
# its FastCGI workers are up and answers only once they are: one answered
# request (a 404 for a static path) means it is complete.  Returns 0 when it
# is up; 2 when it exited (SRV_EXIT holds its status: the caller may try
# another port); 1 otherwise (stopped, the reason printed).
server_wait() {
	local i
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "$LPID" 2>/dev/null; then
			wait "$LPID" 2>/dev/null
			SRV_EXIT=$?
			LPID=""
			return 2
		fi
		if port_open "$PORT" &&
			curl -s --noproxy '*' --max-time "$CURL_MAX_TIME" -o /dev/null \
				"$BASE/.server-start-probe" && kill -0 "$LPID" 2>/dev/null; then
			if [ -n "$ISSUER" ] && ! TOKEN=$(mint_token); then
				echo "cannot mint a token with $CLI" >&2
				server_stop
				return 1
			fi
			return 0
		fi
		sleep 0.1
	done
	echo "$1 (pid $LPID) did not listen on $PORT within 15 s" >&2
	server_stop
	return 1
}

# server_stop: stops the server by its pid and then any process of it
# that is left (workers, spawn-fcgi's workers).
server_stop() {
	local kids pid
	[ -n "$LPID" ] || return 0
	kids=$(descendants_of "$LPID")
	stop_pid "$LPID" 10
	wait "$LPID" 2>/dev/null
	# All at once: a libfcgi worker may take a second or two to act on SIGTERM.
	for pid in $kids "${SRV_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in $kids "${SRV_PIDS[@]}"; do stop_pid "$pid" 5; done
	LPID=""
	SRV_PIDS=()
}

# mint_token [mcp-fcgi-cli mint options...]: prints an access token from the
# development issuer for RESOURCE (later options override: --aud, --ttl...).
mint_token() {
	"$CLI" mint --key "$ISSUER_DIR/signing-key.pem" --iss "$ISSUER" --aud "$RESOURCE" \
		--sub e2e-user --client-id e2e-client --ttl 3600 "$@"
}

# access_sync: makes sure the access log holds every request so far.
# lighttpd buffers access log lines and writes them out every few seconds or
# when SIGHUP cycles the logs: a marker request goes last, and SIGHUP is
# repeated (bounded) until the marker's line is in the file.  Apache and
# nginx write each line once the request is done (SIGHUP would restart
# them): the marker's line is waited for.
access_sync() {
	local marker i
	# Unique even from a $(...) subshell, where a counter would not advance.
	marker="/__sync/$(date +%s%N)-$RANDOM"
	curl -s --noproxy '*' --max-time "$CURL_MAX_TIME" -o /dev/null "$BASE$marker"
	for ((i = 0; i < 100; i++)); do
		grep -qF "\"GET $marker " "$ACCESS_LOG" 2>/dev/null && return 0
		[ "$WEB" != lighttpd ] || kill -HUP "$LPID" 2>/dev/null
		sleep 0.05
	done
	return 1
}

# fetches PATH: how many GET PATH the server has answered so far (-1 when the
# access log cannot be synchronised).
fetches() {
	access_sync || { echo -1; return; }
	grep -cF "\"GET $1 HTTP/" "$ACCESS_LOG"
}

# ---- requests ----------------------------------------------------------

# http METHOD PATH [curl options...]: sets STATUS ("000" when curl failed),
# HEADERS (CRs removed) and BODY; the body's bytes stay in $RESP_BODY.
http() {
	local method=$1 path=$2
	shift 2
	: >"$RESP_BODY"
	: >"$RESP_HEAD"
	if [ "$method" = HEAD ]; then set -- --head "$@"; else set -- -X "$method" "$@"; fi
	STATUS=$(curl -sS --noproxy '*' --max-time "$CURL_MAX_TIME" -o "$RESP_BODY" \
		-D "$RESP_HEAD" -w '%{http_code}' "$@" "$BASE$path" 2>"$TMP/curl.err") ||
		STATUS=000
	HEADERS=$(tr -d '\r' <"$RESP_HEAD")
	BODY=$(cat "$RESP_BODY")
}

# mcp JSON [curl options...]: POST /mcp as an MCP client would.  The
# Content-Type, Accept and Authorization headers come from CT, ACCEPT and
# AUTH when set (an empty value sends no such header), e.g.
# CT=text/plain mcp "$json"; by default JSON, the transport's Accept and
# "Bearer $TOKEN".  Give other headers as curl options; a header must not be
# given twice.
mcp() {
	local json=$1
	shift
	mcp_post --data-binary "$json" "$@"
}

# mcp_file FILE [curl options...]: the same with the body read from FILE.
mcp_file() {
	local file=$1
	shift
	mcp_post --data-binary "@$file" "$@"
}

mcp_post() {
	local ct=${CT-application/json} accept=${ACCEPT-application/json, text/event-stream}
	local auth=${AUTH-${TOKEN:+Bearer $TOKEN}}
	http POST "${MCP_PATH:-/mcp}" -H "Content-Type:${ct:+ $ct}" -H "Accept:${accept:+ $accept}" \
		-H "Authorization:${auth:+ $auth}" -H 'Expect:' "$@"
}

# call_json NAME ARGS_JSON [ID]: a tools/call request body.
call_json() {
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' \
		"${3:-1}" "$1" "$2"
}

# ---- test cases --------------------------------------------------------

# t NAME: ends the open case and opens a new one.
t() {
	t_end
	T_NAME=$1
	T_NOTES=()
	T_LOGMARK=0
	[ -n "$ERRLOG" ] && [ -f "$ERRLOG" ] && T_LOGMARK=$(wc -l <"$ERRLOG")
}

# note LINE...: records why the open case fails.
note() {
	T_NOTES+=("$@")
}

t_end() {
	local line
	[ -n "$T_NAME" ] || return 0
	if [ ${#T_NOTES[@]} -eq 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		printf 'ok   %s\n' "$T_NAME"
	else
		T_FAILED=$((T_FAILED + 1))
		printf 'FAIL %s\n' "$T_NAME"
		for line in "${T_NOTES[@]}"; do printf '     %s\n' "$line"; done
		if [ -n "$ERRLOG" ] && [ -s "$ERRLOG" ]; then
			printf '     -- error log since the case began (%s):\n' "$ERRLOG"
			tail -n +"$((T_LOGMARK + 1))" "$ERRLOG" | tail -n 20 | sed 's/^/     | /'
		fi
	fi
	T_NAME=""
	T_NOTES=()
}

# short TEXT: TEXT cut to 300 bytes for messages.
short() {
	local s=$1
	[ ${#s} -le 300 ] || s="${s:0:300}..."
	printf '%s' "$s"
}

want_eq() { # want_eq WHAT WANTED GOT
	[ "$2" = "$3" ] || note "$1: wanted '$(short "$2")', got '$(short "$3")'"
}

want_status() {
	[ "$STATUS" = "$1" ] ||
		note "HTTP status: wanted $1, got $STATUS" "body: $(short "$BODY")"
}

# want_header NAME VALUE: the response has header NAME (any case) whose
# value is exactly VALUE.
want_header() {
	local got
	got=$(header_value "$1")
	[ "$got" = "$2" ] ||
		note "header $1: wanted '$2', got '${got:-(absent)}'"
}

# want_header_match NAME REGEX: like want_header with an extended regex.
want_header_match() {
	local got
	got=$(header_value "$1")
	[[ $got =~ $2 ]] ||
		note "header $1: wanted /$2/, got '${got:-(absent)}'"
}

want_no_header() {
	local got
	got=$(header_value "$1")
	[ -z "$got" ] || note "header $1: wanted none, got '$got'"
}

# header_value NAME: the value of the last response header NAME.
header_value() {
	printf '%s\n' "$HEADERS" | awk -v n="$1" '
		BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); last = v } }
		END { printf "%s", last }'
}

# want_body_has TEXT: the body contains TEXT (fixed string).
want_body_has() {
	case $BODY in
	*"$1"*) ;;
	*) note "body: wanted it to contain '$(short "$1")'" "got: $(short "$BODY")" ;;
	esac
}

want_body_lacks() {
	case $BODY in
	*"$1"*) note "body: wanted no '$(short "$1")'" "got: $(short "$BODY")" ;;
	esac
}

want_empty_body() {
	[ ! -s "$RESP_BODY" ] || note "body: wanted none, got '$(short "$BODY")'"
}

# want_json EXPR WANT [EXPR WANT...]: parses the body as JSON into r and
# compares JSON.stringify(EXPR) with WANT (compact JSON) for each pair.
want_json() {
	local out
	out=$(json_check "$RESP_BODY" "$@") || note "body: $(short "$BODY")" "$out"
}

# json_check FILE EXPR WANT...: the check behind want_json; prints one line
# per mismatch and fails on any.
json_check() {
	node -e '
		const fs = require("fs");
		const [file, ...pairs] = process.argv.slice(1);
		let r, bad = 0;
		try { r = JSON.parse(fs.readFileSync(file, "utf8")); }
		catch (e) { console.log("not JSON: " + e.message); process.exit(1); }
		for (let i = 0; i + 1 < pairs.length; i += 2) {
			let got;
			try { got = JSON.stringify(Function("r", "return (" + pairs[i] + ");")(r)); }
			catch (e) { got = "<" + e.message + ">"; }
			if (got !== pairs[i + 1]) {
				console.log(pairs[i] + ": wanted " + pairs[i + 1] + ", got " + got);
				bad = 1;
			}
		}
		process.exit(bad);
	' "$@" 2>&1
}

# want_error HTTP_STATUS CODE [ID]: a JSON-RPC error response with id null
# (a transport refusal or an unparsable request).  With ID, the id may also
# be ID: JSON-RPC 2.0 §5 asks for null only when the id cannot be detected.
want_error() {
	want_status "$1"
	want_header_match Content-Type '^application/json'
	want_json 'r.jsonrpc' '"2.0"' "[null, ${3:-null}].includes(r.id)" true \
		'r.error.code' "$2" 'typeof r.error.message' '"string"' '"result" in r' false
}

# want_rpc_error CODE ID: HTTP 200 with a JSON-RPC error for request ID.
want_rpc_error() {
	want_status 200
	want_json 'r.jsonrpc' '"2.0"' 'r.id' "$2" 'r.error.code' "$1" \
		'typeof r.error.message' '"string"' '"result" in r' 'false'
}

# want_tool_error ID TEXT: a result with isError true and TEXT as its text.
want_tool_error() {
	want_result "$1"
	want_json 'r.result.isError' true 'r.result.content' "[{\"type\":\"text\",\"text\":\"$2\"}]" \
		'"structuredContent" in r.result' false
}

# want_result ID: HTTP 200 with a JSON-RPC result for request ID.
want_result() {
	want_status 200
	want_header_match Content-Type '^application/json'
	want_json 'r.jsonrpc' '"2.0"' 'r.id' "$1" '"error" in r' 'false' \
		'typeof r.result' '"object"'
}

# finish: closes the last case and prints the count; the last line is
# exactly "N passed, N failed".  Exits non-zero when a case failed.
finish() {
	local logs=() f out
	# DESIGN: every log line is valid UTF-8 JSON, whatever the requests held.
	for f in "$TMP"/srv*/log/*.log "${EXTRA_LOGS[@]}"; do
		case $f in */access.log) continue ;; esac
		[ -f "$f" ] && logs+=("$f")
	done
	t "every line the programs logged (${#logs[@]} logs) is valid UTF-8 JSON"
	out=$(node "$ROOT/tests/lib/json_lines.mjs" "${logs[@]}" 2>&1) || note "$out"
	t_end
	printf '%s passed, %s failed\n' "$T_PASSED" "$T_FAILED"
	[ "$T_FAILED" -eq 0 ]
	exit
}

# server_start_or_finish [mkconf options...]: server_start, or one counted
# failure and the end of the run when the server does not come up.
server_start_or_finish() {
	server_start "$@" && return 0
	t "$WEB starts"
	note "see the error log above"
	finish
}

# burst COUNT TOKEN BODY: COUNT requests at once (curl --parallel), TOKEN
# empty for none, spread in turn over the URLs of BURST_URLS (default
# $BASE/mcp; several: several machines); answers in $TMP/b/i.{head,body}.
# Sets CODES ("i status" per line, as they complete), OKS and LIMITED.
burst() {
	local count=$1 token=$2 i cfg=$TMP/burst.cfg urls
	read -r -a urls <<<"${BURST_URLS:-$BASE/mcp}"
	rm -rf "$TMP/b" && mkdir "$TMP/b"
	printf '%s' "$3" >"$TMP/b/body.json"
	: >"$cfg"
	for ((i = 1; i <= count; i++)); do
		curl_cfg_entry "$cfg" "$token" "$TMP/b/body.json" "$TMP/b/$i.body" "$TMP/b/$i.head" \
			"${urls[(i - 1) % ${#urls[@]}]}" "$i"
	done
	CODES=$(curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$count" \
		-K "$cfg" 2>/dev/null)
	OKS=$(grep -c ' 200$' <<<"$CODES")
	LIMITED=$(grep -c ' 429$' <<<"$CODES")
}

# until_refused TOKEN BODY: calls until an answer is 429 (at most 5 calls:
# on a busy machine a short window may refill between two calls).
until_refused() {
	local _
	for _ in 1 2 3 4 5; do
		AUTH="Bearer $1" mcp "$2"
		[ "$STATUS" = 429 ] && return 0
	done
	return 1
}

# refusal_ok I POLICY Q W: answer I of the last burst is a 429 with
# Retry-After, the RateLimit fields of POLICY (Q requests in W seconds) and
# a -32029 error.
refusal_ok() {
	local h
	h=$(tr -d '\r' <"$TMP/b/$1.head")
	grep -qx 'Retry-After: [1-9][0-9]*' <<<"$h" || note "answer $1: no Retry-After: $(short "$h")"
	grep -qx "RateLimit-Policy: \"$2\";q=$3;w=$4" <<<"$h" || note "answer $1: RateLimit-Policy: $(short "$h")"
	grep -qx "RateLimit: \"$2\";r=0;t=[1-9][0-9]*" <<<"$h" || note "answer $1: RateLimit: $(short "$h")"
	grep -q '"error":{"code":-32029' "$TMP/b/$1.body" || note "answer $1: $(short "$(cat "$TMP/b/$1.body")")"
}

# first_429: the index of the first 429 of the last burst.
first_429() {
	grep ' 429$' <<<"$CODES" | head -1 | cut -d' ' -f1
}

# todo_list_all TOKEN FILE: pages through TOKEN's todos with list_todos (100
# a page) into FILE, one "id<TAB>title<TAB>completed" line each.  Fails when
# a page is not a successful result, or after 1000 pages.
todo_list_all() {
	local tok=$1 out=$2 cursor="" args i
	: >"$out"
	for ((i = 0; i < 1000; i++)); do
		args='{"limit":100}'
		[ -z "$cursor" ] || args="{\"limit\":100,\"cursor\":\"$cursor\"}"
		AUTH="Bearer $tok" mcp "$(call_json list_todos "$args" 900)"
		[ "$STATUS" = 200 ] || return 1
		cursor=$(node -e '
			const fs = require("fs");
			const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
			const s = r.result && !r.result.isError && r.result.structuredContent;
			if (!s || !Array.isArray(s.todos)) process.exit(1);
			fs.appendFileSync(process.argv[2],
				s.todos.map((t) => `${t.id}\t${t.title}\t${t.completed}\n`).join(""));
			process.stdout.write(s.next_cursor === null ? "" : s.next_cursor);
		' "$RESP_BODY" "$out") || return 1
		[ -n "$cursor" ] || return 0
	done
	return 1
}

# need_programs NAME...: fails the run (one counted failure) when a program
# has not been built.
need_programs() {
	local p missing=0
	for p in "$@"; do
		if [ ! -x "$BIN/$p" ]; then
			echo "missing $BIN/$p (run make first)" >&2
			missing=1
		fi
	done
	if [ $missing = 1 ]; then
		t "programs built"
		note "missing programs in $BIN"
		finish
	fi
}

# lighttpd_only WHY: true under WEB=lighttpd; otherwise prints why the part
# that follows runs only there (the count of cases then differs by server).
lighttpd_only() {
	[ "$WEB" = lighttpd ] && return 0
	printf 'lighttpd only (WEB=%s): %s\n' "$WEB" "$1"
	return 1
}

[ "$WEB" = lighttpd ] || . "$ROOT/tests/e2e/web.sh"
