/**
 * A scripted raw-TCP DICOM peer (after pynetdicom's tests/parrot.py): tests write
 * exact PDU bytes and read back whole PDUs. The builders below encode by hand from
 * PS3.8 9.3, independently of the product's writer, so they can also produce
 * invalid PDUs (wrong protocol version, wrong application context, no contexts).
 */
import net from 'node:net';

export interface RawPdu {
  type: number;
  /** Everything after the 6-byte header. */
  body: Buffer;
  /** The whole PDU, header included. */
  bytes: Buffer;
}

export interface RawPeer {
  socket: net.Socket;
  send(bytes: Buffer): Promise<void>;
  /** Next whole PDU, or 'closed' if the peer closed first; rejects after timeoutMs. */
  readPdu(timeoutMs?: number): Promise<RawPdu | 'closed'>;
  /** Resolves once the connection is closed (by either side). */
  closed(): Promise<void>;
  destroy(): void;
}

/** Opens a TCP connection to 127.0.0.1:port (Nagle off) and frames what arrives by the PDU header. */
export function connectRaw(port: number, host = '127.0.0.1'): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, noDelay: true });
    let buf = Buffer.alloc(0);
    let isClosed = false;
    let wake: (() => void) | undefined;
    const closedP = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      wake?.();
    });
    socket.on('close', () => {
      isClosed = true;
      wake?.();
    });
    socket.on('error', () => undefined); // surfaces as 'close'
    const take = (): RawPdu | undefined => {
      if (buf.length < 6) return undefined;
      const total = 6 + buf.readUInt32BE(2);
      if (buf.length < total) return undefined;
      const bytes = buf.subarray(0, total);
      buf = buf.subarray(total);
      return { type: bytes[0], body: bytes.subarray(6), bytes };
    };
    const readPdu = async (timeoutMs = 10000): Promise<RawPdu | 'closed'> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const pdu = take();
        if (pdu) return pdu;
        if (isClosed) return 'closed';
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`readPdu: no complete PDU within ${timeoutMs} ms (${buf.length} bytes buffered)`);
        await new Promise<void>((r) => {
          const timer = setTimeout(r, left);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            r();
          };
        });
      }
    };
    const send = (bytes: Buffer): Promise<void> =>
      new Promise((res, rej) => socket.write(bytes, (err) => (err ? rej(err) : res())));
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve({ socket, send, readPdu, closed: () => closedP, destroy: () => socket.destroy() });
    });
    socket.once('error', reject);
  });
}

// ---- builders (PS3.8 9.3) ----

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** Variable item: type, reserved, 2-byte length, value (PS3.8 9.3.2.1 etc.). */
export function item(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

const uid = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A 16-byte AE title field, space padded; a Buffer is used as is (to send wrong ones). */
function aeField(ae: string | Buffer): Buffer {
  if (Buffer.isBuffer(ae)) return ae;
  const b = Buffer.alloc(16, 0x20);
  b.write(ae.slice(0, 16), 0, 'latin1');
  return b;
}

export interface RqContext {
  id: number;
  abstract: string;
  ts: string[];
}

export interface AssociateRqOptions {
  calling: string | Buffer;
  called: string | Buffer;
  contexts: RqContext[];
  /** Default 1 (PS3.8 9.3.2: bit 0 set). */
  protocolVersion?: number;
  /** Default the DICOM application context; null leaves the item out. */
  appContext?: string | null;
  /** Max length received (0x51); null leaves it out. Default 16384. */
  maxPdu?: number | null;
  /** Implementation Class UID (0x52); null leaves it out. */
  implementationUid?: string | null;
  implementationVersion?: string;
  /** More raw user-information sub-items (e.g. role selection 0x54). */
  userItems?: Buffer[];
  /** Raw items appended after the user information item. */
  extraItems?: Buffer[];
}

export const PARROT_IMPLEMENTATION_UID = '2.25.161425236862418355498396128473307402210';

/** A-ASSOCIATE-RQ (PS3.8 9.3.2). */
export function buildAssociateRq(o: AssociateRqOptions): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(o.protocolVersion ?? 1, 0); // 7-8 protocol version, 9-10 reserved
  aeField(o.called).copy(fixed, 4); // 11-26 called AE title
  aeField(o.calling).copy(fixed, 20); // 27-42 calling AE title; 43-74 reserved
  const items: Buffer[] = [];
  const app = o.appContext === undefined ? '1.2.840.10008.3.1.1.1' : o.appContext;
  if (app !== null) items.push(item(0x10, uid(app)));
  for (const c of o.contexts) {
    const sub = [item(0x30, uid(c.abstract)), ...c.ts.map((ts) => item(0x40, uid(ts)))];
    items.push(item(0x20, Buffer.concat([Buffer.from([c.id, 0, 0, 0]), ...sub])));
  }
  const user: Buffer[] = [];
  const maxPdu = o.maxPdu === undefined ? 16384 : o.maxPdu;
  if (maxPdu !== null) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(maxPdu, 0);
    user.push(item(0x51, v));
  }
  const impl = o.implementationUid === undefined ? PARROT_IMPLEMENTATION_UID : o.implementationUid;
  if (impl !== null) user.push(item(0x52, uid(impl)));
  if (o.implementationVersion) user.push(item(0x55, uid(o.implementationVersion)));
  user.push(...(o.userItems ?? []));
  items.push(item(0x50, Buffer.concat(user)), ...(o.extraItems ?? []));
  return pdu(0x01, Buffer.concat([fixed, ...items]));
}

/** P-DATA-TF with one PDV (PS3.8 9.3.5, E.2 message control header). */
export function buildPData(ctx: number, isCommand: boolean, last: boolean, data: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head.writeUInt32BE(data.length + 2, 0);
  head[4] = ctx;
  head[5] = (isCommand ? 0x01 : 0) | (last ? 0x02 : 0);
  return pdu(0x04, Buffer.concat([head, data]));
}

/** A-RELEASE-RQ (PS3.8 9.3.6): four reserved bytes. */
export function buildReleaseRq(): Buffer {
  return pdu(0x05, Buffer.alloc(4));
}

/** A-RELEASE-RP (PS3.8 9.3.7). */
export function buildReleaseRp(): Buffer {
  return pdu(0x06, Buffer.alloc(4));
}

/** A-ABORT (PS3.8 9.3.8): reserved, reserved, source, reason/diag. */
export function buildAbort(source = 0, reason = 0): Buffer {
  return pdu(0x07, Buffer.from([0, 0, source, reason]));
}

// ---- command sets (PS3.7 E.1, implicit VR little endian) ----

function implicitElement(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

const us = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
};

/** Builds a command set with its (0000,0000) group length from [tag, value] pairs in tag order. */
export function commandSet(elements: [number, Buffer][]): Buffer {
  const rest = Buffer.concat(elements.map(([tag, v]) => implicitElement(tag, v)));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(rest.length, 0);
  return Buffer.concat([implicitElement(0x00000000, len), rest]);
}

/** C-ECHO-RQ (PS3.7 9.3.5): Affected SOP Class = Verification, Command Field 0x0030, no data set. */
export function echoRqCommand(messageId: number): Buffer {
  const verification = Buffer.from('1.2.840.10008.1.1\0', 'latin1'); // 17 chars + NUL pad
  return commandSet([
    [0x00000002, verification],
    [0x00000100, us(0x0030)],
    [0x00000110, us(messageId)],
    [0x00000800, us(0x0101)],
  ]);
}

// ---- small readers for assertions ----

export interface AcContext {
  id: number;
  /** 0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  ts: string;
}

/** Presentation context results of an A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export function parseAcContexts(ac: RawPdu): AcContext[] {
  const out: AcContext[] = [];
  for (let o = 68; o + 4 <= ac.body.length; ) {
    const type = ac.body[o];
    const len = ac.body.readUInt16BE(o + 2);
    const v = ac.body.subarray(o + 4, o + 4 + len);
    if (type === 0x21) {
      const tsLen = v.length >= 8 ? v.readUInt16BE(6) : 0;
      out.push({ id: v[0], result: v[2], ts: v.subarray(8, 8 + tsLen).toString('latin1').replace(/\0+$/, '') });
    }
    o += 4 + len;
  }
  return out;
}

export interface Pdv {
  ctx: number;
  isCommand: boolean;
  last: boolean;
  data: Buffer;
}

/** The PDVs of a P-DATA-TF (PS3.8 9.3.5). */
export function parsePData(p: RawPdu): Pdv[] {
  const out: Pdv[] = [];
  for (let o = 0; o + 6 <= p.body.length; ) {
    const len = p.body.readUInt32BE(o);
    const mch = p.body[o + 5];
    out.push({ ctx: p.body[o + 4], isCommand: (mch & 1) === 1, last: (mch & 2) === 2, data: p.body.subarray(o + 6, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}

/** Elements of an implicit-LE command set, by tag (values raw). */
export function parseCommand(data: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let o = 0; o + 8 <= data.length; ) {
    const tag = ((data.readUInt16LE(o) << 16) | data.readUInt16LE(o + 2)) >>> 0;
    const len = data.readUInt32LE(o + 4);
    out.set(tag, data.subarray(o + 8, o + 8 + len));
    o += 8 + len;
  }
  return out;
}
