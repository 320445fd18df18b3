// `switchboard reload` and POST /reload against the real daemon (started
// without the file watcher, so only these requests reload): the outcome,
// refusals with key paths, restart-only settings, and a token change.
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import { startDaemon, waitFor, writeConfig } from "./daemon.ts";
import { llm, run, tg, useFakes } from "./fakes-fixture.ts";

const OWNER = 1001;
useFakes({ homePrefix: "sb-reload-cli-" });

function config(over: { model?: string; token?: string; port?: number; dmScope?: string } = {}) {
  return {
    model_list: [
      { model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" },
      { model_name: "backup", model: "openai/backup-model", api_base: `${llm.url}/v1`, api_key: "sk-backup-1234567890" },
    ],
    agents: { defaults: { model_name: over.model ?? "main" } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [String(OWNER)] } },
    gateway: { ...(over.token ? { token: over.token } : {}), ...(over.port ? { port: over.port } : {}) },
    ...(over.dmScope ? { session: { dm_scope: over.dmScope } } : {}),
  };
}

const cli = (...args: string[]) => runCli(["reload", ...args], { SWITCHBOARD_HOME: run.home, HOME: run.home });
const postReload = (token?: string) => fetch(`${run.daemon!.url}/reload`, { method: "POST", headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("switchboard reload and POST /reload", () => {
  it("reports what changed, what needs a restart and what was refused; follows a token change", async () => {
    writeConfig(run.home, config({ token: "first-token" }));
    const daemon = (run.daemon = await startDaemon(run.home, {}, ["--no-watch-config"]));
    await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 15_000);

    writeConfig(run.home, config({ token: "first-token", model: "backup", port: 18799 }));
    const applied = await cli();
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^reload applied/);
    expect(applied.stdout).toContain("agents.defaults.model_name");
    expect(applied.stdout).toContain("needs a restart: gateway.port changed: restart to apply");
    tg.userMessage({ chatId: OWNER, fromId: OWNER, text: "which model?" });
    await waitFor(() => llm.requests[0], "the model call");
    expect(llm.requests[0]!.body.model).toBe("backup-model");
    const api = await fetch(`${daemon.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer first-token" },
      body: JSON.stringify({ messages: [{ role: "user", content: "and through the API?" }] }),
    });
    expect(api.status).toBe(200);
    expect(llm.requests.at(-1)!.body.model).toBe("backup-model");

    writeConfig(run.home, config({ token: "first-token", model: "backup", port: 18799, dmScope: "nobody" }));
    expect((await postReload()).status).toBe(401);
    const res = await postReload("first-token");
    expect(res.status).toBe(422);
    const body = (await res.json()) as { result: string; reason: string; problems: { path: string }[] };
    expect(body.result).toBe("refused");
    expect(body.problems.map((p) => p.path)).toContain("session.dm_scope");
    const refused = await cli();
    expect(refused.code).toBe(78);
    expect(refused.stdout).toMatch(/^reload refused/);
    expect(refused.stdout).toContain("session.dm_scope");

    // the file now names a new token the gateway does not hold yet: the command still gets the reload through
    writeConfig(run.home, config({ token: "second-token", model: "backup", port: 18799 }));
    const tokenChange = await cli("--json");
    expect(tokenChange.code).toBe(0);
    const outcome = JSON.parse(tokenChange.stdout) as { result: string; changed: string[] };
    expect(outcome.result).toBe("applied");
    expect(outcome.changed).toContain("gateway.token");
    expect((await postReload("first-token")).status).toBe(401);
    const again = (await (await postReload("second-token")).json()) as { result: string };
    expect(again.result).toBe("unchanged");
  });

  it("refuses to start on a value the adapter rejects: exit 78 naming the key, not an unexpected error", async () => {
    writeConfig(run.home, { ...config(), channels: { whatsapp: { enabled: true, bridge_url: "http://localhost:3001" } } });
    const r = await runCli(["gateway"], { SWITCHBOARD_HOME: run.home, HOME: run.home, SWITCHBOARD_GATEWAY_PORT: "0" });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/channels\.whatsapp\.bridge_url/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it("says plainly when no gateway runs", async () => {
    const r = await cli();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no running gateway found/);
  });
});
