# SPDX-License-Identifier: GPL-2.0
#
# vmshield top-level Makefile.
#
#   make deps          install what is missing (apt-get; idempotent)
#   make, make all     build vmshield.ko, userspace and the selftests
#   make module        vmshield.ko alone (KVER); make userspace, make selftests
#   make module-alt    vmshield.ko for the second kernel (KVER_ALT), in build/kmod/
#   make check         deps, the build, then the tiers in two lanes: check-rig
#                      and check-fabric in one, check-unit, check-hgs,
#                      check-san, check-static, hgsd's PostgreSQL suites and
#                      DKMS beside them;
#                      a summary with each tier's time and the total (budget
#                      15 min on 2 cores, no KVM)
#   make check-unit    unit tests, systemd units, docs, jfield
#                      (under a minute once built)
#   make check-hgs     hgsd's end-to-end suites (a real hgsd over HTTPS) on
#                      SQLite
#   make check-san     ASan+UBSan build: unit and hgsd tests, the fuzz corpus
#                      replayed, fuzzing (40 s of wall time shared by all
#                      harnesses)
#   make check-static  checkpatch on every file, make install and the man
#                      pages, the module's W=1 builds (both kernels), sparse
#   make check-rig     DKMS (both kernels), the rig's verdict tests, the
#                      module tests in the rig (both kernels), placement
#                      hypervisor
#   make check-rig-self  all the rig's own tests (run it when selftests/vm changes)
#   make check-fabric  fabric end to end, worker tests, crash tests (3 rounds,
#                      each crashing the worker and vmshield-worker serve),
#                      hgsd's suites on PostgreSQL
#   make soak          all the rig's own tests, crash tests with 50 rounds
#                      each, 10 million fuzz executions per harness,
#                      1000000 module ioctl fuzzer calls in the rig, the
#                      live-migration rig in placements kernel and hypervisor
#   make demo          boot a guarded host and show what the module reports
#   make bench         benchmarks (ratios against baselines run alongside)
#   make fuzz          build the libFuzzer harnesses (scripts/fuzz.sh runs them)
#   make style         checkpatch.pl (the gate make check applies)
#   make style-strict  and checkpatch's --strict advice on the kernel code
#   make sparse        the module under sparse (C=2)
#   make install       install the programs, libvmshield, units, man pages,
#                      completion and selftests (DESTDIR, PREFIX, BINDIR,
#                      SBINDIR, LIBDIR, LIBEXECDIR, SYSCONFDIR, MANDIR,
#                      UNITDIR; CFLAGS, CPPFLAGS, LDFLAGS are appended)
#   make install-dkms  the module's sources for DKMS, PREFIX/src/vmshield-VER
#   make man           the man pages (man/*.scd, scdoc) into build/man/
#   make deb           the Debian packages into build/deb/ (dpkg-buildpackage)
#   make check-pkg     packaging: make deb, apt-get install, DKMS, the installed
#                      programs and selftests, apt-get purge (not in make check)
#   make clean         remove every build output; make help: this text
#
# The module is built with Kbuild (file Kbuild) against KDIR, the headers of
# KVER, which need not be the running kernel. Two kernels are supported, and
# scripts/kernels.sh picks them from what is installed: KVER, the main one
# (make, make demo, the rig, the fabric tests), is the newest Debian 12 6.1;
# KVER_ALT, the second one, the newest 6.12 (linux-image-6.12-amd64), is
# built and tested only explicitly (make module-alt; make check's kbuild,
# dkms and rig-kmod-alt suites). Either can be set on the command line.

REPO := $(CURDIR)
BUILD := $(REPO)/build
KVER ?= $(shell $(REPO)/scripts/kernels.sh --headers main)
KVER_ALT ?= $(shell $(REPO)/scripts/kernels.sh --headers alt)
KDIR ?= /lib/modules/$(KVER)/build
LINUX_SRC_TAR ?= $(firstword $(wildcard /usr/src/linux-source-6.1.tar.xz))
KSFT_DIR := $(BUILD)/kselftest
CHECKPATCH := $(BUILD)/linux-tools/scripts/checkpatch.pl

.PHONY: all deps module module-alt userspace selftests check check-unit check-hgs \
	check-san check-static check-rig check-rig-self check-fabric soak demo bench fuzz style \
	style-strict sparse clean help install install-dkms deb check-pkg man

all: module userspace selftests

# help: the header above (its lines indented by three spaces)
help:
	@sed -n '3p' Makefile | sed 's/^# //'
	@sed -n 's/^#   /  /p' Makefile

deps:
	@$(REPO)/scripts/install-deps.sh

module:
	@test -n "$(KVER)" || { echo "no Debian 12 6.1 kernel headers under /lib/modules: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(REPO) W=1 modules

# In a copy of the sources (build/kmod/KVER_ALT/): objects of two kernels
# never mix in the tree. Fails on any compiler warning.
module-alt:
	@test -n "$(KVER_ALT)" || { echo "no 6.12 kernel headers under /lib/modules: run 'make deps'" >&2; exit 1; }
	@$(REPO)/scripts/kmod-build.sh $(KVER_ALT)

userspace:
	$(MAKE) -C userspace all

# kselftest_harness.h is taken at build time from Debian's linux-source-6.1
# tarball, never copied into the tree; kselftest.h must come from the same tree.
# checkpatch.pl and its data files come from it too. One tar for all five
# (grouped targets): each pass decompresses the whole tarball, about 10
# CPU-seconds, and the two rules of before paid it twice in a fresh build.
LINUX_TMP := $(BUILD)/linux-source.tmp
$(KSFT_DIR)/kselftest_harness.h $(CHECKPATCH) &:
	@test -n "$(LINUX_SRC_TAR)" || { echo "linux-source-6.1 missing: run 'make deps'" >&2; exit 1; }
	@rm -rf $(LINUX_TMP); mkdir -p $(LINUX_TMP) $(KSFT_DIR) $(BUILD)/linux-tools/scripts
	tar -xJf $(LINUX_SRC_TAR) -C $(LINUX_TMP) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	@mv $(LINUX_TMP)/tools/testing/selftests/kselftest_harness.h \
		$(LINUX_TMP)/tools/testing/selftests/kselftest.h $(KSFT_DIR)/
	@mv $(LINUX_TMP)/scripts/checkpatch.pl $(LINUX_TMP)/scripts/spelling.txt \
		$(LINUX_TMP)/scripts/const_structs.checkpatch $(BUILD)/linux-tools/scripts/
	@rm -rf $(LINUX_TMP)
	@touch $(KSFT_DIR)/kselftest_harness.h $(CHECKPATCH)

selftests: userspace $(KSFT_DIR)/kselftest_harness.h
	$(MAKE) -C selftests/kmod BUILD=$(BUILD) KSFT_DIR=$(KSFT_DIR)
	$(MAKE) -C selftests/fabric BUILD=$(BUILD)
	$(MAKE) -C selftests/worker BUILD=$(BUILD)

# The test tiers (Documentation/testing.md, "Test tiers"): each builds
# what it runs, then scripts/check.sh runs its suites with TAP into
# build/tap/ and ends with "check-TIER: N passed, N failed, N skipped in
# T s". The builds use every CPU (BUILD_JOBS).
BUILD_JOBS ?= $(shell nproc)
PMAKE := $(MAKE) --no-print-directory -j$(BUILD_JOBS)

check-unit:
	@$(PMAKE) userspace
	@$(MAKE) -s -C selftests/fabric BUILD=$(BUILD) jfield
	@$(REPO)/scripts/check.sh unit

check-hgs:
	@$(PMAKE) userspace
	@$(REPO)/scripts/check.sh hgs

check-static: $(CHECKPATCH)
	@$(PMAKE) module userspace
	@$(REPO)/scripts/check.sh static

check-san:
	@$(PMAKE) fuzz
	@$(PMAKE) -C userspace SAN=1 check-build
	@$(REPO)/scripts/check.sh san

check-rig:
	@$(PMAKE) all
	@$(REPO)/scripts/check.sh rig

check-fabric:
	@$(PMAKE) all
	@$(REPO)/scripts/check.sh fabric

check-rig-self:
	@$(PMAKE) all
	@$(REPO)/scripts/check.sh rig-self

soak:
	@$(PMAKE) all fuzz
	@$(REPO)/scripts/check.sh soak

# deps first, then a fresh make: KVER and the tarball path are found at
# parse time, and on a fresh machine they only exist after `make deps`.
# The summary counts the build in the total (VMS_CHECK_START). Two lanes
# (scripts/check.sh --lanes): the guest tiers start as soon as `all` is
# built; the host tiers build the fuzzers and the sanitized tree first.
check: deps
	@export VMS_CHECK_START=$$(date +%s); \
	$(PMAKE) all $(CHECKPATCH) && \
	$(REPO)/scripts/check.sh --lanes unit san static rig fabric

bench: deps
	@$(MAKE) --no-print-directory all
	@$(REPO)/scripts/bench.sh

# After userspace: both build the libraries, and two makes writing one
# archive at once (make -j all fuzz) race (ld: cannot find libvms-util.a).
fuzz: userspace
	$(MAKE) -C userspace fuzz

demo: deps
	@$(MAKE) --no-print-directory all
	@$(REPO)/scripts/demo.sh

# Userspace directories already in kernel style and the checkpatch types
# userspace may use (Documentation/testing.md); scripts/static-check.sh
# checks the same list.
USTYLE_DIRS := userspace/examples userspace/worker userspace/enclave userspace/fuzz userspace/agent \
	userspace/hgsd userspace/shieldctl $(wildcard userspace/lib/*) userspace/bench \
	userspace/tests selftests/kmod selftests/fabric selftests/worker
USTYLE_IGNORE := VOLATILE,AVOID_EXTERNS

# style: the gate make check applies (no ERROR, no WARNING); style-strict
# adds checkpatch's CHECK-level advice on the kernel code, which is not a
# gate (core/ is shared with userspace and keeps uint8_t and RFC 9180's
# names such as skR).
style: $(CHECKPATCH)
	$(CHECKPATCH) --no-tree --show-types \
		-f kmod/*.c kmod/*.h core/*.c core/*.h include/uapi/linux/vmshield.h
	$(CHECKPATCH) --no-tree --show-types --ignore $(USTYLE_IGNORE) \
		--typedefsfile scripts/checkpatch-typedefs -f $(wildcard $(addsuffix /*.c,$(USTYLE_DIRS)) \
		$(addsuffix /*.h,$(USTYLE_DIRS)))

style-strict: $(CHECKPATCH)
	-$(CHECKPATCH) --no-tree --strict --show-types \
		-f kmod/*.c kmod/*.h core/*.c core/*.h include/uapi/linux/vmshield.h

sparse:
	$(MAKE) -C $(KDIR) M=$(REPO) C=2 W=1 modules

# --- installing (Documentation/admin-guide.md, "Install") -------------------
# The directories are userspace/install.mk's; the programs, libvmshield
# and the libvirt hook are installed there, the rest here.
PREFIX		?= /usr
SBINDIR		?= $(PREFIX)/sbin
LIBEXECDIR	?= $(PREFIX)/libexec
DATADIR		?= $(PREFIX)/share
UNITDIR		?= /lib/systemd/system
DESTDIR		?=
VMS_VERSION	:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(REPO)/dkms.conf)
DKMS_SRC	:= $(PREFIX)/src/vmshield-$(VMS_VERSION)
SYSTEMD_FILES	:= userspace/hgsd/hgsd.service userspace/agent/hgs-agent.service
export PREFIX SBINDIR LIBEXECDIR UNITDIR DESTDIR

MANDIR		?= $(PREFIX)/share/man
MAN_SRCS	:= $(sort $(wildcard man/*.scd))
MAN_PAGES	:= $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
KSFT_INSTALL	:= $(LIBEXECDIR)/vmshield/selftests
KSFT_PROGS	:= $(shell grep -v '^\#' selftests/kmod/TESTS) seal_helper bench_seal preload_lib.so
COMPLETION_DIR	?= $(DATADIR)/bash-completion/completions

# man pages: one scdoc source per program and shieldctl family, in man/
man: $(MAN_PAGES)
# %EXIT_STATUS% in a page is the one exit status table, man/exit-status.scdi
$(BUILD)/man/%: man/%.scd man/exit-status.scdi
	@mkdir -p $(@D)
	sed -e '/^%EXIT_STATUS%$$/{r man/exit-status.scdi' -e 'd;}' $< | scdoc > $@.tmp && mv $@.tmp $@

install: userspace selftests man
	$(MAKE) -C userspace install
	for m in $(MAN_PAGES); do s=$${m##*.}; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m) || exit 1; done
	install -D -m 0644 completion/shieldctl $(DESTDIR)$(COMPLETION_DIR)/shieldctl
	for p in hgsd hgs-agent vmshield-worker vmshield-enclaved; do \
		ln -sf shieldctl $(DESTDIR)$(COMPLETION_DIR)/$$p || exit 1; done
	install -d $(DESTDIR)$(KSFT_INSTALL)
	install -m 0755 $(addprefix $(BUILD)/selftests/,$(KSFT_PROGS)) \
		selftests/kmod/run_kselftest.sh $(DESTDIR)$(KSFT_INSTALL)/
	install -m 0644 selftests/kmod/TESTS selftests/kmod/DESTRUCTIVE $(DESTDIR)$(KSFT_INSTALL)/
	echo $(VMS_VERSION) > $(DESTDIR)$(KSFT_INSTALL)/VERSION
	chmod 0644 $(DESTDIR)$(KSFT_INSTALL)/VERSION
	install -d $(DESTDIR)$(SBINDIR)
	ln -sf $(patsubst $(PREFIX)/%,../%,$(KSFT_INSTALL))/run_kselftest.sh \
		$(DESTDIR)$(SBINDIR)/vmshield-selftests
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	for u in $(SYSTEMD_FILES); do \
		sed 's#/usr/sbin/#$(SBINDIR)/#g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; done
	install -m 0644 userspace/hgsd/hgsd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/hgsd.conf
	install -m 0644 userspace/hgsd/hgsd.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/hgsd.conf
	install -m 0644 userspace/agent/hgs-agent.tmpfiles \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/hgs-agent.conf

# The files selftests/dkms/test.sh copies too: the module's sources, no
# build output.
install-dkms:
	install -d $(DESTDIR)$(DKMS_SRC)
	find Kbuild dkms.conf kmod core include -type f \( -name '*.[ch]' -o -name 'Kbuild*' \
		-o -name dkms.conf \) -print0 | \
		xargs -0 -r cp --parents -t $(DESTDIR)$(DKMS_SRC)
	test -s $(DESTDIR)$(DKMS_SRC)/dkms.conf && test -s $(DESTDIR)$(DKMS_SRC)/Kbuild

# The packages are built from a clean copy of the tree (the files git
# tracks, and new ones not ignored) in build/deb/src/, never from this
# tree's build/: no object built with other flags gets in. -b: binary
# packages only, unsigned. DEB_JOBS builds in parallel (default 2).
DEB_JOBS ?= 2
DEB_SRC := $(BUILD)/deb/src/vmshield-$(VMS_VERSION)
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null || \
		{ echo "dpkg-buildpackage or dh_dkms missing: run 'make deps'" >&2; exit 1; }
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="parallel=$(DEB_JOBS)" \
		dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/src/*.changes $(BUILD)/deb/src/*.buildinfo $(BUILD)/deb/
	@ls -1 $(BUILD)/deb/*.deb

check-pkg:
	@$(REPO)/scripts/check.sh pkg

clean:
	-$(MAKE) -C $(KDIR) M=$(REPO) clean 2>/dev/null
	-$(MAKE) -C userspace clean
	rm -rf $(BUILD)
