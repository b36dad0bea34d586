// Builds the four app pages into tool_server/apps/pages/ (checked in) and the test host
// bundle into ui/dist/ (not checked in). `--check` writes no page and fails if one is stale.
import { build } from "esbuild";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pagesDir = join(here, "..", "tool_server", "apps", "pages");
const APPS = { photos: "Reference photos", body: "Body profile", review: "Your identity image", dogs: "Coach avatar" };
const check = process.argv.includes("--check");
const read = (path) => readFileSync(join(here, path), "utf8");

async function bundle(entry, extra = {}) {
  const out = await build({
    entryPoints: [join(here, entry)], bundle: true, minify: true, write: false, format: "esm",
    target: "es2020", legalComments: "none", ...extra,
  });
  return out.outputFiles[0].text;
}

// The live status line: where the page puts it, else at its end.
const STATUS = '<p id="status" role="status" aria-live="polite"></p>';
const withStatus = (body) => (body.includes("__STATUS__") ? body.replace("__STATUS__", STATUS) : `${body}\n${STATUS}`);

const stale = [];
mkdirSync(pagesDir, { recursive: true });
for (const [name, title] of Object.entries(APPS)) {
  const js = await bundle(`src/${name}.ts`);
  const css = read("src/style.css").replace(/\s*\n\s*/g, " ");
  const html = read("src/page.html")
    .replaceAll("__TITLE__", title)
    .replace("__CSS__", () => css)
    .replace("__BODY__", () => withStatus(read(`src/${name}.html`)))
    .replace("__JS__", () => js.replaceAll("</script", "<\\/script"));
  const target = join(pagesDir, `${name}.html`);
  let current = "";
  try { current = readFileSync(target, "utf8"); } catch {}
  if (check) { if (current !== html) stale.push(name); }
  else writeFileSync(target, html);
  console.log(`${name}.html ${html.length} bytes`);
}
if (check && stale.length) {
  console.error(`stale pages: ${stale.join(", ")}: run npm run build in ui/ and commit`);
  process.exitCode = 1;
}
// The test host is always built (the browser tests load it); it is never checked in.
mkdirSync(join(here, "dist"), { recursive: true });
writeFileSync(join(here, "dist", "host.js"), await bundle("test-host/host.ts", { format: "iife" }));
