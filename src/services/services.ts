import type { AuthService } from './auth-service.js';
import type { ConversationService } from './conversation-service.js';
import type { MessagingService } from './messaging-service.js';
import type { PresenceService } from './presence-service.js';
import type { TypingService } from './typing-service.js';
import type { UserService } from './user-service.js';

/** The transport-free core that both transports call. Built by `app.ts`. */
export interface Services {
  auth: AuthService;
  users: UserService;
  conversations: ConversationService;
  messaging: MessagingService;
  typing: TypingService;
  presence: PresenceService;
}
