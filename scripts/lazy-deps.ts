// Part of `npm run build` (scripts/build.ts): in the bundle, a few imports
// that a dependency makes when it loads, for code the gateway runs only on
// some paths, are made when that code first runs instead.
//
// discord.js and @discordjs/rest import undici (their copy, v6) when
// discord.js loads, and evaluating it is the largest single step of loading
// discord.js. discord.js uses its fetch for files given as URLs and for the
// ShardingManager's shard count; @discordjs/rest for its default request
// function, which this gateway uses only through a proxy
// (channels/discord/rest-sender.ts sends over the lean fetch otherwise), and for a
// FormData it installs only where the runtime has none (Node 24 has one).
// That `globalThis.FormData ??= …` also read Node's own lazy FormData global,
// which loads Node's internal undici. @discordjs/rest also imports
// magic-bytes.js, whose file-type tree is built at load, to tell an
// attachment's type when it has none, and @vladfrangu/async_event_emitter
// (under @discordjs/ws and /rest) evaluates its own bundled copy of
// util.inspect when it loads; a fastify instance loads ajv and
// fast-json-stringify for schemas no gateway route declares, and fastify's
// server module node:http2 for HTTP/2 servers the gateway never makes. Each becomes a require() (or the module's own
// lazy call) where the value is used, which the bundler turns into a call
// that evaluates the module on first use; the FormData check asks whether
// the global exists without reading it.
//
// Every replacement must match exactly as often as listed: a dependency
// update that changes the code fails the build with the file and the text,
// instead of quietly keeping the eager import.

interface Patch {
  /** the module, by the end of its path */
  file: string;
  edits: { from: string; to: string; count: number }[];
}

const UNDICI = "__switchboardLazyUndici";

export const PATCHES: Patch[] = [
  {
    file: "/node_modules/@discordjs/rest/dist/index.mjs",
    edits: [
      { from: 'import { FormData as FormData2 } from "undici";\n', to: "", count: 1 },
      { from: 'import { request, Headers } from "undici";\n', to: `const ${UNDICI} = () => import("undici");\n`, count: 1 },
      { from: "const res = await request(url, options);", to: `const { request, Headers } = await ${UNDICI}();\n  const res = await request(url, options);`, count: 1 },
      // Node 24 (package.json engines) always has a FormData; the question no longer reads it
      { from: "globalThis.FormData ??= FormData2;", to: `if (!("FormData" in globalThis)) throw new Error("@discordjs/rest needs a global FormData (Node 24 has one)");`, count: 1 },
      { from: 'import { filetypeinfo } from "magic-bytes.js";\n', to: 'const filetypeinfo = (data) => require("magic-bytes.js").filetypeinfo(data);\n', count: 1 },
    ],
  },
  {
    // discord.js's own uses of undici: the recommended shard count (ShardingManager) and files given as URLs
    file: "/node_modules/discord.js/src/util/Util.js",
    edits: [{ from: "const { fetch } = require('undici');", to: "const fetch = (...args) => import('undici').then((u) => u.fetch(...args));", count: 1 }],
  },
  {
    file: "/node_modules/discord.js/src/util/DataResolver.js",
    edits: [{ from: "const { fetch } = require('undici');", to: "const fetch = (...args) => import('undici').then((u) => u.fetch(...args));", count: 1 }],
  },
  {
    // fastify builds its schema compilers when an instance is made, loading ajv and fast-json-stringify (with
    // fast-uri and their own dependencies); they are only called for routes that declare schemas, which the
    // gateway's do not. Each factory is made on its first call instead, with the same result
    file: "/node_modules/fastify/lib/schema-controller.js",
    edits: [
      {
        from: "    const ValidatorSelector = require('@fastify/ajv-compiler')\n    compilersFactory.buildValidator = ValidatorSelector()\n",
        to: "    let built\n    compilersFactory.buildValidator = (...args) => (built ??= require('@fastify/ajv-compiler')())(...args)\n",
        count: 1,
      },
      {
        from: "    const SerializerSelector = require('@fastify/fast-json-stringify-compiler')\n    compilersFactory.buildSerializer = SerializerSelector()\n",
        to: "    let built\n    compilersFactory.buildSerializer = (...args) => (built ??= require('@fastify/fast-json-stringify-compiler')())(...args)\n",
        count: 1,
      },
    ],
  },
  {
    // fastify's server module loads node:http2 for instances created with `http2: true`, which the gateway's is not;
    // node:http2 sets up nghttp2's binding when it loads (~13 ms of CPU before /ready)
    file: "/node_modules/fastify/lib/server.js",
    edits: [
      { from: "const http2 = require('node:http2')\n", to: "", count: 1 },
      {
        from: "? http2.createSecureServer(httpsOptions, httpHandler) : http2.createServer(options.http, httpHandler)",
        to: "? require('node:http2').createSecureServer(httpsOptions, httpHandler) : require('node:http2').createServer(options.http, httpHandler)",
        count: 1,
      },
    ],
  },
  {
    // its util.inspect copy (node-inspect-extracted) describes an "error" event nobody listens to, and nothing else
    file: "/node_modules/@vladfrangu/async_event_emitter/dist/index.mjs",
    edits: [
      { from: "var import_inspect = __toESM(require_inspect(), 1);", to: "var import_inspect = { default: {} };", count: 1 },
      { from: "stringifiedError = inspect(er);", to: "stringifiedError = __toESM(require_inspect(), 1).default.inspect(er);", count: 1 },
    ],
  },
];

/** how many times `part` occurs in `text`, not overlapping (the build's text patches check their counts with it) */
export function occurrences(text: string, part: string): number {
  let n = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) n++;
  return n;
}

/** the module's code with its patch applied (null: not a patched module); throws when the code is not as expected */
export function applyPatch(code: string, id: string, patches: Patch[] = PATCHES): string | null {
  const normalized = id.split("\\").join("/");
  const patch = patches.find((p) => normalized.endsWith(p.file));
  if (!patch) return null;
  let out = code;
  for (const e of patch.edits) {
    const n = occurrences(out, e.from);
    if (n !== e.count) {
      throw new Error(
        `${patch.file}: expected ${e.count} × ${JSON.stringify(e.from)}, found ${n}. The dependency changed: update the patch in scripts/lazy-deps.ts (or drop it)`,
      );
    }
    out = out.split(e.from).join(e.to);
  }
  return out;
}

/** the rolldown plugin */
export function lazyDeps() {
  return {
    name: "switchboard-lazy-deps",
    transform(code: string, id: string) {
      const out = applyPatch(code, id);
      return out === null ? null : { code: out, map: null };
    },
  };
}
