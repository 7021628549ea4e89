vtpm_standin.o: tests/vtpm_standin.c enclave/enclave.h \
 /work/wt-hyp2/userspace/lib/util/vms_compiler.h \
 /work/wt-hyp2/core/vms_port.h /work/wt-hyp2/core/enclave_proto.h \
 /work/wt-hyp2/core/vms_port.h /work/wt-hyp2/core/keyrelease.h \
 /work/wt-hyp2/core/vms_prim.h /work/wt-hyp2/core/sealedstate.h \
 /work/wt-hyp2/core/keyrelease.h /work/wt-hyp2/core/sealedstate.h \
 /work/wt-hyp2/core/challenge.h enclave/transport.h enclave/enclave.h \
 enclave/vtpm_mgr.h tests/vtpm_standin.h worker/vtpm_remote.h \
 /work/wt-hyp2/include/uapi/linux/vmshield.h worker/vtpm_ctrl.h \
 worker/ctrl_proto.h worker/persist.h \
 /work/wt-hyp2/userspace/lib/util/vms_cleanup.h
enclave/enclave.h:
/work/wt-hyp2/userspace/lib/util/vms_compiler.h:
/work/wt-hyp2/core/vms_port.h:
/work/wt-hyp2/core/enclave_proto.h:
/work/wt-hyp2/core/vms_port.h:
/work/wt-hyp2/core/keyrelease.h:
/work/wt-hyp2/core/vms_prim.h:
/work/wt-hyp2/core/sealedstate.h:
/work/wt-hyp2/core/keyrelease.h:
/work/wt-hyp2/core/sealedstate.h:
/work/wt-hyp2/core/challenge.h:
enclave/transport.h:
enclave/enclave.h:
enclave/vtpm_mgr.h:
tests/vtpm_standin.h:
worker/vtpm_remote.h:
/work/wt-hyp2/include/uapi/linux/vmshield.h:
worker/vtpm_ctrl.h:
worker/ctrl_proto.h:
worker/persist.h:
/work/wt-hyp2/userspace/lib/util/vms_cleanup.h:
