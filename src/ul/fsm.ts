/**
 * DICOM Upper Layer state machine, PS3.8 section 9.2. Pure: no sockets, no
 * timers. The I/O shell turns everything that happens (PDU read, local
 * primitive, socket close, ARTIM expiry) into an event, calls `fire`, and then
 * performs the returned action (send a PDU, start/stop ARTIM, close, ...).
 *
 * Conditional next states (the only two in Tables 9-6..9-9):
 * - AE-6 (Sta2 + Evt6, A-ASSOCIATE-RQ received): the shell examines the RQ
 *   first (negotiation) and passes `{ acceptable }`: true -> Sta3 (issue the
 *   A-ASSOCIATE indication, then the local user answers with Evt7/Evt8);
 *   false -> Sta13 (send A-ASSOCIATE-RJ, start ARTIM).
 * - AR-8 (Sta7 + Evt12, release collision): association-requestor -> Sta9,
 *   acceptor -> Sta10. The machine knows its role from how it left Sta1
 *   (Evt1 = requestor, Evt5 = acceptor); the shell may also pass `{ requestor }`.
 */
import { EdgeError } from '../util/errors';
import { PduType } from './pdu-types';
import {
  ACTION_NEXT, EVENT_NAMES, STATE_NAMES, TRANSITIONS,
  type Action, type FsmEvent, type State,
} from './fsm-table';

export {
  ACTIONS, ACTION_DESCRIPTIONS, EVENTS, EVENT_NAMES, STATES, STATE_NAMES,
  type Action, type FsmEvent, type State,
} from './fsm-table';

/** Next state as the table knows it: a state, or 'conditional' for AE-6 / AR-8. */
export type NextState = State | 'conditional';

export interface Transition {
  action: Action;
  next: NextState;
}

/**
 * PS3.8 Table 9-10 lookup. Returns undefined only for an empty cell (the event
 * is not valid in that state).
 */
export function transition(state: State, event: FsmEvent): Transition | undefined {
  const action = TRANSITIONS[event][state];
  if (action === undefined) return undefined;
  const next = ACTION_NEXT[action];
  return { action, next: typeof next === 'string' ? next : 'conditional' };
}

/** Every state the action can lead to (one, or two for AE-6 and AR-8). */
export function actionNextStates(action: Action): readonly State[] {
  const next = ACTION_NEXT[action];
  return typeof next === 'string' ? [next] : next;
}

/** Events for PDUs received on the transport connection (PS3.8 Table 9-10). */
export const PduEvent = {
  associateAc: 'Evt3',
  associateRj: 'Evt4',
  associateRq: 'Evt6',
  pData: 'Evt10',
  releaseRq: 'Evt12',
  releaseRp: 'Evt13',
  abort: 'Evt16',
  /** Unrecognized or invalid PDU (also: a PDU the reader could not parse). */
  invalid: 'Evt19',
} as const satisfies Record<string, FsmEvent>;

/** Events raised by the local user and the local transport service. */
export const LocalEvent = {
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
} as const satisfies Record<string, FsmEvent>;

const PDU_EVENTS: Readonly<Record<number, FsmEvent>> = {
  [PduType.AssociateRq]: PduEvent.associateRq,
  [PduType.AssociateAc]: PduEvent.associateAc,
  [PduType.AssociateRj]: PduEvent.associateRj,
  [PduType.PData]: PduEvent.pData,
  [PduType.ReleaseRq]: PduEvent.releaseRq,
  [PduType.ReleaseRp]: PduEvent.releaseRp,
  [PduType.Abort]: PduEvent.abort,
};

/** Event for a received PDU by its type byte; anything unknown is Evt19. */
export function eventForPdu(pduType: number): FsmEvent {
  return PDU_EVENTS[pduType] ?? PduEvent.invalid;
}

export type Role = 'requestor' | 'acceptor';

/** Answers to the two conditions of Tables 9-6 and 9-8. */
export interface FireOptions {
  /** AE-6: is the received A-ASSOCIATE-RQ acceptable by the service-provider? */
  acceptable?: boolean;
  /** AR-8: override the role the machine inferred from Evt1/Evt5. */
  requestor?: boolean;
}

export interface Step {
  from: State;
  event: FsmEvent;
  action: Action;
  next: State;
}

export interface StateMachineOptions {
  /** Initial state (tests, or a shell that starts mid-way). Default Sta1. */
  state?: State;
  /** Known role, needed for AR-8 when not starting from Sta1. */
  role?: Role;
  /** How many recent steps to keep in `history`. Default 32. */
  historySize?: number;
}

/** One association's state machine: applies Table 9-10 and remembers recent steps. */
export class StateMachine {
  private current: State;
  private roleValue: Role | undefined;
  private readonly steps: Step[] = [];
  private readonly historySize: number;

  constructor(options: StateMachineOptions = {}) {
    this.current = options.state ?? 'Sta1';
    this.roleValue = options.role;
    this.historySize = Math.max(1, options.historySize ?? 32);
  }

  get state(): State {
    return this.current;
  }

  /** 'requestor' after Evt1, 'acceptor' after Evt5 (PS3.8 9.2: AR-8 needs it). */
  get role(): Role | undefined {
    return this.roleValue;
  }

  /** The last `historySize` steps, oldest first. */
  get history(): readonly Step[] {
    return this.steps.slice();
  }

  /**
   * Apply one event. Throws EdgeError UL_FSM_INVALID for an empty cell of
   * Table 9-10 (state unchanged; the shell answers with an A-ABORT), and
   * UL_FSM_CONDITION when AE-6/AR-8 cannot be resolved (a shell bug).
   */
  fire(event: FsmEvent, options: FireOptions = {}): Step {
    const from = this.current;
    const t = transition(from, event);
    if (!t) {
      throw new EdgeError(
        'UL_FSM_INVALID',
        `${event} (${EVENT_NAMES[event]}) is not valid in ${from} (${STATE_NAMES[from]}); recent: ${this.describeHistory()}`,
      );
    }
    const next = t.next === 'conditional' ? this.resolve(t.action, options) : t.next;
    if (t.action === 'AE-1') this.roleValue = 'requestor';
    if (t.action === 'AE-5') this.roleValue = 'acceptor';
    const step: Step = { from, event, action: t.action, next };
    this.current = next;
    this.steps.push(step);
    if (this.steps.length > this.historySize) this.steps.shift();
    return step;
  }

  /** Would `event` be valid now? (No state change.) */
  accepts(event: FsmEvent): boolean {
    return transition(this.current, event) !== undefined;
  }

  /** Recent steps as one log-friendly line: "Sta1 Evt5/AE-5 -> Sta2, ...". */
  describeHistory(): string {
    if (this.steps.length === 0) return '(none)';
    return this.steps.map((s) => `${s.from} ${s.event}/${s.action} -> ${s.next}`).join(', ');
  }

  private resolve(action: Action, options: FireOptions): State {
    const [first, second] = actionNextStates(action);
    if (action === 'AE-6') {
      if (options.acceptable === undefined) {
        throw new EdgeError('UL_FSM_CONDITION', 'AE-6 needs { acceptable } (PS3.8 Table 9-6)');
      }
      return options.acceptable ? first : second;
    }
    const requestor = options.requestor ?? (this.roleValue === undefined ? undefined : this.roleValue === 'requestor');
    if (requestor === undefined) {
      throw new EdgeError('UL_FSM_CONDITION', `${action} needs the association role (PS3.8 Table 9-8)`);
    }
    return requestor ? first : second;
  }
}
