// The response plans' types and call->dispatch time targets, as the server runs them
// (GET /api/v1/plans), so the intake's type search and the queue's timers follow whatever plan
// folder the server was started with (the demo's SF plans, a centre's own).
import { api } from "./session";

export type Plan = { type: string; name: string; targets: Record<string, number> };
export const PLANS: Plan[] = [];
const byType = new Map<string, Plan>();

type WirePlan = { type: string; name: string; targets: Record<string, { dispatch_s: number }> };

// Replaces the plans with the server's; keeps the last ones when dispatch is not running
// (503): timers and types then show what was last known, or none.
export async function loadPlans(): Promise<void> {
  let items: WirePlan[];
  try {
    items = (await api<{ items: WirePlan[] }>("GET", "/api/v1/plans")).items;
  } catch {
    return;
  }
  PLANS.length = 0;
  byType.clear();
  for (const w of items) {
    const targets: Record<string, number> = {};
    for (const [priority, t] of Object.entries(w.targets ?? {})) targets[priority] = t.dispatch_s ?? 0;
    const p = { type: w.type, name: w.name || w.type, targets };
    PLANS.push(p);
    byType.set(p.type, p);
  }
}

// A type without a plan uses its nearest parent, then the default plan (as the server does).
export function planFor(type: string) {
  for (let t = type; t; t = t.includes(".") ? t.slice(0, t.lastIndexOf(".")) : "") {
    const p = byType.get(t);
    if (p) return p;
  }
  return byType.get("default");
}
// Seconds from the call to dispatch allowed for this type and priority; 0 = none.
export function dispatchTarget(type: string, priority: number): number {
  const p = planFor(type);
  return p ? p.targets[String(priority)] ?? p.targets["*"] ?? 0 : 0;
}
