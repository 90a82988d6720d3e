import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server configuration', () => {
  it('defaults: 127.0.0.1:9200 (not explicit), ./.vigil, info logs, 100 MiB bodies', () => {
    const c = loadConfig({ cwd: dir, env: {}, flags: {} });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 9200, port_explicit: false, data_dir: join(dir, '.vigil'), log_level: 'info', limits: { max_body_bytes: 100 * 2 ** 20 } });
  });

  it('file < environment < flags', () => {
    const file = join(dir, 'vigil.yml');
    writeFileSync(file, 'host: 0.0.0.0\nport: 9300\ndata_dir: fromfile\nlimits:\n  max_body_bytes: 10mb\n  max_open_jobs: 4\nsnapshot:\n  every_ops: 50\n  interval: 30m\n');
    const c = loadConfig({ cwd: dir, env: { VIGIL_CONFIG: file, VIGIL_PORT: '9400', VIGIL_MAX_OPEN_JOBS: '8' }, flags: { data_dir: 'fromflag' } });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9400, port_explicit: true, data_dir: join(dir, 'fromflag'), limits: { max_body_bytes: 10 * 2 ** 20, max_open_jobs: 8 }, snapshot: { every_ops: 50, interval_ms: 1_800_000 } });
  });

  it('refuses unknown settings and bad values, naming them', () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'limits:\n  max_bodies: 3\n');
    expect(() => loadConfig({ cwd: dir, env: {}, configFile: file, flags: {} })).toThrow(/limits\.max_bodies: unknown setting/);
    expect(() => loadConfig({ cwd: dir, env: { VIGIL_PORT: 'http' }, flags: {} })).toThrow(/environment port: "http" is not a port number/);
    expect(() => loadConfig({ cwd: dir, env: {}, flags: { log_level: 'loud' } })).toThrow(/log_level/);
    expect(() => loadConfig({ cwd: dir, env: {}, configFile: join(dir, 'missing.yml'), flags: {} })).toThrow(/cannot be read/);
  });

  it('training.* limits: defaults, file, environment; bad values refused', () => {
    expect(loadConfig({ cwd: dir, env: {}, flags: {} }).training).toEqual({ max_trainings: 1, max_activations: 8, max_historical: 2 });
    const file = join(dir, 'training.yml');
    writeFileSync(file, 'training:\n  max_trainings: 3\n  max_historical: 5\n');
    const c = loadConfig({ cwd: dir, env: { VIGIL_CONFIG: file, VIGIL_MAX_ACTIVATIONS: '16', VIGIL_MAX_HISTORICAL: '4' }, flags: {} });
    expect(c.training).toEqual({ max_trainings: 3, max_activations: 16, max_historical: 4 });
    expect(() => loadConfig({ cwd: dir, env: { VIGIL_MAX_TRAININGS: '0' }, flags: {} })).toThrow(/training\.max_trainings: "0" is not a positive integer/);
    writeFileSync(file, 'training:\n  max_gpus: 1\n');
    expect(() => loadConfig({ cwd: dir, env: {}, configFile: file, flags: {} })).toThrow(/training\.max_gpus: unknown setting/);
  });
});
