/** A registered user as the domain sees it. Ids are opaque strings. */
export interface User {
  id: string;
  name: string;
  username: string;
  email: string;
  role: string;
  /** When the user was last online (set when a connection opens and when the last one closes). */
  lastSeen: Date | null;
  createdAt: Date;
  /** Set while the user is disabled: they cannot log in, and their tokens and sockets are refused. */
  disabledAt?: Date;
  /** The host application's id for a user it owns (library mode); absent for Parley's own accounts. */
  externalId?: string;
}

/** A direct message between two users. */
export interface Message {
  id: string;
  senderId: string;
  receiverId: string;
  content: string;
  sentAt: Date;
  /** Set once, by the receiver; never changed afterwards. */
  readAt: Date | null;
  /** The sender's own id for this message, when it gave one: a retry with it returns this message. */
  clientMessageId?: string;
}
