// The real `switchboard` command on peer configs and on paths that are wrong.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";

const peers = join(import.meta.dirname, "../fixtures/peers");
let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-cli-config-"));
  env = { HOME: dir, SWITCHBOARD_HOME: join(dir, "home") };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("config validate on the peers' files", () => {
  for (const f of ["picoclaw/2026-05-13-web-auto.json", "picoclaw/2026-06-07-v3-channel-list.json", "picoclaw/v3-security/config.json", "openclaw/expanded.json5"]) {
    it(`${f}: warnings only, exit 0`, async () => {
      const run = await runCli(["--config", join(peers, f), "config", "validate"], env);
      expect(run.stderr).not.toMatch(/invalid configuration/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/is valid/);
    });
  }
});

describe("--config naming a file that does not exist", () => {
  const missing = () => join(dir, "no-such-config.json");
  for (const args of [["config", "validate"], ["config", "get", "gateway.port"], ["config", "set", "gateway.port", "1"], ["status"], ["agent", "-m", "hi"], ["doctor"], ["cron", "list"], ["version"]]) {
    it(`${args.join(" ")}: exit 78 naming the path`, async () => {
      const run = await runCli(["--config", missing(), ...args], env);
      expect(run.code).toBe(78);
      expect(run.stderr).toContain(`${missing()} does not exist`);
    });
  }

  it("an empty config file is an error, not the embedded defaults", async () => {
    const file = join(dir, "empty.json");
    writeFileSync(file, "\n");
    const run = await runCli(["--config", file, "config", "validate"], env);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/the file is empty/);
  });

  it("a missing file at the default location still means the embedded defaults", async () => {
    const run = await runCli(["config", "validate"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/embedded defaults apply/);
  });
});

describe("config set", () => {
  it("edits a JSON5 file with comments and a missing comma, atomically, keeping its mode", async () => {
    const file = join(dir, "config.json");
    writeFileSync(file, '// mine\n{\n  "gateway": { "port": 18790 }\n  "session": { dm_scope: "main", },\n  _comment: "notes",\n}\n');
    chmodSync(file, 0o640);
    const run = await runCli(["--config", file, "config", "set", "channels.telegram.allow_from", '["123"]'], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = JSON.parse(readFileSync(file, "utf8"));
    expect(written).toMatchObject({ gateway: { port: 18790 }, session: { dm_scope: "main" }, channels: { telegram: { allow_from: ["123"] } } });
    expect(statSync(file).mode & 0o777).toBe(0o640);
    const check = await runCli(["--config", file, "config", "validate"], env);
    expect(check.code).toBe(0);
  });

  it("works on a PicoClaw v3 file", async () => {
    const file = join(dir, "config.json");
    copyFileSync(join(peers, "picoclaw/2026-06-07-v3-channel-list.json"), file);
    const run = await runCli(["--config", file, "config", "set", "agents.defaults.model_name", "deepseek"], env);
    expect(run.code).toBe(0);
    const got = await runCli(["--config", file, "config", "get", "agents.defaults.model_name"], env);
    expect(got.stdout.trim()).toBe("deepseek");
  });
});

describe("migrate --from", () => {
  it("openclaw: writes a config whose telegram has its token and allow-list, and lists what was dropped", async () => {
    const target = join(dir, "switchboard.json");
    const run = await runCli(["--config", target, "migrate", "--from", "openclaw", "--source", join(peers, "openclaw/expanded.json5")], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/dropped auth: OAuth sign-in profiles are not supported/);
    expect(run.stderr).toMatch(/dropped channels\.slack: Switchboard has no such channel/);
    expect(run.stderr).not.toMatch(/unknown key/);
    const written = JSON.parse(readFileSync(target, "utf8"));
    expect(written.channels.telegram).toMatchObject({ enabled: true, token: "fx-oc-telegram-1010", allow_from: ["101010101"] });
    const check = await runCli(["--config", target, "config", "validate"], env);
    expect(check.code).toBe(0);
    expect(check.stderr).not.toMatch(/unknown key/);
  });

  it("picoclaw: folds .security.yml from beside the source into the written file", async () => {
    const target = join(dir, "switchboard.json");
    const run = await runCli(["--config", target, "migrate", "--from", "picoclaw", "--source", join(peers, "picoclaw/v3-security/config.json")], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/secrets from \.security\.yml folded in/);
    const written = JSON.parse(readFileSync(target, "utf8"));
    expect(written.channels.telegram).toMatchObject({ enabled: true, token: "fx-sec-telegram-token", allow_from: ["100200300"] });
    expect(written.model_list[0].api_keys).toEqual(["fx-sec-openai-1", "fx-sec-openai-2"]);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });
});
