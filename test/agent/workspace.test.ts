import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { promptText } from "../../src/agent/prompt.ts";
import { ensureWorkspace, WORKSPACE_FILES, WORKSPACE_TEMPLATES } from "../../src/agent/workspace.ts";
import { extractHeartbeatTasks } from "../../src/scheduler/heartbeat-text.ts";
import { tempWorkspace } from "./setup.ts";

describe("ensureWorkspace", () => {
  it("writes the five files into a new folder, and nothing on the second run", () => {
    const dir = join(tempWorkspace(false), "nested", "workspace");
    expect(ensureWorkspace(dir)).toEqual(["AGENT.md", "SOUL.md", "USER.md", "MEMORY.md", "HEARTBEAT.md"]);
    expect(WORKSPACE_FILES).toHaveLength(5);
    for (const f of WORKSPACE_FILES) expect(readFileSync(join(dir, f), "utf8")).toBe(WORKSPACE_TEMPLATES[f]);
    expect(ensureWorkspace(dir)).toEqual([]);
  });

  it("never overwrites the owner's files and fills in only what is missing", () => {
    const dir = tempWorkspace(false);
    writeFileSync(join(dir, "SOUL.md"), "# Soul\nGrumpy but kind.\n");
    expect(ensureWorkspace(dir)).not.toContain("SOUL.md");
    expect(readFileSync(join(dir, "SOUL.md"), "utf8")).toBe("# Soul\nGrumpy but kind.\n");
  });

  it("the HEARTBEAT.md template has no tasks, so heartbeats cost nothing until the owner adds one", () => {
    expect(extractHeartbeatTasks(WORKSPACE_TEMPLATES["HEARTBEAT.md"])).toEqual([]);
    expect(extractHeartbeatTasks(`${WORKSPACE_TEMPLATES["HEARTBEAT.md"]}- Check the backups\n`)).toEqual(["- Check the backups"]);
  });

  it("the USER and MEMORY templates stay out of the prompt until filled in", () => {
    expect(promptText(WORKSPACE_TEMPLATES["USER.md"])).toBe("");
    expect(promptText(WORKSPACE_TEMPLATES["MEMORY.md"])).toBe("");
    expect(promptText(WORKSPACE_TEMPLATES["AGENT.md"])).toContain("personal assistant");
  });

  it("says what to do when the folder cannot be created", () => {
    const dir = tempWorkspace(false);
    writeFileSync(join(dir, "file"), "x");
    expect(() => ensureWorkspace(join(dir, "file", "ws"))).toThrow(/cannot create the workspace folder .*agents\.defaults\.workspace/);
  });
});
