// What a reload reports as changed: key paths only (values may be secrets),
// key order ignored, and which changes wait for a restart.
import { describe, expect, it } from "vitest";
import { changedPaths, restartOnly, summarize } from "../../src/gateway/config-diff.ts";

describe("changedPaths", () => {
  it("names the changed keys, down into lists of objects, and never their values", () => {
    const before = { gateway: { port: 18790, token: "old-secret" }, model_list: [{ model_name: "a", api_key: "k1" }, { model_name: "b" }], agents: { defaults: { fallbacks: ["a"] } } };
    const after = { gateway: { port: 18791, token: "new-secret" }, model_list: [{ model_name: "a", api_key: "k2" }, { model_name: "b" }], agents: { defaults: { fallbacks: ["a", "b"] } } };
    const paths = changedPaths(before, after);
    expect(paths).toEqual(["agents.defaults.fallbacks", "gateway.port", "gateway.token", "model_list[0].api_key"]);
    expect(paths.join(" ")).not.toMatch(/secret|k1|k2/);
  });

  it("ignores key order and reports added and removed keys", () => {
    expect(changedPaths({ a: 1, b: { x: 1, y: 2 } }, { b: { y: 2, x: 1 }, a: 1 })).toEqual([]);
    expect(changedPaths({ a: 1 }, { a: 1, heartbeat: { enabled: true } })).toEqual(["heartbeat"]);
    expect(changedPaths({ channels: { qq: { enabled: true } } }, { channels: {} })).toEqual(["channels.qq"]);
  });
});

describe("restartOnly", () => {
  it("picks the listener settings out of a change list", () => {
    expect(restartOnly(["gateway.host", "gateway.port", "gateway.token", "agents.defaults.model_name"])).toEqual(["gateway.host", "gateway.port"]);
  });
});

describe("summarize", () => {
  it("counts what it leaves out", () => {
    expect(summarize(["a", "b", "c"], 2)).toBe("a, b and 1 more");
  });
});
