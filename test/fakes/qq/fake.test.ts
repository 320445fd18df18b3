// The fake QQ itself, spoken to with plain fetch and ws, so adapter tests can
// trust it behaves like QQ where it matters.
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FakeQq, GROUP_AND_C2C_EVENT, Op } from "./server.ts";

let fake: FakeQq | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function token(f: FakeQq): Promise<string> {
  const res = await fetch(f.tokenUrl, { method: "POST", body: JSON.stringify({ appId: f.appId, clientSecret: f.appSecret }) });
  const body = (await res.json()) as { access_token: string; expires_in: string };
  expect(body.expires_in).toBe("7200");
  return body.access_token;
}

function post(f: FakeQq, path: string, tok: string, body: unknown): Promise<Response> {
  return fetch(`${f.apiBase}${path}`, { method: "POST", headers: { authorization: `QQBot ${tok}`, "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** a client that identifies and collects every frame */
async function client(f: FakeQq, tok: string): Promise<{ ws: WebSocket; frames: { op: number; s?: number; t?: string; d?: unknown }[] }> {
  const ws = new WebSocket(f.gatewayUrl);
  const frames: { op: number; s?: number; t?: string; d?: unknown }[] = [];
  ws.on("message", (d) => frames.push(JSON.parse(d.toString()) as (typeof frames)[number]));
  await new Promise((r) => ws.once("open", r));
  await f.waitFor(() => frames.some((x) => x.op === Op.Hello), "HELLO");
  ws.send(JSON.stringify({ op: Op.Identify, d: { token: `QQBot ${tok}`, intents: GROUP_AND_C2C_EVENT, shard: [0, 1] } }));
  await f.waitFor(() => frames.some((x) => x.t === "READY"), "READY");
  return { ws, frames };
}

describe("fake QQ", () => {
  it("hands out tokens only for the right credentials, and REST wants a live one", async () => {
    fake = await FakeQq.start();
    const wrong = await fetch(fake.tokenUrl, { method: "POST", body: JSON.stringify({ appId: fake.appId, clientSecret: "nope" }) });
    expect(await wrong.json()).toEqual({ code: 100016, message: "invalid appid or secret" });
    const tok = await token(fake);
    expect((await fetch(`${fake.apiBase}/gateway/bot`, { headers: { authorization: `QQBot ${tok}` } })).status).toBe(200);
    fake.expireToken();
    const expired = await fetch(`${fake.apiBase}/gateway/bot`, { headers: { authorization: `QQBot ${tok}` } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 11244 });
  });

  it("accepts passive replies once per msg_id + msg_seq and refuses proactive ones", async () => {
    fake = await FakeQq.start({ replyLimit: 2 });
    const tok = await token(fake);
    const { ws } = await client(fake, tok);
    const id = fake.c2cMessage({ openid: "U1", text: "hi" });
    const send = (body: unknown) => post(fake!, "/v2/users/U1/messages", tok, body);
    expect((await send({ content: "a", msg_type: 0, msg_id: id, msg_seq: 1 })).status).toBe(200);
    expect(await (await send({ content: "a", msg_type: 0, msg_id: id, msg_seq: 1 })).json()).toMatchObject({ code: 40054005 });
    expect(await (await send({ content: "b", msg_type: 0 })).json()).toMatchObject({ code: 40034102 });
    expect(await (await post(fake, "/v2/groups/U1/messages", tok, { content: "b", msg_type: 0, msg_id: id })).json()).toMatchObject({ code: 40034024 });
    expect((await send({ content: "b", msg_type: 0, msg_id: id, msg_seq: 2 })).status).toBe(200);
    expect(await (await send({ content: "c", msg_type: 0, msg_id: id, msg_seq: 3 })).json()).toMatchObject({ code: 40034128 });
    expect(fake.sent.map((s) => s.content)).toEqual(["a", "b"]);
    ws.terminate();
  });

  it("numbers dispatches, replays them on RESUME, and answers a stale RESUME with op 9", async () => {
    fake = await FakeQq.start();
    const tok = await token(fake);
    const first = await client(fake, tok);
    fake.c2cMessage({ openid: "U1", text: "one" });
    await fake.waitFor(() => first.frames.some((x) => x.t === "C2C_MESSAGE_CREATE"), "a dispatch");
    expect(first.frames.filter((x) => x.op === Op.Dispatch).map((x) => x.s)).toEqual([1, 2]);
    fake.dropConnection();
    fake.c2cMessage({ openid: "U1", text: "two" });
    const second = new WebSocket(fake.gatewayUrl);
    const frames: { op: number; s?: number; t?: string }[] = [];
    second.on("message", (d) => frames.push(JSON.parse(d.toString()) as (typeof frames)[number]));
    await new Promise((r) => second.once("open", r));
    second.send(JSON.stringify({ op: Op.Resume, d: { token: `QQBot ${tok}`, session_id: fake.gateway.sessionId, seq: 2 } }));
    await fake.waitFor(() => frames.some((x) => x.t === "RESUMED"), "RESUMED");
    expect(frames.filter((x) => x.op === Op.Dispatch).map((x) => [x.s, x.t])).toEqual([
      [3, "C2C_MESSAGE_CREATE"],
      [4, "RESUMED"],
    ]);
    fake.sendInvalidSession();
    await fake.waitFor(() => frames.some((x) => x.op === Op.InvalidSession), "op 9");
    const third = new WebSocket(fake.gatewayUrl);
    const late: { op: number }[] = [];
    third.on("message", (d) => late.push(JSON.parse(d.toString()) as { op: number }));
    await new Promise((r) => third.once("open", r));
    third.send(JSON.stringify({ op: Op.Resume, d: { token: `QQBot ${tok}`, session_id: fake.gateway.sessionId, seq: 4 } }));
    await fake.waitFor(() => late.some((x) => x.op === Op.InvalidSession), "op 9 for a stale session");
    second.terminate();
    third.terminate();
  });

  it("keeps a dropped session resumable only for its resume window, then answers op 9 and replays nothing", async () => {
    let now = 1_000_000;
    fake = await FakeQq.start({ resumeWindowMs: 60_000, now: () => now });
    const tok = await token(fake);
    const first = await client(fake, tok);
    const session = fake.gateway.sessionId;
    first.ws.terminate();
    await fake.waitFor(() => !fake!.gateway.connected, "the drop");
    fake.c2cMessage({ openid: "U1", text: "kept only for a while" });
    now += 60_000;
    const late = new WebSocket(fake.gatewayUrl);
    const frames: { op: number; t?: string }[] = [];
    late.on("message", (d) => frames.push(JSON.parse(d.toString()) as (typeof frames)[number]));
    await new Promise((r) => late.once("open", r));
    late.send(JSON.stringify({ op: Op.Resume, d: { token: `QQBot ${tok}`, session_id: session, seq: 1 } }));
    await fake.waitFor(() => frames.some((x) => x.op === Op.InvalidSession), "op 9 after the window");
    expect(frames.some((x) => x.op === Op.Dispatch)).toBe(false);
    expect(fake.gateway.invalidResumes).toBe(1);
    late.terminate();
  });

  it("closes with 4004 for a bad token and 4014 for intents it has no permission for", async () => {
    fake = await FakeQq.start();
    const tok = await token(fake);
    const closeOf = async (d: unknown) => {
      const ws = new WebSocket(fake!.gatewayUrl);
      await new Promise((r) => ws.once("open", r));
      ws.send(JSON.stringify({ op: Op.Identify, d }));
      return new Promise<number>((r) => ws.once("close", (code) => r(code)));
    };
    expect(await closeOf({ token: "QQBot nope", intents: GROUP_AND_C2C_EVENT, shard: [0, 1] })).toBe(4004);
    expect(await closeOf({ token: `QQBot ${tok}`, intents: 1 << 28, shard: [0, 1] })).toBe(4014);
  });
});
