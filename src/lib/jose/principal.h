/*
 * principal.h - who a verified access token speaks for: the subject, the
 * client, the organisation and the scopes (RFC 9068 §2.2, RFC 6749 §3.3).
 *
 * token_verify (token.h) builds one from a token's verified claims; the
 * authentication gate keeps copies of them, and the tools read them to
 * decide what the caller may do.
 */
#ifndef PRINCIPAL_H
#define PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Who a verified token speaks for.  Every string is NUL-terminated and owned. */
struct principal {
	char *subject;   /* "sub" (RFC 7519 §4.1.2); NULL when absent */
	char *client_id; /* "client_id" (RFC 9068 §2.2), else "azp"; NULL when absent */
	char *org_id;    /* "org_id", else "oid"; NULL when absent */
	char *issuer;    /* "iss", one of the policy's issuers */
	char *jti;       /* "jti"; NULL when absent */
	/*
	 * Union of "scope" (space-separated, RFC 9068 §2.2.3), "scp" (string
	 * or array) and "scopes" (array), de-duplicated, in first-seen order.
	 */
	char **scopes;
	size_t n_scopes;
	int64_t exp; /* "exp", seconds since the epoch */
	int64_t iat; /* "iat", or 0 when absent */
	bool packed; /* one block with its strings (principal_dup()); else each is its own */
};

/* Frees p and its strings; NULL is accepted. */
void principal_free(struct principal *p);

/*
 * A deep copy of p (borrowed), which the caller frees with principal_free.
 * NULL only when p is NULL (out of memory aborts, util.h).
 */
struct principal *principal_dup(const struct principal *p);

/*
 * True when p holds scope (exact, case-sensitive match, RFC 6749 §3.3);
 * false when p or scope is NULL.
 */
bool principal_has_scope(const struct principal *p, const char *scope);

#endif /* PRINCIPAL_H */
