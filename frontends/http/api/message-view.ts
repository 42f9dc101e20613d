import { z } from 'zod';
import type { LoggedMessage } from '../../../actors/conversation/conversation.messages.ts';
import type { MediaRefs } from '../media-refs.ts';
import { iso } from '../routes/identity.routes.ts';
import { MediaView, mediaView } from '../routes/media.routes.ts';

/**
 * How a logged message of a conversation is shown to clients: by the REST API (`GET /v1/conversations/{id}` and its
 * messages) and by the realtime gateway's event frames (frontends/realtime), so that a client replaces what it
 * shows with what either sends. The one rendering function, `messageBody`, builds exactly the fields the schema
 * whitelists, so the gateway (which sends it without parsing) and the REST API (which parses it) agree.
 */
export const MessageView = z
  .object({
    id: z.string(),
    seq: z.number(),
    direction: z.enum(['in', 'out']),
    at: z.string(),
    type: z.string(),
    content: z.unknown(),
    whatsappMessageId: z.string().nullable(),
    category: z.string().nullable(),
    state: z.string().nullable(),
    status: z.string().nullable(),
    statusHistory: z.array(z.object({ status: z.string(), at: z.string() })),
    error: z.object({ code: z.union([z.number(), z.string()]), detail: z.string() }).nullable(),
    media: MediaView.nullable(),
  })
  .meta({ id: 'ConversationMessage' });

export type MessageViewBody = z.input<typeof MessageView>;

/** A logged message as clients see it; stored media gets a ref scoped to `orgId`. */
export function messageBody(m: LoggedMessage, orgId: string, refs: MediaRefs): MessageViewBody {
  return {
    id: m.id,
    seq: m.seq,
    direction: m.direction,
    at: iso(m.atMs),
    type: m.type,
    content: m.content,
    whatsappMessageId: m.providerMessageId,
    category: m.category,
    state: m.sendState,
    status: m.status === null ? null : m.status.current,
    statusHistory: (m.status?.history ?? []).map((h) => ({ status: h.status, at: iso(h.atMs) })),
    error: m.error === null ? null : { code: m.error.code, detail: m.error.detail },
    media: mediaView(m.media, orgId, refs),
  };
}
