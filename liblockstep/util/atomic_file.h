/* Files that are either complete or absent: write to a temporary in the same directory, flush,
 * rename over the target, fsync the directory (util/staged_file.h). A failure removes the
 * temporary. */
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace lockstep
{

/* Throws RunError with the path and strerror (ENOSPC, EROFS, EACCES ...). */
void writeFileAtomic(const std::string &path, std::span<const uint8_t> bytes);
void writeFileAtomic(const std::string &path, const std::string &text);

/* Writes every byte to fd, retrying short writes and EINTR. Throws RunError("cannot write
 * PATH: strerror"). */
void writeAll(int fd, std::span<const uint8_t> bytes, const std::string &path);

/* mkdir -p; throws RunError. */
void makeDirectories(const std::string &path);

/* SHA-256 (OpenSSL) as lowercase hex: of the bytes, or of the pieces one after another. */
std::string sha256Hex(std::span<const uint8_t> bytes);
std::string sha256HexOfPieces(std::span<const std::span<const uint8_t>> pieces);

} // namespace lockstep
