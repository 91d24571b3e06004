// common.mjs - what the OAuth flow tests share: their settings, a fetch
// that records every exchange, JWT inspection and the todo tool calls.
//
// Settings come from the environment that run.sh sets:
//   MCP_URL            the endpoint (the protected resource)
//   OIDC_ISSUER        oidc-provider's issuer URL
//   OIDC_AGENT_ID, OIDC_AGENT_SECRET  the pre-registered agent client
//   MCP_TEST_TIMEOUT_MS  the bound of one MCP request
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { want } from "../sdk/steps.mjs";

export { check, finish, want, wantEq } from "../sdk/steps.mjs";

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set (run.sh sets it)`);
    process.exit(2);
  }
  return v;
}

export const MCP_URL = need("MCP_URL");
export const ISSUER = need("OIDC_ISSUER");
export const AGENT_ID = need("OIDC_AGENT_ID");
export const AGENT_SECRET = need("OIDC_AGENT_SECRET");
export const OPTS = { timeout: Number(process.env.MCP_TEST_TIMEOUT_MS || 10000) };
const u = new URL(MCP_URL);
// RFC 9728 §3.1: the well-known suffix goes between the origin and the path.
export const PRM_URL = `${u.origin}/.well-known/oauth-protected-resource${u.pathname}`;

// recorder: a fetch for the SDK that keeps, for each exchange, the method,
// URL, request body (as text), status, response headers and body.
export function recorder() {
  const log = [];
  const fetchFn = async (input, init = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    const res = await fetch(input, init);
    let reqBody = init.body;
    if (reqBody instanceof URLSearchParams) reqBody = reqBody.toString();
    log.push({
      method: init.method || "GET",
      url,
      reqBody: typeof reqBody === "string" ? reqBody : undefined,
      status: res.status,
      headers: res.headers,
      body: await res.clone().text(),
    });
    return res;
  };
  return { log, fetchFn };
}

// tokenRequests: the recorded POSTs to the provider's token endpoint, with
// their form parameters and the token each got.
export function tokenRequests(log) {
  return log
    .filter((x) => x.method === "POST" && x.url === `${ISSUER}/token`)
    .map((x) => {
      let body = {};
      try {
        body = JSON.parse(x.body);
      } catch {}
      return { params: new URLSearchParams(x.reqBody || ""), status: x.status, body };
    });
}

// jwtParts: the decoded header and claims of a compact JWS, or null.
export function jwtParts(token) {
  const parts = String(token).split(".");
  if (parts.length !== 3) return null;
  try {
    const dec = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
    return { header: dec(parts[0]), claims: dec(parts[1]) };
  } catch {
    return null;
  }
}

// scopeSet: a space-separated scope list as a sorted array (order carries
// no meaning in OAuth scope values, RFC 6749 §3.3).
export function scopeSet(scope) {
  return scope ? scope.split(" ").sort() : [];
}

// challengeScope: the scope parameter of a recorded response's challenge.
export function challengeScope(x) {
  const m = /(?:^|[ ,])scope="([^"]*)"/.exec((x && x.headers.get("www-authenticate")) || "");
  return m ? m[1] : undefined;
}

// wantAccessToken: token is a JWT access token of RFC 9068 from the
// provider for our resource, carrying exactly the scopes in scope.
export function wantAccessToken(token, scope) {
  const jwt = jwtParts(token);
  if (!jwt) return `not a JWT: ${String(token).slice(0, 40)}...`;
  return want(
    ["typ", "at+jwt", jwt.header.typ],
    ["alg", "RS256", jwt.header.alg],
    ["iss", ISSUER, jwt.claims.iss],
    ["aud", MCP_URL, jwt.claims.aud],
    ["scope", scopeSet(scope), scopeSet(jwt.claims.scope)],
  );
}

// newClient: an MCP client of the given name.
export function newClient(name) {
  return new Client({ name, version: "1.0.0" }, { capabilities: {} });
}

// toolResult: calls a tool; a string (failure) unless it succeeded with structuredContent.
export async function toolResult(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, OPTS);
  if (r.isError) return `${name}: isError ${JSON.stringify(r.content)}`;
  if (!r.structuredContent) return `${name}: no structuredContent in ${JSON.stringify(r)}`;
  return r;
}

// whoamiIs: whoami reports the subject, client and scopes wanted.
export async function whoamiIs(client, subject, clientId, scopes) {
  const r = await toolResult(client, "whoami", {});
  if (typeof r === "string") return r;
  const s = r.structuredContent;
  return want(
    ["subject", subject, s.subject],
    ["client_id", clientId, s.client_id],
    ["issuer", ISSUER, s.issuer],
    ["scopes", [...scopes].sort(), [...(s.scopes || [])].sort()],
  );
}

// createAndList: create_todo with title, then list_todos shows it.
export async function createAndList(client, title) {
  const c = await toolResult(client, "create_todo", { title });
  if (typeof c === "string") return c;
  return listHas(client, c.structuredContent.id, title);
}

// listHas: list_todos holds the todo id with title.
export async function listHas(client, id, title) {
  const l = await toolResult(client, "list_todos", { limit: 100 });
  if (typeof l === "string") return l;
  const t = (l.structuredContent.todos || []).find((x) => x.id === id);
  return t ? want(["title", title, t.title]) : `todo ${id} not in ${JSON.stringify(l.structuredContent)}`;
}
