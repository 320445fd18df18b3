import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { expandHome, resolvePaths } from "../../src/config/paths.ts";

describe("resolvePaths", () => {
  it("defaults to ~/.switchboard", () => {
    const home = join(homedir(), ".switchboard");
    expect(resolvePaths({})).toEqual({
      home,
      configFile: join(home, "config.json"),
      workspace: join(home, "workspace"),
      dbFile: join(home, "switchboard.db"),
      routerStateFile: join(home, "state", "router.json"),
    });
  });

  it("puts everything under SWITCHBOARD_HOME, expanding ~ and relative paths", () => {
    expect(resolvePaths({ SWITCHBOARD_HOME: "/srv/sb" })).toMatchObject({ home: "/srv/sb", configFile: "/srv/sb/config.json", dbFile: "/srv/sb/switchboard.db", routerStateFile: "/srv/sb/state/router.json", workspace: "/srv/sb/workspace" });
    expect(resolvePaths({ SWITCHBOARD_HOME: "~/sb" }).home).toBe(join(homedir(), "sb"));
    expect(resolvePaths({ SWITCHBOARD_HOME: "rel/sb" }).home).toBe(resolve("rel/sb"));
    expect(resolvePaths({ SWITCHBOARD_HOME: "  " }).home).toBe(join(homedir(), ".switchboard"));
  });

  it("takes the config file from --config, else SWITCHBOARD_CONFIG, else the home", () => {
    const env = { SWITCHBOARD_HOME: "/srv/sb", SWITCHBOARD_CONFIG: "/etc/sb.json" };
    expect(resolvePaths(env, "/tmp/flag.json").configFile).toBe("/tmp/flag.json");
    expect(resolvePaths(env).configFile).toBe("/etc/sb.json");
    expect(resolvePaths(env, "").configFile).toBe("/etc/sb.json");
    expect(resolvePaths({ SWITCHBOARD_HOME: "/srv/sb" }).configFile).toBe("/srv/sb/config.json");
    expect(resolvePaths({}, "~/x.json").configFile).toBe(join(homedir(), "x.json"));
    expect(resolvePaths({}, "x.json").configFile).toBe(resolve("x.json"));
    // the config file's location does not move the state
    expect(resolvePaths(env, "/tmp/flag.json").dbFile).toBe("/srv/sb/switchboard.db");
  });
});

describe("expandHome", () => {
  it("expands ~ and ~/ only", () => {
    expect(expandHome("~", "/h")).toBe("/h");
    expect(expandHome("~/.switchboard/workspace", "/h")).toBe("/h/.switchboard/workspace");
    expect(expandHome("~other/x", "/h")).toBe("~other/x");
    expect(expandHome("/abs/~/x", "/h")).toBe("/abs/~/x");
  });
});
