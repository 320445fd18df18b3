import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { MAX_TOOL_RESULT_CHARS, parametersSchema, ToolRegistry } from "../../src/tools/registry.ts";
import { ToolError, type Tool, type ToolContext } from "../../src/tools/types.ts";

function ctx(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { origin: { sessionKey: "s", channel: "cli", chatId: "c" }, signal, logger: silentLogger(), clock: new ManualClock() };
}

const weatherArgs = z.object({
  city: z.string().min(1).describe("City name, e.g. Lisbon"),
  days: z.number().int().min(1).max(7).optional().describe("How many days to forecast"),
  units: z.enum(["metric", "imperial"]).default("metric"),
});

const weather: Tool<typeof weatherArgs> = {
  name: "weather",
  description: "Forecast for a city",
  schema: weatherArgs,
  async run(args) {
    return `${args.city}: ${args.days ?? 1} day(s), ${args.units}`;
  },
};

function registry(...tools: Tool[]): ToolRegistry {
  const r = new ToolRegistry();
  for (const t of tools) r.register(t);
  return r;
}

const call = (name: string, args: string | object, id = "c1") => ({
  id,
  name,
  arguments: typeof args === "string" ? args : JSON.stringify(args),
});

describe("specs", () => {
  it("turns a zod schema with optional, described and defaulted fields into a provider-friendly JSON schema", () => {
    const specs = registry(weather as Tool).specs();
    expect(specs).toEqual([
      {
        name: "weather",
        description: "Forecast for a city",
        parameters: {
          type: "object",
          properties: {
            city: { type: "string", minLength: 1, description: "City name, e.g. Lisbon" },
            days: { type: "integer", minimum: 1, maximum: 7, description: "How many days to forecast" },
            units: { type: "string", enum: ["metric", "imperial"], default: "metric" },
          },
          required: ["city"],
        },
      },
    ]);
    expect(JSON.stringify(specs)).not.toContain("$schema");
  });

  it("drops the ±2^53 bounds zod puts on plain integers and gives argument-less tools an empty object", () => {
    const p = parametersSchema(z.object({ n: z.number().int() }));
    expect(p).toEqual({ type: "object", properties: { n: { type: "integer" } }, required: ["n"] });
    expect(parametersSchema(z.object({}))).toMatchObject({ type: "object", properties: {} });
  });

  it("refuses non-object schemas, bad names and duplicates at registration", () => {
    const r = new ToolRegistry();
    expect(() => r.register({ ...weather, name: "scalar", schema: z.string() } as Tool)).toThrow(/z\.object/);
    expect(() => r.register({ ...weather, name: "has space" } as Tool)).toThrow(/not allowed/);
    r.register(weather as Tool);
    expect(() => r.register(weather as Tool)).toThrow(/already registered/);
    expect(r.has("weather")).toBe(true);
    expect(r.has("scalar")).toBe(false);
    expect(r.names()).toEqual(["weather"]);
  });
});

describe("execute", () => {
  it("validates and runs a call", async () => {
    const res = await registry(weather as Tool).execute(call("weather", { city: "Lisbon", days: 3 }), ctx());
    expect(res).toEqual({ text: "Lisbon: 3 day(s), metric", media: [] });
  });

  it("treats empty arguments as an empty object", async () => {
    const noArgs: Tool = { name: "now", description: "time", schema: z.object({}), run: async () => "noon" };
    expect((await registry(noArgs).execute(call("now", ""), ctx())).text).toBe("noon");
  });

  it("tells the model when the arguments are not valid JSON", async () => {
    const res = await registry(weather as Tool).execute(call("weather", '{"city": "Lis'), ctx());
    expect(res.error).toMatch(/not valid JSON/);
    expect(res.text).toMatch(/^Error: the arguments for weather were not valid JSON/);
  });

  it("lists every invalid field with its path and problem", async () => {
    const res = await registry(weather as Tool).execute(call("weather", { city: 5, days: 9 }), ctx());
    expect(res.error).toMatch(/^invalid arguments for weather: /);
    expect(res.text).toMatch(/city: .*expected string/);
    expect(res.text).toMatch(/days: .*<=7/);
    const nested: Tool = {
      name: "nested",
      description: "",
      schema: z.object({ items: z.array(z.object({ qty: z.number() })) }),
      run: async () => "",
    };
    const n = await registry(nested).execute(call("nested", { items: [{ qty: 1 }, { qty: "x" }] }), ctx());
    expect(n.text).toMatch(/items\.1\.qty: /);
  });

  it("names the available tools when the model calls an unknown one", async () => {
    const other: Tool = { name: "clock", description: "", schema: z.object({}), run: async () => "" };
    const res = await registry(weather as Tool, other).execute(call("wether", {}), ctx());
    expect(res.error).toBe('there is no tool named "wether". Available tools: weather, clock.');
  });

  it("returns a ToolError's message as it is and wraps other throws", async () => {
    const picky: Tool = { name: "picky", description: "", schema: z.object({}), run: async () => { throw new ToolError("the city is not in the database"); } };
    const broken: Tool = { name: "broken", description: "", schema: z.object({}), run: () => { throw new TypeError("x is undefined"); } };
    const r = registry(picky, broken);
    expect((await r.execute(call("picky", {}), ctx())).text).toBe("Error: the city is not in the database");
    expect((await r.execute(call("broken", {}), ctx())).error).toBe("tool broken failed: x is undefined");
  });

  it("stops a tool at its timeout, aborting the signal it was given, even when it ignores the signal", async () => {
    let seen: AbortSignal | undefined;
    const hangs: Tool = {
      name: "hangs",
      description: "",
      schema: z.object({}),
      timeoutMs: 30,
      run: (_a, c) => {
        seen = c.signal;
        return new Promise(() => {});
      },
    };
    const res = await registry(hangs).execute(call("hangs", {}), ctx());
    expect(res.error).toBe("hangs did not finish within 30 ms and was stopped");
    expect(seen?.aborted).toBe(true);
  });

  it("propagates the turn's own cancellation instead of turning it into a result", async () => {
    const ac = new AbortController();
    const waits: Tool = { name: "waits", description: "", schema: z.object({}), run: () => new Promise(() => {}) };
    const pending = registry(waits).execute(call("waits", {}), ctx(ac.signal));
    ac.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
  });

  it("caps long results with a note and passes media through", async () => {
    const big: Tool = {
      name: "big",
      description: "",
      schema: z.object({}),
      run: async () => ({ text: "x".repeat(MAX_TOOL_RESULT_CHARS + 500), media: [{ kind: "image", mimeType: "image/png", url: "http://127.0.0.1/a.png" }] }),
    };
    const res = await registry(big).execute(call("big", {}), ctx());
    expect(res.text.length).toBeLessThan(MAX_TOOL_RESULT_CHARS + 200);
    expect(res.text).toMatch(/\[result cut: 500 more characters were left out\]$/);
    expect(res.media).toEqual([{ kind: "image", mimeType: "image/png", url: "http://127.0.0.1/a.png" }]);
  });
});
