import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

/** `(address, hop) => trusted`: the form Fastify's `trustProxy` and proxy-addr both take. */
export type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Which `X-Forwarded-For` hops to believe. A hop count trusts that many proxies nearest to Parley; a list
 * trusts the proxies whose addresses it names (proxy-addr's matching: CIDRs, `loopback`, …). `false`
 * believes no header: the client is the peer.
 *
 * @example Fastify({ trustProxy: trustFunction(config.trustProxy) })
 */
export function trustFunction(trust: TrustProxy): TrustFunction {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/**
 * The client's IP for a raw request (an engine.io handshake), by the same rule as REST's `request.ip`.
 */
export function clientIp(request: IncomingMessage, trust: TrustFunction): string {
  return proxyAddr(request, trust);
}

/** The same for a Socket.IO handshake (the peer's `address` and the request headers). */
export function handshakeIp(
  handshake: { address: string; headers: Record<string, unknown> },
  trust: TrustFunction,
) {
  const request = { headers: handshake.headers, socket: { remoteAddress: handshake.address } };
  return proxyAddr(request as unknown as IncomingMessage, trust);
}
