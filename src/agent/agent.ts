// One turn of the agent, the path every channel message, cron job and
// heartbeat takes: chat commands, the system prompt, the session's history,
// the tool loop through the router, persistence and compaction. Turns of one
// session run one at a time in arrival order; different sessions run side by
// side. A turn that fails leaves the session's history as it was.
import { textOf, type ChatMessage, type ChatResult, type ContentPart, type ToolCall, type Usage } from "../core/chat.ts";
import { systemClock, type Clock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { ProviderError, type Attempt, type ChatRouter } from "../providers/types.ts";
import type { AsyncSessionStore, StoreSet } from "../store/backend.ts";
import type { TurnOrigin } from "../tools/types.ts";
import type { AgentOptions, TurnInput, ConversationInput, TurnMedia, TurnResult, TurnSpec } from "./agent-types.ts";
import { parseCommand, runCommand, type ChatCommand } from "./commands.ts";
import { BackgroundCompactions } from "./background-compactions.ts";
import { forceCompact, type CompactionDeps } from "./compaction.ts";
import { Lanes } from "./lanes.ts";
import { callModel, stepSeparatedSink } from "./model-call.ts";
import { estimateTokens, PromptBuilder, type PromptBuilderOptions } from "./prompt.ts";
import { errorMessage } from "../core/errors.ts";

export const DEFAULT_MAX_TOOL_ITERATIONS = 20;

export type { AgentOptions, AgentTools, ConversationInput, TurnInput, TurnMedia, TurnResult } from "./agent-types.ts";

/** The sentence the user reads when a turn ran out of tool steps. */
export function toolLimitSentence(max: number): string {
  return (
    `I stopped after ${max} tool steps, the limit for one message (agents.defaults.max_tool_iterations), ` +
    `before finishing. Ask me to continue, or raise the limit in the config.`
  );
}

const NEVER = new AbortController().signal;

export class Agent {
  readonly prompt: PromptBuilder;
  /** turns queue here by session key */
  readonly lanes = new Lanes();
  /** compactions started after their turn, off the session's lane */
  readonly compactions: BackgroundCompactions;
  private readonly opts: AgentOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly compaction: CompactionDeps;

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger();
    this.prompt = new PromptBuilder(opts.workspaceDir, this.clock, opts.prompt);
    this.compaction = { router: opts.router, sessions: opts.sessions, now: () => this.clock.now(), logger: this.log };
    this.compactions = new BackgroundCompactions(this.compaction);
  }

  /** Starts no more compactions and abandons running ones (nothing is lost: the history stays uncompacted); for shutdown and reload. */
  close(): Promise<void> {
    return this.compactions.close();
  }

  /** Runs a turn once every earlier turn of the same session has finished. */
  runTurn(input: TurnInput): Promise<TurnResult> {
    return this.lanes.run(input.origin.sessionKey, () => this.turn(input));
  }

  /**
   * Runs a turn over the caller's conversation. Stateless conversations run
   * at once (they share nothing); persisted ones queue in their session's lane.
   */
  runConversation(input: ConversationInput): Promise<TurnResult> {
    const spec: TurnSpec = {
      origin: input.origin,
      text: "",
      messages: input.messages,
      noHistory: !input.persist,
      ...(input.system ? { system: input.system } : {}),
      ...(input.model ? { model: input.model } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      ...(input.onDelta ? { onDelta: input.onDelta } : {}),
    };
    return input.persist ? this.lanes.run(input.origin.sessionKey, () => this.turn(spec)) : this.turn(spec);
  }

  private async turn(input: TurnSpec): Promise<TurnResult> {
    input.signal?.throwIfAborted();
    // a conversation's messages are never chat commands: they are the caller's own transcript
    const command = input.noHistory || input.messages ? undefined : parseCommand(input.text);
    if (command) return this.command(command.name, command.args, input);
    // a session's own choice (/model) when the turn names no model; heartbeat turns keep the default
    const chosen = input.model || input.noHistory ? undefined : await this.opts.sessionModels?.get(input.origin.sessionKey);
    if (chosen) input = { ...input, model: chosen };

    const { origin } = input;
    const signal = input.signal ?? NEVER;
    const sessions = this.opts.sessions;
    const max = this.opts.maxToolIterations ?? DEFAULT_MAX_TOOL_ITERATIONS;
    const toolNames = this.opts.tools.names();
    const specs = toolNames.length ? this.opts.tools.specs() : undefined;
    const userMessage: ChatMessage = {
      role: "user",
      content: input.parts?.length ? [...(input.text ? [{ type: "text" as const, text: input.text }] : []), ...input.parts] : input.text,
    };
    const added: ChatMessage[] = input.messages ? [...input.messages] : [userMessage];
    const sink = input.onDelta ? stepSeparatedSink(input.onDelta) : undefined;
    const attempts: Attempt[] = [];
    const media: TurnMedia = [];
    let usage: Usage | undefined;
    let lastCall: ChatResult["usage"];
    let entryId: string | undefined;
    let iterations = 0;
    let overflowRetried = false;

    // The history part of the request; read again after a forced compaction.
    const load = async (): Promise<{ system: ChatMessage; history: ChatMessage[] }> => {
      // summary and history in one read, none for a session known not to exist yet
      const stored = input.noHistory || input.newSession ? undefined : await sessions.turnContext(origin.sessionKey);
      const summary = stored?.summary;
      const history = stored ? stored.history.map((m) => m.message) : [];
      const built = this.prompt.build({ origin, toolNames, ...(summary ? { summary } : {}) });
      // the workspace prompt first, then the caller's instructions (HTTP API system messages)
      const system = input.system ? `${built}\n\n${input.system}` : built;
      return { system: { role: "system", content: system }, history };
    };
    let context = await load();

    for (;;) {
      let res: Awaited<ReturnType<typeof callModel>>;
      sink?.step();
      try {
        res = await callModel(
          this.opts.router,
          {
            messages: [context.system, ...context.history, ...added],
            ...(specs ? { tools: specs } : {}),
            ...(this.opts.maxTokens !== undefined ? { maxTokens: this.opts.maxTokens } : {}),
            ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
            signal,
          },
          { ...(input.model ? { model: input.model } : {}), signal },
          sink ? (t) => sink.write(t) : undefined,
        );
      } catch (err) {
        if (overflowRetried || !(err instanceof ProviderError) || err.reason !== "context_overflow") throw err;
        overflowRetried = true;
        if (!(await this.compactAfterOverflow(input, err))) throw err;
        context = await load();
        continue;
      }
      attempts.push(...res.attempts);
      entryId = res.entryId ?? entryId;
      lastCall = res.usage;
      usage = addUsage(usage, res.usage);

      const done = res.toolCalls.length === 0;
      if (done || iterations >= max) {
        let text = res.content;
        if (!done) {
          text = `${res.content.trim() ? `${res.content.trim()}\n\n` : ""}${toolLimitSentence(max)}`;
          sink?.write(`${res.content.trim() ? "\n\n" : ""}${toolLimitSentence(max)}`);
          this.log.warn({ session: origin.sessionKey, max }, "turn stopped at the tool iteration limit");
        }
        // the stored answer never carries unanswered tool calls
        added.push({ role: "assistant", content: text });
        const result: TurnResult = { text, media, attempts, iterations, entryId, ...(usage ? { usage } : {}), ...(done ? {} : { limitHit: true }) };
        return this.finish(input, added, result, {
          systemTokens: estimateTokens(textOf(context.system.content)),
          history: context.history,
          ...(lastCall ? { reportedPromptTokens: lastCall.promptTokens } : {}),
        });
      }
      iterations++;
      input.onToolCalls?.(res.toolCalls.map((c) => c.name));
      added.push({ role: "assistant", content: res.content, toolCalls: res.toolCalls });
      added.push(...(await this.runTools(res.toolCalls, origin, signal, media)));
    }
  }

  /** Executes one step's calls side by side; results come back in call order. */
  private async runTools(calls: ToolCall[], origin: TurnOrigin, signal: AbortSignal, media: TurnMedia): Promise<ChatMessage[]> {
    const ctx = { origin, signal, logger: this.log, clock: this.clock };
    const results = await Promise.all(calls.map((call) => this.opts.tools.execute(call, ctx)));
    const messages: ChatMessage[] = calls.map((call, i) => {
      const r = results[i]!;
      media.push(...r.media);
      if (r.error) this.log.info({ session: origin.sessionKey, tool: call.name, err: r.error }, "tool call failed; the model reads why");
      return { role: "tool", content: r.text, toolCallId: call.id, name: call.name };
    });
    // Tool messages carry text only (OpenAI protocol): images a tool returned
    // for the model follow as one user message, after every result of the step.
    const shown = calls.flatMap((call, i) => (results[i]!.forModel ?? []).map((img) => ({ call, img })));
    if (shown.length) {
      const names = [...new Set(shown.map((s) => s.call.name))].join(", ");
      messages.push({
        role: "user",
        content: [
          { type: "text", text: `[the image${shown.length === 1 ? "" : "s"} returned by ${names}]` },
          ...shown.map(({ img }) => ({ type: "image" as const, mimeType: img.mimeType, data: img.data.toString("base64") })),
        ],
      });
    }
    return messages;
  }

  /** Saves the turn (only now that it completed), records usage, starts a compaction for next time. */
  private async finish(
    input: TurnInput,
    added: ChatMessage[],
    result: TurnResult,
    size: { systemTokens: number; reportedPromptTokens?: number; history: ChatMessage[] },
  ): Promise<TurnResult> {
    const { reportedPromptTokens } = size;
    input.signal?.throwIfAborted();
    if (input.noHistory) return result;
    const { origin } = input;
    const key = origin.sessionKey;
    const now = this.clock.now();
    const saved = added.map(forHistory);
    // only store calls in here: on SQLite every other caller waits while the transaction is open
    const save = async (sessions: AsyncSessionStore, tx: StoreSet | undefined) => {
      // session row, its chat, its usage and the messages: one store call (two statements on SQLite, one on PostgreSQL)
      await sessions.saveTurn(key, {
        channel: origin.channel,
        chatId: origin.chatId,
        messages: saved,
        ...(reportedPromptTokens !== undefined ? { promptTokens: reportedPromptTokens } : {}),
        ...(result.entryId ? { model: result.entryId } : {}),
        now,
      });
      await input.onCommit?.(result, tx);
    };
    if (this.opts.transaction) await this.opts.transaction((tx) => save(tx.sessions, tx));
    else await save(this.opts.sessions, undefined);
    input.onCommitted?.(result);
    const contextWindow = result.entryId ? this.opts.contextWindowFor?.(result.entryId) : undefined;
    // the summary call runs after the turn, so the chat's next message does not wait for it
    this.compactions.afterTurn(key, {
      // the history as just saved: the turn's reading of it plus what it added (not read again)
      history: [...size.history, ...saved],
      systemTokens: size.systemTokens,
      ...(contextWindow !== undefined ? { contextWindow } : {}),
      ...(reportedPromptTokens !== undefined ? { reportedPromptTokens } : {}),
      ...(input.model ? { model: input.model } : {}),
    });
    return result;
  }

  /** context_overflow: summarize the whole history so the retry fits. False when there was nothing to shrink. */
  private async compactAfterOverflow(input: TurnInput, overflow: ProviderError): Promise<boolean> {
    if (input.noHistory) return false;
    const key = input.origin.sessionKey;
    this.log.warn({ session: key, err: overflow.message }, "context overflow: compacting the session and retrying once");
    // this summary covers the whole history: one started after an earlier turn is dropped, not stored beside it
    await this.compactions.cancel(key);
    try {
      return await forceCompact(this.compaction, key, {
        ...(input.model ? { model: input.model } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
    } catch (err) {
      input.signal?.throwIfAborted();
      this.log.warn({ session: key, err: errorMessage(err) }, "compaction after a context overflow failed");
      return false;
    }
  }

  private async command(name: ChatCommand, args: string, input: TurnInput): Promise<TurnResult> {
    // a summary of the history a reset drops must not land on the new session
    if (name === "/new" || name === "/reset") await this.compactions.cancel(input.origin.sessionKey);
    const primary = input.model ?? this.opts.modelInfo?.primary;
    const text = await runCommand(name, {
      sessionKey: input.origin.sessionKey,
      sessions: this.opts.sessions,
      now: this.clock.now(),
      ...(primary ? { primary } : {}),
      fallbacks: input.model ? [] : (this.opts.modelInfo?.fallbacks ?? []),
      args,
      ...(this.opts.sessionModels ? { models: this.opts.sessionModels } : {}),
      ...(input.model ? { turnModel: true } : {}),
    });
    return { text, media: [], command: name, attempts: [], iterations: 0 };
  }
}

/**
 * The stored copy of a message: inline attachment data (base64 images and
 * audio) is replaced by a short note, so the history does not resend (or
 * store) megabytes on every later turn. URL images are kept.
 */
function forHistory(m: ChatMessage): ChatMessage {
  if (typeof m.content === "string" || !m.content.some((p) => p.type !== "text" && "data" in p && p.data)) return m;
  const content: ContentPart[] = m.content.map((p) =>
    p.type === "text" || !("data" in p && p.data) ? p : { type: "text", text: `[${p.type} attachment (${p.mimeType}) not kept in history]` },
  );
  return { ...m, content };
}

function addUsage(total: Usage | undefined, add: Usage | undefined): Usage | undefined {
  if (!add) return total;
  if (!total) return { ...add };
  return {
    promptTokens: total.promptTokens + add.promptTokens,
    completionTokens: total.completionTokens + add.completionTokens,
    totalTokens: total.totalTokens + add.totalTokens,
  };
}
