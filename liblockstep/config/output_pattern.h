/* Internal to lockstep_config: the placeholders of a plan's output pattern. */
#pragma once

#include <string>
#include <vector>

namespace lockstep::config
{

/* What is wrong with an output pattern (unknown placeholders, stray braces, absolute path, '.'
 * or '..' parts), one message each; empty when framePath() can expand it. */
std::vector<std::string> outputPatternProblems(const std::string &pattern);

} // namespace lockstep::config
