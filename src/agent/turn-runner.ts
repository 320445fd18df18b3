// One turn of the agent: chat commands, the system prompt, the session's
// history, the tool loop through the router, persistence and compaction.
// Turns of one session run one at a time in arrival order; different
// sessions run side by side.
import type { ChatMessage, ContentPart, Usage } from "../core/chat.ts";
import { systemClock, type Clock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { ProviderError, type Attempt, type ChatRouter } from "../providers/types.ts";
import type { SessionStore } from "../store/types.ts";
import type { ToolRegistry } from "../tools/tool-registry.ts";
import type { ToolOutput, TurnOrigin } from "../tools/types.ts";
import { parseCommand, runCommand } from "./chat-commands.ts";
import { compactSession, needsCompaction } from "./compactor.ts";
import { PromptBuilder } from "./system-prompt.ts";

export interface TurnInput {
  origin: TurnOrigin;
  text: string;
  parts?: ContentPart[];
  /** a model_name or vendor/model reference instead of the configured primary */
  model?: string;
  /** heartbeat turns: no history read or written */
  noHistory?: boolean;
  signal?: AbortSignal;
}

export interface TurnResult {
  text: string;
  media: NonNullable<ToolOutput["media"]>;
  command?: string;
  attempts: Attempt[];
  entryId?: string;
  iterations: number;
  usage?: Usage;
  limitHit?: boolean;
}

export interface AgentOptions {
  router: ChatRouter;
  sessions: SessionStore;
  tools: ToolRegistry;
  workspaceDir: string;
  clock?: Clock;
  logger?: Logger;
  maxToolIterations?: number;
  maxTokens?: number;
  temperature?: number;
  modelInfo?: { primary?: string; fallbacks: string[] };
  contextWindowFor?: (entryId: string) => number | undefined;
}

export class Agent {
  private readonly opts: AgentOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  readonly prompt: PromptBuilder;
  private readonly lanes = new Map<string, Promise<unknown>>();

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger();
    this.prompt = new PromptBuilder(opts.workspaceDir, this.clock);
  }

  /** Runs a turn after the session's earlier turns have finished. */
  runTurn(input: TurnInput): Promise<TurnResult> {
    const key = input.origin.sessionKey;
    const before = this.lanes.get(key) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.turn(input));
    const tail = run.catch(() => undefined);
    this.lanes.set(key, tail);
    void tail.then(() => {
      if (this.lanes.get(key) === tail) this.lanes.delete(key);
    });
    return run;
  }

  /** sessions with a turn running or waiting */
  get busySessions(): number {
    return this.lanes.size;
  }

  private async turn(input: TurnInput): Promise<TurnResult> {
    const { origin } = input;
    const sessions = this.opts.sessions;
    const command = input.noHistory ? undefined : parseCommand(input.text);
    if (command) {
      const text = runCommand(command, {
        sessionKey: origin.sessionKey,
        sessions,
        now: this.clock.now(),
        primary: input.model ?? this.opts.modelInfo?.primary,
        fallbacks: this.opts.modelInfo?.fallbacks ?? [],
        toolNames: this.opts.tools.names(),
      });
      return { text, media: [], command, attempts: [], iterations: 0 };
    }
    if (!input.noHistory) sessions.touchSession(origin.sessionKey, { channel: origin.channel, chatId: origin.chatId, now: this.clock.now() });
    try {
      return await this.attempt(input);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.reason !== "context_overflow" || input.noHistory) throw err;
      this.log.warn({ session: origin.sessionKey }, "context overflow: compacting the session and retrying once");
      await compactSession(origin.sessionKey, { router: this.opts.router, sessions, now: () => this.clock.now(), keep: 2, ...(input.signal ? { signal: input.signal } : {}) });
      return await this.attempt(input);
    }
  }

  private async attempt(input: TurnInput): Promise<TurnResult> {
    const { origin } = input;
    const sessions = this.opts.sessions;
    const session = input.noHistory ? undefined : sessions.getSession(origin.sessionKey);
    const history = input.noHistory ? [] : sessions.history(origin.sessionKey).map((m) => m.message);
    const system: ChatMessage = {
      role: "system",
      content: this.prompt.build({ origin, ...(session?.summary ? { summary: session.summary } : {}), toolNames: this.opts.tools.names() }),
    };
    const user: ChatMessage = { role: "user", content: input.parts?.length ? [{ type: "text", text: input.text }, ...input.parts] : input.text };
    const added: ChatMessage[] = [user];
    const attempts: Attempt[] = [];
    const media: TurnResult["media"] = [];
    const max = this.opts.maxToolIterations ?? 20;
    const signal = input.signal ?? new AbortController().signal;
    let usage: Usage | undefined;
    let entryId: string | undefined;
    let iterations = 0;
    let finalText = "";
    let limitHit = false;

    for (;;) {
      const res = await this.opts.router.chat(
        {
          messages: [system, ...history, ...added],
          ...(this.opts.tools.names().length ? { tools: this.opts.tools.specs() } : {}),
          ...(this.opts.maxTokens !== undefined ? { maxTokens: this.opts.maxTokens } : {}),
          ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
          signal,
        },
        { ...(input.model ? { model: input.model } : {}), signal },
      );
      attempts.push(...res.attempts);
      entryId = res.entry.id;
      if (res.usage) usage = res.usage;
      if (res.toolCalls.length === 0) {
        finalText = res.content;
        added.push({ role: "assistant", content: res.content });
        break;
      }
      if (iterations >= max) {
        limitHit = true;
        finalText = `${res.content ? `${res.content.trim()}\n\n` : ""}I stopped here: this request needed more than ${max} tool steps (agents.defaults.max_tool_iterations). Ask me to continue if you want me to go on.`;
        added.push({ role: "assistant", content: finalText });
        break;
      }
      iterations++;
      added.push({ role: "assistant", content: res.content, toolCalls: res.toolCalls });
      const results = await Promise.all(
        res.toolCalls.map((call) => this.opts.tools.execute(call, { origin, signal, logger: this.log, clock: this.clock })),
      );
      res.toolCalls.forEach((call, i) => {
        const r = results[i]!;
        media.push(...r.media);
        if (r.error) this.log.info({ tool: call.name, err: r.error }, "tool call failed; the model sees the error");
        added.push({ role: "tool", content: r.text, toolCallId: call.id, name: call.name });
      });
    }

    if (!input.noHistory) {
      const now = this.clock.now();
      sessions.append(origin.sessionKey, added, now);
      sessions.recordUsage(origin.sessionKey, { ...(usage ? { promptTokens: usage.promptTokens } : {}), ...(entryId ? { model: entryId } : {}) }, now);
      await this.maybeCompact(origin.sessionKey, entryId, signal);
    }
    return { text: finalText, media, attempts, iterations, ...(entryId ? { entryId } : {}), ...(usage ? { usage } : {}), ...(limitHit ? { limitHit } : {}) };
  }

  private async maybeCompact(key: string, entryId: string | undefined, signal: AbortSignal): Promise<void> {
    const sessions = this.opts.sessions;
    const history = sessions.history(key);
    const s = sessions.getSession(key);
    const contextWindow = entryId ? this.opts.contextWindowFor?.(entryId) : undefined;
    if (!needsCompaction(history, { ...(contextWindow ? { contextWindow } : {}), ...(s?.lastPromptTokens ? { lastPromptTokens: s.lastPromptTokens } : {}) })) return;
    try {
      await compactSession(key, { router: this.opts.router, sessions, now: () => this.clock.now(), signal });
    } catch (err) {
      // the reply is already saved; compaction tries again after the next turn
      this.log.warn({ session: key, err: err instanceof Error ? err.message : String(err) }, "could not compact the session");
    }
  }
}
