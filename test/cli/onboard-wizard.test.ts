// The onboarding wizard driven through a pseudo-terminal (python3's pty
// module as the keyboard): a typo is asked again, the API key is masked, a
// key the model refuses is caught by the live test and entered again, a
// channel's token is checked with its platform, a gateway token is generated.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { BIN } from "./run-cli.ts";

const DRIVER = join(import.meta.dirname, "pty-driver.py");
const hasPython = spawnSync("python3", ["-c", "import pty"]).status === 0;

let llm: FakeLlm;
let tg: FakeTelegramApi;
beforeAll(async () => {
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
});
afterAll(async () => Promise.all([llm.close(), tg.close()]));

const ENTER = "\r";
const DOWN = "\x1b[B";
const SPACE = " ";

function drive(steps: { expect: string; send: string }[], args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "sb-pty-"));
  writeFileSync(join(dir, "steps.json"), JSON.stringify(steps));
  return new Promise((resolve) => {
    const child = spawn("python3", [DRIVER, join(dir, "steps.json"), "--", process.execPath, BIN, ...args], { env: { PATH: process.env.PATH, TERM: "xterm-256color", ...env } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe.skipIf(!hasPython)("switchboard onboard on a terminal", () => {
  it("walks a person through provider, live model test, channels and token", async () => {
    const home = mkdtempSync(join(tmpdir(), "sb-wizard-"));
    // re-running onboard keeps a channel's other settings: here, where its API lives
    writeFileSync(join(home, "config.json"), JSON.stringify({ channels: { telegram: { enabled: false, api_base: tg.url } } }));
    llm.setDefault((req) => (req.headers.authorization === "Bearer sk-right-key-123" ? { reply: "pong" } : { status: 401 }));
    const steps = [
      { expect: "Which model provider", send: ENTER }, // litellm-api-key, the first
      { expect: "Base URL", send: `not a url${ENTER}` },
      { expect: "is not a URL", send: `\x15${llm.url}${ENTER}` }, // Ctrl-U clears the typo
      { expect: "API key", send: `sk-wrong-key-999${ENTER}` },
      { expect: "Model name", send: `gpt-4${ENTER}` },
      { expect: "did not answer: auth", send: ENTER }, // "enter the API key again"
      { expect: "API key", send: `sk-right-key-123${ENTER}` },
      { expect: "answered in \\d+ ms", send: "" },
      { expect: "Which chat channels", send: `${SPACE}${ENTER}` }, // Telegram, the first
      { expect: "Telegram token", send: `999:wrong${ENTER}` },
      { expect: "What now with Telegram", send: ENTER }, // enter the credentials again
      { expect: "Telegram token", send: `${tg.token}${ENTER}` },
      { expect: "Telegram accepted the credentials", send: "" },
      { expect: "Who may talk to the bot", send: `1001${ENTER}` },
      { expect: "Install Switchboard as a systemd user service", send: ENTER }, // No (the default)
    ];
    const r = await drive(steps, ["onboard", "--force"], { HOME: home, SWITCHBOARD_HOME: home });
    expect(r.out).not.toContain("timed out waiting");
    expect(r.code, r.out).toBe(0);
    // secrets never echo
    expect(r.out).not.toContain("sk-right-key-123");
    expect(r.out).not.toContain("sk-wrong-key-999");
    expect(r.out).not.toContain(tg.token);
    const cfg = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { model_list: { api_key: string; api_base: string }[]; channels: { telegram: { token: string; api_base: string; allow_from: string[]; enabled: boolean } }; gateway: { token: string } };
    expect(cfg.model_list[0]).toMatchObject({ api_key: "sk-right-key-123", api_base: `${llm.url}/v1` });
    expect(cfg.channels.telegram).toMatchObject({ enabled: true, token: tg.token, api_base: tg.url, allow_from: ["1001"] });
    expect(cfg.gateway.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(r.out).toContain(cfg.gateway.token);
    rmSync(home, { recursive: true, force: true });
  }, 90_000);
});
