#!/usr/bin/env bash
# soak.sh - one FastCGI worker (max-procs 1) serves 20,000 tools/call
# greet_user requests in a row through lighttpd.  After a 2,000-request
# warm-up and at the end it samples the worker's resident memory (VmRSS) and
# open file descriptors: no descriptor may leak, memory may grow only by a
# small bound, every response must be right and the worker must be the same
# process throughout (no crash and respawn).
#
# SOAK_REQUESTS (default 20000), SOAK_WARMUP (2000), SOAK_CONCURRENCY (4),
# SOAK_RSS_KB (allowed growth; default 512, 4096 for the ASan build).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOTAL=${SOAK_REQUESTS:-20000}
WARMUP=${SOAK_WARMUP:-2000}
CONC=${SOAK_CONCURRENCY:-4}
RSS_BOUND=${SOAK_RSS_KB:-512}
if [ "${MCP_SANITIZE:-0}" = 1 ]; then
	# A small quarantine keeps ASan from holding freed memory for reuse
	# checks, so that RSS tracks what the program keeps.  Leak checking at
	# exit stays as make sanitize set it.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
	RSS_BOUND=${SOAK_RSS_KB:-4096}
fi

need_programs mcp.fcgi wellknown.fcgi
# The rate limits stay on (every request goes through the shared table), set
# past what one client sends here: 20,000 calls in seconds exceed the default.
if ! server_start --max-procs 1 --env MCP_RATE_LIMIT=1000000/60; then
	t "lighttpd starts with one worker"
	note "see the error log above"
	finish
fi

# The client: node's http with keep-alive, CONC requests in flight, each a
# greet_user call whose response must carry its own id and the greeting.
cat >"$TMP/soak.js" <<'EOF'
const http = require("http");
const [url, token, count, conc, first] = process.argv.slice(2);
const n = Number(count), c = Number(conc), base = Number(first);
const agent = new http.Agent({ keepAlive: true, maxSockets: c });
const u = new URL(url);
let next = 0, done = 0, ok = 0, bad = 0, shown = 0;
function one() {
  if (next >= n) return;
  const id = base + next++;
  const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call",
    params: { name: "greet_user", arguments: { name: "soak" + id } } });
  const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST",
    timeout: 30000, headers: { "Content-Type": "application/json",
      "Accept": "application/json, text/event-stream", "Content-Length": Buffer.byteLength(body),
      ...(token ? { Authorization: "Bearer " + token } : {}) } }, (res) => {
    let data = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (data += d));
    res.on("end", () => {
      const want = `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":"Hi soak${id}, welcome!"}]`;
      if (res.statusCode === 200 && data.startsWith(want)) ok++;
      else { bad++; if (shown++ < 5) console.error(`request ${id}: ${res.statusCode} ${data.slice(0, 200)}`); }
      finish();
    });
  });
  req.on("error", (e) => { bad++; if (shown++ < 5) console.error(`request ${id}: ${e.message}`); finish(); });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.end(body);
}
function finish() {
  if (++done === n) { console.log(`${ok} ${bad}`); agent.destroy(); }
  else one();
}
for (let i = 0; i < Math.min(c, n); i++) one();
EOF

# batch COUNT FIRST_ID: runs COUNT requests; sets OK and BAD.
batch() {
	local out
	out=$(timeout 600 node "$TMP/soak.js" "$RESOURCE" "$TOKEN" "$1" "$CONC" "$2") || true
	OK=${out% *}
	BAD=${out#* }
	[[ $OK =~ ^[0-9]+$ && $BAD =~ ^[0-9]+$ ]] || { OK=0; BAD=$1; }
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

WORKER=$(worker_pids mcp.fcgi)
t "one mcp.fcgi worker"
[ "$(printf '%s\n' "$WORKER" | grep -c .)" = 1 ] || note "workers: '$WORKER'"
WORKER=$(printf '%s\n' "$WORKER" | head -n 1)

t "warm-up: $WARMUP requests, all answered right"
start=$(date +%s)
batch "$WARMUP" 1
want_eq "correct responses" "$WARMUP" "$OK"
RSS0=$(rss_kb "$WORKER")
FD0=$(fd_count "$WORKER")
t_end
echo "     after warm-up: VmRSS ${RSS0:-?} kB, ${FD0:-?} fds"

rest=$((TOTAL - WARMUP))
t "soak: $rest more requests, all answered right"
batch "$rest" $((WARMUP + 1))
want_eq "correct responses" "$rest" "$OK"
RSS1=$(rss_kb "$WORKER")
FD1=$(fd_count "$WORKER")
secs=$(($(date +%s) - start))
t_end
echo "     after $TOTAL: VmRSS ${RSS1:-?} kB, ${FD1:-?} fds, ${secs} s"

t "the same worker served every request"
[ -n "$RSS1" ] || note "worker $WORKER is gone"
want_eq "worker pids" "$WORKER" "$(worker_pids mcp.fcgi | tr -d '\n')"

t "no file descriptor growth"
want_eq "open fds of worker $WORKER" "$FD0" "$FD1"

t "memory growth under $RSS_BOUND kB"
if [ -n "$RSS0" ] && [ -n "$RSS1" ]; then
	[ $((RSS1 - RSS0)) -le "$RSS_BOUND" ] ||
		note "VmRSS grew from $RSS0 kB to $RSS1 kB (+$((RSS1 - RSS0)) kB)"
else
	note "could not read VmRSS of worker $WORKER"
fi

t "the log has one line per request"
lines=$(grep -c '"tool":"greet_user"' "$ERRLOG")
want_eq "greet_user log lines" "$TOTAL" "$lines"

finish
