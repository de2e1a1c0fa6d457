# SPDX-License-Identifier: GPL-2.0-or-later
# make install / make uninstall, included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc]
#               [SYSTEMDUNITDIR=$(PREFIX)/lib/systemd/system]
#
# Installs svcnft into $(PREFIX)/sbin, svcnft(8), bash completion, the
# systemd units and /etc/default/svcnft (kept when it exists: it is the
# administrator's), and creates /etc/svcnft/manifests. uninstall removes
# the same files, the default file only when it is still as shipped.

SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

UNITS = svcnft.service svcnft.timer svcnft.path svcnft-watch.service

# The services name the installed binary and the environment file.
$(B)/units/%.service: contrib/systemd/%.service.in | $(B)/.dirs
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

$(B)/units/%: contrib/systemd/% | $(B)/.dirs
	@mkdir -p $(@D)
	cp $< $@

# Substituted paths change with PREFIX and SYSCONFDIR: always regenerate.
.PHONY: units-force
$(B)/units/svcnft.service $(B)/units/svcnft-watch.service: units-force

install: $(SVCNFT_BIN) $(UNITS:%=$(B)/units/%)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/default
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/svcnft/manifests
	$(INSTALL) -m 0755 $(SVCNFT_BIN) $(DESTDIR)$(SBINDIR)/svcnft
	$(INSTALL) -m 0644 doc/svcnft.8 $(DESTDIR)$(MANDIR)/man8/svcnft.8
	$(INSTALL) -m 0644 contrib/bash-completion/svcnft $(DESTDIR)$(BASHCOMPDIR)/svcnft
	$(INSTALL) -m 0644 $(UNITS:%=$(B)/units/%) $(DESTDIR)$(SYSTEMDUNITDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/svcnft ] || \
		$(INSTALL) -m 0644 contrib/systemd/svcnft.default $(DESTDIR)$(SYSCONFDIR)/default/svcnft

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/svcnft $(DESTDIR)$(MANDIR)/man8/svcnft.8 \
		$(DESTDIR)$(BASHCOMPDIR)/svcnft $(UNITS:%=$(DESTDIR)$(SYSTEMDUNITDIR)/%)
	! cmp -s contrib/systemd/svcnft.default $(DESTDIR)$(SYSCONFDIR)/default/svcnft || \
		rm -f $(DESTDIR)$(SYSCONFDIR)/default/svcnft
	rmdir $(DESTDIR)$(SYSCONFDIR)/svcnft/manifests $(DESTDIR)$(SYSCONFDIR)/svcnft 2>/dev/null || true

.PHONY: install uninstall
