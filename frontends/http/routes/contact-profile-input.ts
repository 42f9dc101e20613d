import { z } from 'zod';
import { checkFieldValue, type FieldDefinition, type FieldValue } from '../../../actors/contacts/contact-fields.ts';
import {
  LANGUAGE_PATTERN,
  MAX_NAME_LENGTH,
  MAX_NOTES_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  TAG_PATTERN,
  isTimeZone,
  normaliseTag,
  type ProfilePatch,
} from '../../../actors/contacts/contact-profile.ts';
import type { ValidationDetail } from '../api/validation.ts';

/**
 * The profile part of a contact write (`PATCH /v1/contacts/{key}`, each item of `POST /v1/contacts/batch`): its
 * schema, and the check of what the schema cannot say — custom field values against the organisation's
 * definitions, time zones, tag shapes — turning the input into the contact actor's patch.
 */
const TagList = z.array(z.string().min(1).max(MAX_TAG_LENGTH)).max(MAX_TAGS);

export const ProfileFields = {
  name: z.string().trim().min(1).max(MAX_NAME_LENGTH).nullable().optional(),
  language: z
    .string()
    .regex(LANGUAGE_PATTERN, 'a language code as Meta writes it: es, en_US, pt_BR')
    .nullable()
    .optional(),
  timeZone: z.string().min(1).max(64).nullable().optional().describe('IANA time zone (Europe/Madrid)'),
  tags: z.object({ set: TagList.optional(), add: TagList.optional(), remove: TagList.optional() }).strict().optional(),
  fields: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).nullable())
    .optional()
    .describe('Custom field values by key; null removes a value'),
  notes: z.string().max(MAX_NOTES_LENGTH).nullable().optional(),
};

export const ProfileInput = z.object(ProfileFields).meta({ id: 'ContactUpdate' });
export type ProfileInput = z.infer<typeof ProfileInput>;

/** The patch of `input`, or every problem, each at `<prefix><field>` (prefix `contacts[3].` in a batch). */
export function profilePatchOf(
  input: ProfileInput,
  definitions: readonly FieldDefinition[],
  prefix = '',
): { readonly patch: ProfilePatch; readonly problems: readonly ValidationDetail[] } {
  const problems: ValidationDetail[] = [];
  // Problems in the order fields, time zone, tags.
  const fields = input.fields === undefined ? undefined : checkedFields(problems, prefix, input.fields, definitions);
  if (input.timeZone !== undefined && input.timeZone !== null && !isTimeZone(input.timeZone)) {
    problem(
      problems,
      prefix,
      'timeZone',
      `"${input.timeZone}" is not an IANA time zone (Europe/Madrid, America/Mexico_City)`,
    );
  }
  if (input.tags !== undefined) {
    checkTags(problems, prefix, 'set', input.tags.set);
    checkTags(problems, prefix, 'add', input.tags.add);
    checkTags(problems, prefix, 'remove', input.tags.remove);
  }
  // Built by assignment in one fixed order (not by spreading optional parts), so that every patch has one of a
  // few shapes and reading it stays fast: a bulk import builds a thousand per request.
  const patch: { -readonly [K in keyof ProfilePatch]: ProfilePatch[K] } = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.language !== undefined) patch.language = input.language;
  if (input.timeZone !== undefined) patch.timeZone = input.timeZone;
  if (input.tags !== undefined) patch.tags = input.tags;
  if (fields !== undefined) patch.fields = fields;
  if (input.notes !== undefined) patch.notes = input.notes;
  return { patch, problems };
}

function problem(problems: ValidationDetail[], prefix: string, path: string, message: string): void {
  problems.push({ location: 'body', path: `${prefix}${path}`, rule: 'custom', message });
}

function checkTags(problems: ValidationDetail[], prefix: string, list: string, tags: readonly string[] | undefined) {
  for (const tag of tags ?? []) {
    const normalised = normaliseTag(tag);
    if (!TAG_PATTERN.test(normalised) || normalised.length > MAX_TAG_LENGTH) {
      problem(
        problems,
        prefix,
        `tags.${list}`,
        `"${tag}" is not a tag: letters, digits, - _ : without spaces, at most ${MAX_TAG_LENGTH} characters`,
      );
    }
  }
}

/** Custom field values checked against the organisation's definitions (null removes a value). */
function checkedFields(
  problems: ValidationDetail[],
  prefix: string,
  input: Readonly<Record<string, string | number | boolean | null>>,
  definitions: readonly FieldDefinition[],
): Record<string, FieldValue | null> {
  const fields: Record<string, FieldValue | null> = {};
  for (const [key, value] of Object.entries(input)) {
    const field = definitions.find((f) => f.key === key);
    if (!field) {
      problem(
        problems,
        prefix,
        `fields.${key}`,
        'is not a custom field of this organisation (GET /v1/contacts/fields)',
      );
      continue;
    }
    if (value === null) {
      fields[key] = null;
      continue;
    }
    const checked = checkFieldValue(field, value);
    if (checked.ok) fields[key] = checked.value;
    else problem(problems, prefix, `fields.${key}`, `must be ${checked.message} (a ${field.type} field)`);
  }
  return fields;
}
