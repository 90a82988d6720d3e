/**
 * A text input that keeps what is being typed (re-renders from elsewhere do not reset it) and
 * hands the value over on change (blur or Enter) — for values that live in the URL.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function TextField(p: { value: string; onCommit: (v: string) => void; label: string; size?: number; placeholder?: string; disabled?: boolean }) {
  const [text, setText] = useState(p.value);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setText(p.value);
  }, [p.value]);
  return (
    <input
      aria-label={p.label}
      value={text}
      size={p.size}
      placeholder={p.placeholder}
      disabled={p.disabled}
      onFocus={() => (focused.current = true)}
      onBlur={() => (focused.current = false)}
      onInput={(e) => setText((e.target as HTMLInputElement).value)}
      onChange={(e) => p.onCommit((e.target as HTMLInputElement).value)}
    />
  );
}
