#!/usr/bin/env bash
# tests/layout.sh - the architecture, checked: which folder may include
# which, internal headers kept internal, no two modules including each
# other, each third-party library behind its one module, and the size
# limits of STYLE.md.  Run by `make lint` and by tests/run.sh (group
# "layout").  The last line is exactly "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1

PASSED=0
FAILED=0

# check NAME OUTPUT: a check passes when its offending lines are none.
check() {
	local name=$1 out=$2
	if [ -z "$out" ]; then
		PASSED=$((PASSED + 1))
		printf 'ok   %s\n' "$name"
	else
		FAILED=$((FAILED + 1))
		printf 'FAIL %s\n' "$name"
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
}

# includes: "file included-path" for every project include under src/.
includes() {
	grep -rHo '^#include "[^"]*"' src --include='*.[ch]' |
		sed 's/:#include "\(.*\)"$/ \1/'
}

# The folders of src/lib each may use, lowest first (README.md, Layout).
declare -A ALLOWED=(
	[core]="core"
	[http]="core http"
	[jose]="core jose"
	[keycache]="core jose keycache"
	[config]="core jose config"
	[ratelimit]="core ratelimit"
	[auth]="core jose keycache config auth"
)

# 1. Lower layers never include upper ones; the library never includes a program.
out=$(includes | while read -r file inc; do
	case $file in
	src/lib/*)
		from=${file#src/lib/}
		from=${from%%/*}
		case $inc in
		lib/*)
			to=${inc#lib/}
			to=${to%%/*}
			[[ " ${ALLOWED[$from]:-} " == *" $to "* ]] || echo "$file includes $inc ($from may use: ${ALLOWED[$from]:-nothing})"
			;;
		*) echo "$file includes $inc: the library includes no program" ;;
		esac
		;;
	src/mcp/* | src/wellknown/* | src/cli/*)
		prog=${file#src/}
		prog=${prog%%/*}
		case $prog:$inc in
		*:lib/* | "$prog:$prog"/*) ;;
		# The metadata program advertises the tools' scopes: the catalogue, nothing else.
		wellknown:mcp/catalog.h) ;;
		*) echo "$file includes $inc: a program includes the library and its own files only" ;;
		esac
		;;
	esac
done)
check "dependencies point down: programs -> auth -> config, keycache -> jose -> core; http, ratelimit -> core" "$out"

# 2. An internal header is included from its own folder only (and by the unit tests).
out=$(includes | while read -r file inc; do
	case $inc in
	*/internal/*)
		owner=src/${inc%%/internal/*}
		[ "$(dirname "$file")" = "$owner" ] || [ "$(dirname "$(dirname "$file")")" = "$owner" ] ||
			echo "$file includes $inc, internal to $owner"
		;;
	esac
done)
check "internal headers stay inside their folder" "$out"

# 3. No two modules include each other's headers.  A file named <module>_<part>
#    next to <module>.h is a part of that module (STYLE.md: a module split in
#    two keeps one public header), so its include of <module>.h is no edge.
out=$(includes | awk '{
	from = $1; sub(/^src\//, "", from); sub(/\.[ch]$/, "", from); sub(/\/internal\//, "/", from)
	to = $2; sub(/\.h$/, "", to); sub(/\/internal\//, "/", to)
	fdir = from; sub(/\/[^\/]*$/, "", fdir); tdir = to; sub(/\/[^\/]*$/, "", tdir)
	fbase = from; sub(/^.*\//, "", fbase); tbase = to; sub(/^.*\//, "", tbase)
	if (fdir == tdir && index(fbase, tbase "_") == 1) next
	if (from != to) { edge[from " " to] = 1 }
} END {
	for (e in edge) { split(e, p, " "); if ((p[2] " " p[1]) in edge && p[1] < p[2]) print p[1] " <-> " p[2] }
}')
check "no two modules include each other" "$out"

# 4. Each third-party library behind the module that owns it.
lib_owner() { # lib_owner HEADER-REGEX ALLOWED-FILES-REGEX
	grep -rlE "^#include <($1)" src --include='*.[ch]' | grep -vE "^($2)$"
}
out=$(
	lib_owner 'fcgiapp|fcgi_stdio' 'src/lib/http/request\.c'
	lib_owner 'curl/' 'src/lib/keycache/fetch\.c'
	lib_owner 'sqlite3' 'src/mcp/todo_store(_schema|_sqlite|_lite)?\.[ch]'
	lib_owner 'libpq-fe' 'src/mcp/todo_store_(libpq|pg|pg_schema)\.[ch]'
	lib_owner 'jwt\.h' ''
	lib_owner 'openssl/' 'src/lib/jose/.*|src/cli/dev.*'
)
check "libfcgi, libcurl, SQLite, libpq, libcrypto each behind their module; libjwt in no program" "$out"

# 5. Sizes (STYLE.md): files at most 600 lines, functions at most 60.
out=$(find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 600 { print $2 ": " $1 " lines" }')
if command -v ctags >/dev/null 2>&1; then
	out+=$(ctags --output-format=json --fields=+ne --languages=C --kinds-C=f -R src 2>/dev/null |
		sed -n 's/.*"name": "\([^"]*\)", "path": "\([^"]*\)".*"line": \([0-9]*\).*"end": \([0-9]*\).*/\4 \3 \2 \1/p' |
		awk '$1 - $2 + 1 > 60 { printf "%s:%s %s: %d lines\n", $3, $2, $4, $1 - $2 + 1 }')
fi
check "files within 600 lines, functions within 60" "$out"

# 6. Each folder of the library says what it is for and what it may use.
out=$(for d in src/lib/*/; do
	[ -f "$d/README.md" ] || echo "$d has no README.md"
done)
check "every library folder opens with a README.md" "$out"

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
