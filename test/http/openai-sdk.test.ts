// The gateway's API as the official `openai` npm client sees it, against a
// listening server on 127.0.0.1 (the agent, router and OpenAI protocol
// client are real; the model is the fake LLM).
import { request } from "node:http";
import OpenAI from "openai";
import { describe, expect, it, vi } from "vitest";
import { gate, harness, listening, sentMessages, type Harness } from "./api-harness.ts";

function client(baseURL: string, over: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "unused", ...over });
}

/** The SDK's fetch, counting the HTTP requests it makes (its retries included). */
function countingFetch(): { fetch: typeof fetch; count: () => number } {
  let n = 0;
  return { fetch: (async (...args: Parameters<typeof fetch>) => (n++, fetch(...args))) as typeof fetch, count: () => n };
}

async function start(h: Harness, over = {}) {
  return listening(h, over);
}

describe("the official openai client", () => {
  it("holds a multi-turn conversation from messages[] and reports usage", async () => {
    const h = await harness();
    h.llm.script({ reply: "Nice to meet you, Ada.", usage: { prompt: 30, completion: 6 } });
    const s = await start(h);
    const res = await client(s.url).chat.completions.create({
      model: "fast",
      messages: [
        { role: "system", content: "You are brief." },
        { role: "user", content: "My name is Ada." },
        { role: "assistant", content: "Hello!" },
        { role: "user", content: "Say my name." },
      ],
    });
    expect(res.choices[0]!.message.content).toBe("Nice to meet you, Ada.");
    expect(res.usage).toEqual({ prompt_tokens: 30, completion_tokens: 6, total_tokens: 36 });
    expect(sentMessages(h.llm, 0).filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Say my name." },
    ]);
  });

  it("two callers at once never see each other's messages, with or without named sessions", async () => {
    const h = await harness();
    // each pair of turns is in the model at the same time before either answers
    let both = gate();
    h.llm.setDefault((req) => {
      const msgs = req.body.messages as { role: string; content: string }[];
      const held = both.open;
      if (h.llm.requests.length % 2 === 0) {
        both.release();
        both = gate();
      }
      return { reply: `you said: ${msgs.at(-1)!.content}`, holdUntil: held };
    });
    const s = await start(h);
    const ai = client(s.url);
    const ask = (text: string, session?: string) =>
      ai.chat.completions.create({ model: "switchboard", messages: [{ role: "user", content: text }] }, session ? { headers: { "x-switchboard-session": session } } : {});
    const [a, b] = await Promise.all([ask("alpha secret"), ask("bravo secret")]);
    expect(a.choices[0]!.message.content).toBe("you said: alpha secret");
    expect(b.choices[0]!.message.content).toBe("you said: bravo secret");
    await Promise.all([ask("alpha again", "caller-a"), ask("bravo again", "caller-b")]);
    await Promise.all([ask("who am I?", "caller-a"), ask("who am I?", "caller-b")]);
    for (let i = 0; i < h.llm.requests.length; i++) {
      const text = JSON.stringify(sentMessages(h.llm, i).filter((m) => m.role !== "system"));
      expect(text.includes("alpha") && text.includes("bravo"), text).toBe(false);
    }
    const later = h.llm.requests.slice(4).map((r) => JSON.stringify(r.body.messages));
    expect(later.filter((t) => t.includes("alpha again"))).toHaveLength(1);
    expect(later.filter((t) => t.includes("bravo again"))).toHaveLength(1);
  });

  it("receives stream deltas while the model is still writing, then usage and the end", async () => {
    const h = await harness();
    const hold = gate();
    // the fake model sends its first words, then waits until the client has seen them
    h.llm.script({ reply: "The first words, then the rest of the answer.", usage: { prompt: 12, completion: 9 }, streamGate: { after: 3, open: hold.open } });
    const s = await start(h);
    const stream = await client(s.url).chat.completions.create({
      model: "fast",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "talk slowly" }],
    });
    let text = "";
    let beforeRelease = "";
    let usage: unknown;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content ?? "";
      if (delta && !beforeRelease) {
        // the turn cannot have ended: the model has not finished its answer
        beforeRelease = delta;
        hold.release();
      }
      text += delta;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(beforeRelease.length).toBeGreaterThan(0);
    expect(beforeRelease.length).toBeLessThan(text.length);
    expect(text).toBe("The first words, then the rest of the answer.");
    expect(usage).toEqual({ prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 });
  });

  it("a client that disconnects mid-stream aborts the turn", async () => {
    const h = await harness();
    const hold = gate();
    h.llm.script({ reply: "A long answer nobody will read to the end.", streamGate: { after: 3, open: hold.open } });
    const turns: Promise<unknown>[] = [];
    const agent = h.runtime.agent;
    h.runtime.agent = { runConversation: (input) => (turns.push(agent.runConversation(input)), turns.at(-1) as ReturnType<typeof agent.runConversation>) };
    const s = await start(h);
    const abort = new AbortController();
    const stream = await client(s.url).chat.completions.create({ model: "fast", stream: true, messages: [{ role: "user", content: "go" }] }, { signal: abort.signal });
    // the SDK ends an aborted stream quietly
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) abort.abort();
    expect(abort.signal.aborted).toBe(true);
    // the model is still holding the rest of its answer: only the disconnect can end the turn
    await expect(turns[0]).rejects.toMatchObject({ reason: "aborted" });
    hold.release();
  });

  it("a client that gives up on a whole (non-streamed) answer aborts the turn too", async () => {
    const h = await harness();
    const hold = gate();
    h.llm.script({ reply: "too late", holdUntil: hold.open });
    const turns: Promise<unknown>[] = [];
    const agent = h.runtime.agent;
    h.runtime.agent = { runConversation: (input) => (turns.push(agent.runConversation(input)), turns.at(-1) as ReturnType<typeof agent.runConversation>) };
    const s = await start(h);
    const abort = new AbortController();
    const pending = client(s.url, { maxRetries: 0 }).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "wait" }] }, { signal: abort.signal });
    await vi.waitFor(() => expect(h.llm.requests).toHaveLength(1), { timeout: 5000 });
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await expect(turns[0]).rejects.toMatchObject({ reason: "aborted" });
    hold.release();
  });

  it("gets 404 for an unknown model and does not retry it; 400 for a bad body", async () => {
    const h = await harness();
    const s = await start(h);
    const counted = countingFetch();
    const ai = client(s.url, { fetch: counted.fetch, maxRetries: 2 });
    const err = await ai.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    expect(counted.count()).toBe(1);
    const bad = await ai.chat.completions.create({ model: "fast", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("messages[0].content[0].image_url.url");
    expect(h.llm.requests).toHaveLength(0);
    const models = await ai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["switchboard", "fast", "other", "second"]);
  });

  it("needs the token when one is set", async () => {
    const h = await harness();
    const s = await start(h, { token: "gw-token-123456" });
    const wrong = await client(s.url, { apiKey: "sk-wrong", maxRetries: 0 }).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    const ok = await client(s.url, { apiKey: "gw-token-123456" }).chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }] });
    expect(ok.choices[0]!.message.content).toBe("ok");
  });

  it("refuses a foreign Host on the listening socket (DNS rebinding) and serves localhost", async () => {
    const h = await harness();
    const s = await start(h);
    const port = new URL(s.url).port;
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/v1/models", headers: { host } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    const foreign = await get(`attacker.example:${port}`);
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.code).toBe("host_not_allowed");
    expect((await get(`localhost:${port}`)).status).toBe(200);
    const models = await client(`http://localhost:${port}`).models.list();
    expect(models.data.length).toBeGreaterThan(0);
  });
});
