/**
 * `@parley/core/testing`: deterministic fakes (clock, timers, randomness) and the multi-server
 * simulator, for Parley's own tests and for apps that test against Parley.
 *
 * @packageDocumentation
 */
export { FakeRealtimeServer, FakeSocket } from '../client/testing/fake-realtime.js';
export { ClientTestWorld } from '../client/testing/harness.js';
export { type ScriptedAnswer, ScriptedHttp } from '../client/testing/scripted-http.js';
export { ParleyTestServer } from '../client/testing/test-server.js';
export { FakeClock } from './fake-clock.js';
export { SeededRandom } from './seeded-random.js';
export { fakeChain, type IdPdu } from './sim/chain.js';
export { fakeCodec, type SimEvent, type SimEventCodec, simUser } from './sim/codec.js';
export {
  type FakeEventFields,
  type FakePdu,
  fakeEvent,
  fakeEventId,
  fakeSignature,
  fakeVerifier,
  redactFake,
  stableJson,
} from './sim/fake-events.js';
export { SimNetwork, type SimNetworkOptions, type SimNode } from './sim/network.js';
export { realCodec } from './sim/real-codec.js';
export { SimRoomStore, type StatePdu } from './sim/room-store.js';
export {
  downPeer,
  honestPeer,
  type PeerReply,
  type PeerScript,
  ScriptedFederation,
  type ScriptedSetup,
  scriptedSetup,
} from './sim/scripted.js';
export { serveFederation } from './sim/serve.js';
export {
  type SimFetcher,
  type SimFetcherFactory,
  SimServer,
  schedulerFactory,
} from './sim/server.js';
export { converged, type SimRoom, simulateRoom } from './sim/simulation.js';
