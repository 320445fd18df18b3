// A sharding strategy for discord.js (its public `ws.buildStrategy` option)
// that does what @discordjs/ws's SimpleShardingStrategy does — every shard in
// this process — plus one thing it misses. A shard that lost its connection
// sleeps 500 ms and reconnects on its own; client.destroy() in that window
// finds the shard "idle", does nothing, and the shard then reconnects and
// RESUMEs behind a stopped client (or, with the gateway unreachable, retries
// forever). Here destroy() retires its shards:
// - a retired shard that tries to connect again is parked: the session
//   lookup it makes before opening a socket never answers, so it never opens
//   one (and holds no timer, so it is garbage once dropped);
// - a retired shard whose socket was still opening is closed as soon as
//   Discord says HELLO, before it can IDENTIFY or RESUME.
//
// The strategy must use the same copy of @discordjs/ws as discord.js: the
// adapter imports it beside discord.js (so the bundle holds it once, and a
// gateway start loads it and its dependencies once instead of a second time
// from node_modules), and the manager discord.js hands over says whether that
// is its copy; if npm ever nests another version under discord.js, the one
// discord.js resolves is required instead (discord.js's own exports shadow
// some of @discordjs/ws's class names, so they cannot be taken from it).
import { createRequire } from "node:module";
import type {
  IContextFetchingStrategy,
  IShardingStrategy,
  SessionInfo,
  WebSocketShard,
  WebSocketShardDestroyOptions,
  WebSocketShardStatus,
  WebSocketManager as WSManager,
} from "@discordjs/ws";
import type { GatewaySendPayload } from "discord.js";

type WsModule = typeof import("@discordjs/ws");
type Statuses = Awaited<ReturnType<IShardingStrategy["fetchStatus"]>>;
type Deps = WsModule & { Collection: new () => Statuses };

/**
 * The strategy builder for discord.js's `ws.buildStrategy` client option.
 * `ws`: @discordjs/ws as the adapter imported it; `Collection`: discord.js's.
 */
export function buildStoppableStrategy(ws: WsModule, Collection: Deps["Collection"]): (manager: WSManager) => IShardingStrategy {
  return (manager) => new StoppableShardingStrategy(manager, { ...wsOf(manager, ws), Collection });
}

/** `ws` when the manager is one of its own, else the copy discord.js resolves */
function wsOf(manager: WSManager, ws: WsModule): WsModule {
  if (manager instanceof ws.WebSocketManager) return ws;
  return createRequire(import.meta.resolve("discord.js"))("@discordjs/ws") as WsModule;
}

const guarded = new WeakSet<object>();
const ignore = () => undefined;

/**
 * WebSocketShard.destroy() clears `connection.onerror` even while the socket
 * is still opening; a handshake that then fails (the gateway hangs up) emits
 * an "error" nobody listens to, which is an uncaught exception that would
 * take the whole gateway down. Before every destroy (ours and the shard's own
 * recoveries) the connection gets a listener that swallows that late error.
 */
function guardDestroy(shard: WebSocketShard): void {
  const target = shard as unknown as { destroy: (o?: WebSocketShardDestroyOptions) => Promise<void>; connection?: { on?: (e: string, l: () => void) => void } | null };
  const destroy = target.destroy.bind(shard);
  target.destroy = (o) => {
    const c = target.connection;
    if (c && typeof c.on === "function" && !guarded.has(c)) {
      guarded.add(c);
      c.on("error", ignore);
    }
    return destroy(o);
  };
}

/** the shard's view of session state and identify throttling, which can be switched off */
class RetirableContext implements IContextFetchingStrategy {
  private readonly inner: IContextFetchingStrategy;
  retired = false;

  constructor(inner: IContextFetchingStrategy) {
    this.inner = inner;
  }

  get options() {
    return this.inner.options;
  }

  retrieveSessionInfo(shardId: number) {
    if (this.retired) return new Promise<SessionInfo | null>(() => undefined);
    return this.inner.retrieveSessionInfo(shardId);
  }

  updateSessionInfo(shardId: number, info: SessionInfo | null) {
    return this.inner.updateSessionInfo(shardId, info);
  }

  waitForIdentify(shardId: number, signal: AbortSignal) {
    return this.inner.waitForIdentify(shardId, signal);
  }
}

class StoppableShardingStrategy implements IShardingStrategy {
  private readonly manager: WSManager;
  private readonly deps: Deps;
  private readonly shards = new Map<number, { shard: WebSocketShard; context: RetirableContext }>();

  constructor(manager: WSManager, deps: Deps) {
    this.manager = manager;
    this.deps = deps;
  }

  async spawn(shardIds: number[]): Promise<void> {
    const options = await this.deps.managerToFetchingStrategyOptions(this.manager);
    const forward = this.manager as unknown as { emit(event: string, payload: unknown): unknown };
    for (const shardId of shardIds) {
      const context = new RetirableContext(new this.deps.SimpleContextFetchingStrategy(this.manager, options));
      const shard = new this.deps.WebSocketShard(context, shardId);
      const events = shard as unknown as { on(event: string, listener: (payload?: object) => void): unknown };
      for (const event of Object.values(this.deps.WebSocketShardEvents)) {
        events.on(event, (payload) => forward.emit(event, { ...payload, shardId }));
      }
      guardDestroy(shard);
      events.on(this.deps.WebSocketShardEvents.Hello, () => {
        if (context.retired) void shard.destroy({ reason: "Client was destroyed" }).catch(() => undefined);
      });
      this.shards.set(shardId, { shard, context });
    }
  }

  async connect(): Promise<void> {
    await Promise.all([...this.shards.values()].map(({ shard }) => shard.connect()));
  }

  async destroy(options?: Omit<WebSocketShardDestroyOptions, "recover">): Promise<void> {
    const all = [...this.shards.values()];
    this.shards.clear();
    for (const { context } of all) context.retired = true;
    await Promise.all(all.map(({ shard }) => shard.destroy(options)));
  }

  async send(shardId: number, payload: GatewaySendPayload): Promise<void> {
    const entry = this.shards.get(shardId);
    if (!entry) throw new RangeError(`Shard ${shardId} not found`);
    await entry.shard.send(payload);
  }

  fetchStatus(): Statuses {
    const statuses = new this.deps.Collection();
    for (const [id, { shard }] of this.shards) statuses.set(id, shard.status as WebSocketShardStatus);
    return statuses;
  }
}
