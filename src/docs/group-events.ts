import * as In from '../protocol/inputs.js';
import * as Out from '../protocol/outputs.js';

/** The group events for the docs (spread into `socket-events.ts`'s tables, which the compiler checks). */

const who =
  'Not a member (never, or no longer), or no such conversation: `Conversation not found`; a role that may not: `Access denied`; a direct conversation: `Direct conversations have exactly two members`.';

export const groupServerEvents = {
  conversation_updated: {
    summary: 'A group changed: created, renamed, members added or removed, a member left, a role changed',
    description:
      'To every socket of every member, once, and also to the members it removed or who left (so their inbox drops it); they hear nothing more from the group afterwards. `conversation` is the same for everyone (viewer-neutral: `unreadCount` 0, `lastReadMessageId` null).',
    payload: Out.conversationUpdatedPayload,
  },
};

export const groupClientEvents = {
  create_group: {
    summary: 'Create a group',
    description:
      '`{title, memberIds}`: the caller becomes its `owner`, the others `member`s (`memberIds` may be empty; unknown ids: `Unknown user: <id>`; more than `MAX_GROUP_MEMBERS` in all: `Group is full: at most <N> members`). `title` is trimmed, 1–100 characters. Then `conversation_updated` (`created`) to every member.',
    payload: In.createGroupInput,
    ack: Out.conversationPayload,
    reply: 'conversation' as const,
  },
  update_conversation: {
    summary: 'Rename a group (owner, admin)',
    description: `\`{conversationId, title}\`, \`title\` trimmed, 1–100 characters. Then \`conversation_updated\` (\`renamed\`; none when the title is the same). ${who}`,
    payload: In.updateConversationInput,
    ack: Out.groupChangedPayload,
  },
  add_members: {
    summary: 'Add members to a group (owner, admin)',
    description: `\`{conversationId, userIds}\` (at most 1000 per call). Members already in the group stay as they are. Each new member sees the whole history, read up to the newest message; their sockets receive the group's events from then on. Then \`conversation_updated\` (\`members_added\`, with the ids added) to every member. ${who} Unknown ids: \`Unknown user: <id>\`; past the limit: \`Group is full: at most <N> members\` (nobody is added).`,
    payload: In.addMembersInput,
    ack: Out.groupChangedPayload,
  },
  remove_member: {
    summary: 'Remove a member, or leave (yourself)',
    description: `\`{conversationId, userId}\`. The owner may remove anyone, an admin only members; anyone may remove themselves (\`member_left\`: when the owner leaves, the longest-standing admin, else member, becomes owner). The removed member's sockets leave the group before the answer: they get this \`conversation_updated\` and nothing more. Removing a non-member changes nothing. ${who}`,
    payload: In.removeMemberInput,
    ack: Out.groupChangedPayload,
  },
  set_member_role: {
    summary: "Set a member's role (owner)",
    description: `\`{conversationId, userId, role}\`: \`admin\` or \`member\`; \`owner\` hands ownership over (the old owner becomes an admin). A user who is not a member: \`Unknown user: <id>\`. Then \`conversation_updated\` (\`role_changed\`). ${who}`,
    payload: In.setMemberRoleInput,
    ack: Out.groupChangedPayload,
  },
};
