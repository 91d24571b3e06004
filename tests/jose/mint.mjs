// mint.mjs - access tokens from an independent JOSE implementation.
//
// Usage: node mint.mjs OUT_DIR
//
// Generates RS256, ES256 and PS256 key pairs with the npm "jose" package,
// writes their public JWK Set to OUT_DIR/jwks.json (kid = RFC 7638
// thumbprint, use "sig", alg), and writes OUT_DIR/tokens.txt: one line per
// token, "NAME EXPECT TOKEN", where EXPECT is "ok" or the name of the
// refusal verify.c must report.  Good tokens carry typ "at+jwt" (RFC 9068
// §2.1), iss, aud, sub, client_id, scope, iat and exp.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
} from 'jose';

// Must match tests/jose/verify.c.
const ISS = 'https://issuer.example';
const AUD = 'https://mcp.example/mcp';
const SUB = 'jose-user';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node mint.mjs OUT_DIR');
  process.exit(2);
}

// One key pair per algorithm; its public JWK names the algorithm (RFC 7517 §4.4).
async function keyPair(alg) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.use = 'sig';
  jwk.alg = alg;
  return { alg, kid: jwk.kid, jwk, publicKey, privateKey };
}

// Signs a token with k; each option overrides one part of a good token.
async function token(k, opt = {}) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { scope: 'todo:read todo:write', client_id: 'jose-client', ...opt.claims };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'at+jwt', ...opt.header })
    .setSubject(SUB)
    .setIssuedAt(opt.iat ?? now);
  if (!('iss' in claims)) jwt.setIssuer(ISS);
  if (!('aud' in claims)) jwt.setAudience(AUD);
  if (opt.exp !== null) jwt.setExpirationTime(opt.exp ?? now + 300);
  if (opt.nbf !== undefined) jwt.setNotBefore(opt.nbf);
  return jwt.sign(opt.key ?? k.privateKey, opt.signOptions);
}

const rs = await keyPair('RS256');
const es = await keyPair('ES256');
const ps = await keyPair('PS256');
// Not published: its tokens must fail whatever kid they claim.
const rogue = await keyPair('RS256');
const now = Math.floor(Date.now() / 1000);

const cases = [
  ['rs256_at_jwt', 'ok', token(rs)],
  ['es256_at_jwt', 'ok', token(es)],
  ['ps256_at_jwt', 'ok', token(ps)],
  ['es256_typ_jwt', 'ok', token(es, { header: { typ: 'JWT' } })],
  ['rs256_typ_application_at_jwt', 'ok', token(rs, { header: { typ: 'application/at+jwt' } })],
  ['ps256_aud_array', 'ok', token(ps, { claims: { aud: ['urn:other', AUD] } })],
  // The set holds exactly one ES256 key, so a token without kid is unambiguous.
  ['es256_no_kid', 'ok', token(es, { header: { kid: undefined } })],

  ['rs256_expired', 'expired', token(rs, { iat: now - 600, exp: now - 300 })],
  ['es256_no_exp', 'no_exp', token(es, { exp: null })],
  ['ps256_nbf_future', 'not_yet_valid', token(ps, { nbf: now + 600, exp: now + 1200 })],
  ['es256_wrong_aud', 'audience', token(es, { claims: { aud: 'https://mcp.example/other' } })],
  ['rs256_wrong_iss', 'issuer', token(rs, { claims: { iss: 'https://issuer.example.evil' } })],
  ['rs256_rogue_key_our_kid', 'signature', token(rs, { key: rogue.privateKey })],
  ['rs256_rogue_kid', 'kid_unknown', token(rogue)],
  ['es256_typ_id_token', 'typ', token(es, { header: { typ: 'id_token+jwt' } })],
  // RFC 7515 §4.1.11: an extension we do not understand.
  ['es256_crit', 'crit', token(es, {
    header: { crit: ['urn:example:x'], 'urn:example:x': 1 },
    signOptions: { crit: { 'urn:example:x': true } },
  })],
  // The PS256 key's own "alg" forbids RS256, even signed by that very key.
  ['rs256_with_ps256_key', 'alg', token({ ...ps, alg: 'RS256' }, {
    key: await importPKCS8(await exportPKCS8(ps.privateKey), 'RS256'),
  })],
  // RFC 8725 §2.1: HS256 keyed with the published RSA public key (SPKI PEM).
  ['hs256_rsa_public_key', 'alg', token({ ...rs, alg: 'HS256' }, {
    key: new TextEncoder().encode(await exportSPKI(rs.publicKey)),
  })],
];

const lines = [];
for (const [name, expect, tok] of cases) lines.push(`${name} ${expect} ${await tok}`);
await writeFile(join(outDir, 'jwks.json'), JSON.stringify({ keys: [rs.jwk, es.jwk, ps.jwk] }));
await writeFile(join(outDir, 'tokens.txt'), lines.join('\n') + '\n');
console.error(`mint.mjs: ${lines.length} tokens from jose`);
