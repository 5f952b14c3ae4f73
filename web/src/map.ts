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

export type Layers = { incidents: boolean; units: boolean; clusters: boolean; zones: boolean; agencies: Record<string, boolean> };
export const layers: Layers = { incidents: true, units: true, clusters: true, zones: true, agencies: {} };

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
    this.ready = true;
    el.dataset.ready = "1";
    el.dataset.basemap = basemap ? "served" : "fallback";
    this.refresh();
    // Incremental: events only mark the picture dirty; the sources are re-sent at most 2×/s.
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
    m.addSource("units", { type: "geojson", data: empty, cluster: true, clusterMaxZoom: 11, clusterRadius: 40 });
    m.addSource("incidents-flat", { type: "geojson", data: empty });
    m.addSource("units-flat", { type: "geojson", data: empty });
    m.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#7a3cb8", "line-width": 1.5, "line-dasharray": [2, 2] } });
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
    this.dirty = true;
  }

  private flush(): void {
    if (!this.ready || !this.dirty) return;
    this.dirty = false;
    const incidents: GeoJSON.Feature[] = [];
    for (const i of state.incidents.values()) if (OPEN.has(i.status) && i.location) incidents.push(incidentFeature(i, i.id === this.selected));
    const units: GeoJSON.Feature[] = [];
    for (const u of state.units.values()) {
      if (!u.position) continue;
      if (layers.agencies[u.agency] === false) continue;
      units.push(unitFeature(u));
    }
    const fc = (features: GeoJSON.Feature[]) => ({ type: "FeatureCollection", features }) as GeoJSON.FeatureCollection;
    const target = layers.clusters ? ["incidents", "units"] : ["incidents-flat", "units-flat"];
    (this.map.getSource(target[0]) as GeoJSONSource).setData(fc(incidents));
    (this.map.getSource(target[1]) as GeoJSONSource).setData(fc(units));
    this.setDataCalls += 2;
    this.followTick();
    const el = this.map.getContainer();
    el.dataset.incidents = String(incidents.length);
    el.dataset.units = String(units.length);
  }

  setZones(features: GeoJSON.Feature[]): void {
    (this.map?.getSource("zones") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
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
