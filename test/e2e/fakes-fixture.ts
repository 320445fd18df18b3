// The fakes an end-to-end file talks to (LLM, Telegram Bot API, Discord),
// started once per file and reset before each test; the fake LLM echoes the
// last message by default. Imported bindings are live: after useFakes()'s
// beforeAll, `llm`, `tg` and `dc` are the running fakes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { FakeDiscord } from "../fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import type { RunningDaemon } from "./daemon.ts";

export let llm: FakeLlm;
export let tg: FakeTelegramApi;
export let dc: FakeDiscord;

/** with useFakes({ homePrefix }): a fresh SWITCHBOARD_HOME per test, and the daemon a test started, stopped after it */
export const run: { home: string; daemon: RunningDaemon | undefined } = { home: "", daemon: undefined };

export function useFakes(opts: { homePrefix?: string } = {}): void {
  beforeAll(async () => {
    llm = await startFakeLlm();
    tg = await FakeTelegramApi.start();
    dc = await FakeDiscord.start();
  });
  afterAll(async () => {
    await Promise.all([llm.close(), tg.close(), dc.close()]);
  });
  beforeEach(() => {
    llm.requests.length = 0;
    tg.sent.length = 0;
    dc.sent.length = 0;
    llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
    if (opts.homePrefix) run.home = mkdtempSync(join(tmpdir(), opts.homePrefix));
  });
  if (!opts.homePrefix) return;
  afterEach(async () => {
    await run.daemon?.stop();
    run.daemon = undefined;
    rmSync(run.home, { recursive: true, force: true });
  });
}
