// json_lines.mjs FILE... - every log line of ours is valid UTF-8 JSON.
//
// A line counts as ours unless it is lighttpd's own ("YYYY-MM-DD HH:MM:SS:
// (file.c.N) ..."); ours must decode as strict UTF-8 and parse as one JSON
// object.  Prints each offending line (escaped) and exits non-zero when
// there is one; prints nothing otherwise.
import { readFileSync } from "node:fs";

const lighttpd = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: \(/;
const decoder = new TextDecoder("utf-8", { fatal: true });
let bad = 0;

for (const file of process.argv.slice(2)) {
  const bytes = readFileSync(file);
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const raw = bytes.subarray(start, i);
    start = i + 1;
    if (raw.length === 0) continue;
    let text;
    try {
      text = decoder.decode(raw);
    } catch {
      console.log(`${file}: not UTF-8: ${JSON.stringify(raw.toString("latin1")).slice(0, 300)}`);
      bad++;
      continue;
    }
    if (lighttpd.test(text)) continue;
    try {
      const v = JSON.parse(text);
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    } catch (e) {
      console.log(`${file}: not a JSON object (${e.message}): ${JSON.stringify(text).slice(0, 300)}`);
      bad++;
    }
  }
}
process.exit(bad ? 1 : 0);
