# ember_add_plugin(<target> SOURCES ... [LIBRARIES ...] [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
# A plugin is a shared object that links only the SDK (Ember::sdk) and exports
# only its Boost.DLL aliases (ember_plugin_exports.map, installed beside this
# file). It is built into OUTPUT_DIRECTORY (default: EMBER_PLUGIN_OUTPUT_DIR,
# else <build>/plugins) and installed into EMBER_PLUGIN_INSTALL_DIR (default
# lib/ember/plugins) unless NO_INSTALL (test plugins). The same function
# builds ember's own plugins and, from an installed SDK
# (find_package(EmberSDK)), anyone else's.
set(EMBER_PLUGIN_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/ember_plugin_exports.map)
if(NOT DEFINED EMBER_PLUGIN_INSTALL_DIR)
  set(EMBER_PLUGIN_INSTALL_DIR lib/ember/plugins)
endif()

function(ember_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(ARG_OUTPUT_DIRECTORY)
    set(output ${ARG_OUTPUT_DIRECTORY})
  elseif(EMBER_PLUGIN_OUTPUT_DIR)
    set(output ${EMBER_PLUGIN_OUTPUT_DIR})
  else()
    set(output ${CMAKE_BINARY_DIR}/plugins)
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Ember::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${output}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${EMBER_PLUGIN_EXPORTS_MAP})
  target_link_options(${target} PRIVATE -Wl,--version-script=${EMBER_PLUGIN_EXPORTS_MAP})
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${EMBER_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
