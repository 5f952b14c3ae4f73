// Public warnings (CAP 1.2 out, docs/exchange.md "CAP public warnings out"): the current
// warnings listed in the alerts panel and drawn on the map, and the form a supervisor issues,
// updates or cancels one with — the area drawn on the map as a polygon (one click per corner)
// or a circle (a click for the centre, then the radius), the text in Arabic and English.
// Everything from the server is set as text.
import { h, clear } from "./dom";
import { t, fmtTime } from "./i18n";
import { api, write, can, type WhoAmI } from "./session";
import type { Cop } from "./map";

type Info = { language: "ar" | "en"; event: string; headline: string; description?: string; instruction?: string };
type Area = { description: string; polygon: { lat: number; lon: number }[]; centre: { lat: number; lon: number } | null; radius_km: number };
export type Warning = {
  id: number; identifier: string; agency: string; sent: string; state: string; replaced_by: number; current: boolean; cap: string;
  content: { msg_type: string; references: number; category: string; urgency: string; severity: string; certainty: string; audience: string; expires: string | null; area: Area; info: Info[] };
};

const CATEGORIES = ["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"];
const URGENCY = ["Immediate", "Expected", "Future", "Past", "Unknown"];
const SEVERITY = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"];
const CERTAINTY = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"];
const SEVERITY_COLOURS: Record<string, string> = { Extreme: "#7b1fa2", Severe: "#d7191c", Moderate: "#f07c19", Minor: "#e6c619", Unknown: "#8a8a8a" };

let warnings: Warning[] = [];
let cop: Cop | null = null;
let who: WhoAmI | null = null;
let toast: (msg: string, bad?: boolean) => void = () => {};

export function setWarningContext(c: Cop | null, w: WhoAmI | null, notify: (msg: string, bad?: boolean) => void): void {
  cop = c;
  who = w;
  toast = notify;
}

export function mountWarnings(root: HTMLElement, signedIn: WhoAmI | null): void {
  who = signedIn;
  const issue = can(who, "warning.issue", who?.agency)
    ? h("button", { id: "warn-new", type: "button", onclick: () => openWarningForm(), text: t("New public warning") })
    : null;
  root.append(h("h3", { text: t("Public warnings") }), issue ?? h("span"), h("ul", { id: "warnings", class: "list" }));
}

export async function loadWarnings(): Promise<void> {
  try { warnings = (await api<{ items: Warning[] }>("GET", "/api/v1/alerts")).items; } catch { warnings = []; }
  renderWarnings();
  drawWarnings();
}

function headline(w: Warning): string {
  const info = w.content.info.find((i) => i.language === (document.documentElement.lang === "ar" ? "ar" : "en")) ?? w.content.info[0];
  return info ? info.headline : `${w.content.msg_type} #${w.content.references}`;
}

export function renderWarnings(): void {
  const ul = document.getElementById("warnings");
  if (!ul) return;
  clear(ul);
  const mine = can(who, "warning.issue", who?.agency);
  for (const w of warnings) {
    const own = mine && w.agency === who?.agency && w.content.msg_type !== "Cancel";
    ul.append(h("li", { class: "alert warning", "data-warning": w.id },
      h("span", { class: `sev sev-${SEVERITY.includes(w.content.severity) ? w.content.severity : "Unknown"}`, text: w.content.severity }),
      h("span", { text: ` ${w.content.msg_type} · ${headline(w)} · ${w.content.area.description} · ${w.agency} · ${fmtTime(w.sent)}` }),
      h("a", { href: w.cap, target: "_blank", rel: "noopener", text: " CAP" }),
      own ? h("button", { type: "button", onclick: () => openWarningForm(w, "Update"), text: t("Update") }) : null,
      own ? h("button", { type: "button", onclick: () => void cancelWarning(w), text: t("Cancel warning") }) : null));
  }
  if (!warnings.length) ul.append(h("li", { class: "muted", text: "—" }));
}

// A circle as a 64-sided ring (the map has no circles in geographic units).
function ring(a: Area): [number, number][] {
  if (a.polygon.length) return a.polygon.map((p) => [p.lon, p.lat]);
  if (!a.centre) return [];
  const out: [number, number][] = [];
  const dLat = a.radius_km / 111.32, dLon = dLat / Math.cos((a.centre.lat * Math.PI) / 180);
  for (let k = 0; k <= 64; ++k) {
    const th = (2 * Math.PI * k) / 64;
    out.push([a.centre.lon + dLon * Math.cos(th), a.centre.lat + dLat * Math.sin(th)]);
  }
  return out;
}

function drawWarnings(): void {
  const m = cop?.map;
  if (!m || !cop?.ready) return;
  const features = warnings.filter((w) => w.content.msg_type !== "Cancel").map((w) => ({
    type: "Feature" as const, properties: { id: w.id, colour: SEVERITY_COLOURS[w.content.severity] ?? "#555" },
    geometry: { type: "Polygon" as const, coordinates: [ring(w.content.area)] },
  })).filter((f) => f.geometry.coordinates[0].length >= 4);
  const data = { type: "FeatureCollection" as const, features };
  const src = m.getSource("warnings") as any;
  if (src) { src.setData(data); return; }
  m.addSource("warnings", { type: "geojson", data });
  m.addLayer({ id: "warnings-fill", type: "fill", source: "warnings", paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.15 } });
  m.addLayer({ id: "warnings-line", type: "line", source: "warnings", paint: { "line-color": ["get", "colour"], "line-width": 2 } });
}

async function cancelWarning(w: Warning): Promise<void> {
  if (!window.confirm(`${t("Cancel warning")} #${w.id}?`)) return;
  try {
    await write("POST", "/api/v1/alerts", { msg_type: "Cancel", references: w.id, category: w.content.category, urgency: "Past", severity: "Minor", certainty: "Observed" });
    toast(`${t("Cancel warning")} #${w.id} ✓`);
    await loadWarnings();
  } catch (e: any) { toast(e.message, true); }
}

function select(id: string, values: string[], chosen: string): HTMLSelectElement {
  return h("select", { id }, ...values.map((v) => h("option", { value: v, text: v, selected: v === chosen })));
}

// The form in the intake slot: a new Alert, or an Update of `base`.
export function openWarningForm(base?: Warning, type: "Alert" | "Update" = "Alert"): void {
  const root = document.getElementById("intake-panel");
  if (!root) return;
  clear(root);
  const c = base?.content;
  const category = select("wf-category", CATEGORIES, c?.category ?? "Safety");
  const urgency = select("wf-urgency", URGENCY, c?.urgency ?? "Immediate");
  const severity = select("wf-severity", SEVERITY, c?.severity ?? "Severe");
  const certainty = select("wf-certainty", CERTAINTY, c?.certainty ?? "Likely");
  const audience = h("input", { id: "wf-audience", value: c?.audience ?? "" });
  const expires = h("input", { id: "wf-expires", type: "datetime-local" });
  const areaDesc = h("input", { id: "wf-area", required: true, value: c?.area.description ?? "" });
  const radius = h("input", { id: "wf-radius", type: "number", min: "0.1", max: "5000", step: "0.1", value: String(c?.area.radius_km || 1) });
  const shape = h("output", { id: "wf-shape", text: "" });
  let polygon: { lat: number; lon: number }[] = c?.area.polygon.slice(0, -1) ?? [];
  let centre: { lat: number; lon: number } | null = c?.area.centre ?? null;
  const showShape = () => { shape.textContent = centre ? `○ ${centre.lat.toFixed(4)},${centre.lon.toFixed(4)}` : `△ ${polygon.length}`; };
  showShape();
  const addCorner = () => cop?.pick((p) => { centre = null; polygon.push(p); showShape(); addCorner(); });
  const info = (lang: "ar" | "en") => {
    const i = c?.info.find((x) => x.language === lang);
    return {
      event: h("input", { id: `wf-${lang}-event`, value: i?.event ?? "", lang, dir: lang === "ar" ? "rtl" : "ltr" }),
      headline: h("input", { id: `wf-${lang}-headline`, maxlength: 160, value: i?.headline ?? "", lang, dir: lang === "ar" ? "rtl" : "ltr" }),
      instruction: h("textarea", { id: `wf-${lang}-instruction`, rows: 2, lang, dir: lang === "ar" ? "rtl" : "ltr" }, i?.instruction ?? ""),
    };
  };
  const ar = info("ar"), en = info("en");
  const err = h("p", { id: "wf-error", class: "error", role: "alert" });
  const block = (lang: string, f: ReturnType<typeof info>) => h("fieldset", {}, h("legend", { text: lang }),
    h("label", {}, t("Event"), f.event), h("label", {}, t("Headline"), f.headline), h("label", {}, t("Instruction"), f.instruction));
  const form = h("form", { id: "warning-form", class: "stack" },
    h("div", { class: "row" }, h("label", {}, "category", category), h("label", {}, "urgency", urgency)),
    h("div", { class: "row" }, h("label", {}, "severity", severity), h("label", {}, "certainty", certainty)),
    h("label", {}, t("Audience"), audience), h("label", {}, t("Expires"), expires),
    h("label", {}, t("Area"), areaDesc),
    h("div", { class: "row" },
      h("button", { type: "button", id: "wf-polygon", onclick: () => { polygon = []; centre = null; showShape(); addCorner(); }, text: "△ " + t("Draw the area") }),
      h("button", { type: "button", id: "wf-circle", onclick: () => cop?.pick((p) => { centre = p; polygon = []; showShape(); }), text: "○ " + t("Circle centre") }),
      h("label", {}, "km", radius), shape),
    block("العربية", ar), block("English", en),
    h("div", { class: "row" }, h("button", { class: "primary", id: "wf-issue", text: type === "Update" ? t("Update") : t("Issue") }),
      h("button", { type: "button", id: "wf-close", text: t("Cancel"), onclick: () => closeWarningForm() })),
    err);
  form.onsubmit = async (e) => {
    e.preventDefault();
    err.textContent = "";
    const body: any = { msg_type: type, category: category.value, urgency: urgency.value, severity: severity.value, certainty: certainty.value };
    if (base) body.references = base.id;
    if (audience.value.trim()) body.audience = audience.value.trim();
    if (expires.value) body.expires = new Date(expires.value).toISOString();
    body.area = centre ? { description: areaDesc.value.trim(), circle: { lat: centre.lat, lon: centre.lon, radius_km: Number(radius.value) } }
      : { description: areaDesc.value.trim(), polygon: polygon.map((p) => [p.lat, p.lon]) };
    body.info = ([["ar", ar], ["en", en]] as const).filter(([, f]) => f.headline.value.trim() || f.event.value.trim()).map(([language, f]) => {
      const i: any = { language, event: f.event.value.trim(), headline: f.headline.value.trim() };
      if (f.instruction.value.trim()) i.instruction = f.instruction.value.trim();
      return i;
    });
    try {
      const r = await write<{ id: number }>("POST", "/api/v1/alerts", body);
      toast(`${t("Public warnings")} #${r.id} ✓`);
      closeWarningForm();
      await loadWarnings();
    } catch (ex: any) { err.textContent = ex.message; }
  };
  root.append(h("header", { class: "panel-head" }, h("h2", { text: type === "Update" ? `${t("Update")} #${base?.id}` : t("New public warning") })), form);
  root.hidden = false;
  const detail = document.getElementById("detail");
  if (detail) detail.hidden = true;
  areaDesc.focus();
}

export function closeWarningForm(): void {
  const root = document.getElementById("intake-panel");
  if (!root) return;
  root.hidden = true;
  clear(root);
  const detail = document.getElementById("detail");
  if (detail) detail.hidden = false;
}
