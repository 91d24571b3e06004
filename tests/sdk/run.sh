#!/usr/bin/env bash
# tests/sdk/run.sh - the official MCP TypeScript SDK client against mcp-fcgi
# behind a real lighttpd (configured from lighttpd.conf.example by mkconf.sh).
#
# Installs the pinned SDK from package-lock.json (npm ci) when node_modules
# is missing, starts lighttpd with the development issuer and runs:
#   client.mjs  the transport, the protocol and greet_user, with a token in
#               MCP_TEST_TOKEN (unless one is set already);
#   todo.mjs    the todo tools and their scopes, with tokens of one subject
#               in MCP_TEST_TOKEN_RW ("todo:read todo:write") and
#               MCP_TEST_TOKEN_RO ("todo:read").
# Each prints "N passed, N failed" last; this script prints their lines
# without those and ends with one such line, the sum.
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
MCP_TEST_TOKEN_RW=$(mint_token --sub sdk-todo-user --scope "todo:read todo:write") &&
	MCP_TEST_TOKEN_RO=$(mint_token --sub sdk-todo-user --scope "todo:read") ||
	fail_setup "mint the todo tokens"
export MCP_TEST_TOKEN MCP_TEST_TOKEN_RW MCP_TEST_TOKEN_RO
MCP_TEST_TIMEOUT_MS=$((CURL_MAX_TIME * 1000))
export MCP_TEST_TIMEOUT_MS
cd "$SDK_DIR" || exit 1

# run_client SCRIPT: runs one client, shows its lines but the count and adds
# its count (no count line, or a non-zero exit without a failure, is one
# failure).
SUM_PASSED=0
SUM_FAILED=0
run_client() {
	local out=$TMP/${1%.mjs}.out rc last
	timeout 120 node "$1" "$RESOURCE" >"$out" 2>&1
	rc=$?
	last=$(tail -n 1 "$out")
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		sed '$d' "$out"
		SUM_PASSED=$((SUM_PASSED + BASH_REMATCH[1]))
		SUM_FAILED=$((SUM_FAILED + BASH_REMATCH[2]))
		[ "$rc" = 0 ] || [ "${BASH_REMATCH[2]}" != 0 ] || {
			echo "FAIL $1 exited with status $rc"
			SUM_FAILED=$((SUM_FAILED + 1))
		}
	else
		cat "$out"
		echo "FAIL $1 exited with status $rc without a count"
		SUM_FAILED=$((SUM_FAILED + 1))
	fi
	if [ "$rc" != 0 ]; then
		echo "-- lighttpd error log ($ERRLOG):"
		tail -n 20 "$ERRLOG" | sed 's/^/   | /'
	fi
}

run_client client.mjs
run_client todo.mjs
printf '%s passed, %s failed\n' "$SUM_PASSED" "$SUM_FAILED"
[ "$SUM_FAILED" = 0 ]
