// Opens the gateway's store where the configuration says (store.url or
// SWITCHBOARD_DATABASE_URL; the SQLite file in the state directory when
// neither is set). A PostgreSQL server that cannot be used at start is a
// start-up failure naming the setting and how to fix it (exit 1, like any
// store that cannot be opened, so a service manager tries again: the database
// may still be starting). Once running, a lost connection is a store fault
// the gateway waits out (health.ts "unreachable"), not an exit.
import { SwitchboardError, errorMessage } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import type { StoreBackend } from "../store/backend.ts";
import type { StoreLocation } from "../store/location.ts";
import { openBackend, type OpenBackendOptions } from "../store/open.ts";

export async function openGatewayStore(location: StoreLocation, opts: OpenBackendOptions = {}): Promise<StoreBackend> {
  if (location.kind === "sqlite") return openBackend(location, opts);
  try {
    return await openBackend(location, opts);
  } catch (err) {
    const why = errorMessage(err);
    throw new SwitchboardError(
      "store",
      `the gateway cannot start on the PostgreSQL database in ${location.from} (${redactUrl(location.url)}): ${why}. ` +
        `Start PostgreSQL or correct ${location.from}; remove it to run on the SQLite file in the state directory instead`,
      { cause: err },
    );
  }
}
