// send_file: a workspace file becomes media on the turn's reply, with its
// name, its real type and its bytes; anything outside the workspace, a link,
// a missing, empty or oversized file is refused with a sentence the model
// can act on.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { detectMime, fileNotSentNote, mediaBytes } from "../../src/media/outbound-files.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { createSendFileTool } from "../../src/tools/send-file.ts";
import { MP3, OPUS, PDF, WAV } from "../fakes/sample-files.ts";

let root: string;
let workspace: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sb-sendfile-"));
  workspace = join(root, "workspace");
  mkdirSync(join(workspace, "reports"), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function registry(maxBytes?: number): ToolRegistry {
  const r = new ToolRegistry();
  r.register(createSendFileTool({ workspaceDir: workspace, ...(maxBytes !== undefined ? { maxBytes } : {}) }));
  return r;
}

const ctx = () => ({ origin: { sessionKey: "s", channel: "telegram", chatId: "1" }, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock(0) });

async function call(args: Record<string, unknown>, maxBytes?: number) {
  return registry(maxBytes).execute({ id: "c1", name: "send_file", arguments: JSON.stringify(args) }, ctx());
}

describe("send_file", () => {
  it("hands a workspace document to the reply with its name, type and bytes, and tells the model", async () => {
    writeFileSync(join(workspace, "reports/q3.pdf"), PDF);
    const r = await call({ path: "reports/q3.pdf", caption: "The Q3 report" });
    expect(r.error).toBeUndefined();
    expect(r.text).toBe(`reports/q3.pdf (${PDF.length} bytes, application/pdf) will be sent to the user with your reply.`);
    expect(r.media).toEqual([{ kind: "file", mimeType: "application/pdf", data: PDF, filename: "q3.pdf", caption: "The Q3 report" }]);
  });

  it("sends audio as audio, and as a document when asked", async () => {
    writeFileSync(join(workspace, "song.mp3"), MP3);
    writeFileSync(join(workspace, "note.opus"), OPUS);
    expect((await call({ path: "song.mp3" })).media[0]).toMatchObject({ kind: "audio", mimeType: "audio/mpeg", filename: "song.mp3" });
    expect((await call({ path: "note.opus" })).media[0]).toMatchObject({ kind: "audio", mimeType: "audio/ogg; codecs=opus" });
    expect((await call({ path: "song.mp3", as: "document" })).media[0]).toMatchObject({ kind: "file", mimeType: "audio/mpeg" });
    writeFileSync(join(workspace, "data.csv"), "a,b\n1,2\n");
    expect((await call({ path: "data.csv", as: "audio" })).error).toBe('data.csv is text/csv, not audio; send it with as: "document"');
  });

  it("refuses paths outside the workspace, links and absolute paths elsewhere", async () => {
    writeFileSync(join(root, "secret.txt"), "top secret");
    symlinkSync(join(root, "secret.txt"), join(workspace, "link.txt"));
    for (const path of ["../secret.txt", join(root, "secret.txt"), "/etc/passwd", "reports/../../secret.txt"]) {
      const r = await call({ path });
      expect(r.error, path).toMatch(/refused: it is outside the workspace/);
      expect(r.media).toEqual([]);
    }
    expect((await call({ path: "link.txt" })).error).toMatch(/refused: it goes through a symbolic link/);
  });

  it("refuses in a scheduled task, whose reply carries text only", async () => {
    writeFileSync(join(workspace, "song.mp3"), MP3);
    const cron = { ...ctx(), origin: { sessionKey: "cron:1", channel: "cron", chatId: "job-1" } };
    const r = await registry().execute({ id: "c1", name: "send_file", arguments: JSON.stringify({ path: "song.mp3" }) }, cron);
    expect(r.error).toBe("send_file works in a conversation; a scheduled task's reply carries text only. Say where the file is instead.");
  });

  it("says what is wrong with a missing, empty, folder or oversized file", async () => {
    writeFileSync(join(workspace, "empty.txt"), "");
    writeFileSync(join(workspace, "big.bin"), Buffer.alloc(2048, 1));
    expect((await call({ path: "nope.pdf" })).error).toBe("nope.pdf does not exist in the workspace; write the file first");
    expect((await call({ path: "empty.txt" })).error).toBe("empty.txt is empty; there is nothing to send");
    expect((await call({ path: "reports" })).error).toBe("reports is not a regular file");
    expect((await call({ path: "big.bin" }, 1024)).error).toBe("big.bin is 2 KB; files sent to the chat are capped at 1 KB. Compress or split it first.");
  });
});

describe("outbound file types and notes", () => {
  it("trusts the bytes over the name, the name for zip-based and text formats", () => {
    expect(detectMime(PDF, "report.txt")).toBe("application/pdf");
    expect(detectMime(WAV, "x")).toBe("audio/wav");
    expect(detectMime(Buffer.from("PK\x03\x04rest", "latin1"), "table.xlsx")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(detectMime(Buffer.from("PK\x03\x04rest", "latin1"), "bundle")).toBe("application/zip");
    expect(detectMime(Buffer.from("name,qty\n"), "stock.csv")).toBe("text/csv");
    expect(detectMime(Buffer.from("just words, grüße\n"), "README")).toBe("text/plain");
    expect(detectMime(Buffer.from([0, 1, 2, 3, 0xfe]), "blob")).toBe("application/octet-stream");
  });

  it("counts base64 bytes without decoding and names the file in the note", () => {
    const data = Buffer.alloc(1500, 9).toString("base64");
    expect(mediaBytes({ data })).toBe(1500);
    expect(mediaBytes({ data: Buffer.from("ab").toString("base64") })).toBe(2);
    expect(fileNotSentNote({ kind: "audio", mimeType: "audio/mpeg", data }, "Telegram takes files up to 50 MB.")).toBe(
      "📎 audio.mp3 (1 KB) was not sent: Telegram takes files up to 50 MB.",
    );
  });
});
