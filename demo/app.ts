import {
  ParleyError,
  createClient,
  login,
  newClientMessageId,
  register,
  type AuthResult,
  type ParleyClient,
  type WireConversation,
  type WireMessage,
} from '../client/src/index.js';

/**
 * The demo chat page: sign up or in, see the inbox (each conversation with its last message and unread
 * badge, kept live) and who is online, chat with one of them at a time with history, typing indicators,
 * read receipts and unread badges. Everything goes through the typed client.
 */

/** An inbox entry: a direct conversation, by the other member. */
interface InboxEntry {
  conversationId: string;
  otherId: string;
  otherName: string;
  preview: string;
  unread: number;
  lastActivityAt: string;
}

interface Contact {
  _id: string;
  name: string;
  online: boolean;
  unread: number;
}

const TOKEN_KEY = 'parley-demo-token';
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let client: ParleyClient | undefined;
let peer: string | undefined;
let me: string | undefined;
const contacts = new Map<string, Contact>();
const inbox = new Map<string, InboxEntry>();

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = '',
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

// ---- signing in ------------------------------------------------------------------------------------

function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]));
}

async function authenticate(form: HTMLFormElement, action: () => Promise<AuthResult>) {
  const button = form.querySelector('button');
  if (button) button.disabled = true;
  $('auth-error').textContent = '';
  try {
    const { token } = await action();
    sessionStorage.setItem(TOKEN_KEY, token);
    start(token);
  } catch (err) {
    $('auth-error').textContent = errorText(err);
  } finally {
    if (button) button.disabled = false;
  }
}

$('register-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const v = formValues(form);
  void authenticate(form, () =>
    register(location.origin, {
      name: v.name!,
      username: v.username!,
      email: v.email!,
      password: v.password!,
    }),
  );
});

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const v = formValues(form);
  void authenticate(form, () => login(location.origin, { username: v.username!, password: v.password! }));
});

$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  client?.close();
  location.reload();
});

// ---- the connection ----------------------------------------------------------------------------------

function start(token: string) {
  client?.close();
  const c = createClient(location.origin, token);
  client = c;
  const s = c.socket;
  s.on('connect', () => setStatus('connected'));
  s.on('disconnect', () => setStatus('reconnecting…'));
  s.on('connect_error', (err) => {
    if (s.active) return setStatus('reconnecting…');
    // The server refused the token (expired, user deleted): back to the forms.
    sessionStorage.removeItem(TOKEN_KEY);
    showAuth(err.message);
  });
  s.on('connection', ({ user }) => {
    me = user._id;
    $('me').textContent = `${user.name} (@${user.username})`;
    void loadInbox();
    $('auth').hidden = true;
    $('chat').hidden = false;
    $('logout').hidden = false;
    void refreshUnread();
    if (peer) void openConversation(peer);
  });
  s.on('online_users', (users) => {
    for (const c of contacts.values()) c.online = false;
    for (const u of users) upsertContact(u.userId, u.name).online = true;
    renderContacts();
  });
  s.on('user_online', ({ userId, name }) => {
    upsertContact(userId, name).online = true;
    renderContacts();
  });
  s.on('user_offline', ({ userId }) => {
    const contact = contacts.get(userId);
    if (contact) contact.online = false;
    renderContacts();
  });
  s.on('receive_message', (message) => {
    const contact = upsertContact(message.senderId, message.senderName);
    const open = message.senderId === peer;
    noteInInbox(message, open ? 0 : 1);
    if (open) {
      showMessage(message);
      void markShownRead([message]);
    } else {
      contact.unread += 1;
      renderContacts();
    }
    void refreshUnread();
  });
  // Sent from this user's other tabs.
  s.on('message_sent', ({ message }) => {
    noteInInbox(message, 0);
    if (message.receiverId === peer) showMessage(message);
  });
  // A read cursor moved: this user's (any tab) sets the badge; the other member's marks my messages read.
  s.on('conversation_read', ({ conversationId, userId, lastReadMessageId, unreadCount }) => {
    const entry = inbox.get(conversationId);
    if (userId === me) {
      if (entry && unreadCount !== undefined) entry.unread = unreadCount;
      renderInbox();
      void refreshUnread();
    } else if (entry?.otherId === peer && lastReadMessageId) {
      for (const item of document.querySelectorAll<HTMLElement>('#messages li.mine[data-message-id]')) {
        if (BigInt(item.dataset.messageId!) <= BigInt(lastReadMessageId)) setMessageStatus(item, 'read');
      }
    }
  });
  s.on('message_read', ({ messageId }) => {
    const item = document.querySelector<HTMLElement>(
      `#messages [data-message-id="${CSS.escape(messageId)}"]`,
    );
    if (item) setMessageStatus(item, 'read');
  });
  s.on('message_read_confirmed', () => void refreshUnread());
  s.on('typing_indicator', ({ userId, userName, isTyping }) => {
    if (userId === peer) $('typing').textContent = isTyping ? `${userName} is typing…` : '';
  });
}

function setStatus(text: string) {
  $('status').textContent = text;
}

function showAuth(message = '') {
  $('auth').hidden = false;
  $('chat').hidden = true;
  $('logout').hidden = true;
  $('auth-error').textContent = message;
  setStatus('signed out');
}

async function refreshUnread() {
  if (!client) return;
  try {
    const count = await client.unreadCount();
    const badge = $('unread-total');
    badge.textContent = String(count);
    badge.hidden = count === 0;
  } catch {
    // shown again at the next change
  }
}

// ---- the inbox ---------------------------------------------------------------------------------------

function toEntry(conversation: WireConversation): InboxEntry | undefined {
  const other = conversation.members.find((m) => m._id !== me);
  if (!other) return undefined;
  return {
    conversationId: conversation._id,
    otherId: other._id,
    otherName: other.name,
    preview: conversation.lastMessage?.content ?? '',
    unread: conversation.unreadCount,
    lastActivityAt: conversation.lastActivityAt,
  };
}

/** Page 1 of the inbox, once per (re)connect; live events keep it current afterwards. */
async function loadInbox() {
  if (!client) return;
  try {
    const { conversations } = await client.conversations({ limit: 50 });
    inbox.clear();
    for (const conversation of conversations) {
      const entry = toEntry(conversation);
      if (entry) inbox.set(entry.conversationId, entry);
    }
    renderInbox();
  } catch {
    // shown again at the next reconnect
  }
}

/** A message sent or received: its conversation moves to the top with the new preview. */
function noteInInbox(message: WireMessage, unreadDelta: number) {
  const mine = message.senderId === me;
  const otherId = mine ? message.receiverId : message.senderId;
  const otherName = mine ? message.receiverName : message.senderName;
  if (!otherId) return;
  const entry = inbox.get(message.conversationId) ?? {
    conversationId: message.conversationId,
    otherId,
    otherName: otherName ?? '',
    preview: '',
    unread: 0,
    lastActivityAt: message.sentAt,
  };
  entry.preview = message.content;
  entry.unread += unreadDelta;
  entry.lastActivityAt = message.sentAt;
  inbox.set(entry.conversationId, entry);
  renderInbox();
}

function renderInbox() {
  const list = $('inbox');
  list.replaceChildren();
  const sorted = [...inbox.values()].sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt));
  for (const entry of sorted) {
    const item = el('li');
    item.dataset.conversationId = entry.conversationId;
    if (entry.otherId === peer) item.classList.add('selected');
    const button = el('button');
    button.type = 'button';
    const text = el('span', 'summary');
    text.append(el('span', 'name', entry.otherName), el('span', 'preview', entry.preview));
    button.append(text);
    if (entry.unread > 0) button.append(el('span', 'badge', String(entry.unread)));
    button.addEventListener('click', () => void openConversation(entry.otherId, entry.otherName));
    item.append(button);
    list.append(item);
  }
  $('inbox-empty').hidden = sorted.length > 0;
}

// ---- contacts ----------------------------------------------------------------------------------------

function upsertContact(id: string, name: string): Contact {
  let contact = contacts.get(id);
  if (!contact) contacts.set(id, (contact = { _id: id, name, online: false, unread: 0 }));
  contact.name = name;
  return contact;
}

function renderContacts() {
  const list = $('contacts');
  list.replaceChildren();
  const sorted = [...contacts.values()].sort(
    (a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name),
  );
  for (const contact of sorted) {
    const item = el('li', contact.online ? 'online' : 'offline');
    item.dataset.userId = contact._id;
    if (contact._id === peer) item.classList.add('selected');
    const button = el('button');
    button.type = 'button';
    button.append(el('span', 'dot'), el('span', 'name', contact.name));
    if (contact.unread > 0) button.append(el('span', 'badge', String(contact.unread)));
    button.addEventListener('click', () => void openConversation(contact._id));
    item.append(button);
    list.append(item);
  }
  $('nobody').hidden = sorted.some((c) => c.online);
}

// ---- the conversation ----------------------------------------------------------------------------------

async function openConversation(otherId: string, otherName?: string) {
  if (!client) return;
  peer = otherId;
  const contact = contacts.get(otherId);
  $('peer-name').textContent = contact?.name ?? otherName ?? 'Conversation';
  $('typing').textContent = '';
  $('send-error').textContent = '';
  $('messages').replaceChildren();
  for (const control of $('send-form').querySelectorAll<HTMLInputElement | HTMLButtonElement>(
    'input, button',
  ))
    control.disabled = false;
  renderContacts();
  try {
    const { messages, otherUser } = await client.history(otherId, { limit: 50 });
    if (peer !== otherId) return;
    $('peer-name').textContent = otherUser?.name ?? '';
    messages.forEach(showMessage);
    await markShownRead(messages);
  } catch (err) {
    $('send-error').textContent = errorText(err);
  }
  if (contact) contact.unread = 0;
  renderContacts();
  renderInbox();
  $('draft').focus();
}

/**
 * Marks read every message shown here that was sent to this user: one read cursor move up to the last
 * of them (the inbox badge follows from `conversation_read`).
 */
async function markShownRead(messages: WireMessage[]) {
  if (!client) return;
  const last = messages.filter((m) => m.senderId === peer).at(-1);
  if (!last || last.read) return;
  await client.markConversationRead(last.conversationId, last._id).catch(() => undefined);
}

function setMessageStatus(item: HTMLElement, status: string) {
  const node = item.querySelector('.status');
  if (node) node.textContent = status;
}

/** Adds a message to the open conversation, or updates it (matched by id, or by clientMessageId). */
function showMessage(message: WireMessage) {
  const list = $('messages');
  const mine = message.senderId !== peer;
  const selector = message.clientMessageId
    ? `[data-client-id="${CSS.escape(message.clientMessageId)}"], [data-message-id="${CSS.escape(message._id)}"]`
    : `[data-message-id="${CSS.escape(message._id)}"]`;
  const item = list.querySelector<HTMLElement>(selector) ?? list.appendChild(el('li'));
  // A receipt may have come before this copy of the message (the ack, or another tab's message_sent).
  const read = message.read || item.querySelector('.status')?.textContent === 'read';
  item.className = `message ${mine ? 'mine' : 'theirs'}`;
  item.dataset.messageId = message._id;
  if (message.clientMessageId) item.dataset.clientId = message.clientMessageId;
  const time = new Date(message.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const meta = el('span', 'meta', `${time}${mine ? ' · ' : ''}`);
  if (mine) meta.append(el('span', 'status', read ? 'read' : 'sent'));
  item.replaceChildren(el('span', 'content', message.content), meta);
  list.scrollTop = list.scrollHeight;
}

$('draft').addEventListener('input', () => {
  if (!client || !peer) return;
  if ($<HTMLInputElement>('draft').value) client.typing(peer);
  else void client.stopTyping(peer).catch(() => undefined);
});

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('draft');
  const content = input.value.trim();
  if (!client || !peer || !content) return;
  input.value = '';
  const to = peer;
  const clientMessageId = newClientMessageId();
  const pending = $('messages').appendChild(el('li', 'message mine'));
  pending.dataset.clientId = clientMessageId;
  pending.append(el('span', 'content', content), el('span', 'meta', 'sending…'));
  void client.stopTyping(to).catch(() => undefined);
  client.sendMessage(to, content, { clientMessageId }).then(
    (message) => {
      if (peer === to) showMessage(message);
    },
    (err: unknown) => {
      pending.classList.add('failed');
      const reason = err instanceof ParleyError ? err.message : `not sent (${errorText(err)})`;
      pending.querySelector('.meta')!.textContent = reason;
    },
  );
});

// ---- start -------------------------------------------------------------------------------------------

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
