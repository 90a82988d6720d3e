/**
 * `vigil api-key`: create, list and revoke the server's API keys directly in its key store (the
 * data directory's security/api_keys.json — also while the server runs: it reloads the file), and
 * hash a password for a user of the configuration file.
 */
import { parseArgs } from 'node:util';
import { EXIT_OK, EXIT_USAGE, type Command, type CommandIO } from '../command.js';
import { VigilError } from '../../core/errors.js';

const USAGE = `Usage: vigil api-key create --name NAME [--role admin|editor|viewer] [--job-groups G1,G2] [--expiration 90d]
       vigil api-key list [--active-only] [--format table|json]
       vigil api-key revoke (--id ID | --name NAME)
       vigil api-key hash-password < password.txt

Manages the API keys of a Vigil server (Elastic's \`Authorization: ApiKey <encoded>\`; the official
clients' \`auth: { apiKey: '<encoded>' }\`). Keys are stored hashed (scrypt) in
<data-dir>/security/api_keys.json; the key is shown once, at creation. Works while the server runs.

  --data-dir DIR      the server's data directory (default: from --config / VIGIL_CONFIG /
                      VIGIL_DATA_DIR, else ./.vigil)
  --config FILE       the server's YAML configuration (for its data_dir)
  --role ROLE         viewer (read results), editor (manage jobs, datafeeds, rules), admin (default: viewer)
  --job-groups LIST   limit the key to jobs whose id or groups match (wildcards allowed)
  --expiration D      lifetime such as 30d or 12h (default: never expires)

hash-password reads one password from standard input and prints its scrypt hash, for
security.users.<name>.password_hash in the configuration file.`;

async function readStdin(io: CommandIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      name: { type: 'string' },
      id: { type: 'string' },
      role: { type: 'string' },
      'job-groups': { type: 'string' },
      expiration: { type: 'string' },
      'active-only': { type: 'boolean' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !sub || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE + '\n');
    return values.help || sub ? EXIT_OK : EXIT_USAGE;
  }
  if (sub === 'hash-password') {
    const { hashSecret } = await import('../../server/security/passwords.js');
    const pw = await readStdin(io);
    if (pw.length < 8) throw new VigilError('USAGE', 'the password read from standard input is shorter than 8 characters');
    io.stdout.write((await hashSecret(pw)) + '\n');
    return EXIT_OK;
  }
  const { loadConfig } = await import('../../server/config.js');
  const { ApiKeyStore, apiKeyFile } = await import('../../server/security/api-keys.js');
  const cfg = loadConfig({ cwd: io.cwd, env: process.env, configFile: values.config, flags: { data_dir: values['data-dir'] } });
  const store = new ApiKeyStore(apiKeyFile(cfg.data_dir));
  if (sub === 'create') {
    const { isRole } = await import('../../server/security/roles.js');
    const { parseExpiration } = await import('../../server/security/routes.js');
    if (!values.name) throw new VigilError('USAGE', 'api-key create needs --name');
    const role = values.role ?? 'viewer';
    if (!isRole(role)) throw new VigilError('USAGE', `--role ${role}: use admin, editor or viewer`);
    const groups = values['job-groups']?.split(',').map((g) => g.trim()).filter(Boolean);
    const created = await store.create({
      name: values.name,
      role,
      username: process.env.USER ?? 'cli',
      realm: 'cli',
      ...(groups?.length ? { jobGroups: groups } : {}),
      ...(values.expiration ? { expirationMs: parseExpiration(values.expiration) } : {}),
    });
    io.stdout.write(JSON.stringify({ ...created, role, ...(groups?.length ? { job_groups: groups } : {}) }, null, 2) + '\n');
    io.stderr.write(`API key '${created.name}' (${role}) created in ${store.file}. It is shown only now: send it as\n  Authorization: ApiKey ${created.encoded}\n`);
    return EXIT_OK;
  }
  if (sub === 'list') {
    const keys = store.list({ activeOnly: !!values['active-only'] });
    if (values.format === 'json') {
      io.stdout.write(JSON.stringify(keys.map(({ hash: _h, ...k }) => k), null, 2) + '\n');
      return EXIT_OK;
    }
    const rows = [['id', 'name', 'role', 'job_groups', 'created', 'expires', 'state']];
    const now = Date.now();
    for (const k of keys) {
      rows.push([
        k.id,
        k.name,
        k.role,
        k.job_groups?.join(',') ?? '*',
        new Date(k.creation).toISOString().slice(0, 19) + 'Z',
        k.expiration ? new Date(k.expiration).toISOString().slice(0, 19) + 'Z' : 'never',
        k.invalidated ? 'revoked' : k.expiration && k.expiration <= now ? 'expired' : 'active',
      ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    io.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n');
    return EXIT_OK;
  }
  if (sub === 'revoke') {
    if (!values.id && !values.name) throw new VigilError('USAGE', 'api-key revoke needs --id or --name');
    const r = await store.invalidate({ ...(values.id ? { id: values.id } : {}), ...(values.name ? { name: values.name } : {}) });
    if (r.invalidated.length === 0 && r.previously.length === 0) throw new VigilError('RESOURCE_NOT_FOUND', `no API key with ${values.id ? `id ${values.id}` : `name ${values.name}`}`);
    io.stdout.write(JSON.stringify({ invalidated_api_keys: r.invalidated, previously_invalidated_api_keys: r.previously }) + '\n');
    return EXIT_OK;
  }
  io.stderr.write(`vigil api-key: unknown subcommand '${sub}'\n${USAGE}\n`);
  return EXIT_USAGE;
}

const command: Command = { name: 'api-key', summary: 'create, list and revoke API keys; hash a user password', usage: USAGE, run };
export default command;
