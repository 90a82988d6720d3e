/**
 * The OpenAPI 3.1 description of everything the server serves, generated from the same route
 * declarations (and JSON Schemas) the server validates with, so it cannot drift from the routes.
 */
import type { TSchema } from '@sinclair/typebox';
import type { RouteSpec } from './route-spec.js';

/** JSON Schema without TypeBox's symbol keys (plain JSON). */
function plain(schema: TSchema | undefined): Record<string, unknown> | undefined {
  return schema === undefined ? undefined : (JSON.parse(JSON.stringify(schema)) as Record<string, unknown>);
}

export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function parameters(route: RouteSpec): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.querystring],
  ] as const) {
    const s = plain(schema);
    const props = (s?.properties ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((s?.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries(props)) {
      const { description, ...rest } = p;
      out.push({ name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest });
    }
  }
  return out;
}

export function buildOpenApi(routes: RouteSpec[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openApiPath(r.url);
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      const op: Record<string, unknown> = {
        operationId: methods.length > 1 ? `${r.operationId}.${m.toLowerCase()}` : r.operationId,
        summary: r.summary,
        tags: [r.tag === 'vigil' ? 'Vigil extensions' : 'Elastic-compatible'],
        parameters: parameters(r),
        responses: {
          '200': {
            description: r.response?.description ?? 'OK',
            headers: { 'x-elastic-product': { schema: { type: 'string', const: 'Elasticsearch' } } },
            content: { 'application/json': { schema: plain(r.response?.schema) ?? { type: 'object' } } },
          },
          default: { description: 'Elastic error body', content: { 'application/json': { schema: { $ref: '#/components/schemas/ElasticError' } } } },
        },
      };
      if (m !== 'GET' && m !== 'HEAD' && m !== 'DELETE') {
        if (r.bodyKind === 'data' && r.rawBody) {
          op.requestBody = {
            required: true,
            description: r.rawBody.description,
            content: Object.fromEntries(r.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string' } }])),
          };
        } else if (r.body) {
          const schema = plain(r.body);
          op.requestBody = {
            required: false,
            content: {
              'application/json': { schema },
              'application/vnd.elasticsearch+json': { schema },
            },
          };
        }
      }
      (paths[path] ??= {})[m.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil jobs API',
      version: info.version,
      description: 'Elastic-compatible anomaly-detection jobs API (_ml) served by Vigil, plus Vigil extensions. Errors use Elastic’s error body.',
    },
    paths,
    components: {
      schemas: {
        ElasticError: {
          type: 'object',
          required: ['error', 'status'],
          properties: {
            error: {
              type: 'object',
              properties: {
                root_cause: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, reason: { type: 'string' } } } },
                type: { type: 'string' },
                reason: { type: 'string' },
                caused_by: { type: 'object' },
              },
            },
            status: { type: 'integer' },
          },
        },
      },
    },
  };
}
