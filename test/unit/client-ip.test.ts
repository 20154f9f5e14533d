import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientIp, limitKeyOf, trustFunction } from '../../src/security/client-ip.js';

const request = (peer: string, forwardedFor?: string) =>
  ({
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    socket: { remoteAddress: peer },
  }) as unknown as IncomingMessage;

describe('client IPs for per-IP limits', () => {
  it('counts an IPv6 client by its /64 network, an IPv4 (or IPv4-mapped) client by its address', () => {
    assert.equal(limitKeyOf('203.0.113.7'), '203.0.113.7');
    assert.equal(limitKeyOf('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(limitKeyOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(limitKeyOf('2001:db8:1:2:ffff::9'), '2001:db8:1:2::/64');
    assert.equal(limitKeyOf('2001:0DB8:0001:0002::'), '2001:db8:1:2::/64');
    assert.notEqual(limitKeyOf('2001:db8:1:3::1'), limitKeyOf('2001:db8:1:2::1'));
    assert.equal(limitKeyOf('unknown'), 'unknown');
  });

  it('believes no X-Forwarded-For without TRUST_PROXY, and only the trusted hops with it', () => {
    const spoofed = request('10.0.0.5', '198.51.100.1, 203.0.113.9');
    assert.equal(clientIp(spoofed, trustFunction(false)), '10.0.0.5');
    // One hop: the proxy (the peer) is trusted; the address it appended is the client.
    assert.equal(clientIp(spoofed, trustFunction(1)), '203.0.113.9');
    assert.equal(clientIp(spoofed, trustFunction(2)), '198.51.100.1');
    // A list: only the proxies named are believed.
    assert.equal(clientIp(spoofed, trustFunction(['10.0.0.0/8'])), '203.0.113.9');
    assert.equal(clientIp(spoofed, trustFunction(['192.168.0.0/16'])), '10.0.0.5');
  });
});
