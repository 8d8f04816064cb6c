# SPDX-License-Identifier: Apache-2.0
# Enforcer selection, AppArmor backend, cgroup-BPF fallback: skeleton + tests.
bw_bpf_skeleton(TARGET bw_cgroup_net_skel SOURCE ${CMAKE_SOURCE_DIR}/bpf/cgroup_net.bpf.c)
target_link_libraries(agent_core PUBLIC bw_cgroup_net_skel)
target_include_directories(agent_core PUBLIC ${CMAKE_SOURCE_DIR}/bpf)

# Selection + the AppArmor and cgroup backends alone (also inside agent_core
# through the glob): what the enforcer tests, the VM scenarios and
# bulwarkctl probe link, whatever state the rest of the agent is in.
add_library(bw_enforcers STATIC
            ${CMAKE_CURRENT_SOURCE_DIR}/probe.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforcer.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor_gen.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor_log.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor_src.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_cgroup.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_cgroup_addr.c)
target_include_directories(bw_enforcers PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/bpf)
target_link_libraries(bw_enforcers PUBLIC bw_enf_util bw_cgroup_net_skel bw_common bw_proto PkgConfig::LIBBPF
                      PkgConfig::LIBEVENT)
if(TARGET bw_enf_bpflsm)
  target_link_libraries(bw_enforcers PUBLIC bw_enf_bpflsm)
endif()

# Compact text form of a CompiledPolicy for enforcer tests and VM scenarios.
add_library(bw_enf_testpolicy STATIC ${CMAKE_SOURCE_DIR}/tests/enforcer/bw_testpolicy.c)
target_include_directories(bw_enf_testpolicy PUBLIC ${CMAKE_SOURCE_DIR}/tests/enforcer)
target_link_libraries(bw_enf_testpolicy PUBLIC bw_enforcers)

bw_unit_test(enforce_apparmor_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor_test.c
             LIBS bw_enf_testpolicy)
bw_unit_test(enforce_cgroup_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/enforce_cgroup_test.c
             LIBS bw_enf_testpolicy)
bw_unit_test(enforce_apparmor_src_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/enforce_apparmor_src_test.c
             LIBS bw_enf_testpolicy)
