# `make package`: hookd_<version>_<arch>.deb from the release build, with CPack's DEB generator.
# The binary, the default configuration (a conffile), the systemd unit and the README.
# The package needs the binary alone: installing does not build the tests and benchmarks first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
install(TARGETS hookd RUNTIME DESTINATION bin)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/hookd.toml DESTINATION /etc/hookd
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/hookd.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/hookd)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hookd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "webhooks for device fleets")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "hookd delivers signed webhooks (Standard Webhooks) for the events of device fleets,\n\
with retries, per-webhook fairness and a destination guard, on SQLite or PostgreSQL.\n\
The package runs it as a hardened systemd service (hookd.service).")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "hookd maintainers <hookd@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Deliveries verify TLS against the system's roots. Depends also lists, from dpkg-shlibdeps, the
# libraries the binary links.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/package)
include(CPack)
