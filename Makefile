# mcp-fcgi: one plain GNU Makefile, no recursion.
# Every library comes from Debian's packages through pkg-config.

CC       ?= cc
PKGS      = fcgi libcjson libcrypto
# Headers only: the programs load these when a request needs them (dlopen):
# libcurl when keys must be fetched (fetch.c), SQLite when a todo tool runs
# (todo_store_sqlite.c), libpq when it runs with MCP_DATABASE_URL
# (todo_store_libpq.c).  A CGI request that needs none never maps them.
DLPKGS    = libcurl sqlite3 libpq
# libjwt is an independent second signer for the tests only (DESIGN.md): never in a program.
TEST_PKGS = libjwt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DLPKGS) $(TEST_PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl
# The programs link Debian's static archives of libfcgi and libcrypto (and
# zlib, which libcrypto uses): a CGI request then maps three libraries
# instead of eight, and the shared-hosting bundle needs neither on the host.
# cJSON has no static archive in Debian: linked shared, and shipped in the
# bundle.  STATIC=0 links every library shared.
STATIC    ?= 1
ifeq ($(STATIC),1)
PROG_LIBS  = -Wl,-Bstatic -lfcgi -lcrypto -lz -Wl,-Bdynamic -lcjson -ldl -pthread
else
PROG_LIBS  = $(PKG_LIBS)
endif
TEST_LIBS  := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN      = -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
HARDEN    = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ALL_CFLAGS = $(WARN) $(HARDEN) $(CFLAGS) $(PKG_CFLAGS) -Isrc -MMD -MP
LDFLAGS  ?=
# Position-dependent by default: as CGI every request is a new process, and
# a position-independent program would relocate libcrypto's 330 KB of
# function-pointer tables (18,000 relocations, 90 copy-on-write pages) at
# every start, about 200 us of a 400 us budget (README, "Start-up cost").
# Stack, heap and every library stay randomised; full RELRO, NX, the stack
# protector and FORTIFY stay on.  PIE=1 links position-independent.
PIE      ?= 0
ifeq ($(PIE),1)
LINK_PIE  = -pie
else
LINK_PIE  = -no-pie
endif
ALL_LDFLAGS = $(LINK_PIE) -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

# BUILD may be overridden (the sanitizer build uses its own tree).
BUILD    ?= build
BIN      ?= cgi-bin

LIB_SRC   = $(wildcard src/lib/*/*.c)
MCP_SRC   = $(filter-out src/mcp/main.c,$(wildcard src/mcp/*.c)) $(wildcard src/mcp/tools/*.c)
WK_SRC    = $(filter-out src/wellknown/main.c,$(wildcard src/wellknown/*.c))
CLI_SRC   = $(filter-out src/cli/main.c,$(wildcard src/cli/*.c))
TEST_SRC  = $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB_A     = $(BUILD)/libmcpauth.a
MCP_A     = $(BUILD)/libmcpcore.a
WK_A      = $(BUILD)/libwellknown.a
CLI_A     = $(BUILD)/libmcpcli.a
TESTS     = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))

PROGS     = $(BIN)/mcp.fcgi $(BIN)/wellknown.fcgi $(if $(wildcard src/cli/main.c),$(BUILD)/mcp-fcgi-cli)

.PHONY: all deps check unit sanitize valgrind soak lint format bench bench-build bench-verify shared-hosting bundle demo install clean \
	fuzz fuzz-build fuzz-programs
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(call obj,$(LIB_SRC))
	@rm -f $@; ar rcs $@ $^
$(MCP_A): $(call obj,$(MCP_SRC))
	@rm -f $@; ar rcs $@ $^
$(WK_A): $(call obj,$(WK_SRC)) $(BUILD)/empty.o
	@rm -f $@; ar rcs $@ $^
$(CLI_A): $(call obj,$(CLI_SRC)) $(BUILD)/empty.o
	@rm -f $@; ar rcs $@ $^
$(BUILD)/empty.o:
	@mkdir -p $(BUILD); printf 'extern int mcp_fcgi_empty_unit;\n' | $(CC) -x c -c -o $@ -

$(BIN)/mcp.fcgi: $(call obj,src/mcp/main.c) $(MCP_A) $(LIB_A)
	@mkdir -p $(BIN)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)
# The metadata program shares the tools' catalogue (names and scopes), nothing else of src/mcp.
$(BIN)/wellknown.fcgi: $(call obj,src/wellknown/main.c) $(WK_A) $(call obj,src/mcp/catalog.c) $(LIB_A)
	@mkdir -p $(BIN)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)
$(BUILD)/mcp-fcgi-cli: $(call obj,src/cli/main.c) $(CLI_A) $(LIB_A)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(MCP_A) $(WK_A) $(CLI_A) $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

deps:
	@src/cli/install-deps.sh

# Every test: C unit tests, CGI mode, lighttpd end to end, the SDK client, the soak,
# a few seconds of each fuzzing harness.
check: deps
	@$(MAKE) --no-print-directory all tests-build
	@$(MAKE) --no-print-directory fuzz-build
	@$(MAKE) --no-print-directory shared-hosting
	@BUILD=$(BUILD) BIN=$(BIN) tests/run.sh

tests-build: $(TESTS)
unit: $(TESTS)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run.sh unit

# The same checks, built with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build-san BIN=build-san/cgi-bin \
	  CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all tests-build
	@$(MAKE) --no-print-directory shared-hosting fuzz-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  MCP_SANITIZE=1 BUILD=build-san BIN=build-san/cgi-bin tests/run.sh

# The soak at length (README, "The soak"): make check runs it for 30 s.
SOAK_SECONDS ?= 600
soak: deps all
	@SOAK_SECONDS=$(SOAK_SECONDS) BUILD=$(BUILD) BIN=$(BIN) bash tests/e2e/soak.sh

valgrind: all tests-build
	@MCP_VALGRIND=1 BUILD=$(BUILD) BIN=$(BIN) tests/run.sh unit cgi

lint:
	@tests/layout.sh
	@clang-format --dry-run --Werror $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]')
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	  --inline-suppr --std=c11 -Isrc src tests/unit tests/fuzz

format:
	clang-format -i $$(git ls-files 'src/*.[ch]' 'tests/*.[ch]')

# ---- the shared-hosting bundle -------------------------------------------------
# dist/shared-hosting/: what a customer copies into a document root as it is.
# The programs as CGI, linked like the normal build, stripped, with the two
# libraries a shared host may lack in the bundle's lib/: cJSON, which the
# programs name by path ($ORIGIN/lib/libcjson.so.1), and SQLite, which the
# store loads from there when a todo tool runs.  ldd of them lists the C
# library and that one bundled library.  libcurl is loaded only when keys
# must be fetched (every shared host has libcurl.so.4; OAUTH_JWKS_FILE needs
# none).  The highest GLIBC_ symbol version they need is printed: the
# oldest C library the bundle runs on.
DIST      = dist/shared-hosting
CJSON_SO  = $(shell pkg-config --variable=libdir libcjson)/libcjson.so.1
DIST_LIBS = $(CJSON_SO) $(shell pkg-config --variable=libdir sqlite3)/libsqlite3.so.0
# A path in DT_NEEDED, not a run path: for a run path the loader would first
# probe a score of hwcaps sub-folders of lib/ for every library, the C
# library included (38 failed system calls, 60 us a request).  The link
# takes the name from a stub with that soname, made from libcjson's
# functions; a data symbol it lacks would fail the link, not the program.
CJSON_STUB = $(BUILD)/bundle/stub/libcjson.so
BUNDLE_LDFLAGS = -L$(dir $(CJSON_STUB))
# A release artifact: always built with the release flags in its own tree,
# also from make sanitize (which tests it as shipped).
BUNDLE_BUILD = build-bundle

shared-hosting:
	@$(MAKE) --no-print-directory BUILD=$(BUNDLE_BUILD) BIN=$(BUNDLE_BUILD)/cgi-bin \
	  CFLAGS="$(OPT) -g" LDFLAGS= STATIC=1 bundle

$(CJSON_STUB): $(CJSON_SO)
	@mkdir -p $(dir $@)
	@nm -D --defined-only $< | awk '$$2 == "T" { print "void " $$3 "(void); void " $$3 "(void) {}" }' \
	  >$(@:.so=.c)
	@$(CC) -shared -fPIC -o $@ -Wl,-soname,'$$ORIGIN/lib/libcjson.so.1' $(@:.so=.c)
$(BUILD)/bundle/mcp.cgi: $(call obj,src/mcp/main.c) $(MCP_A) $(LIB_A) | $(CJSON_STUB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(BUNDLE_LDFLAGS) -o $@ $^ $(PROG_LIBS)
$(BUILD)/bundle/wellknown.cgi: $(call obj,src/wellknown/main.c) $(WK_A) $(call obj,src/mcp/catalog.c) $(LIB_A) | $(CJSON_STUB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(BUNDLE_LDFLAGS) -o $@ $^ $(PROG_LIBS)

bundle: $(BUILD)/bundle/mcp.cgi $(BUILD)/bundle/wellknown.cgi \
		src/shared-hosting/htaccess src/shared-hosting/README.txt www/index.html
	@rm -rf $(DIST) $(DIST).tar.gz
	@mkdir -p $(DIST)/lib
	@install -m 0755 -s $(BUILD)/bundle/mcp.cgi $(BUILD)/bundle/wellknown.cgi $(DIST)/
	@install -m 0644 $(DIST_LIBS) $(DIST)/lib/
	@install -m 0644 src/shared-hosting/htaccess $(DIST)/.htaccess
	@install -m 0644 src/shared-hosting/README.txt www/index.html $(DIST)/
	@tar -C $(dir $(DIST)) -czf $(DIST).tar.gz $(notdir $(DIST))
	@echo "  BUNDLE  $(DIST)/ and $(DIST).tar.gz"
	@echo "  needs   glibc >= $$(objdump -T $(DIST)/*.cgi $(DIST)/lib/* | \
	  grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)" \
	  "(Debian 12, Ubuntu 22.04, RHEL/AlmaLinux/Rocky/CloudLinux 9 and later)"

# The baselines and drivers of make bench: plain C, nothing of ours linked.
BENCH_PROGS = $(BUILD)/bench/hello_cgi $(BUILD)/bench/spawn_loop $(BUILD)/bench/empty_fcgi
$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(WARN) $(HARDEN) $(OPT) $(ALL_LDFLAGS) -o $@ $<
# The FastCGI ceiling: libfcgi linked as the programs link it.
$(BUILD)/bench/empty_fcgi: tests/bench/empty_fcgi.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(WARN) $(HARDEN) $(OPT) $(PKG_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PROG_LIBS)
# The token-check micro-benchmark: the library's verification against bare EVP.
$(BUILD)/bench/verify_bench: $(BUILD)/tests/bench/verify_bench.o $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PROG_LIBS)
bench-build: $(BENCH_PROGS)

bench-verify: $(BUILD)/bench/verify_bench
	@$(BUILD)/bench/verify_bench

# tests/bench.sh exits 1 when a target of its table is missed: the CGI
# figures are still taken, and make bench then fails.
bench: deps all bench-build shared-hosting
	@BUILD=$(BUILD) BIN=$(BIN) tests/bench.sh; s=$$?; \
	  BUILD=$(BUILD) BIN=$(BIN) BENCH_CGI_BINS=$(CURDIR)/$(DIST) tests/bench_cgi.sh && exit $$s

demo: deps all
	@BUILD=$(BUILD) BIN=$(BIN) src/cli/demo.sh

# ---- fuzzing ---------------------------------------------------------------
# libFuzzer harnesses (tests/fuzz/fuzz_*.c) in their own tree, built with
# Debian's clang (gcc has no libFuzzer): the library compiled with coverage
# instrumentation and ASan+UBSan, each harness linked with libFuzzer's main.
# Two clang warnings gcc does not give are off here: -Wformat-nonliteral
# flags the vsnprintf inside err.c's own printf-like functions, and
# -Wstring-concatenation the long messages doctor.c writes in pieces.
# make fuzz runs each harness FUZZ_SECONDS (tests/fuzz/run.sh); the test
# group "fuzz" runs each a few seconds and replays tests/fuzz/regress.
FUZZ_BUILD   = build-fuzz
FUZZ_CC     ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all -Wno-format-nonliteral -Wno-string-concatenation
FUZZ_SRC     = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_PROGS   = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(MCP_A) $(WK_A) $(CLI_A) $(LIB_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)
.SECONDARY: $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%.o,$(FUZZ_SRC))
fuzz-programs: $(FUZZ_PROGS)

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) BIN=$(FUZZ_BUILD)/cgi-bin CC=$(FUZZ_CC) \
	  CFLAGS="$(FUZZ_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" fuzz-programs

fuzz: deps fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/lib/mcp-fcgi/cgi-bin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/mcp.fcgi $(BIN)/wellknown.fcgi $(DESTDIR)$(PREFIX)/lib/mcp-fcgi/cgi-bin/
	install -m 0755 $(BUILD)/mcp-fcgi-cli $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san build-bundle build-fuzz dist $(BIN)/*.fcgi

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
