// Confining a path the model gave to one folder (the workspace, a skill's
// folder). Refused: anything that resolves outside it ("..", absolute paths
// elsewhere such as /proc or /etc), and any symlink on the way, even one
// pointing inside, so a link planted by a command cannot lead out later.
// Callers open the result with O_NOFOLLOW, so a link swapped in after the
// check is refused by the kernel too.
import { lstatSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ToolError } from "../tools/types.ts";

export class PathRefused extends ToolError {
  constructor(path: string, why: string) {
    super(`the path "${path}" is refused: ${why}`);
    this.name = "PathRefused";
  }
}

/** The real path of `p` inside `root`; throws PathRefused when it would leave it. */
export function resolveInside(root: string, p: string, what = "the workspace"): string {
  if (p.includes("\0")) throw new PathRefused(p.replace(/\0/g, "\\0"), "it contains a NUL byte");
  const base = realpathSync(root);
  let target = isAbsolute(p) ? resolve(p) : resolve(base, p);
  // an absolute path written with the configured (non-real) root still counts as inside
  const given = resolve(root);
  if (isAbsolute(p) && given !== base && (target === given || target.startsWith(given + sep))) target = join(base, relative(given, target));
  const rel = relative(base, target);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new PathRefused(p, `it is outside ${what}`);
  let at = base;
  for (const part of rel.split(sep).filter(Boolean)) {
    at = join(at, part);
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) break; // the rest does not exist yet (a file about to be written)
    if (st.isSymbolicLink()) throw new PathRefused(p, "it goes through a symbolic link, which is not followed");
  }
  return target;
}

/** The path relative to root as shown to the model ("." for the root itself). */
export function shown(root: string, abs: string): string {
  return relative(realpathSync(root), abs) || ".";
}
