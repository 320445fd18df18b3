// The control page's shell: login, loading the state, live updates over
// Server-Sent Events (no polling), tabs, and the one helper every action
// uses (POST with the session's CSRF token). The sections are in views.js.
import { h, render } from "./vendor/preact.mjs";
import { useCallback, useEffect, useState } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";
import { ChannelsView, ConfigView, CronView, DeadLettersView, LogsView, ModelsView, PairingView, SessionsView } from "./views.js";

const html = htm.bind(h);

const TABS = [
  ["channels", "Channels"],
  ["models", "Models"],
  ["sessions", "Sessions"],
  ["pairing", "Pairing"],
  ["dead", "Dead letters"],
  ["cron", "Cron"],
  ["logs", "Logs"],
  ["config", "Config"],
];

async function getJson(path) {
  const res = await fetch(path, { credentials: "same-origin" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error || `HTTP ${res.status}`), { status: res.status, body });
  return body;
}

function Login({ onDone }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    const res = await fetch("/ui/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
    const body = await res.json().catch(() => ({}));
    if (res.ok) onDone();
    else setError(body.error || `HTTP ${res.status}`);
  };
  return html`<form class="login section" onSubmit=${submit}>
    <h2>Switchboard</h2>
    <p class="muted small">This gateway has <code>gateway.token</code> set. Paste it to log in, or run <code>switchboard dashboard</code> for a one-time link.</p>
    <input type="password" name="token" autocomplete="current-password" placeholder="gateway token" value=${token} onInput=${(e) => setToken(e.target.value)} />
    ${error && html`<p class="bad small" role="alert">${error}</p>`}
    <button class="act primary" type="submit">Log in</button>
  </form>`;
}

function App() {
  const [state, setState] = useState(undefined);
  const [needLogin, setNeedLogin] = useState(false);
  const [error, setError] = useState("");
  const [tab, setTab] = useState(location.hash.slice(1) || "channels");
  const [logLines, setLogLines] = useState([]);

  const load = useCallback(async () => {
    try {
      setState(await getJson("/ui/api/state"));
      setNeedLogin(false);
      setError("");
    } catch (err) {
      if (err.status === 401) setNeedLogin(true);
      else setError(err.message);
    }
  }, []);

  useEffect(() => void load(), [load]);

  // one stream for everything live; EventSource reconnects by itself
  useEffect(() => {
    if (!state) return undefined;
    const events = new EventSource("/ui/api/events");
    events.addEventListener("state", () => void load());
    events.addEventListener("log", (e) => setLogLines((lines) => [...lines.slice(-499), JSON.parse(e.data)]));
    return () => events.close();
  }, [state === undefined, load]);

  useEffect(() => {
    const onHash = () => setTab(location.hash.slice(1) || "channels");
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const act = useCallback(
    async (path, body) => {
      const res = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": state?.csrf ?? "" },
        body: JSON.stringify(body ?? {}),
      });
      const answer = await res.json().catch(() => ({}));
      if (!res.ok || answer.ok === false) throw new Error(answer.error || `HTTP ${res.status}`);
      void load();
      return answer;
    },
    [state?.csrf, load],
  );

  if (needLogin) return html`<${Login} onDone=${load} />`;
  if (!state) return html`<p class="loading">${error || "Loading Switchboard…"}</p>`;
  const logout = async () => {
    await fetch("/ui/logout", { method: "POST" });
    setState(undefined);
    setNeedLogin(true);
  };
  const o = state.overview;
  const views = {
    channels: ChannelsView,
    models: ModelsView,
    sessions: SessionsView,
    pairing: PairingView,
    dead: DeadLettersView,
    cron: CronView,
    logs: LogsView,
    config: ConfigView,
  };
  const View = views[tab] ?? ChannelsView;
  return html`
    <header>
      <h1>Switchboard</h1>
      <span class=${`pill ${o.ready ? "ok" : "warn"}`} title="readiness">${o.ready ? "ready" : "not ready"}</span>
      <nav>${TABS.map(([id, label]) => html`<button class=${tab === id ? "on" : ""} onClick=${() => (location.hash = id)}>${label}</button>`)}</nav>
      <span class="muted small" style="margin-left:auto">v${o.version}</span>
      ${state.tokenSet && html`<button class="act" onClick=${logout}>Log out</button>`}
    </header>
    <main>
      ${error && html`<div class="banner bad">${error}</div>`}
      ${o.lastReload && html`<div class=${`banner small ${o.lastReload.applied ? "ok" : "bad"}`}>Last reload ${new Date(o.lastReload.at).toLocaleString()}: ${o.lastReload.message}</div>`}
      <${View} state=${state} act=${act} getJson=${getJson} logLines=${logLines} />
    </main>`;
}

render(html`<${App} />`, document.getElementById("app"));
