/**
 * Lazy TensorFlow.js: the library (≈ 0.4 s to import) is loaded only when a model is trained, so
 * the CLI and the server start fast when no neural training runs. Scoring never needs it (see
 * net.ts: inference is plain TypeScript over the saved weights).
 *
 * Backend: WebAssembly with SIMD (no threads in Node) by default; `VIGIL_TF_BACKEND=cpu` forces the
 * pure-JS backend. `@tensorflow/tfjs-node` (native) cannot be installed here, and no GPU backend
 * runs in Node (tfjs-backend-webgpu/webgl need a browser), so training is CPU-only.
 */
import { VigilError } from '../errors.js';

export type Tf = typeof import('@tensorflow/tfjs');

let loading: Promise<Tf> | null = null;

/** Loads tfjs and initialises its backend once; later calls share the same promise. */
export function loadTf(): Promise<Tf> {
  if (!loading) loading = init();
  return loading;
}

async function init(): Promise<Tf> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs');
  } catch (err) {
    loading = null;
    throw new VigilError('INTERNAL', `TensorFlow.js could not be loaded (npm install @tensorflow/tfjs): ${(err as Error).message}`);
  }
  const wanted = process.env.VIGIL_TF_BACKEND ?? 'wasm';
  if (wanted === 'wasm') {
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

/** The backend in use once loaded ('wasm' or 'cpu'), or null before `loadTf()` resolved. */
export async function tfBackendName(): Promise<string> {
  const tf = await loadTf();
  return tf.getBackend();
}
