// The fake Discord speaks the wire protocol on its own: raw WebSocket and
// HTTP clients, no discord.js, so the fake cannot drift into agreeing with
// whatever the SDK happens to do.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FakeDiscord, Intents } from "./server.ts";

let fake: FakeDiscord;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  fake = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await fake.close();
});

interface Frame {
  op: number;
  t?: string;
  s?: number;
  d?: unknown;
}

function open(path = "/?v=10&encoding=json") {
  const ws = new WebSocket(`${fake.gatewayUrl}${path}`);
  sockets.push(ws);
  const frames: Frame[] = [];
  let closed: { code: number } | undefined;
  ws.on("message", (d) => frames.push(JSON.parse(d.toString()) as Frame));
  ws.on("close", (code) => (closed = { code }));
  return {
    ws,
    frames,
    send: (f: Frame) => ws.send(JSON.stringify(f)),
    closedWith: async () => {
      await fake.waitFor(() => closed !== undefined, "the socket to close");
      return closed!.code;
    },
    next: async (pred: (f: Frame) => boolean) => {
      await fake.waitFor(() => frames.some(pred), "a frame");
      return frames.find(pred)!;
    },
  };
}

const identify = (token: string, intents = Intents.Guilds | Intents.DirectMessages) => ({
  op: 2,
  d: { token, intents, properties: { os: "linux", browser: "test", device: "test" }, shard: [0, 1] },
});

describe("fake Discord gateway", () => {
  it("says HELLO, acks heartbeats, and answers IDENTIFY with READY then GUILD_CREATE", async () => {
    const c = open();
    const hello = await c.next((f) => f.op === 10);
    expect(hello.d).toEqual({ heartbeat_interval: 1_000 });
    c.send({ op: 1, d: null });
    await c.next((f) => f.op === 11);
    c.send(identify(fake.token));
    const ready = await c.next((f) => f.t === "READY");
    expect(ready.s).toBe(1);
    expect(ready.d).toMatchObject({ user: { id: fake.bot.id, bot: true }, resume_gateway_url: fake.resumeUrl });
    const guild = await c.next((f) => f.t === "GUILD_CREATE");
    expect(guild.s).toBe(2);
  });

  it("closes 4004 on a wrong token and 4014 on a privileged intent it was not granted", async () => {
    const a = open();
    await a.next((f) => f.op === 10);
    a.send(identify("wrong"));
    expect(await a.closedWith()).toBe(4004);

    await fake.close();
    fake = await FakeDiscord.start({ allowPrivilegedIntents: false });
    const b = open();
    await b.next((f) => f.op === 10);
    b.send(identify(fake.token, Intents.Guilds | Intents.MessageContent));
    expect(await b.closedWith()).toBe(4014);
  });

  it("refuses other API versions, other encodings and compressed transports", async () => {
    expect(await open("/?v=9&encoding=json").closedWith()).toBe(4012);
    expect(await open("/?v=10&encoding=etf").closedWith()).toBe(4002);
    expect(await open("/?v=10&encoding=json&compress=zlib-stream").closedWith()).toBe(4002);
  });

  it("replays missed dispatches on RESUME, then says RESUMED", async () => {
    const a = open();
    await a.next((f) => f.op === 10);
    a.send(identify(fake.token, Intents.DirectMessages));
    const ready = await a.next((f) => f.t === "READY");
    const sessionId = (ready.d as { session_id: string }).session_id;
    fake.dropConnection();
    await a.closedWith();
    const missed = fake.dm("while away");
    const b = open("/resume?v=10&encoding=json");
    await b.next((f) => f.op === 10);
    b.send({ op: 6, d: { token: fake.token, session_id: sessionId, seq: ready.s } });
    const replayed = await b.next((f) => f.t === "MESSAGE_CREATE");
    expect((replayed.d as { id: string }).id).toBe(missed.id);
    await b.next((f) => f.t === "RESUMED");
    expect(fake.gateway.resumes).toEqual([{ session_id: sessionId, seq: 1, replayed: 1 }]);
  });

  it("answers a RESUME of an unknown session with INVALID_SESSION false", async () => {
    const c = open();
    await c.next((f) => f.op === 10);
    c.send({ op: 6, d: { token: fake.token, session_id: "nope", seq: 3 } });
    expect((await c.next((f) => f.op === 9)).d).toBe(false);
  });
});

describe("fake Discord REST", () => {
  it("requires `Bot <token>` and names unknown routes in its 404", async () => {
    const unauth = await fetch(`${fake.apiBase}/v10/users/@me`, { headers: { authorization: fake.token } });
    expect(unauth.status).toBe(401);
    const me = await fetch(`${fake.apiBase}/v10/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    expect(await me.json()).toMatchObject({ id: fake.bot.id });
    const unknown = await fetch(`${fake.apiBase}/v10/applications/@me`, { headers: { authorization: `Bot ${fake.token}` } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain("GET /applications/@me");
    expect(fake.unknownRoutes).toEqual(["GET /applications/@me"]);
  });

  it("refuses content over 2000 characters and empty messages like Discord", async () => {
    const post = (body: unknown) =>
      fetch(`${fake.apiBase}/v10/channels/${fake.dmChannelId()}/messages`, {
        method: "POST",
        headers: { authorization: `Bot ${fake.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const long = await post({ content: "x".repeat(2001) });
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ code: 50035 });
    const empty = await post({ content: "" });
    expect(await empty.json()).toMatchObject({ code: 50006 });
    expect(fake.sent).toHaveLength(0);
  });
});
