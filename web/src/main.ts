// The ncc operator console: sign-in, one stream, the map, the queue, detail and intake, the unit
// board, alerts and the command line. Everything from the server is rendered as text.
import "./style.css";
import { h, $ } from "./dom";
import { t, setLang, currentLang, fmtTime } from "./i18n";
import { api, login, logout, resume, onSignedOut, onRenewed, current, agenciesOf, can, detached, channel, type WhoAmI } from "./session";
import { Stream, type Health } from "./stream";
import { state, onChange, onPositions, resetPicture, OPEN, type Incident, type Unit } from "./state";
import { Cop, layers, type ZoneBox } from "./map";
import { ctx, tick, mountQueue, mountBoard, mountAlerts, renderQueue, renderBoard, renderAlerts, fillAgencies, loadRequests, setSelectedIncident } from "./panels";
import { setCop, showIncident, refreshIfShown, loadAgencies, openIntake, closeIntake, currentIncident } from "./detail";
import { mountCommandLine, HELP } from "./cmd";
import { mountTimeBar, mountPastBanner, past, backToLive, showPastIncident } from "./timetravel";
import { loadPlans } from "./plans";
import { setWarningContext, mountWarnings, loadWarnings } from "./warnings";
import { setOperationsContext, mountOperations, loadOperations, onOperationsEvent, toggleOperations } from "./operations";
import { mountChannels, loadChannels, onChannelEvent } from "./channels";

const app = $("#app");
let stream: Stream | null = null;
let cop: Cop | null = null;
let cmd: HTMLInputElement | null = null;

function toast(msg: string, bad = false): void {
  const el = document.getElementById("toast");
  if (!el) return;
  el.textContent = msg;
  el.className = bad ? "toast bad" : "toast";
  window.clearTimeout((el as any)._t);
  (el as any)._t = window.setTimeout(() => (el.textContent = ""), 6000);
}
ctx.toast = toast;

// ---------- Sign-in ----------
function showLogin(message = ""): void {
  stream?.stop();
  stream = null;
  app.replaceChildren();
  document.body.classList.remove("signed-in");
  const user = h("input", { id: "username", autocomplete: "username", required: true });
  const pass = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const err = h("p", { id: "login-error", class: "error", role: "alert", text: message });
  const form = h("form", { id: "login", class: "login stack" },
    h("h1", { text: "ncc" }),
    h("label", {}, t("User"), user), h("label", {}, t("Password"), pass),
    h("button", { class: "primary", text: t("Sign in") }), err, langSwitch());
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    try {
      await login(user.value, pass.value);
      pass.value = "";
      await start();
    } catch (ex: any) { err.textContent = ex.message; }
  };
  app.append(h("main", { class: "login-wrap" }, form));
  user.focus();
}

function langSwitch(): HTMLElement {
  const sel = h("select", { id: "lang", "aria-label": t("Language") }, h("option", { value: "en", text: "English", selected: currentLang() === "en" }), h("option", { value: "ar", text: "العربية", selected: currentLang() === "ar" }));
  sel.onchange = () => {
    setLang(sel.value as "en" | "ar");
    if (current()) void start(); else showLogin();
  };
  return sel;
}

onSignedOut((why) => showLogin(why ? t(why) : ""));

// ---------- The picture ----------
async function loadPicture(): Promise<void> {
  const who = await api<WhoAmI>("GET", "/api/v1/whoami");
  ctx.who = who;
  const head = who.head; // read first: the stream resumes here, events after it re-apply harmlessly
  const incidents: Incident[] = [];
  for (const status of OPEN) {
    let after = 0;
    for (;;) {
      const page = await api<{ items: Incident[]; next_after: number | null }>("GET", `/api/v1/incidents?status=${status}&limit=1000&after=${after}`);
      incidents.push(...page.items);
      if (page.next_after == null) break;
      after = page.next_after;
    }
  }
  const units = (await api<{ items: Unit[] }>("GET", "/api/v1/units")).items;
  resetPicture(incidents, units, head);
}

function badge(hl: Health): void {
  const el = document.getElementById("live");
  if (!el) return;
  el.className = "badge " + (hl.live ? "ok" : "stale");
  el.dataset.state = hl.live ? "live" : "stale";
  el.textContent = hl.live ? t("live") : `${t("reconnecting")} · ${t("data stale since")} ${fmtTime(hl.staleSince ?? Date.now())}`;
  el.title = hl.detail;
}

let started = false;
async function start(): Promise<void> {
  backToLive(); // a new session (or language) starts live
  stream?.stop(); // signing in again keeps one stream
  stream = null;
  document.body.classList.add("signed-in");
  if (detached) document.body.dataset.panel = detached;
  try { await loadPicture(); } catch (e: any) { if (!current()) return; toast(e.message, true); }
  const who = ctx.who;
  cop?.map?.remove();
  app.replaceChildren(layout(who));
  mountTimeBar(document.getElementById("timebar")!, {
    pause: () => { stream?.stop(); },
    resume: () => startStream(),
    redraw: () => { renderAll(); cop?.markDirty(); },
  });
  mountPastBanner(document.getElementById("past-banner")!);
  cop = new Cop();
  setCop(cop);
  cop.onSelectIncident = (id) => select(id);
  cop.onSelectUnit = (id) => selectUnit(id);
  ctx.select = select;
  ctx.selectUnit = selectUnit;
  setWarningContext(cop, who, toast);
  setOperationsContext(who, cop, toast);
  ctx.coverage = (zones) => cop?.setCoverage(zones);
  const [agencyCodes] = await Promise.all([loadAgencies(), loadPlans()]);
  fillAgencies([...new Set([...agencyCodes, ...[...state.units.values()].map((u) => u.agency)])].sort());
  renderAll();
  if (!detached || detached === "map")
    void cop.mount($("#map")).then(() => { buildLayerToggles(); void loadWarnings(); if (document.body.classList.contains("ops")) void loadOperations(); }).catch((e) => toast("map: " + e.message, true));
  if (detached === "operations" || document.body.classList.contains("ops")) void loadOperations();
  void loadRequests();
  void loadWarnings();
  void loadChannels();
  void loadZones();
  startStream();
  if (!started) {
    started = true;
    window.setInterval(tick, 1000); // live timers; the lists themselves redraw on events
    window.setInterval(() => void loadRequests(), 15000);
  }
}

function startStream(): void {
  stream?.stop();
  stream = new Stream(badge, async () => { await loadPicture(); renderAll(); });
  (window as any).__ncc = { state, stream, cop, past }; // for the end-to-end tests and the curious
  stream.start();
}

async function loadZones(): Promise<void> {
  try {
    cop?.setZones((await api<{ items: ZoneBox[] }>("GET", "/api/v1/zones")).items);
  } catch { /* no zones */ }
}

let renderPending = false;
const touched = new Set<number>();
function renderAll(): void {
  renderQueue();
  renderBoard();
  renderAlerts();
  cop?.markDirty();
}
onPositions(() => cop?.markMoved());
onChange((ev) => {
  // The log's position checkpoints move units on the map only: no list changes for them.
  if (ev?.type === "positions_reported") return cop?.markMoved();
  if (ev) {
    const d = ev.data ?? {};
    if (ev.type === "resource_requested" || ev.type === "resource_request_answered" || ev.type === "coverage_changed") void loadRequests();
    if (ev.type === "warning_issued") void loadWarnings();
    onOperationsEvent(ev.type);
    if (onChannelEvent(ev.type)) return;
    for (const k of ["id", "incident"]) if (typeof d[k] === "number") touched.add(d[k]);
  }
  if (renderPending) return;
  renderPending = true;
  // Lists re-render at most every 100 ms, the map every 500 ms: never per event.
  window.setTimeout(() => {
    renderPending = false;
    renderAll();
    refreshIfShown(touched);
    touched.clear();
  }, 100);
});

// Selection is shared with the detached windows (and theirs with this one).
channel?.addEventListener("message", (m) => {
  if (m.data?.type === "select" && typeof m.data.id === "number") select(m.data.id, false);
  if (m.data?.type === "select-unit" && typeof m.data.id === "number") selectUnit(m.data.id, false);
});

function detach(panel: string): void {
  window.open(`/?panel=${panel}`, `ncc-${panel}`, "popup,width=1000,height=720");
}
function detachButton(panel: string): HTMLElement {
  return h("button", { class: "detach", title: `detach ${panel}`, "aria-label": `detach ${panel}`, onclick: () => detach(panel), text: "⧉" });
}

function select(id: number, announce = true): void {
  if (announce) channel?.postMessage({ type: "select", id });
  closeIntakeIfOpen();
  setSelectedIncident(id);
  if (cop) { cop.selected = id; cop.markDirty(); }
  const i = state.incidents.get(id);
  if (i?.location && cop) cop.flyTo(i.location, 14);
  if (past.active) showPastIncident(id); // the past is read-only: its own detail, no commands
  else void showIncident(id);
  renderQueue();
}
function selectUnit(id: number, announce = true): void {
  if (announce) channel?.postMessage({ type: "select-unit", id });
  const u = state.units.get(id);
  if (!u) return;
  if (u.position && cop) cop.flyTo(u.position, 15);
  const row = document.querySelector<HTMLElement>(`#board tr[data-unit="${id}"]`);
  row?.scrollIntoView({ block: "nearest" });
  row?.classList.add("flash");
  window.setTimeout(() => row?.classList.remove("flash"), 1500);
  if (past.active) { if (u.incident) showPastIncident(u.incident); return; }
  if (u.incident) void showIncident(u.incident);
  void showTrack(u);
}

// The unit's track over the last hour, and a button to follow it.
async function showTrack(u: Unit): Promise<void> {
  const box = document.getElementById("unit-box");
  if (box) {
    const follow = h("button", { id: "follow", "aria-pressed": cop?.follow === u.id ? "true" : undefined, text: `⌖ ${t("follow")} ${u.callsign}` });
    follow.onclick = () => {
      if (!cop) return;
      cop.follow = cop.follow === u.id ? null : u.id;
      if (cop.follow) follow.setAttribute("aria-pressed", "true"); else follow.removeAttribute("aria-pressed");
      cop.followTick();
    };
    const close = h("button", { "aria-label": "close", text: "×", onclick: () => { box.hidden = true; if (cop) cop.follow = null; cop?.setTrack([]); } });
    box.replaceChildren(h("b", { text: `${u.callsign} · ${u.kind} · ${t(u.status)}` }), " ", follow, " ", close);
    box.hidden = false;
  }
  try {
    const from = Date.now() - 3600_000;
    const r = await api<{ fixes: { lat: number; lon: number }[] }>("GET", `/api/v1/units/${u.id}/track?from=${from}`);
    cop?.setTrack(r.fixes.map((f) => [f.lon, f.lat]));
  } catch { cop?.setTrack([]); }
}
function closeIntakeIfOpen(): void {
  if (!document.getElementById("intake-panel")?.hidden) closeIntake();
}

function buildLayerToggles(): void {
  const box = document.getElementById("layers");
  if (!box || !cop) return;
  box.replaceChildren(h("b", { text: t("Layers") }));
  const toggle = (label: string, get: () => boolean, set: (v: boolean) => void, id: string) => {
    const cb = h("input", { type: "checkbox", id, checked: get() });
    cb.onchange = () => { set(cb.checked); cop!.applyLayerVisibility(); };
    box.append(h("label", {}, cb, " ", label));
  };
  toggle(t("incidents"), () => layers.incidents, (v) => (layers.incidents = v), "ly-incidents");
  toggle(t("units"), () => layers.units, (v) => (layers.units = v), "ly-units");
  toggle(t("clusters"), () => layers.clusters, (v) => (layers.clusters = v), "ly-clusters");
  toggle(t("zones"), () => layers.zones, (v) => (layers.zones = v), "ly-zones");
  toggle(t("coverage"), () => layers.coverage, (v) => (layers.coverage = v), "ly-coverage");
  toggle(t("move-ups"), () => layers.moveups, (v) => (layers.moveups = v), "ly-moveups");
  for (const a of [...new Set([...state.units.values()].map((u) => u.agency))].sort())
    toggle(a, () => layers.agencies[a] !== false, (v) => (layers.agencies[a] = v), "ly-agency-" + a);
  box.append(h("small", { class: "muted", text: cop.basemap ? "basemap" : "no basemap: plain background" }));
}

function layout(who: WhoAmI | null): HTMLElement {
  const cmdBar = h("div", { class: "cmdbar", role: "search" });
  cmd = mountCommandLine(cmdBar);
  const queue = h("section", { id: "queue-panel", class: "panel", "aria-label": t("Incidents") });
  mountQueue(queue);
  queue.querySelector(".panel-head")?.append(detachButton("queue"));
  const board = h("section", { id: "board-panel", class: "panel", "aria-label": t("Units") });
  mountBoard(board);
  board.querySelector(".panel-head")?.append(detachButton("board"));
  const alerts = h("section", { id: "alerts-panel", class: "panel", "aria-label": t("Alerts") });
  mountAlerts(alerts);
  mountWarnings(alerts.querySelector(".scroll") ?? alerts, who);
  mountChannels(alerts.querySelector(".scroll") ?? alerts, who, toast);
  alerts.querySelector(".panel-head")?.append(detachButton("alerts"));
  const ops = h("section", { id: "ops-panel", class: "panel", "aria-label": t("Operations") });
  mountOperations(ops);
  ops.querySelector(".panel-head")?.append(detachButton("operations"));
  const opsToggle = can(who, "plan.read") ? h("button", { id: "ops-toggle", "aria-pressed": "false", onclick: () => toggleOperations(), text: `${t("Operations")} (Alt+6)` }) : null;
  const roles = (who?.roles ?? []).join(", ");
  const newCall = can(who, "incident.create") ? h("button", { id: "new-call", class: "primary", onclick: () => openIntake(), text: `${t("New call")} (F3)` }) : null;
  return h("div", { class: "shell" },
    h("header", { class: "top" },
      h("h1", { text: "ncc" }),
      h("span", { id: "live", class: "badge stale", role: "status", "aria-live": "polite", text: t("reconnecting") }),
      newCall,
      opsToggle,
      h("span", { class: "spacer" }),
      h("span", { id: "whoami", class: "who", text: `${who?.user ?? ""} · ${roles} · ${who?.clearance ?? ""}` }),
      langSwitch(),
      h("button", { id: "signout", onclick: () => void logout(), text: t("Sign out") })),
    cmdBar,
    h("div", { id: "timebar", class: "timebar", role: "group", "aria-label": t("Time travel") }),
    h("div", { id: "past-banner", class: "past-banner", role: "status", "aria-live": "polite" }),
    h("main", { class: "work" },
      queue,
      h("section", { class: "mapwrap", "aria-label": "map" }, h("div", { id: "map", class: "map" }), h("div", { id: "layers", class: "layers" }), h("div", { id: "unit-box", class: "unit-box", hidden: true }), h("div", { class: "map-detach" }, detachButton("map"))),
      h("aside", { class: "side panel", tabindex: 0, "aria-label": t("Detail") },
        h("div", { id: "detail" }, h("p", { class: "muted", text: HELP })),
        h("div", { id: "intake-panel", hidden: true })),
      board, ops, alerts),
    h("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" }),
    h("footer", { class: "foot", text: agenciesOf(who).join(" · ") }));
}

// ---------- Hotkeys ----------
document.addEventListener("keydown", (e) => {
  if (!current() || !cmd) return;
  const k = e.key;
  if (k === "F2" || ((e.ctrlKey || e.metaKey) && k.toLowerCase() === "k")) { e.preventDefault(); cmd.focus(); cmd.select(); }
  else if (e.altKey && k.toLowerCase() === "t") { e.preventDefault(); document.getElementById("time-slider")?.focus(); }
  else if (past.active && (k === "F3" || k === "F4")) { e.preventDefault(); } // read-only past
  else if (k === "F3") { e.preventDefault(); openIntake(); }
  else if (k === "F4") { e.preventDefault(); const id = currentIncident(); if (id) cmd.value = `D  ${id}`, cmd.focus(), cmd.setSelectionRange(2, 2); }
  else if (k === "Escape") { closeIntakeIfOpen(); cmd.focus(); }
  else if (e.altKey && k === "6") { e.preventDefault(); if (can(ctx.who, "plan.read")) toggleOperations(true); }
  else if (e.altKey && /^[1-5]$/.test(k)) {
    e.preventDefault();
    const target = ["#queue tbody tr", "#map canvas", "#detail", "#board tbody tr", "#alerts-panel"][Number(k) - 1];
    const el = document.querySelector<HTMLElement>(target);
    if (el) { if (!el.hasAttribute("tabindex") && el.tagName !== "CANVAS") el.tabIndex = -1; el.focus(); }
  }
});

if (resume()) void start(); else showLogin();
// A renewed token: a fresh socket with it, resuming after the last event (nothing lost).
onRenewed(() => stream?.reconnect());
