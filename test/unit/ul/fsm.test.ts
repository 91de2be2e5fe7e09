import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIONS, ACTION_DESCRIPTIONS, EVENTS, EVENT_NAMES, STATES, STATE_NAMES,
  LocalEvent, PduEvent, StateMachine, actionNextStates, eventForPdu, transition,
  type Action, type FsmEvent, type State,
} from '../../../src/ul/fsm';
import { ArtimTimer } from '../../../src/ul/artim';
import { EdgeError } from '../../../src/util/errors';

/*
 * PS3.8 Table 9-10 transcribed by state (one column of the printed table per
 * line), independently of src/ul/fsm-table.ts which is laid out by event.
 * Tokens are the cells for Evt1..Evt19 in order; '-' is an empty cell.
 *              Evt1 2    3    4    5    6    7    8    9    10   11   12   13    14   15   16   17   18   19
 */
const COLUMNS: Record<State, string> = {
  Sta1: /*  */ 'AE-1 -    -    -    AE-5 -    -    -    -    -    -    -    -     -    -    -    -    -    -',
  Sta2: /*  */ '-    -    AA-1 AA-1 -    AE-6 -    -    -    AA-1 -    AA-1 AA-1  -    -    AA-2 AA-5 AA-2 AA-1',
  Sta3: /*  */ '-    -    AA-8 AA-8 -    AA-8 AE-7 AE-8 -    AA-8 -    AA-8 AA-8  -    AA-1 AA-3 AA-4 -    AA-8',
  Sta4: /*  */ '-    AE-2 -    -    -    -    -    -    -    -    -    -    -     -    AA-2 -    AA-4 -    -',
  Sta5: /*  */ '-    -    AE-3 AE-4 -    AA-8 -    -    -    AA-8 -    AA-8 AA-8  -    AA-1 AA-3 AA-4 -    AA-8',
  Sta6: /*  */ '-    -    AA-8 AA-8 -    AA-8 -    -    DT-1 DT-2 AR-1 AR-2 AA-8  -    AA-1 AA-3 AA-4 -    AA-8',
  Sta7: /*  */ '-    -    AA-8 AA-8 -    AA-8 -    -    -    AR-6 -    AR-8 AR-3  -    AA-1 AA-3 AA-4 -    AA-8',
  Sta8: /*  */ '-    -    AA-8 AA-8 -    AA-8 -    -    AR-7 AA-8 -    AA-8 AA-8  AR-4 AA-1 AA-3 AA-4 -    AA-8',
  Sta9: /*  */ '-    -    AA-8 AA-8 -    AA-8 -    -    -    AA-8 -    AA-8 AA-8  AR-9 AA-1 AA-3 AA-4 -    AA-8',
  Sta10: /* */ '-    -    AA-8 AA-8 -    AA-8 -    -    -    AA-8 -    AA-8 AR-10 -    AA-1 AA-3 AA-4 -    AA-8',
  Sta11: /* */ '-    -    AA-8 AA-8 -    AA-8 -    -    -    AA-8 -    AA-8 AR-3  -    AA-1 AA-3 AA-4 -    AA-8',
  Sta12: /* */ '-    -    AA-8 AA-8 -    AA-8 -    -    -    AA-8 -    AA-8 AA-8  AR-4 AA-1 AA-3 AA-4 -    AA-8',
  Sta13: /* */ '-    -    AA-6 AA-6 -    AA-7 -    -    -    AA-6 -    AA-6 AA-6  -    -    AA-2 AR-5 AA-2 AA-7',
};

/* "Next state" columns of PS3.8 Tables 9-6, 9-7, 9-8, 9-9; '?' = conditional. */
const NEXT: Record<Action, string> = {
  'AE-1': 'Sta4', 'AE-2': 'Sta5', 'AE-3': 'Sta6', 'AE-4': 'Sta1', 'AE-5': 'Sta2', 'AE-6': '?',
  'AE-7': 'Sta6', 'AE-8': 'Sta13', 'DT-1': 'Sta6', 'DT-2': 'Sta6', 'AR-1': 'Sta7', 'AR-2': 'Sta8',
  'AR-3': 'Sta1', 'AR-4': 'Sta13', 'AR-5': 'Sta1', 'AR-6': 'Sta7', 'AR-7': 'Sta8', 'AR-8': '?',
  'AR-9': 'Sta11', 'AR-10': 'Sta12', 'AA-1': 'Sta13', 'AA-2': 'Sta1', 'AA-3': 'Sta1', 'AA-4': 'Sta1',
  'AA-5': 'Sta1', 'AA-6': 'Sta13', 'AA-7': 'Sta13', 'AA-8': 'Sta13',
};

function expectedCell(state: State, event: FsmEvent): Action | undefined {
  const cells = COLUMNS[state].trim().split(/\s+/);
  assert.equal(cells.length, 19, `transcription of ${state} has ${cells.length} cells`);
  const cell = cells[EVENTS.indexOf(event)];
  return cell === '-' ? undefined : (cell as Action);
}

test('names: 13 states, 19 events, 28 actions, each with a description', () => {
  assert.equal(STATES.length, 13);
  assert.equal(EVENTS.length, 19);
  assert.equal(ACTIONS.length, 28);
  for (const s of STATES) assert.ok(STATE_NAMES[s].length > 3, s);
  for (const e of EVENTS) assert.ok(EVENT_NAMES[e].length > 3, e);
  for (const a of ACTIONS) assert.ok(ACTION_DESCRIPTIONS[a].length > 3, a);
  assert.equal(STATE_NAMES.Sta1, 'Idle');
  assert.match(ACTION_DESCRIPTIONS['AA-6'], /Ignore PDU/);
});

test('Table 9-10: every state x event cell (247) matches the transcription', () => {
  let checked = 0;
  let nonEmpty = 0;
  for (const state of STATES) {
    for (const event of EVENTS) {
      const want = expectedCell(state, event);
      const got = transition(state, event);
      checked++;
      if (want === undefined) {
        assert.equal(got, undefined, `${state} + ${event} should be an empty cell`);
        continue;
      }
      nonEmpty++;
      assert.ok(got, `${state} + ${event} should be ${want}`);
      assert.equal(got.action, want, `${state} + ${event}`);
      const next = NEXT[want];
      assert.equal(got.next, next === '?' ? 'conditional' : next, `next state of ${want}`);
    }
  }
  assert.equal(checked, 247);
  assert.equal(nonEmpty, 123);
});

test('actionNextStates lists both outcomes of AE-6 and AR-8, one state otherwise', () => {
  assert.deepEqual(actionNextStates('AE-6'), ['Sta3', 'Sta13']);
  assert.deepEqual(actionNextStates('AR-8'), ['Sta9', 'Sta10']);
  for (const a of ACTIONS) {
    if (NEXT[a] === '?') continue;
    assert.deepEqual(actionNextStates(a), [NEXT[a]], a);
  }
});

test('eventForPdu maps the seven PDU types and everything else to Evt19', () => {
  assert.equal(eventForPdu(0x01), 'Evt6');
  assert.equal(eventForPdu(0x02), 'Evt3');
  assert.equal(eventForPdu(0x03), 'Evt4');
  assert.equal(eventForPdu(0x04), 'Evt10');
  assert.equal(eventForPdu(0x05), 'Evt12');
  assert.equal(eventForPdu(0x06), 'Evt13');
  assert.equal(eventForPdu(0x07), 'Evt16');
  for (const t of [0x00, 0x08, 0x10, 0xff, -1, 256, 1.5, Number.NaN]) {
    assert.equal(eventForPdu(t), 'Evt19', `type ${t}`);
  }
  assert.equal(PduEvent.invalid, 'Evt19');
});

test('local event constants carry the Table 9-10 numbers', () => {
  assert.deepEqual(LocalEvent, {
    associateRequest: 'Evt1',
    transportConnectConfirm: 'Evt2',
    transportConnectIndication: 'Evt5',
    associateResponseAccept: 'Evt7',
    associateResponseReject: 'Evt8',
    pDataRequest: 'Evt9',
    releaseRequest: 'Evt11',
    releaseResponse: 'Evt14',
    abortRequest: 'Evt15',
    transportClosed: 'Evt17',
    artimExpired: 'Evt18',
  });
});

type Walk = Array<[FsmEvent, Action, State, { acceptable?: boolean; requestor?: boolean }?]>;

function walk(sm: StateMachine, steps: Walk): void {
  for (const [event, action, next, opts] of steps) {
    const from = sm.state;
    const step = sm.fire(event, opts);
    assert.deepEqual(step, { from, event, action, next }, `${from} + ${event}`);
    assert.equal(sm.state, next);
  }
}

test('walk: requestor associates, releases, returns to Idle', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt1', 'AE-1', 'Sta4'],
    ['Evt2', 'AE-2', 'Sta5'],
    ['Evt3', 'AE-3', 'Sta6'],
    ['Evt9', 'DT-1', 'Sta6'],
    ['Evt10', 'DT-2', 'Sta6'],
    ['Evt11', 'AR-1', 'Sta7'],
    ['Evt10', 'AR-6', 'Sta7'],
    ['Evt13', 'AR-3', 'Sta1'],
  ]);
  assert.equal(sm.role, 'requestor');
});

test('walk: requestor is rejected by the peer (AE-4)', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt1', 'AE-1', 'Sta4'],
    ['Evt2', 'AE-2', 'Sta5'],
    ['Evt4', 'AE-4', 'Sta1'],
  ]);
});

test('walk: acceptor, local user rejects (AE-8), peer closes', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt5', 'AE-5', 'Sta2'],
    ['Evt6', 'AE-6', 'Sta3', { acceptable: true }],
    ['Evt8', 'AE-8', 'Sta13'],
    ['Evt6', 'AA-7', 'Sta13'],
    ['Evt10', 'AA-6', 'Sta13'],
    ['Evt17', 'AR-5', 'Sta1'],
  ]);
  assert.equal(sm.role, 'acceptor');
});

test('walk: acceptor, RQ not acceptable by the provider (AE-6 -> Sta13), ARTIM expires', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt5', 'AE-5', 'Sta2'],
    ['Evt6', 'AE-6', 'Sta13', { acceptable: false }],
    ['Evt18', 'AA-2', 'Sta1'],
  ]);
});

test('walk: acceptor accepts, serves data, peer releases', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt5', 'AE-5', 'Sta2'],
    ['Evt6', 'AE-6', 'Sta3', { acceptable: true }],
    ['Evt7', 'AE-7', 'Sta6'],
    ['Evt10', 'DT-2', 'Sta6'],
    ['Evt12', 'AR-2', 'Sta8'],
    ['Evt9', 'AR-7', 'Sta8'],
    ['Evt14', 'AR-4', 'Sta13'],
    ['Evt17', 'AR-5', 'Sta1'],
  ]);
});

test('walk: release collision, requestor side Sta7 -> Sta9 -> Sta11 -> Sta1', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt1', 'AE-1', 'Sta4'],
    ['Evt2', 'AE-2', 'Sta5'],
    ['Evt3', 'AE-3', 'Sta6'],
    ['Evt11', 'AR-1', 'Sta7'],
    ['Evt12', 'AR-8', 'Sta9'],
    ['Evt14', 'AR-9', 'Sta11'],
    ['Evt13', 'AR-3', 'Sta1'],
  ]);
});

test('walk: release collision, acceptor side Sta7 -> Sta10 -> Sta12 -> Sta13 -> Sta1', () => {
  const sm = new StateMachine();
  walk(sm, [
    ['Evt5', 'AE-5', 'Sta2'],
    ['Evt6', 'AE-6', 'Sta3', { acceptable: true }],
    ['Evt7', 'AE-7', 'Sta6'],
    ['Evt11', 'AR-1', 'Sta7'],
    ['Evt12', 'AR-8', 'Sta10'],
    ['Evt13', 'AR-10', 'Sta12'],
    ['Evt14', 'AR-4', 'Sta13'],
    ['Evt17', 'AR-5', 'Sta1'],
  ]);
});

test('walk: aborts (local AA-1 then ARTIM, peer AA-3, connect aborted AA-2, close AA-4)', () => {
  walk(new StateMachine({ state: 'Sta6' }), [['Evt15', 'AA-1', 'Sta13'], ['Evt18', 'AA-2', 'Sta1']]);
  walk(new StateMachine({ state: 'Sta6' }), [['Evt16', 'AA-3', 'Sta1']]);
  walk(new StateMachine({ state: 'Sta4' }), [['Evt15', 'AA-2', 'Sta1']]);
  walk(new StateMachine({ state: 'Sta8' }), [['Evt17', 'AA-4', 'Sta1']]);
  walk(new StateMachine({ state: 'Sta6' }), [['Evt19', 'AA-8', 'Sta13'], ['Evt16', 'AA-2', 'Sta1']]);
});

test('fire on an empty cell throws UL_FSM_INVALID and leaves the state alone', () => {
  const sm = new StateMachine();
  sm.fire('Evt5');
  assert.equal(sm.accepts('Evt7'), false);
  assert.throws(
    () => sm.fire('Evt7'),
    (e: unknown) => e instanceof EdgeError && e.code === 'UL_FSM_INVALID' && /Evt7.*Sta2/.test(e.message),
  );
  assert.equal(sm.state, 'Sta2');
  assert.equal(sm.history.length, 1);
});

test('conditional actions need their condition', () => {
  const ae6 = new StateMachine({ state: 'Sta2' });
  assert.throws(() => ae6.fire('Evt6'), (e: unknown) => e instanceof EdgeError && e.code === 'UL_FSM_CONDITION');
  assert.equal(ae6.state, 'Sta2');

  const ar8 = new StateMachine({ state: 'Sta7' });
  assert.throws(() => ar8.fire('Evt12'), (e: unknown) => e instanceof EdgeError && e.code === 'UL_FSM_CONDITION');
  assert.equal(ar8.fire('Evt12', { requestor: false }).next, 'Sta10');

  assert.equal(new StateMachine({ state: 'Sta7', role: 'requestor' }).fire('Evt12').next, 'Sta9');
  assert.equal(new StateMachine({ state: 'Sta7', role: 'requestor' }).fire('Evt12', { requestor: false }).next, 'Sta10');
});

test('history keeps the last N steps, oldest first', () => {
  const sm = new StateMachine({ historySize: 3 });
  for (const e of ['Evt1', 'Evt2', 'Evt3', 'Evt9', 'Evt11'] as const) sm.fire(e);
  assert.deepEqual(sm.history.map((s) => s.event), ['Evt3', 'Evt9', 'Evt11']);
  assert.equal(sm.describeHistory(), 'Sta5 Evt3/AE-3 -> Sta6, Sta6 Evt9/DT-1 -> Sta6, Sta6 Evt11/AR-1 -> Sta7');
  assert.equal(new StateMachine().describeHistory(), '(none)');
});

/** Keeps the event loop alive while awaiting an unref()'d timer. */
async function withKeepAlive<T>(p: Promise<T>): Promise<T> {
  const keep = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(keep);
  }
}

/** A ref'd timer created after the ARTIM timer, with a much longer delay. */
const later = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('ArtimTimer fires once', async () => {
  let count = 0;
  let resolve!: () => void;
  const fired = new Promise<void>((r) => (resolve = r));
  const t = new ArtimTimer(5, () => {
    count++;
    resolve();
  });
  assert.equal(t.running, false);
  t.start();
  t.start(); // already running: no second timer
  assert.equal(t.running, true);
  await withKeepAlive(fired);
  assert.equal(t.running, false);
  await later(40);
  assert.equal(count, 1);
});

test('ArtimTimer.stop prevents expiry; restart re-arms once', async () => {
  let count = 0;
  const t = new ArtimTimer(5, () => count++);
  t.start();
  t.stop();
  assert.equal(t.running, false);
  await later(40);
  assert.equal(count, 0);

  let resolve!: () => void;
  const fired = new Promise<void>((r) => (resolve = r));
  const u = new ArtimTimer(5, () => {
    count++;
    resolve();
  });
  u.start();
  u.restart();
  assert.equal(u.running, true);
  await withKeepAlive(fired);
  await later(40);
  assert.equal(count, 1);
});
