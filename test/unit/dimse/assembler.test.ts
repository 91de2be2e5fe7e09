import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable, Readable } from 'node:stream';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageAssembler, type AssemblerOptions, type DimseMessage } from '../../../src/dimse/assembler';
import { encodeCommand, type CommandSet } from '../../../src/dimse/command';
import { CommandField, DataSetType } from '../../../src/dimse/command-fields';
import { messagePdus, pdataChunks, pdataFromStream } from '../../../src/dimse/fragmenter';
import { SpillSink } from '../../../src/dimse/dataset-sink';
import type { Pdv } from '../../../src/ul/pdu-types';
import { EdgeError } from '../../../src/util/errors';

const STORE: CommandSet = {
  affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  commandField: CommandField.C_STORE_RQ,
  messageId: 1,
  priority: 0,
  commandDataSetType: DataSetType.PRESENT,
  affectedSopInstanceUid: '1.2.3.4.5',
};
const ECHO: CommandSet = { affectedSopClassUid: '1.2.840.10008.1.1', commandField: CommandField.C_ECHO_RQ, messageId: 2, commandDataSetType: DataSetType.NONE };

/** Turn fragmenter output back into PDVs, as the upper layer's reader would. */
function toPdvs(pdus: Iterable<Buffer[]>): Pdv[] {
  return [...pdus].map((parts) => {
    const pdu = Buffer.concat(parts);
    return { presentationContextId: pdu[10], command: (pdu[11] & 1) === 1, last: (pdu[11] & 2) === 2, data: pdu.subarray(12) };
  });
}

function messagePdvs(ctx: number, cmd: CommandSet, ds: Buffer | undefined, max: number): Pdv[] {
  return toPdvs(messagePdus(ctx, encodeCommand(cmd), ds, max));
}

/** A Writable that collects what it gets; optionally holds its callbacks until released. */
class CollectSink extends Writable {
  chunks: Buffer[] = [];
  held: (() => void)[] = [];
  constructor(private readonly hold = false, hwm = 16384) {
    super({ highWaterMark: hwm });
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    if (this.hold) this.held.push(cb);
    else cb();
  }
  override _final(cb: () => void): void {
    if (this.hold) this.held.push(cb);
    else cb();
  }
  release(): void {
    const h = this.held;
    this.held = [];
    h.forEach((f) => f());
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

interface Harness {
  asm: MessageAssembler<CollectSink>;
  messages: DimseMessage<CollectSink>[];
  sinks: CollectSink[];
  drains: number;
  errors: Error[];
}

function harness(makeSink: () => CollectSink = () => new CollectSink(), extra: Partial<AssemblerOptions<CollectSink>> = {}): Harness {
  const h: Harness = { messages: [], sinks: [], drains: 0, errors: [] } as unknown as Harness;
  h.asm = new MessageAssembler<CollectSink>({
    openSink: () => {
      const s = makeSink();
      h.sinks.push(s);
      return s;
    },
    onMessage: (m) => h.messages.push(m),
    onDrain: () => h.drains++,
    onError: (e) => h.errors.push(e),
    ...extra,
  });
  return h;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('command and data set split across many PDVs reach the sink byte-exact', async () => {
  const h = harness();
  const ds = randomBytes(10_000);
  const pdvs = messagePdvs(3, STORE, ds, 106); // 100 bytes per PDV: command in 2, data set in 100
  assert.ok(pdvs.filter((p) => p.command).length > 1);
  for (const p of pdvs) assert.equal(h.asm.push(p), true);
  await settle();
  assert.equal(h.messages.length, 1);
  const m = h.messages[0];
  assert.equal(m.contextId, 3);
  assert.deepEqual(m.command, STORE);
  assert.ok(m.commandBytes.equals(encodeCommand(STORE)));
  assert.equal(m.datasetLength, ds.length);
  assert.equal(m.datasetError, undefined);
  assert.ok(m.dataset!.data.equals(ds));
  assert.equal(m.dataset!.writableFinished, true, 'delivered only after finish');
  assert.equal(h.asm.idle, true);
});

test('a message without a data set is delivered synchronously, without opening a sink', () => {
  const h = harness();
  for (const p of messagePdvs(1, ECHO, undefined, 16384)) h.asm.push(p);
  assert.equal(h.messages.length, 1);
  assert.deepEqual(h.messages[0].command, ECHO);
  assert.equal(h.messages[0].dataset, undefined);
  assert.equal(h.sinks.length, 0);
});

test('an empty data set (one zero-length last PDV) is a complete message', async () => {
  const h = harness();
  for (const p of messagePdvs(1, STORE, Buffer.alloc(0), 16384)) h.asm.push(p);
  await settle();
  assert.equal(h.messages.length, 1);
  assert.equal(h.messages[0].dataset!.data.length, 0);
});

test('messages are delivered in order; a later one waits for an earlier sink to finish', async () => {
  const h = harness(() => new CollectSink(true));
  const ds = randomBytes(500);
  for (const p of messagePdvs(1, STORE, ds, 16384)) h.asm.push(p);
  for (const p of messagePdvs(3, ECHO, undefined, 16384)) h.asm.push(p); // next message on another context
  await settle();
  assert.equal(h.messages.length, 0, 'nothing before the first sink finished');
  assert.equal(h.asm.undelivered, 2);
  h.sinks[0].release(); // write callback
  await settle();
  h.sinks[0].release(); // final callback
  await settle();
  assert.deepEqual(h.messages.map((m) => m.command.commandField), [CommandField.C_STORE_RQ, CommandField.C_ECHO_RQ]);
  assert.ok(h.messages[0].dataset!.data.equals(ds));
});

test('backpressure: push returns false when the sink is full, onDrain comes once it drains', async () => {
  let drained!: () => void;
  const drainedP = new Promise<void>((r) => (drained = r));
  const h: Harness = harness(() => new CollectSink(true, 1), { onDrain: () => { h.drains++; drained(); } });
  const pdvs = messagePdvs(1, STORE, randomBytes(1000), 106);
  const cmdPdvs = pdvs.filter((p) => p.command);
  const dsPdvs = pdvs.filter((p) => !p.command);
  for (const p of cmdPdvs) assert.equal(h.asm.push(p), true);
  assert.equal(h.asm.push(dsPdvs[0]), false, 'first write fills a highWaterMark-1 sink');
  assert.equal(h.asm.push(dsPdvs[1]), false, 'still false while waiting for drain');
  await settle();
  assert.equal(h.drains, 0, 'no drain while the sink holds its callback');
  let done = false;
  void drainedP.then(() => (done = true));
  while (!done) {
    h.sinks[0].release(); // both queued writes must complete before 'drain'
    await settle();
  }
  assert.equal(h.drains, 1);
  // the rest, releasing as we go: every false is followed by exactly one onDrain
  for (const p of dsPdvs.slice(2)) {
    const before: number = h.drains;
    const ok = h.asm.push(p);
    if (!ok) {
      while (h.drains === before) {
        h.sinks[0].release();
        await settle();
      }
      assert.equal(h.drains, before + 1);
    }
  }
  while (h.messages.length === 0) {
    h.sinks[0].release();
    await settle();
  }
  assert.equal(h.messages[0].datasetLength, 1000);
  assert.equal(h.messages[0].dataset!.data.length, 1000);
});

test('backpressure on the last fragment is released by finish (no drain event after end)', async () => {
  const h = harness(() => new CollectSink(true, 1));
  const pdvs = messagePdvs(1, STORE, randomBytes(10), 16384);
  assert.equal(pdvs.length, 2);
  h.asm.push(pdvs[0]);
  assert.equal(h.asm.push(pdvs[1]), false);
  for (let i = 0; i < 5 && h.drains === 0; i++) {
    h.sinks[0].release();
    await settle();
  }
  assert.equal(h.drains, 1);
  assert.equal(h.messages.length, 1);
});

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof EdgeError && e.code === code, code);
}

test('protocol errors throw stable codes and kill the assembler', async () => {
  const cmd = messagePdvs(1, STORE, randomBytes(300), 106);
  const cmdPdvs = cmd.filter((p) => p.command);
  const dsPdvs = cmd.filter((p) => !p.command);
  const echo = messagePdvs(1, ECHO, undefined, 16384);
  const cases: [string, Pdv[], string][] = [
    ['data set PDV before any command', [dsPdvs[0]], 'DIMSE_UNEXPECTED_DATASET'],
    ['data set PDV before the command is complete', [cmdPdvs[0], dsPdvs[0]], 'DIMSE_UNEXPECTED_DATASET'],
    ['context changes mid-command', [cmdPdvs[0], { ...cmdPdvs[1], presentationContextId: 3 }], 'DIMSE_CONTEXT_MISMATCH'],
    ['context changes mid-data set', [...cmdPdvs, dsPdvs[0], { ...dsPdvs[1], presentationContextId: 5 }], 'DIMSE_CONTEXT_MISMATCH'],
    ['command PDV while the data set is expected', [...cmdPdvs, echo[0]], 'DIMSE_UNEXPECTED_COMMAND'],
    ['second command before the data set finished', [...cmdPdvs, dsPdvs[0], echo[0]], 'DIMSE_UNEXPECTED_COMMAND'],
    ['data set PDV for a command without data set', [...echo, dsPdvs[0]], 'DIMSE_DATASET_NOT_DECLARED'],
    ['undecodable command', [{ presentationContextId: 1, command: true, last: true, data: Buffer.from('0000000004000000', 'hex') }], 'DIMSE_BAD_COMMAND'],
  ];
  for (const [name, seq, code] of cases) {
    const h = harness();
    const last = seq.length - 1;
    seq.slice(0, last).forEach((p) => h.asm.push(p));
    expectCode(() => h.asm.push(seq[last]), code);
    expectCode(() => h.asm.push(echo[0]), 'DIMSE_ASSEMBLER_FAILED');
    await settle();
    for (const s of h.sinks) assert.equal(s.destroyed, true, `${name}: partial sink destroyed`);
    // only the complete echo of the "not declared" case may have been delivered
    assert.equal(h.messages.length, code === 'DIMSE_DATASET_NOT_DECLARED' ? 1 : 0, name);
  }
});

test('a command set larger than the cap is refused', () => {
  const h = harness(undefined, { maxCommandLength: 1000 });
  const pdv = (last: boolean): Pdv => ({ presentationContextId: 1, command: true, last, data: Buffer.alloc(400) });
  h.asm.push(pdv(false));
  h.asm.push(pdv(false));
  expectCode(() => h.asm.push(pdv(false)), 'DIMSE_COMMAND_TOO_LARGE');
  const d = harness(); // default 64 KiB
  for (let i = 0; i < 64; i++) d.asm.push({ presentationContextId: 1, command: true, last: false, data: Buffer.alloc(1024) });
  expectCode(() => d.asm.push({ presentationContextId: 1, command: true, last: true, data: Buffer.alloc(1) }), 'DIMSE_COMMAND_TOO_LARGE');
});

test('abort destroys a partially written SpillSink and removes its temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asm-abort-'));
  try {
    const sinks: SpillSink[] = [];
    const messages: DimseMessage<SpillSink>[] = [];
    const asm = new MessageAssembler<SpillSink>({
      openSink: () => {
        const s = new SpillSink({ dimseSize: 100, tmpDir: dir });
        sinks.push(s);
        return s;
      },
      onMessage: (m) => messages.push(m),
      onDrain: () => undefined,
      onError: (e) => assert.fail(e),
    });
    const pdvs = messagePdvs(1, STORE, randomBytes(5000), 1006);
    pdvs.slice(0, -1).forEach((p) => asm.push(p)); // all but the last data set PDV
    for (let i = 0; i < 1000 && readdirSync(dir).length === 0; i++) await settle();
    assert.equal(readdirSync(dir).length, 1, 'spilled to a temp file');
    const closed = once(sinks[0], 'close');
    asm.abort(new EdgeError('TEST_PEER_GONE', 'peer vanished'));
    await closed;
    await settle();
    assert.equal(sinks[0].destroyed, true);
    assert.deepEqual(readdirSync(dir), [], 'no partial file left');
    expectCode(() => asm.push(pdvs[pdvs.length - 1]), 'DIMSE_ASSEMBLER_FAILED');
    assert.equal(messages.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing sink does not kill the association: the message arrives with datasetError', async () => {
  class FailingSink extends CollectSink {
    override _write(_c: Buffer, _e: BufferEncoding, cb: (err?: Error) => void): void {
      cb(new Error('disk full'));
    }
  }
  const h = harness(() => new FailingSink());
  const pdvs = messagePdvs(1, STORE, randomBytes(3000), 1006);
  for (const p of pdvs) h.asm.push(p);
  await settle();
  assert.equal(h.messages.length, 1);
  assert.match(h.messages[0].datasetError!.message, /disk full/);
  assert.equal(h.messages[0].datasetLength, 3000);
  for (const p of messagePdvs(1, ECHO, undefined, 16384)) h.asm.push(p);
  assert.equal(h.messages.length, 2, 'the next message is still accepted');
});

test('openSink throwing is reported as datasetError; the data set is discarded', async () => {
  const h = harness(() => {
    throw new EdgeError('STORE_FULL', 'no space');
  });
  for (const p of messagePdvs(1, STORE, randomBytes(3000), 1006)) assert.equal(h.asm.push(p), true);
  await settle();
  assert.equal(h.messages.length, 1);
  assert.equal((h.messages[0].datasetError as EdgeError).code, 'STORE_FULL');
  assert.equal(h.messages[0].dataset, undefined);
});

test('onMessage throwing goes to onError and does not stop later messages', () => {
  let n = 0;
  const errors: Error[] = [];
  const asm = new MessageAssembler({
    openSink: () => new CollectSink(),
    onMessage: () => {
      n++;
      if (n === 1) throw new Error('handler bug');
    },
    onDrain: () => undefined,
    onError: (e) => errors.push(e),
  });
  for (const p of messagePdvs(1, ECHO, undefined, 16384)) asm.push(p);
  for (const p of messagePdvs(1, ECHO, undefined, 16384)) asm.push(p);
  assert.equal(n, 2);
  assert.deepEqual(errors.map((e) => e.message), ['handler bug']);
});

test('end to end: streamed fragments → assembler → SpillSink, honouring backpressure', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asm-e2e-'));
  try {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    let resume: (() => void) | undefined;
    const got: DimseMessage<SpillSink>[] = [];
    let falseCount = 0;
    const asm = new MessageAssembler<SpillSink>({
      openSink: () => new SpillSink({ dimseSize: 64 * 1024, tmpDir: dir }),
      onMessage: (m) => got.push(m),
      onDrain: () => resume?.(),
      onError: (e) => assert.fail(e),
    });
    const feed = async (pdv: Pdv): Promise<void> => {
      if (asm.push(pdv)) return;
      falseCount++;
      await new Promise<void>((r) => (resume = r)); // "socket paused" until onDrain
      resume = undefined;
    };
    for (const p of toPdvs(pdataChunks(1, true, encodeCommand(STORE), 16384))) await feed(p);
    const src = Readable.from(
      (function* () {
        for (let off = 0; off < data.length; off += 7777) yield data.subarray(off, off + 7777);
      })(),
      { objectMode: false },
    );
    for await (const parts of pdataFromStream(1, src, 16384)) for (const p of toPdvs([parts])) await feed(p);
    while (got.length === 0) await settle();
    const sink = got[0].dataset!;
    assert.equal(sink.inMemory, false);
    assert.ok((await sink.readAll()).equals(data));
    assert.ok(falseCount > 0, 'the file writes exerted backpressure at least once');
    await sink.dispose();
    assert.equal(existsSync(sink.path!), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fragmenter → assembler round trip at every tiny max PDU (1..60 data bytes per PDV)', async () => {
  const ds = randomBytes(777);
  for (let max = 7; max <= 66; max++) {
    const h = harness();
    for (const p of messagePdvs(5, STORE, ds, max)) h.asm.push(p);
    for (const p of messagePdvs(5, ECHO, undefined, max)) h.asm.push(p);
    await settle();
    assert.equal(h.messages.length, 2, `max ${max}`);
    assert.deepEqual(h.messages[0].command, STORE);
    assert.ok(h.messages[0].dataset!.data.equals(ds), `max ${max}`);
    assert.deepEqual(h.messages[1].command, ECHO);
  }
});
