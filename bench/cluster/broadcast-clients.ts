/**
 * The load generator of `bench/cluster/broadcast.ts`, in a child process so that it does not
 * compete with the parent for its event loop: one sender and many receivers, each on the
 * instance its URL names, in one room; the sender's `OP_RTMSG` (0, 0) of 1 KiB reaches every
 * receiver, through Redis for those on another instance. Reports deliveries/s and send-to-receipt
 * latency (both ends in this process, one clock) over IPC.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** What the parent asks for. */
export interface ClusterLoadRequest {
  /** Per client (the first is the sender): its instance's base URL and access token. */
  clients: { url: string; token: string }[];
  room: string;
  phases: ClusterPhaseSpec[];
}

export interface ClusterPhaseSpec {
  name: string;
  seconds: number;
  /** Messages in flight (sent, not yet at every receiver); 0 = paced by `rate`. */
  window: number;
  rate: number;
  discard?: boolean;
}

export interface ClusterPhaseResult {
  name: string;
  messages: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const PAYLOAD = 1024;
const HEADER = 25;
const SLOTS = 1 << 20;
const counts = new Uint32Array(SLOTS);
let receivers = 0;
let lat: number[] = [];
let deliveries = 0;
let lastDelivery = 0;
let onComplete: () => void = () => {};

function receive(data: Buffer): void {
  for (let at = 0; at < data.length; ) {
    const op = data[at]!;
    if (op === 22) {
      const len = data.readUIntBE(at + 22, 3);
      const d = at + HEADER;
      const now = performance.now();
      deliveries++;
      lastDelivery = now;
      if (lat.length < 2_000_000) lat.push(now - data.readDoubleBE(d + 4));
      if (++counts[data.readUInt32BE(d) % SLOTS]! === receivers) onComplete();
      at = d + len;
    } else if (op === 23) at += 5;
    else if (op === 0) at += 1;
    else if (op === 11) at += 11;
    else at += 10;
  }
}

function open(url: string, token: string, listen: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/_parley/v1/realtime`, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    // HELLO, invisible: a thousand logins would otherwise send a million OP_PRES.
    ws.once('open', () => ws.send(Buffer.from([23, 0, 1, 0, 0])));
    ws.once('message', () => {
      if (listen) ws.on('message', receive);
      resolve(ws);
    });
  });
}

let seq = 0;

async function phase(sender: WebSocket, room: Buffer, spec: ClusterPhaseSpec): Promise<ClusterPhaseResult> {
  lat = [];
  deliveries = 0;
  let inFlight = 0;
  let messages = 0;
  const t0 = performance.now();
  const end = t0 + spec.seconds * 1000;
  const send = () => {
    const b = Buffer.alloc(HEADER + PAYLOAD, 0x61);
    b[0] = 22;
    room.copy(b, 1);
    b.fill(0, 9, 21); // receiver (0, 0): the whole room but the sender
    b[21] = 1;
    b.writeUIntBE(PAYLOAD, 22, 3);
    counts[seq % SLOTS] = 0;
    b.writeUInt32BE(seq++, HEADER);
    b.writeDoubleBE(performance.now(), HEADER + 4);
    inFlight++;
    messages++;
    sender.send(b);
  };
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const pump = () => {
    while (inFlight < spec.window && performance.now() < end) send();
  };
  onComplete = () => {
    inFlight--;
    if (spec.window > 0) pump();
  };
  if (spec.window > 0) pump();
  const tick = setInterval(() => {
    if (spec.window === 0) {
      const due = Math.floor(((performance.now() - t0) * spec.rate) / 1000) + 1;
      while (messages < due && performance.now() < end) send();
    } else pump();
    if (performance.now() >= end && (inFlight === 0 || performance.now() > end + 20_000)) done();
  }, 5);
  await finished;
  clearInterval(tick);
  const sorted = lat.sort((x, y) => x - y);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    name: spec.name,
    messages,
    deliveriesPerSec: deliveries / ((lastDelivery - t0) / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
  };
}

async function main(req: ClusterLoadRequest): Promise<ClusterPhaseResult[]> {
  receivers = req.clients.length - 1;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < req.clients.length; i += 50) {
    const batch = req.clients.slice(i, i + 50);
    sockets.push(...(await Promise.all(batch.map((c, j) => open(c.url, c.token, i + j > 0)))));
  }
  const out: ClusterPhaseResult[] = [];
  for (const spec of req.phases) {
    const r = await phase(sockets[0]!, Buffer.from(req.room, 'hex'), spec);
    if (!spec.discard) out.push(r);
  }
  for (const s of sockets) s.terminate();
  return out;
}

setTimeout(() => process.exit(3), 300_000).unref();
process.once('message', (req: ClusterLoadRequest) => {
  main(req).then(
    (results) => process.send!({ ok: true, results }, () => process.exit(0)),
    (err: Error) => process.send!({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1)),
  );
});
