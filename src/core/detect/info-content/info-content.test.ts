import { describe, expect, it } from 'vitest';
import { characterEntropy, informationContent } from './info-content.js';

describe('information content', () => {
  it('is zero for nothing and for one repeated character', () => {
    expect(informationContent([])).toBe(0);
    expect(characterEntropy('aaaa')).toBe(0);
    expect(characterEntropy('abab')).toBe(1);
  });

  it('grows with length and randomness', () => {
    const plain = informationContent(['www.example.com']);
    const random = informationContent(['x7f9q2kz8v1m3n5b6c4l0p.example.com']);
    expect(random).toBeGreaterThan(2 * plain);
    expect(informationContent(['a', 'b'])).toBeGreaterThan(informationContent(['a']));
  });
});
