// config/compose.yaml's `fleet` profile, read the way Compose reads it (YAML
// merge keys, ${VAR:-default} / ${VAR:?error} from config/.env): PostgreSQL
// with a healthcheck and two gateways that wait for it, share its database
// and one read-only config, and keep their own state volume and host port.
// There is no Docker engine in CI; the daemon-level behaviour of a fleet is
// fleet.e2e.test.ts.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { storeLocation } from "../../src/store/location.ts";

const CONFIG_DIR = join(import.meta.dirname, "../../config");
type Service = Record<string, unknown> & { environment?: Record<string, string>; volumes?: string[]; ports?: string[]; profiles?: string[] };
const compose = parse(readFileSync(join(CONFIG_DIR, "compose.yaml"), "utf8"), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const svc = compose.services;
const gateways = ["gateway-a", "gateway-b"].map((n) => svc[n]!);

/** what config/.env would hold */
const DOT_ENV: Record<string, string> = { SWITCHBOARD_DB_PASSWORD: "0f3a9c", SWITCHBOARD_GATEWAY_TOKEN: "t0k3n" };

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (the error when VAR is unset) */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = env[name];
    if (v !== undefined && v !== "") return v;
    if (op === "?") throw new Error(arg);
    return op === "-" ? arg : "";
  });
}

describe("config/compose.yaml, profile fleet", () => {
  it("is a profile: plain `up -d` still starts the single gateway only", () => {
    expect(svc.switchboard!.profiles).toBeUndefined();
    for (const name of ["postgres", "gateway-a", "gateway-b"]) expect(svc[name]!.profiles, name).toEqual(["fleet"]);
  });

  it("starts the gateways once PostgreSQL answers, and PostgreSQL is not published on the host", () => {
    const pg = svc.postgres!;
    expect((pg.healthcheck as { test: string[] }).test).toEqual(expect.arrayContaining(["pg_isready"]));
    expect(pg.ports).toBeUndefined();
    for (const g of gateways) expect(g.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
  });

  it("points every gateway at the profile's database with a URL the gateway accepts", () => {
    const pgEnv = svc.postgres!.environment!;
    for (const g of gateways) {
      const raw = g.environment!.SWITCHBOARD_DATABASE_URL!;
      const loc = storeLocation(undefined, { SWITCHBOARD_DATABASE_URL: interpolate(raw, DOT_ENV) }, "/data", "/data/switchboard.db");
      expect(loc.kind).toBe("postgres");
      const url = new URL((loc as { url: string }).url);
      expect(url.hostname).toBe("postgres");
      expect(url.username).toBe(pgEnv.POSTGRES_USER);
      expect(url.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
      // the password the server was set up with
      expect(url.password).toBe(interpolate(pgEnv.POSTGRES_PASSWORD!, DOT_ENV));
      // a missing password is an error that says where to set it, not an empty password
      expect(() => interpolate(raw, { SWITCHBOARD_GATEWAY_TOKEN: "x" })).toThrow(/SWITCHBOARD_DB_PASSWORD.*config\/\.env/);
    }
  });

  it("gives both gateways the same read-only config and each its own state and host port", () => {
    const mounts = gateways.map((g) => g.volumes!.map((v) => interpolate(v, DOT_ENV)));
    const configMount = (m: string[]) => m.find((v) => v.endsWith(":ro"))!;
    expect(configMount(mounts[0]!)).toBe(configMount(mounts[1]!));
    const [, target] = configMount(mounts[0]!).split(":");
    for (const g of gateways) expect(g.environment!.SWITCHBOARD_CONFIG!.startsWith(`${target}/`)).toBe(true);
    // the shared config lives outside config/, which the image build copies (no secrets baked into an image)
    const source = resolve(CONFIG_DIR, configMount(mounts[0]!).split(":")[0]!);
    expect(source.startsWith(`${CONFIG_DIR}/`)).toBe(false);
    const data = mounts.map((m) => m.find((v) => v.endsWith(":/data"))!.split(":")[0]);
    expect(new Set(data).size).toBe(2);
    for (const d of data) expect(Object.keys(compose.volumes)).toContain(d);
    const ports = gateways.map((g) => interpolate(g.ports![0]!, DOT_ENV));
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:18790$/);
    expect(new Set(ports.map((p) => p.split(":")[1])).size).toBe(2);
    expect(new Set([...ports, interpolate(svc.switchboard!.ports![0]!, DOT_ENV)].map((p) => p.split(":")[1])).size).toBe(3);
  });

  it("stops a gateway with SIGTERM and time for its turns, so it hands its channels over at once", () => {
    const dockerfile = readFileSync(join(CONFIG_DIR, "../Dockerfile"), "utf8");
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!) as string[];
    const deadline = Number(cmd[cmd.indexOf("--shutdown-timeout") + 1]);
    for (const g of gateways) {
      expect(g.stop_signal).toBe("SIGTERM");
      expect(Number(/^(\d+)s$/.exec(String(g.stop_grace_period))![1])).toBeGreaterThan(deadline);
    }
  });
});
