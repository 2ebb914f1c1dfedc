/* Temporary directories for the storage tests: a plain one under /tmp, and a small tmpfs
 * (full or read-only) mounted in a private mount namespace, which needs root. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::test
{

/* mkdtemp under /tmp; removed with its contents. */
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::string &path() const { return path_; }

private:
    std::string path_;
};

/* A tmpfs mounted on a fresh temporary directory with the given options ("size=64k",
 * "ro"), visible only to this process (the process moves into its own mount namespace once).
 * Unmounted and removed on destruction. */
class ScratchMount
{
public:
    /* Empty, with the reason written to `whyNot`, when mounting is impossible (not root, no
     * namespaces). */
    static std::optional<ScratchMount> create(const std::string &options, std::string &whyNot);
    ~ScratchMount();
    ScratchMount(ScratchMount &&other) noexcept;
    ScratchMount(const ScratchMount &) = delete;
    ScratchMount &operator=(const ScratchMount &) = delete;
    ScratchMount &operator=(ScratchMount &&) = delete;

    const std::string &path() const { return path_; }

private:
    explicit ScratchMount(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

/* Names in a directory, sorted. */
std::vector<std::string> listDirectory(const std::string &path);
std::vector<uint8_t> readFileBytes(const std::string &path);
/* A text file's lines (none for a missing file). */
std::vector<std::string> linesOf(const std::string &path);

} // namespace lockstep::test
