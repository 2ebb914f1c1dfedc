/* What the libcamera this build compiles against has, at compile time: one place for every
 * version test, so that the backend builds against Debian 12's 0.0.3, bookworm-backports' 0.3,
 * trixie's 0.4 and 0.7 and Raspberry Pi's fork (0.4-0.5+rpt, whose macros report the upstream
 * number). Each LOCKSTEP_LIBCAMERA_HAS_* is 1 or 0. */
#pragma once

#include <libcamera/control_ids.h>
#include <libcamera/version.h>

#define LOCKSTEP_LIBCAMERA_AT_LEAST(major, minor)                                                  \
    (LIBCAMERA_VERSION_MAJOR > (major) ||                                                          \
     (LIBCAMERA_VERSION_MAJOR == (major) && LIBCAMERA_VERSION_MINOR >= (minor)))

/* 0.2: CameraConfiguration::orientation (Orientation) replaced transform (Transform). */
#define LOCKSTEP_LIBCAMERA_HAS_ORIENTATION LOCKSTEP_LIBCAMERA_AT_LEAST(0, 2)

/* 0.5: ExposureTimeMode and AnalogueGainMode (Manual before a fixed ExposureTime/AnalogueGain);
 * AeEnable means something else from then on. */
#define LOCKSTEP_LIBCAMERA_HAS_EXPOSURE_TIME_MODE LOCKSTEP_LIBCAMERA_AT_LEAST(0, 5)

/* 0.5.2: FrameWallClock (the frame start on CLOCK_REALTIME, from libcamera's own clock-recovery
 * fit). */
#define LOCKSTEP_LIBCAMERA_HAS_FRAME_WALL_CLOCK                                                    \
    (LOCKSTEP_LIBCAMERA_AT_LEAST(0, 6) ||                                                          \
     (LIBCAMERA_VERSION_MAJOR == 0 && LIBCAMERA_VERSION_MINOR == 5 &&                              \
      LIBCAMERA_VERSION_PATCH >= 2))

/* Raspberry Pi's vendor controls (controls::rpi), generated only where the library is built with
 * a Raspberry Pi pipeline (Debian's amd64 builds are not). libcamera marks them with
 * LIBCAMERA_HAS_RPI_VENDOR_CONTROLS (0.7 adds one macro per control beside it). */
#if defined(LIBCAMERA_HAS_RPI_VENDOR_CONTROLS) || defined(LOCKSTEP_HAVE_RPI_SYNC)
#define LOCKSTEP_LIBCAMERA_HAS_RPI_VENDOR_CONTROLS 1
#else
#define LOCKSTEP_LIBCAMERA_HAS_RPI_VENDOR_CONTROLS 0
#endif

/* Raspberry Pi's software camera sync (rpi::SyncMode, SyncReady, SyncFrames): its fork has them
 * from 0.4.0+rpt20250127 but names them by a macro only from 0.5.2, so CMake also looks for them
 * by compiling (LOCKSTEP_HAVE_RPI_SYNC, liblockstep/camera/CMakeLists.txt). */
#if defined(LOCKSTEP_HAVE_RPI_SYNC) || defined(LIBCAMERA_HAS_RPI_VENDOR_CONTROLS_SYNC_MODE)
#define LOCKSTEP_RPI_SYNC 1
#else
#define LOCKSTEP_RPI_SYNC 0
#endif
