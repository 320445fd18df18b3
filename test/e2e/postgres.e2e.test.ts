// The real daemon on PostgreSQL (store.url / SWITCHBOARD_DATABASE_URL)
// against the fake Telegram Bot API and the fake LLM: it answers, keeps
// history, pairing and its place in Telegram's update queue across a
// restart, loses nothing to a kill -9, waits out a database connection lost
// while it runs, and refuses to start on a server it cannot reach with a
// message that names the setting and hides the password.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { approvePairing, APPROVED_NOTICE } from "../../src/gateway/pairing-reply.ts";
import { openPgStore } from "../../src/store/pg/index.ts";
import { runCli } from "../cli/run-cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { llm, tg, useFakes } from "./fakes-fixture.ts";

let home: string;
let db: TestDatabase;
let daemon: RunningDaemon | undefined;

const ANA = 3003;

useFakes();
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), "sb-pg-e2e-"));
  db = await createTestDatabase("daemon");
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
  await db.drop();
});

function config(allowFrom: string[], store?: { url: string }) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: allowFrom } },
    ...(store ? { store } : {}),
  };
}

async function ready(d: RunningDaemon): Promise<void> {
  await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

async function count(sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/**
 * A TCP relay in front of the test server: cut() drops every connection and
 * refuses new ones (the network to the database is gone), restore() lets
 * them through again.
 */
async function relay(target: string): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const to = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(Number(to.port || 5432), to.hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    cut() {
      down = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      down = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("the gateway on PostgreSQL", () => {
  it("answers, and after a restart goes on from Telegram's queue with history and pairing intact", { timeout: 90_000 }, async () => {
    writeConfig(home, config([], { url: db.url }));
    daemon = await startDaemon(home);
    await ready(daemon);
    expect(daemon.log.join("\n")).not.toContain(new URL(db.url).password || "\u0000");

    // a stranger gets a pairing code; approving it in the database (as the control page
    // or another gateway would) queues the notice, which this gateway's outbox finds
    tg.userMessage({ chatId: ANA, fromId: ANA, text: "hello?" });
    const code = /pairing code is ([A-Z0-9]{8})/.exec(await waitFor(() => textsTo(ANA)[0], "pairing code"))![1]!;
    const other = await openPgStore(db.url);
    try {
      expect(await approvePairing(other, "telegram", code, Date.now())).toMatchObject({ senderId: String(ANA) });
    } finally {
      await other.close();
    }
    expect(await waitFor(() => textsTo(ANA)[1], "approval notice")).toBe(APPROVED_NOTICE);

    tg.userMessage({ chatId: ANA, fromId: ANA, text: "my name is Ana" });
    expect(await waitFor(() => textsTo(ANA)[2], "first answer")).toBe('echo: "my name is Ana"');
    expect(await daemon.stop()).toBe(0);
    daemon = undefined;

    // written while the gateway is down: Telegram keeps it until the offset confirms it
    tg.userMessage({ chatId: ANA, fromId: ANA, text: "what is my name?" });
    daemon = await startDaemon(home);
    expect(await waitFor(() => textsTo(ANA)[3], "answer after the restart", 20_000)).toBe('echo: "what is my name?"');
    // the model saw the conversation so far, read from PostgreSQL
    const asked = llm.requests.at(-1)!.body.messages as { role: string; content: unknown }[];
    expect(asked.filter((m) => m.role !== "system").map((m) => m.content)).toEqual(["my name is Ana", 'echo: "my name is Ana"', "what is my name?"]);
    // nothing answered twice, no second pairing code: the approval was kept
    await ready(daemon);
    expect(textsTo(ANA)).toHaveLength(4);
    expect(llm.requests).toHaveLength(2);

    // it all lives in PostgreSQL, none of it in a SQLite file
    expect(existsSync(join(home, "switchboard.db"))).toBe(false);
    // the stranger's first message got a code and was never stored; the two questions were answered
    expect(await count("SELECT count(*) AS n FROM inbox WHERE state = 'done'")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM approved_senders")).toBe(1);
  });

  it("answers exactly once after being killed mid-turn and restarted", { timeout: 90_000 }, async () => {
    const env = { SWITCHBOARD_DATABASE_URL: db.url };
    writeConfig(home, config([String(ANA)]));
    daemon = await startDaemon(home, env);
    await ready(daemon);
    llm.script({ reply: "too late", delayMs: 4000 });
    tg.userMessage({ chatId: ANA, fromId: ANA, text: "survive this" });
    await waitFor(() => llm.requests.length > 0 || undefined, "the model call");
    await daemon.kill();
    daemon = await startDaemon(home, env);
    await waitFor(() => textsTo(ANA).length > 0 || undefined, "reply after restart", 20_000);
    // the outbox marks the chunk sent; only then is nothing left that could go out again
    await waitFor(async () => (await count("SELECT count(*) AS n FROM outbox WHERE state <> 'sent'")) === 0 || undefined, "the reply recorded as sent");
    expect(textsTo(ANA)).toEqual(['echo: "survive this"']);
    expect(await count("SELECT count(*) AS n FROM inbox WHERE state = 'done'")).toBe(1);
  });

  it("waits out a database connection lost while it runs, then answers what arrived meanwhile once", { timeout: 90_000 }, async () => {
    const net = await relay(db.url);
    try {
      writeConfig(home, config([String(ANA)], { url: net.url }));
      daemon = await startDaemon(home);
      await ready(daemon);
      tg.userMessage({ chatId: ANA, fromId: ANA, text: "before" });
      await waitFor(() => textsTo(ANA)[0], "the first answer");

      net.cut();
      tg.userMessage({ chatId: ANA, fromId: ANA, text: "during the outage" });
      // not stored, so not acknowledged: Telegram keeps it, and /ready says why
      const outage = await waitFor(async () => {
        const res = await fetch(`${daemon!.url}/ready`);
        const body = (await res.json()) as { store?: string };
        return res.status === 503 && body.store === "unreachable" ? body : undefined;
      }, "/ready to report the store unreachable", 20_000);
      expect(outage.store).toBe("unreachable");
      expect(daemon.child.exitCode).toBeNull(); // still running

      net.restore();
      expect(await waitFor(() => textsTo(ANA)[1], "the answer once the database is back", 30_000)).toBe('echo: "during the outage"');
      await ready(daemon);
      expect(textsTo(ANA)).toEqual(['echo: "before"', 'echo: "during the outage"']);
      expect(await count("SELECT count(*) AS n FROM inbox WHERE state = 'done'")).toBe(2);
    } finally {
      await daemon?.stop();
      daemon = undefined;
      await net.close();
    }
  });

  it("refuses to start on a server it cannot reach, naming the setting and hiding the password", async () => {
    const url = "postgres://switchboard:hunter2-secret@127.0.0.1:1/switchboard";
    writeConfig(home, config([String(ANA)], { url }));
    const res = await runCli(["gateway"], { HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_PORT: "0" });
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/store\.url/);
    expect(out).toMatch(/127\.0\.0\.1:1/);
    expect(out).toMatch(/Start PostgreSQL or correct store\.url/);
    expect(out).not.toContain("hunter2-secret");
  });
});
