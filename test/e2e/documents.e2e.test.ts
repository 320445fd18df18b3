// Files people send on Telegram reach the model as text through the real
// daemon: a PDF's pages, a CSV as written; a file that cannot be read
// reaches it as a one-line note, so the person is told rather than ignored.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makePdf } from "../fakes/pdf.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { llm, tg, useFakes } from "./fakes-fixture.ts";

const OWNER = 4242;
useFakes();
let daemon: RunningDaemon | undefined;
let home = "";
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

async function start(): Promise<void> {
  home = mkdtempSync(join(tmpdir(), "sb-docs-"));
  writeConfig(home, {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1` }],
    agents: { defaults: { model_name: "main" } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] } },
  });
  daemon = await startDaemon(home);
  await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

/** the user text of the model request that carries `marker` */
const userTextWith = (marker: string) =>
  llm.requests
    .flatMap((r) => r.body.messages as { role: string; content: unknown }[])
    .filter((m) => m.role === "user")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)))
    .find((t) => t.includes(marker));

describe("documents through the gateway", () => {
  it("hands the model a PDF's text and a CSV as written, with the caption", async () => {
    await start();
    const pdf = makePdf([["Invoice 2026-114", "Total due: 1,250 EUR"], ["Payment within 30 days."]]);
    tg.userMessage({ chatId: OWNER, fromId: OWNER, caption: "what do I owe?", document: { data: pdf, mimeType: "application/pdf", fileName: "invoice.pdf" } });
    const seen = await waitFor(() => userTextWith("invoice.pdf"), "the PDF at the model", 15_000);
    expect(seen).toContain("what do I owe?");
    expect(seen).toContain("[attached file: invoice.pdf, 2 pages]");
    expect(seen).toMatch(/Total due: 1,250 EUR/);
    expect(seen).toContain("Payment within 30 days.");
    tg.userMessage({ chatId: OWNER, fromId: OWNER, document: { data: Buffer.from("name,qty\napples,3\n"), mimeType: "text/csv", fileName: "stock.csv" } });
    const csv = await waitFor(() => userTextWith("stock.csv"), "the CSV at the model", 15_000);
    expect(csv).toContain("name,qty\napples,3");
  });

  it("tells the model a file could not be read, and why, so the person hears back", async () => {
    await start();
    tg.userMessage({ chatId: OWNER, fromId: OWNER, document: { data: Buffer.from("PK\u0003\u0004 not really a docx"), mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", fileName: "notes.docx" } });
    const seen = await waitFor(() => userTextWith("notes.docx"), "the note at the model", 15_000);
    expect(seen).toContain("[the person attached notes.docx, which could not be read: I can't read .docx files yet; send it as a PDF or as plain text.");
    await waitFor(() => tg.sent.find((m) => String(m.chat_id) === String(OWNER)), "an answer to the person", 15_000);
  });
});
