// The incident queue, the unit status board and the alerts panel.
import { h, clear } from "./dom";
import { t, fmtAge, fmtNum, fmtTime } from "./i18n";
import { state, OPEN, UNIT_STATUSES, INCIDENT_STATUSES, type Unit, type Alert } from "./state";
import { api, write, can, type WhoAmI } from "./session";
import { dispatchTarget } from "./plans";
import { PRIORITY_COLOURS, UNIT_STATUS_COLOURS, coverageColour, type ZoneCover } from "./map";
import { pictureNow } from "./timetravel";

export const ctx = {
  who: null as WhoAmI | null,
  select: (_id: number) => {},
  selectUnit: (_id: number) => {},
  toast: (_msg: string, _bad?: boolean) => {},
  coverage: (_zones: ZoneCover[]) => {}, // the map's coverage overlay
};

// ---------- Incident queue ----------
const queueFilter = { agency: "", status: "open", type: "", zone: "" };
export function mountQueue(root: HTMLElement): void {
  const agency = h("select", { "aria-label": t("Agency"), id: "q-agency" }, h("option", { value: "" }, t("All")));
  const status = h("select", { "aria-label": t("Status"), id: "q-status" }, h("option", { value: "open" }, t("Open")),
    ...INCIDENT_STATUSES.map((s) => h("option", { value: s }, t(s))));
  const type = h("input", { type: "search", placeholder: t("Type"), "aria-label": t("Type"), id: "q-type", size: 10 });
  const zone = h("select", { "aria-label": t("zones"), id: "q-zone" }, h("option", { value: "", text: `${t("zones")}: ${t("All")}` }));
  zone.onchange = () => { queueFilter.zone = zone.value; renderQueue(); };
  zone.onfocus = () => {
    const all = new Set<string>();
    for (const i of state.incidents.values()) for (const z of i.zones ?? []) all.add(z);
    for (const z of [...all].sort()) if (![...zone.options].some((o) => o.value === z)) zone.append(h("option", { value: z, text: z }));
  };
  agency.onchange = () => { queueFilter.agency = agency.value; renderQueue(); };
  status.onchange = () => { queueFilter.status = status.value; renderQueue(); };
  type.oninput = () => { queueFilter.type = type.value.trim().toLowerCase(); renderQueue(); };
  root.append(
    h("header", { class: "panel-head" }, h("h2", { text: t("Incidents") }), h("span", { id: "q-count", class: "count" })),
    h("div", { class: "filters" }, agency, status, type, zone),
    h("div", { class: "scroll", tabindex: 0 }, h("table", { id: "queue", class: "grid" },
      h("thead", {}, h("tr", {}, h("th", { text: "#" }), h("th", { text: "P" }), h("th", { text: t("Type") }),
        h("th", { text: t("Status") }), h("th", { text: t("Age") }), h("th", { text: t("Location") }))),
      h("tbody"))));
}

export function fillAgencies(codes: string[]): void {
  for (const id of ["q-agency", "b-agency"]) {
    const sel = document.getElementById(id) as HTMLSelectElement | null;
    if (!sel) continue;
    for (const c of codes) if (![...sel.options].some((o) => o.value === c)) sel.append(h("option", { value: c }, c));
  }
}

export function queueRows() {
  const f = queueFilter;
  return [...state.incidents.values()]
    .filter((i) => (f.status === "open" ? OPEN.has(i.status) : i.status === f.status))
    .filter((i) => !f.agency || i.agency === f.agency)
    .filter((i) => !f.type || i.type.toLowerCase().includes(f.type))
    .filter((i) => !f.zone || (i.zones ?? []).includes(f.zone))
    .sort((a, b) => a.priority - b.priority || Date.parse(a.created ?? "") - Date.parse(b.created ?? "") || a.id - b.id);
}

// Enter opens; arrows walk the rows (the queue is worked from the keyboard).
function rowKeys(e: KeyboardEvent, open: () => void): void {
  const tr = e.currentTarget as HTMLElement;
  if (e.key === "Enter") open();
  else if (e.key === "ArrowDown") { (tr.nextElementSibling as HTMLElement | null)?.focus(); e.preventDefault(); }
  else if (e.key === "ArrowUp") { (tr.previousElementSibling as HTMLElement | null)?.focus(); e.preventDefault(); }
}

// Once a second only the clocks move: ages, time-target colours, time in status.
export function tick(): void {
  const now = pictureNow(); // the moment shown (a past picture's)
  for (const td of document.querySelectorAll<HTMLElement>("#queue td.age")) {
    const i = state.incidents.get(Number(td.parentElement?.dataset.id));
    if (!i) continue;
    const age = now - (Date.parse(i.created ?? "") || now);
    td.textContent = fmtAge(age);
    const timer = timerOf(i, age);
    if (td.dataset.timer !== timer) { td.dataset.timer = timer; td.className = "age " + timer; }
  }
  for (const tr of document.querySelectorAll<HTMLElement>("#board tr[data-unit]")) {
    const u = state.units.get(Number(tr.dataset.unit));
    const cell = tr.querySelector("td.age");
    if (u?.status_since && cell) cell.textContent = fmtAge(now - u.status_since);
  }
}
function timerOf(i: { type: string; priority: number; status: string }, age: number): string {
  const target = dispatchTarget(i.type, i.priority) * 1000;
  if (!target || (i.status !== "new" && i.status !== "triaged")) return "";
  return age > target ? "overdue" : age > target * 0.8 ? "due" : "";
}

let selectedIncident: number | null = null;
export function setSelectedIncident(id: number | null): void {
  selectedIncident = id;
}

export function renderQueue(): void {
  const body = document.querySelector("#queue tbody");
  if (!body) return;
  const focused = (document.activeElement as HTMLElement | null)?.closest?.("tr[data-id]")?.getAttribute("data-id");
  const rows = queueRows();
  const pending = [...state.incidents.values()].filter((i) => i.status === "new" || i.status === "triaged").length;
  document.getElementById("q-count")!.textContent = `${fmtNum(rows.length)} · ${t("pending")} ${fmtNum(pending)}`;
  const now = pictureNow(); // the moment shown (a past picture's)
  const frag = document.createDocumentFragment();
  for (const i of rows.slice(0, 300)) {
    const age = now - (Date.parse(i.created ?? "") || now);
    const timer = timerOf(i, age);
    const tr = h("tr", { "data-id": i.id, tabindex: 0, class: [i.id === selectedIncident ? "selected" : "", state.unread.has(i.id) ? "unread" : ""].join(" ").trim(),
      onclick: () => ctx.select(i.id), onkeydown: (e: Event) => rowKeys(e as KeyboardEvent, () => ctx.select(i.id)) },
      h("td", {}, state.unread.has(i.id) ? h("span", { class: "dot", role: "img", title: t("unread"), "aria-label": t("unread") }) : null, String(i.id)),
      h("td", {}, h("span", { class: "prio", style: `--c:${PRIORITY_COLOURS[i.priority] ?? "#888"}`, text: i.priority })),
      h("td", { text: i.type, title: i.type }),
      h("td", {}, h("span", { class: "status s-" + i.status, text: t(i.status) })),
      h("td", { class: "age " + timer, "data-timer": timer, text: fmtAge(age) }),
      h("td", { class: "addr", text: i.address || i.landmark || `${i.location.lat.toFixed(4)}, ${i.location.lon.toFixed(4)}` }));
    frag.append(tr);
  }
  body.replaceChildren(frag);
  // Focus never gets lost: the row that had it gets it back after the redraw.
  if (focused) body.querySelector<HTMLElement>(`tr[data-id="${focused}"]`)?.focus({ preventScroll: true });
}

// ---------- Unit status board ----------
const callsigns = new Intl.Collator(undefined, { numeric: true }); // one collator, not one per comparison
const boardFilter = { agency: "", kind: "", status: "" };
export function mountBoard(root: HTMLElement): void {
  const agency = h("select", { id: "b-agency", "aria-label": t("Agency") }, h("option", { value: "" }, t("All")));
  const kind = h("select", { id: "b-kind", "aria-label": t("Kind") }, h("option", { value: "" }, t("All")));
  const status = h("select", { id: "b-status", "aria-label": t("Status") }, h("option", { value: "" }, t("All")), ...UNIT_STATUSES.map((s) => h("option", { value: s }, t(s))));
  agency.onchange = () => { boardFilter.agency = agency.value; renderBoard(); };
  kind.onchange = () => { boardFilter.kind = kind.value; renderBoard(); };
  status.onchange = () => { boardFilter.status = status.value; renderBoard(); };
  root.append(
    h("header", { class: "panel-head" }, h("h2", { text: t("Units") }), h("span", { id: "b-counts", class: "count" })),
    h("div", { class: "filters" }, agency, kind, status),
    h("div", { class: "scroll", tabindex: 0 }, h("table", { id: "board", class: "grid" },
      h("thead", {}, h("tr", {}, h("th", { text: t("Callsign") }), h("th", { text: t("Agency") }), h("th", { text: t("Kind") }),
        h("th", { text: t("Status") }), h("th", { text: "#" }), h("th", { text: t("Time in status") }), h("th", { text: "" }))),
      h("tbody"))));
}

async function setUnitStatus(u: Unit, status: string): Promise<void> {
  try {
    await write("POST", `/api/v1/units/${u.id}/status`, { status });
    ctx.toast(`${u.callsign} → ${status}`);
  } catch (e: any) {
    ctx.toast(`${u.callsign}: ${e.message}`, true);
  }
}

export function renderBoard(): void {
  const body = document.querySelector("#board tbody");
  if (!body) return;
  // While a control in the board has the focus (a quick status being chosen), only the clocks move.
  if (body.contains(document.activeElement)) return tick();
  const kinds = document.getElementById("b-kind") as HTMLSelectElement;
  const allKinds = [...new Set([...state.units.values()].map((u) => u.kind))].sort();
  for (const k of allKinds) if (![...kinds.options].some((o) => o.value === k)) kinds.append(h("option", { value: k }, k));
  const f = boardFilter;
  const units = [...state.units.values()]
    .filter((u) => (!f.agency || u.agency === f.agency) && (!f.kind || u.kind === f.kind) && (!f.status || u.status === f.status))
    .sort((a, b) => (a.agency < b.agency ? -1 : a.agency > b.agency ? 1 : 0) || callsigns.compare(a.callsign, b.callsign));
  const avail: Record<string, number> = {};
  for (const u of state.units.values()) if (u.status === "available") avail[u.kind] = (avail[u.kind] ?? 0) + 1;
  document.getElementById("b-counts")!.textContent = Object.entries(avail).sort().slice(0, 6).map(([k, n]) => `${k} ${fmtNum(n)}`).join(" · ");
  const now = pictureNow(); // the moment shown (a past picture's)
  const frag = document.createDocumentFragment();
  for (const u of units.slice(0, 400)) {
    const mayChange = can(ctx.who, "unit.update_status", u.agency);
    const quick = mayChange ? h("select", { "aria-label": `${t("Status")} ${u.callsign}`, class: "quick" },
      h("option", { value: "", text: "…" }), ...UNIT_STATUSES.filter((s) => s !== u.status).map((s) => h("option", { value: s, text: t(s) }))) : null;
    if (quick) quick.onchange = () => { if (quick.value) void setUnitStatus(u, quick.value).then(() => quick.blur()); };
    frag.append(h("tr", { "data-unit": u.id, "data-callsign": u.callsign, "data-status": u.status, class: u.stale ? "stale" : "" },
      h("td", {}, h("button", { class: "link", onclick: () => ctx.selectUnit(u.id), text: u.callsign })),
      h("td", { text: u.agency }),
      h("td", { text: u.kind }),
      h("td", {}, h("span", { class: "ustatus", style: `--c:${UNIT_STATUS_COLOURS[u.status] ?? "#888"}`, text: t(u.status) }), u.stale ? h("span", { class: "stale-tag", text: "stale" }) : null),
      h("td", {}, u.incident ? h("button", { class: "link", onclick: () => ctx.select(u.incident!), text: String(u.incident) }) : ""),
      h("td", { class: "age", text: u.status_since ? fmtAge(now - u.status_since) : "" }),
      h("td", {}, quick)));
  }
  body.replaceChildren(frag);
}

// ---------- Alerts ----------
interface ResourceRequest { id: number; incident: number; from_agency: string; to_agency: string; kind: string; count: number; reason: string; deadline: string; status: string }
let requests: ResourceRequest[] = [];
let coverage: ZoneCover[] = [];
// An optional sound for new alerts (a short tone from WebAudio: no file, nothing fetched).
let audio: AudioContext | null = null;
let lastAlerted = 0;
function beep(): void {
  if (!audio) return;
  const o = audio.createOscillator(), g = audio.createGain();
  o.frequency.value = 880;
  g.gain.setValueAtTime(0.15, audio.currentTime);
  g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
  o.connect(g).connect(audio.destination);
  o.start();
  o.stop(audio.currentTime + 0.35);
}

export function mountAlerts(root: HTMLElement): void {
  const sound = h("input", { type: "checkbox", id: "a-sound", "aria-label": "sound" });
  sound.onchange = () => { audio = sound.checked ? audio ?? new AudioContext() : null; };
  root.append(
    h("header", { class: "panel-head" }, h("h2", { text: t("Alerts") }), h("span", { id: "a-count", class: "count" }),
      h("label", { class: "count" }, sound, " ♪")),
    h("div", { class: "scroll", tabindex: 0 },
      h("h3", { text: t("Resource requests") }), h("ul", { id: "requests", class: "list" }),
      h("h3", { text: t("CAP alerts received") }), h("ul", { id: "cap-alerts", class: "list" }),
      h("h3", { text: t("Coverage") }), h("ul", { id: "coverage", class: "list" }),
      h("h3", { text: t("Alerts") }), h("ul", { id: "alerts", class: "list" })));
}

export async function loadRequests(): Promise<void> {
  try { requests = (await api<{ items: ResourceRequest[] }>("GET", "/api/v1/resource-requests")).items; } catch { requests = []; }
  renderAlerts(); // the requests at once: coverage (road reach of every zone) can take seconds
  try { coverage = (await api<{ zones: ZoneCover[] }>("GET", "/api/v1/coverage")).zones ?? []; } catch { coverage = []; }
  ctx.coverage(coverage);
  renderAlerts();
}

async function answer(r: ResourceRequest, accept: boolean): Promise<void> {
  try {
    let units: number[] = [];
    if (accept) {
      units = [...state.units.values()].filter((u) => u.agency === r.to_agency && u.status === "available" && u.kind === r.kind).slice(0, r.count).map((u) => u.id);
      if (!units.length) units = [...state.units.values()].filter((u) => u.agency === r.to_agency && u.status === "available").slice(0, r.count).map((u) => u.id);
    }
    await write("POST", `/api/v1/resource-requests/${r.id}/answer`, accept ? { accept, units } : { accept, note: "declined from the console" });
    ctx.toast(`request ${r.id} ${accept ? "accepted" : "declined"}`);
    await loadRequests();
  } catch (e: any) { ctx.toast(e.message, true); }
}

export function renderAlerts(): void {
  const ul = document.getElementById("alerts");
  if (!ul) return;
  // Focus never gets lost: the alert (or its button) that had it gets it back after the redraw.
  const active = document.activeElement as HTMLElement | null;
  const focusedKey = active?.closest?.("li[data-key]")?.getAttribute("data-key");
  const focusedAck = !!active?.classList.contains("ack");
  try { redrawAlerts(ul); } finally {
    if (focusedKey) {
      const li = document.querySelector<HTMLElement>(`#alerts-panel li[data-key="${CSS.escape(focusedKey)}"]`);
      const target = (focusedAck ? li?.querySelector<HTMLElement>("button.ack") : null) ?? li?.querySelector<HTMLElement>("button") ?? null;
      target?.focus({ preventScroll: true });
    }
  }
}

function redrawAlerts(ul: HTMLElement): void {
  const mine = new Set((ctx.who?.roles ?? []).map((r) => r.split(":")[0]));
  const req = document.getElementById("requests")!;
  clear(req);
  for (const r of requests.filter((x) => x.status === "open")) {
    const canAnswer = mine.has(r.to_agency) && can(ctx.who, "incident.assign", r.to_agency);
    req.append(h("li", { class: "alert request", "data-request": r.id, "data-key": `request-${r.id}` },
      h("span", { text: `#${r.incident} ${r.from_agency} → ${r.to_agency}: ${r.count} ${r.kind} — ${r.reason}` }),
      canAnswer ? h("button", { onclick: () => void answer(r, true), text: t("Accept") }) : null,
      canAnswer ? h("button", { onclick: () => void answer(r, false), text: t("Decline") }) : null));
  }
  const cov = document.getElementById("coverage")!;
  clear(cov);
  for (const z of coverage) cov.append(h("li", { class: "alert" + (z.below_target ? " bad" : ""), "data-zone": z.zone },
    h("span", { class: "swatch", style: `--c:${coverageColour(z.fraction ?? 0, z.target ?? 0)}`, "aria-hidden": "true" }),
    h("span", { text: `${z.name || z.zone} ${z.capability}: ${fmtNum(Math.round((z.fraction ?? 0) * 100))}% / ${fmtNum(Math.round((z.target ?? 0) * 100))}%` }),
    ...(z.move_ups ?? []).slice(0, 2).map((m) => h("small", { class: "moveup", text: ` ${t("move")} ${m.callsign} → ${m.to.lat.toFixed(4)}, ${m.to.lon.toFixed(4)} (${fmtNum(Math.round(m.zone_fraction_after * 100))}%)` }))));
  const caps = document.getElementById("cap-alerts")!;
  clear(caps);
  const capAlerts = state.alerts.filter((a) => a.kind === "cap");
  for (const a of capAlerts.slice(0, 50)) caps.append(capItem(a));
  clear(ul);
  const open = state.alerts.filter((a) => !a.acked);
  const newest = open.reduce((m, a) => Math.max(m, a.seq), 0);
  if (newest > lastAlerted) { if (lastAlerted) beep(); lastAlerted = newest; }
  document.getElementById("a-count")!.textContent = fmtNum(open.length + requests.filter((x) => x.status === "open").length);
  for (const a of state.alerts.filter((x) => x.kind !== "cap").slice(0, 100)) ul.append(alertItem(a));
}

function ackButton(a: Alert): HTMLElement | null {
  return a.acked ? null : h("button", { class: "ack", onclick: () => { a.acked = true; renderAlerts(); }, text: t("Acknowledge") });
}

// A received CAP alert: who sent it, what, how severe, where; its incident one click away.
function capItem(a: Alert): HTMLElement {
  const c = a.cap!;
  const severity = c.severity ? c.severity : c.priority ? `${t("priority")} ${fmtNum(c.priority)}` : "";
  const what = [c.msgType !== "Alert" ? c.msgType : "", c.event, c.headline && c.headline !== c.event ? `— ${c.headline}` : ""].filter(Boolean).join(" ");
  return h("li", { class: `alert k-cap${a.acked ? " acked" : ""}`, "data-key": a.key, "data-cap": c.identifier, "data-sender": c.sender },
    h("time", { text: fmtTime(a.time) }), " ",
    h("b", { class: "cap-sender", text: c.sender }), " ",
    h("span", { class: "cap-event", text: what }),
    severity ? h("span", { class: "cap-severity", text: ` · ${severity}` }) : null,
    c.area ? h("span", { class: "cap-area", text: ` · ${c.area}` }) : null, " ",
    a.incident ? h("button", { class: "link", onclick: () => ctx.select(a.incident!), text: `#${a.incident}${c.opened === false ? ` (${t("merged")})` : ""}` }) : null,
    c.signature ? h("small", { class: "muted cap-signature", text: ` ${c.signature.split(";")[0]}` }) : null,
    ackButton(a));
}

function alertItem(a: Alert): HTMLElement {
  const li = h("li", { class: `alert k-${a.kind}${a.acked ? " acked" : ""}`, "data-key": a.key },
    h("time", { text: fmtTime(a.time) }), " ",
    a.incident ? h("button", { class: "link", onclick: () => ctx.select(a.incident!), text: a.text }) : h("span", { text: a.text }));
  const ack = ackButton(a);
  if (ack) li.append(ack);
  return li;
}
