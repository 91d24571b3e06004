// conc_creator.js URL TOKEN PREFIX COUNT OUT TIMEOUT_MS: COUNT create_todo calls
// in a row, titled PREFIX-s<seq>; appends to OUT one line per call,
// "ok<TAB>seq<TAB>id<TAB>title" or
// "fail<TAB>seq<TAB>status<TAB>retry-after<TAB>detail", and "done" at the end.
// A failed call is not sent again (a create must not be doubled).  With
// GATE_FILE and GATE_AT set, call GATE_AT waits until GATE_FILE exists, so
// the test can act while every client still has calls to make.  With
// WAIT_503=1, after a 503 the client waits what Retry-After says, then goes
// on.  After every pause (the gate, a 503) the next call opens a new
// connection: the server may be closing the idle one (lighttpd's keep-alive
// idle limit is 5 s) just as a request goes out on it, a reset that says
// nothing of the server.  Used by tests/e2e/test_concurrency.sh,
// faults_worker.sh and tests/pg/test_pg.sh; the POST is mcp_post.js's.
const http = require("http");
const fs = require("fs");
const mcpPost = require("./mcp_post.js");
const [url, token, prefix, count, out, timeoutMs] = process.argv.slice(2);
const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 1 });
let agent = newAgent();
const fresh = () => { agent.destroy(); agent = newAgent(); };
const post = (body) => mcpPost(agent, url, token, body, timeoutMs);

const gateFile = process.env.GATE_FILE, gateAt = Number(process.env.GATE_AT || 0);
const wait503 = process.env.WAIT_503 === "1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  for (let seq = 1; seq <= Number(count); seq++) {
    if (gateFile && seq === gateAt) {
      for (let i = 0; i < 3000 && !fs.existsSync(gateFile); i++) await sleep(20);
      fresh();
    }
    const title = `${prefix}-s${seq}`;
    const body = JSON.stringify({ jsonrpc: "2.0", id: seq, method: "tools/call",
      params: { name: "create_todo", arguments: { title } } });
    const { status, retry, data } = await post(body);
    let line;
    try {
      const r = JSON.parse(data);
      const s = r.result && !r.result.isError && r.result.structuredContent;
      if (status === 200 && r.id === seq && s && /^[0-9a-f]{32}$/.test(s.id) && s.title === title)
        line = `ok\t${seq}\t${s.id}\t${title}`;
    } catch (e) { /* reported below */ }
    if (!line)
      line = `fail\t${seq}\t${status}\t${retry || ""}\t${data.slice(0, 200).replace(/\s+/g, " ")}`;
    fs.appendFileSync(out, line + "\n");
    if (wait503 && status === 503) {
      await sleep(1000 * (Number(retry) || 1));
      fresh();
    }
  }
  fs.appendFileSync(out, "done\n");
})();
