# SPDX-License-Identifier: GPL-2.0
#
# userspace/lib/libs.mk - the one place that says, for each userspace
# library, where its headers are (*_INC) and what a program that uses it
# links (*_LINK: the archive, then the libraries it depends on, in order).
# Included by userspace/Makefile and by the selftests' Makefiles; set
# VMS_TOP (the repository) and VMS_BUILD (the build directory) first.
#
# The libraries, bottom up (each folder's README says what is in it):
#
#   util       libvms-util.a     config, logging, file I/O, hex/base64  libc
#   device     libvmshield.a     the device API a VMM worker links,     util, keyutils, jansson
#                                with core/report.c (isolation report,
#                                names of GET_INFO's values)
#   crypto     libvms-crypto.a   the rest of core/ + its OpenSSL        util, OpenSSL
#                                primitives, keys
#   hgs        libvms-hgs.a      certificates, KPs, guardians, reasons,  crypto, libcurl, jansson
#                                report, evidence, the HTTPS client
#   tpmverify  libvms-tpmverify.a event log, IMA, quote, policy checks  hgs, tss2-mu, jansson
#   hosttpm    libvms-hosttpm.a  the host's TPM (ESAPI), TPM exchange   tpmverify, tss2-esys
#
# No library links what it does not use: a program's link line is the
# sum of the *_LINK of the libraries it calls, nothing global.

VMS_LIB		:= $(VMS_TOP)/userspace/lib
VMS_CORE	:= $(VMS_TOP)/core
PKG_CONFIG	?= pkg-config

vms_pc_cflags	= $(shell $(PKG_CONFIG) --cflags $(1))
vms_pc_libs	= $(shell $(PKG_CONFIG) --libs $(1))
# -isystem: the tss2 headers use deprecated types of their own
vms_pc_isystem	= $(patsubst -I%,-isystem %,$(call vms_pc_cflags,$(1)))

UAPI_INC	:= -I$(VMS_TOP)/include/uapi

# What every installed program is built with (scripts/install-test.sh
# checks the ELF files): stack protector and clash protection, CET's
# endbr64, fortified calls, full RELRO. dpkg-buildflags adds the same.
VMS_HARDEN_CFLAGS := -fstack-protector-strong -fstack-clash-protection \
		     -fcf-protection -D_FORTIFY_SOURCE=2
VMS_HARDEN_LDFLAGS := -Wl,-z,relro -Wl,-z,now

UTIL_A		:= $(VMS_BUILD)/lib/libvms-util.a
UTIL_INC	:= -I$(VMS_LIB)/util
UTIL_LINK	:= $(UTIL_A)

DEVICE_A	:= $(VMS_BUILD)/lib/libvmshield.a
DEVICE_INC	:= -I$(VMS_LIB)/device $(UAPI_INC) $(UTIL_INC) $(call vms_pc_cflags,jansson)
DEVICE_LINK	:= $(DEVICE_A) $(UTIL_LINK) -lkeyutils $(call vms_pc_libs,jansson)

CRYPTO_A	:= $(VMS_BUILD)/lib/libvms-crypto.a
CRYPTO_INC	:= -I$(VMS_LIB)/crypto -I$(VMS_CORE) $(UTIL_INC) $(call vms_pc_cflags,libcrypto)
CRYPTO_LINK	:= $(CRYPTO_A) $(UTIL_LINK) $(call vms_pc_libs,libcrypto) -lpthread

# The isolation report's format and name tables are core/report.c, which
# libvmshield carries (it needs no primitive): hgs links the device archive
# for it, and sees core/report.h through CRYPTO_INC.
HGS_A		:= $(VMS_BUILD)/lib/libvms-hgs.a
HGS_INC		:= -I$(VMS_LIB)/hgs -I$(VMS_LIB)/device $(UAPI_INC) $(CRYPTO_INC) \
		   $(call vms_pc_cflags,libcurl jansson)
HGS_LINK	:= $(HGS_A) $(DEVICE_A) $(CRYPTO_LINK) $(call vms_pc_libs,libcurl jansson)

# The TPM verifier answers in HGS's reason codes and isolation reports.
TPMV_A		:= $(VMS_BUILD)/lib/libvms-tpmverify.a
TPMV_INC	:= -I$(VMS_LIB)/tpmverify $(HGS_INC) \
		   $(call vms_pc_isystem,tss2-mu) $(call vms_pc_cflags,jansson)
TPMV_LINK	:= $(TPMV_A) $(HGS_LINK) $(call vms_pc_libs,tss2-mu jansson)

HOSTTPM_A	:= $(VMS_BUILD)/lib/libvms-hosttpm.a
HOSTTPM_INC	:= -I$(VMS_LIB)/hosttpm $(TPMV_INC) \
		   $(call vms_pc_isystem,tss2-esys tss2-tctildr tss2-mu tss2-rc)
HOSTTPM_LINK	:= $(HOSTTPM_A) $(TPMV_LINK) \
		   $(call vms_pc_libs,tss2-esys tss2-tctildr tss2-mu tss2-rc)

VMS_LIBS_A	:= $(UTIL_A) $(DEVICE_A) $(CRYPTO_A) $(TPMV_A) $(HGS_A) $(HOSTTPM_A)
