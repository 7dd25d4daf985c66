// Public surface of core/src/websocket; filled in by its issue.
export {};
