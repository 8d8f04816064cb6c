# SPDX-License-Identifier: Apache-2.0
# System monitor: BPF skeletons, process tree, container discovery, events.
bw_bpf_skeleton(TARGET monitor_skel SOURCE ${CMAKE_SOURCE_DIR}/bpf/monitor.bpf.c)
bw_bpf_skeleton(TARGET monitor_net_skel SOURCE ${CMAKE_SOURCE_DIR}/bpf/monitor_net.bpf.c)
target_link_libraries(agent_core PUBLIC monitor_skel monitor_net_skel bw_proto PkgConfig::LIBEVENT)
bw_unit_test(proctree_test SOURCES proctree_test.c LIBS agent_core)
bw_unit_test(containers_test SOURCES containers_test.c LIBS agent_core PkgConfig::LIBEVENT)
bw_unit_test(events_test SOURCES events_test.c LIBS agent_core)
