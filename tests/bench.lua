-- bench.lua - wrk script for tests/bench.sh and tests/bench_cgi.sh: POST the
-- JSON-RPC body in MCP_BENCH_BODY (a tools/call greet_user when unset) to the
-- URL wrk is given, with the access token in MCP_BENCH_TOKEN.
--
-- MCP_BENCH_TOKENS names a file of tokens, one a line: then every request
-- carries the next token of the file, round-robin (each thread starting at
-- its own share of the list), so that no memo of verified tokens helps.
-- MCP_BENCH_BODIES names a file of bodies, one a line, taken in turn the
-- same way (request i sends body i modulo their count).
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

local function lines(name)
  local t = {}
  if name ~= nil and name ~= "" then
    for l in io.lines(name) do
      if l ~= "" then t[#t + 1] = l end
    end
  end
  return t
end

-- In the main state: numbers the threads so each starts elsewhere in the list.
local threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end

local tokens_file = os.getenv("MCP_BENCH_TOKENS") or ""
local bodies_file = os.getenv("MCP_BENCH_BODIES") or ""

-- Without lists wrk sends its one request, formatted once, with no Lua per
-- request; with them each thread formats its requests once, before the run.
if tokens_file ~= "" or bodies_file ~= "" then
  local requests = {}
  local next_req = 1

  function init(args)
    local tokens = lines(tokens_file)
    local bodies = lines(bodies_file)
    if #tokens == 0 then tokens = { token } end
    if #bodies == 0 then bodies = { wrk.body } end
    for i = 0, math.max(#tokens, #bodies) - 1 do
      local h = {}
      for k, v in pairs(wrk.headers) do h[k] = v end
      local tok = tokens[i % #tokens + 1]
      if tok ~= nil then h["Authorization"] = "Bearer " .. tok end
      requests[#requests + 1] = wrk.format(nil, nil, h, bodies[i % #bodies + 1])
    end
    -- A prime step: the threads start far apart in the list.
    next_req = ((thread_no or 0) * 7919) % #requests + 1
  end

  function request()
    local r = requests[next_req]
    next_req = next_req % #requests + 1
    return r
  end
end
