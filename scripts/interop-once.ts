// Part of `npm run build` (scripts/build.ts): the bundler's helpers that give
// a CommonJS module an ES module face (__toESM) and an ES module a CommonJS
// face (__toCommonJS) convert each module once, where they converted it at
// every call site.
//
// Each conversion is a new object with one getter (a bound function) per
// export. In the bundle, discord.js's CommonJS files each require
// discord-api-types/v10 (hundreds of exports) and the ES-only packages it
// uses: 279 call sites, 99 of them for v10 alone, each building its own copy
// when discord.js loads. Made once, a gateway reaches /ready with 70–120 ms
// less CPU (bench/README.md). Node's own require() and import() hand back the
// same object for the same module every time, so one conversion per module
// is also closer to what the unbundled code sees.
//
// The helpers are rolldown's runtime, emitted into one chunk; this wraps
// them in that chunk, right after they are defined (their bindings are
// `var`s, exported live). A runtime that defines them differently fails the
// build with the fix, instead of quietly keeping the copies.
import { occurrences } from "./lazy-deps.ts";

// at the start of a line: the bundler's runtime is top-level code; a dependency that bundled its own copy of such
// helpers (esbuild's, inside the dependency's function) is left alone
const TO_ESM = "\nvar __toESM = ";
const TO_CJS = "\nvar __toCommonJS = ";

/**
 * Reassigns both helpers to memoized versions. A conversion is remembered
 * per module object (and per `isNodeMode` for __toESM, whose result differs
 * with it); anything else (no object, an explicit target) converts as before.
 */
const ONCE = `
__toESM = ((convert, seen = [new WeakMap(), new WeakMap()]) => (mod, isNodeMode, target) => {
	if (target !== undefined || mod === null || typeof mod !== "object" && typeof mod !== "function") return convert(mod, isNodeMode, target);
	const memo = seen[isNodeMode ? 1 : 0];
	let face = memo.get(mod);
	if (face === undefined) memo.set(mod, face = convert(mod, isNodeMode));
	return face;
})(__toESM);
__toCommonJS = ((convert, seen = new WeakMap()) => (mod) => {
	if (mod === null || typeof mod !== "object" && typeof mod !== "function") return convert(mod);
	let face = seen.get(mod);
	if (face === undefined) seen.set(mod, face = convert(mod));
	return face;
})(__toCommonJS);
`;

/** the end of the statement that starts at `from` (its `;` and line break), or -1 */
function statementEnd(code: string, from: number): number {
  const at = code.indexOf(";\n", from);
  return at < 0 ? -1 : at + 2;
}

/**
 * The chunk with both helpers memoized; null for a chunk that does not
 * define them. Throws when a chunk defines one without the other, either of
 * them twice, or not as one statement ending a line.
 */
export function onceInterop(code: string): string | null {
  const esms = occurrences(code, TO_ESM);
  const cjss = occurrences(code, TO_CJS);
  if (esms === 0 && cjss === 0) return null;
  const fail = (why: string) =>
    new Error(`scripts/interop-once.ts: the bundler's runtime chunk ${why}. rolldown changed its runtime: update the wrapper (or drop it)`);
  if (esms === 0 || cjss === 0) throw fail(`defines ${esms === 0 ? "__toCommonJS without __toESM" : "__toESM without __toCommonJS"}`);
  if (esms > 1 || cjss > 1) throw fail("defines a helper twice");
  const ends = [statementEnd(code, code.indexOf(TO_ESM)), statementEnd(code, code.indexOf(TO_CJS))];
  if (ends.includes(-1)) throw fail("has a helper that does not end a line with `;`");
  // after the later of the two: both are defined there
  const end = Math.max(...ends);
  return code.slice(0, end) + ONCE + code.slice(end);
}

/** the rolldown plugin */
export function interopOnce() {
  return {
    name: "switchboard-interop-once",
    renderChunk(code: string) {
      const out = onceInterop(code);
      return out === null ? null : { code: out, map: null };
    },
  };
}
