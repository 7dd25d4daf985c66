// Public surface of core/src/fetch; filled in by its issue.
export {};
