# SPDX-License-Identifier: Apache-2.0
# Syscall monitor (matchSyscalls as audit alerts): skeleton, module, tests.
bw_bpf_skeleton(TARGET bw_syscall_audit_skel SOURCE ${CMAKE_SOURCE_DIR}/bpf/syscall_audit.bpf.c)
target_link_libraries(agent_core PUBLIC bw_syscall_audit_skel)

# The module alone (also inside agent_core through the glob), for its tests.
add_library(bw_syscall_audit STATIC ${CMAKE_CURRENT_SOURCE_DIR}/syscall_audit.c)
target_include_directories(bw_syscall_audit PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}
                           ${CMAKE_SOURCE_DIR}/bpf)
target_link_libraries(bw_syscall_audit PUBLIC bw_enf_util bw_syscall_audit_skel bw_common bw_proto
                      PkgConfig::LIBBPF PkgConfig::LIBEVENT)

bw_unit_test(syscall_audit_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/syscall_audit_test.c
             LIBS bw_syscall_audit bw_testpol)

# bench/syscall-audit.sh (the source is outside agent/: agent_core globs agent/*.c)
add_executable(bw-syscall-audit-bench ${CMAKE_SOURCE_DIR}/tests/vm/sys_audit_bench.c)
target_link_libraries(bw-syscall-audit-bench PRIVATE bw_syscall_audit bw_testpol)
