// useragent.mjs - what a browser does in an interactive OAuth flow, over
// plain HTTP: follows redirects, keeps cookies (by name and path), fills
// in the provider's login form (any name and password: oidc-provider's
// development interactions) and submits its consent form, until the
// redirect reaches the client's callback, which it requests too.
//
// A callback listener (127.0.0.1, a port of the kernel's choosing) stands
// for the host's redirect endpoint and keeps the query it was called with.
import http from "node:http";

const MAX_STEPS = 20;

// callbackServer: { url, results, close } where results collects the
// query parameters of each callback request.
export async function callbackServer() {
  const results = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, "http://127.0.0.1");
    if (u.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    results.push(Object.fromEntries(u.searchParams));
    res.writeHead(200, { "Content-Type": "text/plain" }).end("Authorized; you may close this window.\n");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/callback`;
  return { url, results, close: () => new Promise((resolve) => server.close(resolve)) };
}

// A cookie jar: name and path to value.
export class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  // take: keeps the cookies a response sets (and drops the expired ones).
  take(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expired = value === "";
      for (const a of attrs) {
        const [k, v = ""] = a.split("=");
        if (k.toLowerCase() === "path") path = v;
        if (k.toLowerCase() === "expires" && Date.parse(v) < Date.now()) expired = true;
        if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
      }
      const key = `${name}\t${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  // header: the Cookie header for url ("" when none apply).
  header(url) {
    const p = new URL(url).pathname;
    return [...this.cookies.values()]
      .filter((c) => p === c.path || p.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }
}

// formOf: the first form of an HTML page: its action and its named inputs.
function formOf(html, base) {
  const form = /<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const fields = {};
  for (const m of form[2].matchAll(/<input([^>]*)>/gi)) {
    const name = /name="([^"]*)"/.exec(m[1]);
    const value = /value="([^"]*)"/.exec(m[1]);
    if (name) fields[name[1]] = value ? value[1] : "";
  }
  const action = form[1].replace(/&amp;/g, "&");
  return { action: new URL(action, base).href, fields };
}

// authorize: runs the user's part of an authorization request from url
// to the callback at callbackUrl, signing in as login when asked.
// Returns { pages, callback } where pages lists the prompts met ("login",
// "consent") with their HTML, and callback is the URL the provider
// redirected to.  Throws on an unexpected page or more than MAX_STEPS.
export async function authorize(url, { jar, login, callbackUrl }) {
  const pages = [];
  let method = "GET";
  let body;
  for (let step = 0; step < MAX_STEPS; step++) {
    const headers = { Cookie: jar.header(url) };
    if (body) headers["Content-Type"] = "application/x-www-form-urlencoded";
    const res = await fetch(url, { method, headers, body, redirect: "manual" });
    jar.take(res);
    if (url.startsWith(callbackUrl)) {
      if (res.status !== 200) throw new Error(`callback answered ${res.status}`);
      return { pages, callback: url };
    }
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location"), url).href;
      method = "GET";
      body = undefined;
      continue;
    }
    if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
    const form = formOf(text, url);
    if (!form || !form.fields.prompt) throw new Error(`no login or consent form at ${url}: ${text.slice(0, 300)}`);
    pages.push({ prompt: form.fields.prompt, html: text });
    const fields = { ...form.fields };
    if (fields.prompt === "login") Object.assign(fields, { login, password: "any password" });
    url = form.action;
    method = "POST";
    body = new URLSearchParams(fields).toString();
  }
  throw new Error(`no callback after ${MAX_STEPS} steps`);
}
