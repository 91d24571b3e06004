/*
 * devmint_fixture.h - the issuer, audience and time the token tests share,
 * and tokens minted by the development issuer that pass every check at NOW.
 *
 * Header-only (static: both users call both), after test.h and cli/devissuer.h.
 */
#ifndef DEVMINT_FIXTURE_H
#define DEVMINT_FIXTURE_H

#include <stdint.h>

#define ISS "https://issuer.example"
#define AUD "https://mcp.example/mcp"
#define NOW INT64_C(1700000000)

/* Mint options that pass every check at NOW (exp is NOW + 300). */
static struct devissuer_token_opts
opts(void)
{
	struct devissuer_token_opts o = {
	    .iss = ISS,
	    .sub = "user-1",
	    .aud = AUD,
	    .scope = "todo:read todo:write",
	    .iat = NOW,
	    .lifetime = 300,
	};
	return o;
}

/* A token k signs with o; a failed mint fails the test and returns NULL. */
static char *
mint(const struct devissuer_key *k, const struct devissuer_token_opts *o)
{
	char *tok = NULL;

	CHECK_INT(devissuer_token_mint(k, o, &tok, NULL), 0);
	return tok;
}

#endif
