// The school's page: its requests and their state, a spreadsheet upload whose errors are
// shown by row, and the accepted placements to confirm; live from the school's stream.
import { LiveStream, allPages, api, debounce, el, gettext, gettext_noop, statusBadge } from "./live.js";

const organisation = JSON.parse(document.getElementById("organisation-id").textContent);
const $ = (id) => document.getElementById(id);
const STATUS = { open: gettext_noop("Waiting for a place"), proposed: gettext_noop("Proposed"), accepted: gettext_noop("Accepted"), confirmed: gettext_noop("Confirmed"), withdrawn: gettext_noop("Withdrawn") };

async function load() {
  const [requests, placements] = await Promise.all([
    allPages("/api/v1/requests/?page_size=500"),
    allPages("/api/v1/placements/?page_size=500"),
  ]);
  const live = new Map(placements.filter((p) => ["proposed", "accepted", "confirmed"].includes(p.status)).map((p) => [p.request, p]));
  $("requests-count").textContent = `(${requests.length})`;
  $("requests").replaceChildren(...requests.map((r) => {
    const p = live.get(r.id);
    return el("tr", { "data-request": r.id },
      el("td", {}, r.student_pseudonym), el("td", {}, r.student_name || ""),
      el("td", {}, r.opleiding_name || r.opleiding), el("td", { class: "period" }, `${r.start_date} – ${r.end_date}`),
      el("td", { "data-status": r.status }, gettext(STATUS[r.status] || r.status)),
      el("td", {}, p ? `${p.plek_team}, ${p.organisation_name} (${p.location_name})` : ""));
  }));
  const accepted = placements.filter((p) => p.status === "accepted");
  $("confirm-empty").hidden = accepted.length > 0;
  $("to-confirm").replaceChildren(...accepted.map((p) => el("tr", { "data-placement": p.id },
    el("td", {}, p.student_pseudonym),
    el("td", {}, `${p.plek_team}, ${p.organisation_name} (${p.location_name})`),
    el("td", { class: "period" }, `${p.start_date} – ${p.end_date}`),
    el("td", {}, el("button", { class: "primary", type: "button", onclick: (e) => confirm(p, e.target) }, gettext("Confirm"))))));
}

async function confirm(placement, button) {
  button.disabled = true;
  try {
    await api(`/api/v1/placements/${placement.id}/confirm/`, { method: "POST" });
    await load();
  } catch (error) {
    button.disabled = false;
    button.after(el("p", { class: "notice bad", role: "alert" }, error.message));
  }
}

$("upload")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const target = $("upload-result");
  target.replaceChildren(el("p", { class: "muted" }, gettext("Checking the rows…")));
  try {
    const result = await api("/api/v1/requests/import/", { method: "POST", form: new FormData(e.target) });
    target.replaceChildren(el("p", { class: "good", role: "status" }, `${result.created} ${gettext("requests saved.")}`));
    e.target.reset();
    load();
  } catch (error) {
    const rows = error.errors || [];
    target.replaceChildren(
      el("p", { class: "notice bad", role: "alert" }, gettext("Nothing was saved. Correct these rows and upload the file again:")),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, gettext("Row")), el("th", {}, gettext("Column")), el("th", {}, gettext("Problem")))),
        el("tbody", {}, ...rows.map((r) => el("tr", { "data-row": r.row ?? "" }, el("td", {}, r.row ?? "–"), el("td", {}, r.column ?? ""), el("td", {}, r.message))))));
  }
});

const refresh = debounce(load, 300);
// The region's seq when the page was rendered: events after it (even during the first
// load) refresh the lists; the stream never skips one.
const since = JSON.parse(document.getElementById("region-seq").textContent);
load().then(() => new LiveStream(`/ws/v1/organisations/${organisation}/`, since, {
  onStatus: statusBadge($("live")),
  onEvent: refresh,
}));
