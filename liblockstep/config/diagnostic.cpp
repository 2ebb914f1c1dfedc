#include "config/diagnostic.h"

#include <utility>

namespace lockstep
{

std::string Diagnostic::str() const
{
    if (line <= 0)
        return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics) : diagnostics_(std::move(diagnostics))
{
    for (const Diagnostic &d : diagnostics_) {
        if (!text_.empty())
            text_ += '\n';
        text_ += d.str();
    }
}

} // namespace lockstep
