#!/usr/bin/env bash
# test_web.sh - what each web server must do for mcp-fcgi, whatever WEB
# names (lighttpd, apache-cgi, apache-fcgid, nginx; see lib.sh): the
# Authorization header reaches the program, /mcp is never redirected, files
# beside the documentation page are never served, a token in the query
# string reaches no log, a crowd of cold requests fetches the keys once, and
# the todo tools work through it.  Under apache-cgi also the shared-hosting
# bundle's own cases: a sub-folder, the Authorization fallback of an Apache
# before 2.4.13, a configuration file inside the document root.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_programs mcp.fcgi wellknown.fcgi
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
SECRET="do-not-serve-$RANDOM$RANDOM"

# The document root holds, beside the page, files that must never be served.
SITE=$TMP/site
mkdir -p "$SITE/.git"
cp "$ROOT/www/index.html" "$SITE/"
for f in .htaccess README.txt mcp.env .env .git/config index.html~ todos.sqlite; do
	[ -e "$SITE/$f" ] || printf '%s\n' "$SECRET" >"$SITE/$f"
done
chmod -R a+rX "$SITE"
if [ "$WEB" = lighttpd ]; then
	SRV_APPEND="server.document-root := \"$SITE\"" server_start_or_finish --max-procs 2
else
	SRV_DOCROOT=$SITE server_start_or_finish --max-procs 2
fi
SRV_APPEND=

# ---- a crowd of cold requests: one key fetch ----------------------------------
# The first requests of a fresh server, all at once: every process (CGI runs,
# FastCGI workers) finds the key cache empty; the flock'd cache file in the
# state directory lets one of them fetch and the others read its result.

t "a crowd of 16 cold requests at once -> all 200, exactly one JWKS fetch"
printf '%s' "$GREET" >"$TMP/greet.json"
: >"$TMP/crowd.cfg"
for i in $(seq 16); do
	curl_cfg_entry "$TMP/crowd.cfg" "$TOKEN" "$TMP/greet.json" "$TMP/crowd.$i"
done
curl -sS --parallel --parallel-immediate --parallel-max 16 -K "$TMP/crowd.cfg" \
	>"$TMP/crowd.codes" 2>"$TMP/curl.err"
want_eq "statuses" "16 200" "$(sort "$TMP/crowd.codes" | uniq -c | awk '{ print $1, $2 }' | tr '\n' ' ' | sed 's/ $//')"
want_eq "greetings" 16 "$(cat "$TMP"/crowd.[0-9]* | grep -o 'Hi Ada, welcome!' | wc -l)"
want_eq "JWKS fetches" 1 "$(fetches /dev-issuer/jwks.json)"

# ---- the Authorization header reaches the program -------------------------------

t "POST /mcp with a token -> 200 (the server passes Authorization on)"
mcp "$GREET"
want_result 7
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'

t "POST /mcp without Authorization -> 401 with the Bearer challenge, not 500"
AUTH= mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate "^Bearer realm=\"mcp\", .*resource_metadata=\"$BASE/\\.well-known/oauth-protected-resource/mcp\"$"
want_json 'r.error' '"unauthorized"'

t "a refused token -> 401 invalid_token (the program saw the header)"
AUTH="Bearer $(mint_token --aud "$BASE/other")" mcp "$GREET"
want_status 401
want_header_match WWW-Authenticate 'error="invalid_token"'

# ---- no redirect --------------------------------------------------------------------

t "POST /mcp/ -> served by the program, no redirect"
MCP_PATH=/mcp/ mcp "$GREET"
want_result 7
want_no_header Location

t "GET /mcp and GET /mcp/ -> 405 from the program, no redirect"
for p in /mcp /mcp/; do
	http GET "$p" -H "Authorization: Bearer $TOKEN"
	want_error 405 -32600
	want_no_header Location
done

# ---- the routes -----------------------------------------------------------------------

for p in /.well-known/oauth-protected-resource /.well-known/oauth-protected-resource/mcp; do
	t "GET $p -> the metadata naming the resource"
	http GET "$p"
	want_status 200
	want_json 'r.resource' "\"$RESOURCE\"" 'r.authorization_servers' "[\"$ISSUER\"]"
done

t "GET /health -> 200 ready"
http GET /health
want_status 200
want_json 'r.ready' true

t "GET / and /index.html -> the documentation page"
for p in / /index.html; do
	http GET "$p"
	want_status 200
	want_body_has 'mcp-fcgi'
done

# ---- files that are never served ----------------------------------------------------

for f in .htaccess README.txt mcp.env .env .git/config index.html~ todos.sqlite; do
	t "GET /$f (in the document root) -> 403 or 404, not its content"
	http GET "/$f"
	case $STATUS in 403 | 404) ;; *) note "HTTP status: wanted 403 or 404, got $STATUS" ;; esac
	want_body_lacks "$SECRET"
done

if [ "$WEB" = apache-cgi ]; then
	for f in lib/libcjson.so.1 lib/libsqlite3.so.0; do
		t "GET /$f (a bundled library) -> 403 or 404"
		http GET "/$f"
		case $STATUS in 403 | 404) ;; *) note "HTTP status: wanted 403 or 404, got $STATUS" ;; esac
		want_body_lacks ELF
	done
	for f in mcp.cgi wellknown.cgi; do
		t "GET /$f (a program, by its own name) -> 404, never run"
		http GET "/$f" -H "Authorization: Bearer $TOKEN"
		want_status 404
		want_no_header WWW-Authenticate
	done
fi

# ---- a token in the query string reaches no log --------------------------------------

t "a token in ?access_token= -> 401; it is in no log, the path is"
QTOK=$(mint_token --sub query-user)
MCP_PATH="/mcp?access_token=$QTOK" AUTH= mcp "$GREET"
want_status 401
http GET "/.well-known/oauth-protected-resource/mcp?access_token=$QTOK"
want_status 200
access_sync || note "the access log could not be synchronised"
sleep 0.2
for f in "$ACCESS_LOG" "$ERRLOG" "${SRV_LOGS[@]}"; do
	[ -f "$f" ] || continue
	grep -qF -- "${QTOK##*.}" "$f" && note "the query-string token's signature is in $f"
	grep -qF -- "access_token" "$f" && note "a query string is in $f"
done
grep -qE '"POST /mcp HTTP/1\.1" 401 ' "$ACCESS_LOG" ||
	note "the access log does not show POST /mcp 401: $(tail -n 3 "$ACCESS_LOG")"

# ---- the todo tools through this server ------------------------------------------------

TW=$(mint_token --sub "web-$RANDOM" --scope 'todo:read todo:write')
TR=$(mint_token --sub "web-$RANDOM" --scope 'todo:read')

t "todos: create, get, update, list, delete"
AUTH="Bearer $TW" mcp "$(call_json create_todo '{"title":"through the web server"}' 21)"
want_result 21
id=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	process.stdout.write(String(r.result.structuredContent && r.result.structuredContent.id || ""))' \
	"$RESP_BODY" 2>/dev/null)
[ -n "$id" ] || note "create_todo gave no id: $(short "$BODY")"
AUTH="Bearer $TW" mcp "$(call_json get_todo "{\"todo_id\":\"$id\"}" 22)"
want_result 22
want_json 'r.result.structuredContent.title' '"through the web server"' \
	'r.result.structuredContent.completed' false
AUTH="Bearer $TW" mcp "$(call_json update_todo "{\"todo_id\":\"$id\",\"completed\":true}" 23)"
want_result 23
want_json 'r.result.structuredContent.completed' true
AUTH="Bearer $TW" mcp "$(call_json list_todos '{}' 24)"
want_result 24
want_json 'r.result.structuredContent.todos.map(x => x.id)' "[\"$id\"]"
AUTH="Bearer $TW" mcp "$(call_json delete_todo "{\"todo_id\":\"$id\"}" 25)"
want_result 25
want_json 'r.result.isError === undefined || r.result.isError === false' true
AUTH="Bearer $TW" mcp "$(call_json get_todo "{\"todo_id\":\"$id\"}" 26)"
want_result 26
want_json 'r.result.isError' true

t "todos: create_todo with todo:read only -> 403 insufficient_scope naming todo:write"
AUTH="Bearer $TR" mcp "$(call_json create_todo '{"title":"no"}' 27)"
want_status 403
want_header_match WWW-Authenticate '^Bearer .*error="insufficient_scope".*scope="[^"]*todo:write'

# ---- the shared-hosting bundle (apache-cgi) ------------------------------------------

if [ "$WEB" = apache-cgi ]; then
	# A bundle in a sub-folder, with its own configuration file.  Its
	# resource's path-aware metadata URL lies outside the folder: the
	# README.txt's one rule in the document root's .htaccess routes it.
	SUBDIR=$SITE/~me/mcp-app
	SUBRES=$BASE/~me/mcp-app/mcp
	sed -e "s#^MCP_RESOURCE=.*#MCP_RESOURCE=\"$SUBRES\"#" "$SRV_ENV_FILE" >"$SRV_DIR/sub.env"
	chmod 640 "$SRV_DIR/sub.env" && chgrp "$(id -gn "$WEB_USER")" "$SRV_DIR/sub.env"
	web_bundle "$SUBDIR" "$SRV_DIR/sub.env"
	chmod 755 "$SITE/~me"
	printf '%s\n' "$SECRET" >"$SUBDIR/mcp.env"
	chmod 644 "$SUBDIR/mcp.env"
	rule=$(sed -n 's/^[ \t]*\(RewriteRule \^\\\.well-known\/oauth-protected-resource\/~me\/mcp-app\/mcp\$ .*\)$/\1/p' \
		"$ROOT/src/shared-hosting/README.txt")
	# At the top, as README.txt says: before the root's own rules.
	{
		printf 'RewriteEngine On\n%s\n' "$rule"
		cat "$SITE/.htaccess"
	} >"$SITE/.htaccess.new" && mv "$SITE/.htaccess.new" "$SITE/.htaccess"
	chmod 644 "$SITE/.htaccess"
	TSUB=$(mint_token --aud "$SUBRES")

	t "sub-folder: POST /~me/mcp-app/mcp with a token -> 200"
	AUTH="Bearer $TSUB" MCP_PATH=/~me/mcp-app/mcp mcp "$GREET"
	want_result 7

	t "sub-folder: without a token -> 401 naming the metadata at the host's root"
	AUTH= MCP_PATH=/~me/mcp-app/mcp mcp "$GREET"
	want_status 401
	want_header_match WWW-Authenticate "resource_metadata=\"$BASE/\\.well-known/oauth-protected-resource/~me/mcp-app/mcp\"$"

	t "sub-folder: README.txt's rule in the root's .htaccess serves that metadata"
	[ -n "$rule" ] || note "README.txt has no RewriteRule line for ~me/mcp-app"
	http GET /.well-known/oauth-protected-resource/~me/mcp-app/mcp
	want_status 200
	want_json 'r.resource' "\"$SUBRES\""

	t "sub-folder: its own /health and in-folder metadata URL are answered"
	http GET /~me/mcp-app/health
	want_status 200
	want_json 'r.ready' true
	http GET /~me/mcp-app/.well-known/oauth-protected-resource
	want_status 200
	want_json 'r.resource' "\"$SUBRES\""

	t "sub-folder: /mcp/ and the folder without its slash are not redirected"
	AUTH="Bearer $TSUB" MCP_PATH=/~me/mcp-app/mcp/ mcp "$GREET"
	want_result 7
	http GET /~me/mcp-app
	case $STATUS in 3??) note "GET /~me/mcp-app: a redirect ($STATUS $(header_value Location))" ;; esac

	t "sub-folder: .htaccess, README.txt, mcp.env, the programs -> 403 or 404"
	for f in .htaccess README.txt mcp.env mcp.cgi wellknown.cgi; do
		http GET "/~me/mcp-app/$f"
		case $STATUS in 403 | 404) ;; *) note "/~me/mcp-app/$f: wanted 403 or 404, got $STATUS" ;; esac
		want_body_lacks "$SECRET"
	done

	# The customer put the configuration file inside the document root: the
	# CGI run refuses to start, and the file is not served either.
	BAD=$SITE/careless
	cp "$SRV_ENV_FILE" "$SITE/careless.env" 2>/dev/null
	web_bundle "$BAD" "$SITE/careless.env"
	chmod 640 "$SITE/careless.env" && chgrp "$(id -gn "$WEB_USER")" "$SITE/careless.env"
	t "configuration file inside the document root -> 500, tool not run, one log line"
	mark=$(wc -l <"${SRV_LOGS[0]}")
	MCP_PATH=/careless/mcp mcp "$GREET"
	want_status 500
	want_body_lacks 'Hi Ada'
	sleep 0.2
	want_eq "log lines naming the file" 1 "$(tail -n +"$((mark + 1))" "${SRV_LOGS[0]}" |
		grep -c "MCP_CONFIG_FILE: [^ ]*/site/careless.env lies inside the document root")"
	http GET /careless.env
	case $STATUS in 403 | 404) ;; *) note "GET /careless.env: wanted 403 or 404, got $STATUS" ;; esac
fi

t "the server is still up"
mcp "$GREET"
want_result 7
server_stop

# ---- the bundle's Authorization fallback (apache-cgi) -------------------------------
# A fresh server each: a parent folder's .htaccess would lend its directives.
# Apache before 2.4.13 (or without mod_version) has no CGIPassAuth: the
# SetEnvIf line alone must carry the header.  Without mod_setenvif either,
# Apache strips it: the control, which shows that the first case can fail.

if [ "$WEB" = apache-cgi ]; then
	for c in 'no CGIPassAuth: SetEnvIf passes Authorization|version|200' \
		'no CGIPassAuth, no SetEnvIf (control): Authorization stripped|version|setenvif|401'; do
		want=${c##*|}
		drop=${c#*|}
		drop=${drop%|*}
		t "$(printf '%s' "${c%%|*}") -> a token gets $want"
		if SRV_HTACCESS_DROP="^($drop)$" server_start; then
			grep -qE '^[[:space:]]*CGIPassAuth' "$SRV_WWW/.htaccess" && note "CGIPassAuth still there"
			mcp "$GREET"
			want_status "$want"
			[ "$want" = 200 ] || want_header_match WWW-Authenticate '^Bearer realm="mcp", scope='
		else
			note "apache-cgi did not start"
		fi
		server_stop
	done
fi

finish
