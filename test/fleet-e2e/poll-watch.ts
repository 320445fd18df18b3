// One front door per gateway to the one fake Telegram Bot API. Every gateway
// of a fleet talks to the same bot (same token, same update queue), but each
// goes through its own door, so the watch knows WHICH gateway made each call:
// when each getUpdates began and ended, how many gateways were polling at the
// same moment, and how many polls Telegram answered with 409 ("terminated by
// other getUpdates request": two pollers). A door forwards bytes unchanged;
// when its gateway dies (kill -9 closes the socket) the forwarded request is
// cut too, as Telegram sees a dead client's connection drop. It also notes
// which gateway sent each reply, so a reply Telegram got twice can be traced
// to a gateway killed between its send and its record of it (the send window).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Poll {
  gateway: string;
  /** Date.now() when the request reached the door */
  start: number;
  /** when the answer was sent (or the caller went away); undefined while held */
  end?: number;
  /** HTTP status Telegram answered with; undefined when the caller went away first */
  status?: number;
}

/** a sendMessage as it went through a door */
export interface Send {
  gateway: string;
  /** Date.now() when the request reached the door */
  start: number;
  /** when Telegram's answer came back */
  at: number;
  text: string;
  ok: boolean;
}

export class PollWatch {
  readonly polls: Poll[] = [];
  readonly sends: Send[] = [];
  /** other Bot API calls per gateway (sendMessage, getMe …) */
  readonly calls = new Map<string, number>();
  /** the most gateways that held a getUpdates at the same moment */
  maxConcurrentPollers = 0;
  /** one line per moment two gateways polled at once */
  readonly overlaps: string[] = [];
  private readonly servers: Server[] = [];
  private readonly upstream: URL;

  constructor(upstreamUrl: string) {
    this.upstream = new URL(upstreamUrl);
  }

  /** getUpdates answered 409: Telegram saw a second poller */
  get conflicts(): number {
    return this.polls.filter((p) => p.status === 409).length;
  }

  /** Opens a door for `gateway`; its URL is the gateway's channels.telegram.api_base. */
  async door(gateway: string): Promise<string> {
    const server = createServer((req, res) => this.forward(gateway, req, res));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** gateways with a getUpdates held right now */
  polling(): string[] {
    return [...new Set(this.polls.filter((p) => p.end === undefined).map((p) => p.gateway))];
  }

  /** the first getUpdates that began at or after `t` from a gateway other than `not` */
  firstPollAfter(t: number, not?: string): Poll | undefined {
    return this.polls.find((p) => p.start >= t && p.gateway !== not);
  }

  /** the gateway that polled last */
  lastPoller(): string | undefined {
    return this.polls.at(-1)?.gateway;
  }

  pollsBy(gateway: string): number {
    return this.polls.filter((p) => p.gateway === gateway).length;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  private forward(gateway: string, req: IncomingMessage, res: ServerResponse): void {
    const method = /\/bot[^/]+\/([A-Za-z]+)/.exec(req.url ?? "")?.[1]?.toLowerCase();
    const poll = method === "getupdates" ? this.begin(gateway) : undefined;
    if (!poll && method) this.calls.set(gateway, (this.calls.get(gateway) ?? 0) + 1);
    const body: Buffer[] = [];
    const start = Date.now();
    if (method === "sendmessage") req.on("data", (c: Buffer) => body.push(c));
    const up = request(
      { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (poll) poll.status = answer.statusCode;
        if (method === "sendmessage") answer.on("end", () => this.sends.push({ gateway, start, at: Date.now(), text: sentText(Buffer.concat(body)), ok: answer.statusCode === 200 }));
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
    // the gateway went away (killed) before the answer: Telegram sees its connection drop
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
      if (poll) poll.end = Date.now();
    });
  }

  /**
   * Reply texts Telegram took more than once where the copy before the last
   * was NOT sent by a gateway killed before the next copy: a chunk sent twice
   * outside the send window. `killedAt`: gateway → when its kill was issued.
   * A copy from a killed gateway may reach this proxy after that moment (it
   * was written just before the process died and read here a little later),
   * so only the next copy is compared with the kill.
   */
  sentTwiceOutsideWindow(killedAt: Map<string, number>): string[] {
    const byText = new Map<string, Send[]>();
    for (const s of this.sends.filter((x) => x.ok)) byText.set(s.text, [...(byText.get(s.text) ?? []), s]);
    const bad: string[] = [];
    for (const [text, copies] of byText) {
      for (let i = 0; i + 1 < copies.length; i++) {
        const first = copies[i]!;
        const kill = killedAt.get(first.gateway);
        // killed around the copy leaving it (perhaps before Telegram's "ok" reached it) and before the copy was sent again
        if (kill === undefined || kill > copies[i + 1]!.start) bad.push(`"${text}" sent by ${first.gateway} at ${first.at}, again by ${copies[i + 1]!.gateway} at ${copies[i + 1]!.at}`);
      }
    }
    return bad;
  }

  private begin(gateway: string): Poll {
    const poll: Poll = { gateway, start: Date.now() };
    this.polls.push(poll);
    const now = this.polling();
    if (now.length > this.maxConcurrentPollers) this.maxConcurrentPollers = now.length;
    if (now.length > 1) this.overlaps.push(`${new Date(poll.start).toISOString()}: ${now.join(", ")} polling at once`);
    return poll;
  }
}

/** the text of a sendMessage body (JSON or form-encoded) */
function sentText(body: Buffer): string {
  const raw = body.toString("utf8");
  try {
    return String((JSON.parse(raw) as { text?: unknown }).text ?? "");
  } catch {
    return new URLSearchParams(raw).get("text") ?? raw;
  }
}
