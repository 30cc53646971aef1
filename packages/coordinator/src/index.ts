export * from './scheduler/rungs.js';
export * from './scheduler/scheduler.js';
