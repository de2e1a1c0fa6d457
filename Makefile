# SPDX-License-Identifier: GPL-2.0-or-later
# svcnft: Kubernetes Services as nftables NAT rules.

VERSION = 0.1.0
PREFIX ?= /usr/local

CC ?= cc
CFLAGS ?= -O2 -g
PKGS = libnftnl libmnl yaml-0.1 libnetfilter_conntrack json-c libmicrohttpd libsystemd

# `make check SANITIZE=1`: everything (library, svcnft, unit tests, test
# tools) built with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/sanitize/, a directory of its own, so the two modes never mix objects
# and need no `make clean` between them. svcnft is then build/sanitize/svcnft.
ifeq ($(SANITIZE),1)
B = build/sanitize
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SVCNFT_BIN = $(B)/svcnft
else
B = build
SAN_FLAGS =
SVCNFT_BIN = svcnft
endif

# Recursively expanded on purpose: pkg-config runs when a recipe does, which is
# after the deps step has installed the packages it asks about.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSVCNFT_VERSION='"$(VERSION)"' -pthread \
	-Wall -Wextra -Werror -Iinclude $(shell pkg-config --cflags $(PKGS)) $(CFLAGS) $(SAN_FLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS))
CHECK_LIBS = $(shell pkg-config --libs check)

# The CLI layer is main.c and cmd_*.c; everything else is the library the
# unit tests link against.
CLI_SRC = src/main.c $(wildcard src/cmd_*.c)
LIB_SRC = $(filter-out $(CLI_SRC),$(wildcard src/*.c))
LIB_OBJ = $(LIB_SRC:src/%.c=$(B)/%.o)
CLI_OBJ = $(CLI_SRC:src/%.c=$(B)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)

# What the test scripts run: this mode's svcnft and tools.
TEST_ENV = SVCNFT=$(abspath $(SVCNFT_BIN)) SVCNFT_TOOLS=$(abspath $(B)/tools) \
	SVCNFT_SANITIZE=$(SANITIZE)

all: $(SVCNFT_BIN)

deps:
	@sh build-aux/deps.sh

# What only the tests use (valgrind, clang's libFuzzer, time, setpriv).
test-deps: deps
	@sh build-aux/deps.sh test
	@sh build-aux/promtool.sh build/deps

$(B)/.dirs:
	@mkdir -p $(B)/tests $(B)/tools
	@touch $@

$(B)/%.o: src/%.c $(wildcard include/*.h src/*.h) | deps $(B)/.dirs
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libsvcnft.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(SVCNFT_BIN): $(CLI_OBJ) $(B)/libsvcnft.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(B)/libsvcnft.a $(LDLIBS_ALL)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libsvcnft.a | deps $(B)/.dirs
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libsvcnft.a $(CHECK_LIBS) $(LDLIBS_ALL)

$(B)/tools/%: tests/tools/%.c | deps $(B)/.dirs
	$(CC) $(ALL_CFLAGS) -o $@ $<

tools: $(TOOL_BIN)

unit: $(UNIT_BIN)

check: $(SVCNFT_BIN) $(UNIT_BIN) $(TOOL_BIN) | test-deps
	@$(TEST_ENV) sh tests/run.sh $(UNIT_BIN)

# The hostile-input corpus alone (tests/hostile/, see tests/hostile.sh).
hostile: $(SVCNFT_BIN)
	@$(TEST_ENV) sh tests/hostile.sh

# svcnft under valgrind memcheck: plan/check of examples/ and, as root in a
# throwaway network namespace, apply/dump/flush; any error or leak fails.
valgrind: $(SVCNFT_BIN)
	@$(TEST_ENV) sh tests/valgrind.sh

# libFuzzer harnesses (tests/fuzz/), built with clang into build/fuzz/ against
# their own instrumented copy of the library. `make fuzz` runs each for
# FUZZ_SECONDS (30; make check does this); `make fuzz-long` for 600 unless
# FUZZ_SECONDS says otherwise. Both skip cleanly without clang's libFuzzer.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_LIB_OBJ = $(LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_BIN = $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

build/fuzz/obj/%.o: src/%.c $(wildcard include/*.h) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libsvcnft.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libsvcnft.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< \
		build/fuzz/libsvcnft.a $(LDLIBS_ALL)

fuzz-build: $(FUZZ_BIN)

fuzz:
	@FUZZ_CC="$(FUZZ_CC)" sh tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-long: FUZZ_SECONDS = 600
fuzz-long:
	@FUZZ_CC="$(FUZZ_CC)" sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# Rewrite rules/ from examples/ after a deliberate change to the compiler.
golden-update: svcnft
	@sh tests/golden.sh --update

# The benchmark (bench/RESULTS.md): only inside throwaway network namespaces.
build/bench/yamlscan: bench/yamlscan.c | deps build/.dirs
	@mkdir -p build/bench
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS_ALL)

bench: svcnft build/bench/yamlscan $(TOOL_BIN)
	@sh build-aux/deps.sh bench
	@python3 bench/run.py
	@sh bench/dataplane.sh

demo: svcnft $(TOOL_BIN)
	@sh tests/demo.sh

clean:
	rm -rf build svcnft

include build-aux/install.mk

.PHONY: all deps test-deps check unit tools hostile valgrind fuzz fuzz-build fuzz-long \
	golden-update demo clean
