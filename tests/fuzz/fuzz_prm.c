/*
 * fuzz_prm.c - the metadata program's path handling (src/wellknown/prm.h):
 * prm_path_matches, the RFC 9728 §3.1 path-aware well-known path, and
 * prm_folder_path, the request path seen from the resource's folder.
 *
 * Input: the resource's path (as config_load derives it from MCP_RESOURCE),
 * a NUL byte, then the request's path; without a NUL the whole input is the
 * request's path for the resource https://host/~me/app/mcp, a bundle in a
 * sub-folder (the case with the most to get wrong).  The folder path must
 * point into the request's path, at its end or at a '/'.
 */
#include "fuzz.h"

#include "lib/config/config.h"
#include "wellknown/prm.h"

static void
harness_init(void)
{
	/* Nothing beyond fuzz_setup(): the parser keeps no state. */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *path = in;
	const char *folder;
	struct config cfg = {.resource_path = "/~me/app/mcp"};
	size_t first = strlen(in);

	if (first < size) {
		/* The configuration never holds an empty path: "/" for none. */
		cfg.resource_path = first > 0 ? in : "/";
		path = in + first + 1;
	}
	(void)prm_path_matches(&cfg, path);
	folder = prm_folder_path(&cfg, path);
	if (folder < path || folder > path + strlen(path) || (folder != path && *folder != '/'))
		abort();
	free(in);
	return 0;
}
