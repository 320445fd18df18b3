// A chat's /model choice on a store this gateway has to itself is read once
// and then kept in memory, written through on every change; a new process
// (a restart) reads the store again. Where the store can list keys, every
// stored choice is read at the first look, so a chat seen for the first time
// costs no read at all. On a store other gateways share the
// choice is read every time, so a switch made through another gateway counts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kvSessionModels } from "../../src/agent/session-model.ts";
import type { AsyncKvStore } from "../../src/store/backend.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileStore(file: string, opts: { listing?: boolean; failWrites?: () => boolean } = {}) {
  const store = openStore(file);
  stores.push(store);
  const kv = sqliteBackend(store).kv;
  const reads: string[] = [];
  const fail = () => Promise.reject(new Error("disk full"));
  const counted: AsyncKvStore = {
    get: (k) => (reads.push(k), kv.get(k)),
    set: (k, v, n) => (opts.failWrites?.() ? fail() : kv.set(k, v, n)),
    delete: (k) => (opts.failWrites?.() ? fail() : kv.delete(k)),
    ...(opts.listing ? { entries: <T,>(p: string, limit: number) => (reads.push(`${p}*`), kv.entries!<T>(p, limit)) } : {}),
  };
  return { store, kv: counted, reads };
}

const names = () => ["fast", "smart"];

describe("the session model cache", () => {
  it("reads a chat's choice once, writes changes through, and a restart reads the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-models-"));
    dirs.push(dir);
    const file = join(dir, "switchboard.db");
    const first = fileStore(file);
    const models = kvSessionModels(first.kv, names, { cache: true });
    expect(await models.get("chat-1")).toBeUndefined();
    expect(await models.get("chat-1")).toBeUndefined();
    expect(first.reads).toEqual(["session_model:chat-1"]);
    await models.set("chat-1", "smart");
    expect(await models.get("chat-1")).toBe("smart");
    expect(first.reads).toHaveLength(1);
    expect(first.store.kv.get("session_model:chat-1")).toBe("smart"); // in the store, not only in memory
    first.store.close();
    stores.splice(stores.indexOf(first.store), 1);

    const second = fileStore(file);
    const again = kvSessionModels(second.kv, names, { cache: true });
    expect(await again.get("chat-1")).toBe("smart");
    await again.set("chat-1", undefined);
    expect(await again.stored("chat-1")).toBeUndefined();
    expect(second.store.kv.get("session_model:chat-1")).toBeUndefined();
    expect(second.reads).toEqual(["session_model:chat-1"]);
  });

  it("without the cache (a shared store) every look reads the store, so another writer's switch counts", async () => {
    const shared = fileStore(":memory:");
    const here = kvSessionModels(shared.kv, names);
    const elsewhere = kvSessionModels(shared.kv, names);
    expect(await here.get("chat-1")).toBeUndefined();
    await elsewhere.set("chat-1", "fast");
    expect(await here.get("chat-1")).toBe("fast");
    expect(shared.reads).toHaveLength(2);
  });
  it("with a store that lists keys, one read at the first look answers every chat, new ones included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-models-"));
    dirs.push(dir);
    const file = join(dir, "switchboard.db");
    const before = openStore(file);
    before.kv.set("session_model:chat-1", "smart");
    before.kv.set("session_model:chat-2", "gone-from-config");
    before.kv.set("session_modelz", "not a choice"); // shares the prefix's first letters only
    before.close();

    const { kv, reads } = fileStore(file, { listing: true });
    const models = kvSessionModels(kv, names, { cache: true });
    expect(await models.get("chat-1")).toBe("smart");
    expect(await models.get("chat-2")).toBeUndefined(); // the config no longer has it
    expect(await models.stored("chat-2")).toBe("gone-from-config");
    for (let i = 3; i < 50; i++) expect(await models.get(`chat-${i}`)).toBeUndefined();
    expect(await models.get("session_modelz")).toBeUndefined();
    await models.set("chat-7", "fast");
    expect(await models.get("chat-7")).toBe("fast");
    expect(reads).toEqual(["session_model:*"]);
  });

  it("a /model write that fails leaves the old choice in force and the chat read from the store again", async () => {
    let failing = false;
    const { kv, reads, store } = fileStore(":memory:", { listing: true, failWrites: () => failing });
    const models = kvSessionModels(kv, names, { cache: true });
    await models.set("chat-1", "smart");
    expect(await models.get("chat-2")).toBeUndefined(); // the first look: every choice read, the cache complete
    failing = true;
    await expect(models.set("chat-1", "fast")).rejects.toThrow("disk full");
    expect(await models.get("chat-1")).toBe("smart");
    store.kv.set("session_model:chat-9", "fast"); // written behind the cache's back: read now that the cache is no longer complete
    expect(await models.get("chat-9")).toBe("fast");
    expect(reads.filter((r) => !r.endsWith("*"))).toEqual(["session_model:chat-1", "session_model:chat-9"]);
  });
});
