# FindCivetweb.cmake — locate Debian's libcivetweb-dev without its CMake config.
# Debian's civetweb-config.cmake references /usr/bin/civetweb (only in the `civetweb`
# package), so find_package(civetweb CONFIG) fails on a machine with just the -dev package.
find_path(CIVETWEB_INCLUDE_DIR civetweb.h)
find_library(CIVETWEB_LIBRARY NAMES civetweb)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Civetweb DEFAULT_MSG CIVETWEB_LIBRARY CIVETWEB_INCLUDE_DIR)
if(Civetweb_FOUND AND NOT TARGET Civetweb::civetweb)
  add_library(Civetweb::civetweb UNKNOWN IMPORTED)
  set_target_properties(Civetweb::civetweb PROPERTIES
    IMPORTED_LOCATION "${CIVETWEB_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CIVETWEB_INCLUDE_DIR}")
endif()
