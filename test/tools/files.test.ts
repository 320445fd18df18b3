// The file tools: plain work inside the workspace, and every way out
// refused: "..", absolute paths elsewhere, /proc, symlinks (to files and to
// folders, for reads and writes).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { filesSchema } from "../../src/sandbox/schema.ts";
import { createFileTools } from "../../src/tools/files.ts";
import { setup } from "../agent/setup.ts";

function withFiles() {
  const s = setup();
  const [read, write, list, edit] = createFileTools(filesSchema.parse({ enabled: true, max_write_bytes: 1000 }), s.workspaceDir);
  s.tools.register(read).register(write).register(list).register(edit);
  const call = (name: string, args: Record<string, unknown>) =>
    s.tools.execute({ id: "1", name, arguments: JSON.stringify(args) }, { origin: s.origin, signal: new AbortController().signal, logger: silentLogger(), clock: s.clock });
  return { ...s, call };
}

describe("file tools", () => {
  it("write, read, list and edit inside the workspace", async () => {
    const s = withFiles();
    expect((await s.call("file_write", { path: "notes/todo.md", content: "- milk\n- bread\n" })).text).toBe("wrote notes/todo.md (15 bytes)");
    expect((await s.call("file_read", { path: "notes/todo.md" })).text).toBe("- milk\n- bread\n");
    expect((await s.call("file_read", { path: "notes/todo.md", offset: 2, limit: 1 })).text).toBe("- bread");
    expect((await s.call("file_list", { path: "notes" })).text).toBe("todo.md");
    expect((await s.call("file_list", {})).text).toMatch(/^AGENT\.md\n.*notes\//s);
    expect((await s.call("file_edit", { path: "notes/todo.md", old_text: "milk", new_text: "oat milk" })).text).toBe("edited notes/todo.md");
    expect(readFileSync(join(s.workspaceDir, "notes/todo.md"), "utf8")).toBe("- oat milk\n- bread\n");
    expect((await s.call("file_edit", { path: "notes/todo.md", old_text: "- ", new_text: "* " })).error).toMatch(/occurs 2 times/);
    expect((await s.call("file_write", { path: "big.txt", content: "x".repeat(1001) })).error).toMatch(/capped at 1000/);
  });

  it("refuses .., absolute paths outside and /proc", async () => {
    const s = withFiles();
    writeFileSync(join(dirname(s.workspaceDir), "outside.txt"), "outside");
    for (const [tool, args] of [
      ["file_read", { path: "../outside.txt" }],
      ["file_read", { path: "notes/../../outside.txt" }],
      ["file_read", { path: "/etc/passwd" }],
      ["file_read", { path: "/proc/self/environ" }],
      ["file_list", { path: "/proc" }],
      ["file_write", { path: "../planted.txt", content: "x" }],
      ["file_edit", { path: "/etc/hostname", old_text: "a", new_text: "b" }],
    ] as const) {
      const r = await s.call(tool, args);
      expect(r.error, `${tool} ${JSON.stringify(args)}`).toMatch(/refused: it is outside the workspace/);
    }
  });

  it("refuses symlinks, to files and folders, for reads and writes", async () => {
    const s = withFiles();
    const outside = join(dirname(s.workspaceDir), `out-${process.pid}`);
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, "secret.txt"), "secret");
    symlinkSync(join(outside, "secret.txt"), join(s.workspaceDir, "link.txt"));
    symlinkSync(outside, join(s.workspaceDir, "linkdir"));
    symlinkSync("/proc/self", join(s.workspaceDir, "me"));
    for (const [tool, args] of [
      ["file_read", { path: "link.txt" }],
      ["file_read", { path: "linkdir/secret.txt" }],
      ["file_read", { path: "me/environ" }],
      ["file_write", { path: "link.txt", content: "overwritten" }],
      ["file_write", { path: "linkdir/new.txt", content: "planted" }],
      ["file_list", { path: "linkdir" }],
    ] as const) {
      const r = await s.call(tool, args);
      expect(r.error, `${tool} ${JSON.stringify(args)}`).toMatch(/symbolic link/);
    }
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("secret");
  });
});
