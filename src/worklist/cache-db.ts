/**
 * The worklist cache: items answered by each upstream RIS, kept in the SQLite index (same
 * file, same WAL) so the modality is still served when the RIS is down. One row per
 * (source, item identity); the item is stored whole in Explicit VR Little Endian.
 */
import { createHash } from 'node:crypto';
import { decodeIdentifier, encodeIdentifier, type Identifier } from '../dicom/identifier';
import type { SqliteDb } from '../store/index-db';
import { itemKey } from './keys';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

export const WORKLIST_CACHE_SCHEMA = `
CREATE TABLE IF NOT EXISTS worklist_cache (
  source     TEXT NOT NULL,     -- [RemoteAE] userName, else aetitle
  item_key   TEXT NOT NULL,     -- Accession Number \\ Scheduled Procedure Step ID (else a digest)
  item       BLOB NOT NULL,     -- the item, Explicit VR Little Endian
  fetched_at INTEGER NOT NULL,  -- ms since the epoch: last time the RIS returned it
  PRIMARY KEY (source, item_key)
);
CREATE INDEX IF NOT EXISTS worklist_cache_age ON worklist_cache(fetched_at);
`;

export interface CachedItems {
  items: Identifier[];
  /** Oldest fetched_at among them (0 when none). */
  oldest: number;
}

export class WorklistCache {
  private readonly s: ReturnType<typeof prepare>;

  constructor(readonly db: SqliteDb) {
    db.exec(WORKLIST_CACHE_SCHEMA);
    this.s = prepare(db);
  }

  /** Stores (or refreshes) the items one source returned, in one transaction. */
  put(source: string, items: Identifier[], now: number): void {
    this.db.transaction(() => {
      for (const item of items) {
        const bytes = encodeIdentifier(item, EXPLICIT_LE);
        const key = itemKey(item) ?? `#${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
        this.s.upsert.run({ source, key, item: bytes, now });
      }
    }).immediate();
  }

  /** Every item of `source` fetched at or after `notBefore`. */
  get(source: string, notBefore: number): CachedItems {
    const rows = this.s.bySource.all(source, notBefore) as { item: Buffer; fetched_at: number }[];
    const items: Identifier[] = [];
    let oldest = 0;
    for (const r of rows) {
      try {
        items.push(decodeIdentifier(r.item, EXPLICIT_LE));
        oldest = oldest === 0 ? r.fetched_at : Math.min(oldest, r.fetched_at);
      } catch {
        /* a row we cannot read is as good as expired */
      }
    }
    return { items, oldest };
  }

  /** Drops rows older than `notBefore`; returns how many. */
  expire(notBefore: number): number {
    return this.s.expire.run(notBefore).changes;
  }

  count(source?: string): number {
    const r = (source === undefined ? this.s.countAll.get() : this.s.countSource.get(source)) as { n: number };
    return r.n;
  }
}

function prepare(db: SqliteDb) {
  return {
    upsert: db.prepare(`INSERT INTO worklist_cache (source, item_key, item, fetched_at) VALUES (@source, @key, @item, @now)
      ON CONFLICT(source, item_key) DO UPDATE SET item = excluded.item, fetched_at = excluded.fetched_at`),
    bySource: db.prepare('SELECT item, fetched_at FROM worklist_cache WHERE source = ? AND fetched_at >= ? ORDER BY item_key'),
    expire: db.prepare('DELETE FROM worklist_cache WHERE fetched_at < ?'),
    countAll: db.prepare('SELECT COUNT(*) AS n FROM worklist_cache'),
    countSource: db.prepare('SELECT COUNT(*) AS n FROM worklist_cache WHERE source = ?'),
  };
}
