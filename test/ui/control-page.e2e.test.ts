// The control page in a real browser (Debian's Chromium driven by
// playwright-core) against the real daemon, the fake Telegram Bot API and
// the fake model: log in, see the channel and the model, approve a stranger
// with a click and watch their next message reach the model, edit the config
// (check, diff, apply) and see the change live; without the token, nothing.
// Screenshots go to the test's temp folder.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "ui-test-token-7d1f";
const STRANGER = 200;

let home: string;
let shots: string;
let llm: FakeLlm;
let tg: FakeTelegramApi;
let daemon: RunningDaemon;
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the control page test needs Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);
  home = mkdtempSync(join(tmpdir(), "sb-ui-"));
  shots = join(home, "screenshots");
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
  llm.setDefault((req) => ({ reply: `answered by ${String(req.body.model)}` }));
  writeConfig(home, {
    gateway: { token: TOKEN },
    model_list: [
      { model_name: "alpha", model: "openai/alpha-model", api_base: `${llm.url}/v1`, api_key: "sk-alpha-secret" },
      { model_name: "beta", model: "openai/beta-model", api_base: `${llm.url}/v1`, api_key: "sk-beta-secret" },
    ],
    agents: { defaults: { model_name: "alpha" } },
    // nobody on allow_from: strangers get a pairing code, which the page approves
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: [] } },
  });
  daemon = await startDaemon(home);
  await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 20_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await Promise.all([llm?.close(), tg?.close()]);
  if (process.env.SWITCHBOARD_KEEP_SCREENSHOTS !== "1") rmSync(home, { recursive: true, force: true });
});

const lastModelCall = () => llm.requests.at(-1)?.body as { model?: string; messages?: { content: unknown }[] } | undefined;
const sawText = (text: string) => llm.requests.some((r) => JSON.stringify(r.body.messages).includes(text));

describe("control page in a browser", () => {
  it("shows nothing without logging in", async () => {
    const res = await fetch(`${daemon.url}/ui/api/state`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("telegram");
    await page.goto(`${daemon.url}/ui`);
    await page.waitForSelector("input[name=token]");
    expect(await page.locator("body").innerText()).not.toMatch(/telegram|alpha/);
    await shot("1-login");
  });

  it("logs in with the token and shows Telegram online and the model entries", async () => {
    await page.fill("input[name=token]", TOKEN);
    await page.click("button[type=submit]");
    const row = page.locator("tr[data-channel=telegram]");
    await row.waitFor();
    expect(await row.innerText()).toContain("online");
    await shot("2-channels");
    await page.click("nav >> text=Models");
    await page.locator("tr[data-entry]").first().waitFor();
    const models = await page.locator("table").first().innerText();
    expect(models).toContain("alpha");
    expect(models).toContain("beta");
    expect(await page.content()).not.toContain("sk-alpha-secret");
    await shot("3-models");
  });

  it("shows a stranger's pairing request live, approves it with a click, and the stranger's next message reaches the model", async () => {
    await page.click("nav >> text=Pairing");
    await page.waitForSelector("text=Nobody is waiting.");
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "let me in", firstName: "Stranger" });
    const request = page.locator("tr[data-code]");
    await request.waitFor({ timeout: 10_000 }); // arrives over Server-Sent Events, no reload
    expect(sawText("let me in")).toBe(false);
    await shot("4-pairing-request");
    await request.locator("button", { hasText: "Approve" }).click();
    await page.waitForSelector("text=Nobody is waiting.");
    await shot("5-approved");
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "hello after approval", firstName: "Stranger" });
    await waitFor(() => sawText("hello after approval") || undefined, "the stranger's message at the model", 15_000);
    // and they were told they can chat now
    expect(tg.sent.some((m) => String(m.chat_id) === String(STRANGER) && /approved/.test(m.text ?? ""))).toBe(true);
  });

  it("checks a config edit, shows its diff, applies it, and the change is live", async () => {
    await page.click("nav >> text=Config");
    const editor = page.locator("textarea");
    await editor.waitFor();
    const text = await editor.inputValue();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("sk-beta-secret");
    expect(text).toContain("‹secret");
    const edited = text.replace(/("agents"[\s\S]*?"model_name":\s*)"alpha"/, '$1"beta"');
    expect(edited).not.toBe(text);
    await editor.fill(edited);
    await page.click("button:has-text('Check')");
    await page.waitForSelector("text=Valid.");
    const diff = await page.locator("pre.diff").innerText();
    expect(diff).toMatch(/-\s+"model_name": "alpha"/);
    expect(diff).toMatch(/\+\s+"model_name": "beta"/);
    expect(diff).not.toContain("sk-");
    await shot("6-config-diff");
    await page.click("button:has-text('Apply')");
    await page.waitForSelector("[role=status] >> text=Applied");
    await shot("7-config-applied");
    const before = llm.requests.length;
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "which model now?" });
    await waitFor(() => (llm.requests.length > before && sawText("which model now?")) || undefined, "a turn after the edit", 15_000);
    expect(lastModelCall()?.model).toBe("beta-model");
    // the secrets came back from their placeholders: the model key still works and the token still guards the API
    expect((await fetch(`${daemon.url}/status`)).status).toBe(401);
    expect((await fetch(`${daemon.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it("refuses a config the gateway cannot run, and keeps serving", async () => {
    const editor = page.locator("textarea");
    const text = await editor.inputValue();
    await editor.fill(text.replace('"enabled": true', '"enabled": "yes please"'));
    await page.click("button:has-text('Check')");
    await page.waitForSelector("text=Not valid:");
    await page.click("button:has-text('Apply')");
    await page.waitForSelector("[role=status] >> text=Refused");
    expect(await page.locator("[role=status]").innerText()).toContain("channels.telegram.enabled");
    await shot("8-config-refused");
    const before = llm.requests.length;
    tg.userMessage({ chatId: STRANGER, fromId: STRANGER, text: "still there?" });
    await waitFor(() => llm.requests.length > before || undefined, "a turn after the refusal", 15_000);
  });
});
