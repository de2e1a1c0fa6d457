# SPDX-License-Identifier: GPL-2.0-or-later
# svcnft: Kubernetes Services as nftables NAT rules.

VERSION = 0.1.0
PREFIX ?= /usr/local

CC ?= cc
CFLAGS ?= -O2 -g
PKGS = libnftnl libmnl yaml-0.1
# Recursively expanded on purpose: pkg-config runs when a recipe does, which is
# after the deps step has installed the packages it asks about.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSVCNFT_VERSION='"$(VERSION)"' \
	-Wall -Wextra -Werror -Iinclude $(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS))
CHECK_LIBS = $(shell pkg-config --libs check)

# The CLI layer is main.c and cmd_*.c; everything else is the library the
# unit tests link against.
CLI_SRC = src/main.c $(wildcard src/cmd_*.c)
LIB_SRC = $(filter-out $(CLI_SRC),$(wildcard src/*.c))
LIB_OBJ = $(LIB_SRC:src/%.c=build/%.o)
CLI_OBJ = $(CLI_SRC:src/%.c=build/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/tests/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=build/tools/%)

all: svcnft

deps:
	@sh build-aux/deps.sh

build/.dirs:
	@mkdir -p build/tests build/tools
	@touch $@

build/%.o: src/%.c $(wildcard include/*.h) | deps build/.dirs
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/libsvcnft.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

svcnft: $(CLI_OBJ) build/libsvcnft.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) build/libsvcnft.a $(LDLIBS_ALL)

build/tests/%: tests/unit/%.c tests/unit/unit.h build/libsvcnft.a | deps build/.dirs
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< build/libsvcnft.a $(CHECK_LIBS) $(LDLIBS_ALL)

build/tools/%: tests/tools/%.c | deps build/.dirs
	$(CC) $(ALL_CFLAGS) -o $@ $<

tools: $(TOOL_BIN)

unit: $(UNIT_BIN)

check: svcnft $(UNIT_BIN) $(TOOL_BIN)
	@sh tests/run.sh $(UNIT_BIN)

# Rewrite rules/ from examples/ after a deliberate change to the compiler.
golden-update: svcnft
	@sh tests/golden.sh --update

demo: svcnft $(TOOL_BIN)
	@sh tests/demo.sh

clean:
	rm -rf build svcnft

.PHONY: all deps check unit tools golden-update demo clean
