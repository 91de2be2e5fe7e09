/**
 * SO_SNDBUF / SO_RCVBUF and TCP_NODELAY on DICOM sockets. Node has no API for the
 * buffer sizes on TCP sockets, so the small N-API addon `sockopt` sets them by fd.
 * Linux doubles the value given and caps it at net.core.{w,r}mem_max; setting it
 * also turns off the kernel's autotuning for that socket (hence `config check` warns).
 */
import type { Socket, Server } from 'node:net';

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;

interface SockoptModule {
  setsockopt(s: unknown, level: number, name: number, value: number): void;
  getsockopt(s: unknown, level: number, name: number): number;
}

let addon: SockoptModule | null | undefined;
function load(): SockoptModule | null {
  if (addon !== undefined) return addon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require('sockopt') as SockoptModule;
  } catch {
    addon = null;
  }
  return addon;
}

export interface BufferSizes { sndBuf: number; rcvBuf: number }

/** Applies the sizes (0 = leave the kernel default); returns what the kernel reports, or undefined without the addon. */
export function applyBufferSizes(target: Socket | Server, sizes: BufferSizes): BufferSizes | undefined {
  const m = load();
  if (!m) return undefined;
  if (sizes.sndBuf > 0) m.setsockopt(target, SOL_SOCKET, SO_SNDBUF, sizes.sndBuf);
  if (sizes.rcvBuf > 0) m.setsockopt(target, SOL_SOCKET, SO_RCVBUF, sizes.rcvBuf);
  return readBufferSizes(target);
}

export function readBufferSizes(target: Socket | Server): BufferSizes | undefined {
  const m = load();
  if (!m) return undefined;
  return { sndBuf: m.getsockopt(target, SOL_SOCKET, SO_SNDBUF), rcvBuf: m.getsockopt(target, SOL_SOCKET, SO_RCVBUF) };
}

/** TCP_NODELAY plus buffers; never throws (a failure is reported to the caller's log). */
export function tuneSocket(socket: Socket, sizes: BufferSizes, onError: (msg: string) => void): BufferSizes | undefined {
  socket.setNoDelay(true);
  try {
    const r = applyBufferSizes(socket, sizes);
    if (!r) onError('socket buffer sizes not applied: sockopt addon unavailable');
    return r;
  } catch (e) {
    onError(`socket buffer sizes not applied: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Bytes of ready PDUs to cork into one writev (0 = one PDU per write). Below 128 KiB of
 * SO_SNDBUF several PDUs in one writev stall: the kernel accepts a buffer's worth, then waits
 * for an ACK the receiver delays (~40 ms). Measured with a 16 KiB buffer and Orthanc: 60 ms
 * per 512 KiB instance batched, 7 ms one PDU per write. 0/absent = autotuned: batch.
 */
export function writeBatchBytes(sendBuffer?: number): number {
  return sendBuffer && sendBuffer < 128 * 1024 ? 0 : 1024 * 1024;
}
