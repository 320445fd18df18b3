// End to end through the real binary: `switchboard agent -m` with an MCP
// server from npm in the config and an OpenAI-compatible fake model over
// HTTP. The model calls the server's tool, the result goes back to it, the
// reply is printed; a config whose server command is missing still answers.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { runCli } from "../cli/run-cli.ts";
import { EVERYTHING_BIN } from "./everything.ts";

let llm: FakeLlm;
const homes: string[] = [];
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm.close());
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  llm.requests.length = 0;
});

function home(mcp: unknown): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "sb-mcp-e2e-"));
  homes.push(dir);
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({ model_list: [{ model_name: "m", model: "openai/fake", api_base: `${llm.url}/v1`, api_key: "sk-test-123456" }], mcp: { servers: mcp } }),
  );
  return { SWITCHBOARD_HOME: dir, HOME: dir, SWITCHBOARD_LOG_LEVEL: "error" };
}

describe("switchboard agent with an MCP server", () => {
  it("the model calls the server's tool and answers with its result", async () => {
    const env = home({ everything: { command: process.execPath, args: [EVERYTHING_BIN, "stdio"] } });
    llm.script({ toolCalls: [{ name: "everything__get-sum", arguments: { a: 40, b: 2 } }] }, (req) => {
      const last = (req.body.messages as { role: string; content: string }[]).at(-1)!;
      return { reply: `tool said ${last.role}: ${last.content}` };
    });
    const r = await runCli(["agent", "-m", "what is 40 + 2?"], env, undefined, 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tool said tool: .*42/);
    const tools = (llm.requests[0]!.body.tools as { function: { name: string; parameters: unknown } }[]).map((t) => t.function);
    expect(tools.find((t) => t.name === "everything__get-sum")?.parameters).toMatchObject({ type: "object", required: ["a", "b"] });
  }, 90_000);

  it("a missing server command does not stop the agent", async () => {
    const env = home({ ghost: { command: "/nonexistent/ghost-mcp" } });
    llm.script({ reply: "still here" });
    const r = await runCli(["agent", "-m", "hi"], env, undefined, 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("still here");
  }, 90_000);
});
