// `switchboard status --fleet [url]`: the fleet as the database sees it, from
// any machine that can reach it (no gateway needs to be running here).
import { EXIT_CONFIG, SwitchboardError } from "../core/errors.ts";
import { fleetPool, pgReason } from "./pool.ts";
import { fleetStatus, type FleetStatus } from "./status.ts";

/** The URL `--fleet` means: the one given, else SWITCHBOARD_DATABASE_URL. */
export function fleetUrlFrom(flag: string | boolean | undefined, env: NodeJS.ProcessEnv): string {
  const url = typeof flag === "string" && flag ? flag : env.SWITCHBOARD_DATABASE_URL;
  if (!url) {
    throw new SwitchboardError("usage", "status --fleet needs the fleet's database: pass --fleet postgres://user:password@host/db or set SWITCHBOARD_DATABASE_URL", {
      exitCode: EXIT_CONFIG,
    });
  }
  return url;
}

/** The fleet's status, or why it cannot be read (never with the URL's password). */
export async function readFleet(url: string): Promise<FleetStatus | { error: string }> {
  const pool = fleetPool(url, { max: 1, source: "--fleet / SWITCHBOARD_DATABASE_URL" });
  try {
    const t = await pool.query("SELECT to_regclass('fleet_members') IS NOT NULL AS ok");
    if (!t.rows[0]?.ok) return { error: "no gateway has joined a fleet on this database yet (no fleet tables)" };
    return await fleetStatus(pool);
  } catch (err) {
    return { error: `cannot read the fleet: ${pgReason(err)}` };
  } finally {
    await pool.end();
  }
}
