/**
 * When a Writable has finished (or failed): a lean stand-in for stream.finished() for the
 * sinks we own (one per received data set). finished() attaches listeners for every kind
 * of stream and, as a promise, an AbortSignal: ~5 µs a C-STORE twice over.
 * Settles once: 'finish' → no error; 'error' → that error; 'close' before 'finish' →
 * the stream's error or ERR_STREAM_PREMATURE_CLOSE. The callback never runs synchronously.
 */
import type { Writable } from 'node:stream';

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Calls `cb` once the stream settles; returns a function that detaches the listeners. */
export function onSettled(w: Writable, cb: (err?: Error) => void): () => void {
  let done = false;
  const settle = (err?: Error): void => {
    if (done) return;
    done = true;
    cleanup();
    cb(err);
  };
  const onFinish = (): void => settle();
  const onError = (e: Error): void => settle(e);
  const onClose = (): void => settle(w.writableFinished ? undefined : (w.errored ?? prematureClose()));
  const cleanup = (): void => {
    w.off('finish', onFinish);
    w.off('error', onError);
    w.off('close', onClose);
  };
  if (w.writableFinished) {
    process.nextTick(settle);
    return cleanup;
  }
  if (w.destroyed || w.closed) {
    process.nextTick(() => settle(w.errored ?? prematureClose()));
    return cleanup;
  }
  w.on('finish', onFinish);
  w.on('error', onError);
  w.on('close', onClose);
  return cleanup;
}

/** The promise form: resolves on finish, rejects on error or premature close. */
export function settled(w: Writable): Promise<void> {
  if (w.writableFinished) return Promise.resolve();
  return new Promise((resolve, reject) => {
    onSettled(w, (err) => (err ? reject(err) : resolve()));
  });
}
