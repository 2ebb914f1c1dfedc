# `cpack -G DEB` in a build directory: lockstep_VERSION_ARCH.deb with the launcher, the SPANK
# plugin, the example configuration and job scripts, and the documentation. The provisioning
# playbook installs it (ansible/roles/lockstep, `lockstep_deb`).
#
# Prefix /usr/local, the same as `cmake --install` and scripts/install.sh, so that
# conf/slurm/plugstack.conf's /usr/local/lib/lockstep/spank_lockstep.so holds for all three, and
# the examples land in /usr/local/share/lockstep/examples, where the playbook puts them.
install(FILES README.md DESTINATION share/doc/lockstep)
install(DIRECTORY docs/ DESTINATION share/doc/lockstep FILES_MATCHING PATTERN "*.md")
install(PROGRAMS jobscripts/hello.sbatch jobscripts/home.sbatch jobscripts/mpi-hello.sbatch
    jobscripts/mpi_hello.py jobscripts/scan.sbatch jobscripts/timelapse.sbatch
    DESTINATION share/lockstep/examples)
install(DIRECTORY conf/ DESTINATION share/lockstep/examples/conf
    PATTERN "sim-state" EXCLUDE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lockstep)
set(CPACK_PACKAGE_CONTACT "lockstep developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "camera array and stepper motors on a Slurm cluster of Raspberry Pis")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr/local)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Cross-built (cmake/aarch64-linux-gnu.cmake): the target's architecture, not this machine's.
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
endif()
# Dependencies: the Debian packages of the shared libraries the launcher and plugin link, found
# by dpkg-shlibdeps. It reads this machine's dpkg database, so a cross build finds them in its
# sysroot's instead (scripts/arm64.sh passes them to cpack as CPACK_DEBIAN_PACKAGE_DEPENDS).
# Added to those: libcamera's image processing modules, which the library loads at run time
# (no link dependency, and only "Suggested" by Debian's libcamera): without them no Raspberry Pi
# camera starts. They must be the library's own version: every libcamera 0.x (0.0.x: every
# release) changes its ABI and the IPA interface with it, and a library does not load another
# release's modules. Raspberry Pi OS ships its fork's modules under the same name (libcamera-ipa
# 0.5+rpt on current images), which cannot serve a build against Debian 12's 0.0.3: the bounds
# make apt say so instead of installing a package whose cameras cannot start (docs/hardware.md:
# build on the Pi against its libcamera instead).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)\\.([0-9]+)" LOCKSTEP_LIBCAMERA_RELEASE "${LIBCAMERA_VERSION}")
if(CMAKE_MATCH_1 EQUAL 0 AND CMAKE_MATCH_2 EQUAL 0)
    math(EXPR LOCKSTEP_LIBCAMERA_NEXT_PATCH "${CMAKE_MATCH_3} + 1")
    set(LOCKSTEP_LIBCAMERA_NEXT_ABI "0.0.${LOCKSTEP_LIBCAMERA_NEXT_PATCH}")
else()
    math(EXPR LOCKSTEP_LIBCAMERA_NEXT_MINOR "${CMAKE_MATCH_2} + 1")
    set(LOCKSTEP_LIBCAMERA_NEXT_ABI "${CMAKE_MATCH_1}.${LOCKSTEP_LIBCAMERA_NEXT_MINOR}")
endif()
set(LOCKSTEP_DEB_RUNTIME_DEPENDS
    "libcamera-ipa (>= ${LOCKSTEP_LIBCAMERA_RELEASE}), libcamera-ipa (<< ${LOCKSTEP_LIBCAMERA_NEXT_ABI})")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${LOCKSTEP_DEB_RUNTIME_DEPENDS}")
# Without debug information: a fifth of the size to copy to every Pi.
set(CPACK_STRIP_FILES ON)
include(CPack)
