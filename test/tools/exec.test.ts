// exec in the bubblewrap sandbox: the workspace is the only writable place,
// the system is read-only, the host's files, processes and network are out
// of reach, a time limit and an output cap hold, and without bubblewrap the
// tool refuses instead of running unsandboxed. Every call is logged, without
// secrets.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { execSchema } from "../../src/sandbox/schema.ts";
import { createExecTool } from "../../src/tools/exec.ts";
import { setup } from "../agent/setup.ts";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

function withExec(cfg: Record<string, unknown> = {}, bwrapPath?: string) {
  const s = setup();
  const lines: string[] = [];
  const logger = pino({ level: "info" }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  s.tools.register(createExecTool(execSchema.parse({ enabled: true, ...cfg }), { workspaceDir: s.workspaceDir, ...(bwrapPath ? { bwrapPath } : {}) }));
  const run = (command: string) =>
    s.tools.execute({ id: "1", name: "exec", arguments: JSON.stringify({ command }) }, { origin: s.origin, signal: new AbortController().signal, logger, clock: s.clock });
  return { ...s, run, lines };
}

/** A TCP server on 127.0.0.1 that counts the connections it gets. */
async function listener(): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const srv = createServer((sock) => {
    n++;
    sock.end("hello\n");
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as { port: number }).port, connections: () => n };
}

describe("exec in the sandbox", () => {
  it("runs in the workspace, which it can write", async () => {
    const s = withExec();
    const r = await s.run("pwd; echo made > out.txt; echo done");
    expect(r.error).toBeUndefined();
    expect(r.text).toContain(`done\n[exit code 0]`);
    expect(readFileSync(join(s.workspaceDir, "out.txt"), "utf8")).toBe("made\n");
  });

  it("the system is read-only and the rest of the host is not there", async () => {
    const s = withExec();
    // a file next to the workspace, as the config and database are in <state>
    const secret = join(dirname(s.workspaceDir), `secret-${process.pid}.txt`);
    writeFileSync(secret, "api_key=sk-live");
    try {
      const r = await s.run(`touch /usr/evil 2>&1; echo x > /etc/evil 2>&1; cat ${secret} 2>&1; cat /proc/${process.pid}/environ 2>&1; ls /root 2>&1; echo end`);
      expect(r.text).not.toContain("sk-live");
      expect(r.text).toMatch(/Read-only file system/);
      expect(r.text).toMatch(/No such file/);
      expect(existsSync("/usr/evil")).toBe(false);
    } finally {
      rmQuiet(secret);
    }
  });

  it("has no network unless allowed", async () => {
    const l = await listener();
    const blocked = withExec();
    const r = await blocked.run(`bash -c 'exec 3<>/dev/tcp/127.0.0.1/${l.port} && cat <&3' 2>&1; echo rc=$?`);
    expect(r.text).not.toContain("hello");
    expect(r.text).toMatch(/rc=1/);
    expect(l.connections()).toBe(0);
    const open = withExec({ allow_network: true });
    const ok = await open.run(`bash -c 'exec 3<>/dev/tcp/127.0.0.1/${l.port} && head -1 <&3'`);
    expect(ok.text).toContain("hello");
    expect(l.connections()).toBe(1);
  });

  it("stops a command at the time limit and caps the output", async () => {
    const slow = withExec({ timeout_seconds: 1 });
    const r = await slow.run("echo started; sleep 30; echo never");
    expect(r.text).toMatch(/^started\n\[stopped after 1 s, the time limit\]\n\[killed by SIGKILL\]$/);
    const loud = withExec({ max_output_chars: 100 });
    const big = await loud.run("yes 0123456789 | head -c 5000");
    expect(big.text).toMatch(/^(0123456789\n){9}0\n\[4900 more characters of output were dropped\]\n\[exit code 0\]$/);
  });

  it("refuses to run when bubblewrap is missing, and says how to fix it", async () => {
    const s = withExec({}, "/nonexistent/bwrap");
    const r = await s.run("echo ran > ran.txt");
    expect(r.error).toMatch(/exec is unavailable: bubblewrap is not installed .*apt install bubblewrap/);
    expect(existsSync(join(s.workspaceDir, "ran.txt"))).toBe(false);
  });

  it("runs on the host only with the explicit sandbox \"none\"", async () => {
    const s = withExec({ sandbox: "none" }, "/nonexistent/bwrap");
    const r = await s.run("echo ran");
    expect(r.text).toBe("ran\n[exit code 0]");
  });

  it("an allow-list limits the programs and refuses substitutions; deny patterns refuse", async () => {
    const s = withExec({ allow_commands: ["ls", "echo", "cat"], custom_deny_patterns: ["\\bcat\\s+/etc"] });
    expect((await s.run("echo a && ls | cat")).error).toBeUndefined();
    expect((await s.run("echo a; rm -rf x")).error).toMatch(/"rm" is not in tools\.exec\.allow_commands/);
    expect((await s.run("echo $(id)")).error).toMatch(/substitution is not allowed/);
    expect((await s.run("cat /etc/passwd")).error).toMatch(/deny pattern/);
  });

  it("logs every call without the secrets in it", async () => {
    const s = withExec();
    await s.run("echo token=abc123456789 Bearer sk-abcdefghijkl > /dev/null");
    const log = s.lines.join("");
    expect(log).toMatch(/"msg":"exec ran"/);
    expect(log).toMatch(/"exitCode":0/);
    expect(log).not.toMatch(/abc123456789|sk-abcdefghijkl/);
  });
});

function rmQuiet(p: string): void {
  rmSync(p, { force: true });
}
