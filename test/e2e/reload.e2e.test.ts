// Config reload through the real daemon: every class of setting changes
// while it runs, edits saved the way editors save them keep being seen, and
// a bad, empty or missing file is refused while the running config answers.
import { readFileSync, truncateSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { dc, llm, run, tg, useFakes } from "./fakes-fixture.ts";
import { afterReload, APPLIED, messages, REFUSED, renameSave, restartedChannels, statusOf } from "./reload-helpers.ts";

const OWNER = 1001;
const FRIEND = 2002;

useFakes({ homePrefix: "sb-reload-" });

type Cfg = ReturnType<typeof config>;
function config(allow: number[] = [OWNER, FRIEND]) {
  return {
    model_list: [
      { model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" },
      { model_name: "backup", model: "openai/backup-model", api_base: `${llm.url}/v1`, api_key: "sk-backup-1234567890" },
      { model_name: "third", model: "openai/third-model", api_base: `${llm.url}/v1`, api_key: "sk-third-1234567890" },
    ],
    agents: { defaults: { model_name: "main", fallbacks: ["backup"] } },
    channels: {
      telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: allow.map(String) } as Record<string, unknown>,
    } as Record<string, Record<string, unknown>>,
    tools: {} as Record<string, unknown>,
    gateway: {} as Record<string, unknown>,
  };
}

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

async function ready(d: RunningDaemon): Promise<void> {
  await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
}

/** the owner asks, and the answer arrives: the gateway serves */
async function ownerAnswered(text: string): Promise<void> {
  const before = textsTo(OWNER).length;
  tg.userMessage({ chatId: OWNER, fromId: OWNER, text });
  await waitFor(() => textsTo(OWNER).length > before || undefined, `answer to "${text}"`);
  expect(textsTo(OWNER).at(-1)).toBe(`echo: ${JSON.stringify(text)}`);
}

describe("config reload, end to end", () => {
  it("applies allow_from, the primary, a fallback, a tool setting and the token live, across rename-saves", async () => {
    const cfg = config();
    writeConfig(run.home, cfg);
    const daemon = (run.daemon = await startDaemon(run.home));
    await ready(daemon);
    tg.userMessage({ chatId: FRIEND, fromId: FRIEND, text: "hi" });
    await waitFor(() => textsTo(FRIEND)[0], "friend answered");

    // rename-save 1: the friend is removed, backup becomes the primary
    const next: Cfg = config([OWNER]);
    next.agents.defaults.model_name = "backup";
    await afterReload(daemon, APPLIED, () => renameSave(run.home, next));
    tg.userMessage({ chatId: FRIEND, fromId: FRIEND, text: "still me" });
    await ownerAnswered("who answers now");
    expect(textsTo(FRIEND)).toHaveLength(1); // refused: nothing reached the model or the chat
    expect(llm.requests.map((r) => r.body.model)).toEqual(["main-model", "backup-model"]);

    // rename-save 2 (the file's inode changed again): a new fallback, web search on, a token
    const third: Cfg = config([OWNER]);
    third.agents.defaults.fallbacks = ["third"];
    third.tools = { web: { searxng: { enabled: true, base_url: "http://127.0.0.1:9" } } };
    third.gateway = { token: "token-after-reload" };
    await afterReload(daemon, APPLIED, () => renameSave(run.home, third));
    llm.requests.length = 0;
    llm.script({ status: 429 });
    await ownerAnswered("primary is busy");
    expect(llm.requests.map((r) => r.body.model)).toEqual(["main-model", "third-model"]);
    const tools = (llm.requests[1]!.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
    expect(tools).toContain("web_search");
    expect((await fetch(`${daemon.url}/status`)).status).toBe(401);
    const status = await statusOf(daemon, "token-after-reload");
    expect(status.lastReload).toMatchObject({ result: "applied" });
    expect(status.lastReload!.changed).toEqual(expect.arrayContaining(["agents.defaults.fallbacks", "gateway.token", "tools.web.searxng"]));
    expect(restartedChannels(daemon)).toEqual([]); // only access rules changed on the channel: no reconnect
  });

  it("lets a running turn finish on the models it started with while new turns use the new ones", async () => {
    writeConfig(run.home, config());
    const daemon = (run.daemon = await startDaemon(run.home));
    await ready(daemon);
    llm.script({ reply: "slow answer", delayMs: 8000 }); // long enough to outlast a reload on a busy machine
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "take your time" });
    await waitFor(() => llm.requests[0], "the slow model call");
    const next: Cfg = config();
    next.agents.defaults.model_name = "backup";
    next.agents.defaults.fallbacks = [];
    await afterReload(daemon, APPLIED, () => renameSave(run.home, next));
    tg.userMessage({ chatId: FRIEND, fromId: FRIEND, text: "quick one" });
    await waitFor(() => textsTo(FRIEND)[0], "the friend's answer");
    expect(textsTo(OWNER)).toEqual([]); // the slow turn is still running
    await waitFor(() => textsTo(OWNER)[0], "the slow answer", 15_000);
    expect(textsTo(OWNER)).toEqual(["slow answer"]);
    expect(llm.requests.map((r) => r.body.model)).toEqual(["main-model", "backup-model"]);
  });

  it("refuses an empty file, an adapter-invalid value and a deleted file, keeps answering, and takes the file back once re-created", async () => {
    writeConfig(run.home, config([OWNER]));
    const daemon = (run.daemon = await startDaemon(run.home));
    await ready(daemon);
    const file = join(run.home, "config.json");

    await afterReload(daemon, REFUSED, () => truncateSync(file, 0));
    expect((await statusOf(daemon)).lastReload).toMatchObject({ result: "refused", reason: expect.stringMatching(/is empty/) });
    await ownerAnswered("after truncation");

    const bad: Cfg = config([OWNER, FRIEND]);
    bad.channels.whatsapp = { enabled: true, bridge_url: "http://localhost:3001" };
    await afterReload(daemon, REFUSED, () => renameSave(run.home, bad));
    const refused = (await statusOf(daemon)).lastReload!;
    expect(refused.reason).toMatch(/channels\.whatsapp\.bridge_url/);
    await ownerAnswered("after a bad bridge_url");
    tg.userMessage({ chatId: FRIEND, fromId: FRIEND, text: "not yet" }); // the refused config would have let them in
    await ownerAnswered("friend still out");
    expect(textsTo(FRIEND)).toEqual([]);

    await afterReload(daemon, REFUSED, () => unlinkSync(file));
    expect((await statusOf(daemon)).lastReload!.reason).toMatch(/does not exist/);
    await ownerAnswered("after deletion");
    expect((await statusOf(daemon)).channels.map((c) => [c.id, c.state])).toEqual([["telegram", "online"]]);

    await afterReload(daemon, APPLIED, () => writeConfig(run.home, config([OWNER, FRIEND])));
    tg.userMessage({ chatId: FRIEND, fromId: FRIEND, text: "now?" });
    await waitFor(() => textsTo(FRIEND)[0], "friend answered after re-creation");
    expect(daemon.child.exitCode).toBeNull();
  });

  it("restarts only the changed channel, starts a newly enabled one, and the Telegram webhook keeps answering", async () => {
    const cfg = config([OWNER]);
    cfg.channels.telegram = { ...cfg.channels.telegram, mode: "webhook", webhook_url: "https://bot.example.com/webhook/telegram", webhook_secret: "secret-one" };
    writeConfig(run.home, cfg);
    const daemon = (run.daemon = await startDaemon(run.home));
    await ready(daemon);
    let id = 0;
    const post = (secret: string, text: string) =>
      fetch(`${daemon.url}/webhook/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify({ update_id: ++id, message: { message_id: id, date: 1, chat: { id: OWNER, type: "private" }, from: { id: OWNER, is_bot: false, first_name: "O" }, text } }),
      });
    expect((await post("secret-one", "before")).status).toBe(200);
    await waitFor(() => textsTo(OWNER)[0], "webhook reply before the reload");

    const next: Cfg = structuredClone(cfg);
    next.channels.telegram!.webhook_secret = "secret-two";
    next.channels.discord = { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: [dc.alice.id] };
    await afterReload(daemon, APPLIED, () => renameSave(run.home, next));
    expect(restartedChannels(daemon)).toEqual(["telegram"]);
    await ready(daemon);
    expect((await post("secret-one", "old secret")).status).toBe(401);
    expect((await post("secret-two", "after")).status).toBe(200);
    await waitFor(() => textsTo(OWNER)[1], "webhook reply after the channel restarted");
    expect(textsTo(OWNER)).toEqual(['echo: "before"', 'echo: "after"']);
    dc.dm("hello from discord");
    const sent = await dc.waitForSent(1, 10_000);
    expect(sent[0]!.body.content).toBe('echo: "hello from discord"');
  });

  it("loads the SDK a reload's new model entry speaks before any turn needs it", async () => {
    writeConfig(run.home, config([OWNER]));
    const modules = join(run.home, "modules.txt");
    const daemon = (run.daemon = await startDaemon(run.home, {
      SWITCHBOARD_LOG_LEVEL: "debug",
      NODE_OPTIONS: `--import=${join(import.meta.dirname, "../build/record-modules.ts")}`,
      SWITCHBOARD_TEST_MODULES_FILE: modules,
    }));
    await ready(daemon);
    const warmed = (what: string) => messages(daemon).filter((m) => String(m.msg).startsWith(`warmed up: ${what}`)).length;
    await waitFor(() => warmed("model SDKs") || undefined, "the start's warm-up", 15_000);
    const next: Cfg = config([OWNER]);
    next.model_list.push({ model_name: "claude", model: "anthropic-messages/claude-test", api_base: llm.url, api_key: "sk-ant-test-1234567890" });
    next.agents.defaults.fallbacks = ["claude"];
    await afterReload(daemon, APPLIED, () => renameSave(run.home, next));
    await waitFor(() => warmed("the reloaded runtime") || undefined, "the reloaded runtime's warm-up", 15_000);
    expect(llm.requests).toEqual([]); // no turn ran: the loads were the warm-up's own
    expect(await daemon.stop()).toBe(0);
    run.daemon = undefined;
    const loaded = readFileSync(modules, "utf8").split("\n");
    expect(loaded.some((u) => u.includes("/node_modules/@anthropic-ai/sdk/"))).toBe(true);
  });
});
