/*
 * protocol.c - the table of protocol revisions.
 */
#include "mcp/protocol.h"

#include <stddef.h>
#include <string.h>

/* Newest first. */
static const struct {
	const char *version;
	bool batches;
} versions[] = {
    {MCP_VERSION_LATEST, false},
    {"2025-06-18", false},
    {"2025-03-26", true},
    {"2024-11-05", true},
};

/* The table row of version, or -1. */
static int
find(const char *version)
{
	for (size_t i = 0; version != NULL && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(version, versions[i].version) == 0)
			return (int)i;
	return -1;
}

bool
protocol_supported(const char *version)
{
	return find(version) >= 0;
}

const char *
protocol_negotiate(const char *asked)
{
	return find(asked) >= 0 ? asked : MCP_VERSION_LATEST;
}

bool
protocol_batches(const char *version)
{
	int i = find(version);

	return i >= 0 && versions[i].batches;
}
