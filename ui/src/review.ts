// Identity image review: the chosen image large, the others small, likeness in words; accept,
// refine (when the server has refine_identity_image) or try again.
import { callTool, connect, el, errorText, status, tellModel } from "./bridge";

const main = document.getElementById("main") as HTMLImageElement;
const verdict = document.getElementById("verdict")!;
const thumbs = document.getElementById("thumbs")!;
const accept = document.getElementById("accept") as HTMLButtonElement;
const confirmBox = document.getElementById("confirm")!;
const refineForm = document.getElementById("refine") as HTMLFormElement;
let state: any = null;
let selected: any = null;
let lastArgs: Record<string, unknown> = {};

export function likenessWords(l: any): [string, string] {
  if (!l || !l.face_found) return ["No face found: this is not a picture of you.", "bad"];
  const score = l.score.toFixed(2);
  const distance = l.distance.toFixed(2);
  if (l.passed) return [`Looks like you: likeness ${score}, distance ${distance} within the ${l.threshold} limit.`, "ok"];
  return [`Needs review: likeness ${score}, distance ${distance} is over the ${l.threshold} limit.`, "bad"];
}

function show(image: any): void {
  selected = image;
  main.src = image.image;
  const [words, kind] = likenessWords(image.likeness);
  verdict.textContent = words;
  verdict.className = kind;
  document.getElementById("flag")!.hidden = Boolean(image.likeness?.passed);
  const accepted = state.accepted_image_id === image.image_id;
  accept.textContent = accepted ? "Accepted" : image.likeness?.passed ? "Accept" : "Accept anyway…";
  accept.disabled = accepted;
  confirmBox.hidden = true;
  for (const button of thumbs.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.id === image.image_id));
  }
}

async function load(identityId: string, prefer?: string): Promise<void> {
  const result = await callTool("app_identity_review", { identity_id: identityId });
  if (result.isError) return status(errorText(result), "error");
  state = result.structuredContent;
  document.getElementById("name")!.textContent = state.name;
  refineForm.hidden = !state.refine;
  thumbs.replaceChildren();
  state.images.forEach((image: any, index: number) => {
    const passed = Boolean(image.likeness?.passed);
    const button = el("button", { type: "button", "data-id": image.image_id, title: likenessWords(image.likeness)[0] },
      el("img", { src: image.image, alt: `Candidate ${index + 1}` }),
      el("span", { class: passed ? "ok" : "bad", text: passed ? "passes" : "needs review" }));
    button.addEventListener("click", () => show(image));
    thumbs.append(button);
  });
  const first = state.images.find((i: any) => i.image_id === prefer) ?? state.images[0];
  document.getElementById("review")!.hidden = !first;
  if (first) show(first);
  else status("No images for this identity yet.");
}

async function doAccept(): Promise<void> {
  const result = await callTool("accept_identity_visualization", { identity_id: state.identity_id, image_id: selected.image_id });
  if (result.isError) return status(errorText(result), "error");
  state.accepted_image_id = selected.image_id;
  show(selected);
  status(result.structuredContent.message, "ok");
  await tellModel(`The user accepted image ${selected.image_id} in the review app.`);
}

accept.addEventListener("click", () => {
  if (selected.likeness?.passed) return void doAccept();
  confirmBox.hidden = false;
  document.getElementById("confirm-yes")!.focus();
});
document.getElementById("confirm-yes")!.addEventListener("click", () => void doAccept());
document.getElementById("confirm-no")!.addEventListener("click", () => { confirmBox.hidden = true; accept.focus(); });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A run that answered pending, followed with get_run until it is done (about ten minutes at most). */
async function finished(out: any): Promise<any> {
  for (let i = 0; out?.status === "pending" && i < 200; i++) {
    status("Still making the image; this can take a few minutes…");
    await sleep(3000);
    const polled = await callTool("get_run", { run_id: out.run_id });
    if (polled.isError) throw new Error(errorText(polled));
    out = polled.structuredContent.identity_image ?? { ...out, status: polled.structuredContent.status };
  }
  return out;
}

async function showResult(out: any): Promise<void> {
  out = await finished(out);
  if (out.status !== "done") return status(out.message || out.error || "The image could not be made.", "error");
  const words = out.needs_review ? "No new image passed the likeness check." : "New image ready.";
  status(words, out.needs_review ? "error" : "ok");
  await load(out.identity_id, out.image_id);
}

async function generate(tool: string, args: Record<string, unknown>): Promise<void> {
  status("Making a new image; this can take a minute…");
  const result = await callTool(tool, args);
  if (result.isError) return status(errorText(result), "error");
  await showResult(result.structuredContent).catch((e) => status(String(e.message ?? e), "error"));
}

document.getElementById("again")!.addEventListener("click", () =>
  void generate("generate_identity_image", { ...lastArgs, identity_id: state.identity_id }));
refineForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = (document.getElementById("refine-text") as HTMLInputElement).value.trim();
  if (!text) return status("Say in a few words what to change.", "error");
  void generate("refine_identity_image", { image_id: selected.image_id, instruction: text });
});

connect("identity-review", (result) => {
  const out = result.structuredContent;
  if (result.isError || !out?.run_id) return status(result.isError ? errorText(result) : "Waiting for an image…");
  void showResult(out).catch((e) => status(String(e.message ?? e), "error"));
}, (args) => { lastArgs = args; }).catch((e) => status(String(e), "error"));
