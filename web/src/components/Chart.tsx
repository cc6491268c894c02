// ECharts, tree-shaken to what the console draws. Tooltips are built by
// our own formatters from escaped text: ECharts puts formatter output into
// the page as HTML.
import { useEffect, useRef } from 'preact/hooks';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent, TooltipComponent, LegendComponent, BrushComponent, ToolboxComponent,
  MarkAreaComponent, DataZoomComponent, TitleComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { escapeHtml, fmtTime } from '../format';

echarts.use([
  BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, BrushComponent,
  ToolboxComponent, MarkAreaComponent, DataZoomComponent, TitleComponent, CanvasRenderer,
]);

export type EChartsOption = echarts.EChartsCoreOption;

export interface ChartProps {
  option: EChartsOption;
  height?: number;
  label: string;
  testid?: string;
  /** onBrush receives the time range dragged on the chart (ms). */
  onBrush?: (from: number, to: number) => void;
  /** onClickBucket receives the x value (ms) of a clicked bucket. */
  onClickBucket?: (x: number, seriesName: string) => void;
}

/** Chart renders an ECharts option; the option is replaced, not merged. */
export function Chart({ option, height = 220, label, testid, onBrush, onClickBucket }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const handlers = useRef({ onBrush, onClickBucket });
  handlers.current = { onBrush, onClickBucket };

  useEffect(() => {
    const c = echarts.init(el.current!, undefined, { renderer: 'canvas' });
    chart.current = c;
    c.on('click', (p: any) => {
      const x = Array.isArray(p.value) ? p.value[0] : p.name;
      handlers.current.onClickBucket?.(typeof x === 'number' ? x : Date.parse(x), String(p.seriesName ?? ''));
    });
    c.on('brushEnd', (p: any) => {
      const area = p.areas?.[0];
      if (!area?.coordRange) return;
      const [a, b] = area.coordRange as [number, number];
      c.dispatchAction({ type: 'brush', areas: [] });
      handlers.current.onBrush?.(Math.min(a, b), Math.max(a, b));
    });
    // The end-to-end test reads charts by their test id (series drawn,
    // pixel positions of buckets): they are canvas, not DOM.
    if (testid) ((window as any).__gumshoeCharts ??= {})[testid] = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current!);
    return () => {
      ro.disconnect();
      c.dispose();
    };
  }, []);

  useEffect(() => {
    const c = chart.current!;
    c.setOption(utc(option), { notMerge: true });
    if (onBrush) {
      // Dragging on the chart selects a time window.
      c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
    }
  }, [option]);

  return <div ref={el} class="chart" style={{ height: height + 'px' }} role="img" aria-label={label} data-testid={testid} />;
}

// Time axes are labelled in UTC, as every time in the console is (ECharts
// uses the browser's zone otherwise), with the day named at midnight.
const TIME_LABELS = { hideOverlap: true, formatter: { year: '{yyyy}', month: '{MMM} {d}', day: '{MMM} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}' } };

function utc(option: EChartsOption): EChartsOption {
  const axis = (a: any) => (a?.type === 'time' ? { ...a, axisLabel: { ...TIME_LABELS, ...a.axisLabel } } : a);
  const x = (option as any).xAxis;
  return { ...option, useUTC: true, xAxis: Array.isArray(x) ? x.map(axis) : axis(x) };
}

/**
 * timeTooltip formats an axis tooltip: the bucket time and each series'
 * value, all escaped (series names can carry log data).
 */
export function timeTooltip(fmt: (v: number) => string) {
  return (params: any) => {
    const ps = Array.isArray(params) ? params : [params];
    if (!ps.length) return '';
    const t = Array.isArray(ps[0].value) ? ps[0].value[0] : ps[0].axisValue;
    const lines = ps.map((p: any) => {
      const v = Array.isArray(p.value) ? p.value[1] : p.value;
      return `<div class="tt-row"><span class="tt-name">${escapeHtml(p.seriesName)}</span> <b>${escapeHtml(fmt(Number(v)))}</b></div>`;
    });
    return `<div class="tt"><div class="tt-time">${escapeHtml(fmtTime(t))} UTC</div>${lines.join('')}</div>`;
  };
}

/** Palette with distinct dashes as well as colours, so colour is not the only cue. */
export const SERIES_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04'];
export const DASHES: ('solid' | 'dashed' | 'dotted')[] = ['solid', 'dashed', 'dotted'];
export const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'pin', 'arrow', 'roundRect'];
