// Skills: SKILL.md folders in the workspace and the global folder; names and
// descriptions in the prompt, the body read on demand, files beside it
// readable but nothing outside the skill's folder.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { SkillCatalog, scanSkills, skillDirs } from "../../src/skills/loader.ts";
import { createSkillTool } from "../../src/tools/skill.ts";
import { setup, tempWorkspace } from "../agent/setup.ts";

function skill(root: string, folder: string, front: string, body = "Do the thing step by step.") {
  mkdirSync(join(root, folder), { recursive: true });
  writeFileSync(join(root, folder, "SKILL.md"), `---\n${front}\n---\n\n${body}\n`);
}

// the format of Anthropic's Agent Skills (and the peers'): name + description, extra metadata allowed
const PDF_SKILL = `name: pdf-forms\ndescription: Fill in PDF forms. Use when the user sends a PDF form to complete.\nlicense: Apache-2.0\nmetadata:\n  version: "1.0"`;

describe("skills", () => {
  it("lists workspace and global skills; the workspace one wins a name clash; broken ones are reported", () => {
    const ws = tempWorkspace(false);
    const home = tempWorkspace(false);
    skill(join(ws, "skills"), "pdf", PDF_SKILL);
    skill(join(home, "skills"), "pdf-old", "name: pdf-forms\ndescription: an older copy");
    skill(join(home, "skills"), "weather", "description: Look up the weather for a city");
    skill(join(home, "skills"), "broken", "name: broken");
    const { skills, problems } = scanSkills(skillDirs(ws, home));
    expect(skills.map((s) => [s.name, s.description])).toEqual([
      ["pdf-forms", "Fill in PDF forms. Use when the user sends a PDF form to complete."],
      ["weather", "Look up the weather for a city"],
    ]);
    expect(problems.join()).toMatch(/broken\/SKILL\.md: no "description"/);
  });

  it("only names and descriptions reach the prompt; a new skill shows up on the next turn a second later", async () => {
    const workspaceDir = tempWorkspace();
    const catalog = new SkillCatalog(skillDirs(workspaceDir, tempWorkspace(false)));
    const s = setup({ workspaceDir, prompt: { timeZone: "UTC", extra: () => catalog.promptSection() } });
    s.router.push("ok", "ok");
    await s.agent.runTurn({ origin: s.origin, text: "hi" });
    expect(s.router.system(0)).not.toMatch(/Skills/);
    skill(join(workspaceDir, "skills"), "pdf", PDF_SKILL, "SECRET-BODY-INSTRUCTIONS");
    s.clock.advance(1000); // the skill folders are looked at once a second (FILE_CHECK_INTERVAL_MS), and after any tool ran
    await s.agent.runTurn({ origin: s.origin, text: "hi again" });
    expect(s.router.system(1)).toMatch(/Skills \(read one with skill_read before following it\):\n- pdf-forms: Fill in PDF forms/);
    expect(s.router.system(1)).not.toMatch(/SECRET-BODY/);
  });

  it("skill_read returns the body and the files beside it, and reads those files on demand", async () => {
    const ws = tempWorkspace(false);
    skill(join(ws, "skills"), "pdf", PDF_SKILL, "Run scripts/fill.py with the field values.");
    mkdirSync(join(ws, "skills", "pdf", "scripts"));
    writeFileSync(join(ws, "skills", "pdf", "scripts", "fill.py"), "print('filling')\n");
    const s = setup({ workspaceDir: ws });
    s.tools.register(createSkillTool(new SkillCatalog([join(ws, "skills")])));
    const ctx = { origin: s.origin, signal: new AbortController().signal, logger: silentLogger(), clock: s.clock };
    const body = await s.tools.execute({ id: "1", name: "skill_read", arguments: '{"name":"pdf-forms"}' }, ctx);
    expect(body.text).toMatch(/^Run scripts\/fill\.py with the field values\./);
    expect(body.text).toMatch(/scripts\/fill\.py/);
    expect(body.text).not.toMatch(/description:/);
    const file = await s.tools.execute({ id: "2", name: "skill_read", arguments: '{"name":"pdf-forms","file":"scripts/fill.py"}' }, ctx);
    expect(file.text).toBe("print('filling')\n");
  });

  it("skill_read refuses paths out of the skill's folder and unknown skills", async () => {
    const ws = tempWorkspace(false);
    skill(join(ws, "skills"), "pdf", PDF_SKILL);
    writeFileSync(join(ws, "secret.txt"), "top secret");
    symlinkSync(join(ws, "secret.txt"), join(ws, "skills", "pdf", "link.txt"));
    const s = setup({ workspaceDir: ws });
    s.tools.register(createSkillTool(new SkillCatalog([join(ws, "skills")])));
    const ctx = { origin: s.origin, signal: new AbortController().signal, logger: silentLogger(), clock: s.clock };
    for (const file of ["../../secret.txt", "/etc/passwd", "/proc/self/environ", "link.txt"]) {
      const r = await s.tools.execute({ id: "x", name: "skill_read", arguments: JSON.stringify({ name: "pdf-forms", file }) }, ctx);
      expect(r.error, file).toMatch(/refused|symbolic link/);
      expect(r.text).not.toMatch(/top secret|root:/);
    }
    const none = await s.tools.execute({ id: "y", name: "skill_read", arguments: '{"name":"nope"}' }, ctx);
    expect(none.error).toMatch(/no skill named "nope". Skills: pdf-forms/);
  });
});
