/*
 * token_claims.h - the claims half of access token verification: the time
 * claims (RFC 7519 §4.1.4-4.1.6), the issuer and audience (RFC 9068 §4),
 * and the principal built from the rest (RFC 9068 §2.2, RFC 8693 §4).
 *
 * An internal module of token: token_verify (token.c) splits the token,
 * checks its header, picks the key and verifies the signature, and only
 * then hands the decoded claims here.  Nothing here sees the token text,
 * its header or a key.
 */
#ifndef TOKEN_CLAIMS_H
#define TOKEN_CLAIMS_H

#include "lib/jose/token.h"

#include <stdint.h>

/* cJSON's object type; only token.c and token_claims.c parse JSON. */
struct cJSON;

/*
 * Checks the verified claims object (borrowed for the call) against policy
 * at now (seconds since the epoch), in this order, each failing closed:
 * exp required and not passed, nbf reached, iat not in the future (all
 * with policy->leeway, clamped to 0..TOKEN_LEEWAY_MAX), iss one of the
 * policy's issuers, aud naming one of its audiences; then builds the
 * principal from sub, client_id/azp, org_id/oid, iss, jti and the scope
 * claims.
 *
 * Returns TOKEN_OK with *out a new principal (principal_free), or with *out
 * untouched: TOKEN_ERR_NO_EXP, TOKEN_ERR_EXPIRED, TOKEN_ERR_NOT_YET_VALID,
 * TOKEN_ERR_IAT_FUTURE, TOKEN_ERR_ISSUER, TOKEN_ERR_AUDIENCE,
 * TOKEN_ERR_CLAIMS (a claim of the wrong type, an over-long string, a
 * scope outside RFC 6749 §3.3) or TOKEN_ERR_NOMEM.
 */
enum token_err token_claims_check(const struct cJSON *claims, const struct token_policy *policy,
                                  int64_t now, struct principal **out);

#endif /* TOKEN_CLAIMS_H */
