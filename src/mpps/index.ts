/**
 * The MPPS relay: Modality Performed Procedure Step SCP (PS3.4 F.7, N-CREATE / N-SET of
 * 1.2.840.10008.3.1.2.3.3) whose messages are persisted and relayed, in order, to every
 * `[RemoteAE] mpps = yes` through the forwarder's persistent, retrying queue (one job per
 * MPPS instance and destination; the job sends whatever that destination has not confirmed,
 * so an N-SET never overtakes its N-CREATE).
 */
import type { Config } from '../config/types';
import type { DimseService } from '../dimse/channel';
import { decodeIdentifier, encodeIdentifier, type Identifier } from '../dicom/identifier';
import type { Forwarder } from '../forward/forwarder';
import type { IndexDb } from '../store/index-db';
import type { Logger } from '../util/log';
import { mppsRemotes, remoteKey } from '../worklist/config';
import { MppsDb } from './mpps-db';
import { mppsRelayKind, MPPS_ROUTE } from './relay';
import { applySet, checkCreate, checkSet, MPPS_STATUS, statusOf, type Refusal } from './rules';
import { mppsScpService } from './scp';

export { MPPS_SOP_CLASS } from './rules';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';

export interface MppsOptions {
  index: IndexDb;
  forwarder: Forwarder;
  config: () => Config;
  log: Logger;
  now?: () => number;
}

export interface Received {
  sopUid: string;
  callingAe: string;
  /** The data set bytes as received, and their transfer syntax. */
  dataset: Buffer;
  ts: string;
}

export class Mpps {
  readonly db: MppsDb;
  readonly service: DimseService;
  private readonly now: () => number;

  constructor(private readonly o: MppsOptions) {
    this.db = new MppsDb(o.index.db);
    this.now = o.now ?? Date.now;
    this.service = mppsScpService(this, o.log);
    o.forwarder.registerJobKind(mppsRelayKind(this.db, o.log));
  }

  /** N-CREATE: persists the instance and queues it for every MPPS destination, in one transaction. */
  create(r: Received): Refusal | undefined {
    const attrs = decodeIdentifier(r.dataset, r.ts);
    return this.o.index.db.transaction((): Refusal | undefined => {
      if (this.db.get(r.sopUid)) return { status: MPPS_STATUS.duplicateInstance, comment: `MPPS ${r.sopUid.slice(0, 40)} exists` };
      const refused = checkCreate(attrs);
      if (refused) return refused;
      this.db.create({ sopUid: r.sopUid, status: statusOf(attrs), callingAe: r.callingAe, attributes: encodeIdentifier(attrs, EXPLICIT_LE), dataset: r.dataset, ts: r.ts, now: this.now() });
      this.queue(r.sopUid);
      return undefined;
    }).immediate();
  }

  /** N-SET: applies the modifications, persists the message and queues the relay. */
  set(r: Received): Refusal | undefined {
    const mods = decodeIdentifier(r.dataset, r.ts);
    return this.o.index.db.transaction((): Refusal | undefined => {
      const current = this.db.get(r.sopUid);
      if (!current) return { status: MPPS_STATUS.noSuchInstance, comment: 'no such MPPS instance' };
      const refused = checkSet(current.status, mods);
      if (refused) return refused;
      const attrs = applySet(decodeIdentifier(current.attributes, EXPLICIT_LE), mods);
      this.db.update({ sopUid: r.sopUid, status: statusOf(attrs), attributes: encodeIdentifier(attrs, EXPLICIT_LE), dataset: r.dataset, ts: r.ts, now: this.now() });
      this.queue(r.sopUid);
      return undefined;
    }).immediate();
  }

  /** The current attributes of an instance (N-CREATE merged with every N-SET). */
  attributes(sopUid: string): Identifier | undefined {
    const i = this.db.get(sopUid);
    return i ? decodeIdentifier(i.attributes, EXPLICIT_LE) : undefined;
  }

  private queue(sopUid: string): void {
    for (const remote of mppsRemotes(this.o.config())) {
      this.o.forwarder.enqueueJob({ key: sopUid, group: sopUid, destination: remoteKey(remote), route: MPPS_ROUTE });
    }
  }
}
