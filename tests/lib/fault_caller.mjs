// fault_caller.mjs URL TOKEN OUT STOP_FILE MAX TIMEOUT_MS: one client that
// keeps calling tools/call greet_user, one request at a time over a
// keep-alive connection and 5 ms apart, until STOP_FILE exists or MAX calls were made.
// Appends one line per call to OUT: "<status> <ms>" where status is the
// HTTP status, "rpc" for a 200 that is no successful result, or 0 when
// the connection failed or TIMEOUT_MS passed (the line then also names the
// error).  Ends OUT with "done".  Used by tests/e2e/faults_*.sh.
import http from "node:http";
import fs from "node:fs";
import post from "./mcp_post.js";

const [url, token, out, stopFile, max, timeoutMs] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function call(id) {
  const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call",
    params: { name: "greet_user", arguments: { name: "Ada" } } });
  const { status, data } = await post(agent, url, token, body, timeoutMs);
  if (status === 0) return `0 ${data}`;
  if (status !== 200) return String(status);
  try {
    const r = JSON.parse(data);
    return r.id === id && r.result && !r.result.isError ? "200" : "rpc";
  } catch {
    return "rpc";
  }
}

(async () => {
  for (let i = 1; i <= Number(max) && !fs.existsSync(stopFile); i++) {
    const t0 = Date.now();
    const s = await call(i);
    fs.appendFileSync(out, `${s} ${Date.now() - t0}\n`);
    // A steady trickle, not a load test: the machine is shared.
    await new Promise((r) => setTimeout(r, 5));
  }
  fs.appendFileSync(out, "done\n");
  agent.destroy();
})();
