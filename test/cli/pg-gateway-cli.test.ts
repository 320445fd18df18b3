// The commands beside a real gateway running on PostgreSQL (fake Telegram,
// fake LLM): `pairing approve` on the database reaches the stranger through
// the gateway's outbox, and `status` shows the running gateway together with
// the database's queues.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APPROVED_NOTICE } from "../../src/gateway/pairing-reply.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { llm, tg, useFakes } from "../e2e/fakes-fixture.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { runCli } from "./run-cli.ts";

const STRANGER = 4004;
let home: string;
let db: TestDatabase;
let daemon: RunningDaemon | undefined;

useFakes();
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), "sb-pg-cli-"));
  db = await createTestDatabase("gateway_cli");
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
  await db.drop();
});

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

describe("the commands beside a gateway on PostgreSQL", () => {
  it("pairing approve from the terminal: the gateway tells the stranger, who can then chat; status shows it all", { timeout: 90_000 }, async () => {
    writeConfig(home, {
      model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
      agents: { defaults: { model_name: "main" } },
      channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [] } },
    });
    const env = { HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_DATABASE_URL: db.url, SWITCHBOARD_LOG_LEVEL: "error" };
    daemon = await startDaemon(home, { SWITCHBOARD_DATABASE_URL: db.url });
    await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, "/ready", 15_000);

    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "let me in" });
    const code = /pairing code is ([A-Z0-9]{8})/.exec(await waitFor(() => textsTo(STRANGER)[0], "pairing code"))![1]!;
    const list = await runCli(["pairing", "list"], env);
    expect(list.stdout).toContain(`telegram ${code}`);
    const approve = await runCli(["pairing", "approve", "telegram", code], env);
    expect(approve.stderr).toBe("");
    expect(approve.stdout).toMatch(/approved .* on telegram; they are told they can chat now/);
    expect(await waitFor(() => textsTo(STRANGER)[1], "approval notice", 15_000)).toBe(APPROVED_NOTICE);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "thanks" });
    expect(await waitFor(() => textsTo(STRANGER)[2], "an answer")).toBe('echo: "thanks"');

    const status = await runCli(["status", "--json"], env);
    expect(status.code).toBe(0);
    const r = JSON.parse(status.stdout) as { gateway: { running: boolean }; store: { kind: string }; queues: { inboundPending: number; outboundPending: number; dead: number } };
    expect(r.gateway.running).toBe(true);
    expect(r.store.kind).toBe("postgres");
    await waitFor(async () => {
      const again = JSON.parse((await runCli(["status", "--json"], env)).stdout) as typeof r;
      return again.queues.inboundPending === 0 && again.queues.outboundPending === 0 ? true : undefined;
    }, "queues drained", 15_000);
  });
});
