// The control page's files, served from the package itself: the page, its
// script and style (src/ui/public), and Preact + htm from node_modules. No
// build step and no CDN: the browser loads ES modules as they are. Preact's
// hooks module imports "preact" by bare name; it is served with that import
// pointed at the file next to it, so the page needs no import map (which a
// strict Content-Security-Policy would block as an inline script).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const PUBLIC = join(import.meta.dirname, "public");

interface Asset {
  type: string;
  body: string;
}

const FILES: Record<string, () => Asset> = {
  "app.js": () => js(readFileSync(join(PUBLIC, "app.js"), "utf8")),
  "views.js": () => js(readFileSync(join(PUBLIC, "views.js"), "utf8")),
  "style.css": () => ({ type: "text/css; charset=utf-8", body: readFileSync(join(PUBLIC, "style.css"), "utf8") }),
  "vendor/preact.mjs": () => js(readFileSync(join(dirname(require.resolve("preact")), "preact.mjs"), "utf8")),
  "vendor/hooks.mjs": () => js(readFileSync(join(dirname(require.resolve("preact/hooks")), "hooks.mjs"), "utf8").replace(/from\s*"preact"/g, 'from"./preact.mjs"')),
  // htm's main entry is its UMD build; the ES module sits beside it
  "vendor/htm.mjs": () => js(readFileSync(join(dirname(require.resolve("htm")), "htm.module.js"), "utf8")),
};

function js(body: string): Asset {
  return { type: "text/javascript; charset=utf-8", body };
}

const cache = new Map<string, Asset>();

/** a file of the page by its path under /ui/assets/, or undefined */
export function assetResponse(path: string): Asset | undefined {
  const load = FILES[path];
  if (!load) return undefined;
  let asset = cache.get(path);
  if (!asset) cache.set(path, (asset = load()));
  return asset;
}

export function pageHtml(): string {
  return readFileSync(join(PUBLIC, "index.html"), "utf8");
}
