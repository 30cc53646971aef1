import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerSpec } from '@lrsweep/shared';

export interface OptimizerSnapshot {
  iterations: number;
  slots: Record<string, Float32Array[]>;
}

/** Per-step hyper-parameters: the rate always, the momentum where a schedule drives it (one-cycle). */
export interface StepHyper {
  learningRate: number;
  momentum?: number;
}

/**
 * Our own optimizers rather than tfjs's: tfjs fixes momentum at construction (setMomentum is a
 * no-op) and gives Adam no rate setter, and we need the slot state in plain view for checkpoints.
 * Updates follow tfjs's formulas, so results match `tf.train.*` at a constant rate.
 */
export abstract class Optimizer {
  /** Updates applied so far (Adam's bias correction counts them). */
  iterations = 0;
  protected readonly slots = new Map<string, tf.Variable[]>();

  constructor(protected readonly variables: readonly tf.Variable[]) {}

  protected slot(name: string): tf.Variable[] {
    let vars = this.slots.get(name);
    if (!vars) {
      vars = this.variables.map((v) => tf.variable(tf.zerosLike(v), false, `${v.name}/${name}`));
      this.slots.set(name, vars);
    }
    return vars;
  }

  /** Applies one update. `gradients[i]` belongs to `variables[i]`. */
  apply(gradients: readonly tf.Tensor[], hyper: StepHyper): void {
    this.iterations += 1;
    tf.tidy(() => this.update(gradients, hyper));
  }

  protected abstract update(gradients: readonly tf.Tensor[], hyper: StepHyper): void;

  /** Slot tensors by name, in variable order (for checkpoints). */
  state(): { iterations: number; slots: Record<string, tf.Variable[]> } {
    return { iterations: this.iterations, slots: Object.fromEntries(this.slots) };
  }

  /** A copy of the optimizer state in plain arrays (for pausing and checkpoints). */
  snapshot(): OptimizerSnapshot {
    const slots: Record<string, Float32Array[]> = {};
    for (const [name, vars] of this.slots) slots[name] = vars.map((v) => v.dataSync() as Float32Array).map((a) => a.slice());
    return { iterations: this.iterations, slots };
  }

  /** Restores a snapshot taken from an optimizer of the same kind over the same variables. */
  restore(snapshot: OptimizerSnapshot): void {
    this.dispose();
    this.iterations = snapshot.iterations;
    for (const [name, arrays] of Object.entries(snapshot.slots)) {
      if (arrays.length !== this.variables.length) throw new Error(`optimizer slot '${name}' has ${arrays.length} tensors for ${this.variables.length} variables`);
      this.slots.set(
        name,
        arrays.map((a, i) => tf.tidy(() => tf.variable(tf.tensor(a, this.variables[i]!.shape), false, `${this.variables[i]!.name}/${name}`))),
      );
    }
  }

  dispose(): void {
    for (const vars of this.slots.values()) for (const v of vars) v.dispose();
    this.slots.clear();
  }
}

/**
 * A number passed to an op becomes a new scalar tensor at every call (an upload to the backend);
 * the updates below make each hyper-parameter a tensor once per step, not once per variable.
 */
const scalars = <T extends number[]>(...values: T): { [K in keyof T]: tf.Scalar } => values.map((v) => tf.scalar(v)) as { [K in keyof T]: tf.Scalar };

class Sgd extends Optimizer {
  protected update(gradients: readonly tf.Tensor[], { learningRate }: StepHyper): void {
    const [lr] = scalars(learningRate);
    this.variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(gradients[i]!, lr))));
  }
}

class Momentum extends Optimizer {
  constructor(variables: readonly tf.Variable[], private readonly momentum: number, private readonly nesterov: boolean) {
    super(variables);
  }
  protected update(gradients: readonly tf.Tensor[], { learningRate, momentum = this.momentum }: StepHyper): void {
    const accumulators = this.slot('momentum');
    const [lr, mu] = scalars(learningRate, momentum);
    this.variables.forEach((v, i) => {
      const g = gradients[i]!;
      const acc = tf.add(tf.mul(accumulators[i]!, mu), g);
      accumulators[i]!.assign(acc);
      const step = this.nesterov ? tf.add(g, tf.mul(acc, mu)) : acc;
      v.assign(tf.sub(v, tf.mul(step, lr)));
    });
  }
}

class Adam extends Optimizer {
  constructor(variables: readonly tf.Variable[], private readonly beta1: number, private readonly beta2: number, private readonly epsilon: number) {
    super(variables);
  }
  protected update(gradients: readonly tf.Tensor[], { learningRate, momentum }: StepHyper): void {
    const beta1 = momentum ?? this.beta1;
    const m = this.slot('m');
    const s = this.slot('v');
    const t = this.iterations;
    // tfjs multiplies the powers step by step; closed form gives the same values without state.
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    const [lr, b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps] = scalars(learningRate, beta1, 1 - beta1, this.beta2, 1 - this.beta2, correction1, correction2, this.epsilon);
    this.variables.forEach((v, i) => {
      const g = gradients[i]!;
      const mNew = tf.add(tf.mul(m[i]!, b1), tf.mul(g, oneMinusB1));
      const sNew = tf.add(tf.mul(s[i]!, b2), tf.mul(tf.square(g), oneMinusB2));
      m[i]!.assign(mNew);
      s[i]!.assign(sNew);
      const update = tf.div(tf.div(mNew, c1), tf.add(tf.sqrt(tf.div(sNew, c2)), eps));
      v.assign(tf.sub(v, tf.mul(update, lr)));
    });
  }
}

class RmsProp extends Optimizer {
  constructor(variables: readonly tf.Variable[], private readonly rho: number, private readonly momentum: number, private readonly epsilon: number) {
    super(variables);
  }
  protected update(gradients: readonly tf.Tensor[], { learningRate, momentum = this.momentum }: StepHyper): void {
    const ms = this.slot('ms');
    const mom = momentum > 0 ? this.slot('mom') : undefined;
    const [lr, rho, oneMinusRho, eps, mu] = scalars(learningRate, this.rho, 1 - this.rho, this.epsilon, momentum);
    this.variables.forEach((v, i) => {
      const g = gradients[i]!;
      const msNew = tf.add(tf.mul(ms[i]!, rho), tf.mul(tf.square(g), oneMinusRho));
      ms[i]!.assign(msNew);
      const scaled = tf.div(tf.mul(g, lr), tf.sqrt(tf.add(msNew, eps)));
      if (mom) {
        const momNew = tf.add(tf.mul(mom[i]!, mu), scaled);
        mom[i]!.assign(momNew);
        v.assign(tf.sub(v, momNew));
      } else {
        v.assign(tf.sub(v, scaled));
      }
    });
  }
}

export function createOptimizer(spec: OptimizerSpec, variables: readonly tf.Variable[]): Optimizer {
  switch (spec.name) {
    case 'sgd':
      return new Sgd(variables);
    case 'momentum':
      return new Momentum(variables, spec.momentum, spec.nesterov);
    case 'adam':
      return new Adam(variables, spec.beta1, spec.beta2, spec.epsilon);
    case 'rmsprop':
      return new RmsProp(variables, spec.rho, spec.momentum, spec.epsilon);
  }
}
