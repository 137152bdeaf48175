# The web UI's files, embedded into ember (core/ui/CMakeLists.txt includes
# this): web/index.html, web/style.css, web/src/*.js and uPlot from npm
# (web/node_modules, installed by scripts/install-deps.sh with `npm ci`).
# Without web/node_modules the UI is left out, saying so: ember builds, and
# `ember ui` serves the JSON API with a page saying how to get the UI.
option(EMBER_WITH_UI "Embed the web UI (needs web/node_modules: npm ci in web/)" ON)

set(web_dir ${PROJECT_SOURCE_DIR}/web)
set(uplot_dir ${web_dir}/node_modules/uplot/dist)
set(manifest_lines "")
set(web_files "")
if(EMBER_WITH_UI AND NOT EXISTS ${uplot_dir}/uPlot.esm.js)
  message(WARNING "web/node_modules/uplot is missing: building ember without its web UI "
                  "(`ember ui` serves the API only). Run scripts/install-deps.sh (npm ci in "
                  "web/) and configure again, or pass -DEMBER_WITH_UI=OFF to silence this.")
  set(EMBER_UI_EMBEDDED OFF)
elseif(EMBER_WITH_UI)
  set(EMBER_UI_EMBEDDED ON)
  file(GLOB web_sources RELATIVE ${web_dir} CONFIGURE_DEPENDS
       ${web_dir}/index.html ${web_dir}/*.css ${web_dir}/src/*.js)
  foreach(file IN LISTS web_sources)
    list(APPEND web_entries "/${file}|${web_dir}/${file}")
  endforeach()
  list(APPEND web_entries "/vendor/uPlot.esm.js|${uplot_dir}/uPlot.esm.js"
                          "/vendor/uPlot.min.css|${uplot_dir}/uPlot.min.css")
  foreach(entry IN LISTS web_entries)
    string(APPEND manifest_lines "${entry}\n")
    string(REPLACE "|" ";" fields "${entry}")
    list(GET fields 1 path)
    list(APPEND web_files ${path})
  endforeach()
else()
  set(EMBER_UI_EMBEDDED OFF)
endif()

set(ui_manifest ${CMAKE_CURRENT_BINARY_DIR}/ui_assets.manifest)
file(CONFIGURE OUTPUT ${ui_manifest} CONTENT "${manifest_lines}")
set(EMBER_UI_ASSETS_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/ui_assets_data.cpp)
add_custom_command(
  OUTPUT ${EMBER_UI_ASSETS_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DMANIFEST=${ui_manifest} -DOUTPUT=${EMBER_UI_ASSETS_SOURCE}
          -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
  DEPENDS ${ui_manifest} ${web_files} ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
  COMMENT "Embedding the web UI (${CMAKE_CURRENT_BINARY_DIR}/ui_assets_data.cpp)")
