import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor, type LineEvent } from '../../../src/console/line-editor';

function run(input: (string | Buffer)[], o: { maxLength?: number; secret?: boolean } = {}): { events: LineEvent[]; echo: string } {
  let echo = '';
  const ed = new LineEditor({ echo: (s) => { echo += s; }, maxLength: o.maxLength });
  if (o.secret) ed.setSecret(true);
  const events: LineEvent[] = [];
  ed.on('data', (e: LineEvent) => events.push(e));
  for (const chunk of input) ed.write(chunk);
  return { events, echo };
}

const lines = (events: LineEvent[]) => events.map((e) => (e.type === 'line' ? e.text : `<${e.type}>`));

test('CR, LF and CRLF each end one line; the LF of a CRLF split across chunks is not an empty line', () => {
  assert.deepEqual(lines(run(['help\r', 'status\n', 'show config\r\n', 'a\r', '\nb\r']).events), ['help', 'status', 'show config', 'a', 'b']);
  assert.deepEqual(lines(run(['\r\r']).events), ['', ''], 'two Enters are two (empty) lines');
});

test('typed characters are echoed, a line end echoes CRLF', () => {
  const r = run(['ab\r']);
  assert.equal(r.echo, 'ab\r\n');
});

test('backspace and DEL erase one character (echo "\\b \\b"); nothing to erase echoes nothing', () => {
  const r = run(['\x7fsett\x7f\x08t\r']);
  assert.deepEqual(lines(r.events), ['set']);
  assert.equal(r.echo, 'sett\b \b\b \bt\r\n');
});

test('Ctrl-U erases the whole line; Ctrl-C drops it with an interrupt event', () => {
  assert.deepEqual(lines(run(['apply\x15help\r']).events), ['help']);
  const r = run(['apply\x03']);
  assert.deepEqual(lines(r.events), ['<interrupt>']);
  assert.match(r.echo, /\^C\r\n$/);
});

test('ANSI escape sequences (arrows, F1, Home) and stray control bytes are ignored', () => {
  const r = run(['st\x1b[A\x1b[Da\x1bOPt\x1b[1;5Hu\x00\x01s\r']);
  assert.deepEqual(lines(r.events), ['status']);
  assert.equal(r.echo, 'status\r\n', 'nothing of the escape sequences is echoed');
});

test('a line longer than maxLength rings the bell and is reported, never cut into a shorter command', () => {
  const r = run(['set Network.port 111139\r', 'ok\r'], { maxLength: 20 });
  assert.deepEqual(lines(r.events), ['<too-long>', 'ok']);
  assert.ok(r.echo.includes('\x07'));
  assert.deepEqual(r.events[0], { type: 'too-long', max: 20 });
});

test('UTF-8 split across chunks is one character; backspace erases it whole', () => {
  const e = Buffer.from('é', 'utf8');
  assert.deepEqual(lines(run([Buffer.from('caf'), e.subarray(0, 1), e.subarray(1), Buffer.from('\r')]).events), ['café']);
  assert.deepEqual(lines(run(['cafés\x7f\x7f\r']).events), ['caf']);
});

test('secret input echoes asterisks', () => {
  const r = run(['pw1\r'], { secret: true });
  assert.deepEqual(lines(r.events), ['pw1']);
  assert.equal(r.echo, '***\r\n');
});

test('without an echo function nothing is echoed (pipes) and a last line without newline is flushed at end', async () => {
  const ed = new LineEditor();
  const events: LineEvent[] = [];
  ed.on('data', (e: LineEvent) => events.push(e));
  ed.end('status');
  await new Promise((r) => ed.on('end', r));
  assert.deepEqual(lines(events), ['status']);
});
