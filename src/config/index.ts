// The configuration layer's public API.
export { expandHome, resolvePaths, type Paths } from "./paths.ts";
export {
  CHANNEL_IDS,
  configSchema,
  isSecretPath,
  modelListEntry,
  OPENCLAW_APIS,
  SECRET_KEYS,
  type ChannelsSection,
  type ModelListEntry,
  type OpenClawProvider,
  type SwitchboardConfig,
} from "./schema.ts";
export { repairConfigText, type Repair, type RepairResult } from "./repair.ts";
export {
  loadConfig,
  parseConfigObject,
  parseConfigText,
  readRawConfig,
  type LoadedConfig,
  type LoadOptions,
  type ParseOptions,
  type ParsedConfig,
} from "./load.ts";
export { MIN_HEARTBEAT_MINUTES } from "./checks.ts";
export {
  agentModelSelection,
  buildModelDirectory,
  chatEndpoint,
  describeEntry,
  LITELLM_DEFAULT_BASE,
  LITELLM_DEFAULT_MODEL,
  withV1,
  type Directory,
  type EntryDescription,
  type ModelSelection,
} from "./models.ts";
export { importOpenclaw, importPicoclaw, migrateConfig, writeConfigFile, type Rewrite } from "./migrate.ts";
export {
  getPath,
  maskSecrets,
  parseValue,
  setConfigValue,
  setPath,
  setValueAt,
  splitPath,
  unsetPath,
  type PathSegment,
  type SetResult,
} from "./edit.ts";
