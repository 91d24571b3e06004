-- bench.lua - wrk script for tests/bench.sh and tests/bench_cgi.sh: POST the
-- JSON-RPC body in MCP_BENCH_BODY (a tools/call greet_user when unset) to the
-- URL wrk is given, with the access token in MCP_BENCH_TOKEN.
-- wrk itself counts answers other than 2xx/3xx ("Non-2xx or 3xx responses").
wrk.method = "POST"
wrk.body = os.getenv("MCP_BENCH_BODY") or
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
local token = os.getenv("MCP_BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
