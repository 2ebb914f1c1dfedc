/* The contact sheet: one thumbnail per frame, positions down, cameras across. */
#pragma once

#include <string>
#include <vector>

#include "image/image.h"

namespace lockstep
{

/* files[row][column]: paths of frames ("" leaves a grey cell). Thumbnails are `thumbWidth`
 * wide with the first readable frame's aspect ratio. */
Image makeContactSheet(const std::vector<std::vector<std::string>> &files, unsigned thumbWidth);

} // namespace lockstep
