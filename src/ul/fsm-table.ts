/**
 * The DICOM Upper Layer state machine of PS3.8 section 9.2 as plain data:
 * states (Table 9-1..9-5 "States"), actions (Tables 9-6..9-9), events and the
 * state transition table (Table 9-10). No code with behaviour lives here; see
 * ./fsm for the lookup and the StateMachine class.
 *
 * Cross-checked against pynetdicom `fsm.py` (TRANSITION_TABLE) and DCMTK
 * `dulfsm.cc` (StateTable). Where DCMTK departs from the standard we follow
 * the standard: DCMTK maps Sta5+Evt6 to AE-4 (Table 9-10: AA-8) and adds a
 * non-standard Sta7+Evt18 timeout (Table 9-10: empty).
 */

export const STATES = [
  'Sta1', 'Sta2', 'Sta3', 'Sta4', 'Sta5', 'Sta6', 'Sta7',
  'Sta8', 'Sta9', 'Sta10', 'Sta11', 'Sta12', 'Sta13',
] as const;
export type State = (typeof STATES)[number];

export const EVENTS = [
  'Evt1', 'Evt2', 'Evt3', 'Evt4', 'Evt5', 'Evt6', 'Evt7', 'Evt8', 'Evt9', 'Evt10',
  'Evt11', 'Evt12', 'Evt13', 'Evt14', 'Evt15', 'Evt16', 'Evt17', 'Evt18', 'Evt19',
] as const;
export type FsmEvent = (typeof EVENTS)[number];

export const ACTIONS = [
  'AE-1', 'AE-2', 'AE-3', 'AE-4', 'AE-5', 'AE-6', 'AE-7', 'AE-8',
  'DT-1', 'DT-2',
  'AR-1', 'AR-2', 'AR-3', 'AR-4', 'AR-5', 'AR-6', 'AR-7', 'AR-8', 'AR-9', 'AR-10',
  'AA-1', 'AA-2', 'AA-3', 'AA-4', 'AA-5', 'AA-6', 'AA-7', 'AA-8',
] as const;
export type Action = (typeof ACTIONS)[number];

/** PS3.8 section 9.2.1, state definitions (text shortened for log lines). */
export const STATE_NAMES: Readonly<Record<State, string>> = {
  Sta1: 'Idle',
  Sta2: 'Transport connection open (awaiting A-ASSOCIATE-RQ PDU)',
  Sta3: 'Awaiting local A-ASSOCIATE response primitive',
  Sta4: 'Awaiting transport connection opening to complete',
  Sta5: 'Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU',
  Sta6: 'Association established, ready for data transfer',
  Sta7: 'Awaiting A-RELEASE-RP PDU',
  Sta8: 'Awaiting local A-RELEASE response primitive',
  Sta9: 'Release collision requestor side; awaiting A-RELEASE response',
  Sta10: 'Release collision acceptor side; awaiting A-RELEASE-RP PDU',
  Sta11: 'Release collision requestor side; awaiting A-RELEASE-RP PDU',
  Sta12: 'Release collision acceptor side; awaiting A-RELEASE response primitive',
  Sta13: 'Awaiting transport connection close indication (association no longer exists)',
};

/** PS3.8 Table 9-10, event column. */
export const EVENT_NAMES: Readonly<Record<FsmEvent, string>> = {
  Evt1: 'A-ASSOCIATE request (local user)',
  Evt2: 'Transport connect confirmation (local transport service)',
  Evt3: 'A-ASSOCIATE-AC PDU received',
  Evt4: 'A-ASSOCIATE-RJ PDU received',
  Evt5: 'Transport connection indication (local transport service)',
  Evt6: 'A-ASSOCIATE-RQ PDU received',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU received',
  Evt11: 'A-RELEASE request primitive',
  Evt12: 'A-RELEASE-RQ PDU received',
  Evt13: 'A-RELEASE-RP PDU received',
  Evt14: 'A-RELEASE response primitive',
  Evt15: 'A-ABORT request primitive',
  Evt16: 'A-ABORT PDU received',
  Evt17: 'Transport connection closed indication',
  Evt18: 'ARTIM timer expired',
  Evt19: 'Unrecognized or invalid PDU received',
};

/** PS3.8 Tables 9-6 (AE), 9-7 (DT), 9-8 (AR), 9-9 (AA). */
export const ACTION_DESCRIPTIONS: Readonly<Record<Action, string>> = {
  'AE-1': 'Issue TRANSPORT CONNECT request primitive to local transport service',
  'AE-2': 'Send A-ASSOCIATE-RQ PDU',
  'AE-3': 'Issue A-ASSOCIATE confirmation (accept) primitive',
  'AE-4': 'Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection',
  'AE-5': 'Issue transport connection response primitive; start ARTIM timer',
  'AE-6':
    'Stop ARTIM timer; if A-ASSOCIATE-RQ acceptable by service-provider issue A-ASSOCIATE indication (Sta3), ' +
    'otherwise send A-ASSOCIATE-RJ PDU and start ARTIM timer (Sta13)',
  'AE-7': 'Send A-ASSOCIATE-AC PDU',
  'AE-8': 'Send A-ASSOCIATE-RJ PDU and start ARTIM timer',
  'DT-1': 'Send P-DATA-TF PDU',
  'DT-2': 'Send P-DATA indication primitive',
  'AR-1': 'Send A-RELEASE-RQ PDU',
  'AR-2': 'Issue A-RELEASE indication primitive',
  'AR-3': 'Issue A-RELEASE confirmation primitive and close transport connection',
  'AR-4': 'Send A-RELEASE-RP PDU and start ARTIM timer',
  'AR-5': 'Stop ARTIM timer',
  'AR-6': 'Issue P-DATA indication',
  'AR-7': 'Send P-DATA-TF PDU',
  'AR-8': 'Issue A-RELEASE indication (release collision): association-requestor Sta9, otherwise Sta10',
  'AR-9': 'Send A-RELEASE-RP PDU',
  'AR-10': 'Issue A-RELEASE confirmation primitive',
  'AA-1': 'Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer',
  'AA-2': 'Stop ARTIM timer if running; close transport connection',
  'AA-3': 'Issue A-ABORT (user source) or A-P-ABORT (provider source) indication and close transport connection',
  'AA-4': 'Issue A-P-ABORT indication primitive',
  'AA-5': 'Stop ARTIM timer',
  'AA-6': 'Ignore PDU',
  'AA-7': 'Send A-ABORT PDU',
  'AA-8': 'Send A-ABORT PDU (service-provider source), issue A-P-ABORT indication, start ARTIM timer',
};

/**
 * Next state of each action, from the "Next State" column of Tables 9-6..9-9.
 * Only AE-6 and AR-8 have a condition; the possibilities are listed in order
 * (first = acceptable / association-requestor).
 */
export const ACTION_NEXT: Readonly<Record<Action, State | readonly [State, State]>> = {
  'AE-1': 'Sta4', 'AE-2': 'Sta5', 'AE-3': 'Sta6', 'AE-4': 'Sta1',
  'AE-5': 'Sta2', 'AE-6': ['Sta3', 'Sta13'], 'AE-7': 'Sta6', 'AE-8': 'Sta13',
  'DT-1': 'Sta6', 'DT-2': 'Sta6',
  'AR-1': 'Sta7', 'AR-2': 'Sta8', 'AR-3': 'Sta1', 'AR-4': 'Sta13', 'AR-5': 'Sta1',
  'AR-6': 'Sta7', 'AR-7': 'Sta8', 'AR-8': ['Sta9', 'Sta10'], 'AR-9': 'Sta11', 'AR-10': 'Sta12',
  'AA-1': 'Sta13', 'AA-2': 'Sta1', 'AA-3': 'Sta1', 'AA-4': 'Sta1',
  'AA-5': 'Sta1', 'AA-6': 'Sta13', 'AA-7': 'Sta13', 'AA-8': 'Sta13',
};

/**
 * PS3.8 Table 9-10, laid out as the standard prints it: one row per event,
 * one entry per state column that is not empty. A state missing from a row is
 * an empty cell (the event is not valid in that state).
 */
export const TRANSITIONS: Readonly<Record<FsmEvent, Partial<Record<State, Action>>>> = {
  Evt1: { Sta1: 'AE-1' },
  Evt2: { Sta4: 'AE-2' },
  Evt3: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AE-3', Sta6: 'AA-8', Sta7: 'AA-8', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-6',
  },
  Evt4: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AE-4', Sta6: 'AA-8', Sta7: 'AA-8', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-6',
  },
  Evt5: { Sta1: 'AE-5' },
  Evt6: {
    Sta2: 'AE-6', Sta3: 'AA-8', Sta5: 'AA-8', Sta6: 'AA-8', Sta7: 'AA-8', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-7',
  },
  Evt7: { Sta3: 'AE-7' },
  Evt8: { Sta3: 'AE-8' },
  Evt9: { Sta6: 'DT-1', Sta8: 'AR-7' },
  Evt10: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AA-8', Sta6: 'DT-2', Sta7: 'AR-6', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-6',
  },
  Evt11: { Sta6: 'AR-1' },
  Evt12: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AA-8', Sta6: 'AR-2', Sta7: 'AR-8', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-6',
  },
  Evt13: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AA-8', Sta6: 'AA-8', Sta7: 'AR-3', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AR-10', Sta11: 'AR-3', Sta12: 'AA-8', Sta13: 'AA-6',
  },
  Evt14: { Sta8: 'AR-4', Sta9: 'AR-9', Sta12: 'AR-4' },
  Evt15: {
    Sta3: 'AA-1', Sta4: 'AA-2', Sta5: 'AA-1', Sta6: 'AA-1', Sta7: 'AA-1', Sta8: 'AA-1',
    Sta9: 'AA-1', Sta10: 'AA-1', Sta11: 'AA-1', Sta12: 'AA-1',
  },
  Evt16: {
    Sta2: 'AA-2', Sta3: 'AA-3', Sta5: 'AA-3', Sta6: 'AA-3', Sta7: 'AA-3', Sta8: 'AA-3',
    Sta9: 'AA-3', Sta10: 'AA-3', Sta11: 'AA-3', Sta12: 'AA-3', Sta13: 'AA-2',
  },
  Evt17: {
    Sta2: 'AA-5', Sta3: 'AA-4', Sta4: 'AA-4', Sta5: 'AA-4', Sta6: 'AA-4', Sta7: 'AA-4',
    Sta8: 'AA-4', Sta9: 'AA-4', Sta10: 'AA-4', Sta11: 'AA-4', Sta12: 'AA-4', Sta13: 'AR-5',
  },
  Evt18: { Sta2: 'AA-2', Sta13: 'AA-2' },
  Evt19: {
    Sta2: 'AA-1', Sta3: 'AA-8', Sta5: 'AA-8', Sta6: 'AA-8', Sta7: 'AA-8', Sta8: 'AA-8',
    Sta9: 'AA-8', Sta10: 'AA-8', Sta11: 'AA-8', Sta12: 'AA-8', Sta13: 'AA-7',
  },
};
