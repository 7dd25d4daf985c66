/**
 * The load generator of `broadcast.ts`, run in a child process so that it does not compete with
 * the servers for the event loop: it opens the clients (one sender, the rest receivers) to either
 * server, runs the same phases against each, and reports deliveries and latencies over IPC.
 *
 * A message is 1 KiB: a u32 sequence number and the send time (`performance.now()` of this
 * process, which both sends and receives, so no clock crosses a process) and padding.
 */
import { performance } from 'node:perf_hooks';
import { type Socket, io as sioConnect } from 'socket.io-client';
import WebSocket from 'ws';

/** What the parent asks for. */
export interface LoadRequest {
  kind: 'parley' | 'socketio';
  url: string;
  /** Parley: one ticket per client (the first is the sender's) and the room handle. */
  tickets?: string[];
  room?: string;
  clients: number;
  phases: PhaseSpec[];
  /**
   * Socket.IO receivers: `ws` speaking Engine.IO 4 / Socket.IO 5 (as light on the client side as the
   * Parley receivers, so that the servers are compared), or `socket.io-client` itself.
   */
  sioReceivers?: 'ws' | 'socket.io-client';
}

export interface PhaseSpec {
  name: string;
  seconds: number;
  /** Messages in flight (not yet delivered to every receiver); 0 = paced by `rate`. */
  window: number;
  /** Messages per second when `window` is 0. */
  rate: number;
  /** Left out of the report (warm-up). */
  discard?: boolean;
}

export interface PhaseResult {
  name: string;
  messages: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

const PAYLOAD = 1024;
const HEADER = 25; // OP_RTMSG room.8 user.8 client.4 msgtype.1 msglen.3
const MAX_SAMPLES = 4_000_000;
const MAX_MESSAGES = 1 << 20;

interface Sender {
  send(seq: number): void;
}

let receivers = 0;
const counts = new Uint32Array(MAX_MESSAGES);
let samples = new Float64Array(MAX_SAMPLES);
let nSamples = 0;
let deliveries = 0;
let lastDelivery = 0;
let onComplete: () => void = () => {};

function delivered(seq: number, sentAt: number): void {
  const now = performance.now();
  deliveries++;
  lastDelivery = now;
  if (nSamples < MAX_SAMPLES) samples[nSamples++] = now - sentAt;
  if (++counts[seq % MAX_MESSAGES]! === receivers) onComplete();
}

function payload(seq: number): Buffer {
  const b = Buffer.alloc(PAYLOAD, 0x61);
  b.writeUInt32BE(seq, 0);
  b.writeDoubleBE(performance.now(), 4);
  return b;
}

// ---- Parley: ws clients speaking the realtime protocol -------------------------------------

function parleyReceive(data: Buffer): void {
  let at = 0;
  while (at < data.length) {
    const op = data[at]!;
    if (op === 22) {
      const len = data.readUIntBE(at + 22, 3);
      const d = at + HEADER;
      delivered(data.readUInt32BE(d), data.readDoubleBE(d + 4));
      at = d + len;
    } else if (op === 23) at += 5;
    else if (op === 0) at += 1;
    else if (op === 11) at += 11;
    else at += 10; // OP_PRES, OP_IN_CALL
  }
}

async function openParley(req: LoadRequest): Promise<Sender> {
  const url = req.url.replace(/^http/, 'ws');
  const room = Buffer.from(req.room!, 'hex');
  const sockets: WebSocket[] = [];
  const open = (ticket: string, receive: boolean): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url}/_parley/v1/realtime?ticket=${ticket}`, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      ws.once('error', reject);
      ws.once('open', () => {
        // HELLO, invisible: a thousand logins would otherwise send a million OP_PRES.
        ws.send(Buffer.from([23, 0, 1, 0, 0]));
      });
      ws.once('message', () => {
        if (receive) ws.on('message', (d: Buffer) => parleyReceive(d));
        resolve(ws);
      });
    });
  const tickets = req.tickets!;
  for (let i = 0; i < tickets.length; i += 50) {
    sockets.push(...(await Promise.all(tickets.slice(i, i + 50).map((t, j) => open(t, i + j > 0)))));
  }
  const sender = sockets[0]!;
  return {
    send(seq) {
      const b = Buffer.alloc(HEADER + PAYLOAD);
      b[0] = 22;
      room.copy(b, 1); // receiver user 0, client 0: the whole room but this connection
      b[21] = 1;
      b.writeUIntBE(PAYLOAD, 22, 3);
      payload(seq).copy(b, HEADER);
      sender.send(b);
    },
  };
}

// ---- Socket.IO: socket.io-client, websocket transport ---------------------------------------

/**
 * A Socket.IO receiver on a bare `ws` client: Engine.IO open, Socket.IO connect to `/`, pings
 * answered; an `rt` event with a binary argument is a text frame (`451-["rt",{"_placeholder"…}]`)
 * followed by a binary frame holding the payload, which is all this reads.
 */
function openSioWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) {
        delivered(data.readUInt32BE(0), data.readDoubleBE(4));
        return;
      }
      const text = data.toString();
      if (text.startsWith('0')) ws.send('40');
      else if (text === '2') ws.send('3');
      else if (text.startsWith('42["joined"')) resolve(ws);
    });
  });
}

async function openSocketIo(req: LoadRequest): Promise<Sender> {
  const sockets: Socket[] = [];
  if (req.sioReceivers !== 'socket.io-client') {
    const sender = await new Promise<Socket>((resolve, reject) => {
      const s = sioConnect(req.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      s.once('connect_error', reject);
      s.once('joined', () => resolve(s));
    });
    const open: WebSocket[] = [];
    for (let i = 1; i < req.clients; i += 50) {
      const n = Math.min(50, req.clients - i);
      open.push(...(await Promise.all(Array.from({ length: n }, () => openSioWs(req.url)))));
    }
    return { send: (seq) => sender.emit('rt', payload(seq)) };
  }
  const open = (receive: boolean): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = sioConnect(req.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      s.once('connect_error', reject);
      // The server joins it to the room and says so (its join happens before any broadcast).
      s.once('joined', () => resolve(s));
      if (receive) s.on('rt', (b: Buffer) => delivered(b.readUInt32BE(0), b.readDoubleBE(4)));
    });
  for (let i = 0; i < req.clients; i += 50) {
    const n = Math.min(50, req.clients - i);
    sockets.push(...(await Promise.all(Array.from({ length: n }, (_, j) => open(i + j > 0)))));
  }
  const sender = sockets[0]!;
  return { send: (seq) => sender.emit('rt', payload(seq)) };
}

// ---- phases -----------------------------------------------------------------------------

function pct(xs: Float64Array, p: number): number {
  return xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
}

let seq = 0;

async function runPhase(sender: Sender, spec: PhaseSpec): Promise<PhaseResult> {
  samples = new Float64Array(MAX_SAMPLES);
  nSamples = 0;
  deliveries = 0;
  let inFlight = 0;
  let messages = 0;
  const t0 = performance.now();
  const end = t0 + spec.seconds * 1000;
  let drained: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    drained = r;
  });
  const sendOne = () => {
    counts[seq % MAX_MESSAGES] = 0;
    inFlight++;
    messages++;
    sender.send(seq++);
  };
  const pump = () => {
    while (inFlight < spec.window && performance.now() < end) sendOne();
  };
  onComplete = () => {
    inFlight--;
    if (spec.window > 0) pump();
    if (inFlight === 0 && performance.now() >= end) drained();
  };
  if (spec.window > 0) pump();
  else {
    const every = 1000 / spec.rate;
    await new Promise<void>((resolve) => {
      const tick = setInterval(
        () => {
          const due = Math.floor((performance.now() - t0) / every) + 1;
          while (messages < due && performance.now() < end) sendOne();
          if (performance.now() >= end) {
            clearInterval(tick);
            resolve();
          }
        },
        Math.max(1, Math.floor(every / 2)),
      );
    });
  }
  const late = setTimeout(drained, spec.seconds * 1000 + 20_000);
  const poll = setInterval(() => {
    if (inFlight === 0 && performance.now() >= end) drained();
  }, 50);
  await allDone;
  clearTimeout(late);
  clearInterval(poll);
  const seconds = (lastDelivery - t0) / 1000;
  const lat = samples.subarray(0, nSamples).sort();
  let sum = 0;
  for (const x of lat) sum += x;
  return {
    name: spec.name,
    messages,
    deliveries,
    seconds,
    deliveriesPerSec: deliveries / seconds,
    p50Ms: pct(lat, 50),
    p99Ms: pct(lat, 99),
    meanMs: sum / lat.length,
  };
}

async function main(req: LoadRequest): Promise<PhaseResult[]> {
  receivers = req.clients - 1;
  const sender = req.kind === 'parley' ? await openParley(req) : await openSocketIo(req);
  const out: PhaseResult[] = [];
  for (const spec of req.phases) {
    const r = await runPhase(sender, spec);
    if (!spec.discard) out.push(r);
  }
  return out;
}

// Bounded in time whatever happens: the parent also kills this process when it gives up.
setTimeout(() => process.exit(3), 300_000).unref();
process.once('message', (req: LoadRequest) => {
  main(req).then(
    (results) => process.send!({ ok: true, results }, () => process.exit(0)),
    (err: Error) => process.send!({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1)),
  );
});
