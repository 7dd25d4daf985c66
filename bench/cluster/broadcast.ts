/**
 * Room broadcast across instances: one sender and 1,000 receivers in one room, 1 KiB
 * `OP_RTMSG` (0, 0), on
 *
 * - one instance, no Redis (the single-node mode, on PostgreSQL like the others),
 * - one instance with `--redis` (cluster mode with nobody else: the fan-out's own cost),
 * - two instances with `--redis`, the receivers split between them and the sender on the first
 *   (half of every broadcast crosses Redis).
 *
 * Instances are `parley serve` processes from the sources; the clients run in a child process
 * (`broadcast-clients.ts`). Per configuration: a warm-up, a saturated phase (16 messages in
 * flight) and a paced phase (20 messages/s = 20,000 deliveries/s) for latency.
 *
 * Run: `npx tsx --conditions=@parley/source bench/cluster/broadcast.ts [--quick] [--clients N]`
 * Results: docs/scale-out.md.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { ClusterLoadRequest, ClusterPhaseResult, ClusterPhaseSpec } from './broadcast-clients.js';
import { BenchCluster, fmt, machine, pool, post } from './cluster-util.js';

const quick = process.argv.includes('--quick');
const clientsArg = process.argv.indexOf('--clients');
const CLIENTS = clientsArg > 0 ? Number(process.argv[clientsArg + 1]) : 1001;
const PHASES: ClusterPhaseSpec[] = [
  { name: 'warm-up', seconds: quick ? 1 : 2, window: 16, rate: 0, discard: true },
  { name: 'saturated (window 16)', seconds: quick ? 2 : 5, window: 16, rate: 0 },
  { name: 'paced 20 msg/s', seconds: quick ? 2 : 3, window: 0, rate: 20 },
];
const INSTANCE_ENV = {
  PARLEY_MAX_CONNECTIONS: String(2 * CLIENTS + 100),
  PARLEY_REALTIME_MAX_CONNECTIONS: String(2 * CLIENTS),
  PARLEY_REALTIME_COMMANDS_PER_SECOND: '10000000',
  PARLEY_REALTIME_COMMAND_BURST: '10000000',
  PARLEY_REALTIME_CLIENT_TIMEOUT_MS: '0',
  PARLEY_REALTIME_MAX_BUFFERED_BYTES: String(16 * 1024 * 1024),
};

async function load(req: ClusterLoadRequest): Promise<ClusterPhaseResult[]> {
  const child = fork(new URL('./broadcast-clients.ts', import.meta.url), [], { stdio: 'inherit' });
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  try {
    child.send(req);
    const [answer] = (await once(child, 'message')) as [
      { ok: boolean; results?: ClusterPhaseResult[]; error?: string },
    ];
    if (!answer.ok) throw new Error(`load generator failed: ${answer.error}`);
    return answer.results!;
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) await once(child, 'exit');
  }
}

async function run(name: string, instances: number, redis: boolean): Promise<ClusterPhaseResult[]> {
  const c = new BenchCluster();
  try {
    const urls: string[] = [];
    for (let i = 0; i < instances; i++) urls.push(await c.start(redis, INSTANCE_ENV));
    const V3 = `${urls[0]}/_matrix/client/v3`;
    const tokens = await pool(CLIENTS, 8, async (i) => {
      const r = await post(`${V3}/register`, undefined, { username: `u${i}`, password: 'pw' });
      return r.access_token as string;
    });
    const room = await post(`${V3}/createRoom`, tokens[0], { preset: 'public_chat' });
    await pool(CLIENTS - 1, 8, (i) =>
      post(`${V3}/join/${encodeURIComponent(room.room_id)}`, tokens[i + 1], {}),
    );
    // The sender on the first instance; receivers spread over all of them.
    const clients = tokens.map((token, i) => ({ url: urls[i === 0 ? 0 : i % instances]!, token }));
    const results = await load({ clients, room: room.room_handle, phases: PHASES });
    for (const r of results) {
      console.log(
        `| ${name} | ${r.name} | ${fmt(r.messages)} | ${fmt(r.deliveriesPerSec)} | ${fmt(r.p50Ms, 1)} ms | ${fmt(r.p99Ms, 1)} ms |`,
      );
    }
    return results;
  } finally {
    await c.close();
  }
}

console.log(`cluster broadcast: ${CLIENTS - 1} receivers + 1 sender, 1 KiB messages; ${machine()}\n`);
console.log('| configuration | phase | messages | deliveries/s | p50 | p99 |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
const one = await run('1 instance', 1, false);
const oneRedis = await run('1 instance, --redis', 1, true);
const two = await run('2 instances, --redis', 2, true);
console.log('\n| phase | 1 instance + Redis / 1 instance | 2 instances / 1 instance |');
console.log('| --- | ---: | ---: |');
for (const [i, p] of one.entries()) {
  console.log(
    `| ${p.name} deliveries/s | ${fmt(oneRedis[i]!.deliveriesPerSec / p.deliveriesPerSec, 2)}x | ${fmt(two[i]!.deliveriesPerSec / p.deliveriesPerSec, 2)}x |`,
  );
}
console.log(`\nafter the run: ${machine()}`);
process.exit(0);
