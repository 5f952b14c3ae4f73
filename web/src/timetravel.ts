// Time travel: a slider over the log's time that shows the picture at a past moment
// (GET /api/v1/picture?at=) on the same map, queue and board, in a read-only "past" mode: a
// banner with the moment shown, no command controls, the live stream paused. Back to live (the
// slider's right end, End, Escape or the button) restores the live picture and resumes the
// stream after the last event applied, so nothing is lost. The bar stays hidden when the
// server does not answer /picture (an older server, or a role without incident.read).
// One moment for all the console's windows: the main window's slider leads, and the panels
// detached onto other screens follow it over the console's channel (they have no slider of
// their own, so a supervisor never compares a past board with a live queue unawares).
import { h } from "./dom";
import { t, fmtDateTime, fmtNum } from "./i18n";
import { api, channel, detached } from "./session";
import { state, changed, type Incident, type Unit } from "./state";

interface PicturePage {
  seq: number; time: string | null; at: string | null; head: number;
  first_time: string | null; head_time: string | null;
  incidents: Incident[]; next_after: number | null; units: Unit[];
}

export interface TimeTravelHooks {
  pause: () => void; // stop the live stream (its events would land in the past picture)
  resume: () => void; // restart it after the last live event applied
  redraw: () => void;
}

let hooks: TimeTravelHooks | null = null;
let live: { incidents: Map<number, Incident>; units: Map<number, Unit> } | null = null;
let asked = 0; // the newest request: an older answer arriving late is dropped
let timer: number | undefined;
let pending = false; // a move is waiting for its picture

export const past = { active: false, at: 0, seq: 0 };
// The clock the queue's ages and the board's times in status are read against.
export function pictureNow(): number {
  return past.active ? past.at : Date.now();
}

async function range(): Promise<{ first: number; last: number } | null> {
  try {
    const p = await api<PicturePage>("GET", "/api/v1/picture?seq=0&limit=1");
    const first = Date.parse(p.first_time ?? "");
    const last = Date.parse(p.head_time ?? "");
    return Number.isFinite(first) && Number.isFinite(last) ? { first, last } : null;
  } catch { return null; }
}

// The whole picture at `at`: the first page, then the next pages at the seq it served.
async function load(at: number): Promise<PicturePage> {
  const first = await api<PicturePage>("GET", `/api/v1/picture?at=${encodeURIComponent(new Date(at).toISOString())}`);
  let after = first.next_after;
  while (after != null) {
    const page = await api<PicturePage>("GET", `/api/v1/picture?seq=${first.seq}&after=${after}`);
    first.incidents.push(...page.incidents);
    after = page.next_after;
  }
  return first;
}

function banner(p: PicturePage, at: number): void {
  const el = document.getElementById("past-banner");
  if (!el) return;
  el.hidden = false;
  el.querySelector(".past-text")!.textContent =
    `${t("Past picture")} · ${fmtDateTime(at)} · ${t("event")} ${fmtNum(p.seq)} / ${fmtNum(p.head)} · ${t("read-only")}`;
  const badge = document.getElementById("live");
  if (badge) { badge.className = "badge past"; badge.dataset.state = "past"; badge.textContent = t("past"); }
}

// The main window tells the detached ones the moment it shows (null: live).
function announce(at: number | null): void {
  if (!detached) channel?.postMessage({ type: "time", at });
}

async function show(at: number): Promise<void> {
  const mine = ++asked;
  let p: PicturePage;
  try { p = await load(at); } catch (e: any) {
    const out = document.getElementById("time-at");
    if (out) out.textContent = e.message;
    return;
  }
  if (mine !== asked || !hooks) return;
  if (!past.active) {
    hooks.pause();
    live = { incidents: state.incidents, units: state.units };
    past.active = true;
    document.body.classList.add("past");
  }
  Object.assign(past, { at, seq: p.seq });
  state.incidents = new Map(p.incidents.map((i) => [i.id, i]));
  // Time in status in the past: from the unit's last change then.
  state.units = new Map(p.units.map((u) => [u.id, { ...u, status_since: Date.parse((u as any).updated ?? "") || undefined }]));
  banner(p, at);
  changed(null);
  hooks.redraw();
  announce(at);
}

export function backToLive(): void {
  ++asked;
  window.clearTimeout(timer);
  pending = false;
  const slider = document.getElementById("time-slider") as HTMLInputElement | null;
  if (slider) { slider.value = slider.max; label(slider); }
  if (!past.active || !live || !hooks) return;
  announce(null);
  state.incidents = live.incidents;
  state.units = live.units;
  live = null;
  past.active = false;
  document.body.classList.remove("past");
  const el = document.getElementById("past-banner");
  if (el) el.hidden = true;
  hooks.resume();
  changed(null);
  hooks.redraw();
}

function label(slider: HTMLInputElement): void {
  const v = Number(slider.value);
  const atEnd = v > Number(slider.max) - 1000;
  const text = atEnd ? t("live") : fmtDateTime(v);
  slider.setAttribute("aria-valuetext", text);
  const out = document.getElementById("time-at");
  if (out) out.textContent = text;
}

// The slider moved: the past picture after a short pause (dragging asks once, not per pixel);
// its right end is live.
function moved(slider: HTMLInputElement, now: boolean): void {
  label(slider);
  window.clearTimeout(timer);
  const v = Number(slider.value);
  if (v > Number(slider.max) - 1000) return backToLive(); // the last step is live
  pending = true;
  timer = window.setTimeout(() => void show(v).finally(() => { pending = false; }), now ? 0 : 150);
}

async function refreshRange(slider: HTMLInputElement): Promise<boolean> {
  const r = await range();
  if (!r) return false;
  // A slider at its right end (live) stays there as the log grows; one moved into the past keeps
  // its moment.
  const atEnd = !slider.dataset.ready || (!past.active && !pending);
  // The grid is whole seconds from the first event: the right end (live) is on it.
  slider.min = String(r.first);
  slider.max = String(r.first + Math.max(1, Math.ceil((r.last - r.first) / 1000)) * 1000);
  if (atEnd) slider.value = slider.max;
  slider.dataset.ready = "1";
  label(slider);
  return true;
}

// A detached window follows the main window's moment (and asks for it when it opens).
channel?.addEventListener("message", (m) => {
  const d = m.data;
  if (d?.type === "time?" && !detached && past.active) announce(past.at);
  if (d?.type === "time-live" && !detached) backToLive();
  if (d?.type !== "time" || !detached || !hooks) return;
  if (typeof d.at === "number") void show(d.at);
  else backToLive();
});

// The bar under the header; hidden until the server is known to answer /picture. A detached
// window has none: it follows the main window.
export function mountTimeBar(root: HTMLElement, h_: TimeTravelHooks): void {
  hooks = h_;
  if (detached) {
    root.hidden = true;
    channel?.postMessage({ type: "time?" });
    return;
  }
  const slider = h("input", { type: "range", id: "time-slider", step: 1000, "aria-label": t("Time travel") });
  slider.oninput = () => moved(slider, false);
  slider.onchange = () => moved(slider, true);
  slider.onkeydown = (e) => { if (e.key === "Escape") { e.preventDefault(); backToLive(); } };
  slider.onfocus = () => void refreshRange(slider);
  const liveButton = h("button", { id: "time-live", onclick: () => backToLive(), text: t("Back to live") });
  root.append(h("label", { for: "time-slider", class: "time-label", text: `${t("Time travel")} (Alt+T)` }), slider,
    h("output", { id: "time-at", for: "time-slider", class: "time-at" }), liveButton);
  root.hidden = true;
  void refreshRange(slider).then((ok) => { root.hidden = !ok; });
  // The log grows: the range follows it while live (on focus too, and before a pointer drag).
  slider.onpointerdown = () => void refreshRange(slider);
  window.clearInterval(rangeTimer);
  rangeTimer = window.setInterval(() => { if (!past.active && document.contains(slider)) void refreshRange(slider); }, 10000);
}
let rangeTimer: number | undefined;

export function mountPastBanner(root: HTMLElement): void {
  // In a detached window "back to live" brings the whole console back (the main window leads).
  const toLive = () => { if (detached) channel?.postMessage({ type: "time-live" }); backToLive(); };
  root.append(h("span", { class: "past-text" }), " ",
    h("button", { onclick: toLive, text: t("Back to live") }));
  root.hidden = true;
}

// An incident of the past picture, read-only: as it was, from the picture itself (the live
// detail, its commands and messages are the present's).
export function showPastIncident(id: number): void {
  const root = document.getElementById("detail");
  const i = state.incidents.get(id);
  if (!root || !i) return;
  const callsign = (u: number | null) => (u == null ? t("withheld") : state.units.get(u)?.callsign ?? `#${u}`);
  root.replaceChildren(
    h("header", { class: "panel-head" },
      h("h2", { id: "detail-title", text: `#${i.id} ${i.type}` }),
      h("span", { class: "status s-" + i.status, id: "detail-status", text: t(i.status) }),
      h("span", { class: "prio-label", text: `P${i.priority}` }),
      h("span", { class: "cls", text: i.classification ?? "" })),
    h("p", { class: "past-note", text: `${t("As it was at")} ${fmtDateTime(past.at)} · ${t("read-only")}` }),
    h("p", { class: "addr", text: [i.address, i.landmark].filter(Boolean).join(" · ") || `${i.location.lat}, ${i.location.lon}` }),
    h("p", { class: "summary", text: i.summary ?? "" }),
    h("section", { class: "box" }, h("h3", { text: t("Assigned units") }),
      h("ul", { id: "past-assigned", class: "list" }, ...(i.assignments ?? []).map((a) =>
        h("li", { text: `${callsign(a.unit)} · ${a.cleared ? t("cleared") : t(state.units.get(a.unit ?? -1)?.status ?? "")}` })))));
}
