/**
 * The configuration tests start a real server with (`startServer`): `dir`'s defaults, an
 * ephemeral loopback port, its data in `dir/<dataDir>`, no logs.
 */
import { join } from 'node:path';
import { defaultConfig, type ServerConfig } from '../config.js';

export function testServerConfig(dir: string, dataDir = 'data'): ServerConfig {
  return { ...defaultConfig(dir), port: 0, port_explicit: true, data_dir: join(dir, dataDir), log_level: 'silent' };
}
