import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { ErrorCode } from '../../domain/errors.js';
import { documented } from '../../docs/route-docs.js';
import {
  addMembersBody,
  idParam,
  memberParams,
  setMemberRoleBody,
  updateConversationBody,
} from '../../protocol/inputs.js';
import { groupChangedPayload, type GroupChangedPayload } from '../../protocol/outputs.js';
import { parseInput } from '../../protocol/validate.js';
import type { Services } from '../../services/services.js';
import { toGroupChangedPayload } from '../conversation-mappers.js';
import { userOf } from './http-auth.js';

const conversationParam = idParam('id');
const answer = {
  200: { description: 'The group as the caller sees it afterwards', schema: groupChangedPayload },
};
const errors: ErrorCode[] = [
  'CONVERSATION_NOT_FOUND',
  'ACCESS_DENIED',
  'DIRECT_MEMBERSHIP',
  'RATE_LIMITED',
  'INTERNAL',
];
const who =
  'Not a member (never, or no longer) or no such conversation: 404 `Conversation not found`; a role that may not: 403 `Access denied`; a direct conversation: 400 `Direct conversations have exactly two members`.';

/** Changing a group: its title, members and roles. Creating one is `POST /api/conversations`. */
export function groupRoutes(
  app: FastifyInstance,
  { groups }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.patch<{ Reply: GroupChangedPayload }>(
    '/api/conversations/:id',
    {
      ...documented({
        tag: 'conversations',
        summary: 'Rename a group (owner, admin)',
        description: `\`{title}\`, trimmed, 1–100 characters; \`conversation_updated\` (\`renamed\`) to every member. The same as \`update_conversation\`. ${who}`,
        auth: true,
        params: conversationParam,
        body: updateConversationBody,
        answers: answer,
        errors,
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      const { title } = parseInput(updateConversationBody, request.body, 'request body');
      return toGroupChangedPayload(await groups.rename(userOf(request), String(id), title));
    },
  );

  app.post<{ Reply: GroupChangedPayload }>(
    '/api/conversations/:id/members',
    {
      ...documented({
        tag: 'conversations',
        summary: 'Add members to a group (owner, admin)',
        description: `\`{userIds}\` (1–1000 per call); members already in the group stay as they are. \`conversation_updated\` (\`members_added\`) to every member. The same as \`add_members\`. ${who}`,
        auth: true,
        params: conversationParam,
        body: addMembersBody,
        answers: answer,
        errors: [...errors, 'UNKNOWN_USER', 'GROUP_FULL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      const { userIds } = parseInput(addMembersBody, request.body, 'request body');
      return toGroupChangedPayload(await groups.addMembers(userOf(request), String(id), userIds));
    },
  );

  app.delete<{ Reply: GroupChangedPayload }>(
    '/api/conversations/:id/members/:userId',
    {
      ...documented({
        tag: 'conversations',
        summary: 'Remove a member from a group, or leave it',
        description: `The owner may remove anyone, an admin only members; anyone may remove themselves (leaving: the answer is the group as \`conversation_updated\` shows it). The removed member gets \`conversation_updated\` and nothing more of the group. The same as \`remove_member\`. ${who}`,
        auth: true,
        params: memberParams,
        answers: answer,
        errors,
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id, userId } = parseInput(memberParams, request.params, 'path');
      return toGroupChangedPayload(await groups.removeMember(userOf(request), id, userId));
    },
  );

  app.patch<{ Reply: GroupChangedPayload }>(
    '/api/conversations/:id/members/:userId',
    {
      ...documented({
        tag: 'conversations',
        summary: "Set a member's role (owner)",
        description: `\`{role}\`: \`admin\` or \`member\`; \`owner\` hands ownership over (the old owner becomes an admin). The same as \`set_member_role\`. A user who is not a member: 400 \`Unknown user: <id>\`. ${who}`,
        auth: true,
        params: memberParams,
        body: setMemberRoleBody,
        answers: answer,
        errors: [...errors, 'UNKNOWN_USER'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id, userId } = parseInput(memberParams, request.params, 'path');
      const { role } = parseInput(setMemberRoleBody, request.body, 'request body');
      return toGroupChangedPayload(await groups.setMemberRole(userOf(request), id, userId, role));
    },
  );
}
