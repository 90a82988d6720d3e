/**
 * Packaging: the container entrypoint (bash -n, and runs against a fake `vigil`), the paths the
 * Dockerfile and compose file refer to, the example configuration (it must load), the systemd
 * unit, the npm package (`npm pack --dry-run` lists the right files) and the packed CLI running.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const ENTRY = join(DEPLOY, 'docker-entrypoint.sh');
let tmp: string;
let fake: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
  fake = join(tmp, 'fake-vigil.mjs');
  writeFileSync(fake, `console.log(JSON.stringify({ argv: process.argv.slice(2), data: process.env.VIGIL_DATA_DIR, config: process.env.VIGIL_CONFIG ?? null }));\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function entry(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync('bash', [ENTRY, ...args], { env: { PATH: process.env.PATH ?? '', VIGIL_BIN: `node ${fake}`, VIGIL_DATA_DIR: join(tmp, 'data'), ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('container entrypoint', () => {
  it('is valid bash', () => {
    execFileSync('bash', ['-n', ENTRY]);
  });

  it('serve (the default): checks the data directory, hints at creating a key, execs vigil serve with the flags', () => {
    const r = entry([]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ argv: ['serve'], data: join(tmp, 'data'), config: null });
    expect(r.err).toContain('vigil api-key create --name admin --role admin');
    expect(JSON.parse(entry(['serve', '--log-level', 'debug']).out).argv).toEqual(['serve', '--log-level', 'debug']);
  });

  it('refuses an unwritable data directory and half or unreadable TLS settings, with a message', () => {
    const ro = join(tmp, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) {
      const r = entry([], { VIGIL_DATA_DIR: ro });
      expect(r.code).toBe(1);
      expect(r.err).toContain('is not writable');
    }
    const half = entry([], { VIGIL_TLS_CERT: join(tmp, 'c.pem') });
    expect([half.code, half.err]).toEqual([1, expect.stringContaining('set both VIGIL_TLS_CERT and VIGIL_TLS_KEY')]);
    const missing = entry([], { VIGIL_TLS_CERT: join(tmp, 'c.pem'), VIGIL_TLS_KEY: join(tmp, 'k.pem') });
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('cannot be read')]);
    const badConfig = entry([], { VIGIL_CONFIG: join(tmp, 'nope.yaml') });
    expect(badConfig.code).toBe(1);
  });

  it('passes vigil commands through and execs anything else', () => {
    expect(JSON.parse(entry(['api-key', 'list']).out).argv).toEqual(['api-key', 'list']);
    expect(JSON.parse(entry(['vigil', 'backup', '--out', '/x']).out).argv).toEqual(['backup', '--out', '/x']);
    expect(entry(['echo', 'hello']).out.trim()).toBe('hello');
  });

  it('healthcheck: 0 when /_vigil/live answers 200, 1 otherwise', async () => {
    const srv = createServer((req, res) => res.writeHead(req.url === '/_vigil/live' ? 200 : 404).end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = String((srv.address() as { port: number }).port);
    const run = (p: string) =>
      new Promise<number | null>((resolve) => spawn('bash', [ENTRY, 'healthcheck'], { env: { PATH: process.env.PATH ?? '', VIGIL_PORT: p } }).on('exit', resolve));
    expect(await run(port)).toBe(0);
    srv.close();
    expect(await run(port)).toBe(1);
  });
});

describe('Dockerfile, compose file, example configuration, systemd unit', () => {
  it('the Dockerfile copies only paths that exist, and its entrypoint', () => {
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    const copies = [...text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].map((m) => m[1].trim().split(/\s+/).slice(0, -1)).flat();
    expect(copies.length).toBeGreaterThan(5);
    for (const src of copies) expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
    expect(text).toMatch(/COPY deploy\/docker-entrypoint\.sh \/usr\/local\/bin\/vigil-entrypoint/);
    expect(text).toMatch(/ENTRYPOINT \["\/usr\/local\/bin\/vigil-entrypoint"\]/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^EXPOSE 9200$/m);
    for (const script of ['build']) expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts[script]).toBeDefined();
  });

  it('compose refers to the Dockerfile and the example configuration, which loads as a server configuration', () => {
    const compose = parseYaml(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8')) as any;
    const svc = compose.services.vigil;
    expect(existsSync(join(DEPLOY, svc.build.context, svc.build.dockerfile))).toBe(true);
    for (const v of svc.volumes as string[]) {
      const src = v.split(':')[0];
      if (src.startsWith('./')) expect(existsSync(join(DEPLOY, src)), v).toBe(true);
    }
    const cfg = loadConfig({ cwd: tmp, env: { VIGIL_HOST: '0.0.0.0', VIGIL_DATA_DIR: '/var/lib/vigil' }, configFile: join(DEPLOY, 'vigil.example.yaml'), flags: {} });
    expect(cfg).toMatchObject({ host: '0.0.0.0', data_dir: '/var/lib/vigil', security: { enabled: 'auto' }, limits: { max_jobs: 10000, rate_per_second: 100 } });
  });

  it('the systemd unit runs vigil serve as its own user with a state directory', () => {
    const unit = readFileSync(join(DEPLOY, 'vigil.service'), 'utf8');
    for (const want of ['[Unit]', '[Service]', '[Install]', 'ExecStart=/usr/bin/env vigil serve', 'User=vigil', 'StateDirectory=vigil', 'KillSignal=SIGTERM', 'NoNewPrivileges=yes']) expect(unit).toContain(want);
  });
});

describe('npm package', () => {
  const built = existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'));
  it.skipIf(!built)('npm pack lists the CLI, the compiled server and the examples, no sources or tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path);
    for (const want of ['bin/vigil.js', 'package.json', 'README.md', 'dist/src/cli/main.js', 'dist/src/server/server.js', 'dist/src/server/security/install.js', 'examples/web-requests.csv', 'deploy/docker-entrypoint.sh']) expect(files, want).toContain(want);
    expect(files.filter((f) => f.startsWith('src/') || /\.test\.js$/.test(f) || f.includes('/test-kit/') || f.includes('node_modules'))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ vigil: 'bin/vigil.js' });
    expect(readFileSync(join(ROOT, 'bin', 'vigil.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it.skipIf(!built)('the packed CLI runs (help, api-key hash-password, serve refusing a public address without auth)', () => {
    const dir = join(tmp, 'pack');
    mkdirSync(dir);
    const name = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(dir, name), '-C', dir]);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'));
    const cli = join(dir, 'package', 'bin', 'vigil.js');
    const help = execFileSync(cli, ['--help'], { encoding: 'utf8', cwd: dir });
    for (const c of ['serve', 'api-key', 'backup', 'restore']) expect(help).toContain(c);
    const hash = execFileSync(cli, ['api-key', 'hash-password'], { input: 'a long password\n', encoding: 'utf8', cwd: dir });
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    const refused = spawnSync(cli, ['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', join(dir, 'data')], { encoding: 'utf8', cwd: dir, env: { ...process.env, VIGIL_SECURITY_ENABLED: 'false' }, timeout: 30_000 });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 with security.enabled: false');
  });
});
