/**
 * Reads a `_data` request body the way Elastic's post data API takes it: newline-delimited JSON
 * documents (also whitespace-separated or pretty-printed objects) or one JSON array of documents.
 * The whole body is checked before anything is accepted, so a malformed line refuses the request
 * and names the line; nothing of it reaches the job.
 */
import { VigilError } from '../../core/errors.js';

export interface ParsedData {
  docs: Record<string, unknown>[];
  /** Where document `k` is, for messages: `line 3` (NDJSON) or `document 3` (a JSON array). */
  where: (k: number) => string;
}

function fail(message: string): never {
  throw new VigilError('PARSE_ERROR', `${message}; no document of this request was accepted`);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function checkObjects(docs: unknown[], lineFor: (i: number) => number): Record<string, unknown>[] {
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i];
    if (d === null || typeof d !== 'object' || Array.isArray(d)) {
      fail(`document at line ${lineFor(i)} is ${d === null ? 'null' : Array.isArray(d) ? 'an array' : typeof d}, expected a JSON object`);
    }
  }
  return docs as Record<string, unknown>[];
}

/** Parses the body; throws a PARSE_ERROR (400) naming the first bad line. */
export function parseDataBody(body: Buffer | string): ParsedData {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let start = 0;
  while (start < text.length && /\s/.test(text[start])) start++;
  if (start === text.length) throw new VigilError('PARSE_ERROR', 'request body is required');
  if (text[start] === '[') {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      fail(`malformed JSON array${pos ? ` at line ${lineOf(text, Number(pos[1]))}` : ''}: ${(err as Error).message}`);
    }
    if (!Array.isArray(arr)) fail('malformed JSON array');
    return { docs: checkObjects(arr as unknown[], () => 1), where: (k) => `document ${k + 1}` };
  }
  // fast path: one document per line
  const lines = text.split('\n');
  const nonEmpty: number[] = [];
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '') nonEmpty.push(i);
  try {
    const docs = JSON.parse('[' + nonEmpty.map((i) => lines[i]).join(',') + ']') as unknown[];
    if (docs.length === nonEmpty.length) return { docs: checkObjects(docs, (k) => nonEmpty[k] + 1), where: (k) => `line ${nonEmpty[k] + 1}` };
  } catch {
    // fall through to the careful reader
  }
  const starts: number[] = [];
  return { docs: readConcatenated(text, starts), where: (k) => `line ${starts[k]}` };
}

/** Reads top-level JSON values one by one (objects may span lines), naming the line of a bad one. */
function readConcatenated(text: string, starts: number[]): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const startLine = line;
    if (c !== 123 /* { */) {
      // a line that does not start an object: report it
      const end = text.indexOf('\n', i);
      const bad = text.slice(i, end < 0 ? n : end).trim();
      try {
        JSON.parse(bad);
      } catch (err) {
        fail(`malformed JSON at line ${startLine}: ${(err as Error).message}: ${bad.slice(0, 80)}`);
      }
      fail(`document at line ${startLine} is not a JSON object: ${bad.slice(0, 80)}`);
    }
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < n; j++) {
      const ch = text.charCodeAt(j);
      if (ch === 10) line++;
      if (inString) {
        if (ch === 92 /* \ */) j++;
        else if (ch === 34) inString = false;
        continue;
      }
      if (ch === 34) inString = true;
      else if (ch === 123 || ch === 91) depth++;
      else if (ch === 125 || ch === 93) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (j >= n) fail(`malformed JSON at line ${startLine}: the document starting there is not closed`);
    const piece = text.slice(i, j + 1);
    try {
      docs.push(JSON.parse(piece) as Record<string, unknown>);
      starts.push(startLine);
    } catch (err) {
      fail(`malformed JSON at line ${startLine}: ${(err as Error).message}: ${piece.slice(0, 80)}`);
    }
    i = j + 1;
  }
  return docs;
}
