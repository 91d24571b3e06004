/* Unit tests for src/mcp/protocol.h: the table of protocol revisions. */
#include "test.h"

#include "mcp/protocol.h"

TEST(versions)
{
	CHECK(protocol_supported("2025-11-25"));
	CHECK(protocol_supported("2025-06-18"));
	CHECK(protocol_supported("2025-03-26"));
	CHECK(protocol_supported("2024-11-05"));
	CHECK(!protocol_supported("2025-11-25 "));
	CHECK(!protocol_supported("2099-01-01"));
	CHECK(!protocol_supported(""));
	CHECK(!protocol_supported(NULL));
	CHECK(protocol_supported(MCP_VERSION_LATEST));
	CHECK(protocol_supported(MCP_VERSION_DEFAULT));
}

TEST(negotiation)
{
	CHECK_STR(protocol_negotiate("2024-11-05"), "2024-11-05");
	CHECK_STR(protocol_negotiate("1999-01-01"), MCP_VERSION_LATEST);
	CHECK_STR(protocol_negotiate(NULL), MCP_VERSION_LATEST);
}

/* JSON-RPC batches up to 2025-03-26 only: 2025-06-18 removed them. */
TEST(batches)
{
	CHECK(protocol_batches("2024-11-05"));
	CHECK(protocol_batches("2025-03-26"));
	CHECK(!protocol_batches("2025-06-18"));
	CHECK(!protocol_batches("2025-11-25"));
	CHECK(!protocol_batches("2099-01-01"));
	CHECK(!protocol_batches(NULL));
}

TEST_MAIN(TEST_CASE(versions), TEST_CASE(negotiation), TEST_CASE(batches))
