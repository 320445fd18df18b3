// Discord slash commands with the real adapter (discord.js) against the fake
// Discord: the chat commands registered at start, an interaction
// acknowledged at once and turned into the same inbound message a typed
// command would be, and the gateway's answer shown as the interaction's
// response.
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_COMMANDS } from "../../../src/core/chat-commands.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.start();
  await h.fake.waitFor(() => h!.fake.interactions.global.length > 0, "slash command registration");
  return h;
}

describe("discord slash commands", () => {
  it("registers every chat command at start, /model with an optional name", async () => {
    const { fake } = await started();
    const cmds = fake.interactions.global;
    expect(cmds.map((c) => `/${c.name}`)).toEqual(Object.keys(CHAT_COMMANDS));
    expect(cmds.find((c) => c.name === "stop")!.description).toBe(CHAT_COMMANDS["/stop"].description);
    expect(cmds.find((c) => c.name === "model")!.options).toEqual([{ type: 3, name: "name", description: CHAT_COMMANDS["/model"].arg.description, required: false }]);
    expect(cmds.every((c) => c.type === 1)).toBe(true);
  });

  it("a DM slash command is acknowledged and arrives like the typed command from the same person in the same chat", async () => {
    const { fake, received } = await started();
    fake.dm("hello");
    await h!.waitForMessages(1);
    const payload = fake.slashCommand("model", { options: { name: "smart" } });
    const [typed, slash] = await h!.waitForMessages(2);
    expect(fake.interactions.acknowledged(payload.id as string)).toEqual({ type: 5, ephemeral: true });
    expect(slash).toMatchObject({ channel: "discord", chatType: "direct", text: "/model smart", messageId: payload.id, senderName: "Alice A." });
    // what decides the allow-list and the session is the same as for a typed message
    for (const k of ["accountId", "chatId", "chatType", "senderId", "senderUsername", "threadId"] as const) expect(slash![k], k).toEqual(typed![k]);
    expect(received).toHaveLength(2);
  });

  it("the answer replaces the DM command's 'thinking…' response instead of posting a message", async () => {
    const { fake, adapter } = await started();
    const payload = fake.slashCommand("status");
    await h!.waitForMessages(1);
    const chatId = h!.received[0]!.chatId;
    // a reply to something else sent meanwhile (an earlier question's answer) is an ordinary message
    await adapter.send(chatId, { text: "the earlier answer", format: "markdown", inReplyTo: "1234567890" });
    const sent = await adapter.send(chatId, { text: "Model: main", format: "plain", inReplyTo: payload.id as string });
    expect(fake.interactions.original(payload.id as string)).toMatchObject({ content: "Model: main", flags: 64, id: sent.messageId });
    expect(fake.sent.map((s) => s.body.content)).toEqual(["the earlier answer"]);
    // answered once: the same id again (a retry after a crash) is an ordinary message
    await adapter.send(chatId, { text: "later", format: "plain", inReplyTo: payload.id as string });
    expect(fake.sent.map((s) => s.body.content)).toEqual(["the earlier answer", "later"]);
  });

  it("in a guild channel, the reply to the interaction (replyTo) answers it; other replies are ordinary messages", async () => {
    const { fake, adapter } = await started();
    const payload = fake.slashCommand("help", { where: "guild", user: fake.bob });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ chatType: "group", chatId: fake.guild.channelId, mentioned: true, text: "/help", senderId: fake.bob.id, senderName: "bob" });
    expect(msg!.threadId).toBeUndefined();
    await adapter.send(fake.guild.channelId, { text: "someone else's answer", format: "markdown" });
    await adapter.send(fake.guild.channelId, { text: "Commands: …", format: "plain", replyTo: payload.id as string });
    expect(fake.sent.map((s) => s.body.content)).toEqual(["someone else's answer"]);
    expect(fake.interactions.original(payload.id as string)!.content).toBe("Commands: …");
  });

  it("a thread's slash command belongs to the thread's conversation", async () => {
    const { fake } = await started();
    fake.slashCommand("new", { where: "thread" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ chatId: fake.guild.threadId, threadId: fake.guild.threadId, text: "/new" });
  });

  it("an answer after the interaction token expired is posted as a message", async () => {
    const { fake, adapter } = await started();
    const payload = fake.slashCommand("status");
    await h!.waitForMessages(1);
    fake.interactions.expire(payload.id as string);
    await adapter.send(h!.received[0]!.chatId, { text: "Model: main", format: "plain", inReplyTo: payload.id as string });
    expect(fake.sent.map((s) => s.body.content)).toEqual(["Model: main"]);
    expect(h!.logs.join("")).toContain("posting the answer as a message");
  });

  it("a command left registered by an older version is answered at once and never reaches the gateway", async () => {
    const { fake } = await started();
    const res = await fetch(`${fake.apiBase}/v10/applications/${fake.bot.id}/commands`, {
      method: "PUT",
      headers: { authorization: `Bot ${fake.token}`, "content-type": "application/json" },
      body: JSON.stringify([...fake.interactions.global.map(({ name, description, type }) => ({ name, description, type })), { name: "ping", description: "old command", type: 1 }]),
    });
    expect(res.status).toBe(200);
    const payload = fake.slashCommand("ping");
    await fake.waitFor(() => fake.interactions.acknowledged(payload.id as string) !== undefined, "the answer");
    expect(fake.interactions.acknowledged(payload.id as string)).toEqual({ type: 4, ephemeral: true });
    expect(fake.interactions.original(payload.id as string)!.content).toBe("I don't know /ping. Type /help for the commands.");
    expect(h!.received).toHaveLength(0);
  });

  it("the fake refuses what Discord refuses: bad names, long descriptions, duplicates", async () => {
    const { fake } = await started();
    const put = (body: unknown) =>
      fetch(`${fake.apiBase}/v10/applications/${fake.bot.id}/commands`, { method: "PUT", headers: { authorization: `Bot ${fake.token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await put([{ name: "Model", description: "x" }])).status).toBe(400);
    expect((await put([{ name: "model", description: "x".repeat(101) }])).status).toBe(400);
    expect((await put([{ name: "a", description: "x" }, { name: "a", description: "y" }])).status).toBe(400);
    expect(fake.interactions.global.map((c) => c.name)).toContain("model");
  });

  it("a refused registration is a warning: the channel is online and typed commands still arrive", async () => {
    h = await startHarness();
    h.fake.interactions.failNextRegistration = { status: 403, code: 50001, message: "Missing Access" };
    await h.start();
    await h.fake.waitFor(() => h!.fake.interactions.registrations === 1, "registration attempt");
    await h.fake.waitFor(() => h!.logs.join("").includes("could not register the Discord slash commands"), "the warning");
    expect(h.statuses.at(-1)!.state).toBe("online");
    h.fake.dm("/help");
    const [msg] = await h.waitForMessages(1);
    expect(msg!.text).toBe("/help");
    expect(h.logs.join("")).not.toContain(h.fake.token);
  });
});
