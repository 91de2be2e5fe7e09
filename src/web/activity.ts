/**
 * What the agent has been doing, for the operations page and /metrics: a ring buffer of
 * recent associations (peer AE/IP, services used, request counts, errors, how they ended)
 * and process-wide counters. The agent calls track() per association and wraps its DIMSE
 * services with wrapServices(); STOW and the store SCP call stored().
 */
import type { DimseService } from '../dimse/channel';
import type { Association } from '../ul/association';

export interface AssociationRecord {
  id: string;
  peerAe: string;
  calledAe: string;
  peerAddress: string;
  startedAt: string;
  endedAt?: string;
  /** Service name → requests handled. */
  services: Record<string, number>;
  errors: string[];
  end?: string;
}

export interface Counters {
  associationsTotal: number;
  associationsRejectedOrAborted: number;
  instancesReceived: number;
  bytesReceived: number;
  instancesFailed: number;
  stowInstances: number;
  httpRequests: number;
}

export class ActivityLog {
  private readonly ring: AssociationRecord[] = [];
  private readonly live = new Map<string, AssociationRecord>();
  readonly counters: Counters = {
    associationsTotal: 0, associationsRejectedOrAborted: 0, instancesReceived: 0, bytesReceived: 0,
    instancesFailed: 0, stowInstances: 0, httpRequests: 0,
  };

  constructor(private readonly capacity = 200) {}

  get open(): number { return this.live.size; }

  /** Newest first. */
  recent(): AssociationRecord[] {
    return [...this.ring].reverse();
  }

  track(assoc: Association): void {
    const rec: AssociationRecord = {
      id: assoc.id, peerAe: '', calledAe: '', peerAddress: assoc.peerAddress, startedAt: new Date().toISOString(), services: {}, errors: [],
    };
    this.counters.associationsTotal++;
    this.live.set(assoc.id, rec);
    this.ring.push(rec);
    if (this.ring.length > this.capacity) this.ring.shift();
    assoc.once('established', () => { rec.peerAe = assoc.callingAe; rec.calledAe = assoc.calledAe; });
    assoc.once('close', (info?: { kind: string; detail: string }) => {
      rec.peerAe ||= assoc.callingAe;
      rec.calledAe ||= assoc.calledAe;
      rec.endedAt = new Date().toISOString();
      rec.end = info ? `${info.kind}: ${info.detail}` : 'closed';
      if (info && info.kind !== 'released') {
        this.counters.associationsRejectedOrAborted++;
        rec.errors.push(rec.end);
      }
      this.live.delete(assoc.id);
    });
  }

  /** Counts each handled request under its service; a handler that throws is an error. */
  wrapServices(services: DimseService[]): DimseService[] {
    // Object.create keeps class-based services working (prototype methods, `this`).
    return services.map((s) => Object.assign(Object.create(s) as DimseService, {
      handle: async (rc: Parameters<DimseService['handle']>[0]) => {
        const rec = this.live.get(rc.channel.assoc.id);
        if (rec) rec.services[s.name] = (rec.services[s.name] ?? 0) + 1;
        try {
          await s.handle(rc);
        } catch (e) {
          rec?.errors.push(`${s.name}: ${(e as Error).message}`);
          throw e;
        }
      },
    }));
  }

  stored(size: number, via: 'dimse' | 'stow' = 'dimse'): void {
    this.counters.instancesReceived++;
    this.counters.bytesReceived += size;
    if (via === 'stow') this.counters.stowInstances++;
  }

  failed(): void {
    this.counters.instancesFailed++;
  }
}
