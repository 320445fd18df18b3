// The real daemon against the fakes, the way a person notices durability:
// a kill -9 in the middle of a turn that already sent a message or added a
// cron job, Discord DMs sent while the gateway was down, a Telegram whose
// getUpdates fails while sendMessage works, and a disk that fills up.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { runCli } from "../cli/run-cli.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { FakeDiscord } from "../fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm, type RecordedRequest, type Step } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";

let llm: FakeLlm;
let tg: FakeTelegramApi;
let dc: FakeDiscord;
let home: string;
let daemon: RunningDaemon | undefined;
const OWNER = 1001;

beforeAll(async () => {
  [llm, tg, dc] = await Promise.all([startFakeLlm(), FakeTelegramApi.start(), FakeDiscord.start()]);
});
afterAll(async () => {
  await Promise.all([llm.close(), tg.close(), dc.close()]);
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-chaos-e2e-"));
  llm.requests.length = 0;
  tg.sent.length = 0;
  dc.sent.length = 0;
  llm.setDefault((req) => ({ reply: `echo: ${lastText(req)}` }));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

function lastText(req: RecordedRequest): string {
  const last = (req.body.messages as { content: unknown }[]).at(-1)!.content;
  return typeof last === "string" ? last : JSON.stringify(last);
}
const lastRole = (req: RecordedRequest) => (req.body.messages as { role: string }[]).at(-1)!.role;

function config(channels: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels,
    ...over,
  };
}
const telegram = () => ({ telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] } });
const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

async function ready(d: RunningDaemon): Promise<void> {
  await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

/** a model that calls `tool` once, then answers after `hold` settles (the moment to kill the daemon) */
function toolThenAnswer(tool: { name: string; arguments: Record<string, unknown> }, hold: () => Promise<unknown>) {
  return (req: RecordedRequest): Step => (lastRole(req) === "tool" ? { reply: "done", holdUntil: hold() } : { toolCalls: [tool] });
}

describe("a kill -9 mid-turn does not repeat the turn's side effects", () => {
  it("a message tool call is sent once and the turn answered once", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await ready(daemon);
    let killed = false;
    const never = new Promise(() => undefined);
    llm.setDefault(toolThenAnswer({ name: "message", arguments: { text: "on my way" } }, () => (killed ? Promise.resolve() : never)));
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "tell me when you leave" });
    await waitFor(() => textsTo(OWNER).includes("on my way") || undefined, "the message tool's text");
    await waitFor(() => llm.requests.some((r) => lastRole(r) === "tool") || undefined, "the model call after the tool");
    // the chunk is recorded as sent (a kill between the platform's "ok" and that record is the send window, see README)
    await waitFor(async () => (await status(daemon!)).queues.outboundPending === 0 || undefined, "the message to be recorded as sent");
    await daemon.kill();
    killed = true;
    daemon = await startDaemon(home);
    await waitFor(() => textsTo(OWNER).includes("done") || undefined, "the answer after the restart", 15_000);
    await waitFor(async () => (await status(daemon!)).queues.outboundPending === 0 || undefined, "the outbox to drain");
    expect(textsTo(OWNER)).toEqual(["on my way", "done"]);
    // the re-run asked the model again, but the tool's effect was not repeated
    expect(llm.requests.filter((r) => lastRole(r) === "user").length).toBe(2);
  });

  it("a cron add creates one job", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await ready(daemon);
    let killed = false;
    const never = new Promise(() => undefined);
    llm.setDefault(toolThenAnswer({ name: "cron", arguments: { action: "add", message: "drink water", every_seconds: 3600 } }, () => (killed ? Promise.resolve() : never)));
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "remind me hourly" });
    await waitFor(() => llm.requests.some((r) => lastRole(r) === "tool") || undefined, "the model call after cron add");
    await daemon.kill();
    killed = true;
    daemon = await startDaemon(home);
    await waitFor(() => textsTo(OWNER).includes("done") || undefined, "the answer after the restart", 15_000);
    const s = openStore(join(home, "switchboard.db"));
    try {
      expect((await s.cron.list()).map((j) => j.payload)).toEqual([{ kind: "agent", message: "drink water" }]);
    } finally {
      s.close();
    }
  });
});

interface Status {
  channels: { id: string; state: string }[];
  queues: { outboundPending: number };
  store?: { state: string; detail?: string };
}
async function status(d: RunningDaemon): Promise<Status> {
  return (await (await fetch(`${d.url}/status`)).json()) as Status;
}

describe("channels that do not redeliver", () => {
  it("Discord DMs sent while the gateway was down are answered after start, once", async () => {
    writeConfig(home, config({ discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: [dc.alice.id] } }));
    daemon = await startDaemon(home);
    await ready(daemon);
    dc.dm("before");
    await dc.waitForSent(1, 10_000);
    await waitFor(async () => (await status(daemon!)).queues.outboundPending === 0 || undefined, "the reply to be recorded as sent");
    await daemon.kill();
    for (const t of ["while down 1", "while down 2", "while down 3"]) dc.dm(t);
    daemon = await startDaemon(home);
    const all = () => dc.sent.map((m) => m.body.content ?? "").join("\n");
    await waitFor(() => /while down 3/.test(all()) || undefined, "the missed DMs answered", 15_000);
    await waitFor(async () => (await status(daemon!)).queues.outboundPending === 0 || undefined, "the replies recorded");
    // a second start finds nothing new to answer
    await daemon.stop();
    const before = dc.sent.length;
    const reads = dc.historyRequests;
    daemon = await startDaemon(home);
    await waitFor(() => dc.historyRequests > reads || undefined, "the second catch-up");
    await ready(daemon);
    expect(dc.sent.length).toBe(before);
    // each message answered once (messages waiting together are answered in one turn)
    const replies = dc.sent.map((m) => m.body.content ?? "");
    expect(replies[0]).toBe("echo: before");
    for (const t of ["while down 1", "while down 2", "while down 3"]) expect(replies.filter((r) => r.includes(t))).toHaveLength(1);
  }, 60_000);
});

describe("outbox independent of inbound health", () => {
  it("a finished reply goes out while getUpdates keeps failing", async () => {
    writeConfig(home, config(telegram()));
    daemon = await startDaemon(home);
    await ready(daemon);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    llm.script({ reply: "here you go", holdUntil: held });
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "slow one" });
    await waitFor(() => llm.requests.length > 0 || undefined, "the model call");
    tg.failNext("getUpdates", { error_code: 502, description: "Bad Gateway" }, { times: 1000 });
    tg.dropHeldPolls(); // the poll in flight ends; every next one fails
    await waitFor(async () => (await status(daemon!)).channels.find((c) => c.id === "telegram")?.state !== "online" || undefined, "telegram to leave online");
    release();
    await waitFor(() => textsTo(OWNER)[0], "the reply");
    expect(textsTo(OWNER)).toEqual(["here you go"]);
    expect((await status(daemon!)).channels.find((c) => c.id === "telegram")?.state).not.toBe("online");
    tg.clearFailures();
  });
});

/** a real full file system: a small tmpfs (root only; CI runs as root) */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("a full disk", () => {
  const canMount = process.getuid?.() === 0;
  it.runIf(canMount)("mid-turn: no crash, /ready and status say so, answered once space returns", async () => {
    const disk = join(home, "disk");
    mkdirSync(disk);
    if (!mountTmpfs(disk, "24m")) return;
    try {
      writeConfig(disk, config(telegram()));
      daemon = await startDaemon(disk);
      await ready(daemon).catch((err: Error) => {
        throw new Error(`${err.message}\n${daemon!.log.slice(-10).join("\n")}`);
      });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      // the turn's reply cannot be stored while the disk is full, so none goes out then; the turn
      // runs again once space returns and that run's reply is the one delivered (the model
      // answers the same both times)
      const essay = `long answer ${"word ".repeat(60_000)}`;
      llm.script({ reply: essay, holdUntil: held });
      llm.setDefault({ reply: essay });
      tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "write me an essay" });
      await waitFor(() => llm.requests.length > 0 || undefined, "the model call");
      fillUp(join(disk, "filler"));
      release();
      await waitFor(async () => (await status(daemon!)).store?.state === "full" || undefined, "the store to report full", 15_000);
      const readyRes = await fetch(`${daemon.url}/ready`);
      expect(readyRes.status).toBe(503);
      expect(JSON.stringify(await readyRes.json())).toContain("full");
      expect(daemon.child.exitCode).toBeNull();
      const cli = await runCli(["status"], { SWITCHBOARD_HOME: disk, HOME: disk });
      expect(cli.stdout).toMatch(/store: FULL since .*disk holding the database is full/);
      rmSync(join(disk, "filler"));
      await waitFor(() => textsTo(OWNER).length > 0 || undefined, "the answer after space returned", 20_000);
      await waitFor(async () => (await status(daemon!)).queues.outboundPending === 0 || undefined, "all chunks");
      expect(textsTo(OWNER).join("")).toContain("long answer");
      // one reply (its first chunk starts the essay), not one from the failed commit and one from the re-run
      expect(textsTo(OWNER).filter((t) => t.startsWith("long answer"))).toHaveLength(1);
    } finally {
      await daemon?.stop();
      daemon = undefined;
      execFileSync("umount", ["-l", disk]);
    }
  });
});

/** writes until the file system says ENOSPC */
function fillUp(file: string): void {
  const block = Buffer.alloc(256 * 1024, 1);
  const fd = openSync(file, "w");
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}
