# SPDX-License-Identifier: Apache-2.0
# The agent daemon's wiring: the controller client and the relay shipper
# (built in controller/ and relay/, which CMake visits before agent/), and
# the agent's own tests.
foreach(pair "bw_ctlclient;controller" "bw_shipper;relay")
  list(GET pair 0 lib)
  list(GET pair 1 dir)
  if(TARGET ${lib})
    target_link_libraries(agent_core PUBLIC ${lib})
  else()
    # agent_core still compiles (other areas' tests link it); only
    # bulwark-agent cannot link until the library exists.
    message(WARNING "agent: ${lib} is not built yet; bulwark-agent will not link")
    target_include_directories(agent_core PRIVATE ${CMAKE_SOURCE_DIR}/${dir})
  endif()
endforeach()

bw_unit_test(agent_config_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_config_test.c
             LIBS agent_core)
# Real modules against a fake controller and relay (nng on loopback); root.
bw_unit_test(agent_wiring_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_wiring_test.c
             LIBS agent_core TIMEOUT 60 LABELS integration)
bw_unit_test(agent_audit_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_audit_test.c
             LIBS agent_core)
# --health: the status judgement, the file, and the command as probes run it.
bw_unit_test(agent_health_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_health_test.c
             LIBS agent_core)
add_dependencies(agent_health_test bulwark-agent)
set_tests_properties(agent_health_test PROPERTIES
                     ENVIRONMENT "BW_AGENT_BIN=$<TARGET_FILE:bulwark-agent>")
# A policy's labels and visibility reach events; the status file over an
# agent's life.  Real modules, a real cgroup; root.
bw_unit_test(agent_identity_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_identity_test.c
             LIBS agent_core TIMEOUT 60 LABELS integration)
