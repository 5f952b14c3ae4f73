// Builds the console into web/dist, served by `ncc serve` (its default web root when present).
// Fixed file names (no hashes): ncc sends Cache-Control: no-store, and the server's tests and
// manifest name /console.js and /console.css.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vite";

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
