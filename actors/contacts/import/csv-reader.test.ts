import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, readCsv, type CsvErrorReason, type CsvOptions, type CsvRecord } from './csv-reader.ts';

type Chunk = Uint8Array | string;

async function* fromChunks(chunks: readonly Chunk[]): AsyncGenerator<Chunk> {
  for (const chunk of chunks) yield chunk;
}

async function parse(input: string | readonly Chunk[], options?: CsvOptions): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of readCsv(fromChunks(typeof input === 'string' ? [input] : input), options)) {
    records.push(record);
  }
  return records;
}

type Outcome =
  | { readonly records: readonly CsvRecord[] }
  | { readonly records: readonly CsvRecord[]; readonly error: { line: number; reason: CsvErrorReason } };

/** Every record before the error too, so chunkings can be compared on what they yielded, not only how they ended. */
async function outcome(chunks: readonly Chunk[], options?: CsvOptions): Promise<Outcome> {
  const records: CsvRecord[] = [];
  try {
    for await (const record of readCsv(fromChunks(chunks), options)) records.push(record);
    return { records };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { records, error: { line: error.line, reason: error.reason } };
  }
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function oneBytePerChunk(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

async function expectCsvError(
  input: string | readonly Chunk[],
  reason: CsvErrorReason,
  line: number,
  options?: CsvOptions,
): Promise<CsvError> {
  const error = await parse(input, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CsvError);
  const csvError = error as CsvError;
  expect({ reason: csvError.reason, line: csvError.line }).toEqual({ reason, line });
  expect(csvError.message).toContain(`line ${line}`);
  expect(csvError.name).toBe('CsvError');
  return csvError;
}

/** A BOM, `;` detection, quotes with every line break inside, `""`, multi-byte characters, blank lines of each kind. */
const TRICKY =
  '\uFEFFphone;name;note\r\n' +
  '+34600000001;"Zoë ""la jefa"" Ruiz";"línea 1\r\nlínea 2"\r\n' +
  '\r\n' +
  '+34600000002;中文名;"a;b\rc\nd"\n' +
  '\n' +
  '\r' +
  '+34600000003;😀 emoji;\r' +
  '"";"";x\r\n' +
  '+34600000004;"no newline at end";"🇪🇸"';

const TRICKY_RECORDS: readonly CsvRecord[] = [
  { line: 1, fields: ['phone', 'name', 'note'] },
  { line: 2, fields: ['+34600000001', 'Zoë "la jefa" Ruiz', 'línea 1\r\nlínea 2'] },
  { line: 5, fields: ['+34600000002', '中文名', 'a;b\rc\nd'] },
  { line: 10, fields: ['+34600000003', '😀 emoji', ''] },
  { line: 11, fields: ['', '', 'x'] },
  { line: 12, fields: ['+34600000004', 'no newline at end', '🇪🇸'] },
];

describe('readCsv: RFC 4180 records', () => {
  it('reads simple records with their line numbers', async () => {
    expect(await parse('phone,name\n+34600000001,Ana\n+34600000002,Luis\n')).toEqual([
      { line: 1, fields: ['phone', 'name'] },
      { line: 2, fields: ['+34600000001', 'Ana'] },
      { line: 3, fields: ['+34600000002', 'Luis'] },
    ]);
  });

  it.each([
    ['LF', 'a,b\nc,d\n'],
    ['CRLF', 'a,b\r\nc,d\r\n'],
    ['lone CR', 'a,b\rc,d\r'],
    ['no final line break', 'a,b\nc,d'],
    ['mixed', 'a,b\r\nc,d\r'],
  ])('ends records at %s', async (_name, input) => {
    expect(await parse(input)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['c', 'd'] },
    ]);
  });

  it('keeps delimiters, line breaks and doubled quotes inside quoted fields', async () => {
    expect(await parse('"a,b","say ""hi""","x\r\ny","p\nq","r\rs"\n')).toEqual([
      { line: 1, fields: ['a,b', 'say "hi"', 'x\r\ny', 'p\nq', 'r\rs'] },
    ]);
  });

  it('reads empty fields, empty quoted fields and a trailing delimiter', async () => {
    expect(await parse(',,\n"",x,""\na,\n"",')).toEqual([
      { line: 1, fields: ['', '', ''] },
      { line: 2, fields: ['', 'x', ''] },
      { line: 3, fields: ['a', ''] },
      { line: 4, fields: ['', ''] },
    ]);
  });

  it('reads a line holding only "" as one empty field, not a blank line', async () => {
    expect(await parse('a\n""\nb')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['b'] },
    ]);
  });

  it('trims nothing and interprets nothing', async () => {
    expect(await parse(' +34 600 , Ana \t,0034\n')).toEqual([{ line: 1, fields: [' +34 600 ', ' Ana \t', '0034'] }]);
  });

  it('yields nothing for empty input or input of blank lines only', async () => {
    expect(await parse('')).toEqual([]);
    expect(await parse([])).toEqual([]);
    expect(await parse('\n\r\n\r\n')).toEqual([]);
    expect(await parse('\uFEFF')).toEqual([]);
  });

  it('parses the tricky input', async () => {
    expect(await parse(TRICKY)).toEqual(TRICKY_RECORDS);
    expect(await parse([utf8(TRICKY)])).toEqual(TRICKY_RECORDS);
  });
});

describe('readCsv: line numbers', () => {
  it('skips blank lines of every kind but counts them', async () => {
    expect(await parse('\n\na\r\n\r\nb\r\rc\n\n')).toEqual([
      { line: 3, fields: ['a'] },
      { line: 5, fields: ['b'] },
      { line: 7, fields: ['c'] },
    ]);
  });

  it('counts the line breaks inside quoted fields (CRLF as one)', async () => {
    const input = 'h1,h2\n"one\ntwo\r\nthree\rfour",x\nnext,"a\n\nb"\nlast,y\n';
    expect((await parse(input)).map((record) => record.line)).toEqual([1, 2, 6, 9]);
  });

  it('counts a CRLF split between chunks once, inside and outside quotes', async () => {
    const records = await parse(['a,"x\r', '\ny"\r', '\nb,c\r', '\r\n', 'd,e']);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'x\r\ny'] },
      { line: 3, fields: ['b', 'c'] },
      { line: 5, fields: ['d', 'e'] },
    ]);
  });
});

describe('readCsv: encoding and chunk boundaries', () => {
  it('drops a UTF-8 BOM at the start, from bytes and from strings, even split between chunks', async () => {
    const expected = [{ line: 1, fields: ['a', 'b'] }];
    expect(await parse('\uFEFFa,b')).toEqual(expected);
    expect(await parse([utf8('\uFEFFa,b')])).toEqual(expected);
    expect(await parse([new Uint8Array([0xef]), new Uint8Array([0xbb]), new Uint8Array([0xbf]), 'a,b'])).toEqual(
      expected,
    );
  });

  it('keeps a U+FEFF that is not at the start', async () => {
    expect(await parse('a,\uFEFFb')).toEqual([{ line: 1, fields: ['a', '\uFEFFb'] }]);
  });

  it('decodes multi-byte characters split between chunks', async () => {
    const input = 'José,Zoë,中文,😀\n';
    const expected = [{ line: 1, fields: ['José', 'Zoë', '中文', '😀'] }];
    expect(await parse(oneBytePerChunk(utf8(input)))).toEqual(expected);
  });

  it('turns invalid or truncated UTF-8 into U+FFFD instead of failing', async () => {
    expect(await parse([new Uint8Array([0x61, 0x2c, 0xff, 0x0a, 0x62, 0x2c, 0xe4, 0xb8])])).toEqual([
      { line: 1, fields: ['a', '\uFFFD'] },
      { line: 2, fields: ['b', '\uFFFD'] },
    ]);
  });

  it('accepts string chunks mixed with byte chunks', async () => {
    expect(await parse(['ph', utf8('one,na'), 'me\n1,', utf8('Ana')])).toEqual([
      { line: 1, fields: ['phone', 'name'] },
      { line: 2, fields: ['1', 'Ana'] },
    ]);
  });

  it('reads the tricky input fed one byte per chunk', async () => {
    expect(await parse(oneBytePerChunk(utf8(TRICKY)))).toEqual(TRICKY_RECORDS);
  });

  it('reads the tricky input fed one UTF-16 code unit per chunk', async () => {
    expect(await parse(TRICKY.split(''))).toEqual(TRICKY_RECORDS);
  });

  it('reads the tricky input the same at every chunking (property)', async () => {
    const bytes = utf8(TRICKY);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        expect(await parse(splitAt(bytes, cuts))).toEqual(TRICKY_RECORDS);
      }),
    );
  });

  it('ends the same way at every chunking of arbitrary CSV-like text, errors included (property)', async () => {
    const csvish = fc
      .array(fc.constantFrom('a', 'é', '😀', ',', ';', '\t', '"', '""', '\n', '\r', '\r\n', ' '), { maxLength: 60 })
      .map((pieces) => pieces.join(''));
    await fc.assert(
      fc.asyncProperty(csvish, fc.array(fc.nat(), { maxLength: 20 }), async (text, cuts) => {
        const options = { maxFields: 6, maxFieldBytes: 12 };
        const bytes = utf8(text);
        const whole = await outcome([bytes], options);
        expect(await outcome(splitAt(bytes, cuts), options)).toEqual(whole);
        expect(await outcome(oneBytePerChunk(bytes), options)).toEqual(whole);
      }),
    );
  });
});

describe('readCsv: round trip (property)', () => {
  const field = fc
    .array(fc.constantFrom('a', 'Z', '0', '+', ' ', 'é', '中', '😀', ',', ';', '\t', '"', '\n', '\r', '\r\n'), {
      maxLength: 8,
    })
    .map((pieces) => pieces.join(''));
  const document = fc.record({
    delimiter: fc.constantFrom(',', ';', '\t'),
    records: fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 8 }),
    breaks: fc.array(fc.constantFrom('\n', '\r\n', '\r', '\n\n', '\r\n\r\n'), { minLength: 8, maxLength: 8 }),
    quoteAll: fc.boolean(),
    finalBreak: fc.boolean(),
  });

  it('counts a CR and a LF with an escaped quote between them as two lines (found by the property below)', async () => {
    expect(await parse(['"\r""\n"\n""'], { delimiter: ',' })).toEqual([
      { line: 1, fields: ['\r"\n'] },
      { line: 4, fields: [''] },
    ]);
  });

  it('reads back what a writer wrote, with each record at its physical line', async () => {
    await fc.assert(
      fc.asyncProperty(document, fc.array(fc.nat(), { maxLength: 10 }), async (doc, cuts) => {
        let text = '';
        const expected: CsvRecord[] = [];
        doc.records.forEach((fields, index) => {
          if (index > 0) text += doc.breaks[index - 1]!;
          expected.push({ line: lineAt(text), fields });
          text += fields
            .map((value) => quote(value, doc.delimiter, doc.quoteAll || fields.length === 1))
            .join(doc.delimiter);
        });
        if (doc.finalBreak && text !== '') text += '\n';
        const options = { delimiter: doc.delimiter };
        expect(await parse([text], options)).toEqual(expected);
        expect(await parse(splitAt(utf8(text), cuts), options)).toEqual(expected);
      }),
    );
  });

  /** Physical line of the end of `text`, counted independently of the reader. */
  function lineAt(text: string): number {
    return (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;
  }

  function quote(value: string, delimiter: string, force: boolean): string {
    const needsQuotes = force || value.includes(delimiter) || /["\r\n]/.test(value);
    return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
  }
});

describe('readCsv: delimiter', () => {
  it.each([
    ['comma', 'a,b,c\n1,2,3', ['1', '2', '3']],
    ['semicolon', 'a;b;c\n1;2,5;3', ['1', '2,5', '3']],
    ['tab', 'a\tb\tc\n1\t2;x\t3', ['1', '2;x', '3']],
    ['the most frequent', 'a;b;c,d\n1;2;3,4', ['1', '2', '3,4']],
    ['comma when none appears', 'phone\n1;2', ['1;2']],
    ['comma on a tie', 'a;b,c\n1;2,3', ['1;2', '3']],
    ['comma on a tie of the others', 'a;b\tc\n1;2\t3', ['1;2\t3']],
    ['only outside quotes', '"x,y,z";b;c\n1;2;3', ['1', '2', '3']],
    ['from the first non-blank line', '\r\n\na;b\n1;2', ['1', '2']],
  ])('auto-detects %s', async (_name, input, secondRecord) => {
    const records = await parse(input);
    expect(records[1]?.fields).toEqual(secondRecord);
  });

  it('detects from a first line that spans chunks (one byte per chunk)', async () => {
    expect(await parse(oneBytePerChunk(utf8('"first;\nname";last\nAna;Ruiz')))).toEqual([
      { line: 1, fields: ['first;\nname', 'last'] },
      { line: 3, fields: ['Ana', 'Ruiz'] },
    ]);
  });

  it('detects from a single line without a line break', async () => {
    expect(await parse('a\tb')).toEqual([{ line: 1, fields: ['a', 'b'] }]);
  });

  it('uses an explicit delimiter as given', async () => {
    expect(await parse('a;b,c\n', { delimiter: ',' })).toEqual([{ line: 1, fields: ['a;b', 'c'] }]);
    expect(await parse('a,b;c\n', { delimiter: ';' })).toEqual([{ line: 1, fields: ['a,b', 'c'] }]);
    expect(await parse('a,b\tc\n', { delimiter: '\t' })).toEqual([{ line: 1, fields: ['a,b', 'c'] }]);
  });
});

describe('readCsv: errors', () => {
  it('reports a quote that never closes, at the line where its record starts', async () => {
    const error = await expectCsvError('a,b\n\nc,"open\nstill open\n', 'unterminated-quote', 3);
    expect(error.message).toBe('CSV line 3: a quoted field is still open at the end of the input');
  });

  it('reports a stray quote inside an unquoted field', async () => {
    await expectCsvError('a,b\nc,d"e\n', 'stray-quote', 2);
    await expectCsvError('a,b\nc, "d"\n', 'stray-quote', 2);
  });

  it('reports text after a closing quote', async () => {
    await expectCsvError('a,b\n"x\ny"z,w\n', 'stray-quote', 2);
  });

  it('yields every record before the error', async () => {
    const result = await outcome(['a\nb\n"c']);
    expect(result).toEqual({
      records: [
        { line: 1, fields: ['a'] },
        { line: 2, fields: ['b'] },
      ],
      error: { line: 3, reason: 'unterminated-quote' },
    });
  });

  it('reports a field over maxFieldBytes, counting UTF-8 bytes', async () => {
    expect(await parse('aaaa,"bb""b"\n', { maxFieldBytes: 4 })).toEqual([{ line: 1, fields: ['aaaa', 'bb"b'] }]);
    await expectCsvError('ok\naaaaa\n', 'field-too-long', 2, { maxFieldBytes: 4 });
    await expectCsvError('ok\n"aa""aa"\n', 'field-too-long', 2, { maxFieldBytes: 4 });
    // é is 2 bytes, 😀 is 4: the limit is on bytes, not characters.
    expect(await parse('éé,😀\n', { maxFieldBytes: 4 })).toEqual([{ line: 1, fields: ['éé', '😀'] }]);
    await expectCsvError('ééé\n', 'field-too-long', 1, { maxFieldBytes: 4 });
    await expectCsvError('a😀\n', 'field-too-long', 1, { maxFieldBytes: 4 });
  });

  it('applies the 64 KiB default', async () => {
    const limit = 64 * 1024;
    expect((await parse(`${'x'.repeat(limit)}\n`))[0]?.fields[0]).toHaveLength(limit);
    await expectCsvError(`${'x'.repeat(limit + 1)}\n`, 'field-too-long', 1);
  });

  it('stops a quote that never closes at maxFieldBytes instead of holding the rest of the input', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      yield 'a,"';
      for (;;) {
        pulled++;
        yield 'y'.repeat(1000);
      }
    }
    const reading = readCsv(endless(), { delimiter: ',', maxFieldBytes: 10_000 }).next();
    await expect(reading).rejects.toMatchObject({ reason: 'field-too-long', line: 1 });
    expect(pulled).toBe(11);
  });

  it('reports a record with more than maxFields fields', async () => {
    expect(await parse('a,b,c\n', { maxFields: 3 })).toEqual([{ line: 1, fields: ['a', 'b', 'c'] }]);
    await expectCsvError('a,b,c\n\nd,e,f,g\n', 'too-many-fields', 3, { maxFields: 3 });
    await expectCsvError('a,b,c,\n', 'too-many-fields', 1, { maxFields: 3 });
    await expectCsvError(`${','.repeat(1000)}\n`, 'too-many-fields', 1);
  });

  it('rejects invalid options', async () => {
    await expect(parse('a', { maxFieldBytes: 0 })).rejects.toThrow(RangeError);
    await expect(parse('a', { maxFields: 1.5 })).rejects.toThrow(RangeError);
    await expect(parse('a', { delimiter: '|' as ',' })).rejects.toThrow(RangeError);
  });
});

describe('readCsv: streaming', () => {
  it('stops reading the source when the consumer stops', async () => {
    let pulled = 0;
    let closed = false;
    async function* source(): AsyncGenerator<string> {
      try {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield `row${i},x\n`;
        }
      } finally {
        closed = true;
      }
    }
    for await (const record of readCsv(source())) {
      if (record.line === 3) break;
    }
    expect(closed).toBe(true);
    expect(pulled).toBe(3);
  });
});
