# tests/pg/lib_pg_cgi.sh - sourced by a tests/pg script after lib_pg.sh
# started the machines: the program run as CGI beside them (cgi from
# tests/cgi/lib_cgi.sh), machine A's host, its own state directory, the
# request's token in TOKEN.
PROG=$BIN/mcp.fcgi WRAP=() CGI_TIMEOUT=10 CGI_HOST=${A_BASE#http://}
CGI_STATE=$TMP/cgi-state
[ "${MCP_SANITIZE:-0}" = 1 ] && CGI_TIMEOUT=30
mkdir -p "$CGI_STATE" && chmod 700 "$CGI_STATE"
. "$ROOT/tests/cgi/lib_cgi.sh"
