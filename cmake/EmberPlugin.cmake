# ember_add_plugin(<target> SOURCES ... [LIBRARIES ...])
# A plugin is a shared object in lib/ember/plugins that links only the SDK
# and exports only its Boost.DLL aliases (ember_plugin_exports.map).
set(EMBER_PLUGIN_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/ember_plugin_exports.map)
function(ember_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ember_sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${EMBER_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${EMBER_PLUGIN_EXPORTS_MAP})
  target_link_options(${target} PRIVATE -Wl,--version-script=${EMBER_PLUGIN_EXPORTS_MAP})
  install(TARGETS ${target} LIBRARY DESTINATION ${EMBER_PLUGIN_INSTALL_DIR})
endfunction()
