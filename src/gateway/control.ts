// The control page's view of the running gateway (src/ui/surface.ts),
// assembled from the daemon's live parts. The daemon hands in small getters
// rather than itself, so this file knows what the page needs and nothing of
// how the daemon is put together; a reload's new runtime is picked up on the
// next read. Secrets stay here: router errors are already scrubbed, the
// config goes out with placeholders (src/ui/config-secrets.ts).
import { existsSync, readFileSync } from "node:fs";
import type { ChatMessage } from "../core/chat.ts";
import { parseConfigText } from "../config/load.ts";
import { writeConfigText } from "../config/migrate.ts";
import { describeSchedule } from "../scheduler/schedule.ts";
import type { Router } from "../providers/router/types.ts";
import type { StoreSet } from "../store/backend.ts";
import type { ReloadOutcome as GatewayReloadOutcome } from "./reload.ts";
import { approvePairing } from "./pairing-reply.ts";
import { maskConfig, unmaskConfig } from "../ui/config-secrets.ts";
import type { LogTail } from "../ui/log-tail.ts";
import type { ChannelView, ConfigCheck, ControlSurface, HistoryLine, LogLine, Overview, ReloadOutcome } from "../ui/surface.ts";
import { errorMessage } from "../core/errors.ts";

/** how often a listened-to page's view is compared with the gateway's state */
const WATCH_MS = 1000;

export interface ControlDeps {
  version: string;
  startedAt: number;
  configFile: string;
  env: NodeJS.ProcessEnv;
  store: StoreSet;
  logTail: LogTail;
  ready(): boolean;
  lastReload(): Overview["lastReload"];
  channels(): Omit<ChannelView, "qr">[];
  /** the code a channel waits to have scanned (WhatsApp pairing), if any */
  pairingQr(id: string): string | undefined;
  restartChannel(id: string): Promise<void>;
  router(): Router;
  clearCooldown(key: string): void;
  runCronNow(id: string): Promise<void>;
  cronChanged(): void;
  /** a pairing was approved and its notice queued (pairing-reply.ts): send it now */
  approved(channel: string, chatId: string): Promise<void>;
  reload(): Promise<ReloadOutcome>;
}

/** a reload's outcome as the page shows it */
export function pageOutcome(o: GatewayReloadOutcome): ReloadOutcome {
  const details = [...o.changed.map((c) => `changed: ${c}`), ...o.restartRequired, ...(o.problems ?? []).map((p) => `${p.path ? `${p.path}: ` : ""}${p.message}`)];
  const applied = o.result !== "refused";
  const message = o.result === "applied" ? "config reloaded" : o.result === "unchanged" ? "nothing changed" : (o.reason ?? "refused");
  return { applied, message, ...(details.length ? { details } : {}) };
}

/** the last reload for the page's banner */
export function lastReloadView(o: GatewayReloadOutcome | undefined): Overview["lastReload"] {
  return o ? { at: Date.parse(o.at), applied: o.result !== "refused", message: pageOutcome(o).message } : undefined;
}

export { APPROVED_NOTICE } from "./pairing-reply.ts";

/** what a stored message reads as on the page */
function lineOf(message: ChatMessage): string {
  if (typeof message.content === "string") return message.content;
  return (message.content ?? []).map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join(" ");
}

export class GatewayControl implements ControlSurface {
  private readonly deps: ControlDeps;
  private readonly listeners = new Set<Parameters<ControlSurface["subscribe"]>[0]>();
  private watch: NodeJS.Timeout | undefined;
  private lastSeen = "";

  constructor(deps: ControlDeps) {
    this.deps = deps;
    deps.logTail.subscribe((line: LogLine) => {
      for (const l of this.listeners) l({ kind: "log", line });
    });
  }

  /** something shown changed: pages fetch the state again */
  changed(): void {
    for (const l of this.listeners) l({ kind: "state" });
  }

  overview(): Overview {
    const lastReload = this.deps.lastReload();
    return { version: this.deps.version, startedAt: this.deps.startedAt, ready: this.deps.ready(), ...(lastReload ? { lastReload } : {}) };
  }

  channels(): ChannelView[] {
    return this.deps.channels().map((c) => {
      const qr = this.deps.pairingQr(c.id);
      return qr ? { ...c, qr } : c;
    });
  }

  async restartChannel(id: string): Promise<void> {
    await this.deps.restartChannel(id);
    this.changed();
  }

  models(): ReturnType<ControlSurface["models"]> {
    const router = this.deps.router();
    const entries = router.snapshot().targets.map((t) => ({
      key: t.key,
      modelName: t.modelName,
      model: t.model ?? t.entryId,
      ...(t.cooldownUntil ? { cooldownUntil: t.cooldownUntil } : {}),
      ...(t.lastError ? { lastError: `${t.lastError.reason}: ${t.lastError.message}` } : {}),
      failures: t.errorCount,
    }));
    const attempts = router
      .attemptsLog(50)
      .reverse()
      .map((a) => ({ at: a.at, modelName: a.modelName, entry: a.entryId, ok: a.ok, ...(a.reason ? { reason: a.reason } : {}), ms: Math.round(a.latencyMs) }));
    return { entries, attempts };
  }

  clearCooldown(key: string): void {
    this.deps.clearCooldown(key);
    this.changed();
  }

  async sessions(limit: number) {
    return (await this.deps.store.sessions.listSessions(limit)).map((s) => ({
      key: s.key,
      ...(s.channel ? { channel: s.channel } : {}),
      ...(s.chatId ? { chatId: s.chatId } : {}),
      updatedAt: s.updatedAt,
      messageCount: s.messageCount,
      ...(s.lastModel ? { lastModel: s.lastModel } : {}),
    }));
  }

  async history(key: string, limit: number): Promise<HistoryLine[]> {
    return (await this.deps.store.sessions.history(key))
      .slice(-limit)
      .filter((m) => m.message.role === "user" || m.message.role === "assistant")
      .map((m) => ({ role: m.message.role, text: lineOf(m.message), at: m.createdAt }));
  }

  async resetSession(key: string): Promise<void> {
    await this.deps.store.sessions.reset(key, Date.now());
    this.changed();
  }

  async pairing() {
    const now = Date.now();
    return { pending: await this.deps.store.pairing.listRequests(now), approved: await this.deps.store.pairing.listApproved() };
  }

  async approvePairing(channel: string, code: string): Promise<boolean> {
    const approved = await approvePairing(this.deps.store, channel, code, Date.now());
    if (!approved) return false;
    if (approved.chatId) await this.deps.approved(channel, approved.chatId).catch(() => undefined);
    this.changed();
    return true;
  }

  async denyPairing(channel: string, code: string): Promise<boolean> {
    const done = await this.deps.store.pairing.deny(channel, code);
    if (done) this.changed();
    return done;
  }

  async revokeSender(channel: string, senderId: string): Promise<boolean> {
    const done = await this.deps.store.pairing.revoke(channel, senderId);
    if (done) this.changed();
    return done;
  }

  async deadLetters() {
    return (await this.deps.store.delivery.deadLetters(100)).map((d) => {
      const chunk = d.chunk as { text?: string };
      return { id: d.id, channel: d.channel, chatId: d.chatId, text: chunk.text ?? "", attempts: d.attempts, ...(d.lastError ? { lastError: d.lastError } : {}), createdAt: d.createdAt };
    });
  }

  async retryDeadLetter(id: number): Promise<boolean> {
    const done = await this.deps.store.delivery.retryDead(id, Date.now());
    if (done) this.changed();
    return done;
  }

  async dropDeadLetter(id: number): Promise<boolean> {
    const done = await this.deps.store.delivery.dropDead(id);
    if (done) this.changed();
    return done;
  }

  async cronJobs() {
    return (await this.deps.store.cron.list()).map((j) => ({
      id: j.id,
      name: j.name ?? j.id,
      schedule: describeSchedule(j.schedule),
      enabled: j.enabled,
      ...(j.nextRunAt ? { nextRunAt: j.nextRunAt } : {}),
      ...(j.lastRunAt ? { lastRunAt: j.lastRunAt } : {}),
      ...(j.lastStatus ? { lastStatus: j.lastStatus } : {}),
    }));
  }

  async runCronNow(id: string): Promise<void> {
    await this.deps.runCronNow(id);
    this.changed();
  }

  async setCronEnabled(id: string, enabled: boolean): Promise<boolean> {
    const job = await this.deps.store.cron.get(id);
    if (!job) return false;
    // resuming: the scheduler works out the next run when it wakes
    await this.deps.store.cron.setEnabled(id, enabled, enabled ? Date.now() : null);
    this.deps.cronChanged();
    this.changed();
    return true;
  }

  /** the file as written, secrets as placeholders; the secrets themselves stay in this process */
  configText(): { path: string; text: string; exists: boolean } {
    const { text, exists } = this.readConfig();
    const masked = maskConfig(text);
    return { path: this.deps.configFile, text: masked ? masked.text : "// the config file does not parse; fix it on disk (`switchboard config validate` says where)", exists };
  }

  checkConfig(candidate: string): ConfigCheck {
    const unmasked = this.unmask(candidate);
    if ("error" in unmasked) return { valid: false, errors: [unmasked.error], warnings: [] };
    try {
      const { warnings } = parseConfigText(unmasked.text, { file: this.deps.configFile, includeFrom: this.deps.configFile, env: this.deps.env });
      return { valid: true, errors: [], warnings };
    } catch (err) {
      return { valid: false, errors: errorMessage(err).split("\n").filter(Boolean), warnings: [] };
    }
  }

  async applyConfig(candidate: string): Promise<ReloadOutcome> {
    const check = this.checkConfig(candidate);
    if (!check.valid) return { applied: false, message: "the edited config is not valid; nothing was written", details: check.errors };
    const unmasked = this.unmask(candidate);
    if ("error" in unmasked) return { applied: false, message: unmasked.error };
    writeConfigText(this.deps.configFile, unmasked.text);
    const outcome = await this.deps.reload();
    this.changed();
    return outcome;
  }

  recentLogs(limit: number): LogLine[] {
    return this.deps.logTail.recent(limit);
  }

  subscribe(listener: Parameters<ControlSurface["subscribe"]>[0]): () => void {
    this.listeners.add(listener);
    if (!this.watch) {
      // the baseline is what the page is about to load, so a change right after it still counts
      this.lastSeen = "";
      void this.fingerprint().then((f) => {
        if (this.lastSeen === "") this.lastSeen = f;
      }, () => undefined);
      this.watch = setInterval(() => void this.noticeChanges(), WATCH_MS);
      this.watch.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.watch) {
        clearInterval(this.watch);
        this.watch = undefined;
      }
    };
  }

  /**
   * Changes made outside the page (a stranger asking to pair, a channel going
   * down, a reply dying) have no hook of their own here: while a page listens,
   * a cheap fingerprint of what it shows is compared once a second and a
   * change becomes one "state" event. The browser itself never polls.
   */
  private async noticeChanges(): Promise<void> {
    let fingerprint: string;
    try {
      fingerprint = await this.fingerprint();
    } catch {
      return; // the store is faulted: status shows it; look again next second
    }
    if (fingerprint === this.lastSeen) return;
    this.lastSeen = fingerprint;
    this.changed();
  }

  private async fingerprint(): Promise<string> {
    const { store } = this.deps;
    const [requests, approved, dead, sessions, jobs] = await Promise.all([
      store.pairing.listRequests(Date.now()),
      store.pairing.listApproved(),
      store.delivery.deadLetters(1),
      store.sessions.listSessions(1),
      store.cron.list(),
    ]);
    const router = this.deps.router().snapshot();
    return JSON.stringify([
      this.deps.ready(),
      this.deps.lastReload()?.at,
      this.deps.channels().map((c) => [c.id, c.state, c.restarts, c.lastInboundAt, c.lastError]),
      requests.map((r) => r.code),
      approved.length,
      dead.map((d) => d.id),
      sessions.map((s) => s.updatedAt),
      jobs.map((j) => [j.id, j.enabled, j.lastRunAt]),
      router.targets.map((t) => [t.key, t.cooldownUntil, t.errorCount]),
    ]);
  }

  private readConfig(): { text: string; exists: boolean } {
    const file = this.deps.configFile;
    return existsSync(file) ? { text: readFileSync(file, "utf8"), exists: true } : { text: "{\n}\n", exists: false };
  }

  private unmask(candidate: string): { text: string } | { error: string } {
    const masked = maskConfig(this.readConfig().text);
    return unmaskConfig(candidate, masked?.secrets ?? []);
  }
}
