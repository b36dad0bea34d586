// Reference photos: the user's photos with verdicts; add one, frame the face in a square, save.
import { Cropper } from "./crop";
import { callTool, connect, el, errorText, status, tellModel } from "./bridge";

const list = document.getElementById("photos")!;
const editor = document.getElementById("editor")!;
const frame = document.getElementById("frame")!;
const picture = document.getElementById("picture") as HTMLImageElement;
const save = document.getElementById("save") as HTMLButtonElement;
const refusal = document.getElementById("refusal")!;
let cropper: Cropper | null = null;
let chosen: { data: string; name: string; scale: number } | null = null;
// Phone photos are often 4000 px and 5 MB or more: send at most this side (the face crop is 512 px).
const MAX_SIDE = 2048;

/** The photo re-encoded at most MAX_SIDE on its longest side (upright, as the browser shows it). */
function shrink(img: HTMLImageElement): { data: string; scale: number } | null {
  const scale = MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight);
  if (scale >= 1) return null;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(img.naturalWidth * scale);
  canvas.height = Math.round(img.naturalHeight * scale);
  canvas.getContext("2d")!.drawImage(img, 0, 0, canvas.width, canvas.height);
  return { data: canvas.toDataURL("image/jpeg", 0.92), scale };
}

const VERDICTS: Record<string, [string, string]> = {
  ok: ["Good reference", "ok"],
  warn: ["Usable", "warn"],
  reject: ["Not usable", "bad"],
};

async function load(): Promise<void> {
  const result = await callTool("app_reference_photos");
  if (result.isError) return status(errorText(result), "error");
  const state = result.structuredContent;
  list.replaceChildren();
  for (const photo of state.photos) {
    const [word, kind] = VERDICTS[photo.verdict] ?? ["Not checked", "muted"];
    list.append(
      el("li", { class: "card" },
        el("img", { src: photo.image, alt: `Reference photo ${photo.photo_id}`, width: "96", height: "96" }),
        el("div", {},
          el("p", { class: kind, text: word }),
          el("p", { class: "muted", text: photo.reasons.join("; ") }))),
    );
  }
  document.getElementById("count")!.textContent = `${state.photos.length} of ${state.max_photos} photos`;
}

function pick(input: HTMLInputElement): void {
  const file = input.files?.[0];
  input.value = "";
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    chosen = { data: String(reader.result), name: file.name, scale: 1 };
    refusal.textContent = "";
    picture.onload = () => {
      const smaller = shrink(picture);
      if (smaller && chosen) Object.assign(chosen, smaller);
      editor.hidden = false;
      cropper = new Cropper(frame, picture, picture.naturalWidth, picture.naturalHeight);
      save.disabled = false;
      frame.focus();
      status("Drag to move, pinch or scroll to zoom, then save.");
    };
    picture.onerror = () => {
      cropper = null;
      editor.hidden = false;
      save.disabled = false;
      status("This photo cannot be shown here; it will be saved and framed automatically.");
    };
    picture.src = chosen.data;
  };
  reader.readAsDataURL(file);
}

for (const id of ["file", "camera"]) {
  const input = document.getElementById(id) as HTMLInputElement;
  input.addEventListener("change", () => pick(input));
}
document.getElementById("zoom-in")!.addEventListener("click", () => cropper?.zoomAt(1.2, frame.clientWidth / 2, frame.clientWidth / 2));
document.getElementById("zoom-out")!.addEventListener("click", () => cropper?.zoomAt(1 / 1.2, frame.clientWidth / 2, frame.clientWidth / 2));

save.addEventListener("click", async () => {
  if (!chosen) return;
  save.disabled = true;
  status("Checking the photo…");
  const args: Record<string, unknown> = { image_base64: chosen.data, filename: chosen.name };
  if (cropper) {
    const box = cropper.box();
    const size = Math.max(1, Math.floor(box.size * chosen.scale));
    args.crop = { x: Math.floor(box.x * chosen.scale), y: Math.floor(box.y * chosen.scale), size };
  }
  const result = await callTool("add_reference_photo", args);
  save.disabled = false;
  if (result.isError) {
    refusal.textContent = errorText(result);
    return status("The photo was not saved.", "error");
  }
  editor.hidden = true;
  chosen = null;
  status(result.structuredContent.message, "ok");
  await tellModel(result.structuredContent.message);
  await load();
});

connect("reference-photos", () => load()).then(load).catch((e) => status(String(e), "error"));
