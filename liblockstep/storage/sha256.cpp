#include "util/atomic_file.h"

#include <openssl/evp.h>

#include "util/errors.h"

namespace lockstep
{

std::string sha256Hex(std::span<const uint8_t> bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw RunError("SHA-256 failed");

    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
}

} // namespace lockstep
