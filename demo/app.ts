import {
  LiveInbox,
  ParleyError,
  createClient,
  login,
  newClientMessageId,
  register,
  type AuthResult,
  type ConversationUpdatedPayload,
  type ParleyClient,
  type WireConversation,
  type WireMessage,
} from '../client/src/index.js';

/**
 * The demo chat page: sign up or in, see the inbox (each conversation with its last message and unread
 * badge, kept live by the client's LiveInbox) and who is online, chat with one person or in a group at a
 * time with history, typing indicators, read receipts and unread badges; create groups, add and remove
 * members, leave. Everything goes through the typed client.
 */

/** What is open: a direct conversation (by the other user; its id once it exists) or a group. */
type View =
  | { kind: 'direct'; userId: string; conversationId: string | undefined }
  | { kind: 'group'; conversationId: string };

interface Contact {
  _id: string;
  name: string;
  online: boolean;
  unread: number;
}

const TOKEN_KEY = 'parley-demo-token';
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let client: ParleyClient | undefined;
let inbox: LiveInbox | undefined;
let view: View | undefined;
let me: string | undefined;
const contacts = new Map<string, Contact>();
/** Names of everyone seen (contacts, members), for group events about people no longer in the group. */
const names = new Map<string, string>();

const peer = () => (view?.kind === 'direct' ? view.userId : undefined);
const openGroupId = () => (view?.kind === 'group' ? view.conversationId : undefined);

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
  inbox?.close();
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
    names.set(user._id, user.name);
    $('me').textContent = `${user.name} (@${user.username})`;
    $('auth').hidden = true;
    $('chat').hidden = false;
    $('logout').hidden = false;
    void refreshUnread();
    if (view?.kind === 'direct') void openConversation(view.userId);
    else if (view?.kind === 'group') void openGroup(view.conversationId);
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
  // Registered before the inbox's own listener: the open conversation is known before it counts.
  s.on('receive_message', (message) => {
    names.set(message.senderId, message.senderName);
    const direct = message.receiverId !== null;
    if (direct && view?.kind === 'direct' && message.senderId === view.userId)
      view.conversationId = message.conversationId;
    if (inbox) inbox.open = view?.conversationId;
    if (isOpen(message)) {
      showMessage(message);
      void markShownRead([message]);
    } else if (direct) {
      upsertContact(message.senderId, message.senderName).unread += 1;
      renderContacts();
    }
    void refreshUnread();
  });
  // Sent from this user's other tabs (and the ack's copy in this one).
  s.on('message_sent', ({ message }) => {
    if (view?.kind === 'direct' && message.receiverId === view.userId)
      view.conversationId = message.conversationId;
    if (isOpen(message)) showMessage(message);
  });
  // A read cursor moved: this user's (any tab) sets the badges (through the inbox); another member's marks
  // my messages read.
  s.on('conversation_read', ({ conversationId, userId, lastReadMessageId }) => {
    if (userId === me) void refreshUnread();
    else if (conversationId === view?.conversationId && lastReadMessageId) {
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
  s.on('typing_indicator', ({ userId, userName, isTyping, conversationId }) => {
    if (userId === me) return;
    const here = view?.conversationId ? conversationId === view.conversationId : userId === peer();
    if (here) $('typing').textContent = isTyping ? `${userName} is typing…` : '';
  });
  s.on('conversation_updated', (update) => onGroupChanged(update));

  inbox = new LiveInbox(c, { limit: 50 });
  inbox.subscribe(renderInbox);
}

/** Whether a message belongs to what is open. */
function isOpen(message: WireMessage): boolean {
  if (!view) return false;
  if (view.kind === 'group') return message.conversationId === view.conversationId;
  if (message.receiverId === null) return false;
  return view.conversationId
    ? message.conversationId === view.conversationId
    : message.senderId === view.userId || message.receiverId === view.userId;
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

const otherMember = (conversation: WireConversation) => conversation.members.find((m) => m._id !== me);

function renderInbox() {
  const list = $('inbox');
  list.replaceChildren();
  const conversations = inbox?.list() ?? [];
  for (const conversation of conversations) {
    for (const member of conversation.members) names.set(member._id, member.name);
    const group = conversation.type === 'group';
    const other = group ? undefined : otherMember(conversation);
    if (!group && !other) continue;
    const item = el('li', group ? 'group' : 'direct');
    item.dataset.conversationId = conversation._id;
    if (conversation._id === view?.conversationId || (other && other._id === peer()))
      item.classList.add('selected');
    const button = el('button');
    button.type = 'button';
    const last = conversation.lastMessage;
    const preview = !last
      ? ''
      : group && last.senderId !== me
        ? `${last.senderName}: ${last.content}`
        : last.content;
    const text = el('span', 'summary');
    text.append(
      el('span', 'name', group ? (conversation.title ?? '') : other!.name),
      el('span', 'preview', preview),
    );
    button.append(text);
    if (conversation.unreadCount > 0) button.append(el('span', 'badge', String(conversation.unreadCount)));
    button.addEventListener('click', () =>
      group ? void openGroup(conversation._id) : void openConversation(other!._id, other!.name),
    );
    item.append(button);
    list.append(item);
  }
  $('inbox-empty').hidden = list.children.length > 0;
  if (view?.kind === 'group') {
    const open = inbox?.get(view.conversationId);
    if (open) renderGroupPanel(open);
  }
}

// ---- contacts ----------------------------------------------------------------------------------------

function upsertContact(id: string, name: string): Contact {
  let contact = contacts.get(id);
  if (!contact) contacts.set(id, (contact = { _id: id, name, online: false, unread: 0 }));
  contact.name = name;
  names.set(id, name);
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
    if (contact._id === peer()) item.classList.add('selected');
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

/** Clears the conversation pane for `next` and enables the send form. */
function resetPane(next: View, title: string) {
  view = next;
  if (inbox) inbox.open = next.conversationId;
  $('peer-name').textContent = title;
  $('typing').textContent = '';
  $('send-error').textContent = '';
  $('group-error').textContent = '';
  $('group-notice').hidden = true;
  $('group-panel').hidden = next.kind !== 'group';
  $('messages').replaceChildren();
  setSendEnabled(true);
}

function setSendEnabled(enabled: boolean) {
  for (const control of $('send-form').querySelectorAll<HTMLInputElement | HTMLButtonElement>(
    'input, button',
  ))
    control.disabled = !enabled;
}

async function openConversation(otherId: string, otherName?: string) {
  if (!client) return;
  const contact = contacts.get(otherId);
  resetPane(
    { kind: 'direct', userId: otherId, conversationId: undefined },
    contact?.name ?? otherName ?? 'Conversation',
  );
  renderContacts();
  renderInbox();
  try {
    const { messages, otherUser, conversationId } = await client.history(otherId, { limit: 50 });
    if (peer() !== otherId) return;
    if (view?.kind === 'direct') view.conversationId = conversationId;
    if (inbox) inbox.open = conversationId;
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

async function openGroup(conversationId: string) {
  if (!client) return;
  const known = inbox?.get(conversationId);
  resetPane({ kind: 'group', conversationId }, known?.title ?? 'Group');
  if (known) renderGroupPanel(known);
  renderContacts();
  renderInbox();
  try {
    const [conversation, { messages }] = await Promise.all([
      client.conversation(conversationId),
      client.messages(conversationId, { limit: 50 }),
    ]);
    if (openGroupId() !== conversationId) return;
    inbox?.set(conversation);
    messages.forEach(showMessage);
    await markShownRead(messages);
  } catch (err) {
    $('send-error').textContent = errorText(err);
  }
  $('draft').focus();
}

/**
 * Marks read every message shown here that others sent: one read cursor move up to the last of them (the
 * inbox badge follows from `conversation_read`).
 */
async function markShownRead(messages: WireMessage[]) {
  if (!client) return;
  const last = messages.filter((m) => m.senderId !== me).at(-1);
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
  const mine = message.senderId === me;
  const selector = message.clientMessageId
    ? `[data-client-id="${CSS.escape(message.clientMessageId)}"], [data-message-id="${CSS.escape(message._id)}"]`
    : `[data-message-id="${CSS.escape(message._id)}"]`;
  const item = list.querySelector<HTMLElement>(selector) ?? list.appendChild(el('li'));
  // A receipt may have come before this copy of the message (the ack, or another tab's message_sent). In a
  // group `read` is the viewer's own state (always true for their own): the receipt is `conversation_read`.
  const read =
    (message.receiverId !== null && message.read) || item.querySelector('.status')?.textContent === 'read';
  item.className = `message ${mine ? 'mine' : 'theirs'}`;
  item.dataset.messageId = message._id;
  if (message.clientMessageId) item.dataset.clientId = message.clientMessageId;
  const time = new Date(message.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const meta = el('span', 'meta', `${time}${mine ? ' · ' : ''}`);
  if (mine) meta.append(el('span', 'status', read ? 'read' : 'sent'));
  const parts: HTMLElement[] = [];
  if (!mine && message.receiverId === null) parts.push(el('span', 'sender', message.senderName));
  parts.push(el('span', 'content', message.content), meta);
  item.replaceChildren(...parts);
  list.scrollTop = list.scrollHeight;
}

/** A line in the open conversation about a change (someone added, removed, left…). */
function showEvent(text: string) {
  const list = $('messages');
  list.appendChild(el('li', 'event', text));
  list.scrollTop = list.scrollHeight;
}

const typingTarget = () => (view?.kind === 'group' ? { conversationId: view.conversationId } : view?.userId);

$('draft').addEventListener('input', () => {
  const target = typingTarget();
  if (!client || !target) return;
  if ($<HTMLInputElement>('draft').value) client.typing(target);
  else void client.stopTyping(target).catch(() => undefined);
});

$('send-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('draft');
  const content = input.value.trim();
  const target = typingTarget();
  if (!client || !view || !target || !content) return;
  input.value = '';
  const to = view;
  const clientMessageId = newClientMessageId();
  const pending = $('messages').appendChild(el('li', 'message mine'));
  pending.dataset.clientId = clientMessageId;
  pending.append(el('span', 'content', content), el('span', 'meta', 'sending…'));
  void client.stopTyping(target).catch(() => undefined);
  const sending =
    to.kind === 'group'
      ? client.sendToConversation(to.conversationId, content, { clientMessageId })
      : client.sendMessage(to.userId, content, { clientMessageId });
  sending.then(
    (message) => {
      if (view === to) showMessage(message);
    },
    (err: unknown) => {
      pending.classList.add('failed');
      const reason = err instanceof ParleyError ? err.message : `not sent (${errorText(err)})`;
      pending.querySelector('.meta')!.textContent = reason;
    },
  );
});

// ---- groups ------------------------------------------------------------------------------------------

const nameOf = (id: string) => (id === me ? 'You' : (names.get(id) ?? 'Someone'));
const myRole = (conversation: WireConversation) => conversation.members.find((m) => m._id === me)?.role;

/** Everyone this page knows of (online, or met in a conversation), but this user. */
function knownPeople(): Array<{ _id: string; name: string }> {
  const people = new Map<string, string>();
  for (const c of contacts.values()) people.set(c._id, c.name);
  for (const conversation of inbox?.list() ?? [])
    for (const m of conversation.members) if (!people.has(m._id)) people.set(m._id, m.name);
  if (me) people.delete(me);
  return [...people].map(([_id, name]) => ({ _id, name })).sort((a, b) => a.name.localeCompare(b.name));
}

$('new-group').addEventListener('click', () => {
  const form = $<HTMLFormElement>('group-form');
  form.hidden = !form.hidden;
  if (form.hidden) return;
  const fieldset = $('group-candidates');
  fieldset.querySelectorAll('label').forEach((l) => l.remove());
  const people = knownPeople();
  for (const person of people) {
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.name = 'member';
    box.value = person._id;
    label.append(box, document.createTextNode(person.name));
    fieldset.append(label);
  }
  $('no-candidates').hidden = people.length > 0;
  $('group-form-error').textContent = '';
  form.querySelector<HTMLInputElement>('[name=title]')?.focus();
});

$('cancel-group').addEventListener('click', () => {
  $<HTMLFormElement>('group-form').reset();
  $('group-form').hidden = true;
});

$('group-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const data = new FormData(form);
  const title = String(data.get('title') ?? '');
  const memberIds = data.getAll('member').map(String);
  if (!client) return;
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  button.disabled = true;
  client.createGroup(title, memberIds).then(
    (conversation) => {
      button.disabled = false;
      form.reset();
      form.hidden = true;
      inbox?.set(conversation);
      void openGroup(conversation._id);
    },
    (err: unknown) => {
      button.disabled = false;
      $('group-form-error').textContent = errorText(err);
    },
  );
});

/** The open group's members (with remove buttons where this user's role allows) and the add form. */
function renderGroupPanel(conversation: WireConversation) {
  $('peer-name').textContent = conversation.title ?? 'Group';
  const role = myRole(conversation);
  const list = $('members');
  list.replaceChildren();
  for (const member of conversation.members) {
    names.set(member._id, member.name);
    const item = el('li');
    item.dataset.userId = member._id;
    item.append(el('span', 'name', member._id === me ? `${member.name} (you)` : member.name));
    if (member.role !== 'member') item.append(el('span', 'role', member.role));
    const mayRemove =
      member._id !== me && (role === 'owner' || (role === 'admin' && member.role === 'member'));
    if (mayRemove) {
      const remove = el('button', 'remove', '×');
      remove.type = 'button';
      remove.title = `Remove ${member.name}`;
      remove.setAttribute('aria-label', `Remove ${member.name}`);
      remove.addEventListener('click', () => void changeGroup((c, id) => c.removeMember(id, member._id)));
      item.append(remove);
    }
    list.append(item);
  }
  const mayAdd = role === 'owner' || role === 'admin';
  const select = $<HTMLSelectElement>('add-member');
  const chosen = select.value;
  const inGroup = new Set(conversation.members.map((m) => m._id));
  const candidates = knownPeople().filter((p) => !inGroup.has(p._id));
  select.replaceChildren(
    ...candidates.map((p) => {
      const option = el('option', '', p.name);
      option.value = p._id;
      return option;
    }),
  );
  if (candidates.some((p) => p._id === chosen)) select.value = chosen;
  $('add-member-form').hidden = !mayAdd || candidates.length === 0;
}

/** Runs a change on the open group; a refusal shows under the members. */
async function changeGroup(change: (c: ParleyClient, conversationId: string) => Promise<WireConversation>) {
  const id = openGroupId();
  if (!client || !id) return;
  $('group-error').textContent = '';
  try {
    await change(client, id);
  } catch (err) {
    $('group-error').textContent = errorText(err);
  }
}

$('add-member-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = $<HTMLSelectElement>('add-member').value;
  if (userId) void changeGroup((c, id) => c.addMembers(id, [userId]));
});

$('leave-group').addEventListener('click', () => void changeGroup((c, id) => c.leaveGroup(id)));

const CHANGES: Record<ConversationUpdatedPayload['change']['type'], (by: string, who: string) => string> = {
  created: (by) => `${by} created the group`,
  renamed: (by) => `${by} renamed the group`,
  members_added: (by, who) => `${by} added ${who}`,
  member_removed: (by, who) => `${by} removed ${who}`,
  member_left: (by) => `${by} left`,
  role_changed: (by, who) => `${by} changed the role of ${who}`,
};

/**
 * A group changed (the inbox applies it by itself): in the open group, a line about it and the new members;
 * removed or leaving, this page shows nothing more of it.
 */
function onGroupChanged({ conversation, change }: ConversationUpdatedPayload) {
  for (const member of conversation.members) names.set(member._id, member.name);
  if (conversation._id !== openGroupId()) return;
  const who = (change.userIds ?? []).map(nameOf).join(', ');
  if (change.type !== 'created') showEvent(CHANGES[change.type](nameOf(change.by), who));
  const gone =
    (change.type === 'member_removed' || change.type === 'member_left') && me && change.userIds?.includes(me);
  if (!gone) return;
  view = undefined;
  if (inbox) inbox.open = undefined;
  $('group-panel').hidden = true;
  $('typing').textContent = '';
  setSendEnabled(false);
  const notice = $('group-notice');
  notice.textContent =
    change.type === 'member_left'
      ? `You left ${conversation.title ?? 'the group'}.`
      : `${nameOf(change.by)} removed you from ${conversation.title ?? 'the group'}.`;
  notice.hidden = false;
  renderInbox();
}

// ---- start -------------------------------------------------------------------------------------------

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
