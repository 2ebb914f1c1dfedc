#include "scan/scan_layout.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/errors.h"

namespace lockstep
{

ScanLayout::ScanLayout(const std::string &outDir, const std::string &scanName)
    : root(outDir + "/" + scanName)
{
}

std::string readTextFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw RunError("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace lockstep
