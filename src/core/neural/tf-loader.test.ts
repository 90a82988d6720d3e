import { afterEach, describe, expect, it, vi } from 'vitest';
import { wantedBackend } from './tf-loader.js';

describe('tf-loader backend choice', () => {
  const saved = process.env.VIGIL_TF_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.VIGIL_TF_BACKEND;
    else process.env.VIGIL_TF_BACKEND = saved;
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it('reads VIGIL_TF_BACKEND (default auto) and refuses unknown names', () => {
    expect(wantedBackend({})).toBe('auto');
    expect(wantedBackend({ VIGIL_TF_BACKEND: ' WebGPU ' })).toBe('webgpu');
    expect(wantedBackend({ VIGIL_TF_BACKEND: 'auto' })).toBe('auto');
    expect(wantedBackend({ VIGIL_TF_BACKEND: 'cpu' })).toBe('cpu');
    expect(() => wantedBackend({ VIGIL_TF_BACKEND: 'cuda' })).toThrow(/wasm, webgpu, auto or cpu/);
  });

  it('webgpu without a GPU stack falls back to wasm and says why', async () => {
    process.env.VIGIL_TF_BACKEND = 'webgpu';
    vi.resetModules();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const m = await import('./tf-loader.js');
    const tf = await m.loadTf();
    // on a machine with the optional webgpu package and a Vulkan GPU this is 'webgpu'
    if (tf.getBackend() === 'webgpu') return;
    expect(tf.getBackend()).toBe('wasm');
    expect(m.gpuFallbackReason()).toMatch(/webgpu|adapter|Vulkan|WebGPU/);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/VIGIL_TF_BACKEND=webgpu: .*training on the CPU \(wasm\) instead/);
  });

  it('auto (the default) falls back quietly', async () => {
    delete process.env.VIGIL_TF_BACKEND;
    vi.resetModules();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const m = await import('./tf-loader.js');
    const tf = await m.loadTf();
    if (tf.getBackend() === 'webgpu') return;
    expect(tf.getBackend()).toBe('wasm');
    expect(err.mock.calls.map((c) => String(c[0])).join('')).not.toMatch(/VIGIL_TF_BACKEND/);
  });
});
