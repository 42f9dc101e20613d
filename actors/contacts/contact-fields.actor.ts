import { defineActor, refusal, unreachable, type Address, type Refusal } from '../../core/index.ts';
import type { AuditActor } from '../org/org.messages.ts';
import { definitionProblems, type FieldDefinition } from './contact-fields.ts';

/**
 * The custom contact fields of one organisation (id = org id): their definitions (contact-fields.ts). Contacts
 * hold the values; this actor decides which keys and types exist. Replacing the definitions does not touch the
 * contacts: a value of a field no longer defined is kept but not shown, and shows again if the field comes back.
 */
export const CONTACT_FIELDS_KIND = 'contact-fields';

export function contactFieldsAddress(orgId: string): Address {
  return { kind: CONTACT_FIELDS_KIND, id: orgId };
}

export interface ContactFieldsState {
  readonly fields: readonly FieldDefinition[];
  readonly updatedAtMs: number | null;
  readonly updatedBy: AuditActor | null;
}

export type ContactFieldsMsg =
  | { readonly type: 'getFields' }
  | { readonly type: 'replaceFields'; readonly fields: readonly FieldDefinition[]; readonly by: AuditActor };

export interface ContactFieldsReplies {
  getFields: { ok: true } & ContactFieldsState;
  replaceFields: ({ ok: true } & ContactFieldsState) | Refusal;
}

const EMPTY: ContactFieldsState = { fields: [], updatedAtMs: null, updatedBy: null };

export const contactFieldsActor = defineActor<ContactFieldsState, ContactFieldsMsg>({
  kind: CONTACT_FIELDS_KIND,
  stateVersion: 1,
  initialState: () => EMPTY,
  isEmpty: (state) => state.updatedAtMs === null,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'getFields':
        return { state, reply: { ok: true, ...state } satisfies ContactFieldsReplies['getFields'] };
      case 'replaceFields': {
        const problems = definitionProblems(msg.fields);
        if (problems.length > 0) return { state, reply: refusal('PARLO_VALIDATION_FAILED', problems.join('; ')) };
        const fields = msg.fields.map((f) => ({
          key: f.key,
          label: f.label.trim(),
          type: f.type,
          ...(f.type === 'enum' ? { options: [...(f.options ?? [])] } : {}),
        }));
        const next: ContactFieldsState = { fields, updatedAtMs: ctx.nowMs, updatedBy: msg.by };
        return { state: next, reply: { ok: true, ...next } satisfies ContactFieldsReplies['replaceFields'] };
      }
      default:
        return unreachable(msg);
    }
  },
});
