#!/usr/bin/env bash
# test_bundle.sh - the shared-hosting bundle (make shared-hosting) on a host
# that has none of the build's libraries: its programs run as CGI in a
# chroot whose root holds only the C library (ld.so, libc, libm) and the
# bundle, as copied into a document root.
#   - ldd of the bundle's programs lists the C library and the bundled cJSON
#     (named by path: no run path, no search);
#   - SQLite comes from the bundle's lib/, loaded by the first todo tool;
#     without it, the todo tools fail with one line naming libsqlite3.so.0
#     and every other tool still answers;
#   - keys from OAUTH_JWKS_FILE: a full authenticated tools/call, no fetch;
#   - keys to fetch without libcurl: 503 and one line naming libcurl.so.4
#     and OAUTH_JWKS_FILE;
#   - libcurl and what it needs added to the root: the keys are fetched from
#     the development issuer (a lighttpd on 127.0.0.1), once, and cached in
#     the state directory outside the document root;
#   - no configuration, or the configuration file inside the document root:
#     a 500 and one line naming the problem, nothing served.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

DIST=${MCP_DIST:-$ROOT/dist/shared-hosting}
EXTRA_LOGS+=("$TMP/cgi-all.err")
CGI_TIMEOUT=10

if [ ! -x "$DIST/mcp.cgi" ] || [ ! -x "$DIST/wellknown.cgi" ]; then
	t "the bundle exists"
	note "no $DIST/mcp.cgi (make shared-hosting)"
	finish
fi

# ---- what the programs need ---------------------------------------------

t "ldd of the bundle's programs: the C library and the bundled cJSON, nothing else"
for p in mcp.cgi wellknown.cgi; do
	cjson=0
	while read -r name _ path _; do
		case $name in
		linux-vdso.so.* | /lib64/ld-linux-x86-64.so.2 | libc.so.6) ;;
		"$DIST/lib/libcjson.so.1") cjson=1 ;;
		*) note "$p needs $name ($path)" ;;
		esac
	done < <(ldd "$DIST/$p")
	[ "$cjson" = 1 ] || note "$p: cJSON not loaded from the bundle's lib/"
	readelf -d "$DIST/$p" | grep -q 'RUNPATH\|RPATH' && note "$p has a run path"
done

# copy_with_deps ROOT FILE...: FILE and every library ldd lists for it, at
# the same paths under ROOT.
copy_with_deps() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		for lib in "$f" $(ldd "$f" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

# make_root DIR: a root with the C library only, the bundle in /home/me/public_html
# and a state directory outside it.
make_root() {
	local r=$1
	mkdir -p "$r/home/me/public_html" "$r/home/me/state" "$r/tmp" "$r/proc"
	chmod 700 "$r/home/me/state"
	copy_with_deps "$r" /usr/bin/true # ld.so and libc, as any program has
	rm -f "$r/usr/bin/true"
	cp -a "$DIST/." "$r/home/me/public_html/"
	mkdir -p "$r/lib/x86_64-linux-gnu"
	cp -L /lib/x86_64-linux-gnu/libm.so.6 "$r/lib/x86_64-linux-gnu/"
}

# in_root DIR: the command that runs a program chrooted into DIR, with its
# own /proc (the run path $ORIGIN is found through /proc/self/exe, as on
# any host), in new user, mount and pid namespaces: no root needed.
in_root() {
	WRAP=(unshare -r -m -p -f "--mount-proc=$1/proc" chroot "$1")
}

# in_root_ro_state DIR: in_root, with the state directory made read-only by a
# bind mount in the run's own mount namespace (a mode would not stop root).
in_root_ro_state() {
	local mnt chr
	mnt=$(command -v mount) && chr=$(command -v chroot) || return 1
	WRAP=(unshare -r -m -p -f "--mount-proc=$1/proc" /bin/sh -c
		"$mnt --bind \"\$1\" \"\$1\" && $mnt -o remount,bind,ro \"\$1\" && shift && exec $chr \"\$@\""
		sh "$1/home/me/state" "$1")
}

# A lighttpd serves the development issuer (its keys and metadata) on
# 127.0.0.1, which a chroot still reaches.
if ! server_start --max-procs 1; then
	t "lighttpd starts"
	note "see the error log above"
	finish
fi
R1=$TMP/root-plain
make_root "$R1"
cp "$ISSUER_DIR/jwks.json" "$R1/home/me/jwks.json"
PROG=/home/me/public_html/mcp.cgi
in_root "$R1"
CGI_HOST=127.0.0.1:$PORT
CGI_STATE=/home/me/state
. "$(dirname "${BASH_SOURCE[0]}")/lib_cgi.sh"
GREET=$(call_json greet_user '{"name":"Ada"}' 7)
# The configuration a customer writes, outside the document root.
printf 'MCP_RESOURCE=%s\nOAUTH_ISSUER=%s\nOAUTH_ALLOW_HTTP=1\nMCP_STATE_DIR=/home/me/state\n' \
	"$RESOURCE" "$ISSUER" >"$R1/home/me/mcp.env"
CONF=(MCP_RESOURCE=@unset OAUTH_ISSUER=@unset OAUTH_ALLOW_HTTP=@unset MCP_STATE_DIR=@unset
	MCP_CONFIG_FILE=/home/me/mcp.env DOCUMENT_ROOT=/home/me/public_html)

t "chroot with the C library only: the programs' own libraries are not there"
[ ! -e "$R1/usr/lib/x86_64-linux-gnu/libcrypto.so.3" ] && [ ! -e "$R1/lib/x86_64-linux-gnu/libcurl.so.4" ] &&
	[ ! -e "$R1/usr/lib/x86_64-linux-gnu/libcurl.so.4" ] || note "the root holds libcrypto or libcurl"

f0=$(fetches /dev-issuer/jwks.json)
t "OAUTH_JWKS_FILE: an authenticated tools/call answered in the chroot"
cgi "$GREET" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json
want_result 7
want_json 'r.result.content[0].text' '"Hi Ada, welcome!"'
want_served

t "OAUTH_JWKS_FILE: a todo tool creates its database in the state directory"
cgi "$(call_json create_todo '{"title":"from the bundle"}' 8)" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json \
	"HTTP_AUTHORIZATION=Bearer $(mint_token --scope 'todo:read todo:write')"
want_result 8
want_json 'r.result.structuredContent.title' '"from the bundle"'
[ -s "$R1/home/me/state/todos.sqlite" ] || note "no todos.sqlite in the state directory"

t "SQLite missing from the bundle: the todo tools fail with one line, greet_user answers"
mv "$R1/home/me/public_html/lib/libsqlite3.so.0" "$R1/home/me/sqlite.away"
cgi "$(call_json list_todos '{}' 9)" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json \
	"HTTP_AUTHORIZATION=Bearer $(mint_token --scope 'todo:read todo:write')"
want_status 200
want_json 'r.error.code' -32603
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'libsqlite3.so.0 cannot be loaded (.*todo tools are unavailable')
[ "$n" = 1 ] || note "the explaining line came $n times, wanted once" "stderr: $(short "$CGI_ERR")"
cgi "$GREET" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json
want_result 7
mv "$R1/home/me/sqlite.away" "$R1/home/me/public_html/lib/libsqlite3.so.0"

t "state directory not writable, OAUTH_JWKS_FILE: answered, one line naming the directory"
in_root_ro_state "$R1"
cgi "$GREET" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json
want_result 7
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'state directory /home/me/state is not writable (Read-only file system)')
[ "$n" = 1 ] || note "the explaining line came $n times, wanted once" "stderr: $(short "$CGI_ERR")"
want_eq "lines of level warn or error" 1 "$(printf '%s\n' "$CGI_ERR" | grep -c '"level":"\(warn\|error\)"')"

t "state directory not writable, keys to fetch: 503, one line naming its lock file"
cgi "$GREET" "${CONF[@]}"
want_status 503
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'no usable signing keys (lock /home/me/state/jwks.lock: Read-only file system)')
[ "$n" = 1 ] || note "the explaining line came $n times, wanted once" "stderr: $(short "$CGI_ERR")"
in_root "$R1"

t "OAUTH_JWKS_FILE: no key was fetched from the issuer"
want_eq "JWKS fetches" "$f0" "$(fetches /dev-issuer/jwks.json)"

t "keys to fetch and no libcurl: 503, one line naming libcurl.so.4 and OAUTH_JWKS_FILE"
cgi "$GREET" "${CONF[@]}"
want_status 503
case $CGI_ERR in *libcurl.so.4*OAUTH_JWKS_FILE*) ;; *) note "stderr: $(short "$CGI_ERR")" ;; esac
n=$(printf '%s\n' "$CGI_ERR" | grep -c 'libcurl.so.4 cannot be loaded (.*OAUTH_JWKS_FILE')
[ "$n" = 1 ] || note "the explaining line came $n times, wanted once" "stderr: $CGI_ERR"

t "no configuration at all: 500, one line naming MCP_RESOURCE, nothing served"
cgi "$GREET" "${CONF[@]}" MCP_CONFIG_FILE=@unset
want_config_error MCP_RESOURCE

t "the configuration file inside the document root: 500, one line, nothing served"
cp "$R1/home/me/mcp.env" "$R1/home/me/public_html/mcp.env"
cgi "$GREET" "${CONF[@]}" MCP_CONFIG_FILE=/home/me/public_html/mcp.env OAUTH_JWKS_FILE=/home/me/jwks.json
want_status 500
case $CGI_ERR in *MCP_CONFIG_FILE*) ;; *) note "stderr does not name MCP_CONFIG_FILE: $(short "$CGI_ERR")" ;; esac
rm -f "$R1/home/me/public_html/mcp.env"

t "wellknown.cgi in the chroot: the metadata document"
PROG=/home/me/public_html/wellknown.cgi
cgi "" "${CONF[@]}" OAUTH_JWKS_FILE=/home/me/jwks.json REQUEST_METHOD=GET CONTENT_LENGTH=@unset \
	SCRIPT_NAME=/.well-known/oauth-protected-resource REQUEST_URI=/.well-known/oauth-protected-resource/mcp
want_status 200
want_json 'r.resource' "\"$RESOURCE\""
PROG=/home/me/public_html/mcp.cgi

# ---- with libcurl: the keys fetched once, then read from the cache -----------

R2=$TMP/root-curl
make_root "$R2"
copy_with_deps "$R2" /usr/lib/x86_64-linux-gnu/libcurl.so.4
cp "$R1/home/me/mcp.env" "$R2/home/me/mcp.env"
in_root "$R2"
before=$(fetches /dev-issuer/jwks.json)

t "libcurl in the root: the keys are fetched from the issuer and the call answered"
cgi "$GREET" "${CONF[@]}"
want_result 7
want_served
want_eq "JWKS fetches" $((before + 1)) "$(fetches /dev-issuer/jwks.json)"
[ -s "$R2/home/me/state/jwks.cache" ] || note "no jwks.cache in the state directory"

t "the next request reads the cache: no fetch"
cgi "$GREET" "${CONF[@]}"
want_result 7
want_eq "JWKS fetches" $((before + 1)) "$(fetches /dev-issuer/jwks.json)"

finish
