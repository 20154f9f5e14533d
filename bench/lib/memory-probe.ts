/**
 * Memory of a Parley server process for the soak run: RSS from /proc, the process figures of its own
 * GET /metrics (heap used, open files, handles, event-loop delay, CPU), and the heap after a full GC.
 *
 * Parley has no endpoint that collects garbage, so the server is started with `GC_PROBE_ARGS`: node's
 * `--expose-gc` and a tiny preload module (a data: URL, nothing under src/) that, on SIGUSR2, runs `gc()`
 * and prints `process.memoryUsage()` as one line on stderr, which the bench reads back from the output.
 */
import { readFileSync } from 'node:fs';
import type { ServerHandle } from './server-process.js';

const PROBE = `
let seq = 0;
if (typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const m = process.memoryUsage();
    process.stderr.write('soak-gc ' + ++seq + ' ' + JSON.stringify({ heapUsed: m.heapUsed, rss: m.rss, external: m.external }) + '\\n');
  });
  process.stderr.write('soak-gc ready\\n');
}
`;

/** Node flags for startParley's `nodeArgs`. */
export const GC_PROBE_ARGS = ['--expose-gc', `--import=data:text/javascript,${encodeURIComponent(PROBE)}`];

const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MemorySample {
  /** Seconds since the load started (negative before it). */
  t: number;
  rssMiB: number;
  /** RSS split (from /proc): anonymous memory (heaps, malloc) vs file-backed and shared mappings. */
  rssAnonMiB: number;
  rssFileShmemMiB: number;
  heapUsedMiB: number;
  /** V8 heap committed, and memory of C++ objects bound to JS (Buffers…): with RSS, where memory is. */
  heapTotalMiB: number;
  externalMiB: number;
  /** Heap used right after a full GC (NaN when the probe is not installed). */
  heapAfterGcMiB: number;
  rssAfterGcMiB: number;
  externalAfterGcMiB: number;
  openFds: number;
  activeHandles: number;
  serverSockets: number;
  lagP99Ms: number;
  /** Server CPU since the previous sample, % of one core. */
  cpuPct: number;
}

/** Unlabelled series of a Prometheus text exposition. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && !m[2]) values.set(m[1]!, Number(m[3]));
  }
  return values;
}

/** The `kB` figures of /proc/<pid>/status, in bytes (empty when the process is gone). */
function procStatus(pid: number): Map<string, number> {
  const values = new Map<string, number>();
  try {
    for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) {
      values.set(m[1]!, Number(m[2]) * 1024);
    }
  } catch {
    // not running
  }
  return values;
}

export class MemoryProbe {
  private lastSeq = 0;
  private ready = false;
  private lastCpu: { at: number; seconds: number } | undefined;

  constructor(private readonly server: ServerHandle) {}

  get gcAvailable(): boolean {
    // Sticky: the output kept is a tail, the line may scroll out of it.
    return (this.ready ||= this.server.output().includes('soak-gc ready'));
  }

  async metrics(): Promise<Map<string, number>> {
    const res = await fetch(`${this.server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
    return parseMetrics(await res.text());
  }

  /** Signals the probe and waits (at most 5 s) for its answer. */
  async afterGc(): Promise<{ heapUsed: number; rss: number; external: number } | undefined> {
    if (!this.gcAvailable) return undefined;
    process.kill(this.server.pid, 'SIGUSR2');
    for (let waited = 0; waited < 5000; waited += 20) {
      await sleep(20);
      let latest: { seq: number; json: string } | undefined;
      for (const m of this.server.output().matchAll(/soak-gc (\d+) (\{[^\n]*\})/g)) {
        if (Number(m[1]) > this.lastSeq) latest = { seq: Number(m[1]), json: m[2]! };
      }
      if (latest) {
        this.lastSeq = latest.seq;
        return JSON.parse(latest.json);
      }
    }
    return undefined;
  }

  /** RSS and /metrics first (the state under load), then the heap after a full GC. */
  async take(t: number): Promise<MemorySample> {
    const proc = procStatus(this.server.pid);
    const m = await this.metrics();
    const at = performance.now();
    const cpu = m.get('process_cpu_seconds_total') ?? NaN;
    const cpuPct = this.lastCpu
      ? ((cpu - this.lastCpu.seconds) / ((at - this.lastCpu.at) / 1000)) * 100
      : NaN;
    this.lastCpu = { at, seconds: cpu };
    const gc = await this.afterGc();
    return {
      t: Math.round(t),
      rssMiB: (proc.get('VmRSS') ?? NaN) / MiB,
      rssAnonMiB: (proc.get('RssAnon') ?? NaN) / MiB,
      rssFileShmemMiB: ((proc.get('RssFile') ?? NaN) + (proc.get('RssShmem') ?? NaN)) / MiB,
      heapUsedMiB: (m.get('nodejs_heap_size_used_bytes') ?? NaN) / MiB,
      heapTotalMiB: (m.get('nodejs_heap_size_total_bytes') ?? NaN) / MiB,
      externalMiB: (m.get('nodejs_external_memory_bytes') ?? NaN) / MiB,
      heapAfterGcMiB: gc ? gc.heapUsed / MiB : NaN,
      rssAfterGcMiB: gc ? gc.rss / MiB : NaN,
      externalAfterGcMiB: gc ? gc.external / MiB : NaN,
      openFds: m.get('process_open_fds') ?? NaN,
      activeHandles: m.get('nodejs_active_handles_total') ?? NaN,
      serverSockets: m.get('parley_connected_sockets') ?? NaN,
      lagP99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
      cpuPct,
    };
  }

  /** Waits until the server holds no Socket.IO connection (at most `maxMs`); returns the last count. */
  async waitForNoSockets(maxMs: number): Promise<number> {
    const deadline = performance.now() + maxMs;
    for (;;) {
      const n = (await this.metrics()).get('parley_connected_sockets') ?? NaN;
      if (n === 0 || performance.now() > deadline) return n;
      await sleep(250);
    }
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Mean of `key` over samples with start < t ≤ end. */
export const windowMean = (samples: MemorySample[], key: keyof MemorySample, start: number, end: number) =>
  mean(samples.filter((s) => s.t > start && s.t <= end).map((s) => s[key]));

/** Least-squares slope of `key` over samples with t > from, in units per minute. */
export function slopePerMinute(samples: MemorySample[], key: keyof MemorySample, from: number): number {
  const pts = samples.filter((s) => s.t > from && Number.isFinite(s[key]));
  if (pts.length < 2) return NaN;
  const mt = mean(pts.map((p) => p.t));
  const mv = mean(pts.map((p) => p[key]));
  let num = 0;
  let den = 0;
  for (const p of pts) {
    num += (p.t - mt) * (p[key] - mv);
    den += (p.t - mt) ** 2;
  }
  return (num / den) * 60;
}
