// A test host for the apps, built on the ext-apps AppBridge (the host side of the spec).
// Tool calls and resource reads go to `window.mcpForward`, which the browser test binds to a
// real MCP client connected to the real server over streamable HTTP.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

declare global {
  interface Window {
    mcpForward(method: string, params: unknown): Promise<any>;
    modelContext: unknown[];
    startApp(html: string, toolInput: object, toolResult: object | null, theme: "light" | "dark"): Promise<void>;
  }
}

// The spec's restrictive default CSP (no ui.csp domains declared), as a sandbox would apply it.
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
  "media-src data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'";

window.modelContext = [];
window.startApp = async (html, toolInput, toolResult, theme) => {
  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts allow-forms");
  iframe.title = "MCP app";
  iframe.srcdoc = html.replace("<head>", `<head><meta http-equiv="Content-Security-Policy" content="${CSP}">`);
  document.getElementById("apps")!.replaceChildren(iframe);
  const bridge = new AppBridge(
    null,
    { name: "coach-test-host", version: "1.0.0" },
    { serverTools: {}, serverResources: {}, updateModelContext: { text: {} }, logging: {} },
    { hostContext: { theme, platform: "web", displayMode: "inline" } },
  );
  bridge.oncalltool = (params) => window.mcpForward("tools/call", params);
  bridge.onreadresource = (params) => window.mcpForward("resources/read", params);
  bridge.onupdatemodelcontext = async (params) => {
    window.modelContext.push(params);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${height}px`;
  };
  const ready = new Promise<void>((resolve) => {
    bridge.oninitialized = () => {
      void bridge.sendToolInput({ arguments: toolInput as Record<string, unknown> });
      if (toolResult) void bridge.sendToolResult(toolResult as any);
      resolve();
    };
  });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  await ready;
};
