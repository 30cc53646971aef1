import { defineConfig } from 'vitest/config';

// One project per package (unit tests next to the code, run from source) plus `test/`
// for cross-process tests that spawn the built CLI and worker processes.
export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
  },
});
