# shellcheck shell=bash
# tests/e2e/web.sh - the servers other than lighttpd for lib.sh's
# server_start (sourced by lib.sh when WEB is not lighttpd).
#
#   apache-cgi    Apache 2.4 + mod_cgi configured as a typical shared host
#                 (prefork, AllowOverride All, only the usual modules); the
#                 bundle - mcp.cgi, wellknown.cgi, index.html, README.txt
#                 and src/shared-hosting/htaccess as .htaccess, whose
#                 SetEnv MCP_CONFIG_FILE line names $SRV_DIR/mcp.env - is
#                 its document root.  The host's configuration is written
#                 here: it is the host's, not ours.
#   apache-fcgid  apache.conf.example, written by mkwebconf.sh.
#   nginx         nginx.conf.example, written by mkwebconf.sh, and the two
#                 programs started by spawn-fcgi as its comments show.
#
# Every server listens on 127.0.0.1 and a free port, runs in the foreground
# and is stopped by its pid (server_stop).  Run as root, Apache and nginx
# hand requests to processes of WEB_USER, which must read $TMP and write
# the state directory and the programs' log.
#
# SRV_DOCROOT (a directory) replaces the document root (www/, or the
# bundle's folder under apache-cgi), and SRV_CONFIG_FILE the path of the
# programs' configuration file ($SRV_DIR/mcp.env), for the next
# server_start.

WEB_USER=${WEB_USER:-www-data}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}

# web_server_start [--env NAME=VALUE]... [--max-procs N]: like lighttpd's
# server_start; the --env settings (with @PORT@ and @DIR@ replaced) go into
# the programs' configuration file after the defaults: MCP_RESOURCE
# (BASE/mcp), MCP_STATE_DIR, MCP_LOG_FILE and, with the development issuer,
# OAUTH_ISSUER and OAUTH_ALLOW_HTTP.  An empty value counts as unset.
web_server_start() {
	local try i max_procs=2 envs=() ok
	server_stop
	if [ -n "${SRV_APPEND:-}" ]; then
		echo "server_start: SRV_APPEND is lighttpd's configuration (WEB=$WEB)" >&2
		return 1
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		--env) envs+=("$2") ;;
		--max-procs) max_procs=$2 ;;
		*)
			echo "server_start: option $1 is lighttpd's (WEB=$WEB)" >&2
			return 1
			;;
		esac
		shift 2
	done
	SRV_N=$((SRV_N + 1))
	SRV_DIR=$TMP/srv$SRV_N
	SRV_EXIT=""
	SRV_ENV_FILE=${SRV_CONFIG_FILE:-$SRV_DIR/mcp.env}
	SRV_WWW=${SRV_DOCROOT:-}
	if [ -z "$SRV_WWW" ]; then
		SRV_WWW=$ROOT/www
		[ "$WEB" != apache-cgi ] || SRV_WWW=$SRV_DIR/www
	fi
	mkdir -p "$SRV_DIR/state" "$SRV_DIR/log" "$SRV_DIR/run" || return 1
	# The server's user reaches the configuration, the issuer's public files
	# and the bundle; the state directory is its own, private.
	chmod 711 "$TMP"
	chmod 755 "$SRV_DIR" "$SRV_DIR/log" "$SRV_DIR/run"
	chmod 700 "$SRV_DIR/state"
	ERRLOG=$SRV_DIR/log/mcp.log
	ACCESS_LOG=$SRV_DIR/log/access.log
	SRV_LOGS=("$SRV_DIR/log/error.log")
	[ "$WEB" = nginx ] && SRV_LOGS+=("$SRV_DIR/log/programs.log")
	: >"$ERRLOG"
	if [ "$(id -u)" = 0 ]; then
		chown "$WEB_USER" "$SRV_DIR/state" "$ERRLOG" || return 1
	fi
	for try in 1 2 3; do
		PORT=$(free_port) || { echo "no free port" >&2; return 1; }
		BASE=http://127.0.0.1:$PORT
		ISSUER=""
		TOKEN=""
		if [ "$SRV_DEV_ISSUER" = 1 ]; then
			dev_issuer_make || return 1
			# Public: the JWKS and the metadata; the key stays 0600.
			chmod 755 "$ISSUER_DIR" && find "$ISSUER_DIR" -type d -exec chmod 755 {} + &&
				chmod 644 "$ISSUER_DIR/jwks.json" \
					"$ISSUER_DIR/.well-known/oauth-authorization-server/dev-issuer" || return 1
		fi
		web_env_file "${envs[@]}" || return 1
		: >"$SRV_DIR/log/error.log"
		case $WEB in
		apache-cgi) web_start_apache_cgi ;;
		apache-fcgid) web_start_apache_fcgid "$max_procs" ;;
		nginx) web_start_nginx "$max_procs" ;;
		esac
		ok=$?
		if [ $ok = 0 ]; then
			server_wait "$WEB"
			case $? in 0) return 0 ;; 1) return 1 ;; esac
		fi
		server_stop
		grep -qs "Address already in use" "${SRV_LOGS[@]}" "$SRV_DIR"/log/*.out || break
	done
	echo "$WEB did not start (exit status ${SRV_EXIT:-?}); its logs:" >&2
	tail -n 30 "${SRV_LOGS[@]}" "$SRV_DIR"/log/*.out 2>/dev/null >&2
	return 1
}

# web_env_file [NAME=VALUE...]: writes the programs' configuration file,
# $SRV_DIR/mcp.env, readable by the server's user only, and sets RESOURCE.
web_env_file() {
	local -A val=()
	local order=() e name v
	web_env_set() {
		[ -n "${val[$1]+x}" ] || order+=("$1")
		val[$1]=$2
	}
	web_env_set MCP_RESOURCE "$BASE/mcp"
	web_env_set MCP_STATE_DIR "$SRV_DIR/state"
	web_env_set MCP_LOG_FILE "$ERRLOG"
	if [ -n "$ISSUER" ]; then
		web_env_set OAUTH_ISSUER "$ISSUER"
		web_env_set OAUTH_ALLOW_HTTP 1
	fi
	for e in "$@"; do
		e=${e//@PORT@/$PORT}
		e=${e//@DIR@/$SRV_DIR}
		web_env_set "${e%%=*}" "${e#*=}"
	done
	{
		echo "# written by tests/e2e/web.sh for WEB=$WEB"
		for name in "${order[@]}"; do
			v=${val[$name]}
			case $v in *'"'*) printf '%s=%s\n' "$name" "$v" ;; *) printf '%s="%s"\n' "$name" "$v" ;; esac
		done
	} >"$SRV_ENV_FILE" || return 1
	# Scalekit's MCP_URL stands for an empty MCP_RESOURCE.
	RESOURCE=${val[MCP_RESOURCE]:-${val[MCP_URL]:-}}
	chmod 640 "$SRV_ENV_FILE"
	[ "$(id -u)" != 0 ] || chgrp "$(id -gn "$WEB_USER")" "$SRV_ENV_FILE"
}

# web_bundle DIR [CONFIG_FILE]: the shared-hosting bundle `make
# shared-hosting` made (MCP_DIST, default dist/shared-hosting) copied into
# DIR, with the customer's one edited line: MCP_CONFIG_FILE (default: the
# server's configuration file).
web_bundle() {
	local dir=$1 SRV_ENV_FILE=${2:-$SRV_ENV_FILE}
	local dist=${MCP_DIST:-$ROOT/dist/shared-hosting}
	if [ ! -x "$dist/mcp.cgi" ]; then
		echo "no bundle in $dist (make shared-hosting)" >&2
		return 1
	fi
	# The bundle as the customer copies it (its programs, lib/, page, README.txt).
	mkdir -p "$dir" && cp -a "$dist/." "$dir/" || return 1
	# SRV_HTACCESS_DROP (a regex of module names) takes the <IfModule
	# mod_NAME.c> blocks out: an Apache without those modules.
	sed "s#^SetEnv MCP_CONFIG_FILE .*#SetEnv MCP_CONFIG_FILE $SRV_ENV_FILE#" \
		"$dist/.htaccess" |
		awk -v drop="${SRV_HTACCESS_DROP:-^$}" '
			match($0, /^<IfModule mod_[a-z_]+\.c>/) {
				m = substr($0, 15, RLENGTH - 17)
				if (m ~ drop) { dropping = 1; next }
			}
			dropping { if ($0 ~ /^<\/IfModule>/) dropping = 0; next }
			{ print }' >"$dir/.htaccess" || return 1
	grep -qx "SetEnv MCP_CONFIG_FILE $SRV_ENV_FILE" "$dir/.htaccess" || {
		echo "src/shared-hosting/htaccess has no SetEnv MCP_CONFIG_FILE line" >&2
		return 1
	}
	chmod 755 "$dir" "$dir/mcp.cgi" "$dir/wellknown.cgi"
	chmod 644 "$dir/index.html" "$dir/README.txt" "$dir/.htaccess"
}

# web_apache_run CONF: starts apache2 in the foreground with CONF (its own
# pid file, run directory and logs, from CONF); sets LPID.
web_apache_run() {
	if ! APACHE_RUN_DIR=$SRV_DIR/run APACHE_LOCK_DIR=$SRV_DIR/run APACHE_LOG_DIR=$SRV_DIR/log \
		apache2 -t -f "$1" >"$SRV_DIR/log/apache2-t.out" 2>&1; then
		echo "apache2 refuses the configuration $1:" >&2
		tail -n 20 "$SRV_DIR/log/apache2-t.out" >&2
		return 1
	fi
	# Its own session: stopping, Apache signals its whole process group,
	# which would otherwise be this shell's.  (setsid execs, it does not
	# fork: a background job of this shell is no group leader.)
	APACHE_RUN_DIR=$SRV_DIR/run APACHE_LOCK_DIR=$SRV_DIR/run APACHE_LOG_DIR=$SRV_DIR/log \
		setsid apache2 -DFOREGROUND -f "$1" </dev/null >>"$SRV_DIR/log/apache2.out" 2>&1 &
	LPID=$!
}

# The host's side of shared hosting: prefork + mod_cgi, the modules such a
# host loads, AllowOverride All in the customer's folder, the host's usual
# denial of .ht* files.  The development issuer is served from outside the
# customer's folder, as another site of the same host would.
web_start_apache_cgi() {
	local m mods=""
	web_bundle "$SRV_WWW" || return 1
	for m in mpm_prefork authz_core authz_host alias dir mime env setenvif headers rewrite cgi; do
		mods+="LoadModule ${m}_module $APACHE_MODULES/mod_$m.so"$'\n'
	done
	CONF=$SRV_DIR/apache2.conf
	cat >"$CONF" <<-EOF
		# A shared host's Apache, written by tests/e2e/web.sh.
		$mods
		ServerRoot $SRV_DIR/run
		DefaultRuntimeDir $SRV_DIR/run
		PidFile $SRV_DIR/run/apache2.pid
		Listen 127.0.0.1:$PORT
		ServerName 127.0.0.1
		User $WEB_USER
		Group $(id -gn "$WEB_USER")
		ErrorLog $SRV_DIR/log/error.log
		LogLevel warn
		StartServers 16
		MinSpareServers 8
		MaxSpareServers 16
		MaxRequestWorkers 24
		TypesConfig /etc/mime.types
		LogFormat "%h %v %u %t \"%m %U %H\" %>s %b" mcp
		CustomLog $ACCESS_LOG mcp
		DocumentRoot $SRV_WWW
		<Directory />
			AllowOverride None
			Require all denied
		</Directory>
		<Directory $SRV_WWW>
			AllowOverride All
			Require all granted
		</Directory>
		<FilesMatch "^\.ht">
			Require all denied
		</FilesMatch>
		Alias /dev-issuer/jwks.json $SRV_DIR/issuer/jwks.json
		Alias /dev-issuer/keys $SRV_DIR/issuer/keys
		Alias /.well-known/oauth-authorization-server/dev-issuer $SRV_DIR/issuer/.well-known/oauth-authorization-server/dev-issuer
		<Directory $SRV_DIR/issuer>
			Require all granted
			ForceType application/json
		</Directory>
	EOF
	web_apache_run "$CONF"
}

web_start_apache_fcgid() {
	CONF=$SRV_DIR/apache2.conf
	local dev=()
	[ -z "$ISSUER" ] || dev=(--dev-issuer "$ISSUER_DIR")
	"$ROOT/src/cli/mkwebconf.sh" "$ROOT/apache.conf.example" -s "MCP_HOME=$ROOT" \
		-s "MCP_BIN_DIR=$BIN" -s "MCP_WWW_DIR=$SRV_WWW" -s "MCP_CONFIG_FILE=$SRV_ENV_FILE" \
		-s "MCP_STATE_DIR=$SRV_DIR/state" -s "MCP_RUN_DIR=$SRV_DIR/run" \
		-s "MCP_LOG_DIR=$SRV_DIR/log" -s "MCP_LISTEN=127.0.0.1:$PORT" \
		-s "MCP_USER=$WEB_USER" -s "MCP_GROUP=$(id -gn "$WEB_USER")" \
		-s "MCP_MAX_PROCS=$1" -s "MCP_MODULES=$APACHE_MODULES" "${dev[@]}" -o "$CONF" || return 1
	web_apache_run "$CONF"
}

# nginx: the programs first, as nginx.conf.example's comments start them
# (spawn-fcgi -F N, only MCP_CONFIG_FILE in their environment); spawn-fcgi
# sends a forked worker's stderr to /dev/null, so a shell between keeps it
# (a configuration error's line) in programs.log.
web_start_nginx() {
	local p n pidf
	CONF=$SRV_DIR/nginx.conf
	local dev=()
	[ -z "$ISSUER" ] || dev=(--dev-issuer "$ISSUER_DIR")
	"$ROOT/src/cli/mkwebconf.sh" "$ROOT/nginx.conf.example" -s "MCP_HOME=$ROOT" \
		-s "MCP_WWW_DIR=$SRV_WWW" -s "MCP_RUN_DIR=$SRV_DIR/run" -s "MCP_LOG_DIR=$SRV_DIR/log" \
		-s "MCP_LISTEN=127.0.0.1:$PORT" -s "MCP_USER=$WEB_USER" "${dev[@]}" -o "$CONF" || return 1
	: >"$SRV_DIR/log/programs.log"
	chown "$WEB_USER" "$SRV_DIR/log/programs.log" 2>/dev/null
	for p in mcp wellknown; do
		n=1
		[ $p = mcp ] && n=$1
		pidf=$SRV_DIR/run/$p.pid
		rm -f "$pidf" "$SRV_DIR/run/$p.sock"
		env -i PATH=/usr/bin:/bin MCP_CONFIG_FILE="$SRV_ENV_FILE" spawn-fcgi -F "$n" \
			-s "$SRV_DIR/run/$p.sock" -M 0660 -u "$WEB_USER" -U "$WEB_USER" -G "$(id -gn "$WEB_USER")" \
			-P "$pidf" -- /bin/sh -c "exec \"\$0\" 2>>\"\$1\"" "$BIN/$p.fcgi" \
			"$SRV_DIR/log/programs.log" >>"$SRV_DIR/log/spawn-fcgi.out" 2>&1
		[ -f "$pidf" ] && mapfile -t -O "${#SRV_PIDS[@]}" SRV_PIDS <"$pidf"
	done
	if ! nginx -t -e "$SRV_DIR/log/error.log" -c "$CONF" >"$SRV_DIR/log/nginx-t.out" 2>&1; then
		echo "nginx refuses the configuration $CONF:" >&2
		tail -n 20 "$SRV_DIR/log/nginx-t.out" >&2
		return 1
	fi
	nginx -e "$SRV_DIR/log/error.log" -c "$CONF" </dev/null >>"$SRV_DIR/log/nginx.out" 2>&1 &
	LPID=$!
}
