# ember_add_bpf_object(<name> <source.bpf.c> [<extra dependencies>...])
# Compiles a CO-RE BPF program with clang -target bpf and generates its libbpf
# skeleton (struct <name>_bpf). Defines the interface target <name>_skel whose
# include directory holds <name>.skel.h. The program may include "vmlinux.h"
# (generated once per build from the running kernel's BTF, or from
# EMBER_KERNEL_BTF) and the SDK's BPF headers ("ember/bpf/...", found in
# EMBER_SDK_INCLUDE_DIR). Works in ember's tree and from an installed SDK.

find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
find_program(BPF_CLANG clang REQUIRED)
find_program(LLVM_STRIP NAMES llvm-strip llvm-strip-14 REQUIRED)
if(NOT TARGET PkgConfig::LIBBPF)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
endif()
if(NOT TARGET PkgConfig::LIBELF)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)
endif()

set(EMBER_BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
set(EMBER_VMLINUX_H ${EMBER_BPF_GEN_DIR}/vmlinux/vmlinux.h)
set(EMBER_KERNEL_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")

if(NOT TARGET ember_vmlinux_h)
  add_custom_command(
    OUTPUT ${EMBER_VMLINUX_H}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${EMBER_BPF_GEN_DIR}/vmlinux
    COMMAND ${BPFTOOL} btf dump file ${EMBER_KERNEL_BTF} format c > ${EMBER_VMLINUX_H}
    COMMENT "Generating vmlinux.h from ${EMBER_KERNEL_BTF}"
    VERBATIM)
  add_custom_target(ember_vmlinux_h DEPENDS ${EMBER_VMLINUX_H})
endif()

function(ember_add_bpf_object name source)
  if(NOT EMBER_SDK_INCLUDE_DIR)
    message(FATAL_ERROR "ember_add_bpf_object: EMBER_SDK_INCLUDE_DIR is not set "
                        "(use find_package(EmberSDK) to get it)")
  endif()
  set(obj ${EMBER_BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${EMBER_BPF_GEN_DIR}/${name}.skel.h)
  get_filename_component(abs_source ${source} ABSOLUTE)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -I${EMBER_BPF_GEN_DIR}/vmlinux -I${EMBER_SDK_INCLUDE_DIR}
            -c ${abs_source} -o ${obj}
    # DWARF is not needed at load time (BTF is kept); it only bloats the skeleton.
    COMMAND ${LLVM_STRIP} -g ${obj}
    DEPENDS ${abs_source} ${ARGN}
            ${EMBER_SDK_INCLUDE_DIR}/ember/bpf/sample.h
            ${EMBER_SDK_INCLUDE_DIR}/ember/bpf/shared_maps.bpf.h
    IMPLICIT_DEPENDS C ${abs_source}
    COMMENT "BPF ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  # vmlinux.h is made in the directory that included this file: depend on its
  # target, not its file.
  add_dependencies(${name}_skel_gen ember_vmlinux_h)
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${EMBER_BPF_GEN_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF)
endfunction()
