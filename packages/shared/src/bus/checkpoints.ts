import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageType, type JetStreamClient, type ObjectStore } from 'nats';
import { CHECKPOINT_BUCKET } from './jetstream.js';

/**
 * Where paused and running trials' states go, so that any worker reading the same store can resume
 * them. Names are `sweepId/trialId/step`. Two kinds: JetStream's object store (a cluster), or a
 * directory every worker can read (the local workers of `lrsweep run`, or a shared volume).
 */
export interface CheckpointStore {
  put(name: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null when there is no such checkpoint. */
  get(name: string): Promise<Uint8Array | null>;
  /** The names in the store that start with `prefix` (every name without one). */
  list(prefix?: string): Promise<string[]>;
  delete(name: string): Promise<void>;
}

export function objectStoreCheckpoints(store: ObjectStore): CheckpointStore {
  return {
    put: async (name, bytes) => {
      await store.putBlob({ name }, bytes);
    },
    get: (name) => store.getBlob(name),
    list: async (prefix = '') => (await store.list()).map((info) => info.name).filter((name) => name.startsWith(prefix)),
    delete: async (name) => {
      await store.delete(name);
    },
  };
}

/** The checkpoint bucket of this JetStream (created by whichever process comes first). */
export async function checkpointStore(js: JetStreamClient): Promise<CheckpointStore> {
  return objectStoreCheckpoints(await js.views.os(CHECKPOINT_BUCKET, { storage: StorageType.File }));
}

export class CheckpointNameError extends Error {
  constructor(readonly checkpointName: string) {
    super(`checkpoint name ${JSON.stringify(checkpointName)} is not sweepId/trialId/step (letters, digits, '-', '_' and '.' in each part)`);
    this.name = 'CheckpointNameError';
  }
}

/** One part of a name: no separator, and no leading dot (so never '.' or '..'). */
const isPart = (part: string): boolean => /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(part);

/**
 * Checkpoints as files under `dir`, one per name (`dir/sweepId/trialId/step`). A file is written
 * beside its place and renamed there, so a reader sees a whole checkpoint or none, even while
 * another process writes the same step.
 */
export function directoryCheckpoints(dir: string): CheckpointStore {
  const pathOf = (name: string): string => {
    const parts = name.split('/');
    // Names come from ids the coordinator checked; this keeps a bad one from leaving the directory.
    if (parts.length !== 3 || !parts.every(isPart)) throw new CheckpointNameError(name);
    return join(dir, ...parts);
  };
  return {
    put: async (name, bytes) => {
      const path = pathOf(name);
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      // A delete of the trial's last other checkpoint may remove the directory between our mkdir
      // and our write: make it again.
      for (let attempt = 1; ; attempt++) {
        try {
          await mkdir(join(path, '..'), { recursive: true });
          await writeFile(temporary, bytes);
          await rename(temporary, path);
          return;
        } catch (error) {
          await rm(temporary, { force: true });
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
        }
      }
    },
    get: async (name) => {
      try {
        const buffer = await readFile(pathOf(name));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    list: async (prefix = '') => {
      // Only the directory the prefix's whole parts name is read (a trial's, when deleting one).
      const whole = prefix.split('/').slice(0, -1).slice(0, 2);
      if (!whole.every(isPart)) return [];
      const from = join(dir, ...whole);
      const names: string[] = [];
      for (const entry of await readdir(from, { recursive: true, withFileTypes: true }).catch(missingAsEmpty)) {
        if (!entry.isFile() || entry.name.endsWith('.tmp')) continue;
        const parts = [...whole, ...join(entry.parentPath, entry.name).slice(from.length).split(/[/\\]/).filter((p) => p !== '')];
        const name = parts.join('/');
        if (parts.length === 3 && name.startsWith(prefix)) names.push(name);
      }
      return names;
    },
    delete: async (name) => {
      const path = pathOf(name);
      await rm(path, { force: true });
      // Empty trial and sweep directories go too; one still in use by a writer stays.
      for (const parent of [join(path, '..'), join(path, '..', '..')]) {
        const removed = await rmdir(parent).then(
          () => true,
          () => false,
        );
        if (!removed) break;
      }
    },
  };
}

function missingAsEmpty(error: unknown): never[] {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
  throw error;
}
