// fault_caller.mjs URL TOKEN OUT STOP_FILE MAX TIMEOUT_MS: one client that
// keeps calling tools/call greet_user, one request at a time over a
// keep-alive connection and 5 ms apart, until STOP_FILE exists or MAX calls were made.
// Appends one line per call to OUT: "<status> <ms>" where status is the
// HTTP status, "rpc" for a 200 that is no successful result, or 0 when
// the connection failed or TIMEOUT_MS passed (the line then also names the
// error).  Ends OUT with "done".  Used by tests/e2e/faults_*.sh.
import http from "node:http";
import fs from "node:fs";

const [url, token, out, stopFile, max, timeoutMs] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(id) {
  const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call",
    params: { name: "greet_user", arguments: { name: "Ada" } } });
  return new Promise((resolve) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Content-Length": Buffer.byteLength(body), "Authorization": "Bearer " + token } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => {
        let s = String(res.statusCode);
        if (s === "200") {
          try { const r = JSON.parse(data); if (r.id !== id || !r.result || r.result.isError) s = "rpc"; }
          catch { s = "rpc"; }
        }
        resolve(s);
      });
      res.on("error", (e) => resolve(`0 ${e.code || e.message}`));
    });
    req.setTimeout(Number(timeoutMs), () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve(`0 ${e.code || e.message}`));
    req.end(body);
  });
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
