// soak_client.mjs - the client of tests/e2e/soak.sh: keeps the FastCGI
// workers saturated for a given time with mixed traffic, rotates the
// development issuer's signing key on a schedule, and records every
// response's status per request kind.
//
// node soak_client.mjs CONFIG.json; CONFIG (written by soak.sh) holds url,
// cli, issuer, issuerDir, resource, seconds, warmup, rotate, gap, throttle
// (OAUTH_JWKS_REFRESH_THROTTLE), conc and pids (the workers to sample).  It
// prints the summary and writes result lines to CONFIG's out, one fact a
// line, for soak.sh to check:
//   limited-first STATUS            (the limited client's first whoami)
//   warmed SECONDS                  (when the warm-up ended)
//   kind KIND EXPECTED TOTAL UNEXPECTED STATUS:N...
//   sample PID WHEN ANON_KB FDS     (WHEN: warm or end)
//   rotations N
//   client-errors N                 (requests the client itself failed to make or check)
//   todos OWNER BELIEVED LISTED MISMATCHES
//   believed SUBJECT N              (for the database's own count)
//   answered STATUS N STATUS N...   (every request made, for the audit lines)
//   rate REQUESTS SECONDS           (after the warm-up)
//   first KIND: ...                 (the first few unexpected answers)
//
// The warm-up lasts warmup seconds and until every worker has mapped the
// libraries that requests load on first use (at most two thirds of the
// run); its sample and the end's are taken with no request in flight.
//
// Request kinds and the status each must get:
//   greet      200  greet_user with the current key's token, the greeting checked
//   oldkey     200  greet_user with the previous key's token, still published
//   noauth     401  no Authorization header
//   badsig     401  the current token with a corrupted signature
//   retired    401  a token whose key the issuer no longer publishes, sent only
//                   once the server has seen the new key set (a request with
//                   the new key answered)
//   rogue      401  a token signed by a key never published
//              Both have a kid the server does not know, so each forces a
//              JWKS refresh (one per OAUTH_JWKS_REFRESH_THROTTLE across the
//              workers): they are sent only until gap seconds before the
//              next rotation, and the rotation waits for their answers and
//              throttle + 1 s more, so that the new key's first request
//              finds the throttle open.  They make every worker fetch keys, and load
//              libcurl, early in the warm-up.
//   scope      403  create_todo with a todo:read-only token (insufficient_scope)
//   limited    429  whoami of a client whose whoami budget (MCP_TOOL_RATE_LIMITS
//                   whoami=1/86400) it spent at the start
//   todo_create, todo_list, todo_get, todo_update, todo_delete
//              200  the todo tools on a few owners, checked against the
//                   client's model of each owner's todos
//
// A rotation: a new key (RS256 and ES256 in turn) and its tokens are made;
// requests with the key about to be retired stop and drain; the JWKS is
// replaced (rename) by the current and the new key; new requests use the
// new key, the old-key kind the former current one.
import fs from "node:fs";
import net from "node:net";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const url = new URL(cfg.url);
const TODO_OWNERS = 4;
const TODO_CAP = 25; // todos per owner the client keeps at most
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- principals, keys and tokens -------------------------------------------

const principals = {
  greet: { sub: "soak-greet" },
  reader: { sub: "soak-reader", scope: "todo:read" },
  limited: { sub: "soak-limited" },
};
for (let i = 0; i < TODO_OWNERS; i++) principals["todo" + i] = { sub: "soak-todo-" + i, scope: "todo:read todo:write" };

async function mintAll(key) {
  const tokens = {};
  await Promise.all(Object.entries(principals).map(async ([name, p]) => {
    const args = ["mint", "--key", key, "--iss", cfg.issuer, "--aud", cfg.resource, "--sub", p.sub,
      "--client-id", p.sub, "--ttl", "3600"];
    if (p.scope) args.push("--scope", p.scope);
    tokens[name] = (await run(cfg.cli, args)).stdout.trim();
  }));
  return tokens;
}

// gens[i]: key i, its tokens and the requests in flight with them.  The
// issuer publishes the last two; the one before them is retired.
const gens = [];
let rotating = false; // no old-key or retired requests while a rotation drains
let retiredSeen = false; // a new-key request was answered since the last rotation
let nextRotation = 0; // ms since start of the next rotation
let rotations = 0;
let rogue = ""; // a token of a key never published
const forcing = { inflight: 0, last: 0 }; // requests with unknown kids: in flight, last answer

async function newGen(key) {
  gens.push({ key, tokens: await mintAll(key), inflight: 0 });
}

async function rotate() {
  const n = gens.length;
  rotating = true;
  const key = `${cfg.issuerDir}/soak-key-${n}.pem`;
  await run(cfg.cli, ["keygen", "--out", key, "--alg", n % 2 ? "ES256" : "RS256"]);
  const gen = { key, tokens: await mintAll(key), inflight: 0 };
  const leaving = gens[n - 2];
  // However late a slow machine answers them, no key about to go and no
  // forced refresh still counting against the throttle.
  while ((leaving && leaving.inflight > 0) || forcing.inflight > 0 ||
    Date.now() - forcing.last < (cfg.throttle + 1) * 1000) await sleep(5);
  const { stdout } = await run(cfg.cli, ["jwks", "--key", gens[n - 1].key, "--key", key]);
  const jwks = `${cfg.issuerDir}/jwks.json`;
  fs.writeFileSync(jwks + ".new", stdout);
  fs.renameSync(jwks + ".new", jwks);
  gens.push(gen);
  retiredSeen = false;
  rotating = false;
  rotations++;
}

// ---- requests ----------------------------------------------------------------

let nextId = 1;
const answered = {}; // every POST's status, to compare with the audit lines

// ---- a keep-alive HTTP/1.1 client -------------------------------------------
// On plain sockets: node's http module costs the client several times the
// CPU per request, and on a small machine the client, not the workers, would
// then set the pace.  It reads Content-Length and chunked bodies.

const idle = []; // connections with no request in flight
const waiters = []; // requests waiting for a connection

// parse(buf): { status, headers, body, rest } once buf holds a whole response, else null.
function parse(buf) {
  const he = buf.indexOf("\r\n\r\n");
  if (he < 0) return null;
  const lines = buf.subarray(0, he).toString("latin1").split("\r\n");
  const status = Number(lines[0].split(" ")[1]), headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let at = he + 4;
  if (headers["content-length"] !== undefined) {
    const n = Number(headers["content-length"]);
    if (buf.length < at + n) return null;
    return { status, headers, body: buf.subarray(at, at + n), rest: buf.subarray(at + n) };
  }
  if (!/chunked/i.test(headers["transfer-encoding"] || "")) return { status, headers, body: Buffer.alloc(0), rest: buf.subarray(at) };
  const parts = [];
  for (;;) {
    const le = buf.indexOf("\r\n", at);
    if (le < 0) return null;
    const n = parseInt(buf.subarray(at, le).toString("latin1"), 16);
    if (buf.length < le + 2 + n + 2) return null;
    if (n === 0) return { status, headers, body: Buffer.concat(parts), rest: buf.subarray(le + 4) };
    parts.push(buf.subarray(le + 2, le + 2 + n));
    at = le + 2 + n + 2;
  }
}

function connect() {
  const c = { sock: net.connect({ host: url.hostname, port: Number(url.port) }), buf: Buffer.alloc(0), done: null };
  c.sock.setNoDelay(true);
  const fail = (why) => {
    c.dead = true;
    if (c.done) c.done({ status: "ERR", headers: {}, body: Buffer.from(why) });
  };
  c.sock.on("data", (d) => {
    c.buf = c.buf.length ? Buffer.concat([c.buf, d]) : d;
    const r = c.done && parse(c.buf);
    if (!r) return;
    c.buf = Buffer.from(r.rest);
    if (/close/i.test(r.headers.connection || "")) {
      c.dead = true;
      c.sock.destroy();
    }
    c.done(r);
  });
  c.sock.on("error", (e) => fail(e.message));
  c.sock.on("close", () => fail("connection closed"));
  return c;
}

// exchange(bytes): sends one request on a free connection; resolves to the response.
function exchange(bytes) {
  if (idle.length === 0 && waiters.length + open.size >= cfg.conc)
    return new Promise((res) => waiters.push(res)).then(() => exchange(bytes));
  let c = idle.pop();
  if (!c || c.dead) c = connect();
  open.add(c);
  return new Promise((resolve) => {
    const timer = setTimeout(() => c.sock.destroy(new Error("timeout after 60 s")), 60000);
    c.done = (r) => {
      clearTimeout(timer);
      c.done = null;
      open.delete(c);
      if (!c.dead) idle.push(c);
      const w = waiters.shift();
      if (w) w();
      resolve(r);
    };
    c.sock.write(bytes);
  });
}
const open = new Set();

// post(gen, token, body): one POST to the endpoint; resolves to
// { status, headers, json, text } (status "ERR" when the request failed).
function post(gen, token, body) {
  const data = JSON.stringify(body);
  const head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
    `Accept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(data)}\r\n` +
    (token ? `Authorization: Bearer ${token}\r\n` : "") + "\r\n";
  if (gen) gen.inflight++;
  return exchange(Buffer.from(head + data)).then((r) => {
    const text = r.body.toString("utf8");
    let json = null;
    try { json = JSON.parse(text); } catch { /* checked by the caller */ }
    answered[r.status] = (answered[r.status] || 0) + 1;
    return { status: r.status, headers: r.headers, json, text };
  }).finally(() => { if (gen) gen.inflight--; });
}

const call = (name, args) => ({ jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name, arguments: args } });

// A successful tool result for request body b, or null.
function result(r, b) {
  const j = r.json;
  if (r.status !== 200 || !j || j.id !== b.id || !j.result || j.result.isError) return null;
  return j.result;
}

// ---- the record ----------------------------------------------------------------

const EXPECT = { greet: 200, oldkey: 200, noauth: 401, badsig: 401, retired: 401, rogue: 401, scope: 403, limited: 429,
  todo_create: 200, todo_list: 200, todo_get: 200, todo_update: 200, todo_delete: 200 };
const stats = {};
for (const k of Object.keys(EXPECT)) stats[k] = { total: 0, bad: 0, status: {} };
const firstBad = [];

// record(kind, r, ok): counts r's status for kind; ok is whether the body
// was right too (only looked at when the status is the expected one).
function record(kind, r, ok) {
  const s = stats[kind];
  s.total++;
  s.status[r.status] = (s.status[r.status] || 0) + 1;
  if (r.status === EXPECT[kind] && ok) return;
  s.bad++;
  if (firstBad.length < 10) firstBad.push(`${kind}: ${r.status} ${String(r.text).slice(0, 200)}`);
}

const current = () => gens[gens.length - 1];
function sign(tok) {
  // Flips one character of the signature: still base64url, never valid.
  const i = tok.length - 5, c = tok[i] === "A" ? "B" : "A";
  return tok.slice(0, i) + c + tok.slice(i + 1);
}

async function greet(gen, kind) {
  const b = call("greet_user", { name: "soak" + nextId });
  const r = await post(gen, gen.tokens.greet, b);
  const res = result(r, b);
  const ok = res?.content?.[0]?.text === `Hi soak${b.id}, welcome!`;
  if (ok && gen === current()) retiredSeen = true;
  record(kind, r, ok);
}

async function refused(kind, gen, token, body, check) {
  const r = await post(gen, token, body);
  record(kind, r, check(r));
}

const challenge = (r, what) => String(r.headers["www-authenticate"] || "").includes(what);

// ---- the todo owners ---------------------------------------------------------

// owners[i]: the todos the client believes owner i has (id -> {title,
// completed}), those with a request in flight, and creates in flight.
const owners = Array.from({ length: TODO_OWNERS }, (_, i) => ({ name: "todo" + i, todos: new Map(), busy: new Set(), creating: 0 }));
let todoSeq = 0;

function idleTodo(o) {
  const free = [...o.todos.keys()].filter((id) => !o.busy.has(id));
  return free.length ? free[Math.floor(Math.random() * free.length)] : null;
}

async function todoOp(o) {
  const gen = current(), tok = gen.tokens[o.name];
  let op = ["create", "list", "get", "update", "delete"][Math.floor(Math.random() * 5)];
  const id = idleTodo(o);
  if (op === "create" && o.todos.size + o.creating >= TODO_CAP) op = "delete";
  if (op !== "create" && op !== "list" && id === null) op = o.todos.size + o.creating < TODO_CAP ? "create" : "list";
  if (op === "create") {
    const title = `soak todo ${++todoSeq}`;
    const b = call("create_todo", { title, description: "made by the soak" });
    o.creating++;
    const r = await post(gen, tok, b);
    o.creating--;
    const t = result(r, b)?.structuredContent;
    const ok = t && typeof t.id === "string" && t.title === title && t.completed === false;
    if (ok) o.todos.set(t.id, { title, completed: false });
    return record("todo_create", r, ok);
  }
  if (op === "list") {
    const b = call("list_todos", { limit: 100 });
    const r = await post(gen, tok, b);
    const s = result(r, b)?.structuredContent;
    return record("todo_list", r, s && Array.isArray(s.todos));
  }
  const want = o.todos.get(id);
  o.busy.add(id);
  try {
    if (op === "get") {
      const b = call("get_todo", { todo_id: id });
      const r = await post(gen, tok, b);
      const t = result(r, b)?.structuredContent;
      return record("todo_get", r, t && t.id === id && t.title === want.title && t.completed === want.completed);
    }
    if (op === "update") {
      const title = `soak todo ${++todoSeq}`, completed = !want.completed;
      const b = call("update_todo", { todo_id: id, title, completed });
      const r = await post(gen, tok, b);
      const t = result(r, b)?.structuredContent;
      const ok = t && t.id === id && t.title === title && t.completed === completed;
      if (ok) o.todos.set(id, { title, completed });
      return record("todo_update", r, ok);
    }
    const b = call("delete_todo", { todo_id: id });
    const r = await post(gen, tok, b);
    const t = result(r, b)?.structuredContent;
    const ok = t && t.id === id && t.deleted === true;
    if (ok) o.todos.delete(id);
    return record("todo_delete", r, ok);
  } finally {
    o.busy.delete(id);
  }
}

// ---- the mix -----------------------------------------------------------------

const t0 = Date.now();
const elapsed = () => Date.now() - t0;

// One request of a kind drawn by weight (per hundred): a third greetings,
// two fifths todo calls, the rest refusals.
async function one() {
  const x = Math.random() * 100, gen = current(), prev = gens[gens.length - 2], gone = gens[gens.length - 3];
  if (x < 30) return greet(gen, "greet");
  if (x < 36) return !rotating && prev ? greet(prev, "oldkey") : greet(gen, "greet");
  if (x < 42)
    return refused("noauth", null, "", call("greet_user", { name: "x" }), (r) => challenge(r, "Bearer"));
  if (x < 46)
    return refused("badsig", gen, sign(gen.tokens.greet), call("greet_user", { name: "x" }),
      (r) => challenge(r, "invalid_token"));
  if (x < 50) {
    // Unknown kids, while they cannot hold up the next rotation.
    if (rotating || elapsed() >= nextRotation - cfg.gap * 1000) return greet(gen, "greet");
    forcing.inflight++;
    try {
      if (x < 48 && gone && retiredSeen)
        return await refused("retired", gone, gone.tokens.greet, call("greet_user", { name: "x" }),
          (r) => challenge(r, "invalid_token"));
      return await refused("rogue", null, rogue, call("greet_user", { name: "x" }),
        (r) => challenge(r, "invalid_token"));
    } finally {
      forcing.inflight--;
      forcing.last = Date.now();
    }
  }
  if (x < 55)
    return refused("scope", gen, gen.tokens.reader, call("create_todo", { title: "never" }),
      (r) => challenge(r, "insufficient_scope"));
  if (x < 58)
    return refused("limited", gen, gen.tokens.limited, call("whoami", {}),
      (r) => r.headers["retry-after"] !== undefined && r.json && r.json.error && r.json.error.code === -32029);
  return todoOp(owners[Math.floor(Math.random() * TODO_OWNERS)]);
}

// ---- sampling the workers -----------------------------------------------------

// True when worker pid has mapped the libraries that requests load on first
// use (libcurl for a key fetch, SQLite for a todo call): which worker first
// needs each is chance, and the mapping is a one-time cost, not growth.
function loaded(pid) {
  try {
    const maps = fs.readFileSync(`/proc/${pid}/maps`, "utf8");
    return maps.includes("libcurl") && maps.includes("libsqlite3");
  } catch {
    return true; // gone: the end's sample says so
  }
}

function sample(pid) {
  let anon = -1, fds = -1, cpu = 0;
  try {
    // utime and stime, in clock ticks (100 a second on Linux): how busy the worker was.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    cpu = Number(stat[11]) + Number(stat[12]);
    const m = /^Anonymous:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    if (m) anon = Number(m[1]);
    fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch { /* -1: the worker is gone */ }
  return { anon, fds, cpu };
}

// waiting[pid]: of the samples taken every few milliseconds after the
// warm-up, how many found the worker blocked in accept(2) (x86-64: 43,
// accept4 288), i.e. with no request to work on: near 0 when the load
// keeps it saturated.
const waiting = {}, looks = {};
function lookAtWorkers() {
  for (const pid of cfg.pids) {
    let nr = "";
    try { nr = fs.readFileSync(`/proc/${pid}/syscall`, "latin1").split(" ")[0]; } catch { /* gone */ }
    looks[pid] = (looks[pid] || 0) + 1;
    if (nr === "43" || nr === "288") waiting[pid] = (waiting[pid] || 0) + 1;
  }
}

// ---- the run -----------------------------------------------------------------

let inflight = 0, paused = false, stopped = false, sent = 0, clientErrors = 0;

function pump() {
  while (!paused && !stopped && inflight < cfg.conc) {
    inflight++;
    sent++;
    one().catch((e) => {
      clientErrors++;
      if (firstBad.length < 10) firstBad.push("client: " + e.stack);
    }).finally(() => {
      inflight--;
      pump();
    });
  }
}

async function drain() {
  paused = true;
  while (inflight > 0) await sleep(5);
  await sleep(200); // lets the workers finish writing their log lines
}

async function main() {
  await newGen(`${cfg.issuerDir}/signing-key.pem`);
  const rogueKey = `${cfg.issuerDir}/soak-rogue.pem`;
  await run(cfg.cli, ["keygen", "--out", rogueKey, "--alg", "ES256"]);
  rogue = (await run(cfg.cli, ["mint", "--key", rogueKey, "--iss", cfg.issuer, "--aud", cfg.resource,
    "--sub", "soak-rogue", "--ttl", "3600"])).stdout.trim();
  // The limited client's one whoami of the day: later ones get 429.
  const b = call("whoami", {});
  const first = await post(null, gens[0].tokens.limited, b);
  const out = [];
  out.push(`limited-first ${first.status}`);

  const samples = {};
  const warmEnd = cfg.warmup * 1000, end = cfg.seconds * 1000;
  nextRotation = cfg.rotate * 1000;
  let warmed = false, reqWarm = 0, tWarm = 0, looker = null;
  pump();
  while (elapsed() < end) {
    await sleep(50);
    if (!warmed && elapsed() >= warmEnd && (cfg.pids.every(loaded) || elapsed() >= (end * 2) / 3)) {
      await drain();
      for (const pid of cfg.pids) samples[pid] = { warm: sample(pid) };
      warmed = true;
      reqWarm = sent;
      tWarm = Date.now();
      out.push(`warmed ${(elapsed() / 1000).toFixed(1)}`);
      paused = false;
      pump();
      looker = setInterval(lookAtWorkers, 7);
    }
    if (elapsed() >= nextRotation && nextRotation < end) {
      nextRotation += cfg.rotate * 1000;
      await rotate();
    }
  }
  stopped = true;
  clearInterval(looker);
  await drain();
  const secs = (Date.now() - tWarm) / 1000, reqs = sent - reqWarm;
  for (const pid of cfg.pids) samples[pid].end = sample(pid);

  // What the client believes against what the server lists, page by page.
  for (const o of owners) {
    const listed = new Map();
    let cursor = null, pages = 0, failed = false;
    do {
      const args = cursor ? { limit: 100, cursor } : { limit: 100 };
      const lb = call("list_todos", args);
      const s = result(await post(null, current().tokens[o.name], lb), lb)?.structuredContent;
      if (!s || !Array.isArray(s.todos)) { failed = true; break; }
      for (const t of s.todos) listed.set(t.id, t);
      cursor = s.next_cursor;
    } while (cursor && ++pages < 100);
    let mism = failed ? 1 : 0;
    for (const [id, t] of o.todos) {
      const l = listed.get(id);
      if (!l || l.title !== t.title || l.completed !== t.completed) mism++;
    }
    for (const id of listed.keys()) if (!o.todos.has(id)) mism++;
    out.push(`todos ${o.name} ${o.todos.size} ${failed ? -1 : listed.size} ${mism}`);
    out.push(`believed soak-todo-${o.name.slice(4)} ${o.todos.size}`);
  }

  // The summary.
  console.log(`     ${"kind".padEnd(12)} ${"want".padStart(4)} ${"requests".padStart(9)}  statuses`);
  let total = 0;
  for (const [k, s] of Object.entries(stats)) {
    total += s.total;
    const st = Object.entries(s.status).map(([c, n]) => `${c}:${n}`).join(" ");
    console.log(`     ${k.padEnd(12)} ${String(EXPECT[k]).padStart(4)} ${String(s.total).padStart(9)}  ${st}`);
    out.push(`kind ${k} ${EXPECT[k]} ${s.total} ${s.bad} ${st}`);
  }
  console.log(`     ${total} requests in ${cfg.seconds} s, ${rotations} key rotations; ` +
    `warm-up ${((tWarm - t0) / 1000).toFixed(1)} s; after it ${reqs} in ${secs.toFixed(1)} s: ${(reqs / secs).toFixed(0)} req/s`);
  for (const pid of cfg.pids) {
    const s = samples[pid];
    console.log(`     worker ${pid}: private anonymous ${s.warm.anon} kB -> ${s.end.anon} kB ` +
      `(${s.end.anon - s.warm.anon >= 0 ? "+" : ""}${s.end.anon - s.warm.anon}), fds ${s.warm.fds} -> ${s.end.fds}, ` +
      `CPU ${((s.end.cpu - s.warm.cpu) / secs).toFixed(0)} % of a core, waiting for a request in ` +
      `${(((waiting[pid] || 0) * 100) / (looks[pid] || 1)).toFixed(1)} % of ${looks[pid] || 0} looks`);
    out.push(`sample ${pid} warm ${s.warm.anon} ${s.warm.fds}`);
    out.push(`sample ${pid} end ${s.end.anon} ${s.end.fds}`);
  }
  out.push(`rotations ${rotations}`);
  out.push(`client-errors ${clientErrors}`);
  out.push(`answered ${Object.entries(answered).map(([c, n]) => `${c} ${n}`).join(" ")}`);
  out.push(`rate ${reqs} ${secs.toFixed(1)}`);
  for (const f of firstBad) out.push(`first ${f.replace(/\n/g, " ")}`);
  fs.writeFileSync(cfg.out, out.join("\n") + "\n");
  for (const c of idle) c.sock.destroy();
}

main().catch((e) => {
  console.error(e.stack);
  process.exit(1);
});
