// Public surface of core/src/realtime; filled in by its issue.
export {};
