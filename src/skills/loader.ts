// Skills: folders holding a SKILL.md whose front matter gives a `name` and a
// `description` (the format Anthropic's Agent Skills, OpenClaw and PicoClaw
// use); the body holds instructions, and files may sit beside it. Only names
// and descriptions go into the prompt; the model reads a body with
// skill_read when it decides to use the skill. A skill in the workspace
// hides a global one of the same name.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseYaml } from "../core/yaml.ts";

export interface Skill {
  name: string;
  description: string;
  /** the folder holding SKILL.md */
  dir: string;
}

export interface SkillScan {
  skills: Skill[];
  /** one line per folder that was skipped, saying why */
  problems: string[];
}

const MAX_DESCRIPTION = 1_024;
/** in the prompt each description is cut here: the list is paid for on every turn */
const PROMPT_DESCRIPTION = 200;

/** Splits "---\nyaml\n---\nbody" into its front matter and body. */
export function splitFrontMatter(text: string): { meta: Record<string, unknown>; body: string } {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!m) return { meta: {}, body: text };
  const meta = parseYaml(m[1]!) as unknown;
  return { meta: meta && typeof meta === "object" && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {}, body: text.slice(m[0].length) };
}

/** Every skill under the given folders; earlier folders win on a name clash. */
export function scanSkills(dirs: readonly string[]): SkillScan {
  const skills = new Map<string, Skill>();
  const problems: string[] = [];
  for (const root of dirs) {
    let names: string[];
    try {
      names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    } catch {
      continue; // no such folder: no skills there
    }
    for (const folder of names) {
      const dir = join(root, folder);
      let text: string;
      try {
        text = readFileSync(join(dir, "SKILL.md"), "utf8");
      } catch {
        continue; // a folder without SKILL.md is not a skill
      }
      let meta: Record<string, unknown>;
      try {
        meta = splitFrontMatter(text).meta;
      } catch (err) {
        problems.push(`${dir}/SKILL.md: the front matter is not valid YAML (${(err as Error).message.split("\n")[0]})`);
        continue;
      }
      const name = typeof meta.name === "string" && meta.name.trim() ? meta.name.trim() : folder;
      const description = typeof meta.description === "string" ? meta.description.replace(/\s+/g, " ").trim() : "";
      if (!description) {
        problems.push(`${dir}/SKILL.md: no "description" in the front matter; add one saying when to use the skill`);
        continue;
      }
      if (!skills.has(name)) skills.set(name, { name, description: description.slice(0, MAX_DESCRIPTION), dir });
    }
  }
  return { skills: [...skills.values()], problems };
}

/**
 * The skills of a set of folders, rescanned only when a folder or a SKILL.md
 * changed (a stat per folder and per skill per turn).
 */
export class SkillCatalog {
  readonly dirs: readonly string[];
  private signature = "";
  private scan: SkillScan = { skills: [], problems: [] };

  constructor(dirs: readonly string[]) {
    this.dirs = dirs;
  }

  current(): SkillScan {
    const sig = this.dirs
      .map((root) => {
        const st = statSync(root, { throwIfNoEntry: false });
        if (!st) return "-";
        let inner = "";
        try {
          for (const d of readdirSync(root)) {
            const s = statSync(join(root, d, "SKILL.md"), { throwIfNoEntry: false });
            if (s) inner += `${d}:${s.ino}:${s.mtimeMs}:${s.size};`;
          }
        } catch {
          // unreadable folder: treated as empty
        }
        return `${st.mtimeMs}|${inner}`;
      })
      .join("#");
    if (sig !== this.signature) {
      this.scan = scanSkills(this.dirs);
      this.signature = sig;
    }
    return this.scan;
  }

  get(name: string): Skill | undefined {
    return this.current().skills.find((s) => s.name === name);
  }

  /** The prompt's skill list; "" when there are none. */
  promptSection(): string {
    const { skills } = this.current();
    if (skills.length === 0) return "";
    const lines = skills.map((s) => `- ${s.name}: ${s.description.length > PROMPT_DESCRIPTION ? `${s.description.slice(0, PROMPT_DESCRIPTION - 1)}…` : s.description}`);
    return `Skills (read one with skill_read before following it):\n${lines.join("\n")}`;
  }
}

/** Where skills are looked for: the workspace's skills/, the global <state>/skills, then configured extras. */
export function skillDirs(workspaceDir: string, stateHome: string, extra: readonly string[] = []): string[] {
  return [...new Set([join(workspaceDir, "skills"), join(stateHome, "skills"), ...extra])];
}
