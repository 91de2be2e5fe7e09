/**
 * Incremental transfer-syntax converter over raw data set bytes (no file meta).
 *
 * It walks elements directly (PS3.5 7.1, 7.5): only an element header (at most 12
 * bytes) is ever held back; values stream through, byte-swapped per VR when the byte
 * order changes, with a unit split across chunks kept in a tiny carry. Only
 * defined-length sequences and items whose encoded length changes (implicit ↔
 * explicit) are buffered, because their new length must precede their content.
 */
import { EdgeError } from '../util/errors';
import {
  TAG_ITEM, TAG_ITEM_DELIMITATION, TAG_SEQUENCE_DELIMITATION, UNDEFINED_LENGTH,
  readHeader, readU16, tagString, writeHeader, type ElementHeader, type Syntax,
} from './ts-convert-header';
import {
  TAG_BITS_ALLOCATED, TAG_PIXEL_DATA, TAG_PIXEL_REPRESENTATION, implicitVr, isLongVr, swapUnit,
  type Vr, type VrContext,
} from './vr-dictionary';

export interface Conversion {
  from: Syntax;
  to: Syntax;
}

// PS3.5 6.2.2: a UN element of undefined length holds a sequence encoded in
// Implicit VR Little Endian, whatever the transfer syntax: it is copied verbatim.
const IMPLICIT_LE: Syntax = { explicit: false, bigEndian: false };
const VERBATIM: Conversion = { from: IMPLICIT_LE, to: IMPLICIT_LE };

interface Frame {
  kind: 'seq' | 'item';
  /** Input offset where a defined-length frame ends. */
  end?: number;
  conv: Conversion;
  /** Buffered output of a frame whose new length is not known until it closes. */
  out?: Buffer[];
  outLength: number;
  header?: (length: number) => Buffer;
  ctx: VrContext;
}

interface ValueState {
  remaining: number;
  unit: number;
  carry?: Buffer;
}

function lengthsChange(conv: Conversion): boolean {
  return conv.from.explicit !== conv.to.explicit;
}

function swapInPlace(buf: Buffer, unit: number): void {
  if (unit === 2) buf.swap16();
  else if (unit === 4) buf.swap32();
  else if (unit === 8) buf.swap64();
}

export class ConverterCore {
  private held: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly stack: Frame[] = [];
  private readonly rootCtx: VrContext = {};
  private value?: ValueState;

  constructor(
    private readonly root: Conversion,
    private readonly sink: (chunk: Buffer) => void,
  ) {}

  /** Feeds the next input bytes; output goes to the sink as soon as it is final. */
  push(chunk: Buffer): void {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    let off = 0;
    this.held = Buffer.alloc(0);
    while (off < data.length) {
      if (this.value) {
        off = this.streamValue(data, off);
        continue;
      }
      const used = this.tryHeader(data, off);
      if (used === 0) {
        this.held = Buffer.from(data.subarray(off));
        return;
      }
      off += used;
    }
  }

  /** Call at end of input: throws if the data set stops inside an element or sequence. */
  finish(): void {
    if (this.value || this.held.length || this.stack.length) {
      throw new EdgeError('DICOM_TRUNCATED', `data set ends inside an element or sequence at byte ${this.pos}`);
    }
  }

  private get conv(): Conversion {
    return this.stack.length ? this.stack[this.stack.length - 1].conv : this.root;
  }

  private get ctx(): VrContext {
    for (let i = this.stack.length - 1; i >= 0; i--) if (this.stack[i].kind === 'item') return this.stack[i].ctx;
    return this.rootCtx;
  }

  private emit(chunk: Buffer): void {
    if (!chunk.length) return;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const f = this.stack[i];
      if (f.out) {
        f.out.push(chunk);
        f.outLength += chunk.length;
        return;
      }
    }
    this.sink(chunk);
  }

  /** Returns the bytes consumed, or 0 when the header (or a needed short value) is incomplete. */
  private tryHeader(data: Buffer, off: number): number {
    const h = readHeader(data, off, this.conv.from);
    if (!h) return 0;
    if (h.tag === TAG_BITS_ALLOCATED || h.tag === TAG_PIXEL_REPRESENTATION) {
      // Kept for the ambiguous VRs of later elements (PS3.5 A.1): read the US value now.
      if (h.length === 2) {
        if (data.length - off < h.headerLength + 2) return 0;
        const v = readU16(data, off + h.headerLength, this.conv.from.bigEndian);
        if (h.tag === TAG_BITS_ALLOCATED) this.ctx.bitsAllocated = v;
        else this.ctx.pixelRepresentation = v;
      }
    }
    this.pos += h.headerLength;
    this.onHeader(h);
    return h.headerLength;
  }

  private onHeader(h: ElementHeader): void {
    if (h.tag === TAG_ITEM) return this.openItem(h.length);
    if (h.tag === TAG_ITEM_DELIMITATION) return this.closeUndefined('item', h.tag);
    if (h.tag === TAG_SEQUENCE_DELIMITATION) return this.closeUndefined('seq', h.tag);
    if (this.top?.kind === 'seq') {
      throw new EdgeError('DICOM_MALFORMED', `${tagString(h.tag)} found in a sequence outside an item`);
    }
    const conv = this.conv;
    const vrIn = h.vr ?? implicitVr(h.tag, this.ctx, h.length);
    if (h.length === UNDEFINED_LENGTH) {
      if (h.tag === TAG_PIXEL_DATA) {
        throw new EdgeError('DICOM_TS_UNSUPPORTED', 'encapsulated Pixel Data cannot be converted');
      }
      if (vrIn === 'SQ') return this.openSequence(h.tag, 'SQ', conv, undefined);
      return this.openSequence(h.tag, 'UN', VERBATIM, undefined);
    }
    if (vrIn === 'SQ') return this.openSequence(h.tag, 'SQ', conv, this.pos + h.length);
    this.startValue(h, vrIn, conv);
  }

  private get top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private startValue(h: ElementHeader, vrIn: Vr, conv: Conversion): void {
    let vrOut: Vr | undefined;
    if (conv.to.explicit) {
      // PS3.5 6.2.2 Note: a value too long for a 16-bit length field is sent as UN.
      vrOut = conv.from.explicit || isLongVr(vrIn) || h.length <= 0xffff ? vrIn : 'UN';
    }
    this.emit(writeHeader(conv.to, h.tag, vrOut, h.length));
    const swap = conv.from.bigEndian !== conv.to.bigEndian && vrIn !== 'UN' && vrOut !== 'UN';
    if (h.length === 0) return this.afterElement();
    this.value = { remaining: h.length, unit: swap ? swapUnit(vrIn) : 1 };
  }

  private streamValue(data: Buffer, off: number): number {
    const v = this.value as ValueState;
    const n = Math.min(v.remaining, data.length - off);
    const piece = data.subarray(off, off + n);
    v.remaining -= n;
    this.pos += n;
    if (v.unit === 1) this.emit(piece);
    else this.emitSwapped(v, piece);
    if (v.remaining === 0) {
      if (v.carry?.length) this.emit(v.carry); // odd tail of a malformed value: copied as is
      this.value = undefined;
      this.afterElement();
    }
    return off + n;
  }

  private emitSwapped(v: ValueState, piece: Buffer): void {
    const joined = v.carry?.length ? Buffer.concat([v.carry, piece]) : Buffer.from(piece);
    const whole = joined.length - (joined.length % v.unit);
    const ready = joined.subarray(0, whole);
    swapInPlace(ready, v.unit);
    this.emit(ready);
    v.carry = whole < joined.length ? Buffer.from(joined.subarray(whole)) : undefined;
  }

  private openSequence(tag: number, vrOut: Vr, contentConv: Conversion, end: number | undefined): void {
    const outer = this.conv.to;
    const headerFor = (length: number) => writeHeader(outer, tag, outer.explicit ? vrOut : undefined, length);
    this.openFrame({ kind: 'seq', end, conv: contentConv, outLength: 0, ctx: {} }, headerFor);
  }

  private openItem(length: number): void {
    if (this.top?.kind !== 'seq') throw new EdgeError('DICOM_MALFORMED', `item outside a sequence at byte ${this.pos}`);
    const conv = this.conv;
    const end = length === UNDEFINED_LENGTH ? undefined : this.pos + length;
    this.openFrame({ kind: 'item', end, conv, outLength: 0, ctx: {} }, (l) => writeHeader(conv.to, TAG_ITEM, undefined, l));
  }

  private openFrame(frame: Frame, headerFor: (length: number) => Buffer): void {
    if (frame.end !== undefined && lengthsChange(frame.conv)) {
      frame.out = [];
      frame.header = headerFor;
    } else {
      this.emit(headerFor(frame.end === undefined ? UNDEFINED_LENGTH : frame.end - this.pos));
    }
    this.stack.push(frame);
    this.afterElement();
  }

  private closeUndefined(kind: 'seq' | 'item', tag: number): void {
    const top = this.top;
    if (!top || top.kind !== kind || top.end !== undefined) {
      throw new EdgeError('DICOM_MALFORMED', `unexpected ${tagString(tag)} at byte ${this.pos}`);
    }
    this.emit(writeHeader(top.conv.to, tag, undefined, 0));
    this.stack.pop();
    this.afterElement();
  }

  /** Closes every defined-length frame that ends here, innermost first. */
  private afterElement(): void {
    for (let top = this.top; top?.end !== undefined && this.pos >= top.end; top = this.top) {
      if (this.pos > top.end) {
        throw new EdgeError('DICOM_MALFORMED', `element overruns its ${top.kind === 'seq' ? 'sequence' : 'item'} at byte ${this.pos}`);
      }
      this.stack.pop();
      if (top.out && top.header) {
        this.emit(top.header(top.outLength));
        for (const chunk of top.out) this.emit(chunk);
      }
    }
  }
}
