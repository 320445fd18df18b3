// Chat commands through the real daemon, the fake LLM and the Telegram and
// Discord fakes: /stop mid-turn (and after a crash), /model switching that
// the model server sees and that survives a restart, /status, the Telegram
// command menu and Discord's slash commands.
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_COMMANDS } from "../../src/core/chat-commands.ts";
import { parseTelegramHtml } from "../fakes/telegram-api.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { dc, llm, run, tg, useFakes } from "./fakes-fixture.ts";

const OWNER = 1001;
useFakes({ homePrefix: "sb-e2e-cmd-" });

let release: (() => void) | undefined;
afterEach(() => {
  release?.(); // lets a held fake-model answer go (its client is long gone)
  release = undefined;
});

function config() {
  const entry = (name: string) => ({ model_name: name, model: `openai/${name}-model`, api_base: `${llm.url}/v1`, api_key: `sk-${name}-1234567890` });
  return {
    model_list: [entry("main"), entry("smart"), { model_name: "ears", model: "openai/whisper-1", api_base: `${llm.url}/v1` }],
    agents: { defaults: { model_name: "main" } },
    voice: { model_name: "ears" },
    channels: {
      telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: [dc.alice.id] },
    },
  };
}

async function start(): Promise<RunningDaemon> {
  writeConfig(run.home, config());
  run.daemon = await startDaemon(run.home);
  await waitFor(async () => (await fetch(`${run.daemon!.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
  return run.daemon;
}

/** what the person reads (HTML replies shown as Telegram renders them) */
const texts = () => tg.sent.filter((m) => String(m.chat_id) === String(OWNER)).map((m) => (m.parse_mode === "HTML" ? parseTelegramHtml(m.text ?? "") : (m.text ?? "")));
const say = (text: string) => tg.userMessage({ chatId: OWNER, fromId: OWNER, text });
const reply = (n: number, what: string) => waitFor(() => texts()[n], what, 15_000);
const userTexts = (i: number) => (llm.requests[i]!.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === "user").map((m) => JSON.stringify(m.content));

/** the next model request waits until the test ends (a slow model) */
function slowModel(): void {
  const gate = new Promise<void>((r) => (release = r));
  llm.script({ reply: "a story that never arrives", holdUntil: gate });
}

describe("chat commands end to end", () => {
  it("/stop ends the running turn at once; after a crash and restart the stopped message is not run again and the next one works", { timeout: 60_000 }, async () => {
    const d = await start();
    slowModel();
    say("tell me a very long story");
    await waitFor(() => llm.requests.length === 1 || undefined, "the slow model call");
    say("/stop");
    expect(await reply(0, "stop reply")).toBe("Stopped."); // while the model still holds the first call

    await d.kill(); // a crash right after the stop
    llm.requests.length = 0;
    run.daemon = await startDaemon(run.home);
    say("hello");
    await waitFor(() => texts().includes('echo: "hello"') || undefined, "the next reply", 15_000);
    // the model saw only the new message: the stopped one was neither re-run nor saved in the history
    expect(llm.requests.map((_, i) => userTexts(i))).toEqual([['"hello"']]);
    // (the outbox delivers at least once: a crash just after a send may repeat "Stopped.")
    expect(new Set(texts())).toEqual(new Set(["Stopped.", 'echo: "hello"']));
  });

  it("/stop with nothing running says so", { timeout: 40_000 }, async () => {
    await start();
    say("/stop");
    expect(await reply(0, "reply")).toBe("Nothing is running.");
    expect(llm.requests).toHaveLength(0);
  });

  it("/model lists, switches (the model server sees it), refuses unknown names, and the choice survives a restart; /status shows it", { timeout: 60_000 }, async () => {
    const d = await start();
    say("/model");
    const list = await reply(0, "model list");
    expect(list.split("\n").slice(0, 3)).toEqual(["Models:", "• main (default, in use)", "• smart"]);
    expect(list).not.toContain("ears"); // the transcription model is not a chat model
    say("/model nope");
    expect(await reply(1, "unknown reply")).toBe('There is no model named "nope". Choose one of: main, smart (or "default").');
    say("/model smart");
    expect(await reply(2, "switch reply")).toBe("This chat now uses smart.");
    say("hi");
    await reply(3, "answer");
    expect(llm.requests.map((r) => r.body.model)).toEqual(["smart-model"]);
    say("/status");
    expect((await reply(4, "status")).split("\n")[0]).toBe("Model: smart (chosen with /model; default main; fallbacks: none)");

    await d.stop();
    run.daemon = await startDaemon(run.home);
    say("hi again");
    await reply(5, "answer after restart");
    expect(llm.requests.map((r) => r.body.model)).toEqual(["smart-model", "smart-model"]);
    say("/model default");
    await reply(6, "back to default");
    say("and now");
    await reply(7, "answer from default");
    expect(llm.requests.at(-1)!.body.model).toBe("main-model");
  });

  it("Telegram's command menu is set at start from the command list", { timeout: 40_000 }, async () => {
    const before = tg.calls.length;
    await start();
    await tg.waitFor(() => tg.calls.slice(before).find((c) => c.method === "setMyCommands"), 10_000, () => "setMyCommands");
    expect(tg.commandMenu()!.map((c) => `/${c.command}`)).toEqual(Object.keys(CHAT_COMMANDS));
  });

  it("Discord: slash commands are registered; one is answered in its response, a stranger's is not, and /stop works as a slash command", { timeout: 60_000 }, async () => {
    const registrations = dc.interactions.registrations;
    await start();
    await dc.waitFor(() => dc.interactions.registrations > registrations, "slash command registration", 15_000);
    expect(dc.interactions.global.map((c) => `/${c.name}`)).toEqual(Object.keys(CHAT_COMMANDS));

    const stranger = dc.slashCommand("status", { where: "guild", user: dc.bob });
    const model = dc.slashCommand("model", { options: { name: "smart" } });
    await dc.waitFor(() => dc.interactions.original(model.id as string)?.content === "This chat now uses smart.", "the /model answer", 15_000);
    expect(dc.interactions.acknowledged(stranger.id as string)).toEqual({ type: 5, ephemeral: true });
    expect(dc.interactions.original(stranger.id as string)!.content).toBe(""); // still "thinking…": not on allow_from
    expect(dc.sent).toHaveLength(0);

    // the switch applies to alice's typed messages too: same session
    dc.dm("hello");
    await dc.waitForSent(1, 15_000);
    expect(llm.requests.map((r) => r.body.model)).toEqual(["smart-model"]);

    // a command used while a turn runs waits for it; each answer lands where it belongs
    const gate = new Promise<void>((r) => (release = r));
    llm.script({ reply: "the slow answer", holdUntil: gate });
    dc.dm("a slow question");
    await waitFor(() => llm.requests.length === 2 || undefined, "the slow model call");
    const status = dc.slashCommand("status");
    await dc.waitFor(() => dc.interactions.acknowledged(status.id as string) !== undefined, "the /status acknowledgement");
    release!();
    await dc.waitFor(() => /^Model: smart/.test(String(dc.interactions.original(status.id as string)?.content)), "the /status answer", 15_000);
    await dc.waitForSent(2, 15_000);
    expect(dc.sent.map((s) => s.body.content)).toEqual(['echo: "hello"', "the slow answer"]);

    slowModel();
    dc.dm("a long story please");
    await waitFor(() => llm.requests.length === 3 || undefined, "the second slow model call");
    const stop = dc.slashCommand("stop");
    await dc.waitFor(() => dc.interactions.original(stop.id as string)?.content === "Stopped.", "the /stop answer", 15_000);
    expect(dc.sent.map((s) => s.body.content)).toEqual(['echo: "hello"', "the slow answer"]);
  });
});
