# SPDX-License-Identifier: Apache-2.0
# Helpers shared by every directory.

# bw_unit_test(NAME SOURCES a.c b.c LIBS x y [LABELS l] [TIMEOUT s])
# A cmocka test binary in build/tests/, registered with ctest.
function(bw_unit_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  # A test that skips exits 77 (and says why on stderr).
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                       SKIP_RETURN_CODE 77)
endfunction()

# bw_script_test(NAME SCRIPT path [LABELS l] [TIMEOUT s])
# A shell test run with the build and source dirs in the environment.
function(bw_script_test name)
  cmake_parse_arguments(T "" "SCRIPT;TIMEOUT" "LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND bash ${T_SCRIPT})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS integration)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                       SKIP_RETURN_CODE 77
                       ENVIRONMENT "BW_BUILD=${CMAKE_BINARY_DIR};BW_SRC=${CMAKE_SOURCE_DIR}")
endfunction()

# bw_bpf_skeleton(TARGET name SOURCE x.bpf.c)
# Compiles a CO-RE BPF object with clang -target bpf and generates
# <name>.skel.h with bpftool; TARGET is an INTERFACE library whose include
# directory holds the skeleton.
find_program(BW_CLANG NAMES clang clang-14 REQUIRED)
find_program(BW_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
set(BW_BPF_INCLUDE ${CMAKE_SOURCE_DIR}/bpf/include)
set(BW_BPF_OUT ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BW_BPF_OUT})
function(bw_bpf_skeleton)
  cmake_parse_arguments(B "" "TARGET;SOURCE" "DEPENDS" ${ARGN})
  get_filename_component(stem ${B_SOURCE} NAME)
  string(REPLACE ".bpf.c" "" stem ${stem})
  get_filename_component(src ${B_SOURCE} ABSOLUTE)
  get_filename_component(srcdir ${src} DIRECTORY)
  set(obj ${BW_BPF_OUT}/${stem}.bpf.o)
  set(skel ${BW_BPF_OUT}/${stem}.skel.h)
  file(GLOB bpf_headers ${BW_BPF_INCLUDE}/*.h ${srcdir}/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BW_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -Wno-unused-function -Wno-compare-distinct-pointer-types
            -I${BW_BPF_INCLUDE} -I${srcdir} -I/usr/include/x86_64-linux-gnu
            -c ${src} -o ${obj}
    DEPENDS ${src} ${bpf_headers} ${B_DEPENDS}
    COMMENT "BPF ${stem}.bpf.c" VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BW_BPFTOOL} gen skeleton ${obj} name ${stem} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${stem}.skel.h" VERBATIM)
  add_custom_target(${B_TARGET}_gen DEPENDS ${skel})
  add_library(${B_TARGET} INTERFACE)
  add_dependencies(${B_TARGET} ${B_TARGET}_gen)
  target_include_directories(${B_TARGET} INTERFACE ${BW_BPF_OUT} ${BW_BPF_INCLUDE})
endfunction()
