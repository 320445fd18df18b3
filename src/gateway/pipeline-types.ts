// What the pipeline takes and gives: its options, what a turn is handed and
// returns, and what is stored per inbound message. The pipeline itself
// (pipeline.ts) is how a message travels; these are the shapes others build
// against (the daemon, the agent's runTurn, tests).
import type { ContentPart } from "../core/chat.ts";
import type { ChannelAdapter, ChannelCapabilities, InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { StoreHealth } from "../store/health.ts";
import type { AsyncKvStore, StoreBackend, StoreSet } from "../store/backend.ts";
import type { TurnOrigin, ToolOutput } from "../tools/types.ts";
import type { AllowList, GroupTrigger } from "./access.ts";
import type { SessionClaims } from "./fleet-session.ts";
import type { StoredMedia, VoiceService } from "./inbound-media.ts";
import type { LiveReplies } from "./live-replies.ts";
import type { Outbox } from "./outbox.ts";
import type { StoredContext } from "./turn-text.ts";

/** Default of gateway.max_turns_in_flight: sessions answered at the same time. */
export const DEFAULT_MAX_TURNS = 8;

export interface ChannelPolicy {
  allowFrom: AllowList;
  groupTrigger?: GroupTrigger;
}

export interface GatewayTurnInput {
  origin: TurnOrigin;
  text: string;
  parts?: ContentPart[];
  signal?: AbortSignal;
  /** the session did not exist when these messages were stored, and nothing here wrote it since: there is no history to read */
  newSession?: boolean;
  /** the agent calls this while saving the turn's history, in the same transaction (`tx`; undefined when the agent has none) */
  onCommit?: (result: GatewayTurnResult, tx: StoreSet | undefined) => Promise<void>;
  /** that transaction committed: the reply may go out */
  onCommitted?: (result: GatewayTurnResult) => void;
  /** the answer's text as the model writes it (streaming channels) */
  onDelta?: (text: string) => void;
  /** the model called tools (a streamed reply shows a status line meanwhile) */
  onToolCalls?: (names: string[]) => void;
}

export interface GatewayTurnResult {
  text: string;
  media: NonNullable<ToolOutput["media"]>;
}

/** What is stored per inbound message: everything a turn needs, even after a restart. */
export interface StoredInbound extends StoredContext {
  text: string;
  chatType: InboundMessage["chatType"];
  threadId?: string;
  accountId?: string;
  senderName?: string;
  media?: StoredMedia[];
}

export interface PipelineOptions {
  /** the store outside any transaction (a StoreBackend) */
  store: Pick<StoreSet, "delivery" | "pairing" | "kv"> & Pick<StoreBackend, "onSessionWrite">;
  outbox: Outbox;
  adapter: (channel: string) => ChannelAdapter | undefined;
  policy: (channel: string) => ChannelPolicy | undefined;
  sessionKey: (msg: InboundMessage) => string;
  runTurn: (input: GatewayTurnInput) => Promise<GatewayTurnResult>;
  voice?: VoiceService;
  /** remembers the last chat a person was answered in (heartbeat target); called inside the reply's transaction, writing through its `kv` */
  noteActiveChat?: (channel: string, chatId: string, kv: AsyncKvStore) => Promise<void>;
  logger: Logger;
  now?: () => number;
  /** largest media file stored with a message; default 20 MB */
  maxMediaBytes?: number;
  /** pairing codes stay valid this long; default 1 h */
  pairingTtlMs?: number;
  /** open pairing requests per channel; default 20, the oldest expire first */
  pairingMaxPending?: number;
  /** sessions that run a turn at the same time; default DEFAULT_MAX_TURNS */
  maxTurns?: number;
  /**
   * channels that pull updates (Telegram polling): their emit waits while every
   * turn slot is taken, so the platform keeps the burst instead of our memory
   */
  holdReading?: (channel: string) => boolean;
  /** the store's state (it probes a faulted store); without it a storage fault is treated as any failure */
  health?: StoreHealth;
  /** a turn shows "typing…" once it has run this long; default TYPING_AFTER_MS */
  typingAfterMs?: number;
  /** streams replies into the chat by editing a message (channels.<id>.streaming); without it every reply is sent whole */
  live?: LiveReplies;
  /**
   * other gateways write this store's inbox too (a fleet on PostgreSQL): a
   * turn may have run elsewhere, so its live-reply record is always read
   */
  sharedStore?: boolean;
  /** a fleet's session claims (fleet-hooks.ts): a session's turns run here only while claimed; absent on a lone gateway */
  claims?: SessionClaims;
  /** a channel's limits where its adapter does not run here (a fleet's other gateways); default: the running adapter's */
  capabilities?: (channel: string) => ChannelCapabilities | undefined;
}
