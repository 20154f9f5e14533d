import type { AuthService } from './auth-service.js';
import type { ConversationService } from './conversation-service.js';
import type { EventSource } from './event-bus.js';
import type { GroupService } from './group-service.js';
import type { MessagingService } from './messaging-service.js';
import type { PresenceService } from './presence-service.js';
import type { TypingService } from './typing-service.js';
import type { UserService } from './user-service.js';

/**
 * The transport-free core that both transports call, and the events it publishes (what each transport,
 * or a host, subscribes to). Built by `src/core.ts`.
 */
export interface Services {
  events: EventSource;
  auth: AuthService;
  users: UserService;
  conversations: ConversationService;
  groups: GroupService;
  messaging: MessagingService;
  typing: TypingService;
  presence: PresenceService;
}
