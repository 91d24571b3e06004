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

/* Every string is copied, so the copy outlives p (the verified-token memo). */
struct principal *
principal_dup(const struct principal *p)
{
	struct principal *d;

	if (p == NULL)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->exp = p->exp;
	d->iat = p->iat;
	d->subject = xstrdup_opt(p->subject);
	d->client_id = xstrdup_opt(p->client_id);
	d->org_id = xstrdup_opt(p->org_id);
	d->issuer = xstrdup_opt(p->issuer);
	d->jti = xstrdup_opt(p->jti);
	if (p->n_scopes > 0)
		d->scopes = xcalloc(p->n_scopes, sizeof(*d->scopes));
	for (; d->n_scopes < p->n_scopes; d->n_scopes++)
		d->scopes[d->n_scopes] = xstrdup_opt(p->scopes[d->n_scopes]);
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
