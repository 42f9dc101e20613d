/**
 * The text a person reads in a message, whatever its type (pure): what a listing previews (summary.ts) and what
 * the inbox's search finds (message-search/). A text's body, a media caption (or a document's file name), a
 * location's name, a reaction's emoji, a button's or list row's title, an interactive message's body, a template's
 * name, a shared contact's name; null when the message has none.
 *
 * Inbound content is Meta's object under the type key (`{ body }` for text); outbound content is the whole
 * message (`{ type: 'text', text: { body } }`), so the latter is unwrapped first.
 */
export function messageTextOf(type: string, content: unknown): string | null {
  const inner = isRecord(content) && content['type'] === type && type in content ? content[type] : content;
  return textOf(type, inner);
}

function textOf(type: string, inner: unknown): string | null {
  if (Array.isArray(inner)) return type === 'contacts' ? contactName(inner[0]) : null;
  if (!isRecord(inner)) return null;
  switch (type) {
    case 'text':
      return str(inner['body']);
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return str(inner['caption']) ?? str(inner['filename']);
    case 'location':
      return str(inner['name']) ?? str(inner['address']);
    case 'reaction':
      return str(inner['emoji']);
    case 'button':
      return str(inner['text']);
    case 'template':
      return str(inner['name']);
    case 'interactive':
      return interactiveText(inner);
    default:
      return str(inner['body']) ?? str(inner['text']);
  }
}

/** An inbound reply (button_reply / list_reply: its title) or an outbound interactive message (its body text). */
function interactiveText(inner: Record<string, unknown>): string | null {
  for (const key of ['button_reply', 'list_reply']) {
    const reply = inner[key];
    if (isRecord(reply)) return str(reply['title']);
  }
  const body = inner['body'];
  return isRecord(body) ? str(body['text']) : null;
}

function contactName(contact: unknown): string | null {
  if (!isRecord(contact)) return null;
  const name = contact['name'];
  return isRecord(name) ? (str(name['formatted_name']) ?? str(name['first_name'])) : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
