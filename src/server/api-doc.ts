/**
 * docs/api.md, rendered from the OpenAPI document (itself generated from the route declarations),
 * so the reference cannot drift from what is served. A test keeps the file in sync; regenerate
 * with `VIGIL_WRITE_API_DOC=1 npx vitest run src/server/api-doc.test.ts`.
 */

interface Param {
  name: string;
  in: string;
  description?: string;
  schema?: Record<string, unknown>;
}

function typeOf(schema: Record<string, unknown> | undefined): string {
  if (!schema) return '';
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Record<string, unknown>[]).map((s) => (s.const === '' ? 'flag' : typeOf(s))).join(' \\| ');
  if (schema.type === 'object') return 'object';
  return String(schema.type ?? '');
}

const INTRO = `# Vigil jobs API reference

\`vigil serve\` answers Elastic's anomaly-detection jobs API (\`_ml/anomaly_detectors\`) so that the
official Elasticsearch clients and scripts work unchanged, plus a few Vigil extensions. This page
is generated from the same route declarations the server validates requests with (and serves as
OpenAPI at \`GET /_vigil/openapi.json\`); a test keeps it in sync.

## Conventions

- **Content types**: JSON bodies as \`application/json\` or \`application/vnd.elasticsearch+json;
  compatible-with=8|9\`; \`_data\` bodies as \`application/x-ndjson\`,
  \`application/vnd.elasticsearch+x-ndjson\` or a JSON array. Empty bodies are fine where a body is
  optional. Other content types are read as JSON. GET requests take no body: send bodies with POST
  (as the official clients do).
- **Every response** carries \`x-elastic-product: Elasticsearch\`. \`?pretty\` indents it;
  \`?filter_path=a.b,c.*,-d\` keeps (or drops) parts of it, as Elastic does.
- **Errors** use Elastic's body, \`{"error":{"root_cause":[{"type","reason"}],"type","reason","caused_by"?},"status"}\`,
  with Elastic's types and statuses: 404 \`resource_not_found_exception\` (no such job), 400
  \`resource_already_exists_exception\` (id taken), 409 \`status_exception\` (job not open / deleting
  an open job without force), 400 \`x_content_parse_exception\` (unknown body field, wrong type,
  malformed JSON), 400 \`illegal_argument_exception\` (unrecognised parameter, broken rule), 400
  \`parse_exception\` (malformed \`_data\`, naming the line; nothing of the request is accepted), 413
  (body over \`limits.max_body_bytes\`), 429 (more than \`limits.max_open_jobs\` open). An unknown
  path answers 400 \`no handler found for uri […]\`, a known path with another method 405, as
  Elastic does. docs/errors.md lists every error code.
- **Job ids in paths**: where Elastic accepts an expression (get jobs, stats, close, results,
  overall buckets) it may be an id, a group, a comma list, a wildcard (\`web-*\`) or \`_all\`;
  explicit ids that match nothing answer 404, wildcards that match nothing answer an empty list
  unless \`allow_no_match=false\`.
- **Times** (\`start\`, \`end\`, \`advance_time\`, \`skip_time\`, a bucket timestamp): epoch
  milliseconds, epoch seconds (ten digits or fewer), ISO 8601, or Elasticsearch date math: \`now\`
  or \`<date>||\` followed by \`+\`/\`-<n><unit>\` and \`/<unit>\` (round down), left to right, units
  \`y M w d h m s\` (\`now-1h\`, \`now-1M\`, \`now-1d/d+2h\`, \`2024-01-01||+1M/d\`); months and years
  are calendar units; rounding is in UTC (weeks start on Monday).
- **Paging**: \`from\` (default 0) and \`size\` (default 100) as parameters or \`page: {from, size}\` in
  the body; \`from + size\` ≤ 10 000. Defaults: buckets by \`timestamp\` ascending; records by
  \`record_score\` and influencers by \`influencer_score\`, descending.
- **Durability**: \`_data\` and \`_flush\` are written to the job's write-ahead log and fsynced before
  the reply; posts to one job are applied one at a time in arrival order.

## Routes
`;

export function renderApiDoc(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<string, Record<string, { summary: string; tags: string[]; parameters: Param[]; requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> } }>>;
  const sections: Record<string, string[]> = { 'Elastic-compatible': [], 'Vigil extensions': [] };
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const lines: string[] = [];
      lines.push(`### \`${method.toUpperCase()} ${path}\``, '', op.summary, '');
      const params = op.parameters.filter((p) => !['pretty', 'human', 'error_trace', 'filter_path'].includes(p.name));
      if (params.length > 0) {
        lines.push('| parameter | in | type | description |', '| --- | --- | --- | --- |');
        for (const p of params) lines.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`);
        lines.push('');
      }
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      if (json) {
        const props = Object.keys((json.properties as Record<string, unknown>) ?? {});
        const strict = json.additionalProperties === false;
        lines.push(`Body (JSON${strict ? ', unknown fields refused' : ''}): ${props.length ? props.map((p) => `\`${p}\``).join(', ') : 'an object'}.`, '');
        if (!strict && json.description) lines.push(String(json.description), '');
      } else if (Object.keys(content).length > 0) {
        lines.push(`Body: ${Object.keys(content).map((c) => `\`${c}\``).join(', ')}.`, '');
      }
      sections[op.tags[0] ?? 'Elastic-compatible'].push(lines.join('\n'));
    }
  }
  return [INTRO, '## Elastic-compatible', '', ...sections['Elastic-compatible'], '## Vigil extensions', '', ...sections['Vigil extensions']].join('\n').replace(/\n{3,}/g, '\n\n').replace(/## Routes\n\n## Elastic/, '## Elastic') ;
}
