#!/usr/bin/env bash
# tests/run.sh [group...] - runs the test programs and adds up their counts.
#
# Groups, in this order when none is named:
#   layout tests/layout.sh              (the architecture: include directions, sizes)
#   unit   every $BUILD/tests/test_* program (the C unit tests)
#   cgi    tests/cgi/test_cgi.sh    (the program as plain CGI, and via mod_cgi)
#          tests/cgi/test_ratelimit.sh (the rate limits across CGI processes)
#   bundle tests/cgi/test_bundle.sh (the shared-hosting bundle in a bare chroot)
#   e2e    tests/e2e/test_*.sh      (lighttpd + FastCGI, driven with curl)
#   faults tests/e2e/faults_*.sh    (the fault matrix, lighttpd only: the
#          issuer failing, the key cache and state directory damaged,
#          read-only or full, workers killed mid-request, clients breaking
#          off mid-body, each while clients keep calling; README "Faults")
#   postgres tests/pg/test_*.sh     (MCP_DATABASE_URL: a real PostgreSQL 15
#          server started by tests/pg/pgserver.sh and two lighttpd
#          "machines" on it: todos across machines, 16 x 200 creates, 503
#          with Retry-After while it is down or restarting, one migration;
#          test_pg_ratelimit.sh: the rate limits counted in the database,
#          exact over both machines; the C unit tests of the backends,
#          build/tests/test_todo_store_pg and test_limits_pg, start their
#          own server and run in the group unit)
#   jose   tests/jose/run.sh        (tokens minted by npm jose)
#   sdk    tests/sdk/run.sh         (the official MCP TypeScript SDK client)
#   oidc   tests/oidc/run.sh        (a real authorization server, oidc-provider,
#          and the SDK's own OAuth flows against it: client credentials,
#          authorization code + PKCE + registration, step-up)
#   clients tests/clients/run.sh    (mcp-remote, the MCP Inspector's CLI and
#          the official conformance suite, with bearer tokens)
#   apache-cgi, apache-fcgid, nginx
#          test_transport.sh, test_oauth.sh and test_web.sh under that
#          server (WEB=..., see tests/e2e/lib.sh): Apache + mod_cgi with the
#          shared-hosting bundle's .htaccess, Apache + mod_fcgid from
#          apache.conf.example, nginx + spawn-fcgi from nginx.conf.example
#   soak   tests/e2e/soak.sh        (30 s of mixed traffic on two workers with
#          key rotations: statuses, memory, descriptors, the database;
#          make soak runs it for 10 minutes)
#   fuzz   tests/fuzz/test_fuzz.sh  (each libFuzzer harness a few seconds from
#          its committed corpus, and every regression input replayed; the
#          harnesses are build-fuzz/fuzz/*, ASan+UBSan in every build)
#
# Not in the default list: web-full, the e2e suites and the SDK client
# under each of the three servers (test_todos.sh and the SDK's run add
# minutes; test_concurrency.sh kills lighttpd's workers and watches it
# respawn them, so it runs under lighttpd only).
#
# Every program prints its own lines and ends with "N passed, N failed"; its
# last line is taken as its count.  A program that prints no such line, or
# that exits non-zero while claiming no failure, counts as one failure.  The
# last line here is the total, exactly "N passed, N failed"; the exit status
# is non-zero when anything failed.
#
# Environment: BUILD (default build), BIN (default cgi-bin), MCP_VALGRIND=1
# runs the unit tests under valgrind (test_cgi.sh does the same for its CGI
# runs), MCP_SANITIZE=1 for the ASan build (longer time limits).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export BUILD=${BUILD:-build}
export BIN=${BIN:-cgi-bin}

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()
OUT=$(mktemp "${TMPDIR:-/tmp}/mcp-run.XXXXXX") || exit 1
trap 'rm -f "$OUT"' EXIT
trap 'exit 130' INT TERM HUP

# Time limits (seconds) per program; slower builds get more.
scale=1
[ "${MCP_SANITIZE:-0}" = 1 ] && scale=3
[ "${MCP_VALGRIND:-0}" = 1 ] && scale=10

# run NAME LIMIT COMMAND...: runs one test program, shows its output and
# adds its count.
run() {
	local name=$1 limit=$(($2 * scale)) rc last passed failed
	shift 2
	printf '\n=== %s\n' "$name"
	timeout -k 10 "$limit" "$@" </dev/null | tee "$OUT"
	rc=${PIPESTATUS[0]}
	last=$(tail -n 1 "$OUT")
	if [[ $last =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		passed=${BASH_REMATCH[1]}
		failed=${BASH_REMATCH[2]}
		if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
			echo "$name: exit status $rc although it reports no failure"
			failed=1
		fi
	else
		case $rc in
		124 | 137) echo "$name: killed after $limit s" ;;
		*) echo "$name: exit status $rc and no \"N passed, N failed\" line" ;;
		esac
		passed=0
		failed=1
	fi
	TOTAL_PASSED=$((TOTAL_PASSED + passed))
	TOTAL_FAILED=$((TOTAL_FAILED + failed))
	SUMMARY+=("$(printf '%-28s %5s passed, %s failed' "$name" "$passed" "$failed")")
}

group_unit() {
	local t found=0 wrap=()
	if [ "${MCP_VALGRIND:-0}" = 1 ]; then
		wrap=(valgrind -q --error-exitcode=99 --leak-check=full
			--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)
	fi
	for t in "$BUILD"/tests/test_*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		found=1
		run "unit/${t##*/}" 120 "${wrap[@]}" "$t"
	done
	if [ $found = 0 ]; then
		run "unit" 10 sh -c "echo 'no unit test programs in $BUILD/tests (make tests-build)'; echo '0 passed, 1 failed'; exit 1"
	fi
}

group_layout() {
	run layout.sh 60 bash tests/layout.sh
}

group_cgi() {
	run cgi/test_cgi.sh 300 bash tests/cgi/test_cgi.sh
	run cgi/test_ratelimit.sh 120 bash tests/cgi/test_ratelimit.sh
}

group_bundle() {
	run cgi/test_bundle.sh 300 bash tests/cgi/test_bundle.sh
}

group_e2e() {
	local t
	for t in tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		run "e2e/${t##*/}" 300 bash "$t"
	done
}

group_faults() {
	local t
	for t in tests/e2e/faults_*.sh; do
		[ -f "$t" ] || continue
		run "faults/${t##*/}" 180 bash "$t"
	done
}

group_postgres() {
	local t
	for t in tests/pg/test_*.sh; do
		[ -f "$t" ] || continue
		run "pg/${t##*/}" 300 bash "$t"
	done
}

group_jose() {
	run jose/run.sh 300 bash tests/jose/run.sh
}

group_sdk() {
	run sdk/run.sh 300 bash tests/sdk/run.sh
}

group_oidc() {
	run oidc/run.sh 400 bash tests/oidc/run.sh
}

# The first run installs the pinned clients (npm ci, some 300 MB).
group_clients() {
	run clients/run.sh 600 bash tests/clients/run.sh
}

# web_suites WEB SCRIPT...: runs each script with WEB set.
web_suites() {
	local web=$1 t
	shift
	for t in "$@"; do
		run "$web/${t##*/}" 300 env WEB="$web" bash "$t"
	done
}

group_apache-cgi() {
	web_suites apache-cgi tests/e2e/test_transport.sh tests/e2e/test_oauth.sh tests/e2e/test_web.sh
}

group_apache-fcgid() {
	web_suites apache-fcgid tests/e2e/test_transport.sh tests/e2e/test_oauth.sh tests/e2e/test_web.sh
}

group_nginx() {
	web_suites nginx tests/e2e/test_transport.sh tests/e2e/test_oauth.sh tests/e2e/test_web.sh
}

group_web-full() {
	local w
	for w in apache-cgi apache-fcgid nginx; do
		web_suites "$w" tests/e2e/test_transport.sh tests/e2e/test_oauth.sh \
			tests/e2e/test_todos.sh tests/e2e/test_web.sh tests/sdk/run.sh
	done
}

group_soak() {
	run e2e/soak.sh 600 bash tests/e2e/soak.sh
}

group_fuzz() {
	run fuzz/test_fuzz.sh 300 bash tests/fuzz/test_fuzz.sh
}

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(layout unit cgi bundle e2e faults postgres jose sdk oidc clients apache-cgi apache-fcgid nginx soak fuzz)
for g in "${groups[@]}"; do
	case $g in
	layout | unit | cgi | bundle | e2e | faults | postgres | jose | sdk | oidc | clients | apache-cgi | apache-fcgid | nginx | web-full | soak | fuzz) "group_$g" ;;
	*)
		echo "run.sh: unknown group '$g' (layout unit cgi bundle e2e faults postgres jose sdk oidc clients apache-cgi apache-fcgid nginx web-full soak fuzz)" >&2
		TOTAL_FAILED=$((TOTAL_FAILED + 1))
		;;
	esac
done

printf '\n=== summary\n'
[ ${#SUMMARY[@]} -eq 0 ] || printf '%s\n' "${SUMMARY[@]}"
printf '%s passed, %s failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
[ "$TOTAL_FAILED" -eq 0 ]
