import { describe, expect, it } from 'vitest';
import { decodeEncodedWords } from '../../packages/core/src/mime/index.js';
import { verifyMessage } from '../../packages/core/src/index.js';

describe('decodeEncodedWords (RFC 2047, display only)', () => {
  it('decodes B and Q words, joining adjacent ones without the space between them', () => {
    expect(decodeEncodedWords('=?UTF-8?B?UXVhcnRhbHN6YWhsZW4g?= =?utf-8?Q?f=C3=BCr_Q3?=')).toBe('Quartalszahlen für Q3');
    expect(decodeEncodedWords('Re: =?ISO-8859-1?Q?Caf=E9?= menu')).toBe('Re: Café menu');
  });

  it('leaves plain text, unknown charsets and broken words as written', () => {
    expect(decodeEncodedWords('Weekly summary')).toBe('Weekly summary');
    expect(decodeEncodedWords('=?x-unknown?B?QUJD?=')).toBe('=?x-unknown?B?QUJD?=');
    expect(decodeEncodedWords('=?UTF-8?B?@@@?=')).toBe('=?UTF-8?B?@@@?=');
    expect(decodeEncodedWords('=?UTF-8?Q?=FF?=')).toBe('=?UTF-8?Q?=FF?='); // not valid UTF-8
  });

  it('is what the report shows as subject', async () => {
    const r = await verifyMessage('From: a@example.org\r\nSubject: =?UTF-8?Q?R=C3=A9sum=C3=A9?=\r\n\r\nbody\r\n');
    expect(r.subject).toBe('Résumé');
  });
});
