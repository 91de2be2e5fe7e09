/**
 * The worklist feature as the agent wires it: cache tables in the index, the provider
 * (local items + upstream RIS + cache), the MWL C-FIND SCP service and the prefetch schedule.
 * The console's `worklist add|del|list` uses worklistConsoleCommand(worklistSettings(config).path, words).
 */
import type { Config } from '../config/types';
import type { DimseService } from '../dimse/channel';
import type { IndexDb } from '../store/index-db';
import type { Logger } from '../util/log';
import { WorklistCache } from './cache-db';
import { PrefetchScheduler } from './prefetch';
import { WorklistProvider, type UpstreamQuery } from './provider';
import { worklistScpService } from './scp';

export { worklistSettings, worklistRemotes, mppsRemotes, registerWorklistConfig } from './config';
export { addWorklistItem, deleteWorklistItem, listWorklistItems, worklistConsoleCommand, type ItemSummary } from './local-items';

export interface WorklistOptions {
  index: IndexDb;
  config: () => Config;
  log: Logger;
  upstream?: UpstreamQuery;
}

export class Worklist {
  readonly cache: WorklistCache;
  readonly provider: WorklistProvider;
  readonly scheduler: PrefetchScheduler;
  readonly service: DimseService;

  constructor(o: WorklistOptions) {
    this.cache = new WorklistCache(o.index.db);
    this.provider = new WorklistProvider({ config: o.config, cache: this.cache, log: o.log, upstream: o.upstream });
    this.scheduler = new PrefetchScheduler(this.provider, o.config, o.log);
    this.service = worklistScpService(this.provider);
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}
