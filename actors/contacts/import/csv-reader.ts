/**
 * A streaming CSV reader for contact imports (spreadsheet exports of up to millions of rows), pure: it reads the
 * chunks it is given and does no I/O of its own, so the caller decides where the bytes come from (an upload, a
 * file, a test's array).
 *
 * Dialect: RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180#section-2) as spreadsheets actually write it.
 * - Records end at CRLF, LF or a lone CR (old Mac exports); a quoted field may hold the delimiter, any of those
 *   line breaks (kept as written) and `""` for one `"`.
 * - The delimiter is `,`, `;` (what Excel writes where the decimal separator is a comma: es, fr, de, it, pt-BR…)
 *   or a tab. `auto` (the default) takes the most frequent of the three outside quotes on the first non-blank line,
 *   and `,` when none is most frequent (a tie, or none at all).
 * - A UTF-8 byte order mark at the start (Excel's "CSV UTF-8") is dropped. Bytes are decoded as UTF-8 with a
 *   streaming TextDecoder, so a character split between chunks is decoded whole; invalid bytes become U+FFFD.
 *   String chunks are taken as already decoded.
 * - Blank lines (a line break and nothing else) are skipped, yet counted, so `line` is always the 1-based physical
 *   line where a record starts, as a text editor shows it; the error reports of an import point there.
 * - Nothing is trimmed and no field is interpreted: `  +34 600` stays as written; phones go through
 *   phone-normalise.ts.
 *
 * Malformed input throws a `CsvError` with the line where the offending record starts and a stable `reason`:
 * `unterminated-quote` (a quote still open at the end of the input), `stray-quote` (a `"` inside an unquoted field,
 * or anything but a delimiter or line break after a closing quote), `field-too-long` (over `maxFieldBytes` UTF-8
 * bytes) and `too-many-fields` (over `maxFields`). Those two limits are what keep one hostile or broken file (a
 * quote that never closes, a binary upload) from holding gigabytes in memory.
 *
 * Bounds and cost: one pass over the text with `charCodeAt` and `slice` (no regular expression, no per-character
 * concatenation), resumable at any chunk boundary, so no text is scanned twice; records are yielded as they
 * complete. Memory: the current chunk, plus the current record (≤ `maxFields` fields of ≤ `maxFieldBytes` bytes),
 * plus, while `auto` detection waits for the end of the first line, the text before it (≤ `DETECT_MAX_CHARS`).
 */

export interface CsvOptions {
  /** Field separator; `auto` (the default) detects it from the first line. */
  readonly delimiter?: ',' | ';' | '\t' | 'auto';
  /** Longest field, in UTF-8 bytes once unquoted; default 64 KiB. */
  readonly maxFieldBytes?: number;
  /** Most fields in one record; default 1,000. */
  readonly maxFields?: number;
}

export interface CsvRecord {
  /** 1-based physical line where the record starts (blank lines and line breaks inside quotes counted). */
  readonly line: number;
  readonly fields: readonly string[];
}

export const CSV_ERROR_REASONS = ['unterminated-quote', 'stray-quote', 'field-too-long', 'too-many-fields'] as const;
export type CsvErrorReason = (typeof CSV_ERROR_REASONS)[number];

/** The input is not CSV the reader can trust; `line` is where the offending record starts. */
export class CsvError extends Error {
  override readonly name = 'CsvError';

  constructor(
    readonly line: number,
    readonly reason: CsvErrorReason,
    detail: string,
  ) {
    super(`CSV line ${line}: ${detail}`);
  }
}

const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
const DEFAULT_MAX_FIELDS = 1_000;
/** `auto` decides after this many characters even if the first line has not ended (a header is far shorter). */
const DETECT_MAX_CHARS = 1024 * 1024;

const TAB = 9;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const SEMICOLON = 59;
const BOM = 0xfeff;

const DELIMITER_CODES: Readonly<Record<',' | ';' | '\t', number>> = { ',': COMMA, ';': SEMICOLON, '\t': TAB };

/**
 * The records of a CSV stream, in order. Throws `CsvError` on malformed input (after yielding every record before
 * it) and `RangeError` on invalid options. Breaking out of the loop early closes `chunks`.
 */
export async function* readCsv(
  chunks: AsyncIterable<Uint8Array | string>,
  options: CsvOptions = {},
): AsyncGenerator<CsvRecord> {
  const limits = resolveLimits(options);
  const delimiter = options.delimiter ?? 'auto';
  const text = new Utf8Text();
  const sniffer = new DelimiterSniffer();
  const held: string[] = [];
  let tokenizer = delimiter === 'auto' ? null : new CsvTokenizer(DELIMITER_CODES[delimiter], limits);

  for await (const chunk of chunks) {
    const decoded = text.decode(chunk);
    if (decoded.length === 0) continue;
    if (tokenizer === null) {
      // Hold the text until the first line is complete, then parse it all with the delimiter it shows.
      held.push(decoded);
      if (!sniffer.scan(decoded)) continue;
      tokenizer = new CsvTokenizer(sniffer.delimiter(), limits);
      tokenizer.feed(held.join(''));
      held.length = 0;
    } else {
      tokenizer.feed(decoded);
    }
    for (let record = tokenizer.next(); record !== null; record = tokenizer.next()) yield record;
  }

  const rest = text.flush();
  if (tokenizer === null) {
    held.push(rest);
    tokenizer = new CsvTokenizer(sniffer.delimiter(), limits);
    tokenizer.feed(held.join(''));
  } else {
    tokenizer.feed(rest);
  }
  for (let record = tokenizer.next(); record !== null; record = tokenizer.next()) yield record;
  const last = tokenizer.end();
  if (last !== null) yield last;
}

interface Limits {
  readonly maxFieldBytes: number;
  readonly maxFields: number;
}

function resolveLimits(options: CsvOptions): Limits {
  const maxFieldBytes = options.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES;
  const maxFields = options.maxFields ?? DEFAULT_MAX_FIELDS;
  if (!Number.isSafeInteger(maxFieldBytes) || maxFieldBytes < 1) {
    throw new RangeError(`maxFieldBytes must be a positive integer, got ${maxFieldBytes}`);
  }
  if (!Number.isSafeInteger(maxFields) || maxFields < 1) {
    throw new RangeError(`maxFields must be a positive integer, got ${maxFields}`);
  }
  const delimiter: unknown = options.delimiter ?? 'auto';
  if (delimiter !== 'auto' && delimiter !== ',' && delimiter !== ';' && delimiter !== '\t') {
    throw new RangeError(`delimiter must be ',', ';', '\\t' or 'auto', got ${JSON.stringify(delimiter)}`);
  }
  return { maxFieldBytes, maxFields };
}

/** Bytes → text across chunk boundaries, with the leading byte order mark dropped. */
class Utf8Text {
  // ignoreBOM keeps a BOM in the output, so the one rule in dropBom() covers byte and string chunks alike.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private atStart = true;
  private lastWasBytes = false;

  decode(chunk: Uint8Array | string): string {
    let text: string;
    if (typeof chunk === 'string') {
      // Bytes left over from a split character before a string chunk can never complete: flush them (U+FFFD).
      text = this.lastWasBytes ? this.decoder.decode() + chunk : chunk;
      this.lastWasBytes = false;
    } else {
      text = this.decoder.decode(chunk, { stream: true });
      this.lastWasBytes = true;
    }
    return this.dropBom(text);
  }

  flush(): string {
    return this.lastWasBytes ? this.dropBom(this.decoder.decode()) : '';
  }

  private dropBom(text: string): string {
    if (!this.atStart || text.length === 0) return text;
    this.atStart = false;
    return text.charCodeAt(0) === BOM ? text.slice(1) : text;
  }
}

/** Counts the candidate delimiters outside quotes on the first non-blank line, as it arrives chunk by chunk. */
class DelimiterSniffer {
  private commaCount = 0;
  private semicolonCount = 0;
  private tabCount = 0;
  private inQuotes = false;
  private sawContent = false;
  private scannedChars = 0;

  /** Scans more text; true once the first line has ended or the budget is spent. */
  scan(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        // `""` inside quotes toggles twice, so escaped quotes need no special case.
        this.inQuotes = !this.inQuotes;
        this.sawContent = true;
      } else if (this.inQuotes) {
        continue;
      } else if (c === LF || c === CR) {
        if (this.sawContent) return true;
      } else {
        this.sawContent = true;
        if (c === COMMA) this.commaCount++;
        else if (c === SEMICOLON) this.semicolonCount++;
        else if (c === TAB) this.tabCount++;
      }
    }
    this.scannedChars += text.length;
    return this.scannedChars >= DETECT_MAX_CHARS;
  }

  /** The strictly most frequent candidate, else `,`. */
  delimiter(): number {
    const { commaCount, semicolonCount, tabCount } = this;
    if (semicolonCount > commaCount && semicolonCount > tabCount) return SEMICOLON;
    if (tabCount > commaCount && tabCount > semicolonCount) return TAB;
    return COMMA;
  }
}

/** Where the tokenizer is inside the current record. */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Inside a quoted field, just past a `"`: the next character says whether it was `""` or the closing quote. */
const AFTER_QUOTE = 3;
type ScanState = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof AFTER_QUOTE;

/**
 * The resumable state machine. `feed(text)` hands it the next piece of text; `next()` returns each record that
 * completes in it and null once the text ends, keeping the unfinished record (the fields so far, the state and
 * the partial field) for the next piece; `end()` completes the last record at the end of the input.
 */
class CsvTokenizer {
  private text = '';
  private pos = 0;
  private state: ScanState = FIELD_START;
  private fields: string[] = [];
  /** The current field's text from earlier pieces (already unescaped when quoted). */
  private partial = '';
  /** Physical line at `pos`. */
  private line = 1;
  private recordLine = 1;
  /** The previous piece ended with a CR that ended a line; a LF starting this piece belongs to it. */
  private skipLf = false;
  /** Inside quotes, the last character was a CR (so a LF right after it is the same line break). */
  private afterCr = false;
  private readonly delimiter: number;
  private readonly maxFieldBytes: number;
  private readonly maxFields: number;
  /** A field of at most this many UTF-16 code units cannot exceed maxFieldBytes (≤ 3 UTF-8 bytes per unit). */
  private readonly surelyShortChars: number;

  constructor(delimiter: number, limits: Limits) {
    this.delimiter = delimiter;
    this.maxFieldBytes = limits.maxFieldBytes;
    this.maxFields = limits.maxFields;
    this.surelyShortChars = Math.floor(limits.maxFieldBytes / 3);
  }

  feed(text: string): void {
    this.text = text;
    this.pos = 0;
  }

  next(): CsvRecord | null {
    const s = this.text;
    const n = s.length;
    const delimiter = this.delimiter;
    let i = this.pos;
    if (this.skipLf && i < n) {
      this.skipLf = false;
      if (s.charCodeAt(i) === LF) i++;
    }
    while (i < n) {
      const state = this.state;
      if (state === QUOTED) {
        i = this.scanQuoted(s, i);
        continue;
      }
      if (state === AFTER_QUOTE) {
        const c = s.charCodeAt(i);
        if (c === QUOTE) {
          this.partial += '"';
          this.state = QUOTED;
          // An escaped quote stands between a CR before it and a LF after it: two line breaks, not one CRLF.
          this.afterCr = false;
          i++;
        } else if (c === delimiter) {
          this.endField(this.partial);
          i++;
        } else if (c === LF || c === CR) {
          this.endField(this.partial);
          this.pos = this.lineBreak(s, i, c);
          return this.endRecord();
        } else {
          throw this.error('stray-quote', 'a closing quote must be followed by a delimiter or a line break');
        }
        continue;
      }
      if (state === FIELD_START) {
        const c = s.charCodeAt(i);
        if (c === QUOTE) {
          this.state = QUOTED;
          this.afterCr = false;
          i++;
          continue;
        }
        if ((c === LF || c === CR) && this.fields.length === 0) {
          // A blank line: counted, not a record.
          i = this.lineBreak(s, i, c);
          this.recordLine = this.line;
          continue;
        }
        this.state = UNQUOTED;
      }
      // The hot path: an unquoted field runs to the next delimiter, line break or (illegal) quote.
      let j = i;
      let c = 0;
      while (j < n) {
        c = s.charCodeAt(j);
        if (c === delimiter || c === LF || c === CR || c === QUOTE) break;
        j++;
      }
      if (j === n) {
        this.appendPartial(s.slice(i, n));
        i = n;
        break;
      }
      if (c === QUOTE) throw this.error('stray-quote', 'a quote inside an unquoted field (quote the whole field)');
      this.endField(this.partial.length === 0 ? s.slice(i, j) : this.partial + s.slice(i, j));
      if (c === delimiter) {
        i = j + 1;
        continue;
      }
      this.pos = this.lineBreak(s, j, c);
      return this.endRecord();
    }
    this.pos = i;
    return null;
  }

  /** The last record, at the end of the input (null when the input ended with a line break or was empty). */
  end(): CsvRecord | null {
    const state = this.state;
    if (state === QUOTED) {
      throw this.error('unterminated-quote', 'a quoted field is still open at the end of the input');
    }
    if (state === FIELD_START) {
      if (this.fields.length === 0) return null;
      this.endField(''); // the input ended right after a delimiter
    } else {
      this.endField(this.partial); // UNQUOTED or AFTER_QUOTE: the field ends with the input
    }
    return this.endRecord();
  }

  /** Scans quoted content up to the next `"`, counting the line breaks inside; returns the index after it. */
  private scanQuoted(s: string, i: number): number {
    const n = s.length;
    let line = this.line;
    let afterCr = this.afterCr;
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === QUOTE) break;
      if (c === LF) {
        if (!afterCr) line++;
        afterCr = false;
      } else if (c === CR) {
        line++;
        afterCr = true;
      } else {
        afterCr = false;
      }
    }
    this.line = line;
    this.afterCr = afterCr;
    this.appendPartial(s.slice(i, j));
    if (j === n) return n;
    this.state = AFTER_QUOTE;
    return j + 1;
  }

  private appendPartial(piece: string): void {
    this.partial = this.partial.length === 0 ? piece : this.partial + piece;
    // More code units than the byte limit means more bytes too; checked here so an unclosed quote stays bounded.
    if (this.partial.length > this.maxFieldBytes) throw this.fieldTooLong();
  }

  private endField(value: string): void {
    if (value.length > this.surelyShortChars && utf8ByteLength(value) > this.maxFieldBytes) {
      throw this.fieldTooLong();
    }
    if (this.fields.length === this.maxFields) {
      throw this.error('too-many-fields', `a record has more than ${this.maxFields} fields`);
    }
    this.fields.push(value);
    this.partial = '';
    this.state = FIELD_START;
  }

  /** Consumes the line break at `j` (CRLF as one); returns the index after it. */
  private lineBreak(s: string, j: number, c: number): number {
    this.line++;
    if (c === LF) return j + 1;
    const k = j + 1;
    if (k === s.length) {
      this.skipLf = true;
      return k;
    }
    return s.charCodeAt(k) === LF ? k + 1 : k;
  }

  private endRecord(): CsvRecord {
    const record: CsvRecord = { line: this.recordLine, fields: this.fields };
    this.fields = [];
    this.recordLine = this.line;
    this.state = FIELD_START;
    return record;
  }

  private fieldTooLong(): CsvError {
    return this.error('field-too-long', `a field is longer than ${this.maxFieldBytes} bytes`);
  }

  private error(reason: CsvErrorReason, detail: string): CsvError {
    return new CsvError(this.recordLine, reason, detail);
  }
}

/** UTF-8 length of a string: 1–3 bytes per code unit, 4 per surrogate pair (a lone surrogate counts 3, as U+FFFD). */
function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
