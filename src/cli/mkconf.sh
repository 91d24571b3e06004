#!/usr/bin/env bash
# mkconf.sh - write a lighttpd configuration for mcp-fcgi.
#
# Copies lighttpd.conf.example and replaces the lines of its operator block
# (var.mcp_* = ...) with the values given here; every other line stays as
# it is.  The demo, the tests and the benchmark all start lighttpd from a
# file made this way, so they run the configuration an operator runs.
#
# usage: mkconf.sh [options] [-o FILE]
#   --home DIR            var.mcp_home      (default: this checkout)
#   --bin DIR             var.mcp_bin_dir   (default: HOME/cgi-bin)
#   --www DIR             var.mcp_www_dir   (default: HOME/www)
#   --state DIR           var.mcp_state_dir (sockets, pid file)
#   --log DIR             var.mcp_log_dir   (error.log, access.log)
#   --bind ADDR           var.mcp_bind
#   --port N              var.mcp_port
#   --resource URL        var.mcp_resource  (default: http://BIND:PORT/mcp
#                                            when --port or --bind is given)
#   --max-procs N         var.mcp_max_procs
#   --env NAME=VALUE      program environment, repeatable: a NAME whose
#                         lower-case form has a var.* line (MCP_MAX_BODY ->
#                         var.mcp_max_body, OAUTH_ISSUER -> var.oauth_issuer)
#                         sets that line; any other goes to var.mcp_extra_env
#   --dev-issuer DIR      serve the development issuer in DIR (made by
#                         mcp-fcgi-cli dev-issuer): enables the template's
#                         "#dev-issuer# " lines; OAUTH_ISSUER defaults to
#                         <origin of the resource>/dev-issuer and, for an http
#                         origin, OAUTH_ALLOW_HTTP to 1
#   --template FILE       default: lighttpd.conf.example of this checkout
#   -o FILE               write there instead of stdout
#
# Each option also reads an environment variable when the option is absent:
# MKCONF_HOME, MKCONF_BIN, MKCONF_WWW, MKCONF_STATE, MKCONF_LOG, MKCONF_BIND,
# MKCONF_PORT, MKCONF_RESOURCE, MKCONF_MAX_PROCS, MKCONF_DEV_ISSUER.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prog=${0##*/}

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

home=${MKCONF_HOME:-}
bin=${MKCONF_BIN:-}
www=${MKCONF_WWW:-}
state=${MKCONF_STATE:-}
logdir=${MKCONF_LOG:-}
bind=${MKCONF_BIND:-}
port=${MKCONF_PORT:-}
resource=${MKCONF_RESOURCE:-}
max_procs=${MKCONF_MAX_PROCS:-}
dev_issuer=${MKCONF_DEV_ISSUER:-}
template=$root/lighttpd.conf.example
out=-
declare -A setting=()   # var name (without var.) -> string value
envs=()                 # NAME=VALUE from --env, in order
extra_env=()            # NAME=VALUE for var.mcp_extra_env

while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	--home | --bin | --www | --state | --log | --bind | --port | --resource | \
		--max-procs | --env | --dev-issuer | --template | -o)
		[ $# -ge 2 ] || die "$opt needs a value"
		val=$2
		shift 2
		;;
	*) die "unknown option: $opt (try --help)" ;;
	esac
	case $opt in
	--home) home=$val ;;
	--bin) bin=$val ;;
	--www) www=$val ;;
	--state) state=$val ;;
	--log) logdir=$val ;;
	--bind) bind=$val ;;
	--port) port=$val ;;
	--resource) resource=$val ;;
	--max-procs) max_procs=$val ;;
	--dev-issuer) dev_issuer=$val ;;
	--template) template=$val ;;
	-o) out=$val ;;
	--env)
		case $val in
		[A-Za-z_]*=*) ;;
		*) die "--env wants NAME=VALUE, got: $val" ;;
		esac
		name=${val%%=*}
		value=${val#*=}
		[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "bad variable name: $name"
		envs+=("$name=$value")
		;;
	esac
done

[ -r "$template" ] || die "cannot read template $template"

# Route each --env to its var.* line when the template has one.
for e in "${envs[@]}"; do
	name=${e%%=*}
	value=${e#*=}
	lower=$(printf '%s' "$name" | tr 'A-Z' 'a-z')
	case $lower in
	mcp_home | mcp_bin_dir | mcp_www_dir | mcp_log_dir | mcp_bind | mcp_port | \
		mcp_max_procs | mcp_extra_env | mcp_env | mcp_dev_issuer_dir)
		extra_env+=("$e")
		;;
	mcp_resource) resource=$value ;;
	mcp_state_dir) state=$value ;;
	*)
		if grep -q "^var\.$lower[ 	]*=" "$template"; then
			setting[$lower]=$value
		else
			extra_env+=("$e")
		fi
		;;
	esac
done

# Each check_* dies in this shell (not in a $(...) subshell) on a bad value.
# Quotes, backslashes and line breaks have no use in paths, URLs or these
# settings, so they are refused rather than escaped.
check_str() {
	case $2 in
	*'"'* | *'\'* | *$'\n'* | *$'\r'*)
		die "$1 must not contain quotes, backslashes or newlines: $2"
		;;
	esac
}
check_int() {
	[[ $2 =~ ^[0-9]{1,9}$ ]] || die "$1 must be a number, got: $2"
}
abs() {
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$(pwd)" "$1" ;;
	esac
}

lit=()   # "varname<TAB>lighttpd literal"
set_str() {
	check_str "$1" "$2"
	lit+=("$1"$'\t'"\"$2\"")
}
set_int() {
	check_int "$1" "$2"
	lit+=("$1"$'\t'"$2")
}

[ -n "$home" ] || home=$root
set_str mcp_home "$(abs "$home")"
[ -z "$bin" ] || set_str mcp_bin_dir "$(abs "$bin")"
[ -z "$www" ] || set_str mcp_www_dir "$(abs "$www")"
[ -z "$state" ] || set_str mcp_state_dir "$(abs "$state")"
[ -z "$logdir" ] || set_str mcp_log_dir "$(abs "$logdir")"
[ -z "$bind" ] || set_str mcp_bind "$bind"
[ -z "$port" ] || set_int mcp_port "$port"
if [ -z "$resource" ] && { [ -n "$port" ] || [ -n "$bind" ]; }; then
	rhost=${bind:-127.0.0.1}
	case $rhost in 0.0.0.0) rhost=127.0.0.1 ;; *:*) rhost="[$rhost]" ;; esac
	resource="http://$rhost:${port:-3002}/mcp"
fi
[ -z "$resource" ] || set_str mcp_resource "$resource"
if [ -n "$dev_issuer" ]; then
	set_str mcp_dev_issuer_dir "$(abs "$dev_issuer")"
	if [ -z "${setting[oauth_issuer]:-}" ]; then
		res=${resource:-$(sed -n 's/^var\.mcp_resource[ 	]*=[ 	]*"\(.*\)"$/\1/p' "$template")}
		[[ $res =~ ^(https?)://([^/]+) ]] || die "cannot derive the dev issuer URL from $res"
		setting[oauth_issuer]=${BASH_REMATCH[0]}/dev-issuer
		if [ "${BASH_REMATCH[1]}" = http ] && [ -z "${setting[oauth_allow_http]:-}" ]; then
			setting[oauth_allow_http]=1
		fi
	fi
fi
[ -z "$max_procs" ] || set_int mcp_max_procs "$max_procs"
for k in "${!setting[@]}"; do
	set_str "$k" "${setting[$k]}"
done
if [ ${#extra_env[@]} -gt 0 ]; then
	arr="("
	sep=" "
	for e in "${extra_env[@]}"; do
		check_str --env "$e"
		arr+="$sep\"${e%%=*}\" => \"${e#*=}\""
		sep=", "
	done
	lit+=("mcp_extra_env"$'\t'"$arr )")
fi

# Replace each "var.NAME = ..." line of the template; a name the template
# does not have is an error (the template and this script drifted apart).
result=$(awk -v dev="$([ -n "$dev_issuer" ] && echo 1)" -v subs="$(printf '%s\n' "${lit[@]}")" '
	BEGIN {
		n = split(subs, rows, "\n")
		for (i = 1; i <= n; i++) {
			if (rows[i] == "") continue
			t = index(rows[i], "\t")
			val[substr(rows[i], 1, t - 1)] = substr(rows[i], t + 1)
		}
	}
	dev && sub(/^#dev-issuer# /, "") { }
	match($0, /^var\.[a-z_]+[ \t]*=/) {
		name = substr($0, 5, RLENGTH - 4)
		sub(/[ \t]*=$/, "", name)
		if (name in val) {
			print "var." name " = " val[name]
			done[name] = 1
			next
		}
	}
	{ print }
	END {
		for (k in val) if (!(k in done)) { print "missing var." k > "/dev/stderr"; exit 3 }
	}
' "$template") || die "template $template lacks a setting (see above)"

if [ "$out" = - ]; then
	printf '%s\n' "$result"
else
	printf '%s\n' "$result" >"$out" || die "cannot write $out"
fi
