// skill_read: the body of a skill's SKILL.md (its instructions) and the
// files beside it, or one of those files. Reads stay inside the skill's
// folder (no "..", no symlinks) and are capped.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "zod";
import { resolveInside } from "../sandbox/paths.ts";
import { splitFrontMatter, type SkillCatalog } from "../skills/loader.ts";
import { ToolError, type Tool } from "./types.ts";

export const SKILL_FILE_MAX_BYTES = 64 * 1024;
const LIST_MAX = 50;

const schema = z.object({
  name: z.string().min(1).describe("skill name from the list"),
  file: z.string().optional().describe("a file beside SKILL.md; omit for the instructions"),
});

export function createSkillTool(catalog: SkillCatalog): Tool<typeof schema> {
  return {
    name: "skill_read",
    description: "Read a skill's instructions (or a file of it)",
    schema,
    async run(args) {
      const skill = catalog.get(args.name);
      if (!skill) {
        const names = catalog.current().skills.map((s) => s.name);
        throw new ToolError(`there is no skill named "${args.name}". Skills: ${names.length ? names.join(", ") : "none"}.`);
      }
      if (args.file) return readCapped(resolveInside(skill.dir, args.file, `the skill's folder`), args.file);
      const body = splitFrontMatter(readCapped(join(skill.dir, "SKILL.md"), "SKILL.md")).body.trim();
      const files = listFiles(skill.dir).filter((f) => f !== "SKILL.md");
      return files.length ? `${body}\n\n[files of this skill, read with skill_read file=…: ${files.join(", ")}]` : body;
    },
  };
}

/** Reads at most SKILL_FILE_MAX_BYTES of a regular file, never through a symlink. */
export function readCapped(path: string, shown: string, max = SKILL_FILE_MAX_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ToolError(code === "ENOENT" ? `${shown} does not exist` : code === "ELOOP" ? `${shown} is a symbolic link, which is not followed` : `cannot read ${shown} (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ToolError(`${shown} is not a regular file`);
    const buf = Buffer.alloc(Math.min(st.size, max));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8");
    return st.size > max ? `${text}\n[${shown} continues: ${st.size - max} more bytes were not read]` : text;
  } finally {
    closeSync(fd);
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string): void => {
    for (const d of readdirSync(at, { withFileTypes: true })) {
      if (out.length >= LIST_MAX) return;
      if (d.name.startsWith(".")) continue;
      const p = join(at, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}
