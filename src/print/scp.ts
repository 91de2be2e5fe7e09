/**
 * The Print Management SCP (PS3.4 Annex H) as a DIMSE service: N-GET Printer, N-CREATE/
 * N-SET/N-ACTION/N-DELETE of Film Session and Film Box, N-SET of Image Boxes, Presentation
 * LUT N-CREATE/N-DELETE, Print Job N-GET; N-EVENT-REPORTs for Printer and Print Job state
 * changes. One PrintSession per association; the printer is chosen by the called AE title
 * ([RemoteAE] printAs). Every response names the Affected SOP Class and Instance UID.
 */
import type { Config } from '../config/types';
import type { DimseChannel, DimseService, RequestContext } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { CommandSet } from '../dimse/command';
import { decodeIdentifier, encodeIdentifier, get, type Identifier } from '../dicom/identifier';
import type { NegotiatedContext } from '../ul/negotiation';
import { errorMessage } from '../util/errors';
import { printerForCalledAe, printersOf, spoolSettings, type PrinterDef } from './config';
import { DEFAULT_DPI } from './fit';
import type { SpoolJobContent } from './job';
import { PrintSession, type NResult } from './session';
import { ST } from './status';
import { META_CLASSES, TAG, UID } from './uids';

export interface PrinterState { status: 'NORMAL' | 'WARNING' | 'FAILURE'; info: string }
export interface JobStatus { executionStatus: 'PENDING' | 'PRINTING' | 'DONE' | 'FAILURE'; info: string; createdAt: number; printer: string; label?: string }

export interface PrintScpHost {
  config(): Config;
  printerState(printer: PrinterDef): PrinterState;
  /** Persists the job (files + row) and returns its Print Job UID; undefined when the queue is full. */
  spool(printer: PrinterDef, content: SpoolJobContent, callingAe: string): Promise<string | undefined>;
  jobStatus(uid: string): JobStatus | undefined;
}

const N_REQUESTS = new Set<number>([CommandField.N_GET_RQ, CommandField.N_SET_RQ, CommandField.N_ACTION_RQ, CommandField.N_CREATE_RQ, CommandField.N_DELETE_RQ]);

/** SOP classes usable on a context of each negotiated abstract syntax (PS3.4 H.2.1). */
function classesOn(abstractSyntax: string): string[] {
  if (abstractSyntax === UID.GrayMeta) return [UID.Printer, UID.FilmSession, UID.FilmBox, UID.GrayImageBox];
  if (abstractSyntax === UID.ColorMeta) return [UID.Printer, UID.FilmSession, UID.FilmBox, UID.ColorImageBox];
  if (abstractSyntax === UID.PresentationLut) return [UID.PresentationLut];
  if (abstractSyntax === UID.PrintJob) return [UID.PrintJob];
  return [];
}

interface AssocState { printer?: PrinterDef; session?: PrintSession; jobs: string[] }

export class PrintScp {
  private readonly states = new Map<DimseChannel, AssocState>();
  readonly service: DimseService;

  constructor(private readonly host: PrintScpHost) {
    this.service = {
      name: 'print',
      handles: (cmd: CommandSet, ctx: NegotiatedContext) => N_REQUESTS.has(cmd.commandField ?? 0) && classesOn(ctx.abstractSyntax).length > 0,
      handle: (rc) => this.handle(rc),
    };
  }

  private state(channel: DimseChannel): AssocState {
    let s = this.states.get(channel);
    if (!s) {
      const cfg = this.host.config();
      const printers = printersOf(cfg);
      s = { printer: printerForCalledAe(cfg, channel.assoc.calledAe) ?? (printers.length === 1 ? printers[0] : undefined), jobs: [] };
      this.states.set(channel, s);
      channel.assoc.once('close', () => this.states.delete(channel));
    }
    return s;
  }

  private async handle(rc: RequestContext): Promise<void> {
    const { command } = rc.message;
    const cls = command.affectedSopClassUid ?? command.requestedSopClassUid ?? '';
    const inst = command.requestedSopInstanceUid ?? command.affectedSopInstanceUid ?? '';
    let r: NResult;
    try {
      r = classesOn(rc.context.abstractSyntax).includes(cls)
        ? await this.dispatch(rc, cls, inst, await this.readDataset(rc))
        : { status: ST.NoSuchSopClass, comment: `${cls} is not part of ${rc.context.abstractSyntax}` };
    } catch (e) {
      r = { status: ST.ProcessingFailure, comment: errorMessage(e) };
    }
    if (r.status !== 0) rc.log.warn(`${rc.channel.assoc.id} print ${cls} 0x${(command.commandField ?? 0).toString(16)}: status 0x${r.status.toString(16).padStart(4, '0')} ${r.comment ?? ''}`);
    await this.respond(rc, cls, inst, r);
  }

  private async readDataset(rc: RequestContext): Promise<Identifier> {
    const { message } = rc;
    if (message.datasetError) throw message.datasetError;
    const sink = message.dataset as unknown as { readAll?: () => Promise<Buffer> } | undefined;
    if (!sink?.readAll) return [];
    return decodeIdentifier(await sink.readAll(), rc.context.transferSyntax);
  }

  private async respond(rc: RequestContext, cls: string, inst: string, r: NResult): Promise<void> {
    const cmd = rc.message.command;
    const failure = r.status !== 0 && (r.status & 0xf000) !== 0xb000 && r.status !== ST.AttributeListError;
    const rsp: CommandSet = {
      commandField: (cmd.commandField ?? 0) | 0x8000,
      messageIdBeingRespondedTo: cmd.messageId,
      affectedSopClassUid: cls,
      affectedSopInstanceUid: r.instanceUid ?? (inst || undefined),
      status: r.status,
    };
    if (cmd.commandField === CommandField.N_ACTION_RQ) rsp.actionTypeId = cmd.actionTypeId;
    // PS3.7 C.4.1: a warning may carry an Error Comment too; B6xx ones say what was done to the image.
    if (r.comment && (failure || (r.status & 0xff00) === 0xb600)) rsp.errorComment = r.comment.replace(/[^\x20-\x5b\x5d-\x7e]/g, ' ').slice(0, 64);
    if (r.offending?.length && failure) rsp.offendingElement = r.offending;
    const body = r.dataset && r.dataset.length && !failure ? encodeIdentifier(r.dataset, rc.context.transferSyntax) : undefined;
    await rc.channel.send(rc.message.contextId, rsp, body);
  }

  private async dispatch(rc: RequestContext, cls: string, inst: string, ds: Identifier): Promise<NResult> {
    const st = this.state(rc.channel);
    const f = rc.message.command.commandField;
    if (cls === UID.Printer) return f === CommandField.N_GET_RQ ? this.getPrinter(st, inst, rc.message.command.attributeIdentifierList) : unsupported();
    if (cls === UID.PrintJob) return f === CommandField.N_GET_RQ ? this.getJob(inst, rc.message.command.attributeIdentifierList) : unsupported();
    if (f === CommandField.N_CREATE_RQ && cls === UID.FilmSession) {
      if (!st.printer) return { status: ST.ProcessingFailure, comment: `no printer is reached as ${rc.channel.assoc.calledAe}` };
      st.session = this.newSession(st, rc);
      return st.session.createFilmSession(ds, rc.message.command.affectedSopInstanceUid);
    }
    const s = st.session ?? (st.session = this.newSession(st, rc));
    const asked = rc.message.command.affectedSopInstanceUid;
    switch (`${f}:${cls}`) {
      case `${CommandField.N_SET_RQ}:${UID.FilmSession}`: return s.setFilmSession(inst, ds);
      case `${CommandField.N_DELETE_RQ}:${UID.FilmSession}`: return s.deleteFilmSession(inst);
      case `${CommandField.N_CREATE_RQ}:${UID.FilmBox}`: return s.createFilmBox(ds, asked);
      case `${CommandField.N_SET_RQ}:${UID.FilmBox}`: return s.setFilmBox(inst, ds);
      case `${CommandField.N_DELETE_RQ}:${UID.FilmBox}`: return s.deleteFilmBox(inst);
      case `${CommandField.N_SET_RQ}:${UID.GrayImageBox}`: return s.setImageBox(inst, false, ds);
      case `${CommandField.N_SET_RQ}:${UID.ColorImageBox}`: return s.setImageBox(inst, true, ds);
      case `${CommandField.N_CREATE_RQ}:${UID.PresentationLut}`: return s.createPresentationLut(ds, asked);
      case `${CommandField.N_DELETE_RQ}:${UID.PresentationLut}`: return s.deletePresentationLut(inst);
      case `${CommandField.N_ACTION_RQ}:${UID.FilmSession}`:
      case `${CommandField.N_ACTION_RQ}:${UID.FilmBox}`:
        return this.print(rc, st, s, cls, inst);
      default: return unsupported();
    }
  }

  /** A session that sizes image boxes for this printer (resolution, accepted films) and the [Print] oversize policy. */
  private newSession(st: AssocState, rc: RequestContext): PrintSession {
    const caps = st.printer?.caps;
    return new PrintSession(rc.context.abstractSyntax === UID.ColorMeta, { dpi: caps?.dpi ?? DEFAULT_DPI, policy: spoolSettings(this.host.config()).oversize, caps });
  }

  /** N-ACTION Print (action type 1): the job is on disk and in the spool before we answer. */
  private async print(rc: RequestContext, st: AssocState, s: PrintSession, cls: string, inst: string): Promise<NResult> {
    if (rc.message.command.actionTypeId !== 1) return { status: ST.NoSuchActionType, comment: `action type ${rc.message.command.actionTypeId}` };
    const r = cls === UID.FilmSession ? s.printFilmSession(inst) : s.printFilmBox(inst);
    if (!r.spool) return r;
    if (!st.printer) return { status: ST.ProcessingFailure, comment: 'no printer for this association' };
    const uid = await this.host.spool(st.printer, r.spool, rc.channel.assoc.callingAe);
    if (!uid) return { status: cls === UID.FilmSession ? ST.SessionQueueFull : ST.FilmBoxQueueFull, comment: `print queue of ${st.printer.name} is full` };
    st.jobs.push(uid);
    rc.log.info(`${rc.channel.assoc.id} print job ${uid} spooled for ${st.printer.name} from ${rc.channel.assoc.callingAe}`);
    const out: NResult = { status: r.status, instanceUid: inst };
    if (rc.channel.findContext(UID.PrintJob, 'scp')) {
      out.dataset = [{ tag: TAG.ReferencedPrintJobSequence, vr: 'SQ', value: [[
        { tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.PrintJob },
        { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: uid },
      ]] }];
    }
    return out;
  }

  /** PS3.4 H.4.6.1.1 Printer N-GET (the well-known instance); an empty list returns everything. */
  private getPrinter(st: AssocState, inst: string, wanted?: number[]): NResult {
    if (inst !== UID.PrinterInstance) return { status: ST.NoSuchSopInstance, comment: `printer instance ${inst}` };
    const p = st.printer;
    const state = p ? this.host.printerState(p) : { status: 'FAILURE' as const, info: 'NO PRINTER' };
    const all: Identifier = [
      { tag: TAG.Manufacturer, vr: 'LO', value: 'dicom-edge' },
      { tag: TAG.ManufacturerModelName, vr: 'LO', value: 'print spooler' },
      { tag: TAG.PrinterStatus, vr: 'CS', value: state.status },
      { tag: TAG.PrinterStatusInfo, vr: 'CS', value: state.info },
      { tag: TAG.PrinterName, vr: 'LO', value: p?.name ?? '' },
    ];
    return { status: ST.Success, instanceUid: inst, dataset: filterAttrs(all, wanted) };
  }

  /** PS3.4 H.4.5.1.1 Print Job N-GET. */
  private getJob(inst: string, wanted?: number[]): NResult {
    const j = this.host.jobStatus(inst);
    if (!j) return { status: ST.NoSuchSopInstance, comment: `no print job ${inst}` };
    const d = new Date(j.createdAt);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const all: Identifier = [
      { tag: TAG.ExecutionStatus, vr: 'CS', value: j.executionStatus },
      { tag: TAG.ExecutionStatusInfo, vr: 'CS', value: j.info },
      { tag: TAG.CreationDate, vr: 'DA', value: `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}` },
      { tag: TAG.CreationTime, vr: 'TM', value: `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}` },
      { tag: TAG.PrinterName, vr: 'LO', value: j.printer },
    ];
    return { status: ST.Success, instanceUid: inst, dataset: filterAttrs(all, wanted) };
  }

  /** N-EVENT-REPORT Printer (H.4.6.1.2: 1 NORMAL, 2 WARNING, 3 FAILURE) to open associations of that printer. */
  notifyPrinter(printerName: string, state: PrinterState): void {
    const eventTypeId = state.status === 'NORMAL' ? 1 : state.status === 'WARNING' ? 2 : 3;
    const info: Identifier = state.status === 'NORMAL' ? [] : [{ tag: TAG.PrinterStatusInfo, vr: 'CS', value: state.info }];
    for (const [channel, st] of this.states) {
      if (st.printer?.name !== printerName) continue;
      const ctx = [...channel.assoc.contexts.values()].find((c) => META_CLASSES.includes(c.abstractSyntax));
      if (ctx) this.report(channel, ctx, UID.Printer, UID.PrinterInstance, eventTypeId, info);
    }
  }

  /** N-EVENT-REPORT Print Job (H.4.5.1.2: 1 PENDING, 2 PRINTING, 3 DONE, 4 FAILURE) if the job's association is open. */
  notifyJob(uid: string, status: JobStatus): void {
    const eventTypeId = { PENDING: 1, PRINTING: 2, DONE: 3, FAILURE: 4 }[status.executionStatus];
    for (const [channel, st] of this.states) {
      if (!st.jobs.includes(uid)) continue;
      const ctx = channel.findContext(UID.PrintJob, 'scp');
      if (!ctx) continue;
      this.report(channel, ctx, UID.PrintJob, uid, eventTypeId, [
        { tag: TAG.ExecutionStatusInfo, vr: 'CS', value: status.info },
        { tag: TAG.PrinterName, vr: 'LO', value: status.printer },
      ]);
    }
  }

  private report(channel: DimseChannel, ctx: NegotiatedContext, cls: string, inst: string, eventTypeId: number, info: Identifier): void {
    const body = info.length ? encodeIdentifier(info, ctx.transferSyntax) : undefined;
    channel.request(ctx.id, { commandField: CommandField.N_EVENT_REPORT_RQ, affectedSopClassUid: cls, affectedSopInstanceUid: inst, eventTypeId }, body)
      .catch(() => undefined); // the association may end meanwhile; the report is a courtesy
  }

  /** Number of open print associations (tests, status). */
  get openAssociations(): number { return this.states.size; }
}

function unsupported(): NResult {
  return { status: ST.UnrecognizedOperation, comment: 'operation not supported on this SOP class' };
}

function filterAttrs(all: Identifier, wanted?: number[]): Identifier {
  if (!wanted?.length) return all;
  return all.filter((e) => wanted.includes(e.tag));
}

/** Label for logs and the queue listing. */
export function sessionLabel(content: SpoolJobContent): string | undefined {
  return get(content.session, TAG.FilmSessionLabel)?.trim() || undefined;
}
