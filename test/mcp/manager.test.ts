// MCP servers against a real third-party server from npm
// (@modelcontextprotocol/server-everything) over stdio and streamable HTTP:
// its tools reach the model with their own schemas, a call round-trips
// through a scripted model, and a missing server leaves the agent answering.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { McpManager } from "../../src/mcp/manager.ts";
import { join } from "node:path";
import { setup, tempWorkspace } from "../agent/setup.ts";
import { spec, startHttpEverything, stdioSpec, type HttpServer } from "./everything.ts";

const managers: McpManager[] = [];
const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function managerFor(tools: ConstructorParameters<typeof McpManager>[0]["tools"], delay = () => 60_000) {
  const m = new McpManager({ tools, logger: silentLogger(), delay });
  managers.push(m);
  return m;
}

describe("MCP over stdio", () => {
  it("lists the server's tools with their own schemas, named <server>__<tool>", async () => {
    const { tools } = setup();
    const m = managerFor(tools);
    await m.apply([stdioSpec("everything")]);
    await m.settled(20_000);
    const [s] = m.status();
    expect(s).toMatchObject({ name: "everything", state: "ready", transport: "stdio" });
    expect(s!.tools).toBeGreaterThan(3);
    const echo = tools.specs().find((t) => t.name === "everything__echo");
    expect(echo?.description).toMatch(/echo/i);
    expect(echo?.parameters).toMatchObject({ type: "object", properties: { message: { type: "string" } }, required: ["message"] });
    expect(tools.names()).toContain("everything__get-sum");
  }, 30_000);

  it("a call round-trips through a scripted model and the reply uses the result", async () => {
    const { agent, router, tools, origin } = setup();
    const m = managerFor(tools);
    await m.apply([stdioSpec("everything")]);
    await m.settled(20_000);
    router.push({ calls: [{ name: "everything__get-sum", arguments: { a: 19, b: 23 } }] }, (req) => {
      const result = req.messages.at(-1)!;
      return `the server said: ${String(result.content)}`;
    });
    const res = await agent.runTurn({ origin, text: "add 19 and 23" });
    expect(res.text).toMatch(/42/);
    expect(router.requests[0]!.req.tools?.map((t) => t.name)).toContain("everything__get-sum");
  }, 30_000);

  it("images come back as media for the person and as an image the model sees", async () => {
    const { tools, origin } = setup();
    const m = managerFor(tools);
    await m.apply([stdioSpec("everything")]);
    await m.settled(20_000);
    const out = await tools.execute({ id: "1", name: "everything__get-tiny-image", arguments: "{}" }, { origin, signal: new AbortController().signal, logger: silentLogger(), clock: { now: () => Date.now() } as never });
    expect(out.error).toBeUndefined();
    expect(out.media[0]).toMatchObject({ kind: "image", mimeType: "image/png" });
    expect(out.media[0]!.data!.subarray(1, 4).toString()).toBe("PNG");
    expect(out.text).toMatch(/image \(image\/png\) returned/);
    // the same bytes go to the model (the agent adds them after the step's tool results)
    expect(out.forModel).toHaveLength(1);
    expect(out.forModel![0]!.mimeType).toBe("image/png");
    expect(out.forModel![0]!.data.equals(out.media[0]!.data!)).toBe(true);
  }, 30_000);

  it("allow and deny lists decide which tools the model sees", async () => {
    const { tools } = setup();
    const m = managerFor(tools);
    await m.apply([stdioSpec("everything", { allow: ["get-*", "echo"], deny: ["get-env"] })]);
    await m.settled(20_000);
    const names = tools.names().filter((n) => n.startsWith("everything__"));
    expect(names).toContain("everything__echo");
    expect(names).toContain("everything__get-sum");
    expect(names).not.toContain("everything__get-env");
    expect(names.every((n) => n === "everything__echo" || n.startsWith("everything__get-"))).toBe(true);
  }, 30_000);

  it("a missing command leaves the agent answering; status shows why", async () => {
    const { agent, router, tools, origin } = setup();
    const m = managerFor(tools);
    await m.apply([spec({ name: "ghost", command: "/nonexistent/mcp-server-ghost" }), stdioSpec("everything")]);
    await m.settled(20_000);
    const ghost = m.status().find((s) => s.name === "ghost")!;
    expect(ghost.state).toBe("failed");
    expect(ghost.error).toMatch(/not found.*mcp\.servers\.ghost\.command/);
    router.push("hello!");
    expect((await agent.runTurn({ origin, text: "hi" })).text).toBe("hello!");
    expect(tools.names()).toContain("everything__echo");
  }, 30_000);

  it("restarts a server whose process died, with backoff", async () => {
    const { tools } = setup();
    const m = managerFor(tools, () => 50);
    await m.apply([stdioSpec("everything")]);
    await m.settled(20_000);
    const server = (m as unknown as { entries: Map<string, { server: { client: { transport: { pid: number } } } }> }).entries.get("everything")!.server;
    process.kill(server.client.transport.pid, "SIGKILL");
    await waitFor(() => m.status()[0]!.restarts >= 1 && m.status()[0]!.state === "ready");
    expect(tools.names()).toContain("everything__echo");
  }, 30_000);

  it("apply adds and removes servers live, and removed servers' tools go", async () => {
    const { tools } = setup();
    const m = managerFor(tools);
    await m.apply([stdioSpec("one")]);
    await m.settled(20_000);
    const r = await m.apply([stdioSpec("two")]);
    expect(r).toMatchObject({ started: ["two"], stopped: ["one"] });
    await m.settled(20_000);
    expect(tools.names().some((n) => n.startsWith("one__"))).toBe(false);
    expect(tools.names()).toContain("two__echo");
    const same = await m.apply([stdioSpec("two")]);
    expect(same.unchanged).toEqual(["two"]);
  }, 40_000);
});

describe("lazy MCP servers", () => {
  it("start on the first call, with the tool list remembered from an earlier run", async () => {
    const cacheFile = join(tempWorkspace(false), "state", "mcp-tools.json");
    const first = setup();
    const m1 = new McpManager({ tools: first.tools, logger: silentLogger(), cacheFile, delay: () => 60_000 });
    managers.push(m1);
    await m1.apply([stdioSpec("lazy", { lazy: true })]);
    await m1.settled(20_000);
    expect(m1.status()[0]!.state).toBe("ready"); // no list yet: started once to learn it
    await m1.close();

    const second = setup();
    const m2 = new McpManager({ tools: second.tools, logger: silentLogger(), cacheFile, delay: () => 60_000 });
    managers.push(m2);
    await m2.apply([stdioSpec("lazy", { lazy: true })]);
    expect(m2.status()[0]).toMatchObject({ state: "idle", lazy: true });
    expect(second.tools.names()).toContain("lazy__echo");
    second.router.push({ calls: [{ name: "lazy__echo", arguments: { message: "wake up" } }] }, (req) => String(req.messages.at(-1)!.content));
    expect((await second.agent.runTurn({ origin: second.origin, text: "echo" })).text).toBe("Echo: wake up");
    expect(m2.status()[0]!.state).toBe("ready");
  }, 40_000);
});

describe("MCP over streamable HTTP", () => {
  it("connects, lists tools and calls one", async () => {
    const http = await startHttpEverything();
    servers.push(http);
    const { agent, router, tools, origin } = setup();
    const m = managerFor(tools);
    await m.apply([spec({ name: "remote", transport: "http", sseFallback: true, url: http.url })]);
    await m.settled(20_000);
    expect(m.status()[0]).toMatchObject({ state: "ready", transport: "http" });
    router.push({ calls: [{ name: "remote__echo", arguments: { message: "over http" } }] }, (req) => `got: ${String(req.messages.at(-1)!.content)}`);
    const res = await agent.runTurn({ origin, text: "echo over http" });
    expect(res.text).toBe("got: Echo: over http");
  }, 30_000);

  it("an unreachable URL is a failed server, not a crash", async () => {
    const { tools } = setup();
    const m = managerFor(tools);
    await m.apply([spec({ name: "down", transport: "http", sseFallback: true, url: "http://127.0.0.1:9/mcp", headers: { Authorization: "Bearer sk-secret-123456" } })]);
    await m.settled(20_000);
    const s = m.status()[0]!;
    expect(s.state).toBe("failed");
    expect(s.error).toBeTruthy();
    expect(JSON.stringify(s)).not.toContain("sk-secret-123456");
  }, 30_000);
});

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
