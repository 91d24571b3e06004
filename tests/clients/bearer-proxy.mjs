// bearer-proxy.mjs - a loopback forwarding proxy that adds a bearer token.
//
// usage: node bearer-proxy.mjs LISTEN_PORT UPSTREAM_PORT_FILE TOKEN_FILE LOG_FILE
//   LISTEN_PORT 0 lets the kernel pick a free port on 127.0.0.1.  The
//   upstream's port and the token (kept out of the process list) are read
//   from their files at each request, so the proxy can hold its port before
//   the web server behind it, and the issuer of its tokens, are set up.
//
// The conformance suite (@modelcontextprotocol/conformance) has no option
// and no environment variable for request headers: its server scenarios
// connect with a bare StreamableHTTPClientTransport and its DNS-rebinding
// scenario with undici's request(), headers fixed.  This proxy sits in front
// of the web server as any reverse proxy does and sets one header,
// "Authorization: Bearer <token>", on every request.  Everything else goes
// through unchanged in both directions: method, path, body, and the other
// headers, Host and Origin included (the DNS-rebinding scenario's forged
// Host must reach the server as sent).  Both ends are 127.0.0.1.
//
// Each forwarded request appends one line to LOG_FILE:
//   METHOD PATH HOST STATUS
// (STATUS 502 when the upstream could not be reached).  Prints
// "listening PORT" once it accepts connections.
import fs from "node:fs";
import http from "node:http";

const [listenPort, upstreamFile, tokenFile, logFile] = process.argv.slice(2);
if (!listenPort || !upstreamFile || !tokenFile || !logFile) {
	console.error("usage: node bearer-proxy.mjs LISTEN_PORT UPSTREAM_PORT_FILE TOKEN_FILE LOG_FILE");
	process.exit(2);
}

// The first line of FILE, or "" while there is none.
function readLine(file) {
	try {
		return fs.readFileSync(file, "utf8").split("\n")[0].trim();
	} catch {
		return "";
	}
}

function record(req, status) {
	fs.appendFileSync(logFile, `${req.method} ${req.url} ${req.headers.host ?? "-"} ${status}\n`);
}

// The request's headers as sent (raw, so case and repeats survive), less
// any Authorization, plus ours.
function forwardedHeaders(req, token) {
	const out = [];
	for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
		if (req.rawHeaders[i].toLowerCase() !== "authorization")
			out.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
	}
	out.push("Authorization", `Bearer ${token}`);
	return out;
}

const server = http.createServer((req, res) => {
	const port = Number(readLine(upstreamFile));
	const token = readLine(tokenFile);
	if (!(port > 0 && port < 65536) || token === "") {
		record(req, 502);
		res.writeHead(502, { "Content-Type": "text/plain" });
		res.end("bearer-proxy: no upstream port or token yet\n");
		return;
	}
	const up = http.request({
		host: "127.0.0.1",
		port,
		method: req.method,
		path: req.url,
		headers: forwardedHeaders(req, token),
		setHost: false,
	});
	up.on("response", (ur) => {
		record(req, ur.statusCode);
		res.writeHead(ur.statusCode, ur.statusMessage, ur.rawHeaders);
		ur.pipe(res);
	});
	up.on("error", (e) => {
		record(req, 502);
		if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
		res.end(`bearer-proxy: upstream: ${e.message}\n`);
	});
	req.pipe(up);
});
server.listen(Number(listenPort), "127.0.0.1", () => {
	console.log(`listening ${server.address().port}`);
});
server.on("error", (e) => {
	console.error(`bearer-proxy: ${e.message}`);
	process.exit(1);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
