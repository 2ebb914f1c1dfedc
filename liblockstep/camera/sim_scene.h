/* The simulated turntable scene and how to read its angle back from pixels. The turntable is a
 * textured disc whose outer ring is coloured by hue = angle on the disc, so the rotation can be
 * recovered from any decoded frame: that is how `lockstep verify` judges a sim frame from its
 * pixels, not from metadata. A camera at azimuth a sees the disc turned by (angle + a). */
#pragma once

#include <span>
#include <vector>

#include "image/image.h"
#include "image/yuv420_image.h"

namespace lockstep
{

/* Renders the disc at each of the angles (degrees) and averages them: several angles spread
 * over an exposure give motion blur. The frame is 4:2:0 YUV in JPEG's colour space (kJpegYuv),
 * as a Raspberry Pi's still pipeline delivers it; toRgb() (image/yuv_to_rgb.h) shows it as RGB.
 * `rotation180` flips the image as a mounted camera would. A non-zero noiseSeed adds mild,
 * reproducible sensor noise; 0 renders a noise-free frame. Throws RunError for an empty size or no
 * angles. */
Yuv420Image renderTurntable(unsigned width, unsigned height, std::span<const double> anglesDeg,
                            double azimuthDeg, bool rotation180 = false, unsigned noiseSeed = 0);
/* A rolling shutter's frame: the rows split into equal bands, top to bottom in readout order,
 * band b drawn at its own angles bandAnglesDeg[b]. */
Yuv420Image renderTurntableBands(unsigned width, unsigned height,
                                 std::span<const std::vector<double>> bandAnglesDeg,
                                 double azimuthDeg, bool rotation180 = false,
                                 unsigned noiseSeed = 0);

struct AngleEstimate {
    double angleDeg = 0; /* turntable angle in [0, 360) */
    /* How far the disc turned during the exposure, from the contrast left in the tick band:
     * about 0-2 for a still frame (JPEG and noise), saturating near 17 for any larger blur. */
    double spreadDeg = 0;
    bool valid = false; /* false if no disc is found */
};

/* Rows of an image, [begin, end) as fractions of its height. */
struct RowSpan {
    double begin = 0;
    double end = 1;
};
/* The part of the image an estimate may read: the top and the bottom third of a frame are read
 * (and exposed) furthest apart by a rolling shutter. */
constexpr RowSpan kAllRows{0, 1};
constexpr RowSpan kTopRows{0, 1.0 / 3};
constexpr RowSpan kBottomRows{2.0 / 3, 1};

AngleEstimate estimateTurntableAngle(const Image &image, double azimuthDeg,
                                     bool rotation180 = false, RowSpan rows = kAllRows);

} // namespace lockstep
