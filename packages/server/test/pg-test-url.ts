/** Where the `server-pg` tests find PostgreSQL, and how a run names its schemas. */

/** The PostgreSQL the `server-pg` tests use (CI: the local service, trust auth). */
export const PG_TEST_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The prefix of every schema and connection name of one `server-pg` run. */
export function pgRunPrefix(run: string): string {
  return `parley_t_${run}_`;
}
