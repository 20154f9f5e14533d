import { isIP } from 'node:net';
import { z } from 'zod';

/** Parsers of single settings, for the schema in config.ts: each names its setting in its message. */

export const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
export const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `${name} must be an integer between ${min} and ${max}`)
        .max(max, `${name} must be an integer between ${min} and ${max}`),
    );

/** A rate: `<count>/<duration>` such as `300/60s`, `10/15m`; `off` or `0` disables it. */
export const RATE = /^(\d+)\s*\/\s*(\d+)\s*(s|m|h)?$/;
export interface Rate {
  points: number;
  durationSeconds: number;
}
export const rate = (name: string, fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine(
      (v) => v === 'off' || v === '0' || (RATE.test(v) && Number(RATE.exec(v)?.[1]) > 0),
      `${name} must be a rate such as ${fallback} (count/duration, duration in s, m or h), or off`,
    )
    .transform((v): Rate | undefined => {
      const m = RATE.exec(v);
      if (!m) return undefined;
      const seconds = Number(m[2]) * UNIT_SECONDS[(m[3] ?? 's') as keyof typeof UNIT_SECONDS];
      return seconds > 0 ? { points: Number(m[1]), durationSeconds: seconds } : undefined;
    });

/**
 * Which proxies' `X-Forwarded-For` entries to believe: `false` (none: the client IP is the peer's
 * address), a hop count (`1`: the address the nearest proxy saw; `true` means 1), or a comma-separated
 * list of proxy addresses and CIDR ranges (`10.0.0.0/8,127.0.0.1`, also `loopback`, `linklocal`,
 * `uniquelocal`). Trusting every hop would let a client pick its own IP by sending the header itself.
 */
export type TrustProxy = false | number | string[];
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyAddress = (entry: string) => {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};
export const trustProxy = z
  .string()
  .trim()
  .default('false')
  .refine(
    (v) =>
      /^(true|false|on|off|yes|no|\d{1,2})$/.test(v) ||
      v
        .split(',')
        .map((e) => e.trim())
        .every(isProxyAddress),
    'TRUST_PROXY must be false, a hop count (1 = the nearest proxy; true means 1), or a comma-separated list of proxy addresses or CIDR ranges',
  )
  .transform((v): TrustProxy => {
    if (['false', 'off', 'no', '0'].includes(v)) return false;
    if (['true', 'on', 'yes'].includes(v)) return 1;
    if (/^\d+$/.test(v)) return Number(v);
    return v.split(',').map((e) => e.trim());
  });

export const bool = (name: string, fallback: boolean) =>
  z
    .enum(['true', 'false', 'on', 'off', '1', '0', 'yes', 'no'], {
      error: `${name} must be true or false`,
    })
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', 'on', '1', 'yes'].includes(v));

export const url = (name: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
