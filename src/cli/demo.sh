#!/usr/bin/env bash
# demo.sh - what `make demo` runs after `make all`: mcp-fcgi behind lighttpd
# on 127.0.0.1, in the foreground, until Ctrl-C.
#
# Writes a configuration with mkconf.sh (from lighttpd.conf.example, as the
# tests do) into ./.demo/ (git-ignored), prints a curl line that calls the
# greet_user tool, then execs lighttpd -D.  The programs' log lines appear on
# this terminal.
#
#   MCP_DEMO_PORT   port (default 3002)
#   BIN, BUILD      where make put the programs (default cgi-bin, build)
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
port=${MCP_DEMO_PORT:-3002}
bin=${BIN:-cgi-bin}
build=${BUILD:-build}
case $bin in /*) ;; *) bin=$root/$bin ;; esac
case $build in /*) ;; *) build=$root/$build ;; esac
demo=$root/.demo
base=http://127.0.0.1:$port
resource=$base/mcp

die() {
	echo "demo: $*" >&2
	exit 1
}

[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
	die "MCP_DEMO_PORT must be a port number, got '$port'"
command -v lighttpd >/dev/null 2>&1 || die "lighttpd is not installed (src/cli/install-deps.sh)"
for p in "$bin/mcp.fcgi" "$bin/wellknown.fcgi" "$build/mcp-fcgi-cli"; do
	[ -x "$p" ] || die "missing $p (run make first)"
done
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	die "something already listens on 127.0.0.1:$port; choose another port: MCP_DEMO_PORT=3003 make demo"
fi

mkdir -p "$demo/state" "$demo/log" || die "cannot create $demo"
chmod 700 "$demo/state"

# ---- development issuer and token -----------------------------------------
# A local issuer: its signing key stays in .demo/issuer (kept across runs),
# its JWKS and metadata are served by the same lighttpd, and a token minted
# with it is accepted by the endpoint.  With a real authorization server
# (Scalekit or any OAuth 2.1 server) set var.oauth_issuer instead and get
# tokens from it.
issuer=$base/dev-issuer
rm -rf "$demo/issuer/.well-known"
"$build/mcp-fcgi-cli" dev-issuer --dir "$demo/issuer" --issuer "$issuer" >/dev/null ||
	die "mcp-fcgi-cli dev-issuer failed"
token=$("$build/mcp-fcgi-cli" mint --key "$demo/issuer/signing-key.pem" --iss "$issuer" \
	--aud "$resource" --sub demo-user --client-id demo-client --scope "todo:read todo:write" \
	--ttl 28800) ||
	die "mcp-fcgi-cli mint failed"
printf '%s\n' "$token" >"$demo/token"
chmod 600 "$demo/token"
# ---------------------------------------------------------------------------

"$root/src/cli/mkconf.sh" --home "$root" --bin "$bin" --state "$demo/state" --log "$demo/log" \
	--port "$port" --resource "$resource" --dev-issuer "$demo/issuer" \
	--env MCP_SCOPES_SUPPORTED="todo:read todo:write" -o "$demo/lighttpd.conf" ||
	die "mkconf.sh failed"
lighttpd -tt -f "$demo/lighttpd.conf" || die "lighttpd refuses $demo/lighttpd.conf"

cat <<EOF
mcp-fcgi demo: $resource  (configuration: .demo/lighttpd.conf)

Call the greet_user tool with the development token (scopes todo:read todo:write,
valid 8 hours, kept in .demo/token):

curl -sS $resource -H 'Content-Type: application/json' -H "Authorization: Bearer \$(cat $demo/token)" -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}'

Create a todo:

curl -sS $resource -H 'Content-Type: application/json' -H "Authorization: Bearer \$(cat $demo/token)" -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_todo","arguments":{"title":"try mcp-fcgi"}}}'

Without a token: 401 and the challenge that points clients at the metadata:

curl -si $resource -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":3,"method":"tools/list"}'

More tokens: $build/mcp-fcgi-cli mint --key $demo/issuer/signing-key.pem --iss $issuer --aud $resource --sub someone --scope todo:read

Resource metadata: $base/.well-known/oauth-protected-resource/mcp
Documentation:     $base/
MCP Inspector:     npx @modelcontextprotocol/inspector  (Streamable HTTP, $resource,
                   header Authorization: Bearer <the token>)
Logs: this terminal and .demo/log/.  Ctrl-C stops the demo.

EOF
exec lighttpd -D -f "$demo/lighttpd.conf"
