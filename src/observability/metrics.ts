import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Parley's Prometheus metrics (prom-client), one registry per app. Process metrics (memory, CPU, GC,
 * event-loop delay as `nodejs_eventloop_lag_*`) come from prom-client's defaults; Parley adds its own,
 * all prefixed `parley_`. Gauges read their sources at scrape time.
 *
 * @example const metrics = new ParleyMetrics({ connectedSockets: () => io.engine.clientsCount, onlineUsers });
 *          metrics.messagesSent.inc();
 */
export class ParleyMetrics {
  readonly registry = new Registry();

  /** Messages stored (a retry answered with a stored message is not counted again). */
  readonly messagesSent = new Counter({
    name: 'parley_messages_sent_total',
    help: 'Messages stored and announced (socket and REST)',
    registers: [this.registry],
  });

  /** `receive_message` packets written to receivers' sockets held by this process. */
  readonly messagesDelivered = new Counter({
    name: 'parley_messages_delivered_total',
    help: 'receive_message events delivered to sockets on this process (one per receiving socket)',
    registers: [this.registry],
  });

  /** From a send arriving to its answer: validation, storage and announcing. */
  readonly sendDuration = new Histogram({
    name: 'parley_send_duration_seconds',
    help: 'Time to handle a send (store, then announce), by outcome: stored, duplicate, refused, failed',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** Errors answered to clients, by error code (`VALIDATION`, `RATE_LIMITED`, `SEND_FAILED`, …). */
  readonly errors = new Counter({
    name: 'parley_errors_total',
    help: 'Errors answered to clients, by code and transport',
    labelNames: ['code', 'transport'] as const,
    registers: [this.registry],
  });

  readonly socketConnections = new Counter({
    name: 'parley_socket_connections_total',
    help: 'Socket.IO connections accepted by this process',
    registers: [this.registry],
  });

  readonly socketRefusals = new Counter({
    name: 'parley_socket_refusals_total',
    help: 'Socket.IO handshakes refused (authentication, connection cap)',
    registers: [this.registry],
  });

  constructor(sources: { connectedSockets: () => number; onlineUsers: () => Promise<number> }) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'parley_connected_sockets',
      help: 'Socket.IO connections open on this process',
      registers: [this.registry],
      collect() {
        this.set(sources.connectedSockets());
      },
    });
    new Gauge({
      name: 'parley_online_users',
      help: 'Users with at least one open socket (on any process, when presence is shared)',
      registers: [this.registry],
      async collect() {
        this.set(await sources.onlineUsers().catch(() => Number.NaN));
      },
    });
  }
}
