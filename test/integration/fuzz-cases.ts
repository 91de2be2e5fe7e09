/**
 * Seeded generators of malformed PDUs for the fuzz tests (not a test file itself).
 * PDUs are built as trees of length-prefixed nodes (PS3.8 9.3: PDU = type, reserved,
 * 4-byte length; items = type, reserved, 2-byte length; PDVs = 4-byte length), so any
 * single length can be made to lie while the others stay honest.
 */

/** mulberry32: small, fast, seeded; the same seed gives the same cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: Rand, n: number): number => Math.floor(r() * n);

/** A length-prefixed node: `head` bytes, then a big-endian length of `lenSize` bytes, then the body. */
export interface Node { head: Buffer; lenSize: 2 | 4; body: Part[] }
export type Part = Node | Buffer;

const node = (head: number[], lenSize: 2 | 4, body: Part[]): Node => ({ head: Buffer.from(head), lenSize, body });
export const pduNode = (type: number, body: Part[]): Node => node([type, 0], 4, body);
export const itemNode = (type: number, body: Part[]): Node => node([type, 0], 2, body);
/** A 2-byte-length field without head (role selection UID length, user identity values). */
const field2 = (body: Part[]): Node => node([], 2, body);
const txt = (s: string): Buffer => Buffer.from(s, 'latin1');
const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n & 0xffff); return b; };
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

/** Serialises a tree; `lies` adds a delta to chosen nodes' length fields (clamped to the field). */
export function serialize(n: Part, lies: Map<Node, number> = new Map()): Buffer {
  if (Buffer.isBuffer(n)) return n;
  const body = Buffer.concat(n.body.map((p) => serialize(p, lies)));
  const max = n.lenSize === 2 ? 0xffff : 0xffffffff;
  const len = Math.min(max, Math.max(0, body.length + (lies.get(n) ?? 0)));
  return Buffer.concat([n.head, n.lenSize === 2 ? u16(len) : u32(len), body]);
}

/** Every node of a tree, depth first. */
export function nodes(n: Node, out: Node[] = []): Node[] {
  out.push(n);
  for (const p of n.body) if (!Buffer.isBuffer(p)) nodes(p, out);
  return out;
}

export const ECHO = '1.2.840.10008.1.1';
export const CT = '1.2.840.10008.5.1.4.1.1.2';
export const IVR = '1.2.840.10008.1.2';
export const EVR = '1.2.840.10008.1.2.1';
export const APP = '1.2.840.10008.3.1.1.1';

function ae(s: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(s, 'latin1');
  return b;
}

/** PS3.8 9.3.2 fixed part: protocol version, reserved, called, calling, 32 reserved. */
function fixed(called: string, calling: string): Buffer {
  return Buffer.concat([u16(1), u16(0), ae(called), ae(calling), Buffer.alloc(32)]);
}

export interface RqShape { calling: string; called: string; contexts: [number, string, string[]][]; rich?: boolean }

/** A-ASSOCIATE-RQ as a tree; `rich` adds every user information sub-item of PS3.7 D.3.3. */
export function associateRqTree(s: RqShape): Node {
  const pcs = s.contexts.map(([id, abs, tss]) =>
    itemNode(0x20, [Buffer.from([id, 0, 0, 0]), itemNode(0x30, [txt(abs)]), ...tss.map((ts) => itemNode(0x40, [txt(ts)]))]));
  const user: Part[] = [itemNode(0x51, [u32(16384)]), itemNode(0x52, [txt('2.25.1234567')])];
  if (s.rich) {
    user.push(
      itemNode(0x55, [txt('FUZZ_1')]),
      itemNode(0x53, [u16(1), u16(1)]), // asynchronous operations window
      itemNode(0x54, [field2([txt(CT)]), Buffer.from([1, 1])]), // role selection
      itemNode(0x56, [field2([txt(CT)]), Buffer.from([1, 0, 1])]), // SOP class extended negotiation
      itemNode(0x57, [field2([txt(CT)]), field2([txt('1.2.840.10008.4.2')]), field2([])]), // common extended
      itemNode(0x58, [Buffer.from([2, 1]), field2([txt('user')]), field2([txt('secret')])]), // user identity
    );
  }
  return pduNode(0x01, [fixed(s.called, s.calling), itemNode(0x10, [txt(APP)]), ...pcs, itemNode(0x50, user)]);
}

export const goodRq: RqShape = { calling: 'FUZZ', called: 'EDGE', contexts: [[1, ECHO, [IVR]]] };
export const richRq: RqShape = { calling: 'FUZZ', called: 'EDGE', contexts: [[1, ECHO, [IVR, EVR]], [3, CT, [EVR, IVR]], [5, '1.2.3.4', [IVR]]], rich: true };

/** The other PDU types, honest (PS3.8 9.3.3-9.3.8). */
export function otherTrees(): Node[] {
  const ac = pduNode(0x02, [fixed('EDGE', 'FUZZ'), itemNode(0x10, [txt(APP)]), itemNode(0x21, [Buffer.from([1, 0, 0, 0]), itemNode(0x40, [txt(IVR)])]), itemNode(0x50, [itemNode(0x51, [u32(16384)])])]);
  return [
    ac,
    pduNode(0x03, [Buffer.from([0, 1, 1, 3])]),
    pdataTree(1, 3, echoCommand(1)),
    pduNode(0x05, [Buffer.alloc(4)]),
    pduNode(0x06, [Buffer.alloc(4)]),
    pduNode(0x07, [Buffer.from([0, 0, 2, 6])]),
  ];
}

/** P-DATA-TF with one PDV (PS3.8 9.3.5 and E.2: message control header bit 0 command, bit 1 last). */
export function pdataTree(ctx: number, mch: number, data: Buffer, more: Node[] = []): Node {
  return pduNode(0x04, [node([], 4, [Buffer.from([ctx, mch]), data]), ...more]);
}

// ---- command sets and data sets (PS3.7 E.1: implicit VR little endian) ----

function el(tag: number, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(value.length, 4);
  return Buffer.concat([h, value]);
}
const us = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const ui = (s: string): Buffer => { const b = txt(s); return b.length % 2 ? Buffer.concat([b, Buffer.from([0])]) : b; };

export function command(fields: [number, Buffer][]): Buffer {
  const rest = Buffer.concat(fields.map(([t, v]) => el(t, v)));
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(rest.length);
  return Buffer.concat([el(0, gl), rest]);
}

export function echoCommand(id: number): Buffer {
  return command([[0x00000002, ui(ECHO)], [0x00000100, us(0x30)], [0x00000110, us(id)], [0x00000800, us(0x0101)]]);
}

export function storeCommand(id: number, sopInstance: string, sopClass = CT): Buffer {
  return command([[0x00000002, ui(sopClass)], [0x00000100, us(0x01)], [0x00000110, us(id)], [0x00000700, us(0)], [0x00000800, us(0)], [0x00001000, ui(sopInstance)]]);
}

/** An explicit VR LE element (PS3.5 7.1.2) with a 2- or 4-byte length as the VR requires. */
export function evr(tag: number, vr: string, value: Buffer, length = value.length): Buffer {
  const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL', 'OV', 'SV', 'UV'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length >>> 0, 8); else h.writeUInt16LE(length & 0xffff, 6);
  return Buffer.concat([h, value]);
}

/** A minimal CT data set in explicit VR LE with the identity the store checks. */
export function ctDataset(sop: string, extraTop: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    evr(0x00080016, 'UI', ui(CT)), evr(0x00080018, 'UI', ui(sop)), evr(0x00080060, 'CS', txt('CT')),
    evr(0x00100010, 'PN', txt('FUZZ^PAT')), evr(0x0020000d, 'UI', ui('2.25.1001')), evr(0x0020000e, 'UI', ui('2.25.1002')),
    extraTop,
  ]);
}

/** A sequence nested `depth` deep with undefined lengths everywhere (PS3.5 7.5.2). */
export function deepSequence(tag: number, depth: number): Buffer {
  const open = Buffer.alloc(12 + 8); // SQ header (undefined length) + item (undefined length)
  const parts: Buffer[] = [];
  for (let i = 0; i < depth; i++) {
    const sq = Buffer.from(open);
    sq.writeUInt16LE(tag >>> 16, 0); sq.writeUInt16LE(tag & 0xffff, 2); sq.write('SQ', 4, 'latin1');
    sq.writeUInt32LE(0xffffffff, 8);
    sq.writeUInt16LE(0xfffe, 12); sq.writeUInt16LE(0xe000, 14); sq.writeUInt32LE(0xffffffff, 16);
    parts.push(sq);
  }
  const close = Buffer.alloc(16);
  close.writeUInt16LE(0xfffe, 0); close.writeUInt16LE(0xe00d, 2); // item delimitation
  close.writeUInt16LE(0xfffe, 8); close.writeUInt16LE(0xe0dd, 10); // sequence delimitation
  for (let i = 0; i < depth; i++) parts.push(close);
  return Buffer.concat(parts);
}

// ---- mutations ----

export function flipBytes(r: Rand, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const n = 1 + int(r, 4);
  for (let i = 0; i < n; i++) out[int(r, out.length)] = pick(r, [0, 0xff, 0x20, 0x7f, int(r, 256), out[int(r, out.length)] ^ (1 << int(r, 8))]);
  return out;
}

export function randomItem(r: Rand): Node {
  return itemNode(pick(r, [0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x00, 0xff, int(r, 256)]), [randomBytes(r, int(r, 40))]);
}

export function randomBytes(r: Rand, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}

/** A copy of a tree with a random item inserted into a random node's body. */
export function withInsertedItem(r: Rand, tree: Node): Node {
  const clone = structuredCloneTree(tree);
  const all = nodes(clone);
  const target = pick(r, all);
  target.body.splice(int(r, target.body.length + 1), 0, randomItem(r));
  return clone;
}

/** A copy with one item of the tree duplicated in place (two user-information items, two application contexts...). */
export function withDuplicate(r: Rand, tree: Node): Node {
  const clone = structuredCloneTree(tree);
  const withItems = nodes(clone).filter((n) => n.body.some((p) => !Buffer.isBuffer(p)));
  const parent = withItems.length ? pick(r, withItems) : clone;
  const i = int(r, parent.body.length);
  parent.body.splice(i, 0, parent.body[i]);
  return clone;
}

function structuredCloneTree(n: Node): Node {
  return { head: n.head, lenSize: n.lenSize, body: n.body.map((p) => (Buffer.isBuffer(p) ? p : structuredCloneTree(p))) };
}

/** Whether `bytes` is a whole number of PDUs by their declared lengths. */
export function completePdus(bytes: Buffer): boolean {
  let o = 0;
  while (o + 6 <= bytes.length) o += 6 + bytes.readUInt32BE(o + 2);
  return o === bytes.length;
}
