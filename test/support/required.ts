/**
 * Services and tools some suites need (PostgreSQL, Redis, a `redis-server` binary, Chromium). Outside CI
 * a suite whose need is not met skips, naming the reason; under `CI=true` it fails instead, so a green run
 * means every suite ran. Skip reasons for a missing need start with `MISSING`, which lets
 * scripts/run-tests.mjs tell them from skips by design (a suite for another backend).
 */

export const MISSING = 'missing:';

const underCi = () => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/** `false` when nothing is missing; otherwise the skip reason, or (under CI) an error. */
export function unmet(reason: string | false | undefined): string | false {
  if (!reason) return false;
  if (underCi()) throw new Error(`${reason}. Under CI=true this fails the run instead of skipping.`);
  return `${MISSING} ${reason}`;
}
