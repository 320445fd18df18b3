// The unit-level channel contract every adapter runs against its own fake
// platform (test/fakes/<id>): lifecycle by signal and the closed error codes.
//   - stop() is idempotent, before start and after
//   - aborting the signal while start() is in flight ends that run: start
//     settles, reports nothing after the abort, and a new run can start
//   - a send the platform answers with 429 is `rate_limited` with the
//     platform's retry time
//   - a send after the platform stopped accepting the credentials is `auth`,
//     naming the config key to fix and never the secret
// Each channel calls adapterContract() from test/channels/<id>/adapter-contract.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelAdapter, ChannelContext, ChannelState, InboundMessage } from "../../src/core/channel.ts";

export interface ContractSubject {
  /** a fresh adapter on a fresh fake, not started */
  adapter: ChannelAdapter;
  /** a chat the bot may send to (after prepareSend) */
  chatId: string;
  /** when start() resolves before the platform connected (WhatsApp native: pairing can take a person): bring it online */
  goOnline?(): Promise<void>;
  /** platforms that only allow replies (QQ) get an inbound message here */
  prepareSend?(received: InboundMessage[]): Promise<void>;
  /** the platform answers the next send with 429; returns the wait it announced, in ms */
  rateLimitNextSend(): number;
  /** the platform stops accepting the configured credentials (token revoked, secret reset) */
  rejectCredentials(): void;
  /** a text the secret contains, which no error may show */
  secret: string;
  close(): Promise<void>;
}

interface Run {
  ctx: ChannelContext;
  controller: AbortController;
  statuses: { state: ChannelState; at: number }[];
  received: InboundMessage[];
}

function run(): Run {
  const controller = new AbortController();
  const statuses: Run["statuses"] = [];
  const received: InboundMessage[] = [];
  let tick = 0;
  return {
    controller,
    statuses,
    received,
    ctx: {
      signal: controller.signal,
      emit: async (msg) => void received.push(msg),
      setStatus: (state) => statuses.push({ state, at: tick++ }),
    },
  };
}

async function caught(p: Promise<unknown>): Promise<Error & { code?: string; retryAfterMs?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

export function adapterContract(id: string, make: () => Promise<ContractSubject>): void {
  describe(`${id}: the channel adapter contract`, () => {
    let subject: ContractSubject | undefined;
    const runs: Run[] = [];
    afterEach(async () => {
      for (const r of runs.splice(0)) r.controller.abort();
      await subject?.adapter.stop();
      await subject?.close();
      subject = undefined;
    });

    async function online(): Promise<{ s: ContractSubject; r: Run }> {
      subject = await make();
      const r = run();
      runs.push(r);
      await subject.adapter.start(r.ctx);
      await subject.goOnline?.();
      // start() resolves once online
      expect(r.statuses.filter((x) => x.state !== "connecting").at(-1)?.state ?? "online").toBe("online");
      await subject.prepareSend?.(r.received);
      return { s: subject, r };
    }

    it("stop() is idempotent: before start, and twice after", async () => {
      subject = await make();
      await subject.adapter.stop();
      const r = run();
      runs.push(r);
      await subject.adapter.start(r.ctx);
      await subject.adapter.stop();
      await subject.adapter.stop();
      await Promise.all([subject.adapter.stop(), subject.adapter.stop()]);
    });

    it("an abort during start() ends that run, and a new run can start", async () => {
      subject = await make();
      const first = run();
      runs.push(first);
      const starting = subject.adapter.start(first.ctx);
      first.controller.abort();
      await starting.catch(() => undefined);
      const afterAbort = first.statuses.length;
      const second = run();
      runs.push(second);
      await subject.adapter.start(second.ctx);
      expect(second.statuses.filter((x) => x.state !== "connecting").at(-1)?.state ?? "online").toBe("online");
      // the aborted run said nothing more once the new one was up
      expect(first.statuses.slice(afterAbort).filter((x) => x.state === "online")).toEqual([]);
      await subject.adapter.stop();
    });

    it("a 429 from the platform is rate_limited with the platform's retry time", async () => {
      const { s } = await online();
      const wait = s.rateLimitNextSend();
      const err = await caught(s.adapter.send(s.chatId, { text: "too fast", format: "plain" }));
      expect(err).toMatchObject({ code: "rate_limited" });
      // SDKs may add a small safety margin (discord.js: 50 ms), never less than asked
      expect(err.retryAfterMs).toBeGreaterThanOrEqual(wait);
      expect(err.retryAfterMs).toBeLessThan(wait + 1000);
    });

    it("rejected credentials are auth, naming the key to fix and never the secret", async () => {
      const { s } = await online();
      s.rejectCredentials();
      const err = await caught(s.adapter.send(s.chatId, { text: "hello?", format: "plain" }));
      expect(err).toMatchObject({ code: "auth" });
      expect(err.message).toMatch(new RegExp(`channels\\.${id}\\.`));
      expect(err.message).not.toContain(s.secret);
    });
  });
}
