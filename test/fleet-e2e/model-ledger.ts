// The fake model's side of a fleet run: every model call with the gateway
// that made it (each gateway has its own API key), the chat it was for and
// when it ran, so a run can show that one chat's turns never ran at the same
// time (on two gateways, or twice on one), how the work spread over the
// fleet, and how often a cron job's turn ran.
//
// The reply carries a number unique to the call (`ack n17 :: <what the person
// wrote>`), the shape test/chaos/harness.ts count() reads, so a message
// answered by two turns is told from a reply chunk sent twice.
import type { FakeLlm, RecordedRequest } from "../fakes/fake-llm.ts";

export interface ModelCall {
  n: number;
  gateway: string;
  /** the chat of the turn: "u<k>" for person k's chat, "cron:<text>" for a cron job's turn */
  chat: string;
  text: string;
  start: number;
  /** when the answer was due (start + the delay the fake waited) */
  end: number;
}

/** the API key a gateway's config gives the model; the ledger reads the gateway back from it */
export function apiKeyOf(gateway: string): string {
  return `sk-fleet-${gateway}-0123456789abcdef`;
}

/** what person `user` writes: `msg <tag>u<user>x<i>`; the chat is read back from the id */
export function messageId(tag: string, user: number, i: number): string {
  return `${tag}u${user}x${i}`;
}

export class ModelLedger {
  readonly calls: ModelCall[] = [];
  /** gateway → when it was killed (its calls in flight end there) */
  private readonly killedAt = new Map<string, number>();

  /** Answers every call of `llm` after 0..maxDelayMs (so kills land mid-turn) and records it. */
  constructor(llm: FakeLlm, maxDelayMs: number, random: () => number = Math.random) {
    llm.setDefault((req: RecordedRequest) => {
      const text = lastUserText(req);
      const delayMs = Math.floor(random() * maxDelayMs);
      const start = Date.now();
      const n = this.calls.length + 1;
      this.calls.push({ n, gateway: gatewayOf(req), chat: chatOf(text), text, start, end: start + delayMs });
      return { reply: `ack n${n} :: ${text}`, delayMs };
    });
  }

  killed(gateway: string, at: number): void {
    this.killedAt.set(gateway, at);
  }

  /** gateway → when it was killed */
  kills(): Map<string, number> {
    return new Map(this.killedAt);
  }

  /** model calls whose turn text holds `needle` */
  callsWith(needle: string): ModelCall[] {
    return this.calls.filter((c) => c.text.includes(needle));
  }

  /** calls per gateway, e.g. { g1: 40, g2: 12 } */
  byGateway(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.calls) out[c.gateway] = (out[c.gateway] ?? 0) + 1;
    return out;
  }

  /**
   * One line per pair of calls of the same chat that ran at the same time: a
   * session's turn running on two gateways at once (or twice on one). A call
   * of a killed gateway ends at the kill.
   */
  sessionOverlaps(): string[] {
    const byChat = new Map<string, ModelCall[]>();
    for (const c of this.calls) byChat.set(c.chat, [...(byChat.get(c.chat) ?? []), c]);
    const bad: string[] = [];
    for (const [chat, calls] of byChat) {
      const sorted = [...calls].sort((a, b) => a.start - b.start);
      for (let i = 0; i < sorted.length; i++) {
        const a = sorted[i]!;
        const aEnd = Math.min(a.end, this.killedAt.get(a.gateway) ?? Infinity);
        for (let j = i + 1; j < sorted.length && sorted[j]!.start < aEnd; j++) {
          const b = sorted[j]!;
          bad.push(`chat ${chat}: call n${a.n} on ${a.gateway} (${a.start}..${aEnd}) and n${b.n} on ${b.gateway} (from ${b.start}) ran at once`);
        }
      }
    }
    return bad;
  }
}

function gatewayOf(req: RecordedRequest): string {
  const auth = String(req.headers.authorization ?? req.headers["x-api-key"] ?? "");
  return /sk-fleet-([a-z0-9]+)-/.exec(auth)?.[1] ?? "unknown";
}

function chatOf(text: string): string {
  const user = /(?:^|\s)msg [a-z0-9]*u(\d+)x\d+/.exec(text)?.[1];
  if (user !== undefined) return `u${user}`;
  const cron = /\bcron-[A-Za-z0-9]+/.exec(text)?.[0];
  return cron ? `cron:${cron}` : "other";
}

function lastUserText(req: RecordedRequest): string {
  const msgs = req.body.messages as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === "user")?.content;
  if (typeof last === "string") return last;
  if (Array.isArray(last)) return last.map((p: { text?: string }) => p.text ?? "").join(" ");
  return JSON.stringify(last);
}
