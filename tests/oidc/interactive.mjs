// interactive.mjs - an interactive host (the flow Claude, VS Code and the
// Inspector run), driven without a browser: the SDK's auth() through the
// StreamableHTTPClientTransport with an OAuthClientProvider, against
// mcp-fcgi protected by oidc-provider.
//
//   host      the 401 sends the SDK to the resource metadata and the
//             provider; it registers itself (RFC 7591, a public client) and
//             hands over an authorization URL (PKCE S256, resource = our
//             endpoint); useragent.mjs follows it through the provider's
//             login and consent pages to the callback; the code is
//             exchanged (transport.finishAuth) and the tools run as the user
//             who signed in.
//   step-up   the same host, another user, asks first for todo:read only
//             (auth() with that scope); create_todo gets the 403
//             insufficient_scope challenge; the SDK asks for the scopes the
//             challenge names with a new authorization request; the user
//             consents; the call then succeeds and list_todos still works.
//
// Prints "ok   name" / "FAIL name" lines, the last line "N passed, N failed".
import { UnauthorizedError, auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ISSUER, MCP_URL, OPTS, PRM_URL, challengeScope, check, createAndList, finish, jwtParts, newClient,
  recorder, scopeSet, tokenRequests, toolResult, want, wantAccessToken, whoamiIs,
} from "./common.mjs";
import { CookieJar, authorize, callbackServer } from "./useragent.mjs";

const SCOPES = "todo:read todo:write";

// HostProvider: an OAuthClientProvider that keeps everything in memory, as
// a host keeps it in its settings; the authorization URL it is asked to
// open is kept for the test's user agent.
class HostProvider {
  constructor(redirectUrl, clientInfo) {
    this._redirectUrl = redirectUrl;
    this._clientInfo = clientInfo;
    this.authorizationUrls = [];
  }
  get redirectUrl() {
    return this._redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: "mcp-fcgi interactive host",
      redirect_uris: [this._redirectUrl],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    this._state = crypto.randomUUID();
    return this._state;
  }
  clientInformation() {
    return this._clientInfo;
  }
  saveClientInformation(info) {
    this._clientInfo = info;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
  }
  redirectToAuthorization(url) {
    this.authorizationUrls.push(new URL(url));
  }
  saveCodeVerifier(v) {
    this._verifier = v;
  }
  codeVerifier() {
    return this._verifier;
  }
}

// wantCallback: the callback carries a code, the state the host sent and
// the provider's issuer (RFC 9207).
function wantCallback(cb, provider) {
  if (!cb) return "the callback was not reached";
  return want(["code present", true, !!cb.code], ["state", provider._state, cb.state], ["iss", ISSUER, cb.iss],
    ["no error", undefined, cb.error]);
}

const cbs = await callbackServer();

// ==== the host: registration, authorization code + PKCE, tools ====
let { log, fetchFn } = recorder();
const host = new HostProvider(cbs.url);
let transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: host, fetch: fetchFn });
let client = newClient("mcp-fcgi-oidc-host");

await check("host: connect without a token -> the SDK asks the user to authorize (UnauthorizedError)", async () => {
  try {
    await client.connect(transport, OPTS);
    return "connected without authorization";
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  return want(["first status", 401, log[0] && log[0].status],
    ["authorization URLs", 1, host.authorizationUrls.length]);
});

await check("host: resource metadata followed, provider discovered, client registered (RFC 7591)", () => {
  const reg = log.find((x) => x.method === "POST" && x.url === `${ISSUER}/reg`);
  if (!reg) return `no registration in ${JSON.stringify(log.map((x) => `${x.method} ${x.url}`))}`;
  const sent = JSON.parse(reg.reqBody);
  const got = JSON.parse(reg.body);
  return want(
    ["resource metadata fetched", true, log.some((x) => x.url === PRM_URL && x.status === 200)],
    ["registration status", 201, reg.status],
    ["redirect_uris", [cbs.url], sent.redirect_uris],
    ["scope asked: the 401 challenge's", challengeScope(log[0]), sent.scope],
    ["which names both", scopeSet(SCOPES), scopeSet(sent.scope)],
    ["client_id issued and kept", got.client_id, host.clientInformation() && host.clientInformation().client_id],
  );
});

await check("host: the authorization URL has PKCE S256, our resource, the scopes, state", () => {
  const u = host.authorizationUrls[0];
  if (!u) return "no authorization URL";
  const p = u.searchParams;
  return want(
    ["endpoint", `${ISSUER}/auth`, `${u.origin}${u.pathname}`],
    ["response_type", "code", p.get("response_type")],
    ["code_challenge_method", "S256", p.get("code_challenge_method")],
    ["code_challenge is 43 base64url characters", true, /^[A-Za-z0-9_-]{43}$/.test(p.get("code_challenge"))],
    ["resource", MCP_URL, p.get("resource")],
    ["scope: the 401 challenge's", challengeScope(log[0]), p.get("scope")],
    ["redirect_uri", cbs.url, p.get("redirect_uri")],
    ["state", host._state, p.get("state")],
  );
});

const jar = new CookieJar();
let flow = null;
await check("host: the user signs in and consents on the provider's pages; the callback gets a code", async () => {
  flow = await authorize(host.authorizationUrls[0].href, { jar, login: "ada", callbackUrl: cbs.url });
  const consent = flow.pages.find((p) => p.prompt === "consent");
  return want(
    ["pages", ["login", "consent"], flow.pages.map((p) => p.prompt)],
    ["consent names our resource", true, !!consent && consent.html.includes(MCP_URL)],
    ["consent names todo:write", true, !!consent && consent.html.includes("todo:write")],
  ) === true ? wantCallback(cbs.results.at(-1), host) : "pages differ";
});

await check("host: finishAuth exchanges the code (with the verifier, for our resource) -> a JWT access token", async () => {
  await transport.finishAuth(cbs.results.at(-1).code);
  const reqs = tokenRequests(log);
  const r = reqs.at(-1);
  if (!r) return "no token request";
  const jwtOk = wantAccessToken(host.tokens().access_token, SCOPES);
  if (jwtOk !== true) return jwtOk;
  return want(
    ["grant_type", "authorization_code", r.params.get("grant_type")],
    ["code_verifier sent", true, (r.params.get("code_verifier") || "").length >= 43],
    ["resource", MCP_URL, r.params.get("resource")],
    ["status", 200, r.status],
    ["sub", "ada", jwtParts(host.tokens().access_token).claims.sub],
  );
});

await check("host: connect with the token (a new transport, as after a redirect)", async () => {
  transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: host, fetch: fetchFn });
  client = newClient("mcp-fcgi-oidc-host");
  const before = log.length;
  await client.connect(transport, OPTS);
  return want(["401s", 0, log.slice(before).filter((x) => x.status === 401).length]);
});

await check("host: whoami -> the user who signed in, the host's client id, both scopes", () =>
  whoamiIs(client, "ada", host.clientInformation().client_id, ["todo:read", "todo:write"]));
await check("host: create_todo, then list_todos shows it", () => createAndList(client, "host todo"));
await client.close();

// ==== step-up: a client holding todo:read only ====
({ log, fetchFn } = recorder());
// The same host (its registration kept), another user, a least-privilege start.
const reader = new HostProvider(cbs.url, host.clientInformation());
const readerJar = new CookieJar();
await check("step-up: auth() with scope todo:read -> the user consents -> a todo:read token", async () => {
  const r = await auth(reader, { serverUrl: new URL(MCP_URL), scope: "todo:read", fetchFn });
  if (r !== "REDIRECT") return `auth() returned ${r}`;
  const u = reader.authorizationUrls.at(-1);
  await authorize(u.href, { jar: readerJar, login: "reader", callbackUrl: cbs.url });
  const cb = wantCallback(cbs.results.at(-1), reader);
  if (cb !== true) return cb;
  const r2 = await auth(reader, { serverUrl: new URL(MCP_URL), authorizationCode: cbs.results.at(-1).code, fetchFn });
  if (r2 !== "AUTHORIZED") return `auth() with the code returned ${r2}`;
  return wantAccessToken(reader.tokens().access_token, "todo:read");
});

transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: reader, fetch: fetchFn });
client = newClient("mcp-fcgi-oidc-reader");
let readerConnected = false;
await check("step-up: connect and list_todos with todo:read", async () => {
  await client.connect(transport, OPTS);
  readerConnected = true;
  const l = await toolResult(client, "list_todos", { limit: 100 });
  return typeof l === "string" ? l : want(["todos", [], l.structuredContent.todos]);
});

if (readerConnected) {
  await check("step-up: create_todo -> 403 insufficient_scope; the SDK asks the user for the challenge's scopes", async () => {
    const before = log.length;
    try {
      await client.callTool({ name: "create_todo", arguments: { title: "after step-up" } }, undefined, OPTS);
      return "create_todo succeeded with todo:read";
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e;
    }
    const forbidden = log.slice(before).find((x) => x.status === 403);
    if (!forbidden) return `no 403 in ${JSON.stringify(log.slice(before).map((x) => x.status))}`;
    const www = forbidden.headers.get("www-authenticate") || "";
    const challenge = challengeScope(forbidden);
    const u = reader.authorizationUrls.at(-1);
    return want(
      ["error", true, www.includes('error="insufficient_scope"')],
      ["challenge scope", ["todo:read", "todo:write"], scopeSet(challenge)],
      ["authorization requests", 2, reader.authorizationUrls.length],
      ["scope asked", challenge, u.searchParams.get("scope")],
      ["resource", MCP_URL, u.searchParams.get("resource")],
    );
  });

  await check("step-up: the signed-in user consents to todo:write (no new login); the code is exchanged", async () => {
    const flow2 = await authorize(reader.authorizationUrls.at(-1).href,
      { jar: readerJar, login: "reader", callbackUrl: cbs.url });
    const cb = wantCallback(cbs.results.at(-1), reader);
    if (cb !== true) return cb;
    await transport.finishAuth(cbs.results.at(-1).code);
    const t = jwtParts(reader.tokens().access_token);
    return want(["pages", ["consent"], flow2.pages.map((p) => p.prompt)],
      ["new token's scopes", ["todo:read", "todo:write"], scopeSet(t && t.claims.scope)],
      ["sub", "reader", t && t.claims.sub]);
  });

  await check("step-up: create_todo now succeeds, and list_todos still works", () =>
    createAndList(client, "after step-up"));
  await check("step-up: whoami -> both scopes", () =>
    whoamiIs(client, "reader", host.clientInformation().client_id, ["todo:read", "todo:write"]));
  await client.close();
}
await cbs.close();
finish();
