// The native mode's credential store: every file is 0600 the moment it
// exists (written to a private temporary file and renamed into place, never
// chmod-ed afterwards), and the directory layout is baileys' own, so a
// session saved by baileys' useMultiFileAuthState loads and the other way round.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { privateFileAuthState, type BaileysAuthKit } from "../../../channels/whatsapp/native-store.ts";

const b = await import("@whiskeysockets/baileys");
const kit: BaileysAuthKit = {
  initAuthCreds: b.initAuthCreds,
  BufferJSON: b.BufferJSON,
  appStateSyncKey: (value) => b.proto.Message.AppStateSyncKeyData.fromObject(value as never),
};
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "sb-wa-store-"));
  dirs.push(d);
  return d;
};
const mode = (path: string) => statSync(path).mode & 0o777;

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("WhatsApp native credential store", () => {
  it("creates creds.json and every key file 0600 by itself, with no temporary file left", async () => {
    const dir = tempDir();
    const { state, saveCreds } = await privateFileAuthState(dir, kit);
    await saveCreds();
    await state.keys.set({ "pre-key": { "1": { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) } }, session: { "a:1.0": Buffer.from("s") } });
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["creds.json", "pre-key-1.json", "session-a-1.0.json"]);
    for (const f of files) expect([f, mode(join(dir, f))]).toEqual([f, 0o600]);
  });

  it("keeps the file 0600 and whole across concurrent rewrites, the last save winning", async () => {
    const dir = tempDir();
    const { state, saveCreds } = await privateFileAuthState(dir, kit);
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      state.creds.me = { id: `49170000000${i}:1@s.whatsapp.net`, name: `n${i}` };
      saves.push(saveCreds());
    }
    await Promise.all(saves);
    expect(mode(join(dir, "creds.json"))).toBe(0o600);
    const again = await privateFileAuthState(dir, kit);
    expect(again.state.creds.me?.name).toBe("n19");
    expect(readdirSync(dir)).toEqual(["creds.json"]);
  });

  it("loads a session baileys' useMultiFileAuthState saved, and baileys loads ours", async () => {
    const dir = tempDir();
    const theirs = await b.useMultiFileAuthState(dir);
    theirs.state.creds.me = { id: "4917000000001:5@s.whatsapp.net", name: "Bot" };
    await theirs.saveCreds();
    await theirs.state.keys.set({ "app-state-sync-key": { K1: b.proto.Message.AppStateSyncKeyData.fromObject({ keyData: Buffer.from("kd") }) } });
    const ours = await privateFileAuthState(dir, kit);
    expect(ours.state.creds.me?.id).toBe("4917000000001:5@s.whatsapp.net");
    expect(Buffer.isBuffer(ours.state.creds.noiseKey && (ours.state.creds.noiseKey as { private: unknown }).private)).toBe(true);
    const key = (await ours.state.keys.get("app-state-sync-key", ["K1"])).K1 as { keyData: Uint8Array };
    expect(Buffer.from(key.keyData).toString()).toBe("kd");
    await ours.state.keys.set({ "pre-key": { "7": { public: Buffer.alloc(32, 7), private: Buffer.alloc(32, 8) } } });
    const back = await b.useMultiFileAuthState(dir);
    expect(back.state.creds.me?.name).toBe("Bot");
    const pk = (await back.state.keys.get("pre-key", ["7"]))["7"];
    expect(Buffer.from(pk!.public)).toEqual(Buffer.alloc(32, 7));
  });

  it("removes a key set to null and a temporary file a crash left behind", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "creds.json.tmp-abc123"), "{\"half");
    const { state } = await privateFileAuthState(dir, kit);
    expect(readdirSync(dir)).toEqual([]);
    await state.keys.set({ session: { s1: Buffer.from("x") } });
    expect(readdirSync(dir)).toEqual(["session-s1.json"]);
    await state.keys.set({ session: { s1: null } });
    expect(readdirSync(dir)).toEqual([]);
    expect((await state.keys.get("session", ["s1"])).s1).toBeNull();
  });
});
