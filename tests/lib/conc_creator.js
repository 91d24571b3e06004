// conc_creator.js: see its use in tests/e2e/test_concurrency.sh and faults_worker.sh.
const http = require("http");
const fs = require("fs");
const [url, token, prefix, count, out, timeoutMs] = process.argv.slice(2);
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(body) {
  return new Promise((resolve) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Content-Length": Buffer.byteLength(body), "Authorization": "Bearer " + token } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode, data }));
      res.on("error", (e) => resolve({ status: 0, data: String(e.code || e.message) }));
    });
    req.setTimeout(Number(timeoutMs), () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, data: String(e.code || e.message) }));
    req.end(body);
  });
}

const gateFile = process.env.GATE_FILE, gateAt = Number(process.env.GATE_AT || 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  for (let seq = 1; seq <= Number(count); seq++) {
    if (gateFile && seq === gateAt)
      for (let i = 0; i < 3000 && !fs.existsSync(gateFile); i++) await sleep(20);
    const title = `${prefix}-s${seq}`;
    const body = JSON.stringify({ jsonrpc: "2.0", id: seq, method: "tools/call",
      params: { name: "create_todo", arguments: { title } } });
    const { status, data } = await post(body);
    let line;
    try {
      const r = JSON.parse(data);
      const s = r.result && !r.result.isError && r.result.structuredContent;
      if (status === 200 && r.id === seq && s && /^[0-9a-f]{32}$/.test(s.id) && s.title === title)
        line = `ok\t${seq}\t${s.id}\t${title}`;
    } catch (e) { /* reported below */ }
    if (!line) line = `fail\t${seq}\t${status}\t${data.slice(0, 200).replace(/\s+/g, " ")}`;
    fs.appendFileSync(out, line + "\n");
  }
  fs.appendFileSync(out, "done\n");
})();
