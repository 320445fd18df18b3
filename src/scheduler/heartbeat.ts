// The heartbeat: every `interval` minutes (inside the active hours) it reads
// HEARTBEAT.md from the workspace. A file without tasks costs nothing: no
// model call. Otherwise one turn runs without chat history; a HEARTBEAT_OK
// reply is dropped and anything else goes to the last active allowed chat,
// and into that chat's session history like any reply, so the person can
// ask about the alert and the model knows what it said.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import type { AsyncSessionStore } from "../store/backend.ts";
import type { TurnOrigin } from "../tools/types.ts";
import { isWithinActiveHours, validateActiveHours, type ActiveHours } from "./active-hours.ts";
import { extractHeartbeatTasks, heartbeatPrompt, isHeartbeatOk } from "./heartbeat-text.ts";
import type { SendFn } from "./types.ts";
import { errorMessage } from "../core/errors.ts";

export const DEFAULT_HEARTBEAT_MINUTES = 30;
export const MIN_HEARTBEAT_MINUTES = 5;
export const HEARTBEAT_FILE = "HEARTBEAT.md";

export interface ChatRef {
  channel: string;
  chatId: string;
}

export interface HeartbeatTurn {
  origin: TurnOrigin;
  text: string;
  noHistory: true;
  signal: AbortSignal;
}

export interface HeartbeatOptions {
  /** heartbeat.enabled */
  enabled: boolean;
  /** heartbeat.interval in minutes; default 30, values under 5 become 5 */
  intervalMinutes?: number;
  activeHours?: ActiveHours;
  /** folder holding HEARTBEAT.md */
  workspaceDir: string;
  clock: Clock;
  /** runs one agent turn and returns its reply text */
  runTurn: (turn: HeartbeatTurn) => Promise<string | undefined>;
  /** the chat that most recently talked to the gateway */
  lastActiveChat: () => ChatRef | undefined | Promise<ChatRef | undefined>;
  /** access policy: may the gateway write to this chat? */
  isAllowed: (chat: ChatRef) => boolean;
  send: SendFn;
  /** where a delivered alert is recorded in the target chat's session history */
  sessions?: Pick<AsyncSessionStore, "listSessions" | "append">;
  /** a fleet's gate (src/gateway/fleet-hooks.ts): beats only while this gateway leads; absent on a lone gateway */
  leads?: () => boolean;
  logger?: Logger;
}

/** Sessions looked through to find the target chat's (most recent first; the target was the last active chat). */
const SESSION_LOOKUP_LIMIT = 200;

export type BeatOutcome =
  | "outside_active_hours"
  | "no_file"
  | "no_tasks"
  | "busy"
  | "heartbeat_ok"
  | "delivered"
  | "no_target"
  | "error";

export interface BeatResult {
  outcome: BeatOutcome;
  /** where the reply went ("delivered") */
  to?: ChatRef;
  error?: string;
}

/** heartbeat.interval in milliseconds, default and minimum applied. */
export function heartbeatIntervalMs(minutes: number | undefined): number {
  const m = minutes === undefined || !Number.isFinite(minutes) ? DEFAULT_HEARTBEAT_MINUTES : minutes;
  return Math.max(MIN_HEARTBEAT_MINUTES, m) * 60_000;
}

export class Heartbeat {
  readonly intervalMs: number;
  private readonly opts: HeartbeatOptions;
  private readonly log: Logger;
  private readonly shutdown = new AbortController();
  private loopDone: Promise<void> | undefined;
  private current: Promise<BeatResult> | undefined;
  private stopped = false;
  private wakeStop: (() => void) | undefined;

  constructor(opts: HeartbeatOptions) {
    if (opts.activeHours) validateActiveHours(opts.activeHours);
    this.opts = opts;
    this.log = opts.logger ?? silentLogger();
    this.intervalMs = heartbeatIntervalMs(opts.intervalMinutes);
    if (opts.intervalMinutes !== undefined && opts.intervalMinutes < MIN_HEARTBEAT_MINUTES) {
      this.log.warn(
        { interval: opts.intervalMinutes },
        `heartbeat.interval is below the minimum; using ${MIN_HEARTBEAT_MINUTES} minutes`,
      );
    }
  }

  /** Starts beating (first beat one interval from now); does nothing when disabled. */
  start(): void {
    if (!this.opts.enabled || this.loopDone || this.stopped) return;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.shutdown.abort();
    this.wakeStop?.();
    await this.loopDone;
    await this.current;
  }

  /** One beat now. Beats never overlap: a beat while one is running returns "busy". */
  beat(): Promise<BeatResult> {
    if (this.current) return Promise.resolve({ outcome: "busy" });
    const run = this.runBeat().finally(() => {
      this.current = undefined;
    });
    this.current = run;
    return run;
  }

  private async loop(): Promise<void> {
    let next = this.opts.clock.now() + this.intervalMs;
    while (!this.stopped) {
      const stopped = new Promise<void>((resolve) => {
        this.wakeStop = resolve;
      });
      const ac = new AbortController();
      await Promise.race([this.opts.clock.sleep(Math.max(0, next - this.opts.clock.now()), ac.signal).catch(() => {}), stopped]);
      ac.abort();
      if (this.stopped) break;
      if (!this.opts.leads || this.opts.leads()) await this.beat();
      const now = this.opts.clock.now();
      next += this.intervalMs;
      // After a long pause (suspend, slow beat) start counting again from now: one beat, not a burst.
      if (next <= now) next = now + this.intervalMs;
    }
  }

  private async runBeat(): Promise<BeatResult> {
    const now = this.opts.clock.now();
    if (!isWithinActiveHours(now, this.opts.activeHours)) return { outcome: "outside_active_hours" };
    let markdown: string;
    try {
      markdown = await readFile(join(this.opts.workspaceDir, HEARTBEAT_FILE), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { outcome: "no_file" };
      return this.failed(err);
    }
    const tasks = extractHeartbeatTasks(markdown);
    if (tasks.length === 0) return { outcome: "no_tasks" };

    try {
      const last = await this.opts.lastActiveChat();
      const target = last && this.opts.isAllowed(last) ? last : undefined;
      const origin: TurnOrigin = {
        sessionKey: "heartbeat",
        channel: target?.channel ?? "heartbeat",
        chatId: target?.chatId ?? "heartbeat",
      };
      const reply = (
        await this.opts.runTurn({
          origin,
          text: heartbeatPrompt(tasks, new Date(now).toISOString()),
          noHistory: true,
          signal: this.shutdown.signal,
        })
      )?.trim();
      if (!reply || isHeartbeatOk(reply)) return { outcome: "heartbeat_ok" };
      if (!target) {
        this.log.warn("heartbeat: the reply has nowhere to go (no allowed chat has been active yet)");
        return { outcome: "no_target" };
      }
      await this.opts.send(target.channel, target.chatId, reply);
      await this.remember(target, reply, now);
      return { outcome: "delivered", to: target };
    } catch (err) {
      return this.failed(err);
    }
  }

  /** the alert joins the chat's history as the assistant's message; a failure here costs only that context */
  private async remember(target: ChatRef, reply: string, now: number): Promise<void> {
    const sessions = this.opts.sessions;
    if (!sessions) return;
    try {
      const session = (await sessions.listSessions(SESSION_LOOKUP_LIMIT)).find((x) => x.channel === target.channel && x.chatId === target.chatId);
      if (!session) {
        this.log.info({ channel: target.channel }, "heartbeat: the alert was sent, but the chat has no session to record it in");
        return;
      }
      await sessions.append(session.key, [{ role: "assistant", content: reply }], now);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "heartbeat: the alert was sent but could not be added to the chat's history");
    }
  }

  private failed(err: unknown): BeatResult {
    const error = errorMessage(err);
    this.log.error({ err: error }, "heartbeat: beat failed");
    return { outcome: "error", error };
  }
}
