// Who may use the control page. With gateway.token set, a person logs in with
// the token (or a one-time link from `switchboard dashboard`) and gets a
// session cookie: HttpOnly (scripts never see it), SameSite=Strict (other
// sites' pages never send it), scoped to /ui. Without a token the page is
// served only to loopback Host names (the server's Host check), like the API.
// Every action also needs the session's CSRF token in a header, which only
// a page that could read /ui/api/state (same origin, logged in) knows.
import { randomBytes, timingSafeEqual } from "node:crypto";

export const COOKIE = "sb_ui";
export const CSRF_HEADER = "x-csrf-token";

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const ONE_TIME_TTL_MS = 5 * 60 * 1000;
/** a bound on what a flood of logins can make the gateway remember */
const MAX_SESSIONS = 200;

interface UiSession {
  csrf: string;
  expiresAt: number;
}

function secret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class UiAuth {
  private readonly sessions = new Map<string, UiSession>();
  private readonly oneTime = new Map<string, number>();
  /** the CSRF token when no login is needed (no gateway.token) */
  private readonly openCsrf = secret();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** a new session for a correct token; undefined otherwise */
  login(expectedToken: string, given: string): { id: string; csrf: string } | undefined {
    if (!given || !sameSecret(expectedToken, given)) return undefined;
    return this.open();
  }

  /** a one-time login code (for `switchboard dashboard`), valid for five minutes */
  issueOneTime(): string {
    this.sweep();
    const code = secret();
    this.oneTime.set(code, this.now() + ONE_TIME_TTL_MS);
    return code;
  }

  /** spends a one-time code: a session, or undefined when unknown, used or expired */
  redeem(code: string): { id: string; csrf: string } | undefined {
    const until = this.oneTime.get(code);
    this.oneTime.delete(code);
    if (until === undefined || until < this.now()) return undefined;
    return this.open();
  }

  /** the session behind a cookie value, when valid */
  session(id: string | undefined): UiSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt < this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  logout(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** the CSRF token a request's page must echo: its session's, or the open one without a token */
  csrfFor(sessionId: string | undefined, tokenSet: boolean): string | undefined {
    return tokenSet ? this.session(sessionId)?.csrf : this.openCsrf;
  }

  private open(): { id: string; csrf: string } {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      // the oldest login goes first
      const oldest = [...this.sessions.entries()].sort((a, b) => a[1].expiresAt - b[1].expiresAt)[0];
      if (oldest) this.sessions.delete(oldest[0]);
    }
    const id = secret(32);
    const csrf = secret();
    this.sessions.set(id, { csrf, expiresAt: this.now() + SESSION_TTL_MS });
    return { id, csrf };
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
    for (const [code, until] of this.oneTime) if (until < now) this.oneTime.delete(code);
  }
}

export function sessionCookie(id: string, secure: boolean): string {
  return `${COOKIE}=${id}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export function clearedCookie(): string {
  return `${COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0`;
}
