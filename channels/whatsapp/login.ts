// `switchboard channels login whatsapp`: pairs the native mode with a phone
// ahead of time. Draws each QR code WhatsApp hands out until one is scanned,
// follows WhatsApp's "restart required" after pairing, and returns once the
// connection is open (the credentials are then in the session directory,
// 0700 / 0600). A session the phone had logged out is cleared first and
// paired afresh. Uses the same channels.whatsapp config as the gateway.
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { Backoff, sleepUnlessAborted } from "../../src/core/backoff.ts";
import { resolveWhatsAppConfig } from "./config.ts";
import { clearAuthDir, loadGuardedAuth, type GuardedAuth } from "./native-auth.ts";
import {
  LOGGED_OUT,
  RESTART_REQUIRED,
  closeCode,
  describeClose,
  loadBaileysRuntime,
  type WaAuthStateLoader,
  type WaConnectionUpdate,
  type WaSocketFactory,
  type WaSocketLike,
} from "./native-types.ts";
import { normalizeJid } from "./jid.ts";
import { SCAN_HELP, renderQr } from "./qr.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface LoginOptions {
  logger: Logger;
  stateDir: string;
  /** where QR codes and progress lines go (the terminal) */
  out: { write(text: string): unknown };
  /** cancels the login (Ctrl-C) */
  signal?: AbortSignal;
  /** consecutive failed connections before giving up; default 5 */
  maxAttempts?: number;
  clock?: Clock;
  initialBackoffMs?: number;
  socketFactory?: WaSocketFactory;
  authState?: WaAuthStateLoader;
}

export interface LoginResult {
  /** the paired account, "<number>@s.whatsapp.net" */
  jid: string;
  /** the directory already held a working session (no QR code was needed) */
  alreadyPaired: boolean;
  authDir: string;
}

type Step = { kind: "open"; sock: WaSocketLike } | { kind: "close"; update: WaConnectionUpdate };

/** Runs until WhatsApp accepts the linked device, then closes the connection. */
export async function loginWhatsApp(config: Record<string, unknown> | undefined, opts: LoginOptions): Promise<LoginResult> {
  const cfg = resolveWhatsAppConfig(config ?? {}, opts.stateDir);
  const log = opts.logger;
  const needsBaileys = !opts.socketFactory || !opts.authState;
  const base = needsBaileys ? await loadBaileysRuntime(log) : undefined;
  const socketFactory = opts.socketFactory ?? base!.socketFactory;
  const authLoader = opts.authState ?? base!.authState;
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal ?? new AbortController().signal;
  const backoff = new Backoff({ initialMs: opts.initialBackoffMs ?? 1_000, maxMs: 30_000, random: Math.random });
  const maxAttempts = opts.maxAttempts ?? 5;

  let auth: GuardedAuth = await loadGuardedAuth(cfg.authDir, authLoader, log);
  const wasPaired = auth.paired();
  let shownQr = false;
  let clearedOnce = false;
  opts.out.write(wasPaired ? `Checking the WhatsApp session in ${cfg.authDir}…\n` : `Pairing WhatsApp; the session is kept in ${cfg.authDir}\n`);

  for (;;) {
    if (signal.aborted) throw new Error("WhatsApp login cancelled");
    const sock = await socketFactory({ auth: auth.state, logger: log });
    const step = await new Promise<Step>((resolve) => {
      const current = auth;
      sock.ev.on("creds.update", () => {
        current.saveCreds().catch((err: unknown) => log.error({ err: errorMessage(err) }, "could not save the WhatsApp credentials"));
      });
      sock.ev.on("connection.update", (update) => {
        if (update.qr) {
          shownQr = true;
          void renderQr(update.qr).then((drawing) => opts.out.write(`\n${SCAN_HELP}\n${drawing}\n`));
        }
        if (update.connection === "open") resolve({ kind: "open", sock });
        else if (update.connection === "close") resolve({ kind: "close", update });
      });
      signal.addEventListener("abort", () => resolve({ kind: "close", update: { connection: "close" } }), { once: true });
    });
    if (step.kind === "open") {
      const jid = normalizeJid(sock.user?.id ?? "") ?? auth.state.creds.me?.id ?? "unknown";
      // let the last creds.update reach the disk before closing
      await auth.saveCreds();
      endQuietly(sock);
      opts.out.write(`WhatsApp is linked as +${jid.split("@")[0]}. Set channels.whatsapp.use_native to true and start the gateway.\n`);
      return { jid, alreadyPaired: wasPaired && !shownQr, authDir: cfg.authDir };
    }
    endQuietly(sock);
    if (signal.aborted) throw new Error("WhatsApp login cancelled");
    const code = closeCode(step.update);
    if (code === RESTART_REQUIRED) {
      opts.out.write("Paired; reconnecting once as WhatsApp asks…\n");
      continue;
    }
    if (code === LOGGED_OUT) {
      if (clearedOnce) throw new Error("WhatsApp refused to link this device (logged out right after pairing); try again, or remove a linked device on the phone first");
      clearedOnce = true;
      opts.out.write("The stored WhatsApp session was logged out on the phone; starting a fresh pairing.\n");
      await clearAuthDir(cfg.authDir);
      auth = await loadGuardedAuth(cfg.authDir, authLoader, log);
      continue;
    }
    if (code === 408 && shownQr) {
      throw new Error("no QR code was scanned in time; run `switchboard channels login whatsapp` again and scan one of the codes before they run out (about two minutes)");
    }
    const reason = describeClose(code, step.update);
    if (backoff.failures + 1 >= maxAttempts) throw new Error(`WhatsApp login failed after ${maxAttempts} attempts: ${reason}`);
    const delay = backoff.next();
    opts.out.write(`${reason}; trying again in ${Math.max(1, Math.round(delay / 1000))} s…\n`);
    await sleepUnlessAborted(clock, delay, signal);
  }
}

function endQuietly(sock: WaSocketLike): void {
  try {
    sock.end(undefined);
  } catch {
    // already closed
  }
}
