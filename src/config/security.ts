// PicoClaw's `.security.yml`: secrets kept beside config.json and laid over
// it by field name (model_list.<model_name>.api_keys, channels.<id>.<field>,
// channel_list.<name>.settings.<field>, web.<backend>.<field>,
// skills.<registry>.<field>). Switchboard reads the file when it sits next to
// the config it loads. Secrets for channels or backends the config does not
// mention are left unused: they would only configure things that are off.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { parseYaml } from "../core/yaml.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export const SECURITY_FILE = ".security.yml";

/** The secrets file beside `configFile`, parsed; undefined when there is none. Throws ConfigError when it is not valid YAML. */
export function readSecurityFile(configFile: string): { file: string; data: Obj } | undefined {
  const file = join(dirname(configFile), SECURITY_FILE);
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    throw new ConfigError([{ path: "", message: `${SECURITY_FILE} is not valid YAML: ${msg}`, hint: "fix the indentation or quoting at that spot" }], file);
  }
  if (data === null || data === undefined) return { file, data: {} };
  if (!isObj(data)) throw new ConfigError([{ path: "", message: `${SECURITY_FILE} must be a mapping of sections`, hint: "start it with model_list:, channels:, web: or skills:" }], file);
  return { file, data };
}

function overlay(target: Obj, values: unknown): void {
  if (!isObj(values)) return;
  for (const [k, v] of Object.entries(values)) target[k] = v;
}

function modelSecrets(raw: Obj, models: unknown): void {
  if (!isObj(models) || !Array.isArray(raw.model_list)) return;
  const entries = raw.model_list.filter(isObj);
  for (const [name, secrets] of Object.entries(models)) {
    if (!isObj(secrets)) continue;
    // "gpt-5.4:1" names the second entry called gpt-5.4; "gpt-5.4" names them all
    const m = /^(.*):(\d+)$/.exec(name);
    const byIndex = m ? entries.filter((e) => e.model_name === m[1])[Number(m[2])] : undefined;
    const targets = byIndex ? [byIndex] : entries.filter((e) => e.model_name === name);
    for (const e of targets) {
      overlay(e, secrets);
      // api_keys replaces a placeholder api_key written beside it
      if (Array.isArray(secrets.api_keys) && secrets.api_key === undefined) delete e.api_key;
    }
  }
}

function channelSecrets(raw: Obj, channels: unknown, list: unknown): void {
  const inList = isObj(raw.channel_list) ? raw.channel_list : undefined;
  const inChannels = isObj(raw.channels) ? raw.channels : undefined;
  if (isObj(channels)) {
    for (const [id, secrets] of Object.entries(channels)) {
      const listed = inList && Object.entries(inList).find(([name, e]) => isObj(e) && (e.type === id || (e.type === undefined && name === id)));
      if (listed && isObj(listed[1])) {
        const entry = listed[1];
        if (!isObj(entry.settings)) entry.settings = {};
        overlay(entry.settings as Obj, secrets);
      } else if (inChannels && isObj(inChannels[id])) {
        overlay(inChannels[id] as Obj, secrets);
      }
    }
  }
  if (isObj(list) && inList) {
    for (const [name, e] of Object.entries(list)) {
      const entry = inList[name];
      if (!isObj(entry) || !isObj(e)) continue;
      if (!isObj(entry.settings)) entry.settings = {};
      overlay(entry.settings as Obj, e.settings);
    }
  }
}

function sectionSecrets(container: unknown, secrets: unknown): void {
  if (!isObj(container) || !isObj(secrets)) return;
  for (const [name, values] of Object.entries(secrets)) if (isObj(container[name])) overlay(container[name] as Obj, values);
}

/** Lays the secrets over a raw config (in place); unknown sections warn. */
export function applySecurity(raw: Obj, data: Obj, warnings: string[]): void {
  const tools = isObj(raw.tools) ? raw.tools : undefined;
  for (const [section, value] of Object.entries(data)) {
    if (section === "model_list") modelSecrets(raw, value);
    else if (section === "channels") channelSecrets(raw, value, undefined);
    else if (section === "channel_list") channelSecrets(raw, undefined, value);
    else if (section === "web") sectionSecrets(tools?.web, value);
    else if (section === "skills") sectionSecrets(tools?.skills, value);
    else warnings.push(`${SECURITY_FILE}: section ${section} is not known and is ignored (known: model_list, channels, channel_list, web, skills)`);
  }
}
