// The response plans' types and call->dispatch time targets, read from config/plans at build.
declare const __PLAN_TYPES__: { type: string; name: string; targets: Record<string, number> }[];
export const PLANS = __PLAN_TYPES__;
const byType = new Map(PLANS.map((p) => [p.type, p]));

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
