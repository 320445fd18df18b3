// Schema migrations, applied in order by db.ts; entry n brings user_version
// to n + 1. Forward-only: never edit or remove a shipped entry, add a new one
// (a database already at a version never runs that entry again).
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    channel TEXT,
    chat_id TEXT,
    generation INTEGER NOT NULL DEFAULT 0,
    last_prompt_tokens INTEGER,
    last_model TEXT
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_key TEXT NOT NULL REFERENCES sessions(key) ON DELETE CASCADE,
    generation INTEGER NOT NULL,
    json TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    compacted INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX messages_active ON messages(session_key, generation, compacted, id);

  CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    received_at INTEGER NOT NULL,
    turn_id TEXT,
    error TEXT,
    UNIQUE (channel, chat_id, message_id)
  );
  CREATE INDEX inbox_open ON inbox(state, session_key, id);

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    reply_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    chunk TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    platform_message_id TEXT,
    last_error TEXT,
    UNIQUE (reply_id, seq)
  );
  CREATE INDEX outbox_open ON outbox(state, channel, not_before);

  CREATE TABLE pairing_requests (
    channel TEXT NOT NULL,
    code TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    label TEXT,
    chat_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (channel, code)
  );
  CREATE TABLE approved_senders (
    channel TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    label TEXT,
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (channel, sender_id)
  );

  CREATE TABLE cron_jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    next_run_at INTEGER
  );
  CREATE INDEX cron_due ON cron_jobs(enabled, next_run_at);
  CREATE TABLE cron_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    output TEXT
  );
  CREATE INDEX cron_runs_job ON cron_runs(job_id, id);

  CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  `,
  // 2: the role of each stored message as a column (for inspection and
  // future queries without parsing JSON), and indexes for the lookups the
  // stores make on every message.
  `
  ALTER TABLE messages ADD COLUMN role TEXT NOT NULL DEFAULT '';
  UPDATE messages SET role = coalesce(json_extract(json, '$.role'), '') WHERE json_valid(json);
  CREATE INDEX sessions_recent ON sessions(updated_at);
  CREATE INDEX pairing_sender ON pairing_requests(channel, sender_id);
  CREATE INDEX approved_channel ON approved_senders(channel, approved_at);
  `,
  // 3: the tool-call journal (a turn re-run after a crash reuses the
  // results of the calls it already made instead of repeating their
  // effects), per-chat cursors of channels that catch up after downtime,
  // and an index for pruning answered messages by age.
  `
  CREATE TABLE tool_journal (
    turn_id TEXT NOT NULL,
    call_key TEXT NOT NULL,
    tool TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (turn_id, call_key)
  );
  CREATE INDEX tool_journal_age ON tool_journal(created_at);
  CREATE TABLE channel_cursors (
    channel TEXT NOT NULL,
    scope TEXT NOT NULL,
    cursor TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (channel, scope)
  );
  CREATE INDEX inbox_age ON inbox(state, received_at);
  CREATE INDEX outbox_age ON outbox(state, created_at);
  `,
  // 4: the inbox's and outbox's state indexes hold only the rows their
  // queries look for (partial indexes; each query names the same state
  // condition). Storing a message touches one index fewer, and marking it
  // answered or a chunk sent removes an entry from one index and adds one
  // to another instead of moving an entry within each of two: fewer pages
  // written per commit. Waiting rows are few, so the waiting indexes stay
  // small however long the history; dead letters get a small index of
  // their own (status lists them).
  `
  DROP INDEX inbox_open;
  DROP INDEX inbox_age;
  DROP INDEX outbox_open;
  DROP INDEX outbox_age;
  CREATE INDEX inbox_open ON inbox(session_key, id) WHERE state IN ('pending', 'processing');
  CREATE INDEX inbox_age ON inbox(received_at) WHERE state IN ('done', 'failed');
  CREATE INDEX outbox_open ON outbox(channel, not_before) WHERE state = 'pending';
  CREATE INDEX outbox_age ON outbox(created_at) WHERE state = 'sent';
  CREATE INDEX outbox_dead ON outbox(id) WHERE state = 'dead';
  `,
  // 5: no age indexes. Answered and sent rows are pruned in the order they
  // were stored (rowid order is arrival order: delivery.ts finds where the
  // rows young enough to keep begin and deletes before it), so answering a
  // message and sending a chunk each write one b-tree entry fewer, and a
  // burst's commits carry fewer pages.
  `
  DROP INDEX inbox_age;
  DROP INDEX outbox_age;
  `,
  // 6: the waiting chunks' index holds the channel alone, so its entries
  // are in (channel, rowid) order: a channel's due chunks are read in the
  // order they were stored with no sort (DUE_ON_CHANNEL in delivery.ts).
  // Waiting chunks are few, so the not-before times are read from the rows.
  `
  DROP INDEX outbox_open;
  CREATE INDEX outbox_open ON outbox(channel) WHERE state = 'pending';
  `,
];
