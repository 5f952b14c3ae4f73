// The common operating picture: MapLibre GL JS over the offline base map served by ncc, or a
// plain background when the base map is not there. No request leaves the machine: the style,
// tiles and glyphs all come from this server, and icons are drawn here on a canvas.
import maplibregl, { type GeoJSONSource, type Map as MlMap, type StyleSpecification } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import { state, OPEN, type Incident, type Unit } from "./state";
import { throttle } from "./dom";
import { currentLang } from "./i18n";

// The one place the base map is named (served by `ncc serve --basemap`).
export const BASEMAP_STYLE_URL = "/tiles/style.json";
const HOME: [number, number] = [-122.435, 37.785];

export const PRIORITY_COLOURS = ["#000000", "#d7191c", "#f07c19", "#e6c619", "#4a9de0", "#8a8a8a"];
export const UNIT_STATUS_COLOURS: Record<string, string> = {
  available: "#1a9641", dispatched: "#f07c19", en_route: "#e6c619", on_scene: "#d7191c",
  transporting: "#8e44ad", at_hospital: "#5b7bd5", out_of_service: "#555555",
};

export function typeLetter(type: string): string {
  const t = type.split(".")[0];
  return ({ fire: "F", medical: "M", police: "P", traffic: "T", marine: "B", security: "S", alarm: "A" } as Record<string, string>)[t] ?? "?";
}
export function kindLetter(kind: string): string {
  const k = kind.toLowerCase();
  if (k.includes("engine")) return "E";
  if (k.includes("truck") || k.includes("ladder")) return "L";
  if (k.includes("medic") || k.includes("ambul") || k.includes("rescue")) return "M";
  if (k.includes("chief") || k.includes("command")) return "C";
  if (k.includes("patrol") || k.includes("police") || k.includes("traffic")) return "P";
  if (k.includes("boat") || k.includes("marine")) return "B";
  return (kind[0] ?? "U").toUpperCase();
}

function fallbackStyle(): StyleSpecification {
  return { version: 8, name: "plain", sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#dfe4e8" } }] };
}

// Arabic labels need MapLibre's RTL plugin (served by ncc beside the console); loaded once, lazily.
let rtlRequested = false;
function useRtlPlugin(): void {
  if (rtlRequested || maplibregl.getRTLTextPluginStatus() !== "unavailable") return;
  rtlRequested = true;
  void maplibregl.setRTLTextPlugin(new URL("/mapbox-gl-rtl-text.js", location.href).href, true).catch(() => {
    rtlRequested = false; // labels stay unshaped; the map still works
  });
}

async function loadStyle(): Promise<{ style: StyleSpecification | string; basemap: boolean }> {
  try {
    const r = await fetch(`${BASEMAP_STYLE_URL}?lang=${currentLang()}`, { cache: "no-store" });
    if (r.ok) return { style: (await r.json()) as StyleSpecification, basemap: true };
  } catch { /* not served: plain background */ }
  return { style: fallbackStyle(), basemap: false };
}

function icon(map: MlMap, name: string, draw: (c: CanvasRenderingContext2D, s: number) => void, size = 32): void {
  if (map.hasImage(name)) return;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const c = canvas.getContext("2d")!;
  draw(c, size);
  map.addImage(name, c.getImageData(0, 0, size, size), { pixelRatio: 2 });
}
function letterIcon(map: MlMap, name: string, letter: string): void {
  icon(map, name, (c, s) => {
    c.fillStyle = "#ffffff";
    c.font = `bold ${Math.round(s * 0.55)}px sans-serif`;
    c.textAlign = "center";
    c.textBaseline = "middle";
    c.fillText(letter, s / 2, s / 2 + 1);
  });
}

const UNIT_CLUSTER_MAX_ZOOM = 11;

export type Layers = { incidents: boolean; units: boolean; clusters: boolean; zones: boolean; coverage: boolean; moveups: boolean; agencies: Record<string, boolean> };
export const layers: Layers = { incidents: true, units: true, clusters: true, zones: true, coverage: true, moveups: true, agencies: {} };

// A zone as GET /api/v1/zones gives it: its bounding box (the API gives no shapes).
export interface ZoneBox { id: string; name: string; bbox: number[] }
// A zone's coverage as GET /api/v1/coverage gives it (dispatch/coverage.h).
export interface MoveUp { unit: number; callsign: string; from: { lat: number; lon: number }; to: { lat: number; lon: number }; points_gained: number; zone_fraction_after: number }
export interface ZoneCover { zone: string; name?: string; capability: string; minutes: number; target: number; fraction: number; below_target: boolean; move_ups?: MoveUp[] }

// The colour of a zone's coverage against its target: green at or above it, amber within 80 %
// of it, red below that.
export function coverageColour(fraction: number, target: number): string {
  if (fraction >= target) return "#1a9641";
  if (fraction >= target * 0.8) return "#f0a019";
  return "#d7191c";
}
const boxRing = ([w, s, e, n]: number[]) => [[w, s], [e, s], [e, n], [w, n], [w, s]];

// Labels in the console's language: the base map's style names its label expressions in its
// metadata (ncc:label-ar: name:ar then name; ncc:label-en: name:en then name). The server already
// answers /tiles/style.json?lang= with the right one; this also swaps a style loaded in another
// language in place, so a language change never needs a new map. Returns the language the labels
// are in now ("none": the style has no such labels, e.g. the plain background).
export function applyLabelLanguage(map: MlMap, lang: string): string {
  const meta = (map.getStyle()?.metadata ?? {}) as Record<string, unknown>;
  const want = meta[`ncc:label-${lang}`];
  if (!want) return "none";
  const known = Object.keys(meta).filter((k) => k.startsWith("ncc:label-")).map((k) => JSON.stringify(meta[k]));
  let now = "none";
  for (const l of map.getStyle().layers) {
    if (l.type !== "symbol") continue;
    const field = JSON.stringify(map.getLayoutProperty(l.id, "text-field"));
    if (!known.includes(field)) continue;
    if (field !== JSON.stringify(want)) map.setLayoutProperty(l.id, "text-field", want as any);
    now = lang;
  }
  return now;
}

export class Cop {
  map!: MlMap;
  basemap = false;
  ready = false;
  private pickHandler: ((p: { lat: number; lon: number }) => void) | null = null;
  onSelectIncident: (id: number) => void = () => {};
  onSelectUnit: (id: number) => void = () => {};
  selected: number | null = null;
  setDataCalls = 0;
  private dirty = true;
  private pickMarker: maplibregl.Marker | null = null;
  private font: string[] | null = null;

  async mount(el: HTMLElement): Promise<void> {
    const { style, basemap } = await loadStyle();
    this.basemap = basemap;
    useRtlPlugin();
    // The style's paths are same-origin ("/tiles/..."); the map's workers need them absolute.
    this.map = new maplibregl.Map({
      container: el, style, center: HOME, zoom: 12.5, attributionControl: false, fadeDuration: 0,
      transformRequest: (url) => ({ url: new URL(url, location.href).href }),
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-right");
    this.map.addControl(new maplibregl.ScaleControl({}), "bottom-left");
    this.map.on("error", (e) => console.warn("map:", e.error?.message ?? e));
    await new Promise<void>((res) => this.map.once("load", () => res()));
    this.addLayers();
    // Zones or coverage read before the map had loaded: drawn now.
    this.setZones([...this.zoneBoxes.values()]);
    this.setLabelLanguage(currentLang());
    this.ready = true;
    el.dataset.ready = "1";
    el.dataset.basemap = basemap ? "served" : "fallback";
    // The first picture at once, not at the first tick.
    this.dirty = true;
    this.flush();
    // Incremental: events only mark the picture dirty; the sources follow at most twice a second,
    // live positions alone (every unit's 1 fix/s) once a second: each update of a source makes the
    // map lay out and draw its tiles again, which costs far more than the diff itself.
    window.setInterval(() => this.flush(), 500);
  }

  private addLayers(): void {
    const m = this.map;
    // Reuse the base map's font stack for labels when it has glyphs; the fallback has none.
    const styleGlyphs = !!m.getStyle().glyphs;
    if (styleGlyphs) {
      for (const l of m.getStyle().layers) {
        const f = (l as any).layout?.["text-font"];
        if (Array.isArray(f) && f.every((x) => typeof x === "string")) { this.font = f; break; }
      }
    }
    for (const letter of "FMPTBSA?") letterIcon(m, "inc-" + letter, letter);
    for (const letter of "ELMCPBU?ABCDFGHIJKNOQRSTVWXYZ") letterIcon(m, "unit-" + letter, letter);
    // Status badges (no glyphs needed): a letter on the status colour.
    const badges: Record<string, [string, string]> = { new: ["N", "#b3261e"], triaged: ["T", "#8a5a00"], dispatched: ["D", "#c25e00"],
      en_route: ["R", "#7a6a00"], on_scene: ["S", "#146c2e"] };
    for (const [st, [letter, colour]] of Object.entries(badges))
      icon(m, "st-" + st, (c, s) => {
        c.fillStyle = colour; c.strokeStyle = "#fff"; c.lineWidth = 3;
        c.beginPath(); c.roundRect(2, 2, s - 4, s - 4, 6); c.fill(); c.stroke();
        c.fillStyle = "#fff"; c.font = `bold ${Math.round(s * 0.6)}px sans-serif`; c.textAlign = "center"; c.textBaseline = "middle";
        c.fillText(letter, s / 2, s / 2 + 1);
      }, 28);
    icon(m, "arrow", (c, s) => {
      c.fillStyle = "#111";
      c.beginPath();
      c.moveTo(s / 2, 1); c.lineTo(s * 0.72, s * 0.3); c.lineTo(s * 0.28, s * 0.3);
      c.closePath(); c.fill();
    });
    icon(m, "stale", (c, s) => {
      c.fillStyle = "#ffffff"; c.strokeStyle = "#b00"; c.lineWidth = 3;
      c.beginPath(); c.arc(s / 2, s / 2, s / 2 - 3, 0, Math.PI * 2); c.fill(); c.stroke();
      c.fillStyle = "#b00"; c.font = `bold ${Math.round(s * 0.6)}px sans-serif`; c.textAlign = "center"; c.textBaseline = "middle";
      c.fillText("!", s / 2, s / 2 + 1);
    });
    const empty = { type: "FeatureCollection", features: [] } as GeoJSON.FeatureCollection;
    m.addSource("zones", { type: "geojson", data: empty });
    m.addSource("route", { type: "geojson", data: empty });
    m.addSource("track", { type: "geojson", data: empty });
    m.addSource("incidents", { type: "geojson", data: empty, cluster: true, clusterMaxZoom: 12, clusterRadius: 40 });
    m.addSource("units", { type: "geojson", data: empty, cluster: true, clusterMaxZoom: UNIT_CLUSTER_MAX_ZOOM, clusterRadius: 40 });
    m.addSource("incidents-flat", { type: "geojson", data: empty });
    m.addSource("units-flat", { type: "geojson", data: empty });
    m.addSource("coverage", { type: "geojson", data: empty });
    m.addSource("moveups", { type: "geojson", data: empty });
    // Coverage under everything else: a zone filled by its fraction against the target.
    m.addLayer({ id: "coverage-fill", type: "fill", source: "coverage", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.22 } });
    m.addLayer({ id: "coverage-line", type: "line", source: "coverage", paint: { "line-color": ["get", "colour"], "line-width": 2 } });
    m.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#7a3cb8", "line-width": 1.5, "line-dasharray": [2, 2] } });
    // Move-up suggestions: from the unit's place to the post it should take, an arrow at the post.
    m.addLayer({ id: "moveups-line", type: "line", source: "moveups", filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#0b6e4f", "line-width": 2.5, "line-dasharray": [1.5, 1] } });
    m.addLayer({ id: "moveups-post", type: "circle", source: "moveups", filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 7, "circle-color": "#ffffff", "circle-stroke-color": "#0b6e4f", "circle-stroke-width": 3 } });
    m.addLayer({ id: "track-line", type: "line", source: "track", paint: { "line-color": "#6a1b9a", "line-width": 2.5, "line-opacity": 0.8 } });
    m.addLayer({ id: "route-line", type: "line", source: "route", paint: { "line-color": "#1565c0", "line-width": 4, "line-opacity": 0.7 } });
    for (const src of ["incidents", "units"]) {
      m.addLayer({ id: `${src}-cluster`, type: "circle", source: src, filter: ["has", "point_count"],
        paint: { "circle-color": src === "incidents" ? "#c0392b" : "#2471a3", "circle-opacity": 0.75,
          "circle-radius": ["step", ["get", "point_count"], 12, 10, 16, 50, 22], "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      if (this.font) m.addLayer({ id: `${src}-cluster-count`, type: "symbol", source: src, filter: ["has", "point_count"],
        layout: { "text-field": ["get", "point_count_abbreviated"], "text-font": this.font, "text-size": 12, "text-allow-overlap": true },
        paint: { "text-color": "#fff" } });
    }
    const unitLayers = (src: string, filter: any) => {
      m.addLayer({ id: `${src}-dot`, type: "circle", source: src, filter,
        paint: { "circle-radius": 9, "circle-color": ["get", "colour"], "circle-stroke-color": ["case", ["get", "stale"], "#b00", "#111"],
          "circle-stroke-width": ["case", ["get", "selected"], 3, 1], "circle-opacity": ["case", ["get", "stale"], 0.45, 1] } });
      m.addLayer({ id: `${src}-heading`, type: "symbol", source: src, filter: ["all", filter, ["get", "moving"]],
        layout: { "icon-image": "arrow", "icon-rotate": ["get", "heading"], "icon-rotation-alignment": "map", "icon-allow-overlap": true, "icon-size": 1.4 } });
      m.addLayer({ id: `${src}-icon`, type: "symbol", source: src, filter,
        layout: { "icon-image": ["concat", "unit-", ["get", "letter"]], "icon-allow-overlap": true,
          ...(this.font ? { "text-field": ["get", "callsign"], "text-font": this.font, "text-size": 11, "text-offset": [0, 1.3], "text-anchor": "top", "text-optional": true } : {}) },
        paint: this.font ? { "text-halo-color": "#fff", "text-halo-width": 1.5 } : {} });
      m.addLayer({ id: `${src}-stale`, type: "symbol", source: src, filter: ["all", filter, ["get", "stale"]],
        layout: { "icon-image": "stale", "icon-offset": [14, -14], "icon-allow-overlap": true, "icon-size": 0.8 } });
    };
    const incidentLayers = (src: string, filter: any) => {
      m.addLayer({ id: `${src}-dot`, type: "circle", source: src, filter,
        paint: { "circle-radius": ["case", ["get", "selected"], 13, 10], "circle-color": ["get", "colour"],
          "circle-stroke-color": ["match", ["get", "status"], "new", "#ffffff", "triaged", "#ffffff", "#111111"],
          "circle-stroke-width": ["case", ["get", "selected"], 4, 2] } });
      m.addLayer({ id: `${src}-icon`, type: "symbol", source: src, filter,
        layout: { "icon-image": ["concat", "inc-", ["get", "letter"]], "icon-allow-overlap": true,
          ...(this.font ? { "text-field": ["concat", "#", ["to-string", ["get", "id"]], " ", ["get", "status"]], "text-font": this.font, "text-size": 11, "text-offset": [0, 1.4], "text-anchor": "top", "text-optional": true } : {}) },
        paint: this.font ? { "text-halo-color": "#fff", "text-halo-width": 1.5 } : {} });
      m.addLayer({ id: `${src}-badge`, type: "symbol", source: src, filter,
        layout: { "icon-image": ["concat", "st-", ["get", "status"]], "icon-offset": [13, -13], "icon-allow-overlap": true, "icon-size": 0.9 } });
    };
    if (this.font) {
      m.addLayer({ id: "coverage-label", type: "symbol", source: "coverage",
        layout: { "text-field": ["get", "label"], "text-font": this.font, "text-size": 12, "symbol-placement": "point" },
        paint: { "text-color": ["get", "colour"], "text-halo-color": "#fff", "text-halo-width": 2 } });
      m.addLayer({ id: "moveups-label", type: "symbol", source: "moveups", filter: ["==", ["geometry-type"], "Point"],
        layout: { "text-field": ["get", "label"], "text-font": this.font, "text-size": 11, "text-offset": [0, 1.2], "text-anchor": "top" },
        paint: { "text-color": "#0b6e4f", "text-halo-color": "#fff", "text-halo-width": 1.5 } });
    }
    unitLayers("units", ["!", ["has", "point_count"]]);
    unitLayers("units-flat", ["==", 1, 1]);
    incidentLayers("incidents", ["!", ["has", "point_count"]]);
    incidentLayers("incidents-flat", ["==", 1, 1]);

    const pointer = (id: string) => {
      m.on("mouseenter", id, () => (m.getCanvas().style.cursor = "pointer"));
      m.on("mouseleave", id, () => (m.getCanvas().style.cursor = ""));
    };
    for (const src of ["incidents", "incidents-flat"]) {
      m.on("click", `${src}-dot`, (e) => { if (this.pickHandler) return; const f = e.features?.[0]; if (f) this.onSelectIncident(Number(f.properties!.id)); });
      pointer(`${src}-dot`);
    }
    for (const src of ["units", "units-flat"]) {
      m.on("click", `${src}-dot`, (e) => { if (this.pickHandler) return; const f = e.features?.[0]; if (f) this.onSelectUnit(Number(f.properties!.id)); });
      pointer(`${src}-dot`);
    }
    for (const src of ["incidents", "units"]) {
      m.on("click", `${src}-cluster`, async (e) => {
        const f = e.features?.[0];
        if (!f || this.pickHandler) return;
        const zoom = await (m.getSource(src) as GeoJSONSource).getClusterExpansionZoom(f.properties!.cluster_id);
        m.easeTo({ center: (f.geometry as GeoJSON.Point).coordinates as [number, number], zoom });
      });
      pointer(`${src}-cluster`);
    }
    m.on("click", (e) => {
      if (!this.pickHandler) return;
      const p = { lat: +e.lngLat.lat.toFixed(6), lon: +e.lngLat.lng.toFixed(6) };
      const fn = this.pickHandler;
      this.pickHandler = null;
      m.getCanvas().style.cursor = "";
      fn(p);
    });
    m.on("moveend", () => { this.dirty = true; }); // units that came into view
    m.on("dragstart", () => { this.follow = null; document.getElementById("follow")?.removeAttribute("aria-pressed"); });
    this.applyLayerVisibility();
  }

  pick(fn: (p: { lat: number; lon: number }) => void): void {
    this.pickHandler = fn;
    this.map.getCanvas().style.cursor = "crosshair";
  }
  showPick(p: { lat: number; lon: number } | null): void {
    this.pickMarker?.remove();
    this.pickMarker = null;
    if (!p) return;
    this.pickMarker = new maplibregl.Marker({ color: "#6a1b9a" }).setLngLat([p.lon, p.lat]).addTo(this.map);
  }

  refresh = throttle(() => (this.dirty = true), 50);
  markDirty(): void { this.dirty = true; }
  // Only units moved (live positions): drawn at the next flush a second after the last one.
  private moved = false;
  private lastFlush = 0;
  markMoved(): void { this.moved = true; }

  applyLayerVisibility(): void {
    if (!this.map) return;
    const set = (id: string, on: boolean) => this.map.getLayer(id) && this.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    const clustered = layers.clusters;
    for (const kind of ["incidents", "units"] as const) {
      const on = layers[kind];
      for (const suffix of ["cluster", "cluster-count", "dot", "icon", "heading", "stale", "badge"]) {
        set(`${kind}-${suffix}`, on && clustered);
        set(`${kind}-flat-${suffix}`, on && !clustered);
      }
    }
    set("zones-line", layers.zones);
    for (const id of ["coverage-fill", "coverage-line", "coverage-label"]) set(id, layers.coverage);
    for (const id of ["moveups-line", "moveups-post", "moveups-label"]) set(id, layers.moveups);
    this.dirty = true;
  }

  // The incidents and units sources follow the picture by diffs: only features whose look
  // changed are sent to the map's worker (GeoJSONSource.updateData), not the whole collection;
  // the first time, after a layer mode change or when most changed, the whole collection.
  private incidentSync = new FeatureSync("");
  private unitSync = new FeatureSync("");
  private flush(): void {
    if (!this.ready) return;
    if (!this.dirty && !(this.moved && performance.now() - this.lastFlush >= 950)) return;
    this.dirty = this.moved = false;
    this.lastFlush = performance.now();
    const incidents: Item[] = [];
    for (const i of state.incidents.values()) {
      if (!OPEN.has(i.status) || !i.location) continue;
      const sel = i.id === this.selected;
      incidents.push([i.id, `${i.location.lon},${i.location.lat},${i.status},${i.priority},${i.type},${sel}`, () => incidentFeature(i, sel)]);
    }
    // Zoomed in (units drawn one by one, not clustered), only the units in and around the view
    // go to the map: a national picture's thousands elsewhere would be laid out for nothing.
    // Panning or zooming redraws (moveend), so they appear as the view reaches them.
    const view = this.map.getZoom() >= UNIT_CLUSTER_MAX_ZOOM + 1 || !layers.clusters ? this.map.getBounds() : null;
    const pad = view ? [(view.getEast() - view.getWest()) / 2, (view.getNorth() - view.getSouth()) / 2] : [0, 0];
    const inView = (p: { lat: number; lon: number }) => !view || (p.lon >= view.getWest() - pad[0] && p.lon <= view.getEast() + pad[0] &&
      p.lat >= view.getSouth() - pad[1] && p.lat <= view.getNorth() + pad[1]);
    const units: Item[] = [];
    let positioned = 0;
    for (const u of state.units.values()) {
      if (!u.position) continue;
      if (layers.agencies[u.agency] === false) continue;
      positioned++;
      if (!inView(u.position)) continue;
      units.push([u.id, `${u.position.lon},${u.position.lat},${u.status},${u.kind},${u.callsign},${u.heading ?? 0},${(u.speed ?? 0) > 0.5},${!!u.stale}`, () => unitFeature(u)]);
    }
    const target = layers.clusters ? ["incidents", "units"] : ["incidents-flat", "units-flat"];
    if (this.incidentSync.source !== target[0]) {
      this.clearSource(this.incidentSync.source);
      this.incidentSync = new FeatureSync(target[0]);
    }
    if (this.unitSync.source !== target[1]) {
      this.clearSource(this.unitSync.source);
      this.unitSync = new FeatureSync(target[1]);
    }
    this.setDataCalls += this.incidentSync.push(this.map, incidents) + this.unitSync.push(this.map, units);
    this.followTick();
    const el = this.map.getContainer();
    el.dataset.incidents = String(incidents.length);
    el.dataset.units = String(positioned); // on the map (drawn when in view)
    el.dataset.unitsDrawn = String(units.length);
  }
  private clearSource(id: string): void {
    if (id) (this.map.getSource(id) as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features: [] });
  }

  private zoneBoxes = new Map<string, ZoneBox>();
  private coverage: ZoneCover[] = [];
  setZones(zones: ZoneBox[]): void {
    this.zoneBoxes = new Map(zones.filter((z) => z.bbox?.length === 4).map((z) => [z.id, z]));
    const features: GeoJSON.Feature[] = [...this.zoneBoxes.values()].map((z) => ({ type: "Feature", properties: { id: z.id, name: z.name },
      geometry: { type: "LineString", coordinates: boxRing(z.bbox) } }));
    (this.map?.getSource("zones") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
    this.setCoverage(this.coverage);
  }
  // Each zone's coverage as its box filled in the colour of its fraction against the target, and
  // the move-ups dispatch suggests for the zones below target.
  setCoverage(zones: ZoneCover[]): void {
    this.coverage = zones;
    if (!this.map?.getSource("coverage")) return;
    const fills: GeoJSON.Feature[] = [], moves: GeoJSON.Feature[] = [];
    for (const z of zones) {
      const colour = coverageColour(z.fraction ?? 0, z.target ?? 0);
      const box = this.zoneBoxes.get(z.zone);
      if (box) fills.push({ type: "Feature", properties: { zone: z.zone, colour, fraction: z.fraction, target: z.target, below: !!z.below_target,
        label: `${z.name || z.zone} ${z.capability} ${Math.round((z.fraction ?? 0) * 100)}% / ${Math.round((z.target ?? 0) * 100)}%` },
        geometry: { type: "Polygon", coordinates: [boxRing(box.bbox)] } });
      for (const m of z.move_ups ?? []) {
        if (!m.from || !m.to) continue;
        const props = { zone: z.zone, unit: m.unit, label: `${m.callsign} → ${Math.round((m.zone_fraction_after ?? 0) * 100)}%` };
        moves.push({ type: "Feature", properties: props, geometry: { type: "LineString", coordinates: [[m.from.lon, m.from.lat], [m.to.lon, m.to.lat]] } });
        moves.push({ type: "Feature", properties: props, geometry: { type: "Point", coordinates: [m.to.lon, m.to.lat] } });
      }
    }
    (this.map.getSource("coverage") as GeoJSONSource).setData({ type: "FeatureCollection", features: fills });
    (this.map.getSource("moveups") as GeoJSONSource).setData({ type: "FeatureCollection", features: moves });
    const el = this.map.getContainer();
    el.dataset.coverage = String(fills.length);
    el.dataset.coverageBelow = String(fills.filter((f) => f.properties!.below).length);
    el.dataset.moveups = String(moves.length / 2);
  }
  // The labels in `lang`, in place (see applyLabelLanguage); the map notes which in data-labels.
  setLabelLanguage(lang: string): void {
    if (!this.map) return;
    this.map.getContainer().dataset.labels = applyLabelLanguage(this.map, lang);
  }
  setRoutes(lines: GeoJSON.Feature[]): void {
    (this.map?.getSource("route") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features: lines });
    if (this.map) this.map.getContainer().dataset.routes = String(lines.length);
  }
  setTrack(coords: [number, number][]): void {
    (this.map?.getSource("track") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection",
      features: coords.length > 1 ? [{ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: coords } }] : [] });
    if (this.map) this.map.getContainer().dataset.track = String(coords.length);
  }
  // Follow a unit: the map keeps it centred as its fixes come in (until the map is dragged).
  follow: number | null = null;
  followTick(): void {
    if (this.follow === null || !this.map) return;
    const u = state.units.get(this.follow);
    if (u?.position) this.map.easeTo({ center: [u.position.lon, u.position.lat], duration: 300 });
  }
  flyTo(p: { lat: number; lon: number }, zoom = 15): void {
    this.map?.easeTo({ center: [p.lon, p.lat], zoom: Math.max(zoom, this.map.getZoom()) });
  }
  center(): { lat: number; lon: number } {
    const c = this.map?.getCenter();
    return c ? { lat: c.lat, lon: c.lng } : { lat: HOME[1], lon: HOME[0] };
  }
}

// One feature of a source: its id, a signature of everything it looks like, and how to make it.
type Item = [number, string, () => GeoJSON.Feature];

// What one GeoJSON source was last sent, by feature id (the signature of each feature).
class FeatureSync {
  private sigs = new Map<number, string>();
  private sent = false;
  full = 0; // whole collections sent
  diffs = 0; // diffs sent
  constructor(readonly source: string) {}

  // Sends what changed since the last push; returns 1 when something was sent.
  push(map: MlMap, items: Item[]): number {
    const src = map.getSource(this.source) as GeoJSONSource | undefined;
    if (!src) return 0;
    const next = new Map<number, string>();
    const changed: Item[] = [];
    for (const it of items) {
      next.set(it[0], it[1]);
      if (this.sigs.get(it[0]) !== it[1]) changed.push(it);
    }
    const removed: number[] = [];
    for (const id of this.sigs.keys()) if (!next.has(id)) removed.push(id);
    this.sigs = next;
    if (this.sent && !changed.length && !removed.length) return 0;
    if (!this.sent || changed.length + removed.length > items.length * 0.6) {
      src.setData({ type: "FeatureCollection", features: items.map((it) => it[2]()) });
      this.sent = true;
      this.full++;
      return 1;
    }
    // Processed remove, then add: a changed feature is replaced whole.
    src.updateData({ remove: [...removed, ...changed.map((it) => it[0])], add: changed.map((it) => it[2]()) });
    this.diffs++;
    return 1;
  }
}

function incidentFeature(i: Incident, selected: boolean): GeoJSON.Feature {
  return {
    type: "Feature", id: i.id,
    geometry: { type: "Point", coordinates: [i.location.lon, i.location.lat] },
    properties: { id: i.id, status: i.status, priority: i.priority, type: i.type, letter: typeLetter(i.type),
      colour: PRIORITY_COLOURS[i.priority] ?? "#888", selected },
  };
}
function unitFeature(u: Unit): GeoJSON.Feature {
  return {
    type: "Feature", id: u.id,
    geometry: { type: "Point", coordinates: [u.position!.lon, u.position!.lat] },
    properties: { id: u.id, callsign: u.callsign, status: u.status, letter: kindLetter(u.kind), colour: UNIT_STATUS_COLOURS[u.status] ?? "#888",
      heading: u.heading ?? 0, moving: (u.speed ?? 0) > 0.5, stale: !!u.stale, selected: false },
  };
}
