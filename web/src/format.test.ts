import { describe, expect, it } from 'vitest';
import { bucketLabel, entityHref, escapeHtml, fmtBytes, fmtTime, lastDayScope, minuteRange, severityLabel } from './format';
import { formatFilter, isIPOrCIDR, parseFilter, rowLabel, validFilter } from './flowfilter';
import { csvCell, toCsv } from './csv';
import { toAthena } from './athena';
import { timeTooltip } from './components/Chart';

describe('escapeHtml', () => {
  it('neutralises markup from logs', () => {
    const s = escapeHtml('<img src=x onerror="alert(1)">\'`&');
    expect(s).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&#96;&amp;');
    expect(s).not.toMatch(/[<>"']/);
  });
});

describe('chart tooltips', () => {
  it('escape series names (they can carry log data)', () => {
    const html = timeTooltip((v) => String(v))([{ seriesName: '<script>x()</script>', value: [Date.UTC(2026, 10, 19), 5] }]);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x()&lt;/script&gt;');
    expect(html).toContain('2026-11-19 00:00:00 UTC');
  });
});

describe('formatting', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.50 KiB'],
    [131301496, '125 MiB'],
  ])('fmtBytes(%d) = %s', (n, want) => expect(fmtBytes(n)).toBe(want));
  it('shows times in UTC', () => expect(fmtTime('2026-11-19T23:01:07Z')).toBe('2026-11-19 23:01:07'));
  it.each([
    [9, 'Critical'],
    [8, 'High'],
    [5, 'Medium'],
    [2, 'Low'],
    [0, 'Informational'],
  ])('severityLabel(%d) = %s', (n, want) => expect(severityLabel(n)).toBe(want));
  it('links entities with their scope, escaping the ID', () => {
    expect(entityHref('iam_user:arn:aws:iam::1:user/alice', { start: '2026-11-19T00:00' })).toBe('/entities/iam_user%3Aarn%3Aaws%3Aiam%3A%3A1%3Auser%2Falice?start=2026-11-19T00%3A00');
    expect(entityHref('finding:abc')).toBe('/findings/abc');
  });
});

describe('flow scopes', () => {
  it.each([
    [60, '1 min'],
    [300, '5 min'],
    [900, '15 min'],
    [3600, '1 h'],
    [21600, '6 h'],
    [86400, '1 day'],
    [0, '–'],
  ])('bucketLabel(%d) = %s', (n, want) => expect(bucketLabel(n)).toBe(want));
  const at = (s: string) => Date.parse(s + 'Z');
  it('rounds a drag out to whole minutes', () => {
    expect(minuteRange(at('2026-11-19T02:17:40'), at('2026-11-19T03:04:05'))).toEqual({ start: '2026-11-19T02:17', end: '2026-11-19T03:05' });
    // Backwards drags and minute edges: nothing is widened that need not be.
    expect(minuteRange(at('2026-11-19T03:05:00'), at('2026-11-19T02:17:00'))).toEqual({ start: '2026-11-19T02:17', end: '2026-11-19T03:05' });
  });
  it('makes a drag inside one minute that minute', () => {
    expect(minuteRange(at('2026-11-19T02:17:10'), at('2026-11-19T02:17:20'))).toEqual({ start: '2026-11-19T02:17', end: '2026-11-19T02:18' });
    expect(minuteRange(at('2026-11-19T02:17:00'), at('2026-11-19T02:17:00'))).toEqual({ start: '2026-11-19T02:17', end: '2026-11-19T02:18' });
  });
  it('scopes the last day of activity, its last minute included', () => {
    expect(lastDayScope('2026-11-19T10:15:30Z')).toEqual({ start: '2026-11-18T10:16', end: '2026-11-19T10:16' });
    expect(lastDayScope('2026-11-19T10:15:00Z')).toEqual({ start: '2026-11-18T10:16', end: '2026-11-19T10:16' });
    expect(lastDayScope(undefined)).toEqual({});
  });
});

describe('flow filters', () => {
  it('round-trip through the URL form the API takes', () => {
    for (const s of ['remote_ip=public', 'local_port!=22', 'action=reject', 'remote_ip~198.51']) {
      expect(formatFilter(parseFilter(s)!)).toBe(s);
    }
    expect(parseFilter('nonsense')).toBeNull();
  });
  it('validate values before sending', () => {
    expect(validFilter({ field: 'local_port', op: '=', value: '1024-65535' })).toBeNull();
    expect(validFilter({ field: 'local_port', op: '=', value: '70000' })).not.toBeNull();
    expect(validFilter({ field: 'local_port', op: '=', value: '90-20' })).not.toBeNull();
    expect(validFilter({ field: 'remote_ip', op: '=', value: '10.0.0.0/8' })).toBeNull();
    expect(validFilter({ field: 'remote_ip', op: '=', value: 'private' })).toBeNull();
    expect(validFilter({ field: 'remote_ip', op: '=', value: '10.0.0.300' })).not.toBeNull();
    expect(validFilter({ field: 'action', op: '=', value: 'drop' })).not.toBeNull();
  });
  it.each([
    ['192.0.2.1', true],
    ['192.0.2.0/24', true],
    ['192.0.2.0/33', false],
    ['2001:db8::/32', true],
    ['2001:db8::1::2', false],
    ['example.com', false],
  ])('isIPOrCIDR(%s) = %s', (s, want) => expect(isIPOrCIDR(s)).toBe(want));
  it('names rows as the table does', () => {
    expect(rowLabel('198.51.100.24|38797|3333|6|outbound')).toBe('198.51.100.24 38797→3333 TCP outbound');
    expect(rowLabel('instance=i-1|22|50000|6|inbound')).toBe('i-1 22→50000 TCP inbound');
  });
});

describe('CSV', () => {
  it('quotes and defuses formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(toCsv(['a', 'b'], [[1, null]])).toBe('a,b\r\n1,\r\n');
  });
});

describe('toAthena', () => {
  it('rewrites flow_logs queries', () => {
    const a = toAthena("SELECT srcaddr, start_time FROM flow_logs WHERE start_time >= '2026-11-19 00:00:00'::TIMESTAMP AND start_time > now() - INTERVAL 7 DAY");
    expect(a).toBe(
      `SELECT srcaddr, from_unixtime("start") FROM vpc_flow_logs WHERE from_unixtime("start") >= TIMESTAMP '2026-11-19 00:00:00' AND from_unixtime("start") > now() - INTERVAL '7' DAY`,
    );
  });
  it('rewrites CloudTrail columns, leaving string literals alone', () => {
    expect(toAthena("SELECT user_agent, event_name FROM cloudtrail_events WHERE user_agent = 'user_agent'")).toBe(
      "SELECT useragent, eventname FROM cloudtrail_logs WHERE useragent = 'user_agent'",
    );
  });
});
