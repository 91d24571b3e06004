/*
 * principal.c - the lifetime of a principal and its scope test.
 */
#include "lib/jose/principal.h"

#include "lib/core/util.h"

#include <stdlib.h>
#include <string.h>

/* The principal's strings are copies, so nothing here is borrowed. */
void
principal_free(struct principal *p)
{
	if (p == NULL)
		return;
	/* A copy made by principal_dup() is one block, its strings inside. */
	if (p->packed) {
		free(p);
		return;
	}
	free(p->subject);
	free(p->client_id);
	free(p->org_id);
	free(p->issuer);
	free(p->jti);
	for (size_t i = 0; i < p->n_scopes; i++)
		free(p->scopes[i]);
	free(p->scopes);
	free(p);
}

/* Room s takes in a packed copy (none for NULL). */
static size_t
room(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copies s to *at and moves *at past it; NULL stays NULL. */
static char *
put(char **at, const char *s)
{
	char *d = *at;
	size_t n = room(s);

	if (s == NULL)
		return NULL;
	memcpy(d, s, n);
	*at += n;
	return d;
}

/*
 * Every string is copied, so the copy outlives p (the verified-token memo):
 * into one block with the structure and the scope array (one allocation
 * per request for a remembered token, not one per string).
 */
struct principal *
principal_dup(const struct principal *p)
{
	struct principal *d;
	size_t size = sizeof(*d), i;
	char *at;

	if (p == NULL)
		return NULL;
	size += p->n_scopes * sizeof(*d->scopes) + room(p->subject) + room(p->client_id) +
	        room(p->org_id) + room(p->issuer) + room(p->jti);
	for (i = 0; i < p->n_scopes; i++)
		size += room(p->scopes[i]);
	d = xcalloc(1, size);
	d->packed = true;
	d->exp = p->exp;
	d->iat = p->iat;
	d->n_scopes = p->n_scopes;
	d->scopes = p->n_scopes > 0 ? (char **)(d + 1) : NULL;
	at = (char *)(d + 1) + p->n_scopes * sizeof(*d->scopes);
	d->subject = put(&at, p->subject);
	d->client_id = put(&at, p->client_id);
	d->org_id = put(&at, p->org_id);
	d->issuer = put(&at, p->issuer);
	d->jti = put(&at, p->jti);
	for (i = 0; i < p->n_scopes; i++)
		d->scopes[i] = put(&at, p->scopes[i]);
	return d;
}

/* RFC 6749 §3.3: scope tokens are compared exactly, case included. */
bool
principal_has_scope(const struct principal *p, const char *scope)
{
	if (p == NULL || scope == NULL || p->scopes == NULL)
		return false;
	for (size_t i = 0; i < p->n_scopes; i++) {
		if (p->scopes[i] != NULL && strcmp(scope, p->scopes[i]) == 0)
			return true;
	}
	return false;
}
