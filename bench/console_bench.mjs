// The browser half of bench/console_bench.py: one chromium (Debian's, headless, playwright-core
// from web/node_modules), two runs against the same server and load, one after the other:
//   console  the console as it is;
//   naive    the same page with its stream and map updates stopped, re-reading the whole
//            picture every second and re-sending the whole GeoJSON to the map's sources.
// Prints one JSON line: {"console": {...}, "naive": {...}, "zoom"}.
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "web", "package.json"));
const { chromium } = require("playwright-core");

const URL = process.env.NCC_URL;
const SECONDS = Number(process.env.NCC_SECONDS);
const UNITS = Number(process.env.NCC_UNITS);
const INCIDENTS = Number(process.env.NCC_INCIDENTS);
const [LAT, LON] = JSON.parse(process.env.NCC_CENTRE);
const ZOOM = 12;

const log = (m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] bench-console: ${m}\n`);
const q = (v, f) => (v.length ? v[Math.min(v.length - 1, Math.floor(f * v.length))] : null);

const browser = await chromium.launch({
  executablePath: process.env.NCC_CHROMIUM, headless: true,
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});

// The naive way, in the page: every second the whole picture from the API, as whole GeoJSON.
function naive() {
  const n = window.__ncc;
  n.stream.stop();
  n.cop.ready = false; // the console's own map updates stop
  const token = JSON.parse(sessionStorage.getItem("ncc_session")).access_token;
  const headers = { Authorization: "Bearer " + token };
  const colours = { available: "#1a9641", dispatched: "#f07c19", en_route: "#e6c619", on_scene: "#d7191c", out_of_service: "#555555" };
  const prio = ["#000000", "#d7191c", "#f07c19", "#e6c619", "#4a9de0", "#8a8a8a"];
  const map = n.cop.map;
  const tick = async () => {
    const [units, incidents] = await Promise.all([
      fetch("/api/v1/units", { headers }).then((r) => r.json()),
      fetch("/api/v1/incidents?limit=1000", { headers }).then((r) => r.json())]);
    map.getSource("units").setData({ type: "FeatureCollection", features: units.items.filter((u) => u.position).map((u) => ({
      type: "Feature", id: u.id, geometry: { type: "Point", coordinates: [u.position.lon, u.position.lat] },
      properties: { id: u.id, callsign: u.callsign, status: u.status, letter: (u.kind[0] ?? "U").toUpperCase(),
        colour: colours[u.status] ?? "#888", heading: u.heading ?? 0, moving: (u.speed ?? 0) > 0.5, stale: !!u.stale, selected: false } })) });
    map.getSource("incidents").setData({ type: "FeatureCollection", features: incidents.items.map((i) => ({
      type: "Feature", id: i.id, geometry: { type: "Point", coordinates: [i.location.lon, i.location.lat] },
      properties: { id: i.id, status: i.status, priority: i.priority, type: i.type, letter: "?", colour: prio[i.priority] ?? "#888", selected: false } })) });
  };
  window.__naive = window.setInterval(() => void tick(), 1000);
}

async function run(mode) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => log(`${mode}: page error ${e.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.dataReceived", (e) => (bytes += e.encodedDataLength || e.dataLength || 0));
  cdp.on("Network.webSocketFrameReceived", (e) => (bytes += e.response.payloadData.length));
  await page.goto(URL + "/");
  await page.fill("#username", process.env.NCC_USER);
  await page.fill("#password", process.env.NCC_PASSWORD);
  const t0 = Date.now();
  await page.click("#login button");
  await page.waitForFunction(([u, i]) => {
    const el = document.querySelector("#map");
    return el && Number(el.dataset.units) >= u && Number(el.dataset.incidents) >= i;
  }, [UNITS, INCIDENTS], { timeout: 120000, polling: 10 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  const firstPicture = Date.now() - t0;
  log(`${mode}: first picture ${firstPicture} ms`);
  await page.evaluate(([lat, lon, z]) => window.__ncc.cop.map.jumpTo({ center: [lon, lat], zoom: z }), [LAT, LON, ZOOM]);
  if (mode === "naive") await page.evaluate(naive);
  await page.waitForTimeout(5000); // warm-up
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  const heap0 = (await cdp.send("Runtime.getHeapUsage")).usedSize;
  await page.evaluate(() => {
    const b = (window.__bench = { frames: [], long: 0 });
    let last = performance.now();
    const frame = (t) => { b.frames.push(t - last); last = t; if (window.__bench) requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
    new PerformanceObserver((l) => (b.long += l.getEntries().length)).observe({ entryTypes: ["longtask"] });
  });
  bytes = 0;
  const started = Date.now();
  await page.waitForTimeout(SECONDS * 1000);
  const took = (Date.now() - started) / 1000;
  const got = await page.evaluate(() => { const b = window.__bench; window.__bench = null; return b; });
  const received = bytes;
  await cdp.send("HeapProfiler.collectGarbage");
  const heap1 = (await cdp.send("Runtime.getHeapUsage")).usedSize;
  const frames = got.frames.slice(1).sort((a, b) => a - b);
  await context.close();
  const out = {
    first_picture_ms: firstPicture, frames: frames.length, frame_p50_ms: q(frames, 0.5), frame_p95_ms: q(frames, 0.95),
    frame_p99_ms: q(frames, 0.99), long_tasks: got.long, heap_start_mb: heap0 / 2 ** 20, heap_end_mb: heap1 / 2 ** 20,
    heap_growth_pct: (100 * (heap1 - heap0)) / heap0, bytes_per_s: received / took,
  };
  log(`${mode}: ${JSON.stringify(out)}`);
  return out;
}

const result = { zoom: ZOOM };
result.console = await run("console");
result.naive = await run("naive");
await browser.close();
console.log(JSON.stringify(result));
