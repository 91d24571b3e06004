/*
 * protocol.h - the MCP protocol revisions this server speaks, in one table
 * that the transport (MCP-Protocol-Version header) and the dispatcher
 * (initialize, batches) both read.
 */
#ifndef MCP_PROTOCOL_H
#define MCP_PROTOCOL_H

#include <stdbool.h>

#define MCP_VERSION_LATEST  "2025-11-25"
#define MCP_VERSION_DEFAULT "2025-03-26" /* assumed without MCP-Protocol-Version */
#define MCP_SERVER_NAME     "mcp-fcgi"
#ifndef MCP_SERVER_VERSION
#define MCP_SERVER_VERSION "0.1.0"
#endif

/* True when version (NULL allowed) is one this server speaks. */
bool protocol_supported(const char *version);

/*
 * The version initialize answers (MCP lifecycle, "Version Negotiation"):
 * the client's when supported, else the latest.  Static or borrowed from
 * asked.
 */
const char *protocol_negotiate(const char *asked);

/*
 * True when messages of version may come in JSON-RPC batches: up to
 * 2025-03-26; 2025-06-18 removed them (MCP changelog).
 */
bool protocol_batches(const char *version);

#endif /* MCP_PROTOCOL_H */
