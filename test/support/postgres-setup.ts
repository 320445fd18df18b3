// vitest global setup: one PostgreSQL server for the whole run. .ci/run
// starts a cluster itself and passes it in SWITCHBOARD_TEST_PG_URL; a plain
// `npm test` starts a throw-away one here. When neither works the run fails
// with the reason: the PostgreSQL tests never skip silently.
import type { TestProject } from "vitest/node";
import pg from "pg";
import { startCluster, stopCluster } from "./postgres-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** superuser URL of the test run's PostgreSQL server */
    postgresUrl: string;
  }
}

async function reachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(`SWITCHBOARD_TEST_PG_URL does not answer (${err instanceof Error ? err.message : String(err)}); start that server or unset the variable to let the tests start their own`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env["SWITCHBOARD_TEST_PG_URL"];
  if (given) {
    await reachable(given);
    project.provide("postgresUrl", given);
    return () => undefined;
  }
  const cluster = await startCluster({ ownerPid: process.pid });
  project.provide("postgresUrl", cluster.url);
  return () => stopCluster(cluster.dir);
}
