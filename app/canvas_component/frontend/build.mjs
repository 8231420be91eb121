// `npm ci && npm run build` writes ../build, which is committed: the app needs no Node to run. The build
// records a hash of everything it was made from; tests/test_canvas_component.py fails when they differ.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";

export const SOURCES = ["build.mjs", "package-lock.json", ...readdirSync("src").sort().map((f) => `src/${f}`)];

await build({
  entryPoints: ["src/index.jsx"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  define: { "process.env.NODE_ENV": '"production"' },
  legalComments: "external",
  outfile: "../build/canvas.js",
  logLevel: "warning",
});
copyFileSync("src/index.html", "../build/index.html");
const hash = createHash("sha256");
for (const file of SOURCES) hash.update(file + "\0").update(readFileSync(file)).update("\0");
writeFileSync("../build/SOURCES.sha256", hash.digest("hex") + "\n");
