/*
 * tmpdir.h - the private temporary directory of a test program: its setup
 * makes it (mkdtemp), its cleanup removes it with everything in it.
 *
 * Header-only (static), after test.h.
 */
#ifndef TMPDIR_H
#define TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

/* Removes dir and what it holds; says so on stderr when it cannot. */
static void
tmpdir_remove(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif /* TMPDIR_H */
