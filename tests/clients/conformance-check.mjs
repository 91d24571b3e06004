// conformance-check.mjs - compares a run of the conformance suite's server
// scenarios with the expected-failures file.
//
// usage: node conformance-check.mjs EXPECTED_FILE RESULTS_DIR SCENARIO...
//   EXPECTED_FILE  conformance-expected-failures.yml: "server:" then one
//                  "  - NAME # reason" line per scenario expected to fail
//   RESULTS_DIR    the suite's --output-dir: one server-NAME-<time>/checks.json
//                  per scenario run
//   SCENARIO...    the scenarios the suite was asked to run
//
// A scenario fails, as in the suite's own baseline rules, when one of its
// checks is a FAILURE or a WARNING; it passes when none is and at least one
// check is a SUCCESS.  Prints one line per scenario, tab-separated:
//   pass NAME                       passed and not listed
//   xfail NAME REASON               failed and listed, as the reason says
//                                   (the JSON-RPC error code it names, or a
//                                   warning)
//   FAIL NAME WHY                   failed and not listed, listed and passed,
//                                   no results, or listed without a reason
// and a FAIL line for a listed name that is no scenario of the run.
import fs from "node:fs";
import path from "node:path";

const [expectedFile, resultsDir, ...scenarios] = process.argv.slice(2);
if (!expectedFile || !resultsDir || scenarios.length === 0) {
	console.error("usage: node conformance-check.mjs EXPECTED_FILE RESULTS_DIR SCENARIO...");
	process.exit(2);
}

// The expected failures: NAME -> reason ("" when the entry gives none).
const expected = new Map();
let inServer = false;
for (const line of fs.readFileSync(expectedFile, "utf8").split("\n")) {
	if (/^\S/.test(line) && !line.startsWith("#")) inServer = /^server:\s*$/.test(line);
	const m = inServer && line.match(/^\s+-\s+([A-Za-z0-9_.-]+)\s*(?:#\s*(.*))?$/);
	if (m) expected.set(m[1], (m[2] || "").trim());
}

// The checks of each scenario run: NAME -> [checks].
const results = new Map();
for (const dir of fs.readdirSync(resultsDir)) {
	const m = dir.match(/^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/);
	const file = path.join(resultsDir, dir, "checks.json");
	if (m && fs.existsSync(file)) results.set(m[1], JSON.parse(fs.readFileSync(file, "utf8")));
}

// A reason that names a JSON-RPC error code (-32601) must match the failure;
// one that speaks of a warning must match a WARNING check.
function failsAsSaid(reason, bad, why) {
	const code = reason.match(/-326\d\d/);
	if (code) return why.includes(code[0]);
	if (/warning/i.test(reason)) return bad.some((c) => c.status === "WARNING");
	return true;
}

const out = (...f) => console.log(f.join("\t"));
for (const name of scenarios) {
	const checks = results.get(name);
	const reason = expected.get(name);
	if (!checks) {
		out("FAIL", name, "the suite left no results for it");
		continue;
	}
	const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");
	const passed = bad.length === 0 && checks.some((c) => c.status === "SUCCESS");
	const why = bad.length
		? bad.map((c) => `${c.id}: ${c.status} ${c.errorMessage || c.details?.message || ""}`.trim()).join("; ")
		: "no SUCCESS check";
	if (reason === undefined) out(passed ? "pass" : "FAIL", name, passed ? "" : why);
	else if (passed) out("FAIL", name, "listed as an expected failure but passes: remove it from the file");
	else if (reason === "") out("FAIL", name, "listed without a reason");
	else if (!failsAsSaid(reason, bad, why)) out("FAIL", name, `fails otherwise than the file says: ${why}`);
	else out("xfail", name, reason);
}
for (const name of expected.keys())
	if (!scenarios.includes(name)) out("FAIL", name, "listed, but no such scenario was run");
