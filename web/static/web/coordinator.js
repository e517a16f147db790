// The coordinator's dashboard: figures, charts, unplaced requests, runs, what-if and the
// capacity report, kept current by the region's live stream without reloading.
import { LABELS, LOCALE, LiveStream, allPages, api, debounce, el, gettext, gettext_noop, interpolate, statusBadge } from "./live.js";

const region = JSON.parse(document.getElementById("region-id").textContent);
const base = `/api/v1/allocation-problems/${region}`;
const $ = (id) => document.getElementById(id);
const charts = {};
const jobs = new Map(); // job id -> render function, for jobs this page started
const percent = (x) => `${Math.round(x * 100)} %`;

const FIGURES = [
  ["requests", gettext_noop("Requests")], ["placed", gettext_noop("Placed")], ["proposed", gettext_noop("Proposed")],
  ["accepted", gettext_noop("Accepted")], ["confirmed", gettext_noop("Confirmed")], ["waiting", gettext_noop("Waiting")],
  ["unplaced", gettext_noop("Unplaced")], ["fill_rate", gettext_noop("Fill rate")],
  ["supervision_hours_used", gettext_noop("Supervision used (h/week)")],
  ["supervision_hours_free", gettext_noop("Supervision free (h/week)")],
];
const REASONS = {
  no_eligible_plek: gettext_noop("No eligible plek"), seats_full: gettext_noop("Seats full"), supervision_full: gettext_noop("Supervision full"),
};
// The service's failure sentences (coordination/services.py, analyses.py), in the page's
// language; a sentence with details in it (an exception, a rule) stays as the API gave it.
const FAILURES = new Set([
  gettext_noop("The database refused to store the result. Nothing was stored; the run is repeated automatically."),
  gettext_noop("The database could not be reached during the run. Nothing was stored; the run is repeated automatically."),
  gettext_noop("The run took longer than its time limit. Nothing was stored; the run is repeated automatically."),
  gettext_noop("The run ran out of memory. Nothing was stored; the run is repeated automatically."),
  gettext_noop("The worker running this allocation stopped before it finished (restarted or killed). Nothing was stored; the run is repeated."),
  gettext_noop("The worker computing this stopped before it finished. Please try again."),
]);
const failure = (text) => (FAILURES.has(text) ? gettext(text) : text);

// Why no plek was eligible, and what would make one eligible.
const CRITERIA = {
  opleiding: gettext_noop("opleiding"), period: gettext_noop("period"), sector: gettext_noop("sector"),
  travel: gettext_noop("travel distance"), refused: gettext_noop("declined everywhere"),
};
const NO_ELIGIBLE = {
  opleiding: gettext_noop("a plek in the region that takes this opleiding"),
  period: gettext_noop("a plek for this opleiding whose period covers the request's weeks"),
  sector: gettext_noop("a plek in one of the requested sectors, or a wider sector choice"),
  travel: gettext_noop("a plek within the travel distance, or a longer maximum travel distance"),
  refused: gettext_noop("another plek: every eligible plek declined this request or let its proposal expire"),
};

// The engine's remedy (English, as the API gives it) in the page's language.
function suggestion(u) {
  const text = u.suggestion || "";
  const weeks = (w) => w.replace(" to ", ` ${gettext("to")} `);
  if (u.reason === "no_eligible_plek") return gettext(NO_ELIGIBLE[u.criterion] || "an eligible plek");
  let m = text.match(/^1 more seat at plek (\d+) for (.+)$/);
  if (m) return interpolate(gettext("1 more seat at plek %(plek)s for %(weeks)s"), { plek: m[1], weeks: weeks(m[2]) });
  m = text.match(/^([\d.]+) more supervision hours a week at location (\d+) \(plek (\d+)\) for (.+)$/);
  if (m) {
    return interpolate(gettext("%(hours)s more supervision hours a week at location %(location)s (plek %(plek)s) for %(weeks)s"),
      { hours: m[1], location: locationNames.get(Number(m[2])) || m[2], plek: m[3], weeks: weeks(m[4]) });
  }
  return text;
}

let locationNames = new Map();

const RUN_STATUS = {
  queued: gettext_noop("queued"), running: gettext_noop("running"),
  finished: gettext_noop("finished"), failed: gettext_noop("failed"),
};
const MODES = { full: gettext_noop("full"), incremental: gettext_noop("incremental") };
const EVENTS = {
  "request.submitted": gettext_noop("Request submitted"), "request.changed": gettext_noop("Request changed"),
  "request.withdrawn": gettext_noop("Request withdrawn"), "plek.published": gettext_noop("Plek published"),
  "plek.changed": gettext_noop("Plek changed"), "plek.removed": gettext_noop("Plek removed"), "location.changed": gettext_noop("Location changed"),
  "source.published": gettext_noop("Supervision source published"), "source.changed": gettext_noop("Supervision source changed"),
  "source.removed": gettext_noop("Supervision source removed"), "region.settings_changed": gettext_noop("Region settings changed"),
  "placement.proposed": gettext_noop("Placement proposed"), "placement.accepted": gettext_noop("Placement accepted"),
  "placement.declined": gettext_noop("Placement declined"), "placement.confirmed": gettext_noop("Placement confirmed"),
  "placement.expired": gettext_noop("Proposal expired"), "placement.withdrawn": gettext_noop("Placement withdrawn"),
  "allocation.queued": gettext_noop("Allocation run queued"), "allocation.started": gettext_noop("Allocation run started"),
  "allocation.finished": gettext_noop("Allocation run finished"), "allocation.failed": gettext_noop("Allocation run failed"),
  "analysis.queued": gettext_noop("Analysis queued"), "analysis.finished": gettext_noop("Analysis finished"),
  "analysis.failed": gettext_noop("Analysis failed"),
};

function figures(data) {
  $("week").textContent = `${gettext("week of")} ${data.week}`;
  $("figures").replaceChildren(...FIGURES.map(([key, label]) => {
    const value = data.figures[key];
    return el("div", { class: "figure", "data-figure": key },
      el("span", { class: "value" }, key === "fill_rate" ? percent(value) : value),
      el("span", { class: "label" }, gettext(label)));
  }));
}

function runs(list) {
  $("runs").replaceChildren(...list.map((r) => el("tr", {},
    el("td", {}, `#${r.id}`),
    el("td", { class: r.status === "failed" ? "bad" : "" }, gettext(RUN_STATUS[r.status] || r.status), r.error ? el("div", { class: "muted" }, failure(r.error)) : null),
    el("td", {}, r.placed), el("td", {}, r.unplaced), el("td", {}, r.mode ? gettext(MODES[r.mode] || r.mode) : "–"))));
  const failed = list.find((r) => r.status === "failed" && r.failure_reason !== "superseded");
  const latest = list[0];
  $("run-failed").hidden = !(failed && latest && latest.id === failed.id);
  if (failed) $("run-failed").textContent = `${gettext("Run")} #${failed.id}: ${failure(failed.error)}`;
}

function describe(event) {
  const p = event.payload || {};
  const what = gettext(EVENTS[event.type] || event.type);
  const id = p.request_id ?? p.plek_id ?? p.source_id ?? p.run_id ?? p.job_id;
  return `${new Date(event.created_at).toLocaleTimeString(LOCALE)} · ${what}${id ? ` #${id}` : ""}`;
}

function feed(events) {
  $("feed").replaceChildren(...events.map((e) => el("li", { "data-seq": e.seq }, describe(e))));
}

function addToFeed(event) {
  if (event.type.endsWith(".progress")) return;
  $("feed").prepend(el("li", { "data-seq": event.seq }, describe(event)));
  while ($("feed").children.length > 30) $("feed").lastChild.remove();
}

// Beside a horizontal bar Chart.js cuts a long name off at the canvas' edge: the axis shows
// it shortened, the tooltip whole. Shortened in the middle, as opleidingen of one domain share
// their start ("Maatschappelijke Zorg: …").
function shortened(name, width = 26) {
  if (name.length <= width) return name;
  const end = Math.floor(width / 2);
  return `${name.slice(0, width - end - 1)}…${name.slice(-end)}`;
}

// Every bar named (Chart.js skips names it finds crowded), each name short enough to fit.
const named = (options) => ({
  scales: { [options.indexAxis || "x"]: { ticks: { autoSkip: false, callback(value) { return shortened(this.getLabelForValue(value)); } } } },
});

function chart(id, type, labels, datasets, options = {}) {
  if (!window.Chart) return;
  if (charts[id]) {
    charts[id].data.labels = labels;
    charts[id].data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
    charts[id].update("none");
    return;
  }
  charts[id] = new window.Chart($(id), {
    type, data: { labels, datasets },
    options: { responsive: true, maintainAspectRatio: false, animation: false, ...(type === "bar" ? named(options) : {}), ...options },
  });
}

const BLUE = "#0b5d7a", ORANGE = "#c26a00", GREY = "#9aa8b4";

function drawCharts(data) {
  chart("chart-sectors", "bar", data.sectors.map((s) => LABELS.sectors[s.sector] || s.label), [
    { label: gettext("Requests"), data: data.sectors.map((s) => s.demand), backgroundColor: ORANGE },
    { label: gettext("Seats"), data: data.sectors.map((s) => s.supply), backgroundColor: BLUE }]);
  chart("chart-opleidingen", "bar", data.opleidingen.map((o) => o.opleiding), [
    { label: gettext("Requests"), data: data.opleidingen.map((o) => o.demand), backgroundColor: ORANGE },
    { label: gettext("Seats"), data: data.opleidingen.map((o) => o.supply), backgroundColor: BLUE }],
    { indexAxis: "y" });
  chart("chart-weeks", "line", data.weeks.map((w) => w.week), [
    { label: gettext("Placements"), data: data.weeks.map((w) => w.placements), borderColor: BLUE, backgroundColor: BLUE },
    { label: gettext("Free seats"), data: data.weeks.map((w) => w.free_seats), borderColor: ORANGE, backgroundColor: ORANGE }]);
  chart("chart-kinds", "bar", data.supervision_by_kind.map((k) => LABELS.kinds[k.kind] || k.label), [
    { label: gettext("Used"), data: data.supervision_by_kind.map((k) => k.used), backgroundColor: BLUE },
    { label: gettext("Available"), data: data.supervision_by_kind.map((k) => k.available), backgroundColor: GREY }],
    { indexAxis: "y" });
  const locations = [...data.supervision_by_location].sort((a, b) => b.available - a.available).slice(0, 15);
  chart("chart-locations", "bar", locations.map((l) => l.location), [
    { label: gettext("Used"), data: locations.map((l) => l.used), backgroundColor: BLUE },
    { label: gettext("Available"), data: locations.map((l) => l.available), backgroundColor: GREY }],
    { indexAxis: "y" });
}

let unplacedRows = [];

async function loadOverview() {
  const data = await api(`${base}/overview/`);
  figures(data);
  runs(data.runs);
  drawCharts(data);
  return data;
}

async function loadUnplaced() {
  const query = new URLSearchParams();
  for (const key of ["school", "opleiding", "sector"]) {
    const value = $(`filter-${key}`).value;
    if (value) query.set(key, value);
  }
  unplacedRows = await api(`${base}/unplaced/?${query}`);
  if (!query.toString()) {
    const select = $("filter-school");
    const known = new Set([...select.options].map((o) => o.value));
    for (const row of unplacedRows) {
      if (!known.has(String(row.school_id))) {
        known.add(String(row.school_id));
        select.append(el("option", { value: row.school_id }, row.school));
      }
    }
  }
  $("unplaced-count").textContent = `(${unplacedRows.length})`;
  $("unplaced").replaceChildren(...unplacedRows.map((u) => el("tr", { "data-request": u.request },
    el("td", {}, u.student_pseudonym), el("td", {}, u.school), el("td", {}, u.opleiding),
    el("td", {}, gettext(REASONS[u.reason] || u.reason), u.criterion ? el("div", { class: "muted" }, gettext(CRITERIA[u.criterion] || u.criterion)) : null),
    el("td", {}, suggestion(u)))));
}

const refresh = debounce(() => { loadOverview(); loadUnplaced(); }, 400);

// The engine's stages (coordination/engine/solver.py: solve), as the coordinator reads them.
const STAGES = {
  index: gettext_noop("reading the region"), exact: gettext_noop("solving exactly"),
  construct: gettext_noop("placing"), repair: gettext_noop("making room"),
  bound: gettext_noop("computing the bound"), lns: gettext_noop("searching"),
  polish: gettext_noop("finding the best allocation"), preferences: gettext_noop("improving preferences"),
  done: gettext_noop("saving the result"),
};

function showProgress(stage, fraction) {
  $("run-progress").hidden = false;
  $("run-stage").textContent = `${gettext("Running…")} ${stage ? gettext(STAGES[stage] || stage) : ""}`;
  $("run-bar").value = fraction ?? 0;
}

async function watchJob(job, render) {
  if (job.status === "finished" || job.status === "failed") return render(job);
  jobs.set(job.id, render);
  // The stream says when it is done; a slow poll covers a missed event.
  const poll = setInterval(async () => {
    if (!jobs.has(job.id)) return clearInterval(poll);
    const fresh = await api(`/api/v1/analysis-jobs/${job.id}/`);
    if (fresh.status === "finished" || fresh.status === "failed") {
      clearInterval(poll);
      if (jobs.delete(fresh.id)) render(fresh);
    }
  }, 3000);
}

function renderScenario(target, job) {
  if (job.status === "failed") return target.replaceChildren(el("p", { class: "notice bad" }, failure(job.error)));
  const r = job.result;
  const names = new Map(unplacedRows.map((u) => [u.request, u.student_pseudonym]));
  const sign = r.placed_delta > 0 ? "+" : "";
  target.replaceChildren(...[
    el("p", { class: r.placed_delta > 0 ? "good" : "muted", "data-delta": r.placed_delta },
      `${sign}${r.placed_delta} ${gettext("placed")} (${r.placed_before} → ${r.placed_after})`),
    r.placed_delta === 0 && !r.newly_unplaced.length
      ? el("p", { class: "muted" }, gettext("Nobody more would be placed: the requests still waiting need something else here (see their remedies above).")) : null,
    r.newly_placed.length ? el("p", {}, `${gettext("Newly placed")}: `,
      r.newly_placed.map((id) => names.get(id) || `#${id}`).join(", ")) : null,
    r.newly_unplaced.length ? el("p", { class: "warn" }, `${gettext("No longer placed")}: `,
      r.newly_unplaced.map((id) => `#${id}`).join(", ")) : null,
  ].filter(Boolean));
}

function kindLabel(kind) {
  const option = [...$("wi-kind").options].find((o) => o.value === kind);
  return option ? option.textContent : kind;
}

function renderCapacity(target, job) {
  if (job.status === "failed") return target.replaceChildren(el("p", { class: "notice bad" }, failure(job.error)));
  target.replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, ...[gettext("Begeleidingsvorm"), gettext("Sources"), gettext("Hours a week"), gettext("Placements carried"), gettext("Lost without it")].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...job.result.rows.map((row) => el("tr", { "data-kind": row.kind },
      el("td", {}, kindLabel(row.kind)), el("td", {}, row.sources), el("td", {}, row.hours_per_week),
      el("td", {}, row.placements_carried), el("td", {}, row.placements_lost_without))))));
}

async function start() {
  const data = await loadOverview();
  feed(data.events);
  await loadUnplaced();
  for (const key of ["school", "opleiding", "sector"]) $(`filter-${key}`).addEventListener("change", loadUnplaced);

  const locations = await allPages("/api/v1/locations/?page_size=500");
  locationNames = new Map(locations.map((l) => [l.id, l.name]));
  loadUnplaced(); // again, with the locations' names in the remedies
  $("wi-location").replaceChildren(...locations.map((l) => el("option", { value: l.id }, `${l.name} (${l.city})`)));

  new LiveStream(`/ws/v1/regions/${region}/`, data.seq, {
    onStatus: statusBadge($("live")),
    onEvent(event) {
      addToFeed(event);
      const p = event.payload || {};
      if (event.type === "allocation.started" || event.type === "allocation.queued") showProgress("", 0);
      else if (event.type === "allocation.progress") showProgress(p.stage, p.fraction);
      else if (event.type === "allocation.finished" || event.type === "allocation.failed") $("run-progress").hidden = true;
      if (event.type.startsWith("analysis.") && event.type !== "analysis.progress" && event.type !== "analysis.queued") {
        const render = jobs.get(p.job_id);
        if (render && jobs.delete(p.job_id)) api(`/api/v1/analysis-jobs/${p.job_id}/`).then(render);
      }
      if (!event.type.endsWith(".progress") && !event.type.startsWith("analysis.")) refresh();
    },
  });

  $("run-now")?.addEventListener("click", async (e) => {
    e.target.disabled = true;
    try {
      await api(`${base}/runs/`, { method: "POST" });
      showProgress(gettext("queued"), 0);
    } catch (error) {
      $("run-failed").hidden = false;
      $("run-failed").textContent = error.message;
    } finally {
      e.target.disabled = false;
    }
  });

  $("whatif").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const source = Object.fromEntries(form.entries());
    if (!["senior_werkbegeleider", "leercoach", "inwerkcoach"].includes(source.kind)) delete source.group_factor;
    const target = $("whatif-result");
    target.replaceChildren(el("p", { class: "muted" }, gettext("Computing…")));
    try {
      const job = await api(`${base}/scenario/`, { method: "POST", body: { add_sources: [source] } });
      watchJob(job, (done) => renderScenario(target, done));
    } catch (error) {
      target.replaceChildren(el("p", { class: "notice bad", role: "alert" }, error.message));
    }
  });

  $("capacity-run").addEventListener("click", async () => {
    const target = $("capacity-result");
    target.replaceChildren(el("p", { class: "muted" }, gettext("Computing…")));
    const job = await api(`${base}/capacity/`, { method: "POST" });
    watchJob(job, (done) => renderCapacity(target, done));
  });
}

start();
