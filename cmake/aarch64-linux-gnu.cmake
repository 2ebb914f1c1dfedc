# Cross-compiling for Raspberry Pi OS 64-bit (Debian 12 arm64) with Debian's g++-aarch64-linux-gnu
# and a Debian 12 arm64 root file system as the sysroot (scripts/arm64.sh makes one):
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#       -DLOCKSTEP_SYSROOT=/var/cache/lockstep/arm64-sysroot-...
#
# Headers, libraries, CMake package files and pkg-config files all come from the sysroot (Debian's
# arm64 -dev packages; they cannot be installed here with multiarch, libslurm-dev and
# libyaml-cpp-dev are not Multi-Arch: same). ctest runs the arm64 executables under qemu-user with
# the sysroot as their library root.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# try_compile() projects read this file again: pass the sysroot on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LOCKSTEP_SYSROOT)
if(NOT LOCKSTEP_SYSROOT AND DEFINED ENV{LOCKSTEP_SYSROOT})
    set(LOCKSTEP_SYSROOT $ENV{LOCKSTEP_SYSROOT})
endif()
if(NOT LOCKSTEP_SYSROOT OR NOT EXISTS "${LOCKSTEP_SYSROOT}/usr/lib/aarch64-linux-gnu")
    message(FATAL_ERROR "LOCKSTEP_SYSROOT must name a Debian arm64 root (scripts/arm64.sh makes one), "
        "got '${LOCKSTEP_SYSROOT}'")
endif()
set(CMAKE_SYSROOT "${LOCKSTEP_SYSROOT}")

# Programs (compilers, pkg-config) from this machine; everything linked from the sysroot only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the sysroot's .pc files and prefixes the paths it prints with it.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${LOCKSTEP_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${LOCKSTEP_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${LOCKSTEP_SYSROOT}/usr/share/pkgconfig:${LOCKSTEP_SYSROOT}/usr/lib/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

# ctest (and anything CMake runs from the build) starts arm64 executables under qemu-user, which
# loads their libraries from the sysroot. Executables those start in turn (e.g. the GPIO uAPI
# stand-in's child) go through binfmt_misc: run ctest with QEMU_LD_PREFIX set to the sysroot too.
find_program(LOCKSTEP_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${LOCKSTEP_QEMU_AARCH64};-L;${LOCKSTEP_SYSROOT}")
