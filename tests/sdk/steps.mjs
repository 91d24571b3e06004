// steps.mjs - the tiny runner both SDK client tests share.
//
// check(name, fn) runs one named step: fn returning true or nothing passes,
// a returned string or a thrown error fails (the string or the top of the
// stack is printed).  finish() prints "N passed, N failed" as the last line
// and exits non-zero when a step failed.

let passed = 0;
let failed = 0;

export async function check(name, fn) {
  try {
    const why = await fn();
    if (why === true || why === undefined) {
      passed++;
      console.log(`ok   ${name}`);
      return true;
    }
    failed++;
    console.log(`FAIL ${name}`);
    console.log(`     ${why}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}`);
    console.log(`     ${e && e.stack ? e.stack.split("\n").slice(0, 3).join("\n     ") : e}`);
  }
  return false;
}

// want returns true when every [what, wanted, got] agrees (as JSON), else
// the first disagreement.
export function want(...triples) {
  for (const [what, wanted, got] of triples) {
    const w = JSON.stringify(wanted);
    const g = JSON.stringify(got);
    if (w !== g) return `${what}: wanted ${w}, got ${g}`;
  }
  return true;
}

// wantEq is want for one comparison.
export function wantEq(what, wanted, got) {
  return want([what, wanted, got]);
}

export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
