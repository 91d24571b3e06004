#!/bin/sh
# tests/jose/run.sh - interoperability with an independent JOSE
# implementation: tokens minted by the npm "jose" package (mint.mjs) must
# verify, or be refused for the right reason, by our verifier (verify.c
# linked with src/lib).
#
# Installs the pinned node dependencies with `npm ci` when node_modules is
# missing, builds verify.c into $BUILD/tests (or a temporary directory),
# mints into a temporary directory and verifies.  MCP_SANITIZE=1 builds with
# ASan and UBSan.  The last line is exactly "N passed, N failed"; the exit
# status is non-zero on any failure.
set -u

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/../.." && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Any failure before the verifier runs still ends with the summary line.
fail() {
	echo "jose: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed"
if [ ! -d "$here/node_modules/jose" ]; then
	command -v npm >/dev/null 2>&1 || fail "npm is not installed"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
		fail "npm ci failed in $here"
fi

bindir=$tmp
if [ -n "${BUILD:-}" ]; then
	case $BUILD in
	/*) bindir=$BUILD/tests ;;
	*) bindir=$root/$BUILD/tests ;;
	esac
	mkdir -p "$bindir" || fail "cannot create $bindir"
fi
bin=$bindir/jose-verify

cflags="-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes"
cflags="$cflags -Wmissing-prototypes -Wformat=2 -O1 -g"
if [ "${MCP_SANITIZE:-0}" = 1 ]; then
	cflags="$cflags -fsanitize=address,undefined -fno-omit-frame-pointer"
	cflags="$cflags -fno-sanitize-recover=all"
fi
pkgs="libcjson libcrypto"
# shellcheck disable=SC2086,SC2046 # word splitting of the flag lists is intended
# The verifier links the library `make` built (the sanitizer build's under MCP_SANITIZE).
lib=${BUILD:-build}
case $lib in /*) ;; *) lib=$root/$lib ;; esac
lib=$lib/libmcpauth.a
[ -f "$lib" ] || fail "$lib is missing: run make first"
${CC:-cc} $cflags -I"$root/src" $(pkg-config --cflags $pkgs) -o "$bin" \
	"$here/verify.c" "$lib" $(pkg-config --libs $pkgs) >&2 || fail "cannot build $bin"

node "$here/mint.mjs" "$tmp" >&2 || fail "mint.mjs failed"
"$bin" "$tmp/jwks.json" "$tmp/tokens.txt"
exit $?
