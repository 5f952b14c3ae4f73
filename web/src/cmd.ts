// The CAD command line: D M12 4711 (dispatch), S E3 OS (status), N [address] (new call),
// R 4711 (recommend), A 4711 (accept), O 4711 (open), C 4711 resolved (incident status),
// NOTE 4711 text. Tab completes callsigns, incident ids and status codes.
import { h } from "./dom";
import { t } from "./i18n";
import { state, OPEN, type Unit } from "./state";
import { write, can } from "./session";
import { ctx } from "./panels";
import { openIntake, recommend, showIncident } from "./detail";

export const STATUS_CODES: Record<string, string> = {
  AV: "available", AVL: "available", DP: "dispatched", DSP: "dispatched", ER: "en_route", ENR: "en_route",
  OS: "on_scene", ONS: "on_scene", TR: "transporting", TRN: "transporting", AH: "at_hospital", HOS: "at_hospital",
  OOS: "out_of_service", OS_: "out_of_service",
};
delete STATUS_CODES.OS_;
const VERBS = ["D", "S", "N", "R", "A", "O", "C", "NOTE", "HELP"];
export const HELP = "D <unit…> <incident> · S <unit> <AV|DP|ER|OS|TR|AH|OOS> · N [address] · R <incident> · A <incident> · O <incident> · C <incident> <status> · NOTE <incident> <text>";

function unitByCallsign(cs: string): Unit | undefined {
  const up = cs.toUpperCase();
  const all = [...state.units.values()].filter((u) => u.callsign.toUpperCase() === up);
  return all.find((u) => u.agency === ctx.who?.agency) ?? all.find((u) => can(ctx.who, "unit.update_status", u.agency)) ?? all[0];
}

export async function run(line: string): Promise<string> {
  const parts = line.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "";
  const verb = parts[0].toUpperCase();
  const incidentArg = (s: string | undefined) => {
    const n = Number(String(s ?? "").replace(/^#/, ""));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`not an incident: ${s ?? ""}`);
    return n;
  };
  switch (verb) {
    case "D": {
      if (parts.length < 3) throw new Error("D <unit…> <incident>");
      const inc = incidentArg(parts[parts.length - 1]);
      const out: string[] = [];
      for (const cs of parts.slice(1, -1)) {
        const u = unitByCallsign(cs);
        if (!u) throw new Error(`no unit ${cs}`);
        await write("POST", `/api/v1/incidents/${inc}/assignments`, { unit: u.id });
        out.push(u.callsign);
      }
      void showIncident(inc);
      return `${out.join(" ")} → #${inc}`;
    }
    case "S": {
      if (parts.length !== 3) throw new Error("S <unit> <status>");
      const u = unitByCallsign(parts[1]);
      if (!u) throw new Error(`no unit ${parts[1]}`);
      const code = parts[2].toUpperCase();
      const status = STATUS_CODES[code] ?? parts[2].toLowerCase();
      await write("POST", `/api/v1/units/${u.id}/status`, { status });
      return `${u.callsign} → ${status}`;
    }
    case "N":
      openIntake(parts.slice(1).join(" ") || undefined);
      return t("New call");
    case "R": {
      const inc = incidentArg(parts[1]);
      ctx.select(inc);
      const rec = await recommend(inc);
      return rec ? `#${inc}: ${(rec.units ?? []).map((u: any) => u.callsign).join(" ")}` : "";
    }
    case "A": {
      const inc = incidentArg(parts[1]);
      const r = await write("POST", `/api/v1/incidents/${inc}/recommendation/accept`, {});
      void showIncident(inc);
      return `#${inc}: ${r.assigned.length} assigned`;
    }
    case "O": {
      const inc = incidentArg(parts[1]);
      ctx.select(inc);
      return `#${inc}`;
    }
    case "C": {
      const inc = incidentArg(parts[1]);
      await write("POST", `/api/v1/incidents/${inc}/status`, { status: (parts[2] ?? "").toLowerCase() });
      void showIncident(inc);
      return `#${inc} → ${parts[2]}`;
    }
    case "NOTE": {
      const inc = incidentArg(parts[1]);
      await write("POST", `/api/v1/incidents/${inc}/notes`, { text: parts.slice(2).join(" ") });
      void showIncident(inc);
      return `#${inc} note`;
    }
    case "HELP":
    case "?":
      return HELP;
  }
  throw new Error(`unknown command ${verb} — ${HELP}`);
}

// Candidates for the word being typed.
export function complete(line: string): string[] {
  const parts = line.split(/\s+/);
  const word = (parts[parts.length - 1] ?? "").toUpperCase();
  const verb = (parts[0] ?? "").toUpperCase();
  const at = parts.length - 1;
  let pool: string[] = [];
  if (at === 0) pool = VERBS;
  else if (verb === "S" && at === 1) pool = [...state.units.values()].map((u) => u.callsign);
  else if (verb === "S" && at === 2) pool = Object.keys(STATUS_CODES);
  else if (verb === "D") {
    pool = [...state.units.values()].filter((u) => u.status === "available").map((u) => u.callsign);
    pool.push(...[...state.incidents.values()].filter((i) => OPEN.has(i.status)).map((i) => String(i.id)));
  } else if (["R", "A", "O", "C", "NOTE"].includes(verb) && at === 1) pool = [...state.incidents.values()].filter((i) => OPEN.has(i.status)).map((i) => String(i.id));
  else if (verb === "C" && at === 2) pool = ["triaged", "dispatched", "en_route", "on_scene", "resolved", "closed", "cancelled"];
  return [...new Set(pool)].filter((p) => p.toUpperCase().startsWith(word)).sort((a, b) => a.length - b.length || a.localeCompare(b)).slice(0, 12);
}

export function mountCommandLine(root: HTMLElement): HTMLInputElement {
  const input = h("input", { id: "cmd", class: "cmd", autocomplete: "off", spellcheck: "false", "aria-label": t("Command"),
    placeholder: "D M12 4711 · S E3 OS · N   (F2 / Ctrl+K)", "aria-describedby": "cmd-out" });
  const hints = h("div", { id: "cmd-hints", class: "hints", "aria-live": "polite" });
  const out = h("output", { id: "cmd-out", class: "cmd-out" });
  const history: string[] = [];
  let hpos = 0;
  input.oninput = () => { hints.textContent = complete(input.value).join("  "); };
  input.onkeydown = async (e) => {
    if (e.key === "Tab") {
      const c = complete(input.value);
      if (c.length) {
        e.preventDefault();
        const parts = input.value.split(/\s+/);
        parts[parts.length - 1] = c[0];
        input.value = parts.join(" ") + " ";
        hints.textContent = complete(input.value).join("  ");
      }
    } else if (e.key === "ArrowUp" && history.length) {
      e.preventDefault(); hpos = Math.max(0, hpos - 1); input.value = history[hpos] ?? "";
    } else if (e.key === "ArrowDown" && history.length) {
      e.preventDefault(); hpos = Math.min(history.length, hpos + 1); input.value = history[hpos] ?? "";
    } else if (e.key === "Enter") {
      e.preventDefault();
      const line = input.value;
      if (!line.trim()) return;
      history.push(line); hpos = history.length;
      input.value = ""; hints.textContent = "";
      out.classList.remove("bad");
      out.textContent = "…";
      try { out.textContent = await run(line); } catch (err: any) { out.textContent = `${line}: ${err.message}`; out.classList.add("bad"); }
    }
  };
  root.append(h("span", { class: "prompt", text: ">" }), input, out, hints);
  return input;
}
