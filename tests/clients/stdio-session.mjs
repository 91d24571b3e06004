// stdio-session.mjs - speaks JSON-RPC to an MCP client's stdio side, as a
// host (Claude Desktop, Cursor) does with mcp-remote.
//
// usage: node stdio-session.mjs MESSAGES OUTDIR TIMEOUT_MS -- COMMAND ARGS...
//
// Starts COMMAND, then writes the messages of the JSON array in file
// MESSAGES to its stdin, one line each, in order.  After a request (a
// message with an id) it waits, at most TIMEOUT_MS, for the answer with that
// id and writes it to OUTDIR/<id>.json before sending the next message.
// Lines on stdout that are not JSON go to OUTDIR/stdout-other.log (a stdio
// transport must print nothing else), the command's stderr to
// OUTDIR/stderr.log.  Then it closes stdin and stops the command by its pid
// (SIGTERM, SIGKILL after 5 s); a SIGTERM to this script does the same.
//
// Exit status 0 when every request was answered; 1 otherwise, with the
// reason on stderr.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const sep = process.argv.indexOf("--");
const [msgFile, outDir, timeoutArg] = process.argv.slice(2, sep);
const command = process.argv.slice(sep + 1);
if (sep < 0 || !msgFile || !outDir || !timeoutArg || command.length === 0) {
	console.error("usage: node stdio-session.mjs MESSAGES OUTDIR TIMEOUT_MS -- COMMAND ARGS...");
	process.exit(2);
}
const timeoutMs = Number(timeoutArg);
const messages = JSON.parse(fs.readFileSync(msgFile, "utf8"));
fs.mkdirSync(outDir, { recursive: true });

const child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
child.stderr.pipe(fs.createWriteStream(path.join(outDir, "stderr.log")));
let exited = false;
child.on("exit", () => {
	exited = true;
});
child.stdin.on("error", () => {}); // EPIPE when it died: reported as a missing answer

const waiting = new Map(); // id -> resolve
readline.createInterface({ input: child.stdout }).on("line", (line) => {
	let msg;
	try {
		msg = JSON.parse(line);
	} catch {
		fs.appendFileSync(path.join(outDir, "stdout-other.log"), `${line}\n`);
		return;
	}
	if (msg && msg.id !== undefined && (msg.result !== undefined || msg.error !== undefined)) {
		fs.writeFileSync(path.join(outDir, `${msg.id}.json`), JSON.stringify(msg));
		waiting.get(msg.id)?.(true);
	}
});

function answer(id) {
	return new Promise((resolve) => {
		const timer = setTimeout(() => resolve(false), timeoutMs);
		waiting.set(id, (v) => {
			clearTimeout(timer);
			resolve(v);
		});
		child.once("exit", () => resolve(false));
	});
}

async function stop() {
	child.stdin.end();
	for (const [sig, ms] of [["SIGTERM", 5000], ["SIGKILL", 2000]]) {
		if (exited) return;
		child.kill(sig);
		const t0 = Date.now();
		while (!exited && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
	}
}
process.on("SIGTERM", () => stop().then(() => process.exit(1)));

let failed = null;
for (const msg of messages) {
	if (exited) {
		failed = `${command[0]} exited before ${msg.method}`;
		break;
	}
	child.stdin.write(`${JSON.stringify(msg)}\n`);
	if (msg.id !== undefined && !(await answer(msg.id))) {
		failed = `no answer to ${msg.method} (id ${msg.id}) within ${timeoutMs} ms`;
		break;
	}
}
await stop();
if (failed) {
	console.error(failed);
	process.exit(1);
}
