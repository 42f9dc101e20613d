import { z } from 'zod';
import { ParloError } from '../../../core/index.ts';
import type { AudienceSpec, CampaignDefinition } from '../../../actors/campaigns/campaign.messages.ts';
import {
  DEFAULT_QUIET_HOURS,
  WEEKDAYS,
  formatLocalDate,
  formatLocalTime,
  isValidTimeZone,
  parseLocalDate,
  parseLocalTime,
  validateSchedule,
  validateSendingWindow,
  type CampaignSchedule,
  type LocalTime,
} from '../../../actors/campaigns/schedule.ts';
import { destinationProblems, MAX_DESTINATION_LENGTH } from '../../../actors/campaigns/tracked-link.ts';
import { customerKeyOf, isCustomerKey } from '../../../actors/contacts/customer-key.ts';
import { normaliseE164 } from '../../../actors/contacts/phone-country.ts';
import { ContactFilterSchema, contactFilterOf, type ContactFilterInput } from './contacts-search.routes.ts';
import { VariableMappingSchema } from './templates.routes.ts';

/**
 * The campaign definition as the API reads and writes it (issue #6, 3): zod schemas with defaults, and the
 * conversion to and from the actors' `CampaignDefinition` (times as `HH:MM`, dates as `YYYY-MM-DD`, instants as
 * ISO strings). Rules no schema expresses (weights adding up to 100, the schedule in the future, known time
 * zones) are checked by `definitionOf`, which names the field.
 */

export const MAX_VARIANTS = 5;
export const MAX_AUDIENCE_CONTACTS = 10_000;
/** Marketing to one contact at most once a day unless the campaign says otherwise. */
export const DEFAULT_FREQUENCY_CAP_HOURS = 24;

const Time = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'HH:MM, 24-hour');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const Weekday = z.enum(WEEKDAYS);

const ScheduleSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('now') }).strict(),
    z.object({ kind: z.literal('at'), at: z.iso.datetime({ offset: true }) }).strict(),
    z
      .object({
        kind: z.literal('localTime'),
        date: Day,
        time: Time,
        defaultTimeZone: z.string().min(1).describe('For recipients whose contact has no time zone'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('recurring'),
        every: z.enum(['day', 'week', 'month']),
        weekdays: z.array(Weekday).min(1).optional().describe('every: week'),
        dayOfMonth: z
          .number()
          .int()
          .min(1)
          .max(31)
          .optional()
          .describe('every: month (29–31: the last day when shorter)'),
        time: Time,
        timeZone: z.string().min(1),
        startDate: Day,
        endDate: Day.optional(),
        count: z.number().int().min(1).max(1_000).optional(),
      })
      .strict(),
  ])
  .meta({ id: 'CampaignSchedule' });

const TrackedButtonSchema = z
  .object({
    button: z.number().int().min(0).max(9).describe("The URL button's 0-based position among the template's buttons"),
    destination: z
      .string()
      .min(1)
      .max(MAX_DESTINATION_LENGTH)
      .describe(
        'Where a click leads: an http(s) URL, which may read contact fields after its host as {{contact.field}} or {{contact.field|fallback}} (percent-encoded when filled in)',
      ),
  })
  .strict()
  .meta({ id: 'CampaignTrackedButton' });

const VariantSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,20}$/)
      .optional()
      .describe('A, B, … by default'),
    weight: z.number().min(0).max(100).optional().describe('Percent of the audience; equal shares by default'),
    template: z.object({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) }).strict(),
    variables: VariableMappingSchema.optional(),
    headerMedia: z
      .object({
        type: z.enum(['image', 'video', 'document']),
        link: z.url().optional(),
        id: z.string().min(1).optional(),
        filename: z.string().min(1).max(240).optional(),
      })
      .strict()
      .refine((m) => (m.link === undefined) !== (m.id === undefined), 'give exactly one of link and id')
      .optional(),
    trackedButtons: z
      .array(TrackedButtonSchema)
      .max(2)
      .optional()
      .describe(
        "URL buttons whose clicks are counted (Meta allows two per template). The template's button URL must be this installation's click redirect, `<public URL>/r/{{1}}`; each recipient's button then carries its own token, and a click is counted and redirected to `destination`.",
      ),
  })
  .strict();

const AudienceSchema = z
  .union([
    z.object({ segmentId: z.string().min(1) }).strict(),
    z.object({ filter: ContactFilterSchema }).strict(),
    z
      .object({
        contacts: z
          .array(z.string().min(1).max(140))
          .min(1)
          .max(MAX_AUDIENCE_CONTACTS)
          .describe('Phone numbers in E.164 (+ optional) or contact keys (p…, u…)'),
      })
      .strict(),
  ])
  .meta({ id: 'CampaignAudience' });

export const CampaignInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    phoneNumberId: z.string().min(1).max(64),
    category: z.enum(['marketing', 'utility']),
    variants: z.array(VariantSchema).min(1).max(MAX_VARIANTS),
    audience: AudienceSchema,
    schedule: ScheduleSchema.default({ kind: 'now' }),
    quietHours: z
      .object({ start: Time, end: Time })
      .strict()
      .nullable()
      .optional()
      .describe('No sends between start and end in the recipient’s time; default 21:00–09:00; null: none'),
    weekdays: z.array(Weekday).min(1).optional().describe('Days sends may happen, in recipient time; default all'),
    fallbackTimeZone: z.string().min(1).optional().describe('For recipients without a time zone; default UTC'),
    frequencyCapHours: z.number().int().min(0).max(720).optional(),
  })
  .meta({ id: 'CampaignInput' });
export type CampaignInput = z.infer<typeof CampaignInput>;

const ScheduleView = z.record(z.string(), z.unknown());

export const CampaignDefinitionView = z
  .object({
    name: z.string(),
    phoneNumberId: z.string(),
    wabaId: z.string(),
    category: z.string(),
    variants: z.array(
      z.object({
        id: z.string(),
        weight: z.number(),
        template: z.object({ name: z.string(), language: z.string() }),
        variables: z.record(z.string(), z.unknown()),
        headerMedia: z.record(z.string(), z.unknown()).optional(),
        trackedButtons: z.array(z.object({ button: z.number().int(), destination: z.string() })).optional(),
      }),
    ),
    audience: z.record(z.string(), z.unknown()),
    schedule: ScheduleView,
    quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
    weekdays: z.array(z.string()),
    fallbackTimeZone: z.string(),
    frequencyCapHours: z.number(),
  })
  .meta({ id: 'CampaignDefinition' });

function invalid(problems: string[]): ParloError {
  return new ParloError('PARLO_CAMPAIGN_INVALID', problems.join('; '), { problems });
}

/** The actors' definition of a campaign input, or PARLO_CAMPAIGN_INVALID naming each broken field. */
export function definitionOf(input: CampaignInput, wabaId: string, nowMs: number): CampaignDefinition {
  const problems: string[] = [];
  const count = input.variants.length;
  const weights = input.variants.map((v) => v.weight ?? Math.round((100 / count) * 100) / 100);
  // Equal default shares that do not divide 100 (3 × 33.33) give the rest to the first.
  if (input.variants.every((v) => v.weight === undefined))
    weights[0] = 100 - weights.slice(1).reduce((a, b) => a + b, 0);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 100) > 0.001) problems.push(`variants: the weights add up to ${sum}, not 100`);
  const ids = input.variants.map((v, i) => v.id ?? String.fromCharCode(65 + i));
  if (new Set(ids).size !== ids.length) problems.push('variants: two variants have the same id');
  input.variants.forEach((variant, i) => problems.push(...trackedButtonInputProblems(variant, `variants[${i}]`)));

  const schedule = scheduleOf(input.schedule, problems);
  const quiet = input.quietHours;
  const sendingWindow = {
    quietHours:
      quiet === undefined
        ? DEFAULT_QUIET_HOURS
        : quiet === null
          ? null
          : { start: time(quiet.start), end: time(quiet.end) },
    weekdays: input.weekdays ?? WEEKDAYS,
  };
  problems.push(...validateSendingWindow(sendingWindow).map((p) => `quietHours/weekdays: ${p}`));
  const fallbackTimeZone = input.fallbackTimeZone ?? 'UTC';
  if (!isValidTimeZone(fallbackTimeZone)) problems.push(`fallbackTimeZone: unknown time zone "${fallbackTimeZone}"`);
  if (schedule !== null) problems.push(...validateSchedule(schedule, nowMs).map((p) => `schedule.${p}`));
  const audience = audienceOf(input, problems);
  if (problems.length > 0 || schedule === null || audience === null) throw invalid(problems);
  return {
    name: input.name,
    phoneNumberId: input.phoneNumberId,
    wabaId,
    category: input.category,
    variants: input.variants.map((v, i) => ({
      id: ids[i]!,
      weight: weights[i]!,
      template: v.template,
      variables: v.variables ?? {},
      ...(v.headerMedia ? { headerMedia: v.headerMedia } : {}),
      ...(v.trackedButtons && v.trackedButtons.length > 0 ? { trackedButtons: v.trackedButtons } : {}),
    })),
    audience,
    schedule,
    sendingWindow,
    fallbackTimeZone,
    frequencyCapHours: input.frequencyCapHours ?? (input.category === 'marketing' ? DEFAULT_FREQUENCY_CAP_HOURS : 0),
  };
}

/**
 * What is wrong with a variant's tracked buttons on their own (the template's side is checked against the template,
 * campaign-launch.ts): each destination, a button tracked twice, a tracked button whose variable is also mapped.
 */
function trackedButtonInputProblems(variant: CampaignInput['variants'][number], at: string): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  (variant.trackedButtons ?? []).forEach(({ button, destination }, j) => {
    const where = `${at}.trackedButtons[${j}]`;
    for (const problem of destinationProblems(destination)) problems.push(`${where}.destination: ${problem}`);
    if (seen.has(button)) problems.push(`${where}.button: button ${button} is tracked twice`);
    seen.add(button);
    if (variant.variables?.buttons?.[button] !== undefined) {
      problems.push(
        `${at}.variables.buttons.${button}: a tracked button's variable is its click token; remove this mapping`,
      );
    }
  });
  return problems;
}

function time(text: string): LocalTime {
  return parseLocalTime(text)!;
}

function scheduleOf(input: CampaignInput['schedule'], problems: string[]): CampaignSchedule | null {
  switch (input.kind) {
    case 'now':
      return { kind: 'now' };
    case 'at':
      return { kind: 'at', atMs: Date.parse(input.at) };
    case 'localTime': {
      const date = parseLocalDate(input.date);
      if (date === null) problems.push(`schedule.date: ${input.date} is not a calendar date`);
      return date === null
        ? null
        : { kind: 'localTime', date, time: time(input.time), defaultTimeZone: input.defaultTimeZone };
    }
    case 'recurring': {
      const startDate = parseLocalDate(input.startDate);
      const endDate = input.endDate === undefined ? undefined : parseLocalDate(input.endDate);
      if (startDate === null) problems.push(`schedule.startDate: ${input.startDate} is not a calendar date`);
      if (endDate === null) problems.push(`schedule.endDate: ${input.endDate} is not a calendar date`);
      const recurrence =
        input.every === 'day'
          ? ({ every: 'day' } as const)
          : input.every === 'week'
            ? input.weekdays === undefined
              ? null
              : ({ every: 'week', weekdays: input.weekdays } as const)
            : input.dayOfMonth === undefined
              ? null
              : ({ every: 'month', dayOfMonth: input.dayOfMonth } as const);
      if (recurrence === null) {
        problems.push(`schedule: every ${input.every} needs ${input.every === 'week' ? 'weekdays' : 'dayOfMonth'}`);
      }
      if (startDate === null || endDate === null || recurrence === null) return null;
      return {
        kind: 'recurring',
        recurrence,
        time: time(input.time),
        timeZone: input.timeZone,
        startDate,
        ...(endDate === undefined ? {} : { endDate }),
        ...(input.count === undefined ? {} : { count: input.count }),
      };
    }
  }
}

function audienceOf(input: CampaignInput, problems: string[]): AudienceSpec | null {
  const audience = input.audience;
  if ('segmentId' in audience) return { kind: 'segment', segmentId: audience.segmentId };
  if ('filter' in audience) return { kind: 'filter', filter: audience.filter };
  const keys: string[] = [];
  const bad: string[] = [];
  audience.contacts.forEach((entry, i) => {
    if (isCustomerKey(entry)) keys.push(entry);
    else {
      const phone = normaliseE164(entry);
      if (phone === null) bad.push(`audience.contacts[${i}]: "${entry}" is neither an E.164 number nor a contact key`);
      else keys.push(customerKeyOf({ phone }));
    }
  });
  if (bad.length > 0) {
    problems.push(...bad.slice(0, 20));
    if (bad.length > 20) problems.push(`… and ${bad.length - 20} more contacts`);
    return null;
  }
  return { kind: 'keys', keys };
}

/** The filter form the contact index evaluates (relative dates resolved at `nowMs`). */
export function indexFilterOf(filter: unknown, nowMs: number) {
  return contactFilterOf(filter as ContactFilterInput, nowMs);
}

/** The definition as the API shows it. */
export function definitionView(definition: CampaignDefinition): z.input<typeof CampaignDefinitionView> {
  const window = definition.sendingWindow;
  const audience = definition.audience;
  return {
    name: definition.name,
    phoneNumberId: definition.phoneNumberId,
    wabaId: definition.wabaId,
    category: definition.category,
    variants: definition.variants.map((v) => ({
      id: v.id,
      weight: v.weight,
      template: v.template,
      variables: v.variables as Record<string, unknown>,
      ...(v.headerMedia ? { headerMedia: { ...v.headerMedia } } : {}),
      ...(v.trackedButtons ? { trackedButtons: v.trackedButtons.map((t) => ({ ...t })) } : {}),
    })),
    audience:
      audience.kind === 'segment'
        ? { segmentId: audience.segmentId }
        : audience.kind === 'filter'
          ? { filter: audience.filter }
          : { contacts: [...audience.keys] },
    schedule: scheduleView(definition.schedule),
    quietHours:
      window.quietHours === null
        ? null
        : { start: formatLocalTime(window.quietHours.start), end: formatLocalTime(window.quietHours.end) },
    weekdays: [...window.weekdays],
    fallbackTimeZone: definition.fallbackTimeZone,
    frequencyCapHours: definition.frequencyCapHours,
  };
}

function scheduleView(schedule: CampaignSchedule): Record<string, unknown> {
  switch (schedule.kind) {
    case 'now':
      return { kind: 'now' };
    case 'at':
      return { kind: 'at', at: new Date(schedule.atMs).toISOString() };
    case 'localTime':
      return {
        kind: 'localTime',
        date: formatLocalDate(schedule.date),
        time: formatLocalTime(schedule.time),
        defaultTimeZone: schedule.defaultTimeZone,
      };
    case 'recurring':
      return {
        kind: 'recurring',
        every: schedule.recurrence.every,
        ...(schedule.recurrence.every === 'week' ? { weekdays: [...schedule.recurrence.weekdays] } : {}),
        ...(schedule.recurrence.every === 'month' ? { dayOfMonth: schedule.recurrence.dayOfMonth } : {}),
        time: formatLocalTime(schedule.time),
        timeZone: schedule.timeZone,
        startDate: formatLocalDate(schedule.startDate),
        ...(schedule.endDate ? { endDate: formatLocalDate(schedule.endDate) } : {}),
        ...(schedule.count === undefined ? {} : { count: schedule.count }),
      };
  }
}
