/* The drawing of the simulated turntable, shared by the renderer and the estimator so the two
 * can never disagree. Radii are fractions of the disc radius; angles are counter-clockwise with
 * the image's y axis pointing up. */
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lockstep::turntable
{

constexpr double kDiscRadius = 0.45; /* of the shorter image side */

/* From the centre out: hub, a polar checkerboard in four rings (the object's texture), a plain
 * gap, the tick band, a plain gap, the hue ring, a dark rim. */
constexpr double kHubEnd = 0.08;
constexpr double kCheckerEnd = 0.55;
constexpr unsigned kCheckerRings = 4;
constexpr double kTickBegin = 0.58;
constexpr double kTickEnd = 0.72;
constexpr double kRingBegin = 0.78;
constexpr double kRimBegin = 0.96;

/* The hue ring: the disc angle t is drawn as RGB = mid + amplitude * cos(t - k * 120 deg), a
 * colour whose chroma vector (2R-G-B, sqrt(3)(G-B)) = 3 * amplitude * (cos t, sin t). Colours
 * averaged by motion blur then average that vector, so its direction is the mean angle. */
constexpr double kRingMid = 128;
constexpr double kRingAmplitude = 100;
/* The tick band: grey mid + amplitude * cos(n t). Blur over an arc w scales the amplitude by
 * sinc(n w / 2), which is how the estimator measures the spread. */
constexpr unsigned kTickCycles = 30;
constexpr double kTickMid = 128;
constexpr double kTickAmplitude = 80;

/* Where the disc sits in an image of this size (pixel (x, y) covers [x, x+1) x [y, y+1)). */
struct DiscPlacement {
    double centreX;
    double centreY;
    double radius;

    DiscPlacement(unsigned width, unsigned height)
        : centreX(width / 2.0), centreY(height / 2.0), radius(kDiscRadius * std::min(width, height))
    {
    }
};

/* How far the drawing is turned in the image: disc angle + camera azimuth, plus a half turn for
 * a camera that rotates its image by 180 degrees. */
inline double viewOffsetDeg(double angleDeg, double azimuthDeg, bool rotation180)
{
    return angleDeg + azimuthDeg + (rotation180 ? 180.0 : 0.0);
}

inline double degToRad(double deg)
{
    return deg * std::numbers::pi / 180.0;
}
inline double radToDeg(double rad)
{
    return rad * 180.0 / std::numbers::pi;
}

} // namespace lockstep::turntable
