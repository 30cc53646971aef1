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

/** One invalid field of a request, named by its proto field path (`spec.grid.min`), as google.rpc.BadRequest has it. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/**
 * A sweep spec received as a proto message (lrsweep.v1.SweepSpec) did not validate. Each violation
 * names the proto field path in snake_case under `spec.` (`spec.range_test.steps`); servers answer
 * it as INVALID_ARGUMENT (see `invalidArgument` in grpc/errors.ts). `cause` is the SpecError.
 */
export class ProtoSpecError extends Error {
  override readonly name = 'ProtoSpecError';
  constructor(
    readonly violations: readonly FieldViolation[],
    options?: ErrorOptions,
  ) {
    super(ProtoSpecError.format(violations), options);
  }

  static format(violations: readonly FieldViolation[]): string {
    const head = `invalid sweep spec message (${violations.length} problem${violations.length === 1 ? '' : 's'})`;
    return [head, ...violations.map((v) => `  ${v.field}: ${v.description}`)].join('\n');
  }
}
