// The shapes of the agent's surface: what a channel turn and a conversation
// turn take, what a turn returns, and what an Agent is built from.
import type { ChatMessage, ContentPart, Usage } from "../core/chat.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Attempt, ChatRouter } from "../providers/types.ts";
import type { AsyncSessionStore, StoreSet } from "../store/backend.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import type { ToolOutput, TurnOrigin } from "../tools/types.ts";
import type { ChatCommand } from "./commands.ts";
import type { SessionModels } from "./session-model.ts";
import type { PromptBuilderOptions } from "./prompt.ts";

export interface TurnInput {
  origin: TurnOrigin;
  text: string;
  /** images or audio sent with the text (already handled upstream) */
  parts?: ContentPart[];
  /** a model_name, alias or vendor/model reference instead of the configured primary */
  model?: string;
  /** heartbeat turns: no history read or written, no chat commands */
  noHistory?: boolean;
  /** the caller knows the session does not exist yet (a new chat's first turn): its history is not read */
  newSession?: boolean;
  signal?: AbortSignal;
  /**
   * Called with the result while the turn's history is being saved, inside
   * the same store transaction (when AgentOptions.transaction is set; `tx` is
   * that transaction's stores): the gateway stores the reply here through
   * `tx`, so history and reply are saved together. Never await a model or
   * the network here: the transaction stays open meanwhile.
   */
  onCommit?: (result: TurnResult, tx: StoreSet | undefined) => void | Promise<void>;
  /** the turn's history (and what onCommit wrote) is committed: the gateway sends the reply now, before compaction */
  onCommitted?: (result: TurnResult) => void;
  /** streams the answer's text as the model writes it (channel turns that stream by edit) */
  onDelta?: (text: string) => void;
  /** the model called these tools; the answer's text so far is replaced by what comes after them */
  onToolCalls?: (names: string[]) => void;
}

/**
 * A turn over a conversation the caller holds (the HTTP API): its messages
 * are the turn's input, instead of one text. Without `persist` nothing is
 * read from or written to the stored session; with it, the stored history
 * goes first and the messages plus the answer are saved after.
 */
export interface ConversationInput {
  origin: TurnOrigin;
  /** user, assistant and tool messages in order (no system messages) */
  messages: ChatMessage[];
  /** the caller's own instructions, placed after the workspace system prompt */
  system?: string;
  model?: string;
  signal?: AbortSignal;
  /** keep the conversation in origin.sessionKey's stored session */
  persist?: boolean;
  /** streams the answer's text as the model writes it (tool activity is never sent) */
  onDelta?: (text: string) => void;
}

/** What Agent.turn runs: a channel turn or a conversation turn. */
export interface TurnSpec extends TurnInput {
  messages?: ChatMessage[];
  system?: string;
}

export type TurnMedia = NonNullable<ToolOutput["media"]>;

export interface TurnResult {
  text: string;
  /** media the tools produced during the turn, in call order */
  media: TurnMedia;
  /** set when the text was a chat command answered without a model call */
  command?: ChatCommand;
  /** every router attempt of the turn, failed ones included */
  attempts: Attempt[];
  /** the model entry that gave the last answer */
  entryId?: string;
  /** tool steps the turn ran */
  iterations: number;
  /** summed over the turn's model calls */
  usage?: Usage;
  /** true when the turn stopped at max_tool_iterations */
  limitHit?: boolean;
}

/** What the agent needs of a tool registry (ToolRegistry has it). */
export type AgentTools = Pick<ToolRegistry, "names" | "specs" | "execute">;

export interface AgentOptions {
  router: ChatRouter;
  sessions: AsyncSessionStore;
  tools: AgentTools;
  workspaceDir: string;
  clock?: Clock;
  logger?: Logger;
  /** tool steps per turn at most; default 20 */
  maxToolIterations?: number;
  maxTokens?: number;
  temperature?: number;
  /** shown by /status */
  modelInfo?: { primary?: string; fallbacks: string[] };
  /** context window of a model entry, when the config knows it */
  contextWindowFor?: (entryId: string) => number | undefined;
  prompt?: PromptBuilderOptions;
  /** the model a session chose with /model (used when a turn names none) */
  sessionModels?: SessionModels;
  /** runs fn in one store transaction (history + TurnInput.onCommit), e.g. StoreBackend.transaction; default: no transaction */
  transaction?: <T>(fn: (tx: StoreSet) => Promise<T>) => Promise<T>;
}
