import { describe, expect, it } from 'vitest';
import { parseUpload } from './indices-routes.js';

describe('embedded index uploads', () => {
  it('an empty or blank CSV upload holds no documents (it was a 500)', () => {
    for (const body of ['', '\n', '  \r\n ']) {
      expect(parseUpload(Buffer.from(body), 'text/csv')).toEqual([]);
      expect(parseUpload(Buffer.from(body), undefined)).toEqual([]);
    }
  });

  it('reads a CSV with a header, NDJSON and a JSON array', () => {
    expect(parseUpload(Buffer.from('t,v\n1,2\n'), 'text/csv')).toEqual([{ t: 1, v: 2 }]);
    expect(parseUpload(Buffer.from('{"a":1}\n{"a":2}\n'), 'application/x-ndjson')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseUpload(Buffer.from('[{"a":1}]'), 'application/json')).toEqual([{ a: 1 }]);
  });
});
