// Public surface of core/src/events; filled in by its issue.
export {};
