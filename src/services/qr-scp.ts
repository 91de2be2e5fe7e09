/** The three Query/Retrieve SCPs over one index, as the agent composes them. */
import type { Config } from '../config/types';
import type { DimseService } from '../dimse/channel';
import type { IndexDb } from '../store/index-db';
import { QueryEngine } from '../store/query';
import { findScpService } from './find-scp';
import { getScpService } from './get-scp';
import { moveScpService } from './move-scp';

export function qrScpServices(index: IndexDb, config: () => Config): DimseService[] {
  const c = config();
  const engine = new QueryEngine(index, { root: c.storage.path, retrieveAeTitle: c.localAe.aeTitle });
  return [findScpService(engine), moveScpService({ engine, config }), getScpService(engine)];
}
