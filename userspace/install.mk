# SPDX-License-Identifier: GPL-2.0
#
# userspace/install.mk - `make install` for the programs, libvmshield and
# what goes with them (included by userspace/Makefile; the top Makefile's
# install adds the module's DKMS source, units, man pages, completion and
# the selftests). Every directory can be set, and DESTDIR is prepended to
# all of them (a staged install: debian/rules, scripts/install-test.sh):
#
#   PREFIX /usr, BINDIR PREFIX/bin, SBINDIR PREFIX/sbin, LIBDIR
#   PREFIX/lib/<multiarch>, LIBEXECDIR PREFIX/libexec, INCLUDEDIR
#   PREFIX/include, SYSCONFDIR /etc, MANDIR PREFIX/share/man,
#   UNITDIR /lib/systemd/system (Debian 12's place for packaged units)
#
# libvmshield's documented link line is `pkg-config --cflags --libs
# libvmshield` (Documentation/libvmshield.md); its headers go under
# INCLUDEDIR/vmshield/ with the UAPI header as linux/vmshield.h there, so
# they never clash with linux-libc-dev.

PREFIX		?= /usr
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
LIBDIR		?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
LIBEXECDIR	?= $(PREFIX)/libexec
INCLUDEDIR	?= $(PREFIX)/include
SYSCONFDIR	?= /etc
MANDIR		?= $(PREFIX)/share/man
UNITDIR		?= /lib/systemd/system
DESTDIR		?=
INSTALL		?= install

D_HEADERS	:= lib/device/vmshield.h lib/device/vms_agent_client.h lib/device/vms_errmsg.h

.PHONY: install install-bin install-lib install-hook

install: install-bin install-lib install-hook

install-bin: $(SHIELDCTL) $(HGSD) $(AGENT) $(WORKER) $(ENCLAVED)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 0755 $(SHIELDCTL) $(DESTDIR)$(BINDIR)/shieldctl
	$(INSTALL) -m 0755 $(HGSD) $(AGENT) $(WORKER) $(ENCLAVED) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/vmshield
	$(INSTALL) -m 0644 agent/hgs-agent.conf.example $(DESTDIR)$(SYSCONFDIR)/vmshield/hgs-agent.conf

install-lib: $(DEVICE_SO)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/vmshield/linux
	$(INSTALL) -m 0644 $(DEVICE_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(DEVICE_SO)) $(DESTDIR)$(LIBDIR)/$(DEVICE_SO_NAME)
	ln -sf $(DEVICE_SO_NAME) $(DESTDIR)$(LIBDIR)/libvmshield.so
	$(INSTALL) -m 0644 $(D_HEADERS) $(DESTDIR)$(INCLUDEDIR)/vmshield/
	$(INSTALL) -m 0644 $(TOP)/include/uapi/linux/vmshield.h \
		$(DESTDIR)$(INCLUDEDIR)/vmshield/linux/
	sed -e 's#@PREFIX@#$(PREFIX)#' -e 's#@LIBDIR@#$(LIBDIR)#' \
	    -e 's#@INCLUDEDIR@#$(INCLUDEDIR)#' -e 's#@VERSION@#$(VMS_VERSION)#' \
		lib/device/libvmshield.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libvmshield.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/libvmshield.pc

# libvirt runs every executable in /etc/libvirt/hooks/qemu.d/ (libvirt
# 6.5 and later) as it runs /etc/libvirt/hooks/qemu, so the hook needs no
# file another hook may own; it finds the worker where it was installed.
install-hook: worker/libvirt-hook.py worker/vmshield-migrate.py
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d
	sed 's#"/usr/libexec/vmshield-worker"#"$(SBINDIR)/vmshield-worker"#' $< \
		> $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/vmshield
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/vmshield
	grep -q '"$(SBINDIR)/vmshield-worker"' $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu.d/vmshield
	$(INSTALL) -d $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 0755 worker/vmshield-migrate.py $(DESTDIR)$(SBINDIR)/vmshield-migrate
