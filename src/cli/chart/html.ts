/**
 * The interactive HTML chart: one self-contained file (ECharts' minified build inlined from
 * node_modules, no network access needed) with zoom/pan, a tooltip showing time, actual, typical,
 * bounds and score, and a table of anomalies sorted by time (click a row to zoom to it).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SEVERITY_COLOURS } from '../../core/score/severity.js';
import type { AnomalyRow, BuiltChart } from './option.js';

/** Most rows in the anomalies table; beyond it the highest-scored are kept (still sorted by time). */
export const MAX_TABLE_ROWS = 5000;

let echartsSource: string | undefined;

/** ECharts' minified browser build, read from node_modules once. */
export function echartsBrowserSource(): string {
  if (echartsSource === undefined) {
    const require = createRequire(import.meta.url);
    const main = require.resolve('echarts'); // …/echarts/dist/echarts.js
    echartsSource = readFileSync(join(dirname(main), 'echarts.min.js'), 'utf8');
  }
  return echartsSource;
}

/** Makes text safe inside a <script> element. */
function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">. */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Numbers for people: up to 6 significant digits, thousands separators, "–" for none. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(3);
  return Number(v.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

function tableRows(rows: AnomalyRow[]): { rows: AnomalyRow[]; dropped: number } {
  if (rows.length <= MAX_TABLE_ROWS) return { rows: [...rows].sort((a, b) => a.time - b.time), dropped: 0 };
  const kept = [...rows].sort((a, b) => b.score - a.score).slice(0, MAX_TABLE_ROWS);
  return { rows: kept.sort((a, b) => a.time - b.time), dropped: rows.length - kept.length };
}

function anomaliesTable(built: BuiltChart): string {
  const indexOf = new Map(built.anomalies.map((r, i) => [r, i]));
  const multi = built.panels.length > 1;
  const zones = [...new Set(built.panels.map((p) => p.timeZone))];
  const { rows, dropped } = tableRows(built.anomalies);
  if (built.anomalies.length === 0) return '<p class="empty">No anomalies.</p>';
  const head = [
    `Time (${escapeHtml(zones.join(', '))})`,
    ...(multi ? ['Series'] : []),
    'Severity',
    'Score',
    'Actual',
    'Typical',
    '95% bounds',
    'Description',
  ];
  const body = rows
    .map((r) => {
      const cells = [
        `<td class="t">${escapeHtml(r.wall)}</td>`,
        ...(multi ? [`<td>${escapeHtml(r.series)}</td>`] : []),
        `<td><span class="sev" style="background:${SEVERITY_COLOURS[r.severity]}"></span>${r.severity}</td>`,
        `<td class="n">${formatNumber(Math.round(r.score * 10) / 10)}</td>`,
        `<td class="n">${formatNumber(r.actual)}</td>`,
        `<td class="n">${formatNumber(r.typical)}</td>`,
        `<td class="n">${r.lower === null && r.upper === null ? '–' : `${formatNumber(r.lower)} – ${formatNumber(r.upper)}`}</td>`,
        `<td>${r.label ? escapeHtml(r.label) : ''}</td>`,
      ];
      return `<tr data-row="${indexOf.get(r)}">${cells.join('')}</tr>`;
    })
    .join('\n');
  const note =
    dropped > 0
      ? `<p class="note">Showing the ${rows.length} highest-scored of ${built.anomalies.length} anomalies.</p>`
      : '';
  return `${note}<table id="anomalies"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Browser code: tooltip formatter, table-row zoom, resize. Plain ES5-ish JS. */
const CLIENT_JS = String.raw`
(function () {
  var option = JSON.parse(document.getElementById('vigil-option').textContent);
  var meta = JSON.parse(document.getElementById('vigil-meta').textContent);
  var el = document.getElementById('chart');
  var chart = echarts.init(el, null, { renderer: 'canvas' });
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function wall(t) {
    var d = new Date(t);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + (d.getUTCSeconds() ? ':' + pad(d.getUTCSeconds()) : '');
  }
  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(3);
    return Number(v.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 });
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function dot(c) { return '<span style="display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:' + c + '"></span>'; }
  function formatTooltip(params) {
    if (!params || !params.length) return '';
    var t = params[0].axisValue;
    var axis = params[0].axisIndex || 0;
    var tol = Infinity;
    try {
      var px = chart.convertToPixel({ xAxisIndex: axis }, t);
      tol = Math.abs(chart.convertFromPixel({ xAxisIndex: axis }, px + 7) - t);
    } catch (e) { /* keep Infinity */ }
    var byPanel = {};
    var order = [];
    params.forEach(function (p) {
      var m = /^p(\d+)-(.*)$/.exec(p.seriesId || '');
      if (!m) return;
      var panel = m[1], kind = m[2];
      if (!byPanel[panel]) { byPanel[panel] = []; order.push(panel); }
      var v = p.value || [];
      var line = null;
      var rank = { actual: 0, isolated: 0, typical: 1, 'band-upper': 2, forecast: 3, 'f80-upper': 4, 'f95-upper': 5 }[kind];
      if (rank === undefined) rank = 6;
      if (kind === 'actual' || kind === 'typical' || kind === 'forecast') {
        line = dot(p.color) + esc(p.seriesName) + ': <b>' + num(v[1]) + '</b>';
      } else if (kind === 'isolated') {
        if (Math.abs(v[0] - t) <= tol) line = dot(p.color) + esc(p.seriesName) + ': <b>' + num(v[1]) + '</b>';
      } else if (/-upper$/.test(kind)) {
        if (v[2] !== null && v[2] !== undefined) line = dot(p.color) + esc(p.seriesName) + ': ' + num(v[3]) + ' – ' + num(v[2]);
      } else if (kind.indexOf('anomaly-') === 0) {
        var r = meta.rows[p.data && p.data.a];
        if (r && Math.abs(v[0] - t) <= tol) {
          line = dot(meta.colours[r.severity]) + '<b>Anomaly ' + esc(r.severity) + '</b>, score <b>' + num(Math.round(r.score * 10) / 10) + '</b>' +
            '<br>&nbsp;&nbsp;&nbsp;at ' + esc(r.wall) + ': actual ' + num(r.actual) + ', typical ' + num(r.typical) +
            (r.label ? '<br>&nbsp;&nbsp;&nbsp;' + esc(r.label) : '');
        }
      }
      if (line) byPanel[panel].push({ rank: rank, html: line });
    });
    var out = '<div style="font-weight:bold;margin-bottom:4px">' + esc(wall(t)) + ' <span style="color:#888;font-weight:normal">' + esc(meta.panels[0].timeZone) + '</span></div>';
    order.forEach(function (panel) {
      if (meta.panels.length > 1) out += '<div style="margin-top:4px;color:#555">' + esc(meta.panels[panel].title) + '</div>';
      var lines = byPanel[panel].sort(function (a, b) { return a.rank - b.rank; });
      out += lines.map(function (l) { return '<div>' + l.html + '</div>'; }).join('');
    });
    return out;
  }
  option.tooltip.formatter = formatTooltip;
  chart.setOption(option);
  window.addEventListener('resize', function () { chart.resize(); });
  var rows = document.querySelectorAll('#anomalies tbody tr');
  Array.prototype.forEach.call(rows, function (tr) {
    tr.addEventListener('click', function () {
      var row = meta.rows[Number(tr.getAttribute('data-row'))];
      if (!row) return;
      var axis = option.xAxis[row.panel];
      var span = (axis.max - axis.min) / 40;
      var centre = row.shifted;
      chart.dispatchAction({ type: 'dataZoom', startValue: centre - span, endValue: centre + span });
      el.scrollIntoView({ behavior: 'smooth' });
    });
  });
  window.vigilChart = chart;
  window.vigilFormatTooltip = formatTooltip;
})();
`;

export interface HtmlPageOptions {
  height: number;
  title: string;
}

/** The full HTML document for a built chart. */
export function renderHtmlPage(built: BuiltChart, page: HtmlPageOptions): string {
  const xAxes = built.option.xAxis as { min: number; max: number }[];
  const meta = {
    panels: built.panels,
    colours: SEVERITY_COLOURS,
    rows: built.anomalies,
    xRange: xAxes.map((x) => [x.min, x.max]),
  };
  const summary = built.panels.map((p) => `${escapeHtml(p.title)}: ${escapeHtml(p.summary)}`).join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vigil">
<title>${escapeHtml(page.title)}</title>
<style>
  body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; color: #343741; margin: 16px 24px; background: #fff; }
  #chart { width: 100%; height: ${page.height}px; }
  h2 { font-size: 15px; margin: 24px 0 8px; }
  p.sum, p.note, p.empty { color: #69707d; font-size: 13px; margin: 4px 0 8px; }
  table { border-collapse: collapse; font-size: 13px; width: 100%; }
  th { text-align: left; font-weight: 600; border-bottom: 2px solid #d3dae6; padding: 6px 10px; position: sticky; top: 0; background: #fff; }
  td { border-bottom: 1px solid #eef0f3; padding: 5px 10px; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  td.t { white-space: nowrap; font-variant-numeric: tabular-nums; }
  tbody tr { cursor: pointer; }
  tbody tr:hover { background: #f5f7fa; }
  .sev { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: -1px; border: 1px solid rgba(0,0,0,.3); }
</style>
</head>
<body>
<div id="chart"></div>
<h2>Anomalies</h2>
<p class="sum">${summary}</p>
${anomaliesTable(built)}
<script type="application/json" id="vigil-option">${jsonSafe(built.option)}</script>
<script type="application/json" id="vigil-meta">${jsonSafe(meta)}</script>
<script>${scriptSafe(echartsBrowserSource())}</script>
<script>${scriptSafe(CLIENT_JS)}</script>
</body>
</html>
`;
}
