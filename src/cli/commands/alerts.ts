/**
 * `vigil alerts`: alert rules and recent alerts of a running server, through its HTTP API
 * (`/_vigil/alerts/…`); also creates, deletes and retries.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { VigilError } from '../../core/errors.js';
import { EXIT_OK, type Command, type CommandIO } from '../command.js';

const USAGE = `Usage: vigil alerts [list|rules|history] [options]
       vigil alerts put RULE_ID (--file RULE.json | --body JSON)
       vigil alerts delete RULE_ID
       vigil alerts retry ALERT_KEY

Lists the alert rules and the recent alerts of a running Vigil server (vigil serve), with each
alert's delivery status (fired, delivered, failed, dead_letter, suppressed) and attempts.

  --url URL          the server (default $VIGIL_URL or http://127.0.0.1:9200)
  --api-key KEY      sent as "Authorization: ApiKey KEY" (default $VIGIL_API_KEY)
  --rule ID          history of this rule only
  --job ID           history of this job only
  --status S         history with this status only
  --size N           alerts listed (default 20)
  --format F         table (default) or json
  -h, --help

Rule bodies (PUT /_vigil/alerts/rules/RULE_ID) are described in README.md ("Alerting").`;

interface Ctx {
  url: string;
  apiKey?: string;
}

async function call(ctx: Ctx, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(ctx.url.replace(/\/+$/, '') + path, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(ctx.apiKey ? { authorization: `ApiKey ${ctx.apiKey}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new VigilError('INVALID_ARGUMENT', `cannot reach the Vigil server at ${ctx.url} (${e.cause?.code ?? e.message}); start it with vigil serve, or pass --url`);
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { raw: text };
  }
  if (!res.ok) {
    const reason = json?.error?.reason ?? json?.error ?? text;
    if (res.status === 404 && /no handler found/.test(String(reason))) throw new VigilError('INVALID_ARGUMENT', `the server at ${ctx.url} has no alerting API (an older Vigil?)`);
    throw new VigilError(res.status === 404 ? 'RESOURCE_NOT_FOUND' : 'INVALID_ARGUMENT', `${method} ${path}: HTTP ${res.status}: ${typeof reason === 'string' ? reason : JSON.stringify(reason)}`);
  }
  return json;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function conditionText(c: Record<string, any>): string {
  switch (c.type) {
    case 'anomaly':
      return `${c.result_type} score ≥ ${c.min_score}${c.min_count > 1 ? `, ${c.min_count} in ${c.window ?? c.lookback ?? 'lookback'}` : ''}${c.include_interim ? ', interim too' : ''}`;
    case 'no_data':
      return `no data for ${c.buckets} bucket${c.buckets === 1 ? '' : 's'}${c.delay ? ` + ${c.delay}` : ''}${c.reference === 'arrival_time' ? ' (arrival)' : ''}`;
    case 'missing_data_run':
      return `missing run > ${c.max_buckets} bucket${c.max_buckets === 1 ? '' : 's'}`;
    case 'volume':
      return `volume ${c.direction === 'both' ? 'outside' : c.direction === 'low' ? 'below' : 'above'} range ${c.buckets}× in a row`;
    default:
      return String(c.type);
  }
}

function actionText(a: Record<string, any>): string {
  return a.type === 'email' ? `email ${(a.to as string[]).join(',')}` : `${a.type} ${a.url}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function formatRules(rules: Record<string, any>[]): string {
  if (rules.length === 0) return 'No alert rules. Create one with: vigil alerts put RULE_ID --body \'{"jobs":["JOB"],"condition":{"type":"no_data","buckets":1},"actions":[{"type":"webhook","url":"…"}]}\'';
  const rows = [['rule', 'jobs', 'condition', 'actions', 'enabled']];
  for (const r of rules) rows.push([r.rule_id, (r.jobs as string[]).join(','), conditionText(r.condition) + (r.suppress_for ? `, quiet ${r.suppress_for}` : ''), (r.actions as any[]).map(actionText).join('; ') || '(history only)', r.enabled ? 'yes' : 'no']);
  return `Alert rules (${rules.length}):\n${table(rows)}`;
}

function formatHistory(h: { count: number; alerts: Record<string, any>[] }): string {
  if (h.count === 0) return 'No alerts yet.';
  const rows = [['detected', 'status', 'rule', 'job', 'alert', 'event time', 'attempts', 'explanation']];
  for (const a of h.alerts) {
    const attempts = (a.deliveries as any[]).map((d) => String(d.attempts)).join('/') || '-';
    const what = a.phase === 'recovered' ? `${a.kind} recovered` : `${a.kind} ${a.severity}`;
    rows.push([String(a.detected_at).slice(0, 19) + 'Z', a.status, a.rule_id, a.job_id, what, String(a.time).slice(0, 19) + 'Z', attempts, clip(String(a.explanation), 90)]);
  }
  const failing = h.alerts.flatMap((a) => (a.deliveries as any[]).filter((d) => d.last_error && d.status !== 'delivered').map((d) => `  ${a.key} → ${d.target}: ${d.status}, ${d.attempts} attempts, last error: ${d.last_error}`));
  return `Recent alerts (${h.alerts.length} of ${h.count}):\n${table(rows)}${failing.length ? `\n\nNot delivered:\n${failing.join('\n')}` : ''}`;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      rule: { type: 'string' },
      job: { type: 'string' },
      status: { type: 'string' },
      size: { type: 'string' },
      format: { type: 'string', short: 'f' },
      file: { type: 'string' },
      body: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE + '\n');
    return EXIT_OK;
  }
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new VigilError('USAGE', `--format must be table or json, got [${format}]`);
  const size = values.size === undefined ? 20 : Number(values.size);
  if (!Number.isInteger(size) || size < 0 || size > 10_000) throw new VigilError('USAGE', `--size must be a whole number from 0 to 10000, got [${values.size}]`);
  const ctx: Ctx = { url: values.url ?? process.env.VIGIL_URL ?? 'http://127.0.0.1:9200', apiKey: values['api-key'] ?? process.env.VIGIL_API_KEY };
  const [sub = 'list', arg, ...extra] = positionals;
  if (extra.length > 0) throw new VigilError('USAGE', `unexpected arguments: ${extra.join(' ')}`);
  const out = (text: string, json: unknown): void => void io.stdout.write((format === 'json' ? JSON.stringify(json, null, 2) : text) + '\n');

  const historyPath = (): string => {
    const q = new URLSearchParams({ size: String(size) });
    if (values.rule) q.set('rule_id', values.rule);
    if (values.job) q.set('job_id', values.job);
    if (values.status) q.set('status', values.status);
    return `/_vigil/alerts/history?${q}`;
  };

  switch (sub) {
    case 'list': {
      const rules = await call(ctx, 'GET', '/_vigil/alerts/rules');
      const history = await call(ctx, 'GET', historyPath());
      out(`${formatRules(rules.rules)}\n\n${formatHistory(history)}`, { rules: rules.rules, history });
      return EXIT_OK;
    }
    case 'rules': {
      const rules = await call(ctx, 'GET', '/_vigil/alerts/rules');
      out(formatRules(rules.rules), rules);
      return EXIT_OK;
    }
    case 'history': {
      const history = await call(ctx, 'GET', historyPath());
      out(formatHistory(history), history);
      return EXIT_OK;
    }
    case 'put': {
      if (!arg) throw new VigilError('USAGE', 'put needs a RULE_ID');
      if (!values.file === !values.body) throw new VigilError('USAGE', 'put needs --file RULE.json or --body JSON');
      const text = values.file ? await readFile(values.file, 'utf8') : (values.body as string);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (err) {
        throw new VigilError('PARSE_ERROR', `the rule is not valid JSON: ${(err as Error).message}`);
      }
      const r = await call(ctx, 'PUT', `/_vigil/alerts/rules/${encodeURIComponent(arg)}`, body);
      out(`${r.created ? 'Created' : 'Replaced'} alert rule ${arg}.\n${formatRules([r.rule])}`, r);
      return EXIT_OK;
    }
    case 'delete': {
      if (!arg) throw new VigilError('USAGE', 'delete needs a RULE_ID');
      const r = await call(ctx, 'DELETE', `/_vigil/alerts/rules/${encodeURIComponent(arg)}`);
      out(`Deleted alert rule ${arg} (its alerts stay in the history).`, r);
      return EXIT_OK;
    }
    case 'retry': {
      if (!arg) throw new VigilError('USAGE', 'retry needs an ALERT_KEY (see vigil alerts history)');
      const r = await call(ctx, 'POST', `/_vigil/alerts/history/${encodeURIComponent(arg)}/_retry`);
      out(`Retrying ${arg}: ${r.status}.`, r);
      return EXIT_OK;
    }
    default:
      throw new VigilError('USAGE', `unknown subcommand [${sub}]; use list, rules, history, put, delete or retry`);
  }
}

const command: Command = { name: 'alerts', summary: 'list alert rules and recent alerts of a running server (and put/delete/retry)', usage: USAGE, run };
export default command;
