// A small history-API router: the whole state of a page is its URL.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

function emit() {
  listeners.forEach((f) => f());
}

if (typeof window !== 'undefined') window.addEventListener('popstate', emit);

/** navigate moves to a URL inside the console (push, or replace for state tweaks). */
export function navigate(url: string, replace = false) {
  const cur = location.pathname + location.search + location.hash;
  if (url === cur) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  emit();
}

export interface Loc {
  path: string;
  params: URLSearchParams;
  search: string;
}

function current(): Loc {
  return { path: location.pathname, params: new URLSearchParams(location.search), search: location.search };
}

export function useLocation(): Loc {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const f = () => setLoc(current());
    listeners.add(f);
    return () => {
      listeners.delete(f);
    };
  }, []);
  return loc;
}

/**
 * withParams returns the current path with some query parameters changed
 * (null or '' removes one; an array sets it repeated).
 */
export function withParams(update: Record<string, string | string[] | null | undefined>, base?: string): string {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(update)) {
    p.delete(k);
    if (v == null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.set(k, v);
  }
  const s = p.toString();
  return (base ?? location.pathname) + (s ? '?' + s : '');
}

export function setParams(update: Record<string, string | string[] | null | undefined>, replace = false) {
  navigate(withParams(update), replace);
}

/** installLinkHandler makes plain same-origin <a href> clicks navigate without a reload. */
export function installLinkHandler() {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/')) return;
    e.preventDefault();
    navigate(href);
  });
}
