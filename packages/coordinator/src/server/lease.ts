import type { KV } from 'nats';

/** Who holds the lease, as the key's value says. */
export interface LeaseHolder {
  id: string;
  host: string;
  pid: number;
  sinceMs: number;
}

/** The lease was lost: another coordinator holds it now, or it could not be renewed in time. */
export class LeaseLostError extends Error {
  constructor(
    message: string,
    readonly holder: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LeaseLostError';
  }
}

/** Another coordinator holds the lease, and this one was asked not to wait for it. */
export class LeaseHeldError extends Error {
  constructor(readonly holder: LeaseHolder | undefined) {
    super(`another coordinator holds this NATS server's journal${holder ? ` (${holder.id} on ${holder.host}, pid ${holder.pid}, since ${new Date(holder.sinceMs).toISOString()})` : ''}`);
    this.name = 'LeaseHeldError';
  }
}

const KEY = 'leader';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One coordinator per journal: a key in a JetStream key-value bucket whose entries expire after
 * `ttlMs` (the bucket's TTL). The holder renews it every third of that; a coordinator that dies
 * stops renewing, and another takes it over once the key has expired. A holder that finds another
 * coordinator holding the key is told through `onLost` and must stop acting: that one folds the
 * same journal and calls the same workers.
 *
 * Lifecycle: acquire() waits (STANDBY) until it holds the key → HELD (renewing) → released
 * (release(): the key is deleted, a standby takes over at once) or LOST.
 */
export class CoordinatorLease {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private takenAt: number;

  private constructor(
    private readonly kv: KV,
    readonly holder: LeaseHolder,
    private revision: number,
    ttlMs: number,
    private readonly onLost: (error: LeaseLostError) => void,
    private readonly onRetaken: ((epoch: number) => void) | undefined,
  ) {
    this.takenAt = revision;
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /**
   * Resolves once this process holds the lease. While another holds it, calls `onWait` with that
   * holder (once per holder) and tries again every quarter of the TTL; with `wait: false`, rejects
   * with a LeaseHeldError instead. Rejects when `signal` aborts.
   */
  static async acquire(
    kv: KV,
    holder: LeaseHolder,
    options: {
      ttlMs: number;
      wait?: boolean;
      onWait?: (current: LeaseHolder | undefined) => void;
      onLost: (error: LeaseLostError) => void;
      /** The key lapsed while this holder was cut off, nobody took it, and this holder took it again at a new epoch. */
      onRetaken?: (epoch: number) => void;
      signal?: AbortSignal;
    },
  ): Promise<CoordinatorLease> {
    let lastSeen: string | undefined;
    for (;;) {
      if (options.signal?.aborted) throw new Error('gave up waiting for the coordinator lease', { cause: options.signal.reason });
      try {
        const revision = await kv.create(KEY, encoder.encode(JSON.stringify(holder)));
        return new CoordinatorLease(kv, holder, revision, options.ttlMs, options.onLost, options.onRetaken);
      } catch (error) {
        // Held by another (or a race with one): see who, wait, try again.
        const entry = await kv.get(KEY).catch(() => null);
        const current = entry && entry.operation === 'PUT' ? parseHolder(entry.value) : undefined;
        if (!current && entry === null && !isWrongSequence(error)) throw error;
        // A holder on this host whose process is gone (killed, or this very container restarted
        // with the same pid) cannot renew: take over now rather than after the TTL.
        if (current && entry && current.host === holder.host && current.id !== holder.id && (current.pid === holder.pid || !processAlive(current.pid))) {
          const revision = await kv.update(KEY, encoder.encode(JSON.stringify(holder)), entry.revision).catch(() => undefined);
          if (revision !== undefined) return new CoordinatorLease(kv, holder, revision, options.ttlMs, options.onLost, options.onRetaken);
        }
        // Released or expired between the two calls: try again at once.
        if (!current && entry !== null && entry.operation !== 'PUT' && isWrongSequence(error)) continue;
        if (options.wait === false) throw new LeaseHeldError(current);
        const seen = current ? current.id : 'unknown';
        if (seen !== lastSeen) options.onWait?.(current);
        lastSeen = seen;
        await new Promise((r) => setTimeout(r, Math.max(50, Math.floor(options.ttlMs / 4))));
      }
    }
  }

  /**
   * The fencing token: the key's revision when this holder took it, above that of every earlier
   * holder. Every call to a worker carries it, and a worker refuses one below the highest it has
   * seen: a holder that was replaced while paused cannot act before it notices.
   */
  get epoch(): number {
    return this.takenAt;
  }

  /** A worker refused a call: it has seen `epoch`, above this holder's. Stops, and reports the lease lost. */
  fenced(epoch: number): void {
    if (this.released) return;
    this.stop();
    this.onLost(new LeaseLostError(`a worker has seen coordinator epoch ${epoch}, above this one's (${this.takenAt}): another coordinator took over`, 'unknown'));
  }

  /**
   * Renews the key. Cut off from NATS, it keeps trying (the key may expire meanwhile; a coordinator
   * cut off folds no new entry, so it decides nothing); back in touch, it takes the key again if
   * nobody else did, and reports the lease lost only when another coordinator holds it.
   */
  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      this.revision = await this.kv.update(KEY, encoder.encode(JSON.stringify(this.holder)), this.revision);
      return;
    } catch {
      // Look at the key below.
    }
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await this.kv.get(KEY);
    } catch {
      return; // NATS unreachable: try again at the next renewal.
    }
    if (this.released) return;
    const current = entry && entry.operation === 'PUT' ? parseHolder(entry.value) : undefined;
    if (current?.id === this.holder.id && entry) {
      // Our update landed, its answer did not.
      this.revision = entry.revision;
      return;
    }
    if (current) {
      this.stop();
      this.onLost(new LeaseLostError(`the coordinator lease is held by ${current.id} (${current.host}, pid ${current.pid}) now`, current.id));
      return;
    }
    // Expired while we were cut off, and nobody took it: take it again (a new epoch: another may
    // have held it in between, and its epoch is what the workers have seen).
    const taken = await this.kv.create(KEY, encoder.encode(JSON.stringify(this.holder))).catch(() => undefined);
    if (taken === undefined || this.released) return;
    this.revision = this.takenAt = taken;
    this.onRetaken?.(taken);
  }

  private stop(): void {
    this.released = true;
    clearInterval(this.timer);
  }

  /** Stops renewing and deletes the key if it is still ours: a standby need not wait for the TTL. */
  async release(): Promise<void> {
    if (this.released) return;
    this.stop();
    await this.kv.delete(KEY, { previousSeq: this.revision }).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(value: Uint8Array): LeaseHolder | undefined {
  try {
    const parsed = JSON.parse(decoder.decode(value)) as Partial<LeaseHolder>;
    return typeof parsed.id === 'string' ? { id: parsed.id, host: String(parsed.host ?? '?'), pid: Number(parsed.pid ?? 0), sinceMs: Number(parsed.sinceMs ?? 0) } : undefined;
  } catch {
    return undefined;
  }
}

const isWrongSequence = (error: unknown): boolean => /wrong last sequence|key exists/i.test((error as Error)?.message ?? '');
