// Native mode's connection to WhatsApp Web: one baileys socket at a time on
// the credentials in the session directory. Every close is followed by a new
// socket after an exponential backoff with jitter (right away for
// "restart required", which WhatsApp sends after pairing), except a logout:
// the phone removed this linked device, so retrying cannot help; the channel
// goes "offline" with what to do and stays down.
//
// While the directory holds no paired device, baileys hands out QR codes;
// each is drawn in the terminal and the status says that the owner must
// scan it.
import type { ChannelState } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { Backoff, describeWait, sleepUnlessAborted } from "../../src/core/backoff.ts";
import { loadGuardedAuth, type GuardedAuth } from "./native-auth.ts";
import {
  LOGGED_OUT,
  LOGGED_OUT_DETAIL,
  NOT_PAIRED_DETAIL,
  RESTART_REQUIRED,
  closeCode,
  describeClose,
  type WaConnectionUpdate,
  type WaRuntime,
  type WaSocketLike,
} from "./native-types.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface NativeConnectionOptions {
  authDir: string;
  runtime(): Promise<WaRuntime>;
  /** new messages of the current socket: live ("notify") and those that arrived while it was offline ("append") */
  onMessages(messages: unknown[], sock: WaSocketLike): Promise<void>;
  /** draws a pairing QR code */
  showQr(qr: string): Promise<void>;
  setStatus(state: ChannelState, detail?: string): void;
  logger: Logger;
  clock: Clock;
  backoff: Backoff;
  stableAfterMs: number;
}

export class NativeConnection {
  private readonly opts: NativeConnectionOptions;
  private readonly abort = new AbortController();
  private runtime: WaRuntime | undefined;
  private auth: GuardedAuth | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending: Promise<void> = Promise.resolve();
  private openedAt = 0;
  private everOnline = false;
  /** the socket in use (undefined between a close and the next socket) */
  sock: WaSocketLike | undefined;
  /** a connection is open */
  online = false;
  /** why the connection ended for good (logged out) */
  endedFor: string | undefined;
  /** why the last connection closed */
  lastError: string | undefined;
  /** sockets made so far */
  sockets = 0;

  constructor(opts: NativeConnectionOptions) {
    this.opts = opts;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** loads the credentials and makes the first socket (does not wait for it to open) */
  async start(): Promise<void> {
    this.runtime = await this.opts.runtime();
    this.auth = await loadGuardedAuth(this.opts.authDir, this.runtime.authState, this.opts.logger);
    if (this.stopped) return;
    if (!this.auth.paired()) this.opts.logger.warn({ dir: this.opts.authDir }, "WhatsApp is not paired yet; a QR code will be shown to scan");
    await this.connect();
  }

  /** ends the socket and any pending reconnect; idempotent */
  async stop(): Promise<void> {
    this.abort.abort();
    const sock = this.sock;
    this.sock = undefined;
    this.online = false;
    if (sock) endQuietly(sock);
    await this.pending;
    await this.chain;
  }

  private async connect(): Promise<void> {
    if (this.stopped || !this.runtime || !this.auth) return;
    let sock: WaSocketLike;
    try {
      sock = await this.runtime.socketFactory({ auth: this.auth.state, logger: this.opts.logger });
    } catch (err) {
      this.retry(`could not start the WhatsApp connection: ${errorMessage(err)}`);
      return;
    }
    if (this.stopped) {
      endQuietly(sock);
      return;
    }
    this.sock = sock;
    this.sockets++;
    const auth = this.auth;
    sock.ev.on("creds.update", () => {
      auth.saveCreds().catch((err: unknown) => {
        this.opts.logger.error({ err: errorMessage(err) }, "could not save the WhatsApp credentials");
      });
    });
    sock.ev.on("connection.update", (update) => this.onUpdate(sock, update));
    sock.ev.on("messages.upsert", (upsert) => {
      // baileys upserts a message WhatsApp held for this device while it was
      // offline (node attribute `offline`, delivered on reconnect) as "append",
      // after it already sent the receipt: dropping those would lose every
      // message written while the gateway was down. The other "append"
      // upserts (our own resends, newsletters, group-invite stubs) are
      // filtered out by the normalizer (fromMe, @newsletter, no content).
      if (this.sock !== sock || this.stopped || (upsert.type !== "notify" && upsert.type !== "append")) return;
      this.chain = this.chain.then(() =>
        this.opts.onMessages(upsert.messages, sock).catch((err: unknown) => {
          this.opts.logger.error({ err: errorMessage(err) }, "could not handle WhatsApp messages");
        }),
      );
    });
  }

  private onUpdate(sock: WaSocketLike, update: WaConnectionUpdate): void {
    if (this.sock !== sock || this.stopped) return;
    if (update.qr) {
      this.opts.setStatus("connecting", NOT_PAIRED_DETAIL);
      this.opts.logger.warn("WhatsApp is not paired: the owner must scan the QR code shown in the terminal (WhatsApp → Linked devices → Link a device)");
      this.opts.showQr(update.qr).catch((err: unknown) => {
        this.opts.logger.warn({ err: errorMessage(err) }, "could not draw the WhatsApp QR code");
      });
    }
    if (update.connection === "open") {
      this.online = true;
      this.everOnline = true;
      this.openedAt = this.opts.clock.now();
      this.lastError = undefined;
      this.opts.setStatus("online");
      this.opts.logger.info({ jid: sock.user?.id }, "WhatsApp connected");
    } else if (update.connection === "close") {
      this.onClose(update);
    }
  }

  private onClose(update: WaConnectionUpdate): void {
    const wasOnline = this.online;
    this.sock = undefined;
    this.online = false;
    const code = closeCode(update);
    const reason = describeClose(code, update);
    this.lastError = reason;
    if (code === LOGGED_OUT) {
      this.endedFor = LOGGED_OUT_DETAIL;
      this.abort.abort();
      this.opts.logger.error({ dir: this.opts.authDir }, LOGGED_OUT_DETAIL);
      this.opts.setStatus("offline", LOGGED_OUT_DETAIL);
      return;
    }
    if (wasOnline && this.opts.clock.now() - this.openedAt >= this.opts.stableAfterMs) this.opts.backoff.reset();
    this.retry(reason, code === RESTART_REQUIRED ? 0 : undefined);
  }

  private retry(reason: string, delayMs?: number): void {
    if (this.stopped) return;
    const delay = delayMs ?? this.opts.backoff.next();
    this.lastError = reason;
    const state = this.everOnline ? "reconnecting" : "connecting";
    this.opts.setStatus(state, delay === 0 ? `${reason}; reconnecting now` : `${reason}; retrying in ${describeWait(delay)}`);
    this.opts.logger.warn({ reason, retryInMs: delay, failures: this.opts.backoff.failures }, "WhatsApp connection closed");
    const wait = delay === 0 ? Promise.resolve() : sleepUnlessAborted(this.opts.clock, delay, this.abort.signal);
    this.pending = wait
      .then(() => this.connect())
      .catch((err: unknown) => {
        this.opts.logger.error({ err: errorMessage(err) }, "WhatsApp reconnect failed");
      });
  }
}

function endQuietly(sock: WaSocketLike): void {
  try {
    sock.end(undefined);
  } catch {
    // already closed
  }
}
