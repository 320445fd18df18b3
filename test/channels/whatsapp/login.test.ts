// `switchboard channels login whatsapp` (loginWhatsApp) with the fake socket:
// QR codes until paired, the restart WhatsApp asks for, an already paired
// session, a logged-out session paired afresh, and giving up.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loginWhatsApp, type LoginOptions } from "../../../channels/whatsapp/adapter.ts";
import { FakeSocketFactory } from "../../fakes/whatsapp/socket.ts";
import { recordingLogger, waitUntil } from "./harness.ts";

const homes: string[] = [];
afterEach(() => {
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(extra: Partial<LoginOptions> = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), "sb-wa-login-"));
  homes.push(stateDir);
  const sockets = new FakeSocketFactory();
  const out: string[] = [];
  const opts: LoginOptions = {
    logger: recordingLogger().logger,
    stateDir,
    out: { write: (t: string) => out.push(t) },
    socketFactory: sockets.make,
    initialBackoffMs: 10,
    ...extra,
  };
  return { stateDir, sockets, out, opts, authDir: join(stateDir, "whatsapp-auth") };
}

describe("loginWhatsApp", () => {
  it("shows QR codes, follows the restart after pairing, and returns once linked", async () => {
    const { sockets, out, opts, authDir } = setup();
    const login = loginWhatsApp({ use_native: true }, opts);
    const first = await sockets.waitForSocket(1);
    first.qr("2@code-one");
    first.qr("2@code-two");
    // drawing a code takes real work (hundreds of ms on a loaded machine): wait for both
    await waitUntil(() => out.filter((t) => t.includes("Link a device")).length >= 2, "both QR codes drawn");
    expect(out.filter((t) => t.includes("Link a device"))).toHaveLength(2);
    first.pair();
    first.close(515, "restart required");
    const second = await sockets.waitForSocket(2);
    second.open();
    const result = await login;
    expect(result).toEqual({ jid: "4917000000001@s.whatsapp.net", alreadyPaired: false, authDir });
    expect(second.ended).toBe(true);
    expect(out.join("")).toContain("WhatsApp is linked as +4917000000001");
    expect(statSync(authDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(authDir, "creds.json")).mode & 0o777).toBe(0o600);
  });

  it("reports an already paired session without asking for a scan", async () => {
    const first = setup();
    const login1 = loginWhatsApp({}, first.opts);
    const s1 = await first.sockets.waitForSocket(1);
    s1.pair();
    s1.open();
    await login1;
    const again = setup({ stateDir: first.stateDir });
    const login2 = loginWhatsApp({}, again.opts);
    (await again.sockets.waitForSocket(1)).open();
    expect(await login2).toMatchObject({ alreadyPaired: true });
    expect(again.out.join("")).not.toContain("Link a device");
  });

  it("clears a session the phone logged out and pairs afresh", async () => {
    const { sockets, out, opts, authDir } = setup();
    const pairing = loginWhatsApp({}, opts);
    const s1 = await sockets.waitForSocket(1);
    s1.pair();
    s1.open();
    await pairing;
    writeFileSync(join(authDir, "session-old.json"), "{}");
    const relogin = loginWhatsApp({}, opts);
    const s2 = await sockets.waitForSocket(2);
    expect(s2.auth.creds.me?.id).toBeDefined();
    s2.close(401, "Intentional Logout");
    const s3 = await sockets.waitForSocket(3);
    expect(s3.auth.creds.me).toBeUndefined(); // fresh credentials
    expect(existsSync(join(authDir, "session-old.json"))).toBe(false);
    s3.qr();
    s3.pair();
    s3.open();
    expect(await relogin).toMatchObject({ alreadyPaired: false });
    expect(out.join("")).toContain("logged out on the phone; starting a fresh pairing");
    expect(readdirSync(authDir)).toContain("creds.json");
  });

  it("gives up with what to do when no code was scanned in time", async () => {
    const { sockets, opts } = setup();
    const login = loginWhatsApp({}, opts);
    const s = await sockets.waitForSocket(1);
    s.qr();
    s.close(408, "QR refs attempts ended");
    await expect(login).rejects.toThrow(/no QR code was scanned in time; run `switchboard channels login whatsapp` again/);
  });

  it("retries failed connections a few times, then fails with the reason", async () => {
    const { sockets, opts } = setup({ maxAttempts: 3 });
    const login = loginWhatsApp({}, opts);
    for (let i = 1; i <= 3; i++) (await sockets.waitForSocket(i)).close(503, "Service Unavailable");
    await expect(login).rejects.toThrow(/WhatsApp login failed after 3 attempts: WhatsApp service unavailable \(503\)/);
    expect(sockets.sockets).toHaveLength(3);
  });

  it("can be cancelled", async () => {
    const controller = new AbortController();
    const { sockets, opts } = setup({ signal: controller.signal });
    const login = loginWhatsApp({}, opts);
    const s = await sockets.waitForSocket(1);
    controller.abort();
    await expect(login).rejects.toThrow(/cancelled/);
    expect(s.ended).toBe(true);
  });

  it("refuses a config it cannot use, naming the key", async () => {
    const { opts } = setup();
    await expect(loginWhatsApp({ session_store_path: 5 }, opts)).rejects.toThrow(/channels\.whatsapp\.session_store_path must be a directory path/);
  });
});
