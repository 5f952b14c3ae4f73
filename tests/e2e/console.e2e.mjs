// The console end to end in Debian's chromium (playwright-core, no browser download), against
// the real `ncc serve` that run_e2e.py started and seeded. One suite per run (NCC_SUITE):
//   console    sign in; a call by address search; the recommendation accepted; a unit status
//              sent through the API in the board within a second; dispatch by command line
//              only; the time slider's past picture and back to live; an overdue timer turns
//              red; zones, coverage and move-ups on the map with their toggles; a CAP alert
//              received in the alerts panel; the operations page worked from the keyboard
//              (approve, activate, a phase, a task started over its predecessor with a reason,
//              a checklist tick, a decision point, a situation report drafted and approved);
//              Arabic right-to-left with the map's labels in Arabic; axe-core
//   visibility two browsers signed into different agencies each see only what they may
//   offline    10 s offline and back: no event lost or doubled
//   behind     a burst larger than the server's lag bound: the stream is cut, the picture
//              re-read from the API, live again
//   session    access tokens of 6 s: the console renews them and stays live for 4 lifetimes
//              with every event once; a session ended on the server asks to sign in again
// Screenshots of each step go to NCC_SHOTS.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import assert from "node:assert/strict";

const require = createRequire(join(process.cwd(), "web", "package.json"));
const { chromium } = require("playwright-core");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const URL = process.env.NCC_URL;
const PASSWORD = process.env.NCC_PASSWORD;
let BOSS = process.env.NCC_BOSS_TOKEN;
const UNITS = JSON.parse(process.env.NCC_UNITS);
const SHOTS = process.env.NCC_SHOTS;
const SUITE = process.env.NCC_SUITE;
let shotNo = 0;

async function api(method, path, body, token = BOSS) {
  const r = await fetch(URL + path, {
    method, headers: { Authorization: "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  const json = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return json;
}

async function shot(page, name) {
  const file = join(SHOTS, `${String(++shotNo).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

function step(name) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${SUITE}: ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.NCC_CHROMIUM, headless: true,
  args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
});
const external = [];
async function newPage(lang = "en") {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-GB" });
  // No request may leave the machine: anything not to this server fails the test.
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u.startsWith(URL) || u.startsWith("data:") || u.startsWith("blob:")) return route.continue();
    external.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log("page error:", e.message));
  page.on("response", (r) => { if (r.status() >= 500) console.log(`server answered ${r.status()}: ${r.request().method()} ${r.url()}`); });
  page.on("console", (m) => {
    if (m.type() === "error" && !/ERR_INTERNET_DISCONNECTED|404 \(Not Found\)/.test(m.text())) console.log("console:", m.text());
  });
  if (lang !== "en") await page.addInitScript((l) => localStorage.setItem("ncc_lang", l), lang);
  return { context, page };
}

async function signIn(page, user) {
  await page.goto(URL + "/");
  await page.fill("#username", user);
  await page.fill("#password", PASSWORD);
  await page.click("#login button");
  await page.waitForSelector("#live[data-state=live]", { timeout: 10000 });
  await page.waitForSelector("#map[data-ready='1']", { timeout: 20000 });
}

const headOf = (page) => page.evaluate(() => window.__ncc.state.head);

async function suiteConsole() {
  const { page } = await newPage();
  step("sign in");
  await page.goto(URL + "/");
  await page.waitForSelector("#login");
  await shot(page, "sign-in");
  await page.evaluate(AXE);
  const axeLogin = await page.evaluate(async () => (await window.axe.run(document)).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id));
  assert.deepEqual(axeLogin, [], "axe on the sign-in page");
  await signIn(page, "chief");
  assert.match(await page.textContent("#whoami"), /chief/);
  await page.waitForFunction(() => document.querySelectorAll("#board tbody tr").length >= 8);
  await shot(page, "signed-in");

  step("take a call by address search");
  await page.keyboard.press("F3");
  await page.waitForSelector("#intake");
  await page.fill("#in-type", "fire.structure");
  await page.selectOption("#in-priority", "1");
  await page.fill("#in-address", "UNION ST/BUCHANAN ST");
  const match = page.locator("#in-matches li[role=option]").first();
  await match.waitFor({ timeout: 5000 });
  assert.match(await match.textContent(), /UNION/i);
  await match.click();
  const coords = await page.inputValue("#in-coords");
  const [lat, lon] = coords.split(",").map(Number);
  assert.ok(Math.abs(lat - 37.797) < 0.01 && Math.abs(lon + 122.432) < 0.01, coords);
  await page.fill("#in-notes", "smoke from a third-floor window, caller on scene");
  await shot(page, "intake-address");
  await page.click("#in-create");

  step("see and accept the recommendation");
  await page.waitForSelector("#rec-units tbody tr", { timeout: 10000 });
  const incident = Number((await page.textContent("#detail-title")).match(/#(\d+)/)[1]);
  const recRows = await page.locator("#rec-units tbody tr").count();
  assert.ok(recRows >= 3, `recommended ${recRows} units`);
  const recText = await page.textContent("#rec");
  assert.match(recText, /road/, "ETAs by road");
  assert.match(recText, /min/);
  await shot(page, "recommendation");
  // The dispatcher's choice: E2 instead of the first engine recommended, the patrol car left out.
  const engineRow = page.locator("#rec-units tbody tr", { hasText: "engine" }).first();
  const replaced = Number(await engineRow.getAttribute("data-unit"));
  await engineRow.locator("select").selectOption({ label: "E2" });
  await page.locator("#rec-units tbody tr", { hasText: "patrol" }).locator("input[type=checkbox]").check();
  await page.click("#rec-accept");
  const toSend = recRows - 1;
  await page.waitForFunction((n) => document.querySelectorAll("#assigned li").length >= n, toSend, { timeout: 10000 });
  const inc = await api("GET", `/api/v1/incidents/${incident}`);
  const assigned = inc.assignments.map((a) => a.unit);
  assert.equal(assigned.length, toSend);
  assert.ok(assigned.includes(UNITS.E2) && !assigned.includes(replaced) && !assigned.includes(UNITS.P1) && !assigned.includes(UNITS.P2), JSON.stringify(assigned));
  assert.equal(inc.status, "dispatched");
  // The road route of each assigned unit to the incident, on the map.
  await page.waitForFunction((n) => Number(document.querySelector("#map").dataset.routes) >= n, toSend, { timeout: 10000 });
  await shot(page, "accepted");

  step("a second call at the same crossing: the open incident is offered as a possible duplicate");
  await page.keyboard.press("F3");
  await page.fill("#in-type", "fire.vehicle");
  await page.fill("#in-address", "Union & Buchanan");
  await page.locator("#in-matches li[role=option]").first().waitFor({ timeout: 5000 });
  await page.keyboard.press("Enter");
  await page.waitForSelector("#in-duplicate:not([hidden])", { timeout: 5000 });
  assert.match(await page.textContent("#in-duplicate"), new RegExp(`#${incident} fire.structure`));
  await shot(page, "possible-duplicate");
  await page.evaluate(AXE);
  const axeIntake = await page.evaluate(async () => (await window.axe.run(document)).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(axeIntake, [], "axe with the intake open");
  await page.click("#in-duplicate button");
  await page.waitForFunction((id) => document.querySelector("#detail-title")?.textContent.startsWith(`#${id} `), incident);

  step("a unit status sent through the API appears in the board within a second");
  const p2 = UNITS.P2;
  // The page notes the moment the row changes (a MutationObserver: no polling delay counted).
  const seen = page.evaluate((id) => new Promise((resolve) => {
    const sel = `#board tr[data-unit="${id}"][data-status="out_of_service"]`;
    const obs = new MutationObserver(() => { if (document.querySelector(sel)) { obs.disconnect(); resolve(Date.now()); } });
    obs.observe(document.getElementById("board"), { subtree: true, childList: true, attributes: true });
  }), p2);
  await page.waitForTimeout(100);
  const sent = Date.now();
  await api("POST", `/api/v1/units/${p2}/status`, { status: "out_of_service" });
  const took = (await seen) - sent;
  console.log(`  status on the board ${took} ms after the API call`);
  assert.ok(took < 1000, `took ${took} ms`);
  await shot(page, "board-status");
  // A unit chosen on the board: centred, its last hour's track asked for, follow offered.
  await page.click(`#board tr[data-unit="${UNITS.E2}"] button.link`);
  await page.waitForFunction(() => document.querySelector("#map").dataset.track !== undefined, null, { timeout: 5000 });
  assert.match(await page.textContent("#unit-box"), /E2/);
  await page.click("#follow");
  assert.equal(await page.getAttribute("#follow", "aria-pressed"), "true");

  step("dispatch by command line only");
  // The moment before this call exists (and before M12 is dispatched): the time slider goes back to it below.
  // (The slider moves in whole seconds: the call comes more than a second later.)
  const beforeOther = (await api("GET", "/api/v1/picture?seq=0&limit=1")).head_time;
  await page.waitForTimeout(1100);
  const other = await api("POST", "/api/v1/incidents", { type: "medical.cardiac", priority: 2, agency: "ambulance",
    location: { lat: 37.7925, lon: -122.4300 }, address: "2200 Block of FILLMORE ST" });
  await page.waitForSelector(`#queue tr[data-id="${other.id}"]`);
  await page.keyboard.press("Escape");
  await page.keyboard.press("F2");
  assert.equal(await page.evaluate(() => document.activeElement.id), "cmd");
  await page.keyboard.type("D M12");
  await page.keyboard.type(` ${other.id}`);
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => document.querySelector("#cmd-out").textContent.includes(`→ #${id}`), other.id, { timeout: 5000 });
  await page.keyboard.type("S M12 ER");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /en_route/.test(document.querySelector("#cmd-out").textContent), null, { timeout: 5000 });
  const m12 = await api("GET", `/api/v1/units/${UNITS.M12}`);
  assert.equal(m12.incident, other.id);
  assert.equal(m12.status, "en_route");
  await page.keyboard.type("S P");
  await page.keyboard.press("Tab");
  assert.match(await page.inputValue("#cmd"), /^S P\d /);
  await page.fill("#cmd", "");
  await shot(page, "command-line");

  step("time travel: the slider shows a past picture, read-only, and returns to live");
  await page.waitForSelector("#timebar:not([hidden]) #time-slider");
  await page.keyboard.press("Alt+t");
  assert.equal(await page.evaluate(() => document.activeElement.id), "time-slider");
  assert.equal(await page.isVisible("#past-banner"), false);
  const liveHead = await headOf(page);
  // A value on the slider's grid (whole seconds from its first event), at or before that moment.
  // (Focusing the slider re-reads its range from the server: wait until it reaches that moment.)
  await page.waitForFunction((t) => Number(document.querySelector("#time-slider").max) >= t, Date.parse(beforeOther));
  const min = Number(await page.getAttribute("#time-slider", "min"));
  await page.fill("#time-slider", String(min + Math.floor((Date.parse(beforeOther) - min) / 1000) * 1000));
  await page.waitForSelector("body.past #past-banner:not([hidden])", { timeout: 10000 });
  await page.waitForFunction((id) => !document.querySelector(`#queue tr[data-id="${id}"]`), other.id, { timeout: 5000 });
  assert.ok(await page.isVisible(`#queue tr[data-id="${incident}"]`), "the first call existed then");
  assert.equal(await page.getAttribute(`#board tr[data-unit="${UNITS.M12}"]`, "data-status"), "available", "M12 before its dispatch");
  assert.match(await page.textContent("#past-banner"), /Past picture/);
  assert.equal(await page.getAttribute("#live", "data-state"), "past");
  for (const sel of ["#cmd", "#new-call", "#board select.quick", "#alerts button.ack"])
    assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} hidden in the past`);
  const pastSeq = await page.evaluate(() => window.__ncc.past.seq);
  assert.ok(pastSeq > 0 && pastSeq < liveHead, `past seq ${pastSeq}, live head ${liveHead}`);
  await page.click(`#queue tr[data-id="${incident}"]`);
  await page.waitForSelector("#detail .past-note");
  assert.equal(await page.locator("#detail button").count(), 0, "the past detail has no commands");
  await shot(page, "past-picture");
  // Keyboard: a step back stays in the past; End (the slider's right end) is live again.
  await page.focus("#time-slider");
  await page.keyboard.press("PageDown");
  await page.waitForFunction((s) => window.__ncc.past.seq <= s, pastSeq, { timeout: 5000 });
  assert.ok(await page.isVisible("#past-banner"));
  await api("POST", `/api/v1/incidents/${other.id}/notes`, { text: "a note while the console looked at the past" });
  await page.keyboard.press("End");
  await page.waitForSelector("body:not(.past) #live[data-state=live]", { timeout: 10000 });
  assert.equal(await page.isVisible("#past-banner"), false);
  await page.waitForSelector(`#queue tr[data-id="${other.id}"]`);
  assert.equal(await page.getAttribute(`#board tr[data-unit="${UNITS.M12}"]`, "data-status"), "en_route");
  assert.ok(await page.isVisible("#cmd"));
  // The stream resumed after the last live event: what happened meanwhile arrived, once.
  const serverHead = (await api("GET", "/api/v1/whoami")).head;
  await page.waitForFunction((h) => window.__ncc.state.head >= h, serverHead, { timeout: 5000 });
  const doubled = await page.evaluate(() => { const a = window.__ncc.state.applied; return a.length - new Set(a).size; });
  assert.equal(doubled, 0, "no event applied twice");
  await shot(page, "back-to-live");

  step("an overdue timer turns red");
  const late = await api("POST", "/api/v1/incidents", { type: "police.robbery", priority: 1, agency: "police",
    location: { lat: 37.8001, lon: -122.4400 }, address: "CHESTNUT ST/SCOTT ST" });
  await page.waitForSelector(`#queue tr[data-id="${late.id}"]`);
  assert.notEqual(await page.getAttribute(`#queue tr[data-id="${late.id}"] td.age`, "data-timer"), "overdue");
  await page.clock.install();
  await page.clock.fastForward("03:00");
  await page.clock.runFor(1500);
  await page.waitForSelector(`#queue tr[data-id="${late.id}"] td.age[data-timer="overdue"]`, { timeout: 5000 });
  const bg = await page.$eval(`#queue tr[data-id="${late.id}"] td.age`, (e) => getComputedStyle(e).backgroundColor);
  assert.equal(bg, "rgb(179, 38, 30)");
  await shot(page, "overdue");

  step("alerts: a resource request from another agency, accepted from the panel");
  const deadline = new Date(Date.now() + 600_000).toISOString();
  const req = await api("POST", "/api/v1/resource-requests", { incident: late.id, agency: "civil_defence", kind: "engine",
    count: 1, reason: "robbery suspect set a car alight", deadline });
  const item = page.locator(`#requests li[data-request="${req.id}"]`);
  await item.waitFor({ timeout: 5000 });
  assert.match(await item.textContent(), /police → civil_defence: 1 engine/);
  await shot(page, "resource-request");
  await item.locator("button", { hasText: "Accept" }).click();
  // The answer assigns a unit and re-reads the requests: seconds on a loaded machine.
  await page.waitForFunction((id) => !document.querySelector(`#requests li[data-request="${id}"]`), req.id, { timeout: 15000 });
  const answered = (await api("GET", "/api/v1/resource-requests")).items.find((r) => r.id === req.id);
  assert.equal(answered.status, "accepted");
  assert.equal(answered.units.length, 1);

  step("a supervisor issues a public warning, drawing its area on the map");
  await page.click("#warn-new");
  await page.waitForSelector("#warning-form");
  await page.fill("#wf-area", "Marina Green");
  await page.selectOption("#wf-severity", "Severe");
  await page.click("#wf-polygon");
  const box = await page.locator("#map").boundingBox();
  for (const [dx, dy] of [[-60, -40], [60, -40], [0, 50]])
    await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
  await page.waitForFunction(() => document.querySelector("#wf-shape")?.textContent === "△ 3");
  await page.fill("#wf-en-event", "Coastal flood warning");
  await page.fill("#wf-en-headline", "Flooding expected at Marina Green");
  await page.fill("#wf-ar-event", "تحذير من ارتفاع المد");
  await page.fill("#wf-ar-headline", "فيضان متوقع في مارينا غرين");
  await page.click("#wf-issue");
  await page.waitForSelector("#warnings li[data-warning]", { timeout: 5000 });
  const issued = (await api("GET", "/api/v1/alerts")).items[0];
  assert.equal(issued.content.area.polygon.length, 4, "three corners, closed");
  assert.equal(issued.content.info.length, 2);
  const capDoc = await (await fetch(URL + issued.cap)).text();
  assert.match(capDoc, /<headline>Flooding expected at Marina Green<\/headline>/);
  assert.match(capDoc, /<polygon>/);
  await page.waitForFunction(() => !!window.__ncc.cop.map.getSource("warnings"), null, { timeout: 5000 });
  await shot(page, "public-warning");

  step("axe-core: no serious or critical violations");
  await page.evaluate(AXE);
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(axe, [], axe.join("\n"));

  step("a panel detached into its own window stays in sync (BroadcastChannel)");
  const [popup] = await Promise.all([page.context().waitForEvent("page"), page.click("#queue-panel .detach")]);
  await popup.waitForSelector(`#queue tr[data-id="${other.id}"]`, { timeout: 10000 });
  assert.equal(await popup.evaluate(() => document.body.dataset.panel), "queue");
  assert.ok(!(await popup.locator("#board-panel").isVisible()), "only the queue in the detached window");
  await popup.click(`#queue tr[data-id="${other.id}"]`);
  await page.waitForFunction((id) => document.querySelector("#detail-title")?.textContent.startsWith(`#${id} `), other.id, { timeout: 5000 });
  await shot(popup, "detached-queue");
  // One moment for every window: the main window's slider leads, the detached one follows.
  assert.equal(await popup.isVisible("#time-slider"), false, "a detached window has no slider of its own");
  await page.fill("#time-slider", String(min + Math.floor((Date.parse(beforeOther) - min) / 1000) * 1000));
  await popup.waitForSelector("body.past #past-banner:not([hidden])", { timeout: 10000 });
  await popup.waitForFunction((id) => !document.querySelector(`#queue tr[data-id="${id}"]`), other.id, { timeout: 5000 });
  await popup.click("#past-banner button"); // back to live from the detached window: all windows
  await page.waitForSelector("body:not(.past) #live[data-state=live]", { timeout: 10000 });
  await popup.waitForSelector(`body:not(.past) #queue tr[data-id="${other.id}"]`, { timeout: 10000 });
  await popup.close();

  step("map overlays: zones, coverage filled by its fraction against the target, move-ups; a toggle each");
  // Every engine is out on the calls by now: two spare ones at the Marina station, so that
  // dispatch can move one up into the Presidio without leaving the Marina uncovered.
  for (const callsign of ["E9", "E10"]) {
    const spare = await api("POST", "/api/v1/units", { callsign, agency: "civil_defence", kind: "engine",
      location: { lat: 37.8003, lon: -122.4368 } });
    await api("POST", "/api/v1/positions", [{ unit: spare.id, lat: 37.8003, lon: -122.4368, time: Date.now(), speed: 0, heading: 0 }]);
  }
  // The map's fills against the server's coverage (re-read until both agree: a unit sent
  // since changes both, the console re-reads on coverage_changed).
  const colourOf = (z) => (z.fraction >= z.target ? "#1a9641" : z.fraction >= z.target * 0.8 ? "#f0a019" : "#d7191c");
  const onMap = () => page.evaluate(async () => {
    const map = window.__ncc.cop.map, el = map.getContainer();
    const fc = await map.getSource("coverage").getData();
    return { fills: fc.features.map((f) => [f.properties.zone, f.properties.colour, f.geometry.type]).sort(),
      moveups: Number(el.dataset.moveups), below: Number(el.dataset.coverageBelow) };
  });
  let cov = [], drawn = null, want = null;
  for (const until = Date.now() + 30000; Date.now() < until; await page.waitForTimeout(500)) {
    cov = (await api("GET", "/api/v1/coverage")).zones;
    want = { fills: cov.map((z) => [z.zone, colourOf(z), "Polygon"]).sort(), moveups: cov.reduce((n, z) => n + z.move_ups.length, 0),
      below: cov.filter((z) => z.below_target).length };
    drawn = await onMap();
    if (JSON.stringify(drawn) === JSON.stringify(want) && want.moveups > 0) break;
  }
  assert.deepEqual(drawn, want, "coverage on the map as the server measures it");
  const west = cov.find((z) => z.zone === "presidio-west");
  assert.ok(west && west.below_target && west.move_ups.length > 0, `presidio-west below target with move-ups: ${JSON.stringify(west)}`);
  assert.equal(cov.length, 2);
  assert.match(await page.textContent(`#coverage li[data-zone="presidio-west"]`), new RegExp(`move ${west.move_ups[0].callsign} →`));
  await page.evaluate(() => window.__ncc.cop.map.fitBounds([[-122.48, 37.784], [-122.424, 37.806]], { duration: 0 }));
  await page.waitForTimeout(600);
  await shot(page, "coverage-overlay");
  const visibility = (id) => page.evaluate((l) => window.__ncc.cop.map.getLayoutProperty(l, "visibility") ?? "visible", id);
  for (const [box, layerIds] of [["#ly-zones", ["zones-line"]], ["#ly-coverage", ["coverage-fill", "coverage-line"]],
    ["#ly-moveups", ["moveups-line", "moveups-post"]]]) {
    await page.uncheck(box);
    for (const l of layerIds) assert.equal(await visibility(l), "none", `${box} off hides ${l}`);
    await page.check(box);
    for (const l of layerIds) assert.equal(await visibility(l), "visible", `${box} on shows ${l}`);
  }
  if (process.env.NCC_BASEMAP) {
    // The base map's labels in the console's language: English here (name:en, then name).
    assert.equal(await page.getAttribute("#map", "data-labels"), "en");
    const fields = await page.evaluate(() => window.__ncc.cop.map.getStyle().layers
      .filter((l) => l.type === "symbol" && JSON.stringify(l.layout?.["text-field"] ?? "").includes("name:")).map((l) => JSON.stringify(l.layout["text-field"])));
    assert.ok(fields.length >= 2, "label layers in the base map's style");
    for (const f of fields) assert.equal(f, JSON.stringify(["coalesce", ["get", "name:en"], ["get", "name"]]));
  }

  step("a CAP alert received: in the alerts panel with sender, event, severity and area; acknowledged");
  const capXml = readFileSync(join(process.env.NCC_DATA, "cap-alert.xml"), "utf8");
  const capReply = await fetch(URL + "/api/v1/cap", { method: "POST", body: capXml,
    headers: { Authorization: "ApiKey " + process.env.NCC_CAP_KEY, "Content-Type": "application/cap+xml" } });
  const capBody = await capReply.json();
  assert.equal(capReply.status, 201, JSON.stringify(capBody));
  const capItem = page.locator(`#cap-alerts li[data-sender="trinet@caltech.edu"]`);
  await capItem.waitFor({ timeout: 5000 });
  const capText = await capItem.textContent();
  assert.match(capText, /trinet@caltech\.edu/);
  assert.match(capText, /Earthquake/);
  assert.match(capText, /priority \d/, "the severity as the priority the import rules made of it");
  // The area whole, its own parentheses and all (the OASIS example's areaDesc).
  assert.match(await capItem.locator(".cap-area").textContent(), /^ · 1 mi\. WSW of Brawley, CA; 11 mi\. N of El Centro, CA; 30 mi\. E of OCOTILLO\s+\(quarry\); 1 mi\. N of the Imperial Fault$/);
  assert.equal(await capItem.locator(".cap-event").textContent(), "Earthquake — EQ 3.4 Imperial County CA");
  assert.match(capText, new RegExp(`#${capBody.incident}`));
  await page.locator("#cap-alerts").evaluate((ul) => ul.scrollIntoView({ block: "center" })); // the list stays, its items are redrawn
  await shot(page, "cap-alert");
  await capItem.locator("button.ack").click();
  await page.waitForSelector(`#cap-alerts li.acked[data-sender="trinet@caltech.edu"]`);
  assert.equal(await capItem.locator("button.ack").count(), 0);

  if (process.env.NCC_DOCS_SCREENSHOT) {
    await page.click(`#queue tr[data-id="${incident}"]`);
    await page.waitForTimeout(800);
    await page.screenshot({ path: process.env.NCC_DOCS_SCREENSHOT, type: "png" });
  }

  step("operations: a plan's matrix, sectors on the map, approve, activate, a phase, tasks, a decision point, a report");
  const iso = (ms) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, "Z");
  const ring = (lat, lon, d) => [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]];
  const made = await api("POST", "/api/v1/operations", {
    name: "Marina Green festival", event_type: "festival", venue: "Marina Green", start: iso(-60_000), end: iso(4 * 3600_000),
    agency: "civil_defence", agencies: ["ambulance", "police"], objectives: ["Keep the Marina Boulevard gate clear"],
    sectors: [{ id: "A", name: "Gate", polygon: { type: "Polygon", coordinates: [ring(37.8005, -122.4370, 0.002)] } },
              { id: "B", name: "Lawn", polygon: { type: "Polygon", coordinates: [ring(37.8040, -122.4330, 0.002)] } }],
    phases: [{ id: "stage", name: "Staging" }, { id: "show", name: "Show" }],
    tasks: [
      { id: "T1", title: "Stage an engine at the gate", agency: "civil_defence", team: "engine company", sector: "A", phase: "stage", checklist: ["cones out", "radio check"] },
      { id: "T2", title: "Close the road to cars", agency: "police", team: "traffic", sector: "A", phase: "stage", after: ["T1"] },
      { id: "T3", title: "Open a first-aid post", agency: "ambulance", team: "first aid", sector: "B", phase: "show", opened_by: "crowd" }],
    postings: [{ sector: "B", phase: "stage", agency: "ambulance", unit: "M1", post: { lat: 37.8040, lon: -122.4330 } }],
    decision_points: [{ id: "crowd", name: "Crowd on the lawn", when: "incidents", sector: "B", count: 5, opens: ["T3"] }],
  });
  await page.keyboard.press("Alt+6");
  await page.waitForSelector("#ops-panel #ops-grid");
  await page.selectOption("#ops-plan", String(made.id));
  await page.waitForSelector(`#ops-grid [data-task="T2"]`);
  const rowsOf = await page.$$eval("#ops-grid tbody tr", (trs) => trs.map((tr) => tr.dataset.agency));
  assert.deepEqual(rowsOf, ["civil_defence", "ambulance", "police"], "agencies as rows, lead first");
  assert.deepEqual(await page.$$eval("#ops-grid thead th", (ths) => ths.slice(1).map((th) => th.textContent)), ["Staging", "Show"]);
  await page.waitForFunction(() => document.querySelector("#map")?.dataset.planSectors === "2", null, { timeout: 10000 });
  // Approve for the chief's agency from the keyboard; the partners approve through the API; the
  // page follows the stream.
  await page.focus("#ops-approve");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#ops-approve", { state: "detached", timeout: 5000 });
  for (const partner of ["ambsup", "polsup"])
    await api("POST", `/api/v1/operations/${made.id}/approval`, { revision: 1 }, await login(partner));
  await page.waitForSelector("#ops-activate", { timeout: 10000 });
  await page.click("#ops-activate");
  await page.waitForSelector("#ops-phase-stage-start", { timeout: 10000 });
  await page.click("#ops-phase-stage-start");
  await page.waitForSelector("#ops-phase-stage-end", { timeout: 10000 });
  // T2 waits on T1: started anyway with the reason kept as the override.
  await page.click(`#ops-grid [data-task="T2"]`);
  await page.waitForSelector("#ops-task-start");
  assert.match(await page.textContent("#ops-task-start"), /override/);
  await page.fill("#ops-reason", "road closed early by the city");
  await page.focus("#ops-task-start");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#ops-grid [data-task="T2"][data-status="in_progress"]`, { timeout: 10000 });
  await page.click(`#ops-grid [data-task="T1"]`);
  await page.waitForSelector("#ops-check-0");
  await page.check("#ops-check-0");
  await page.waitForSelector("#ops-check-0:checked:not([disabled])", { timeout: 10000 });
  await page.waitForFunction(async (id) => {
    const r = await fetch(`/api/v1/operations/${id}`, { headers: { Authorization: "Bearer " + JSON.parse(sessionStorage.getItem("ncc_session")).access_token } });
    return (await r.json()).plan.tasks[0].checklist[0].done;
  }, made.id, { timeout: 10000 });
  await page.click("#ops-fire-crowd");
  await page.waitForSelector("#ops-points .fired", { timeout: 10000 });
  const shownPlan = (await api("GET", `/api/v1/operations/${made.id}`)).plan;
  const byId = Object.fromEntries(shownPlan.tasks.map((k) => [k.id, k]));
  assert.equal(byId.T2.override_reason, "road closed early by the city");
  assert.equal(byId.T3.status, "planned", "the decision point opened T3");
  // A situation report on the plan, drafted and approved from the page.
  await page.fill("#ops-sitrep-title", "Festival 1st report");
  await page.fill("#ops-sitrep-narrative", "Gate staffed, road closed.");
  await page.click("#ops-sitrep-form button");
  await page.waitForSelector(`#ops-sitrep-list li[data-status="draft"] button[id^="ops-sitrep-approve-"]`, { timeout: 10000 });
  await page.click(`#ops-sitrep-list button[id^="ops-sitrep-approve-"]`);
  await page.waitForSelector(`#ops-sitrep-list li[data-status="approved"]`, { timeout: 10000 });
  await shot(page, "operations");
  await page.evaluate(AXE);
  const axeOps = await page.evaluate(async () => (await window.axe.run("#ops-panel")).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`));
  assert.deepEqual(axeOps, [], axeOps.join("\n"));
  await page.click("#ops-toggle");
  await page.waitForSelector("#ops-panel", { state: "hidden" });

  step("Arabic, right to left");
  await page.selectOption("#lang", "ar");
  await page.waitForSelector("html[dir=rtl]");
  await page.waitForFunction(() => document.querySelector("#queue-panel h2")?.textContent === "الحوادث");
  await page.waitForSelector("#map[data-ready='1']", { timeout: 20000 });
  const queueBox = await page.locator("#queue-panel").boundingBox();
  const mapBox = await page.locator(".mapwrap").boundingBox();
  assert.ok(queueBox.x > mapBox.x, "the queue is on the right in RTL");
  assert.equal(await page.getAttribute("html", "lang"), "ar");
  assert.match(await page.textContent("#queue-panel h2"), /الحوادث/);
  await page.waitForFunction(() => /[٠-٩]/.test(document.querySelector("#q-count").textContent), null, { timeout: 5000 });
  assert.match(await page.textContent(`#board tr[data-unit="${UNITS.P2}"]`), /خارج الخدمة/, "statuses in Arabic");
  if (process.env.NCC_BASEMAP) {
    // The base map's labels follow: name:ar, then the local name.
    await page.waitForSelector("#map[data-labels=ar]", { timeout: 10000 });
    const fields = await page.evaluate(() => window.__ncc.cop.map.getStyle().layers
      .filter((l) => l.type === "symbol" && JSON.stringify(l.layout?.["text-field"] ?? "").includes("name:")).map((l) => JSON.stringify(l.layout["text-field"])));
    assert.ok(fields.length >= 2);
    for (const f of fields) assert.equal(f, JSON.stringify(["coalesce", ["get", "name:ar"], ["get", "name"]]));
  }
  await shot(page, "arabic-rtl");
  await page.evaluate(AXE);
  const axeAr = await page.evaluate(async () => (await window.axe.run(document)).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id));
  assert.deepEqual(axeAr, []);
}

async function suiteVisibility() {
  step("two browsers, two agencies");
  const police = await api("POST", "/api/v1/incidents", { type: "police.robbery", priority: 2, agency: "police",
    location: { lat: 37.7990, lon: -122.4330 }, address: "POLICE-ONLY CANARY" });
  const fire = await api("POST", "/api/v1/incidents", { type: "fire", priority: 2, agency: "civil_defence",
    location: { lat: 37.7960, lon: -122.4310 }, address: "FIRE-ONLY CANARY" });
  const a = await newPage();
  const b = await newPage();
  await Promise.all([signIn(a.page, "pol"), signIn(b.page, "cd")]);
  await a.page.waitForSelector(`#queue tr[data-id="${police.id}"]`);
  await b.page.waitForSelector(`#queue tr[data-id="${fire.id}"]`);
  // Live: one more of each after both are signed in.
  const police2 = await api("POST", "/api/v1/incidents", { type: "police", priority: 3, agency: "police",
    location: { lat: 37.8000, lon: -122.4350 }, address: "POLICE LIVE CANARY" });
  const fire2 = await api("POST", "/api/v1/incidents", { type: "fire", priority: 3, agency: "civil_defence",
    location: { lat: 37.7970, lon: -122.4290 }, address: "FIRE LIVE CANARY" });
  await a.page.waitForSelector(`#queue tr[data-id="${police2.id}"]`);
  await b.page.waitForSelector(`#queue tr[data-id="${fire2.id}"]`);
  await a.page.waitForTimeout(800);
  const seen = async (page) => page.evaluate(() => ({
    incidents: [...window.__ncc.state.incidents.values()].map((i) => i.agency),
    units: [...window.__ncc.state.units.values()].map((u) => u.agency),
    text: document.body.innerText,
    quick: document.querySelectorAll("#board select.quick").length,
    newCall: !!document.querySelector("#new-call"),
  }));
  const pa = await seen(a.page), pb = await seen(b.page);
  assert.ok(pa.incidents.length >= 2 && pa.incidents.every((x) => x === "police"), JSON.stringify(pa.incidents));
  assert.ok(pa.units.length >= 2 && pa.units.every((x) => x === "police"), JSON.stringify(pa.units));
  assert.ok(pb.incidents.length >= 2 && pb.incidents.every((x) => x === "civil_defence"), JSON.stringify(pb.incidents));
  assert.ok(pb.units.length >= 4 && pb.units.every((x) => x === "civil_defence"), JSON.stringify(pb.units));
  assert.ok(!pa.text.includes("FIRE") && !pb.text.includes("POLICE"), "no other agency's text");
  // Role-aware: the call taker takes calls but changes no unit status; the dispatcher does.
  assert.equal(pa.quick, 0);
  assert.ok(pa.newCall);
  assert.ok(pb.quick >= 4);
  await a.page.click(`#queue tr[data-id="${police.id}"]`);
  await b.page.click(`#queue tr[data-id="${fire.id}"]`);
  await a.page.waitForSelector("#detail-title");
  await b.page.waitForSelector("#rec-make");
  assert.equal(await a.page.locator("#rec-make").count(), 0, "no recommend button for a call taker");
  assert.equal(await a.page.locator("#inc-status").count(), 0, "no status change for a call taker");
  // Text from the server is text: markup in an address or summary is shown, never run.
  const evil = "<img src=x onerror=\"window.__xss=1\">";
  const x = await api("POST", "/api/v1/incidents", { type: "police", priority: 4, agency: "police",
    location: { lat: 37.7995, lon: -122.4370 }, address: evil, summary: "<b>bold</b><script>window.__xss=2</script>" });
  await a.page.waitForSelector(`#queue tr[data-id="${x.id}"]`);
  await a.page.click(`#queue tr[data-id="${x.id}"]`);
  await a.page.waitForFunction((id) => document.querySelector("#detail-title")?.textContent.startsWith(`#${id} `), x.id);
  assert.equal(await a.page.textContent(`#queue tr[data-id="${x.id}"] td.addr`), evil);
  assert.equal(await a.page.textContent("#detail .summary"), "<b>bold</b><script>window.__xss=2</script>");
  assert.equal(await a.page.evaluate(() => window.__xss), undefined);
  assert.equal(await a.page.locator("#queue img, #detail img, #detail b:text('bold')").count(), 0);
  await shot(a.page, "police-call-taker");
  await shot(b.page, "civil-defence-dispatcher");
  // Signing out and in again keeps one stream: every event once.
  const open = new Set();
  a.page.on("websocket", (ws) => { open.add(ws); ws.on("close", () => open.delete(ws)); });
  const oldToken = await a.page.evaluate(() => JSON.parse(sessionStorage.getItem("ncc_session")).access_token);
  await a.page.click("#signout");
  await a.page.waitForSelector("#login");
  const revoked = await fetch(URL + "/api/v1/whoami", { headers: { Authorization: "Bearer " + oldToken } });
  assert.equal(revoked.status, 401, "signing out revoked the token on the server");
  await a.page.fill("#username", "pol");
  await a.page.fill("#password", PASSWORD);
  await a.page.click("#login button");
  await a.page.waitForSelector("#live[data-state=live]", { timeout: 10000 });
  const again = await api("POST", "/api/v1/incidents", { type: "police", priority: 3, agency: "police",
    location: { lat: 37.8003, lon: -122.4361 }, address: "AFTER SIGN-IN AGAIN" });
  await a.page.waitForSelector(`#queue tr[data-id="${again.id}"]`);
  await a.page.waitForTimeout(1000);
  assert.equal(await a.page.locator(`#queue tr[data-id="${again.id}"]`).count(), 1);
  assert.equal(open.size, 1, "one stream open");
  const applied = await a.page.evaluate(() => window.__ncc.state.applied);
  assert.equal(new Set(applied).size, applied.length, "no event twice");

  // A record of the other agency asked for directly: the API answers 404, the console says so.
  await a.page.fill("#cmd", `O ${fire.id}`);
  await a.page.press("#cmd", "Enter");
  await a.page.waitForSelector("#detail .error");
  assert.match(await a.page.textContent("#detail .error"), /not|404|no /i);
}

async function login(user) {
  const r = await fetch(URL + "/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, password: PASSWORD }) });
  return (await r.json()).access_token;
}

async function suiteOffline() {
  const chief = await login("chief");
  const { context, page } = await newPage();
  step("sign in");
  await signIn(page, "chief");
  const start = await headOf(page);
  step("offline for 10 s while the centre keeps working");
  await context.setOffline(true);
  const made = [];
  const deadline = Date.now() + 10000;
  let badgeStale = false;
  let k = 0;
  while (Date.now() < deadline) {
    const i = await api("POST", "/api/v1/incidents", { type: "medical", priority: 3, agency: "ambulance",
      location: { lat: 37.79 + k * 0.001, lon: -122.43 }, address: `OFFLINE CALL ${k}` });
    made.push(i.id);
    await api("POST", `/api/v1/incidents/${i.id}/notes`, { text: `note ${k}` });
    k++;
    await page.waitForTimeout(1000);
    if ((await page.getAttribute("#live", "data-state")) === "stale") badgeStale = true;
  }
  const badge = await page.textContent("#live");
  await shot(page, "offline-stale");
  assert.ok(badgeStale, "the badge said stale while offline");
  assert.match(badge, /data stale since \d\d:\d\d:\d\d/, badge);
  step("back online");
  await context.setOffline(false);
  await page.waitForSelector("#live[data-state=live]", { timeout: 15000 });
  const serverHead = (await api("GET", "/api/v1/whoami", undefined, chief)).head;
  // Every event the server has for chief after `start`, exactly once and in order.
  const expected = [];
  for (let after = start; ;) {
    const page_ = await api("GET", `/api/v1/events?after=${after}&limit=1000`, undefined, chief);
    expected.push(...page_.items.map((e) => e.seq));
    if (!page_.items.length || page_.last_seq >= serverHead) break;
    after = page_.last_seq;
  }
  const last = expected[expected.length - 1];
  await page.waitForFunction((n) => window.__ncc.state.head >= n, last, { timeout: 10000 });
  const got = await page.evaluate(([s, l]) => window.__ncc.state.applied.filter((x) => x > s && x <= l), [start, last]);
  assert.deepEqual(got, expected, "events applied = events the server has (none lost, none doubled)");
  const dup = await page.evaluate(() => window.__ncc.stream.duplicates);
  console.log(`  ${got.length} events applied, ${dup} resent by the server and ignored, ${made.length} calls made offline`);
  // The lists redraw 100 ms after the last event: wait for the rows, then count them.
  for (const id of made) await page.waitForSelector(`#queue tr[data-id="${id}"]`, { timeout: 5000 });
  for (const id of made) assert.equal(await page.locator(`#queue tr[data-id="${id}"]`).count(), 1, `incident ${id} once in the queue`);
  await shot(page, "back-online");

  step("a socket that goes silent (open, but nothing comes): stale within seconds, then replaced");
  const b = await newPage();
  const conns = [];
  await b.page.routeWebSocket(/\/api\/v1\/stream/, (ws) => {
    const server = ws.connectToServer();
    const c = { dead: false };
    conns.push(c);
    server.onMessage((m) => { if (!c.dead) ws.send(m); });
  });
  await signIn(b.page, "chief");
  const from = await headOf(b.page);
  conns[conns.length - 1].dead = true; // the socket stays open; nothing more arrives
  const silentAt = Date.now();
  const quiet = await api("POST", "/api/v1/incidents", { type: "medical", priority: 2, agency: "ambulance",
    location: { lat: 37.791, lon: -122.433 }, address: "SILENT SOCKET CALL" });
  await b.page.waitForSelector(`#queue tr[data-id="${quiet.id}"]`, { timeout: 15000 });
  const stale = await b.page.evaluate((t) => window.__ncc.stream.history.find((x) => !x.live && x.at >= t), silentAt);
  assert.ok(stale, "the silent socket was shown stale");
  console.log(`  silent socket shown stale after ${stale.at - silentAt} ms (${stale.detail}), then replaced`);
  assert.ok(stale.at - silentAt < 8000);
  await b.page.waitForSelector("#live[data-state=live]", { timeout: 10000 });
  assert.ok(conns.length >= 2, "a new socket replaced the silent one");
  const seqs = await b.page.evaluate((s) => window.__ncc.state.applied.filter((x) => x > s), from);
  assert.equal(new Set(seqs).size, seqs.length, "no event twice");
}

async function suiteSession() {
  // The test's own API token lasts 6 s too: renew it every 3 s.
  let pair = await (await fetch(URL + "/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "boss", password: PASSWORD }) })).json();
  BOSS = pair.access_token;
  const renew = setInterval(async () => {
    const r = await fetch(URL + "/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: pair.refresh_token }) });
    if (r.ok) { pair = await r.json(); BOSS = pair.access_token; }
  }, 3000);
  try { await sessionSteps(); } finally { clearInterval(renew); }
}

async function sessionSteps() {
  const { page } = await newPage();
  let refreshes = 0, refused = 0;
  page.on("response", (r) => {
    if (r.url().endsWith("/api/v1/auth/refresh")) { refreshes++; if (r.status() === 429) refused++; }
  });
  step("sign in with 6 s access tokens");
  await signIn(page, "chief");
  const start = await headOf(page);
  const first = await page.evaluate(() => JSON.parse(sessionStorage.getItem("ncc_session")).access_token);
  const made = [];
  for (let k = 0; k < 12; k++) {
    const i = await api("POST", "/api/v1/incidents", { type: "fire", priority: 3, agency: "civil_defence",
      location: { lat: 37.795 + k * 0.0005, lon: -122.434 }, address: `SHIFT CALL ${k}` });
    made.push(i.id);
    await page.waitForTimeout(2000);
    assert.equal(await page.locator("#login").count(), 0, "still signed in");
  }
  step("24 s later: renewed, live, every event once");
  const now = await page.evaluate(() => JSON.parse(sessionStorage.getItem("ncc_session")).access_token);
  assert.notEqual(now, first, "the access token was renewed");
  console.log(`  ${refreshes} renewals in 24 s, ${refused} refused`);
  assert.ok(refreshes >= 3 && refreshes <= 10 && refused === 0, `${refreshes} renewals, ${refused} refused`);
  await page.waitForSelector("#live[data-state=live]", { timeout: 8000 });
  for (const id of made) await page.waitForSelector(`#queue tr[data-id="${id}"]`, { timeout: 5000 });
  // A command after four token lifetimes works without signing in again.
  await page.fill("#cmd", `NOTE ${made[0]} still here`);
  await page.press("#cmd", "Enter");
  await page.waitForFunction(() => /note/.test(document.querySelector("#cmd-out").textContent), null, { timeout: 5000 });
  const chief = await login("chief");
  const expected = (await api("GET", `/api/v1/events?after=${start}&limit=1000`, undefined, chief)).items.map((e) => e.seq);
  const last = expected[expected.length - 1] ?? 0;
  await page.waitForFunction((n) => window.__ncc.state.head >= n, last, { timeout: 10000 });
  const got = await page.evaluate(([s, l]) => window.__ncc.state.applied.filter((x) => x > s && x <= l), [start, last]);
  assert.deepEqual(got, expected, "every event once, in order");
  await shot(page, "renewed");
  step("the session ended on the server: the console asks to sign in");
  execFileSync(process.env.NCC_BIN, ["user", "disable", "--data", process.env.NCC_DATA, "chief"]);
  await page.waitForSelector("#login", { timeout: 15000 });
  assert.match(await page.textContent("#login-error"), /sign in again/i);
  await shot(page, "ended");
  // It stays there: no retry loop against the server.
  const before = await page.evaluate(() => performance.getEntriesByType("resource").length);
  await page.waitForTimeout(4000);
  const after = await page.evaluate(() => performance.getEntriesByType("resource").length);
  assert.ok(after - before <= 1, `${after - before} requests after the session ended`);
}

async function suiteBehind() {
  const { page } = await newPage();
  step("sign in");
  await signIn(page, "chief");
  step("a burst the stream cannot carry: cut, the picture re-read from the API, live again");
  const fire = await api("POST", "/api/v1/incidents", { type: "fire.structure", priority: 1, agency: "civil_defence",
    location: { lat: 37.7975, lon: -122.4322 }, address: "BURST CALL" });
  await page.waitForSelector(`#queue tr[data-id="${fire.id}"]`);
  const rec = await api("POST", `/api/v1/incidents/${fire.id}/recommendation`, {});
  assert.ok(rec.units.length >= 3, "a recommendation to accept");
  await api("POST", `/api/v1/incidents/${fire.id}/recommendation/accept`, {});
  await page.waitForFunction(() => window.__ncc.stream.fellBehind >= 1, null, { timeout: 10000 });
  await page.waitForSelector("#live[data-state=live]", { timeout: 10000 });
  await page.waitForFunction((id) => window.__ncc.state.incidents.get(id)?.status === "dispatched", fire.id, { timeout: 10000 });
  const busy = await page.evaluate((ids) => ids.map((id) => window.__ncc.state.units.get(id)?.status), rec.units.map((u) => u.unit));
  assert.ok(busy.every((x) => x === "dispatched"), JSON.stringify(busy));
  await shot(page, "fell-behind-reread");
}

let failed = false;
try {
  if (SUITE === "console") await suiteConsole();
  else if (SUITE === "visibility") await suiteVisibility();
  else if (SUITE === "offline") await suiteOffline();
  else if (SUITE === "session") await suiteSession();
  else if (SUITE === "behind") await suiteBehind();
  else throw new Error("unknown suite " + SUITE);
  assert.deepEqual(external, [], "requests that would have left the machine");
  step("passed");
} catch (e) {
  failed = true;
  console.error(e);
  for (const ctx of browser.contexts()) for (const p of ctx.pages()) await shot(p, "failure").catch(() => {});
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
