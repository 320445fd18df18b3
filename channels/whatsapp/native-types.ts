// The slice of baileys (WhatsApp Web, pinned 7.0.0-rc14) the native mode
// uses, as plain interfaces: the real socket fits them, and tests inject a
// fake socket with the same shape so they never touch the network. baileys
// itself is imported only by loadBaileysRuntime(), when the channel starts.
import type { Logger } from "../../src/core/logger.ts";
import { privateFileAuthState } from "./native-store.ts";

/** the close code baileys reports when the phone removed this linked device */
export const LOGGED_OUT = 401;
/** the close code right after pairing: WhatsApp wants a fresh connection */
export const RESTART_REQUIRED = 515;

export interface WaConnectionUpdate {
  connection?: "open" | "connecting" | "close";
  /** error.output.statusCode carries the DisconnectReason (Boom errors) */
  lastDisconnect?: { error?: unknown; date?: Date };
  qr?: string;
  isNewLogin?: boolean;
}

export interface WaEvents {
  "connection.update": WaConnectionUpdate;
  "creds.update": unknown;
  "messages.upsert": { messages: unknown[]; type: string };
}

export interface WaSocketLike {
  ev: {
    on<K extends keyof WaEvents>(event: K, listener: (arg: WaEvents[K]) => void): void;
    removeAllListeners?(event: keyof WaEvents): void;
  };
  /** the linked device once connected: id "<number>:<device>@s.whatsapp.net", lid "<id>:<device>@lid" */
  user?: { id: string; lid?: string | null; name?: string | null } | undefined;
  sendMessage(jid: string, content: Record<string, unknown>, options?: Record<string, unknown>): Promise<{ key?: { id?: string | null } | null } | undefined>;
  sendPresenceUpdate(type: "composing" | "paused" | "available" | "unavailable" | "recording", jid?: string): Promise<void>;
  end(error: Error | undefined): void;
  /** asks the phone to upload media again when the CDN copy expired */
  updateMediaMessage?(message: unknown): Promise<unknown>;
}

export interface WaKeyStore {
  get(type: string, ids: string[]): Promise<Record<string, unknown>>;
  set(data: Record<string, Record<string, unknown> | undefined>): Promise<void>;
  clear?(): Promise<void>;
}

export interface WaAuthState {
  creds: { me?: { id: string; name?: string | null } | null; registered?: boolean } & Record<string, unknown>;
  keys: WaKeyStore;
}

export type WaAuthStateLoader = (dir: string) => Promise<{ state: WaAuthState; saveCreds: () => Promise<void> }>;
export type WaSocketFactory = (args: { auth: WaAuthState; logger: Logger }) => WaSocketLike | Promise<WaSocketLike>;
/** the bytes of one received message's media */
export type WaDownload = (message: unknown, sock: WaSocketLike) => Promise<Buffer>;

export interface WaRuntime {
  socketFactory: WaSocketFactory;
  authState: WaAuthStateLoader;
  downloadMedia: WaDownload;
}

/** The close code inside a connection.update's lastDisconnect (Boom: output.statusCode). */
export function closeCode(update: WaConnectionUpdate): number | undefined {
  const err = update.lastDisconnect?.error as { output?: { statusCode?: unknown }; statusCode?: unknown } | undefined;
  const code = err?.output?.statusCode ?? err?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** A close code as words a person can act on. */
/** the host name a DNS lookup failed for, when that is why the connection closed */
function dnsFailure(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; hostname?: unknown; message?: unknown; cause?: unknown; data?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") return typeof e.hostname === "string" ? e.hostname : "the WhatsApp server";
    // baileys wraps the socket error in a Boom whose message keeps getaddrinfo's text
    const m = typeof e.message === "string" ? /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (\S+)/.exec(e.message) : null;
    if (m) return m[1];
    e = (e.cause ?? e.data) as typeof e;
  }
  return undefined;
}

export function describeClose(code: number | undefined, update: WaConnectionUpdate): string {
  const message = (update.lastDisconnect?.error as { message?: unknown } | undefined)?.message;
  const detail = typeof message === "string" && message ? `: ${message.slice(0, 200)}` : "";
  const dns = dnsFailure(update.lastDisconnect?.error);
  if (dns) return `cannot look up ${dns} (DNS failure): check the network and the DNS resolver, or the proxy`;
  switch (code) {
    case LOGGED_OUT:
      return LOGGED_OUT_DETAIL;
    case RESTART_REQUIRED:
      return "WhatsApp asked for a fresh connection (normal right after pairing)";
    case 440:
      return "another WhatsApp Web session with these credentials took over (is a second gateway running with the same session_store_path?)";
    case 408:
      return `WhatsApp connection timed out${detail}`;
    case 428:
      return `WhatsApp connection closed${detail}`;
    case 411:
      return "WhatsApp multi-device mismatch: link the device again with `switchboard channels login whatsapp`";
    case 403:
      return `WhatsApp refused the connection (403)${detail}`;
    case 500:
      return `WhatsApp session data is damaged (500)${detail}`;
    case 503:
      return `WhatsApp service unavailable (503)${detail}`;
    default:
      return `WhatsApp connection closed${code !== undefined ? ` (${code})` : ""}${detail}`;
  }
}

export const LOGGED_OUT_DETAIL = "WhatsApp logged this device out; run `switchboard channels login whatsapp` again";
export const NOT_PAIRED_DETAIL =
  "not paired with a phone yet: scan the QR code printed in the terminal (WhatsApp → Linked devices → Link a device), or run `switchboard channels login whatsapp`";

/** the real thing: baileys, imported on first use */
export async function loadBaileysRuntime(logger: Logger): Promise<WaRuntime> {
  const b = await import("@whiskeysockets/baileys");
  const makeWASocket = b.makeWASocket;
  const quiet = quietLogger(logger);
  return {
    socketFactory: ({ auth }) =>
      makeWASocket({
        auth: auth as never,
        logger: quiet as never,
        browser: b.Browsers.ubuntu("Switchboard"),
        markOnlineOnConnect: false,
        syncFullHistory: false,
      }) as unknown as WaSocketLike,
    // baileys' file layout, but each file written 0600 from the start and renamed into place
    authState: (dir) =>
      privateFileAuthState(dir, {
        initAuthCreds: b.initAuthCreds,
        BufferJSON: b.BufferJSON,
        appStateSyncKey: (value) => b.proto.Message.AppStateSyncKeyData.fromObject(value as never),
      }),
    downloadMedia: async (message, sock) =>
      (await b.downloadMediaMessage(message as never, "buffer", {}, {
        logger: quiet as never,
        reuploadRequest: (sock.updateMediaMessage ?? (async (m: unknown) => m)) as never,
      })) as Buffer,
  };
}

/** baileys logs a lot at info: it gets warnings and worse (or the parent's level, when that is stricter) */
function quietLogger(parent: Logger): Logger {
  const level = parent.levelVal > 40 ? parent.level : "warn";
  return parent.child({ module: "baileys" }, { level });
}
