// `switchboard pairing approve` runs as its own process beside the gateway
// (same SQLite file): the approved person is told they can chat, promptly by
// the running gateway, or when the gateway next starts.
import { describe, expect, it } from "vitest";
import { APPROVED_NOTICE } from "../../src/gateway/pairing-reply.ts";
import { runCli } from "../cli/run-cli.ts";
import { startDaemon, waitFor, writeConfig } from "./daemon.ts";
import { llm, run, tg, useFakes } from "./fakes-fixture.ts";

const STRANGER = 3003;
useFakes({ homePrefix: "sb-e2e-pairing-" });

function config() {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [] } },
  };
}

const textsTo = (chatId: number) => tg.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text ?? "");

async function askForCode(): Promise<string> {
  tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "hi, let me in", username: "newbie" });
  const reply = await waitFor(() => textsTo(STRANGER)[0], "pairing reply", 15_000);
  return /pairing code is ([A-Z0-9]{8})/.exec(reply)![1]!;
}

describe("pairing approved from the CLI", () => {
  it("the running gateway tells the person at once, and then answers them", async () => {
    writeConfig(run.home, config());
    run.daemon = await startDaemon(run.home);
    const code = await askForCode();
    const approve = await runCli(["pairing", "approve", "telegram", code], { SWITCHBOARD_HOME: run.home, HOME: run.home });
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain("they are told they can chat now");
    // no restart, no message from them: the gateway finds the notice the CLI queued
    await waitFor(() => textsTo(STRANGER)[1], "approval notice", 15_000);
    expect(textsTo(STRANGER)[1]).toBe(APPROVED_NOTICE);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "great" });
    await waitFor(() => textsTo(STRANGER)[2], "answer after approval", 15_000);
    expect(textsTo(STRANGER)).toEqual([expect.stringContaining(code), APPROVED_NOTICE, 'echo: "great"']);
  });

  it("approved while the gateway is down: the notice goes out when it starts, once", async () => {
    writeConfig(run.home, config());
    run.daemon = await startDaemon(run.home);
    const code = await askForCode();
    expect(await run.daemon.stop()).toBe(0);
    run.daemon = undefined;
    const approve = await runCli(["pairing", "approve", "telegram", code], { SWITCHBOARD_HOME: run.home, HOME: run.home });
    expect(approve.code).toBe(0);
    expect(textsTo(STRANGER)).toHaveLength(1);
    run.daemon = await startDaemon(run.home);
    await waitFor(() => textsTo(STRANGER)[1], "approval notice after start", 15_000);
    expect(textsTo(STRANGER)[1]).toBe(APPROVED_NOTICE);
    // approving the same code again finds no open request and queues nothing more
    const again = await runCli(["pairing", "approve", "telegram", code], { SWITCHBOARD_HOME: run.home, HOME: run.home });
    expect(again.code).not.toBe(0);
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "thanks" });
    await waitFor(() => textsTo(STRANGER)[2], "answer after approval", 15_000);
    expect(textsTo(STRANGER).filter((t) => t === APPROVED_NOTICE)).toHaveLength(1);
  });
});
