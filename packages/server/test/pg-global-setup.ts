/**
 * Global setup of the `server-pg` vitest project: checks that PostgreSQL answers (a clear error
 * instead of every test failing), gives the run an id for its schema names, and at the end of
 * the run fails it if a schema or a connection of the run was left behind (after removing them,
 * so the next run starts clean).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { PG_TEST_URL, pgRunPrefix } from './pg-test-url.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = randomBytes(3).toString('hex');
  project.provide('parleyPgRun', run);
  const prefix = pgRunPrefix(run);
  const pool = new pg.Pool({ connectionString: PG_TEST_URL, max: 1, application_name: 'parley-test-setup' });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end();
    throw new Error(
      `the server-pg tests need PostgreSQL at ${PG_TEST_URL} (set PARLEY_TEST_PG_URL, or start it: ` +
        `.ci/run does): ${(err as Error).message}`,
    );
  }

  return async () => {
    const ours = 'left(%s, length($1)) = $1';
    const backends = async () =>
      (
        await pool.query<{ pid: number; name: string }>(
          `SELECT pid, application_name AS name FROM pg_stat_activity WHERE ${ours.replace('%s', 'application_name')}`,
          [prefix],
        )
      ).rows;
    // Connections of SIGKILLed servers close a moment after the process is gone.
    let leaked = await backends();
    for (let i = 0; i < 30 && leaked.length > 0; i++) {
      await sleep(100);
      leaked = await backends();
    }
    for (const b of leaked) await pool.query('SELECT pg_terminate_backend($1)', [b.pid]);
    const { rows } = await pool.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE ${ours.replace('%s', 'nspname')}`,
      [prefix],
    );
    for (const s of rows) await pool.query(`DROP SCHEMA IF EXISTS ${s.name} CASCADE`);
    await pool.end();
    const problems = [
      ...leaked.map((b) => `connection ${b.pid} (${b.name}) still open`),
      ...rows.map((s) => `schema ${s.name} not dropped`),
    ];
    if (problems.length > 0) throw new Error(`server-pg tests leaked: ${problems.join('; ')}`);
  };
}
