// The care organisation's page: proposed students to accept or decline (with a reason),
// its plekken and supervision sources to add and edit; live as proposals arrive.
import { LABELS, LOCALE, LiveStream, allPages, api, debounce, el, gettext, statusBadge } from "./live.js";

const organisation = JSON.parse(document.getElementById("organisation-id").textContent);
const since = JSON.parse(document.getElementById("region-seq").textContent);
const canWrite = JSON.parse(document.getElementById("can-write").textContent);
const $ = (id) => document.getElementById(id);
const GROUP = ["senior_werkbegeleider", "leercoach", "inwerkcoach"];
let locations = [];

function errorsInto(target, error) {
  target.replaceChildren(el("div", { class: "notice bad", role: "alert" },
    ...(error.errors?.length ? error.errors : [{ message: error.message }]).map((e) =>
      el("div", {}, e.path ? `${e.path}: ` : "", e.message))));
}

async function loadProposals() {
  const [placements, requests] = await Promise.all([
    allPages("/api/v1/placements/?status=proposed&page_size=500"),
    allPages("/api/v1/requests/?page_size=500"),
  ]);
  // The name, while a proposal with the student is live (the API decides).
  const byId = new Map(requests.map((r) => [r.id, r]));
  $("proposals-count").textContent = `(${placements.length})`;
  $("proposals-empty").hidden = placements.length > 0;
  $("proposals").replaceChildren(...placements.map((p) => {
    const r = byId.get(p.request) || {};
    const reason = el("input", { "aria-label": gettext("Reason for declining"), placeholder: gettext("Reason for declining") });
    const answer = async (what, button) => {
      button.disabled = true;
      try {
        await api(`/api/v1/placements/${p.id}/${what}/`, { method: "POST", body: what === "decline" ? { reason: reason.value } : undefined });
        await loadProposals();
      } catch (error) {
        button.disabled = false;
        errorsInto(button.parentElement.appendChild(el("div")), error);
      }
    };
    return el("tr", { "data-placement": p.id },
      el("td", {}, el("strong", {}, r.student_name || p.student_pseudonym), el("div", { class: "muted" }, p.student_pseudonym)),
      el("td", {}, p.opleiding),
      el("td", {}, `${p.plek_team} (${p.location_name})`),
      el("td", { class: "period" }, `${p.start_date} – ${p.end_date}`),
      el("td", {}, p.expires_at ? new Date(p.expires_at).toLocaleDateString(LOCALE) : ""),
      el("td", {}, canWrite ? [
        el("button", { class: "primary", type: "button", onclick: (e) => answer("accept", e.target) }, gettext("Accept")), " ",
        reason, el("button", { class: "secondary", type: "button", onclick: (e) => answer("decline", e.target) }, gettext("Decline")),
      ] : ""));
  }));
}

function fill(form, values) {
  for (const [key, value] of Object.entries(values)) {
    const field = form.elements[key];
    if (!field) continue;
    if (field.multiple) for (const option of field.options) option.selected = (value || []).map(String).includes(option.value);
    else field.value = value ?? "";
  }
  form.scrollIntoView({ block: "nearest" });
}

async function loadPlekken() {
  const plekken = await allPages("/api/v1/plekken/?page_size=500");
  $("plekken").replaceChildren(...plekken.filter((p) => p.status === "published").map((p) => el("tr", { "data-plek": p.id },
    el("td", {}, p.team), el("td", {}, p.location_name), el("td", {}, LABELS.sectors[p.sector] || p.sector), el("td", {}, p.seats),
    el("td", { class: "period" }, `${p.start_date} – ${p.end_date}`),
    el("td", {}, canWrite ? [
      el("button", { class: "linklike", type: "button", onclick: () => { $("plek-form-title").textContent = gettext("Edit plek"); fill($("plek-form"), p); } }, gettext("Edit")), " ",
      el("button", { class: "linklike", type: "button", onclick: (e) => remove(`/api/v1/plekken/${p.id}/`, gettext("Withdraw this plek? Students proposed or placed on it keep it; it gets no new ones."), e.target, loadPlekken, $("plekken-notice")) }, gettext("Withdraw")),
    ] : ""))));
}

// DELETE withdraws a plek or takes a source out of allocation; the API refuses what it
// must (e.g. a plek with students on it) with a sentence, shown above the table (rows are
// redrawn when the stream brings news, a notice there stays).
async function remove(path, question, button, reload, notice) {
  if (!window.confirm(question)) return;
  button.disabled = true;
  notice.replaceChildren();
  try {
    await api(path, { method: "DELETE" });
    await reload();
  } catch (error) {
    button.disabled = false;
    errorsInto(notice, error);
  }
}

async function loadSources() {
  const sources = await allPages("/api/v1/sources/?page_size=500");
  const names = new Map(locations.map((l) => [l.id, l.name]));
  $("sources").replaceChildren(...sources.filter((s) => s.active).map((s) => el("tr", { "data-source": s.id },
    el("td", {}, s.name), el("td", {}, LABELS.kinds[s.kind] || s.kind), el("td", {}, s.hours_per_week), el("td", {}, names.get(s.location) || ""),
    el("td", { class: "period" }, `${s.start_date} – ${s.end_date}`),
    el("td", {}, canWrite ? [
      el("button", { class: "linklike", type: "button", onclick: () => { $("source-form-title").textContent = gettext("Edit supervision"); fill($("source-form"), s); } }, gettext("Edit")), " ",
      el("button", { class: "linklike", type: "button", onclick: (e) => remove(`/api/v1/sources/${s.id}/`, gettext("Remove this supervision from allocation? Placements it carries keep their history."), e.target, loadSources, $("sources-notice")) }, gettext("Remove")),
    ] : ""))));
}

async function save(form, path, body, target) {
  const id = form.elements.id.value;
  try {
    await api(id ? `${path}${id}/` : path, { method: id ? "PATCH" : "POST", body });
    form.reset();
    target.replaceChildren(el("p", { class: "good", role: "status" }, gettext("Saved.")));
    return true;
  } catch (error) {
    errorsInto(target, error);
    return false;
  }
}

function plekBody(form) {
  const data = new FormData(form);
  return {
    team: data.get("team"), location: Number(data.get("location")), sector: data.get("sector"),
    seats: Number(data.get("seats")), start_date: data.get("start_date"), end_date: data.get("end_date"),
    opleidingen: data.getAll("opleidingen").map(Number),
  };
}

function sourceBody(form) {
  const data = new FormData(form);
  const body = {
    name: data.get("name"), kind: data.get("kind"), hours_per_week: data.get("hours_per_week"),
    start_date: data.get("start_date"), end_date: data.get("end_date"),
    location: data.get("location") ? Number(data.get("location")) : null,
  };
  if (data.get("max_students")) body.max_students = Number(data.get("max_students"));
  if (GROUP.includes(body.kind) && data.get("group_factor")) body.group_factor = data.get("group_factor");
  if (form.elements.id.value) delete body.kind; // the kind of a source stays what it is
  return body;
}

async function start() {
  locations = await allPages("/api/v1/locations/?page_size=500");
  for (const id of ["plek-location", "source-location"]) {
    $(id)?.replaceChildren(...locations.map((l) => el("option", { value: l.id }, `${l.name} (${l.city})`)));
  }
  await Promise.all([loadProposals(), loadPlekken(), loadSources()]);
  $("plek-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await save(e.target, "/api/v1/plekken/", plekBody(e.target), $("plek-errors"))) loadPlekken();
  });
  $("source-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await save(e.target, "/api/v1/sources/", sourceBody(e.target), $("source-errors"))) loadSources();
  });
  for (const [form, title, text] of [["plek-form", "plek-form-title", "Add a plek"], ["source-form", "source-form-title", "Add supervision"]]) {
    $(form)?.addEventListener("reset", () => { $(title).textContent = gettext(text); $(form).elements.id.value = ""; });
  }
  const refresh = debounce(() => { loadProposals(); loadPlekken(); loadSources(); }, 300);
  new LiveStream(`/ws/v1/organisations/${organisation}/`, since, { onStatus: statusBadge($("live")), onEvent: refresh });
}

start();
