// Part of `npm run build` (scripts/build.ts): the bundle's chunks take Node's
// built-in modules with process.getBuiltinModule() instead of import
// statements.
//
// An `import { readFileSync } from "node:fs"` makes Node build an ES module
// facade of the built-in, which reads every one of its exports once. Some
// exports are lazy getters that load more: node:http's WebSocket, MessageEvent
// and CloseEvent load Node's internal undici (~30 ms of CPU in a gateway start,
// the first time anything touches them). process.getBuiltinModule() returns
// the same object a require() would, with no facade, and a destructuring reads
// only the names the chunk uses.
//
// A rewritten import is a `const` at the top of the chunk, where the import
// stood. Unlike an import it is not initialized before the chunk runs, which
// only matters when another chunk can call into this one before it ran: in a
// cycle of static imports between chunks. Chunks in such a cycle keep their
// import statements. Namespace imports (`import * as fs`) keep theirs too
// (a namespace object differs from the module's exports by its `default`).
import { isBuiltin } from "node:module";

export interface ChunkImports {
  fileName: string;
  /** the chunks this one imports statically (file names) */
  imports: string[];
}

/** the chunks that sit in a cycle of static imports (Tarjan's strongly connected components) */
export function chunksInCycles(chunks: ChunkImports[]): Set<string> {
  const edges = new Map(chunks.map((c) => [c.fileName, c.imports.filter((i) => i !== c.fileName)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out = new Set<string>();
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue; // an external
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) for (const c of component) out.add(c);
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

const IMPORT = /^import (.+?) from "([^"]+)";$/gm;
const BARE = /^import "([^"]+)";\n/gm;
const NAMED = /^\{(.*)\}$/;

/** `{ a, b as c }` → `{ a, b: c }` */
function destructuring(named: string): string {
  const parts = named
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [name, alias] = p.split(/\s+as\s+/);
      return alias ? `${name}: ${alias}` : name!;
    });
  return `{ ${parts.join(", ")} }`;
}

/**
 * The chunk's code with its import statements of built-ins rewritten; a
 * statement of any other form is left as it is.
 */
export function takeBuiltinsWithoutFacades(code: string): string {
  return code
    .replace(BARE, (line, spec: string) => (isBuiltin(spec) ? "" : line))
    .replace(IMPORT, (line, clause: string, spec: string) => {
      if (!isBuiltin(spec)) return line;
      // through globalThis: a chunk may bind `process` itself (an import of node:process)
      const get = `globalThis.process.getBuiltinModule(${JSON.stringify(spec)})`;
      const named = NAMED.exec(clause);
      if (named) return `const ${destructuring(named[1]!)} = ${get};`;
      if (/^[\w$]+$/.test(clause)) return `const ${clause} = ${get};`;
      const both = /^([\w$]+),\s*(\{.*\})$/.exec(clause);
      if (both) return `const ${both[1]} = ${get}, ${destructuring(NAMED.exec(both[2]!)![1]!)} = ${both[1]};`;
      return line; // a namespace import, or a form this does not know
    });
}
