// An in-memory ControlSurface for the control page's HTTP tests: what each
// action did is recorded, so a test sees the route reached the gateway.
import type { ControlSurface, LogLine } from "../../src/ui/surface.ts";

export class FakeSurface implements ControlSurface {
  calls: string[] = [];
  config = '{\n  // my gateway\n  "gateway": { "token": "tok-123456" },\n  "channels": { "telegram": { "enabled": true, "token": "999:SECRET" } }\n}\n';
  pending = [{ channel: "telegram", code: "ABCD1234", senderId: "42", label: "Ana", createdAt: Date.now(), expiresAt: Date.now() + 3600_000 }];
  private listeners = new Set<(e: { kind: "state" } | { kind: "log"; line: LogLine }) => void>();

  overview() {
    return { version: "0.0.0-test", startedAt: Date.now(), ready: true };
  }
  channels() {
    return [{ id: "telegram", state: "online", since: Date.now(), restarts: 0 }, { id: "whatsapp", state: "connecting", restarts: 1, qr: "2@pairing-ref,abc" }];
  }
  async restartChannel(id: string) {
    this.calls.push(`restart ${id}`);
  }
  models() {
    return { entries: [{ key: "e1", modelName: "gpt", model: "openai/gpt", cooldownUntil: Date.now() + 60_000, lastError: "rate_limit" }], attempts: [] };
  }
  clearCooldown(key: string) {
    this.calls.push(`clear ${key}`);
  }
  async sessions() {
    return [{ key: "telegram:42", updatedAt: Date.now(), messageCount: 2 }];
  }
  async history() {
    return [{ role: "user", text: "hi", at: Date.now() }];
  }
  async resetSession(key: string) {
    this.calls.push(`reset ${key}`);
  }
  async pairing() {
    return { pending: this.pending, approved: [] };
  }
  async approvePairing(channel: string, code: string) {
    this.calls.push(`approve ${channel} ${code}`);
    return code === "ABCD1234";
  }
  async denyPairing(channel: string, code: string) {
    this.calls.push(`deny ${channel} ${code}`);
    return true;
  }
  async revokeSender(channel: string, sender: string) {
    this.calls.push(`revoke ${channel} ${sender}`);
    return true;
  }
  async deadLetters() {
    return [] as never[];
  }
  async retryDeadLetter() {
    return false;
  }
  async dropDeadLetter() {
    return false;
  }
  async cronJobs() {
    return [] as never[];
  }
  async runCronNow(id: string) {
    this.calls.push(`run ${id}`);
  }
  async setCronEnabled() {
    return false;
  }
  configText() {
    return { path: "/etc/sb/config.json", text: this.config, exists: true };
  }
  checkConfig(text: string) {
    return text.includes("oops") ? { valid: false, errors: ["channels.oops: unknown"], warnings: [] } : { valid: true, errors: [], warnings: [] };
  }
  async applyConfig(text: string) {
    this.calls.push(`apply ${text.length}`);
    return { applied: true, message: "config reloaded" };
  }
  recentLogs() {
    return [];
  }
  subscribe(l: (e: { kind: "state" } | { kind: "log"; line: LogLine }) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  emit(e: { kind: "state" } | { kind: "log"; line: LogLine }) {
    for (const l of this.listeners) l(e);
  }
}
