// Which PostgreSQL failures are storage faults the gateway waits out (the
// turn stays pending, `status` says why, a probe retries) rather than bugs.
// Decided on codes only: SQLSTATE for errors the server sent, Node's errno
// codes for the socket, and STORE_UNREACHABLE for what the driver reports
// without a code (sql.ts tags those when a query or connect fails).
import type { StoreFault } from "../health.ts";

/** code given by sql.ts to a connection lost or never made (the driver's own errors carry none) */
export const UNREACHABLE_CODE = "STORE_UNREACHABLE";

const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", UNREACHABLE_CODE]);

const SQLSTATE: Record<string, StoreFault> = {
  "53100": "full", // disk_full
  "53200": "busy", // out_of_memory
  "53300": "busy", // too_many_connections
  "25006": "read_only", // read_only_sql_transaction (a standby, or default_transaction_read_only)
  "40001": "busy", // serialization_failure
  "40P01": "busy", // deadlock_detected
  "55P03": "busy", // lock_not_available
  "58030": "io", // io_error
  "57P01": "unreachable", // admin_shutdown
  "57P02": "unreachable", // crash_shutdown
  "57P03": "unreachable", // cannot_connect_now (starting up, shutting down)
};

/** The fault behind one error object's `code`, or undefined (not a fault, or not PostgreSQL's). */
export function pgFault(code: unknown): StoreFault | undefined {
  if (typeof code !== "string") return undefined;
  if (SOCKET_CODES.has(code)) return "unreachable";
  if (code.length === 5 && code.startsWith("08")) return "unreachable"; // class 08: connection exception
  return SQLSTATE[code];
}
