// The crash suite: the real daemon (`switchboard gateway`) on one channel
// with its fake platform and the fake LLM, killed with SIGKILL at random
// moments while people write to it, restarted, and at the end every message
// is counted: answered once, lost, or answered twice. `npm run chaos` runs
// it at length (bench/chaos.ts); test/chaos/chaos.test.ts runs a short one.
//
// How an answer is recognised: the model's reply carries a number unique to
// the model call (`ack n17 :: <what the person wrote>`), and what a person
// writes carries a unique id. A message whose id shows up under two numbers
// was answered by two turns (answered twice); the same reply arriving twice
// is a chunk re-sent after a kill between the platform's "ok" and the
// gateway's record of it (the send window, counted apart).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { FakeDiscord } from "../fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm, type RecordedRequest } from "../fakes/fake-llm.ts";
import { FakeLark } from "../fakes/lark/server.ts";
import { FakeQq } from "../fakes/qq/server.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { FakeBridge } from "../fakes/whatsapp/bridge.ts";

export const CHAOS_CHANNELS = ["telegram", "discord", "feishu", "qq", "whatsapp"] as const;
export type ChaosChannel = (typeof CHAOS_CHANNELS)[number];

/** One channel's fake platform as the suite drives it. */
interface Driver {
  /** the channels.<id> block pointing at the fake */
  config(): Record<string, unknown>;
  /** person `user` (0, 1, 2) writes `text` */
  send(user: number, text: string): void;
  /** every text the bot posted, in order */
  replies(): string[];
  /** the platform keeps what is written while the gateway is down (queue, history or redelivery) */
  keepsWhileDown: boolean;
  close(): Promise<void>;
}

async function driver(channel: ChaosChannel): Promise<Driver> {
  switch (channel) {
    case "telegram": {
      const tg = await FakeTelegramApi.start();
      return {
        config: () => ({ token: tg.token, api_base: tg.url }),
        send: (u, text) => void tg.userMessage({ chatId: 5000 + u, fromId: 5000 + u, text }),
        replies: () => tg.sent.map((m) => m.text ?? ""),
        keepsWhileDown: true, // getUpdates keeps unconfirmed updates
        close: () => tg.close(),
      };
    }
    case "discord": {
      const dc = await FakeDiscord.start({ heartbeatIntervalMs: 2000 });
      const people = [dc.alice, dc.bob, { id: "4455667788", username: "carol", global_name: null }];
      return {
        config: () => ({ token: dc.token, api_base: dc.apiBase }),
        send: (u, text) => void dc.dm(text, { author: people[u]! }),
        replies: () => dc.sent.map((m) => m.body.content ?? ""),
        keepsWhileDown: true, // channel history, read by catch-up
        close: () => dc.close(),
      };
    }
    case "feishu": {
      const lark = await FakeLark.start();
      return {
        config: () => lark.config(),
        send: (u, text) => void lark.userSays(`user${u}`, text),
        replies: () => lark.sent.map((m) => m.text),
        keepsWhileDown: true, // unacknowledged events are delivered again on the next connection
        close: () => lark.close(),
      };
    }
    case "qq": {
      const qq = await FakeQq.start();
      return {
        config: () => qq.config(),
        send: (u, text) => void qq.c2cMessage({ openid: `OPENID${u}`, text }),
        replies: () => qq.sent.map((m) => m.content),
        keepsWhileDown: true, // the saved session is resumed and QQ replays what it missed (channels/qq/README.md)
        close: () => qq.close(),
      };
    }
    case "whatsapp": {
      // a bridge that keeps messages until acknowledged (bridge-protocol.ts); one without
      // acknowledgements cannot give back what was pushed just before a crash (README)
      const bridge = await FakeBridge.start({ acks: true });
      return {
        config: () => ({ bridge_url: bridge.url }),
        send: (u, text) => void bridge.userSays({ from: `1555000000${u}`, text }),
        replies: () => bridge.sent.map((f) => f.content),
        keepsWhileDown: true, // unacknowledged messages are replayed on the next connection
        close: () => bridge.close(),
      };
    }
  }
}

export interface ChaosOptions {
  channel: ChaosChannel;
  /** kill -9 and restart this many times */
  kills: number;
  /** messages written per round (between two kills) */
  perRound: number;
  /** the kill lands 0..this many ms after the round's messages */
  maxKillDelayMs: number;
  /** the model answers after 0..this many ms (so kills land mid-turn) */
  maxModelDelayMs: number;
  random?: () => number;
  log?: (line: string) => void;
  /** every model call with the user texts it saw, every write and kill (to find a loss) */
  trace?: (line: string) => void;
  /** store.url for the daemon (a PostgreSQL database); default the SQLite file in its home */
  storeUrl?: string;
}

export interface ChaosFigures {
  channel: ChaosChannel;
  messages: number;
  kills: number;
  once: number;
  lost: number;
  twice: number;
  /** reply chunks that arrived twice (the platform's send window) */
  resentChunks: number;
  /** ids of lost / twice-answered messages, for a failure report */
  lostIds: string[];
  twiceIds: string[];
}

/** Runs one channel's crash trial; starts and stops its own fakes. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosFigures> {
  const random = opts.random ?? Math.random;
  const log = opts.log ?? (() => undefined);
  const llm: FakeLlm = await startFakeLlm();
  const platform = await driver(opts.channel);
  const home = mkdtempSync(join(tmpdir(), `sb-chaos-${opts.channel}-`));
  let calls = 0;
  llm.setDefault((req: RecordedRequest) => {
    const n = ++calls;
    opts.trace?.(`model call n${n}: ${userTexts(req).join(" | ")}`);
    return { reply: `ack n${n} :: ${lastUserText(req)}`, delayMs: Math.floor(random() * opts.maxModelDelayMs) };
  });
  writeConfig(home, {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-chaos-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    channels: { [opts.channel]: { enabled: true, allow_from: ["*"], ...platform.config() } },
    ...(opts.storeUrl ? { store: { url: opts.storeUrl } } : {}),
  });
  const written: string[] = [];
  let daemon: RunningDaemon | undefined;
  const write = (round: number, i: number) => {
    const id = `${opts.channel.slice(0, 2)}${round}x${i}`;
    written.push(id);
    opts.trace?.(`write ${id} (user ${i % 3})`);
    platform.send(i % 3, `msg ${id}`);
  };
  const answered = () => written.every((id) => platform.replies().some((r) => mentions(r, id)));
  try {
    daemon = await startOnline(home, opts.channel);
    // everyone has talked to the bot once before the kills begin: a Discord bot
    // cannot find the DM channel of someone it has never heard from (README)
    for (let u = 0; u < 3; u++) write(0, 100 + u);
    await waitFor(() => answered() || undefined, "the first hellos", 30_000);
    for (let round = 0; round < opts.kills; round++) {
      for (let i = 0; i < opts.perRound; i++) write(round, i);
      await sleep(Math.floor(random() * opts.maxKillDelayMs));
      await daemon.kill();
      opts.trace?.(`killed (round ${round})`);
      // written while the gateway is down, where the platform keeps it
      if (platform.keepsWhileDown) write(round, opts.perRound);
      daemon = await startOnline(home, opts.channel);
      log(`${opts.channel}: kill ${round + 1}/${opts.kills}`);
    }
    for (let i = 0; i < opts.perRound; i++) write(opts.kills, i);
    // generous: a message still unanswered after this counts as lost (a loaded machine is slow, not lossy)
    await waitFor(() => answered() || undefined, "every message answered", 90_000).catch(() => undefined);
    await waitFor(async () => ((await status(daemon!)).queues?.outboundPending === 0 ? true : undefined), "the outbox to drain", 20_000).catch(() => undefined);
  } finally {
    await daemon?.stop();
    await Promise.all([platform.close(), llm.close()]);
    if (process.env.SB_CHAOS_KEEP_HOME) opts.trace?.(`home kept at ${home}`);
    else rmSync(home, { recursive: true, force: true });
  }
  const replies = platform.replies();
  for (const r of replies) opts.trace?.(`reply: ${r.replace(/\n+/g, " / ")}`);
  return count(opts.channel, opts.kills, written, replies);
}

/**
 * whether a reply answers message `id`: messages that arrive while their chat's
 * turn runs are answered together, in one turn whose user text holds them all
 * (joined by blank lines, trimmed), so an id may sit anywhere in the reply;
 * "x1" must not match inside "x10"
 */
export function mentions(reply: string, id: string): boolean {
  return new RegExp(`(?:^|\\s)msg ${id}(?![0-9])`).test(reply);
}

/** once / lost / twice per message id, from the replies the platform received */
export function count(channel: ChaosChannel, kills: number, written: string[], replies: string[]): ChaosFigures {
  const figures: ChaosFigures = { channel, messages: written.length, kills, once: 0, lost: 0, twice: 0, resentChunks: 0, lostIds: [], twiceIds: [] };
  const seen = new Map<string, number>();
  for (const r of replies) seen.set(r, (seen.get(r) ?? 0) + 1);
  for (const n of seen.values()) figures.resentChunks += n - 1;
  for (const id of written) {
    const turns = new Set([...seen.keys()].filter((r) => mentions(r, id)).map((r) => /^ack (n\d+) ::/.exec(r)?.[1] ?? r));
    if (turns.size === 0) {
      figures.lost++;
      figures.lostIds.push(id);
    } else if (turns.size === 1) figures.once++;
    else {
      figures.twice++;
      figures.twiceIds.push(id);
    }
  }
  return figures;
}

export function formatFigures(f: ChaosFigures): string {
  return `${f.channel.padEnd(9)} ${String(f.messages).padStart(5)} messages, ${String(f.kills).padStart(3)} kills: answered once ${f.once}, lost ${f.lost}, twice ${f.twice}; chunks re-sent in the send window: ${f.resentChunks}`;
}

function userTexts(req: RecordedRequest): string[] {
  const msgs = req.body.messages as { role: string; content: unknown }[];
  return msgs.filter((m) => m.role === "user").map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)));
}

function lastUserText(req: RecordedRequest): string {
  const msgs = req.body.messages as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === "user")?.content;
  return typeof last === "string" ? last : JSON.stringify(last);
}

async function status(d: RunningDaemon): Promise<{ channels?: { id: string; state: string }[]; queues?: { outboundPending: number } }> {
  return (await (await fetch(`${d.url}/status`)).json()) as never;
}

/** starts the daemon and waits until the channel is online (messages written before that may not reach it) */
async function startOnline(home: string, channel: string): Promise<RunningDaemon> {
  const d = await startDaemon(home, { SWITCHBOARD_LOG_LEVEL: "warn" });
  await waitFor(async () => (await status(d)).channels?.find((c) => c.id === channel)?.state === "online" || undefined, `${channel} online`, 20_000);
  return d;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
