# Run by CPack before it packages: the static libraries of cutover-dev keep their symbols but lose
# their debug sections (the program's debug symbols are in cutover-dbgsym).
file(GLOB_RECURSE libraries "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
foreach(library IN LISTS libraries)
  execute_process(COMMAND strip --strip-debug "${library}" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
