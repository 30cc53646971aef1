/**
 * What the scheduler keeps of a trial's loss curve in memory, bounded whatever the number of
 * steps: the full curve stays on JetStream (every loss report is a journal entry).
 */

/**
 * A trial's smoothed loss by step (steps strictly increasing), for "the smoothed loss at the last
 * report at or before step s" (binary search). At most `capacity` points: when full, every other
 * older point goes (the first and the two newest stay), so the curve keeps its whole span, exact at
 * the start and at the newest points and coarser in between. Up to `capacity` reports per trial
 * nothing is dropped, and the value at any step between the two newest reports is always exact.
 * Deterministic: the same reports keep the same points.
 */
export class Curve {
  private steps: number[] = [];
  private values: number[] = [];

  constructor(private readonly capacity: number) {
    if (!(capacity >= 4)) throw new RangeError('a curve keeps at least 4 points');
  }

  get length(): number {
    return this.steps.length;
  }

  /** The value of the first point (undefined when empty). */
  get first(): number | undefined {
    return this.values[0];
  }

  push(step: number, value: number): void {
    this.steps.push(step);
    this.values.push(value);
    if (this.steps.length > this.capacity) this.compact();
  }

  private compact(): void {
    const newest = this.steps.length - 2;
    let w = 0;
    for (let i = 0; i < newest; i += 2) {
      this.steps[w] = this.steps[i]!;
      this.values[w] = this.values[i]!;
      w += 1;
    }
    for (let i = newest; i < this.steps.length; i++) {
      this.steps[w] = this.steps[i]!;
      this.values[w] = this.values[i]!;
      w += 1;
    }
    this.steps.length = w;
    this.values.length = w;
  }

  /** Index of the last point at or before `step`, −1 when none. */
  private indexAt(step: number): number {
    let lo = 0;
    let hi = this.steps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.steps[mid]! <= step) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The value at the last point at or before `step`. */
  at(step: number): number | undefined {
    const i = this.indexAt(step);
    return i < 0 ? undefined : this.values[i];
  }

  /** Forgets the points after `step`. */
  truncate(step: number): void {
    const keep = this.indexAt(step) + 1;
    this.steps.length = keep;
    this.values.length = keep;
  }
}

export interface Report {
  step: number;
  loss: number;
}

/**
 * A trial's raw loss reports, for the stagnation trend over the last `windowSteps` steps: the
 * reports of the window, at most `capacity` of them (the newest), and a copy of the window as it
 * was at the last checkpoint, which a resume goes back to. Also the step of the trial's first
 * report, which tells whether its reports cover the whole window.
 */
export class ReportWindow {
  private items: Report[] = [];
  private head = 0;
  /** The window at the last checkpoint (see `mark`). */
  private atCheckpoint: { step: number; items: Report[] } | undefined;
  /** Step of the first report (undefined: none). */
  firstStep: number | undefined;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 4)) throw new RangeError('a report window keeps at least 4 reports');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds a report (steps strictly increasing), forgetting those at or before `forgetUpTo`. */
  push(step: number, loss: number, forgetUpTo: number): void {
    if (this.firstStep === undefined) this.firstStep = step;
    this.items.push({ step, loss });
    while (this.head < this.items.length && (this.items[this.head]!.step <= forgetUpTo || this.items.length - this.head > this.capacity)) this.head += 1;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The reports after `step`, oldest first. */
  since(step: number): Report[] {
    let lo = this.head;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]!.step > step) hi = mid;
      else lo = mid + 1;
    }
    return this.items.slice(lo);
  }

  /** Keeps a copy of the reports in (step − windowSteps, step]: the window of a resume from a checkpoint at `step`. */
  mark(step: number, windowSteps: number): void {
    this.atCheckpoint = { step, items: this.since(step - windowSteps).filter((r) => r.step <= step) };
  }

  /** Forgets the reports after `step` (a resume from there: from its checkpoint's copy when there is one). */
  truncate(step: number): void {
    if (this.atCheckpoint?.step === step) {
      this.items = [...this.atCheckpoint.items];
      this.head = 0;
    } else {
      while (this.items.length > this.head && this.items[this.items.length - 1]!.step > step) this.items.pop();
    }
    if (this.firstStep !== undefined && this.firstStep > step) {
      this.firstStep = undefined;
      this.items = [];
      this.head = 0;
    }
  }
}
