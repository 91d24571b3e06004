# tests/cgi/lib_cgi.sh - running a program as plain CGI (sourced after
# tests/e2e/lib.sh): the request is the environment plus a body piped into
# stdin.  The caller sets PROG (the program), WRAP (a command to run it
# through: valgrind, chroot; may be empty), CGI_TIMEOUT, and the variables
# of a good request: CGI_HOST, TOKEN, RESOURCE, ISSUER, CGI_STATE.

# cgi BODY [NAME=VALUE...]: runs the program with BODY on stdin and a CGI
# environment of a good POST /mcp; NAME=VALUE changes a variable, NAME=@unset
# removes it.  Sets STATUS (from Status:, 200 when absent), HEADERS, BODY
# (and $RESP_BODY), CGI_EXIT and CGI_ERR (stderr).
cgi() {
	printf '%s' "$1" >"$TMP/cgi.in"
	shift
	cgi_file "$TMP/cgi.in" "$@"
}

cgi_file() {
	local in=$1 a k v raw sep
	shift
	local -A env=(
		[PATH]=$PATH [GATEWAY_INTERFACE]=CGI/1.1 [SERVER_PROTOCOL]=HTTP/1.1
		[SERVER_SOFTWARE]=test_cgi [SERVER_NAME]=127.0.0.1 [SERVER_PORT]=3002
		[REMOTE_ADDR]=127.0.0.1 [REQUEST_METHOD]=POST [SCRIPT_NAME]=/mcp
		[REQUEST_URI]=/mcp [CONTENT_TYPE]=application/json
		[CONTENT_LENGTH]=$(wc -c <"$in" | tr -d ' ')
		[HTTP_HOST]=$CGI_HOST [HTTP_ACCEPT]='application/json, text/event-stream'
		[HTTP_AUTHORIZATION]="Bearer $TOKEN" [MCP_RESOURCE]=$RESOURCE
		[MCP_STATE_DIR]=$CGI_STATE [OAUTH_ISSUER]=$ISSUER [OAUTH_ALLOW_HTTP]=1
	)
	for k in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!k:-}" ] && env[$k]=${!k}
	done
	for a in "$@"; do
		k=${a%%=*}
		v=${a#*=}
		if [ "$v" = @unset ]; then unset "env[$k]"; else env[$k]=$v; fi
	done
	local args=()
	for k in "${!env[@]}"; do args+=("$k=${env[$k]}"); done
	timeout -k 2 "$CGI_TIMEOUT" env -i "${args[@]}" "${WRAP[@]}" "$PROG" \
		<"$in" >"$TMP/cgi.out" 2>"$TMP/cgi.err"
	CGI_EXIT=$?
	CGI_ERR=$(cat "$TMP/cgi.err")
	# Every run's log lines are checked by finish() (valid UTF-8 JSON).
	cat "$TMP/cgi.err" >>"$TMP/cgi-all.err"
	raw=$(
		cat "$TMP/cgi.out"
		printf x
	)
	raw=${raw%x}
	sep=$'\r\n\r\n'
	case $raw in *"$sep"*) ;; *) sep=$'\n\n' ;; esac
	case $raw in
	*"$sep"*)
		HEADERS=${raw%%"$sep"*}
		BODY=${raw#*"$sep"}
		;;
	*)
		HEADERS=$raw
		BODY=""
		;;
	esac
	HEADERS=${HEADERS//$'\r'/}
	printf '%s' "$BODY" >"$RESP_BODY"
	STATUS=$(header_value Status)
	STATUS=${STATUS%% *}
	[ -n "$STATUS" ] || STATUS=200
	[ -n "$raw" ] || STATUS=none
}

# want_exit N: the program's exit status.
want_exit() {
	[ "$CGI_EXIT" = "$1" ] ||
		note "exit status: wanted $1, got $CGI_EXIT" "stderr: $(short "$CGI_ERR")"
}

# want_length: Content-Length, when sent, is the body's size.
want_length() {
	local cl size
	cl=$(header_value Content-Length)
	size=$(wc -c <"$RESP_BODY" | tr -d ' ')
	[ -z "$cl" ] || [ "$cl" = "$size" ] ||
		note "Content-Length $cl but the body has $size bytes"
}

# want_served: the request ran to a response: exit 0, a Content-Length that
# fits, one JSON log line on stderr.
want_served() {
	want_exit 0
	want_length
	local lines
	lines=$(printf '%s\n' "$CGI_ERR" | grep -c '^{')
	[ "$lines" = 1 ] || note "stderr: wanted one JSON log line, got $lines: $(short "$CGI_ERR")"
}

# want_config_error VAR: the program refuses to start: non-zero exit, one
# line on stderr naming VAR, no successful response.
want_config_error() {
	[ "$CGI_EXIT" != 0 ] || note "exit status: wanted non-zero, got 0"
	local n
	n=$(printf '%s' "$CGI_ERR" | grep -c '')
	[ "$n" = 1 ] || note "stderr: wanted exactly one line, got $n: $(short "$CGI_ERR")"
	case $CGI_ERR in *"$1"*) ;; *) note "stderr does not name $1: $(short "$CGI_ERR")" ;; esac
	case $STATUS in 2??) note "HTTP status: wanted no success, got $STATUS" ;; esac
}
