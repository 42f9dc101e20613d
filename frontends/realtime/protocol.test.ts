import { describe, expect, it } from 'vitest';
import type { LoggedMessage } from '../../actors/conversation/conversation.messages.ts';
import type { InboxEntry } from '../../actors/inbox/inbox-stream.messages.ts';
import { messageBody } from '../http/api/message-view.ts';
import { createMediaRefs, deriveMediaRefKeys } from '../http/media-refs.ts';
import { eventFrame, isConversationId, numberOfConversation, parseClientFrame, typingFrame } from './protocol.ts';

const refs = createMediaRefs(deriveMediaRefKeys([Buffer.alloc(32, 7)]));

describe('client frames', () => {
  it.each([
    ['{"type":"ping"}', { type: 'ping' }],
    ['{"type":"subscribe","scope":"org"}', { type: 'subscribe', scope: 'org' }],
    ['{"type":"subscribe","scope":"org","since":0}', { type: 'subscribe', scope: 'org', since: 0 }],
    [
      '{"type":"subscribe","scope":"number","id":"1015550001","since":42}',
      { type: 'subscribe', scope: 'number', id: '1015550001', since: 42 },
    ],
    [
      '{"type":"subscribe","scope":"conversation","id":"1015550001.p15551234567"}',
      { type: 'subscribe', scope: 'conversation', id: '1015550001.p15551234567' },
    ],
    [
      '{"type":"unsubscribe","scope":"conversation","id":"1015550001.uABC.1"}',
      { type: 'unsubscribe', scope: 'conversation', id: '1015550001.uABC.1' },
    ],
    [
      '{"type":"typing","conversationId":"1015550001.p15551234567"}',
      { type: 'typing', conversationId: '1015550001.p15551234567' },
    ],
    ['{"type":"typing","conversationId":"1015550001.uABC.1"}', { type: 'typing', conversationId: '1015550001.uABC.1' }],
  ])('accepts %s', (text, frame) => {
    expect(parseClientFrame(text)).toEqual({ ok: true, frame });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"type":', /^a frame must be one JSON object$/],
    ['an array', '[1]', /^frame: /],
    ['an unknown type', '{"type":"publish"}', /^type: /],
    ['an unknown scope', '{"type":"subscribe","scope":"team"}', /^scope: /],
    ['a number scope without id', '{"type":"subscribe","scope":"number"}', /^id: required for scope number$/],
    ['a conversation scope without id', '{"type":"unsubscribe","scope":"conversation"}', /^id: required/],
    [
      'a number id that is no number',
      '{"type":"subscribe","scope":"number","id":"abc"}',
      /^id: must be a phone-number id/,
    ],
    ['a bare number as conversation', '{"type":"subscribe","scope":"conversation","id":"1015550001"}', /^id: must be/],
    ['a negative since', '{"type":"subscribe","scope":"org","since":-1}', /^since: /],
    ['a fractional since', '{"type":"subscribe","scope":"org","since":1.5}', /^since: /],
    ['a string since', '{"type":"subscribe","scope":"org","since":"3"}', /^since: /],
    ['an unknown field', '{"type":"subscribe","scope":"org","sinse":3}', /sinse/],
    ['a field on ping', '{"type":"ping","x":1}', /"x"/],
    ['typing without conversationId', '{"type":"typing"}', /^conversationId: /],
    ['typing with an empty conversationId', '{"type":"typing","conversationId":""}', /^conversationId: /],
    [
      'typing with a number as conversationId',
      '{"type":"typing","conversationId":"1015550001"}',
      /^conversationId: must be a conversation id/,
    ],
    ['typing with a numeric conversationId', '{"type":"typing","conversationId":1015550001}', /^conversationId: /],
    [
      'typing with a scope',
      '{"type":"typing","scope":"conversation","conversationId":"1015550001.p15551234567"}',
      /"scope"/,
    ],
  ])('refuses %s with PARLO_BAD_REQUEST naming the field', (_, text, message) => {
    const parsed = parseClientFrame(text);
    expect(parsed).toMatchObject({ ok: false, code: 'PARLO_BAD_REQUEST' });
    expect(parsed.ok ? '' : parsed.message).toMatch(message);
  });

  it('knows conversation ids', () => {
    expect(isConversationId('1015550001.p15551234567')).toBe(true);
    expect(isConversationId('1015550001.u12.ab')).toBe(true);
    expect(isConversationId('.p15551234567')).toBe(false);
    expect(isConversationId('abc.p15551234567')).toBe(false);
    expect(numberOfConversation('1015550001.u12.ab')).toBe('1015550001');
  });
});

describe('event frames', () => {
  const customer = { phone: '15551234567', userId: null, profileName: 'Ada' };
  const ref = { conversationId: '1015550001.p15551234567', phoneNumberId: '1015550001', customer };
  const message: LoggedMessage = {
    seq: 3,
    id: 'wamid.IN3',
    direction: 'in',
    atMs: Date.UTC(2026, 0, 2, 3, 4, 5),
    type: 'image',
    content: { caption: 'look' },
    providerMessageId: 'wamid.IN3',
    category: null,
    sendState: null,
    status: null,
    error: null,
    attempts: 0,
    by: null,
    media: {
      state: 'stored',
      mediaId: 'media1',
      attempts: 1,
      ref: 'a'.repeat(64),
      mimeType: 'image/jpeg',
      sizeBytes: 10,
      fileName: null,
    },
  };

  it('renders a message with the REST API’s message view (media refs scoped to the organisation)', () => {
    const entry: InboxEntry = {
      seq: 9,
      atMs: Date.UTC(2026, 0, 2, 3, 4, 6),
      event: { type: 'message', message, ...ref },
    };
    const frame = JSON.parse(eventFrame(entry, 'org1', refs)) as Record<string, unknown>;
    expect(frame).toEqual({
      type: 'event',
      seq: 9,
      at: '2026-01-02T03:04:06.000Z',
      event: { type: 'message', ...ref, message: JSON.parse(JSON.stringify(messageBody(message, 'org1', refs))) },
    });
    const shown = (frame.event as { message: { media: { ref: string } } }).message.media.ref;
    expect(refs.open('org1', shown)).toBe('a'.repeat(64));
    expect(refs.open('org2', shown)).toBeUndefined();
  });

  it('renders an assignment with its lock, and a status change', () => {
    const assignment: InboxEntry = {
      seq: 10,
      atMs: 0,
      event: {
        type: 'assignment',
        ...ref,
        assignee: 'usr1',
        lock: { holder: 'usr1', sinceMs: 1_000, expiresAtMs: 61_000 },
      },
    };
    expect(JSON.parse(eventFrame(assignment, 'org1', refs))).toMatchObject({
      event: {
        type: 'assignment',
        assignee: 'usr1',
        lock: { holder: 'usr1', since: '1970-01-01T00:00:01.000Z', expiresAt: '1970-01-01T00:01:01.000Z' },
      },
    });
    const status: InboxEntry = {
      seq: 11,
      atMs: 0,
      event: { type: 'conversationStatus', ...ref, status: 'snoozed', snoozedUntilMs: 2_000 },
    };
    expect(JSON.parse(eventFrame(status, 'org1', refs))).toMatchObject({
      event: { type: 'conversationStatus', status: 'snoozed', snoozedUntil: '1970-01-01T00:00:02.000Z' },
    });
  });

  it('renders a note as the REST API answers it, and tags whole', () => {
    const note: InboxEntry = {
      seq: 12,
      atMs: 0,
      event: {
        type: 'noteAdded',
        ...ref,
        note: { id: 'note_1', atMs: 3_000, by: 'usr1', text: 'call @usr2', mentions: ['usr2'] },
      },
    };
    expect(JSON.parse(eventFrame(note, 'org1', refs))).toMatchObject({
      event: {
        type: 'noteAdded',
        note: { id: 'note_1', at: '1970-01-01T00:00:03.000Z', by: 'usr1', text: 'call @usr2', mentions: ['usr2'] },
      },
    });
    const tags: InboxEntry = { seq: 13, atMs: 0, event: { type: 'tagsChanged', ...ref, tags: ['vip'] } };
    expect(JSON.parse(eventFrame(tags, 'org1', refs))).toMatchObject({ event: { type: 'tagsChanged', tags: ['vip'] } });
  });
});

describe('typing frames', () => {
  it('renders who types where, and until when (ISO), in the documented shape', () => {
    const frame = typingFrame({
      conversationId: '1015550001.p15551234567',
      phoneNumberId: '1015550001',
      userId: 'usr1',
      expiresAtMs: Date.UTC(2026, 0, 1, 0, 0, 6),
    });
    expect(frame).toBe(
      '{"type":"typing","conversationId":"1015550001.p15551234567","phoneNumberId":"1015550001",' +
        '"userId":"usr1","expiresAt":"2026-01-01T00:00:06.000Z"}',
    );
  });
});
