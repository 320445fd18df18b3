// A file the agent sent is stored once, in the outbox chunk (its bytes, so a
// restart or another gateway can still send it), not also in the tool
// journal (send_file only reads; a re-run turn reads the file again). Once the
// reply is sent and the retention period has passed, the row and its bytes
// are gone; an unsent file is kept however old it is.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { journaledTools } from "../../src/agent/tool-journal.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { pruneAnswered } from "../../src/store/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { createSendFileTool } from "../../src/tools/send-file.ts";
import { PDF } from "../fakes/sample-files.ts";
import { useTempDb } from "../store/helpers.ts";

const t = useTempDb();
const DAY = 24 * 60 * 60_000;
const NOW = Date.UTC(2026, 5, 1);

const count = (s: ReturnType<typeof t.open>, sql: string) => (s.db.prepare(sql).get() as { n: number }).n;

describe("send_file and retention", () => {
  it("is not copied into the tool journal, and its sent chunk is pruned after the period while an unsent one stays", async () => {
    const s = t.open();
    const workspace = join(t.dir, "workspace");
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, "report.pdf"), PDF);
    const registry = new ToolRegistry();
    registry.register(createSendFileTool({ workspaceDir: workspace }));
    const tools = journaledTools(registry, sqliteBackend(s).journal, () => NOW - 10 * DAY);
    const ctx = { origin: { sessionKey: "k", channel: "telegram", chatId: "c", turnId: "inbox:1" }, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock(0) };
    const out = await tools.execute({ id: "c1", name: "send_file", arguments: JSON.stringify({ path: "report.pdf" }) }, ctx);
    const b64 = out.media[0]!.data!.toString("base64");
    expect(b64).toBe(PDF.toString("base64"));

    const inbound = s.delivery.acceptInbound({ channel: "telegram", chatId: "c", messageId: "m1", sessionKey: "k", senderId: "u", payload: { text: "q" }, receivedAt: NOW - 10 * DAY })!;
    const media = { kind: "file", mimeType: "application/pdf", data: b64, filename: "report.pdf" };
    const [sent] = s.delivery.enqueueReply({ channel: "telegram", chatId: "c", replyId: "r1", chunks: [{ text: "", format: "plain", media }], answers: [inbound.id], now: NOW - 10 * DAY });
    s.delivery.markSent([{ id: sent!.id, platformMessageId: "p1" }], NOW - 10 * DAY);
    s.delivery.enqueueReply({ channel: "telegram", chatId: "c", replyId: "r2", chunks: [{ text: "", format: "plain", media }], answers: [], now: NOW - 10 * DAY });
    expect(count(s, "SELECT count(*) AS n FROM tool_journal")).toBe(0);

    expect(pruneAnswered(s, 7, NOW)).toEqual({ messages: 2, toolCalls: 0 });
    const left = s.db.prepare("SELECT reply_id AS r, chunk FROM outbox").all() as { r: string; chunk: string }[];
    expect(left.map((r) => r.r)).toEqual(["r2"]); // not sent yet: kept, bytes and all
    expect(JSON.parse(left[0]!.chunk).media.data).toBe(b64);
  });
});
