// Public surface of core/src/client; filled in by its issue.
export {};
