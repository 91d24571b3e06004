// mcp_post.js: one POST of a JSON-RPC body to an MCP endpoint with a bearer
// token, for the test clients (conc_creator.js, fault_caller.mjs, tests/pg/test_pg.sh).
// post(agent, url, token, body, timeoutMs) resolves { status, retry, data }:
// the HTTP status, Retry-After ("" when none) and body, or status 0 and the
// error's code when the connection failed or timeoutMs passed.  It never
// rejects.
const http = require("http");

module.exports = function post(agent, url, token, body, timeoutMs) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Content-Length": Buffer.byteLength(body), "Authorization": "Bearer " + token } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode, retry: res.headers["retry-after"] || "", data }));
      res.on("error", (e) => resolve({ status: 0, retry: "", data: String(e.code || e.message) }));
    });
    req.setTimeout(Number(timeoutMs), () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, retry: "", data: String(e.code || e.message) }));
    req.end(body);
  });
};
