import { describe, expect, it } from 'vitest';
import { Router } from './router.js';

describe('Router', () => {
  const r = new Router<string>();
  r.add('GET', '/a/:x/b', 'getB');
  r.add('PUT', '/a/:x/b', 'putB');
  r.add('PUT', '/s/:type/:key?', 'state');
  r.add('PUT', '/s/:type', 'stateNoKey');

  const cases: [string, string, unknown][] = [
    ['GET', '/a/1/b', { kind: 'found', handler: 'getB', params: { x: '1' } }],
    ['PUT', '/a/%21room%3Ahost/b', { kind: 'found', handler: 'putB', params: { x: '!room:host' } }],
    ['POST', '/a/1/b', { kind: 'method_not_allowed', allowed: ['GET', 'PUT'] }],
    ['GET', '/a//b', { kind: 'not_found' }],
    ['GET', '/a/1/b/c', { kind: 'not_found' }],
    ['GET', '/a/%E0%A4%A/b', { kind: 'bad_path' }],
    ['PUT', '/s/m.room.name/', { kind: 'found', handler: 'state', params: { type: 'm.room.name', key: '' } }],
    ['PUT', '/s/m.room.member/%40u%3Ah', { kind: 'found', handler: 'state', params: { key: '@u:h' } }],
    ['PUT', '/s/m.room.name', { kind: 'found', handler: 'stateNoKey' }],
    ['PUT', '/s//x', { kind: 'not_found' }],
  ];
  it.each(cases)('%s %s', (method, path, expected) => {
    expect(r.match(method, path)).toMatchObject(expected as object);
  });

  it('refuses an optional parameter that is not last', () => {
    expect(() => r.add('GET', '/x/:y?/z', 'bad')).toThrow(/must be last/);
  });
});
