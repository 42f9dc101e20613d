import { z } from 'zod';
import { CUSTOMER_KEY_PATTERN } from '../../../actors/contacts/customer-key.ts';

/** A conversation id as routes take it: `<phoneNumberId>.<customer key>` (actors/conversation/conversation.messages.ts). */
export const ConversationId = z
  .string()
  .max(200)
  .refine((id) => {
    const dot = id.indexOf('.');
    return dot > 0 && /^[0-9]{5,25}$/.test(id.slice(0, dot)) && CUSTOMER_KEY_PATTERN.test(id.slice(dot + 1));
  }, 'must be <phoneNumberId>.<p + phone digits | u + user id>');
