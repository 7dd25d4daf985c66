// Public surface of core/src/sync; filled in by its issue.
export {};
