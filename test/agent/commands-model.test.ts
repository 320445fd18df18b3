// /model, /status and /help with a session's own model choice, on the real
// SQLite key/value table (the choice must survive a restart).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { CHAT_COMMANDS, commandMenu } from "../../src/agent/commands.ts";
import { chatModelNames, kvSessionModels } from "../../src/agent/session-model.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { setup } from "./setup.ts";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-model-"));
  dirs.push(dir);
  return join(dir, "switchboard.db");
}

function open(file: string): Store {
  const s = openStore(file);
  stores.push(s);
  return s;
}

const NAMES = ["fake", "smart", "Local-Small"];

function withModels(file = dbFile(), names = NAMES) {
  const store = open(file);
  const models = kvSessionModels(sqliteBackend(store).kv, () => names);
  return { ...setup({ sessionModels: models }), store, models, file };
}

describe("/model", () => {
  it("lists the configured names, marks this chat's and the default", async () => {
    const { agent, origin, router } = withModels();
    const res = await agent.runTurn({ origin, text: "/model" });
    expect(res.command).toBe("/model");
    expect(res.text.split("\n")).toEqual(["Models:", "- `fake` (default, in use)", "- `smart`", "- `Local-Small`", "", "Switch with /model <name>; /model default goes back."]);
    expect(router.requests).toHaveLength(0);
  });

  it("switches the session's model: the next turn calls it, /status shows it, and other sessions keep the default", async () => {
    const { agent, origin, router } = withModels();
    expect((await agent.runTurn({ origin, text: "/model smart" })).text).toBe("This chat now uses smart.");
    router.push("from smart", "from default");
    await agent.runTurn({ origin, text: "hello" });
    expect(router.requests[0]!.opts?.model).toBe("smart");
    await agent.runTurn({ origin: { ...origin, sessionKey: "telegram:dm:99" }, text: "hi" });
    expect(router.requests[1]!.opts?.model).toBeUndefined();
    const status = await agent.runTurn({ origin, text: "/status" });
    expect(status.text.split("\n")[0]).toBe("Model: smart (chosen with /model; default fake; fallbacks: backup, local)");
    const list = await agent.runTurn({ origin, text: "/model" });
    expect(list.text).toContain("- `smart` (in use)");
    expect(list.text).toContain("- `fake` (default)\n");
  });

  it("matches a name ignoring case, and goes back with /model default", async () => {
    const { agent, origin, router } = withModels();
    expect((await agent.runTurn({ origin, text: "/model local-small" })).text).toBe("This chat now uses Local-Small.");
    expect((await agent.runTurn({ origin, text: "/model default" })).text).toBe("This chat uses the default model again: fake.");
    router.push("ok");
    await agent.runTurn({ origin, text: "hello" });
    expect(router.requests[0]!.opts?.model).toBeUndefined();
  });

  it("takes the name from the first line (messages gathered into the same turn follow below)", async () => {
    const { agent, origin } = withModels();
    expect((await agent.runTurn({ origin, text: "/model smart\n\nand hello" })).text).toBe("This chat now uses smart.");
  });

  it("an unknown name changes nothing and lists the valid names", async () => {
    const { agent, origin, models } = withModels();
    const res = await agent.runTurn({ origin, text: "/model gpt-9" });
    expect(res.text).toBe('There is no model named "gpt-9". Choose one of: fake, smart, Local-Small (or "default").');
    expect(await models.stored(origin.sessionKey)).toBeUndefined();
  });

  it("the choice survives a restart (a new store on the same file)", async () => {
    const first = withModels();
    await first.agent.runTurn({ origin: first.origin, text: "/model smart" });
    first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const second = withModels(first.file);
    second.router.push("hi");
    await second.agent.runTurn({ origin: second.origin, text: "hello again" });
    expect(second.router.requests[0]!.opts?.model).toBe("smart");
  });

  it("a choice the config no longer has falls back to the default, and /status says so", async () => {
    const file = dbFile();
    const first = withModels(file);
    await first.agent.runTurn({ origin: first.origin, text: "/model smart" });
    first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const second = withModels(file, ["fake"]);
    second.router.push("hi");
    await second.agent.runTurn({ origin: second.origin, text: "hello" });
    expect(second.router.requests[0]!.opts?.model).toBeUndefined();
    const status = await second.agent.runTurn({ origin: second.origin, text: "/status" });
    expect(status.text).toContain("(this chat chose smart with /model, which the config no longer has)");
  });

  it("a turn that names its own model (HTTP API, CLI --model) is not overridden by the session's choice", async () => {
    const { agent, origin, router } = withModels();
    await agent.runTurn({ origin, text: "/model smart" });
    router.push("ok");
    await agent.runTurn({ origin, text: "hello", model: "Local-Small" });
    expect(router.requests[0]!.opts?.model).toBe("Local-Small");
  });

  it("without a session model store /model says switching is not available", async () => {
    const { agent, origin } = setup();
    expect((await agent.runTurn({ origin, text: "/model smart" })).text).toBe("Switching models is not available here.");
  });
});

describe("the one command list", () => {
  it("/help names every command, and the platform menu carries the same names", async () => {
    const { agent, origin } = setup();
    const help = (await agent.runTurn({ origin, text: "/help" })).text;
    for (const c of Object.keys(CHAT_COMMANDS)) expect(help).toContain(c);
    expect(commandMenu().map((c) => `/${c.name}`)).toEqual(Object.keys(CHAT_COMMANDS));
    expect(commandMenu().find((c) => c.name === "model")!.arg?.name).toBe("name");
    // Discord caps descriptions at 100 characters, Telegram names at 32 lowercase letters
    for (const c of commandMenu()) {
      expect(c.description.length).toBeLessThanOrEqual(100);
      expect(c.name).toMatch(/^[a-z0-9_]{1,32}$/);
    }
  });

  it("/stop reaching a turn means nothing was running", async () => {
    const { agent, origin, router } = setup();
    expect((await agent.runTurn({ origin, text: "/stop" })).text).toBe("Nothing is running.");
    expect(router.requests).toHaveLength(0);
  });
});

describe("chatModelNames", () => {
  it("lists enabled groups once, in config order, leaving out voice-only and image-only groups", () => {
    const entries = [
      { modelName: "main", enabled: true },
      { modelName: "main", enabled: true },
      { modelName: "ears", enabled: true },
      { modelName: "off", enabled: false },
      { modelName: "painter", enabled: true },
      { modelName: "backup", enabled: true },
    ];
    expect(chatModelNames(entries, { agentModels: ["main", "backup"], otherUses: ["ears", "painter", undefined] })).toEqual(["main", "backup"]);
    expect(chatModelNames(entries, { agentModels: ["ears"], otherUses: ["ears"] })).toEqual(["main", "ears", "painter", "backup"]);
  });
});
