import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { TrainerSnapshot } from './trainer.js';

describe('snapshot codec', () => {
  it('round-trips every number exactly, NaN and infinities included', () => {
    const snapshot: TrainerSnapshot = {
      step: 175,
      epochRngState: 0xdeadbeef,
      batchCursor: 12,
      weights: [Float32Array.from([1.5, -2.25, NaN, Infinity]), Float32Array.from([3e-38, -0])],
      optimizer: { iterations: 175, slots: { v: [Float32Array.from([0.1, 0.2, 0.3, 0.4]), Float32Array.from([5, 6])], m: [Float32Array.from([7, 8, 9, 10]), Float32Array.from([11, 12])] } },
    };
    const back = decodeSnapshot(encodeSnapshot(snapshot));
    expect(back.step).toBe(175);
    expect(back.epochRngState).toBe(0xdeadbeef);
    expect(back.batchCursor).toBe(12);
    expect(back.weights).toEqual(snapshot.weights);
    expect(back.optimizer).toEqual(snapshot.optimizer);
  });

  it('rejects bytes that are not a checkpoint, or truncated', () => {
    expect(() => decodeSnapshot(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not an lrsweep checkpoint/);
    const bytes = encodeSnapshot({ step: 1, epochRngState: 1, batchCursor: 0, weights: [Float32Array.from([1, 2])], optimizer: { iterations: 1, slots: {} } });
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 4))).toThrow();
  });
});
