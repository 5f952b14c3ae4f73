// Incident detail (timeline, units, recommendation, status, share, classify, notes, messages)
// and call intake (type, priority, location by address search / map / coordinates, duplicates).
import { h, clear } from "./dom";
import { t, fmtTime, fmtNum } from "./i18n";
import { state, OPEN, type Incident } from "./state";
import { api, write, can, agenciesOf } from "./session";
import { ctx } from "./panels";
import { PLANS } from "./plans";
import { UNIT_STATUS_COLOURS, type Cop } from "./map";

export let cop: Cop;
export function setCop(c: Cop): void { cop = c; }

const NEXT: Record<string, string[]> = {
  new: ["triaged", "dispatched", "cancelled", "merged"], triaged: ["dispatched", "cancelled", "merged"],
  dispatched: ["en_route", "on_scene", "resolved", "cancelled"], en_route: ["on_scene", "resolved", "cancelled"],
  on_scene: ["resolved"], resolved: ["closed"], closed: [], cancelled: [], merged: [],
};

let current: number | null = null;
let lastRec: any = null;
let agencies: string[] = [];
export function currentIncident(): number | null { return current; }

export async function loadAgencies(): Promise<string[]> {
  try { agencies = (await api<{ items: { code: string }[] }>("GET", "/api/v1/agencies")).items.map((a) => a.code); } catch { agencies = []; }
  return agencies;
}

function section(title: string, ...children: (Node | null)[]): HTMLElement {
  return h("section", { class: "box" }, h("h3", { text: title }), ...children);
}

export async function showIncident(id: number, opts: { rec?: any } = {}): Promise<void> {
  current = id;
  state.unread.delete(id);
  state.seen.add(id);
  const root = document.getElementById("detail")!;
  let inc: any;
  try { inc = await api("GET", `/api/v1/incidents/${id}`); } catch (e: any) {
    clear(root);
    root.append(h("p", { class: "error", text: `#${id}: ${e.message}` }));
    return;
  }
  if (current !== id) return;
  const known = state.incidents.get(id);
  if (known) Object.assign(known, { status: inc.status, priority: inc.priority, classification: inc.classification, assignments: inc.assignments });
  else state.incidents.set(id, inc);
  if (opts.rec) lastRec = opts.rec;
  else if (lastRec?.incident !== id) lastRec = null;
  let messages: any[] = [];
  try { messages = (await api<{ items: any[] }>("GET", `/api/v1/incidents/${id}/messages`)).items; } catch { /* none visible */ }
  if (current !== id) return;
  render(root, inc, messages);
  void drawRoutes(inc);
}

export function refreshIfShown(ids: Set<number>): void {
  if (current !== null && ids.has(current)) void showIncident(current);
}

function render(root: HTMLElement, inc: any, messages: any[]): void {
  const who = ctx.who;
  const id = inc.id as number;
  const owner = inc.agency as string;
  clear(root);
  root.append(h("header", { class: "panel-head" },
    h("h2", { id: "detail-title", text: `#${id} ${inc.type}` }),
    h("span", { class: "status s-" + inc.status, id: "detail-status", text: t(inc.status) }),
    h("span", { class: "prio-label", text: `P${inc.priority}` }),
    h("span", { class: "cls", text: inc.classification ?? "" })));
  root.append(h("p", { class: "addr", text: [inc.address, inc.landmark].filter(Boolean).join(" · ") || `${inc.location.lat}, ${inc.location.lon}` }));
  if (inc.summary) root.append(h("p", { class: "summary", text: inc.summary }));
  root.append(h("p", { class: "meta", text: [owner, fmtTime(inc.created), (inc.shared_with ?? []).length ? "shared: " + inc.shared_with.join(", ") : "",
    (inc.zones ?? []).length ? "zones: " + inc.zones.join(", ") : "", inc.split_from ? `split from #${inc.split_from}` : ""].filter(Boolean).join(" · ") }));
  // Time-target escalations of this incident.
  if ((inc.escalations ?? []).length) {
    const esc = h("ul", { class: "list", id: "escalations" });
    for (const e of inc.escalations) esc.append(h("li", { class: "alert k-sla" }, h("span", { text: typeof e === "string" ? e : `${e.step ?? ""} ${e.due ? "due " + fmtTime(e.due) : ""} ${e.target_s ? "(" + e.target_s + " s)" : ""}` })));
    root.append(section("SLA", esc));
  }
  // Alarms and calls attached; a wrong merge is split off into a new incident.
  if ((inc.sources ?? []).length) {
    const chosen = new Set<string>();
    const list = h("ul", { class: "list", id: "sources" });
    for (const src of inc.sources) {
      const sid = String(src.id ?? src.source ?? src);
      const cb = h("input", { type: "checkbox", "aria-label": `split ${sid}` });
      cb.onchange = () => (cb.checked ? chosen.add(sid) : chosen.delete(sid));
      list.append(h("li", {}, can(who, "incident.split", owner) ? cb : null, " ",
        h("span", { text: `${src.kind ?? ""} ${sid} ${src.time ? fmtTime(src.time) : ""} ${src.details ?? src.plate ?? ""}` })));
    }
    const parts: (Node | null)[] = [list];
    if (can(who, "incident.split", owner) && inc.sources.length > 1)
      parts.push(h("button", { id: "split", onclick: async () => {
        if (!chosen.size) return;
        try { const r = await write("POST", `/api/v1/incidents/${id}/split`, { sources: [...chosen] }); ctx.toast(`split → #${r.id}`); ctx.select(r.id); } catch (e: any) { ctx.toast(e.message, true); }
      }, text: t("Split") }));
    root.append(section(t("Alarms and calls"), ...parts));
  }

  // Actions
  const actions = h("div", { class: "actions" });
  if (can(who, "incident.update_status", owner)) {
    const sel = h("select", { id: "inc-status", "aria-label": t("Status") }, h("option", { value: "", text: `${t("Status")}…` }),
      ...(NEXT[inc.status] ?? []).map((s) => h("option", { value: s, text: t(s) })));
    sel.onchange = async () => {
      if (!sel.value) return;
      try { await write("POST", `/api/v1/incidents/${id}/status`, { status: sel.value }); ctx.toast(`#${id} → ${sel.value}`); void showIncident(id); } catch (e: any) { ctx.toast(e.message, true); }
    };
    actions.append(sel);
  }
  if (can(who, "incident.update_status", owner)) {
    const share = h("select", { id: "inc-share", "aria-label": t("Share with") }, h("option", { value: "", text: `${t("Share with")}…` }),
      ...agencies.filter((a) => a !== owner).map((a) => h("option", { value: a, text: a })));
    share.onchange = async () => {
      if (!share.value) return;
      try { await write("POST", `/api/v1/incidents/${id}/shares`, { agency: share.value }); ctx.toast(`#${id} shared with ${share.value}`); } catch (e: any) { ctx.toast(e.message, true); }
      share.value = "";
    };
    actions.append(share);
  }
  if (can(who, "record.classify", owner)) {
    const cls = h("select", { id: "inc-classify", "aria-label": t("Classify") }, h("option", { value: "", text: `${t("Classify")}…` }),
      ...["public", "restricted", "confidential", "secret"].filter((c) => c !== inc.classification).map((c) => h("option", { value: c, text: c })));
    cls.onchange = async () => {
      if (!cls.value) return;
      try { await write("POST", `/api/v1/incidents/${id}/classification`, { classification: cls.value }); void showIncident(id); } catch (e: any) { ctx.toast(e.message, true); }
    };
    actions.append(cls);
  }
  root.append(actions);

  // Assigned units
  const units = h("ul", { class: "list", id: "assigned" });
  for (const a of inc.assignments ?? []) {
    const u = a.unit ? state.units.get(a.unit) : null;
    units.append(h("li", { class: a.cleared ? "cleared" : "", "data-unit": a.unit ?? "" },
      h("b", { text: u?.callsign ?? (a.unit ? `#${a.unit}` : "withheld") }), " ",
      h("span", { class: "ustatus", style: `--c:${a.cleared ? "#888" : UNIT_STATUS_COLOURS[u?.status ?? ""] ?? "#888"}`, text: t(a.cleared ? "cleared" : u?.status ?? "") }), " ",
      h("small", { text: fmtTime(a.assigned) }), " ", h("span", { class: "eta" })));
  }
  root.append(section(t("Assigned units"), units));

  // Recommendation
  const rec = h("div", { id: "rec" });
  if (can(who, "incident.assign")) {
    rec.append(h("button", { id: "rec-make", onclick: () => void recommend(id), text: t("Recommend") }));
    if (lastRec && lastRec.incident === id) rec.append(renderRec(lastRec));
    else rec.append(h("p", { class: "muted", text: t("no recommendation yet") }));
  }
  root.append(section(t("Recommendation"), rec));

  // Notes and messages
  if (can(who, "incident.note")) {
    const note = h("input", { id: "note-text", placeholder: t("Add note"), "aria-label": t("Add note"), maxlength: 4000 });
    const form = h("form", { class: "inline" }, note, h("button", { text: t("Add note") }));
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (!note.value.trim()) return;
      try { await write("POST", `/api/v1/incidents/${id}/notes`, { text: note.value }); note.value = ""; void showIncident(id); } catch (err: any) { ctx.toast(err.message, true); }
    };
    root.append(form);
  }
  const msgs = h("ul", { class: "list", id: "messages" });
  for (const m of messages) msgs.append(h("li", {}, h("span", { class: "cls", text: m.classification }), " ", h("b", { text: m.author }), ` (${m.agency}) `, h("span", { text: m.text })));
  const msgForm = h("form", { class: "inline" });
  if (can(who, "incident.note")) {
    const text = h("input", { id: "msg-text", placeholder: t("Messages"), "aria-label": t("Messages"), maxlength: 4000 });
    msgForm.append(text, h("button", { text: t("Send") }));
    msgForm.onsubmit = async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      try { await write("POST", `/api/v1/incidents/${id}/messages`, { text: text.value }); text.value = ""; void showIncident(id); } catch (err: any) { ctx.toast(err.message, true); }
    };
  }
  root.append(section(t("Messages"), msgs, msgForm));

  // Timeline
  const tl = h("ol", { class: "timeline", id: "timeline", tabindex: 0 });
  for (const e of [...(inc.timeline ?? [])].reverse()) tl.append(h("li", {}, h("time", { text: fmtTime(e.time) }), " ", h("b", { text: e.actor }), " ", h("span", { text: e.text || e.kind })));
  root.append(section(t("Timeline"), tl));
}

export async function recommend(id: number): Promise<any> {
  try {
    const rec = await write("POST", `/api/v1/incidents/${id}/recommendation`, {});
    lastRec = rec;
    if (current === id) await showIncident(id, { rec });
    return rec;
  } catch (e: any) { ctx.toast(`#${id}: ${e.message}`, true); return null; }
}

function renderRec(rec: any): HTMLElement {
  const box = h("div", { class: "rec" });
  box.append(h("p", { class: "muted", text: `${rec.plan_name ?? rec.plan} · ${rec.travel}${rec.note ? " · " + rec.note : ""}` }));
  const omit = new Set<number>();
  const replace: Record<string, number> = {};
  const table = h("table", { class: "grid", id: "rec-units" }, h("thead", {}, h("tr", {},
    h("th", { text: "#" }), h("th", { text: t("Callsign") }), h("th", { text: t("Kind") }), h("th", { text: "ETA" }), h("th", { text: "" }), h("th", { text: t("replace") }), h("th", { text: t("omit") }))));
  const tb = h("tbody");
  for (const u of rec.units ?? []) {
    const alternatives = [...state.units.values()].filter((x) => x.status === "available" && x.kind === u.kind && x.id !== u.unit && !(rec.units ?? []).some((r: any) => r.unit === x.id)).slice(0, 20);
    const rep = h("select", { "aria-label": `${t("replace")} ${u.callsign}` }, h("option", { value: "", text: "—" }), ...alternatives.map((x) => h("option", { value: x.id, text: x.callsign })));
    rep.onchange = () => { if (rep.value) replace[String(u.unit)] = Number(rep.value); else delete replace[String(u.unit)]; };
    const om = h("input", { type: "checkbox", "aria-label": `${t("omit")} ${u.callsign}` });
    om.onchange = () => (om.checked ? omit.add(u.unit) : omit.delete(u.unit));
    tb.append(h("tr", { "data-unit": u.unit },
      h("td", { text: u.rank }), h("td", { text: u.callsign }), h("td", { text: `${u.kind}${u.substitute ? " (sub)" : ""}` }),
      h("td", { text: u.eta_s != null ? `${fmtNum(Math.round(u.eta_s / 60))} min` : "" }),
      h("td", { class: "reason", text: u.reason ?? "" }), h("td", {}, rep), h("td", {}, om)));
  }
  table.append(tb);
  box.append(table);
  if ((rec.missing ?? []).length) box.append(h("p", { class: "warn", text: "missing: " + rec.missing.map((m: any) => (typeof m === "string" ? m : `${m.count ?? ""} ${m.capability ?? m.need ?? JSON.stringify(m)}`)).join(", ") }));
  if ((rec.passed ?? []).length) {
    const d = h("details", {}, h("summary", { text: `passed over: ${rec.passed.length}` }));
    for (const p of rec.passed.slice(0, 20)) d.append(h("div", { class: "muted", text: `${p.callsign ?? p.unit}: ${p.reason ?? ""}` }));
    box.append(d);
  }
  if ((rec.units ?? []).length) {
    box.append(h("button", { id: "rec-accept", class: "primary", onclick: async () => {
      const body: any = {};
      if (omit.size) body.omit = [...omit];
      if (Object.keys(replace).length) body.replace = replace;
      try {
        const r = await write("POST", `/api/v1/incidents/${rec.incident}/recommendation/accept`, body);
        ctx.toast(`#${rec.incident}: ${r.assigned.length} assigned`);
        lastRec = null;
        void showIncident(rec.incident);
      } catch (e: any) { ctx.toast(e.message, true); }
    }, text: t("Accept") }));
  }
  return box;
}

async function drawRoutes(inc: any): Promise<void> {
  const lines: GeoJSON.Feature[] = [];
  for (const a of inc.assignments ?? []) {
    const u = a.unit ? state.units.get(a.unit) : null;
    if (!u?.position || a.cleared || (u.status !== "dispatched" && u.status !== "en_route")) continue;
    try {
      const r = await api("GET", `/api/v1/route?from=${u.position.lat},${u.position.lon}&to=${inc.location.lat},${inc.location.lon}`);
      if (r.geometry) lines.push({ type: "Feature", geometry: r.geometry, properties: { unit: u.callsign, eta: r.seconds } });
      const cell = document.querySelector(`#assigned li[data-unit="${u.id}"] .eta`);
      if (cell && current === inc.id) cell.textContent = `ETA ${fmtNum(Math.max(1, Math.round(r.seconds / 60)))} min · ${fmtNum(r.meters / 1000, 1)} km`;
    } catch { /* no graph: no line */ }
  }
  if (current === inc.id) cop?.setRoutes(lines);
}

// ---------- Call intake ----------
let picked: { lat: number; lon: number; label?: string } | null = null;

export function mountIntake(root: HTMLElement): void {
  const list = h("datalist", { id: "types" });
  const types = new Map<string, string>();
  for (const p of PLANS) if (p.type !== "default") types.set(p.type, p.name);
  for (const ty of state.typesSeen) if (!types.has(ty)) types.set(ty, ty);
  for (const [ty, name] of types) list.append(h("option", { value: ty, label: name }));
  const type = h("input", { id: "in-type", list: "types", required: true, placeholder: "fire.structure", autocomplete: "off" });
  const prio = h("select", { id: "in-priority" }, ...[1, 2, 3, 4, 5].map((p) => h("option", { value: p, text: String(p), selected: p === 2 })));
  const agency = h("select", { id: "in-agency" }, ...agenciesOf(ctx.who).filter((a) => can(ctx.who, "incident.create", a)).map((a) => h("option", { value: a, text: a, selected: a === ctx.who?.agency })));
  const addr = h("input", { id: "in-address", type: "search", placeholder: "UNION ST/BUCHANAN ST", autocomplete: "off", "aria-controls": "in-matches" });
  const matches = h("ul", { id: "in-matches", class: "matches", role: "listbox", "aria-label": t("Address or place") });
  const coords = h("input", { id: "in-coords", placeholder: "37.79,-122.43", "aria-label": "lat,lon" });
  const pickBtn = h("button", { type: "button", id: "in-pick", text: "⌖ " + t("Click the map to place the call") });
  const notes = h("textarea", { id: "in-notes", rows: 3, maxlength: 2000 });
  const dup = h("div", { id: "in-duplicate", class: "warn", hidden: true, role: "status" });
  const err = h("p", { id: "in-error", class: "error", role: "alert" });
  const form = h("form", { id: "intake", class: "stack" },
    h("label", {}, t("Type"), type), list,
    h("div", { class: "row" }, h("label", {}, t("Priority"), prio), h("label", {}, t("Agency"), agency)),
    h("label", {}, t("Address or place"), addr), matches,
    h("div", { class: "row" }, h("label", {}, "lat,lon", coords), pickBtn),
    dup,
    h("label", {}, t("Notes"), notes),
    h("div", { class: "row" }, h("button", { class: "primary", id: "in-create", text: t("Create") }), h("button", { type: "button", id: "in-cancel", text: t("Cancel"), onclick: () => closeIntake() })),
    err);
  root.append(h("header", { class: "panel-head" }, h("h2", { text: t("New call") })), form);

  let timer: number | undefined;
  let seq = 0;
  addr.oninput = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const q = addr.value.trim();
      const mine = ++seq;
      if (q.length < 3) { clear(matches); return; }
      const c = cop?.center();
      try {
        const r = await api<{ matches: any[] }>("GET", `/api/v1/geocode?q=${encodeURIComponent(q)}&limit=8${c ? `&near=${c.lat.toFixed(5)},${c.lon.toFixed(5)}` : ""}`);
        if (mine !== seq) return;
        clear(matches);
        r.matches.forEach((m, k) => {
          const li = h("li", { role: "option", tabindex: 0, "data-k": k, text: `${m.label}${m.what ? " · " + m.what : ""}` });
          const choose = () => { setLocation({ lat: m.lat, lon: m.lon, label: m.label }); addr.value = m.label; clear(matches); };
          li.onclick = choose;
          li.onkeydown = (e) => { if (e.key === "Enter") { e.preventDefault(); choose(); } };
          matches.append(li);
        });
        if (!r.matches.length) matches.append(h("li", { class: "muted", text: "—" }));
      } catch (e: any) { if (mine === seq) { clear(matches); matches.append(h("li", { class: "error", text: e.message })); } }
    }, 200);
  };
  addr.onkeydown = (e) => {
    if (e.key === "ArrowDown" || (e.key === "Enter" && matches.firstElementChild)) {
      const first = matches.querySelector<HTMLElement>("li[role=option]");
      if (first) { e.preventDefault(); if (e.key === "Enter") first.click(); else first.focus(); }
    }
  };
  matches.onkeydown = (e) => {
    const el = document.activeElement as HTMLElement;
    if (e.key === "ArrowDown") { (el.nextElementSibling as HTMLElement | null)?.focus(); e.preventDefault(); }
    if (e.key === "ArrowUp") { ((el.previousElementSibling as HTMLElement | null) ?? addr).focus(); e.preventDefault(); }
  };
  coords.onchange = () => {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(coords.value);
    if (m) setLocation({ lat: Number(m[1]), lon: Number(m[2]) });
  };
  pickBtn.onclick = () => cop?.pick((p) => setLocation(p));
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    if (!picked) { err.textContent = t("Location") + "?"; addr.focus(); return; }
    const body: any = { type: type.value.trim(), priority: Number(prio.value), location: { lat: picked.lat, lon: picked.lon } };
    if (picked.label || addr.value.trim()) body.address = (picked.label || addr.value.trim()).slice(0, 256);
    if (notes.value.trim()) body.summary = notes.value.trim();
    if (agency.value) body.agency = agency.value;
    try {
      const r = await write<{ id: number }>("POST", "/api/v1/incidents", body);
      ctx.toast(`#${r.id} ${t("Create")}`);
      closeIntake();
      ctx.select(r.id);
      if (can(ctx.who, "incident.assign", body.agency)) await recommend(r.id);
    } catch (e: any) { err.textContent = `${e.field ? e.field + ": " : ""}${e.message}`; }
  };
}

function setLocation(p: { lat: number; lon: number; label?: string }): void {
  picked = p;
  (document.getElementById("in-coords") as HTMLInputElement).value = `${p.lat.toFixed(6)},${p.lon.toFixed(6)}`;
  cop?.showPick(p);
  cop?.flyTo(p, 15);
  // Possible duplicate: an open incident within 250 m.
  const dup = document.getElementById("in-duplicate")!;
  clear(dup);
  const near = [...state.incidents.values()].filter((i) => OPEN.has(i.status) && i.location)
    .map((i) => ({ i, m: meters(p, i.location) })).filter((x) => x.m < 250).sort((a, b) => a.m - b.m).slice(0, 3);
  dup.hidden = near.length === 0;
  if (near.length) {
    dup.append(h("b", { text: t("Possible duplicate") + ": " }));
    for (const { i, m } of near) dup.append(h("button", { type: "button", class: "link", onclick: () => { closeIntake(); ctx.select(i.id); }, text: `#${i.id} ${i.type} ${i.address ?? ""} (${fmtNum(Math.round(m))} m)` }), " ");
  }
}

function meters(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = 6371000, rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
  const x = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(x));
}

export function openIntake(address?: string): void {
  const root = document.getElementById("intake-panel")!;
  clear(root);
  picked = null;
  cop?.showPick(null);
  mountIntake(root);
  root.hidden = false;
  document.getElementById("detail")!.hidden = true;
  const addr = document.getElementById("in-address") as HTMLInputElement;
  if (address) { addr.value = address; addr.dispatchEvent(new Event("input")); }
  (document.getElementById("in-type") as HTMLInputElement).focus();
}
export function closeIntake(): void {
  const root = document.getElementById("intake-panel")!;
  root.hidden = true;
  clear(root);
  cop?.showPick(null);
  document.getElementById("detail")!.hidden = false;
}
export type { Incident };
