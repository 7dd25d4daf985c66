/** The schema of sync v3's to-device queue (a migration of `migrations.ts`). */
export const SYNC_MIGRATION_SQL = `
  -- A device's undeleted to-device messages; the key serves the range reads and deletes.
  CREATE TABLE to_device_messages (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    type TEXT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, position)
  ) WITHOUT ROWID;
  -- The sender's (device, txnId) of each send, for idempotent retries.
  CREATE TABLE to_device_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
  );
  CREATE INDEX to_device_txns_created ON to_device_txns (created_ts);
`;
