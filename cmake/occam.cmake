# Helpers shared by the module CMakeLists files.

# occam_module(NAME SOURCES ... [DEPS ...] [TORCH])
#   A static library occam_NAME from src/occam/NAME. TORCH marks modules that link libtorch; they are skipped
#   when OCCAM_WITH_TORCH is off (sanitizer builds), so torch-free modules stay torch-free.
function(occam_module name)
  cmake_parse_arguments(M "TORCH" "" "SOURCES;DEPS" ${ARGN})
  if(M_TORCH AND NOT OCCAM_WITH_TORCH)
    return()
  endif()
  add_library(occam_${name} STATIC ${M_SOURCES})
  target_include_directories(occam_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(occam_${name} PUBLIC ${M_DEPS})
  if(M_TORCH)
    target_link_libraries(occam_${name} PUBLIC ${TORCH_LIBRARIES})
  endif()
endfunction()

# occam_test(NAME SOURCES ... DEPS ... [INCLUDES dirs...] [LABELS ...] [TORCH])  — one GoogleTest executable
# registered with ctest. TORCH tests are skipped in torch-free (sanitizer) builds.
function(occam_test name)
  cmake_parse_arguments(T "TORCH" "" "SOURCES;DEPS;LABELS;INCLUDES" ${ARGN})
  if(T_TORCH AND NOT OCCAM_WITH_TORCH)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  if(T_INCLUDES)
    target_include_directories(${name} PRIVATE ${T_INCLUDES})
  endif()
  target_compile_definitions(${name} PRIVATE OCCAM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             OCCAM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()

# occam_module_enabled(NAME OUT): whether module NAME is part of this build (OCCAM_MODULES filter).
function(occam_module_enabled name out)
  # The CLI tests drive every subcommand, so they belong to full builds (or name "cli" in the list).
  if(OCCAM_MODULES STREQUAL "" OR name IN_LIST OCCAM_MODULES)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()
