/** Loading, empty and error states: a view never renders blank. */
import type { ComponentChildren } from 'preact';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div class="state loading" role="status">
      <span class="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function ErrorBox({ error, retry, title = 'Something went wrong' }: { error: Error | string; retry?: () => void; title?: string }) {
  const msg = typeof error === 'string' ? error : error.message;
  return (
    <div class="state error" role="alert">
      <strong>{title}</strong>
      <p class="msg">{msg}</p>
      {retry && (
        <button class="btn" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <strong>{title}</strong>
      {children && <div class="msg">{children}</div>}
    </div>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}
