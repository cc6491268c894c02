// Flow details: Detective's "View flow details", with its state in the URL.
import { useMemo, useState } from 'preact/hooks';
import { apiBlob, apiGet, saveBlob, type FlowRow, type FlowsResponse, type RecordsResponse, type SeriesResponse } from '../api';
import { useAsync } from '../hooks';
import { setParams, useLocation } from '../router';
import { Chart, DASHES, SERIES_COLORS, SYMBOLS, timeTooltip, type EChartsOption } from '../components/Chart';
import { ErrorBox, Loading, Mono, Pager, ScopePicker, SortHeader } from '../components/ui';
import { bucketLabel, entityHref, fmtBytes, fmtNum, fmtTime, minuteRange, protoName } from '../format';
import { FILTER_FIELDS, formatFilter, parseFilter, rowLabel, validFilter, type FlowFilter } from '../flowfilter';
import { RecordActions } from '../components/RecordActions';

const LIMIT = 50;
const MAX_SELECTED = 12;

function annotation(r: FlowRow) {
  if (r.finding === 'match') return <span class="ann ann-match" title="remote address, ports and direction of the finding">◆ finding</span>;
  if (r.finding === 'related') return <span class="ann ann-related" title="remote address (or instance) of the finding">◇ related</span>;
  return null;
}

export interface FlowDetailsProps {
  entity: string;
  /** finding annotates rows and, without a scope in the URL, sets the window. */
  finding?: string | null;
}

export function FlowDetails({ entity, finding }: FlowDetailsProps) {
  const { params } = useLocation();
  const start = params.get('start') ?? '';
  const end = params.get('end') ?? '';
  const filters = params.getAll('filter');
  const match = params.get('match') === 'any' ? 'any' : 'all';
  const selected = params.getAll('sel');
  const overall = params.get('overall') !== '0';
  const log = params.get('scale') === 'log';
  const metric = params.get('metric') === 'packets' ? 'packets' : 'bytes';
  const sort = params.get('sort') ?? '';
  const order = params.get('order') ?? '';
  const offset = +(params.get('offset') ?? 0) || 0;
  const recRow = params.get('rec');
  const recBucket = params.get('recb');
  const recOffset = +(params.get('reco') ?? 0) || 0;

  const base = '/entities/' + encodeURIComponent(entity) + '/flows';
  const scope = { start: start || null, end: end || null, finding: finding || null };
  const rowsQ = { ...scope, filter: filters, match: match === 'any' ? 'any' : null, sort: sort || null, order: order || null, limit: LIMIT, offset };
  const rowsKey = JSON.stringify(rowsQ);
  const rows = useAsync(base + rowsKey, (s) => apiGet<FlowsResponse>(base, rowsQ, s));
  // Series and rows are requested together: the series depend on the
  // selection and scope only, not on the table's page.
  const seriesQ = { ...scope, row: selected };
  const series = useAsync(base + '/series' + JSON.stringify(seriesQ), (s) => apiGet<SeriesResponse>(base + '/series', seriesQ, s));
  const recQ = recRow != null || recBucket != null ? { ...scope, row: recRow || null, bucket: recBucket || null, limit: 100, offset: recOffset } : null;
  const records = useAsync(recQ ? JSON.stringify(recQ) : null, (s) => apiGet<RecordsResponse>(base + '/records', recQ!, s));

  const win = rows.data?.window ?? series.data?.window;
  const rowKey = rows.data?.row_key ?? 'remote_ip';

  const charts = useMemo(() => {
    const d = series.data;
    if (!d) return null;
    const mk = (dir: 'in' | 'out'): EChartsOption => {
      const field = (metric + '_' + dir) as 'bytes_in';
      const ser: any[] = [];
      if (overall) {
        ser.push({
          name: 'Overall traffic',
          type: 'bar',
          barMaxWidth: 18,
          itemStyle: { color: '#94a3b8' },
          data: d.overall.map((b) => [Date.parse(b.start), b[field] || (log ? null : 0)]),
        });
      }
      d.rows.forEach((r, i) => {
        ser.push({
          name: rowLabel(r.id),
          type: 'line',
          symbol: SYMBOLS[i % SYMBOLS.length],
          symbolSize: 7,
          lineStyle: { type: DASHES[i % DASHES.length], width: 2 },
          itemStyle: { color: SERIES_COLORS[i % SERIES_COLORS.length] },
          data: r.buckets.map((b) => [Date.parse(b.start), b[field] || (log ? null : 0)]),
        });
      });
      const fmt = metric === 'bytes' ? fmtBytes : fmtNum;
      return {
        animation: false,
        grid: { left: 70, right: 20, top: 40, bottom: 28 },
        legend: { top: 0, type: 'scroll' },
        tooltip: { trigger: 'axis', formatter: timeTooltip((v) => fmt(v)) },
        toolbox: { show: false },
        brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', throttleType: 'debounce', throttleDelay: 100 },
        xAxis: { type: 'time', min: Date.parse(d.window.start), max: Date.parse(d.window.end) },
        yAxis: log
          ? { type: 'log', logBase: 10, axisLabel: { formatter: (v: number) => fmt(v) } }
          : { type: 'value', axisLabel: { formatter: (v: number) => fmt(v) } },
        series: ser,
      };
    };
    return { in: mk('in'), out: mk('out') };
  }, [series.data, overall, log, metric]);

  // A drag selects whole minutes: flow panels are exact to the minute.
  const onBrush = (a: number, b: number) => setParams({ ...minuteRange(a, b), offset: null });
  const onBucket = (x: number) => {
    if (!isFinite(x)) return;
    const bs = win?.bucket_seconds ?? 3600;
    const b = new Date(Math.floor(x / (bs * 1000)) * bs * 1000).toISOString().replace('.000Z', 'Z');
    setParams({ recb: b, rec: null, reco: null });
  };
  const toggleSel = (id: string) => {
    const next = selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id].slice(-MAX_SELECTED);
    setParams({ sel: next }, true);
  };

  const exportCsv = async () => {
    const blob = await apiBlob(base, { ...rowsQ, format: 'csv', limit: 1000, offset: 0 });
    saveBlob(blob, `flows-${entity.replace(/[^A-Za-z0-9.-]+/g, '_')}.csv`);
  };

  return (
    <div class="flows" data-testid="flow-details">
      <div class="flows-toolbar">
        <ScopePicker
          start={start || (win?.start ?? '')}
          end={end || (win?.end ?? '')}
          onChange={(s, e) => setParams({ start: s, end: e, offset: null })}
          onReset={start || end ? () => setParams({ start: null, end: null, offset: null }) : undefined}
          resetLabel={finding ? "Finding's window" : 'Default scope'}
        />
      </div>
      {win ? (
        <p class="muted small">
          Window {fmtTime(win.start)} → {fmtTime(win.end)} UTC, {bucketLabel(win.bucket_seconds)} buckets. Drag across a chart to narrow the window; click a bucket for its raw records.
        </p>
      ) : null}
      <FilterBar filters={filters} match={match} rowKey={rowKey} />
      <div class="chart-controls" role="group" aria-label="Chart options">
        <label>
          <input type="checkbox" checked={overall} onChange={() => setParams({ overall: overall ? '0' : null }, true)} /> Overall traffic
        </label>
        <span class="seg" role="radiogroup" aria-label="Scale">
          <button type="button" role="radio" aria-checked={!log} class={!log ? 'on' : ''} onClick={() => setParams({ scale: null }, true)}>
            Linear
          </button>
          <button type="button" role="radio" aria-checked={log} class={log ? 'on' : ''} onClick={() => setParams({ scale: 'log' }, true)}>
            Log
          </button>
        </span>
        <span class="seg" role="radiogroup" aria-label="Measure">
          <button type="button" role="radio" aria-checked={metric === 'bytes'} class={metric === 'bytes' ? 'on' : ''} onClick={() => setParams({ metric: null }, true)}>
            Bytes
          </button>
          <button type="button" role="radio" aria-checked={metric === 'packets'} class={metric === 'packets' ? 'on' : ''} onClick={() => setParams({ metric: 'packets' }, true)}>
            Packets
          </button>
        </span>
        <span class="muted small">
          {selected.length} of at most {MAX_SELECTED} rows plotted
          {selected.length ? (
            <>
              {' '}
              <button type="button" class="link" onClick={() => setParams({ sel: null }, true)}>
                clear
              </button>
            </>
          ) : null}
        </span>
        <Loading on={series.loading} />
      </div>
      <ErrorBox error={series.error} />
      {charts ? (
        <div class="grid2 charts">
          <div>
            <h3>Inbound {metric} per {bucketLabel(win?.bucket_seconds ?? 3600)}{log ? ' (log scale)' : ''}</h3>
            <Chart option={charts.in} label="Inbound traffic over time" testid="chart-in" onBrush={onBrush} onClickBucket={onBucket} />
          </div>
          <div>
            <h3>Outbound {metric} per {bucketLabel(win?.bucket_seconds ?? 3600)}{log ? ' (log scale)' : ''}</h3>
            <Chart option={charts.out} label="Outbound traffic over time" testid="chart-out" onBrush={onBrush} onClickBucket={onBucket} />
          </div>
        </div>
      ) : null}
      <div class="table-head">
        <h3>
          Flows{' '}
          {rows.data ? (
            <span class="muted small">
              {fmtNum(rows.data.totals.rows)} rows · in {fmtBytes(rows.data.totals.bytes_in)} · out {fmtBytes(rows.data.totals.bytes_out)} · {fmtNum(rows.data.totals.accepted_flows)} accepted / {fmtNum(rows.data.totals.rejected_flows)} rejected flows
            </span>
          ) : null}
        </h3>
        <div>
          <button type="button" onClick={() => setParams({ rec: null, recb: 'all', reco: null })}>
            Raw records of the window
          </button>{' '}
          <button type="button" onClick={exportCsv} data-testid="export-csv">
            Export CSV
          </button>
        </div>
      </div>
      <ErrorBox error={rows.error} />
      <Loading on={rows.loading} />
      {rows.data ? (
        <FlowTable
          data={rows.data}
          rowKey={rowKey}
          selected={selected}
          toggle={toggleSel}
          sort={sort || rows.data.sort}
          order={order || rows.data.order}
          scope={{ start: win?.start, end: win?.end }}
          openRecords={(id) => setParams({ rec: id, recb: null, reco: null })}
        />
      ) : null}
      {rows.data ? <Pager offset={offset} limit={LIMIT} count={rows.data.rows.length} total={rows.data.totals.rows} onPage={(o) => setParams({ offset: o ? String(o) : null })} /> : null}
      {recQ ? (
        <RecordsDrawer
          title={recRow ? 'Raw records of ' + rowLabel(recRow) : recBucket === 'all' ? 'Raw records of the window' : 'Raw records of the bucket at ' + fmtTime(recBucket) + ' UTC'}
          res={records}
          offset={recOffset}
          onPage={(o) => setParams({ reco: o ? String(o) : null }, true)}
          onClose={() => setParams({ rec: null, recb: null, reco: null })}
        />
      ) : null}
    </div>
  );
}

function FlowTable({ data, rowKey, selected, toggle, sort, order, scope, openRecords }: { data: FlowsResponse; rowKey: string; selected: string[]; toggle: (id: string) => void; sort: string; order: string; scope: { start?: string; end?: string }; openRecords: (id: string) => void }) {
  const onSort = (c: string, o: string) => setParams({ sort: c, order: o, offset: null });
  const H = (col: string, label: string, num?: boolean) => <SortHeader col={col} label={label} sort={sort.split(',')[0]} order={order} onSort={onSort} num={num} />;
  return (
    <div class="table-wrap">
      <table class="data flows-table" data-testid="flows-table">
        <thead>
          <tr>
            <th>
              <span class="sr-only">Plot</span>
            </th>
            {H('finding', 'Annotations')}
            {rowKey === 'instance' ? H('instance', 'EC2 instance') : H('remote_ip', 'Remote IP')}
            {H('local_port', 'Local port', true)}
            {H('remote_port', 'Remote port', true)}
            {H('protocol', 'Protocol')}
            {H('direction', 'Direction')}
            {H('bytes_in', 'Inbound', true)}
            {H('bytes_out', 'Outbound', true)}
            {H('flows', 'Flows', true)}
            {H('action', 'Accept/reject')}
            {H('first_seen', 'First / last seen')}
            <th>Raw</th>
          </tr>
        </thead>
        <tbody>
          {data.rows.map((r) => {
            const sel = selected.includes(r.id);
            const who = rowKey === 'instance' ? r.instance : r.remote_ip;
            const whoId = rowKey === 'instance' ? 'instance:' + who : 'ip:' + who;
            return (
              <tr
                class={(sel ? 'selected ' : '') + (r.finding ? 'annotated ' : '') + 'clickable'}
                data-row={r.id}
                title="Click for the raw records"
                onClick={(e) => {
                  // A click on the row itself (not its links, box or button) opens its records.
                  if (!(e.target as Element).closest('a, button, input')) openRecords(r.id);
                }}
              >
                <td>
                  <input type="checkbox" checked={sel} onChange={() => toggle(r.id)} aria-label={'Plot ' + rowLabel(r.id)} />
                </td>
                <td>{annotation(r)}</td>
                <td class="mono">{who ? <a href={entityHref(whoId, scope)}>{who}</a> : '–'}</td>
                <td class="num">{r.local_port ?? '–'}</td>
                <td class="num">{r.remote_port ?? '–'}</td>
                <td>{r.protocol_name || protoName(r.protocol)}</td>
                <td>{r.direction}</td>
                <td class="num">{fmtBytes(r.bytes_in)}</td>
                <td class="num">{fmtBytes(r.bytes_out)}</td>
                <td class="num">{fmtNum(r.flows)}</td>
                <td>
                  <span class={'act act-' + r.action.toLowerCase()} title={`${r.accepted_flows} accepted, ${r.rejected_flows} rejected`}>
                    {r.action === 'REJECT' ? '✕ ' : r.action === 'ACCEPT' ? '✓ ' : '± '}
                    {r.action}
                  </span>
                </td>
                <td class="nowrap small">
                  {fmtTime(r.first_seen)}
                  <br />
                  {fmtTime(r.last_seen)}
                </td>
                <td>
                  <button type="button" class="small" onClick={() => openRecords(r.id)} aria-label={'Raw records of ' + rowLabel(r.id)}>
                    Records
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!data.rows.length ? <p class="muted">No flows match in this window.</p> : null}
    </div>
  );
}

function FilterBar({ filters, match, rowKey }: { filters: string[]; match: string; rowKey: string }) {
  // Rows are keyed by remote IP or, for an outside address, by instance.
  const fields = FILTER_FIELDS.filter((f) => f.field !== (rowKey === 'instance' ? 'remote_ip' : 'instance'));
  const parsed = filters.map((f) => parseFilter(f) ?? { field: 'remote_ip', op: '=' as const, value: f });
  const [draft0, setDraft] = useState<FlowFilter>({ field: fields[0].field, op: '=', value: '' });
  const draft = fields.some((f) => f.field === draft0.field) ? draft0 : { ...draft0, field: fields[0].field };
  const err = draft.value ? validFilter(draft) : null;
  const add = (f: FlowFilter) => {
    if (validFilter(f)) return;
    setParams({ filter: [...filters, formatFilter(f)], offset: null });
    setDraft({ ...draft, value: '' });
  };
  const hint = FILTER_FIELDS.find((x) => x.field === draft.field)?.hint;
  return (
    <div class="filterbar" role="group" aria-label="Flow filters">
      <div class="filter-chips">
        {parsed.map((f, i) => (
          <span class="chip filter-chip">
            {i > 0 ? <span class="muted">{match === 'any' ? 'OR ' : 'AND '}</span> : null}
            {FILTER_FIELDS.find((x) => x.field === f.field)?.label ?? f.field} {f.op === '~' ? 'contains' : f.op} <b>{f.value}</b>
            <button type="button" class="x" aria-label={'Remove filter ' + formatFilter(f)} onClick={() => setParams({ filter: filters.filter((_, j) => j !== i), offset: null })}>
              ×
            </button>
          </span>
        ))}
        {filters.length > 1 ? (
          <span class="seg" role="radiogroup" aria-label="Combine filters">
            <button type="button" role="radio" aria-checked={match !== 'any'} class={match !== 'any' ? 'on' : ''} onClick={() => setParams({ match: null, offset: null })}>
              AND
            </button>
            <button type="button" role="radio" aria-checked={match === 'any'} class={match === 'any' ? 'on' : ''} onClick={() => setParams({ match: 'any', offset: null })}>
              OR
            </button>
          </span>
        ) : null}
        {filters.length ? (
          <button type="button" class="link" onClick={() => setParams({ filter: null, match: null, offset: null })}>
            Clear filters
          </button>
        ) : null}
      </div>
      <form
        class="filter-add"
        onSubmit={(e) => {
          e.preventDefault();
          add(draft);
        }}
      >
        <select aria-label="Filter field" value={draft.field} onChange={(e) => setDraft({ ...draft, field: (e.target as HTMLSelectElement).value })}>
          {fields.map((f) => (
            <option value={f.field}>{f.label}</option>
          ))}
        </select>
        <select aria-label="Filter operator" value={draft.op} onChange={(e) => setDraft({ ...draft, op: (e.target as HTMLSelectElement).value as FlowFilter['op'] })}>
          <option value="=">is</option>
          <option value="!=">is not</option>
          <option value="~">contains</option>
        </select>
        <input aria-label="Filter value" value={draft.value} placeholder={hint} onInput={(e) => setDraft({ ...draft, value: (e.target as HTMLInputElement).value })} aria-invalid={!!err} />
        <button type="submit" disabled={!draft.value || !!err}>
          Add filter
        </button>
        {err ? <span class="error-inline">{err}</span> : null}
        <span class="presets">
          Presets:{' '}
          {rowKey !== 'instance' ? (
            <>
              <button type="button" class="chip" onClick={() => add({ field: 'remote_ip', op: '=', value: 'public' })}>
                public IPs
              </button>
              <button type="button" class="chip" onClick={() => add({ field: 'remote_ip', op: '=', value: 'private' })}>
                private IPs
              </button>
            </>
          ) : null}
          <button type="button" class="chip" onClick={() => add({ field: 'action', op: '=', value: 'reject' })}>
            REJECT only
          </button>
          <button type="button" class="chip" onClick={() => add({ field: 'action', op: '=', value: 'accept' })}>
            ACCEPT only
          </button>
          <button type="button" class="chip" onClick={() => add({ field: 'direction', op: '=', value: 'inbound' })}>
            inbound
          </button>
          <button type="button" class="chip" onClick={() => add({ field: 'direction', op: '=', value: 'outbound' })}>
            outbound
          </button>
        </span>
      </form>
    </div>
  );
}

// Where each record came from (object and line) right after what it says
// happened, so that it shows without scrolling at 1280 px.
const RECORD_COLS = ['start_time', 'end_time', 'interface_id', 'srcaddr', 'srcport', 'dstaddr', 'dstport', 'protocol', 'packets', 'bytes', 'action', 'object_line', 'object_uri', 'tcp_flags', 'flow_direction'];

function RecordsDrawer({ title, res, offset, onPage, onClose }: { title: string; res: { data?: RecordsResponse; error?: Error; loading: boolean }; offset: number; onPage: (o: number) => void; onClose: () => void }) {
  const d = res.data;
  const cols = d?.records.length ? RECORD_COLS.filter((c) => d.records.some((r) => r[c] != null)) : RECORD_COLS;
  const head = (c: string) => ({ object_line: 'line', object_uri: 'object' })[c] ?? c;
  return (
    <section class="drawer" role="dialog" aria-label={title} data-testid="records">
      <header class="panel-head">
        <h2>{title}</h2>
        <div class="panel-actions">
          {d ? <RecordActions sql={d.sql} athenaSql={d.athena_sql} cols={cols} records={d.records} file="flow-records.csv" /> : null}
          <button type="button" onClick={onClose} aria-label="Close raw records">
            Close ✕
          </button>
        </div>
      </header>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {d ? (
        <>
          <p class="muted small">
            {fmtTime(d.start)} → {fmtTime(d.end)} UTC. Each record names the line and object it came from (hover for the object's full URI).
          </p>
          <div class="table-wrap">
            <table class="data records-table">
              <thead>
                <tr>
                  {cols.map((c) => (
                    <th>{head(c)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.records.map((r) => (
                  <tr>
                    {cols.map((c) =>
                      c === 'object_uri' ? (
                        <td class="nowrap small" title={String(r[c] ?? '')}>
                          <Mono v={String(r[c] ?? '').split('/').pop()} />
                        </td>
                      ) : (
                        <td class="nowrap">
                          <Mono v={c.endsWith('_time') ? fmtTime(r[c] as string) : r[c]} />
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {!d.records.length ? <p class="muted">No records.</p> : null}
          <Pager offset={offset} limit={d.limit} count={d.records.length} more={d.more} onPage={onPage} />
        </>
      ) : null}
    </section>
  );
}
