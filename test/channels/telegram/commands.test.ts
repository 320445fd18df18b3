// The Telegram command menu: set with setMyCommands from the gateway's one
// command list when the channel starts; a refusal is a warning and the
// channel still starts and answers.
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_COMMANDS } from "../../../src/core/chat-commands.ts";
import { createLogger } from "../../../src/core/logger.ts";
import { harness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function recordingLogger() {
  const lines: { level: number; msg: string; err?: string }[] = [];
  const logger = createLogger({ level: "warn", destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
  return { logger, lines };
}

describe("telegram command menu", () => {
  it("is set at start with every chat command and its description", async () => {
    h = await harness();
    await h.start();
    const call = await h.tg.waitForCall("setMyCommands");
    expect(call.params.scope).toBeUndefined();
    const menu = h.tg.commandMenu()!;
    expect(menu.map((c) => `/${c.command}`)).toEqual(Object.keys(CHAT_COMMANDS));
    expect(menu.find((c) => c.command === "model")!.description).toBe(CHAT_COMMANDS["/model"].description);
    expect(menu.find((c) => c.command === "stop")!.description).toBe(CHAT_COMMANDS["/stop"].description);
  });

  it("a refused setMyCommands is a warning; the channel still starts and receives messages", async () => {
    const { logger, lines } = recordingLogger();
    h = await harness({ adapter: { logger } });
    h.tg.failNext("setMyCommands", { error_code: 400, description: "Bad Request: BOT_COMMAND_INVALID" });
    await h.start();
    await h.waitForState("online");
    await h.tg.waitForCall("setMyCommands");
    await h.tg.waitFor(() => lines.find((l) => l.msg.includes("command menu")), 3000, () => "the warning");
    const warning = lines.find((l) => l.msg.includes("command menu"))!;
    expect(warning.level).toBe(40);
    expect(warning.err).toContain("BOT_COMMAND_INVALID");
    expect(h.tg.commandMenu()).toBeUndefined();
    h.tg.userMessage({ chatId: 5, fromId: 5, text: "/help" });
    const [msg] = await h.waitForEmitted(1);
    expect(msg!.text).toBe("/help");
  });

  it("a network failure of setMyCommands does not hold up start", async () => {
    h = await harness();
    h.tg.failNext("setMyCommands", "disconnect");
    await h.start();
    await h.waitForState("online");
    h.tg.userMessage({ chatId: 5, fromId: 5, text: "hi" });
    await h.waitForEmitted(1);
  });
});
