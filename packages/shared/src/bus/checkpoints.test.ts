import { mkdtempSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointNameError, directoryCheckpoints } from './checkpoints.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'lrsweep-checkpoints-test-'));
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('directoryCheckpoints', () => {
  it('round-trips bytes by name, and answers null for a checkpoint it does not have', async () => {
    const store = directoryCheckpoints(fresh());
    await store.put('sw1/t001/25', bytes(1000, 7));
    expect(await store.get('sw1/t001/25')).toEqual(bytes(1000, 7));
    expect(await store.get('sw1/t001/75')).toBeNull();
    expect(await store.get('sw2/t001/25')).toBeNull();
    // The same step written again (another attempt of a deterministic trial) replaces it whole.
    await store.put('sw1/t001/25', bytes(10, 9));
    expect(await store.get('sw1/t001/25')).toEqual(bytes(10, 9));
  });

  it('lists every name, or those under a prefix, without half-written files', async () => {
    const dir = fresh();
    const store = directoryCheckpoints(dir);
    expect(await directoryCheckpoints(join(dir, 'not-there')).list()).toEqual([]);
    for (const name of ['sw1/t001/25', 'sw1/t001/75', 'sw1/t002/25', 'sw1/t0010/25', 'sw2/t001/25']) await store.put(name, bytes(4, 1));
    // A writer's temporary file, as a crash mid-write would leave it.
    writeFileSync(join(dir, 'sw1', 't001', '225.abcdef.tmp'), bytes(4, 1));
    expect((await store.list()).sort()).toEqual(['sw1/t001/25', 'sw1/t001/75', 'sw1/t0010/25', 'sw1/t002/25', 'sw2/t001/25']);
    expect((await store.list('sw1/t001/')).sort()).toEqual(['sw1/t001/25', 'sw1/t001/75']);
    expect((await store.list('sw1/t001')).sort()).toEqual(['sw1/t001/25', 'sw1/t001/75', 'sw1/t0010/25']);
    expect((await store.list('sw1/')).length).toBe(4);
    expect(await store.list('sw1/t001/7')).toEqual(['sw1/t001/75']);
    expect(await store.list('sw3/')).toEqual([]);
    expect(await store.list('../')).toEqual([]);
  });

  it('deletes a checkpoint, and the trial and sweep directories it leaves empty', async () => {
    const dir = fresh();
    const store = directoryCheckpoints(dir);
    await store.put('sw1/t001/25', bytes(4, 1));
    await store.put('sw1/t001/75', bytes(4, 1));
    await store.put('sw1/t002/25', bytes(4, 1));
    await store.delete('sw1/t001/25');
    expect(await store.list()).toHaveLength(2);
    await store.delete('sw1/t001/75');
    expect(existsSync(join(dir, 'sw1', 't001'))).toBe(false);
    expect(existsSync(join(dir, 'sw1'))).toBe(true);
    await store.delete('sw1/t002/25');
    expect(readdirSync(dir)).toEqual([]);
    // Deleting what is not there is no error (two deleters of one trial).
    await store.delete('sw1/t002/25');
    // A checkpoint written after its directories went is kept.
    await store.put('sw1/t002/75', bytes(4, 2));
    expect(await store.get('sw1/t002/75')).toEqual(bytes(4, 2));
  });

  it('refuses a name that is not sweepId/trialId/step, or that would leave the directory', async () => {
    const dir = fresh();
    const store = directoryCheckpoints(dir);
    for (const name of ['../x/1', 'sw1/../../1', 'sw1/t1', 'sw1/t1/2/3', '/etc/passwd/1', 'sw 1/t1/2', 'sw1//2', '.hidden/t1/2']) {
      await expect(store.put(name, bytes(1, 0)), name).rejects.toBeInstanceOf(CheckpointNameError);
      await expect(store.get(name), name).rejects.toBeInstanceOf(CheckpointNameError);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a reader sees a whole checkpoint or none while writers race on the same name', async () => {
    const store = directoryCheckpoints(fresh());
    const size = 1 << 20;
    const seen = new Set<number>();
    const writers = Array.from({ length: 8 }, (_, i) => store.put('sw1/t001/25', bytes(size, i + 1)));
    let done = false;
    const reader = (async () => {
      while (!done) {
        const got = await store.get('sw1/t001/25');
        if (got) {
          expect(got.byteLength).toBe(size);
          // One writer's bytes, all of them.
          expect(got.every((b) => b === got[0])).toBe(true);
          seen.add(got[0]!);
        }
      }
    })();
    await Promise.all(writers);
    done = true;
    await reader;
    const last = await store.get('sw1/t001/25');
    expect(last?.byteLength).toBe(size);
    expect(await store.list()).toEqual(['sw1/t001/25']);
  });

  it('is not confused by other files in its directory', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'lost+found'));
    writeFileSync(join(dir, 'README'), 'x');
    const store = directoryCheckpoints(dir);
    await store.put('sw1/t001/25', bytes(4, 1));
    expect(await store.list()).toEqual(['sw1/t001/25']);
  });
});
