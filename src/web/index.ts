/** The web server as the agent starts it: [Web] config → routes → listening WebServer. */
import type { Config } from '../config/types';
import { webConfigOf } from './config';
import { WebServer, type Route, type WebDeps } from './server';
import { authRoutes } from './pages-auth';
import { studyRoutes } from './pages-studies';
import { viewerRoutes } from './pages-viewer';
import { fileRoutes } from './files';
import { qidoRoutes } from './qido';
import { wadoRoutes } from './wado';
import { stowRoutes } from './stow';
import { opsRoutes } from './ops';
import { queueRoutes } from './pages-queue';
import { remoteRoutes } from './pages-remote';
import { hostPort } from '../util/address';

export { ActivityLog } from './activity';
export { WebServer } from './server';

export const ALL_ROUTES: Route[] = [
  ...authRoutes, ...studyRoutes, ...viewerRoutes, ...fileRoutes, ...qidoRoutes, ...wadoRoutes, ...stowRoutes,
  ...opsRoutes, ...queueRoutes, ...remoteRoutes,
];

/** Starts the web server when the configuration has a [Web] section; undefined otherwise. */
export async function startWebServer(config: Config, deps: Omit<WebDeps, 'auth'>): Promise<WebServer | undefined> {
  const web = webConfigOf(config);
  if (!web) return undefined;
  const server = new WebServer(web, deps, ALL_ROUTES);
  const addr = await server.listen();
  const anon = web.anonymous === 'viewer' ? ', anonymous viewers allowed' : '';
  deps.log.info(`web ${server.secure ? 'https' : 'http'}://${hostPort(addr.address, addr.port)}/ (${web.users.length} user(s)${anon})`);
  if (!web.users.length && web.anonymous === 'none') deps.log.warn('[Web] has no users: add one with `dicom-edge user add NAME --role admin --config FILE`');
  return server;
}
