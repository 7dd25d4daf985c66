/**
 * Server names (`host` or `host:port`) as they appear in ids and X-Matrix headers, and the URL
 * Parley reaches a server at: plain HTTP (TLS and `.well-known`/SRV discovery are out of scope,
 * docs/federation.md).
 */

// A DNS name, an IPv4 address or a bracketed IPv6 literal, then an optional port.
const SERVER_NAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/** The port Matrix assumes when a server name has none. */
export const DEFAULT_FEDERATION_PORT = 8448;

/** True for a syntactically valid server name (with a port in 1..65535 when it has one). */
export function isServerName(name: string): boolean {
  const m = SERVER_NAME.exec(name);
  if (!m) return false;
  return m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
}

/** The base URL of a server's federation API: `http://host:port`. */
export function federationBaseUrl(serverName: string): string {
  const hasPort = /:\d{1,5}$/.test(serverName) && !serverName.endsWith(']');
  return `http://${serverName}${hasPort ? '' : `:${DEFAULT_FEDERATION_PORT}`}`;
}
