// What a channel is to the rest of the gateway: one definition exported by
// channels/<id>/index.ts. The definition module stays light (zod and the
// channel's own config module); the adapter, and with it the platform SDK,
// is imported by create() only when the channel is enabled.
import type { z } from "zod";
import type { ChannelAdapter } from "./channel.ts";
import type { Logger } from "./logger.ts";
import { errorMessage } from "./errors.ts";

export interface ChannelDeps {
  logger: Logger;
  /** SWITCHBOARD_HOME: where adapters keep their own state (WhatsApp pairing, QQ reply ids) */
  stateDir: string;
}

/** One problem of an enabled channel's config, as the adapter sees it. */
export interface ChannelConfigIssue {
  /** key inside channels.<id>, e.g. "bridge_url"; "" for the block as a whole */
  key: string;
  /** what is wrong and how to fix it */
  message: string;
}

export interface ChannelDefinition {
  readonly id: string;
  /**
   * Every key of channels.<id> the adapter reads, with its type and default.
   * The gateway's own keys (enabled, allow_from, group_trigger) are added by
   * the root schema; anything else is an unknown key.
   */
  readonly settings: z.ZodRawShape;
  /** keys that must be non-empty for the channel to start at all */
  readonly credentials: readonly string[];
  /** the adapter's own checks of an enabled block with its credentials set; [] when it can start */
  check(cfg: Record<string, unknown>): ChannelConfigIssue[];
  /**
   * true when, with this config, the channel asks the platform for updates
   * (polling): it then stops asking while every turn slot is taken, and the
   * platform keeps the rest (backpressure). Socket and webhook channels store
   * what arrives instead.
   */
  pullsUpdates?(cfg: Record<string, unknown>): boolean;
  /** the HTTP route the platform posts to; the adapter's handleWebhook answers it */
  readonly webhook?: { readonly path: string };
  /** builds the adapter (imports its module and SDK); throws ChannelConfigError on a config check() passes */
  create(cfg: Record<string, unknown>, deps: ChannelDeps): Promise<ChannelAdapter>;
}

/** Thrown by a channel's config resolver: names the key and the fix, never a secret value. */
export class ChannelConfigError extends Error {
  readonly channel: string;
  readonly key: string;
  constructor(channel: string, key: string, message: string) {
    super(message);
    this.name = "ChannelConfigError";
    this.channel = channel;
    this.key = key;
  }
}

/**
 * Parses a channel's block with the adapter's schema; the first problem is
 * thrown as ChannelConfigError with its key and a message that starts with
 * the full key path.
 */
export function parseChannelConfig<S extends z.ZodType>(channel: string, schema: S, config: unknown): z.output<S> {
  const parsed = schema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path.map(String).join(".") ?? "";
  const full = key ? `channels.${channel}.${key}` : `channels.${channel}`;
  const text = issue?.message ?? "invalid";
  throw new ChannelConfigError(channel, key, text.startsWith(`channels.${channel}`) ? text : `${full}: ${text}`);
}

/** Runs a resolver and turns what it throws into issues (for ChannelDefinition.check). */
export function issuesOf(resolve: () => unknown): ChannelConfigIssue[] {
  try {
    resolve();
    return [];
  } catch (err) {
    if (err instanceof ChannelConfigError) return [{ key: err.key, message: err.message }];
    return [{ key: "", message: errorMessage(err) }];
  }
}

/** Keeps the literal id in the type, so the registry knows the closed list of ids. */
export function defineChannel<const Id extends string>(def: ChannelDefinition & { readonly id: Id }): ChannelDefinition & { readonly id: Id } {
  return def;
}
