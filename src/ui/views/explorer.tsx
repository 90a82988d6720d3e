/**
 * The Anomaly Explorer: swim lanes of anomaly scores over time — overall, per job, and by
 * partition / by / influencer value — for one or several jobs; top influencers; click a cell to
 * see its anomalies and open the series in the Single Metric Viewer. State lives in the URL.
 */
import { useMemo } from 'preact/hooks';
import { getBuckets, getInfluencers, getJobs, getOverallBuckets, getRecords, getStats, type Job, type JobStats, type RecordDoc } from '../lib/api.js';
import { defaultJobs } from '../lib/default-jobs.js';
import { fmtDate, fmtSpan, fmtTime, parseSpan, scoreColor, SEVERITIES, severityOf } from '../lib/format.js';
import { useAsync } from '../lib/hooks.js';
import { href, setParams } from '../lib/router.js';
import { Empty, ErrorBox, Loading } from '../components/status.js';
import { activateKey, AnomalyTable } from './viewer.js';

const NICE = [60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 2 * 86_400_000, 7 * 86_400_000, 14 * 86_400_000, 30 * 86_400_000];
const MAX_COLUMNS = 120;

interface Lane {
  key: string;
  label: string;
  sub?: string;
  cells: Map<number, number>;
  /** What a click filters the anomalies by. */
  filter: { job?: string; field?: string; value?: string };
}

function intervalFor(from: number, to: number, minSpan: number): number {
  const want = (to - from) / MAX_COLUMNS;
  for (const s of NICE) if (s >= want && s >= minSpan && s % minSpan === 0) return s;
  return Math.max(minSpan, Math.ceil(want / minSpan) * minSpan);
}

function viewByFields(jobs: Job[]): string[] {
  const s = new Set<string>();
  for (const j of jobs) {
    for (const d of j.analysis_config.detectors) for (const f of [d.partition_field_name, d.by_field_name, d.over_field_name]) if (f) s.add(f);
    for (const f of j.analysis_config.influencers ?? []) s.add(f);
  }
  return [...s];
}

function recordMatches(r: RecordDoc, f: Lane['filter']): boolean {
  if (f.job && r.job_id !== f.job) return false;
  if (f.field && f.value !== undefined) {
    const own =
      (r.partition_field_name === f.field && r.partition_field_value === f.value) ||
      (r.by_field_name === f.field && r.by_field_value === f.value) ||
      (r.over_field_name === f.field && r.over_field_value === f.value);
    const infl = (r.influencers ?? []).some((i) => i.influencer_field_name === f.field && i.influencer_field_values.includes(f.value!));
    return own || infl;
  }
  return true;
}

export function Explorer({ params }: { params: URLSearchParams }) {
  const all = useAsync(getJobs, []);
  const stats = useAsync(() => getStats().catch(() => [] as JobStats[]), []);
  const allJobs = all.data ?? [];
  const chosen = (params.get('jobs') ?? '').split(',').filter(Boolean);
  // without a choice, wait for the stats so the first fetch is for the right jobs
  const jobs = chosen.length ? allJobs.filter((j) => chosen.includes(j.job_id)) : stats.loading ? [] : defaultJobs(allJobs, stats.data);
  const ids = jobs.map((j) => j.job_id);
  const fields = viewByFields(jobs);
  const viewBy = params.get('view_by') ?? fields[0] ?? '';
  const from = params.get('from') ? Number(params.get('from')) : undefined;
  const to = params.get('to') ? Number(params.get('to')) : undefined;
  const sel = params.get('sel'); // "start,end,laneKey"

  const data = useAsync(async () => {
    if (ids.length === 0) return undefined;
    // the range: the results' own extent unless the URL names one
    let start = from;
    let end = to;
    if (start === undefined || end === undefined) {
      const ends = await Promise.all(ids.map(async (id) => [(await getBuckets(id, { size: 1 }))[0]?.timestamp, (await getBuckets(id, { size: 1, desc: true }))[0]?.timestamp] as const));
      const firsts = ends.map((e) => e[0]).filter((x): x is number => x !== undefined);
      const lasts = ends.map((e) => e[1]).filter((x): x is number => x !== undefined);
      if (firsts.length === 0) return { empty: true as const };
      start ??= Math.min(...firsts);
      end ??= Math.max(...lasts) + Math.max(...jobs.map((j) => parseSpan(j.analysis_config.bucket_span)));
    }
    const minSpan = Math.max(...jobs.map((j) => parseSpan(j.analysis_config.bucket_span)));
    const interval = intervalFor(start, end, minSpan);
    start = Math.floor(start / interval) * interval;
    const [overall, allInfluencers, records] = await Promise.all([
      getOverallBuckets(ids, { start, end, bucketSpan: fmtSpan(interval) }),
      Promise.all(ids.map((id) => getInfluencers(id, { start, end, size: 10_000, minScore: 0.1 }))),
      Promise.all(ids.map((id) => getRecords(id, { start, end, size: 2000, minScore: 0 }))),
    ]);
    const influencers = allInfluencers.flat().filter((i) => i.influencer_field_name === viewBy);
    return { empty: false as const, start, end, interval, overall, influencers, records: records.flat(), allInfluencers: allInfluencers.flat() };
  }, [ids.join(','), viewBy, from, to, all.data]);

  const lanes = useMemo(() => {
    const d = data.data;
    if (!d || d.empty) return undefined;
    const col = (t: number): number => Math.floor((t - d.start) / d.interval);
    const overall: Lane = { key: 'overall', label: 'Overall', cells: new Map(), filter: {} };
    const perJob = new Map<string, Lane>(ids.map((id) => [id, { key: `job:${id}`, label: id, sub: 'job', cells: new Map(), filter: { job: id } }]));
    for (const b of d.overall) {
      const c = col(b.timestamp);
      overall.cells.set(c, Math.max(overall.cells.get(c) ?? 0, b.overall_score));
      for (const j of b.jobs) {
        const lane = perJob.get(j.job_id);
        if (lane) lane.cells.set(c, Math.max(lane.cells.get(c) ?? 0, j.max_anomaly_score));
      }
    }
    const byValue = new Map<string, Lane>();
    for (const inf of d.influencers) {
      let lane = byValue.get(inf.influencer_field_value);
      if (!lane) byValue.set(inf.influencer_field_value, (lane = { key: `v:${inf.influencer_field_value}`, label: inf.influencer_field_value, sub: viewBy, cells: new Map(), filter: { field: viewBy, value: inf.influencer_field_value } }));
      const c = col(inf.timestamp);
      lane.cells.set(c, Math.max(lane.cells.get(c) ?? 0, inf.influencer_score));
    }
    if (byValue.size === 0 && viewBy) {
      // a split field that is not an influencer: lanes from the records' own values
      for (const r of d.records) {
        const value = r.partition_field_name === viewBy ? r.partition_field_value : r.by_field_name === viewBy ? r.by_field_value : r.over_field_name === viewBy ? r.over_field_value : undefined;
        if (value === undefined) continue;
        let lane = byValue.get(value);
        if (!lane) byValue.set(value, (lane = { key: `v:${value}`, label: value, sub: viewBy, cells: new Map(), filter: { field: viewBy, value } }));
        const c = col(r.timestamp);
        lane.cells.set(c, Math.max(lane.cells.get(c) ?? 0, r.record_score));
      }
    }
    const top = [...byValue.values()].sort((a, b) => Math.max(0, ...b.cells.values()) - Math.max(0, ...a.cells.values())).slice(0, 12);
    return { main: [overall, ...(ids.length > 1 ? [...perJob.values()] : [])], byValue: top, columns: Math.ceil((d.end - d.start) / d.interval) };
  }, [data.data]);

  const topInfluencers = useMemo(() => {
    const d = data.data;
    if (!d || d.empty) return [];
    const agg = new Map<string, { field: string; value: string; max: number; sum: number }>();
    for (const i of d.allInfluencers) {
      const k = `${i.influencer_field_name}\u0001${i.influencer_field_value}`;
      const a = agg.get(k) ?? { field: i.influencer_field_name, value: i.influencer_field_value, max: 0, sum: 0 };
      a.max = Math.max(a.max, i.influencer_score);
      a.sum += i.influencer_score;
      agg.set(k, a);
    }
    const byField = new Map<string, { field: string; value: string; max: number; sum: number }[]>();
    for (const a of agg.values()) byField.set(a.field, [...(byField.get(a.field) ?? []), a]);
    return [...byField.entries()].map(([field, list]) => ({ field, values: list.sort((x, y) => y.max - x.max).slice(0, 6) }));
  }, [data.data]);

  const selection = useMemo(() => {
    if (!sel || !lanes || !data.data || data.data.empty) return undefined;
    const [s, e, ...rest] = sel.split(',');
    const key = rest.join(',');
    const lane = [...lanes.main, ...lanes.byValue].find((l) => l.key === key);
    return { start: Number(s), end: Number(e), lane };
  }, [sel, lanes, data.data]);

  if (all.error) return <ErrorBox title="Could not load the jobs" error={all.error} retry={all.reload} />;
  if (!all.data || (chosen.length === 0 && stats.loading)) return <Loading what="Loading jobs" />;
  if (allJobs.length === 0)
    return (
      <section class="page">
        <h1>Anomaly Explorer</h1>
        <Empty title="No jobs yet">
          <a href={href(['jobs', 'new'])}>Create a job</a> to explore its anomalies.
        </Empty>
      </section>
    );

  const d = data.data;
  const records = d && !d.empty ? d.records : [];
  const selectedRecords = selection
    ? records.filter((r) => r.timestamp >= selection.start && r.timestamp < selection.end && (!selection.lane || recordMatches(r, selection.lane.filter))).sort((a, b) => b.record_score - a.record_score)
    : records.slice().sort((a, b) => b.record_score - a.record_score).filter((r) => r.record_score >= 25);

  const renderLanes = (list: Lane[], title?: string) => {
    if (!d || d.empty || !lanes) return null;
    return (
      <div class="swimlane" role="grid" aria-label={title ?? 'overall'}>
        {title && <div class="lane-title">{title}</div>}
        {list.map((lane) => (
          <div class="lane" key={lane.key} role="row">
            <div class="lane-label" title={lane.label}>
              {lane.label}
              {lane.sub && <span class="muted small"> {lane.sub}</span>}
            </div>
            <div class="lane-cells" style={{ gridTemplateColumns: `repeat(${lanes.columns}, 1fr)` }}>
              {Array.from({ length: lanes.columns }, (_, c) => {
                const score = lane.cells.get(c);
                const start = d.start + c * d.interval;
                const selected = selection && selection.lane?.key === lane.key && start < selection.end && start + d.interval > selection.start;
                return (
                  <div
                    key={c}
                    role="gridcell"
                    class={`cell ${score !== undefined && score >= 1 ? 'has' : ''} ${selected ? 'selected' : ''}`}
                    style={{ background: scoreColor(score) }}
                    title={`${fmtTime(start)} · ${lane.label}: ${score === undefined ? 'no anomaly' : `max score ${Math.round(score)} (${severityOf(score).label})`}`}
                    onClick={() => setParams({ sel: selected && selection.start === start ? undefined : `${start},${start + d.interval},${lane.key}` })}
                    // cells with anomalies are keyboard stops (Tab, then Enter or Space selects)
                    tabIndex={score !== undefined && score >= 1 ? 0 : undefined}
                    onKeyDown={(e) => activateKey(e) && setParams({ sel: selected && selection.start === start ? undefined : `${start},${start + d.interval},${lane.key}` })}
                  />
                );
              })}
            </div>
          </div>
        ))}
      </div>
    );
  };

  const axis = () => {
    if (!d || d.empty || !lanes) return null;
    const ticks = d.end - d.start > 4 * 86_400_000 ? 6 : 4;
    return (
      <div class="lane axis">
        <div class="lane-label" />
        <div class="axis-labels">
          {Array.from({ length: ticks + 1 }, (_, i) => {
            const t = d.start + ((d.end - d.start) * i) / ticks;
            return (
              <span key={i} style={{ left: `${(100 * i) / ticks}%` }}>
                {d.end - d.start > 4 * 86_400_000 ? fmtDate(t) : fmtTime(t)}
              </span>
            );
          })}
        </div>
      </div>
    );
  };

  return (
    <section class="page explorer">
      <div class="page-head">
        <h1>Anomaly Explorer</h1>
        <div class="actions">
          <button class="btn" onClick={data.reload}>
            Refresh
          </button>
        </div>
      </div>
      <div class="toolbar">
        <div class="job-chips" role="group" aria-label="jobs">
          <span class="muted small">Jobs</span>
          {allJobs.map((j) => {
            const on = ids.includes(j.job_id);
            return (
              <button
                key={j.job_id}
                class={`chip ${on ? 'on' : ''}`}
                aria-pressed={on}
                onClick={() => {
                  const next = on ? ids.filter((x) => x !== j.job_id) : [...ids, j.job_id];
                  setParams({ jobs: next.join(',') || undefined, sel: undefined });
                }}
              >
                {j.job_id}
              </button>
            );
          })}
        </div>
        <div class="spacer" />
        {fields.length > 0 && (
          <label class="field inline">
            <span>View by</span>
            <select aria-label="view by" value={viewBy} onChange={(e) => setParams({ view_by: (e.target as HTMLSelectElement).value, sel: undefined })}>
              {fields.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
        )}
        {(from !== undefined || to !== undefined) && (
          <button class="btn small" onClick={() => setParams({ from: undefined, to: undefined, sel: undefined })}>
            Whole range
          </button>
        )}
      </div>
      {ids.length === 0 && <Empty title="No job selected">Pick one or more jobs above.</Empty>}
      {data.error && <ErrorBox title="Could not load the results" error={data.error} retry={data.reload} />}
      {ids.length > 0 && !d && data.loading && <Loading what="Loading results" />}
      {d && d.empty && <Empty title="No results yet">The selected jobs have not produced results. Post data to them, or create a job from a file.</Empty>}
      {d && !d.empty && lanes && (
        <div class={`explorer-grid ${fields.length === 0 ? 'no-aside' : ''}`}>
          {fields.length > 0 && <aside class="card influencers">
            <h2>Top influencers</h2>
            {topInfluencers.length === 0 && <p class="muted small">No influencer results in this range.</p>}
            {topInfluencers.map((g) => (
              <div key={g.field} class="infl-group">
                <h3>{g.field}</h3>
                {g.values.map((v) => (
                  <div key={v.value} class="infl-row" title={`max ${Math.round(v.max)}, total ${Math.round(v.sum)}`}>
                    <span class="infl-name">{v.value}</span>
                    <span class="infl-bar">
                      <span style={{ width: `${Math.max(3, v.max)}%`, background: severityOf(v.max).color }} />
                    </span>
                    <span class="infl-score">{Math.round(v.max)}</span>
                    <span class="muted small infl-sum">{Math.round(v.sum)}</span>
                  </div>
                ))}
              </div>
            ))}
          </aside>}
          <div class={`lanes-col ${data.loading ? 'stale' : ''}`} aria-busy={data.loading ? 'true' : 'false'}>
            <div class="card">
              <div class="card-head">
                <h2>Anomaly timeline</h2>
                <span class="muted small">
                  {fmtTime(d.start)} – {fmtTime(d.end)} · one cell = {fmtSpan(d.interval)} · click a cell for its anomalies
                </span>
                <div class="spacer" />
                <div class="legend small">
                  {SEVERITIES.slice(0, 4)
                    .reverse()
                    .map((s) => (
                      <span key={s.key}>
                        <i class="swatch dot" style={{ background: s.color }} /> {s.key === 'warning' ? '< 25' : `≥ ${s.min}`}
                      </span>
                    ))}
                </div>
              </div>
              {renderLanes(lanes.main)}
              {lanes.byValue.length > 0 && renderLanes(lanes.byValue, `View by ${viewBy}`)}
              {viewBy && lanes.byValue.length === 0 && <p class="muted small">No {viewBy} values with anomalies in this range.</p>}
              {axis()}
            </div>
            <div class="card">
              <div class="card-head">
                <h2>Anomalies</h2>
                <span class="muted small">
                  {selection ? `${fmtTime(selection.start)} – ${fmtTime(selection.end)}${selection.lane ? ` · ${selection.lane.label}` : ''}` : 'minor and above in the whole range'} · {selectedRecords.length} found
                </span>
                <div class="spacer" />
                {selection && (
                  <>
                    <a class="btn small" href={href(['explorer'], { jobs: ids.join(','), view_by: viewBy, from: selection.start - 24 * d.interval, to: selection.end + 24 * d.interval })}>
                      Zoom in here
                    </a>
                    <button class="btn small" onClick={() => setParams({ sel: undefined })}>
                      Clear selection
                    </button>
                  </>
                )}
              </div>
              {selectedRecords.length === 0 ? (
                <Empty title="No anomalies here" />
              ) : (
                <>
                  <AnomalyTable records={selectedRecords.slice(0, 1000)} showJob={ids.length > 1} showEntity={selectedRecords.some((r) => r.partition_field_value !== undefined || r.by_field_value !== undefined || r.over_field_value !== undefined)} pageSize={15} />
                  <div class="series-links small">
                    View series:{' '}
                    {[...new Map(selectedRecords.slice(0, 20).map((r) => [`${r.job_id}\u0001${r.partition_field_value ?? ''}\u0001${r.by_field_value ?? ''}`, r])).values()].slice(0, 8).map((r) => (
                      <a
                        key={`${r.job_id}${r.partition_field_value}${r.by_field_value}`}
                        class="chip"
                        href={href(['viewer', r.job_id], {
                          entity: r.partition_field_value,
                          by: r.by_field_value,
                          from: r.timestamp - 48 * d.interval,
                          to: r.timestamp + 48 * d.interval,
                        })}
                      >
                        {r.job_id}
                        {r.partition_field_value !== undefined ? ` · ${r.partition_field_value}` : ''}
                        {r.by_field_value !== undefined ? ` · ${r.by_field_value}` : ''}
                      </a>
                    ))}
                  </div>
                </>
              )}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
