/*
 * test_jwk.c - JWK Set parsing (RFC 7517, RFC 7518 §6) and thumbprints
 * (RFC 7638): hostile and unusable documents first.
 */
#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/b64url.h"
#include "lib/jose/jwk.h"
#include "test.h"

#include <stdint.h>
#include <unistd.h>

/* RFC 7517 Appendix A.1: a real 2048-bit RSA public key and a P-256 key. */
#define RFC_N                                                                                      \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"  \
	"BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"          \
	"65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk" \
	"t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-"                          \
	"csFCur-kEgU8awapJzKnqDKgw"
#define RFC_RSA(extra) "{\"kty\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":\"AQAB\"" extra "}"
#define RFC_EC_X       "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define RFC_EC_Y       "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
/* The same y with its last significant bit flipped: not on the curve. */
#define BAD_EC_Y "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyI"
#define RFC_EC(extra)                                                                              \
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC_EC_X "\",\"y\":\"" RFC_EC_Y "\"" extra "}"
/* RFC 7638 §3.1: the thumbprint of the RFC 7517 A.1 RSA key. */
#define RFC_THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* Parses a NUL-terminated document; returns the count (0 on any error). */
static size_t
count_of(const char *json)
{
	struct jwk_set *set = NULL;
	size_t n = 0;

	if (jwk_set_parse(json, strlen(json), &set, NULL) == 0)
		n = jwk_set_count(set);
	jwk_set_free(set);
	return n;
}

/* The last refusal of err_of_len; its message is what err_of returns. */
static struct err last;

/*
 * Parses len bytes of json and returns the refusal's message (a JWK_MSG_*
 * text), or NULL when a set was built.  Checks the contract on the way: no
 * set on failure, and the code that goes with the message.
 */
static const char *
err_of_len(const char *json, size_t len)
{
	struct jwk_set *set = (struct jwk_set *)&set;
	int rc;

	err_clear(&last);
	rc = jwk_set_parse(json, len, &set, &last);
	if (rc == 0) {
		CHECK_INT(last.code, ERR_OK);
		jwk_set_free(set);
		return NULL;
	}
	CHECK_INT(rc, -1);
	CHECK(set == NULL);
	CHECK_INT(last.code,
	          strcmp(last.msg, JWK_MSG_TOO_LARGE) == 0 ? ERR_TOO_LARGE : ERR_INVALID);
	return last.msg;
}

/* err_of_len for a NUL-terminated document. */
static const char *
err_of(const char *json)
{
	return err_of_len(json, strlen(json));
}

/* The number of usable keys json parses into, or -1 when it is refused. */
static int
keys_of(const char *json)
{
	struct jwk_set *set = NULL;
	struct err e;
	int n;

	if (jwk_set_parse(json, strlen(json), &set, &e) != 0)
		return -1;
	n = (int)jwk_set_count(set);
	jwk_set_free(set);
	return n;
}

/* base64url of n bytes of an odd pattern with the top bit set: an n*8-bit number. */
static char *
fake_modulus(size_t n)
{
	unsigned char buf[1024];

	memset(buf, 0xc3, n);
	buf[0] = 0xf1;
	return b64url_encode_alloc(buf, n);
}

TEST(garbage_rejected)
{
	CHECK_STR(err_of(""), JWK_MSG_JSON);
	CHECK_STR(err_of("garbage"), JWK_MSG_JSON);
	CHECK_STR(err_of("{\"keys\":["), JWK_MSG_JSON);
	CHECK_STR(err_of("{\"keys\":[]} trailing"), JWK_MSG_JSON);
	CHECK_STR(err_of_len("{\"keys\":[]}\0{\"keys\"", 19), JWK_MSG_JSON);
	CHECK_STR(err_of_len(NULL, 0), JWK_MSG_JSON);
}

TEST(not_an_object_rejected)
{
	CHECK_STR(err_of("[" RFC_RSA("") "]"), JWK_MSG_JSON);
	CHECK_STR(err_of("\"keys\""), JWK_MSG_JSON);
	CHECK_STR(err_of("null"), JWK_MSG_JSON);
	/* A single JWK is not a JWK Set (RFC 7517 §5). */
	CHECK_STR(err_of(RFC_RSA("")), JWK_MSG_JSON);
}

TEST(keys_not_array_rejected)
{
	CHECK_STR(err_of("{\"keys\":" RFC_RSA("") "}"), JWK_MSG_JSON);
	CHECK_STR(err_of("{\"keys\":\"x\"}"), JWK_MSG_JSON);
	CHECK_STR(err_of("{\"Keys\":[" RFC_RSA("") "]}"), JWK_MSG_JSON);
	CHECK_STR(err_of("{}"), JWK_MSG_JSON);
}

/* A well-formed set without usable keys is an empty set: the issuer's word, not an error. */
TEST(empty_keys_rejected)
{
	CHECK_INT(keys_of("{\"keys\":[]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[1,\"a\",null,[],{}]}"), 0);
}

TEST(oversize_document_rejected)
{
	size_t len = JWK_SET_MAX_BYTES + 1;
	char *doc = malloc(len + 1);
	struct jwk_set *set = NULL;

	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	/* Valid JSON padded with whitespace: refused on size alone. */
	memset(doc, ' ', len);
	memcpy(doc, "{\"keys\":[" RFC_RSA("") "]}", strlen("{\"keys\":[" RFC_RSA("") "]}"));
	doc[len] = '\0';
	CHECK_STR(err_of_len(doc, len), JWK_MSG_TOO_LARGE);
	CHECK_ERR(last, ERR_TOO_LARGE, JWK_MSG_TOO_LARGE);
	CHECK_INT(jwk_set_parse(doc, len - 1, &set, NULL), 0);
	CHECK_INT(jwk_set_count(set), 1);
	jwk_set_free(set);
	free(doc);
}

TEST(rsa_1024_left_out)
{
	char *n1024 = fake_modulus(128), *n2048 = fake_modulus(256), doc[2048];

	snprintf(doc, sizeof(doc),
	         "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
	         n1024);
	CHECK_INT(keys_of(doc), 0);
	/* The same shape at 2048 bits is accepted: the size is what was refused. */
	snprintf(doc, sizeof(doc),
	         "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"big\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
	         n2048);
	CHECK_INT(count_of(doc), 1);
	free(n1024);
	free(n2048);
}

TEST(rsa_bad_exponent_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":\"AQ\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":\"AQAA\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC_N "\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":65537}]}"), 0);
}

TEST(oct_key_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":\"c2VjcmV0\"}]}"),
	          0);
}

TEST(use_enc_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"use\":\"enc\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_EC(",\"use\":\"enc\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"use\":1") "]}"), 0);
	CHECK_INT(count_of("{\"keys\":[" RFC_RSA(",\"use\":\"sig\"") "]}"), 1);
}

TEST(key_ops_without_verify_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"key_ops\":[\"encrypt\"]") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"key_ops\":\"verify\"") "]}"), 0);
	CHECK_INT(count_of("{\"keys\":[" RFC_RSA(",\"key_ops\":[\"sign\",\"verify\"]") "]}"), 1);
}

TEST(unknown_kty_or_crv_left_out)
{
	CHECK_INT(
	    keys_of("{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_EC_X "\"}]}"),
	    0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"" RFC_EC_X
	                  "\",\"y\":\"" RFC_EC_Y "\"}]}"),
	          0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"" RFC_EC_X
	                  "\",\"y\":\"" RFC_EC_Y "\"}]}"),
	          0);
	CHECK_INT(keys_of("{\"keys\":[{\"n\":\"" RFC_N "\",\"e\":\"AQAB\"}]}"), 0);
	/* Member names are case-sensitive (RFC 7517 §4). */
	CHECK_INT(keys_of("{\"keys\":[{\"KTY\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":\"AQAB\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"rsa\",\"n\":\"" RFC_N "\",\"e\":\"AQAB\"}]}"), 0);
}

TEST(ec_point_not_on_curve_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC_EC_X
	                  "\",\"y\":\"" BAD_EC_Y "\"}]}"),
	          0);
	/* The point of the P-256 key claimed on P-384 (wrong length too). */
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"" RFC_EC_X
	                  "\",\"y\":\"" RFC_EC_Y "\"}]}"),
	          0);
	/* All-zero coordinates: the point at infinity is no public key. */
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":"
	                  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}"),
	          0);
}

TEST(ec_short_coordinate_left_out)
{
	/* RFC 7518 §6.2.1.2: x is the full 32 bytes, leading zeros kept. */
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC_EC_X
	                  "\",\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFw\"}]}"),
	          0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC_EC_X "\"}]}"),
	          0);
}

TEST(bad_base64url_left_out)
{
	/* Padding, the standard alphabet and bad trailing bits are all refused. */
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RFC_N "\",\"e\":\"AQAB=\"}]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	                  "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4=\",\"y\":\"" RFC_EC_Y
	                  "\"}]}"),
	          0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	                  "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D+\",\"y\":\"" RFC_EC_Y
	                  "\"}]}"),
	          0);
	CHECK_INT(keys_of("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
	                  "\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D5\",\"y\":\"" RFC_EC_Y
	                  "\"}]}"),
	          0);
}

TEST(alg_inconsistent_left_out)
{
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"alg\":\"ES256\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_EC(",\"alg\":\"RS256\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_EC(",\"alg\":\"ES384\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"alg\":\"RSA-OAEP\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"alg\":\"HS256\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"alg\":\"none\"") "]}"), 0);
	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"alg\":256") "]}"), 0);
}

TEST(bad_kid_left_out)
{
	char doc[4096], kid[JWK_KID_MAX + 2];

	CHECK_INT(keys_of("{\"keys\":[" RFC_RSA(",\"kid\":7") "]}"), 0);
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	snprintf(doc, sizeof(doc), "{\"keys\":[" RFC_RSA(",\"kid\":\"%s\"") "]}", kid);
	CHECK_INT(keys_of(doc), 0);
	kid[JWK_KID_MAX] = '\0';
	snprintf(doc, sizeof(doc), "{\"keys\":[" RFC_RSA(",\"kid\":\"%s\"") "]}", kid);
	CHECK_INT(count_of(doc), 1);
}

TEST(mixed_keeps_valid_and_warns_by_kid)
{
	char path[] = "/tmp/test_jwk_log.XXXXXX", buf[8192] = "";
	int fd = mkstemp(path);
	struct jwk_set *set = NULL;
	static const char oct[] = "{\"kty\":\"oct\",\"kid\":\"sym\\nkey\",\"k\":\"c2VjcmV0\"}";
	static const char rsa[] = RFC_RSA(",\"kid\":\"good-rsa\"");
	static const char enc[] = RFC_EC(",\"kid\":\"enc-ec\",\"use\":\"enc\"");
	static const char ec[] = RFC_EC(",\"kid\":\"good-ec\",\"alg\":\"ES256\"");
	static const char off[] = "{\"kty\":\"EC\",\"kid\":\"off-curve\",\"crv\":\"P-256\","
	                          "\"x\":\"" RFC_EC_X "\",\"y\":\"" BAD_EC_Y "\"}";
	char doc[4096];
	ssize_t n;

	snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s,%s,%s,%s]}", oct, rsa, enc, ec, off);
	CHECK(fd >= 0);
	CHECK_INT(log_open(path), 0);
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	log_open("/dev/null");
	CHECK_INT(jwk_set_count(set), 2);
	CHECK_STR(jwk_kid(jwk_set_get(set, 0)), "good-rsa");
	CHECK_STR(jwk_kid(jwk_set_get(set, 1)), "good-ec");
	CHECK_INT(jwk_kty_get(jwk_set_get(set, 0)), JWA_KTY_RSA);
	CHECK_INT(jwk_kty_get(jwk_set_get(set, 1)), JWA_KTY_EC_P256);
	CHECK(jwk_set_get(set, 2) == NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	/* One warning per key left out, naming it; the newline arrives escaped. */
	CHECK_CONTAINS(buf, "sym\\u000akey");
	CHECK_CONTAINS(buf, "enc-ec");
	CHECK_CONTAINS(buf, "off-curve");
	CHECK(strstr(buf, "good-rsa") == NULL);
	CHECK(strstr(buf, "\"warn\"") != NULL);
	jwk_set_free(set);
	close(fd);
	unlink(path);
}

TEST(duplicate_kids_kept)
{
	struct jwk_set *set = NULL;
	const char *doc =
	    "{\"keys\":[" RFC_RSA(",\"kid\":\"same\"") "," RFC_EC(",\"kid\":\"same\"") "]}";

	/* RFC 7517 §4.5 allows one kid for keys of different types. */
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	CHECK_INT(jwk_set_count(set), 2);
	CHECK(jwk_alg_fits(jwk_set_get(set, 0), JWA_RS256));
	CHECK(jwk_alg_fits(jwk_set_get(set, 1), JWA_ES256));
	jwk_set_free(set);
}

TEST(too_many_keys_capped)
{
	size_t cap = 80 * (strlen(RFC_EC("")) + 1) + 32;
	char *doc = malloc(cap), *p = doc;

	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	p += sprintf(p, "{\"keys\":[");
	for (int i = 0; i < 80; i++)
		p += sprintf(p, "%s%s", i ? "," : "", RFC_EC(""));
	sprintf(p, "]}");
	CHECK_INT(count_of(doc), JWK_SET_MAX_KEYS);
	free(doc);
}

TEST(refusals_carry_code_and_message)
{
	struct jwk_set *set = (struct jwk_set *)&set;
	struct err e;
	char *big = malloc(JWK_SET_MAX_BYTES + 1);

	/* Each refusal: -1, no set, its code, exactly its fixed text. */
	CHECK_INT(jwk_set_parse("[]", 2, &set, &e), -1);
	CHECK(set == NULL);
	CHECK_ERR(e, ERR_INVALID, NULL);
	CHECK_STR(e.msg, JWK_MSG_JSON);
	/* No usable key is no refusal: an empty set (a JWKS emptied by its issuer). */
	CHECK_INT(jwk_set_parse("{\"keys\":[]}", 11, &set, &e), 0);
	CHECK(set != NULL && jwk_set_count(set) == 0);
	jwk_set_free(set);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, ' ', JWK_SET_MAX_BYTES + 1);
		CHECK_INT(jwk_set_parse(big, JWK_SET_MAX_BYTES + 1, &set, &e), -1);
		CHECK_ERR(e, ERR_TOO_LARGE, NULL);
		CHECK_STR(e.msg, JWK_MSG_TOO_LARGE);
	}
	/* The texts name no document content: safe in a log line as they are. */
	CHECK(strpbrk(JWK_MSG_TOO_LARGE JWK_MSG_NO_KEYS, "\"\\%\n") == NULL);
	/* e may be NULL: the caller then only learns that it failed. */
	CHECK_INT(jwk_set_parse("[]", 2, &set, NULL), -1);
	CHECK(set == NULL);
	free(big);
}

TEST(duplicate_kids_warned)
{
	char path[] = "/tmp/test_jwk_dup.XXXXXX", buf[4096] = "";
	int fd = mkstemp(path);
	struct jwk_set *set = NULL;
	const char *doc = "{\"keys\":[" RFC_RSA(",\"kid\":\"twice\"") "," RFC_EC(
	    ",\"kid\":\"twice\"") "," RFC_EC(",\"kid\":\"once\"") "]}";
	ssize_t n;

	CHECK(fd >= 0);
	CHECK_INT(log_open(path), 0);
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	log_open("/dev/null");
	CHECK_INT(jwk_set_count(set), 3);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	/* One warning for the shared kid (RFC 7517 §4.5), none for the other. */
	CHECK_CONTAINS(buf, "kid \\\"twice\\\" is used by more than one key");
	CHECK(strstr(buf, "once") == NULL);
	jwk_set_free(set);
	close(fd);
	unlink(path);
}

TEST(rfc7638_thumbprint)
{
	struct jwk_set *set = NULL;
	const char *doc = "{\"keys\":[" RFC_RSA(",\"kid\":\"2011-04-29\",\"alg\":\"RS256\"") "]}";

	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	CHECK_STR(jwk_thumbprint(jwk_set_get(set, 0)), RFC_THUMB);
	jwk_set_free(set);
}

TEST(thumbprint_ignores_leading_zero)
{
	unsigned char n[257];
	size_t len = 0;
	char *n64, doc[1024];
	struct jwk_set *set = NULL;

	/* Some libraries prefix a zero octet; RFC 7638 §3.3 hashes the minimal form. */
	n[0] = 0;
	CHECK_INT(b64url_decode(RFC_N, strlen(RFC_N), n + 1, sizeof(n) - 1, &len), 0);
	n64 = b64url_encode_alloc(n, len + 1);
	snprintf(doc, sizeof(doc), "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
	         n64);
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	if (set != NULL)
		CHECK_STR(jwk_thumbprint(jwk_set_get(set, 0)), RFC_THUMB);
	jwk_set_free(set);
	free(n64);
}

TEST(alg_fits_key_type_and_own_alg)
{
	struct jwk_set *set = NULL;
	const char *doc =
	    "{\"keys\":[" RFC_RSA("") "," RFC_RSA(",\"alg\":\"PS256\"") "," RFC_EC("") "]}";
	const struct jwk *rsa, *ps, *ec;
	enum jwa_alg a = JWA__MAX;

	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	CHECK_INT(jwk_set_count(set), 3);
	if (jwk_set_count(set) != 3) {
		jwk_set_free(set);
		return;
	}
	rsa = jwk_set_get(set, 0);
	ps = jwk_set_get(set, 1);
	ec = jwk_set_get(set, 2);
	CHECK(jwk_kid(rsa) == NULL);
	CHECK(!jwk_alg_get(rsa, &a));
	CHECK(jwk_alg_get(ps, &a) && a == JWA_PS256);
	for (int i = JWA_RS256; i <= JWA_PS512; i++)
		CHECK(jwk_alg_fits(rsa, (enum jwa_alg)i));
	CHECK(!jwk_alg_fits(rsa, JWA_ES256));
	CHECK(jwk_alg_fits(ps, JWA_PS256));
	CHECK(!jwk_alg_fits(ps, JWA_RS256));
	CHECK(!jwk_alg_fits(ps, JWA_PS384));
	CHECK(jwk_alg_fits(ec, JWA_ES256));
	CHECK(!jwk_alg_fits(ec, JWA_ES384));
	CHECK(!jwk_alg_fits(ec, JWA_RS256));
	CHECK(!jwk_alg_fits(ec, JWA__MAX));
	/* Verification refuses an alg the key cannot do, whatever the signature. */
	CHECK_INT(jwk_verify(ec, JWA_RS256, "a.b", 3, (const unsigned char *)"x", 1), -1);
	CHECK_INT(jwk_verify(rsa, JWA_RS256, "a.b", 3, (const unsigned char *)"x", 1), -1);
	jwk_set_free(set);
}

TEST(free_and_count_accept_null)
{
	jwk_set_free(NULL);
	CHECK_INT(jwk_set_count(NULL), 0);
	CHECK(jwk_set_get(NULL, 0) == NULL);
}

/* Not a test: the cJSON hooks, and the warnings about keys left out kept quiet. */
static int
setup(void)
{
	util_init();
	return log_open("/dev/null");
}

TEST_MAIN_FIXTURE(setup, NULL, TEST_CASE(garbage_rejected), TEST_CASE(not_an_object_rejected),
                  TEST_CASE(keys_not_array_rejected), TEST_CASE(empty_keys_rejected),
                  TEST_CASE(oversize_document_rejected), TEST_CASE(rsa_1024_left_out),
                  TEST_CASE(rsa_bad_exponent_left_out), TEST_CASE(oct_key_left_out),
                  TEST_CASE(use_enc_left_out), TEST_CASE(key_ops_without_verify_left_out),
                  TEST_CASE(unknown_kty_or_crv_left_out), TEST_CASE(ec_point_not_on_curve_left_out),
                  TEST_CASE(ec_short_coordinate_left_out), TEST_CASE(bad_base64url_left_out),
                  TEST_CASE(alg_inconsistent_left_out), TEST_CASE(bad_kid_left_out),
                  TEST_CASE(mixed_keeps_valid_and_warns_by_kid), TEST_CASE(duplicate_kids_kept),
                  TEST_CASE(duplicate_kids_warned), TEST_CASE(too_many_keys_capped),
                  TEST_CASE(refusals_carry_code_and_message), TEST_CASE(rfc7638_thumbprint),
                  TEST_CASE(thumbprint_ignores_leading_zero),
                  TEST_CASE(alg_fits_key_type_and_own_alg), TEST_CASE(free_and_count_accept_null))
