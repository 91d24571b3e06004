#!/usr/bin/env bash
# tests/sdk/run.sh - the official MCP TypeScript SDK client against mcp-fcgi
# behind a real lighttpd (configured from lighttpd.conf.example by mkconf.sh).
#
# Installs the pinned SDK from package-lock.json (npm ci) when node_modules
# is missing, starts lighttpd with the development issuer, hands the client a
# token in MCP_TEST_TOKEN (unless one is set already) and runs client.mjs,
# whose last line is "N passed, N failed".
set -u
SDK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SDK_DIR/../e2e/lib.sh"

fail_setup() {
	t "$1"
	note "${2:-see above}"
	finish
}

command -v node >/dev/null 2>&1 || fail_setup "node is installed" "install nodejs (src/cli/install-deps.sh)"
if [ ! -d "$SDK_DIR/node_modules/@modelcontextprotocol/sdk" ]; then
	echo "installing the MCP SDK (npm ci) ..." >&2
	(cd "$SDK_DIR" && timeout 240 npm ci --no-audit --no-fund --ignore-scripts >&2) ||
		fail_setup "npm ci installs @modelcontextprotocol/sdk" "npm ci failed in $SDK_DIR"
fi
need_programs mcp.fcgi wellknown.fcgi
server_start || fail_setup "lighttpd starts"

MCP_TEST_TOKEN=${MCP_TEST_TOKEN:-$TOKEN}
export MCP_TEST_TOKEN
MCP_TEST_TIMEOUT_MS=$((CURL_MAX_TIME * 1000))
export MCP_TEST_TIMEOUT_MS
cd "$SDK_DIR" || exit 1
timeout 120 node client.mjs "$RESOURCE" | tee "$TMP/client.out"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ]; then
	echo "-- lighttpd error log ($ERRLOG):"
	tail -n 20 "$ERRLOG" | sed 's/^/   | /'
	# The count stays the last line.
	tail -n 1 "$TMP/client.out" | grep -Eq '[0-9]+ passed, [0-9]+ failed$' &&
		tail -n 1 "$TMP/client.out"
fi
exit "$rc"
