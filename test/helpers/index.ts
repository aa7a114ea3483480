export * from './arcadia.js';
export * from './cleanup.js';
export * from './fake-clock.js';
export * from './ledger.js';
export * from './temp-home.js';
