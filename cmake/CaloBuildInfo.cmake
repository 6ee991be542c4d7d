# Build information written into every output file and checkpoint.
execute_process(COMMAND git describe --always --dirty --tags
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE CALO3DGAN_GIT_REVISION
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT CALO3DGAN_GIT_REVISION)
  set(CALO3DGAN_GIT_REVISION "unknown")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/BuildInfo.hh.in ${PROJECT_BINARY_DIR}/generated/calo3dgan/BuildInfo.hh @ONLY)
