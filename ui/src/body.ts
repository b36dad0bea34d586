// Body profile: the seed's questions as radio groups, current answers filled in, one Save button.
import { callTool, connect, el, errorText, readJson, status, tellModel } from "./bridge";

const QUESTIONS: [string, string, [string, string][]][] = [
  ["gender", "Gender", [["man", "Man"], ["woman", "Woman"], ["non_binary_other", "Non-binary / Other"]]],
  ["height", "Height", [["short", "Short"], ["below_average", "Below average"], ["average", "Average"],
    ["above_average", "Above average"], ["tall", "Tall"]]],
  ["build", "Build", [["slim", "Slim / Slender"], ["athletic", "Athletic / Fit"], ["average", "Average"],
    ["curvy_stocky", "Curvy / Stocky"], ["plus_size", "Plus-size / Large"]]],
  ["skin_tone", "Skin tone", [["light", "Light"], ["medium_light", "Medium-light"], ["medium", "Medium"],
    ["medium_dark", "Medium-dark"], ["dark", "Dark"]]],
];

const form = document.getElementById("profile") as HTMLFormElement;
for (const [name, label, options] of QUESTIONS) {
  const group = el("fieldset", { id: `q-${name}` }, el("legend", { text: label }));
  for (const [value, text] of options) {
    const id = `${name}-${value}`;
    group.append(
      el("div", { class: "choice" },
        el("input", { type: "radio", name, value, id }),
        el("label", { for: id, text })),
    );
  }
  form.insertBefore(group, form.lastElementChild);
}

function fill(profile: any): void {
  for (const [name] of QUESTIONS) {
    const value = profile?.[name];
    const input = value ? form.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`) : null;
    if (input) input.checked = true;
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answers: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, label] of QUESTIONS) {
    const chosen = form.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`);
    document.getElementById(`q-${name}`)!.classList.toggle("missing", !chosen);
    if (chosen) answers[name] = chosen.value;
    else missing.push(label);
  }
  if (missing.length) {
    status(`Please choose an answer for: ${missing.join(", ")}.`, "error");
    form.querySelector<HTMLInputElement>(`#q-${QUESTIONS.find(([n]) => !answers[n])![0]} input`)?.focus();
    return;
  }
  status("Saving…");
  const result = await callTool("set_body_profile", answers);
  if (result.isError) return status(errorText(result), "error");
  status("Saved. Thank you.", "ok");
  await tellModel("The user saved their body profile in the app: " + JSON.stringify(answers));
});

connect("body-profile", (result) => fill(result.structuredContent)).then(async () => {
  fill(await readJson("coach://me/body_profile"));
}).catch((e) => status(String(e), "error"));
