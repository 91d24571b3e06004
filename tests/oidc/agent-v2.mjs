// agent-v2.mjs - agents with client credentials through the SDK's next
// major, @modelcontextprotocol/client 2 (the official TypeScript SDK's
// client package since 2.0), where two things agent.mjs cannot show work:
//
//   only id and secret   ClientCredentialsProvider given the endpoint URL,
//                        its client id and secret asks for the scopes the
//                        401 challenge names (SDK 1.x sends only its own
//                        `scope` option), and uses the todo tools
//   step-up              an agent holding only todo:read (auth() with that
//                        scope) calls create_todo, gets the 403
//                        insufficient_scope challenge, the transport asks the
//                        provider for the scopes it names (with the ones it
//                        holds) and the call succeeds; list_todos still works
//
// Prints "ok   name" / "FAIL name" lines, the last line "N passed, N failed".
import {
  Client, ClientCredentialsProvider, StreamableHTTPClientTransport, auth,
} from "@modelcontextprotocol/client";
import {
  AGENT_ID, AGENT_SECRET, ISSUER, MCP_URL, OPTS, challengeScope, check, finish, recorder, scopeSet,
  tokenRequests, want, wantAccessToken,
} from "./common.mjs";

const BOTH = ["todo:read", "todo:write"];

// call: a tool call; a string (failure) unless it succeeded with structuredContent.
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, OPTS);
  if (r.isError) return `${name}: isError ${JSON.stringify(r.content)}`;
  return r.structuredContent ? r.structuredContent : `${name}: no structuredContent in ${JSON.stringify(r)}`;
}

// createAndList: create_todo with title, then list_todos shows it.
async function createAndList(client, title) {
  const c = await call(client, "create_todo", { title });
  if (typeof c === "string") return c;
  const l = await call(client, "list_todos", { limit: 100 });
  if (typeof l === "string") return l;
  return want(["listed", true, l.todos.some((t) => t.id === c.id && t.title === title)]);
}

// ==== only id and secret ====
let { log, fetchFn } = recorder();
const agent = new ClientCredentialsProvider({ clientId: AGENT_ID, clientSecret: AGENT_SECRET });
let client = new Client({ name: "mcp-fcgi-oidc-agent-v2", version: "1.0.0" }, { capabilities: {} });
let transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: agent, fetch: fetchFn });
let connected = false;

await check("v2 client credentials (id and secret only): connect after the 401", async () => {
  await client.connect(transport, OPTS);
  connected = true;
  return want(["first status", 401, log[0] && log[0].status]);
});

await check("v2: one token request, for our resource, asking the 401 challenge's scopes", () => {
  const reqs = tokenRequests(log);
  if (reqs.length !== 1) return `token requests: ${reqs.length}`;
  const [r] = reqs;
  const jwtOk = wantAccessToken(r.body.access_token, r.params.get("scope"));
  if (jwtOk !== true) return jwtOk;
  return want(
    ["grant_type", "client_credentials", r.params.get("grant_type")],
    ["resource", MCP_URL, r.params.get("resource")],
    ["scope", challengeScope(log[0]), r.params.get("scope")],
    ["which names both", BOTH, scopeSet(r.params.get("scope"))],
  );
});

if (connected) {
  await check("v2: whoami -> the agent, both scopes", async () => {
    const s = await call(client, "whoami", {});
    if (typeof s === "string") return s;
    return want(["subject", AGENT_ID, s.subject], ["issuer", ISSUER, s.issuer], ["scopes", BOTH, [...s.scopes].sort()]);
  });
  await check("v2: create_todo, then list_todos shows it", () => createAndList(client, "v2 agent todo"));
  await client.close();
}

// ==== step-up ====
({ log, fetchFn } = recorder());
const reader = new ClientCredentialsProvider({ clientId: AGENT_ID, clientSecret: AGENT_SECRET, expectedIssuer: ISSUER });
await check("v2 step-up: auth() with scope todo:read -> a todo:read token", async () => {
  const r = await auth(reader, { serverUrl: new URL(MCP_URL), scope: "todo:read", fetchFn });
  if (r !== "AUTHORIZED") return `auth() returned ${r}`;
  return wantAccessToken(reader.tokens().access_token, "todo:read");
});

client = new Client({ name: "mcp-fcgi-oidc-reader-v2", version: "1.0.0" }, { capabilities: {} });
transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: reader, fetch: fetchFn });
connected = false;
await check("v2 step-up: connect and list_todos with todo:read", async () => {
  await client.connect(transport, OPTS);
  connected = true;
  const l = await call(client, "list_todos", { limit: 100 });
  return typeof l === "string" ? l : want(["is a list", true, Array.isArray(l.todos)]);
});

if (connected) {
  await check("v2 step-up: create_todo -> 403 insufficient_scope -> a token with the challenge's scopes -> success", async () => {
    const before = log.length;
    const ok = await createAndList(client, "after agent step-up");
    if (ok !== true) return ok;
    const seen = log.slice(before);
    const forbidden = seen.find((x) => x.status === 403);
    if (!forbidden) return `no 403 among ${JSON.stringify(seen.map((x) => x.status))}`;
    const reqs = tokenRequests(seen);
    const last = reqs.at(-1);
    return want(
      ["error", true, (forbidden.headers.get("www-authenticate") || "").includes('error="insufficient_scope"')],
      ["challenge scope", BOTH, scopeSet(challengeScope(forbidden))],
      ["token requests", 1, reqs.length],
      ["scope asked", BOTH, scopeSet(last && last.params.get("scope"))],
      ["resource", MCP_URL, last && last.params.get("resource")],
      ["new token", true, wantAccessToken(reader.tokens().access_token, "todo:read todo:write") === true],
    );
  });
  await check("v2 step-up: list_todos still works", async () => {
    const l = await call(client, "list_todos", { limit: 100 });
    if (typeof l === "string") return l;
    return want(["has the todo", true, l.todos.some((t) => t.title === "after agent step-up")]);
  });
  await client.close();
}
finish();
