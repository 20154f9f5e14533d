import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
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
 * The client's IP for a raw request (an engine.io handshake), by the same rule as REST's `request.ip`, as
 * the key per-IP limits count it under (`limitKeyOf`).
 */
export function clientIp(request: IncomingMessage, trust: TrustFunction): string {
  return limitKeyOf(proxyAddr(request, trust));
}

/** The same for a Socket.IO handshake (the peer's `address` and the request headers). */
export function handshakeIp(
  handshake: { address: string; headers: Record<string, unknown> },
  trust: TrustFunction,
) {
  const request = { headers: handshake.headers, socket: { remoteAddress: handshake.address } };
  return limitKeyOf(proxyAddr(request as unknown as IncomingMessage, trust));
}

/**
 * The key per-IP limits count a client under: its IPv4 address, or the /64 network of an IPv6 one (a
 * single customer is usually given a whole /64, so counting whole addresses would hand it 2^64 buckets).
 *
 * @example limits.consume('loginIp', limitKeyOf(request.ip));
 */
export function limitKeyOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip); // an IPv4-mapped IPv6 address becomes the IPv4 one
  if (address.kind() === 'ipv4') return address.toString();
  return `${(address as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`;
}
