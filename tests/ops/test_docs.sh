#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# svcnft(8) and the bash completion know every command and every option.
. "$(dirname "$0")/lib.sh"
ops_init

page="$SVCNFT_ROOT/doc/svcnft.8"
comp="$SVCNFT_ROOT/contrib/bash-completion/svcnft"

if command -v groff >/dev/null 2>&1; then
	t_check "svcnft.8 formats without a groff warning" \
		sh -c "groff -man -Tutf8 -ww -z '$page' 2>&1 | tee /dev/stderr | grep -q . && exit 1; exit 0"
	groff -man -Tutf8 -P-cbou "$page" 2>/dev/null >"$E2E_WORKDIR/page.txt"
else
	skip "svcnft.8 formats without a groff warning" "groff not installed"
	sed 's/\\-/-/g' "$page" >"$E2E_WORKDIR/page.txt"
fi

for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES EXAMPLES; do
	assert_grep "svcnft.8 has a $section section" "^$section" "$E2E_WORKDIR/page.txt"
done
for c in $(svcnft_commands); do
	assert_grep "svcnft.8 describes the command $c" "^ +svcnft $c|^ {7}$c\$" "$E2E_WORKDIR/page.txt"
	assert_grep "the completion offers the command $c" "commands=\".*\\b$c\\b" "$comp"
done
for o in $(svcnft_long_options); do
	assert_grep "svcnft.8 documents --$o" "^ +(-[a-z], )?--$o\\b" "$E2E_WORKDIR/page.txt"
	assert_grep "the completion offers --$o" "(^|[ \"])--$o( |\"|\$|\\))" "$comp"
done
for s in 0 1 2 3 4; do
	assert_grep "svcnft.8 documents exit status $s" "^ {7}$s( +[A-Z]|$)" "$E2E_WORKDIR/page.txt"
done
assert_grep "svcnft help names exit status 4" '4 the lock' "$(
	"$SVCNFT" help >"$E2E_WORKDIR/help"; echo "$E2E_WORKDIR/help")"

# The completion itself, in bash.
if command -v bash >/dev/null 2>&1; then
	complete_words() {
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _svcnft;
			echo "${COMPREPLY[*]}"' _ "$comp" "$@"
	}
	assert_eq "svcnft ex<TAB> completes expose and explain" "expose explain" "$(complete_words svcnft ex)"
	assert_eq "explain --li<TAB>" "--live" "$(complete_words svcnft explain --li)"
	assert_eq "watch --he<TAB>, --help once" "--healthz-bind-address --help" \
		"$(complete_words svcnft watch --he)"
	assert_eq "apply --lock<TAB>" "--lock-file --lock-timeout" "$(complete_words svcnft apply --lock)"
	assert_eq "dump -o <TAB>" "text json" "$(complete_words svcnft dump -o '')"
	assert_eq "expose <TAB>" "pod service" "$(complete_words svcnft expose '')"
	assert_eq "expose pod x --type N<TAB>" "NodePort" "$(complete_words svcnft expose pod x --type N)"
else
	skip "bash completion" "bash not installed"
fi
t_done
