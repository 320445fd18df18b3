// The bundle's module-face helpers convert each module once
// (scripts/interop-once.ts). Checked on the installed rolldown's own runtime
// text (the base its builds embed, shipped in experimental-runtime.mjs), made
// into a module: what a bundled require() or import() gets back.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onceInterop } from "../../scripts/interop-once.ts";

type Face = Record<string, unknown>;
interface Runtime {
  __toESM: (mod: unknown, isNodeMode?: number) => Face;
  __toCommonJS: (mod: unknown) => Face;
  __exportAll: (all: Record<string, () => unknown>) => Face;
}

const runtimeFile = createRequire(import.meta.url).resolve("rolldown/experimental/runtime");
/** the runtime's base: everything before the first part that is not it */
function runtimeBase(): string {
  const text = readFileSync(runtimeFile, "utf8");
  const next = text.indexOf("\n// ", text.indexOf("runtime-base.js"));
  return text.slice(0, next < 0 ? undefined : next + 1);
}

let dir: string;
let rt: Runtime;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sb-interop-"));
  const patched = onceInterop(runtimeBase());
  expect(patched).not.toBeNull();
  const file = join(dir, "runtime.mjs");
  writeFileSync(file, `${patched}\nexport { __toESM, __toCommonJS, __exportAll };\n`);
  rt = (await import(pathToFileURL(file).href)) as Runtime;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the bundle's module faces", () => {
  it("give an ES module's CommonJS face once: every require() of it gets the same object, whose exports stay live", () => {
    let count = 1;
    const ns = rt.__exportAll({ count: () => count, name: () => "v10" });
    const a = rt.__toCommonJS(ns);
    expect(rt.__toCommonJS(ns)).toBe(a);
    expect(a.__esModule).toBe(true);
    expect(a.name).toBe("v10");
    count = 2;
    expect(a.count).toBe(2);
    // another module has a face of its own
    expect(rt.__toCommonJS(rt.__exportAll({ name: () => "other" }))).not.toBe(a);
  });

  it("give a CommonJS module's ES face once per mode, with the module as its default", () => {
    const cjs = { Client: class {}, version: "14" };
    const node = rt.__toESM(cjs, 1);
    expect(rt.__toESM(cjs, 1)).toBe(node);
    expect(node.default).toBe(cjs);
    expect(node.version).toBe("14");
    const bundled = rt.__toESM(cjs);
    expect(rt.__toESM(cjs)).toBe(bundled);
    expect(bundled).not.toBe(node);
    cjs.version = "15";
    expect(node.version).toBe("15");
  });

  it("still convert what is no object, as before", () => {
    expect(rt.__toESM(undefined, 1).default).toBeUndefined();
    expect(rt.__toESM(null).default).toBeNull();
  });

  it("leave a chunk without the helpers, and a dependency's own indented copy, alone", () => {
    expect(onceInterop("export const x = 1;\n")).toBeNull();
    expect(onceInterop("function wrap() {\n\tvar __toESM = (m) => m;\n\tvar __toCommonJS = (m) => m;\n}\n")).toBeNull();
  });

  it("fail the build, naming the fix, when the runtime's helpers changed shape", () => {
    expect(() => onceInterop("\nvar __toCommonJS = (m) => m;\n")).toThrow(/without __toESM.*update the wrapper/);
    expect(() => onceInterop("\nvar __toESM = (m) => m;\nvar __toCommonJS = (m) => m;\nvar __toCommonJS = (m) => m;\n")).toThrow(/twice/);
    expect(() => onceInterop("\nvar __toESM = (m) => m\nvar __toCommonJS = (m) => m")).toThrow(/does not end a line/);
  });
});
