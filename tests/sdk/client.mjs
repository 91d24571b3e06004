// client.mjs - drives mcp-fcgi with the official MCP TypeScript SDK client
// (Client + StreamableHTTPClientTransport), as AI hosts do.
//
// usage: node client.mjs URL
//   MCP_TEST_TOKEN  an access token, sent as "Authorization: Bearer ..."
//
// Prints "ok   name" / "FAIL name" lines; the last line is exactly
// "N passed, N failed"; the exit status is non-zero when a check failed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { check, finish, wantEq as want } from "./steps.mjs";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";

const url = process.argv[2];
if (!url) {
  console.error("usage: node client.mjs URL");
  process.exit(2);
}
const token = process.env.MCP_TEST_TOKEN || "";
const TIMEOUT_MS = Number(process.env.MCP_TEST_TIMEOUT_MS || 10000);

// expectRpcError: the call must reject with JSON-RPC error code.
async function expectRpcError(code, call) {
  try {
    const r = await call();
    return `wanted JSON-RPC error ${code}, got a result: ${JSON.stringify(r)}`;
  } catch (e) {
    return want("error code", code, e && e.code);
  }
}

// expectToolError: the call must resolve to a result with isError whose text is text.
async function expectToolError(text, call) {
  let r;
  try {
    r = await call();
  } catch (e) {
    return `wanted a tool error, got ${e && e.code ? `JSON-RPC error ${e.code}` : e}`;
  }
  if (r.isError !== true) return `isError: ${JSON.stringify(r.isError)} in ${JSON.stringify(r)}`;
  return want("content", [{ type: "text", text }], r.content);
}

const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit });
const client = new Client({ name: "mcp-fcgi-sdk-test", version: "1.0.0" }, { capabilities: {} });
const transportErrors = [];
client.onerror = (e) => transportErrors.push(String(e && e.message ? e.message : e));
const opts = { timeout: TIMEOUT_MS };

let connected = false;
await check("connect (initialize + notifications/initialized)", async () => {
  await client.connect(transport, opts);
  connected = true;
});

if (connected) {
  await check("server info: mcp-fcgi with a version", () => {
    const info = client.getServerVersion();
    if (!info || info.name !== "mcp-fcgi") return want("serverInfo.name", "mcp-fcgi", info && info.name);
    return typeof info.version === "string" && info.version.length > 0
      ? true
      : `serverInfo.version: ${JSON.stringify(info.version)}`;
  });

  await check("capabilities: tools and logging", () => {
    const caps = client.getServerCapabilities() || {};
    if (!caps.tools) return `no tools capability: ${JSON.stringify(caps)}`;
    return caps.logging ? true : `no logging capability: ${JSON.stringify(caps)}`;
  });

  await check("negotiated a protocol version the SDK supports", () => {
    const v = transport.protocolVersion;
    return SUPPORTED_PROTOCOL_VERSIONS.includes(v) ? true : `protocol version ${JSON.stringify(v)}`;
  });

  await check("ping", async () => {
    await client.ping(opts);
  });

  await check("tools/list contains greet_user with an input schema", async () => {
    const { tools } = await client.listTools(undefined, opts);
    const t = tools.find((x) => x.name === "greet_user");
    if (!t) return `tools: ${JSON.stringify(tools.map((x) => x.name))}`;
    return want("inputSchema.required", ["name"], t.inputSchema && t.inputSchema.required);
  });

  await check("tools/call greet_user Ada -> Hi Ada, welcome!", async () => {
    const r = await client.callTool({ name: "greet_user", arguments: { name: "Ada" } }, undefined, opts);
    if (r.isError) return `isError: ${JSON.stringify(r)}`;
    return want("content", [{ type: "text", text: "Hi Ada, welcome!" }], r.content);
  });

  // 2025-11-25, tools "Error Handling": a schema violation comes back as a tool
  // result with isError, whose text names the argument, for the model to correct.
  await check("tools/call greet_user without a name -> isError naming name", () =>
    expectToolError("invalid arguments: name: is required", () =>
      client.callTool({ name: "greet_user", arguments: {} }, undefined, opts)));

  await check("tools/call greet_user with a number -> isError naming name and the type", () =>
    expectToolError("invalid arguments: name: must be of type string", () =>
      client.callTool({ name: "greet_user", arguments: { name: 42 } }, undefined, opts)));

  await check("tools/call of an unknown tool -> -32602", () =>
    expectRpcError(-32602, () => client.callTool({ name: "no_such_tool", arguments: {} }, undefined, opts)));

  await check("logging/setLevel info", async () => {
    await client.setLoggingLevel("info", opts);
  });

  await check("an unsupported method -> -32601", () =>
    expectRpcError(-32601, () => client.listResources(undefined, opts)));

  await check("no transport errors", () =>
    transportErrors.length === 0 ? true : `errors: ${transportErrors.join("; ")}`);

  await check("close", async () => {
    await client.close();
  });
}

finish();
