/*
 * token.c - JWT access token verification (RFC 7515, RFC 7519, RFC 9068,
 * with the RFC 8725 best current practices): the compact serialization,
 * the JOSE header (alg allow-list, crit, typ, kid), the key choice and the
 * signature.  The claims of a verified token are token_claims.c's.
 */
/* SHA256_Init and friends: EVP would build its algorithm table at first use (jwk.c). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/jose/token.h"

#include "lib/jose/b64url.h"
#include "lib/jose/internal/token_claims.h"

#include <cJSON.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* JOSE header parameters (RFC 7515 §4.1). */
#define HDR_ALG  "alg"
#define HDR_CRIT "crit"
#define HDR_TYP  "typ"
#define HDR_KID  "kid"

void
token_lib_init(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	                        OPENSSL_INIT_NO_ATEXIT,
	                    NULL);
}

/* More top-level members than this in the header or the claims is refused. */
#define TOKEN_MEMBERS_MAX 256

/* A borrowed slice of the compact token. */
struct span {
	const char *p;
	size_t len;
};

/*
 * Splits the compact serialization (RFC 7515 §7.1) into its three parts:
 * exactly two dots, no empty part, each part canonical base64url.  The JWE
 * form (five parts) and the unsecured form (empty signature) fail here.
 */
static int
parts_split(const char *token, size_t len, size_t max, struct span part[3], struct err *e)
{
	size_t n = 0, start = 0;

	if (len > max)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_TOO_LONG);
	if (token == NULL)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_MALFORMED);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && token[i] != '.')
			continue;
		if (n == 3 || i == start || !b64url_valid(token + start, i - start))
			return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_MALFORMED);
		part[n].p = token + start;
		part[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n == 3 ? 0 : err_set(e, ERR_INVALID, "%s", TOKEN_MSG_MALFORMED);
}

/* Wipes and frees a decoded buffer of len bytes (plus its NUL). */
static void
wipe_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len + 1);
	free(buf);
}

/*
 * Parses decoded JSON text (len bytes, NUL-terminated by the decoder) into
 * an object.  Refuses non-objects, trailing data, a NUL inside the text or
 * escaped as \u0000 (cJSON would cut the string there, so "iss":"a\u0000b"
 * would compare as "a"), and duplicate member names, which RFC 7515 §4 and
 * RFC 7519 §4 let a verifier reject and which parsers disagree on.
 */
static cJSON *
json_object_parse(const unsigned char *text, size_t len)
{
	const char *s = (const char *)text;
	cJSON *o = NULL, *ret = NULL;
	const cJSON *a, *b;
	size_t n = 0;

	if (strlen(s) != len || strstr(s, "\\u0000") != NULL)
		return NULL;
	o = cJSON_ParseWithOpts(s, NULL, 1);
	if (!cJSON_IsObject(o))
		goto out;
	for (a = o->child; a != NULL; a = a->next) {
		if (++n > TOKEN_MEMBERS_MAX || a->string == NULL)
			goto out;
		for (b = o->child; b != a; b = b->next) {
			if (strcmp(a->string, b->string) == 0)
				goto out;
		}
	}
	ret = o;
	o = NULL;
out:
	cJSON_Delete(o);
	return ret;
}

/* Decodes one base64url part and parses it as a JSON object, or NULL. */
static cJSON *
part_json(const struct span *part)
{
	unsigned char *text = NULL;
	size_t len = 0;
	cJSON *o;

	if (b64url_decode_alloc(part->p, part->len, &text, &len) != 0)
		return NULL;
	o = json_object_parse(text, len);
	wipe_free(text, len);
	return o;
}

/*
 * RFC 9068 §2.1 types access tokens "at+jwt"; plain JWTs ("JWT", RFC 7519
 * §5.1) are still what many issuers send.  RFC 7515 §4.1.9 lets the
 * "application/" prefix be omitted and asks for case-insensitive matching.
 * Any other type (id_token+jwt, dpop+jwt, logout+jwt, ...) is another kind
 * of token and must not pass as an access token (RFC 8725 §3.11).
 */
int
token_type_parse(const char *name, unsigned *out)
{
	if (name == NULL)
		return -1;
	if (strncasecmp(name, "application/", 12) == 0)
		name += 12;
	if (strcasecmp(name, "at+jwt") == 0)
		*out = TOKEN_TYPE_AT_JWT;
	else if (strcasecmp(name, "JWT") == 0)
		*out = TOKEN_TYPE_JWT;
	else
		return -1;
	return 0;
}

/*
 * True when the header's typ (NULL: none) is one of types.  No typ at all
 * counts as a plain JWT (RFC 7519 §5.1 makes typ optional), which an
 * operator requiring "at+jwt" (RFC 9068 §4) refuses.
 */
static bool
typ_accepted(const cJSON *typ, unsigned types)
{
	unsigned t = TOKEN_TYPE_JWT;

	if (typ != NULL && (!cJSON_IsString(typ) || token_type_parse(typ->valuestring, &t) != 0))
		return false;
	return (types & t) != 0;
}

/*
 * Checks the JOSE header: alg, crit, typ; sets *alg and *kid (borrowed
 * from hdr, NULL when absent).  No key has been touched yet.  Returns 0 or
 * -1 with e set.
 */
static int
header_check(const cJSON *hdr, const struct token_policy *policy, enum jwa_alg *alg,
             const char **kid, struct err *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(hdr, HDR_ALG);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(hdr, HDR_TYP);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(hdr, HDR_KID);

	/* RFC 8725 §3.1-3.2: none and HS* are unknown names to jwa_parse. */
	if (!cJSON_IsString(a) || jwa_parse(a->valuestring, alg) != 0 ||
	    (policy->alg_mask & JWA_BIT(*alg)) == 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_ALG);
	/* RFC 7515 §4.1.11: we understand no extension, so any crit is fatal. */
	if (cJSON_GetObjectItemCaseSensitive(hdr, HDR_CRIT) != NULL)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CRIT);
	if (!typ_accepted(t, policy->types != 0 ? policy->types : TOKEN_TYPES_DEFAULT))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_TYP);
	/*
	 * jku, x5u, jwk and x5c are never read: a key named by the token
	 * itself proves nothing (RFC 8725 §3.10).  kid only selects from our set.
	 */
	*kid = NULL;
	if (k != NULL) {
		if (!cJSON_IsString(k) || strlen(k->valuestring) > JWK_KID_MAX)
			return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_HEADER);
		*kid = k->valuestring;
	}
	return 0;
}

/*
 * Picks the key for kid and alg.  With a kid: no key with it is
 * KID_UNKNOWN (ERR_NOT_FOUND: the one refusal a key refresh may cure), keys
 * with it that cannot do alg are ALG, more than one that can is
 * KID_AMBIGUOUS.  Without a kid the set must hold exactly one key fit for
 * alg (KID_AMBIGUOUS otherwise): trying keys in turn would let a token pick
 * its key.  Returns 0 or -1 with e set.
 */
static int
key_select(const struct jwk_set *keys, const char *kid, enum jwa_alg alg, const struct jwk **out,
           struct err *e)
{
	size_t n_kid = 0, n_fit = 0;

	for (size_t i = 0; i < jwk_set_count(keys); i++) {
		const struct jwk *k = jwk_set_get(keys, i);

		if (kid != NULL) {
			if (jwk_kid(k) == NULL || strcmp(jwk_kid(k), kid) != 0)
				continue;
			n_kid++;
		}
		if (jwk_alg_fits(k, alg)) {
			n_fit++;
			*out = k;
		}
	}
	if (kid != NULL && n_kid == 0)
		return err_set(e, ERR_NOT_FOUND, "%s", TOKEN_MSG_KID_UNKNOWN);
	if (kid != NULL && n_fit == 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_ALG);
	return n_fit == 1 ? 0 : err_set(e, ERR_INVALID, "%s", TOKEN_MSG_KID_AMBIGUOUS);
}

/*
 * The signature memo's digest of the whole token (len bytes), as received,
 * under alg and key: a prefix naming the scheme, then NUL-separated fields.
 */
static void
sig_digest(const struct jwk *key, enum jwa_alg alg, const char *token, size_t len,
           unsigned char out[TOKEN_SIG_DIGEST])
{
	static const char scheme[] = "mcp-fcgi signature memo 1";
	const char *alg_name = jwa_name(alg), *thumb = jwk_thumbprint(key);
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, scheme, sizeof(scheme));
	SHA256_Update(&c, alg_name, strlen(alg_name) + 1);
	SHA256_Update(&c, thumb, strlen(thumb) + 1);
	SHA256_Update(&c, token, len);
	SHA256_Final(out, &c);
}

/*
 * Decodes the signature part and verifies it over part[0] "." part[1],
 * unless the policy's memo saw this very token verified under this key.
 * Returns 0 or -1 with e set.
 */
static int
signature_check(const struct jwk *key, enum jwa_alg alg, const struct span part[3],
                const struct token_sig_memo *memo, struct err *e)
{
	unsigned char *sig = NULL, digest[TOKEN_SIG_DIGEST];
	size_t siglen = 0, len = (size_t)(part[2].p + part[2].len - part[0].p);
	int rc;

	if (memo != NULL) {
		sig_digest(key, alg, part[0].p, len, digest);
		if (memo->seen(memo->ctx, digest))
			return 0;
	}
	/* parts_split checked the encoding, so this cannot fail; fail closed anyway. */
	if (b64url_decode_alloc(part[2].p, part[2].len, &sig, &siglen) != 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_MALFORMED);
	/* RFC 7515 §5.2 step 8: the input is the encoded text, as received. */
	rc = jwk_verify(key, alg, part[0].p, part[0].len + 1 + part[1].len, sig, siglen);
	wipe_free(sig, siglen);
	if (rc != 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_SIGNATURE);
	if (memo != NULL)
		memo->remember(memo->ctx, digest);
	return 0;
}

/*
 * The single entry point: every step fails closed, and each step reads
 * only what the steps before it have vouched for (RFC 8725 §3.1-3.2).
 */
int
token_verify(const char *token, size_t len, const struct jwk_set *keys,
             const struct token_policy *policy, int64_t now, struct principal **out, struct err *e)
{
	struct span part[3];
	cJSON *hdr = NULL, *claims = NULL;
	const struct jwk *key = NULL;
	const char *kid = NULL;
	enum jwa_alg alg = JWA_RS256;
	int rc = -1;

	*out = NULL;
	if (policy == NULL)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_MALFORMED);
	if (parts_split(token, len, policy->max_len ? policy->max_len : TOKEN_MAX_LEN, part, e) !=
	    0)
		goto out;
	if ((hdr = part_json(&part[0])) == NULL) {
		err_set(e, ERR_INVALID, "%s", TOKEN_MSG_HEADER);
		goto out;
	}
	if (header_check(hdr, policy, &alg, &kid, e) != 0 ||
	    key_select(keys, kid, alg, &key, e) != 0 ||
	    signature_check(key, alg, part, policy->sig_memo, e) != 0)
		goto out;
	/* Only now, with the signature verified, is the payload read at all. */
	if ((claims = part_json(&part[1])) == NULL) {
		err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
		goto out;
	}
	rc = token_claims_check(claims, policy, now, out, e);
out:
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	return rc;
}
