// `switchboard skills list`: every skill the agent can see (name,
// description, folder) and the folders that were skipped, with why.
import type { Command } from "commander";
import { expandHome } from "../config/paths.ts";
import { scanSkills, skillDirs } from "../skills/loader.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

export function register(program: Command, ctx: CliContext): void {
  const skills = program.command("skills").description("list the skills the agent can use");
  skills
    .command("list")
    .description("every skill: name, description and folder")
    .action(() => {
      const { loaded, paths } = commandSetup(ctx);
      const cfg = loaded.config;
      const dirs = skillDirs(expandHome(cfg.agents.defaults.workspace ?? paths.workspace), paths.home, cfg.skills.dirs.map((d) => expandHome(d)));
      if (!cfg.skills.enabled) writeLine(ctx.io.stdout, "skills are turned off (skills.enabled is false)");
      const { skills: found, problems } = scanSkills(dirs);
      if (found.length === 0) writeLine(ctx.io.stdout, `no skills found; add a folder with a SKILL.md under ${dirs.join(" or ")}`);
      for (const s of found) writeLine(ctx.io.stdout, `${s.name.padEnd(24)} ${s.description.slice(0, 100)}\n${" ".repeat(25)}${s.dir}`);
      for (const p of problems) writeLine(ctx.io.stderr, `skipped: ${p}`);
    });
}
