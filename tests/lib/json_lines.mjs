// json_lines.mjs FILE... - every log line of ours is valid UTF-8 JSON.
//
// A line counts as ours unless it is the web server's own: lighttpd's
// ("YYYY-MM-DD HH:MM:SS: (file.c.N) ..."), Apache's ("[Mon Nov 30
// 07:10:11.540319 2026] [module:level] ...") or nginx's ("YYYY/MM/DD
// HH:MM:SS [level] ...").  Apache's mod_cgi logs each line a CGI program
// writes to stderr as its own line, "... AH01215: stderr from PATH: LINE":
// LINE is ours.  Ours must decode as strict UTF-8 and parse as one JSON
// object.  Prints each offending line (escaped) and exits non-zero when
// there is one; prints nothing otherwise.
import { readFileSync } from "node:fs";

const lighttpd = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d: \(/;
const apache = /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4}\] \[[\w-]+:\w+\] /;
const apacheCgi = / AH01215: stderr from [^:]*: /;
const nginx = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[\w+\] /;
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
    if (lighttpd.test(text) || nginx.test(text)) continue;
    if (apache.test(text)) {
      const m = apacheCgi.exec(text);
      if (!m) continue;
      text = text.slice(m.index + m[0].length);
    }
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
