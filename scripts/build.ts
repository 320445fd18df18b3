// `npm run build` (and `prepare`, which `npm install` and `npm ci` run): bundles
// the `switchboard` command into dist/ with rolldown, so a gateway start loads
// about a hundred files instead of ~1,400 (bench/README.md has the figures). The
// sources stay what runs the tests; bin/switchboard.js uses dist/ only while
// dist/build.json says every source file it was built from is unchanged
// (bin/bundle.js), and runs the sources otherwise.
//
//   node scripts/build.ts            build; a failure exits 1
//   node scripts/build.ts --prepare  as npm's prepare (scripts/prepare.js):
//                                    without rolldown (a production install,
//                                    --omit=dev) or on a failed build, says so
//                                    and exits 0: the install works from the
//                                    sources. A dist/ already there is left to
//                                    its build.json (it runs only if current).
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { chunksInCycles, takeBuiltinsWithoutFacades } from "./builtin-imports.ts";
import { lazyDeps } from "./lazy-deps.ts";
import { interopOnce } from "./interop-once.ts";

/** the install root (real path: rolldown names modules by their real paths) */
export const ROOT = realpathSync(join(import.meta.dirname, ".."));
/** what bin/bundle.js reads; written last, so a build cut short is never taken for a finished one */
export const MANIFEST = "build.json";
export const MANIFEST_VERSION = 1;

/**
 * Left to Node at run time, loaded from node_modules as with the sources:
 * - packages our code loads itself through createRequire, so there is one copy
 *   of each (pino-pretty, yaml, qrcode-terminal, preact, htm, and marked, which
 *   loads on the first reply's formatting or the warm-up after ready). @discordjs/ws is
 *   bundled: the Discord adapter imports it beside discord.js, so the bundle
 *   holds discord.js's one copy; left out, a start loaded it and its own
 *   discord-api-types, async_event_emitter and ws from node_modules beside the
 *   bundled copies (bench/README.md);
 * - packages that find files of their own at run time (worker scripts, wasm,
 *   browsers) or are optional native add-ons;
 * - SDKs loaded only when configured (the WhatsApp and Feishu channels, MCP
 *   servers, PostgreSQL);
 * - node-fetch 2 for any other package than grammy (grammySharesNodeFetch):
 *   its whatwg-url 5 calls `new Buffer()` and the punycode module, which Node
 *   warns about unless the caller sits inside node_modules (a chunk in dist/
 *   does not).
 */
const EXTERNAL = new Set([
  "pino-pretty",
  "yaml",
  "qrcode-terminal",
  "preact",
  "htm",
  "marked",
  "pg",
  "pg-native",
  "zlib-sync",
  "bufferutil",
  "utf-8-validate",
  "unpdf",
  "linkedom",
  "playwright-core",
  "@whiskeysockets/baileys",
  "@larksuiteoapi/node-sdk",
  "@modelcontextprotocol/sdk",
  "node-fetch",
]);

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function isExternal(spec: string, importer?: string): boolean {
  if (spec.startsWith("node:")) return true;
  if (isGrammysNodeFetch(spec, importer)) return false;
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("\0")) return false;
  return EXTERNAL.has(packageName(spec));
}

function ours(id: string): boolean {
  return !id.includes(`${sep}node_modules${sep}`) && id.startsWith(ROOT + sep);
}

const GRAMMY_FETCH = "\0switchboard:grammy-node-fetch";
/** grammy's own import of node-fetch (which the bundle replaces), not another package's */
const isGrammysNodeFetch = (spec: string, importer: string | undefined) => spec === "node-fetch" && !!importer?.includes(`${sep}node_modules${sep}grammy${sep}`);

/**
 * grammy requires node-fetch 2 when it loads, for two things this gateway
 * never asks of it: calls without a fetch of their own (channels/telegram
 * always gives it one) and InputFiles made from a URL (a URL is handed to the
 * Bot API as text). node-fetch brings whatwg-url and tr46 with their Unicode
 * tables: ~2 MB of heap and ~360 KB of source held for nothing. In the bundle
 * grammy gets Node's own fetch under that name instead; the sources still load
 * node-fetch.
 */
function grammySharesNodeFetch() {
  return {
    name: "switchboard-grammy-node-fetch",
    resolveId(source: string, importer: string | undefined) {
      return isGrammysNodeFetch(source, importer) ? GRAMMY_FETCH : null;
    },
    load(id: string) {
      if (id !== GRAMMY_FETCH) return null;
      return "export default function fetch(input, init) {\n\treturn globalThis.fetch(input, init);\n}\n";
    },
  };
}

/**
 * The Discord adapter imports @discordjs/ws beside discord.js for its sharding
 * strategy, which must be discord.js's copy. An import resolves the package's
 * ESM build (dist/index.mjs), discord.js's require its CommonJS one
 * (dist/index.js): two copies. Both are resolved to the file Node gives
 * discord.js, so the bundle holds the one copy both use (the sources keep two,
 * and channels/discord/sharding.ts then takes discord.js's).
 */
function discordWsAsDiscordJsRequiresIt() {
  let file: string | undefined;
  return {
    name: "switchboard-discord-ws",
    resolveId(source: string) {
      if (source !== "@discordjs/ws") return null;
      file ??= createRequire(createRequire(join(ROOT, "package.json")).resolve("discord.js")).resolve("@discordjs/ws");
      return file;
    },
  };
}

/**
 * Our modules that ask where they are (import.meta.url/dirname/filename) are
 * told where their source file is, not where the chunk is: the control
 * page's files, the install root for `service install`. Chunks are written
 * flat into the output directory, so the path is relative to it.
 */
function sourceLocations(outDir: string) {
  return {
    name: "switchboard-source-locations",
    transform(code: string, id: string) {
      if (!ours(id) || !code.includes("import.meta.")) return null;
      const rel = (p: string) => JSON.stringify(relative(outDir, p).split(sep).join("/"));
      const file = rel(id);
      const dir = rel(dirname(id));
      let changed = false;
      const out = code.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_m, what: string) => {
        changed = true;
        if (what === "url") return `new URL(${file}, import.meta.url).href`;
        return `__sbFileURLToPath(new URL(${what === "dirname" ? dir : file}, import.meta.url))`;
      });
      if (!changed) return null;
      return { code: `import { fileURLToPath as __sbFileURLToPath } from "node:url";\n${out}`, map: null };
    },
  };
}

/**
 * npm keeps a nested copy of a package when the top level holds another
 * version: discord.js and @discordjs/rest each have their own undici 6.29.1
 * (the top level has undici 7). Two copies of the same name and version are
 * the same code, so the bundle holds the first one seen: ~100 fewer modules
 * to evaluate when Discord starts. Different versions stay apart.
 */
function samePackageOnce() {
  const first = new Map<string, string>(); // name@version -> package directory
  const dirs = new Map<string, string>(); // package directory -> the one to use
  const packageDir = (file: string): string | undefined => {
    const at = file.lastIndexOf(`${sep}node_modules${sep}`);
    if (at < 0) return undefined;
    const rest = file.slice(at + 14).split(sep);
    const depth = rest[0]!.startsWith("@") ? 2 : 1;
    return file.slice(0, at + 14) + rest.slice(0, depth).join(sep);
  };
  const canonical = (dir: string): string => {
    let use = dirs.get(dir);
    if (use) return use;
    use = dir;
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name && pkg.version) {
        const key = `${pkg.name}@${pkg.version}`;
        use = first.get(key) ?? dir;
        if (!first.has(key)) first.set(key, dir);
      }
    } catch {
      // no readable package.json: keep the copy as it is
    }
    dirs.set(dir, use);
    return use;
  };
  return {
    name: "switchboard-same-package-once",
    async resolveId(this: { resolve: (s: string, i?: string, o?: { skipSelf?: boolean }) => Promise<{ id: string; external?: unknown } | null> }, source: string, importer: string | undefined) {
      if (!importer || source.startsWith("\0") || isExternal(source)) return null;
      const r = await this.resolve(source, importer, { skipSelf: true });
      if (!r || r.external) return r;
      const dir = packageDir(r.id);
      if (!dir) return r;
      const use = canonical(dir);
      return use === dir ? r : { ...r, id: use + r.id.slice(dir.length) };
    },
  };
}

export interface BuildResult {
  outDir: string;
  chunks: number;
  /** source files (ours) the bundle holds */
  sources: number;
  ms: number;
}

/** bundles src/cli/main.ts into outDir (replaced whole), with its manifest */
export async function buildBundle(outDir = join(ROOT, "dist")): Promise<BuildResult> {
  const t0 = performance.now();
  const { build } = await import("rolldown");
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const result = await build({
      input: { main: join(ROOT, "src/cli/main.ts") },
      platform: "node",
      external: isExternal,
      plugins: [grammySharesNodeFetch(), discordWsAsDiscordJsRequiresIt(), samePackageOnce(), lazyDeps(), sourceLocations(outDir), interopOnce()],
      logLevel: "silent",
      output: {
        dir: staging,
        format: "esm",
        entryFileNames: "[name].js",
        chunkFileNames: "[name]-[hash].js",
        sourcemap: false,
        // Node keeps every loaded module's source text for the life of the
        // process, and a chunk holding a single non-ASCII byte (a "→" in a
        // comment, an emoji in a string, the "ä" of a name in a licence
        // comment) is decoded into UTF-16 and held at twice its size.
        // Escaping non-ASCII in the code and dropping the comments keeps
        // every chunk ASCII: the source held at idle falls from 11.7 to about
        // 6 MB (bench/README.md). Lines and names stay as they were, so stack
        // traces still read. The licence texts of the bundled packages stay
        // in node_modules, which the bundle always runs beside (it loads the
        // packages left out of it from there).
        charset: "ascii",
        comments: false,
      },
    });
    const ids = new Set<string>();
    let chunks = 0;
    const written = result.output.flatMap((item) => (item.type === "chunk" ? [item] : []));
    // built-ins without ES module facades (builtin-imports.ts), except in chunks an import cycle holds
    const cyclic = chunksInCycles(written);
    for (const item of written) {
      chunks++;
      for (const id of item.moduleIds) if (ours(id)) ids.add(id);
      if (cyclic.has(item.fileName)) continue;
      const file = join(staging, item.fileName);
      const code = readFileSync(file, "utf8");
      const lean = takeBuiltinsWithoutFacades(code);
      if (lean !== code) writeFileSync(file, lean);
    }
    // the lockfile stands for the bundled dependencies: a changed one means other versions
    const lock = join(ROOT, "package-lock.json");
    const inputs = [...ids, ...(existsSync(lock) ? [lock] : [])].sort();
    const files = inputs.map((p) => {
      const s = statSync(p);
      return [relative(ROOT, p).split(sep).join("/"), s.size, s.mtimeMs] as const;
    });
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify({ version: MANIFEST_VERSION, entry: "main.js", builtAt: new Date().toISOString(), files })}\n`);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(dirname(outDir), { recursive: true });
    renameSync(staging, outDir);
    return { outDir, chunks, sources: ids.size, ms: Math.round(performance.now() - t0) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function rolldownInstalled(): Promise<boolean> {
  try {
    await import("rolldown");
    return true;
  } catch {
    return false;
  }
}

export async function cli(args: string[]): Promise<number> {
  const prepare = args.includes("--prepare");
  const outDir = join(ROOT, "dist");
  if (!existsSync(join(ROOT, "src/cli/main.ts"))) {
    // e.g. a Docker layer that installs dependencies before copying the sources
    console.error("switchboard build: no sources here yet (src/cli/main.ts); nothing to bundle");
    return 0;
  }
  if (prepare && !(await rolldownInstalled())) {
    console.error("switchboard build: rolldown is not installed (a production install), so no bundle is built; the command runs from the sources (or from a dist/ that still matches them)");
    return 0;
  }
  try {
    const r = await buildBundle(outDir);
    console.error(`switchboard build: ${relative(ROOT, r.outDir)}/ written (${r.sources} source files in ${r.chunks} chunks, ${r.ms} ms)`);
    return 0;
  } catch (err) {
    console.error(`switchboard build: bundling failed: ${err instanceof Error ? err.message : String(err)}`);
    if (!prepare) return 1;
    console.error("switchboard build: the command runs from the sources; `npm run build` shows the error again");
    return 0;
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  process.exitCode = await cli(process.argv.slice(2));
}
