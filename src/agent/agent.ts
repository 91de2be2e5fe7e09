/**
 * The composition root of `dicom-edge run`: configuration → logger → dumps → DICOM
 * server → DIMSE channel per association → services. Owns start and orderly stop.
 */
import '../config/features'; // every feature's sections, keys and abbreviations
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/types';
import { DimseChannel, type DimseService } from '../dimse/channel';
import { DumpWriter } from '../dump/dump-writer';
import { echoService } from '../services/echo';
import { storageScpService } from '../services/store-scp';
import { qrScpServices } from '../services/qr-scp';
import { IndexDb } from '../store/index-db';
import { InstanceStore } from '../store/instance-store';
import { Forwarder } from '../forward/forwarder';
import { PrintSpooler } from '../print/spooler';
import { Mpps } from '../mpps';
import { Worklist } from '../worklist';
import type { Logger } from '../util/log';
import { errorMessage } from '../util/errors';
import type { Association } from '../ul/association';
import { DicomServer } from '../ul/server';
import { serverTlsOptions, tlsSettings } from '../ul/tls';
import { ActivityLog, startWebServer, type WebServer } from '../web';
import { hostPort } from '../util/address';

export interface AgentOptions {
  config: Config;
  log: Logger;
  /** Extra services (storage, Q/R...) added by later features. */
  services?: DimseService[];
}

export class Agent {
  private config: Config;
  private readonly log: Logger;
  private readonly server: DicomServer;
  private dumps?: DumpWriter;
  private readonly services: DimseService[];
  readonly channels = new Set<DimseChannel>();
  readonly index: IndexDb;
  readonly store: InstanceStore;
  readonly forwarder: Forwarder;
  /** Print SCP, spool and print SCU per printer ([RemoteAE] printer = yes). */
  readonly print: PrintSpooler;
  readonly worklist: Worklist;
  readonly mpps: Mpps;
  /** Recent associations and counters (web operations page, /metrics). */
  readonly activity = new ActivityLog();
  web?: WebServer;

  constructor(o: AgentOptions) {
    this.config = o.config;
    this.log = o.log;
    const c = o.config;
    mkdirSync(c.storage.path, { recursive: true, mode: 0o750 });
    this.index = IndexDb.open(join(c.storage.path, 'index.sqlite'));
    this.forwarder = new Forwarder({ config: c, index: this.index, root: c.storage.path, log: o.log.child('forward') });
    this.store = new InstanceStore({
      extraInTransaction: this.forwarder.onIndexed, // routes are queued before the C-STORE response
      root: c.storage.path, aeTitle: c.localAe.aeTitle, implementationClassUid: c.localAe.implementationClassUid,
      implementationVersionName: c.localAe.implementationVersionName, duplicates: c.storage.duplicates, index: this.index,
      warn: (m) => o.log.warn(m), spareFiles: c.storage.spareFiles,
      // An fsync inline would stall a forward in progress: with both, the PACS waited on our
      // fsyncs (forward benchmark 1.36–1.46× → 1.18–1.30×).
      loopBusy: () => this.forwarder.sending,
    });
    this.worklist = new Worklist({ index: this.index, config: () => this.config, log: o.log.child('worklist') });
    this.mpps = new Mpps({ index: this.index, forwarder: this.forwarder, config: () => this.config, log: o.log.child('mpps') });
    this.print = new PrintSpooler({ config: c, db: this.index.db, storagePath: c.storage.path, log: o.log.child('print') });
    this.services = this.activity.wrapServices([echoService, ...this.print.services, this.worklist.service, this.mpps.service, storageScpService(this.store, { stored: (r) => this.activity.stored(r.row.size) }), ...qrScpServices(this.index, () => this.config), ...(o.services ?? [])]);
    this.server = new DicomServer({ config: () => this.config, log: o.log.child('dicom'), onAssociation: (a) => this.onAssociation(a), extraLocalAeTitles: () => this.print.aeTitles() });
  }

  get tmpDir(): string { return join(this.config.storage.path, 'tmp'); }
  get associations(): ReadonlySet<Association> { return this.server.associations; }

  async start(): Promise<AddressInfo> {
    const c = this.config;
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    if (c.options.pduDump || c.options.dimseDump) {
      this.dumps = new DumpWriter({ dir: c.options.dumpDir, pdu: c.options.pduDump, dimse: c.options.dimseDump, log: this.log });
    }
    for (const w of c.warnings) this.log.warn(w);
    const r = await this.store.recover();
    this.log.info(`store ${c.storage.path}: ${this.index.countInstances()} instances; recovery removed ${r.orphanTempFiles} temp file(s), put ${r.completedTempFiles} complete one(s) in place, ${r.missingFiles.length} row(s) without file, re-indexed ${r.reindexed}, ${this.store.spareFilesReady} spare file(s) kept${r.fullCheck ? '' : ' (clean stop: folders and index not cross-checked)'}${r.integrityProblems.length ? `, INTEGRITY: ${r.integrityProblems.join('; ')}` : ''}`);
    this.forwarder.start();
    this.print.start();
    this.worklist.start();
    const addr = await this.listenDicom(c);
    this.log.info(`${c.localAe.aeTitle} listening on ${hostPort(addr.address, addr.port)} (max PDU ${c.network.maxPdu}, SO_SNDBUF ${c.network.socketSndBuf}, SO_RCVBUF ${c.network.socketRcvBuf}, dimseSize ${c.memory.dimseSize}, max associations ${c.network.maxAssociations})`);
    this.web = await startWebServer(c, {
      index: this.index, store: this.store, storeRoot: c.storage.path, config: () => this.config, activity: this.activity,
      log: this.log.child('web'), reload: (nc) => this.reload(nc),
      extras: { forwarder: this.forwarder, queueSummary: () => this.forwarder.queue.summary() },
    });
    return addr;
  }

  /** Plain listener on [Network] port, plus DICOM TLS on [TLS] port; [TLS] only = yes: TLS alone. */
  private async listenDicom(c: Config): Promise<AddressInfo> {
    const t = tlsSettings(c);
    const secure = t && t.port > 0
      ? await this.server.listenTls(t.port, c.network.bind, serverTlsOptions(t), t.allowedSubjects) : undefined;
    if (secure) this.log.info(`DICOM TLS listening on ${hostPort(secure.address, secure.port)} (TLS >= ${t!.minVersion.slice(4)}, client certificate ${t!.verifyClient ? 'required' : 'not required'})`);
    if (secure && t!.only) return secure;
    return this.server.listen(c.network.port, c.network.bind);
  }

  get tlsAddress(): AddressInfo | undefined { return this.server.tlsAddress; }

  /** Renewed certificates and keys take effect on reload (files are read again). */
  private reloadTls(c: Config): void {
    const t = tlsSettings(c);
    if (!t) return;
    try {
      if (this.server.updateTls(serverTlsOptions(t), t.allowedSubjects)) this.log.info('TLS certificate, key and CA reloaded');
    } catch (e) {
      this.log.error(`TLS reload failed, keeping the previous certificate: ${errorMessage(e)}`);
    }
  }

  /** [Network] port/bind changed on reload: listen there; on failure keep the old listener. */
  private moveListener(c: Config): void {
    this.server.relisten(c.network.port, c.network.bind).then(
      (a) => this.log.info(`${c.localAe.aeTitle} now listening on ${hostPort(a.address, a.port)}; open associations continue`),
      (e: Error) => this.log.error(`cannot listen on ${hostPort(c.network.bind, c.network.port)} (${e.message}); still on the previous address`),
    );
  }

  /** A new configuration applies to associations that start after it. */
  reload(config: Config): void {
    const before = this.config.network;
    this.config = config;
    if (before.port !== config.network.port || before.bind !== config.network.bind) this.moveListener(config);
    this.reloadTls(config);
    this.forwarder.reload(config);
    this.print.reload(config);
    this.web?.reload(config);
    this.log.info('configuration reloaded');
  }

  async stop(graceMs = 5000): Promise<void> {
    await this.web?.close();
    await this.server.close(graceMs);
    await this.worklist.stop();
    await this.forwarder.stop();
    await this.print.stop();
    this.dumps?.close();
    await this.store.close();
    // Every commit on disk before the marker says so (another process may keep the index
    // open, so closing ours need not checkpoint it).
    let durable = false;
    try {
      durable = this.index.checkpointAll();
    } catch (e) {
      this.log.warn(`index checkpoint at stop: ${errorMessage(e)}`);
    }
    this.index.close();
    // Last: the next start may then skip the full consistency check (src/store/recover.ts CLEAN_STOP).
    if (!durable) this.log.warn('index checkpoint did not complete (another process is reading it): the next start checks the store in full');
    else if (!(await this.store.markCleanStop().catch(() => false))) this.log.warn('store not marked cleanly stopped (a reception was still in progress): the next start checks it in full');
  }

  private onAssociation(assoc: Association): void {
    const c = this.config;
    const channel = new DimseChannel({
      assoc, log: this.log.child('dimse'), services: this.services, dimseSize: c.memory.dimseSize, tmpDir: this.tmpDir,
      readTimeout: c.network.readTimeout, idleTimeout: c.network.idleTimeout,
    });
    this.activity.track(assoc);
    this.channels.add(channel);
    assoc.once('close', () => this.channels.delete(channel));
  }
}
