// A gateway stand-in for the shared router counters test: takes the round-robin
// counter of one group `n` times from its own process and prints the values.
//
//   node counter-taker.ts <postgres-url> <group> <n>
import pg from "pg";
import { pgCounters } from "../../src/fleet/router-counters.ts";

const [url, group, n] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 2 });
const errors: string[] = [];
const counters = pgCounters(pool, { onError: (r) => errors.push(r) });
const got: number[] = [];
for (let i = 0; i < Number(n); i++) got.push(await counters.take(group));
await counters.close();
await pool.end();
process.stdout.write(JSON.stringify({ got, errors }));
