// Dog avatar picker: every job's cached avatar in a grid (placeholders where none is cached);
// pick one, or make a new one for the picked job.
import { type ToolResult, callTool, connect, el, errorText, status, tellModel } from "./bridge";

const grid = document.getElementById("grid")!;
const picked = document.getElementById("picked")!;
const regenerate = document.getElementById("regenerate") as HTMLButtonElement;
let current: string | null = null;

const label = (job: string) => (job.length <= 2 ? job.toUpperCase() : job.charAt(0).toUpperCase() + job.slice(1));

async function load(): Promise<void> {
  const result = await callTool("app_dog_avatars");
  if (result.isError) return status(errorText(result), "error");
  grid.replaceChildren();
  for (const card of result.structuredContent.jobs) {
    const face = card.image
      ? el("img", { src: card.image, alt: "" })
      : el("span", { class: "placeholder", "aria-hidden": "true", text: "?" });
    const note = card.image ? (card.needs_review ? "draft, needs review" : "ready") : "not made yet";
    const button = el("button", { type: "button", "data-job": card.job, "aria-pressed": String(card.job === current),
      "aria-label": `${label(card.job)}: ${note}` }, face, el("span", { text: label(card.job) }));
    button.addEventListener("click", () => void pick(card.job, false));
    grid.append(button);
  }
}

async function pick(job: string, fresh: boolean): Promise<void> {
  current = job;
  regenerate.disabled = true;
  status(fresh ? `Making a new ${job} avatar; this can take a minute…` : `Getting the ${job} avatar…`);
  const result = await callTool("dog_avatar", { job, regenerate: fresh });
  regenerate.disabled = false;
  if (result.isError) return status(errorText(result), "error");
  show(result.structuredContent, preview(result));
  await tellModel(`The user picked the "${job}" dog avatar in the app.`);
  await load();
}

/** The small preview the tool result carries inline (a data URL: no network needed). */
function preview(result: ToolResult): string | null {
  const block = result.content?.find((c: any) => c.type === "image") as any;
  return block ? `data:${block.mimeType};base64,${block.data}` : null;
}

function show(view: any, src: string | null): void {
  current = view.job;
  const image = document.getElementById("big") as HTMLImageElement;
  image.alt = `The ${label(view.job)} dog avatar`;
  if (src) image.src = src;
  picked.hidden = false;
  document.getElementById("picked-name")!.textContent = label(view.job);
  status(view.needs_review ? "Picked; this one failed a check, so it is only a draft." : `Picked ${label(view.job)}.`,
    view.needs_review ? "error" : "ok");
}

regenerate.addEventListener("click", () => current && void pick(current, true));

connect("dog-avatars", (result) => {
  if (!result.isError && result.structuredContent?.job) current = result.structuredContent.job;
  void load().then(() => { if (current && !result.isError) show(result.structuredContent, preview(result)); });
}).then(load).catch((e) => status(String(e), "error"));
