# stica: non-recursive GNU make.  See README.md for the two commands that
# matter (make run, make check) and docs/testing.md for everything else.
#
#   make            build build/rel/stica (release flags)
#   make deps       install the Debian packages that are missing
#   make check      deps + ASan/UBSan build with -Werror + every test
#   make run        deps + build + a development CA (stica init), put to work
#                   (the ACME server, stica serve, is not built yet)
#   make bench      deps + release build + benchmarks (figures, not tests)
#   make fuzz       libFuzzer runs (clang) for FUZZ_SECONDS per target
#
# V selects the variant (rel, asan); O the output directory.

O	?= build
V	?= rel
B	:= $(O)/$(V)
CC	?= gcc
ifeq ($(origin CC),default)
CC	:= gcc
endif
CLANG	?= clang
FUZZ_SECONDS ?= 60

# Debian 12 packages stica needs to build, test and run.
DEB_PKGS = gcc make pkg-config clang libclang-rt-14-dev valgrind \
	libssl-dev openssl libyaml-dev libjansson-dev libmicrohttpd-dev \
	libsqlite3-dev sqlite3 libp11-kit-dev p11-kit softhsm2 opensc \
	gnutls-bin python3 python3-cryptography python3-pyasn1 \
	python3-pyasn1-modules python3-acme curl procps

PKGS	= libcrypto yaml-0.1 jansson libmicrohttpd sqlite3 p11-kit-1
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread

WARN	= -Wall -Wextra -Wpedantic -Werror -Wshadow -Wpointer-arith \
	-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wformat=2 -Wimplicit-fallthrough -Wcast-qual -Wwrite-strings -Wvla \
	-Wundef
DEFS	= -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
CSTD	= -std=c17

ifeq ($(V),rel)
VFLAGS	= -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection
ifneq ($(findstring gcc,$(CC)),)
VFLAGS	+= -ftrivial-auto-var-init=zero
endif
VLDFLAGS =
else ifeq ($(V),asan)
VFLAGS	= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
VLDFLAGS = -fsanitize=address,undefined
else
$(error unknown variant V=$(V); use rel or asan)
endif

CFLAGS_ALL = $(CSTD) $(WARN) $(DEFS) $(VFLAGS) -I. $(PKG_CFLAGS) -MMD -MP
LDFLAGS_ALL = $(VLDFLAGS)

# Modules in layering order (docs/architecture.md).
MODULES	= common ca hsm policy store acme
LIB_SRCS = $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJS = $(LIB_SRCS:%.c=$(B)/obj/%.o)
CMD_SRCS = $(wildcard cmd/*.c)
CMD_OBJS = $(CMD_SRCS:%.c=$(B)/obj/%.o)
LIB	= $(B)/libstica.a
STICA	= $(B)/stica

# Every tests/{unit,integ,bench}/*.c is one program; tests/fuzz/fuzz_*.c
# are libFuzzer targets that also link with replay.c for make check.
TEST_SRCS  = $(wildcard tests/unit/*.c tests/integ/*.c)
TEST_BINS  = $(TEST_SRCS:%.c=$(B)/%)
BENCH_SRCS = $(wildcard tests/bench/*.c)
BENCH_BINS = $(BENCH_SRCS:%.c=$(B)/%)
FUZZ_SRCS  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY_BINS = $(FUZZ_SRCS:%.c=$(B)/%)
FUZZ_LIB_BINS = $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)

.PHONY: all deps check test run bench benches valgrind fuzz fuzz-build tests clean format \
	format-check layering
.DEFAULT_GOAL := all
# Keep objects that pattern rules build on the way (no rebuilds, no "rm").
.SECONDARY:

all: $(STICA)

# VERBOSE=1 shows the commands.
Q	= $(if $(VERBOSE),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(VERBOSE),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(STICA): $(CMD_OBJS) $(LIB)
	@$(if $(VERBOSE),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(CMD_OBJS) $(LIB) $(PKG_LIBS)

$(B)/tests/%: $(B)/obj/tests/%.o $(LIB)
	@mkdir -p $(@D)
	@$(if $(VERBOSE),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(PKG_LIBS)

# Fuzz targets, replay flavour: the target plus a main() that feeds it
# every file it is given.
$(B)/tests/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(@D)
	@$(if $(VERBOSE),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(B)/obj/tests/fuzz/replay.o $(LIB) \
	    $(PKG_LIBS)

tests: $(STICA) $(TEST_BINS) $(FUZZ_REPLAY_BINS)

# Run every test against the current variant.  Scripts find the binaries
# through STICA_BUILD.
test: tests fuzz-build
	STICA_BUILD=$(abspath $(B)) STICA_FUZZ=$(abspath $(O)/fuzz) \
	    tests/run.sh

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	else echo "make deps: all $(words $(DEB_PKGS)) packages present"; fi

check: deps
	$(MAKE) layering
	$(MAKE) V=asan test

benches: $(STICA) $(BENCH_BINS)

bench: deps
	$(MAKE) V=rel benches
	STICA_BUILD=$(abspath $(O)/rel) tests/bench/run.sh

# make run: a development CA in RUN_DIR made by "stica init" (a SoftHSM2
# token, root and CA ceremonies, policy, stica.yaml), made once and then
# reused; then the deployment is shown: the token's keys and the chain as
# openssl sees it.  rm -rf $(RUN_DIR) for a fresh one.
RUN_DIR	?= run/dev
RUN_STICA = $(O)/rel/stica
# A number inside stica init's default CA scope (range:12025550100+100).
RUN_TN	?= tn:12025550142
run: deps
	$(MAKE) V=rel all
	@if [ -f $(RUN_DIR)/stica.yaml ]; then \
	    echo "make run: $(RUN_DIR) is already initialised" \
	        "(rm -rf $(RUN_DIR) for a fresh one)"; \
	else $(RUN_STICA) init $(RUN_DIR) || exit 1; fi
	SOFTHSM2_CONF=$(abspath $(RUN_DIR))/softhsm2.conf $(RUN_STICA) hsm list \
	    --token "pkcs11:token=stica-dev;pin-source=file:$(abspath $(RUN_DIR))/pin"
	openssl verify -CAfile $(RUN_DIR)/root.pem $(RUN_DIR)/ca.pem
	@# Until the ACME server exists, show the CA at work: issue a per-TN
	@# certificate for a fresh key and check it with stica and openssl.
	@mkdir -p $(RUN_DIR)/demo
	openssl ecparam -name prime256v1 -genkey -noout \
	    -out $(RUN_DIR)/demo/tn.key
	openssl pkey -in $(RUN_DIR)/demo/tn.key -pubout \
	    -out $(RUN_DIR)/demo/tn.pub
	$(RUN_STICA) issue --config $(RUN_DIR)/stica.yaml --profile per-tn \
	    --pubkey $(RUN_DIR)/demo/tn.pub --tnauthlist $(RUN_TN) \
	    -o $(RUN_DIR)/demo/chain.pem
	$(RUN_STICA) verify --trust $(RUN_DIR)/root.pem $(RUN_DIR)/demo/chain.pem
	openssl verify -CAfile $(RUN_DIR)/root.pem \
	    -untrusted $(RUN_DIR)/demo/chain.pem $(RUN_DIR)/demo/chain.pem
	$(RUN_STICA) audit verify --config $(RUN_DIR)/stica.yaml
	@echo "make run: development CA in $(RUN_DIR); config $(RUN_DIR)/stica.yaml"

# libFuzzer flavour (clang), built from the sources directly.
FUZZ_CFLAGS = $(CSTD) $(WARN) $(DEFS) -I. $(PKG_CFLAGS) -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(O)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	@$(if $(VERBOSE),,echo "  FUZZ    $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS)

fuzz-build: $(FUZZ_LIB_BINS)

fuzz: fuzz-build
	@for f in $(FUZZ_LIB_BINS); do \
	    n=$$(basename $$f); n=$${n#fuzz_}; \
	    mkdir -p $(O)/fuzz/corpus-$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(O)/fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# The unit tests under valgrind (release build, no sanitizers): leaks and
# uninitialised reads that ASan does not see.  Not part of make check
# (it takes minutes); see docs/testing.md.
valgrind: deps
	$(MAKE) V=rel $(filter $(O)/rel/tests/unit/%,$(TEST_SRCS:%.c=$(O)/rel/%))
	@fail=0; for t in $(O)/rel/tests/unit/test_*; do \
	    case $$t in *.o|*.d) continue ;; esac; \
	    STICA_TOP=$(CURDIR) valgrind -q --error-exitcode=99 \
	        --leak-check=full --errors-for-leak-kinds=definite $$t \
	        >/dev/null || { echo "valgrind: $$t failed"; fail=1; }; \
	done; [ $$fail = 0 ] && echo "valgrind: unit tests clean"

# Layering (docs/architecture.md): nothing calls upward; PKCS#11 only in
# hsm/; SQLite only in store/.
layering:
	@bad=0; \
	for m in common; do grep -l '#include "\(ca\|hsm\|policy\|store\|acme\)/' $$m/*.[ch] 2>/dev/null && bad=1; done; \
	for m in ca policy store hsm; do grep -l '#include "acme/' $$m/*.[ch] 2>/dev/null && bad=1; done; \
	for m in hsm policy store; do grep -l '#include "ca/' $$m/*.[ch] 2>/dev/null && bad=1; done; \
	grep -l 'pkcs11\.h' ca/*.[ch] acme/*.[ch] policy/*.[ch] store/*.[ch] 2>/dev/null && bad=1; \
	grep -l '#include "hsm/' acme/*.[ch] 2>/dev/null && bad=1; \
	grep -l 'sqlite3\.h\|libpq-fe\.h' common/*.[ch] ca/*.[ch] hsm/*.[ch] policy/*.[ch] acme/*.[ch] cmd/*.[ch] 2>/dev/null && bad=1; \
	if [ $$bad = 1 ]; then echo "layering: the files above break docs/architecture.md"; exit 1; fi; \
	echo "layering: ok"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	@clang-format --dry-run $$(git ls-files '*.c' '*.h') 2>&1 | head -40

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
