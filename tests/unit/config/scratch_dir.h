/* Helpers of the config tests: a temporary directory for configuration files, and a check
 * that a loader reports exactly the expected diagnostics. */
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace lockstep::test
{

class ScratchDir
{
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir &) = delete;
    ScratchDir &operator=(const ScratchDir &) = delete;

    const std::string &path() const { return path_; }
    /* Writes `text` to path()/name and returns the file's path. */
    std::string write(const std::string &name, const std::string &text) const;

private:
    std::string path_;
};

/* What a test expects of one diagnostic. */
struct ExpectedDiagnostic {
    int line;
    int column;
    std::string message;
};

/* ... and of a diagnostic of one of several files. */
struct ExpectedFileDiagnostic {
    std::string file;
    int line;
    int column;
    std::string message;
};

/* Runs `load` and checks (with Boost.Test assertions) that it throws a ConfigError whose
 * diagnostics are exactly `expected`, in that order, all naming `file`. */
void checkDiagnostics(const std::function<void()> &load, const std::string &file,
                      const std::vector<ExpectedDiagnostic> &expected);
/* The same for diagnostics of several files. */
void checkDiagnostics(const std::function<void()> &load,
                      const std::vector<ExpectedFileDiagnostic> &expected);

} // namespace lockstep::test
