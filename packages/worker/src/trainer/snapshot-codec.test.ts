import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, HOST_LITTLE_ENDIAN } from './snapshot-codec.js';
import type { TrainerSnapshot } from './trainer.js';

describe('snapshot codec', () => {
  it('round-trips every number exactly, NaN and infinities included, with optimizer state per layer group', () => {
    const snapshot: TrainerSnapshot = {
      step: 175,
      epochRngState: 0xdeadbeef,
      batchCursor: 12,
      weights: [Float32Array.from([1.5, -2.25, NaN, Infinity]), Float32Array.from([3e-38, -0])],
      optimizers: [
        { iterations: 175, slots: { v: [Float32Array.from([0.1, 0.2, 0.3, 0.4])], m: [Float32Array.from([7, 8, 9, 10])] } },
        { iterations: 60, slots: { v: [Float32Array.from([5, 6])], m: [Float32Array.from([11, 12])] } },
      ],
    };
    const back = decodeSnapshot(encodeSnapshot(snapshot));
    expect(back.step).toBe(175);
    expect(back.epochRngState).toBe(0xdeadbeef);
    expect(back.batchCursor).toBe(12);
    expect(back.weights).toEqual(snapshot.weights);
    expect(back.optimizers).toEqual(snapshot.optimizers);
  });

  it('reads version-1 checkpoints (one optimizer) as one layer group', () => {
    const header = JSON.stringify({ step: 3, epochRngState: 9, batchCursor: 1, iterations: 3, weights: [2], slots: { momentum: [2] } });
    const json = new TextEncoder().encode(header);
    const dataOffset = 8 + json.length + ((4 - ((8 + json.length) % 4)) % 4);
    const bytes = new Uint8Array(dataOffset + 16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x4c525331, true);
    view.setUint32(4, json.length, true);
    bytes.set(json, 8);
    [1, 2, 0.5, -0.5].forEach((x, i) => view.setFloat32(dataOffset + 4 * i, x, true));
    const back = decodeSnapshot(bytes);
    expect(back.weights).toEqual([Float32Array.from([1, 2])]);
    expect(back.optimizers).toEqual([{ iterations: 3, slots: { momentum: [Float32Array.from([0.5, -0.5])] } }]);
  });

  it('rejects bytes that are not a checkpoint, or truncated', () => {
    expect(() => decodeSnapshot(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not an lrsweep checkpoint/);
    const bytes = encodeSnapshot({ step: 1, epochRngState: 1, batchCursor: 0, weights: [Float32Array.from([1, 2])], optimizers: [{ iterations: 1, slots: {} }] });
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 4))).toThrow();
  });

  it('writes the same little-endian bytes whichever way the host orders floats, and reads them back either way', () => {
    expect(HOST_LITTLE_ENDIAN).toBe(true);
    const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 43758.5453);
    const snapshot: TrainerSnapshot = {
      step: 375,
      epochRngState: 42,
      batchCursor: 7,
      weights: [random(784 * 128, 1), random(128, 2), random(1280, 3), Float32Array.from([NaN, -Infinity, -0])],
      optimizers: [{ iterations: 375, slots: { m: [random(100, 4)], v: [random(3, 5)] } }],
    };
    const fast = encodeSnapshot(snapshot);
    const portable = encodeSnapshot(snapshot, false);
    expect(Buffer.from(fast).equals(Buffer.from(portable))).toBe(true);
    // The first weight's bytes in the file are little-endian, as the format says.
    const first = snapshot.weights[0]![0]!;
    const view = new DataView(fast.buffer);
    const dataOffset = 8 + view.getUint32(4, true);
    expect(view.getFloat32(dataOffset + ((4 - (dataOffset % 4)) % 4), true)).toBe(first);
    // At an odd offset in a larger buffer (a message or a pooled Buffer): copied out, not viewed.
    const shifted = new Uint8Array(fast.length + 3);
    shifted.set(fast, 3);
    for (const back of [decodeSnapshot(shifted.subarray(3)), decodeSnapshot(fast, false)]) {
      expect(back.weights).toEqual(snapshot.weights);
      expect(back.optimizers).toEqual(snapshot.optimizers);
      expect(back.weights[0]!.buffer).not.toBe(shifted.buffer);
    }
    expect(() => decodeSnapshot(fast.subarray(0, fast.length - 4))).toThrow(/truncated/);
  });
});
