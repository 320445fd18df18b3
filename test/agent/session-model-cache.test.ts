// A chat's /model choice on a store this gateway has to itself is read once
// and then kept in memory, written through on every change; a new process
// (a restart) reads the store again. On a store other gateways share the
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

function fileStore(file: string) {
  const store = openStore(file);
  stores.push(store);
  const kv = sqliteBackend(store).kv;
  const reads: string[] = [];
  const counted: AsyncKvStore = { get: (k) => (reads.push(k), kv.get(k)), set: (k, v, n) => kv.set(k, v, n), delete: (k) => kv.delete(k) };
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
});
