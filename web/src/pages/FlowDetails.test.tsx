import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, waitFor } from '@testing-library/preact';
import { FlowDetails } from './FlowDetails';

// ECharts needs a canvas; jsdom has none. The chart is tested in Chromium (e2e).
vi.mock('../components/Chart', () => ({
  // A drag across the chart is a button here: 02:17:40 to 02:40:05.
  Chart: (p: { testid?: string; option: any; onBrush?: (a: number, b: number) => void }) => (
    <div data-testid={p.testid} data-series={p.option.series.length}>
      <button type="button" onClick={() => p.onBrush?.(Date.UTC(2026, 10, 19, 2, 17, 40), Date.UTC(2026, 10, 19, 2, 40, 5))}>
        drag {p.testid}
      </button>
    </div>
  ),
  timeTooltip: () => () => '',
  SERIES_COLORS: ['#000'],
  DASHES: ['solid'],
  SYMBOLS: ['circle'],
}));

const HOSTILE = '<img src=x onerror="window.__x=1">';
const win = { start: '2026-11-19T00:00:00Z', end: '2026-11-19T03:00:00Z', bucket_seconds: 3600 };
const row = (id: string, finding?: string) => {
  const [remote_ip, lp, rp, , direction] = id.split('|');
  return { id, remote_ip, local_port: +lp, remote_port: +rp, protocol: 6, protocol_name: 'TCP', direction, bytes_in: 10, bytes_out: 20, packets_in: 1, packets_out: 1, flows: 1, accepted_flows: 0, rejected_flows: 1, action: 'REJECT', first_seen: win.start, last_seen: win.start, finding };
};
const rows = [row('203.0.113.9|22|5000|6|inbound', 'match'), row('198.51.100.1|22|5001|6|inbound')];
const buckets = [{ start: win.start, bytes_in: 1, bytes_out: 2, packets_in: 1, packets_out: 1, flows: 1, rejected_flows: 0 }];

let calls: string[] = [];
beforeEach(() => {
  calls = [];
  history.replaceState(null, '', '/entities/instance%3Ai-1/flows?finding=f1');
  vi.stubGlobal('fetch', async (url: string) => {
    calls.push(url);
    const u = new URL(url, 'http://x');
    let body: unknown;
    if (u.pathname.endsWith('/series')) body = { window: win, overall: buckets, rows: u.searchParams.getAll('row').map((id) => ({ id, buckets })) };
    else if (u.pathname.endsWith('/records')) body = { start: win.start, end: win.end, offset: 0, limit: 100, more: false, sql: 'SELECT 1', athena_sql: 'SELECT 1', records: [{ srcaddr: '203.0.113.9', object_uri: 's3://logs/AWSLogs/x/' + HOSTILE, object_line: 42 }] };
    else body = { scope: win, window: win, row_key: 'remote_ip', sort: 'finding,bytes_in', order: 'desc', totals: { rows: 2, bytes_in: 20, bytes_out: 40, packets: 4, flows: 2, accepted_flows: 0, rejected_flows: 2 }, offset: 0, rows };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('FlowDetails', () => {
  it('annotates, plots ticked rows, filters and opens raw records through the URL', async () => {
    const v = render(<FlowDetails entity="instance:i-1" finding="f1" />);
    await v.findByText('◆ finding');
    expect(calls.some((c) => c.includes('/flows?') && c.includes('finding=f1'))).toBe(true);
    expect(v.getByTestId('chart-in').getAttribute('data-series')).toBe('1');

    fireEvent.click(v.getByLabelText('Plot 203.0.113.9 22→5000 TCP inbound'));
    fireEvent.click(v.getByLabelText('Plot 198.51.100.1 22→5001 TCP inbound'));
    expect(new URLSearchParams(location.search).getAll('sel')).toEqual(['203.0.113.9|22|5000|6|inbound', '198.51.100.1|22|5001|6|inbound']);
    await waitFor(() => expect(v.getByTestId('chart-in').getAttribute('data-series')).toBe('3'));

    fireEvent.click(v.getByRole('checkbox', { name: 'Overall traffic' }));
    await waitFor(() => expect(v.getByTestId('chart-in').getAttribute('data-series')).toBe('2'));

    fireEvent.click(v.getByText('REJECT only'));
    expect(new URLSearchParams(location.search).getAll('filter')).toEqual(['action=reject']);
    await waitFor(() => expect(calls.some((c) => c.includes('filter=action%3Dreject'))).toBe(true));

    fireEvent.input(v.getByLabelText('Filter value'), { target: { value: '99999' } });
    fireEvent.change(v.getByLabelText('Filter field'), { target: { value: 'local_port' } });
    expect(await v.findByText('ports are 0–65535, low-high')).toBeTruthy();

    fireEvent.click(v.getByLabelText('Raw records of 203.0.113.9 22→5000 TCP inbound'));
    await v.findByRole('dialog');
    expect(new URLSearchParams(location.search).get('rec')).toBe('203.0.113.9|22|5000|6|inbound');
    // A hostile value in a record is text, not markup; its provenance is line and object.
    expect(document.querySelector('img')).toBeNull();
    await v.findByRole('columnheader', { name: 'line' });
    const dialog = v.getByRole('dialog');
    const heads = [...dialog.querySelectorAll('th')].map((th) => th.textContent);
    expect(heads).toEqual(['srcaddr', 'line', 'object']);
    expect([...dialog.querySelectorAll('tbody td')].map((td) => td.textContent)).toEqual(['203.0.113.9', '42', HOSTILE]);
    expect(document.querySelector('img')).toBeNull();
  });

  it('names minute buckets and narrows the window to the minutes dragged across', async () => {
    const v = render(<FlowDetails entity="instance:i-1" finding="f1" />);
    expect(await v.findByText('Inbound bytes per 1 h')).toBeTruthy();
    expect(v.getByText(/1 h buckets\./)).toBeTruthy();
    fireEvent.click(v.getByText('drag chart-out'));
    const p = new URLSearchParams(location.search);
    expect([p.get('start'), p.get('end')]).toEqual(['2026-11-19T02:17', '2026-11-19T02:41']);
  });
});
