import { afterEach, describe, expect, it } from "vitest";
import { ChannelError, type ChannelAdapter, type ChannelContext, type InboundMessage } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { ChannelSupervisor } from "../../src/gateway/supervisor.ts";

/** An adapter whose start fails `failures` times, then runs until stopped. */
class FlakyAdapter implements ChannelAdapter {
  readonly id: string;
  readonly capabilities = { maxTextLength: 100, format: "plain" as const, typing: false, edit: false, voiceIn: false };
  starts = 0;
  stops = 0;
  ctx: ChannelContext | undefined;
  failures: number;
  probeOk = true;
  /** what a failing start throws; default a network error */
  failWith: (attempt: number) => Error = (n) => new Error(`connect ECONNREFUSED (attempt ${n})`);
  constructor(id: string, failures: number) {
    this.id = id;
    this.failures = failures;
  }
  async start(ctx: ChannelContext): Promise<void> {
    this.starts++;
    this.ctx = ctx;
    if (this.starts <= this.failures) throw this.failWith(this.starts);
    ctx.setStatus("online");
  }
  async stop(): Promise<void> {
    this.stops++;
  }
  async send(): Promise<{ messageId: string }> {
    return { messageId: "1" };
  }
  async probe(): Promise<void> {
    if (!this.probeOk) throw new Error("probe timeout");
  }
}

const sups: ChannelSupervisor[] = [];
afterEach(async () => {
  for (const s of sups.splice(0)) await s.stop();
});

function supervise(adapter: ChannelAdapter, over: Partial<ConstructorParameters<typeof ChannelSupervisor>[0]> = {}) {
  const received: InboundMessage[] = [];
  const sup = new ChannelSupervisor({
    adapter,
    emit: async (m) => void received.push(m),
    logger: silentLogger(),
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    watchdogEveryMs: 20,
    random: () => 0.5,
    ...over,
  });
  sups.push(sup);
  return { sup, received };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("channel supervisor", () => {
  it("retries a failing start with backoff until the channel comes online", async () => {
    const adapter = new FlakyAdapter("telegram", 3);
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().state === "online");
    expect(adapter.starts).toBe(4);
    expect(sup.status().lastError).toMatch(/ECONNREFUSED \(attempt 3\)/);
  });

  it("keeps one channel's failure away from another", async () => {
    const broken = new FlakyAdapter("discord", Infinity);
    const healthy = new FlakyAdapter("telegram", 0);
    const a = supervise(broken);
    const b = supervise(healthy);
    a.sup.start();
    b.sup.start();
    await until(() => b.sup.status().state === "online" && broken.starts >= 3);
    expect(a.sup.status().state).toBe("reconnecting");
    await healthy.ctx!.emit({ channel: "telegram", chatId: "1", chatType: "direct", messageId: "1", senderId: "1", text: "hi" });
    expect(b.received).toHaveLength(1);
    expect(b.sup.status().lastInboundAt).toBeGreaterThan(0);
  });

  it("restarts a channel whose probe fails twice", async () => {
    const adapter = new FlakyAdapter("telegram", 0);
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().state === "online");
    adapter.probeOk = false;
    await until(() => adapter.starts >= 2);
    expect(sup.status().restarts).toBeGreaterThanOrEqual(1);
    expect(sup.status().lastError).toMatch(/probe/);
  });

  it("restarts a channel stuck connecting", async () => {
    const adapter = new FlakyAdapter("telegram", 0);
    adapter.start = async function (ctx) {
      this.starts++;
      ctx.setStatus(this.starts === 1 ? "connecting" : "online");
    };
    const { sup } = supervise(adapter, { stuckAfterMs: 30 });
    sup.start();
    await until(() => sup.status().state === "online");
    expect(adapter.starts).toBe(2);
  });

  it("stops promptly and for good", async () => {
    const adapter = new FlakyAdapter("telegram", Infinity);
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => adapter.starts >= 1);
    await sup.stop();
    const starts = adapter.starts;
    await new Promise((r) => setTimeout(r, 80));
    expect(adapter.starts).toBe(starts);
    expect(sup.status().state).toBe("stopped");
  });

  /** a sibling whose start keeps failing with a transient error: once it has retried n times, time for retries has passed */
  async function retriesHappenedMeanwhile(n = 3): Promise<void> {
    const witness = new FlakyAdapter("witness", Infinity);
    supervise(witness).sup.start();
    await until(() => witness.starts > n);
  }

  it("takes a channel offline with the reason when its credentials are rejected, and does not retry", async () => {
    const adapter = new FlakyAdapter("telegram", Infinity);
    adapter.failWith = () => new ChannelError("auth", "Telegram answered getMe with 401 Unauthorized: check channels.telegram.token");
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().state === "offline");
    await retriesHappenedMeanwhile();
    expect(adapter.starts).toBe(1);
    expect(sup.status()).toMatchObject({ state: "offline", lastErrorCode: "auth" });
    expect(sup.status().detail).toMatch(/check channels\.telegram\.token.*not retried/);
    // a reload with fixed credentials restarts it
    adapter.failures = 0;
    await sup.restart("config reloaded");
    await until(() => sup.status().state === "online");
    expect(adapter.starts).toBe(2);
  });

  it("waits the platform's retry time after a rate-limited start instead of the backoff", async () => {
    const adapter = new FlakyAdapter("discord", 1);
    adapter.failWith = () => new ChannelError("rate_limited", "Discord rate limit (global)", { retryAfterMs: 60_000 });
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().lastErrorCode === "rate_limited");
    expect(sup.status().detail).toMatch(/^retrying in 60 s/);
    await retriesHappenedMeanwhile();
    expect(adapter.starts).toBe(1);
  });

  it("takes a channel offline when a send reports rejected credentials", async () => {
    const adapter = new FlakyAdapter("qq", 0);
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().state === "online");
    sup.authFailed("QQ rejected the access token; check channels.qq.app_id and channels.qq.app_secret");
    await until(() => sup.status().state === "offline");
    expect(adapter.stops).toBeGreaterThanOrEqual(1);
    expect(sup.status().lastErrorCode).toBe("auth");
  });

  it("ignores status reports from a generation that has ended", async () => {
    const adapter = new FlakyAdapter("feishu", 0);
    const { sup } = supervise(adapter);
    sup.start();
    await until(() => sup.status().state === "online");
    const old = adapter.ctx!;
    await sup.restart("test");
    await until(() => adapter.starts === 2 && sup.status().state === "online");
    expect(old.signal.aborted).toBe(true);
    old.setStatus("offline", "late news from the old connection");
    expect(sup.status().state).toBe("online");
  });
});
