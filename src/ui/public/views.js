// The control page's sections. Each gets the latest state, `act(path, body)`
// for actions (CSRF handled by the shell) and `getJson` for extra reads.
import { h } from "./vendor/preact.mjs";
import { useEffect, useState } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";

const html = htm.bind(h);
const when = (ms) => (ms ? new Date(ms).toLocaleString() : "—");
const ago = (ms) => {
  if (!ms) return "—";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
const enc = encodeURIComponent;

/** a button that runs an action, shows it is busy, and reports a failure */
function Action({ label, run, primary, confirm: question }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const click = async () => {
    if (question && !window.confirm(question)) return;
    setBusy(true);
    setError("");
    try {
      await run();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<span><button class=${`act${primary ? " primary" : ""}`} disabled=${busy} onClick=${click}>${label}</button>${error && html` <span class="bad small" role="alert">${error}</span>`}</span>`;
}

export function ChannelsView({ state, act }) {
  if (!state.channels.length) return html`<section><h2>Channels</h2><p class="muted">No channel is enabled. Enable one under <code>channels</code> in the config.</p></section>`;
  return html`<section>
    <h2>Channels</h2>
    <table>
      <thead><tr><th>Channel</th><th>State</th><th>Since</th><th>Last inbound</th><th>Restarts</th><th>Last error</th><th></th></tr></thead>
      <tbody>${state.channels.map(
        (c) => html`<tr data-channel=${c.id}>
          <td><b>${c.id}</b>${c.detail && html`<div class="muted small">${c.detail}</div>`}</td>
          <td><span class=${`pill ${c.state}`}>${c.state}</span></td>
          <td class="small">${ago(c.since)}</td>
          <td class="small">${ago(c.lastInboundAt)}</td>
          <td>${c.restarts}</td>
          <td class="small bad">${c.lastError ?? ""}</td>
          <td><${Action} label="Restart" run=${() => act(`/ui/api/channels/${enc(c.id)}/restart`)} /></td>
        </tr>
        ${c.hasQr && html`<tr><td colspan="7"><p>Scan with WhatsApp (Settings → Linked devices):</p><img class="qr" alt="WhatsApp pairing QR code" src=${`/ui/api/channels/${enc(c.id)}/qr.svg?t=${Date.now()}`} /></td></tr>`}`,
      )}</tbody>
    </table>
  </section>`;
}

export function ModelsView({ state, act }) {
  const { entries, attempts } = state.models;
  return html`<section>
      <h2>Model entries</h2>
      <table>
        <thead><tr><th>model_name</th><th>Model</th><th>Endpoint</th><th>State</th><th>Last error</th><th></th></tr></thead>
        <tbody>${entries.map(
          (e) => html`<tr data-entry=${e.key}>
            <td><b>${e.modelName}</b></td><td>${e.model}</td><td class="small muted">${e.endpoint ?? ""}</td>
            <td>${e.cooldownUntil && e.cooldownUntil > Date.now() ? html`<span class="pill warn">cooling until ${new Date(e.cooldownUntil).toLocaleTimeString()}</span>` : html`<span class="pill ok">ready</span>`}</td>
            <td class="small bad">${e.lastError ?? ""}</td>
            <td>${e.cooldownUntil && html`<${Action} label="Clear cooldown" run=${() => act(`/ui/api/models/${enc(e.key)}/clear-cooldown`)} />`}</td>
          </tr>`,
        )}</tbody>
      </table>
    </section>
    <section>
      <h2>Recent attempts</h2>
      ${attempts.length === 0
        ? html`<p class="muted">No model calls yet.</p>`
        : html`<table><thead><tr><th>When</th><th>model_name</th><th>Entry</th><th>Result</th><th>ms</th></tr></thead>
          <tbody>${attempts.map((a) => html`<tr><td class="small">${when(a.at)}</td><td>${a.modelName}</td><td class="small">${a.entry}</td><td class=${a.ok ? "ok" : "bad"}>${a.ok ? "ok" : a.reason}</td><td>${a.ms ?? ""}</td></tr>`)}</tbody></table>`}
    </section>`;
}

export function SessionsView({ state, act, getJson }) {
  const [open, setOpen] = useState(undefined);
  const [lines, setLines] = useState([]);
  useEffect(() => {
    if (open) void getJson(`/ui/api/sessions/${enc(open)}/history`).then((r) => setLines(r.lines), () => setLines([]));
  }, [open, state]);
  return html`<section>
    <h2>Sessions</h2>
    <table>
      <thead><tr><th>Session</th><th>Chat</th><th>Messages</th><th>Last active</th><th>Model</th><th></th></tr></thead>
      <tbody>${state.sessions.map(
        (s) => html`<tr>
          <td><a href="#sessions" onClick=${() => setOpen(open === s.key ? undefined : s.key)}>${s.key}</a></td>
          <td class="small">${s.channel ? `${s.channel} ${s.chatId ?? ""}` : ""}</td>
          <td>${s.messageCount}</td><td class="small">${ago(s.updatedAt)}</td><td class="small">${s.lastModel ?? ""}</td>
          <td><${Action} label="Reset" confirm=${`Reset ${s.key}? Its history is archived and the next turn starts fresh.`} run=${() => act(`/ui/api/sessions/${enc(s.key)}/reset`)} /></td>
        </tr>`,
      )}</tbody>
    </table>
    ${open && html`<h2 style="margin-top:1rem">${open}</h2>${lines.length === 0 ? html`<p class="muted">No messages.</p>` : lines.map((l) => html`<div><b>${l.role}</b> <span class="muted small">${when(l.at)}</span><pre>${l.text}</pre></div>`)}`}
  </section>`;
}

export function PairingView({ state, act }) {
  const { pending, approved } = state.pairing;
  return html`<section>
      <h2>Waiting for approval</h2>
      ${pending.length === 0
        ? html`<p class="muted">Nobody is waiting.</p>`
        : html`<table><thead><tr><th>Channel</th><th>Sender</th><th>Code</th><th>Asked</th><th></th></tr></thead>
          <tbody>${pending.map(
            (p) => html`<tr data-code=${p.code}>
              <td>${p.channel}</td><td>${p.label ?? p.senderId} <span class="muted small">${p.senderId}</span></td><td><code>${p.code}</code></td><td class="small">${ago(p.createdAt)}</td>
              <td class="row"><${Action} primary label="Approve" run=${() => act("/ui/api/pairing/approve", { channel: p.channel, code: p.code })} />
                <${Action} label="Deny" run=${() => act("/ui/api/pairing/deny", { channel: p.channel, code: p.code })} /></td>
            </tr>`,
          )}</tbody></table>`}
    </section>
    <section>
      <h2>Approved senders</h2>
      ${approved.length === 0
        ? html`<p class="muted">No one approved by pairing yet (allow_from in the config lets people in too).</p>`
        : html`<table><thead><tr><th>Channel</th><th>Sender</th><th>Approved</th><th></th></tr></thead>
          <tbody>${approved.map(
            (a) => html`<tr><td>${a.channel}</td><td>${a.label ?? a.senderId} <span class="muted small">${a.senderId}</span></td><td class="small">${when(a.approvedAt)}</td>
              <td><${Action} label="Revoke" confirm=${`Revoke ${a.label ?? a.senderId}?`} run=${() => act("/ui/api/pairing/revoke", { channel: a.channel, senderId: a.senderId })} /></td></tr>`,
          )}</tbody></table>`}
    </section>`;
}

export function DeadLettersView({ state, act }) {
  return html`<section>
    <h2>Dead letters</h2>
    ${state.deadLetters.length === 0
      ? html`<p class="muted">Every reply was delivered.</p>`
      : html`<table><thead><tr><th>Channel</th><th>Chat</th><th>Text</th><th>Attempts</th><th>Last error</th><th></th></tr></thead>
        <tbody>${state.deadLetters.map(
          (d) => html`<tr><td>${d.channel}</td><td class="small">${d.chatId}</td><td><pre>${d.text}</pre></td><td>${d.attempts}</td><td class="small bad">${d.lastError ?? ""}</td>
            <td class="row"><${Action} label="Retry" run=${() => act(`/ui/api/dead-letters/${d.id}/retry`)} /><${Action} label="Drop" confirm="Drop this reply for good?" run=${() => act(`/ui/api/dead-letters/${d.id}/drop`)} /></td></tr>`,
        )}</tbody></table>`}
  </section>`;
}

export function CronView({ state, act }) {
  return html`<section>
    <h2>Cron jobs</h2>
    ${state.cron.length === 0
      ? html`<p class="muted">No jobs. The agent adds them with its cron tool, or run <code>switchboard cron add</code>.</p>`
      : html`<table><thead><tr><th>Job</th><th>Schedule</th><th>Next</th><th>Last</th><th></th></tr></thead>
        <tbody>${state.cron.map(
          (j) => html`<tr><td><b>${j.name}</b> <span class="muted small">${j.id}</span></td><td><code>${j.schedule}</code></td>
            <td class="small">${j.enabled ? when(j.nextRunAt) : html`<span class="pill warn">paused</span>`}</td><td class="small">${when(j.lastRunAt)} ${j.lastStatus ?? ""}</td>
            <td class="row"><${Action} label="Run now" run=${() => act(`/ui/api/cron/${enc(j.id)}/run`)} />
              <${Action} label=${j.enabled ? "Pause" : "Resume"} run=${() => act(`/ui/api/cron/${enc(j.id)}/enabled`, { enabled: !j.enabled })} /></td></tr>`,
        )}</tbody></table>`}
  </section>`;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

export function LogsView({ logLines, getJson }) {
  const [level, setLevel] = useState("info");
  const [earlier, setEarlier] = useState([]);
  useEffect(() => void getJson("/ui/api/logs?limit=300").then((r) => setEarlier(r.lines), () => undefined), []);
  const seen = new Set(earlier.map((l) => l.seq));
  const all = [...earlier, ...logLines.filter((l) => !seen.has(l.seq))];
  const shown = all.filter((l) => LEVELS.indexOf(l.level) >= LEVELS.indexOf(level)).slice(-500);
  return html`<section>
    <div class="row"><h2>Log</h2><label class="small">level at least <select value=${level} onChange=${(e) => setLevel(e.target.value)}>${LEVELS.map((l) => html`<option value=${l}>${l}</option>`)}</select></label></div>
    <div class="logs">${shown.map((l) => html`<div><span class="muted small">${new Date(l.time).toLocaleTimeString()}</span> <span class=${l.level}>${l.level}</span> ${l.msg} ${l.fields ? html`<span class="muted small">${JSON.stringify(l.fields)}</span>` : ""}</div>`)}</div>
  </section>`;
}

export function ConfigView({ act, getJson }) {
  const [file, setFile] = useState(undefined);
  const [text, setText] = useState("");
  const [check, setCheck] = useState(undefined);
  const [outcome, setOutcome] = useState(undefined);
  const reread = () =>
    getJson("/ui/api/config").then((f) => {
      setFile(f);
      setText(f.text);
      setCheck(undefined);
    });
  useEffect(() => void reread(), []);
  if (!file) return html`<p class="loading">Loading the config…</p>`;
  const validate = async () => setCheck(await act("/ui/api/config/check", { text }));
  const apply = async () => {
    const result = await act("/ui/api/config/apply", { text });
    setOutcome(result);
    if (result.applied) await reread();
  };
  return html`<section>
    <h2>Config <span class="muted small">${file.path}</span></h2>
    <p class="muted small">Secrets show as placeholders; leave them as they are to keep the current values. Check shows the problems and the diff; Apply writes the file and reloads. A refused config changes nothing.</p>
    <textarea spellcheck="false" aria-label="config file" value=${text} onInput=${(e) => {
      setText(e.target.value);
      setCheck(undefined);
    }}></textarea>
    <div class="row" style="margin:.5rem 0"><${Action} label="Check" run=${validate} /><${Action} primary label="Apply" run=${apply} /><button class="act" onClick=${reread}>Discard edits</button></div>
    ${check && html`<div class="check">
      <p class=${check.valid ? "ok" : "bad"}>${check.valid ? "Valid." : "Not valid:"}</p>
      ${check.errors.map((e) => html`<div class="bad small">${e}</div>`)}${check.warnings.map((w) => html`<div class="warn small">${w}</div>`)}
      ${check.diff ? html`<pre class="diff">${check.diff.split("\n").map((l) => html`<span class=${l.startsWith("@@") ? "hunk" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : ""}>${l}\n</span>`)}</pre>` : html`<p class="muted small">No changes.</p>`}
    </div>`}
    ${outcome && html`<div class=${`banner ${outcome.applied ? "ok" : "bad"}`} role="status"><b>${outcome.applied ? "Applied" : "Refused"}:</b> ${outcome.message}${(outcome.details ?? []).map((d) => html`<div class="small">${d}</div>`)}</div>`}
  </section>`;
}
