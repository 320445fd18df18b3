import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { harness, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("telegram adapter: receiving by long polling", () => {
  it("asks getMe, clears any webhook, polls with allowed_updates and emits a private message", async () => {
    h = await harness();
    await h.start();
    expect(h.statuses.at(-1)?.state).toBe("online");
    expect(h.adapter.bot).toEqual({ id: h.tg.botInfo().id, username: h.tg.botInfo().username });
    const names = h.tg.calls.map((c) => c.method);
    expect(names.slice(0, 2)).toEqual(["getMe", "deleteWebhook"]);

    const u = h.tg.userMessage({ text: "hello there", fromId: 555, username: "ada_l", firstName: "Ada" });
    const [msg] = await h.waitForEmitted(1);
    const m = u.message as { message_id: number; date: number };
    expect(msg).toEqual({
      channel: "telegram",
      accountId: String(h.tg.botInfo().id),
      chatId: "555",
      chatType: "direct",
      messageId: String(m.message_id),
      senderId: "555",
      senderUsername: "ada_l",
      senderName: "Ada",
      text: "hello there",
      sentAt: m.date * 1000,
    });
    const poll = await h.tg.waitForCall("getUpdates");
    expect(poll.params.allowed_updates).toEqual(["message"]);
    expect(poll.params.timeout).toBe(1);
  });

  it("marks group messages that @-mention the bot, and only those", async () => {
    h = await harness();
    await h.start();
    const bot = h.tg.botInfo().username;
    h.tg.userMessage({ chatId: -100123, chatType: "supergroup", text: "just chatting" });
    h.tg.userMessage({ chatId: -100123, chatType: "supergroup", text: `hey @${bot.toUpperCase()} what's up` });
    h.tg.userMessage({ chatId: -42, chatType: "group", text: "ping @someone_else" });
    const [a, b, c] = await h.waitForEmitted(3);
    expect(a).toMatchObject({ chatId: "-100123", chatType: "group", text: "just chatting" });
    expect(a!.mentioned).toBeUndefined();
    expect(b).toMatchObject({ chatType: "group", mentioned: true, text: `hey @${bot.toUpperCase()} what's up` });
    expect(c).toMatchObject({ chatId: "-42", chatType: "group" });
    expect(c!.mentioned).toBeUndefined();
  });

  it("counts a text_mention of the bot as a mention", async () => {
    h = await harness();
    await h.start();
    const info = h.tg.botInfo();
    h.tg.userMessage({ chatId: -7, chatType: "group", text: "Fake Bot, help", entities: [{ type: "text_mention", offset: 0, length: 8, user: { id: info.id, is_bot: true, first_name: "Fake Bot" } }] });
    const [m] = await h.waitForEmitted(1);
    expect(m!.mentioned).toBe(true);
  });

  it("marks replies to the bot's own messages, not replies to other people", async () => {
    h = await harness();
    await h.start();
    h.tg.userMessage({ chatId: -9, chatType: "supergroup", text: "yes please", replyTo: true });
    h.tg.userMessage({ chatId: -9, chatType: "supergroup", text: "agreed", replyTo: 777 });
    const [a, b] = await h.waitForEmitted(2);
    expect(a!.replyToBot).toBe(true);
    expect(b!.replyToBot).toBeUndefined();
  });

  it("carries the forum topic as threadId", async () => {
    h = await harness();
    await h.start();
    h.tg.userMessage({ chatId: -100500, chatType: "supergroup", threadId: 42, text: "in a topic" });
    const [m] = await h.waitForEmitted(1);
    expect(m).toMatchObject({ threadId: "42", chatType: "group", text: "in a topic" });
  });

  it("gives a photo's caption as text and fetches the largest size's bytes", async () => {
    h = await harness();
    await h.start();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]);
    h.tg.userMessage({ caption: "what is this?", photo: { data: jpeg, width: 800, height: 600 } });
    const [m] = await h.waitForEmitted(1);
    expect(m!.text).toBe("what is this?");
    expect(m!.media).toHaveLength(1);
    const media = m!.media![0]!;
    expect(media).toMatchObject({ kind: "image", mimeType: "image/jpeg", size: jpeg.length });
    expect(await media.fetch!()).toEqual(jpeg);
    expect(h.tg.calls.filter((c) => c.method === "getFile")).toHaveLength(1);
  });

  it("emits a voice note without text whose fetch() downloads the OGG bytes", async () => {
    h = await harness();
    await h.start();
    const ogg = Buffer.from("OggS\u0000voice-bytes");
    h.tg.userMessage({ voice: { data: ogg } });
    const [m] = await h.waitForEmitted(1);
    expect(m!.text).toBe("");
    expect(m!.media![0]).toMatchObject({ kind: "voice", mimeType: "audio/ogg" });
    expect(await m!.media![0]!.fetch!()).toEqual(ogg);
  });

  it("treats image and audio documents as image and audio media", async () => {
    h = await harness();
    await h.start();
    h.tg.userMessage({ caption: "scan", document: { data: Buffer.from("png"), mimeType: "image/png", fileName: "scan.png" } });
    h.tg.userMessage({ audio: { data: Buffer.from("mp3"), fileName: "song.mp3" } });
    const [a, b] = await h.waitForEmitted(2);
    expect(a!.media![0]).toMatchObject({ kind: "image", mimeType: "image/png", filename: "scan.png" });
    expect(b!.media![0]).toMatchObject({ kind: "audio", mimeType: "audio/mpeg", filename: "song.mp3" });
    expect(await b!.media![0]!.fetch!()).toEqual(Buffer.from("mp3"));
  });

  it("refuses to download files above the Bot API's 20 MB limit", async () => {
    h = await harness();
    await h.start();
    h.tg.userMessage({ caption: "big", document: { data: Buffer.from("x"), mimeType: "audio/wav", reportedSize: 25 * 1024 * 1024 } });
    const [m] = await h.waitForEmitted(1);
    await expect(m!.media![0]!.fetch!()).rejects.toThrow(/more than the 20\.0 MB/);
    expect(h.tg.calls.some((c) => c.method === "getFile")).toBe(false);
  });

  it("stops a download that turns out larger than the cap, whatever size was reported", async () => {
    h = await harness({ adapter: { maxDownloadBytes: 1000 } });
    await h.start();
    h.tg.userMessage({ caption: "liar", document: { data: Buffer.alloc(5000, 1), mimeType: "image/png", reportedSize: 500 } });
    const [m] = await h.waitForEmitted(1);
    await expect(m!.media![0]!.fetch!()).rejects.toThrow(/more than/);
  });

  it("reads files from disk only with local_mode, and only inside local_dir", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tg-local-"));
    const elsewhere = await mkdtemp(join(tmpdir(), "tg-elsewhere-"));
    try {
      const path = join(dir, "voice.oga");
      await writeFile(path, "OggS-on-disk");
      const secret = join(elsewhere, "id_rsa");
      await writeFile(secret, "PRIVATE KEY");
      await symlink(secret, join(dir, "link.oga"));
      h = await harness({ config: { local_mode: true, local_dir: dir } });
      await h.start();
      const files = [
        h.tg.addFile(Buffer.alloc(0), { localPath: path, reportedSize: 12 }),
        h.tg.addFile(Buffer.alloc(0), { localPath: join(dir, "missing.oga"), reportedSize: 1 }),
        h.tg.addFile(Buffer.alloc(0), { localPath: secret, reportedSize: 1 }),
        h.tg.addFile(Buffer.alloc(0), { localPath: join(dir, "link.oga"), reportedSize: 1 }),
        h.tg.addFile(Buffer.alloc(0), { localPath: join(dir, "..", basename(elsewhere), "id_rsa"), reportedSize: 1 }),
      ];
      const base = { date: 1, chat: { id: 5, type: "private" }, from: { id: 5, is_bot: false, first_name: "E" } };
      files.forEach((f, i) => h!.tg.pushUpdate({ message: { ...base, message_id: i + 1, voice: { file_id: f.file_id, file_unique_id: `u${i}`, duration: 1 } } }));
      const [ok, gone, outside, link, dots] = await h.waitForEmitted(5);
      expect(await ok!.media![0]!.fetch!()).toEqual(Buffer.from("OggS-on-disk"));
      await expect(gone!.media![0]!.fetch!()).rejects.toThrow(/--local/);
      for (const m of [outside, link, dots]) await expect(m!.media![0]!.fetch!()).rejects.toThrow(/outside channels\.telegram\.local_dir/);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("never reads an absolute file_path from this machine's disk without local_mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tg-nolocal-"));
    try {
      const path = join(dir, "secret.txt");
      await writeFile(path, "not for the chat");
      h = await harness();
      await h.start();
      const f = h.tg.addFile(Buffer.alloc(0), { localPath: path, reportedSize: 16 });
      h.tg.pushUpdate({ message: { date: 1, chat: { id: 5, type: "private" }, from: { id: 5, is_bot: false, first_name: "E" }, message_id: 1, voice: { file_id: f.file_id, file_unique_id: "x", duration: 1 } } });
      const [m] = await h.waitForEmitted(1);
      await expect(m!.media![0]!.fetch!()).rejects.toThrow(/set channels\.telegram\.local_mode to true/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("strips its own @username from commands and keeps /start as text", async () => {
    h = await harness();
    await h.start();
    const bot = h.tg.botInfo().username;
    h.tg.userMessage({ chatId: -5, chatType: "group", text: `/new@${bot} fresh start` });
    h.tg.userMessage({ text: "/start" });
    h.tg.userMessage({ chatId: -5, chatType: "group", text: "/new@other_bot" });
    const [a, b, c] = await h.waitForEmitted(3);
    expect(a).toMatchObject({ text: "/new fresh start", mentioned: true });
    expect(b!.text).toBe("/start");
    expect(c!.text).toBe("/new@other_bot");
    expect(c!.mentioned).toBeUndefined();
  });

  it("ignores edits, channel posts and messages without text or media", async () => {
    h = await harness();
    await h.start();
    h.tg.userMessage({ text: "fixed typo", kind: "edited_message" });
    h.tg.userMessage({ chatId: -100777, chatType: "channel", text: "announcement" });
    h.tg.pushUpdate({ message: { message_id: 90, date: 1, chat: { id: -5, type: "group", title: "g" }, from: { id: 3, is_bot: false, first_name: "C" }, new_chat_members: [{ id: 4, is_bot: false, first_name: "D" }] } });
    const last = h.tg.userMessage({ text: "the real one" });
    await h.waitForEmitted(1);
    // the ignored updates were confirmed along with the real one
    await h.tg.waitForCall("getUpdates", (c) => c.params.offset === last.update_id + 1);
    expect(h.tg.pending()).toEqual([]);
    expect(h.emitted.map((m) => m.text)).toEqual(["the real one"]);
  });
});
