// LeasedChannels without a database: which channels run on a gateway of a
// fleet as leases come and go and as reloads change the config.
import { describe, expect, it } from "vitest";
import type { ChannelAdapter, ChannelContext } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { channelPolicy } from "../../src/gateway/access.ts";
import { ChannelSet } from "../../src/gateway/channel-set.ts";
import type { LoadedChannel } from "../../src/gateway/channels.ts";
import { accountChannel, channelAccount, LeasedChannels } from "../../src/gateway/fleet-channels.ts";
import type { Outbox } from "../../src/gateway/outbox.ts";
import { telegram } from "../../channels/telegram/index.ts";

class CountingAdapter implements ChannelAdapter {
  readonly id: string;
  readonly capabilities = { maxTextLength: 4096, format: "plain", typing: false, edit: false, voiceIn: false } as const;
  starts = 0;
  stops = 0;
  running = false;
  constructor(id: string) {
    this.id = id;
  }
  async start(ctx: ChannelContext): Promise<void> {
    this.starts++;
    this.running = true;
    ctx.setStatus("online");
  }
  async stop(): Promise<void> {
    if (this.running) this.stops++;
    this.running = false;
  }
  async send(): Promise<{ messageId: string }> {
    return { messageId: "1" };
  }
}

function loaded(cfg: Record<string, unknown>): LoadedChannel & { adapter: CountingAdapter } {
  return { id: "telegram", definition: telegram, adapter: new CountingAdapter("telegram"), policy: channelPolicy(cfg), fingerprint: JSON.stringify(cfg) };
}

function setup() {
  const set = new ChannelSet({ accept: async () => {}, outbox: () => ({ kick: () => {} }) as unknown as Outbox, logger: silentLogger() });
  return { set, leased: new LeasedChannels({ set, logger: silentLogger() }) };
}

describe("LeasedChannels", () => {
  it("names one lease per channel account", () => {
    expect(channelAccount("telegram")).toBe("telegram:default");
    expect(accountChannel("telegram:default")).toBe("telegram");
    expect(accountChannel("heartbeat")).toBeUndefined();
  });

  it("starts a polling channel only while its lease is held, and stops it at once when lost", async () => {
    const { set, leased } = setup();
    const ch = loaded({ enabled: true, token: "1:x" });
    leased.start(ch);
    expect(leased.ids()).toEqual(["telegram"]);
    expect(leased.accounts()).toEqual(["telegram:default"]);
    expect(set.has("telegram")).toBe(false);
    await leased.acquired("telegram");
    expect(set.has("telegram")).toBe(true);
    expect(ch.adapter.running).toBe(true);
    await leased.lost("telegram");
    expect(set.has("telegram")).toBe(false);
    expect(ch.adapter.running).toBe(false);
    expect(leased.has("telegram")).toBe(true); // still configured: it starts again when the lease comes back
  });

  it("runs a webhook-mode channel on every gateway, lease or not", async () => {
    const { set, leased } = setup();
    const ch = loaded({ enabled: true, token: "1:x", mode: "webhook", webhook_url: "https://x.example/webhook/telegram" });
    leased.start(ch);
    expect(set.has("telegram")).toBe(true);
    await leased.acquired("telegram");
    await leased.lost("telegram");
    expect(set.has("telegram")).toBe(true);
    expect(ch.adapter.stops).toBe(0);
  });

  it("on reload, restarts a changed channel only where it runs and keeps the new config for later elsewhere", async () => {
    const here = setup();
    const there = setup();
    const v1 = { enabled: true, token: "1:x" };
    here.leased.start(loaded(v1));
    there.leased.start(loaded(v1));
    await here.leased.acquired("telegram");
    const changedHere = loaded({ ...v1, token: "1:y" });
    const changedThere = loaded({ ...v1, token: "1:y" });
    const a = await here.leased.apply({ start: [changedHere], stop: [], policies: new Map() });
    const b = await there.leased.apply({ start: [changedThere], stop: [], policies: new Map() });
    expect(a.restarted).toEqual(["telegram"]);
    expect(changedHere.adapter.running).toBe(true);
    expect(b).toEqual({ started: [], restarted: [], stopped: [], policies: [] });
    expect(changedThere.adapter.starts).toBe(0);
    // the lease moves there later: the new config starts
    await there.leased.acquired("telegram");
    expect(changedThere.adapter.running).toBe(true);
  });

  it("a disabled channel stops and is no longer wanted, so its lease is given back", async () => {
    const { set, leased } = setup();
    leased.start(loaded({ enabled: true, token: "1:x" }));
    await leased.acquired("telegram");
    const out = await leased.apply({ start: [], stop: ["telegram"], policies: new Map() });
    expect(out.stopped).toEqual(["telegram"]);
    expect(set.has("telegram")).toBe(false);
    expect(leased.accounts()).toEqual([]);
  });
});
