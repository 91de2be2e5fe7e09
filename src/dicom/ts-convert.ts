/**
 * Converts data sets between the uncompressed transfer syntaxes of the conformance
 * statement: Implicit VR Little Endian, Explicit VR Little Endian and Explicit VR
 * Big Endian (PS3.5 Annex A.1, A.2, A.3). Input and output are raw data set bytes,
 * without the Part 10 file meta group.
 *
 * Implicit → explicit takes each VR from the data dictionary (see vr-dictionary.ts);
 * private elements become UN (the conformance statement's caveat about private data
 * received in Implicit VR), and go back to the very same bytes in Implicit VR.
 * Group length elements are kept as they are (not recomputed).
 */
import { Transform } from 'node:stream';
import { EdgeError } from '../util/errors';
import { ConverterCore, type Conversion } from './ts-convert-core';
import type { Syntax } from './ts-convert-header';

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

const SYNTAXES: Record<string, Syntax> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: { explicit: false, bigEndian: false },
  [EXPLICIT_VR_LITTLE_ENDIAN]: { explicit: true, bigEndian: false },
  [EXPLICIT_VR_BIG_ENDIAN]: { explicit: true, bigEndian: true },
};

function clean(uid: string): string {
  return uid.replace(/\0+$/, '').trim();
}

/** True if `uid` is one of the three transfer syntaxes this converter handles. */
export function isConvertibleTransferSyntax(uid: string): boolean {
  return clean(uid) in SYNTAXES;
}

/** The byte order and VR encoding of a convertible transfer syntax. */
export function syntaxOf(uid: string): Syntax {
  const s = SYNTAXES[clean(uid)];
  if (!s) throw new EdgeError('DICOM_TS_UNSUPPORTED', `transfer syntax ${uid} cannot be converted`);
  return s;
}

function conversion(fromTs: string, toTs: string): Conversion {
  return { from: syntaxOf(fromTs), to: syntaxOf(toTs) };
}

/**
 * Converts a whole data set held in memory. Throws EdgeError DICOM_TS_UNSUPPORTED,
 * DICOM_MALFORMED or DICOM_TRUNCATED.
 */
export function convertDataset(input: Buffer, fromTs: string, toTs: string): Buffer {
  if (clean(fromTs) === clean(toTs)) {
    syntaxOf(fromTs);
    return input;
  }
  const chunks: Buffer[] = [];
  const core = new ConverterCore(conversion(fromTs, toTs), (c) => chunks.push(c));
  core.push(input);
  core.finish();
  return Buffer.concat(chunks);
}

/**
 * A Transform stream doing the same conversion incrementally: it holds back at most
 * one element header, streams values (a 1 GB Pixel Data never sits in memory) and
 * buffers only defined-length sequences whose length changes (implicit ↔ explicit).
 * Identical syntaxes give a pass-through.
 */
export function createConverter(fromTs: string, toTs: string): Transform {
  const conv = conversion(fromTs, toTs);
  const same = clean(fromTs) === clean(toTs);
  let core: ConverterCore | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (same) return cb(null, chunk);
      core ??= new ConverterCore(conv, (c) => this.push(c));
      try {
        core.push(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        core?.finish();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}
