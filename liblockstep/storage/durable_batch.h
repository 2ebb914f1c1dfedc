/* Files that become durable together: a scan position's frames. Each is written under a
 * temporary name and its writeback started at once; then every file is flushed, every file
 * renamed into place, and every directory they went into synced once. So a position costs one
 * directory sync per directory instead of one per frame, and the flushes overlap. A crash at
 * any point leaves each file complete at its name or absent (its temporary may stay); the
 * caller records a file (the manifest) only after commit() returned.
 *
 * The steps, in order (CommitStep; the test hook is called after each one, per file or per
 * directory):
 *   Staged           a file's bytes are written to its temporary, writeback started
 *   Flushed          a file's data is on disk (fdatasync), under its temporary name
 *   Published        a file is renamed to its name
 *   DirectorySynced  a directory's entries are on disk: its files are durable */
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "util/staged_file.h"

namespace lockstep
{

enum class CommitStep { Staged, Flushed, Published, DirectorySynced };

const char *commitStepName(CommitStep step);

class DurableBatch
{
public:
    /* Called after each step with the index of the file (or of the directory, in the order
     * first used); for tests that stop a writer between any two steps. */
    using StepHook = std::function<void(CommitStep step, size_t index)>;

    explicit DurableBatch(StepHook hook = {});

    /* Writes the file's bytes under a temporary name next to `target` (whose folder must
     * exist). Throws RunError; the batch's temporaries are removed when it goes uncommitted. */
    void add(const std::string &target, std::span<const uint8_t> bytes);
    /* The same for a file written as pieces, one after another (a frame and its EXIF). */
    void add(const std::string &target, std::span<const std::span<const uint8_t>> pieces);
    /* Takes over another batch's staged files, after this one's (group commit: several
     * positions flushed, published and synced as one; the hook stays this batch's, and the
     * hook's indices count the files of the whole group). */
    void append(DurableBatch &&other);
    /* Flushes, publishes and syncs every file added. Throws RunError with the first failure:
     * the files not yet published are removed, those published stay (complete). */
    void commit();

    size_t size() const { return files_.size(); }

private:
    void step(CommitStep step, size_t index) const;

    StepHook hook_;
    std::vector<StagedFile> files_;
};

} // namespace lockstep
