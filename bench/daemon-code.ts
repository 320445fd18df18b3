// Which code the daemons a bench starts will run: the bundle in dist/ or the
// sources. bin/bundle.js decides for them as it does here (a daemon inherits
// this process's SWITCHBOARD_BUNDLE); a bundle behind the sources is passed
// over with one stderr line of the daemon's, which a bench does not show, and
// the sources start with about a third more CPU and idle ~25 MB higher, so a
// run's figures are then not the bundle's. Printed at the start of a run.
import { join } from "node:path";
import { chooseEntry } from "../bin/bundle.js";

export function daemonCodeText(): string {
  const r = chooseEntry(join(import.meta.dirname, ".."), process.env);
  if (r.bundle) return "the daemon runs the bundle in dist/";
  const why = r.notice ? r.notice.replace(/^switchboard: running the sources, not dist\/: /, "") : "no bundle was built (`npm run build`)";
  return `the daemon runs the SOURCES, not the bundle: ${why}`;
}
