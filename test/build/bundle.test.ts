// The bundle `npm install` builds (scripts/build.ts) is what `switchboard`
// runs while it matches the sources (bin/bundle.js). Built here from the
// current sources into a temp directory, it must start the gateway with
// Telegram and Discord, answer on both, serve the control page's own files
// (our modules' paths point at the sources, not the chunks) and load none of
// the sources; a bundle that fell behind the sources is never run.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkBundle, chooseEntry } from "../../bin/bundle.js";
import { buildBundle, MANIFEST, ROOT } from "../../scripts/build.ts";
import { runCli } from "../cli/run-cli.ts";
import { startDaemon, waitFor, writeConfig } from "../e2e/daemon.ts";
import { FakeDiscord } from "../fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { startProxy } from "../channels/discord/proxy.ts";

let work: string;
let dist: string;

beforeAll(async () => {
  // inside the checkout, as dist/ is: the packages left out of the bundle load from its node_modules
  work = mkdtempSync(join(ROOT, ".switchboard-test-bundle-"));
  dist = join(work, "dist");
  await buildBundle(dist);
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the built bundle", () => {
  let llm: FakeLlm;
  let tg: FakeTelegramApi;
  let dc: FakeDiscord;
  beforeAll(async () => {
    llm = await startFakeLlm();
    tg = await FakeTelegramApi.start();
    dc = await FakeDiscord.start();
    llm.setDefault((req) => ({ reply: `echo: ${String((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
  });
  afterAll(async () => {
    await Promise.all([llm.close(), tg.close(), dc.close()]);
  });

  it("starts the gateway with Telegram and Discord, answers on both and loads no source file", async () => {
    const home = join(work, "home");
    mkdirSync(home);
    writeConfig(home, {
      model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1`, api_key: "sk-bundle-test-1234" }],
      agents: { defaults: { model_name: "m" } },
      channels: {
        telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["*"] },
        discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] },
      },
    });
    const modules = join(work, "modules.txt");
    const builtins = join(work, "builtins-at-ready.txt");
    const daemon = await startDaemon(home, {
      SWITCHBOARD_BUNDLE: dist,
      NODE_OPTIONS: `--import=${join(import.meta.dirname, "record-modules.ts")}`,
      SWITCHBOARD_TEST_MODULES_FILE: modules,
      SWITCHBOARD_TEST_BUILTINS_FILE: builtins,
    });
    try {
      await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 30_000);
      tg.userMessage({ chatId: 4242, fromId: 4242, text: "hello from telegram" });
      const [tgReply] = await tg.waitForSent(1, 15_000);
      expect(tgReply!.text).toBe("echo: hello from telegram");
      dc.dm("hello from discord");
      const [dcReply] = await dc.waitForSent(1, 15_000);
      expect(JSON.stringify(dcReply!.body)).toContain("echo: hello from discord");
      // the control page reads its files next to its source module
      const page = await fetch(`${daemon.url}/ui/assets/app.js`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(readFileSync(join(ROOT, "src/ui/public/app.js"), "utf8"));
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    // the gateway's compile cache is kept in its state directory (a systemd unit's private /tmp is empty at every start)
    expect(readdirSync(join(home, "cache", "compile")).length).toBeGreaterThan(0);
    const loaded = readFileSync(modules, "utf8").split("\n");
    expect(loaded).toContain(`file://${join(dist, "main.js")}`);
    expect(loaded.filter((u) => u.startsWith(`file://${ROOT}/src/`) || u.startsWith(`file://${ROOT}/channels/`))).toEqual([]);
    // grammy's node-fetch (with whatwg-url and tr46's Unicode tables) is left out: grammy is always given a fetch
    expect(loaded.filter((u) => /\/node_modules\/(node-fetch|whatwg-url|tr46)\//.test(u))).toEqual([]);
    // nothing else from node_modules either: a package loaded from there beside the bundle's copy (as
    // @discordjs/ws with its own discord-api-types and ws was) is evaluated twice on every start. marked is left
    // out of the bundle (scripts/build.ts): the Markdown parser loads after ready or at the first reply, once
    expect(loaded.filter((u) => u.includes("/node_modules/") && !u.includes("/node_modules/marked/"))).toEqual([]);
    expect(loaded.filter((u) => u.includes("/node_modules/marked/"))).toEqual([`file://${ROOT}/node_modules/marked/lib/marked.esm.js`]);
    // built-ins the start has no use for, each loaded by a dependency or by Node on first touch: node:http2 by
    // fastify's server module (scripts/lazy-deps.ts; ~13 ms of CPU), fs's streams and readline by
    // process.stdin (src/cli/io.ts) or by an ES module import of node:fs (bin/switchboard.js; ~5 ms)
    const atReady = readFileSync(builtins, "utf8").split("\n");
    expect(atReady).toContain("NativeModule http");
    expect(atReady.filter((m) => /^NativeModule (http2|internal\/fs\/streams)$/.test(m))).toEqual([]);
  }, 60_000);

  it("sends Discord's REST calls through channels.discord.proxy (undici, which the bundle imports on first use)", async () => {
    const proxy = await startProxy();
    const home = join(work, "home-proxy");
    mkdirSync(home);
    writeConfig(home, {
      model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1`, api_key: "sk-bundle-test-1234" }],
      agents: { defaults: { model_name: "m" } },
      channels: { discord: { enabled: true, token: dc.token, api_base: dc.apiBase, proxy: proxy.url, allow_from: ["*"] } },
    });
    const daemon = await startDaemon(home, { SWITCHBOARD_BUNDLE: dist });
    try {
      await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 30_000);
      const before = dc.sent.length;
      dc.dm("hello through the proxy");
      const sent = await dc.waitForSent(before + 1, 15_000);
      expect(JSON.stringify(sent.at(-1)!.body)).toContain("echo: hello through the proxy");
      expect(proxy.seen.some((s) => s.includes(new URL(dc.baseUrl).host))).toBe(true);
    } finally {
      expect(await daemon.stop()).toBe(0);
      await proxy.close();
    }
  }, 60_000);

  it("holds only ASCII, so Node keeps each loaded chunk's source at half the size", () => {
    // Node decodes a module holding any non-ASCII byte into UTF-16 and keeps it so (scripts/build.ts)
    const wide = readdirSync(dist)
      .filter((f) => f.endsWith(".js"))
      .flatMap((f) => {
        const at = readFileSync(join(dist, f)).findIndex((byte) => byte > 0x7f);
        return at < 0 ? [] : [`${f} at ${at}`];
      });
    expect(wide).toEqual([]);
  });

  it("takes Node's built-ins without an ES module facade (which reads every export, node:http's lazy undici too)", () => {
    const facades = readdirSync(dist)
      .filter((f) => f.endsWith(".js"))
      .flatMap((f) => [...readFileSync(join(dist, f), "utf8").matchAll(/^import (?!\* as|[\w$]+, \* as)[^\n]* from "(node:[^"]+|http|util|url|buffer|events|stream|path|fs)";$/gm)].map((m) => `${f}: ${m[0]}`));
    expect(facades).toEqual([]);
  });

  it("runs the other commands too", async () => {
    const r = await runCli(["version"], { SWITCHBOARD_BUNDLE: dist, HOME: work });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^switchboard \d+\.\d+\.\d+/);
  });
});

describe("choosing the bundle or the sources", () => {
  const sources = `file://${ROOT}/src/cli/main.ts`;

  it("takes a bundle whose every source file is unchanged", () => {
    expect(checkBundle(ROOT, dist)).toEqual({ entry: `file://${join(dist, "main.js")}` });
    expect(chooseEntry(ROOT, { SWITCHBOARD_BUNDLE: dist })).toEqual({ entry: `file://${join(dist, "main.js")}`, bundle: true });
  });

  it("passes over a bundle built from a file that changed or went missing since", () => {
    const manifest = JSON.parse(readFileSync(join(dist, MANIFEST), "utf8")) as { files: [string, number, number][] };
    const stale = join(work, "stale");
    mkdirSync(stale, { recursive: true });
    const file = manifest.files.find(([rel]) => rel === "src/cli/main.ts")!;
    expect(file[1]).toBe(statSync(join(ROOT, "src/cli/main.ts")).size);
    const write = (files: unknown[]) => writeFileSync(join(stale, MANIFEST), JSON.stringify({ ...manifest, files }));
    write([...manifest.files.filter((f) => f !== file), [file[0], file[1] + 1, file[2]]]);
    expect(checkBundle(ROOT, stale)).toEqual({ stale: "src/cli/main.ts changed since the build" });
    write([...manifest.files, ["src/no-such-file.ts", 1, 1]]);
    expect(checkBundle(ROOT, stale)).toEqual({ stale: "src/no-such-file.ts is gone since the build" });
    // an explicit bundle that cannot run is an error that says how to fix it, not a silent fallback
    expect(() => chooseEntry(ROOT, { SWITCHBOARD_BUNDLE: stale })).toThrow(/src\/no-such-file.ts is gone since the build.*npm run build/);
  });

  it("runs the sources when asked, or when there is no build", () => {
    expect(chooseEntry(ROOT, { SWITCHBOARD_BUNDLE: "off" })).toEqual({ entry: sources, bundle: false });
    const empty = join(work, "no-build");
    mkdirSync(join(empty, "src/cli"), { recursive: true });
    expect(chooseEntry(empty, {})).toEqual({ entry: `file://${empty}/src/cli/main.ts`, bundle: false });
    expect(checkBundle(ROOT, empty)).toEqual({ stale: "it was not built (no build.json)" });
  });
});
