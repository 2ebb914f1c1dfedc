/* Text placed in HTML or SVG: the characters markup would read as its own. */
#pragma once

#include <string>

namespace lockstep
{

/* `text` with < > & " replaced by their character references. */
std::string escapeMarkup(const std::string &text);

} // namespace lockstep
