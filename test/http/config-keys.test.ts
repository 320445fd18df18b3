// The gateway's API keys in the config: bad values are refused naming the key and the fix.
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.ts";

const parse = (gateway: unknown) => parseConfigText(JSON.stringify({ gateway }), { env: {} });

describe("gateway.allowed_hosts, gateway.cors, gateway.api", () => {
  it("accepts host names, origins and the session switch", () => {
    const { config } = parse({ allowed_hosts: ["gateway.lan", "gateway.lan:18790", "[fd00::1]"], cors: { origins: ["http://localhost:3000"] }, api: { user_sessions: true } });
    expect(config.gateway.allowed_hosts).toEqual(["gateway.lan", "gateway.lan:18790", "[fd00::1]"]);
    expect(config.gateway.cors.origins).toEqual(["http://localhost:3000"]);
    expect(config.gateway.api.user_sessions).toBe(true);
  });

  it("refuses a URL as a host and a path as an origin, naming the key; warns about a misspelt key", () => {
    expect(() => parse({ allowed_hosts: ["http://gateway.lan"] })).toThrow(/gateway\.allowed_hosts\[0\].*Host name/s);
    expect(() => parse({ cors: { origins: ["http://localhost:3000/app"] } })).toThrow(/gateway\.cors\.origins\[0\].*page origin/s);
    // a misspelt key is reported, not silently taken
    expect(parse({ api: { user_session: true } }).warnings.join("\n")).toMatch(/gateway\.api\.user_session is ignored/);
  });
});
