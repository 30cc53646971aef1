#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { SpecError, TrainingSetupError } from '@lrsweep/shared';
import { rangeTestCommand } from './commands/range-test.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0, got '${value}'`);
    return n;
  };
}

const program = new Command()
  .name('lrsweep')
  .description('Find the learning rate before you spend the GPU time: range tests and pruned LR sweeps on TensorFlow.js')
  .showHelpAfterError();

program
  .command('range-test')
  .description('LR range test: raise the rate exponentially over a sample, with several seeds, and suggest a rate and a range')
  .argument('<spec>', 'sweep spec (YAML or JSON), e.g. examples/mnist-mlp-sgd.yaml')
  .option('--json', 'print one JSON object instead of the table')
  .option('--plot <file.svg>', 'write the loss-vs-rate curve as an SVG')
  .option('--seeds <n>', 'independent ramps (default: rangeTest.seeds of the spec)', positiveInt('--seeds'))
  .option('--processes <n>', 'worker processes to run seeds in (default: one per core; 0 = in this process)', positiveInt('--processes'))
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
  .action(rangeTestCommand);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof SpecError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof TrainingSetupError) {
    process.stderr.write(`error: ${error.message}${error.field ? `\n  fix: correct ${error.field} in the spec` : ''}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
