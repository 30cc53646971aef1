/**
 * A range-test worker process: loads the data once, then runs the seeds its parent sends, one at a
 * time, streaming every step back over IPC. Forked by `runRangeTest`.
 */
import type { SweepSpec } from '@lrsweep/shared';
import { selectBackend, type BackendChoice } from '../backend/select.js';
import type { DataSplits } from '../data/dataset.js';
import { loadDataSplits } from '../data/load.js';
import { runRangeTestSeed } from './run.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

let splits: DataSplits | undefined;
let cancel = new AbortController();

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function runSeed(spec: SweepSpec, seed: number, backendChoice: BackendChoice): Promise<void> {
  const backend = await selectBackend(backendChoice);
  splits ??= loadDataSplits(spec);
  const result = await runRangeTestSeed(spec, splits, seed, {
    backend: backend.name,
    signal: cancel.signal,
    onStep: (point) => send({ type: 'step', seed, point }),
  });
  send({ type: 'result', result });
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') {
    cancel.abort();
    cancel = new AbortController();
    return;
  }
  if (message.type === 'close') {
    process.disconnect();
    return;
  }
  runSeed(message.spec, message.seed, message.backend).catch((error: unknown) => {
    send({ type: 'error', seed: message.seed, message: error instanceof Error ? error.message : String(error) });
  });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
