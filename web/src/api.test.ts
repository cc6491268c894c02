import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiGet, MAX_OPEN } from './api';

afterEach(() => vi.unstubAllGlobals());

/** A fetch whose answers the test releases one by one. */
function heldFetch() {
  const calls: { url: string; done: boolean; release: () => void }[] = [];
  let open = 0;
  let most = 0;
  vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
    open++;
    most = Math.max(most, open);
    return new Promise<Response>((resolve, reject) => {
      init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      const call = {
        url,
        done: false,
        release: () => {
          if (call.done) return;
          call.done = true;
          open--;
          resolve(new Response(JSON.stringify({ url }), { status: 200 }));
        },
      };
      calls.push(call);
    });
  });
  return { calls, most: () => most, open: () => open };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('API requests', () => {
  it(`keep at most ${MAX_OPEN} open and send the rest in order as they finish`, async () => {
    const f = heldFetch();
    const got = ['/a', '/b', '/c', '/d', '/e'].map((p) => apiGet<{ url: string }>(p));
    await tick();
    expect(f.calls.map((c) => c.url)).toEqual(['/api/v1/a', '/api/v1/b']);
    f.calls[1].release();
    await tick();
    expect(f.calls.map((c) => c.url)).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/c']);
    // Release the rest one at a time, oldest first: each frees the slot for the next.
    for (let i = 0; i < 5; i++) {
      f.calls[i === 1 ? 0 : i].release();
      await tick();
      expect(f.open()).toBeLessThanOrEqual(MAX_OPEN);
    }
    const urls = (await Promise.all(got)).map((r) => r.url);
    expect(urls).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/c', '/api/v1/d', '/api/v1/e']);
    expect(f.most()).toBe(MAX_OPEN);
  });
  it('drop a waiting request when it is aborted, without losing its place to others', async () => {
    const f = heldFetch();
    const first = apiGet('/a');
    const second = apiGet('/b');
    const ac = new AbortController();
    const third = apiGet('/c', undefined, ac.signal);
    const fourth = apiGet<{ url: string }>('/d');
    ac.abort();
    await expect(third).rejects.toMatchObject({ name: 'AbortError' });
    f.calls[0].release();
    await tick();
    expect(f.calls.map((c) => c.url)).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/d']);
    f.calls[1].release();
    f.calls[2].release();
    await Promise.all([first, second]);
    expect((await fourth).url).toBe('/api/v1/d');
    expect(f.open()).toBe(0);
  });
  it('free the slot of a request that fails', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'no such thing', request_id: 'r1' } }), { status: 404 }));
    for (let i = 0; i < MAX_OPEN + 2; i++) await expect(apiGet('/x')).rejects.toMatchObject({ status: 404, code: 'not_found', requestId: 'r1' });
    vi.stubGlobal('fetch', async () => new Response('{"ok":true}', { status: 200 }));
    expect(await apiGet('/y')).toEqual({ ok: true });
  });
});
