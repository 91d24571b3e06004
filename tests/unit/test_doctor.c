/*
 * Unit tests for the pure parts of src/cli/doctor.h: the challenge parser,
 * URL comparison, the authorization server's well-known URLs, the escaping
 * of what is printed, the list and loopback helpers, and the report's
 * redaction of the token.
 */
#include "test.h"

#include "cli/doctor.h"

#include <fcntl.h>
#include <unistd.h>

/* Hostile or broken challenges are refused with a reason, never half-read. */
TEST(challenge_refusals)
{
	struct doctor_challenge c;
	const char *why = NULL;
	char long_value[DOCTOR_PARAM_MAX + 64];

	CHECK_INT(doctor_challenge_parse(NULL, &c, &why), -1);
	CHECK_STR(why, "no Bearer challenge");
	CHECK_INT(doctor_challenge_parse("", &c, &why), -1);
	CHECK_INT(doctor_challenge_parse("Basic realm=\"x\"", &c, &why), -1);
	CHECK_STR(why, "no Bearer challenge");
	CHECK_INT(doctor_challenge_parse("Bearer realm=\"x", &c, &why), -1);
	CHECK_STR(why, "a quoted string is not terminated");
	CHECK_INT(doctor_challenge_parse("Bearer realm=\"x\\", &c, &why), -1);
	CHECK_STR(why, "a quoted string is not terminated");
	CHECK_INT(doctor_challenge_parse("Bearer realm=\"a\", realm=\"b\"", &c, &why), -1);
	CHECK_STR(why, "a parameter is given twice");
	CHECK_INT(doctor_challenge_parse("Bearer error=\"x\", realm=", &c, &why), -1);
	CHECK_STR(why, "a parameter has no value");
	CHECK_INT(doctor_challenge_parse("Bearer realm=\"a\" error=\"b\"", &c, &why), -1);
	CHECK_STR(why, "parameters are not separated by commas");
	CHECK_INT(doctor_challenge_parse("\"Bearer\"", &c, &why), -1);
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	memcpy(long_value, "Bearer scope=\"", 14);
	CHECK_INT(doctor_challenge_parse(long_value, &c, &why), -1);
	CHECK_STR(why, "a parameter value is too long");
}

/* The forms RFC 6750 §3 and RFC 9728 §5.1 use, among other challenges. */
TEST(challenge_params)
{
	struct doctor_challenge c;
	const char *why = NULL;

	CHECK_INT(doctor_challenge_parse("Bearer realm=\"mcp\", scope=\"todo:read todo:write\", "
	                                 "resource_metadata=\"https://mcp.example/.well-known/"
	                                 "oauth-protected-resource/mcp\"",
	                                 &c, &why),
	          0);
	CHECK_STR(c.realm, "mcp");
	CHECK_STR(c.scope, "todo:read todo:write");
	CHECK_STR(c.resource_metadata,
	          "https://mcp.example/.well-known/oauth-protected-resource/mcp");
	CHECK_STR(c.error, "");
	/* Scheme and parameter names without case, tokens unquoted, odd spacing. */
	CHECK_INT(doctor_challenge_parse("bearer  ERROR = invalid_token ,error_description=\"a "
	                                 "\\\"quoted\\\" text\"",
	                                 &c, &why),
	          0);
	CHECK_STR(c.error, "invalid_token");
	CHECK_STR(c.error_description, "a \"quoted\" text");
	/* Bearer after other challenges, one with a token68, one with parameters. */
	CHECK_INT(doctor_challenge_parse("Negotiate abc==, Basic realm=\"x\", charset=\"UTF-8\", "
	                                 "Bearer error=\"invalid_token\"",
	                                 &c, &why),
	          0);
	CHECK_STR(c.error, "invalid_token");
	CHECK_STR(c.realm, "");
	/* A bare scheme is a challenge without parameters. */
	CHECK_INT(doctor_challenge_parse("Bearer", &c, &why), 0);
	CHECK_STR(c.resource_metadata, "");
	/* Parameters of another scheme after Bearer's are not Bearer's. */
	CHECK_INT(doctor_challenge_parse("Bearer realm=\"a\", Basic realm=\"b\"", &c, &why), 0);
	CHECK_STR(c.realm, "a");
}

TEST(url_compare)
{
	static const struct {
		const char *want, *got;
		enum doctor_url_diff diff;
	} cases[] = {
	    {"https://mcp.example/mcp", "https://mcp.example/mcp", DOCTOR_URL_SAME},
	    {"https://mcp.example/mcp", "http://mcp.example/mcp", DOCTOR_URL_SCHEME},
	    {"https://mcp.example/mcp", "https://www.mcp.example/mcp", DOCTOR_URL_HOST},
	    {"https://mcp.example/mcp", "https://mcp.example:8443/mcp", DOCTOR_URL_PORT},
	    {"https://mcp.example/mcp", "https://mcp.example/mcp/", DOCTOR_URL_SLASH},
	    {"https://mcp.example/mcp/", "https://mcp.example/mcp", DOCTOR_URL_SLASH},
	    {"https://mcp.example", "https://mcp.example/", DOCTOR_URL_SLASH},
	    {"https://mcp.example/mcp", "https://mcp.example/MCP", DOCTOR_URL_PATH},
	    {"https://mcp.example/mcp", "https://mcp.example/mcp?x=1", DOCTOR_URL_QUERY},
	    {"https://mcp.example/mcp", "HTTPS://MCP.example/mcp", DOCTOR_URL_SPELLING},
	    {"https://mcp.example/mcp", "https://mcp.example:443/mcp", DOCTOR_URL_SPELLING},
	    {"http://127.0.0.1:3002/mcp", "http://127.0.0.1:3003/mcp", DOCTOR_URL_PORT},
	    {"http://[::1]:3002/mcp", "http://[::1]:3002/mcp/", DOCTOR_URL_SLASH},
	    {"http://[::1]:3002/mcp", "http://[::1]/mcp", DOCTOR_URL_PORT},
	    {"https://mcp.example/mcp", NULL, DOCTOR_URL_INVALID},
	    {"https://mcp.example/mcp", "mcp.example/mcp", DOCTOR_URL_INVALID},
	    {"https://mcp.example/mcp", "ftp://mcp.example/mcp", DOCTOR_URL_INVALID},
	    {"https://mcp.example/mcp", "https:///mcp", DOCTOR_URL_INVALID},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum doctor_url_diff got = doctor_url_compare(cases[i].want, cases[i].got);
		if (got != cases[i].diff)
			fprintf(stderr, "  case %zu: %s vs %s\n", i, cases[i].want,
			        cases[i].got ? cases[i].got : "(null)");
		CHECK_INT(got, cases[i].diff);
	}
	CHECK_STR(doctor_url_diff_text(DOCTOR_URL_SLASH), "the path differs by a trailing slash");
	CHECK_STR(doctor_url_diff_text(DOCTOR_URL__MAX), "?");
}

/* RFC 8414 §3.1 inserts the well-known suffix; OpenID Discovery appends it. */
TEST(as_metadata_urls)
{
	char urls[DOCTOR_AS_URLS_MAX][DOCTOR_URL_MAX];
	char long_issuer[URL_MAX + 32];

	CHECK_INT(doctor_as_metadata_urls("https://as.example", urls), 2);
	CHECK_STR(urls[0], "https://as.example/.well-known/oauth-authorization-server");
	CHECK_STR(urls[1], "https://as.example/.well-known/openid-configuration");
	CHECK_INT(doctor_as_metadata_urls("https://as.example/", urls), 2);
	CHECK_STR(urls[0], "https://as.example/.well-known/oauth-authorization-server");
	CHECK_INT(doctor_as_metadata_urls("https://as.example:8443/tenant/1", urls), 3);
	CHECK_STR(urls[0],
	          "https://as.example:8443/.well-known/oauth-authorization-server/tenant/1");
	CHECK_STR(urls[1], "https://as.example:8443/.well-known/openid-configuration/tenant/1");
	CHECK_STR(urls[2], "https://as.example:8443/tenant/1/.well-known/openid-configuration");
	CHECK_INT(doctor_as_metadata_urls("https://as.example/t/", urls), 3);
	CHECK_STR(urls[2], "https://as.example/t/.well-known/openid-configuration");
	CHECK_INT(doctor_as_metadata_urls("https://as.example/?q=1", urls), 0);
	CHECK_INT(doctor_as_metadata_urls("https://as.example/#f", urls), 0);
	CHECK_INT(doctor_as_metadata_urls("as.example", urls), 0);
	CHECK_INT(doctor_as_metadata_urls(NULL, urls), 0);
	memset(long_issuer, 'a', sizeof(long_issuer) - 1);
	long_issuer[sizeof(long_issuer) - 1] = '\0';
	memcpy(long_issuer, "https://a/", 10);
	CHECK_INT(doctor_as_metadata_urls(long_issuer, urls), 0);
}

/* What reaches the terminal: no control character, no broken UTF-8, bounded. */
TEST(escape)
{
	char out[64];

	doctor_escape(out, sizeof(out), "plain text, ünïcode");
	CHECK_STR(out, "plain text, ünïcode");
	doctor_escape(out, sizeof(out), "a\x1b[31mred\r\nb\x7f");
	CHECK_STR(out, "a\\x1b[31mred\\x0d\\x0ab\\x7f");
	doctor_escape(out, sizeof(out), "bad \xc3( \xff");
	CHECK_STR(out, "bad \\xc3( \\xff");
	doctor_escape(out, sizeof(out), NULL);
	CHECK_STR(out, "");
	doctor_escape(out, 8, "0123456789");
	CHECK_STR(out, "0123...");
	doctor_escape(out, 8, "\x01\x02\x03");
	CHECK_STR(out, "\\x01...");
	doctor_escape(out, 4, "abcdef");
	CHECK_STR(out, "...");
}

TEST(lists_and_loopback)
{
	CHECK(doctor_list_has("WWW-Authenticate, Mcp-Session-Id", "www-authenticate"));
	CHECK(doctor_list_has("Mcp-Session-Id ,  WWW-Authenticate  ", "WWW-Authenticate"));
	CHECK(doctor_list_has("*", "WWW-Authenticate"));
	CHECK(!doctor_list_has("WWW-Authenticate-Other", "WWW-Authenticate"));
	CHECK(!doctor_list_has("", "WWW-Authenticate"));
	CHECK(!doctor_list_has(NULL, "WWW-Authenticate"));
	CHECK(doctor_url_secure("https://mcp.example/mcp"));
	CHECK(doctor_url_secure("http://127.0.0.1:3002/mcp"));
	CHECK(doctor_url_secure("http://localhost/mcp"));
	CHECK(doctor_url_secure("http://[::1]:8080/mcp"));
	CHECK(!doctor_url_secure("http://mcp.example/mcp"));
	CHECK(!doctor_url_secure("http://localhost.evil.example/mcp"));
	CHECK(!doctor_url_secure("ftp://127.0.0.1/"));
	CHECK(!doctor_url_secure(NULL));
}

/*
 * A report line never shows the token, whatever a server echoes, and never
 * a raw control character; a failure prints its fix; outcomes are counted.
 */
TEST(report_redacts_and_counts)
{
	static const char token[] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
	struct doctor d = {.token = token};
	char out[4096];
	int fds[2], saved;
	ssize_t n;

	CHECK_INT(pipe(fds), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	doctor_report(&d, DOCTOR_FAIL, "token accepted", "fix with \x1b[2J",
	              "server said: %s and %s", token, "ok\nFAIL  forged");
	/* Cutting a long line never leaves a piece of the token. */
	doctor_report(&d, DOCTOR_NOTE, "long", NULL, "%1010s%s", "", token);
	doctor_report(&d, DOCTOR_PASS, "x", NULL, "fine");
	doctor_report(&d, DOCTOR_NOTE, "y", "not printed", "note");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	CHECK(strstr(out, token) == NULL);
	CHECK(strstr(out, "c2lnbmF0dXJl") == NULL);
	CHECK(strstr(out, "eyJhbGci") == NULL);
	CHECK_CONTAINS(out, "FAIL  token accepted: server said: [token] and ok\\x0aFAIL  forged\n");
	CHECK_CONTAINS(out, "      fix: fix with \\x1b[2J\n");
	CHECK_CONTAINS(out, "PASS  x: fine\n");
	CHECK_CONTAINS(out, "NOTE  y: note\n");
	CHECK(strstr(out, "not printed") == NULL);
	CHECK_INT(d.failed, 1);
	CHECK_INT(d.passed, 1);
	CHECK_INT(d.notes, 2);
}

TEST_MAIN(TEST_CASE(challenge_refusals), TEST_CASE(challenge_params), TEST_CASE(url_compare),
          TEST_CASE(as_metadata_urls), TEST_CASE(escape), TEST_CASE(lists_and_loopback),
          TEST_CASE(report_redacts_and_counts))
