/*
 * token_claims.h - the claims half of access token verification: the time
 * claims (RFC 7519 §4.1.4-4.1.6), the issuer and audience (RFC 9068 §4),
 * and the principal built from the rest (RFC 9068 §2.2, RFC 8693 §4).
 *
 * Internal to the token module: only token.c (the caller) and
 * token_claims.c include this header.  token_verify splits the token,
 * checks its header, picks the key and verifies the signature, and only
 * then hands the decoded claims here.  Nothing here sees the token text,
 * its header or a key, and nothing here calls back into token.c.
 */
#ifndef TOKEN_CLAIMS_H
#define TOKEN_CLAIMS_H

#include "lib/jose/token.h"

#include <stdint.h>

/* cJSON's object type; only token.c and token_claims.c parse token JSON. */
struct cJSON;

/*
 * Checks the verified claims object (borrowed for the call) against policy
 * at now (seconds since the epoch), in this order, each failing closed:
 * exp required and not passed (token_expired), nbf reached, iat not in the
 * future (all with policy->leeway, clamped to 0..TOKEN_LEEWAY_MAX), iss one
 * of the policy's issuers, aud naming one of its audiences; then builds the
 * principal from sub, client_id/azp, org_id/oid, iss, jti and the scope
 * claims.
 *
 * Returns 0 with *out a new principal (principal_free), or -1 with *out
 * untouched and e set to ERR_INVALID and one of TOKEN_MSG_NO_EXP,
 * TOKEN_MSG_EXPIRED, TOKEN_MSG_NOT_YET_VALID, TOKEN_MSG_IAT_FUTURE,
 * TOKEN_MSG_ISSUER, TOKEN_MSG_AUDIENCE or TOKEN_MSG_CLAIMS (a claim of the
 * wrong type, an over-long string, a scope outside RFC 6749 §3.3).
 */
int token_claims_check(const struct cJSON *claims, const struct token_policy *policy, int64_t now,
                       struct principal **out, struct err *e);

#endif /* TOKEN_CLAIMS_H */
