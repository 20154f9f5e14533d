import {
  ParleyError,
  createClient,
  login,
  newClientMessageId,
  register,
  type AuthResult,
  type ParleyClient,
  type WireMessage,
} from '../client/src/index.js';

/**
 * The demo chat page: sign up or in, see who is online, chat with one of them at a time with history,
 * typing indicators, read receipts and unread badges. Everything goes through the typed client.
 */

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
const contacts = new Map<string, Contact>();

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
    $('me').textContent = `${user.name} (@${user.username})`;
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
    if (message.senderId === peer) {
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
    if (message.receiverId === peer) showMessage(message);
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

async function openConversation(otherId: string) {
  if (!client) return;
  peer = otherId;
  const contact = contacts.get(otherId);
  $('peer-name').textContent = contact?.name ?? 'Conversation';
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
  $('draft').focus();
}

/** Marks read every message shown here that was sent to this user and is still unread. */
async function markShownRead(messages: WireMessage[]) {
  if (!client) return;
  const unread = messages.filter((m) => !m.read && m.senderId === peer);
  await Promise.all(unread.map((m) => client?.markRead(m._id).catch(() => undefined)));
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
