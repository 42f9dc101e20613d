import type { Message } from './wire.ts';

/**
 * Reading messages as the API gives them. Inbound content is Meta's object under the type key (`{ body }` for a
 * text), outbound content the whole sent message (`{ type: 'text', text: { body } }`): `innerContent` unwraps the
 * latter so both read alike.
 */

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function innerContent(type: string, content: unknown): unknown {
  return isRecord(content) && content['type'] === type && type in content ? content[type] : content;
}

/** What the status ticks show for an outbound message. */
export type Tick = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/**
 * Meta's status when there is one (read ⊇ delivered ⊇ sent), else the send path's state: accepted by the Graph API
 * counts as sent, anything before it is pending, a refusal is failed.
 */
export function tickOf(message: Pick<Message, 'direction' | 'state' | 'status' | 'error'>): Tick | null {
  if (message.direction !== 'out') return null;
  if (message.state === 'failed' || message.status === 'failed') return 'failed';
  switch (message.status) {
    case 'read':
    case 'played':
      return 'read';
    case 'delivered':
      return 'delivered';
    case 'sent':
      return 'sent';
    default:
      return message.state === 'accepted' ? 'sent' : 'pending';
  }
}

export const TICK_GLYPHS: Readonly<Record<Tick, string>> = {
  pending: '🕓',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '⚠',
};

/** The text of a message's main part (text body, caption, interactive body), or null. */
export function textOf(message: Pick<Message, 'type' | 'content'>): string | null {
  const inner = innerContent(message.type, message.content);
  if (!isRecord(inner)) return null;
  switch (message.type) {
    case 'text':
      return str(inner['body']);
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return str(inner['caption']);
    case 'button':
      return str(inner['text']);
    default:
      return null;
  }
}

/** A short preview of a message for the list (text, caption, reply title…), or null when it has no text. */
export function previewOf(message: Pick<Message, 'type' | 'content'>): string | null {
  const inner = innerContent(message.type, message.content);
  let text: string | null = null;
  if (Array.isArray(inner)) {
    const first: unknown = inner[0];
    const name = isRecord(first) ? first['name'] : undefined;
    text = isRecord(name) ? (str(name['formatted_name']) ?? str(name['first_name'])) : null;
  } else if (isRecord(inner)) {
    switch (message.type) {
      case 'text':
        text = str(inner['body']);
        break;
      case 'image':
      case 'video':
      case 'document':
      case 'audio':
      case 'sticker':
        text = str(inner['caption']) ?? str(inner['filename']);
        break;
      case 'location':
        text = str(inner['name']) ?? str(inner['address']);
        break;
      case 'reaction':
        text = str(inner['emoji']);
        break;
      case 'button':
        text = str(inner['text']);
        break;
      case 'template':
        text = str(inner['name']);
        break;
      case 'interactive':
        text = interactiveTitle(inner) ?? interactiveBody(inner);
        break;
      default:
        text = str(inner['body']) ?? str(inner['text']);
    }
  }
  if (text === null) return null;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

/** An inbound interactive reply's title (button_reply / list_reply / nfm_reply). */
export function interactiveTitle(inner: Json): string | null {
  for (const key of ['button_reply', 'list_reply']) {
    const reply = inner[key];
    if (isRecord(reply)) return str(reply['title']);
  }
  return null;
}

/** An outbound interactive message's body text. */
export function interactiveBody(inner: Json): string | null {
  const body = inner['body'];
  return isRecord(body) ? str(body['text']) : null;
}

/** The buttons or list rows an outbound interactive message offers. */
export function interactiveChoices(inner: Json): string[] {
  const action = inner['action'];
  if (!isRecord(action)) return [];
  const choices: string[] = [];
  const buttons = action['buttons'];
  if (Array.isArray(buttons)) {
    for (const b of buttons) {
      const reply = isRecord(b) ? b['reply'] : undefined;
      const title = isRecord(reply) ? str(reply['title']) : isRecord(b) ? str(b['title']) : null;
      if (title) choices.push(title);
    }
  }
  const sections = action['sections'];
  if (Array.isArray(sections)) {
    for (const s of sections) {
      const rows = isRecord(s) ? s['rows'] : undefined;
      if (!Array.isArray(rows)) continue;
      for (const r of rows) {
        const title = isRecord(r) ? str(r['title']) : null;
        if (title) choices.push(title);
      }
    }
  }
  const button = str(action['button']);
  if (choices.length === 0 && button) choices.push(button);
  return choices;
}

/** The text values a template message was sent with, in order (of one component type when given: `body`). */
export function templateParameters(inner: Json, componentType?: string): string[] {
  const components = inner['components'];
  if (!Array.isArray(components)) return [];
  const values: string[] = [];
  for (const c of components) {
    if (!isRecord(c) || !Array.isArray(c['parameters'])) continue;
    if (componentType !== undefined && c['type'] !== componentType) continue;
    for (const p of c['parameters'] as unknown[]) {
      if (isRecord(p) && typeof p['text'] === 'string') values.push(p['text']);
    }
  }
  return values;
}

/** Messages in reading order: oldest first (by the conversation's seq). */
export function byReadingOrder(a: Pick<Message, 'seq'>, b: Pick<Message, 'seq'>): number {
  return a.seq - b.seq;
}
