/* Configuration diagnostics: every problem in a file, each with its position. */
#pragma once

#include <exception>
#include <string>
#include <vector>

namespace lockstep
{

/* One problem in a configuration file. line and column are 1-based, as editors show them. */
struct Diagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    /* "FILE:LINE:COL: message" */
    std::string str() const;
};

/* Thrown by the loaders with ALL problems found, in file order. Maps to exit status 2. */
class ConfigError : public std::exception
{
public:
    explicit ConfigError(std::vector<Diagnostic> diagnostics);

    const std::vector<Diagnostic> &diagnostics() const { return diagnostics_; }
    /* One diagnostic per line. */
    const char *what() const noexcept override { return text_.c_str(); }

private:
    std::vector<Diagnostic> diagnostics_;
    std::string text_;
};

} // namespace lockstep
