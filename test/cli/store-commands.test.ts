// The commands that read and write the store act on the one store.url (or
// SWITCHBOARD_DATABASE_URL) names, on SQLite and on a real PostgreSQL server
// alike: what the real command does is read back through the store a
// gateway would open there.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { APPROVED_NOTICE } from "../../src/gateway/pairing-reply.ts";
import type { StoreBackend } from "../../src/store/backend.ts";
import { storeLocation } from "../../src/store/location.ts";
import { openBackend } from "../../src/store/open.ts";
import { writeConfig } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { runCli } from "./run-cli.ts";

const DAY = 24 * 3600_000;
let home: string;
let pgDb: TestDatabase;
let llm: FakeLlm;
beforeAll(async () => {
  pgDb = await createTestDatabase("cli_store");
  llm = await startFakeLlm();
  llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
});
afterAll(async () => {
  await Promise.all([pgDb.drop(), llm.close()]);
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-cli-store-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** a model the `agent` command can talk to: the fake LLM echoes what it is told */
const model = () => ({ model_list: [{ model_name: "main", model: "openai/echo", api_base: `${llm.url}/v1`, api_key: "sk-cli-store-123456" }], agents: { defaults: { model_name: "main" } } });

interface Backend {
  name: string;
  /** the environment the command runs with (the store's URL travels in config or environment) */
  env(): NodeJS.ProcessEnv;
  open(): Promise<StoreBackend>;
}

const sqlite: Backend = {
  name: "sqlite",
  env: () => {
    writeConfig(home, model());
    return { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error" };
  },
  open: () => openBackend(storeLocation(undefined, {}, home, join(home, "switchboard.db"))),
};
const postgres: Backend = {
  name: "postgres",
  // config: store.url here; the environment variable is tested with the errors
  env: () => {
    writeConfig(home, { ...model(), store: { url: pgDb.url } });
    return { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error" };
  },
  open: () => openBackend(storeLocation(pgDb.url, {}, home, join(home, "switchboard.db"))),
};

/** Runs `fn` on the backend's store, closing it after. */
async function withStore<T>(b: Backend, fn: (s: StoreBackend) => Promise<T>): Promise<T> {
  const s = await b.open();
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe.each([sqlite, postgres])("on $name", (b) => {
  it("pairing list shows a stranger's request; approve stores the approval and queues the notice; revoke removes it", async () => {
    const env = b.env();
    const channel = `tg${b.name}`;
    const req = await withStore(b, (s) => s.pairing.requestCode({ channel, senderId: "friend-7", chatId: "chat-7", label: "@friend" }, Date.now(), 3_600_000));
    const list = await runCli(["pairing", "list", channel], env);
    expect(list.stderr).toBe("");
    expect(list.stdout).toContain(`${channel} ${req.code}  @friend (id friend-7)`);

    const approve = await runCli(["pairing", "approve", channel, req.code.toLowerCase()], env);
    expect(approve.stderr).toBe("");
    expect(approve.code).toBe(0);
    expect(approve.stdout).toMatch(new RegExp(`approved @friend on ${channel}; they are told they can chat now`));
    await withStore(b, async (s) => {
      expect((await s.pairing.listApproved(channel)).map((a) => a.senderId)).toEqual(["friend-7"]);
      expect(await s.pairing.listRequests(Date.now(), channel)).toEqual([]);
      // the notice waits in the outbox for the gateway that runs the channel
      const queued = (await s.delivery.pendingOutbound(Date.now() + 1000)).filter((o) => o.channel === channel);
      expect(queued.map((o) => [o.chatId, o.replyId, JSON.stringify(o.chunk)])).toEqual([["chat-7", `pairing-approved-${channel}-${req.code}`, expect.stringContaining(APPROVED_NOTICE)]]);
    });
    const twice = await runCli(["pairing", "approve", channel, req.code], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/no open pairing request .* on tg/);

    const revoke = await runCli(["pairing", "revoke", channel, "friend-7"], env);
    expect(revoke.code).toBe(0);
    await withStore(b, async (s) => expect(await s.pairing.listApproved(channel)).toEqual([]));
  });

  it("pairing deny turns a request down: the code no longer works", async () => {
    const env = b.env();
    const channel = `dn${b.name}`;
    const req = await withStore(b, (s) => s.pairing.requestCode({ channel, senderId: "stranger", chatId: "c1" }, Date.now(), 3_600_000));
    const deny = await runCli(["pairing", "deny", channel, req.code], env);
    expect(deny.stderr).toBe("");
    expect(deny.stdout).toBe(`denied ${req.code} on ${channel}\n`);
    await withStore(b, async (s) => expect(await s.pairing.listRequests(Date.now(), channel)).toEqual([]));
    const approve = await runCli(["pairing", "approve", channel, req.code], env);
    expect(approve.code).toBe(1);
    expect((await runCli(["pairing", "deny", channel, req.code], env)).stderr).toMatch(/no open pairing request/);
  });

  it("agent keeps the terminal session's history in the store", async () => {
    const env = b.env();
    const session = `cli:${b.name}`;
    const first = await runCli(["agent", "-m", "my name is Ana", "--session", session], env);
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe('echo: "my name is Ana"\n');
    expect((await runCli(["agent", "-m", "what is my name?", "--session", session], env)).code).toBe(0);
    // the second turn was sent the first one, read back from the store
    const asked = llm.requests.at(-1)!.body.messages as { role: string; content: unknown }[];
    expect(asked.filter((m) => m.role !== "system").map((m) => m.content)).toEqual(["my name is Ana", 'echo: "my name is Ana"', "what is my name?"]);
    const history = await withStore(b, (s) => s.sessions.history(session));
    expect(history.map((m) => m.message.content)).toEqual(["my name is Ana", 'echo: "my name is Ana"', "what is my name?", 'echo: "what is my name?"']);
  });

  it("cron add, list, disable and remove work on the store's jobs", async () => {
    const env = b.env();
    const name = `news-${b.name}`;
    const add = await runCli(["cron", "add", "--every", "3600", "-m", "the news", "--name", name, "--to", "telegram:42"], env);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const id = (await withStore(b, (s) => s.cron.list())).find((j) => j.name === name)?.id;
    expect(id).toBeDefined();
    const list = await runCli(["cron", "list", "--json"], env);
    const jobs = JSON.parse(list.stdout) as { id: string; name: string; enabled: boolean; origin: { channel: string; chatId: string } }[];
    expect(jobs.find((j) => j.id === id)).toMatchObject({ name, enabled: true, origin: { channel: "telegram", chatId: "42" } });
    expect((await runCli(["cron", "disable", id!], env)).stdout).toMatch(`disabled ${id}`);
    expect((await withStore(b, (s) => s.cron.get(id!)))?.enabled).toBe(false);
    expect((await runCli(["cron", "remove", id!], env)).code).toBe(0);
    expect(await withStore(b, (s) => s.cron.get(id!))).toBeUndefined();
    const bad = await runCli(["cron", "add", "--every", "soon", "-m", "x"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--every needs a positive number of seconds, not "soon"/);
  });

  it("store vacuum deletes what was answered before the retention period and keeps the rest", async () => {
    const env = b.env();
    const chat = `vac-${b.name}`;
    const old = Date.now() - 30 * DAY;
    await withStore(b, async (s) => {
      const a = await s.delivery.acceptInbound({ channel: "telegram", chatId: chat, messageId: "old", sessionKey: `s:${chat}`, senderId: "u", payload: {}, receivedAt: old });
      const [chunk] = await s.delivery.enqueueReply({ channel: "telegram", chatId: chat, replyId: `r-old-${chat}`, chunks: ["answer"], answers: [a!.id], now: old });
      await s.delivery.markSent([{ id: chunk!.id, platformMessageId: "p1" }], old);
      await s.delivery.acceptInbound({ channel: "telegram", chatId: chat, messageId: "new", sessionKey: `s:${chat}`, senderId: "u", payload: {}, receivedAt: Date.now() });
    });
    const run = await runCli(["store", "vacuum", "--days", "7", "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as { store: string; messages: number; ran: string };
    expect(r).toMatchObject({ store: b.name, messages: 2, ran: b.name === "postgres" ? "VACUUM ANALYZE" : "VACUUM" });
    await withStore(b, async (s) => expect((await s.delivery.pendingInbound(`s:${chat}`)).map((m) => m.messageId)).toEqual(["new"]));
    const text = await runCli(["store", "vacuum"], env);
    expect(text.stdout).toMatch(/deleted 0 answered message row\(s\)/);
    expect(text.stdout).toMatch(b.name === "postgres" ? /ran VACUUM ANALYZE on the store's tables in postgres:\/\/.*VACUUM FULL yourself/s : /switchboard\.db: [\d.]+ MB → [\d.]+ MB/);
  });
});
