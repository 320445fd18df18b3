// The build's patches that defer a dependency's imports to their first use
// (scripts/lazy-deps.ts): they fit the installed dependency, keep its
// behaviour, and a dependency that changed fails loudly.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyPatch, PATCHES } from "../../scripts/lazy-deps.ts";

const restFile = join(dirname(createRequire(createRequire(import.meta.url).resolve("discord.js")).resolve("@discordjs/rest")), "index.mjs");

describe("deferred dependency imports", () => {
  it.each(PATCHES.map((p) => p.file))("fit the installed %s", (file) => {
    const installed = join(import.meta.dirname, "../..", file);
    expect(() => applyPatch(readFileSync(installed, "utf8"), installed)).not.toThrow();
  });

  it("leave async_event_emitter's util.inspect copy to its first use", () => {
    const file = join(import.meta.dirname, "../../node_modules/@vladfrangu/async_event_emitter/dist/index.mjs");
    const out = applyPatch(readFileSync(file, "utf8"), file)!;
    // the only call left is the one that describes an unheard "error" event
    expect(out.match(/require_inspect\(\)/g)).toEqual(["require_inspect()"]);
    expect(out).toContain("__toESM(require_inspect(), 1).default.inspect(er)");
  });

  it("fit the installed @discordjs/rest: no import of undici or magic-bytes.js is left at its top", () => {
    const out = applyPatch(readFileSync(restFile, "utf8"), restFile)!;
    expect(out).not.toMatch(/^import .* from "(undici|magic-bytes\.js)";$/m);
    expect(out).toContain('import("undici")');
    // the global FormData is asked for without being read (reading it loads Node's own undici)
    expect(out).not.toContain("globalThis.FormData ??=");
  });

  it("ask for the global FormData without reading it (reading it loads Node's own undici)", () => {
    const patch = PATCHES[0]!.edits.find((e) => e.from.startsWith("globalThis.FormData"))!;
    let reads = 0;
    const present = new Proxy({ FormData: class {} }, { get: (t, k) => (reads++, Reflect.get(t, k)) });
    const run = (global: object) => new Function("globalThis", patch.to)(global);
    run(present);
    expect(reads).toBe(0);
    expect(() => run({})).toThrow(/needs a global FormData \(Node 24 has one\)/);
  });

  it("make fastify's schema compilers on their first call, once, with the arguments fastify passes", () => {
    const patch = PATCHES.find((p) => p.file.endsWith("/fastify/lib/schema-controller.js"))!;
    for (const edit of patch.edits) {
      const made: string[] = [];
      const fakeRequire = (id: string) => () => {
        made.push(id);
        return (...args: unknown[]) => `${id}(${args.join(",")})`;
      };
      const factory: { buildValidator?: (...a: unknown[]) => string; buildSerializer?: (...a: unknown[]) => string } = {};
      new Function("compilersFactory", "require", edit.to)(factory, fakeRequire);
      const build = (factory.buildValidator ?? factory.buildSerializer)!;
      expect(made).toEqual([]); // nothing loaded when the instance is made
      expect(build("schemas", "options")).toMatch(/\(schemas,options\)$/);
      build("again");
      expect(made).toHaveLength(1); // the selector is made once, as before
    }
  });

  it("fail the build, naming the file and the fix, when the dependency's code changed", () => {
    expect(() => applyPatch("export const x = 1;\n", "/x/node_modules/@discordjs/rest/dist/index.mjs")).toThrow(
      /@discordjs\/rest\/dist\/index\.mjs: expected 1 × .*found 0\. The dependency changed: update the patch in scripts\/lazy-deps\.ts/,
    );
  });

  it("leave every other module alone", () => {
    expect(applyPatch('import { request } from "undici";', "/x/node_modules/other/index.mjs")).toBeNull();
  });
});
