// conc_verify.js: see its use in tests/e2e/test_concurrency.sh and faults_worker.sh.
const fs = require("fs");
const [listed, mode, ...outs] = process.argv.slice(2);
const bad = [];
const okById = new Map(), sent = new Set();
let ok = 0, failed = 0, done = 0, shown = 0;
for (const f of outs) {
  const lines = fs.readFileSync(f, "utf8").split("\n").filter(Boolean);
  if (lines[lines.length - 1] === "done") done++;
  else bad.push(`${f}: the client did not finish`);
  for (const l of lines) {
    const [kind, seq, a, b] = l.split("\t");
    if (kind === "done") continue;
    const prefix = f.replace(/^.*\//, "").replace(/\.out$/, "");
    sent.add(`${prefix}-s${seq}`);
    if (kind === "ok") {
      ok++;
      if (okById.has(a)) bad.push(`id ${a} returned twice (${okById.get(a)}, ${b})`);
      okById.set(a, b);
    } else {
      failed++;
      if (mode === "exact" && shown++ < 5) bad.push(`${f}: ${l}`);
    }
  }
}
const rows = fs.readFileSync(listed, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
const ids = new Map(), titles = new Map();
let dupIds = 0, dupTitles = 0, phantom = 0, wrong = 0, committedUnanswered = 0;
for (const [id, title] of rows) {
  if (ids.has(id)) dupIds++;
  ids.set(id, title);
  titles.set(title, (titles.get(title) || 0) + 1);
  if (titles.get(title) === 2) { dupTitles++; if (dupTitles <= 5) bad.push(`title listed twice: ${title}`); }
  if (!sent.has(title)) { phantom++; if (phantom <= 5) bad.push(`listed but never sent: ${id} ${title}`); }
  if (okById.has(id) && okById.get(id) !== title) { wrong++; bad.push(`id ${id}: listed "${title}", created "${okById.get(id)}"`); }
  if (!okById.has(id) && sent.has(title)) committedUnanswered++;
}
let lost = 0;
for (const [id, title] of okById)
  if (!ids.has(id)) { lost++; if (lost <= 5) bad.push(`created but not listed: ${id} ${title}`); }
if (dupIds) bad.push(`${dupIds} ids listed twice`);
if (mode === "exact") {
  if (failed) bad.push(`${failed} calls failed`);
  if (rows.length !== ok) bad.push(`${rows.length} todos listed, ${ok} created`);
  if (committedUnanswered) bad.push(`${committedUnanswered} todos listed that no call reported`);
}
console.log(`calls ok ${ok}, failed ${failed}, clients done ${done}/${outs.length}, listed ${rows.length}, ` +
  `lost ${lost}, listed twice ${dupIds}/${dupTitles}, never sent ${phantom}, ` +
  `stored without an answer ${committedUnanswered}`);
if (bad.length) console.log(bad.join("\n"));
process.exit(bad.length ? 1 : 0);
