// Which code `switchboard` runs: the bundle in dist/ (built by `npm install`
// through `prepare`, or `npm run build`; scripts/build.ts) or the sources.
// The bundle is used only while it is current: dist/build.json lists every
// source file it was built from (and package-lock.json) with size and mtime,
// and one that changed, went missing or was never built means the sources
// run, so an edited checkout never runs old code.
//
// SWITCHBOARD_BUNDLE chooses:
//   unset or ""    dist/ when it is current, else the sources
//   "off" or "0"   the sources (the test suite sets this: tests run the sources)
//   a directory    that bundle, which must be current (else an error)
// built-ins without an ES module facade (see bin/switchboard.js)
const { readFileSync, statSync } = process.getBuiltinModule("node:fs");
const { join, resolve } = process.getBuiltinModule("node:path");
const { pathToFileURL } = process.getBuiltinModule("node:url");

export const MANIFEST_VERSION = 1;

/**
 * @param {string} root the install root (bin/..)
 * @param {string} dir a bundle directory
 * @returns {{ entry: string } | { stale: string }} the entry's URL, or why the bundle cannot be used
 */
export function checkBundle(root, dir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, "build.json"), "utf8"));
  } catch (err) {
    return { stale: err && err.code === "ENOENT" ? "it was not built (no build.json)" : `its build.json is unreadable (${err && err.message})` };
  }
  if (!manifest || manifest.version !== MANIFEST_VERSION || typeof manifest.entry !== "string" || !Array.isArray(manifest.files)) {
    return { stale: "its build.json is from another version of the build" };
  }
  for (const [rel, size, mtimeMs] of manifest.files) {
    let s;
    try {
      s = statSync(join(root, rel));
    } catch {
      return { stale: `${rel} is gone since the build` };
    }
    if (s.size !== size || s.mtimeMs !== mtimeMs) return { stale: `${rel} changed since the build` };
  }
  return { entry: pathToFileURL(join(dir, manifest.entry)).href };
}

/**
 * @param {string} root the install root
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ entry: string, bundle: boolean, notice?: string }} what to import, and a line for stderr when the bundle was passed over
 */
export function chooseEntry(root, env) {
  const sources = pathToFileURL(join(root, "src", "cli", "main.ts")).href;
  const wanted = (env.SWITCHBOARD_BUNDLE ?? "").trim();
  if (wanted === "off" || wanted === "0") return { entry: sources, bundle: false };
  if (wanted) {
    const dir = resolve(wanted);
    const r = checkBundle(root, dir);
    if ("stale" in r) throw new Error(`SWITCHBOARD_BUNDLE=${wanted}: cannot run that bundle: ${r.stale}. Fix: run \`npm run build\`, or unset SWITCHBOARD_BUNDLE`);
    return { entry: r.entry, bundle: true };
  }
  const r = checkBundle(root, join(root, "dist"));
  if ("entry" in r) return { entry: r.entry, bundle: true };
  // a checkout without a build says nothing; a build that fell behind the sources says so
  const built = !r.stale.startsWith("it was not built");
  return built ? { entry: sources, bundle: false, notice: `switchboard: running the sources, not dist/: ${r.stale} (\`npm run build\` brings dist/ up to date)` } : { entry: sources, bundle: false };
}
