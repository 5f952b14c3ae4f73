// The one WebSocket stream: resume from the last seq after any disconnect, honest staleness.
//
// The server sends {"type":"heartbeat"} every 2 s on a quiet stream, and live unit positions
// ({"type":"positions"}) because the stream is opened with positions=1. Liveness is also checked
// from this side, since a heartbeat proves the socket but not that no event went missing:
// every few seconds a probe asks GET /events?after=<last seq>&limit=1. A probe that fails means
// the network or the server is away; a probe that finds a newer visible event which the socket
// has not delivered twice in a row means the socket is silently dead, and it is replaced.
// Either way the badge says "reconnecting / data stale since hh:mm:ss".
import { api, current, refresh, signOutLocally, ApiError } from "./session";
import { apply, applyLivePositions, changed, state, type NccEvent } from "./state";

export type Health = { live: boolean; staleSince: number | null; detail: string };
type HealthFn = (h: Health) => void;

const PROBE_MS = 3000;

export class Stream {
  private ws: WebSocket | null = null;
  private stopped = false;
  private retry = 0;
  private retryTimer: number | undefined;
  private probeTimer: number | undefined;
  private lastGood = Date.now(); // the last moment the picture was known to be current
  private pendingSeq = 0;
  private httpDown = false; // the last probe failed: commands would fail too, so not "live"
  private open = false;
  private health: Health = { live: false, staleSince: null, detail: "" };
  public received = 0;
  public duplicates = 0;
  public connects = 0;
  public fellBehind = 0;
  public history: { live: boolean; at: number; detail: string }[] = []; // badge changes (bounded)

  constructor(private onHealth: HealthFn, private onFellBehind: () => Promise<void>) {}

  start(): void {
    this.stopped = false;
    this.connect();
    this.probeTimer = window.setInterval(() => void this.probe(), PROBE_MS);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.probeTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = null;
      ws.close();
    }
  }

  // A fresh socket with the current token, resuming after the last event applied.
  reconnect(): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = null;
      try { ws.close(); } catch { /* already closed */ }
    }
    this.open = false;
    this.connect();
  }

  private setHealth(live: boolean, detail = ""): void {
    if (this.httpDown && live) return;
    const staleSince = live ? null : this.health.staleSince ?? this.lastGood;
    if (live === this.health.live && staleSince === this.health.staleSince && detail === this.health.detail) return;
    this.health = { live, staleSince, detail };
    this.history.push({ live, at: Date.now(), detail });
    if (this.history.length > 200) this.history.shift();
    this.onHealth(this.health);
  }

  private connect(): void {
    if (this.stopped) return;
    const s = current();
    if (!s) return;
    window.clearTimeout(this.retryTimer);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${proto}//${location.host}/api/v1/stream?after=${state.head}&positions=1&access_token=${encodeURIComponent(s.access_token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    this.connects++;
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      let ev: any;
      try { ev = JSON.parse(String(m.data)); } catch { return; }
      if (ev.type === "stream_hello") {
        this.open = true;
        this.retry = 0;
        this.pendingSeq = 0;
        this.lastGood = Date.now();
        this.setHealth(true);
        return;
      }
      if (ev.type === "heartbeat") return; // not an event: no seq, nothing to apply
      if (ev.type === "positions") {
        if (Array.isArray(ev.items)) applyLivePositions(ev.items);
        return;
      }
      this.received++;
      if (!apply(ev as NccEvent)) { this.duplicates++; return; }
      this.lastGood = Date.now();
      changed(ev as NccEvent);
    };
    ws.onclose = (c) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.open = false;
      void this.closed(c.code, c.reason);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  private async closed(code: number, reason: string): Promise<void> {
    if (this.stopped) return;
    this.setHealth(false, reason);
    if (reason.startsWith("signed out")) {
      // The token this stream was opened with ended: renew it; an ended session asks to sign in.
      if (!(await refresh())) {
        if (!current()) return; // signOutLocally ran: the sign-in form is up
      }
      return this.connect();
    }
    const behind = /reconnect with after=(\d+)/.exec(reason);
    if (behind) {
      this.fellBehind++;
      try { await this.onFellBehind(); } catch { /* retried below */ }
      return this.connect();
    }
    if (code === 1006 && !this.open) {
      // Refused before it opened (the browser hides why): ask HTTP whether the sign-in stands.
      try { await api("GET", "/api/v1/whoami"); } catch (e) {
        if (e instanceof ApiError && e.status === 401) { if (!current()) return; signOutLocally("Session ended: sign in again"); return; }
      }
    }
    const wait = Math.min(8000, 300 * 2 ** this.retry++) * (0.75 + Math.random() * 0.5);
    this.retryTimer = window.setTimeout(() => this.connect(), wait);
  }

  private async probe(): Promise<void> {
    if (this.stopped || !current()) return;
    const seqAtProbe = state.head;
    try {
      const page = await api<{ items: NccEvent[]; head: number }>("GET", `/api/v1/events?after=${seqAtProbe}&limit=1`);
      if (this.stopped) return;
      this.httpDown = false;
      if (!this.open) { this.setHealth(false, "reconnecting"); return; }
      // An event the server had at the last probe that the socket still has not brought: dead.
      if (this.pendingSeq && state.head < this.pendingSeq) {
        this.pendingSeq = 0;
        this.setHealth(false, "silent socket");
        this.reconnect();
        return;
      }
      const newest = page.items.length ? page.items[0].seq : 0;
      this.pendingSeq = newest > state.head ? newest : 0;
      this.lastGood = Date.now();
      this.setHealth(true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      this.setHealth(false, "server unreachable");
      this.httpDown = true;
      if (this.ws && this.open) this.reconnect(); // a socket that survives the outage is suspect
    }
  }
}
