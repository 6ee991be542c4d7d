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
find_path(CALO_TOMLPP_INCLUDE_DIR toml++/toml.h REQUIRED)
# toml++ header-only, so that its formatter writes floats with std::to_chars
# (shortest text that reads back exactly); Debian's shared build uses a
# stream with 17 digits (0.3 -> 0.29999999999999999).
add_library(calo_tomlpp INTERFACE)
target_include_directories(calo_tomlpp SYSTEM INTERFACE ${CALO_TOMLPP_INCLUDE_DIR})
target_compile_definitions(calo_tomlpp INTERFACE TOML_HEADER_ONLY=1 TOML_FLOAT_CHARCONV=1)
find_package(Torch REQUIRED)
# A Python torch install carries its own {fmt} in its include folder, newer
# than the system's, which spdlog is built against, and searched before
# /usr/include. The targets see that folder through a copy without fmt/
# (links to everything else), so that {fmt} comes from the system.
get_filename_component(CALO_TORCH_INCLUDE "${TORCH_INSTALL_PREFIX}/include" REALPATH)
if(IS_DIRECTORY "${CALO_TORCH_INCLUDE}/fmt" AND NOT CALO_TORCH_INCLUDE STREQUAL "/usr/include")
  set(calo_torch_overlay ${PROJECT_BINARY_DIR}/torch-include)
  file(MAKE_DIRECTORY ${calo_torch_overlay})
  file(GLOB calo_torch_entries RELATIVE ${CALO_TORCH_INCLUDE} ${CALO_TORCH_INCLUDE}/*)
  list(REMOVE_ITEM calo_torch_entries fmt)
  foreach(entry IN LISTS calo_torch_entries)
    if(NOT EXISTS ${calo_torch_overlay}/${entry})
      file(CREATE_LINK ${CALO_TORCH_INCLUDE}/${entry} ${calo_torch_overlay}/${entry} SYMBOLIC)
    endif()
  endforeach()
  foreach(torch_target torch torch_library torch_cpu torch_cuda c10 c10_cuda)
    if(TARGET ${torch_target})
      get_target_property(dirs ${torch_target} INTERFACE_INCLUDE_DIRECTORIES)
      if(dirs)
        set(replaced)
        foreach(dir IN LISTS dirs)
          get_filename_component(real "${dir}" REALPATH)
          if(real STREQUAL CALO_TORCH_INCLUDE)
            set(dir ${calo_torch_overlay})
          endif()
          list(APPEND replaced ${dir})
        endforeach()
        set_target_properties(${torch_target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${replaced}")
      endif()
    endif()
  endforeach()
  message(STATUS "calo3dgan: libtorch headers through ${calo_torch_overlay} (without torch's own fmt/)")
endif()

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
