// The live console: loads the current picture over HTTP, then follows the event stream.
// Plain JavaScript, no build step; everything it shows comes from the public API.
"use strict";
const state = { incidents: new Map(), units: new Map(), head: 0 };
const OPEN = new Set(["new", "triaged", "dispatched", "en_route", "on_scene"]);
const $ = (id) => document.getElementById(id);
// Everything shown from the server is text, never markup.
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
let selected = null;  // the incident whose messages are shown

// The access token lives in this tab only (sessionStorage), never in a cookie.
let token = sessionStorage.getItem("ncc_token");

async function getJson(path) {
  const r = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (r.status === 401) { showLogin("session expired: sign in again"); throw new Error("signed out"); }
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

function showLogin(message) {
  sessionStorage.removeItem("ncc_token");
  token = null;
  document.querySelector("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  const body = await r.json();
  if (!r.ok) { $("login-error").textContent = body.error?.message || `error ${r.status}`; return; }
  token = body.access_token;
  sessionStorage.setItem("ncc_token", token);
  $("login").hidden = true;
  $("login-error").textContent = "";
  $("password").value = "";
  document.querySelector("main").hidden = false;
  start();
});

async function loadPicture() {
  state.incidents.clear();
  let after = 0;
  for (;;) {  // every incident, in pages
    const page = await getJson(`/api/v1/incidents?limit=1000&after=${after}`);
    for (const i of page.items) state.incidents.set(i.id, i);
    if (page.next_after == null) break;
    after = page.next_after;
  }
  const units = await getJson("/api/v1/units");
  state.units.clear();
  for (const u of units.items) state.units.set(u.id, u);
  return (await getJson("/api/v1/whoami")).head;
}

function apply(ev) {
  const d = ev.data;
  state.head = ev.seq;
  switch (ev.type) {
    case "incident_created":
      state.incidents.set(d.id, { ...d, status: "new", agency: ev.agency, assignments: [] });
      break;
    case "incident_status_changed": { const i = state.incidents.get(d.id); if (i) i.status = d.to; break; }
    case "unit_registered": state.units.set(d.id, { ...d, status: "available", agency: ev.agency }); break;
    case "unit_status_changed": {
      const u = state.units.get(d.id);
      if (u) { u.status = d.to; if (d.to === "available" || d.to === "out_of_service") u.incident = null; }
      break;
    }
    case "unit_assigned": {
      const u = state.units.get(d.unit); if (u) u.incident = d.incident;
      const i = state.incidents.get(d.incident); if (i) (i.assignments ||= []).push({ unit: d.unit });
      break;
    }
    case "positions_reported":
      for (const f of d.fixes) { const u = state.units.get(f.unit); if (u) u.position = f.position; }
      break;
    case "zones_tagged": { const i = state.incidents.get(d.incident); if (i && !d.alarm) i.zones = d.zones; break; }
    case "incident_reclassified": { const i = state.incidents.get(d.id); if (i) i.classification = d.classification; break; }
  }
  if ((ev.type === "message_posted" && d.incident === selected) ||
      ((ev.type === "zones_tagged" || ev.type === "incident_reclassified") && (d.incident ?? d.id) === selected))
    showDetail();
  const li = document.createElement("li");
  li.innerHTML = `${esc(ev.seq)} <b>${esc(ev.type)}</b> ${summarize(ev)}`;
  const feed = $("feed");
  feed.prepend(li);
  while (feed.children.length > 200) feed.lastChild.remove();
}

function summarize(ev) {
  const d = ev.data;
  if (ev.type === "incident_created") return esc(`#${d.id} ${d.type} P${d.priority} ${d.address}`);
  if (ev.type === "incident_status_changed") return esc(`#${d.id} ${d.from} → ${d.to}`);
  if (ev.type === "unit_status_changed") return esc(`${state.units.get(d.id)?.callsign ?? d.id} ${d.from} → ${d.to}`);
  if (ev.type === "unit_assigned") return esc(`${state.units.get(d.unit)?.callsign ?? d.unit} → #${d.incident}`);
  if (ev.type === "positions_reported") return esc(`${d.fixes.length} fix(es)`);
  if (ev.type === "message_posted") return esc(`#${d.incident} [${d.classification}] ${ev.actor} (${ev.agency}): ${d.text}`);
  if (ev.type === "zones_tagged") return esc(`#${d.incident}${d.alarm ? " alarm " + d.alarm : ""} in ${d.zones.join(", ") || "no zone"}`);
  if (ev.type === "unit_reclassified" || ev.type === "incident_reclassified") return esc(`#${d.id} now ${d.classification}`);
  return "";
}

let dirty = true;
function render() {
  if (!dirty) return requestAnimationFrame(render);
  dirty = false;
  const open = [...state.incidents.values()].filter((i) => OPEN.has(i.status)).sort((a, b) => a.priority - b.priority || b.id - a.id);
  $("open-count").textContent = `(${open.length})`;
  const unitName = (id) => state.units.get(id)?.callsign ?? id;
  $("incidents").tBodies[0].innerHTML = open.slice(0, 200).map((i) =>
    // Every field came from a client of the API: text only, never markup.
    `<tr data-id="${esc(i.id)}"${i.id === selected ? ' class="selected"' : ""}><td>${esc(i.id)}</td><td>${esc(i.priority)}</td><td>${esc(i.type)}</td><td>${esc(i.status)}</td><td class="addr">${esc(i.address || "")}</td>` +
    `<td>${esc((i.assignments || []).map((a) => unitName(a.unit)).join(" "))}</td></tr>`).join("");
  const counts = {};
  for (const u of state.units.values()) counts[u.status] = (counts[u.status] || 0) + 1;
  $("unit-summary").innerHTML = Object.entries(counts).map(([s, n]) => `<span><b>${esc(n)}</b>${esc(s)}</span>`).join("");
  $("head").textContent = `seq ${state.head}`;
  drawMap(open);
  requestAnimationFrame(render);
}

// The selected incident: its label, zones and messages (each message filtered by the server).
async function showDetail() {
  if (selected == null) return;
  const id = selected;
  const i = state.incidents.get(id);
  let items = [];
  try {
    items = (await getJson(`/api/v1/incidents/${id}/messages`)).items;
  } catch (e) {
    $("message-error").textContent = e.message;
  }
  if (id !== selected) return;  // another incident was chosen meanwhile
  $("detail").hidden = false;
  $("detail-title").textContent = `#${id} ${i?.type ?? ""} · ${i?.classification ?? ""}` +
    (i?.zones?.length ? ` · zones ${i.zones.join(", ")}` : "");
  $("messages").innerHTML = items.map((m) =>
    `<li><span class="cls">${esc(m.classification)}</span> <b>${esc(m.author)}</b> (${esc(m.agency)}): ${esc(m.text)}</li>`).join("");
}

$("incidents").addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-id]");
  if (!row) return;
  selected = Number(row.dataset.id);
  $("message-error").textContent = "";
  dirty = true;
  showDetail();
});

$("message-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (selected == null) return;
  const r = await fetch(`/api/v1/incidents/${selected}/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ text: $("message-text").value, classification: $("message-classification").value }),
  });
  const body = await r.json();
  if (!r.ok) { $("message-error").textContent = body.error?.message || `error ${r.status}`; return; }
  $("message-error").textContent = "";
  $("message-text").value = "";
});

function drawMap(open) {
  const c = $("map"), ctx = c.getContext("2d");
  c.width = c.clientWidth * devicePixelRatio; c.height = c.clientHeight * devicePixelRatio;
  ctx.clearRect(0, 0, c.width, c.height);
  const pts = [...state.incidents.values()].map((i) => i.location).concat([...state.units.values()].filter((u) => u.position).map((u) => u.position));
  if (!pts.length) return;
  let [s, n, w, e] = [90, -90, 180, -180];
  for (const p of pts) { s = Math.min(s, p.lat); n = Math.max(n, p.lat); w = Math.min(w, p.lon); e = Math.max(e, p.lon); }
  const k = Math.cos(((s + n) / 2) * Math.PI / 180), pad = 20 * devicePixelRatio;
  const scale = Math.min((c.width - 2 * pad) / Math.max(1e-6, (e - w) * k), (c.height - 2 * pad) / Math.max(1e-6, n - s));
  const xy = (p) => [pad + (p.lon - w) * k * scale, c.height - pad - (p.lat - s) * scale];
  ctx.fillStyle = "#2a343d";
  for (const i of state.incidents.values()) { const [x, y] = xy(i.location); ctx.fillRect(x, y, 2, 2); }  // history
  for (const i of open) {
    const [x, y] = xy(i.location);
    ctx.fillStyle = i.priority <= 1 ? "#ff4d4f" : i.priority <= 3 ? "#faad14" : "#52c41a";
    ctx.beginPath(); ctx.arc(x, y, 5 * devicePixelRatio, 0, 2 * Math.PI); ctx.fill();
  }
  ctx.fillStyle = "#40a9ff";
  for (const u of state.units.values()) if (u.position) { const [x, y] = xy(u.position); ctx.fillRect(x - 3, y - 3, 6, 6); }
}

function connect(after) {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/stream?after=${after}&access_token=${encodeURIComponent(token)}`);
  ws.onopen = () => { $("conn").textContent = "live"; $("conn").className = "badge on"; };
  ws.onmessage = (m) => {
    const ev = JSON.parse(m.data);
    if (ev.type === "stream_hello" || ev.type === "heartbeat" || ev.type === "positions") return;
    apply(ev); dirty = true;
  };
  ws.onclose = async (e) => {
    if (!token) return;
    $("conn").textContent = `reconnecting (${e.reason || "closed"})`; $("conn").className = "badge off";
    setTimeout(async () => connect(e.reason.includes("after=") ? await loadPicture() : state.head), 1000);
  };
}

setInterval(() => { $("clock").textContent = new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC"; }, 1000);
async function start() {
  try {
    const me = await getJson("/api/v1/whoami");
    $("who").textContent = `${me.user} (${me.agency})`;
    const seq = await loadPicture();
    state.head = seq;
    connect(seq);
    requestAnimationFrame(render);
  } catch (e) {
    $("conn").textContent = `error: ${e.message}`;
  }
}

if (token) start(); else showLogin();
