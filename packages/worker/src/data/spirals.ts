import { SeededRandom } from '@lrsweep/shared';
import type { LabelledData } from './dataset.js';

/**
 * Interleaved spirals (the CS231n toy problem): `classes` arms of `pointsPerClass` points in 2-D,
 * with Gaussian angular noise. Not linearly separable, so rate and capacity both matter.
 */
export function makeSpirals(options: { classes: number; pointsPerClass: number; noise: number; seed: number }): LabelledData {
  const { classes, pointsPerClass, noise, seed } = options;
  const rng = new SeededRandom(seed);
  const features = new Float32Array(classes * pointsPerClass * 2);
  const labels = new Int32Array(classes * pointsPerClass);
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const row = k * pointsPerClass + i;
      const radius = i / Math.max(1, pointsPerClass - 1);
      const theta = (k * 2 * Math.PI) / classes + radius * 4 + rng.normal() * noise;
      features[row * 2] = radius * Math.sin(theta);
      features[row * 2 + 1] = radius * Math.cos(theta);
      labels[row] = k;
    }
  }
  return { features, labels, featureShape: [2], numClasses: classes };
}
