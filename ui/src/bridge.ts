// The View side of MCP Apps (ext-apps spec 2026-01-26) over postMessage, in ~100 lines.
// Why not the ext-apps `App` class: bundled with its MCP client and zod it is ~650 KB, over the
// 300 KB page budget; the wire protocol is small and the tests drive these pages through the
// real ext-apps AppBridge, so any drift from the spec fails there.

export type ToolResult = {
  content?: { type: string; text?: string }[];
  structuredContent?: any;
  isError?: boolean;
};
type Handler = (params: any) => void;

const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
const handlers = new Map<string, Handler>();
let nextId = 1;
let hostCapabilities: any = {};

function post(message: object): void {
  window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
}

window.addEventListener("message", (event: MessageEvent) => {
  if (event.source !== window.parent) return;
  const msg = event.data;
  if (!msg || msg.jsonrpc !== "2.0") return;
  if (msg.method === undefined && pending.has(msg.id)) {
    const waiter = pending.get(msg.id)!;
    pending.delete(msg.id);
    if (msg.error) waiter.reject(new Error(msg.error.message || "request failed"));
    else waiter.resolve(msg.result);
  } else if (msg.method !== undefined && msg.id !== undefined) {
    post({ id: msg.id, result: {} }); // ping and ui/resource-teardown: nothing to clean up
  } else if (msg.method !== undefined) {
    handlers.get(msg.method)?.(msg.params);
  }
});

export function request(method: string, params: object): Promise<any> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post({ id, method, params });
  });
}

export function on(method: string, handler: Handler): void {
  handlers.set(method, handler);
}

function applyContext(context: any): void {
  if (!context) return;
  const root = document.documentElement;
  if (context.theme) root.dataset.theme = context.theme;
  for (const [name, value] of Object.entries(context.styles?.variables ?? {})) {
    if (typeof value === "string") root.style.setProperty(name, value);
  }
}

/** Handshake with the host; `onResult` gets the bound tool's result (and arguments, when sent). */
export async function connect(
  name: string,
  onResult: (result: ToolResult) => void,
  onInput?: (args: any) => void,
): Promise<void> {
  on("ui/notifications/tool-result", onResult);
  if (onInput) on("ui/notifications/tool-input", (p) => onInput(p?.arguments ?? {}));
  on("ui/notifications/host-context-changed", applyContext);
  const init = await request("ui/initialize", {
    appInfo: { name, version: "1.0.0" },
    appCapabilities: {},
    protocolVersion: "2026-01-26",
  });
  hostCapabilities = init?.hostCapabilities ?? {};
  applyContext(init?.hostContext);
  post({ method: "ui/notifications/initialized", params: {} });
  let last = "";
  new ResizeObserver(() => {
    const size = { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight };
    const key = `${size.width}x${size.height}`;
    if (key !== last) post({ method: "ui/notifications/size-changed", params: size });
    last = key;
  }).observe(document.documentElement);
}

export async function callTool(name: string, args: object = {}): Promise<ToolResult> {
  return request("tools/call", { name, arguments: args });
}

export async function readJson(uri: string): Promise<any> {
  const result = await request("resources/read", { uri });
  return JSON.parse(result.contents[0].text);
}

/** Tells the model what the user did in the app (hosts without the capability: silently skipped). */
export async function tellModel(text: string): Promise<void> {
  if (!hostCapabilities.updateModelContext) return;
  await request("ui/update-model-context", { content: [{ type: "text", text }] }).catch(() => undefined);
}

export function errorText(result: ToolResult): string {
  const text = result.content?.find((c) => c.type === "text")?.text ?? "Something went wrong.";
  return text.replace(/^Error executing tool \w+: /, "");
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

export function status(text: string, kind: "info" | "error" | "ok" = "info"): void {
  const box = document.getElementById("status")!;
  box.textContent = text;
  box.dataset.kind = kind;
}
