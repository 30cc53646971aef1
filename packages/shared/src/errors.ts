/** A problem in a sweep spec, located by its field path (`grid.min`), with a suggested fix. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(
    readonly issues: readonly SpecIssue[],
    readonly source?: string,
    options?: ErrorOptions,
  ) {
    super(SpecError.format(issues, source), options);
  }

  static format(issues: readonly SpecIssue[], source?: string): string {
    const head = `invalid sweep spec${source ? ` ${source}` : ''} (${issues.length} problem${issues.length === 1 ? '' : 's'})`;
    return [head, ...issues.map((i) => `  ${i.path || '(root)'}: ${i.message}\n    fix: ${i.fix}`)].join('\n');
  }
}

/** The trainer was asked for something the data or model cannot do (a shape mismatch, too many parameters). */
export class TrainingSetupError extends Error {
  override readonly name = 'TrainingSetupError';
  constructor(
    message: string,
    readonly field?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
