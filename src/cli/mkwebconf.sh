#!/usr/bin/env bash
# mkwebconf.sh - write an Apache or nginx configuration for mcp-fcgi from
# apache.conf.example or nginx.conf.example, with the operator settings
# given here; every other line stays as it is.  The tests start Apache and
# nginx from files made this way, so they run what an operator runs.
#
# usage: mkwebconf.sh TEMPLATE [-s NAME=VALUE]... [--dev-issuer DIR] [-o FILE]
#   -s NAME=VALUE      one operator setting:
#                        Apache: the line "Define NAME ..." (or a commented
#                        "#Define NAME ...") becomes "Define NAME VALUE";
#                        nginx:  the line "#@ NAME ..." of the settings block
#                        becomes "#@ NAME VALUE"
#   --dev-issuer DIR   serve the development issuer in DIR (made by
#                      mcp-fcgi-cli dev-issuer): sets MCP_DEV_ISSUER_DIR and,
#                      in the nginx template, enables the "#dev-issuer# " lines
#   -o FILE            write there instead of stdout
#
# nginx has no variables at configuration level: each @NAME@ in the nginx
# template is replaced with the value of its "#@ NAME value" line (values
# may name other settings, @MCP_HOME@/www).  Apache reads its Define lines
# itself.  A NAME the template does not have is an error.
set -u

prog=${0##*/}
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

[ $# -ge 1 ] || die "usage: $prog TEMPLATE [-s NAME=VALUE]... [--dev-issuer DIR] [-o FILE]"
case $1 in -h | --help)
	sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
esac
template=$1
shift
out=-
dev=""
sets=()
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$1 needs a value"
	case $1 in
	-s) sets+=("$2") ;;
	--dev-issuer) dev=$2 ;;
	-o) out=$2 ;;
	*) die "unknown option: $1 (try --help)" ;;
	esac
	shift 2
done
[ -r "$template" ] || die "cannot read template $template"
if [ -n "$dev" ]; then
	case $dev in /*) ;; *) dev=$(pwd)/$dev ;; esac
	sets+=("MCP_DEV_ISSUER_DIR=$dev")
fi
subs=""
for s in "${sets[@]}"; do
	[[ $s =~ ^[A-Z_][A-Z0-9_]*=. ]] || die "-s wants NAME=VALUE with a value, got: $s"
	case $s in
	*$'\n'* | *'"'* | *'\'* | *' '* | *$'\t'*)
		die "a setting must not contain spaces, quotes, backslashes or newlines: $s"
		;;
	esac
	subs+="$s"$'\n'
done

result=$(awk -v subs="$subs" -v dev="$([ -n "$dev" ] && echo 1)" '
	BEGIN {
		n = split(subs, rows, "\n")
		for (i = 1; i <= n; i++) {
			if (rows[i] == "") continue
			e = index(rows[i], "=")
			val[substr(rows[i], 1, e - 1)] = substr(rows[i], e + 1)
		}
	}
	{ line[NR] = $0 }
	# nginx: the settings block, "#@ NAME VALUE"; given values win.
	/^#@ [A-Z_][A-Z0-9_]*[ \t]/ {
		name = $2
		have[name] = 1
		if (!(name in val)) {
			v = $0
			sub(/^#@ [A-Z_0-9]+[ \t]+/, "", v)
			val[name] = v
		}
	}
	# Apache: Define NAME VALUE, or a commented #Define NAME VALUE.
	/^#?Define [A-Z_][A-Z0-9_]*([ \t]|$)/ { have[$2] = 1 }
	END {
		for (k in val) if (!(k in have)) { print "missing setting " k > "/dev/stderr"; exit 3 }
		for (i = 1; i <= NR; i++) {
			l = line[i]
			if (dev && l ~ /^[ \t]*#dev-issuer# /) sub(/#dev-issuer# /, "", l)
			split(l, f, /[ \t]+/)
			if (l ~ /^#?Define [A-Z_][A-Z0-9_]*([ \t]|$)/ && (f[2] in val)) {
				l = "Define " f[2] " " val[f[2]]
			} else if (l ~ /^#@ [A-Z_][A-Z0-9_]*[ \t]/) {
				l = "#@ " f[2] " " val[f[2]]
			} else {
				# @NAME@ placeholders (nginx), values naming others resolved.
				for (pass = 0; pass < 8 && match(l, /@[A-Z_][A-Z0-9_]*@/); pass++) {
					for (k in val) {
						if (!(k in have)) continue
						gsub("@" k "@", val[k], l)
					}
				}
				if (match(l, /@[A-Z_][A-Z0-9_]*@/)) {
					print "line " i ": unknown placeholder " substr(l, RSTART, RLENGTH) > "/dev/stderr"
					exit 3
				}
			}
			print l
		}
	}
' "$template") || die "template $template: see above"

if [ "$out" = - ]; then
	printf '%s\n' "$result"
else
	printf '%s\n' "$result" >"$out" || die "cannot write $out"
fi
