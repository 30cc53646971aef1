import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, LossReport } from '@lrsweep/shared';
import { decodeLossReport } from './decode.js';

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const base = {
  sweepId: 's-0123456789abc',
  trialId: 't042',
  workerId: 'w-1',
  attempt: 2,
  kind: 'search',
  step: 120,
  learningRate: 0.0123,
  loss: 0.75,
  sentAtMs: 1_764_000_000_000.25,
};

/** Values a field may take in a mutated report: right, wrong, and borderline. */
const oddValues: unknown[] = [
  undefined,
  null,
  0,
  -0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  'NaN',
  'Infinity',
  '-Infinity',
  'nan',
  '12',
  '',
  'final',
  'range-test',
  'x'.repeat(65),
  'a.b',
  'ok_id-9',
  true,
  [],
  {},
  [1],
];

describe('decodeLossReport (the fast path of the coordinator)', () => {
  it('accepts, rejects and outputs exactly what the zod schema does', () => {
    const r = random(3);
    const fields = [...Object.keys(base), 'epoch', 'totalSteps', 'valLoss', 'valAccuracy', 'extra'];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const message: Record<string, unknown> = { ...base };
      if (r() < 0.3) Object.assign(message, { kind: 'final', epoch: 1, totalSteps: 500, valLoss: 'NaN', valAccuracy: 0.5 });
      const mutations = Math.floor(r() * 3);
      for (let m = 0; m < mutations; m++) {
        const field = fields[Math.floor(r() * fields.length)]!;
        const value = oddValues[Math.floor(r() * oddValues.length)];
        if (value === undefined) delete message[field];
        else message[field] = value;
      }
      const data = r() < 0.02 ? new TextEncoder().encode(JSON.stringify(message).slice(0, -1)) : encodeMessage(message);
      const fast = decodeLossReport(data);
      const slow = decodeMessage(LossReport, data);
      expect(fast).toEqual(slow);
      if (fast.ok && slow.ok) {
        accepted += 1;
        expect(Object.keys(fast.value).sort()).toEqual(Object.keys(slow.value).sort());
      }
    }
    // Both sides of the border were tried.
    expect(accepted).toBeGreaterThan(2000);
    expect(accepted).toBeLessThan(18_000);
  });

  it('agrees on raw bytes: a byte-order mark, invalid UTF-8 in a known or an unknown field', () => {
    const json = new TextEncoder().encode(JSON.stringify({ ...base, extra: 'xx' }));
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...json]);
    const badExtra = Buffer.from(JSON.stringify({ ...base, extra: 'XX' }).replace('XX', '\u0000'), 'utf8');
    badExtra[badExtra.indexOf(0)] = 0xff;
    const badId = Buffer.from(JSON.stringify({ ...base, trialId: 'tZ' }).replace('tZ', 't\u0000'), 'utf8');
    badId[badId.indexOf(0)] = 0xc3;
    for (const data of [withBom, Buffer.from(withBom), badExtra, badId, new Uint8Array(badExtra)]) expect(decodeLossReport(data)).toEqual(decodeMessage(LossReport, data));
  });

  it('reads the non-finite losses workers send', () => {
    const data = encodeMessage({ ...base, loss: NaN, valLoss: Infinity });
    const decoded = decodeLossReport(data);
    expect(decoded.ok && decoded.value.loss).toBeNaN();
    expect(decoded.ok && decoded.value.valLoss).toBe(Infinity);
  });
});
