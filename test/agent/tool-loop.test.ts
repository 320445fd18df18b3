import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toolLimitSentence } from "../../src/agent/agent.ts";
import { ProviderError } from "../../src/providers/types.ts";
import type { Tool } from "../../src/tools/types.ts";
import { deferred } from "./fake-router.ts";
import { setup } from "./setup.ts";

const echo: Tool = {
  name: "echo",
  description: "repeat a word",
  schema: z.object({ word: z.string().describe("the word") }),
  async run(args: { word: string }) {
    return `echo: ${args.word}`;
  },
};

describe("the tool loop", () => {
  it("runs two calls of one step side by side and returns both results in call order", async () => {
    const { agent, router, tools, sessions, origin } = setup();
    // "first" can only finish after "second" has started: a sequential loop would time out on it
    const secondStarted = deferred();
    tools.register({
      name: "first",
      description: "",
      schema: z.object({}),
      timeoutMs: 2_000,
      run: async () => {
        await secondStarted.promise;
        return "first result";
      },
    });
    tools.register({
      name: "second",
      description: "",
      schema: z.object({}),
      run: async () => {
        secondStarted.resolve();
        return "second result";
      },
    });
    router.push({ text: "Let me check.", calls: [{ name: "first", id: "call_a" }, { name: "second", id: "call_b" }] }, "Both done.");
    const res = await agent.runTurn({ origin, text: "do both" });
    expect(res).toMatchObject({ text: "Both done.", iterations: 1 });
    expect(router.requests).toHaveLength(2);
    expect(router.requests[0]!.req.tools!.map((t) => t.name)).toEqual(["first", "second"]);
    const sent = router.messages(1).slice(1);
    expect(sent).toEqual([
      { role: "user", content: "do both" },
      {
        role: "assistant",
        content: "Let me check.",
        toolCalls: [
          { id: "call_a", name: "first", arguments: "{}" },
          { id: "call_b", name: "second", arguments: "{}" },
        ],
      },
      { role: "tool", content: "first result", toolCallId: "call_a", name: "first" },
      { role: "tool", content: "second result", toolCallId: "call_b", name: "second" },
    ]);
    // the whole exchange is stored, ending with the answer
    expect(sessions.history(origin.sessionKey).map((m) => m.message)).toEqual([...sent, { role: "assistant", content: "Both done." }]);
  });

  it("hands invalid JSON, schema errors, unknown tools, throws and timeouts back to the model and carries on", async () => {
    const { agent, router, tools, origin } = setup();
    tools.register(echo);
    tools.register({ name: "explode", description: "", schema: z.object({}), run: async () => { throw new Error("disk full"); } });
    tools.register({ name: "stuck", description: "", schema: z.object({}), timeoutMs: 20, run: () => new Promise(() => {}) });
    router.push(
      {
        calls: [
          { name: "echo", arguments: "{word: hi}" },
          { name: "echo", arguments: { word: 3 } },
          { name: "search_the_web", arguments: {} },
          { name: "explode" },
          { name: "stuck" },
          { name: "echo", arguments: { word: "ok" } },
        ],
      },
      "I could only echo ok.",
    );
    const res = await agent.runTurn({ origin, text: "try everything" });
    expect(res.text).toBe("I could only echo ok.");
    const results = router.messages(1).filter((m) => m.role === "tool").map((m) => m.content as string);
    expect(results).toHaveLength(6);
    expect(results[0]).toMatch(/^Error: the arguments for echo were not valid JSON/);
    expect(results[1]).toMatch(/^Error: invalid arguments for echo: word: .*expected string/);
    expect(results[2]).toBe('Error: there is no tool named "search_the_web". Available tools: echo, explode, stuck.');
    expect(results[3]).toBe("Error: tool explode failed: disk full");
    expect(results[4]).toBe("Error: stuck did not finish within 20 ms and was stopped");
    expect(results[5]).toBe("echo: ok");
  });

  it("gives the tools the turn's origin", async () => {
    const { agent, router, tools, origin } = setup();
    let seen: unknown;
    tools.register({ name: "whoami", description: "", schema: z.object({}), run: async (_a, ctx) => { seen = ctx.origin; return "ok"; } });
    router.push({ calls: [{ name: "whoami" }] }, "done");
    await agent.runTurn({ origin, text: "who?" });
    expect(seen).toEqual(origin);
  });

  it("collects media from the tools into the result", async () => {
    const { agent, router, tools, origin } = setup();
    tools.register({
      name: "draw",
      description: "",
      schema: z.object({ what: z.string() }),
      run: async (a: { what: string }) => ({ text: `drew ${a.what}`, media: [{ kind: "image", mimeType: "image/png", path: `/tmp/${a.what}.png` }] }),
    });
    router.push({ calls: [{ name: "draw", arguments: { what: "cat" } }] }, { calls: [{ name: "draw", arguments: { what: "dog" } }] }, "Here they are.");
    const res = await agent.runTurn({ origin, text: "draw a cat and a dog" });
    expect(res.media.map((m) => m.path)).toEqual(["/tmp/cat.png", "/tmp/dog.png"]);
    expect(res.iterations).toBe(2);
  });

  it("shows the model the images a tool returned for it, after the step's tool results", async () => {
    const { agent, router, tools, origin } = setup();
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    tools.register({
      name: "screenshot",
      description: "",
      schema: z.object({}),
      run: async () => ({ text: "took a screenshot", media: [{ kind: "image", mimeType: "image/png", data: png }], forModel: [{ mimeType: "image/png", data: png }] }),
    });
    tools.register(echo);
    router.push({ calls: [{ name: "screenshot", arguments: {} }, { name: "echo", arguments: { word: "hi" } }] }, "I see a tiny PNG.");
    const res = await agent.runTurn({ origin, text: "what is on the screen?" });
    const second = router.requests[1]!.req.messages;
    const tail = second.slice(-3);
    expect(tail.map((m) => m.role)).toEqual(["tool", "tool", "user"]);
    expect(tail[2]!.content).toEqual([
      { type: "text", text: "[the image returned by screenshot]" },
      { type: "image", mimeType: "image/png", data: png.toString("base64") },
    ]);
    expect(res.media).toHaveLength(1); // and the person gets it too
  });

  it("stops at max_tool_iterations with a plain sentence and the model's text", async () => {
    const { agent, router, tools, sessions, origin } = setup({ maxToolIterations: 2 });
    tools.register(echo);
    router.otherwise = { text: "Still searching…", calls: [{ name: "echo", arguments: { word: "again" } }] };
    const res = await agent.runTurn({ origin, text: "loop forever" });
    expect(router.requests).toHaveLength(3);
    expect(res.limitHit).toBe(true);
    expect(res.iterations).toBe(2);
    expect(res.text).toBe(`Still searching…\n\n${toolLimitSentence(2)}`);
    expect(res.text).toMatch(/stopped after 2 tool steps/);
    const stored = sessions.history(origin.sessionKey).map((m) => m.message);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant", "tool", "assistant"]);
    expect(stored.at(-1)).toEqual({ role: "assistant", content: res.text }); // no dangling tool calls
  });

  it("a provider failure after tools ran leaves the history unchanged", async () => {
    const { agent, router, tools, sessions, origin } = setup();
    tools.register(echo);
    router.push({ calls: [{ name: "echo", arguments: { word: "x" } }] }, new ProviderError("overloaded", "every candidate is overloaded"));
    await expect(agent.runTurn({ origin, text: "hi" })).rejects.toMatchObject({ reason: "overloaded" });
    expect(sessions.history(origin.sessionKey)).toEqual([]);
  });
});
