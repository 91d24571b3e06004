// fault_issuer.mjs DIR PORT_FILE: a JWKS endpoint whose behaviour the test
// switches while it runs, for tests/e2e/faults_issuer.sh.
//
// Listens on 127.0.0.1 and a port the kernel picks, written to PORT_FILE.
// Every request to /jwks reads DIR/mode (one word) and answers:
//   ok        DIR/jwks.json, 200, Cache-Control: max-age=3600
//   slow      the same, but only after 15 s (past the 10 s fetch timeout)
//   500       an HTTP 500 with a small HTML body
//   garbage   200 with bytes that are no JSON
//   oversize  200 with 300 KiB of JSON (past the 256 KiB cap), chunked so
//             no Content-Length warns the client beforehand
//   redirect  302 to itself, for ever (a redirect loop)
// Every request is appended to DIR/requests.log as "<mode> <path>".
// Anything else is a 404.  The test stops it by its pid.
import http from "node:http";
import fs from "node:fs";

const [dir, portFile] = process.argv.slice(2);
const read = (f, d) => { try { return fs.readFileSync(`${dir}/${f}`, "utf8").trim(); } catch { return d; } };

const server = http.createServer((req, res) => {
  const mode = req.url.startsWith("/jwks") ? read("mode", "ok") : "none";
  fs.appendFileSync(`${dir}/requests.log`, `${mode} ${req.url}\n`);
  const jwks = () => {
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "max-age=3600" });
    res.end(read("jwks.json", "{}"));
  };
  switch (mode) {
  case "ok": return jwks();
  case "slow": { const t = setTimeout(jwks, 15000); res.on("close", () => clearTimeout(t)); return; }
  case "500":
    res.writeHead(500, { "Content-Type": "text/html" });
    return res.end("<html><body>internal error</body></html>");
  case "garbage":
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end("\x00\xff{{ not json ]]\n");
  case "oversize": {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write('{"keys":[],"pad":"');
    for (let i = 0; i < 300; i++) res.write("x".repeat(1024));
    return res.end('"}');
  }
  case "redirect":
    res.writeHead(302, { Location: `/jwks?r=${Math.random().toString(36).slice(2)}` });
    return res.end();
  default:
    res.writeHead(404);
    return res.end();
  }
});
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, String(server.address().port)));
