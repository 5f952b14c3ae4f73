// The operations page (docs/plans.md, docs/console.md "Operations"): the operation plans the
// user may read, a plan's synchronization matrix (phases × agencies, task status colours, late
// and blocked marks, each cell's next deadline), its sectors and posts on the map, what the user
// may do with it — approve, activate, close, start and end phases, fire decision points, start
// and finish tasks (with the override reason when their predecessors have not ended), tick
// checklists — and its situation reports (draft, approve, PDF). What may be done is decided by
// can() from whoami's actions; the server decides in the end. Plan and report events on the
// stream re-read the plan shown (at most every 300 ms). Everything from the server is text.
import { h, clear } from "./dom";
import { t, fmtDateTime, fmtNum } from "./i18n";
import { api, write, can, current, type WhoAmI } from "./session";
import type { Cop } from "./map";

type Time = string | null;
type Task = {
  id: string; title: string; agency: string; unit: string; team: string; sector: string; phase: string;
  deadline: Time; after: string[]; checklist: { text: string; done: boolean; by: string }[]; opened_by: string;
  status: string; override_reason: string;
};
type Phase = { id: string; name: string; start: Time; end: Time; started: Time; ended: Time };
type Point = { id: string; name: string; when: string; sector: string; value: string; fired: Time; opens: string[] };
type Sector = { id: string; name: string; polygon: { coordinates: number[][][] } };
type Posting = { sector: string; phase: string; agency: string; unit: string; post: { lat: number; lon: number } };
export type Plan = {
  id: number; name: string; venue: string; agency: string; agencies: string[]; classification: string; status: string;
  revision: number; is_template: boolean; phases: Phase[]; tasks: Task[]; sectors: Sector[]; postings: Posting[];
  decision_points: Point[]; approvals: { agency: string; by: string }[];
};
type Progress = { tasks: number; done: number; in_progress: number; held: number; late: string[]; blocked: string[]; phase: string; sectors_without_units: { sector: string; unit: string; why: string }[] };
type MatrixTask = { id: string; title: string; status: string; late: boolean; blocked: boolean; deadline: Time };
type Matrix = { columns: { phase: string; name: string }[]; rows: { agency: string; cells: { phase: string; tasks: MatrixTask[]; next_deadline: Time }[] }[] };
type Summary = { id: number; name: string; status: string; is_template: boolean; revision: number };
type SitRep = { id: number; title: string; agency: string; status: string; revision: number; plan: number; classification: string; shared_with: string[] };

const ui = {
  who: null as WhoAmI | null,
  cop: null as Cop | null,
  toast: (_m: string, _bad?: boolean) => {},
  plans: [] as Summary[],
  selected: 0,
  plan: null as Plan | null,
  progress: null as Progress | null,
  matrix: null as Matrix | null,
  sitreps: [] as SitRep[],
  task: "", // the task whose detail is open
  reason: "", // the override reason being typed: kept across live redraws
  draft: { title: "", narrative: "", shared: "" }, // the report being written: kept likewise
};

export function setOperationsContext(who: WhoAmI | null, cop: Cop | null, toast: (m: string, bad?: boolean) => void): void {
  ui.who = who;
  ui.cop = cop;
  ui.toast = toast;
}

export function mountOperations(root: HTMLElement): void {
  const pick = h("select", { id: "ops-plan", "aria-label": t("Operation plan") });
  pick.onchange = () => void selectPlan(Number(pick.value));
  root.append(
    h("header", { class: "panel-head" }, h("h2", { id: "ops-title", text: t("Operations") }), pick,
      h("span", { id: "ops-summary", class: "count" }),
      h("button", { id: "ops-matrix-pdf", type: "button", onclick: () => void openPdf("matrix"), text: t("Matrix") + " PDF" }),
      h("button", { id: "ops-forms-pdf", type: "button", onclick: () => void openPdf("forms"), text: t("ICS forms") + " PDF" })),
    h("div", { class: "scroll ops", tabindex: 0 },
      h("div", { id: "ops-actions", class: "row ops-actions", role: "toolbar", "aria-label": t("Plan actions") }),
      h("div", { id: "ops-matrix" }),
      h("div", { id: "ops-task", class: "ops-task", hidden: true }),
      h("div", { id: "ops-points" }),
      h("div", { id: "ops-sitreps" })));
}

// The list of plans; keeps the selection, or takes the first active (else the first) plan.
export async function loadOperations(): Promise<void> {
  if (!can(ui.who, "plan.read")) return;
  try {
    ui.plans = (await api<{ items: Summary[] }>("GET", "/api/v1/operations")).items.filter((p) => !p.is_template);
  } catch { ui.plans = []; }
  const pick = document.getElementById("ops-plan") as HTMLSelectElement | null;
  if (!pick) return;
  pick.replaceChildren(...ui.plans.map((p) => h("option", { value: p.id, text: `${p.id} · ${p.name} · ${t(p.status)}`, selected: p.id === ui.selected })));
  if (!ui.plans.some((p) => p.id === ui.selected)) ui.selected = (ui.plans.find((p) => p.status === "active") ?? ui.plans[0])?.id ?? 0;
  pick.value = String(ui.selected);
  await loadPlan();
}

async function selectPlan(id: number): Promise<void> {
  ui.selected = id;
  ui.task = "";
  await loadPlan();
  const s = ui.plan?.sectors[0]?.polygon.coordinates[0];
  if (s?.length) ui.cop?.flyTo({ lon: s.reduce((a, p) => a + p[0], 0) / s.length, lat: s.reduce((a, p) => a + p[1], 0) / s.length }, 14);
}

async function loadPlan(): Promise<void> {
  if (!ui.selected) { ui.plan = null; render(); return; }
  try {
    const [shown, matrix, reports] = await Promise.all([
      api<{ plan: Plan; progress: Progress }>("GET", `/api/v1/operations/${ui.selected}`),
      api<Matrix>("GET", `/api/v1/operations/${ui.selected}/matrix`),
      can(ui.who, "sitrep.read") ? api<{ items: SitRep[] }>("GET", "/api/v1/sitreps") : Promise.resolve({ items: [] as SitRep[] }),
    ]);
    ui.plan = shown.plan;
    ui.progress = shown.progress;
    ui.matrix = matrix;
    ui.sitreps = reports.items.filter((r) => r.plan === ui.selected);
  } catch (e: any) {
    ui.plan = null;
    ui.toast(e.message, true);
  }
  render();
}

// Plan and report events re-read what is shown, at most every 300 ms.
let pending: number | undefined;
export function onOperationsEvent(type: string): void {
  if (!/^(plan_|decision_point_fired|sitrep_)/.test(type)) return;
  if (pending !== undefined) return;
  pending = window.setTimeout(() => {
    pending = undefined;
    void loadOperations(); // the list's statuses too, then the plan shown
  }, 300);
}

// ---------- what the user may do ----------
const mayRun = (p: Plan) => can(ui.who, "plan.run", p.agency);
const mayTask = (p: Plan, task: Task) => can(ui.who, "plan.task", task.agency) || can(ui.who, "plan.task", p.agency);
function approvable(p: Plan): string | null {
  const home = ui.who?.agency ?? "";
  const takesPart = home === p.agency || p.agencies.includes(home);
  if (p.status !== "draft" || !takesPart || !can(ui.who, "plan.approve", home)) return null;
  return p.approvals.some((a) => a.agency === home) ? null : home;
}

async function act(label: string, path: string, body: unknown): Promise<void> {
  try {
    await write("POST", path, body);
    ui.toast(`${label} ✓`);
    await loadPlan();
  } catch (e: any) { ui.toast(`${label}: ${e.message}`, true); }
}

function button(id: string, label: string, onclick: () => void, primary = false): HTMLButtonElement {
  return h("button", { id, type: "button", class: primary ? "primary" : undefined, onclick, text: label });
}

// ---------- drawing ----------
// Live updates redraw the page; the control that had the focus gets it back (by its id).
function render(): void {
  const active = document.activeElement as HTMLElement | null;
  const focused = active?.closest("#ops-panel") && active.id ? active.id : "";
  draw();
  if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
}

function draw(): void {
  const p = ui.plan;
  const summary = document.getElementById("ops-summary");
  for (const id of ["ops-actions", "ops-matrix", "ops-points", "ops-sitreps"]) { const el = document.getElementById(id); if (el) clear(el); }
  if (summary) summary.textContent = "";
  drawSectors();
  if (!p) {
    document.getElementById("ops-matrix")?.append(h("p", { class: "muted", text: t("No operation plan to show") }));
    return renderSitReps();
  }
  const g = ui.progress;
  if (summary && g)
    summary.textContent = `${t(p.status)} · r${fmtNum(p.revision)} · ${p.classification}` +
      (g.phase ? ` · ${t("phase")} ${p.phases.find((x) => x.id === g.phase)?.name ?? g.phase}` : "") +
      ` · ${t("done")} ${fmtNum(g.done)}/${fmtNum(g.tasks)} · ${t("late")} ${fmtNum(g.late.length)} · ${t("blocked")} ${fmtNum(g.blocked.length)}` +
      (g.sectors_without_units.length ? ` · ${t("postings not met")} ${fmtNum(g.sectors_without_units.length)}` : "");
  renderActions(p);
  renderMatrix(p);
  renderTask(p);
  renderPoints(p);
  renderSitReps();
}

function renderActions(p: Plan): void {
  const bar = document.getElementById("ops-actions")!;
  const approve = approvable(p);
  if (approve) bar.append(button("ops-approve", `${t("Approve")} (${approve})`, () => void act(t("Approve"), `/api/v1/operations/${p.id}/approval`, { revision: p.revision }), true));
  const missing = [p.agency, ...p.agencies].filter((a) => !p.approvals.some((x) => x.agency === a));
  if (p.status === "draft") bar.append(h("span", { class: "muted", text: `${t("awaiting approval")}: ${missing.join(", ") || "—"}` }));
  if (mayRun(p) && p.status === "approved") bar.append(button("ops-activate", t("Activate"), () => void act(t("Activate"), `/api/v1/operations/${p.id}/status`, { to: "active" }), true));
  if (mayRun(p) && p.status === "active") {
    for (const ph of p.phases) {
      if (!ph.started) bar.append(button(`ops-phase-${ph.id}-start`, `▶ ${ph.name}`, () => void act(ph.name, `/api/v1/operations/${p.id}/phases/${encodeURIComponent(ph.id)}`, { to: "started" })));
      else if (!ph.ended) bar.append(button(`ops-phase-${ph.id}-end`, `■ ${ph.name}`, () => void act(ph.name, `/api/v1/operations/${p.id}/phases/${encodeURIComponent(ph.id)}`, { to: "ended" })));
    }
    bar.append(button("ops-close", t("Close the operation"), () => { if (window.confirm(`${t("Close the operation")} ${p.name}?`)) void act(t("Close the operation"), `/api/v1/operations/${p.id}/status`, { to: "closed" }); }));
  }
}

function renderMatrix(p: Plan): void {
  const m = ui.matrix;
  const root = document.getElementById("ops-matrix")!;
  if (!m) return;
  const phase = (id: string) => p.phases.find((x) => x.id === id);
  const head = h("tr", {}, h("th", { scope: "col", text: t("Agency") }), ...m.columns.map((c) => {
    const ph = phase(c.phase);
    const state = ph?.ended ? t("ended") : ph?.started ? t("running") : "";
    return h("th", { scope: "col", class: ph?.started && !ph.ended ? "running" : undefined }, c.name, state ? h("small", { text: ` · ${state}` }) : null);
  }));
  const rows = m.rows.map((r) => h("tr", { "data-agency": r.agency }, h("th", { scope: "row", text: r.agency }), ...r.cells.map((c) => h("td", {},
    ...c.tasks.map((k) => {
      const marks = [k.late ? t("late") : "", k.blocked ? t("blocked") : ""].filter(Boolean).join(" · ");
      return h("button", {
        type: "button", class: `ops-t st-${k.status}${k.late ? " late" : ""}${k.blocked ? " blocked" : ""}${ui.task === k.id ? " selected" : ""}`,
        "data-task": k.id, "data-status": k.status, "aria-pressed": ui.task === k.id ? "true" : "false",
        title: k.title, onclick: () => { ui.task = ui.task === k.id ? "" : k.id; ui.reason = ""; render(); document.getElementById("ops-task")?.focus(); },
      }, h("b", { text: k.id }), ` ${k.title}`, h("small", { text: ` · ${t(k.status)}${marks ? " · " + marks : ""}${k.deadline ? " · " + fmtDateTime(k.deadline) : ""}` }));
    }),
    c.next_deadline ? h("div", { class: "muted next", text: `${t("next deadline")} ${fmtDateTime(c.next_deadline)}` }) : null))));
  root.append(h("table", { id: "ops-grid", class: "grid matrix" }, h("caption", { class: "sr-only", text: t("Synchronization matrix") }), h("thead", {}, head), h("tbody", {}, ...rows)));
}

function renderTask(p: Plan): void {
  const box = document.getElementById("ops-task")!;
  clear(box);
  const task = p.tasks.find((x) => x.id === ui.task);
  box.hidden = !task;
  if (!task) return;
  box.tabIndex = -1;
  const may = mayTask(p, task) && p.status === "active";
  const blocked = ui.progress?.blocked.includes(task.id) ?? false;
  const reason = h("input", { id: "ops-reason", "aria-label": t("Override reason"), placeholder: t("Override reason"), size: 30, value: ui.reason });
  reason.oninput = () => { ui.reason = reason.value; };
  const to = (status: string) => () => {
    const body: Record<string, string> = { to: status };
    if (reason.value.trim()) body.reason = reason.value.trim();
    void act(`${task.id} → ${t(status)}`, `/api/v1/operations/${p.id}/tasks/${encodeURIComponent(task.id)}`, body);
  };
  const owner = [task.agency, task.unit || task.team].filter(Boolean).join(" · ");
  const parts: (Node | null)[] = [
    h("h3", { text: `${task.id} · ${task.title}` }),
    h("p", { class: "muted", text: `${owner} · ${t("sector")} ${task.sector || "—"} · ${t(task.status)}${task.after.length ? ` · ${t("after")} ${task.after.join(", ")}` : ""}${task.opened_by ? ` · ${t("opened by")} ${task.opened_by}` : ""}` }),
    task.override_reason ? h("p", { text: `${t("Override reason")}: ${task.override_reason}` }) : null,
    h("ul", { class: "list checklist" }, ...task.checklist.map((c, k) => {
      const box = h("input", { type: "checkbox", id: `ops-check-${k}`, checked: c.done, disabled: !may });
      box.onchange = () => void act(c.text, `/api/v1/operations/${p.id}/tasks/${encodeURIComponent(task.id)}/checklist`, { item: k, done: box.checked });
      return h("li", {}, h("label", {}, box, ` ${c.text}`, c.by ? h("small", { class: "muted", text: ` · ${c.by}` }) : null));
    })),
    may ? h("div", { class: "row" },
      task.status === "planned" ? reason : null,
      task.status === "planned" ? button("ops-task-start", blocked ? `${t("Start")} (${t("override")})` : t("Start"), to("in_progress"), true) : null,
      task.status === "in_progress" ? button("ops-task-done", t("Done"), to("done"), true) : null,
      task.status === "planned" || task.status === "in_progress" ? button("ops-task-cancel", t("Cancel task"), to("cancelled")) : null) : null];
  box.append(...parts.filter((x): x is Node => x !== null));
}

function renderPoints(p: Plan): void {
  const root = document.getElementById("ops-points")!;
  if (!p.decision_points.length) return;
  root.append(h("h3", { text: t("Decision points") }), h("ul", { class: "list" }, ...p.decision_points.map((d) => h("li", { "data-point": d.id },
    h("b", { text: d.name }), ` · ${d.when} ${d.value}${d.sector ? " @" + d.sector : ""} → ${d.opens.join(", ")} · `,
    d.fired ? h("span", { class: "fired", text: `${t("fired")} ${fmtDateTime(d.fired)}` })
      : mayRun(p) && p.status === "active" ? button(`ops-fire-${d.id}`, t("Fire"), () => void act(d.name, `/api/v1/operations/${p.id}/decision-points/${encodeURIComponent(d.id)}`, {}))
      : h("span", { class: "muted", text: t("waiting") })))));
}

function renderSitReps(): void {
  const root = document.getElementById("ops-sitreps");
  if (!root || !can(ui.who, "sitrep.read")) return;
  const list = h("ul", { class: "list", id: "ops-sitrep-list" }, ...ui.sitreps.map((r) => h("li", { "data-sitrep": r.id, "data-status": r.status },
    h("b", { text: r.title }), ` · ${r.agency} · ${t(r.status)} · r${fmtNum(r.revision)} · ${r.classification}${r.shared_with.length ? " → " + r.shared_with.join(", ") : ""} `,
    button(`ops-sitrep-pdf-${r.id}`, "PDF", () => void openPdf("sitrep", r.id)),
    r.status === "draft" && can(ui.who, "sitrep.approve", r.agency)
      ? button(`ops-sitrep-approve-${r.id}`, t("Approve"), () => void act(r.title, `/api/v1/sitreps/${r.id}/approval`, { revision: r.revision })) : null)));
  root.append(h("h3", { text: t("Situation reports") }), list);
  if (!ui.plan || !can(ui.who, "sitrep.write", ui.who?.agency)) return;
  const title = h("input", { id: "ops-sitrep-title", required: true, "aria-label": t("Title"), placeholder: t("Title"), size: 24 });
  const narrative = h("textarea", { id: "ops-sitrep-narrative", rows: 2, "aria-label": t("Narrative"), placeholder: t("Narrative") });
  const shared = h("input", { id: "ops-sitrep-shared", "aria-label": t("Share with"), placeholder: `${t("Share with")}: police, ambulance`, size: 20 });
  // A live redraw (a plan event while the supervisor types) must not wipe what is typed.
  title.value = ui.draft.title;
  narrative.value = ui.draft.narrative;
  shared.value = ui.draft.shared;
  title.oninput = () => { ui.draft.title = title.value; };
  narrative.oninput = () => { ui.draft.narrative = narrative.value; };
  shared.oninput = () => { ui.draft.shared = shared.value; };
  const form = h("form", { id: "ops-sitrep-form", class: "row" }, title, narrative, shared, h("button", { class: "primary", text: t("Draft a report") }));
  form.onsubmit = (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = { title: title.value.trim(), plan: ui.selected, narrative: narrative.value };
    const audience = shared.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (audience.length) body.shared_with = audience;
    ui.draft = { title: "", narrative: "", shared: "" };
    void act(t("Draft a report"), "/api/v1/sitreps", body);
  };
  root.append(form);
}

// The plan's sectors and posts on the map (a fill and an outline per sector, a dot per post).
function drawSectors(): void {
  const m = ui.cop?.map;
  if (!m || !ui.cop?.ready) return;
  const p = ui.plan;
  const features: GeoJSON.Feature[] = [];
  for (const s of p?.sectors ?? [])
    features.push({ type: "Feature", properties: { sector: s.id, name: s.name }, geometry: { type: "Polygon", coordinates: s.polygon.coordinates } });
  const running = ui.progress?.phase;
  for (const x of p?.postings ?? [])
    if (!running || x.phase === running)
      features.push({ type: "Feature", properties: { unit: x.unit, sector: x.sector }, geometry: { type: "Point", coordinates: [x.post.lon, x.post.lat] } });
  const data: GeoJSON.FeatureCollection = { type: "FeatureCollection", features };
  const src = m.getSource("plan-sectors") as any;
  if (src) src.setData(data);
  else {
    m.addSource("plan-sectors", { type: "geojson", data });
    m.addLayer({ id: "plan-sectors-fill", type: "fill", source: "plan-sectors", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#6a3d9a", "fill-opacity": 0.08 } });
    m.addLayer({ id: "plan-sectors-line", type: "line", source: "plan-sectors", filter: ["==", ["geometry-type"], "Polygon"], paint: { "line-color": "#6a3d9a", "line-width": 2, "line-dasharray": [3, 2] } });
    m.addLayer({ id: "plan-posts", type: "circle", source: "plan-sectors", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 5, "circle-color": "#6a3d9a", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  }
  document.getElementById("map")?.setAttribute("data-plan-sectors", String(p?.sectors.length ?? 0));
}

// The server prints the PDF (chromium); fetched with the session's token, opened as a blob.
async function openPdf(what: "matrix" | "forms" | "sitrep", id = ui.selected): Promise<void> {
  const s = current();
  if (!s || !id) return;
  const path = what === "sitrep" ? `/api/v1/sitreps/${id}/report.pdf` : `/api/v1/operations/${id}/${what}.pdf`;
  const win = window.open("", "_blank");
  try {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + s.access_token } });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body?.error?.message ?? `${path}: ${r.status}`);
    }
    const url = URL.createObjectURL(await r.blob());
    if (win) win.location.href = url; else window.open(url, "_blank");
  } catch (e: any) {
    win?.close();
    ui.toast(e.message, true);
  }
}

export function toggleOperations(show?: boolean): void {
  const on = show ?? !document.body.classList.contains("ops");
  document.body.classList.toggle("ops", on);
  document.getElementById("ops-toggle")?.setAttribute("aria-pressed", String(on));
  if (on) {
    void loadOperations();
    document.querySelector<HTMLElement>("#ops-panel .scroll")?.focus();
  }
}
