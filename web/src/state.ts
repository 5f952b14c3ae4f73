// The picture: incidents and units as the API shows them, kept current by the event stream.
export interface LatLon { lat: number; lon: number }
export interface Assignment { unit: number | null; assigned?: string; cleared?: string | null; [k: string]: unknown }
export interface Incident {
  id: number; type: string; priority: number; location: LatLon; address?: string; landmark?: string; summary?: string;
  agency: string; classification?: string; status: string; created?: string; updated?: string;
  assignments?: Assignment[]; recommended?: number[]; last_seq?: number; zones?: string[];
}
export interface Unit {
  id: number; callsign: string; agency: string; kind: string; status: string; incident?: number | null;
  position?: LatLon | null; position_time?: string | null; speed?: number; heading?: number; station?: string;
  capabilities?: string[]; stale?: boolean; status_since?: number;
}
export interface NccEvent { seq: number; time: string; type: string; actor: string; agency: string; classification?: string; data: any }
export interface Alert { key: string; seq: number; time: string; kind: string; text: string; incident?: number; unit?: number; request?: number; acked?: boolean; cap?: CapReceived }
// A partner's CAP alert as the server recorded it (docs/exchange.md, "CAP import"): an Alert
// becomes an alarm of source "cap" (alarm_received, details "<event>: <headline> (<areaDesc>)
// [signature]"), whose priority came from the severity through the import rules; an Update or a
// Cancel becomes a note on its incident ("CAP Update <id> from <sender>: ... (<severity>,
// <urgency>) [signature]") or cancels it.
export interface CapReceived { msgType: string; sender: string; identifier: string; event: string; headline: string; area: string; severity: string; priority?: number; signature: string; opened?: boolean }

export const OPEN = new Set(["new", "triaged", "dispatched", "en_route", "on_scene"]);
export const UNIT_STATUSES = ["available", "dispatched", "en_route", "on_scene", "transporting", "at_hospital", "out_of_service"];
export const INCIDENT_STATUSES = ["new", "triaged", "dispatched", "en_route", "on_scene", "resolved", "closed", "cancelled"];

export const state = {
  incidents: new Map<number, Incident>(),
  units: new Map<number, Unit>(),
  alerts: [] as Alert[],
  unread: new Set<number>(),
  seen: new Set<number>(), // incidents whose detail was opened
  head: 0,
  typesSeen: new Set<string>(),
  eventsApplied: 0,
  applied: [] as number[], // the seqs applied, in order (bounded): no event lost or doubled
};

type Fn = (ev: NccEvent | null) => void;
const listeners: Fn[] = [];
export function onChange(fn: Fn): void {
  listeners.push(fn);
}
export function changed(ev: NccEvent | null): void {
  for (const f of listeners) f(ev);
}

// Live positions from the stream (?positions=1): the newest durable fix of each unit that moved,
// at most every 50 ms. Not events (no seq): they move units on the map between the log's
// checkpoints, and only the map redraws for them.
export interface LiveFix { unit: number; lat: number; lon: number; time: string; speed: number; heading: number }
const positionListeners: (() => void)[] = [];
export function onPositions(f: () => void): void {
  positionListeners.push(f);
}
export function applyLivePositions(items: LiveFix[]): void {
  for (const f of items) {
    const u = state.units.get(f.unit);
    if (!u) continue;
    if (u.position_time && Date.parse(u.position_time) > Date.parse(f.time)) continue;
    u.position = { lat: f.lat, lon: f.lon };
    u.position_time = f.time;
    u.speed = f.speed;
    u.heading = f.heading;
    u.stale = false;
  }
  for (const f of positionListeners) f();
}

export function resetPicture(incidents: Incident[], units: Unit[], head: number): void {
  const before = new Map(state.units);
  state.incidents.clear();
  state.units.clear();
  for (const i of incidents) {
    state.incidents.set(i.id, i);
    state.typesSeen.add(i.type);
  }
  // Time in status: from the status events seen here, else the unit's last change (`updated`).
  for (const u of units) state.units.set(u.id, { ...u, status_since: before.get(u.id)?.status_since ?? (Date.parse((u as any).updated ?? "") || undefined) });
  state.head = head;
  changed(null);
}

function pushAlert(ev: NccEvent, kind: string, text: string, extra: Partial<Alert> = {}): void {
  state.alerts.unshift({ key: `${ev.seq}`, seq: ev.seq, time: ev.time, kind, text, ...extra });
  if (state.alerts.length > 300) state.alerts.length = 300;
}

// "<event>: <headline> (<area>) [<signature>]" → its parts (the area is the last parenthesis).
function splitCapDetails(details: string): { event: string; headline: string; area: string; signature: string } {
  let rest = details, signature = "", area = "";
  const seal = rest.match(/ \[([^\]]*)\]$/);
  if (seal) { signature = seal[1]; rest = rest.slice(0, seal.index); }
  if (rest.endsWith(")")) {
    // The parenthesis that closes at the end, matched (an area may hold parentheses of its own).
    let depth = 0, open = -1;
    for (let k = rest.length - 1; k >= 0 && open < 0; k--) {
      if (rest[k] === ")") depth++;
      else if (rest[k] === "(" && --depth === 0) open = k;
    }
    if (open > 0 && rest[open - 1] === " ") { area = rest.slice(open + 1, -1); rest = rest.slice(0, open - 1); }
  }
  const colon = rest.indexOf(": ");
  return { event: colon >= 0 ? rest.slice(0, colon) : rest, headline: colon >= 0 ? rest.slice(colon + 2) : "", area, signature };
}
export function capOfAlarm(src: any): CapReceived | null {
  if (src?.source !== "cap" || typeof src.id !== "string") return null;
  const sender = String(src.sensor ?? "");
  const id = src.id.startsWith(`cap:${sender}/`) ? src.id.slice(sender.length + 5) : src.id;
  const parts = splitCapDetails(String(src.details ?? ""));
  return { msgType: "Alert", sender, identifier: id, ...parts, severity: "", priority: src.priority || undefined };
}
// "CAP Update <identifier> from <sender>: <what> - <event>: <headline> (<severity>, <urgency>) [<signature>]"
export function capOfNote(text: string): CapReceived | null {
  const m = /^CAP (Update|Cancel) (\S+) from (\S+): (.*)$/s.exec(text);
  if (!m) return null;
  let rest = m[4], signature = "", severity = "";
  const seal = rest.match(/ \[([^\]]*)\]$/);
  if (seal) { signature = seal[1]; rest = rest.slice(0, seal.index); }
  const sev = rest.match(/ \(([^,()]*), [^()]*\)$/);
  if (sev) { severity = sev[1]; rest = rest.slice(0, sev.index); }
  const dash = rest.indexOf(" - ");
  const what = dash >= 0 ? rest.slice(0, dash) : rest;
  const body = dash >= 0 ? rest.slice(dash + 3) : "";
  const colon = body.indexOf(": ");
  return { msgType: m[1], identifier: m[2], sender: m[3], event: colon >= 0 ? body.slice(0, colon) : body,
    headline: (colon >= 0 ? body.slice(colon + 2) : "") || what, area: "", severity, signature };
}

const callsign = (id: number) => state.units.get(id)?.callsign ?? `#${id}`;

// Applies one event; false when it was seen already (a resumed stream never doubles an event).
export function apply(ev: NccEvent): boolean {
  if (ev.seq <= state.head) return false;
  state.head = ev.seq;
  state.eventsApplied++;
  state.applied.push(ev.seq);
  if (state.applied.length > 20000) state.applied.splice(0, 10000);
  const d = ev.data ?? {};
  const at = Date.parse(ev.time) || Date.now();
  switch (ev.type) {
    case "incident_created": {
      state.incidents.set(d.id, { ...d, status: "new", agency: ev.agency, classification: ev.classification, created: ev.time, updated: ev.time, assignments: [] });
      state.typesSeen.add(d.type);
      if (!state.seen.has(d.id)) state.unread.add(d.id);
      break;
    }
    case "incident_status_changed": {
      const i = state.incidents.get(d.id);
      if (i) { i.status = d.to; i.updated = ev.time; }
      break;
    }
    case "incident_priority_changed": {
      const i = state.incidents.get(d.id);
      if (i) i.priority = d.to;
      break;
    }
    case "incident_reclassified": {
      const i = state.incidents.get(d.id);
      if (i) i.classification = d.classification;
      break;
    }
    case "incident_note_added":
    case "message_posted": {
      const id = d.incident ?? d.id;
      if (state.incidents.has(id) && !state.seen.has(id)) state.unread.add(id);
      const cap = ev.type === "incident_note_added" && typeof d.text === "string" ? capOfNote(d.text) : null;
      if (cap) pushAlert(ev, "cap", `CAP ${cap.msgType} ${cap.sender}: ${cap.event}`, { incident: id, cap });
      break;
    }
    case "unit_registered":
      state.units.set(d.id, { ...d, status: "available", agency: ev.agency, status_since: at });
      break;
    case "unit_status_changed": {
      const u = state.units.get(d.id);
      if (u) {
        u.status = d.to;
        u.status_since = at;
        if (d.to === "available" || d.to === "out_of_service") u.incident = null;
        if (u.status === "available" && d.incident) {
          const i = state.incidents.get(d.incident);
          const a = i?.assignments?.find((x) => x.unit === u.id && !x.cleared);
          if (a) a.cleared = ev.time;
        }
      }
      break;
    }
    case "unit_assigned": {
      const u = state.units.get(d.unit);
      if (u) u.incident = d.incident;
      const i = state.incidents.get(d.incident);
      if (i) {
        i.assignments ||= [];
        if (!i.assignments.some((a) => a.unit === d.unit && !a.cleared)) i.assignments.push({ unit: d.unit, assigned: ev.time, cleared: null });
      }
      break;
    }
    case "positions_reported":
      for (const f of d.fixes ?? []) {
        const u = state.units.get(f.unit);
        if (u) {
          u.position = f.position;
          u.position_time = f.time;
          u.heading = f.heading;
          u.speed = f.speed;
          u.stale = false;
        }
      }
      break;
    case "unit_stale": {
      const u = state.units.get(d.unit);
      if (u) u.stale = !!d.stale;
      if (d.stale) pushAlert(ev, "stale", `${callsign(d.unit)} no fix`, { unit: d.unit });
      break;
    }
    case "recommendation_made": {
      const i = state.incidents.get(d.incident);
      if (i) i.recommended = (d.units ?? []).map((x: any) => x.unit);
      break;
    }
    case "sla_escalated":
      pushAlert(ev, "sla", `#${d.incident} ${d.step} overdue (${d.target_s}s)`, { incident: d.incident });
      break;
    case "resource_requested":
      pushAlert(ev, "request", `#${d.incident}: ${ev.agency} asks ${d.to_agency} for ${d.count} ${d.kind} — ${d.reason}`, { incident: d.incident, request: d.id });
      break;
    case "resource_request_answered":
      for (const a of state.alerts) if (a.request === d.id) a.acked = true;
      pushAlert(ev, "request", `request ${d.id} ${d.accepted ? "accepted" : "declined"}`, { request: d.id, acked: true });
      break;
    case "restricted_zone_alert":
      pushAlert(ev, "zone", `${callsign(d.unit)} in restricted zone ${d.zone_name ?? d.zone}`, { unit: d.unit });
      break;
    case "zone_entered":
    case "zone_exited":
      pushAlert(ev, "zone", `${callsign(d.unit)} ${ev.type === "zone_entered" ? "entered" : "left"} ${d.zone_name ?? d.zone}`, { unit: d.unit, acked: true });
      break;
    case "alarm_received": {
      const src = d.alarm ?? {};
      const cap = capOfAlarm(src);
      if (cap) {
        cap.opened = !!d.opened;
        pushAlert(ev, "cap", `CAP ${cap.sender}: ${cap.event}`, { incident: d.incident, cap });
        break;
      }
      pushAlert(ev, "alarm", `${src.kind ?? "alarm"} ${src.id ?? ""} → #${d.incident}${d.opened ? " (new)" : " (merged)"}`, { incident: d.incident });
      break;
    }
    case "coverage_changed":
      if (d.below) pushAlert(ev, "coverage", `coverage ${d.zone} ${Math.round(d.fraction * 100)}% < ${Math.round(d.target * 100)}%`);
      break;
    case "zones_tagged": {
      const i = state.incidents.get(d.incident);
      if (i && !d.alarm) i.zones = d.zones;
      break;
    }
    case "incident_split":
      pushAlert(ev, "alarm", `#${d.from} split → #${d.to}`, { incident: d.to, acked: true });
      break;
  }
  return true;
}
