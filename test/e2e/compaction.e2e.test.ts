// The real daemon with a model that is slow to summarize: a long chat's
// compaction runs after its reply, so the chat's next message is answered
// while the summary is still being written; stopping the gateway meanwhile
// abandons the summary, loses no message, and the next start compacts again.
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SUMMARY_INSTRUCTION } from "../../src/agent/compaction.ts";
import type { RecordedRequest } from "../fakes/fake-llm.ts";
import { startDaemon, waitFor, writeConfig } from "./daemon.ts";
import { llm, run, tg, useFakes } from "./fakes-fixture.ts";

useFakes({ homePrefix: "sb-compact-e2e-" });
const OWNER = 5151;

const isSummary = (r: RecordedRequest) => (r.body.messages as { content?: unknown }[] | undefined)?.[0]?.content === SUMMARY_INSTRUCTION;

async function ask(text: string): Promise<string> {
  const before = tg.sent.length;
  tg.userMessage({ chatId: OWNER, fromId: OWNER, text });
  const sent = await tg.waitForSent(before + 1, 10_000);
  return sent[before]!.text ?? "";
}

/** the chat's summary and active history, read beside the running daemon (WAL: readers do not block it) */
function storedChat(): { summary: string; history: string[] } {
  const db = new DatabaseSync(join(run.home, "switchboard.db"), { readOnly: true });
  try {
    const session = db.prepare("SELECT key, summary, generation FROM sessions").get() as { key: string; summary: string; generation: number };
    const rows = db
      .prepare("SELECT json FROM messages WHERE session_key = ? AND generation = ? AND NOT compacted ORDER BY id")
      .all(session.key, session.generation) as { json: string }[];
    return { summary: session.summary, history: rows.map((r) => String((JSON.parse(r.json) as { content: unknown }).content)) };
  } finally {
    db.close();
  }
}

describe("compaction in the running gateway", () => {
  it("answers the chat's next message while the summary is written, and a stop meanwhile loses nothing", async () => {
    writeConfig(run.home, {
      model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
      agents: { defaults: { model_name: "main" } },
      channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] } },
    });
    let releaseSummary!: () => void;
    const summaryHeld = new Promise<void>((r) => (releaseSummary = r));
    llm.setDefault((req) => (isSummary(req) ? { reply: "- never stored", holdUntil: summaryHeld } : { reply: `answer ${llm.requests.length}` }));
    const daemon = (run.daemon = await startDaemon(run.home));
    // 11 turns: 22 messages, past the 20 that start a compaction
    for (let i = 1; i <= 11; i++) await ask(`question ${i}`);
    await waitFor(() => llm.requests.some(isSummary) || undefined, "the summary request");
    // the summary is still being written: the next message is answered anyway
    expect(await ask("question 12")).toMatch(/^answer /);
    // stopping abandons the summary rather than waiting for it
    expect(await daemon.stop()).toBe(0);
    run.daemon = undefined;
    releaseSummary();
    const stopped = storedChat();
    expect(stopped.summary).toBe("");
    expect(stopped.history).toHaveLength(24);
    expect(stopped.history.slice(-2)).toEqual(["question 12", expect.stringMatching(/^answer /)]);

    // started again with a model that summarizes at once: the next turn compacts, keeping the tail
    llm.setDefault((req) => (isSummary(req) ? { reply: "- twelve numbered questions" } : { reply: "fine" }));
    run.daemon = await startDaemon(run.home);
    expect(await ask("question 13")).toBe("fine");
    const compacted = await waitFor(() => {
      const now = storedChat();
      return now.summary ? now : undefined;
    }, "the stored summary");
    expect(compacted.summary).toBe("- twelve numbered questions");
    expect(compacted.history.slice(-2)).toEqual(["question 13", "fine"]);
    expect(compacted.history[0]).toMatch(/^question /);
    expect(compacted.history.length).toBeLessThan(10);
  });
});
