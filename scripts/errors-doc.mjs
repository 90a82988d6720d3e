// Writes docs/errors.md from the error registry in src/core/errors.ts (run after a build:
// `node scripts/errors-doc.mjs`). A test checks that the file is up to date.
import { writeFileSync } from 'node:fs';
import { ERRORS } from '../dist/src/core/errors.js';
import { renderErrorsDoc } from '../dist/src/core/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc(ERRORS));
console.log('docs/errors.md written');
