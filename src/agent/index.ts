// The agent runtime: one turn for every channel message, cron job and heartbeat.
export {
  Agent,
  DEFAULT_MAX_TOOL_ITERATIONS,
  toolLimitSentence,
  type AgentOptions,
  type AgentTools,
  type ConversationInput,
  type TurnInput,
  type TurnMedia,
  type TurnResult,
} from "./agent.ts";
export {
  CHAT_COMMANDS,
  commandMenu,
  helpText,
  NEW_SESSION_REPLY,
  NOTHING_RUNNING_REPLY,
  parseCommand,
  runCommand,
  STOPPED_REPLY,
  type ChatCommand,
  type CommandContext,
  type CommandSpec,
  type ParsedCommand,
} from "./commands.ts";
export { chatModelNames, kvSessionModels, SESSION_MODEL_PREFIX, type SessionModels } from "./session-model.ts";
export {
  COMPACT_AFTER_MESSAGES,
  COMPACT_AT_CONTEXT_SHARE,
  compactionNeed,
  compactionReason,
  compactSession,
  DEFAULT_CONTEXT_WINDOW,
  estimateMessageTokens,
  forceCompact,
  KEEP_LAST_MESSAGES,
  keptTailStart,
  SUMMARY_INSTRUCTION,
  transcriptOf,
  type CompactionCheck,
  type CompactionDeps,
  type CompactOptions,
  type PromptSize,
} from "./compaction.ts";
export { BackgroundCompactions } from "./background-compactions.ts";
export { Lanes } from "./lanes.ts";
export { callModel, stepSeparatedSink, type ModelAnswer } from "./model-call.ts";
export {
  estimateTokens,
  formatNow,
  MAX_PROMPT_FILE_CHARS,
  PromptBuilder,
  promptText,
  type PromptBuilderOptions,
  type PromptInput,
} from "./prompt.ts";
export { DEFAULT_DM_SCOPE, DM_SCOPES, keyPart, MAIN_SESSION_KEY, sessionKeyFor, type DmScope, type Peer } from "./session-key.ts";
export { ensureWorkspace, PROMPT_FILES, WORKSPACE_FILES, WORKSPACE_TEMPLATES, type WorkspaceFile } from "./workspace.ts";
