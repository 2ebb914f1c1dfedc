/* The contact sheet: one thumbnail per frame, positions down, cameras across; and the same
 * sheet labelled, as an SVG that carries the picture inside it (so the file stands alone) with
 * each row's position and commanded targets on its left and each column's camera above it. */
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "image/image.h"

namespace lockstep
{

/* files[row][column]: paths of frames ("" leaves a grey cell). Thumbnails are `thumbWidth`
 * wide with the first readable frame's aspect ratio. */
Image makeContactSheet(const std::vector<std::vector<std::string>> &files, unsigned thumbWidth);

/* The SVG around the sheet's encoded JPEG (`width` x `height`, as makeContactSheet made it
 * for rowLabels.size() rows and columnLabels.size() columns). Labels are plain text; they are
 * escaped here. */
std::string labelledContactSheet(std::span<const uint8_t> jpeg, unsigned width, unsigned height,
                                 const std::vector<std::string> &rowLabels,
                                 const std::vector<std::string> &columnLabels);

} // namespace lockstep
