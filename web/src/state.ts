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
export interface Alert { key: string; seq: number; time: string; kind: string; text: string; incident?: number; unit?: number; request?: number; acked?: boolean }

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
