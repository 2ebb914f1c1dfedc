#include "storage/durable_batch.h"

#include <filesystem>
#include <set>

namespace lockstep
{

const char *commitStepName(CommitStep step)
{
    switch (step) {
    case CommitStep::Staged:
        return "staged";
    case CommitStep::Flushed:
        return "flushed";
    case CommitStep::Published:
        return "published";
    case CommitStep::DirectorySynced:
        return "directory synced";
    }
    return "?";
}

DurableBatch::DurableBatch(StepHook hook) : hook_(std::move(hook)) {}

void DurableBatch::step(CommitStep step, size_t index) const
{
    if (hook_)
        hook_(step, index);
}

void DurableBatch::add(const std::string &target, std::span<const uint8_t> bytes)
{
    const std::span<const uint8_t> whole[] = {bytes};
    add(target, whole);
}

void DurableBatch::add(const std::string &target, std::span<const std::span<const uint8_t>> pieces)
{
    StagedFile file(target);
    for (const std::span<const uint8_t> piece : pieces)
        file.write(piece);
    file.startWriteback();
    files_.push_back(std::move(file));
    step(CommitStep::Staged, files_.size() - 1);
}

void DurableBatch::append(DurableBatch &&other)
{
    files_.reserve(files_.size() + other.files_.size());
    for (StagedFile &file : other.files_)
        files_.push_back(std::move(file));
    other.files_.clear();
}

void DurableBatch::commit()
{
    /* Every file's data first: a rename must never reach the disk before the data it names,
     * or a crash leaves an empty or partial file under the final name. */
    for (size_t i = 0; i < files_.size(); ++i) {
        files_[i].flush();
        step(CommitStep::Flushed, i);
    }
    std::vector<std::string> directories; /* in the order first used */
    std::set<std::string> seen;
    for (size_t i = 0; i < files_.size(); ++i) {
        files_[i].publish();
        step(CommitStep::Published, i);
        const std::string parent = std::filesystem::path(files_[i].target()).parent_path();
        if (seen.insert(parent).second)
            directories.push_back(files_[i].target());
    }
    for (size_t d = 0; d < directories.size(); ++d) {
        syncDirectoryOf(directories[d]);
        step(CommitStep::DirectorySynced, d);
    }
    files_.clear();
}

} // namespace lockstep
