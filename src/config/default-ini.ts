/**
 * The embedded default configuration, also written as <data folder>/dicom-edge.ini on first
 * run so that it can be edited. It uses the statement's sections and option names; options
 * marked "(ours)" are dicom-edge additions.
 */
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CONFIG_NAME = 'dicom-edge.ini';

const STORAGE_ABBREVIATIONS = [
  'cr', 'ct', 'usmf', 'mr', 'nm', 'us', 'sc', 'dx', 'dxProc', 'mg', 'mgProc',
  'xa', 'xrf', 'xaBiplane', 'pet', 'petCurve',
];
const QR_ABBREVIATIONS = [
  'patFind', 'patMove', 'patGet', 'studyFind', 'studyMove', 'studyGet',
  'patStudyFind', 'patStudyMove', 'patStudyGet',
];

const HEAD = `; dicom-edge configuration (the format of the conformance statement's "Configuration"
; section). Syntax: [Section] headers, name = value, comment lines start with ; or #.
; Several values may be separated by commas. Names are case-insensitive.
; Spaces: kept in free text (userName, comment; put "quotes" around text to keep a blank
; after '='), ignored around AE titles, numbers, UIDs, addresses and abbreviations.
; Check this file with: dicom-edge config check FILE
; Tunables marked "auto" use the statement's default until the tuner measures this machine.

[Network]
; TCP port the server listens on (the statement's default is 104, which needs root).
port = 11112
; (ours) address to listen on; 127.0.0.1 = this machine only.
bind = 0.0.0.0
; Largest PDU we accept, in bytes (0 = no limit, else 4096..4294967295). Statement default 65530.
maxpdu = auto
; Seconds to wait for a response (0 = no time-out).
readTimeout = 60
; Seconds an open connection may stay idle before the server closes it (0 = never).
idleTimeout = 300
; Socket send/receive buffer sizes in bytes (0 = leave them to the kernel).
socketSndBuf = auto
socketRcvBuf = auto
; (ours) associations served at the same time.
maxAssociations = auto
; (ours) requests a peer may keep outstanding on one association when it proposes an
; Asynchronous Operations Window (1 = synchronous, as the statement).
maxAsyncOps = 16

[Memory]
; DIMSE buffer size in bytes.
dimseSize = auto

[Local AE]
; AE title of this server (1-16 characters, no backslash).
aeTitle = DICOM_EDGE
; (ours) Implementation Class UID sent in associations (the statement's value):
;implementationClassUid = 1.2.840.114093.1.1

[Options]
; debug: print debugging information (On/Off); debugFile: write it to this file instead.
debug = Off
;debugFile = debug.log
; Dump PDUs / DIMSE messages to files in dumpDir (ours; default: dumps under [Storage] path).
pduDump = Off
dimseDump = Off
;dumpDir = dumps
; Checks made on each association request. The statement: "They should always be on in a
; clinical (production) environment."
verifyProtocol = On
verifyLocalAe = On
verifyAppContext = On
; WARNING: with these two Off, ANYONE on the network may connect, store and query.
; They are Off here only so that a new installation works out of the box: list your
; modalities with "accept" in [Server] and turn both On.
verifyRemoteAe = Off
verifyIPAddr = Off
; At start, send a small synthetic study through this agent's own receive, store and
; forward code in a scratch folder (<path>/warm-up, removed after), so that the first real
; study after a restart is as fast as the next ones (ours).
warmUp = On

[Transfer Syntax]
; Default list of transfer syntaxes for every SOP class: implicitLittle, explicitLittle,
; explicitBig (or their UIDs). Explicit VR first keeps the VR of private elements, which
; Implicit VR Little Endian loses.
trSyn = explicitLittle, implicitLittle, explicitBig

[Server]
; scp/scu/scuscp = SOP class[, more classes][, transfer syntax...] accept the role of
; Service Class Provider / User / both for those classes (abbreviations or dotted UIDs).
; Abbreviations of the statement: echo, cr, ct, usmf, mr, nm, us, sc, patFind, patMove,
; patGet, studyFind, studyMove, studyGet, patStudyFind, patStudyMove, patStudyGet,
; basicGrayPrint, basicColorPrint (usmf, nm, us include the retired class).
; Ours: dx, dxProc, mg, mgProc, xa, xrf, xaBiplane, pet, petCurve, worklist, and storage
; (every storage class above).
; C-GET sends the images back on the same association, with us as the Storage SCU:
; storage classes are scuscp below so that a C-GET requester's storage contexts (proposed
; with SCP/SCU role selection) are accepted. Write scp instead to refuse C-GET for a class.
`;

const TAIL = `; accept = AE_TITLE, IP_ADDRESS lets that AE connect from that address (checked when
; verifyRemoteAe / verifyIPAddr are On). (ours) IP * = any address.
;accept = MODALITY_AE, 127.0.0.1
;accept = OTHER_AE, *
; Choose the transfer syntax in our order (Server) or the proposer's order (Client).
trSynOrder = Server
; trSyn here overrides the [Transfer Syntax] list for the server.
;trSyn = explicitLittle

[Storage]
; (ours) data folder for received instances and the index; relative to this file's folder.
path = .
; (ours) an instance that is already stored: overwrite, ignore (keep the old one) or reject.
duplicates = overwrite
; (ours) empty files kept ready in spare/ so a burst of images creates none (0 = none).
spareFiles = 4096

; One [RemoteAE] section per remote DICOM AE (also spelled [Remote AE]):
;[RemoteAE]
;userName = BODY_CT
;aetitle = CT1
;ip = 192.168.1.20
;port = 104
;scu = ct, explicitLittle
;comment = CT in room 2
; (ours) extra RemoteAE keys: worklist = yes (a RIS to proxy), mpps = yes (MPPS relay),
; printer = yes + printAs = TITLE (a film printer), tls = yes (DICOM TLS).

; (ours) Forward everything (or what matches) to PACS; see the README "Store and forward".
;[Route]
;to = PACS
;match = Modality=CT
;[Forward]
;retryBase = 2s
;retryCap = 5m

; (ours) Web page and DICOMweb; add accounts with: dicom-edge user add NAME --role admin
;[Web]
;port = 8080
;bind = 127.0.0.1

; (ours) Modality worklist proxy: local items and cache.
;[Worklist]
;path = worklist

; (ours) Serial setup console (default: the board profile's device, 115200 8N1).
;[Console]
;device = /dev/ttyUSB0
;password = change-me

; (ours) DICOM TLS (BCP 195) on its own port beside the plain one.
;[TLS]
;certificate = /etc/dicom-edge/edge.pem
;key = /etc/dicom-edge/edge.key
;ca = /etc/dicom-edge/ca.pem
;port = 2762
`;

/** The INI text of the embedded default. */
export function defaultIniText(): string {
  const lines = [
    'scp = echo',
    ...STORAGE_ABBREVIATIONS.map((a) => `scuscp = ${a}`),
    ...[...QR_ABBREVIATIONS, 'worklist', 'mpps'].map((a) => `scp = ${a}`),
    // Print classes answer only on the called AE titles of [RemoteAE] printer = yes sections.
    'scp = basicGrayPrint, basicColorPrint, presentationLut, printJob',
  ];
  return HEAD + lines.map((l) => `${l}\n`).join('') + TAIL;
}

/**
 * Writes <dataDir>/dicom-edge.ini with the default text if it does not exist yet (mode 0600;
 * written to a temporary file, fsynced, then hard-linked into place so that a file created
 * meanwhile is never overwritten). Returns its path.
 */
export function ensureDefaultConfig(dataDir: string): string {
  const target = join(dataDir, DEFAULT_CONFIG_NAME);
  if (existsSync(target)) return target;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, defaultIniText());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  return target;
}
