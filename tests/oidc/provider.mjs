// provider.mjs - oidc-provider (a certified OpenID provider) configured as an
// MCP authorization server is: client credentials, authorization code with
// PKCE (S256), dynamic client registration (RFC 7591), resource indicators
// (RFC 8707) that issue JWT access tokens (typ at+jwt) for the resources
// named, scopes todo:read and todo:write.  Listens on 127.0.0.1 only.
//
// usage: node provider.mjs serve PORT KEYS_FILE REQUEST_LOG RESOURCE...
//          the issuer is http://127.0.0.1:PORT; KEYS_FILE holds its private
//          signing keys ({"keys": [JWK...]}, the first one signs); every
//          request is appended to REQUEST_LOG as "METHOD PATH" (the tests
//          count JWKS fetches there); RESOURCE... are the resource
//          indicators it issues tokens for (anything else: invalid_target).
//        node provider.mjs genkey KEYS_FILE
//          puts a new RS256 key in front of KEYS_FILE's keys (made if
//          missing): the key rotation; prints the new key's kid.
//
// Environment: OIDC_AGENT_ID and OIDC_AGENT_SECRET, the pre-registered
// confidential client of an agent (client credentials only, client_secret_basic).  Interactive
// clients register themselves.  The development interactions (login with
// any name and password, then consent) are the provider's own pages.
import crypto from "node:crypto";
import fs from "node:fs";
import Provider, { errors } from "oidc-provider";

const SCOPES = "todo:read todo:write";

// genkey: a new RS256 signing key goes first; the old ones stay published.
function genkey(file) {
  let keys = [];
  if (fs.existsSync(file)) keys = JSON.parse(fs.readFileSync(file, "utf8")).keys;
  const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  jwk.kid = crypto.randomBytes(12).toString("base64url");
  jwk.alg = "RS256";
  jwk.use = "sig";
  fs.writeFileSync(file + ".tmp", JSON.stringify({ keys: [jwk, ...keys] }), { mode: 0o600 });
  fs.renameSync(file + ".tmp", file);
  console.log(jwk.kid);
}

function serve(port, keysFile, requestLog, resources) {
  const issuer = `http://127.0.0.1:${port}`;
  const jwks = JSON.parse(fs.readFileSync(keysFile, "utf8"));
  const configuration = {
    clients: [
      {
        client_id: process.env.OIDC_AGENT_ID,
        client_secret: process.env.OIDC_AGENT_SECRET,
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic",
        scope: SCOPES,
      },
    ],
    // Registration refuses a scope the provider does not list here.
    scopes: ["openid", "offline_access", ...SCOPES.split(" ")],
    jwks,
    cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // One resource asked for at authorization is the token's resource.
        defaultResource: (ctx, client, oneOf) => oneOf,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator) => {
          if (!resources.includes(indicator)) throw new errors.InvalidTarget();
          return {
            scope: SCOPES,
            audience: indicator,
            accessTokenFormat: "jwt",
            accessTokenTTL: 600,
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    ttl: { AccessToken: 600, ClientCredentials: 600, Interaction: 300, Session: 600, Grant: 600 },
  };
  const provider = new Provider(issuer, configuration);
  provider.use(async (ctx, next) => {
    fs.appendFileSync(requestLog, `${ctx.method} ${ctx.path}\n`);
    await next();
  });
  const server = provider.listen(port, "127.0.0.1", () => console.log(`listening on ${issuer}`));
  server.on("error", (e) => {
    console.error(`provider: ${e.message}`);
    process.exit(1);
  });
  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === "genkey" && args.length === 1) {
  genkey(args[0]);
} else if (cmd === "serve" && args.length >= 4) {
  serve(Number(args[0]), args[1], args[2], args.slice(3));
} else {
  console.error("usage: provider.mjs serve PORT KEYS_FILE REQUEST_LOG RESOURCE... | genkey KEYS_FILE");
  process.exit(2);
}
