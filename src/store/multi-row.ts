// Several rows in one INSERT statement: a turn's history (user message,
// answer, tool steps) and a reply's chunks each go in with one statement
// instead of one per row. SQLite needs a statement per row count; they are
// prepared on first use and kept with the store (a handful: counts above
// MAX_ROWS go in groups).
import type { SQLInputValue, StatementSync } from "node:sqlite";
import type { Db } from "./db.ts";

/** rows per statement at most; longer lists run as several statements */
export const MAX_ROWS = 16;

export class MultiRowInsert {
  private readonly db: Db;
  private readonly sql: (values: string) => string;
  private readonly row: string;
  private readonly prepared = new Map<number, StatementSync>();

  /** `sql` builds the statement around its VALUES list; `row` is one row's placeholders, e.g. "(?, ?, ?)" */
  constructor(db: Db, sql: (values: string) => string, row: string) {
    this.db = db;
    this.sql = sql;
    this.row = row;
  }

  /** runs `fn` once per group of at most MAX_ROWS rows with that group's statement and flattened parameters, in order */
  groups<T>(rows: readonly SQLInputValue[][], fn: (st: StatementSync, params: SQLInputValue[]) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < rows.length; i += MAX_ROWS) {
      const group = rows.slice(i, i + MAX_ROWS);
      out.push(fn(this.statement(group.length), group.flat()));
    }
    return out;
  }

  private statement(n: number): StatementSync {
    let st = this.prepared.get(n);
    if (!st) {
      st = this.db.prepare(this.sql(Array.from({ length: n }, () => this.row).join(", ")));
      this.prepared.set(n, st);
    }
    return st;
  }
}
