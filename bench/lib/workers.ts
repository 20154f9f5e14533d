import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './server-process.js';

/** A load-worker process and a promise-based call to it (one job at a time). */
export class LoadWorker {
  private readonly child: ChildProcess;
  private pending: { resolve: (v: any) => void; reject: (e: Error) => void } | undefined;
  /** Called with what the worker reports unasked while a job runs (`{event, …}` messages). */
  onEvent: ((message: { event: string; [key: string]: unknown }) => void) | undefined;

  constructor(readonly index: number) {
    this.child = fork(join(repoRoot, 'bench', 'load-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: { ok: boolean; result?: unknown; error?: string; event?: string }) => {
      if (m.event !== undefined) {
        this.onEvent?.(m as { event: string });
        return;
      }
      const p = this.pending;
      this.pending = undefined;
      if (m.ok) p?.resolve(m.result);
      else p?.reject(new Error(`worker ${index}: ${m.error}`));
    });
    this.child.on('exit', (code) => this.pending?.reject(new Error(`worker ${index} exited with ${code}`)));
  }

  /** Loopback source address of this worker: 127.0.0.2 … 127.0.0.9, to spread ephemeral ports. */
  get localAddress(): string {
    return `127.0.0.${2 + (this.index % 8)}`;
  }

  call<T = any>(job: Record<string, unknown>): Promise<T> {
    if (this.pending) throw new Error('worker busy');
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(job);
    });
  }

  /** Sends `message` to the worker without waiting for a reply (a notice to the job under way). */
  notify(message: Record<string, unknown>): void {
    this.child.send(message);
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

export function startWorkers(count: number): LoadWorker[] {
  return Array.from({ length: count }, (_, i) => new LoadWorker(i));
}
