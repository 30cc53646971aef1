import type { OptimizerSnapshot } from './optimizers.js';
import type { TrainerSnapshot } from './trainer.js';

/** "LRS2": optimizer state per layer group. "LRS1" (one optimizer) is still read. */
const MAGIC = 0x4c525332;
const MAGIC_V1 = 0x4c525331;

interface GroupHeader {
  iterations: number;
  slots: Record<string, number[]>;
}

interface Header {
  step: number;
  epochRngState: number;
  batchCursor: number;
  weights: number[];
  groups: GroupHeader[];
}

/** Float32Array holds the host's byte order: on a little-endian host its bytes are the file's. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** Version 1 kept one optimizer's iterations and slots at the top level. */
interface HeaderV1 extends Omit<Header, 'groups'>, GroupHeader {}

/**
 * A trainer snapshot as bytes, for the checkpoint store: magic, header length, a JSON header with
 * the scalars and every tensor's length, then the float32 data in header order (little-endian):
 * the weights, then each layer group's optimizer slots (by slot name, sorted).
 */
export function encodeSnapshot(snapshot: TrainerSnapshot, littleEndianHost = HOST_LITTLE_ENDIAN): Uint8Array {
  const groups = snapshot.optimizers.map((o) => ({ o, names: Object.keys(o.slots).sort() }));
  const header: Header = {
    step: snapshot.step,
    epochRngState: snapshot.epochRngState,
    batchCursor: snapshot.batchCursor,
    weights: snapshot.weights.map((w) => w.length),
    groups: groups.map(({ o, names }) => ({ iterations: o.iterations, slots: Object.fromEntries(names.map((name) => [name, o.slots[name]!.map((a) => a.length)])) })),
  };
  const arrays = [...snapshot.weights, ...groups.flatMap(({ o, names }) => names.flatMap((name) => o.slots[name]!))];
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
    // Whole arrays at memory speed (a checkpoint at every rung: 400 KB for the MNIST MLP); value
    // by value only on a big-endian host.
    if (littleEndianHost) {
      bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
      offset += a.byteLength;
    } else {
      for (let i = 0; i < a.length; i++, offset += 4) view.setFloat32(offset, a[i]!, true);
    }
  }
  return bytes;
}

export function decodeSnapshot(bytes: Uint8Array, littleEndianHost = HOST_LITTLE_ENDIAN): TrainerSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.byteLength >= 8 ? view.getUint32(0, true) : 0;
  if (magic !== MAGIC && magic !== MAGIC_V1) throw new Error('not an lrsweep checkpoint');
  const jsonLength = view.getUint32(4, true);
  const parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLength))) as Header | HeaderV1;
  const groups: GroupHeader[] = magic === MAGIC ? (parsed as Header).groups : [{ iterations: (parsed as HeaderV1).iterations, slots: (parsed as HeaderV1).slots }];
  let offset = 8 + jsonLength + ((4 - ((8 + jsonLength) % 4)) % 4);
  const take = (length: number) => {
    const a = new Float32Array(length);
    if (offset + length * 4 > bytes.byteLength) throw new Error(`checkpoint is truncated: ${bytes.byteLength} bytes, its header says at least ${offset + length * 4}`);
    if (littleEndianHost) {
      // A copy, not a view: the bytes may sit at any offset of a buffer that is reused.
      new Uint8Array(a.buffer).set(bytes.subarray(offset, offset + length * 4));
      offset += length * 4;
    } else {
      for (let i = 0; i < length; i++, offset += 4) a[i] = view.getFloat32(offset, true);
    }
    return a;
  };
  const weights = parsed.weights.map(take);
  const optimizers = groups.map((g): OptimizerSnapshot => {
    const slots: Record<string, Float32Array[]> = {};
    for (const name of Object.keys(g.slots).sort()) slots[name] = g.slots[name]!.map(take);
    return { iterations: g.iterations, slots };
  });
  if (offset !== bytes.byteLength) throw new Error(`checkpoint has ${bytes.byteLength - offset} trailing bytes`);
  return { step: parsed.step, epochRngState: parsed.epochRngState, batchCursor: parsed.batchCursor, weights, optimizers };
}
