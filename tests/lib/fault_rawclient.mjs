// fault_rawclient.mjs PORT MODE N TOKEN: N clients at once, each on a raw
// TCP connection to 127.0.0.1:PORT, that start a POST /mcp announcing a
// 2000-byte body and send 500 bytes of it, then:
//   disconnect  close the connection (reset) 200 ms later;
//   short       end their side (half-close) 200 ms later and wait up to 5 s
//               for an answer: the body is shorter than its Content-Length;
//   hold        keep the connection open 3 s, then close it.
// Prints one line per client: the status of the answer ("HTTP/1.1 400") or
// "none" when the connection ended without one.  For tests/e2e/faults_client.sh.
import net from "node:net";

const [port, mode, n, token] = process.argv.slice(2);
const head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" +
  "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
  "Authorization: Bearer " + token + "\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n";
const part = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user",' +
  '"arguments":{"name":"' + "x".repeat(500 - 88) + '"}}}';

function one() {
  return new Promise((resolve) => {
    let got = "";
    const s = net.connect(Number(port), "127.0.0.1", () => s.write(head + part.slice(0, 500)));
    s.setEncoding("latin1");
    s.on("data", (d) => (got += d));
    const done = () => resolve(got ? got.split("\r\n")[0].split(" ").slice(0, 2).join(" ") : "none");
    s.on("close", done);
    s.on("error", () => {});
    if (mode === "disconnect") setTimeout(() => s.resetAndDestroy ? s.resetAndDestroy() : s.destroy(), 200);
    else if (mode === "short") { setTimeout(() => s.end(), 200); setTimeout(() => s.destroy(), 5200); }
    else setTimeout(() => s.destroy(), 3000);
  });
}

const out = await Promise.all(Array.from({ length: Number(n) }, one));
console.log(out.join("\n"));
