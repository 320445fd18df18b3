// The floor: the least a gateway must do per message to be durable, in one
// small loop, run as its own process by bench/gateway.ts against the same
// fakes as the daemon. Per message: store the inbound update, call the model,
// one transaction for history + reply + acknowledgement, send the reply to
// the platform, mark it sent. Updates are confirmed to Telegram (offset) only
// after they are stored. No tools, no formatting, no supervision: what the
// gateway does beyond this is its overhead.
//   env: FLOOR_TG (Bot API base incl. /bot<token>), FLOOR_LLM (…/v1), FLOOR_DB
import { DatabaseSync } from "node:sqlite";

const tg = process.env.FLOOR_TG!;
const llm = process.env.FLOOR_LLM!;
const db = new DatabaseSync(process.env.FLOOR_DB!);
db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
  CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, chat TEXT, text TEXT, state TEXT);
  CREATE TABLE IF NOT EXISTS history (chat TEXT, role TEXT, text TEXT);
  CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, chat TEXT, text TEXT, sent INTEGER);`);
const insertInbox = db.prepare("INSERT OR IGNORE INTO inbox (id, chat, text, state) VALUES (?, ?, ?, 'new')");
const addHistory = db.prepare("INSERT INTO history (chat, role, text) VALUES (?, ?, ?)");
const addReply = db.prepare("INSERT INTO outbox (chat, text, sent) VALUES (?, ?, 0) RETURNING id");
const ack = db.prepare("UPDATE inbox SET state = 'done' WHERE id = ?");
const markSent = db.prepare("UPDATE outbox SET sent = 1 WHERE id = ?");

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, any>;
};

async function handle(id: number, chat: string, text: string): Promise<void> {
  const answer = await post(`${llm}/chat/completions`, { model: "m", messages: [{ role: "user", content: text }] });
  const reply = String(answer.choices[0].message.content);
  db.exec("BEGIN");
  addHistory.run(chat, "user", text);
  addHistory.run(chat, "assistant", reply);
  const { id: outId } = addReply.get(chat, reply) as { id: number };
  ack.run(id);
  db.exec("COMMIT");
  await post(`${tg}/sendMessage`, { chat_id: chat, text: reply });
  markSent.run(outId);
}

let offset = 0;
let stopping = false;
process.on("SIGTERM", () => (stopping = true));
while (!stopping) {
  const res = await post(`${tg}/getUpdates`, { offset, timeout: 1, limit: 100 }).catch(() => ({ result: [] }));
  const updates = (res.result ?? []) as { update_id: number; message?: { chat: { id: number }; text?: string } }[];
  if (!updates.length) continue;
  db.exec("BEGIN");
  for (const u of updates) insertInbox.run(u.update_id, String(u.message?.chat.id ?? ""), u.message?.text ?? "");
  db.exec("COMMIT");
  offset = updates.at(-1)!.update_id + 1;
  await Promise.all(updates.filter((u) => u.message?.text).map((u) => handle(u.update_id, String(u.message!.chat.id), u.message!.text!)));
}
db.close();
