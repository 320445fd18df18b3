// Native mode, the connection (fake socket injected): pairing by QR code,
// the credential directory's permissions, reconnects with backoff, the
// fresh connection WhatsApp asks for after pairing, no retry after a logout,
// and stop().
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOGGED_OUT_DETAIL, NOT_PAIRED_DETAIL } from "../../../channels/whatsapp/adapter.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { nativeHarness, pause, waitUntil, type NativeHarness } from "./harness.ts";

let h: NativeHarness | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
const ALICE = "4915112345678@s.whatsapp.net";

describe("WhatsApp native: pairing and credentials", () => {
  it("draws the QR code for the owner and says in the status and log that it must be scanned", async () => {
    h = nativeHarness();
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.qr("2@first-code,xyz");
    const s = await h.waitForStatus("connecting", 1);
    expect(s.detail).toBe(NOT_PAIRED_DETAIL);
    await waitUntil(() => h!.qrOut.length >= 1, "the drawn QR code");
    expect(h.qrOut).toHaveLength(1);
    expect(h.qrOut[0]).toContain("Linked devices → Link a device");
    expect(h.qrOut[0]).toMatch(/[▄▀█]{10}/); // a drawn code, not the raw string
    expect(h.rec.logged("the owner must scan the QR code")).toHaveLength(1);
    sock.qr("2@second-code,xyz"); // WhatsApp rotates codes
    await waitUntil(() => h!.qrOut.length >= 2, "the second drawn QR code");
    expect(h.qrOut).toHaveLength(2);
    expect(h.qrOut[1]).not.toBe(h.qrOut[0]);
    // the control page shows the newest code as an image
    expect(h.adapter.pairingCode?.()).toBe("2@second-code,xyz");
    sock.open();
    await h.waitForStatus("online", 1);
    expect(h.adapter.pairingCode?.()).toBeUndefined();
  });

  it("keeps the session directory 0700 and every credential file 0600", async () => {
    h = nativeHarness();
    const authDir = join(h.stateDir, "whatsapp-auth");
    await h.start();
    expect(mode(authDir)).toBe(0o700);
    const sock = await h.sockets.waitForSocket(1);
    sock.pair();
    await waitForFile(authDir, "creds.json");
    await sock.auth.keys.set({ "pre-key": { "1": { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) } }, session: { [`${ALICE}.0`]: Buffer.from("s") } });
    const files = readdirSync(authDir);
    expect(files).toEqual(expect.arrayContaining(["creds.json", "pre-key-1.json"]));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect([f, mode(join(authDir, f))]).toEqual([f, 0o600]);
    // a credential update rewrites creds.json and it stays private
    sock.pair({ id: "4917000000001:6@s.whatsapp.net", lid: "1@lid", name: "Renamed" });
    await waitUntil(() => readFileSync(join(authDir, "creds.json"), "utf8").includes("Renamed"), "the rewritten creds.json");
    expect(mode(join(authDir, "creds.json"))).toBe(0o600);
  });

  it("tightens a session directory that already exists with loose permissions, at session_store_path", async () => {
    const base = mkdtempSync(join(tmpdir(), "sb-wa-store-"));
    dirs.push(base);
    const store = join(base, "wa-session");
    mkdirSync(store, { mode: 0o755 });
    chmodSync(store, 0o755);
    h = nativeHarness({}, { session_store_path: store });
    await h.start();
    expect(mode(store)).toBe(0o700);
    const sock = await h.sockets.waitForSocket(1);
    sock.pair();
    await waitForFile(store, "creds.json");
    expect(mode(join(store, "creds.json"))).toBe(0o600);
    expect(readdirSync(h.stateDir)).not.toContain("whatsapp-auth");
  });

  it("needs no QR code on the next start: the saved credentials are used", async () => {
    h = nativeHarness();
    await h.start();
    const first = await h.sockets.waitForSocket(1);
    first.pair();
    await waitForFile(join(h.stateDir, "whatsapp-auth"), "creds.json");
    await h.adapter.stop();
    const again = nativeHarness({ stateDir: h.stateDir });
    await again.start();
    const sock = await again.sockets.waitForSocket(1);
    expect(sock.auth.creds.me?.id).toBe("4917000000001:5@s.whatsapp.net");
    expect(again.rec.logged("not paired yet")).toEqual([]);
    await again.close();
  });
});

describe("WhatsApp native: reconnecting", () => {
  it("goes online on open and reconnects with backoff after the connection closes", async () => {
    const clock = new ManualClock();
    h = nativeHarness({ clock, initialBackoffMs: 100 });
    await h.start();
    const first = await h.sockets.waitForSocket(1);
    first.open();
    await h.waitForStatus("online");
    expect(h.adapter.connected).toBe(true);
    expect(h.adapter.botJid).toBe("4917000000001@s.whatsapp.net");
    let mark = h.statuses.length;
    first.close(428);
    const s = await h.waitForStatus("reconnecting", mark);
    expect(s.detail).toBe("WhatsApp connection closed: Connection Closed; retrying in 100 ms");
    expect(h.adapter.connected).toBe(false);
    clock.advance(99);
    await pause(30);
    expect(h.sockets.sockets).toHaveLength(1);
    clock.advance(1);
    const second = await h.sockets.waitForSocket(2);
    // the second closes before opening: the wait doubles
    mark = h.statuses.length;
    second.close(408, "Connection was lost");
    expect((await h.waitForStatus("reconnecting", mark)).detail).toMatch(/timed out: Connection was lost; retrying in 200 ms$/);
    clock.advance(200);
    const third = await h.sockets.waitForSocket(3);
    mark = h.statuses.length;
    third.open();
    await h.waitForStatus("online", mark);
    third.upsert([{ key: { remoteJid: ALICE, id: "AFTER", fromMe: false }, message: { conversation: "after reconnect" } }]);
    const [msg] = await h.waitForMessages(1);
    expect(msg!.text).toBe("after reconnect");
  });

  it("reconnects at once when WhatsApp asks for a restart after pairing (515)", async () => {
    const clock = new ManualClock(); // never advanced: a backoff wait would hang
    h = nativeHarness({ clock });
    await h.start();
    const first = await h.sockets.waitForSocket(1);
    first.qr();
    first.pair();
    first.close(515, "Stream Errored (restart required)");
    const second = await h.sockets.waitForSocket(2);
    expect(h.statuses.at(-1)!.detail).toMatch(/fresh connection \(normal right after pairing\); reconnecting now/);
    second.open();
    await h.waitForStatus("online");
  });

  it("does not retry after WhatsApp logged the device out: offline with what to do", async () => {
    const clock = new ManualClock();
    h = nativeHarness({ clock });
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.open();
    await h.waitForStatus("online");
    sock.close(401, "Intentional Logout");
    const s = await h.waitForStatus("offline");
    expect(s).toEqual({ state: "offline", detail: LOGGED_OUT_DETAIL });
    expect(LOGGED_OUT_DETAIL).toBe("WhatsApp logged this device out; run `switchboard channels login whatsapp` again");
    clock.advance(10 * 60_000);
    await pause(50);
    expect(h.sockets.sockets).toHaveLength(1);
    expect(h.statuses.at(-1)!.state).toBe("offline");
    await expect(h.adapter.send(ALICE, { text: "x", format: "plain" })).rejects.toThrow(LOGGED_OUT_DETAIL);
    expect(h.rec.logged(LOGGED_OUT_DETAIL)).toHaveLength(1);
  });

  it("explains a session taken over by another client (440) and keeps trying", async () => {
    h = nativeHarness();
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.close(440, "Stream Errored (conflict)");
    const s = await h.waitForStatus("connecting", 1);
    expect(s.detail).toMatch(/another WhatsApp Web session.*second gateway/);
    await h.sockets.waitForSocket(2);
  });

  it("retries when the socket cannot even be made", async () => {
    let calls = 0;
    h = nativeHarness();
    const make = h.sockets.make;
    const flaky = nativeHarness({
      stateDir: h.stateDir,
      socketFactory: (args) => {
        if (++calls === 1) throw new Error("boom in makeWASocket");
        return make(args);
      },
    });
    await flaky.start();
    const s = await flaky.waitForStatus("connecting", 1);
    expect(s.detail).toMatch(/could not start the WhatsApp connection: boom in makeWASocket; retrying in/);
    await h.sockets.waitForSocket(1);
    await flaky.close();
  });
});

describe("WhatsApp native: stop()", () => {
  it("ends the socket, ignores its own close, never reconnects, and is idempotent", async () => {
    h = nativeHarness();
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.open();
    await h.waitForStatus("online");
    const statuses = h.statuses.length;
    await Promise.all([h.adapter.stop(), h.adapter.stop()]);
    await h.adapter.stop();
    expect(sock.ended).toBe(true);
    await pause(100);
    expect(h.sockets.sockets).toHaveLength(1);
    expect(h.statuses).toHaveLength(statuses);
    expect(h.adapter.connected).toBe(false);
  });

  it("returns promptly while waiting to reconnect", async () => {
    const clock = new ManualClock();
    h = nativeHarness({ clock });
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.close(428);
    await h.waitForStatus("connecting", 1);
    await h.adapter.stop();
    clock.advance(60_000);
    await pause(50);
    expect(h.sockets.sockets).toHaveLength(1);
  });

  it("fails start() with the path and the fix when the session directory cannot be used", async () => {
    const base = mkdtempSync(join(tmpdir(), "sb-wa-bad-"));
    dirs.push(base);
    const file = join(base, "a-file");
    writeFileSync(file, "x");
    h = nativeHarness({}, { session_store_path: join(file, "sub") });
    await expect(h.start()).rejects.toThrow(/cannot use .*a-file\/sub for the WhatsApp session .*fix channels\.whatsapp\.session_store_path/);
    expect(h.statuses.at(-1)!.state).toBe("offline");
  });
});

/** creds.json appears by rename: once it is listed it is whole and 0600 */
function waitForFile(dir: string, name: string): Promise<void> {
  return waitUntil(() => readdirSync(dir).includes(name), `${name} in ${dir}`);
}
