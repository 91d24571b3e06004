-- bench_tool.lua - wrk script for tests/bench.sh: POST the JSON-RPC body in
-- MCP_BENCH_BODY (a tools/call) to the URL wrk is given, with the access
-- token in MCP_BENCH_TOKEN.
wrk.method = "POST"
wrk.body = os.getenv("MCP_BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
local token = os.getenv("MCP_BENCH_TOKEN")
if token ~= nil and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
