# Defines obl_posix_io (the POSIX port's HAL time + GPIO, see posix_io.h). Included from this folder's
# CMakeLists.txt and from tests/hal_io; guarded so either may come first.
if(NOT TARGET obl_posix_io)
  find_package(Threads REQUIRED)
  add_library(obl_posix_io STATIC ${CMAKE_CURRENT_LIST_DIR}/hal_time.c ${CMAKE_CURRENT_LIST_DIR}/hal_gpio.c)
  target_include_directories(obl_posix_io PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(obl_posix_io PUBLIC obl_core_headers Threads::Threads)
endif()
