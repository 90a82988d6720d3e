import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, VigilError, check } from './errors.js';
import { renderErrorsDoc } from './errors-doc.js';

describe('error registry', () => {
  it('docs/errors.md lists every code exactly as the registry says (run scripts/errors-doc.mjs after a change)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc(ERRORS));
  });

  it('every code has a 4xx/5xx status, an Elastic type and a hint', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.type, code).toMatch(/^[a-z_]+$/);
      expect(spec.hint.length, code).toBeGreaterThan(10);
    }
  });

  it('VigilError carries code, status, type and hint', () => {
    const e = new VigilError('FIELD_NOT_FOUND', 'no field [x]');
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.status, e.type]).toEqual(['FIELD_NOT_FOUND', 400, 'illegal_argument_exception']);
    expect(e.hint).toMatch(/field/);
    expect(() => check(false, 'bad')).toThrow(VigilError);
  });
});
