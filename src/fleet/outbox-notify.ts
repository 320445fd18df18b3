// A reply stored by one gateway reaches the gateway that sends on its channel
// at once: a statement trigger on the store's outbox table NOTIFYs the
// channel names of the rows it inserted, delivered by PostgreSQL when (and
// only when) the inserting transaction commits. So a listener never hears of
// a chunk it cannot yet read, and a rolled-back reply is never announced.
// The trigger catches every writer: a turn's reply, cron and heartbeat text,
// a pairing notice queued by `switchboard pairing approve` on another machine.
//
// The listener holds one connection of its own (LISTEN lives on a session,
// so it cannot share a pool); when that connection drops it reconnects with
// a growing delay and tells its owner, who then looks at every channel once:
// notifications sent while it was away are gone. The outbox's slow poll stays
// the safety net behind both.
import pg from "pg";
import type { PoolClient } from "pg";
import { pgReason } from "./pool.ts";

export const OUTBOX_NOTIFY_CHANNEL = "switchboard_outbox";

const FUNCTION = `CREATE OR REPLACE FUNCTION fleet_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', ch) FROM (SELECT DISTINCT channel AS ch FROM added) s;
    RETURN NULL;
  END $$`;

/**
 * Installs the trigger when the store's outbox table exists (the store
 * migrates first when a gateway starts; the fleet's own tests run without
 * it). Idempotent; run under the fleet's migration lock.
 */
export async function installOutboxNotify(client: PoolClient): Promise<boolean> {
  const t = await client.query<{ ok: boolean }>("SELECT to_regclass('outbox') IS NOT NULL AS ok");
  if (!t.rows[0]?.ok) return false;
  await client.query(FUNCTION);
  const has = await client.query("SELECT 1 FROM pg_trigger WHERE tgname = 'fleet_outbox_notify' AND tgrelid = 'outbox'::regclass");
  if (has.rowCount === 0) {
    await client.query(
      "CREATE TRIGGER fleet_outbox_notify AFTER INSERT ON outbox REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION fleet_outbox_notify()",
    );
  }
  return true;
}

export interface OutboxListenerOptions {
  url: string;
  /** a channel got new chunks */
  onChannel: (channel: string) => void;
  /** (re)connected: notifications may have been missed meanwhile */
  onConnected: () => void;
  onError?: (reason: string) => void;
  /** first reconnect delay, doubling to 10 s; default 500 ms */
  retryMs?: number;
}

const MAX_RETRY_MS = 10_000;

export class OutboxListener {
  private readonly o: OutboxListenerOptions;
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private stopped = false;

  constructor(o: OutboxListenerOptions) {
    this.o = o;
    this.delay = o.retryMs ?? 500;
  }

  /** Connects and listens; resolves after the first attempt (a failed one retries on its own). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.o.url, application_name: "switchboard-listen", connectionTimeoutMillis: 5000 });
    let failed = false;
    const lost = (err?: Error) => {
      if (failed) return;
      failed = true;
      client.removeAllListeners("notification");
      void client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      if (this.stopped) return;
      if (err) this.o.onError?.(`outbox notifications: ${pgReason(err)}; reconnecting`);
      this.retry();
    };
    client.on("error", (err) => lost(err));
    client.on("end", () => lost(new Error("connection ended")));
    client.on("notification", (n) => {
      if (n.channel === OUTBOX_NOTIFY_CHANNEL && n.payload) this.o.onChannel(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
    } catch (err) {
      lost(err as Error);
      return;
    }
    if (this.stopped) {
      failed = true;
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.delay = this.o.retryMs ?? 500;
    this.o.onConnected();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.delay);
    this.timer.unref();
    this.delay = Math.min(MAX_RETRY_MS, this.delay * 2);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners("end");
      c.removeAllListeners("notification");
      c.on("error", () => {});
      await c.end().catch(() => {});
    }
  }
}
