/**
 * The print SCU toward a real DICOM printer: replays a spooled job with the full PS3.4
 * H.4 sequence — N-GET Printer, N-CREATE Film Session, per film N-CREATE Film Box,
 * N-SET each Image Box, N-ACTION Print, N-DELETE Film Box; N-DELETE Film Session — with
 * film size, display format and magnification mapped to what the printer accepts and
 * pixels converted to its depth. The outcome tells the worker whether to retry.
 */
import type { Config } from '../config/types';
import type { DimseChannel } from '../dimse/channel';
import { CommandField } from '../dimse/command-fields';
import type { CommandSet } from '../dimse/command';
import { decodeIdentifier, encodeIdentifier, findElement, get, set, type Identifier } from '../dicom/identifier';
import { openChannel } from '../services/scu';
import type { ProposedContext } from '../ul/proposal';
import { EdgeError, errorMessage } from '../util/errors';
import type { Logger } from '../util/log';
import type { PrinterDef } from './config';
import { imageItem, type SpoolBox, type SpoolFilm, type SpoolJobContent } from './job';
import { mapDisplayFormat, mapFilmSize, mapMagnification } from './layout';
import { colourToGrey, to8Bit, withItem } from './pixels';
import { isWarning } from './status';
import { TAG, UID } from './uids';
import { hostPort } from '../util/address';

export type PrintOutcome =
  | { kind: 'done'; status: number; warnings: string[] }
  | { kind: 'printer-down'; status: number | null; error: string; warnings: string[] }
  | { kind: 'failed'; status: number | null; error: string; warnings: string[] };

/** The printer cannot take the job now (offline, FAILURE, queue full): hold and retry. */
export class PrinterDown extends EdgeError {
  constructor(message: string, readonly status: number | null = null) { super('PRINTER_DOWN', message); }
}

/** A refusal that retrying the same job cannot fix. */
class JobRefused extends EdgeError {
  constructor(message: string, readonly status: number) { super('PRINT_JOB_REFUSED', message); }
}

const SESSION_KEYS = [TAG.NumberOfCopies, TAG.PrintPriority, TAG.MediumType, TAG.FilmDestination, TAG.FilmSessionLabel, TAG.OwnerId];
const FILMBOX_KEYS = [TAG.FilmOrientation, TAG.BorderDensity, TAG.EmptyImageDensity, TAG.MinDensity, TAG.MaxDensity, TAG.Trim, TAG.SmoothingType];
const IMAGEBOX_KEYS = [TAG.Polarity, TAG.RequestedImageSize, TAG.RequestedDecimateCropBehavior];
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

export function jobHasColour(content: SpoolJobContent): boolean {
  return content.films.some((f) => f.boxes.some((b) => b.color));
}

export function printContexts(colour: boolean): ProposedContext[] {
  const ts = [EXPLICIT_LE, IMPLICIT_LE];
  const c: ProposedContext[] = [];
  if (colour) c.push({ abstractSyntax: UID.ColorMeta, transferSyntaxes: ts, role: 'scu' });
  c.push({ abstractSyntax: UID.GrayMeta, transferSyntaxes: ts, role: 'scu' });
  return c;
}

export async function openPrinter(config: Config, printer: PrinterDef, colour: boolean, log: Logger): Promise<DimseChannel> {
  const r = printer.remote;
  try {
    return await openChannel({ config, peer: { aeTitle: r.aeTitle, host: r.ip, port: r.port, remote: r }, contexts: printContexts(colour), log });
  } catch (e) {
    throw new PrinterDown(`association with ${r.aeTitle}@${hostPort(r.ip, r.port)}: ${errorMessage(e)}`);
  }
}

function pick(ds: Identifier, tags: number[]): Identifier {
  return ds.filter((e) => tags.includes(e.tag));
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

class Replay {
  readonly warnings: string[] = [];
  private ctx!: { id: number; ts: string; colour: boolean };

  constructor(private readonly ch: DimseChannel, private readonly printer: PrinterDef, private readonly log: Logger) {}

  /** One request; failures become PrinterDown (resources) or JobRefused; warnings are kept. */
  private async call(what: string, cmd: CommandSet, ds?: Identifier): Promise<{ ds: Identifier; affected: string }> {
    let rsp;
    try {
      rsp = await this.ch.request(this.ctx.id, cmd, ds ? encodeIdentifier(ds, this.ctx.ts) : undefined);
    } catch (e) {
      throw new PrinterDown(`${what}: ${errorMessage(e)}`);
    }
    const st = rsp.command.status ?? 0xffff;
    const comment = rsp.command.errorComment ? ` (${rsp.command.errorComment})` : '';
    if (st !== 0 && isWarning(st)) {
      this.warnings.push(`${what}: warning ${hex(st)}${comment}`);
      this.log.warn(`print ${this.printer.name}: ${what}: warning ${hex(st)}${comment}`);
    } else if (st !== 0) {
      // 0213 resource limitation, 0110 processing failure, C6xx queue full / memory, A7xx: the printer may recover.
      const transient = st === 0x0213 || st === 0x0110 || st === 0xc601 || st === 0xc602 || st === 0xc605 || (st & 0xff00) === 0xa700;
      if (transient) throw new PrinterDown(`${what}: status ${hex(st)}${comment}`, st);
      throw new JobRefused(`${what}: status ${hex(st)}${comment}`, st);
    }
    const sink = rsp.dataset as unknown as { readAll?: () => Promise<Buffer> } | undefined;
    const body = sink?.readAll ? decodeIdentifier(await sink.readAll(), this.ctx.ts) : [];
    return { ds: body, affected: rsp.command.affectedSopInstanceUid ?? '' };
  }

  async run(content: SpoolJobContent): Promise<void> {
    const colourCtx = jobHasColour(content) ? this.ch.findContext(UID.ColorMeta) : undefined;
    const c = colourCtx ?? this.ch.findContext(UID.GrayMeta);
    if (!c) throw new PrinterDown(`${this.printer.name} accepted no print management context`);
    this.ctx = { id: c.id, ts: c.transferSyntax, colour: !!colourCtx };
    await this.checkPrinter();
    const session = pick(content.session, SESSION_KEYS);
    if (!get(session, TAG.NumberOfCopies)) set(session, TAG.NumberOfCopies, '1', 'IS');
    const created = await this.call('N-CREATE film session', { commandField: CommandField.N_CREATE_RQ, affectedSopClassUid: UID.FilmSession }, session);
    const sessionUid = created.affected;
    if (!sessionUid) throw new JobRefused('N-CREATE film session: no Affected SOP Instance UID in the response', 0x0110);
    for (const film of content.films) await this.printFilm(film, sessionUid);
    await this.call('N-DELETE film session', { commandField: CommandField.N_DELETE_RQ, requestedSopClassUid: UID.FilmSession, requestedSopInstanceUid: sessionUid });
  }

  /** H.4.6: the printer's status first; FAILURE means it cannot print now. */
  private async checkPrinter(): Promise<void> {
    const { ds } = await this.call('N-GET printer', { commandField: CommandField.N_GET_RQ, requestedSopClassUid: UID.Printer, requestedSopInstanceUid: UID.PrinterInstance });
    const status = (get(ds, TAG.PrinterStatus) ?? '').trim().toUpperCase();
    const info = (get(ds, TAG.PrinterStatusInfo) ?? '').trim();
    if (status === 'FAILURE') throw new PrinterDown(`printer reports FAILURE${info ? ` (${info})` : ''}`);
    if (status === 'WARNING') {
      this.warnings.push(`printer status WARNING${info ? ` (${info})` : ''}`);
      this.log.warn(`print ${this.printer.name}: printer status WARNING${info ? ` (${info})` : ''}`);
    }
  }

  /** One film of the job; split over several films when the printer's formats hold fewer boxes. */
  private async printFilm(film: SpoolFilm, sessionUid: string): Promise<void> {
    const asked = get(film.attrs, TAG.ImageDisplayFormat) ?? 'STANDARD\\1,1';
    const boxes = [...film.boxes].sort((a, b) => a.position - b.position);
    const maxPos = boxes.reduce((m, b) => Math.max(m, b.position), 1);
    const { format, capacity } = mapDisplayFormat(asked, maxPos, this.printer.caps);
    const keep = format === asked && capacity >= maxPos;
    const pages: SpoolBox[][] = [];
    if (keep) pages.push(boxes);
    else for (let i = 0; i < Math.max(1, boxes.length); i += capacity) pages.push(boxes.slice(i, i + capacity).map((b, j) => ({ ...b, position: j + 1 })));
    if (!keep) this.log.info(`print ${this.printer.name}: display format ${asked} sent as ${format} (${pages.length} film(s))`);
    for (const page of pages) await this.printPage(film.attrs, format, page, sessionUid);
  }

  private async printPage(attrs: Identifier, format: string, boxes: SpoolBox[], sessionUid: string): Promise<void> {
    const caps = this.printer.caps;
    const fb = pick(attrs, FILMBOX_KEYS);
    set(fb, TAG.ImageDisplayFormat, format, 'ST');
    const size = mapFilmSize(get(attrs, TAG.FilmSizeId)?.trim(), caps);
    if (size) set(fb, TAG.FilmSizeId, size, 'CS');
    const mag = mapMagnification(get(attrs, TAG.MagnificationType)?.trim(), caps);
    if (mag) set(fb, TAG.MagnificationType, mag, 'CS');
    set(fb, TAG.ReferencedFilmSessionSequence, [[
      { tag: TAG.ReferencedSopClassUid, vr: 'UI', value: UID.FilmSession },
      { tag: TAG.ReferencedSopInstanceUid, vr: 'UI', value: sessionUid },
    ]], 'SQ');
    const { ds: rsp, affected: filmBoxUid } = await this.call('N-CREATE film box', { commandField: CommandField.N_CREATE_RQ, affectedSopClassUid: UID.FilmBox }, fb);
    if (!filmBoxUid) throw new JobRefused('N-CREATE film box: no Affected SOP Instance UID in the response', 0x0110);
    const refs = (findElement(rsp, TAG.ReferencedImageBoxSequence)?.value as Identifier[] | undefined) ?? [];
    for (const box of boxes) {
      const ref = refs[box.position - 1];
      if (!ref) throw new JobRefused(`the printer's film box has no image box ${box.position}`, 0xc603);
      await this.setImageBox(box, get(ref, TAG.ReferencedSopClassUid) ?? '', get(ref, TAG.ReferencedSopInstanceUid) ?? '');
    }
    await this.call('N-ACTION print film box', { commandField: CommandField.N_ACTION_RQ, requestedSopClassUid: UID.FilmBox, requestedSopInstanceUid: filmBoxUid, actionTypeId: 1 });
    await this.call('N-DELETE film box', { commandField: CommandField.N_DELETE_RQ, requestedSopClassUid: UID.FilmBox, requestedSopInstanceUid: filmBoxUid });
  }

  private async setImageBox(box: SpoolBox, cls: string, uid: string): Promise<void> {
    let item = imageItem(box.dataset);
    if (!item) return;
    const colour = cls === UID.ColorImageBox;
    if (box.color && !colour) item = colourToGrey(item);
    if (!colour && !this.printer.caps.supports12Bit) item = to8Bit(item);
    const ds = withItem(pick(box.dataset, IMAGEBOX_KEYS), item, colour);
    set(ds, TAG.ImageBoxPosition, String(box.position), 'US');
    const mag = mapMagnification(get(box.dataset, TAG.MagnificationType)?.trim(), this.printer.caps);
    if (mag) set(ds, TAG.MagnificationType, mag, 'CS');
    await this.call(`N-SET image box ${box.position}`, { commandField: CommandField.N_SET_RQ, requestedSopClassUid: cls, requestedSopInstanceUid: uid }, ds);
  }
}

/** Replays one job on an open association; never throws. */
export async function replayJob(ch: DimseChannel, content: SpoolJobContent, printer: PrinterDef, log: Logger): Promise<PrintOutcome> {
  const r = new Replay(ch, printer, log);
  try {
    await r.run(content);
    return { kind: 'done', status: r.warnings.length ? 0xb000 : 0, warnings: r.warnings };
  } catch (e) {
    if (e instanceof JobRefused) return { kind: 'failed', status: e.status, error: e.message, warnings: r.warnings };
    if (e instanceof PrinterDown) return { kind: 'printer-down', status: e.status, error: e.message, warnings: r.warnings };
    return { kind: 'failed', status: null, error: errorMessage(e), warnings: r.warnings };
  }
}

/** Opens the association, replays, releases (aborts after a failure). */
export async function printToPrinter(config: Config, printer: PrinterDef, content: SpoolJobContent, log: Logger): Promise<PrintOutcome> {
  let ch: DimseChannel;
  try {
    ch = await openPrinter(config, printer, jobHasColour(content), log);
  } catch (e) {
    return { kind: 'printer-down', status: null, error: errorMessage(e), warnings: [] };
  }
  const out = await replayJob(ch, content, printer, log);
  try {
    if (out.kind === 'done') await ch.assoc.release();
    else ch.assoc.abort('print job not completed');
  } catch (e) {
    log.debug(`print ${printer.name}: release: ${errorMessage(e)}`);
  }
  return out;
}
