// agent.mjs - an agent with client credentials: the SDK's own
// ClientCredentialsProvider, given only the endpoint URL and its client id
// and secret, against mcp-fcgi protected by oidc-provider.
//
// The SDK's transport gets the 401, follows resource_metadata to the
// protected resource metadata, discovers the provider from it, asks the
// provider's token endpoint for a token for our resource (RFC 8707) and
// retries; the tools then run as the agent.  Every exchange goes through a
// recording fetch, so each step is checked as it happened on the wire.
//
// SDK 1.32.2 asks for the scope of the provider's own `scope` option only
// (fetchToken sends clientMetadata.scope; the challenge's scope is not
// used in a client-credentials request): the agent given nothing else gets
// a token without scopes, enough for whoami and greet_user.  A second agent
// is configured with the scopes and expectedIssuer, as the SDK recommends
// and an operator configures one, and uses the todo tools.
//
// Prints "ok   name" / "FAIL name" lines, the last line "N passed, N failed".
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  AGENT_ID, AGENT_SECRET, ISSUER, MCP_URL, OPTS, PRM_URL, check, createAndList, finish, newClient,
  recorder, tokenRequests, want, wantAccessToken, whoamiIs,
} from "./common.mjs";

const SCOPES = "todo:read todo:write";
let { log, fetchFn } = recorder();
const provider = new ClientCredentialsProvider({ clientId: AGENT_ID, clientSecret: AGENT_SECRET });
const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: provider, fetch: fetchFn });
const client = newClient("mcp-fcgi-oidc-agent");

let connected = false;
await check("client credentials: connect (401, discovery, token, initialize)", async () => {
  await client.connect(transport, OPTS);
  connected = true;
});

await check("the first request got 401 with a challenge naming resource_metadata", () => {
  const first = log[0];
  if (!first) return "no request recorded";
  const www = first.headers.get("www-authenticate") || "";
  return want(
    ["first request", `POST ${MCP_URL}`, `${first.method} ${first.url}`],
    ["status", 401, first.status],
    ["resource_metadata in the challenge", true, www.includes(`resource_metadata="${PRM_URL}"`)],
  );
});

await check("the SDK fetched the resource metadata the challenge names and discovered the provider from it", () => {
  const prm = log.find((x) => x.url === PRM_URL);
  if (!prm) return `no GET ${PRM_URL} in ${JSON.stringify(log.map((x) => x.url))}`;
  const doc = JSON.parse(prm.body);
  const asMeta = log.find((x) => x.url.startsWith(`${ISSUER}/.well-known/`) && x.status === 200);
  return want(
    ["metadata status", 200, prm.status],
    ["authorization_servers", [ISSUER], doc.authorization_servers],
    ["resource", MCP_URL, doc.resource],
    ["provider metadata fetched", true, !!asMeta],
    ["its issuer", ISSUER, asMeta && JSON.parse(asMeta.body).issuer],
  );
});

let granted = [];
await check("one token request: client_credentials for our resource, a JWT access token (at+jwt, aud)", () => {
  const reqs = tokenRequests(log);
  if (reqs.length !== 1) return `token requests: ${reqs.length}`;
  const [r] = reqs;
  granted = r.body.scope ? r.body.scope.split(" ") : [];
  const jwtOk = wantAccessToken(r.body.access_token, r.body.scope);
  if (jwtOk !== true) return jwtOk;
  return want(
    ["status", 200, r.status],
    ["grant_type", "client_credentials", r.params.get("grant_type")],
    ["resource", MCP_URL, r.params.get("resource")],
    ["token kept by the provider", r.body.access_token, provider.tokens() && provider.tokens().access_token],
  );
});

if (connected) {
  await check("tools/list lists the todo tools", async () => {
    const { tools } = await client.listTools(undefined, OPTS);
    const names = tools.map((t) => t.name);
    return want(["has create_todo and list_todos", true,
      names.includes("create_todo") && names.includes("list_todos")]);
  });

  await check("whoami: the agent's client id as subject and client, the scopes it was granted", () =>
    whoamiIs(client, AGENT_ID, AGENT_ID, granted));

  await check("greet_user -> Hi Ada, welcome!", async () => {
    const r = await client.callTool({ name: "greet_user", arguments: { name: "Ada" } }, undefined, OPTS);
    return want(["content", [{ type: "text", text: "Hi Ada, welcome!" }], r.content]);
  });

  await check("no further token request or 401 after the first", () =>
    want(["token requests", 1, tokenRequests(log).length],
      ["401s after the first request", 0, log.slice(1).filter((x) => x.status === 401).length]));

  await check("close", () => client.close());
}

// ---- an agent configured as the SDK recommends: the scopes it needs and
// the issuer its credentials may be sent to ----
({ log, fetchFn } = recorder());
const scoped = new ClientCredentialsProvider({
  clientId: AGENT_ID, clientSecret: AGENT_SECRET, scope: SCOPES, expectedIssuer: ISSUER,
});
const transport2 = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: scoped, fetch: fetchFn });
const client2 = newClient("mcp-fcgi-oidc-agent-scoped");
let connected2 = false;
await check("client credentials with scope todo:read todo:write and expectedIssuer: connect after the 401", async () => {
  await client2.connect(transport2, OPTS);
  connected2 = true;
  return want(["first status", 401, log[0] && log[0].status]);
});

await check("its token request asked for the scopes and our resource; the JWT carries both", () => {
  const reqs = tokenRequests(log);
  if (reqs.length !== 1) return `token requests: ${reqs.length}`;
  const jwtOk = wantAccessToken(reqs[0].body.access_token, SCOPES);
  if (jwtOk !== true) return jwtOk;
  return want(["scope", SCOPES, reqs[0].params.get("scope")],
    ["resource", MCP_URL, reqs[0].params.get("resource")]);
});

if (connected2) {
  await check("whoami: both scopes", () => whoamiIs(client2, AGENT_ID, AGENT_ID, ["todo:read", "todo:write"]));
  await check("create_todo, then list_todos shows it", () => createAndList(client2, "agent todo"));
  await check("close", () => client2.close());
}
finish();
