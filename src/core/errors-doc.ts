/** Renders the error registry as the Markdown table in docs/errors.md. */
import type { ErrorSpec } from './errors.js';

export function renderErrorsDoc(errors: Record<string, ErrorSpec>): string {
  const lines = [
    '# Error codes',
    '',
    'Every error Vigil raises on purpose carries one of these stable codes. The CLI prints the code and the hint',
    '(exit code 2 for usage errors, 1 for the rest); the server answers with the HTTP status and an Elastic-style',
    'error body whose `type` is given here. Generated from `src/core/errors.ts` by `node scripts/errors-doc.mjs`.',
    '',
    '| code | HTTP status | type | what to do |',
    '| --- | --- | --- | --- |',
  ];
  for (const [code, spec] of Object.entries(errors)) lines.push(`| \`${code}\` | ${spec.status} | \`${spec.type}\` | ${spec.hint} |`);
  return lines.join('\n') + '\n';
}
