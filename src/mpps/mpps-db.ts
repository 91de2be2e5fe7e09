/**
 * Persisted Modality Performed Procedure Steps (PS3.4 F.7): each instance's current
 * attributes and status, every message received for it (N-CREATE = seq 0, then the N-SETs
 * in arrival order, data sets kept as received for a bit-faithful relay), and per relay
 * destination how many of those messages it has confirmed. Tables live in the index.
 */
import type { SqliteDb } from '../store/index-db';

export const MPPS_SCHEMA = `
CREATE TABLE IF NOT EXISTS mpps_instances (
  sop_uid     TEXT PRIMARY KEY,
  status      TEXT NOT NULL,            -- Performed Procedure Step Status (0040,0252)
  calling_ae  TEXT,
  attributes  BLOB NOT NULL,            -- current attributes, Explicit VR Little Endian
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mpps_messages (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  sop_uid     TEXT NOT NULL,
  seq         INTEGER NOT NULL,         -- 0 = N-CREATE, 1... = N-SET in arrival order
  kind        TEXT NOT NULL CHECK (kind IN ('create', 'set')),
  dataset     BLOB NOT NULL,            -- as received
  ts          TEXT NOT NULL,            -- its transfer syntax
  received_at INTEGER NOT NULL,
  UNIQUE (sop_uid, seq)
);
CREATE TABLE IF NOT EXISTS mpps_relay (
  sop_uid     TEXT NOT NULL,
  destination TEXT NOT NULL,
  delivered   INTEGER NOT NULL DEFAULT 0, -- messages with seq < delivered were confirmed
  PRIMARY KEY (sop_uid, destination)
);
`;

export interface MppsInstance {
  sopUid: string;
  status: string;
  callingAe: string | null;
  attributes: Buffer;
  createdAt: number;
  updatedAt: number;
}

export interface MppsMessage {
  seq: number;
  kind: 'create' | 'set';
  dataset: Buffer;
  ts: string;
}

export class MppsDb {
  private readonly s: ReturnType<typeof prepare>;

  constructor(readonly db: SqliteDb) {
    db.exec(MPPS_SCHEMA);
    this.s = prepare(db);
  }

  get(sopUid: string): MppsInstance | undefined {
    return this.s.get.get(sopUid) as MppsInstance | undefined;
  }

  /** N-CREATE: the instance and its message 0 (call inside a transaction with the relay jobs). */
  create(i: { sopUid: string; status: string; callingAe: string; attributes: Buffer; dataset: Buffer; ts: string; now: number }): void {
    this.s.insertInstance.run(i);
    this.s.insertMessage.run({ sopUid: i.sopUid, seq: 0, kind: 'create', dataset: i.dataset, ts: i.ts, now: i.now });
  }

  /** N-SET: the new current attributes and status, and the message as the next in order. */
  update(i: { sopUid: string; status: string; attributes: Buffer; dataset: Buffer; ts: string; now: number }): number {
    const seq = (this.s.maxSeq.get(i.sopUid) as { m: number | null }).m ?? -1;
    this.s.updateInstance.run(i);
    this.s.insertMessage.run({ sopUid: i.sopUid, seq: seq + 1, kind: 'set', dataset: i.dataset, ts: i.ts, now: i.now });
    return seq + 1;
  }

  /** Messages `destination` has not confirmed yet, in order. */
  undelivered(sopUid: string, destination: string): MppsMessage[] {
    const d = (this.s.delivered.get(sopUid, destination) as { delivered: number } | undefined)?.delivered ?? 0;
    return this.s.messagesFrom.all(sopUid, d) as MppsMessage[];
  }

  /** `destination` confirmed every message up to and including `seq`. */
  markDelivered(sopUid: string, destination: string, seq: number): void {
    this.s.markDelivered.run({ sopUid, destination, n: seq + 1 });
  }

  messages(sopUid: string): MppsMessage[] {
    return this.s.messagesFrom.all(sopUid, 0) as MppsMessage[];
  }

  list(limit = 100): MppsInstance[] {
    return this.s.list.all(limit) as MppsInstance[];
  }
}

function prepare(db: SqliteDb) {
  const cols = 'sop_uid AS sopUid, status, calling_ae AS callingAe, attributes, created_at AS createdAt, updated_at AS updatedAt';
  return {
    get: db.prepare(`SELECT ${cols} FROM mpps_instances WHERE sop_uid = ?`),
    list: db.prepare(`SELECT ${cols} FROM mpps_instances ORDER BY updated_at DESC LIMIT ?`),
    insertInstance: db.prepare(`INSERT INTO mpps_instances (sop_uid, status, calling_ae, attributes, created_at, updated_at)
      VALUES (@sopUid, @status, @callingAe, @attributes, @now, @now)`),
    updateInstance: db.prepare('UPDATE mpps_instances SET status = @status, attributes = @attributes, updated_at = @now WHERE sop_uid = @sopUid'),
    insertMessage: db.prepare(`INSERT INTO mpps_messages (sop_uid, seq, kind, dataset, ts, received_at)
      VALUES (@sopUid, @seq, @kind, @dataset, @ts, @now)`),
    maxSeq: db.prepare('SELECT MAX(seq) AS m FROM mpps_messages WHERE sop_uid = ?'),
    delivered: db.prepare('SELECT delivered FROM mpps_relay WHERE sop_uid = ? AND destination = ?'),
    messagesFrom: db.prepare('SELECT seq, kind, dataset, ts FROM mpps_messages WHERE sop_uid = ? AND seq >= ? ORDER BY seq'),
    markDelivered: db.prepare(`INSERT INTO mpps_relay (sop_uid, destination, delivered) VALUES (@sopUid, @destination, @n)
      ON CONFLICT(sop_uid, destination) DO UPDATE SET delivered = MAX(delivered, excluded.delivered)`),
  };
}
