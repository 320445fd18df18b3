// Catch-up for QQ: QQ's event gateway replays what a session missed when the
// client RESUMEs it (op 6 with session_id and the last seq it handled), and
// only then; a fresh IDENTIFY starts from now. So the session id and the seq
// of the last dispatch the gateway *stored* are kept in the cursor store, and
// the next start — after a restart or a crash — resumes that session instead
// of identifying: what arrived while the process was down is replayed and
// goes through the same dedupe (message ids) as everything else.
//
// What cannot be recovered: QQ keeps a session resumable only for a short
// while after its socket dropped (minutes, not hours); after a longer outage
// the resume is refused (INVALID_SESSION), the gateway identifies afresh and
// messages sent in between are gone. QQ has no API to read a C2C or group
// chat's message history.
import type { ChannelCursors } from "../../src/core/channel.ts";

const SCOPE = "gateway-session";

export interface ResumePoint {
  sessionId: string;
  seq: number;
}

/** the session to resume at start, when the last run left one */
export function loadResumePoint(cursors: ChannelCursors | undefined): ResumePoint | undefined {
  const raw = cursors?.get(SCOPE);
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as Partial<ResumePoint>;
    return typeof p.sessionId === "string" && typeof p.seq === "number" ? { sessionId: p.sessionId, seq: p.seq } : undefined;
  } catch {
    return undefined;
  }
}

/** remembers the last stored dispatch; a store that refuses only means a longer replay next time */
export function saveResumePoint(cursors: ChannelCursors | undefined, point: ResumePoint): void {
  try {
    cursors?.set(SCOPE, JSON.stringify(point));
  } catch {
    // the next resume replays from an earlier seq; the adapter drops repeats
  }
}
