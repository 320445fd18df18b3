// Files the agent sends reach the person as files through the real daemon:
// the model calls send_file on workspace files, the reply's words and the
// files go through the durable outbox to the Telegram fake as sendDocument /
// sendAudio uploads with their names and bytes. A crash between queueing and
// sending still delivers each file exactly once after the restart, and a path
// outside the workspace is refused to the model with a clear sentence.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { MP3, PDF } from "../fakes/sample-files.ts";
import { startDaemon, waitFor, writeConfig } from "./daemon.ts";
import { dc, llm, run, tg, useFakes } from "./fakes-fixture.ts";

const OWNER = 5151;
useFakes({ homePrefix: "sb-outfiles-" });
afterEach(() => tg.clearFailures());

function prepare(): void {
  const home = run.home;
  mkdirSync(join(home, "workspace", "out"), { recursive: true });
  writeFileSync(join(home, "workspace", "out", "q3-report.pdf"), PDF);
  writeFileSync(join(home, "workspace", "song.mp3"), MP3);
  writeFileSync(join(home, "secret.txt"), "not for the chat");
  writeConfig(home, {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1` }],
    agents: { defaults: { model_name: "main" } },
    // replies sent whole: these tests count messages, and a streamed reply's first message (a tool
    // status line) would appear before the reply is queued (streaming: test/e2e/streaming.e2e.test.ts)
    channels: {
      telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)], streaming: "off" },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: [dc.alice.id], streaming: "off" },
    },
  });
}

async function start(): Promise<void> {
  const daemon = await startDaemon(run.home);
  run.daemon = daemon;
  await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

/** reply chunks the gateway has recorded as sent (a chunk the platform took but not yet recorded goes out again after a crash: the send window) */
function recordedSent(): number {
  const db = new DatabaseSync(join(run.home, "switchboard.db"), { readOnly: true });
  try {
    return Number((db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'sent'").get() as { n: number }).n);
  } finally {
    db.close();
  }
}

const sentBy = (method: string) => tg.sent.filter((m) => m.method === method && String(m.chat_id) === String(OWNER));
const file = (m: { file?: unknown }) => m.file as { filename?: string; data: Buffer };

/** the model asks for both files, then answers in words */
function scriptTwoFiles(): void {
  llm.script(
    {
      toolCalls: [
        { name: "send_file", arguments: { path: "out/q3-report.pdf", caption: "The Q3 report" } },
        { name: "send_file", arguments: { path: "song.mp3" } },
      ],
    },
    { reply: "Both files are on their way." },
  );
}

describe("files from tools through the gateway", () => {
  it("delivers a workspace document and an audio file as Telegram files, with the reply's words", async () => {
    prepare();
    await start();
    scriptTwoFiles();
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "send me the report and the song" });
    await waitFor(() => sentBy("sendAudio")[0], "the audio file", 20_000);
    const [doc] = sentBy("sendDocument");
    expect(doc).toMatchObject({ caption: "The Q3 report" });
    expect(file(doc!).filename).toBe("q3-report.pdf");
    expect(file(doc!).data.equals(PDF)).toBe(true);
    const [audio] = sentBy("sendAudio");
    expect(file(audio!).filename).toBe("song.mp3");
    expect(file(audio!).data.equals(MP3)).toBe(true);
    expect(sentBy("sendMessage").map((m) => m.text)).toEqual(["Both files are on their way."]);
    // the model was told what went out
    const toolTexts = llm.requests.flatMap((r) => r.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === "tool").map((m) => String(m.content));
    expect(toolTexts).toContain(`out/q3-report.pdf (${PDF.length} bytes, application/pdf) will be sent to the user with your reply.`);
  });

  it("delivers the same files on Discord as attachments with their names, types and bytes", async () => {
    prepare();
    await start();
    scriptTwoFiles();
    dc.dm("send me the report and the song");
    const sent = await dc.waitForSent(3, 15_000);
    const files = sent.flatMap((m) => m.files);
    expect(files.map((f) => [f.name, f.contentType])).toEqual([
      ["q3-report.pdf", "application/pdf"],
      ["song.mp3", "audio/mpeg"],
    ]);
    expect(files[0]!.data.equals(PDF)).toBe(true);
    expect(files[1]!.data.equals(MP3)).toBe(true);
    expect(sent.map((m) => m.body.content)).toEqual(["Both files are on their way.", "The Q3 report", ""]);
  });

  it("a crash after the reply is queued still delivers each file exactly once after the restart", async () => {
    prepare();
    await start();
    // Telegram fails every document upload for now: the reply stays in the outbox
    tg.failNext("sendDocument", { error_code: 502, description: "Bad Gateway" }, { times: 1000 });
    scriptTwoFiles();
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "send me the report and the song" });
    await waitFor(() => tg.calls.find((c) => c.method.toLowerCase() === "senddocument"), "a document upload attempt", 20_000);
    await waitFor(() => sentBy("sendMessage")[0], "the reply's words", 20_000);
    // killed once the words are recorded as sent, so only the files are left to deliver
    await waitFor(() => recordedSent() === 1 || undefined, "the words recorded as sent", 20_000);
    await run.daemon!.kill();
    run.daemon = undefined;
    expect(sentBy("sendDocument")).toEqual([]);
    expect(sentBy("sendAudio")).toEqual([]);

    tg.clearFailures();
    await start();
    await waitFor(() => sentBy("sendAudio")[0], "the audio file after the restart", 30_000);
    expect(sentBy("sendDocument")).toHaveLength(1);
    expect(file(sentBy("sendDocument")[0]!).data.equals(PDF)).toBe(true);
    expect(sentBy("sendAudio")).toHaveLength(1);
    expect(sentBy("sendMessage")).toHaveLength(1);
    // the turn was not run again: one model turn (tool step + answer) only
    expect(llm.requests).toHaveLength(2);
  });

  it("refuses a path outside the workspace and the model reads why", async () => {
    prepare();
    await start();
    llm.script({ toolCalls: [{ name: "send_file", arguments: { path: "../secret.txt" } }] }, { reply: "I cannot send that file." });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "send me ../secret.txt" });
    await waitFor(() => sentBy("sendMessage")[0], "the answer", 20_000);
    const toolTexts = llm.requests.flatMap((r) => r.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === "tool").map((m) => String(m.content));
    expect(toolTexts.some((t) => t.includes('the path "../secret.txt" is refused: it is outside the workspace'))).toBe(true);
    expect(sentBy("sendDocument")).toEqual([]);
    expect(sentBy("sendMessage").map((m) => m.text)).toEqual(["I cannot send that file."]);
  });
});
