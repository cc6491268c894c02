import { useEffect, useState } from 'preact/hooks';

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  /** key is the key data was read for (while the next key loads, data is the previous key's). */
  key?: string;
}

/**
 * useAsync runs fn whenever key changes, aborting the previous run, and
 * keeps the previous data while the next loads (no flashing tables).
 */
export function useAsync<T>(key: string | null, fn: (signal: AbortSignal) => Promise<T>): Async<T> {
  const [st, setSt] = useState<Async<T>>({ loading: key != null });
  useEffect(() => {
    if (key == null) {
      setSt({ loading: false });
      return;
    }
    const ac = new AbortController();
    setSt((s) => ({ data: s.data, loading: true, key: s.key }));
    fn(ac.signal).then(
      (data) => !ac.signal.aborted && setSt({ data, loading: false, key }),
      (error) => !ac.signal.aborted && setSt({ error, loading: false }),
    );
    return () => ac.abort();
  }, [key]);
  return st;
}
