// Sign-in, token refresh before expiry, and the one fetch wrapper every API call goes through.
// Tokens live in this tab's sessionStorage (never a cookie), so a reload keeps the shift going.
export interface Session {
  access_token: string;
  refresh_token: string;
  expires_at: number; // epoch ms
  user: string;
  agency: string;
}
export interface WhoAmI {
  user: string;
  agency: string;
  roles: string[]; // "sffd:supervisor"
  actions: Record<string, string[]>; // "incident.assign": ["sffd"]
  clearance: string;
  head: number;
}

export class ApiError extends Error {
  constructor(public status: number, message: string, public field?: string) {
    super(message);
  }
}

type Listener = () => void;

// Several windows (panels detached onto other screens) share one sign-in. Refresh tokens
// rotate and reusing an old one revokes the login, so only the main window renews; it tells
// the others over a BroadcastChannel. A detached window renews itself only if no new token
// came by 95 % of the old one's life (the main window was closed).
export const detached = new URLSearchParams(location.search).get("panel");
export const channel: BroadcastChannel | null = typeof BroadcastChannel === "function" ? new BroadcastChannel("ncc-console") : null;
let session: Session | null = null;
let refreshTimer: number | undefined;
let refreshing: Promise<boolean> | null = null;
const signedOutListeners: ((why: string) => void)[] = [];
const renewedListeners: Listener[] = [];

export function onSignedOut(fn: (why: string) => void): void {
  signedOutListeners.push(fn);
}
export function onRenewed(fn: Listener): void {
  renewedListeners.push(fn);
}
export function current(): Session | null {
  return session;
}

function store(body: { access_token: string; refresh_token: string; expires_in: number; user?: string; agency?: string }, announce = true): void {
  session = {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + body.expires_in * 1000,
    user: body.user ?? session?.user ?? "",
    agency: body.agency ?? session?.agency ?? "",
  };
  sessionStorage.setItem("ncc_session", JSON.stringify(session));
  scheduleRefresh();
  if (announce) channel?.postMessage({ type: "session", session });
}

channel?.addEventListener("message", (m) => {
  const d = m.data;
  if (d?.type === "session" && d.session?.access_token) {
    session = d.session as Session;
    sessionStorage.setItem("ncc_session", JSON.stringify(session));
    scheduleRefresh();
    renewedListeners.forEach((f) => f());
  } else if (d?.type === "signout" && session) {
    window.clearTimeout(refreshTimer);
    session = null;
    sessionStorage.removeItem("ncc_session");
    signedOutListeners.forEach((f) => f(""));
  }
});

// Refresh at 80 % of the token's life (12 min of 15), or at once when that moment has passed.
function scheduleRefresh(): void {
  window.clearTimeout(refreshTimer);
  if (!session) return;
  const life = session.expires_at - Date.now();
  // 12 of 15 minutes; at least half the life for short tokens (never a tight loop).
  const wait = Math.max(0, detached ? life * 0.95 : Math.max(life * 0.5, Math.min(life * 0.8, life - 60_000)));
  refreshTimer = window.setTimeout(() => void refresh(), wait);
}

export async function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    if (!session) return false;
    try {
      const r = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh_token }),
      });
      if (r.status === 401) {
        signOutLocally("Session ended: sign in again");
        return false;
      }
      if (!r.ok) throw new Error("refresh " + r.status);
      store(await r.json());
      renewedListeners.forEach((f) => f());
      return true;
    } catch {
      // Offline or server away: try again shortly, the token may still be good.
      window.clearTimeout(refreshTimer);
      refreshTimer = window.setTimeout(() => void refresh(), 5000);
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export function resume(): boolean {
  const raw = sessionStorage.getItem("ncc_session");
  if (!raw) return false;
  try {
    session = JSON.parse(raw) as Session;
  } catch {
    return false;
  }
  scheduleRefresh();
  if (session.expires_at < Date.now() + 30_000) void refresh();
  return true;
}

export async function login(username: string, password: string): Promise<void> {
  const r = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, body?.error?.message ?? `error ${r.status}`);
  store(body);
}

export function signOutLocally(why: string): void {
  window.clearTimeout(refreshTimer);
  session = null;
  sessionStorage.removeItem("ncc_session");
  signedOutListeners.forEach((f) => f(why));
}

export async function logout(): Promise<void> {
  const s = session;
  channel?.postMessage({ type: "signout" });
  if (s)
    await fetch("/api/v1/auth/logout", {
      method: "POST", headers: { Authorization: "Bearer " + s.access_token, "Content-Type": "application/json" }, body: "{}",
    }).catch(() => {});
  signOutLocally("");
}

let keyCounter = 0;
// Every write carries an Idempotency-Key, so a retry after a lost answer never acts twice.
export function newKey(): string {
  return `c-${Date.now().toString(36)}-${(++keyCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { key?: string; retried?: boolean } = {}): Promise<T> {
  if (!session) throw new ApiError(401, "not signed in");
  const headers: Record<string, string> = { Authorization: "Bearer " + session.access_token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && opts.key) headers["Idempotency-Key"] = opts.key;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && !opts.retried) {
    if (await refresh()) return api<T>(method, path, body, { ...opts, retried: true });
    throw new ApiError(401, "signed out");
  }
  const text = await r.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!r.ok) throw new ApiError(r.status, parsed?.error?.message ?? `${path}: ${r.status}`, parsed?.error?.field);
  return parsed as T;
}

// Writes get a key and retry the same key once on a network failure.
export async function write<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const key = newKey();
  try {
    return await api<T>(method, path, body, { key });
  } catch (e) {
    if (e instanceof TypeError) return api<T>(method, path, body, { key });
    throw e;
  }
}

// Roles as "agency:role"; actions as docs/security.md's table.
// The server's permission table, as whoami says it applies to this user: action -> the
// agencies whose records the user may act on. The console keeps no copy of its own.
export function can(who: WhoAmI | null, action: string, agency?: string): boolean {
  const agencies = who?.actions?.[action] ?? [];
  return agency === undefined ? agencies.length > 0 : agencies.includes(agency);
}
export function agenciesOf(who: WhoAmI | null): string[] {
  return [...new Set((who?.roles ?? []).map((r) => r.split(":")[0]))];
}
