import type { Config } from './config.js';
import type { ParleyMetrics } from './observability/metrics.js';
import type { ParleyHooks } from './parley-types.js';
import type { Realtime } from './realtime.js';
import { Argon2PasswordHasher } from './security/argon2-password-hasher.js';
import { BoundedPasswordHasher } from './security/bounded-password-hasher.js';
import type { FlexibleRateLimiter } from './security/flexible-rate-limiter.js';
import { JoseTokenIssuer } from './security/jose-token-issuer.js';
import { AuthService } from './services/auth-service.js';
import { ConversationService } from './services/conversation-service.js';
import { EventBus, type EventSource } from './services/event-bus.js';
import { GroupService } from './services/group-service.js';
import { MessagingService } from './services/messaging-service.js';
import { systemClock, type ExternalIdentity, type Logger } from './services/ports.js';
import { PresenceService } from './services/presence-service.js';
import type { SendDraft } from './services/send-policy.js';
import type { Services } from './services/services.js';
import { TypingService } from './services/typing-service.js';
import { UserService } from './services/user-service.js';
import type { Store } from './store/store.js';

/**
 * The core: the event bus and the services over the chosen store, presence and typing state. Knows no
 * transport; `app.ts` attaches the transports (and the host's hooks) to what this returns.
 */
export function buildServices(deps: {
  config: Readonly<Config>;
  store: Store;
  realtime: Realtime;
  limits: FlexibleRateLimiter;
  metrics: ParleyMetrics;
  logger: Logger;
  secret: string;
  identity?: ExternalIdentity | undefined;
  hooks?: ParleyHooks | undefined;
}): Services {
  const { config, store, realtime, limits, metrics, logger, hooks } = deps;
  const clock = systemClock;
  const events = new EventBus(logger);
  const users = new UserService(store, undefined, limits);
  const conversations = new ConversationService({ store, users, events, clock, limits });
  const groups = new GroupService({
    store,
    events,
    clock,
    limits,
    conversations,
    maxMembers: config.maxGroupMembers,
  });
  const typing = new TypingService({
    state: realtime.typingState,
    users,
    conversations,
    store,
    clock,
    events,
    logger,
    limits,
    timeoutMs: config.typingTimeoutMs,
  });
  const presence = new PresenceService({
    presence: realtime.presence,
    store,
    users,
    typing,
    events,
    clock,
    logger,
    scope: config.presenceScope,
  });
  const auth = new AuthService({
    store,
    users,
    tokens: JoseTokenIssuer.fromConfig(config, deps.secret),
    passwords: new BoundedPasswordHasher(new Argon2PasswordHasher(), config.maxPendingPasswordHashes),
    clock,
    limits,
    registrationRoles: config.registrationRoles,
    ...(deps.identity ? { identity: deps.identity } : {}),
  });
  const messaging = new MessagingService({
    store,
    users,
    conversations,
    events,
    clock,
    logger,
    limits,
    observer: {
      sendFinished: (seconds, outcome) => {
        metrics.sendDuration.observe({ outcome }, seconds);
        if (outcome === 'stored') metrics.messagesSent.inc();
      },
    },
    ...(hooks?.beforeSend ? { beforeSend: (draft: SendDraft) => hooks.beforeSend?.(draft) } : {}),
    options: { maxContentLength: config.maxMessageLength, defaultPageSize: 50 },
  });
  return { events, users, conversations, groups, typing, presence, auth, messaging };
}

/**
 * The host's hooks that listen (`afterStore`, `onConnect`, `onDisconnect`), subscribed to the bus. Call
 * it after the transports have subscribed: `afterStore` then runs once the message has been announced.
 * What a hook throws or rejects with is logged by the bus; nothing else is affected.
 */
export function subscribeHooks(events: EventSource, hooks: ParleyHooks | undefined): void {
  if (!hooks) return;
  if (hooks.afterStore) events.on('message.stored', (stored) => hooks.afterStore?.(stored));
  if (hooks.onConnect) {
    events.on('connection.opened', ({ user, connectionId }) =>
      hooks.onConnect?.({ user, socketId: connectionId }),
    );
  }
  if (hooks.onDisconnect) {
    events.on('connection.closed', ({ user, connectionId }) =>
      hooks.onDisconnect?.({ user, socketId: connectionId }),
    );
  }
}
