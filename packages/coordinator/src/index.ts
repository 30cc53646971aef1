export * from './scheduler/rungs.js';
export * from './scheduler/scheduler.js';
export * from './scheduler/simulate.js';
export * from './server/coordinator.js';
export * from './server/convert.js';
export * from './server/lease.js';
