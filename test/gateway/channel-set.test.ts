// ChannelSet without a gateway: what it does when a channel's state changes.
// The outbox is kicked as a channel comes online (a start, and every
// reconnect), and whoever follows readiness is told at once.
import { describe, expect, it } from "vitest";
import type { ChannelAdapter, ChannelContext } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { channelPolicy } from "../../src/gateway/access.ts";
import { ChannelSet } from "../../src/gateway/channel-set.ts";
import type { Outbox } from "../../src/gateway/outbox.ts";
import { telegram } from "../../channels/telegram/index.ts";

/** an adapter whose connection the test brings up and down */
class SteeredAdapter implements ChannelAdapter {
  readonly id = "telegram";
  readonly capabilities = { maxTextLength: 4096, format: "plain", typing: false, edit: false, voiceIn: false } as const;
  ctx: ChannelContext | undefined;
  /** true while the adapter's own setStatus("online") call runs */
  inReport = false;
  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    ctx.setStatus("connecting");
  }
  report(state: "online" | "reconnecting"): void {
    this.inReport = true;
    this.ctx!.setStatus(state);
    this.inReport = false;
  }
  async stop(): Promise<void> {}
  async send(): Promise<{ messageId: string }> {
    return { messageId: "1" };
  }
}

function setup() {
  const adapter = new SteeredAdapter();
  const kicks: { channel: string | undefined; duringReport: boolean }[] = [];
  const outbox = { kick: (channel?: string) => kicks.push({ channel, duringReport: adapter.inReport }) } as unknown as Outbox;
  const set = new ChannelSet({ accept: async () => {}, outbox: () => outbox, logger: silentLogger() });
  const loaded = { id: "telegram", definition: telegram, adapter, policy: channelPolicy({ allow_from: ["*"] }), fingerprint: "{}" };
  return { set, adapter, kicks, loaded };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("ChannelSet state changes", () => {
  it("kicks the outbox as the channel comes online, after the adapter's own call returned, and at every reconnect", async () => {
    const { set, adapter, kicks, loaded } = setup();
    set.start(loaded);
    await turn();
    expect(set.online("telegram")).toBe(false);
    expect(kicks).toEqual([]);
    adapter.report("online");
    await turn();
    // one turn of the event loop, not a timer's period later
    expect(kicks).toEqual([{ channel: "telegram", duringReport: false }]);
    adapter.report("reconnecting");
    adapter.report("online");
    await turn();
    expect(kicks.map((k) => k.channel)).toEqual(["telegram", "telegram"]);
    await set.stopAll();
  });

  it("tells readiness listeners of each change of state, in the same call, until they stop listening", async () => {
    const { set, adapter, loaded } = setup();
    const seen: string[] = [];
    const stop = set.onChange(() => seen.push(set.statuses().map((s) => s.state).join()));
    set.start(loaded);
    await turn();
    adapter.report("online");
    expect(seen).toEqual(["connecting", "online"]);
    adapter.report("online"); // no change: nobody is told
    expect(seen).toHaveLength(2);
    stop();
    adapter.report("reconnecting");
    expect(seen).toHaveLength(2);
    await set.stopAll();
  });

  it("does not kick for a channel a reload replaced before it came online", async () => {
    const { set, adapter, kicks, loaded } = setup();
    set.start(loaded);
    await turn();
    const replacement = { ...loaded, adapter: new SteeredAdapter() };
    await set.apply({ start: [replacement], stop: [], policies: new Map() });
    adapter.report("online"); // the old generation's late report: the supervisor ignores it
    await turn();
    expect(kicks).toEqual([]);
    replacement.adapter.report("online");
    await turn();
    expect(kicks).toHaveLength(1);
    await set.stopAll();
  });
});
