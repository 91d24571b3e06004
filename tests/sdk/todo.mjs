// todo.mjs - the todo tools and their scopes through the official MCP
// TypeScript SDK client (Client + StreamableHTTPClientTransport).
//
// usage: node todo.mjs URL
//   MCP_TEST_TOKEN_RW  an access token with "todo:read todo:write"
//   MCP_TEST_TOKEN_RO  an access token of the same subject with "todo:read"
//
// With the read+write token the whole flow: create, list, get, update,
// delete, get again (isError "todo not found"); the SDK validates each
// structuredContent against the tool's outputSchema.  With the read-only
// token a create is refused with 403: the SDK surfaces the error (its code
// is the HTTP status, its message the body) and the WWW-Authenticate
// challenge, seen through the transport's fetch and by a plain fetch of the
// same call, names todo:write.  Without a token the SDK cannot connect (401).
//
// Prints "ok   name" / "FAIL name" lines; the last line is exactly
// "N passed, N failed"; the exit status is non-zero when a check failed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { check, finish, want } from "./steps.mjs";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";

const url = process.argv[2];
if (!url) {
  console.error("usage: node todo.mjs URL");
  process.exit(2);
}
const RW = process.env.MCP_TEST_TOKEN_RW || "";
const RO = process.env.MCP_TEST_TOKEN_RO || "";
const TIMEOUT_MS = Number(process.env.MCP_TEST_TIMEOUT_MS || 10000);
const opts = { timeout: TIMEOUT_MS };
// RFC 9728 §3.1: the well-known suffix goes between the origin and the path.
const u = new URL(url);
const PRM = `${u.origin}/.well-known/oauth-protected-resource${u.pathname === "/" ? "" : u.pathname}`;
// The step-up challenge of a read-only client: what create_todo needs, and the scope it holds,
// so re-authorising for todo:write keeps todo:read (MCP 2025-11-25, scope challenge handling).
const CHALLENGE_403 = `Bearer realm="mcp", error="insufficient_scope", error_description="the request needs todo:write", scope="todo:write todo:read", resource_metadata="${PRM}"`;

// toolOk: a successful tool result whose text content is its structuredContent.
function toolOk(r) {
  if (r.isError) return `isError: ${JSON.stringify(r.content)}`;
  if (!r.structuredContent) return `no structuredContent: ${JSON.stringify(r)}`;
  if (!Array.isArray(r.content) || r.content.length !== 1 || r.content[0].type !== "text")
    return `content: ${JSON.stringify(r.content)}`;
  return want(["text content = structuredContent", r.structuredContent, JSON.parse(r.content[0].text)]);
}

// connect: a connected client with token ("" for none) whose transport
// records every response's status, WWW-Authenticate and body in seen.
async function connect(token) {
  const seen = [];
  const recordingFetch = async (input, init) => {
    const res = await fetch(input, init);
    seen.push({ method: (init && init.method) || "GET", status: res.status, headers: res.headers,
      body: await res.clone().text() });
    return res;
  };
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit, fetch: recordingFetch });
  const client = new Client({ name: "mcp-fcgi-sdk-todo", version: "1.0.0" }, { capabilities: {} });
  const errors = [];
  client.onerror = (e) => errors.push(String(e && e.message ? e.message : e));
  await client.connect(transport, opts);
  return { client, seen, errors };
}

const call = (c, name, args) => c.callTool({ name, arguments: args }, undefined, opts);

// ---- read + write ----------------------------------------------------------

let rw = null;
await check("read+write token: connect", async () => {
  rw = await connect(RW);
});

if (rw) {
  const c = rw.client;
  let id = null;
  let created = null;
  let before = 0;

  await check("tools/list: todo tools with _meta.scopes and output schemas", async () => {
    const { tools } = await c.listTools(undefined, opts);
    const scopes = Object.fromEntries(tools.map((t) => [t.name, t._meta && t._meta.scopes]));
    const noSchema = tools.filter((t) => /todo/.test(t.name) && !t.outputSchema).map((t) => t.name);
    return want(
      ["scopes", { greet_user: [], whoami: [], create_todo: ["todo:write"], list_todos: ["todo:read"],
        get_todo: ["todo:read"], update_todo: ["todo:write"], delete_todo: ["todo:write"] }, scopes],
      ["todo tools without outputSchema", [], noSchema]);
  });

  await check("list_todos: the starting count", async () => {
    const r = await call(c, "list_todos", { limit: 100 });
    before = r.structuredContent.todos.length;
    return toolOk(r);
  });

  await check("create_todo -> the new todo (32 hex id, fields)", async () => {
    const r = await call(c, "create_todo", { title: "SDK todo", description: "made by the SDK" });
    const ok = toolOk(r);
    if (ok !== true) return ok;
    created = r.structuredContent;
    id = created.id;
    return want(["id is 32 hex", true, /^[0-9a-f]{32}$/.test(id)], ["title", "SDK todo", created.title],
      ["description", "made by the SDK", created.description], ["completed", false, created.completed],
      ["updated_at = created_at", created.created_at, created.updated_at]);
  });

  if (id) {
    await check("list_todos -> contains it, one more than before", async () => {
      const r = await call(c, "list_todos", { limit: 100 });
      const ok = toolOk(r);
      if (ok !== true) return ok;
      const s = r.structuredContent;
      return want(["count", before + 1, s.todos.length], ["listed", created, s.todos.find((t) => t.id === id)],
        ["next_cursor", null, s.next_cursor]);
    });

    await check("get_todo -> the same todo", async () => {
      const r = await call(c, "get_todo", { todo_id: id });
      const ok = toolOk(r);
      return ok !== true ? ok : want(["todo", created, r.structuredContent]);
    });

    await check("update_todo -> completed and renamed, description kept", async () => {
      const r = await call(c, "update_todo", { todo_id: id, title: "SDK todo, done", completed: true });
      const ok = toolOk(r);
      if (ok !== true) return ok;
      const s = r.structuredContent;
      return want(["id", id, s.id], ["title", "SDK todo, done", s.title], ["completed", true, s.completed],
        ["description", "made by the SDK", s.description], ["created_at", created.created_at, s.created_at]);
    });

    await check("get_todo after the update -> the new fields", async () => {
      const r = await call(c, "get_todo", { todo_id: id });
      const ok = toolOk(r);
      return ok !== true ? ok
        : want(["title", "SDK todo, done", r.structuredContent.title], ["completed", true, r.structuredContent.completed]);
    });

    await check("delete_todo -> {id, deleted: true}", async () => {
      const r = await call(c, "delete_todo", { todo_id: id });
      const ok = toolOk(r);
      return ok !== true ? ok : want(["result", { id, deleted: true }, r.structuredContent]);
    });

    await check("get_todo after the delete -> isError 'todo not found'", async () => {
      const r = await call(c, "get_todo", { todo_id: id });
      return want(["isError", true, r.isError], ["content", [{ type: "text", text: "todo not found" }], r.content]);
    });

    await check("list_todos after the delete -> back to the starting count", async () => {
      const r = await call(c, "list_todos", { limit: 100 });
      return want(["count", before, r.structuredContent.todos.length],
        ["still listed", false, r.structuredContent.todos.some((t) => t.id === id)]);
    });
  }

  await check("create_todo with a 201-character title -> isError, nothing stored", async () => {
    const r = await call(c, "create_todo", { title: "x".repeat(201) });
    const l = await call(c, "list_todos", { limit: 100 });
    return want(["isError", true, r.isError],
      ["text", "invalid arguments: title: must be at most 200 characters", r.content && r.content[0] && r.content[0].text],
      ["count", before, l.structuredContent.todos.length]);
  });

  await check("list_todos limit 101 -> isError naming limit and the rule", async () => {
    const r = await call(c, "list_todos", { limit: 101 });
    return want(["isError", true, r.isError],
      ["text", "invalid arguments: limit: must be at most 100", r.content && r.content[0] && r.content[0].text]);
  });

  // The SDK's GET for a server-sent event stream gets 405 (none offered): not counted.
  await check("read+write client: no transport errors, every POST answered 200/202", () => {
    const odd = rw.seen.filter((s) => s.method === "POST" && s.status !== 200 && s.status !== 202)
      .map((s) => s.status);
    return want(["transport errors", [], rw.errors], ["other statuses", [], odd]);
  });

  await check("read+write token: close", async () => {
    await c.close();
  });
}

// ---- read only: a create is refused with 403 ------------------------------------

let ro = null;
await check("read-only token: connect", async () => {
  ro = await connect(RO);
});

if (ro) {
  const c = ro.client;
  let before = -1;

  await check("read-only: list_todos is served", async () => {
    const r = await call(c, "list_todos", { limit: 100 });
    before = r.structuredContent.todos.length;
    return toolOk(r);
  });

  await check("read-only: create_todo rejects with the 403 (code 403, body -32003)", async () => {
    try {
      const r = await call(c, "create_todo", { title: "must not exist" });
      return `wanted an error, got a result: ${JSON.stringify(r)}`;
    } catch (e) {
      const msg = String(e && e.message);
      return want(["error code", 403, e && e.code], ["message names 403 body -32003", true, msg.includes("-32003")],
        ["message names the missing scope", true, msg.includes("todo:write")]);
    }
  });

  await check("read-only: the 403 the SDK got asks for todo:write and keeps todo:read", () => {
    const last = ro.seen.filter((s) => s.method === "POST").pop();
    if (!last) return "no response recorded";
    const p = extractWWWAuthenticateParams(last);
    let body = null;
    try { body = JSON.parse(last.body); } catch (e) { /* shown below */ }
    return want(["status", 403, last.status], ["WWW-Authenticate", CHALLENGE_403, last.headers.get("www-authenticate")],
      ["SDK-parsed error", "insufficient_scope", p.error], ["SDK-parsed scope", "todo:write todo:read", p.scope],
      ["SDK-parsed resource_metadata", PRM, p.resourceMetadataUrl && p.resourceMetadataUrl.href],
      ["body error code", -32003, body && body.error && body.error.code],
      ["body id is a request id", true, body !== null && (typeof body.id === "number" || typeof body.id === "string")]);
  });

  await check("read-only: update_todo and delete_todo also reject with 403", async () => {
    for (const [name, args] of [["update_todo", { todo_id: "0".repeat(32), completed: true }],
      ["delete_todo", { todo_id: "0".repeat(32) }]]) {
      try {
        await call(c, name, args);
        return `${name}: wanted an error, got a result`;
      } catch (e) {
        if (e.code !== 403) return `${name}: error code ${e.code}: ${e.message}`;
      }
    }
    return true;
  });

  await check("read-only: nothing was stored, the client still serves", async () => {
    const r = await call(c, "list_todos", { limit: 100 });
    return want(["count", before, r.structuredContent.todos.length]);
  });

  await check("plain fetch of the same create: 403, the challenge, -32003 with our id", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream",
        Authorization: `Bearer ${RO}`, "MCP-Protocol-Version": c.transport?.protocolVersion || "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: "plain-403", method: "tools/call",
        params: { name: "create_todo", arguments: { title: "must not exist" } } }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await res.json();
    return want(["status", 403, res.status], ["WWW-Authenticate", CHALLENGE_403, res.headers.get("www-authenticate")],
      ["id", "plain-403", body.id], ["code", -32003, body.error && body.error.code], ["result", undefined, body.result]);
  });

  await check("read-only token: close", async () => {
    await c.close();
  });
}

// ---- no token ------------------------------------------------------------------

await check("no token: connect fails with 401", async () => {
  try {
    const n = await connect("");
    await n.client.close();
    return "connected without a token";
  } catch (e) {
    return want(["error code", 401, e && e.code]);
  }
});

finish();
