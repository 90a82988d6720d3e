/**
 * Lazy TensorFlow.js: the library (≈ 0.4 s to import) is loaded only when a model is trained, so
 * the CLI and the server start fast when no neural training runs. Scoring never needs it (see
 * net.ts: inference is plain TypeScript over the saved weights).
 *
 * Backend (`VIGIL_TF_BACKEND`):
 *   - `auto` (default): webgpu when it is available as below, wasm otherwise (no message). Installing
 *     the optional `webgpu` package is what turns the GPU on; without it nothing changes.
 *   - `wasm`: WebAssembly with SIMD, single thread; deterministic on one machine.
 *   - `webgpu`: a GPU through WebGPU. Node has no WebGPU of its own, so this needs the optional
 *     `webgpu` package (Dawn's Node binding: `npm install webgpu`) and a Vulkan driver (libvulkan1
 *     plus the GPU vendor's ICD, e.g. NVIDIA's). When either is missing, or no adapter is found, the
 *     loader says why on stderr and falls back to wasm, so training always runs.
 *   - `cpu`: the pure-JS backend (slow; bit-for-bit the same on every machine).
 * `@tensorflow/tfjs-node` (native) cannot be installed here, hence WebGPU for GPUs.
 */
import { VigilError } from '../errors.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type TfBackend = 'wasm' | 'webgpu' | 'auto' | 'cpu';

let loading: Promise<Tf> | null = null;
let gpuNote = '';

/** Loads tfjs and initialises its backend once; later calls share the same promise. */
export function loadTf(): Promise<Tf> {
  if (!loading) loading = init();
  return loading;
}

export function wantedBackend(env: NodeJS.ProcessEnv = process.env): TfBackend {
  const w = (env.VIGIL_TF_BACKEND ?? 'auto').trim().toLowerCase();
  if (w === 'wasm' || w === 'webgpu' || w === 'auto' || w === 'cpu') return w;
  throw new VigilError('INVALID_ARGUMENT', `VIGIL_TF_BACKEND must be wasm, webgpu, auto or cpu, not [${env.VIGIL_TF_BACKEND}]`);
}

async function init(): Promise<Tf> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (err) {
    loading = null;
    throw new VigilError('INTERNAL', `TensorFlow.js could not be loaded (npm install @tensorflow/tfjs): ${(err as Error).message}`);
  }
  let wanted: TfBackend;
  try {
    wanted = wantedBackend();
  } catch (err) {
    loading = null;
    throw err;
  }
  if (wanted === 'webgpu' || wanted === 'auto') {
    const why = await useWebGpu(tf);
    if (!why) return tf;
    gpuNote = why;
    if (wanted === 'webgpu') process.stderr.write(`vigil: VIGIL_TF_BACKEND=webgpu: ${why}; training on the CPU (wasm) instead\n`);
  }
  if (wanted !== 'cpu') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return tf;
      }
    } catch {
      // fall through to the pure-JS backend
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

/**
 * Installs Dawn's WebGPU as `navigator.gpu` and switches tfjs to its webgpu backend. Returns ''
 * on success, else why not (package missing, no Vulkan, no adapter).
 */
async function useWebGpu(tf: Tf): Promise<string> {
  // a variable specifier: `webgpu` is optional and not a dependency, so the compiler must not resolve it
  const name = 'webgpu';
  let wg: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    wg = (await import(name)) as typeof wg;
  } catch {
    return 'the optional package `webgpu` is not installed (npm install webgpu)';
  }
  let gpu: { requestAdapter(o?: unknown): Promise<unknown> };
  try {
    gpu = wg.create([]) as typeof gpu;
  } catch (err) {
    return `WebGPU could not start (${(err as Error).message})`;
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return 'no WebGPU adapter (is libvulkan1 installed, with the GPU vendor’s Vulkan driver?)';
  for (const [k, v] of Object.entries(wg.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    if (await tf.setBackend('webgpu')) {
      await tf.ready();
      return '';
    }
    return 'tfjs could not initialise its webgpu backend';
  } catch (err) {
    return `tfjs webgpu backend failed (${(err as Error).message})`;
  }
}

/** The backend in use once loaded ('wasm', 'webgpu' or 'cpu'), or null before `loadTf()` resolved. */
export async function tfBackendName(): Promise<string> {
  const tf = await loadTf();
  return tf.getBackend();
}

/** Why the GPU is not used, when webgpu or auto was asked for and the loader fell back ('' otherwise). */
export function gpuFallbackReason(): string {
  return gpuNote;
}
