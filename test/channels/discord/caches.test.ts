// The discord.js client keeps only a few messages per channel and a bounded
// number of users and members (channels/discord/caches.ts), yet a reply to an
// old message still carries the replied-to text and author, the author's
// nickname still names the sender, and catch-up can still check the bot's
// permissions (it needs the bot's own member, which is never dropped).
import type { Client } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES_PER_CHANNEL, PEOPLE_KEPT } from "../../../channels/discord/caches.ts";
import { snowflake } from "../../fakes/discord/payloads.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
const client = () => (h.adapter as unknown as { client: Client }).client;

beforeAll(async () => {
  h = await startHarness();
  await h.start();
});
afterAll(async () => {
  await h.close();
});

describe("Discord: what the client keeps in memory", () => {
  it("keeps a few messages per channel and a bounded number of people, the bot always", async () => {
    const people = PEOPLE_KEPT + 30;
    for (let i = 0; i < people; i++) {
      const author = { id: snowflake(), username: `user${i}`, global_name: null };
      h.fake.guildMessage(`hello ${i}`, { author, nick: `nick ${i}` });
    }
    const got = await h.waitForMessages(people, 30_000);
    expect(got.at(-1)!.senderName).toBe(`nick ${people - 1}`);
    const c = client();
    const channel = c.channels.cache.get(h.fake.guild.channelId);
    expect(channel?.isTextBased() && channel.messages.cache.size).toBe(MESSAGES_PER_CHANNEL);
    const guild = c.guilds.cache.get(h.fake.guild.id)!;
    expect(guild.members.cache.size).toBeLessThanOrEqual(PEOPLE_KEPT + 1);
    expect(guild.members.me?.id).toBe(h.fake.bot.id);
    expect(c.users.cache.size).toBeLessThanOrEqual(PEOPLE_KEPT + 1);
    expect(c.users.cache.has(h.fake.bot.id)).toBe(true);
    // what catch-up asks of every guild channel
    expect(channel && "permissionsFor" in channel && channel.permissionsFor(c.user!)?.has("ViewChannel")).toBe(true);
  });

  it("a reply to a message long gone from the cache still carries it", async () => {
    h.received.length = 0;
    const ref = h.fake.guildMessage("The deploy is at 5pm.", { nick: "Ali (ops)" });
    for (let i = 0; i < MESSAGES_PER_CHANNEL + 5; i++) h.fake.guildMessage(`filler ${i}`, { author: h.fake.bob });
    h.fake.guildMessage("still on?", { author: h.fake.bob, nick: "Bobby", referenced: ref });
    const msgs = await h.waitForMessages(MESSAGES_PER_CHANNEL + 7);
    const reply = msgs.at(-1)!;
    expect(reply.text).toBe("still on?");
    expect(reply.senderName).toBe("Bobby");
    expect(reply.replyTo).toEqual({ text: "The deploy is at 5pm.", senderName: "Ali (ops)" });
  });
});
