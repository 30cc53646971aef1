import type { TrainerSnapshot } from './trainer.js';

const MAGIC = 0x4c525331; // "LRS1"

interface Header {
  step: number;
  epochRngState: number;
  batchCursor: number;
  iterations: number;
  weights: number[];
  slots: Record<string, number[]>;
}

/**
 * A trainer snapshot as bytes, for the checkpoint store: magic, header length, a JSON header with
 * the scalars and every tensor's length, then the float32 data in header order (little-endian).
 */
export function encodeSnapshot(snapshot: TrainerSnapshot): Uint8Array {
  const slotNames = Object.keys(snapshot.optimizer.slots).sort();
  const header: Header = {
    step: snapshot.step,
    epochRngState: snapshot.epochRngState,
    batchCursor: snapshot.batchCursor,
    iterations: snapshot.optimizer.iterations,
    weights: snapshot.weights.map((w) => w.length),
    slots: Object.fromEntries(slotNames.map((name) => [name, snapshot.optimizer.slots[name]!.map((a) => a.length)])),
  };
  const arrays = [...snapshot.weights, ...slotNames.flatMap((name) => snapshot.optimizer.slots[name]!)];
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataOffset = 8 + json.length + ((4 - ((8 + json.length) % 4)) % 4);
  const total = dataOffset + arrays.reduce((n, a) => n + a.length * 4, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let offset = dataOffset;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, offset += 4) view.setFloat32(offset, a[i]!, true);
  }
  return bytes;
}

export function decodeSnapshot(bytes: Uint8Array): TrainerSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('not an lrsweep checkpoint');
  const jsonLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as Header;
  let offset = 8 + jsonLength + ((4 - ((8 + jsonLength) % 4)) % 4);
  const take = (length: number) => {
    const a = new Float32Array(length);
    for (let i = 0; i < length; i++, offset += 4) a[i] = view.getFloat32(offset, true);
    return a;
  };
  const weights = header.weights.map(take);
  const slots: Record<string, Float32Array[]> = {};
  for (const name of Object.keys(header.slots).sort()) slots[name] = header.slots[name]!.map(take);
  if (offset !== bytes.byteLength) throw new Error(`checkpoint has ${bytes.byteLength - offset} trailing bytes`);
  return { step: header.step, epochRngState: header.epochRngState, batchCursor: header.batchCursor, weights, optimizer: { iterations: header.iterations, slots } };
}
