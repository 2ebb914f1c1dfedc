/* The simulated turntable scene and how to read its angle back from pixels. The turntable is a
 * textured disc whose outer ring is coloured by hue = angle on the disc, so the rotation can be
 * recovered from any decoded frame: that is how `lockstep verify` judges a sim frame from its
 * pixels, not from metadata. A camera at azimuth a sees the disc turned by (angle + a). */
#pragma once

#include <span>

#include "image/image.h"

namespace lockstep {

/* Renders the disc at each of the angles (degrees) and averages them: several angles spread
 * over an exposure give motion blur. `rotation180` flips the image as a mounted camera would. */
Image renderTurntable(unsigned width, unsigned height, std::span<const double> anglesDeg,
                      double azimuthDeg, bool rotation180 = false, unsigned noiseSeed = 0);

struct AngleEstimate {
    double angleDeg = 0; /* turntable angle in [0, 360) */
    double spreadDeg = 0; /* how smeared the ring is: large when exposed while moving */
    bool valid = false; /* false if no disc is found */
};

AngleEstimate estimateTurntableAngle(const Image &image, double azimuthDeg, bool rotation180 = false);

} // namespace lockstep
