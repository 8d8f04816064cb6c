# SPDX-License-Identifier: Apache-2.0
# BPF-LSM enforcer: skeleton, map translation tests, matching tests.
bw_bpf_skeleton(TARGET bw_enforcer_skel SOURCE ${CMAKE_SOURCE_DIR}/bpf/enforcer.bpf.c)
target_link_libraries(agent_core PUBLIC bw_enforcer_skel)

# The backend alone (also inside agent_core through the glob): what the tests,
# the VM driver and the benchmarks link, so they build whatever state the
# rest of the agent is in.
add_library(bw_enf_bpflsm STATIC ${CMAKE_CURRENT_SOURCE_DIR}/enforce_maps.c
            ${CMAKE_CURRENT_SOURCE_DIR}/enforce_bpflsm.c)
target_include_directories(bw_enf_bpflsm PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(bw_enf_bpflsm PUBLIC bw_enf_util bw_enforcer_skel bw_common bw_proto PkgConfig::LIBBPF
                      PkgConfig::LIBEVENT)

# Test-side CompiledPolicy construction (shared with the VM harness and bench).
add_library(bw_testpol STATIC ${CMAKE_SOURCE_DIR}/tests/vm/pol.c)
target_include_directories(bw_testpol PUBLIC ${CMAKE_SOURCE_DIR}/tests/vm)
target_link_libraries(bw_testpol PUBLIC bw_enf_bpflsm)

bw_unit_test(enforce_maps_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/enforce_maps_test.c
             LIBS bw_testpol)
bw_unit_test(enforce_match_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/enforce_match_test.c
             LIBS bw_testpol)
