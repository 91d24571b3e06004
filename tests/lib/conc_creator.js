// conc_creator.js: see its use in tests/e2e/test_concurrency.sh and faults_worker.sh.
const http = require("http");
const fs = require("fs");
const mcpPost = require("./mcp_post.js");
const [url, token, prefix, count, out, timeoutMs] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const post = (body) => mcpPost(agent, url, token, body, timeoutMs);

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
