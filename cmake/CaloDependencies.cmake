# Every dependency comes from Debian packages (scripts/setup.sh), or, for the
# CUDA build, from the libtorch inside a Python torch install (CMAKE_PREFIX_PATH).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C CXX)
# libdeflate compresses dataset chunks in parallel (zlib format, read by HDF5's gzip filter).
find_path(CALO_LIBDEFLATE_INCLUDE_DIR libdeflate.h REQUIRED)
find_library(CALO_LIBDEFLATE_LIBRARY NAMES deflate REQUIRED)
add_library(calo_libdeflate INTERFACE)
target_include_directories(calo_libdeflate SYSTEM INTERFACE ${CALO_LIBDEFLATE_INCLUDE_DIR})
target_link_libraries(calo_libdeflate INTERFACE ${CALO_LIBDEFLATE_LIBRARY})
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED tomlplusplus)
# toml++ header-only, so that its formatter writes floats with std::to_chars
# (shortest text that reads back exactly); Debian's shared build uses a
# stream with 17 digits (0.3 -> 0.29999999999999999).
add_library(calo_tomlpp INTERFACE)
target_include_directories(calo_tomlpp SYSTEM INTERFACE ${TOMLPP_INCLUDE_DIRS})
target_compile_definitions(calo_tomlpp INTERFACE TOML_HEADER_ONLY=1 TOML_FLOAT_CHARCONV=1)
find_package(Torch REQUIRED)

# Torch's flags (e.g. -D_GLIBCXX_USE_CXX11_ABI) must reach every target that
# includes a torch header; TORCH_LIBRARIES carries them as an interface target.
add_library(calo_torch INTERFACE)
target_link_libraries(calo_torch INTERFACE ${TORCH_LIBRARIES})
target_compile_options(calo_torch INTERFACE -Wno-unused-parameter)

set(CALO3DGAN_USE_CUDA OFF)
if(TORCH_CUDA_LIBRARIES OR CAFFE2_USE_CUDA)
  set(CALO3DGAN_USE_CUDA ON)
endif()
message(STATUS "calo3dgan: libtorch ${Torch_VERSION}, CUDA ${CALO3DGAN_USE_CUDA}")

if(CALO3DGAN_USE_MPI)
  find_package(MPI REQUIRED COMPONENTS C)
endif()

add_library(calo_hdf5 INTERFACE)
target_include_directories(calo_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(calo_hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(calo_hdf5 INTERFACE ${HDF5_DEFINITIONS})

# oneDNN for the torch-free inference engine. Found by hand: Debian's
# dnnl-config.cmake requires OpenCL development files for its GPU runtime,
# which the CPU engine does not use.
find_path(CALO_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
find_library(CALO_DNNL_LIBRARY NAMES dnnl REQUIRED)
add_library(calo_dnnl INTERFACE)
target_include_directories(calo_dnnl SYSTEM INTERFACE ${CALO_DNNL_INCLUDE_DIR})
target_link_libraries(calo_dnnl INTERFACE ${CALO_DNNL_LIBRARY})
find_package(OpenMP REQUIRED COMPONENTS CXX)
