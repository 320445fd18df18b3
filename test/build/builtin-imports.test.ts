// The bundle's chunks take Node's built-ins with process.getBuiltinModule()
// (scripts/builtin-imports.ts): what a rewritten chunk binds must be what the
// import bound, and a chunk in an import cycle keeps its imports.
import { describe, expect, it } from "vitest";
import { chunksInCycles, takeBuiltinsWithoutFacades } from "../../scripts/builtin-imports.ts";

/** runs a rewritten chunk's code as a function and returns what it bound */
function bindings(code: string, names: string[]): Record<string, unknown> {
  return new Function(`${code}\nreturn { ${names.join(", ")} };`)() as Record<string, unknown>;
}

describe("built-in imports without facades", () => {
  it("binds the same values the import statements did", async () => {
    const code = [
      'import { readFileSync, statSync as stat } from "node:fs";',
      'import http from "node:http";',
      'import path, { join } from "path";',
      'import { setTimeout as sleep } from "node:timers/promises";',
      'import process from "node:process";',
    ].join("\n");
    const lean = takeBuiltinsWithoutFacades(code);
    expect(lean).not.toMatch(/^import /m);
    const got = bindings(lean, ["readFileSync", "stat", "http", "path", "join", "sleep", "process"]);
    const fs = await import("node:fs");
    expect(got).toEqual({
      readFileSync: fs.readFileSync,
      stat: fs.statSync,
      http: (await import("node:http")).default,
      path: (await import("node:path")).default,
      join: (await import("node:path")).join,
      sleep: (await import("node:timers/promises")).setTimeout,
      process: globalThis.process,
    });
  });

  it("leaves other imports, namespace imports and code alone, and drops bare built-in imports", () => {
    const code = [
      'import { a as b } from "./chunk-1.js";',
      'import pg from "pg";',
      'import * as fs from "node:fs";',
      'import "node:url";',
      'import "./side-effect.js";',
      'const s = "import { x } from \\"node:fs\\";";',
    ].join("\n");
    expect(takeBuiltinsWithoutFacades(code)).toBe(code.replace('import "node:url";\n', ""));
  });

  it("finds the chunks that sit in a cycle of static imports", () => {
    const chunks = [
      { fileName: "main.js", imports: ["a.js", "node:fs"] },
      { fileName: "a.js", imports: ["b.js"] },
      { fileName: "b.js", imports: ["a.js", "c.js"] },
      { fileName: "c.js", imports: ["c.js"] },
    ];
    expect([...chunksInCycles(chunks)].sort()).toEqual(["a.js", "b.js"]);
  });
});
