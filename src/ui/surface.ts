// What the control page shows and does, as the running gateway offers it.
// The daemon implements this over its live parts (supervisors, router,
// stores, reload); the page's HTTP routes (routes.ts) only translate. Every
// view is plain JSON with secrets already removed: nothing here may carry a
// key, token or password to the browser.

export interface ChannelView {
  id: string;
  state: string;
  detail?: string;
  /** epoch ms the channel entered its state */
  since?: number;
  lastInboundAt?: number;
  restarts: number;
  lastError?: string;
  /** a QR code to scan (WhatsApp pairing), as the text to encode */
  qr?: string;
}

export interface ModelEntryView {
  /** stable id of the entry, for actions */
  key: string;
  modelName: string;
  model: string;
  endpoint?: string;
  /** epoch ms until which the entry rests; absent when usable */
  cooldownUntil?: number;
  lastError?: string;
  failures?: number;
}

export interface AttemptView {
  at: number;
  modelName: string;
  entry: string;
  ok: boolean;
  reason?: string;
  ms?: number;
}

export interface SessionView {
  key: string;
  channel?: string;
  chatId?: string;
  updatedAt: number;
  messageCount: number;
  lastModel?: string;
}

export interface HistoryLine {
  role: string;
  text: string;
  at: number;
}

export interface PairingView {
  pending: { channel: string; code: string; senderId: string; label?: string; createdAt: number; expiresAt: number }[];
  approved: { channel: string; senderId: string; label?: string; approvedAt: number }[];
}

export interface DeadLetterView {
  id: number;
  channel: string;
  chatId: string;
  text: string;
  attempts: number;
  lastError?: string;
  createdAt: number;
}

export interface CronJobView {
  id: string;
  name: string;
  schedule: string;
  enabled: boolean;
  nextRunAt?: number;
  lastRunAt?: number;
  lastStatus?: string;
}

export interface LogLine {
  /** increasing number, so a reconnecting page knows what it missed */
  seq: number;
  time: number;
  level: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  msg: string;
  /** the other fields of the line, already redacted */
  fields?: Record<string, unknown>;
}

export interface ReloadOutcome {
  applied: boolean;
  /** one line a person can act on */
  message: string;
  /** what changed, what needs a restart, what was refused */
  details?: string[];
}

export interface ConfigCheck {
  /** named apart from the API's `ok`: an invalid config is a good answer to "check this" */
  valid: boolean;
  /** problems that stop the config, each with its key path and fix */
  errors: string[];
  warnings: string[];
}

export interface Overview {
  version: string;
  startedAt: number;
  ready: boolean;
  lastReload?: { at: number; applied: boolean; message: string };
}

export interface ControlSurface {
  overview(): Overview;
  channels(): ChannelView[];
  restartChannel(id: string): Promise<void>;
  models(): { entries: ModelEntryView[]; attempts: AttemptView[] };
  clearCooldown(key: string): void;
  sessions(limit: number): Promise<SessionView[]>;
  history(key: string, limit: number): Promise<HistoryLine[]>;
  resetSession(key: string): Promise<void>;
  pairing(): Promise<PairingView>;
  approvePairing(channel: string, code: string): Promise<boolean>;
  denyPairing(channel: string, code: string): Promise<boolean>;
  revokeSender(channel: string, senderId: string): Promise<boolean>;
  deadLetters(): Promise<DeadLetterView[]>;
  retryDeadLetter(id: number): Promise<boolean>;
  dropDeadLetter(id: number): Promise<boolean>;
  cronJobs(): Promise<CronJobView[]>;
  runCronNow(id: string): Promise<void>;
  setCronEnabled(id: string, enabled: boolean): Promise<boolean>;
  /** the config file's text as written, with every secret replaced by a placeholder */
  configText(): { path: string; text: string; exists: boolean };
  /** checks a candidate text (placeholders stand for the current secrets) without applying it */
  checkConfig(text: string): ConfigCheck;
  /** writes the candidate atomically and reloads; the running config keeps serving when it is refused */
  applyConfig(text: string): Promise<ReloadOutcome>;
  recentLogs(limit: number): LogLine[];
  /** called on every change worth showing (state, logs); returns the unsubscribe */
  subscribe(listener: (event: { kind: "state" } | { kind: "log"; line: LogLine }) => void): () => void;
}
