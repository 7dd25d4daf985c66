import { describe, expect, it } from 'vitest';
import { federationBaseUrl, isServerName } from './server-name.js';

describe('server names', () => {
  it('accepts host and host:port forms', () => {
    for (const n of ['example.org', 'a.example.org:8448', '127.0.0.1:40123', '[::1]:8448', 'localhost']) {
      expect(isServerName(n), n).toBe(true);
    }
  });
  it('refuses anything that is not a server name', () => {
    for (const n of ['', 'a b', 'http://x', 'x:0', 'x:70000', 'x/y', '-x', 'x:', '@u:x', '[::1', 'ex@mple']) {
      expect(isServerName(n), n).toBe(false);
    }
  });
  it('reaches a server over plain HTTP at its port (8448 when it has none)', () => {
    expect(federationBaseUrl('127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(federationBaseUrl('example.org')).toBe('http://example.org:8448');
    expect(federationBaseUrl('[::1]:9')).toBe('http://[::1]:9');
    expect(federationBaseUrl('[::1]')).toBe('http://[::1]:8448');
  });
});
