// Builds the console into web/dist, served by `ncc serve` (its default web root when present).
// Fixed file names (no hashes): ncc sends Cache-Control: no-store, and the server's tests and
// manifest name /console.js and /console.css.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vite";

// The incident types of the response plans (config/plans/*.conf), for the call intake's type
// search: `[plan TYPE]` headers and their `name =` lines. There is no route listing them.
// Also each plan's first time target (call -> dispatch, seconds) per priority ("*" = others).
type Plan = { type: string; name: string; targets: Record<string, number> };
function seconds(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(v.trim());
  if (!m) return 0;
  return Number(m[1]) * (m[2] === "m" ? 60 : m[2] === "h" ? 3600 : 1);
}
function planTypes(): Plan[] {
  const dir = join(__dirname, "..", "config", "plans");
  const out: Plan[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".conf")).sort()) {
    let current: Plan | null = null;
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      const head = /^\s*\[plan\s+([^\]\s]+)\s*\]/.exec(line);
      if (head) {
        current = { type: head[1], name: head[1], targets: {} };
        out.push(current);
        continue;
      }
      if (/^\s*\[/.test(line)) current = null;
      const name = /^\s*name\s*=\s*(.*?)\s*(#.*)?$/.exec(line);
      if (current && name) current.name = name[1];
      const target = /^\s*target\.(\d|\*)\s*=\s*(\S+)/.exec(line);
      if (current && target) current.targets[target[1]] = seconds(target[2]);
    }
  }
  return out;
}

// MapLibre's right-to-left text plugin (Arabic shaping and order), loaded by the map's workers
// from this same origin: copied beside console.js as /mapbox-gl-rtl-text.js.
const rtlPlugin = {
  name: "ncc-rtl-text-plugin",
  generateBundle(this: { emitFile: (f: object) => void }) {
    const file = join(__dirname, "node_modules", "@mapbox", "mapbox-gl-rtl-text", "dist", "mapbox-gl-rtl-text.js");
    this.emitFile({ type: "asset", fileName: "mapbox-gl-rtl-text.js", source: readFileSync(file) });
  },
};

export default defineConfig({
  base: "/",
  plugins: [rtlPlugin],
  define: { __PLAN_TYPES__: JSON.stringify(planTypes()) },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    cssCodeSplit: false,
    chunkSizeWarningLimit: 2000,
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        entryFileNames: "console.js",
        chunkFileNames: "[name].js",
        assetFileNames: (a) => (a.names?.[0]?.endsWith(".css") ? "console.css" : "assets/[name][extname]"),
        manualChunks: (id) => (id.includes("node_modules/maplibre-gl") ? "maplibre" : undefined),
      },
    },
  },
});
